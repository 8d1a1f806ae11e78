//! A sweep that checks itself: one that governs no account while accounts
//! in scope should be governed, or fewer than half of the last sweep's
//! under the same policy, sends one `sweep_degraded` and exits 1; a normal
//! sweep, one after a policy change that drops accounts and one whose drop
//! the accounts that left governance explain send none.

use crate::common;

use common::proxy::*;
use common::*;
use serde_json::{json, Value};

fn sweep(w: &World) -> (i32, Value, String) {
    let run = w.run(&["sweep", "--format", "json"]);
    (run.code, run.json(), run.stderr)
}

fn degraded(alerts: &[Value]) -> Vec<&Value> {
    of_kind(alerts, "sweep_degraded")
}

/// An organization of `n` member accounts (and moto's management account).
async fn organization(n: usize) -> (World, Proxy, Vec<String>) {
    let mut w = World::new().await;
    let proxy = w.behind_proxy();
    let mut accounts = vec![];
    for i in 0..n {
        accounts.push(w.create_account(&format!("m{i}"), None).await);
    }
    (w, proxy, accounts)
}

async fn last_sweep(w: &World) -> std::collections::HashMap<String, String> {
    w.items()
        .await
        .into_iter()
        .find(|i| i["pk"] == "SWEEPS" && i["sk"] == "LAST")
        .expect("the sweep recorded itself")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_standing_unreadable_exits_1_with_one_sweep_degraded() {
    let (w, proxy, accounts) = organization(3).await;
    proxy.faults(
        json!([{"name": "blank", "service": "organizations", "effect": "rewrite",
        "drop": ["Status", "State"]}]),
    );

    let (code, out, stderr) = sweep(&w);
    assert_eq!(code, 1, "{stderr}\n{out:#}");
    assert!(stderr.contains("DEGRADED"), "{stderr}");
    assert!(proxy.hits()["blank"]["changed"].as_u64().unwrap() > 0);
    assert_eq!(out["degraded"]["why"], "none_governed", "{out:#}");
    let alerts = w.alerts().await;
    let told = degraded(&alerts);
    assert_eq!(told.len(), 1, "{alerts:#?}");
    let m = &told[0]["message"];
    assert_eq!(m["severity"], "error");
    assert_eq!(told[0]["attributes"]["kind"]["Value"], "sweep_degraded");
    let walked = accounts.len() + 1; // and the management account
    assert_eq!(
        (m["governed"].as_u64(), m["expected"].as_u64()),
        (Some(0), Some(walked as u64)),
        "{m:#}"
    );
    assert_eq!(m["unreadable"], walked, "{m:#}");
    assert!(
        m["said"].as_str().unwrap().contains("governed no account"),
        "{m:#}"
    );
    assert!(
        m["said"]
            .as_str()
            .unwrap()
            .contains("standing in Organizations cannot be read"),
        "{m:#}"
    );
    assert!(
        m["bound"].as_str().unwrap().contains("fewer than half"),
        "{m:#}"
    );
    // Beside it, the error rows' summary.
    assert_eq!(of_kind(&alerts, "sweep_summary").len(), 1);
    assert_eq!(alerts.len(), 2, "{alerts:#?}");

    // What the Lambda does with the schedule's event: the invocation fails.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 1, "{out:#}");
    assert_eq!(
        degraded(&w.alerts().await).len(),
        1,
        "every such sweep says it"
    );

    // Put right: the next sweep governs every account and is quiet.
    proxy.faults(json!([]));
    let (code, out, stderr) = sweep(&w);
    assert_eq!(code, 0, "{stderr}\n{out:#}");
    assert!(out.get("degraded").is_none(), "{out:#}");
    assert!(degraded(&w.alerts().await).is_empty());
    assert_eq!(last_sweep(&w).await["governed"], walked.to_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_that_reaches_no_account_exits_1_with_one_alert() {
    let (mut w, proxy, _) = organization(2).await;
    // Past the window in which a new account is only awaiting its member stack.
    w.set_env("RUNAS_GUARD_PENDING_WINDOW_SECONDS", "1");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    proxy.faults(
        json!([{"name": "refused", "service": "sts", "action": "AssumeRole",
        "status": 403, "code": "AccessDenied", "protocol": "query",
        "message": "User is not authorized to perform: sts:AssumeRole"}]),
    );

    let run = w.run(&["reconcile", "--format", "json"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("DEGRADED"), "{}", run.stderr);
    assert!(proxy.hits()["refused"]["hits"].as_u64().unwrap() > 0);
    let alerts = w.alerts().await;
    let told = degraded(&alerts);
    assert_eq!(told.len(), 1, "{alerts:#?}");
    let m = &told[0]["message"];
    assert_eq!(
        (m["governed"].as_u64(), m["expected"].as_u64()),
        (Some(0), Some(3)),
        "{m:#}"
    );
    assert_eq!(m["unreadable"], 0);
    assert_eq!(m["degraded"], "none_governed");
}

#[tokio::test(flavor = "multi_thread")]
async fn far_fewer_than_the_last_sweep_is_told_once_and_a_normal_sweep_never() {
    let (w, proxy, accounts) = organization(5).await;
    // Normal sweeps: nothing degraded, twice.
    for _ in 0..2 {
        let (code, out, stderr) = sweep(&w);
        assert_eq!(code, 0, "{stderr}\n{out:#}");
        assert!(degraded(&w.alerts().await).is_empty());
    }
    let last = last_sweep(&w).await;
    assert_eq!(last["governed"], "6", "{last:?}");
    assert!(!last["policy"].is_empty());

    // Organizations now calls four of them SUSPENDED (State only): the sweep
    // governs 2 of the 6 it governed, under the same policy.
    let edits: Vec<Value> = accounts[..4]
        .iter()
        .map(|a| json!({"where": {"Id": a}, "set": {"State": "SUSPENDED"}}))
        .collect();
    proxy.faults(
        json!([{"name": "suspended", "service": "organizations", "effect": "rewrite",
        "drop": ["Status"], "edit": edits}]),
    );
    let (code, out, stderr) = sweep(&w);
    assert_eq!(
        code, 1,
        "nothing failed, yet not a quiet success: {stderr}\n{out:#}"
    );
    assert!(
        stderr.contains("DEGRADED") && stderr.contains("fewer than half"),
        "{stderr}"
    );
    assert!(proxy.hits()["suspended"]["changed"].as_u64().unwrap() > 0);
    let alerts = w.alerts().await;
    let told = degraded(&alerts);
    assert_eq!(told.len(), 1, "{alerts:#?}");
    let m = &told[0]["message"];
    assert_eq!(m["degraded"], "far_fewer");
    assert_eq!(
        (m["governed"].as_u64(), m["last_governed"].as_u64()),
        (Some(2), Some(6)),
        "{m:#}"
    );
    let subject = told[0]["subject"].as_str().unwrap();
    assert!(
        subject.contains("governed 2 of 6 accounts (last sweep 6)"),
        "{subject}"
    );

    // Told once: the next sweep compares with this one.
    let (code, out, stderr) = sweep(&w);
    assert_eq!(code, 0, "{stderr}\n{out:#}");
    assert!(degraded(&w.alerts().await).is_empty());
}

/// Issue 51: a reorganisation moves most accounts into an exempt OU under
/// an unchanged policy. Each departure is told on its own
/// (`account_left_governance`), and the drop they explain is no degraded
/// sweep; a later drop beyond what left (accounts Organizations now calls
/// SUSPENDED) still is, naming what left and what was expected.
#[tokio::test(flavor = "multi_thread")]
async fn departures_explain_a_drop_and_a_drop_beyond_them_is_still_told() {
    let (w, proxy, accounts) = organization(9).await;
    let exempt = w.create_ou(&w.root, "Exempt").await;
    w.write_policy(&format!("[exempt]\nous = [\"{exempt}\"]\n"));
    let (code, out, stderr) = sweep(&w);
    assert_eq!(code, 0, "{stderr}\n{out:#}");
    assert_eq!(last_sweep(&w).await["governed"], "10");
    w.alerts().await;

    // Five of the ten move into the exempt OU; no event reaches runas-guard.
    for a in &accounts[..5] {
        w.move_account(a, &w.root, &exempt).await;
    }
    let (code, out, stderr) = sweep(&w);
    assert_eq!(code, 0, "explained by departures: {stderr}\n{out:#}");
    assert!(out.get("degraded").is_none(), "{out:#}");
    let alerts = w.alerts().await;
    assert!(degraded(&alerts).is_empty(), "{alerts:#?}");
    let left = of_kind(&alerts, "account_left_governance");
    assert_eq!(left.len(), 5, "each departure told: {alerts:#?}");
    let last = last_sweep(&w).await;
    assert_eq!(
        (last["governed"].as_str(), last["exempt"].as_str()),
        ("5", "5")
    );

    // One more leaves, and three of those governed are now SUSPENDED:
    // one departure explains one account, not four.
    w.move_account(&accounts[5], &w.root, &exempt).await;
    let edits: Vec<Value> = accounts[6..9]
        .iter()
        .map(|a| json!({"where": {"Id": a}, "set": {"State": "SUSPENDED"}}))
        .collect();
    proxy.faults(
        json!([{"name": "suspended", "service": "organizations", "effect": "rewrite",
        "drop": ["Status"], "edit": edits}]),
    );
    let (code, out, stderr) = sweep(&w);
    assert_eq!(code, 1, "a drop beyond the departures: {stderr}\n{out:#}");
    let alerts = w.alerts().await;
    let told = degraded(&alerts);
    assert_eq!(told.len(), 1, "{alerts:#?}");
    let m = &told[0]["message"];
    assert_eq!(m["degraded"], "far_fewer");
    assert_eq!(
        (
            m["governed"].as_u64(),
            m["last_governed"].as_u64(),
            m["departed"].as_u64()
        ),
        (Some(1), Some(5), Some(1)),
        "{m:#}"
    );
    assert!(
        m["said"]
            .as_str()
            .unwrap()
            .contains("fewer than half of the 4 expected"),
        "{m:#}"
    );
    assert_eq!(of_kind(&alerts, "account_left_governance").len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_policy_change_that_drops_accounts_is_not_degraded() {
    let (w, _proxy, accounts) = organization(5).await;
    let (code, _, stderr) = sweep(&w);
    assert_eq!(code, 0, "{stderr}");
    w.alerts().await;
    // The policy now governs one account: the rest are out of scope.
    w.write_policy(&format!("[scope]\naccounts = [\"{}\"]\n", accounts[0]));
    let (code, out, stderr) = sweep(&w);
    assert_eq!(code, 0, "{stderr}\n{out:#}");
    assert!(out.get("degraded").is_none(), "{out:#}");
    let out_of_scope = out["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["regions"][0]["action"] == "out-of-scope")
        .count();
    assert_eq!(out_of_scope, 5, "{out:#}");
    assert!(degraded(&w.alerts().await).is_empty());
    assert_eq!(last_sweep(&w).await["governed"], "1");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fanned_out_sweep_checks_itself_when_its_last_account_finishes() {
    let (mut w, proxy, _) = world_behind_proxy().await;
    for i in 0..3 {
        w.create_account(&format!("fan-{i}"), None).await;
    }
    let queue = w.create_queue("sweep").await;
    w.set_env("RUNAS_GUARD_SWEEP_QUEUE_URL", &queue);
    w.set_env("RUNAS_GUARD_FANOUT_THRESHOLD", "2");
    proxy.faults(
        json!([{"name": "blank", "service": "organizations", "effect": "rewrite",
        "drop": ["Status", "State"]}]),
    );
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(
        (code, out["result"].as_str()),
        (0, Some("fanned_out")),
        "{out:#}"
    );
    let records = w.sqs_records(&queue).await;
    assert_eq!(records.len(), 5);
    for chunk in records.chunks(10) {
        let (code, out) = w.handle(&json!({"Records": chunk}));
        assert_eq!(code, 0, "{out:#}");
        assert_eq!(
            out["batchItemFailures"],
            json!([]),
            "not redelivered: {out:#}"
        );
    }
    let alerts = w.alerts().await;
    let told = degraded(&alerts);
    assert_eq!(told.len(), 1, "{alerts:#?}");
    assert_eq!(told[0]["message"]["expected"], 5);
    assert_eq!(of_kind(&alerts, "sweep_summary").len(), 1, "{alerts:#?}");
}
