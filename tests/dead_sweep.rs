//! A sweep that dies after it decided: its alerts are kept before its
//! records, so a run that dies between the two still ends, on its retry or
//! the next sweep, in exactly the alerts it decided (docs/internals.md,
//! "Guarantees"). The death is made to happen at the fault proxy (a held
//! call, then the process killed), and each test asserts that it fired.

use crate::common;

use std::time::{Duration, Instant};

use common::proxy::*;
use common::*;
use serde_json::json;

const R: &str = "eu-west-1";

fn hits(proxy: &Proxy, name: &str, counter: &str) -> u64 {
    proxy.hits()[name][counter].as_u64().unwrap_or(0)
}

async fn outbox(w: &World) -> Vec<std::collections::HashMap<String, String>> {
    w.items()
        .await
        .into_iter()
        .filter(|i| i.get("pk").map(String::as_str) == Some("OUTBOX"))
        .collect()
}

/// The drift alerts about `account` in `region` among `alerts`.
fn reverted<'a>(alerts: &'a [serde_json::Value], account: &str) -> Vec<&'a serde_json::Value> {
    of_kind(alerts, "drift_reverted")
        .into_iter()
        .filter(|a| a["message"]["account"] == account && a["message"]["region"] == R)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_killed_after_recording_a_put_back_tells_it_once_on_its_retry() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    w.set_env("RUNAS_GUARD_CLAIM_LEASE_SECONDS", "2");
    // An edit whose event never came: only a sweep finds it.
    let edited: u32 = w
        .console_edit(&account, R, "mallory")
        .await
        .parse()
        .unwrap();
    // The put-back's record goes through; the account's last member call
    // (the sessions of the window its alert tells) never comes back.
    proxy.faults(json!([
        {"name": "record", "service": "dynamodb", "action": "UpdateItem",
         "contains": "last_trigger_id", "effect": "count"},
        {"name": "sessions", "service": "ssm", "action": "DescribeSessions",
         "effect": "hold", "hold_timeout": 120}
    ]));
    let event = sweep_event();
    let path = w.write_event(&event);
    let mut run = w
        .command(&["handle", path_str(&path)])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert!(
        proxy.wait("record", "hits", 1, 90) && proxy.wait("sessions", "held", 1, 90),
        "the sweep never recorded its put-back and reached its last member call: {}",
        proxy.hits()
    );
    // Its alerts, if kept, were kept before now: their lease ends within 60 s.
    let decided = Instant::now();
    // The Lambda dies (its deadline, out of memory) after the record.
    run.kill().unwrap();
    run.wait().unwrap();
    assert!(hits(&proxy, "record", "hits") >= 1 && hits(&proxy, "sessions", "held") >= 1);
    drop(proxy);
    w.set_env("AWS_ENDPOINT_URL", &w.moto.url.clone());

    // What the dead run left: the put-back, recorded, and nothing told yet.
    let (fixed, default, latest) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&fixed).1, json!("ssm-ops"), "the put-back landed");
    assert_eq!(default, latest);
    assert_eq!(latest.parse::<u32>().unwrap(), edited + 1);
    let state = w.state(&account, R).await.unwrap();
    assert_eq!(
        state.get("default_version").map(String::as_str),
        Some(latest.as_str()),
        "the put-back was recorded: {state:#?}"
    );
    assert!(!state.contains_key("intent"), "{state:#?}");
    assert!(w.alerts().await.is_empty());
    let kept = outbox(&w).await;
    assert!(
        kept.iter()
            .any(|i| i["alert"].contains("drift_reverted") && i["alert"].contains(&account)),
        "the put-back's alert was kept before its record: {kept:#?}"
    );

    // Lambda's retry of the sweep, once the dead run's outbox lease is over:
    // the document is right and recorded, and the kept alert goes out.
    std::thread::sleep(Duration::from_secs(61).saturating_sub(decided.elapsed()));
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let told = reverted(&alerts, &account);
    assert_eq!(told.len(), 1, "{alerts:#?}");
    assert_eq!(told[0]["message"]["before"]["runAsDefaultUser"], "mallory");
    assert!(outbox(&w).await.is_empty());

    // Control: the next sweep says nothing more about it.
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let alerts = w.alerts().await;
    assert!(reverted(&alerts, &account).is_empty(), "{alerts:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_killed_after_adopting_a_dead_runs_write_tells_it_once() {
    let (mut w, proxy, account) = world_behind_proxy().await;
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    w.alerts().await;
    w.set_env("RUNAS_GUARD_CLAIM_LEASE_SECONDS", "2");
    w.console_edit(&account, R, "mallory").await;
    // An edit event's run dies after its write: its intent stays. Its
    // keep is held past the SDK's patience; a run whose keep fails sends
    // and records nothing (since 0.19.0: the keep writes what it tells on
    // the ledger) and fails: it ends, or dies, having told nothing. The
    // record and SNS are held too, should it get that far.
    proxy.faults(json!([
        {"name": "keep", "service": "dynamodb", "action": ["BatchWriteItem", "TransactWriteItems"], "contains": "OUTBOX",
         "effect": "hold", "hold_timeout": 120},
        {"name": "record", "service": "dynamodb", "action": "UpdateItem", "contains": "last_trigger_id",
         "effect": "hold", "hold_timeout": 120},
        {"name": "publish", "service": "sns", "action": "Publish", "effect": "hold", "hold_timeout": 120}
    ]));
    let event = doc_event("UpdateDocument", &account, R, "Admin");
    let path = w.write_event(&event);
    let mut run = w
        .command(&["handle", path_str(&path)])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert!(
        proxy.wait("keep", "held", 1, 60)
            && (0..600).any(|_| {
                std::thread::sleep(Duration::from_millis(100));
                let ended = run.try_wait().ok().flatten().is_some();
                ended || hits(&proxy, "record", "held") + hits(&proxy, "publish", "held") >= 1
            }),
        "the run never got past its write: {}",
        proxy.hits()
    );
    // Its lease was last taken or renewed before now.
    let written = Instant::now();
    run.kill().unwrap();
    run.wait().unwrap();
    // What the dead run held never arrives (a new proxy for the sweep).
    drop(proxy);
    let proxy = w.behind_proxy();
    assert!(w.state(&account, R).await.unwrap().contains_key("intent"));
    assert!(outbox(&w).await.is_empty());

    // Once its lease ran out, a sweep's record finds the intent and adopts
    // the write; the sweep then dies before delivering (the adoption's
    // history row, the dead edit event's, written after it, never comes
    // back).
    std::thread::sleep(Duration::from_secs(32).saturating_sub(written.elapsed()));
    proxy.faults(json!([
        // The history row of the edit's revert (status `reverted`), not the
        // report's row the keep writes before it (status `told`).
        {"name": "history", "service": "dynamodb", "action": "BatchWriteItem",
         "contains": "\"status\":{\"S\":\"reverted\"}",
         "effect": "hold", "hold_timeout": 120}
    ]));
    let adopted = killed_at_hold(&w, &proxy, &sweep_event(), "history");
    drop(proxy);
    w.set_env("AWS_ENDPOINT_URL", &w.moto.url.clone());
    let state = w.state(&account, R).await.unwrap();
    assert!(!state.contains_key("intent"), "adopted: {state:#?}");
    let early = w.alerts().await;
    assert!(early.is_empty(), "{early:#?}");
    let kept = outbox(&w).await;
    assert!(
        kept.iter()
            .any(|i| i["alert"].contains("drift_reverted") && i["alert"].contains("role/Admin")),
        "the adopted write's alert was kept before its adoption: {kept:#?}"
    );

    // The next sweep, once the dead sweep's outbox lease is over, tells it.
    std::thread::sleep(Duration::from_secs(61).saturating_sub(adopted.elapsed()));
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let alerts = w.alerts().await;
    let told = reverted(&alerts, &account);
    assert_eq!(told.len(), 1, "{alerts:#?}");
    assert_eq!(
        told[0]["message"]["actor"],
        format!("arn:aws:iam::{account}:role/Admin")
    );
    // Control: once.
    assert_eq!(w.handle(&sweep_event()).0, 0);
    assert!(reverted(&w.alerts().await, &account).is_empty());
}

/// A sweep whose record of its put-back failed after its `drift_reverted`
/// went out leaves its intent; the next run to read the slot adopts that
/// write and tells the sweep's own alert again (its `alert_id`: one page),
/// never the version it replaced as a window of its own (0.7.12;
/// simulation seeds 650005, 650031: a dead sweep's write was adopted
/// without an alert, and the adopting run's history told that version a
/// second time).
#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_whose_record_failed_is_adopted_under_its_own_alert() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    w.set_env("RUNAS_GUARD_CLAIM_LEASE_SECONDS", "2");
    // An edit whose event never came: only a sweep finds it.
    w.console_edit(&account, R, "mallory").await;
    proxy.faults(
        json!([{"name": "record", "service": "dynamodb", "action": "UpdateItem",
        "contains": "last_trigger_id", "status": 400, "code": "AccessDeniedException",
        "message": "not now"}]),
    );
    let swept = Instant::now();
    let (_, out) = w.handle(&sweep_event());
    assert!(hits(&proxy, "record", "hits") >= 1, "{}", proxy.hits());
    let alerts = w.alerts().await;
    let first = reverted(&alerts, &account);
    assert_eq!(first.len(), 1, "the sweep told its put-back: {alerts:#?}");
    let id = first[0]["message"]["alert_id"].clone();
    let state = w.state(&account, R).await.unwrap();
    assert!(state.contains_key("intent"), "{state:#?} {out:#}");

    // The next sweep, after the write's lease: the document is right.
    std::thread::sleep(Duration::from_secs(32).saturating_sub(swept.elapsed()));
    proxy.faults(json!([]));
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let told: Vec<(&serde_json::Value, &serde_json::Value)> = alerts
        .iter()
        .map(|a| &a["message"])
        .filter(|m| m["account"] == account.as_str() && m["kind"] != "sweep_summary")
        .map(|m| (&m["kind"], &m["alert_id"]))
        .collect();
    assert!(
        told.iter()
            .all(|(kind, alert)| *kind == "drift_reverted" && **alert == id),
        "only the dead sweep's own alert, told again under its id: {alerts:#?}"
    );
    let state = w.state(&account, R).await.unwrap();
    assert!(
        !state.contains_key("intent"),
        "the write was adopted: {state:#?}"
    );
}
