//! A sweep that read a `root` default and then failed before it judged the
//! document (its `GetDocument` of the latest version refused past the SDK's
//! retries, the shape of the simulation's seed 5): the account-region is
//! recorded failed, and the editor then makes the right latest version the
//! default. The failed record keeps the default version judged before, so
//! the next run reads the versions after it and tells the root window once;
//! before, the failed record dropped the recorded version and no run ever
//! read the root version (issue 61: never record past what was not judged).
//! The quiet side: the same failure over a version that never held root is
//! no window, and the sweep after the told window is silent.

use crate::common;

use common::proxy::Proxy;
use common::*;
use serde_json::{json, Value};

const R: &str = "eu-west-1";

/// The state item of `account`'s governed document in `R`.
async fn recorded(w: &World, account: &str) -> std::collections::HashMap<String, String> {
    w.items()
        .await
        .into_iter()
        .find(|i| {
            i.get("pk") == Some(&format!("ACCOUNT#{account}"))
                && i.get("sk").map(String::as_str) == Some(&format!("REGION#{R}"))
        })
        .expect("the region's state item")
}

/// Version `version`'s `GetDocument` refused (throttled past the retries).
fn latest_refused(version: &str) -> Value {
    json!([{"name": "latest", "service": "ssm", "action": "GetDocument",
    "contains": format!("\"DocumentVersion\":\"{version}\""), "status": 400,
    "code": "ThrottlingException", "message": "Rate exceeded"}])
}

/// The editor's shape: `first` made the default (`root`, or a right user
/// for the control), then a right version made and not yet the default. A
/// sweep reads the default, its read of the latest is refused; then the
/// editor makes the latest the default and its event arrives. Returns the
/// first version, the alerts after the event's run and whether the failed
/// record kept the version judged before.
async fn failed_sweep_then_put_back(
    first: &str,
) -> (World, Proxy, String, String, Vec<Value>, bool) {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let before = recorded(&w, &account).await["default_version"].clone();
    let proxy = w.behind_proxy();
    // Each version's own logging prefix: the control's two right versions
    // are not the same content (SSM refuses a duplicate).
    let mut doc = w.document(&account, R).await.unwrap().0;
    doc["inputs"]["runAsDefaultUser"] = json!(first);
    doc["inputs"]["s3KeyPrefix"] = json!("first-edit");
    let edited = w.admin_write(&account, R, &doc, true).await;
    doc["inputs"]["runAsDefaultUser"] = json!("ssm-ops");
    doc["inputs"]["s3KeyPrefix"] = json!("put-back");
    let right = w.admin_write(&account, R, &doc, false).await;
    assert_eq!(
        w.document(&account, R).await.unwrap().1,
        edited,
        "the first edit is the default"
    );
    proxy.faults(latest_refused(&right));
    let _ = w.handle(&sweep_event());
    let hits = proxy.hits();
    assert!(
        hits["latest"]["hits"].as_u64().unwrap() >= 1,
        "the sweep's read of the latest was refused: {hits}"
    );
    let item = recorded(&w, &account).await;
    assert_eq!(item["status"], "failed", "{item:?}");
    let kept = item.get("default_version") == Some(&before);
    let early = w.alerts().await;
    assert!(
        of_kind(&early, "run_as_window").is_empty(),
        "nothing judged yet: {early:#?}"
    );
    proxy.faults(json!([]));
    w.admin_ssm(&account, R)
        .await
        .update_document_default_version()
        .name("SSM-SessionManagerRunShell")
        .document_version(&right)
        .send()
        .await
        .unwrap();
    let e = doc_event_as(
        "UpdateDocumentDefaultVersion",
        &account,
        R,
        "Breakglass",
        "mallory",
    );
    let (code, out) = w.handle(&e);
    assert_eq!(code, 0, "{out:#}");
    let (doc, default, _) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));
    assert_eq!(default, right, "nothing to put back");
    let alerts = w.alerts().await;
    (w, proxy, account, edited, alerts, kept)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_root_default_a_failed_sweep_saw_is_told_once_by_the_next_run() {
    let (w, _proxy, account, root, alerts, kept) = failed_sweep_then_put_back("root").await;
    let windows = of_kind(&alerts, "run_as_window");
    assert_eq!(windows.len(), 1, "told once: {alerts:#?}");
    let m = &windows[0]["message"];
    assert_eq!(m["windows"].as_array().unwrap().len(), 1, "{m:#}");
    assert_eq!(m["windows"][0]["version"], root.as_str(), "{m:#}");
    assert_eq!(m["windows"][0]["run_as"]["runAsDefaultUser"], "root");
    assert!(kept, "the failed record kept the version judged before");
    // The control: the next sweep has it recorded and told: silent.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let after = w.alerts().await;
    assert!(of_kind(&after, "run_as_window").is_empty(), "{after:#?}");
    assert_ne!(recorded(&w, &account).await["status"], "failed");
}

/// The quiet side: the failed sweep saw a version in policy (another
/// allowed edit); the next run reads it and tells no window.
#[tokio::test(flavor = "multi_thread")]
async fn a_right_default_a_failed_sweep_saw_is_no_window() {
    let (_w, _proxy, _account, _first, alerts, kept) = failed_sweep_then_put_back("ssm-ops").await;
    assert!(kept, "the failed record kept the version judged before");
    assert!(
        of_kind(&alerts, "run_as_window").is_empty(),
        "no window: {alerts:#?}"
    );
}

/// A failed run's record keeps the version judged before and observes
/// nothing; the editor's root default (another version) is then put back by
/// the next sweep, which tells it as someone's change (`drift_reverted`,
/// `found_by: sweep`), once (since 0.7.4; the simulation's seed 60: before,
/// only the sweep's summary counted it). The quiet side: the sweep after it
/// tells no drift.
#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_putting_back_past_a_failed_record_tells_that_default_once() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let kept = recorded(&w, &account).await["default_version"].clone();
    let proxy = w.behind_proxy();
    let edited = w.console_edit(&account, R, "root").await;
    // The edit's run fails: every read of the document refused.
    proxy.faults(
        json!([{"name": "read", "service": "ssm", "action": "GetDocument",
        "status": 400, "code": "AccessDeniedException", "message": "denied"}]),
    );
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_ne!(code, 0, "{out:#}");
    assert!(
        proxy.hits()["read"]["hits"].as_u64().unwrap_or(0) >= 1,
        "{}",
        proxy.hits()
    );
    let failed = recorded(&w, &account).await;
    assert_eq!(
        (failed["status"].as_str(), &failed["default_version"]),
        ("failed", &kept),
        "{failed:#?}"
    );
    w.alerts().await;

    proxy.faults(json!([]));
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let told: Vec<Value> = w
        .alerts()
        .await
        .into_iter()
        .map(|a| a["message"].clone())
        .filter(|m| m["kind"] == "drift_reverted")
        .collect();
    assert_eq!(told.len(), 1, "{told:#?}");
    assert_eq!(told[0]["found_by"], "sweep");
    assert_eq!(told[0]["versions_before"]["default"], edited.as_str());
    assert_eq!(told[0]["before"]["runAsDefaultUser"], "root");

    assert_eq!(w.handle(&sweep_event()).0, 0);
    assert!(w
        .alerts()
        .await
        .iter()
        .all(|a| a["message"]["kind"] == "sweep_summary"));
}

/// A sweep whose every read of the document is refused: the slot is
/// recorded failed, its audit finding's mark kept.
async fn sweep_refused(w: &World, proxy: &Proxy, account: &str) {
    proxy.faults(
        json!([{"name": "read", "service": "ssm", "action": "GetDocument",
        "status": 400, "code": "AccessDeniedException", "message": "denied"}]),
    );
    let (code, out) = w.handle(&sweep_event());
    assert_ne!(code, 0, "{out:#}");
    assert!(
        proxy.hits()["read"]["hits"].as_u64().unwrap_or(0) >= 1,
        "{}",
        proxy.hits()
    );
    let failed = recorded(w, account).await;
    assert_eq!(failed["status"], "failed", "{failed:#?}");
    assert!(failed.contains_key("drift_seen_value"), "{failed:#?}");
    proxy.faults(json!([]));
    w.alerts().await;
}

/// The audit findings of a sweep, beside its summary.
async fn audit_findings(w: &World) -> Vec<Value> {
    assert_eq!(w.handle(&sweep_event()).0, 0);
    w.alerts()
        .await
        .into_iter()
        .map(|a| a["message"].clone())
        .filter(|m| m["kind"] == "drift_detected")
        .collect()
}

/// Audit: a failed record keeps the slot's finding (its drift mark) and
/// the version judged before. A sweep over it that finds the same finding
/// is quiet; one that finds another (an edit whose event never came) tells
/// it as someone's change (`drift_detected`, `found_by: sweep`), once
/// (simulation seed 19, `harsh`: before, the sweep after a failed one
/// counted the new finding only in its summary, and it was never told).
#[tokio::test(flavor = "multi_thread")]
async fn audit_a_new_finding_past_a_failed_record_is_told_once_and_the_same_one_is_quiet() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    w.write_policy("mode = \"audit\"");
    let proxy = w.behind_proxy();
    w.console_edit(&account, R, "root").await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(of_kind(&w.alerts().await, "drift_detected").len(), 1);

    // The same finding past a failed record: quiet.
    sweep_refused(&w, &proxy, &account).await;
    let again = audit_findings(&w).await;
    assert!(again.is_empty(), "{again:#?}");

    // Another finding past a failed record, its event lost: told once.
    sweep_refused(&w, &proxy, &account).await;
    let edited = w.console_edit(&account, R, "mallory").await;
    let told = audit_findings(&w).await;
    assert_eq!(told.len(), 1, "{told:#?}");
    assert_eq!(told[0]["found_by"], "sweep");
    assert_eq!(told[0]["versions_before"]["default"], edited.as_str());
    assert_eq!(told[0]["before"]["runAsDefaultUser"], "mallory");
    let after = audit_findings(&w).await;
    assert!(after.is_empty(), "{after:#?}");
    let (doc, _, _) = w.document(&account, R).await.unwrap();
    assert_eq!(
        run_as(&doc),
        (json!(true), json!("mallory")),
        "audit writes nothing"
    );
}
