//! The README's guarantees against a determined editor and a long outage:
//! alerts that outlive SNS outages and broken chat topics, claims and leases
//! that last as long as the work, state that stays true after any
//! interleaving, and failures that add to a revert alert instead of hiding
//! it. Each fault or hold is made to happen at the fault proxy, and each test
//! asserts that it fired.

use crate::common;

use std::time::{Duration, Instant};

use common::proxy::*;
use common::*;
use serde_json::json;

const R: &str = "eu-west-1";

fn hits(proxy: &Proxy, name: &str) -> u64 {
    proxy.hits()[name]["hits"].as_u64().unwrap_or(0)
}

/// Behind the proxy: one account vended (its alert drained).
async fn vended() -> (World, Proxy, String) {
    let (w, proxy, account) = world_behind_proxy().await;
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    w.alerts().await;
    (w, proxy, account)
}

async fn outbox(w: &World) -> Vec<std::collections::HashMap<String, String>> {
    w.items()
        .await
        .into_iter()
        .filter(|i| i.get("pk").map(String::as_str) == Some("OUTBOX"))
        .collect()
}

/// `handle` of the event at `path`, in the background, its output dropped.
fn spawned(w: &World, path: &std::path::Path) -> std::process::Child {
    w.command(&["handle", path_str(path)])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// An edit event's run killed after its write (held keeping its alert),
/// its intent left on the item; when it wrote.
async fn died_after_its_write(
    w: &World,
    proxy: &Proxy,
    (account, event): (&str, &serde_json::Value),
) -> Instant {
    let (mut run, written) = held_after_its_write(w, proxy, event);
    run.kill().unwrap();
    run.wait().unwrap();
    assert!(w.state(account, R).await.unwrap().contains_key("intent"));
    written
}

/// The dead run's write adopted (no intent left, the slot `reverted`) and
/// told once, by its `drift_reverted`: the only alert `about` picks.
async fn adopted_and_told_once(
    w: &World,
    account: &str,
    about: impl Fn(&serde_json::Value) -> bool,
    out: &serde_json::Value,
) {
    assert_eq!(kinds_told(w, about).await, ["drift_reverted"], "{out:#}");
    let state = w.state(account, R).await.unwrap();
    assert!(!state.contains_key("intent"), "{state:#?}");
    assert_eq!(state["status"], "reverted", "{state:#?}");
}

/// The kinds of the alerts received whose message `about` picks, each
/// alert once (copies share an `alert_id`).
async fn kinds_told(w: &World, about: impl Fn(&serde_json::Value) -> bool) -> Vec<String> {
    let mut told: Vec<(String, String)> = w
        .alerts()
        .await
        .iter()
        .map(|a| &a["message"])
        .filter(|m| about(m))
        .map(|m| {
            (
                m["kind"].as_str().unwrap_or("?").into(),
                m["alert_id"].to_string(),
            )
        })
        .collect();
    told.sort();
    told.dedup();
    told.into_iter().map(|(kind, _)| kind).collect()
}

/// The messages the topic received (through its SQS subscription).
async fn published(w: &World) -> Vec<serde_json::Value> {
    w.alerts()
        .await
        .into_iter()
        .map(|a| a["message"].clone())
        .collect()
}

/// A root version made and put back in policy by an editor, then told by
/// an operator's `reconcile` killed at its record (so no record is past
/// it): the version and the reconcile's trigger that claimed it.
async fn told_by_a_killed_reconcile(w: &World, proxy: &Proxy, account: &str) -> (String, String) {
    let root = w.console_edit(account, R, "root").await;
    back_in_policy(w, account).await;
    reconcile_killed_at_its_record(w, proxy, account);
    let teller = w.claims(account, R).await[&format!("told {root} by")].clone();
    assert!(teller.starts_with("cli-"), "the reconcile told it");
    (root, teller)
}

/// The alerts kept in the outbox, not yet published.
async fn kept_bodies(w: &World) -> Vec<serde_json::Value> {
    outbox(w)
        .await
        .iter()
        .map(|i| serde_json::from_str::<serde_json::Value>(&i["alert"]).unwrap()["body"].clone())
        .collect()
}

/// Each version the `run_as_window` alerts among `alerts` tell, in order.
fn window_versions(alerts: &[serde_json::Value]) -> Vec<String> {
    alerts
        .iter()
        .filter(|a| a["kind"] == "run_as_window")
        .flat_map(|a| a["windows"].as_array().cloned().unwrap_or_default())
        .map(|w| w["version"].as_str().unwrap().to_string())
        .collect()
}

/// The rule that holds a run's record of region `R` (named `first-record`).
fn record_held() -> serde_json::Value {
    json!({"name": "first-record", "service": "dynamodb", "action": "UpdateItem",
           "contains": format!("\":region\":{{\"S\":\"{R}\"}}"),
           "effect": "hold", "hold_timeout": 120})
}

/// An operator's `reconcile` of region `R` that tells what it found and is
/// killed at its record (its alert kept, its record never made).
fn reconcile_killed_at_its_record(w: &World, proxy: &Proxy, account: &str) {
    proxy.faults(json!([record_held()]));
    reconcile_killed_at(w, proxy, account, "first-record");
    proxy.faults(json!([]));
}

/// An edit putting Run As back in policy, in content no version had (SSM
/// refuses a duplicate).
async fn back_in_policy(w: &World, account: &str) {
    let mut doc = w.document(account, R).await.unwrap().0;
    doc["inputs"]["runAsDefaultUser"] = json!("ssm-ops");
    doc["inputs"]["idleSessionTimeout"] = json!("30");
    w.admin_write(account, R, &doc, true).await;
}

/// An operator's `reconcile` of the account's region `R`, killed once the
/// proxy holds it at rule `hold`.
fn reconcile_killed_at(w: &World, proxy: &Proxy, account: &str, hold: &str) {
    let mut run = reconciling(w, account);
    assert!(
        proxy.wait(hold, "held", 1, 90),
        "the reconcile never reached {hold}: {}",
        proxy.hits()
    );
    run.kill().unwrap();
    run.wait().unwrap();
}

/// An operator's `reconcile` of the account's region `R`, started.
fn reconciling(w: &World, account: &str) -> std::process::Child {
    w.command(&["reconcile", "--account", account, "--region", R])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// The run of `event` started with everything after its document write
/// held at the proxy (keeping its alerts and, only once they are kept,
/// recording its result), returned once it is held there; and when.
fn held_after_its_write(
    w: &World,
    proxy: &Proxy,
    event: &serde_json::Value,
) -> (std::process::Child, Instant) {
    proxy.faults(json!([
        {"name": "keep", "service": "dynamodb", "action": ["BatchWriteItem", "TransactWriteItems"], "contains": "OUTBOX",
         "effect": "hold", "hold_timeout": 120},
        {"name": "record", "service": "dynamodb", "action": "UpdateItem", "contains": "last_trigger_id",
         "effect": "hold", "hold_timeout": 120}
    ]));
    let run = spawned(w, &w.write_event(event));
    let written = Instant::now();
    assert!(
        proxy.wait("keep", "held", 1, 60),
        "the run never got past its write: {}",
        proxy.hits()
    );
    (run, written)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alert_refused_through_every_retry_is_published_by_the_next_run_of_any_event() {
    let (w, proxy, account) = vended().await;
    let other = w.create_account("bystander", None).await;
    w.console_edit(&account, R, "mallory").await;
    proxy.faults(
        json!([{"name": "sns", "service": "sns", "action": "Publish", "status": 503,
        "code": "ServiceUnavailable", "protocol": "query"}]),
    );
    // Lambda's first delivery and its two retries, all while SNS is away.
    let event = doc_event("UpdateDocument", &account, R, "Admin");
    let (first, out) = w.handle(&event);
    assert_eq!(first, 1, "a refused alert fails the event: {out:#}");
    for _ in 0..2 {
        w.handle(&event);
    }
    assert!(hits(&proxy, "sns") >= 3, "{}", proxy.hits());
    assert!(w.alerts().await.is_empty());
    assert_eq!(
        outbox(&w).await.len(),
        1,
        "the decided alert waits in the outbox"
    );

    // SNS is back. No delivery of that event is left; an unrelated vend runs.
    proxy.faults(json!([]));
    let (code, out) = w.handle(&vend_event(&other));
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let mut kinds: Vec<&str> = alerts
        .iter()
        .map(|a| a["message"]["kind"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["account_configured", "drift_reverted"],
        "{alerts:#?}"
    );
    let drift = alerts
        .iter()
        .find(|a| a["message"]["kind"] == "drift_reverted")
        .unwrap();
    assert_eq!(drift["message"]["account"], account.as_str());
    assert_eq!(drift["message"]["before"]["runAsDefaultUser"], "mallory");
    assert_eq!(
        drift["message"]["actor"],
        format!("arn:aws:iam::{account}:role/Admin")
    );
    assert!(outbox(&w).await.is_empty());

    // Exactly once: nobody publishes it again.
    assert_eq!(w.handle(&sweep_event()).0, 0);
    assert!(w
        .alerts()
        .await
        .iter()
        .all(|a| a["message"]["kind"] != "drift_reverted"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_chat_topic_never_blocks_or_repeats_the_alert_topic() {
    let (mut w, proxy, account) = world_behind_proxy().await;
    w.set_env(
        "RUNAS_GUARD_CHAT_TOPIC_ARN",
        &format!("arn:aws:sns:us-east-1:{HUB}:deleted-chat-topic"),
    );
    proxy.faults(
        json!([{"name": "chat", "service": "sns", "action": "Publish",
        "contains": "deleted-chat-topic", "effect": "count"}]),
    );
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(
        code, 0,
        "a broken chat topic does not fail the event: {out:#}"
    );
    assert_eq!(w.alert_kinds().await, ["account_configured"]);
    w.console_edit(&account, R, "mallory").await;
    let event = doc_event("UpdateDocument", &account, R, "Admin");
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(w.alert_kinds().await, ["drift_reverted"]);
    assert!(
        hits(&proxy, "chat") >= 2,
        "the chat topic was tried: {}",
        proxy.hits()
    );
    let waiting = outbox(&w).await;
    assert_eq!(waiting.len(), 2, "the chat copies wait: {waiting:#?}");
    assert!(waiting.iter().all(|i| i["dest"] == "chat"));

    // Redelivery, another event and a sweep: the alert topic hears nothing again.
    let (code, out) = w.handle(&event);
    assert_eq!((code, out["result"].as_str()), (0, Some("duplicate")));
    // (The sweep configures the management account: its summary is news.)
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let alerts = w.alerts().await;
    assert!(
        alerts
            .iter()
            .all(|a| a["message"]["kind"] == "sweep_summary"),
        "{alerts:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_delivery_of_a_running_sweep_answers_in_flight() {
    let (mut w, proxy, first) = world_behind_proxy().await;
    w.set_env("RUNAS_GUARD_CLAIM_LEASE_SECONDS", "2");
    let second = w.create_account("second", None).await;
    for account in [&first, &second] {
        w.admin_write(account, R, &lza_document(account), true)
            .await;
    }
    // The sweep's first look at a document takes longer than the claim lease.
    proxy.faults(
        json!([{"name": "slow", "service": "ssm", "action": "DescribeDocument",
        "effect": "hold", "times": 1, "hold_timeout": 30}]),
    );
    let event = sweep_event();
    let running = w.handle_in_background(&event);
    assert!(proxy.wait("slow", "held", 1, 60), "the sweep never looked");
    std::thread::sleep(Duration::from_secs(4));
    let (code, out) = w.handle(&event);
    assert_eq!(
        out["result"], "in_flight",
        "the claim was renewed while the sweep ran: {out:#}"
    );
    assert_eq!(
        code, 0,
        "a duplicate is no failure: the running sweep's own delivery is what Lambda retries if it dies"
    );
    proxy.release("slow");
    let run = running.join().unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let alerts = w.alerts().await;
    let summaries = of_kind(&alerts, "sweep_summary");
    assert_eq!(summaries.len(), 1, "one sweep, one summary: {alerts:#?}");
    for account in [&first, &second] {
        let (doc, default, latest) = w.document(account, R).await.unwrap();
        assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));
        assert_eq!(default, latest);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_holder_slower_than_the_lease_keeps_it_and_the_waiter_keeps_its_record() {
    let (w, proxy, account) = vended().await;
    w.console_edit(&account, R, "mallory").await;
    let edited = w.document(&account, R).await.unwrap().2;
    proxy.faults(json!([
        // Our write hangs longer than one lease (30 s) ...
        {"name": "slow-write", "service": "ssm", "action": "UpdateDocument", "effect": "hold",
         "times": 1, "hold_timeout": 50},
        // ... and the waiter's second look is held until the test lets it go.
        {"name": "waiter-look", "service": "ssm", "action": "DescribeDocument", "skip": 2,
         "effect": "hold", "times": 1, "hold_timeout": 80}
    ]));
    let started = Instant::now();
    let a = w.handle_in_background(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert!(
        proxy.wait("slow-write", "held", 1, 60),
        "the first run never wrote"
    );
    let b = w.handle_in_background(&doc_event(
        "UpdateDocumentDefaultVersion",
        &account,
        R,
        "Admin",
    ));
    std::thread::sleep(Duration::from_secs(33).saturating_sub(started.elapsed()));
    proxy.release("slow-write");
    let a = a.join().unwrap();
    assert_eq!(a.code, 0, "{}\n{}", a.stdout, a.stderr);
    assert!(
        proxy.wait("waiter-look", "held", 1, 60),
        "the waiter never looked again"
    );
    proxy.release("waiter-look");
    let b = b.join().unwrap();
    assert_eq!(b.code, 0, "{}\n{}", b.stdout, b.stderr);

    let (doc, default, latest) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));
    assert_eq!(default, latest);
    assert_eq!(
        latest.parse::<u32>().unwrap(),
        edited.parse::<u32>().unwrap() + 1,
        "one corrective version"
    );
    assert_eq!(w.alert_kinds().await, ["drift_reverted"]);
    let state = w.state(&account, R).await.unwrap();
    assert_eq!(state["status"], "reverted", "{state:#?}");
    assert_eq!(state["last_action"], "updated", "{state:#?}");
    assert_eq!(
        state["reverts_at"].matches("N(").count(),
        1,
        "one revert counted: {state:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_document_adds_its_failure_to_a_revert_and_never_hides_it() {
    let (w, proxy, account) = world_behind_proxy().await;
    w.write_policy(
        r#"
[[document]]
name = "SSMRunAs-Admin"
run_as_user = "admin"
"#,
    );
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    w.alerts().await;
    w.console_edit(&account, R, "mallory").await;
    let mut named = w
        .named_document(&account, R, "SSMRunAs-Admin")
        .await
        .unwrap()
        .0;
    named["inputs"]["runAsDefaultUser"] = json!("root");
    w.admin_write_named(&account, R, "SSMRunAs-Admin", &named, true)
        .await;
    // The editor keeps the named document failing (an SCP gap, a broken role).
    proxy.faults(
        json!([{"name": "named", "service": "ssm", "action": "UpdateDocument",
        "contains": "SSMRunAs-Admin", "code": "AccessDeniedException"}]),
    );
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 1, "{out:#}");
    assert!(hits(&proxy, "named") >= 1);
    let mut kinds = w.alert_kinds().await;
    kinds.sort();
    assert_eq!(kinds, ["drift_reverted", "remediation_failed"]);
    let (doc, default, latest) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc).1, json!("ssm-ops"));
    assert_eq!(default, latest);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_dies_after_its_write_still_ends_in_its_alert_history_and_tamper_count() {
    let (mut w, proxy, account) = vended().await;
    w.set_env("RUNAS_GUARD_CLAIM_LEASE_SECONDS", "2");
    w.console_edit(&account, R, "mallory").await;
    let edited: u32 = w.document(&account, R).await.unwrap().2.parse().unwrap();
    let event = doc_event("UpdateDocument", &account, R, "Admin");
    let (mut run, written) = held_after_its_write(&w, &proxy, &event);
    // Kept, then recorded: no record is sent while the keep waits.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(hits(&proxy, "record"), 0, "{}", proxy.hits());
    // The Lambda dies (timeout, out of memory): what it held never arrives.
    run.kill().unwrap();
    run.wait().unwrap();
    drop(proxy);
    let (fixed, default, latest) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&fixed).1, json!("ssm-ops"), "the write had landed");
    assert_eq!(
        (default.clone(), latest.parse::<u32>().unwrap()),
        (latest, edited + 1)
    );
    assert!(w.alerts().await.is_empty());
    let state = w.state(&account, R).await.unwrap();
    assert!(
        state.contains_key("intent"),
        "the intent was recorded before the write: {state:#?}"
    );

    // Lambda's retry, after the dead run's lease ran out.
    std::thread::sleep(Duration::from_secs(32).saturating_sub(written.elapsed()));
    w.set_env("AWS_ENDPOINT_URL", &w.moto.url.clone());
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        out["accounts"][0]["regions"][0]["action"], "none",
        "{out:#}"
    );
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "drift_reverted");
    assert_eq!(m["before"]["runAsDefaultUser"], "mallory");
    assert_eq!(m["actor"], format!("arn:aws:iam::{account}:role/Admin"));
    let state = w.state(&account, R).await.unwrap();
    assert_eq!(
        (state["status"].as_str(), state["last_action"].as_str()),
        ("reverted", "updated"),
        "{state:#?}"
    );
    assert_eq!(state["reverts_at"].matches("N(").count(), 1, "{state:#?}");
    assert!(!state.contains_key("intent"), "{state:#?}");
    let rows = w.history(&account).await;
    assert!(
        rows.iter()
            .any(|r| r["status"] == "reverted" && r["trigger_id"] == event["id"].as_str().unwrap()),
        "{rows:#?}"
    );

    // Once: the next delivery and a sweep say nothing more about it.
    assert_eq!(w.handle(&event).1["result"], "duplicate");
    assert_eq!(w.handle(&sweep_event()).0, 0);
    assert!(w
        .alerts()
        .await
        .iter()
        .all(|a| a["message"]["kind"] == "sweep_summary"));
}

/// An event's run whose outbox keep is refused through every retry records
/// nothing past its alerts (simulation seed 61), and sends none of those
/// that tell a version on the ledger: that keep writes the version told.
/// Sent without it, another run that told the same version, or tells it
/// next, sent it again under its own identity (simulation seed 900033).
/// With SNS away too, or back, the run fails and sends nothing; once the
/// keep lands, the retry tells the put-back once (the first attempt's
/// write recorded as any dead run's is, by its intent).
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_keep_sends_and_records_nothing_until_it_lands() {
    let (w, proxy, account) = vended().await;
    let recorded = w.state(&account, R).await.unwrap()["default_version"].clone();
    w.console_edit(&account, R, "mallory").await;
    let keep = json!({"name": "keep", "service": "dynamodb", "action": ["BatchWriteItem", "TransactWriteItems"],
        "contains": "OUTBOX", "code": "AccessDeniedException"});
    proxy.faults(
        json!([keep, {"name": "sns", "service": "sns", "action": "Publish",
        "status": 503, "code": "ServiceUnavailable", "protocol": "query"}]),
    );
    let event = doc_event("UpdateDocument", &account, R, "Admin");
    let (first, out) = w.handle(&event);
    assert_eq!(first, 1, "neither kept nor sent: the run fails: {out:#}");
    assert!(hits(&proxy, "keep") >= 1, "{}", proxy.hits());
    assert!(w.alerts().await.is_empty());
    let unrecorded =
        |state: &std::collections::HashMap<String, String>| state["default_version"] == recorded;
    let state = w.state(&account, R).await.unwrap();
    assert!(
        unrecorded(&state),
        "no record past the window no keep holds"
    );

    // SNS back, the keep still refused, past the write's lease (Lambda's
    // retry comes a minute later): the retry finds the first attempt's
    // write, cannot keep its alert, and fails; nothing sent or recorded.
    std::thread::sleep(Duration::from_secs(31));
    proxy.faults(json!([keep]));
    let (code, out) = w.handle(&event);
    assert_eq!(code, 1, "{out:#}");
    assert!(hits(&proxy, "keep") >= 1, "{}", proxy.hits());
    assert!(w.alerts().await.is_empty(), "nothing told without its keep");
    assert!(unrecorded(&w.state(&account, R).await.unwrap()));

    // The keep lands: the retry tells the put-back once.
    proxy.faults(json!([]));
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    let kinds: Vec<String> = w
        .alerts()
        .await
        .iter()
        .map(|a| a["message"]["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "drift_reverted").count(),
        1,
        "{kinds:?}"
    );
    // Its record is the first attempt's write's (its lease and intent, as
    // for any run that died after its write): never past the told window.
    let state = w.state(&account, R).await.unwrap();
    assert!(
        state.contains_key("intent") || state["default_version"] != recorded,
        "{state:#?}"
    );
}

/// A run that dies after its write, before keeping its alerts, leaves its
/// intent on the record; an editor then makes another version out of policy
/// and puts it right again before the retry. The retry reads the versions
/// made since the record (since 0.7.4: a dead run's intent no longer stops
/// that, simulation seed 35) and tells the editor's version as a window,
/// while the adoption of the dead write tells the version it replaced
/// (`drift_reverted`), once each. The adoption's alert is kept in the
/// outbox before the adoption lands: its answer lost here (the intent
/// removed, the SDK's retry refused), the alert still goes out from the
/// outbox with the next run, where it was lost before.
#[tokio::test(flavor = "multi_thread")]
async fn a_dead_runs_retry_tells_the_window_made_since_and_keeps_the_adopted_alert_first() {
    let (mut w, proxy, account) = vended().await;
    w.set_env("RUNAS_GUARD_CLAIM_LEASE_SECONDS", "2");
    w.console_edit(&account, R, "mallory").await;
    let edited: u32 = w.document(&account, R).await.unwrap().2.parse().unwrap();
    let event = doc_event("UpdateDocument", &account, R, "Admin");
    let (mut run, written) = held_after_its_write(&w, &proxy, &event);
    run.kill().unwrap();
    run.wait().unwrap();
    drop(proxy);
    assert!(w.alerts().await.is_empty(), "the dead run told nothing");
    assert!(w.state(&account, R).await.unwrap().contains_key("intent"));
    let put_back = edited + 1;
    assert_eq!(
        w.document(&account, R).await.unwrap().1,
        put_back.to_string()
    );

    // Meanwhile an editor sets Run As out of policy again, then puts it right.
    w.console_edit(&account, R, "eve").await;
    w.console_edit(&account, R, "ssm-ops").await;
    let (_, default, _) = w.document(&account, R).await.unwrap();
    assert_eq!(default, (put_back + 2).to_string());

    // The retry, after the dead run's lease: the adoption's answer is lost.
    std::thread::sleep(Duration::from_secs(32).saturating_sub(written.elapsed()));
    let proxy = w.behind_proxy();
    proxy.faults(json!([
        {"name": "adopt", "service": "dynamodb", "action": "UpdateItem", "contains": "REMOVE intent",
         "effect": "lose", "times": 1}
    ]));
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(hits(&proxy, "adopt"), 1, "{}", proxy.hits());
    assert!(
        !w.state(&account, R).await.unwrap().contains_key("intent"),
        "the adoption landed, its answer lost"
    );
    let told = w.alerts().await;
    let windows: Vec<&serde_json::Value> = told
        .iter()
        .filter(|a| a["message"]["kind"] == "run_as_window")
        .collect();
    assert_eq!(windows.len(), 1, "{told:#?}");
    let versions: Vec<&str> = windows[0]["message"]["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["version"].as_str().unwrap())
        .collect();
    assert_eq!(
        versions,
        [(put_back + 1).to_string()],
        "eve's version alone: mallory's is the adoption's to tell"
    );
    assert!(
        told.iter()
            .all(|a| a["message"]["kind"] != "drift_reverted"),
        "the adoption's answer was lost: its alert waits in the outbox, leased: {told:#?}"
    );
    let kept: Vec<_> = outbox(&w)
        .await
        .into_iter()
        .filter(|i| i["alert"].contains("drift_reverted"))
        .collect();
    assert_eq!(kept.len(), 1, "kept before the adoption: {kept:#?}");

    // The next run after the outbox lease publishes it: told once.
    std::thread::sleep(Duration::from_secs(61));
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let reverted: Vec<_> = w
        .alerts()
        .await
        .into_iter()
        .filter(|a| a["message"]["kind"] == "drift_reverted")
        .collect();
    assert_eq!(reverted.len(), 1, "{reverted:#?}");
    assert_eq!(
        reverted[0]["message"]["before"]["runAsDefaultUser"],
        "mallory"
    );
    assert!(outbox(&w)
        .await
        .iter()
        .all(|i| !i["alert"].contains("drift_reverted")));
}

/// A sweep reading the history beside an edit event's run that has put the
/// default back but not yet recorded it (its lease and intent live): the
/// sweep finds the editor's version as a past window, and its claim is
/// refused (since 0.7.4): the writer tells that version with what it
/// replaced (`drift_reverted`), once. Before, the sweep claimed and told it
/// again as a `run_as_window` (simulation seed 72's shape). Staged: the
/// sweep held at its document read until the writer holds at its record.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_reading_beside_a_live_writer_leaves_the_window_to_it() {
    let (w, proxy, account) = vended().await;
    w.console_edit(&account, R, "mallory").await;
    let edited = w.document(&account, R).await.unwrap().2;
    let event = doc_event("UpdateDocument", &account, R, "Admin");
    let event_id = event["id"].as_str().unwrap().to_string();
    proxy.faults(json!([
        {"name": "sweep-read", "service": "ssm", "region": R, "account": account,
         "action": "GetDocument", "effect": "hold", "times": 1, "hold_timeout": 120},
        {"name": "sweep-describe", "service": "ssm", "region": R, "account": account,
         "action": "DescribeDocument", "effect": "hold", "times": 1, "hold_timeout": 120},
        {"name": "writer-record", "service": "dynamodb", "action": "UpdateItem",
         "contains": format!("last_trigger_id\":{{\"S\":\"{event_id}\""),
         "effect": "hold", "hold_timeout": 120},
        {"name": "claims", "service": "dynamodb", "action": "TransactWriteItems",
         "contains": "REMOVE #kept", "effect": "count"}
    ]));
    // The holds name the account: the sweep reads the management account's
    // region beside it, and a hold that caught that read instead let the
    // sweep read the edited default before the put-back (no window to claim).
    // The sweep's reads are held until the writer reaches its record, which
    // on a busy host takes longer than the SDK's 10 s attempt: past it the
    // sweep's retry would read before the put-back (its finding the default,
    // no window to claim; seen in CI). Its attempts wait out the hold.
    let sweep_path = w.write_event(&sweep_event());
    let mut sweep = w
        .command(&["handle", path_str(&sweep_path)])
        .env("RUNAS_GUARD_ATTEMPT_TIMEOUT_SECONDS", "150")
        .env("RUNAS_GUARD_CALL_TIMEOUT_SECONDS", "160")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert!(
        proxy.wait("sweep-read", "held", 1, 60) && proxy.wait("sweep-describe", "held", 1, 60),
        "the sweep never read the document: {}",
        proxy.hits()
    );
    let mut writer = spawned(&w, &w.write_event(&event));
    assert!(
        proxy.wait("writer-record", "held", 1, 60),
        "the edit's run never reached its record: {}",
        proxy.hits()
    );
    let (_, default, _) = w.document(&account, R).await.unwrap();
    assert_ne!(default, edited, "put back, not yet recorded");
    assert!(w.state(&account, R).await.unwrap().contains_key("intent"));

    // The sweep reads now: the editor's version is a past window to it.
    proxy.release("sweep-read");
    proxy.release("sweep-describe");
    assert!(sweep.wait().unwrap().success());
    assert!(
        hits(&proxy, "claims") >= 1,
        "the sweep tried to claim the window: {}",
        proxy.hits()
    );
    proxy.release("writer-record");
    // Held past the SDK's attempt timeout, its record may have failed: then
    // Lambda's retry records it (adopting the write), telling nothing new.
    if !writer.wait().unwrap().success() {
        let (code, out) = w.handle(&event);
        assert_eq!(code, 0, "{out:#}");
    }

    let told = w.alerts().await;
    let about_edited: Vec<&str> = told
        .iter()
        .filter(|a| {
            let m = &a["message"];
            m["versions_before"]["default"] == edited.as_str()
                || m["windows"]
                    .as_array()
                    .is_some_and(|ws| ws.iter().any(|w| w["version"] == edited.as_str()))
        })
        .map(|a| a["message"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(about_edited, ["drift_reverted"], "{told:#?}");
    // The ledger holds the drift's mark of the version it put back (a
    // mark is under no record, `seen` `?`), and no window's claim.
    let claims = w.claims(&account, R).await;
    let told: Vec<&String> = claims.keys().filter(|k| k.starts_with("told ")).collect();
    assert!(
        told.iter()
            .all(|k| k.starts_with(&format!("told {edited} "))),
        "no run claimed a window: {claims:#?}"
    );
    assert_eq!(
        claims
            .get(&format!("told {edited} seen"))
            .map(String::as_str),
        Some("?"),
        "the drift's mark: {claims:#?}"
    );
}

/// Two runs read the same Run As window: an operator's `reconcile` of the
/// account-region claims it, keeps its alert and dies at its record; an
/// edit event's run reads the same versions and its claim is refused.
/// Whose claim holds is in the refusal itself (the item as it stood,
/// `ReturnValuesOnConditionCheckFailure`, since 0.7.8): no plain read of
/// the item follows, so one that fails (every such `GetItem` refused here)
/// cannot make the run tell the window a second time, as it did when it
/// read the item again and told on that read's failure (simulation seed
/// 650037). The refusal fires only with that read back: the check is that
/// it never does.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_window_claim_says_whose_it_is_without_a_read_that_could_fail() {
    let (w, proxy, account) = vended().await;
    let root = w.console_edit(&account, R, "root").await;
    w.console_edit(&account, R, "ssm-ops").await;
    // Its record of the one account-region it looks at, held.
    proxy.faults(json!([
        record_held(),
        {"name": "claims", "service": "dynamodb", "action": "TransactWriteItems",
         "contains": "REMOVE #kept", "effect": "count"}
    ]));
    reconcile_killed_at(&w, &proxy, &account, "first-record");
    assert_eq!(hits(&proxy, "claims"), 1, "it claimed: {}", proxy.hits());
    let claims = w.claims(&account, R).await;
    let first_id = claims[&format!("told {root} by")].clone();
    assert!(first_id.starts_with("cli-"), "{claims:#?}");

    // The edit's event: the same window, its claim refused. A plain read
    // of an item (no projection: how the claim's holder was read) refused.
    proxy.faults(json!([
        {"name": "claims", "service": "dynamodb", "action": "TransactWriteItems",
         "contains": "REMOVE #kept", "effect": "count"},
        {"name": "plain-read", "service": "dynamodb", "action": "GetItem",
         "contains": "\"ConsistentRead\":true}", "status": 400, "code": "AccessDeniedException",
         "protocol": "json", "message": "User is not authorized to perform: dynamodb:GetItem"}
    ]));
    let event = doc_event("UpdateDocumentDefaultVersion", &account, R, "Admin");
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        hits(&proxy, "claims"),
        1,
        "the event's run claimed: {}",
        proxy.hits()
    );
    proxy.faults(json!([]));

    // Told once: the dead run's alert, kept (its keeper's lease on it runs
    // out before any run sends it); the event's run told nothing.
    let told = w.alerts().await;
    assert!(
        told.iter().all(|a| a["message"]["kind"] != "run_as_window"),
        "{told:#?}"
    );
    assert_eq!(
        hits(&proxy, "plain-read"),
        0,
        "no read after the refusal: {}",
        proxy.hits()
    );
    let kept: Vec<serde_json::Value> = outbox(&w)
        .await
        .iter()
        .map(|i| serde_json::from_str(&i["alert"]).unwrap())
        .filter(|a: &serde_json::Value| a["kind"] == "run_as_window")
        .collect();
    assert_eq!(kept.len(), 1, "{kept:#?}");
    assert_eq!(
        kept[0]["body"]["trigger_id"],
        first_id.as_str(),
        "the first claim held"
    );
    assert_eq!(kept[0]["body"]["windows"][0]["version"], root.as_str());
}

/// Two runs read different sets of versions under the same record: an
/// operator's `reconcile` tells the root version, keeps its alert and dies
/// at its record; more edits follow, and an edit event's run reads the root
/// version and a new one. Each version is claimed alone (0.7.14): the second
/// run tells only the new one. Until 0.7.14 a run claimed its set as one
/// value, the two values differed and both claims held: the root version
/// was told twice (simulation seed 780018: `?3`, then `?1-3`).
#[tokio::test(flavor = "multi_thread")]
async fn two_runs_reading_different_versions_tell_each_version_once() {
    let (w, proxy, account) = vended().await;
    let first = w.console_edit(&account, R, "root").await;
    w.console_edit(&account, R, "ssm-ops").await;
    reconcile_killed_at_its_record(&w, &proxy, &account);
    let claims = w.claims(&account, R).await;
    let first_by = claims[&format!("told {first} by")].clone();
    assert!(first_by.starts_with("cli-"), "{claims:#?}");
    assert_eq!(
        claims[&format!("told {first} kept")],
        first_by,
        "{claims:#?}"
    );

    let second = w.console_edit(&account, R, "alice").await;
    back_in_policy(&w, &account).await;
    let event = doc_event("UpdateDocumentDefaultVersion", &account, R, "Admin");
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");

    let told = published(&w).await;
    assert_eq!(
        window_versions(&told),
        std::slice::from_ref(&second),
        "the event's run told the new version alone"
    );
    let kept = kept_bodies(&w).await;
    assert_eq!(
        window_versions(&kept),
        std::slice::from_ref(&first),
        "the reconcile's alert, kept"
    );
    let claims = w.claims(&account, R).await;
    assert_eq!(claims[&format!("told {first} by")], first_by, "{claims:#?}");
    let second_by = &claims[&format!("told {second} by")];
    assert_eq!(second_by, event["id"].as_str().unwrap(), "{claims:#?}");
    assert_eq!(
        &claims[&format!("told {second} kept")],
        second_by,
        "{claims:#?}"
    );
}

/// The editor's two events of `root`: the one that made it, then its
/// switch to it.
fn breakglass_events(account: &str, root: &str) -> (serde_json::Value, serde_json::Value) {
    let mut made = doc_event("UpdateDocument", account, R, "Breakglass");
    made["detail"]["responseElements"]["documentDescription"]["documentVersion"] = json!(root);
    let mut switched = doc_event("UpdateDocumentDefaultVersion", account, R, "Breakglass");
    switched["detail"]["requestParameters"]["documentVersion"] = json!(root);
    (made, switched)
}

/// The alerts so far are one follow-up `run_as_window` naming Breakglass
/// for `root`, following `teller`'s; its message.
async fn one_follow_up(w: &World, root: &str, teller: &str) -> serde_json::Value {
    let told = w.alerts().await;
    let windows = of_kind(&told, "run_as_window");
    assert_eq!(windows.len(), 1, "one follow-up: {told:#?}");
    let m = windows[0]["message"].clone();
    assert_eq!(m["follow_up_of"]["trigger_id"], teller, "{m:#}");
    assert!(
        m["actor"].as_str().unwrap().ends_with("role/Breakglass"),
        "{m:#}"
    );
    assert_eq!(m["windows"][0]["version"], root, "{m:#}");
    assert!(windows[0]["subject"]
        .as_str()
        .unwrap()
        .starts_with("runas-guard follow-up"));
    m
}

/// The editor's other event and a sweep after the follow-up: quiet.
async fn named_once(w: &World, switched: &serde_json::Value) {
    let (code, out) = w.handle(switched);
    assert_eq!(code, 0, "{out:#}");
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let told = w.alerts().await;
    assert!(
        of_kind(&told, "run_as_window").is_empty(),
        "named once: {told:#?}"
    );
}

/// A root version made and put back by an editor, told by a sweep (no
/// editor to name) that recorded past it: the version and the sweep's
/// trigger.
async fn told_by_a_sweep(w: &World, account: &str) -> (String, String) {
    let root = w.console_edit(account, R, "root").await;
    back_in_policy(w, account).await;
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let told = w.alerts().await;
    let windows = of_kind(&told, "run_as_window");
    assert_eq!(windows.len(), 1, "the sweep told the window: {told:#?}");
    assert!(windows[0]["message"]["actor"].is_null(), "{told:#?}");
    let claims = w.claims(account, R).await;
    let teller = claims[&format!("told {root} by")].clone();
    assert_eq!(claims[&format!("told {root} kept")], teller, "{claims:#?}");
    let record = w.state(account, R).await.expect("recorded");
    let recorded: u64 = record["default_version"].parse().unwrap();
    assert!(
        recorded > root.parse().unwrap(),
        "recorded past it: {record:#?}"
    );
    (root, teller)
}

/// A window an operator's `reconcile` told (no editor to name) and whose
/// record it never made (killed there): the run of the edit's own event
/// reads the same version, finds it told, and names its editor in a
/// follow-up `run_as_window` (`follow_up_of`: the reconcile's trigger),
/// once: the same editor's second event is quiet (since 0.7.14; before, the
/// editor went unnamed, simulation seed 96).
#[tokio::test(flavor = "multi_thread")]
async fn a_window_another_run_told_is_named_by_its_editors_event_once() {
    let (w, proxy, account) = vended().await;
    let (root, teller) = told_by_a_killed_reconcile(&w, &proxy, &account).await;

    // The edit's events: the one that made the root version, then its switch.
    let (made, switched) = breakglass_events(&account, &root);
    let (code, out) = w.handle(&made);
    assert_eq!(code, 0, "{out:#}");
    let m = one_follow_up(&w, &root, &teller).await;
    assert!(
        m["follow_up_of"].get("actor").is_none(),
        "the reconcile named no one: {m:#}"
    );
    named_once(&w, &switched).await;
}

/// A window a sweep told (no editor to name) and recorded past before the
/// edit's own events arrived: their version lies below the record, outside
/// every gap. The made event's run reads the ledger of told facts, finds
/// the version told in no one's name, reads it and names its editor in a
/// follow-up `run_as_window` (`follow_up_of`: the sweep), once; the
/// switch's event and the next sweep are quiet (since 0.12.0; before, the
/// editor went unnamed: simulation seeds 900033 and 950014, `aws`
/// profile).
#[tokio::test(flavor = "multi_thread")]
async fn a_window_told_and_recorded_past_before_its_events_is_named_by_them_once() {
    let (w, _proxy, account) = vended().await;
    let (root, teller) = told_by_a_sweep(&w, &account).await;
    let (made, switched) = breakglass_events(&account, &root);
    let (code, out) = w.handle(&made);
    assert_eq!(code, 0, "{out:#}");
    one_follow_up(&w, &root, &teller).await;
    named_once(&w, &switched).await;
}

/// The same, with the ledger unreadable when the made event's run asks
/// who told its version: the run names nobody yet and fails, saying why,
/// so that the event's retry names the editor, once (simulation seed 18,
/// `harsh`: the `CreateDocument` of a document made again, its ledger
/// Query timing out, ended `done` and its editor was never named).
#[tokio::test(flavor = "multi_thread")]
async fn an_editors_event_that_cannot_read_the_ledger_fails_and_its_retry_names_them() {
    let (w, proxy, account) = vended().await;
    let (root, teller) = told_by_a_sweep(&w, &account).await;
    let (made, switched) = breakglass_events(&account, &root);
    proxy.faults(json!([{"name": "ledger", "service": "dynamodb", "action": "Query",
        "contains": "FACT#", "status": 400, "code": "AccessDeniedException", "message": "not now"}]));
    let (code, out) = w.handle(&made);
    assert!(hits(&proxy, "ledger") >= 1, "{}", proxy.hits());
    assert_ne!(code, 0, "{out:#}");
    assert_eq!(out["result"], "failed", "{out:#}");
    assert!(
        out["reason"]
            .as_str()
            .unwrap()
            .contains("AccessDeniedException"),
        "{out:#}"
    );
    let told = w.alerts().await;
    assert!(of_kind(&told, "run_as_window").is_empty(), "{told:#?}");

    proxy.faults(json!([]));
    let (code, out) = w.handle(&made);
    assert_eq!(code, 0, "{out:#}");
    one_follow_up(&w, &root, &teller).await;
    named_once(&w, &switched).await;
}

/// The same, with the editor's made event covered by the coalescing gate:
/// another of the editor's events, later, ran and finished after the edit
/// (the flood the gate exists for). That run never read the root version,
/// so it named nobody for it: the ledger says the version was told in no
/// one's name, and the covered event runs instead of being answered
/// `coalesced` (since 0.12.0; simulation seed 950014).
#[tokio::test(flavor = "multi_thread")]
async fn an_editors_event_the_gate_would_cover_runs_when_its_version_was_told_unnamed() {
    let (w, _proxy, account) = vended().await;
    let (root, teller) = told_by_a_sweep(&w, &account).await;

    let (made, _) = breakglass_events(&account, &root);
    // The editor's later event: its run starts over two seconds after the
    // edit, and covers it.
    std::thread::sleep(Duration::from_secs(3));
    let default = w.document(&account, R).await.unwrap().1;
    let mut later = doc_event("UpdateDocumentDefaultVersion", &account, R, "Breakglass");
    later["detail"]["requestParameters"]["documentVersion"] = json!(default);
    let (code, out) = w.handle(&later);
    assert_eq!(code, 0, "{out:#}");
    assert!(w.alerts().await.is_empty(), "nothing to tell");

    let (code, out) = w.handle(&made);
    assert_eq!(code, 0, "{out:#}");
    assert_ne!(out["result"], "coalesced", "{out:#}");
    one_follow_up(&w, &root, &teller).await;
}

/// A run that could not read the document says nothing of whether a dead
/// run's write landed, so its record leaves that run's intent for one that
/// reads it (0.7.12; simulation seed 650005). Until then such a record
/// dropped the intent ("did not land"): the write was never adopted, and
/// the next run told the default it had replaced as a window, beside the
/// dead run's own telling.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_cannot_read_the_document_leaves_a_dead_runs_intent_to_be_adopted() {
    let (mut w, proxy, account) = vended().await;
    w.set_env("RUNAS_GUARD_CLAIM_LEASE_SECONDS", "2");
    w.console_edit(&account, R, "mallory").await;
    let event = doc_event("UpdateDocument", &account, R, "Admin");
    let written = died_after_its_write(&w, &proxy, (&account, &event)).await;

    // After the dead run's lease: a sweep whose every read of the document
    // is refused records the slot failed.
    std::thread::sleep(Duration::from_secs(32).saturating_sub(written.elapsed()));
    proxy.faults(
        json!([{"name": "unread", "service": "ssm", "action": "GetDocument",
        "status": 400, "code": "AccessDeniedException", "message": "not now"}]),
    );
    w.handle(&sweep_event());
    assert!(hits(&proxy, "unread") >= 1, "{}", proxy.hits());
    let state = w.state(&account, R).await.unwrap();
    assert_eq!(state["status"], "failed", "{state:#?}");
    assert!(
        state.contains_key("intent"),
        "a record that read no document dropped the dead run's intent: {state:#?}"
    );

    // The event's retry reads the document: it adopts the write and tells
    // what the dead run would have told, once, and no window beside it.
    proxy.faults(json!([]));
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    let told: Vec<(String, String)> = w
        .alerts()
        .await
        .iter()
        .map(|a| &a["message"])
        .filter(|m| m["kind"] != "sweep_summary")
        .map(|m| (m["kind"].as_str().unwrap().into(), m["actor"].to_string()))
        .collect();
    let admin = format!("\"arn:aws:iam::{account}:role/Admin\"");
    assert_eq!(told, [("drift_reverted".to_string(), admin)], "{out:#}");
    let state = w.state(&account, R).await.unwrap();
    assert!(!state.contains_key("intent"), "{state:#?}");
    assert_eq!(state["status"], "reverted", "{state:#?}");
    assert_eq!(state["reverts_at"].matches("N(").count(), 1, "{state:#?}");
}

/// A run that takes the write lease of a run that died after its write
/// writes its own intent over the dead run's, and its record puts the dead
/// one back for a run that reads the document to adopt (0.7.13; simulation
/// seed 700727). Until then the record removed it: when the taker could not
/// read the document, the dead run's write was never adopted, and its
/// event's retry told the default the write had replaced as a
/// `run_as_window` beside the dead run's own `drift_reverted`.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_taking_a_dead_runs_lease_puts_its_intent_back() {
    let (mut w, proxy, account) = vended().await;
    w.set_env("RUNAS_GUARD_CLAIM_LEASE_SECONDS", "2");
    let edited = w.console_edit(&account, R, "mallory").await;
    proxy.faults(json!([
        {"name": "write", "service": "ssm", "action": "UpdateDocument",
         "effect": "hold", "times": 1, "hold_timeout": 120},
        {"name": "keep", "service": "dynamodb", "action": ["BatchWriteItem", "TransactWriteItems"], "contains": "OUTBOX",
         "effect": "hold", "times": 1, "hold_timeout": 120},
        {"name": "take", "service": "dynamodb", "action": "UpdateItem",
         "contains": "attribute_not_exists(lease_until)", "effect": "count"}
    ]));
    // The edit's run takes the lease and is held at its write; an
    // operator's reconcile reads the same edit and waits for the lease.
    let event = doc_event("UpdateDocument", &account, R, "Admin");
    let mut dead = spawned(&w, &w.write_event(&event));
    assert!(
        proxy.wait("write", "held", 1, 60),
        "the run never reached its write: {}",
        proxy.hits()
    );
    let mut taker = reconciling(&w, &account);
    assert!(
        proxy.wait("take", "hits", 2, 60),
        "the reconcile never asked for the lease: {}",
        proxy.hits()
    );
    // The edit's run writes, is held keeping its alert, and dies there.
    proxy.release("write");
    assert!(
        proxy.wait("keep", "held", 1, 60),
        "the run never got past its write: {}",
        proxy.hits()
    );
    dead.kill().unwrap();
    dead.wait().unwrap();
    let intent = w.state(&account, R).await.unwrap()["intent"].clone();
    assert!(
        intent.contains(&event["id"].as_str().unwrap().to_string()),
        "{intent}"
    );

    // Its lease runs out; the reconcile takes it, and every read of the
    // document it makes then is refused: it records the slot failed.
    proxy.faults(json!([
        {"name": "unread", "service": "ssm", "action": "GetDocument",
         "status": 400, "code": "AccessDeniedException", "message": "not now"},
        {"name": "take", "service": "dynamodb", "action": "UpdateItem",
         "contains": "attribute_not_exists(lease_until)", "effect": "count"}
    ]));
    taker.wait().unwrap();
    assert!(hits(&proxy, "take") >= 1, "{}", proxy.hits());
    assert!(hits(&proxy, "unread") >= 1, "{}", proxy.hits());
    let state = w.state(&account, R).await.unwrap();
    assert_eq!(state["status"], "failed", "{state:#?}");
    assert_eq!(
        state.get("intent"),
        Some(&intent),
        "the taker's record did not put the dead run's intent back: {state:#?}"
    );

    // The event's retry reads the document, adopts the write and tells it
    // once (the dead run's own alert), no window beside it.
    proxy.faults(json!([]));
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    let about_edited = |m: &serde_json::Value| {
        m["versions_before"]["default"] == edited.as_str()
            || m["windows"]
                .as_array()
                .is_some_and(|ws| ws.iter().any(|w| w["version"] == edited.as_str()))
    };
    adopted_and_told_once(&w, &account, about_edited, &out).await;
}

/// A run that claims a Run As window and dies before keeping its alert no
/// longer hides it (0.7.13). The claim is marked kept in the transaction
/// that keeps the alert; until then another run that reads the same window
/// tells nothing and records no version past it, and once the claim's lease
/// is over the next run claims it again and tells it. Until 0.7.13 the
/// second run recorded past the window and no run ever told it (simulation
/// seed 89; the "never told" shape's dead claimer).
#[tokio::test(flavor = "multi_thread")]
async fn a_window_claimed_by_a_run_that_died_before_keeping_its_alert_is_told_once() {
    let (w, proxy, account) = vended().await;
    let recorded = w.state(&account, R).await.unwrap()["default_version"].clone();
    let root = w.console_edit(&account, R, "root").await;
    w.console_edit(&account, R, "ssm-ops").await;
    // The claimer's keep (its alert with the claim's mark, one transaction)
    // held until the test ends: it is killed there and never lands.
    proxy.faults(json!([
        {"name": "keep", "service": "dynamodb", "action": "TransactWriteItems",
         "contains": "SET #kept = :tid", "effect": "hold", "times": 1, "hold_timeout": 600},
        {"name": "claims", "service": "dynamodb", "action": "TransactWriteItems",
         "contains": "REMOVE #kept", "effect": "count"}
    ]));
    reconcile_killed_at(&w, &proxy, &account, "keep");
    let claims = w.claims(&account, R).await;
    assert!(
        claims[&format!("told {root} by")].starts_with("cli-"),
        "{claims:#?}"
    );
    assert!(
        !claims.contains_key(&format!("told {root} kept")),
        "{claims:#?}"
    );

    // An edit event's run reads the same window: the claim is not kept and
    // its lease runs, so it tells nothing and records no version past it.
    let event = doc_event("UpdateDocumentDefaultVersion", &account, R, "Admin");
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(hits(&proxy, "claims"), 2, "{}", proxy.hits());
    let told = w.alerts().await;
    assert!(
        told.iter().all(|a| a["message"]["kind"] != "run_as_window"),
        "{told:#?}"
    );
    let state = w.state(&account, R).await.unwrap();
    assert_eq!(
        state["default_version"], recorded,
        "recorded past a window whose claimer never kept its alert: {state:#?}"
    );

    // The claim's lease runs out (set in the table: the 15 minutes pass).
    let ddb = aws_sdk_dynamodb::Client::new(&w.cfg);
    let s = aws_sdk_dynamodb::types::AttributeValue::S;
    ddb.update_item()
        .table_name(&w.table)
        .key("pk", s(format!("ACCOUNT#{account}")))
        .key("sk", s(fact_sk(R, &root)))
        .update_expression("SET #until = :past")
        .expression_attribute_names("#until", "until")
        .expression_attribute_values(
            ":past",
            aws_sdk_dynamodb::types::AttributeValue::N("1".into()),
        )
        .send()
        .await
        .unwrap();

    // The next run (a sweep) claims it again and tells it, once.
    w.handle(&sweep_event());
    let windows: Vec<serde_json::Value> = w
        .alerts()
        .await
        .into_iter()
        .map(|a| a["message"].clone())
        .filter(|m| m["kind"] == "run_as_window")
        .collect();
    assert_eq!(windows.len(), 1, "{windows:#?}");
    assert_eq!(
        windows[0]["windows"][0]["version"],
        root.as_str(),
        "{windows:#?}"
    );
    let state = w.state(&account, R).await.unwrap();
    let claims = w.claims(&account, R).await;
    assert_ne!(state["default_version"], recorded, "{state:#?}");
    let by = &claims[&format!("told {root} by")];
    assert_eq!(&claims[&format!("told {root} kept")], by, "{claims:#?}");
}

/// A dead run's write, adopted by a run that cannot read the version the
/// write replaced, is told once: by the adoption (the dead run's own
/// `drift_reverted`), which knows that version's Run As from the intent.
/// Until 0.7.13 the adopting run also told it as a `run_as_window` naming
/// it unjudged (simulation seed 720052).
#[tokio::test(flavor = "multi_thread")]
async fn an_adopted_write_is_told_once_when_the_version_it_replaced_cannot_be_read() {
    let (mut w, proxy, account) = vended().await;
    w.set_env("RUNAS_GUARD_CLAIM_LEASE_SECONDS", "2");
    let edited = w.console_edit(&account, R, "mallory").await;
    let event = doc_event("UpdateDocument", &account, R, "Admin");
    let written = died_after_its_write(&w, &proxy, (&account, &event)).await;

    // After the dead run's lease, its event's retry: every read of the
    // edited version refused (the document's default reads).
    std::thread::sleep(Duration::from_secs(32).saturating_sub(written.elapsed()));
    proxy.faults(json!([
        {"name": "unread", "service": "ssm", "action": "GetDocument",
         "contains": format!("\"DocumentVersion\":\"{edited}\""),
         "status": 400, "code": "AccessDeniedException", "message": "not now"}
    ]));
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    assert!(hits(&proxy, "unread") >= 1, "{}", proxy.hits());
    let about_edited = |m: &serde_json::Value| {
        m["kind"] != "sweep_summary" && m.to_string().contains(&format!("\"{edited}\""))
    };
    adopted_and_told_once(&w, &account, about_edited, &out).await;
}

/// A run whose claim of a window cannot be written (refused past the
/// SDK's retries) still tells it (better twice than never), and the
/// transaction that keeps its alert makes the claim: a later run reading
/// the same versions from the same record finds them told (since 0.7.15).
/// Until then that keep was cancelled (no claim of this run's to mark
/// kept) and fell back to the plain one, and the next run claimed the
/// versions and told them again. Staged: an operator's `reconcile` whose
/// claim is refused tells the window and is killed at its record; a sweep
/// then reads the same versions.
#[tokio::test(flavor = "multi_thread")]
async fn a_window_whose_claim_could_not_be_written_is_claimed_with_its_keep() {
    let (w, proxy, account) = vended().await;
    let root = w.console_edit(&account, R, "root").await;
    back_in_policy(&w, &account).await;

    proxy.faults(json!([
        record_held(),
        {"name": "claim", "service": "dynamodb", "action": "TransactWriteItems",
         "contains": "REMOVE #kept",
         "status": 400, "code": "ProvisionedThroughputExceededException", "message": "not now"}
    ]));
    reconcile_killed_at(&w, &proxy, &account, "first-record");
    assert!(hits(&proxy, "claim") >= 1, "{}", proxy.hits());
    proxy.faults(json!([]));
    let state = w.state(&account, R).await.unwrap();
    let claims = w.claims(&account, R).await;
    let teller = claims[&format!("told {root} by")].clone();
    assert!(
        teller.starts_with("cli-"),
        "claimed with the keep: {state:#?}"
    );
    assert_eq!(claims[&format!("told {root} kept")], teller, "{claims:#?}");

    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let told = published(&w).await;
    let kept = kept_bodies(&w).await;
    let mut all = window_versions(&told);
    all.extend(window_versions(&kept));
    assert_eq!(
        all,
        std::slice::from_ref(&root),
        "told once, by the reconcile"
    );
    let claims = w.claims(&account, R).await;
    assert_eq!(claims[&format!("told {root} by")], teller, "{claims:#?}");
}

/// A run whose claim cannot be written reads the item once and leaves what
/// another run claimed to it: a window an operator's `reconcile` told (and
/// never recorded past: killed at its record) is not told again by an edit
/// event's run whose claim is refused through every retry (since 0.7.15).
/// Until then that run told every version it read ("better twice than
/// never"), and under a storm of refused writes each event's run told the
/// versions an earlier one had told (simulation seed 800355).
#[tokio::test(flavor = "multi_thread")]
async fn a_run_whose_claim_cannot_be_written_leaves_what_another_run_told() {
    let (w, proxy, account) = vended().await;
    let (root, teller) = told_by_a_killed_reconcile(&w, &proxy, &account).await;

    proxy.faults(json!([
        {"name": "claim", "service": "dynamodb", "action": "TransactWriteItems",
         "contains": "REMOVE #kept",
         "status": 400, "code": "ProvisionedThroughputExceededException", "message": "not now"}
    ]));
    let event = doc_event("UpdateDocumentDefaultVersion", &account, R, "Admin");
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    assert!(hits(&proxy, "claim") >= 1, "{}", proxy.hits());
    let told = w.alerts().await;
    assert!(
        of_kind(&told, "run_as_window").is_empty(),
        "the reconcile's to tell: {told:#?}"
    );
    let claims = w.claims(&account, R).await;
    assert_eq!(claims[&format!("told {root} by")], teller, "{claims:#?}");
}

/// A slow backlog left by earlier runs does not hold a run's own alert
/// past its lease, where another run's flush would take and publish it
/// too (two pages, one `alert_id`): the flush stops half way through the
/// lease (30 s), the rest of the backlog waits for the next run, ours goes
/// out, and every alert is told once.
#[tokio::test(flavor = "multi_thread")]
async fn a_slow_backlog_is_left_to_the_next_run_before_the_runs_own_alert_is_due() {
    let (w, proxy, account) = vended().await;
    proxy.faults(
        json!([{"name": "sns", "service": "sns", "action": "Publish", "status": 503,
        "code": "ServiceUnavailable", "protocol": "query"}]),
    );
    // Five edits told while SNS is away: the backlog.
    for (user, region) in ["mallory", "trudy", "oscar"]
        .iter()
        .flat_map(|u| REGIONS.iter().map(move |r| (*u, *r)))
        .take(5)
    {
        w.console_edit(&account, region, user).await;
        let (code, out) = w.handle(&doc_event("UpdateDocument", &account, region, "Admin"));
        assert_eq!(code, 1, "a refused alert fails the event: {out:#}");
    }
    assert!(hits(&proxy, "sns") >= 5, "{}", proxy.hits());
    assert_eq!(outbox(&w).await.len(), 5, "the backlog");
    // SNS is back, its first four answers 8 s late each (under the SDK's
    // 10 s attempt): 32 s, past half the lease.
    proxy.faults(
        json!([{"name": "slow", "service": "sns", "action": "Publish",
        "effect": "hold", "hold_timeout": 8, "times": 4}]),
    );
    w.console_edit(&account, R, "eve").await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(hits(&proxy, "slow"), 4, "{}", proxy.hits());
    let first = w.alerts().await;
    let ours: Vec<_> = first
        .iter()
        .filter(|a| a["message"]["before"]["runAsDefaultUser"] == "eve")
        .collect();
    assert_eq!(ours.len(), 1, "ours, once: {first:#?}");
    assert_eq!(first.len(), 5, "four of the backlog, then ours: {first:#?}");
    assert_eq!(outbox(&w).await.len(), 1, "the rest left to the next run");
    // The next run publishes the rest; nothing is told twice.
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let rest = w.alerts().await;
    let mut ids: Vec<&str> = first
        .iter()
        .chain(&rest)
        .filter(|a| {
            ["drift_reverted", "tamper_repeated"].contains(&a["message"]["kind"].as_str().unwrap())
        })
        .map(|a| a["message"]["alert_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 6, "{first:#?} {rest:#?}");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6, "each told once: {first:#?} {rest:#?}");
    assert!(outbox(&w).await.is_empty());
}
