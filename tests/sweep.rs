//! Organization-wide sweep and audit: every account-region reconciled, a
//! report an operator can act on, and fan-out over SQS past one invocation.

use crate::common;

use common::*;
use serde_json::{json, Value};

struct Org {
    w: World,
    prod: String,
    dev: String,
    workloads: String,
    exempt: String,
    suspended: String,
    accounts: Vec<String>,
}

/// 32 accounts in nested OUs in mixed states, in two regions.
async fn mixed_org() -> Org {
    let w = World::new().await;
    let workloads = w.create_ou(&w.root, "Workloads").await;
    let prod = w.create_ou(&workloads, "Prod").await;
    let dev = w.create_ou(&workloads, "Dev").await;
    let sandbox = w.create_ou(&w.root, "Sandbox").await;
    let mut accounts = Vec::new();
    for i in 0..30 {
        let parent = [&prod, &dev, &sandbox, &workloads][i % 4];
        let id = w
            .create_account(&format!("acct-{i:02}"), Some(parent))
            .await;
        // states: 0 no document, 1 RunAs off, 2 wrong user, 3 compliant for its OU
        let user = if parent == &prod {
            "produser"
        } else if parent == &dev || parent == &workloads {
            "workload"
        } else {
            "ssm-ops"
        };
        for region in REGIONS {
            match i % 4 {
                0 => {}
                1 => {
                    w.admin_write(&id, region, &lza_document(&id), true).await;
                }
                2 => {
                    let mut d = lza_document(&id);
                    d["inputs"]["runAsEnabled"] = json!(true);
                    d["inputs"]["runAsDefaultUser"] = json!("wrong");
                    w.admin_write(&id, region, &d, true).await;
                }
                _ => {
                    let mut d = lza_document(&id);
                    d["inputs"]["runAsEnabled"] = json!(true);
                    d["inputs"]["runAsDefaultUser"] = json!(user);
                    w.admin_write(&id, region, &d, true).await;
                }
            }
        }
        accounts.push(id);
    }
    let exempt = w.create_account("exempt", Some(&prod)).await;
    let suspended = w.create_account("closing", Some(&sandbox)).await;
    w.org()
        .close_account()
        .account_id(&suspended)
        .send()
        .await
        .unwrap();
    w.write_policy(&format!(
        "[[ou]]\nid = \"{workloads}\"\nrun_as_user = \"workload\"\n[[ou]]\nid = \"{prod}\"\nrun_as_user = \"produser\"\n[exempt]\naccounts = [\"{exempt}\"]\n"
    ));
    Org {
        w,
        prod,
        dev,
        workloads,
        exempt,
        suspended,
        accounts,
    }
}

fn totals(report: &Value) -> Value {
    report["totals"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_then_reconcile_then_nothing_left() {
    let org = mixed_org().await;
    let w = &org.w;

    let dry = w.run(&["reconcile", "--dry-run", "--format", "json"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let report = dry.json();
    // 30 mixed accounts: 8 missing, 8 off, 7 wrong user, 7 compliant (per region);
    // plus the exempt account, the closed one, and moto's management account.
    let t = totals(&report);
    assert_eq!(t["would-change"], 2 * (8 + 8 + 7) + 2, "{t}"); // + management account (no document)
    assert_eq!(t["none"], 2 * 7, "{t}");
    assert_eq!(t["excluded"], 2, "{t}");
    assert_eq!(t["account-suspended"], 2, "{t}");
    assert_eq!(t["failed"], 0, "{t}");
    assert_eq!(report["accounts"], 33);
    for id in &org.accounts[..4] {
        if id == &org.accounts[0] {
            assert!(
                w.document(id, "us-east-1").await.is_none(),
                "dry run creates nothing"
            );
        }
    }
    let one = &org.accounts[1];
    assert_eq!(
        run_as(&w.document(one, "us-east-1").await.unwrap().0).0,
        json!(false),
        "dry run changes nothing"
    );
    assert!(w.items().await.is_empty(), "dry run records nothing");
    assert!(w.alerts().await.is_empty(), "dry run alerts nothing");
    let suspended_row = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["account"] == org.suspended.as_str())
        .unwrap();
    assert_eq!(suspended_row["action"], "account-suspended");

    let real = w.run(&["reconcile", "--format", "json"]);
    assert_eq!(real.code, 0, "{}", real.stderr);
    let t = totals(&real.json());
    assert_eq!(t["created"], 2 * 8 + 2, "{t}");
    assert_eq!(t["updated"], 2 * (8 + 7), "{t}");
    assert_eq!(t["none"], 2 * 7);
    for (i, id) in org.accounts.iter().enumerate() {
        let want = match i % 4 {
            0 => "produser",
            1 | 3 => "workload",
            _ => "ssm-ops",
        };
        for region in REGIONS {
            let (doc, default, latest) = w.document(id, region).await.unwrap();
            assert_eq!(
                run_as(&doc),
                (json!(true), json!(want)),
                "account {i} {region}"
            );
            assert_eq!(default, latest);
            if i % 4 != 0 {
                assert_eq!(
                    doc["inputs"]["s3KeyPrefix"],
                    format!("session/{id}"),
                    "logging inputs kept"
                );
            }
        }
    }
    assert!(
        w.document(&org.exempt, "us-east-1").await.is_none(),
        "exempt untouched"
    );
    assert!(
        w.document(&org.suspended, "us-east-1").await.is_none(),
        "suspended untouched"
    );

    // One message for the whole sweep, not one per account-region.
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "sweep_summary");
    assert_eq!(m["severity"], "info");
    assert_eq!(m["fixed"], 2 * (8 + 8 + 7) + 2);
    assert_eq!(m["counts"]["created"], 2 * 8 + 2);
    // 48 notable account-regions: all named (the cap is 50).
    assert_eq!(m["entries"].as_array().unwrap().len(), 2 * (8 + 8 + 7) + 2);
    assert_eq!(m["more"], 0);
    assert_eq!(alerts[0]["attributes"]["alert_id"]["Value"], m["alert_id"]);
    let first = &m["entries"][0];
    for key in ["account", "name", "region", "action", "before", "after"] {
        assert!(first[key].is_string(), "{key}: {first}");
    }

    let again = w.run(&["reconcile", "--format", "json"]);
    assert_eq!(again.code, 0);
    assert!(
        w.alerts().await.is_empty(),
        "a compliant organization hears nothing"
    );
    let t = totals(&again.json());
    for action in [
        "created",
        "updated",
        "default-switched",
        "would-change",
        "failed",
    ] {
        assert_eq!(t[action], 0, "second run writes nothing: {t}");
    }

    let table = w.run(&[
        "reconcile",
        "--dry-run",
        "--account",
        &org.accounts[0],
        "--region",
        "eu-west-1",
    ]);
    assert_eq!(table.code, 0);
    assert!(
        table.stdout.contains("Root/Workloads/Prod"),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("1 account, 1 account-region: none 1"),
        "{}",
        table.stdout
    );
    let csv = w.run(&["reconcile", "--dry-run", "--format", "csv"]);
    assert_eq!(csv.stdout.lines().count(), 1 + 33 * 2);

    let status = w.run(&["status", "--account", &org.accounts[1], "--format", "json"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    let rows = status.json();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    // The second sweep found it right and left the record of the fix alone.
    assert_eq!(rows[0]["status"], "remediated");
    assert_eq!(rows[0]["last_action"], "updated");
    assert!(
        rows[0]["last_changed"].is_string(),
        "last change time survives quiet checks"
    );
    let _ = (&org.prod, &org.dev, &org.workloads);
}

#[tokio::test(flavor = "multi_thread")]
async fn sweep_fans_out_over_sqs_and_reports_bad_messages_alone() {
    let mut org = mixed_org().await;
    let queue = org.w.create_queue("sweep").await;
    org.w.set_env("RUNAS_GUARD_SWEEP_QUEUE_URL", &queue);
    org.w.set_env("RUNAS_GUARD_FANOUT_THRESHOLD", "10");
    let w = &org.w;

    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["result"], "fanned_out");
    assert_eq!(out["fanned_out"], 33);

    // Collect every queued message and feed them back as Lambda SQS batches.
    let records: Vec<Value> = w.sqs_records(&queue).await;
    assert_eq!(records.len(), 33);
    let poison = json!({"messageId": "poison-1", "body": "{\"account\": \"not-an-account\"}", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:sweep", "awsRegion": "us-east-1", "attributes": {}, "messageAttributes": {}});
    for (i, chunk) in records.chunks(10).enumerate() {
        let mut batch: Vec<Value> = chunk.to_vec();
        if i == 0 {
            batch.insert(3, poison.clone());
        }
        let (code, out) = w.handle(&json!({"Records": batch}));
        assert_eq!(code, 0, "{out:#}");
        let failures: Vec<&str> = out["batchItemFailures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["itemIdentifier"].as_str().unwrap())
            .collect();
        if i == 0 {
            assert_eq!(failures, ["poison-1"], "only the poisoned message fails");
        } else {
            assert!(failures.is_empty(), "{out:#}");
        }
    }
    for id in &org.accounts {
        for region in REGIONS {
            let (doc, default, latest) = w.document(id, region).await.unwrap();
            assert_eq!(run_as(&doc).0, json!(true));
            assert_eq!(default, latest);
        }
    }
    let again = w.run(&["reconcile", "--dry-run", "--format", "json"]);
    assert_eq!(totals(&again.json())["would-change"], 0);
    // The account that finished last sent the one summary for all 33.
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "sweep_summary");
    assert_eq!(m["accounts"], 33);
    assert_eq!(m["fixed"], 2 * (8 + 8 + 7) + 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_mode_reports_drift_once_when_it_appears() {
    let org = mixed_org().await;
    let w = &org.w;
    let policy = std::fs::read_to_string(&w.policy).unwrap();
    w.write_policy_raw(&format!("mode = \"audit\"\n{policy}"));

    let first = w.run(&["reconcile", "--format", "json"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "sweep_summary");
    assert_eq!(m["newly_noncompliant"], 2 * (8 + 8 + 7) + 2);
    assert_eq!(m["fixed"], 0, "audit writes nothing");

    // Unchanged drift, swept again: nothing new to say.
    let second = w.run(&["reconcile", "--format", "json"]);
    assert_eq!(second.code, 0);
    assert!(w.alerts().await.is_empty(), "same drift, no second alert");

    // New drift in a compliant account-region is news; known drift is not.
    let compliant = &org.accounts[3];
    w.console_edit(compliant, "eu-west-1", "newdrift").await;
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    // Drift where the table said compliant: no event brought it, so it is
    // told on its own (found_by sweep) beside the summary.
    let seen = of_kind(&alerts, "drift_detected");
    assert_eq!(seen.len(), 1, "{alerts:#?}");
    assert_eq!(seen[0]["message"]["found_by"], "sweep");
    assert_eq!(seen[0]["message"]["account"], compliant.as_str());
    let m = &of_kind(&alerts, "sweep_summary")[0]["message"];
    assert_eq!(m["newly_noncompliant"], 1);
    assert_eq!(m["entries"][0]["account"], compliant.as_str());
    assert_eq!(m["entries"][0]["before"], "on/newdrift");
    let state = w.state(compliant, "eu-west-1").await.unwrap();
    assert_eq!(state["status"], "noncompliant");
    assert_eq!(
        state["observed_user"], "newdrift",
        "what the document says, not what it should say"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn scheduled_sweep_in_one_invocation_alerts_on_missed_drift() {
    let w = World::new().await;
    let a = w.create_account("a", None).await;
    let b = w.create_account("b", None).await;
    let mut d = lza_document(&b);
    d["inputs"]["runAsEnabled"] = json!(true);
    d["inputs"]["runAsDefaultUser"] = json!("ssm-ops");
    for region in REGIONS {
        w.admin_write(&b, region, &d, true).await;
    }
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["result"], "done");
    assert_eq!(
        w.state(&b, "us-east-1").await.unwrap()["status"],
        "compliant"
    );
    assert_eq!(
        w.state(&a, "us-east-1").await.unwrap()["status"],
        "remediated"
    );
    let alerts = w.alerts().await;
    // a: 2 regions fixed; the management account: 2 regions fixed; b: nothing.
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "sweep_summary");
    assert_eq!(m["fixed"], 4);
    let named: Vec<&str> = m["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["account"].as_str().unwrap())
        .collect();
    assert!(
        named.contains(&a.as_str()) && !named.contains(&b.as_str()),
        "{named:?}"
    );
    let (code, _) = w.handle(&sweep_event());
    assert_eq!(code, 0);
    assert!(w.alerts().await.is_empty(), "nothing changed, nothing said");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_arguments_exit_2_with_one_line() {
    let w = World::new().await;
    for args in [
        vec!["reconcile", "--account", "12"],
        vec!["reconcile", "--region", "ap-south-1"],
        vec!["reconcile", "--format", "xml"],
        vec!["reconcile", "--concurrency", "0"],
        vec!["status", "--account", "abc"],
    ] {
        let run = w.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(
            run.stderr.trim().lines().count(),
            1,
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_at_its_deadline_starts_nothing_and_queues_the_rest() {
    use runas_guard::{
        domain::config::Settings, domain::deadline, domain::policy::Policy,
        domain::trigger::classify, flow::reactor::Reactor,
    };
    let w = World::new().await;
    let accounts = [
        w.create_account("a", None).await,
        w.create_account("b", None).await,
    ];
    let queue = w.create_queue("sweep").await;
    let settings = Settings {
        table: w.table.clone(),
        topic_arn: w.topic_arn.clone(),
        chat_topic_arn: None,
        sweep_queue_url: Some(queue.clone()),
        fanout_threshold: 200,
        concurrency: 4,
        max_in_flight: runas_guard::domain::config::DEFAULT_MAX_IN_FLIGHT,
        claim_lease: runas_guard::domain::config::DEFAULT_CLAIM_LEASE,
        member_stack_set: runas_guard::domain::trigger::MEMBER_STACK_SET.into(),
        stackset_admin: None,
        pending_window: runas_guard::domain::config::DEFAULT_PENDING_WINDOW,
        pending_delays: runas_guard::domain::config::DEFAULT_PENDING_DELAYS.to_vec(),
    };
    let reactor = Reactor::new(&w.cfg, Policy::load(&w.policy).unwrap(), settings);
    let event = sweep_event();
    // The invocation has less time left than one account needs.
    let soon = tokio::time::Instant::now() + deadline::MARGIN / 2;
    let out = deadline::within(soon, reactor.handle(classify(&event).unwrap())).await;
    let out = serde_json::to_value(&out).unwrap();
    assert_eq!(out["result"], "done", "{out:#}");
    assert_eq!(
        out["unreached"].as_array().unwrap().len(),
        3,
        "two members and the management account: {out:#}"
    );
    let reason = out["reason"].as_str().unwrap();
    assert!(
        reason.contains("3 account(s) not reached before the deadline: queued as sweep"),
        "{reason}"
    );
    for a in &accounts {
        assert!(
            w.document(a, "us-east-1").await.is_none(),
            "nothing started"
        );
    }
    let queued: Vec<Value> = w
        .drain(&queue)
        .await
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap()).unwrap())
        .collect();
    assert_eq!(queued.len(), 3);
    let rest = format!("{}-rest", event["id"].as_str().unwrap());
    assert!(
        queued.iter().all(|m| m["sweep_id"] == rest.as_str()),
        "{queued:?}"
    );

    // The queued remainder is a sweep of its own, with its own summary.
    let bodies: Vec<String> = queued.iter().map(Value::to_string).collect();
    let (code, out) = w.handle(&sqs_batch(&bodies));
    assert_eq!(code, 0, "{out:#}");
    for a in &accounts {
        assert_eq!(
            run_as(&w.document(a, "us-east-1").await.unwrap().0).1,
            json!("ssm-ops")
        );
    }
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["message"]["kind"], "sweep_summary");
    assert_eq!(alerts[0]["message"]["trigger_id"], rest.as_str());
}
