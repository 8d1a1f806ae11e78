//! Concurrent writers, lost answers and out-of-order events, made to happen
//! at the fault proxy (a held request, a peer's write between two of our
//! calls, an answer lost after AWS did the work), and judged by what an
//! operator sees: versions, document content, alerts, DynamoDB items.

use crate::common;

use common::proxy::*;
use common::*;
use serde_json::{json, Value};

const R: &str = "eu-west-1";

/// Behind the proxy, one account configured by a vend over LZA's document
/// (version 1 LZA's, version 2 ours).
async fn configured() -> (World, Proxy, String) {
    let (w, proxy, account) = world_behind_proxy().await;
    for region in REGIONS {
        w.admin_write(&account, region, &lza_document(&account), true)
            .await;
    }
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    w.alerts().await;
    (w, proxy, account)
}

/// An edit of RunAs and another input, made default (no older version holds it).
async fn edit(w: &World, account: &str, user: &str) -> u32 {
    let mut doc = w.document(account, R).await.unwrap().0;
    doc["inputs"]["runAsDefaultUser"] = json!(user);
    doc["inputs"]["idleSessionTimeout"] = json!(format!("{}", 30 + user.len()));
    w.admin_write(account, R, &doc, true).await.parse().unwrap()
}

/// (default content, default version, latest version), default == latest asserted.
async fn settled(w: &World, account: &str) -> (Value, u32) {
    let (doc, default, latest) = w.document(account, R).await.unwrap();
    assert_eq!(default, latest, "default must be the latest version");
    (doc, latest.parse().unwrap())
}

fn assert_runs_as(doc: &Value, user: &str) {
    assert_eq!(run_as(doc), (json!(true), json!(user)), "{doc:#}");
}

fn hits(proxy: &Proxy, name: &str) -> u64 {
    proxy.hits()[name]["hits"].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_peer_write_between_our_read_and_our_update_is_kept() {
    let (w, proxy, account) = configured().await;
    w.console_edit(&account, R, "mallory").await;
    proxy.faults(
        json!([{"name": "ours", "service": "ssm", "action": "UpdateDocument",
        "effect": "hold", "times": 1}]),
    );
    let run = w.handle_in_background(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert!(
        proxy.wait("ours", "held", 1, 60),
        "our UpdateDocument never came"
    );
    // LZA's pipeline writes new logging settings while ours is in flight.
    let lza = w.lza_write(&account, R, "lza/after-our-read").await;
    proxy.release("ours");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);

    let (doc, version) = settled(&w, &account).await;
    assert_runs_as(&doc, "ssm-ops");
    assert_eq!(
        doc["inputs"]["s3KeyPrefix"], "lza/after-our-read",
        "LZA's write survives: ours was merged on top of it"
    );
    assert_eq!(version, lza.parse::<u32>().unwrap() + 1);
    assert_eq!(w.alert_kinds().await, ["drift_reverted"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_console_edit_handled_twice_at_once_is_one_version_and_one_alert() {
    let (w, proxy, account) = configured().await;
    let edited = w.console_edit(&account, R, "mallory").await;
    proxy.faults(json!([
        {"name": "first", "service": "ssm", "action": "UpdateDocument", "effect": "hold", "times": 1},
        {"name": "lease", "service": "dynamodb", "contains": "lease_owner", "effect": "count"}
    ]));
    // The console's two calls arrive as two events, handled at the same time.
    let a = w.handle_in_background(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert!(proxy.wait("first", "held", 1, 60), "first run never wrote");
    let b = w.handle_in_background(&doc_event(
        "UpdateDocumentDefaultVersion",
        &account,
        R,
        "Admin",
    ));
    // Let the second run reach the account-region while the first is mid-write.
    proxy.wait("lease", "seen", 2, 15);
    proxy.release("first");
    for run in [a.join().unwrap(), b.join().unwrap()] {
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    }
    let (doc, version) = settled(&w, &account).await;
    assert_runs_as(&doc, "ssm-ops");
    assert_eq!(
        version,
        edited.parse::<u32>().unwrap() + 1,
        "one corrective version"
    );
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["message"]["kind"], "drift_reverted");
    assert!(hits(&proxy, "first") == 1 && proxy.hits()["lease"]["seen"].as_u64() >= Some(2));
    // What an operator reads: the run that waited and found it fixed keeps
    // the revert's record.
    let state = w.state(&account, R).await.unwrap();
    assert_eq!(
        (state["status"].as_str(), state["last_action"].as_str()),
        ("reverted", "updated"),
        "{state:#?}"
    );

    // A second edit within the hour is the second revert, not tampering.
    proxy.faults(json!([]));
    w.console_edit(&account, R, "mallory2").await;
    for name in ["UpdateDocument", "UpdateDocumentDefaultVersion"] {
        assert_eq!(w.handle(&doc_event(name, &account, R, "Admin")).0, 0);
    }
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let m = &alerts[0]["message"];
    assert_eq!(
        (m["kind"].as_str(), m["reverts_last_hour"].as_u64()),
        (Some("drift_reverted"), Some(2))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_answer_to_the_claim_does_not_block_the_event() {
    let (w, proxy, account) = world_behind_proxy().await;
    proxy.faults(
        json!([{"name": "claim", "service": "dynamodb", "contains": "in_progress",
        "effect": "lose", "times": 1}]),
    );
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(hits(&proxy, "claim"), 1, "the claim's answer was lost");
    assert_eq!((code, out["result"].as_str()), (0, Some("done")), "{out:#}");
    for region in REGIONS {
        assert_runs_as(&w.document(&account, region).await.unwrap().0, "ssm-ops");
    }
    assert_eq!(w.alert_kinds().await, ["account_configured"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_whose_release_failed_is_taken_by_the_next_delivery() {
    let (mut w, proxy, account) = world_behind_proxy().await;
    w.set_env("RUNAS_GUARD_CLAIM_LEASE_SECONDS", "2");
    proxy.faults(json!([
        {"service": "ssm", "region": R, "action": "CreateDocument", "code": "AccessDeniedException"},
        {"name": "release", "service": "dynamodb", "action": "UpdateItem", "contains": "lease_until = :zero",
         "code": "AccessDeniedException"},
        {"name": "release-by-delete", "service": "dynamodb", "action": "DeleteItem", "contains": "EVENT#",
         "code": "AccessDeniedException"}
    ]));
    let event = vend_event(&account);
    let (code, _) = w.handle(&event);
    assert_eq!(code, 1);
    assert!(
        hits(&proxy, "release") + hits(&proxy, "release-by-delete") >= 1,
        "{}",
        proxy.hits()
    );
    proxy.faults(json!([]));
    std::thread::sleep(std::time::Duration::from_secs(3));
    let (code, out) = w.handle(&event);
    assert_eq!((code, out["result"].as_str()), (0, Some("done")), "{out:#}");
    assert_runs_as(&w.document(&account, R).await.unwrap().0, "ssm-ops");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_answer_to_our_update_is_one_version_not_two() {
    let (w, proxy, account) = configured().await;
    let edited = edit(&w, &account, "mallory").await;
    proxy.faults(
        json!([{"name": "lost", "service": "ssm", "action": "UpdateDocument",
        "effect": "lose", "times": 1}]),
    );
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(hits(&proxy, "lost"), 1);
    let (doc, version) = settled(&w, &account).await;
    assert_runs_as(&doc, "ssm-ops");
    assert_eq!(
        version,
        edited + 1,
        "the landed write is adopted, not repeated"
    );
    assert_eq!(w.alert_kinds().await, ["drift_reverted"]);
}

/// A failure after the document was fixed must not lose the drift alert,
/// nor turn it into `remediation_failed`. `fault` is named "fault"; it must fire.
async fn the_drift_alert_survives(fault: Value) {
    let (w, proxy, account) = configured().await;
    edit(&w, &account, "mallory").await;
    // CloudTrail delivers the edit's event seconds later: the vend's lease is
    // long released (a run that starts within a second of a release reads twice).
    std::thread::sleep(std::time::Duration::from_millis(1500));
    proxy.faults(json!([fault]));
    let event = doc_event("UpdateDocument", &account, R, "Admin");
    let (first, out) = w.handle(&event);
    assert!(
        hits(&proxy, "fault") >= 1,
        "the fault fired: {}",
        proxy.hits()
    );
    assert_runs_as(&settled(&w, &account).await.0, "ssm-ops");
    proxy.faults(json!([]));
    if first != 0 {
        let (code, out) = w.handle(&event);
        assert_eq!(code, 0, "the redelivery finishes: {out:#}");
    }
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "first run: {out:#}\nalerts: {alerts:#?}");
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "drift_reverted");
    assert_eq!(m["before"]["runAsDefaultUser"], "mallory");
    assert_eq!(m["actor"], format!("arn:aws:iam::{account}:role/Admin"));
    assert!(m["alert_id"].as_str().is_some_and(|id| !id.is_empty()));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_drift_alert_survives_a_failed_state_write() {
    the_drift_alert_survives(
        json!({"name": "fault", "service": "dynamodb", "contains": "last_trigger_id",
        "code": "AccessDeniedException"}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_drift_alert_survives_a_failed_tamper_count() {
    // The revert's record is the write that counts it (`reverts_at`).
    the_drift_alert_survives(
        json!({"name": "fault", "service": "dynamodb", "action": "UpdateItem",
        "contains": "reverts_at", "code": "AccessDeniedException"}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_drift_alert_survives_a_failed_history_row_after_the_write() {
    // Nothing reads the document after the write any more; the history row
    // is what follows it.
    the_drift_alert_survives(
        json!({"name": "fault", "service": "dynamodb", "action": "BatchWriteItem",
        "contains": "HISTORY#", "code": "AccessDeniedException"}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_answer_to_a_history_row_counts_once() {
    let (w, proxy, account) = configured().await;
    edit(&w, &account, "mallory").await;
    proxy.faults(
        json!([{"name": "history", "service": "dynamodb", "action": "BatchWriteItem",
        "contains": "HISTORY#", "effect": "lose", "times": 1}]),
    );
    let event = doc_event("UpdateDocument", &account, R, "Admin");
    assert_eq!(w.handle(&event).0, 0);
    assert_eq!(hits(&proxy, "history"), 1);
    let rows: Vec<_> = w
        .history(&account)
        .await
        .into_iter()
        .filter(|h| h["trigger_id"] == event["id"].as_str().unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0]["status"], "reverted");
}

#[tokio::test(flavor = "multi_thread")]
async fn moves_delivered_out_of_order_enforce_the_current_ou() {
    let w = World::new().await;
    let alpha = w.create_ou(&w.root, "Alpha").await;
    let beta = w.create_ou(&w.root, "Beta").await;
    w.write_policy(&format!(
        "[[ou]]\nid = \"{alpha}\"\nrun_as_user = \"alpha\"\n[[ou]]\nid = \"{beta}\"\nrun_as_user = \"beta\"\n"
    ));
    let account = w.create_account("mover", None).await;
    w.move_account(&account, &w.root, &alpha).await;
    w.move_account(&account, &alpha, &beta).await;
    // The later move's event arrives first; the earlier one last.
    for event in [
        move_event(&account, &alpha, &beta),
        move_event(&account, &w.root, &alpha),
    ] {
        let (code, out) = w.handle(&event);
        assert_eq!(code, 0, "{out:#}");
    }
    for region in REGIONS {
        assert_runs_as(&w.document(&account, region).await.unwrap().0, "beta");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_warm_function_sees_a_move_made_after_its_last_event() {
    use runas_guard::{
        domain::config::Settings, domain::policy::Policy, domain::trigger::classify,
        flow::reactor::Reactor,
    };
    let w = World::new().await;
    let beta = w.create_ou(&w.root, "Beta").await;
    w.write_policy(&format!(
        "[[ou]]\nid = \"{beta}\"\nrun_as_user = \"beta\"\n"
    ));
    let account = w.create_account("warm", None).await;
    // One process handles every event, as a warm Lambda does.
    let settings = Settings {
        table: w.table.clone(),
        topic_arn: w.topic_arn.clone(),
        chat_topic_arn: None,
        sweep_queue_url: None,
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
    let out = reactor
        .handle(classify(&vend_event(&account)).unwrap())
        .await;
    assert_eq!(serde_json::to_value(&out).unwrap()["result"], "done");
    assert_runs_as(&w.document(&account, R).await.unwrap().0, "ssm-ops");

    w.move_account(&account, &w.root, &beta).await;
    let mut doc = w.document(&account, R).await.unwrap().0;
    doc["inputs"]["idleSessionTimeout"] = json!("45");
    w.admin_write(&account, R, &doc, true).await;
    let out = reactor
        .handle(classify(&doc_event("UpdateDocument", &account, R, "Admin")).unwrap())
        .await;
    let out = serde_json::to_value(&out).unwrap();
    assert_eq!(out["accounts"][0]["desired_user"], "beta", "{out:#}");
    assert_runs_as(&settled(&w, &account).await.0, "beta");
}

/// Drift in both regions of two accounts and the hub (no documents yet).
async fn org_with_drift() -> (World, Proxy, Vec<String>) {
    let (w, proxy, a) = world_behind_proxy().await;
    let b = w.create_account("second", None).await;
    (w, proxy, vec![a, b])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_sns_refuses_still_finishes_reports_and_delivers_later() {
    let (w, proxy, accounts) = org_with_drift().await;
    proxy.faults(
        json!([{"service": "sns", "action": "Publish", "status": 403,
        "code": "AuthorizationError", "protocol": "query"}]),
    );
    let run = w.run(&["reconcile", "--format", "json"]);
    assert_eq!(run.code, 1, "not everything was delivered: {}", run.stderr);
    assert!(run.stderr.contains("not delivered"), "{}", run.stderr);
    let report = run.json();
    assert_eq!(
        report["totals"]["created"], 6,
        "3 accounts x 2 regions fixed and reported: {report:#}"
    );
    assert_eq!(
        report["alerts"]["kept"], 1,
        "the sweep's one summary is kept"
    );
    for a in &accounts {
        assert_runs_as(&w.document(a, R).await.unwrap().0, "ssm-ops");
    }
    assert!(w.alerts().await.is_empty());

    proxy.faults(json!([]));
    let run = w.run(&["reconcile", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["totals"]["none"], 6, "nothing left to fix");
    let alerts = w.alerts().await;
    assert_eq!(
        alerts.len(),
        1,
        "the kept summary, delivered by the next sweep: {alerts:#?}"
    );
    assert_eq!(alerts[0]["message"]["kind"], "sweep_summary");
    assert_eq!(alerts[0]["message"]["fixed"], 6);
    assert!(w.alerts().await.is_empty());
    let run = w.run(&["reconcile", "--format", "json"]);
    assert_eq!(run.code, 0);
    assert!(
        w.alerts().await.is_empty(),
        "delivered once, then gone from the outbox"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fanned_out_sweep_keeps_its_summary_when_sns_refuses() {
    let (mut w, proxy, accounts) = org_with_drift().await;
    let queue = w.create_queue("sweep").await;
    w.sweep_fanned_out(&queue);

    proxy.faults(
        json!([{"service": "sns", "action": "Publish", "status": 403,
        "code": "AuthorizationError", "protocol": "query"}]),
    );
    let bodies: Vec<String> = w
        .drain(&queue)
        .await
        .iter()
        .map(|m| m.body().unwrap().to_string())
        .collect();
    assert_eq!(bodies.len(), 3);
    let (code, out) = w.handle(&sqs_batch(&bodies));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        out["batchItemFailures"],
        json!([]),
        "every account was reconciled: {out:#}"
    );
    for a in &accounts {
        assert_runs_as(&w.document(a, R).await.unwrap().0, "ssm-ops");
    }
    assert!(w.alerts().await.is_empty());

    proxy.faults(json!([]));
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    assert_eq!(
        alerts.len(),
        1,
        "the fanned-out sweep's one summary, from the outbox: {alerts:#?}"
    );
    assert_eq!(alerts[0]["message"]["kind"], "sweep_summary");
    assert_eq!(alerts[0]["message"]["accounts"], 3);
    assert_eq!(alerts[0]["message"]["fixed"], 6);
}

/// Another live run holds eu-west-1's write lease (planted on the state
/// item, as that run's take leaves it) while this run, reconciling every
/// region, has just taken us-east-1's: it leaves eu-west-1 to the holder
/// after a short wait instead of waiting 90 s and failing (two such runs
/// would each wait for the other). Nothing of the holder's is overwritten.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_holding_one_region_leaves_a_region_another_run_holds_to_it() {
    let w = World::new().await;
    let account = w.create_account("contended", None).await;
    for region in REGIONS {
        w.admin_write(&account, region, &lza_document(&account), true)
            .await;
    }
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 120_000;
    let s = |v: &str| aws_sdk_dynamodb::types::AttributeValue::S(v.into());
    aws_sdk_dynamodb::Client::new(&w.cfg)
        .put_item()
        .table_name(&w.table)
        .item("pk", s(&format!("ACCOUNT#{account}")))
        .item("sk", s(&format!("REGION#{R}")))
        .item("lease_owner", s("another-run"))
        .item(
            "lease_until",
            aws_sdk_dynamodb::types::AttributeValue::N(until.to_string()),
        )
        .send()
        .await
        .unwrap();

    let started = std::time::Instant::now();
    let (code, out) = w.handle(&stack_landed(&account, "us-east-1", "instance-1"));
    assert_eq!(code, 0, "{out:#}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "deferred, not waited out: {:?}",
        started.elapsed()
    );
    let action = |region: &str| {
        out["accounts"][0]["regions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["region"] == region)
            .map(|r| r["action"].clone())
    };
    assert_eq!(action("us-east-1"), Some(json!("updated")), "{out:#}");
    assert_eq!(action(R), Some(json!("deferred")), "{out:#}");
    let (doc, _, _) = w.document(&account, R).await.unwrap();
    assert_eq!(
        run_as(&doc),
        run_as(&lza_document(&account)),
        "left to the holder"
    );
    let item = w.state(&account, R).await.unwrap();
    assert_eq!(item["lease_owner"], "another-run", "{item:?}");
    assert!(!item.contains_key("status"), "not recorded by us: {item:?}");
    let alerts = w.alerts().await;
    assert!(
        of_kind(&alerts, "remediation_failed").is_empty(),
        "{alerts:#?}"
    );
}

/// A sweep that runs while an edit event's run holds its put-back (the
/// document right again, its intent under a live lease, its alert not yet
/// kept: the outbox's `BatchWriteItem` held) records nothing there: its
/// record of the new default version would be past a version nobody has
/// told, lost with the event's run if it died then. The event's run keeps
/// its alert, then records (never both at once): one `drift_reverted`.
/// The control: the sweep after is silent.
#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_never_records_past_a_put_back_whose_alert_is_not_kept_yet() {
    let (w, proxy, account) = configured().await;
    let (_, before) = settled(&w, &account).await;
    let edited: u32 = w
        .console_edit(&account, R, "mallory")
        .await
        .parse()
        .unwrap();
    proxy.faults(json!([
        {"name": "keep", "service": "dynamodb", "action": ["BatchWriteItem", "TransactWriteItems"],
         "contains": "drift_reverted", "effect": "hold", "times": 3, "hold_timeout": 120}
    ]));
    let run = w.handle_in_background(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert!(
        proxy.wait("keep", "held", 1, 60),
        "the run never kept its alert"
    );
    let (doc, put_back) = settled(&w, &account).await;
    assert_runs_as(&doc, "ssm-ops");
    assert!(put_back > edited, "put back before its alert is kept");
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let item = w.state(&account, R).await.unwrap();
    assert_eq!(
        item.get("default_version").map(String::as_str),
        Some(before.to_string().as_str()),
        "nothing recorded past the edit while its alert is not kept: {item:#?}"
    );
    proxy.release("keep");
    let done = run.join().unwrap();
    assert_eq!(done.code, 0, "{}\n{}", done.stdout, done.stderr);
    assert!(hits(&proxy, "keep") >= 1, "the keep was held");
    let item = w.state(&account, R).await.unwrap();
    assert_eq!(item["default_version"], put_back.to_string(), "{item:#?}");
    let alerts = w.alerts().await;
    assert_eq!(of_kind(&alerts, "drift_reverted").len(), 1, "{alerts:#?}");
    assert!(of_kind(&alerts, "run_as_window").is_empty(), "{alerts:#?}");
    proxy.faults(json!([]));
    w.sweep_is_silent().await;
}
