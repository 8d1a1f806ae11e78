//! An account leaving governance is told once: moved into an `[exempt] ous`
//! OU or out of the `[scope]` (by its `MoveAccount` event, or found by a
//! sweep when no event came), or dropped by a policy change (one summary
//! for the change). Whoever finds it first tells it: the sweep after the
//! event, a duplicate delivery and a second event of the same move stay
//! silent. A move between two governed OUs tells nothing of the kind, and
//! `status` keeps the departure (when, how, who, what stays) after the
//! account's items are gone.

use crate::common;

use aws_sdk_dynamodb::types::AttributeValue::S;
use common::*;
use serde_json::{json, Value};

/// Root > Workloads > {Prod, Other, Lock (exempt)}; Root > Sandbox (out of scope).
struct Tree {
    prod: String,
    other: String,
    lock: String,
    sandbox: String,
    workloads: String,
}

async fn tree(w: &World) -> Tree {
    let workloads = w.create_ou(&w.root, "Workloads").await;
    Tree {
        prod: w.create_ou(&workloads, "Prod").await,
        other: w.create_ou(&workloads, "Other").await,
        lock: w.create_ou(&workloads, "Lock").await,
        sandbox: w.create_ou(&w.root, "Sandbox").await,
        workloads,
    }
}

fn policy(w: &World, t: &Tree, exempt_ous: &[&str]) {
    let exempt: Vec<String> = exempt_ous.iter().map(|o| format!("\"{o}\"")).collect();
    w.write_policy_raw(&format!(
        "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\", \"eu-west-1\"]\n\
         [scope]\nous = [\"{}\"]\n[default]\nrun_as_user = \"ssm-ops\"\n[exempt]\nous = [{}]\n",
        t.workloads,
        exempt.join(", ")
    ));
}

fn left<'a>(alerts: &'a [Value], account: &str) -> Vec<&'a Value> {
    of_kind(alerts, "account_left_governance")
        .into_iter()
        .filter(|a| a["message"]["account"] == account)
        .collect()
}

fn sweep(w: &World) {
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
}

/// Moves `account` in Organizations, then hands runas-guard its event.
async fn moved(w: &World, account: &str, from: &str, to: &str) -> Value {
    w.move_account(account, from, to).await;
    let event = move_event(account, from, to);
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    event
}

#[tokio::test(flavor = "multi_thread")]
async fn a_move_into_an_exempt_ou_is_told_once_by_its_event_and_never_by_the_sweep_after() {
    let w = World::new().await;
    let t = tree(&w).await;
    let leaving = w.create_account("leaving-1", Some(&t.prod)).await;
    let staying = w.create_account("staying-1", Some(&t.prod)).await;
    policy(&w, &t, &[&t.lock]);
    sweep(&w);
    assert_eq!(
        w.state(&leaving, "us-east-1").await.unwrap()["status"],
        "remediated"
    );
    w.alerts().await;

    let event = moved(&w, &leaving, &t.prod, &t.lock).await;
    let alerts = w.alerts().await;
    let told = left(&alerts, &leaving);
    assert_eq!(told.len(), 1, "{alerts:#?}");
    let m = &told[0]["message"];
    assert_eq!(m["severity"], "warning");
    assert_eq!(
        told[0]["attributes"]["kind"]["Value"],
        "account_left_governance"
    );
    assert_eq!(m["reason"], "exempt_ou");
    assert_eq!(m["cause"], "moved");
    assert_eq!(m["found_by"], "account_moved");
    assert_eq!(m["exempt_ou"], t.lock.as_str());
    assert_eq!(m["from_ou"], t.prod.as_str());
    assert_eq!(m["to_ou"], t.lock.as_str());
    assert_eq!(m["from_path"], "Root/Workloads/Prod");
    assert_eq!(m["to_path"], "Root/Workloads/Lock");
    assert_eq!(m["account_name"], "leaving-1");
    assert!(
        m["actor"]
            .as_str()
            .unwrap()
            .contains("AWSReservedSSO_AdministratorAccess"),
        "{m:#}"
    );
    // What stays: each document as last recorded, said precisely.
    let stays = &m["left_in_place"];
    assert_eq!(stays["documents"].as_array().unwrap().len(), 2, "{stays:#}");
    assert_eq!(stays["documents"][0]["run_as"], "on/ssm-ops");
    assert!(stays["note"]
        .as_str()
        .unwrap()
        .contains("no longer reads or writes"));
    assert!(
        told[0]["subject"]
            .as_str()
            .unwrap()
            .contains("left governance"),
        "{:?}",
        told[0]["subject"]
    );
    // Its rows say excluded; the document is as it was.
    assert_eq!(
        w.state(&leaving, "us-east-1").await.unwrap()["status"],
        "excluded"
    );
    let (doc, _, _) = w.document(&leaving, "us-east-1").await.unwrap();
    assert_eq!(run_as(&doc).1, "ssm-ops");

    // The same event delivered again, another event of the same move, and
    // the sweep after: silent.
    let (code, out) = w.handle(&event);
    assert_eq!(
        (code, out["result"].as_str()),
        (0, Some("duplicate")),
        "{out:#}"
    );
    let (code, _) = w.handle(&move_event(&leaving, &t.prod, &t.lock));
    assert_eq!(code, 0);
    sweep(&w);
    let alerts = w.alerts().await;
    assert!(left(&alerts, &leaving).is_empty(), "{alerts:#?}");
    assert!(
        of_kind(&alerts, "account_left_governance").is_empty(),
        "{alerts:#?}"
    );

    // `status` still says what happened, and when.
    let run = w.run(&["status", "--account", &leaving]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!("left governance {leaving}"))
            && run
                .stdout
                .contains("moved from Root/Workloads/Prod to Root/Workloads/Lock")
            && run
                .stdout
                .contains("left in place: SSM-SessionManagerRunShell"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("excluded"), "{}", run.stdout);

    // The control: a move between two governed OUs tells no departure.
    moved(&w, &staying, &t.prod, &t.other).await;
    sweep(&w);
    let alerts = w.alerts().await;
    assert!(
        of_kind(&alerts, "account_left_governance").is_empty(),
        "{alerts:#?}"
    );
    assert_eq!(
        w.state(&staying, "us-east-1").await.unwrap()["ou_path"],
        "Root/Workloads/Other"
    );

    // Back in a governed OU it is configured as any move is, its departure
    // is no longer on record, and leaving again is told again.
    moved(&w, &leaving, &t.lock, &t.prod).await;
    let alerts = w.alerts().await;
    assert!(left(&alerts, &leaving).is_empty(), "{alerts:#?}");
    let run = w.run(&["status", "--account", &leaving]);
    assert!(!run.stdout.contains("left governance"), "{}", run.stdout);
    moved(&w, &leaving, &t.prod, &t.lock).await;
    assert_eq!(left(&w.alerts().await, &leaving).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_move_out_of_scope_is_told_once_even_by_concurrent_events_and_status_keeps_it() {
    let w = World::new().await;
    let t = tree(&w).await;
    let out = w.create_account("out-1", Some(&t.prod)).await;
    policy(&w, &t, &[&t.lock]);
    sweep(&w);
    w.alerts().await;

    // Two events for the one move (a retried API call), handled at once.
    w.move_account(&out, &t.prod, &t.sandbox).await;
    let runs: Vec<_> = (0..2)
        .map(|_| w.handle_in_background(&move_event(&out, &t.prod, &t.sandbox)))
        .collect();
    for r in runs {
        let run = r.join().unwrap();
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        assert!(run.stdout.contains("out of scope"), "{}", run.stdout);
    }
    let alerts = w.alerts().await;
    let told = left(&alerts, &out);
    assert_eq!(told.len(), 1, "{alerts:#?}");
    let m = &told[0]["message"];
    assert_eq!(m["reason"], "out_of_scope");
    assert_eq!(m["to_path"], "Root/Sandbox");
    assert!(m["left_in_place"]["note"]
        .as_str()
        .unwrap()
        .contains("go at the next sweep"));

    // The sweep after removes its items (it is outside the scope) and says
    // nothing more; the departure stays on record.
    sweep(&w);
    let alerts = w.alerts().await;
    assert!(
        of_kind(&alerts, "account_left_governance").is_empty(),
        "{alerts:#?}"
    );
    assert!(w.state(&out, "us-east-1").await.is_none());
    let run = w.run(&["status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!("left governance {out}"))
            && run.stdout.contains("outside the policy's [scope]"),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_tells_a_move_no_event_brought_and_one_summary_for_a_policy_change() {
    let w = World::new().await;
    let t = tree(&w).await;
    let unseen = w.create_account("unseen-1", Some(&t.prod)).await;
    let dropped: Vec<String> = vec![
        w.create_account("other-1", Some(&t.other)).await,
        w.create_account("other-2", Some(&t.other)).await,
        w.create_account("other-3", Some(&t.other)).await,
    ];
    let kept = w.create_account("prod-2", Some(&t.prod)).await;
    policy(&w, &t, &[&t.lock]);
    sweep(&w);
    w.alerts().await;

    // A move whose event never came, found by the sweep: its own alert.
    w.move_account(&unseen, &t.prod, &t.lock).await;
    // A policy change that exempts a whole OU: one summary, not one alert
    // per account (nor per account-region).
    policy(&w, &t, &[&t.lock, &t.other]);
    sweep(&w);
    let alerts = w.alerts().await;
    let all = of_kind(&alerts, "account_left_governance");
    assert_eq!(all.len(), 2, "{alerts:#?}");
    let found = left(&alerts, &unseen);
    assert_eq!(found.len(), 1, "{alerts:#?}");
    let m = &found[0]["message"];
    assert_eq!(
        (m["found_by"].as_str(), m["cause"].as_str()),
        (Some("sweep"), Some("moved"))
    );
    assert_eq!(m["from_path"], "Root/Workloads/Prod");
    assert_eq!(m["to_path"], "Root/Workloads/Lock");
    assert!(m["actor"].is_null());
    let summary = all
        .iter()
        .find(|a| a["message"]["accounts"].is_array())
        .unwrap();
    let s = &summary["message"];
    assert_eq!(s["accounts_left"], 3, "{s:#}");
    assert_eq!(s["cause"], "policy_changed");
    let named: Vec<&str> = s["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["account"].as_str().unwrap())
        .collect();
    let mut want: Vec<&str> = dropped.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(named, want);
    assert!(s["accounts"][0]["reason"] == "exempt_ou", "{s:#}");
    assert!(!s.to_string().contains(&kept));

    // The next sweep: nothing of the kind again.
    sweep(&w);
    let alerts = w.alerts().await;
    assert!(
        of_kind(&alerts, "account_left_governance").is_empty(),
        "{alerts:#?}"
    );
    let run = w.run(&["status"]);
    for a in dropped.iter().chain([&unseen]) {
        assert!(
            run.stdout.contains(&format!("left governance {a}")),
            "{}",
            run.stdout
        );
    }
    assert!(
        run.stdout
            .contains("the policy changed (still in Root/Workloads/Other)"),
        "{}",
        run.stdout
    );
}

/// A sweep lists the departures on record and clears only those: a first
/// sweep clears none, an account a sweep finds back in scope has its mark
/// cleared (so its next departure is told), and a mark written before marks
/// were listed (an older release's) never silences a departure.
#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_clears_only_the_departure_marks_on_record() {
    let mut w = World::new().await;
    let t = tree(&w).await;
    let back = w.create_account("prod-1", Some(&t.prod)).await;
    let legacy = w.create_account("prod-2", Some(&t.prod)).await;
    policy(&w, &t, &[&t.lock]);
    let proxy = w.behind_proxy();
    let cleared = || {
        json!([{"name": "cleared", "service": "dynamodb", "action": "DeleteItem",
                "contains": "GOVERNANCE", "effect": "count"}])
    };
    let count = |p: &common::proxy::Proxy| p.hits()["cleared"]["hits"].as_u64().unwrap_or(0);
    proxy.faults(cleared());
    sweep(&w);
    assert_eq!(count(&proxy), 0, "a first sweep has no departure to clear");
    w.alerts().await;

    // Leaves and comes back with no event: each sweep finds it.
    w.move_account(&back, &t.prod, &t.lock).await;
    sweep(&w);
    assert_eq!(left(&w.alerts().await, &back).len(), 1);
    w.move_account(&back, &t.lock, &t.prod).await;
    proxy.faults(cleared());
    sweep(&w);
    assert_eq!(
        count(&proxy),
        1,
        "its own mark, no other: {:#}",
        proxy.hits()
    );
    let run = w.run(&["status", "--account", &back]);
    assert!(!run.stdout.contains("left governance"), "{}", run.stdout);
    w.move_account(&back, &t.prod, &t.lock).await;
    sweep(&w);
    assert_eq!(left(&w.alerts().await, &back).len(), 1, "told again");

    // An older release's mark, left behind when the account came back: no
    // sweep lists it, and the account's next departure is told all the same.
    aws_sdk_dynamodb::Client::new(&w.cfg)
        .put_item()
        .table_name(&w.table)
        .item("pk", S(format!("ACCOUNT#{legacy}")))
        .item("sk", S("GOVERNANCE".into()))
        .item("account", S(legacy.clone()))
        .item("trigger_id", S("an-older-sweep".into()))
        .item("left_at", S("2026-01-01T00:00:00Z".into()))
        .send()
        .await
        .unwrap();
    w.move_account(&legacy, &t.prod, &t.lock).await;
    sweep(&w);
    assert_eq!(left(&w.alerts().await, &legacy).len(), 1);
}

/// An account back in a governed OU whose move's event never came: its
/// rows still say it left. The sweep that finds it puts back the root an
/// admin set there after the move and tells it (a drift of its own, found
/// by the sweep, with the version it replaced), not only in its summary's
/// count; the region found right says nothing. The admin's edit event,
/// delivered after, names the editor once, and the next sweep is quiet.
#[tokio::test(flavor = "multi_thread")]
async fn a_return_no_event_brought_tells_the_root_the_sweep_puts_back_and_names_its_editor() {
    let w = World::new().await;
    let t = tree(&w).await;
    let account = w.create_account("returning-1", Some(&t.prod)).await;
    policy(&w, &t, &[&t.lock]);
    sweep(&w);
    moved(&w, &account, &t.prod, &t.lock).await;
    assert_eq!(
        w.state(&account, "us-east-1").await.unwrap()["status"],
        "excluded"
    );
    w.alerts().await;

    // Back in Prod, its event lost; then an admin sets root in us-east-1.
    w.move_account(&account, &t.lock, &t.prod).await;
    let root = w.console_edit(&account, "us-east-1", "root").await;
    // Its events, stamped now (CloudTrail's eventTime), delivered later.
    let late: Vec<Value> = ["UpdateDocument", "UpdateDocumentDefaultVersion"]
        .into_iter()
        .map(|name| making(doc_event(name, &account, "us-east-1", "Admin"), &root))
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    sweep(&w);
    let alerts = w.alerts().await;
    let mine: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["message"]["account"] == account.as_str())
        .collect();
    assert_eq!(mine.len(), 1, "{alerts:#?}");
    let m = &mine[0]["message"];
    assert_eq!(mine[0]["attributes"]["kind"]["Value"], "drift_reverted");
    assert_eq!(
        (m["region"].as_str(), m["found_by"].as_str()),
        (Some("us-east-1"), Some("sweep")),
        "{m:#}"
    );
    assert_eq!(m["before"]["runAsDefaultUser"], "root", "{m:#}");
    assert_eq!(m["versions_before"]["default"], root.as_str(), "{m:#}");
    let (doc, _, _) = w.document(&account, "us-east-1").await.unwrap();
    assert_eq!(run_as(&doc).1, "ssm-ops");
    let status = w.state(&account, "eu-west-1").await.unwrap()["status"].clone();
    assert_ne!(
        status, "excluded",
        "the region found right is governed again"
    );

    // The admin's events, delivered late: the editor named once.
    for e in &late {
        let (code, out) = w.handle(e);
        assert_eq!(code, 0, "{out:#}");
    }
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let named = &alerts[0]["message"];
    assert!(
        named["actor"]
            .as_str()
            .is_some_and(|a| a.ends_with(":role/Admin")),
        "{named:#}"
    );

    // The next sweep: nothing about the account.
    sweep(&w);
    let alerts = w.alerts().await;
    assert!(
        alerts
            .iter()
            .all(|a| a["message"]["account"] != account.as_str()),
        "{alerts:#?}"
    );
}

/// A move back whose event arrives: the root an admin set while the account
/// was exempt is put back and told as drift found by the move (the version
/// it replaced named), not only as the account's configuration; the region
/// found right says nothing, and the move's event again is a duplicate.
#[tokio::test(flavor = "multi_thread")]
async fn a_move_back_tells_the_root_set_while_exempt_as_drift_found_by_the_move() {
    let w = World::new().await;
    let t = tree(&w).await;
    let account = w.create_account("back-1", Some(&t.prod)).await;
    policy(&w, &t, &[&t.lock]);
    sweep(&w);
    moved(&w, &account, &t.prod, &t.lock).await;
    let root = w.console_edit(&account, "us-east-1", "root").await;
    w.alerts().await;

    let event = moved(&w, &account, &t.lock, &t.prod).await;
    let alerts = w.alerts().await;
    let drift = of_kind(&alerts, "drift_reverted");
    assert_eq!(drift.len(), 1, "{alerts:#?}");
    let m = &drift[0]["message"];
    assert_eq!(
        (m["region"].as_str(), m["found_by"].as_str()),
        (Some("us-east-1"), Some("account_moved")),
        "{m:#}"
    );
    assert_eq!(m["before"]["runAsDefaultUser"], "root", "{m:#}");
    assert_eq!(m["versions_before"]["default"], root.as_str(), "{m:#}");
    assert!(
        of_kind(&alerts, "account_configured").is_empty(),
        "{alerts:#?}"
    );
    assert_eq!(
        alerts.len(),
        1,
        "nothing of the region found right: {alerts:#?}"
    );
    let (doc, _, _) = w.document(&account, "us-east-1").await.unwrap();
    assert_eq!(run_as(&doc).1, "ssm-ops");
    let (code, out) = w.handle(&event);
    assert_eq!(
        (code, out["result"].as_str()),
        (0, Some("duplicate")),
        "{out:#}"
    );
    assert!(w.alerts().await.is_empty());
}
