//! A default switch whose run failed before judging it: an account admin
//! throttles the guard's SSM calls in their own account-region, makes root
//! the default and switches back seconds later. The switch event is the
//! only witness that root was the default (SSM keeps no history of
//! defaults); its run fails, and the next run that can read the document
//! found root as a latest behind a right default and put it back alone,
//! recording past a window no alert told (simulation seed 900004, `aimed`).
//! The failed run's record keeps the switch (`switch_v<N>`), the next run
//! judges it and tells the window with its editor, then lets it go. The
//! other side: a kept switch back to a right version tells nothing.

use crate::common;

use common::proxy::{killed_at_hold, Proxy};
use common::*;
use serde_json::{json, Value};

const R: &str = "eu-west-1";

fn switch(account: &str, at: &str, version: &str) -> Value {
    let mut e = doc_event_as("UpdateDocumentDefaultVersion", account, R, "Admin", "jane");
    e["detail"]["eventTime"] = json!(at);
    making(e, version)
}

/// Every read of the document in `R` throttled, as the admin's own calls
/// can make the guard's (SSM's quotas are per account and region).
fn reads_throttled(proxy: &Proxy) {
    proxy.faults(json!(throttled_reads()));
}

/// The rules of [`reads_throttled`].
fn throttled_reads() -> Vec<Value> {
    let rule = |action: &str| {
        json!({"name": action, "service": "ssm", "region": R, "action": action, "status": 400,
            "code": "ThrottlingException", "protocol": "json", "message": "Rate exceeded"})
    };
    vec![rule("GetDocument"), rule("DescribeDocument")]
}

/// Whether the throttling of [`throttled_reads`] answered any read.
fn throttling_fired(proxy: &Proxy) -> bool {
    let hits = proxy.hits();
    hits["GetDocument"]["hits"].as_u64().unwrap_or(0)
        + hits["DescribeDocument"]["hits"].as_u64().unwrap_or(0)
        > 0
}

/// The switch's event handled while reads are throttled: the run fails
/// there, and its record keeps the switch. Asserts that the faults fired.
fn failed_run(w: &World, proxy: &Proxy, event: &Value) {
    reads_throttled(proxy);
    let (code, out) = w.handle(event);
    assert_eq!(code, 1, "the run failed: {out:#}");
    assert!(
        throttling_fired(proxy),
        "the throttling never fired: {}",
        proxy.hits()
    );
    proxy.faults(json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_switch_whose_run_failed_is_told_by_the_next_run_with_its_editor() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let (_, right, _) = w.document(&account, R).await.unwrap();
    // CloudTrail's eventTime is to the second: the switch comes after the
    // second the configuration judged its default in.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let root = w.console_edit(&account, R, "root").await;
    let at = cloudtrail_now();
    let during = w.start_session(&account, R, "mallory").await;
    w.admin_switch(&account, R, &right).await;

    failed_run(&w, &proxy, &switch(&account, &at, &root));
    let failed = w.alerts().await;
    assert!(
        failed
            .iter()
            .all(|a| a["message"]["kind"] == "remediation_failed"),
        "{failed:#?}"
    );
    let kept = format!("switch_v{root}");
    let state = w.state(&account, R).await.unwrap();
    assert!(state.contains_key(&kept), "{state:#?}");

    // The next run that reads the document (a sweep: it names no switch)
    // judges the kept one: root was the default, a window with its editor.
    let (_, m) = a_sweep_tells_roots_window(&w, &account, &root).await;
    assert!(listed_sessions(&m).contains(&during.as_str()), "{m:#}");
    let (doc, default, latest) = w.document(&account, R).await.unwrap();
    assert_eq!(default, latest, "root put back as the latest");
    assert_ne!(doc["inputs"]["runAsDefaultUser"], "root");
    let state = w.state(&account, R).await.unwrap();
    assert!(!state.contains_key(&kept), "let go once told: {state:#?}");

    // Told once: the next sweep is silent.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert!(w.alerts().await.is_empty());
}

/// The switch's run fails, keeps its alert and is killed before its record
/// (the Lambda's deadline, where an admin slows the guard's calls down; in
/// the simulation every attempt of the event died so). The switch is kept
/// on the item before the alert is, so the next run still tells root's
/// window; until 0.19.0 only the record kept it (simulation seed 900024).
#[tokio::test(flavor = "multi_thread")]
async fn a_switch_whose_run_died_after_keeping_its_alert_is_still_told() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let (_, right, _) = w.document(&account, R).await.unwrap();
    // CloudTrail's eventTime is to the second: the switch comes after the
    // second the configuration judged its default in.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let root = w.console_edit(&account, R, "root").await;
    let at = cloudtrail_now();
    w.admin_switch(&account, R, &right).await;

    let mut rules = throttled_reads();
    rules.push(
        json!({"name": "record", "service": "dynamodb", "action": "UpdateItem",
        "contains": "last_trigger_kind", "effect": "hold", "hold_timeout": 120}),
    );
    proxy.faults(json!(rules));
    killed_at_hold(&w, &proxy, &switch(&account, &at, &root), "record");
    assert!(
        throttling_fired(&proxy),
        "the throttling never fired: {}",
        proxy.hits()
    );
    // The held record never lands: the proxy goes with it.
    drop(proxy);
    w.set_env("AWS_ENDPOINT_URL", &w.moto.url.clone());
    let kept = format!("switch_v{root}");
    let state = w.state(&account, R).await.unwrap();
    assert!(
        state.contains_key(&kept),
        "kept before the alert: {state:#?}"
    );
    assert_ne!(
        state["status"], "failed",
        "the failed run's record never landed: {state:#?}"
    );

    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let told = w.alerts().await;
    let windows = of_kind(&told, "run_as_window");
    assert_eq!(windows.len(), 1, "{told:#?}");
    assert_eq!(windows[0]["message"]["windows"][0]["version"], root);
    let state = w.state(&account, R).await.unwrap();
    assert!(!state.contains_key(&kept), "let go once told: {state:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kept_switch_back_to_a_right_version_tells_nothing_and_goes() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let (right_doc, right, _) = w.document(&account, R).await.unwrap();
    // A right version made the default and switched back from, the switch
    // back's run failing: nothing out of policy was ever the default.
    let mut again = right_doc.clone();
    again["inputs"]["idleSessionTimeout"] = json!("19");
    w.admin_write(&account, R, &again, true).await;
    w.admin_switch(&account, R, &right).await;
    failed_run(&w, &proxy, &switch(&account, &cloudtrail_now(), &right));
    w.alerts().await;
    let kept = format!("switch_v{right}");
    assert!(w.state(&account, R).await.unwrap().contains_key(&kept));

    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let told = w.alerts().await;
    assert!(
        of_kind(&told, "run_as_window").is_empty() && of_kind(&told, "drift_reverted").is_empty(),
        "{told:#?}"
    );
    let state = w.state(&account, R).await.unwrap();
    assert!(!state.contains_key(&kept), "judged and let go: {state:#?}");
}

/// The run that judges a kept switch has its claim refused because the
/// row moved on: another run recorded past the switch's version between
/// this run's read and its claim (made to happen: the claim held, a peer's
/// record written meanwhile). That run may not have told it; this one did
/// not: its record keeps the version and the switch stays for the run
/// after, which tells root's window once. Until 0.19.0 the record let the
/// switch go and root was told by nobody (simulation seed 900030, `aimed`).
#[tokio::test(flavor = "multi_thread")]
async fn a_kept_switch_whose_judges_claim_the_row_refused_stays_for_the_next_run() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let (_, right, _) = w.document(&account, R).await.unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let root = w.console_edit(&account, R, "root").await;
    let at = cloudtrail_now();
    w.admin_switch(&account, R, &right).await;
    failed_run(&w, &proxy, &switch(&account, &at, &root));
    w.alerts().await;
    let kept = format!("switch_v{root}");

    proxy.faults(
        json!([{"name": "claim", "service": "dynamodb", "action": "TransactWriteItems",
        "contains": "ConditionCheck", "effect": "hold", "times": 1, "hold_timeout": 120}]),
    );
    let mut sweep = in_background(&w, &sweep_event());
    assert!(proxy.wait("claim", "held", 1, 90), "{}", proxy.hits());
    // A peer's record past the switch's version lands meanwhile.
    recorded_by_a_peer(&w, &account, &root).await;
    proxy.faults(json!([]));
    assert!(sweep.wait().unwrap().success());
    let first = w.alerts().await;
    assert!(of_kind(&first, "run_as_window").is_empty(), "{first:#?}");
    let state = w.state(&account, R).await.unwrap();
    assert!(state.contains_key(&kept), "the switch stays: {state:#?}");

    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let told = w.alerts().await;
    let windows = of_kind(&told, "run_as_window");
    assert_eq!(windows.len(), 1, "{told:#?}");
    assert_eq!(windows[0]["message"]["windows"][0]["version"], root);
    let state = w.state(&account, R).await.unwrap();
    assert!(!state.contains_key(&kept), "let go once told: {state:#?}");
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert!(of_kind(&w.alerts().await, "run_as_window").is_empty());
}

/// A switch event's retry finds another run's write in flight on the
/// item (its intent, its lease running), waits for it and puts back the
/// root default found since; the writer fails meanwhile and lets its lease
/// go (made to happen: a peer's lease written on the item, released while
/// the retry waits). The retry judged no history (the writer's to tell),
/// so the switch its failed try kept stays: the next run tells root's
/// window once, naming the switch's editor. Until 0.19.0 the record let
/// the switch go as its own, and the version was told by nobody
/// (simulation seed 900077, `aimed`).
#[tokio::test(flavor = "multi_thread")]
async fn a_switch_retried_under_a_write_in_flight_stays_kept_for_the_next_run() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let (_, right, _) = w.document(&account, R).await.unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let root = w.console_edit(&account, R, "root").await;
    let event = switch(&account, &cloudtrail_now(), &root);
    w.admin_switch(&account, R, &right).await;
    failed_run(&w, &proxy, &event);
    w.alerts().await;
    let kept = format!("switch_v{root}");
    // Root again, in a new version made the default: a write is due.
    let mut doc = w.document(&account, R).await.unwrap().0;
    doc["inputs"]["runAsDefaultUser"] = json!("root");
    doc["inputs"]["idleSessionTimeout"] = json!("19");
    let again = w.admin_write(&account, R, &doc, true).await;

    peer_lease(&w, &account, Some(60)).await;
    proxy.faults(
        json!([{"name": "take", "service": "dynamodb", "action": "UpdateItem",
        "contains": "attribute_not_exists(lease_until)", "effect": "count"}]),
    );
    let mut retry = in_background(&w, &event);
    assert!(proxy.wait("take", "hits", 2, 60), "{}", proxy.hits());
    peer_lease(&w, &account, None).await;
    assert!(retry.wait().unwrap().success());
    let put_back = w.alerts().await;
    let drift = of_kind(&put_back, "drift_reverted");
    assert_eq!(drift.len(), 1, "{put_back:#?}");
    assert_eq!(drift[0]["message"]["versions_before"]["default"], again);
    let state = w.state(&account, R).await.unwrap();
    assert!(state.contains_key(&kept), "the switch stays: {state:#?}");

    let (told, _) = a_sweep_tells_roots_window(&w, &account, &root).await;
    assert!(of_kind(&told, "drift_reverted").is_empty(), "{told:#?}");
    let state = w.state(&account, R).await.unwrap();
    assert!(!state.contains_key(&kept), "let go once told: {state:#?}");
}

/// A peer run's write lease on the item for `secs` (with its intent), or,
/// `None`, that run's failed record letting it go.
async fn peer_lease(w: &World, account: &str, secs: Option<u64>) {
    use aws_sdk_dynamodb::types::AttributeValue::{N, S};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let update = aws_sdk_dynamodb::Client::new(&w.cfg)
        .update_item()
        .table_name(&w.table)
        .key("pk", S(format!("ACCOUNT#{account}")))
        .key("sk", S(format!("REGION#{R}")));
    let update = match secs {
        Some(secs) => update
            .update_expression("SET lease_owner = :peer, lease_until = :until, intent = :intent")
            .expression_attribute_values(":peer", S("peer".into()))
            .expression_attribute_values(":intent", S("{}".into()))
            .expression_attribute_values(
                ":until",
                N((now.as_millis() + secs as u128 * 1000).to_string()),
            ),
        None => update
            .update_expression("SET lease_until = :until REMOVE intent")
            .expression_attribute_values(":until", N(now.as_millis().to_string())),
    };
    update.send().await.unwrap();
}

/// A peer run's record of the item at `version` (its default).
async fn recorded_by_a_peer(w: &World, account: &str, version: &str) {
    use aws_sdk_dynamodb::types::AttributeValue::S;
    aws_sdk_dynamodb::Client::new(&w.cfg)
        .update_item()
        .table_name(&w.table)
        .key("pk", S(format!("ACCOUNT#{account}")))
        .key("sk", S(format!("REGION#{R}")))
        .update_expression("SET default_version = :v")
        .expression_attribute_values(":v", S(version.to_string()))
        .send()
        .await
        .unwrap();
}

/// `event` handled in the background, its output dropped.
fn in_background(w: &World, event: &Value) -> std::process::Child {
    w.command(&["handle", w.write_event(event).to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// The next sweep tells one window, of `root`, naming the switch's editor:
/// what it told and that window's message.
async fn a_sweep_tells_roots_window(w: &World, account: &str, root: &str) -> (Vec<Value>, Value) {
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let told = w.alerts().await;
    let windows = of_kind(&told, "run_as_window");
    assert_eq!(windows.len(), 1, "{told:#?}");
    let m = windows[0]["message"].clone();
    assert_eq!(m["windows"][0]["version"], root, "{m:#}");
    assert_eq!(
        m["actor"],
        format!("arn:aws:iam::{account}:role/Admin"),
        "{m:#}"
    );
    (told, m)
}
