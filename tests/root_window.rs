//! A Run As window closed before runas-guard looks: an editor the SCPs do
//! not stop sets root as a new default version and sets it back as a third,
//! and every event of theirs arrives after both. The document reads right;
//! the version between is told once (`run_as_window`), naming the editor,
//! the version and when it was made and replaced. The other side: an edit
//! put back by its own event is one `drift_reverted` and no window, and a
//! sweep after either is silent.

use crate::common;

use common::proxy::Proxy;
use common::*;
use serde_json::{json, Value};

const R: &str = "eu-west-1";

fn messages(alerts: &[Value]) -> Vec<&Value> {
    alerts.iter().map(|a| &a["message"]).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_root_window_closed_before_any_run_looked_is_told_once_naming_the_editor() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    let (_, recorded, _) = w.document(&account, R).await.unwrap();
    let root = w.console_edit(&account, R, "root").await;
    let back = w.console_edit(&account, R, "ssm-ops").await;
    assert_eq!(
        (root.parse::<u64>().unwrap(), back.parse::<u64>().unwrap()),
        (
            recorded.parse::<u64>().unwrap() + 1,
            recorded.parse::<u64>().unwrap() + 2
        )
    );
    // Both edits' events (UpdateDocument and the default switch of each)
    // arrive after the second edit, and one of them twice.
    let events: Vec<Value> = ["UpdateDocument", "UpdateDocumentDefaultVersion"]
        .iter()
        .flat_map(|name| {
            [
                doc_event_as(name, &account, R, "Breakglass", "mallory"),
                doc_event_as(name, &account, R, "Breakglass", "mallory"),
            ]
        })
        .collect();
    for e in events.iter().chain([&events[0]]) {
        let (code, out) = w.handle(e);
        assert_eq!(code, 0, "{out:#}");
    }
    let (doc, default, latest) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));
    assert_eq!(
        (default.as_str(), latest.as_str()),
        (back.as_str(), back.as_str()),
        "nothing to put back: the document reads right"
    );
    let alerts = w.alerts().await;
    let told = messages(&alerts);
    let windows: Vec<_> = told
        .iter()
        .filter(|m| m["kind"] == "run_as_window")
        .collect();
    assert_eq!(windows.len(), 1, "told once: {told:#?}");
    let m = windows[0];
    assert_eq!(m["severity"], "warning");
    assert_eq!(m["region"], R);
    assert_eq!(m["desired_user"], "ssm-ops");
    assert_eq!(m["windows"].as_array().unwrap().len(), 1, "{m:#}");
    let window = &m["windows"][0];
    assert_eq!(window["version"], root);
    assert_eq!(window["run_as"]["runAsDefaultUser"], "root");
    // No event says when root stopped being the default (the first one
    // handled is its making): until this run found the document right.
    let (from, until) = (window["from"].as_str(), window["until_at_most"].as_str());
    assert!(
        from.is_some() && until.is_some() && from <= until,
        "made, and the latest it can have held: {window:#}"
    );
    assert!(window.get("until_known").is_none(), "{window:#}");
    assert!(
        m["actor"].as_str().unwrap().ends_with(":role/Breakglass"),
        "{m:#}"
    );
    let subject = of_kind(&alerts, "run_as_window")[0]["subject"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        subject.contains("root") && subject.contains(&format!("version {root}")),
        "{subject}"
    );
    assert!(
        !told
            .iter()
            .any(|m| m["kind"] == "drift_reverted" || m["kind"] == "drift_detected"),
        "nothing was put back: {told:#?}"
    );
    // The next sweep has the versions recorded: silent.
    w.sweep_is_silent().await;
}

/// A sweep (no edit event reached the hub) finds the window too, once.
#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_finds_a_window_no_event_brought() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    let root = w.console_edit(&account, R, "root").await;
    w.console_edit(&account, R, "ssm-ops").await;
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let told = messages(&alerts);
    let windows: Vec<_> = told
        .iter()
        .filter(|m| m["kind"] == "run_as_window")
        .collect();
    assert_eq!(windows.len(), 1, "{told:#?}");
    assert_eq!(windows[0]["windows"][0]["version"], root);
    assert_eq!(windows[0]["found_by"], "sweep");
    let (code, _) = w.handle(&sweep_event());
    assert_eq!(code, 0);
    let after = w.alerts().await;
    assert!(of_kind(&after, "run_as_window").is_empty(), "{after:#?}");
}

/// The other side: an edit put back by its own event is one drift_reverted
/// and no window; settings edited without touching Run As are no window.
#[tokio::test(flavor = "multi_thread")]
async fn an_edit_reverted_by_its_own_event_is_told_once_and_no_window() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    w.console_edit(&account, R, "root").await;
    let (code, out) = w.handle(&doc_event_as(
        "UpdateDocumentDefaultVersion",
        &account,
        R,
        "Breakglass",
        "mallory",
    ));
    assert_eq!(code, 0, "{out:#}");
    // LZA's custom resource rewrites the settings with Run As copied (on
    // $LATEST, no default switch), twice: versions made, none out of policy.
    w.lza_write(&account, R, "one").await;
    w.lza_write(&account, R, "two").await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let told = messages(&alerts);
    assert_eq!(of_kind(&alerts, "drift_reverted").len(), 1, "{told:#?}");
    assert!(of_kind(&alerts, "run_as_window").is_empty(), "{told:#?}");
    let (code, _) = w.handle(&sweep_event());
    assert_eq!(code, 0);
    let after = w.alerts().await;
    assert!(of_kind(&after, "run_as_window").is_empty(), "{after:#?}");
}

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

/// The root window with the root version's `GetDocument` throttled past
/// the SDK's retries: the run cannot judge it, and says so (the version,
/// the read that failed, its span, the editor) before it records the new
/// default version; told once: the next sweep is silent.
#[tokio::test(flavor = "multi_thread")]
async fn a_root_version_that_cannot_be_read_is_told_not_recorded_past_silently() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let root = w.console_edit(&account, R, "root").await;
    let back = w.console_edit(&account, R, "ssm-ops").await;
    proxy.faults(
        json!([{"name": "throttled", "service": "ssm", "action": "GetDocument",
        "contains": format!("\"DocumentVersion\":\"{root}\""), "status": 400,
        "code": "ThrottlingException", "message": "Rate exceeded"}]),
    );
    for name in ["UpdateDocument", "UpdateDocumentDefaultVersion"] {
        let e = doc_event_as(name, &account, R, "Breakglass", "mallory");
        let (code, out) = w.handle(&e);
        assert_eq!(code, 0, "{out:#}");
    }
    let hits = proxy.hits();
    assert!(
        hits["throttled"]["hits"].as_u64().unwrap() >= 2,
        "the root version's read was refused past the retries: {hits}"
    );
    let (doc, default, latest) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));
    assert_eq!(
        (default.as_str(), latest.as_str()),
        (back.as_str(), back.as_str())
    );
    let alerts = w.alerts().await;
    let windows = of_kind(&alerts, "run_as_window");
    assert_eq!(windows.len(), 1, "told once: {alerts:#?}");
    let m = &windows[0]["message"];
    assert_eq!(
        m["windows"],
        json!([]),
        "nothing judged out of policy: {m:#}"
    );
    let u = &m["unjudged"];
    assert_eq!(u["versions"], json!([root]), "{m:#}");
    assert_eq!(
        (u["operation"].as_str(), u["error_code"].as_str()),
        (Some("GetDocument"), Some("ThrottlingException"))
    );
    assert!(
        u["from"].is_string() && u["until_at_most"].is_string(),
        "its span: {u:#}"
    );
    assert!(u["from"].as_str() <= u["until_at_most"].as_str(), "{u:#}");
    assert!(
        u["makers"][0]
            .as_str()
            .unwrap()
            .ends_with(":role/Breakglass"),
        "{u:#}"
    );
    let subject = windows[0]["subject"].as_str().unwrap();
    assert!(
        subject.contains(&format!("version {root} could not be read")),
        "{subject}"
    );
    // Recorded past it only now that it is told.
    assert_eq!(recorded(&w, &account).await["default_version"], back);
    // The control: the next sweep (the version readable again) is silent.
    proxy.faults(json!([]));
    w.sweep_is_silent().await;
}

/// `name`'s event by role Breakglass in `account`'s region, handled; the
/// run succeeds.
fn breakglass(w: &World, account: &str, name: &str) {
    let e = doc_event_as(name, account, R, "Breakglass", "mallory");
    let (code, out) = w.handle(&e);
    assert_eq!(code, 0, "{out:#}");
}

/// `name`'s event (by Breakglass) handled while the account's rows and the
/// region's item cannot be read (both refusals asserted fired): the
/// alerts its run sent.
async fn with_no_record(w: &World, proxy: &Proxy, account: &str, name: &str) -> Vec<Value> {
    proxy.faults(json!([rows_refused(), item_refused()]));
    breakglass(w, account, name);
    let hits = proxy.hits();
    assert!(hits["rows"]["hits"].as_u64().unwrap() >= 1, "{hits}");
    assert!(hits["item"]["hits"].as_u64().unwrap() >= 1, "{hits}");
    w.alerts().await
}

/// The rows' `Query` refused (a 5xx past the SDK's retries).
fn rows_refused() -> Value {
    json!({"name": "rows", "service": "dynamodb", "action": "Query",
    "contains": "begins_with(sk, :region)", "status": 500,
    "code": "InternalServerError", "message": "Internal server error"})
}

/// The region's own state item's `GetItem` refused as well.
fn item_refused() -> Value {
    json!({"name": "item", "service": "dynamodb", "action": "GetItem",
    "contains": format!("REGION#{R}"), "status": 500,
    "code": "InternalServerError", "message": "Internal server error"})
}

/// The same window with the account's rows' `Query` and the region's own
/// item refused during the edit events: no record to start the gap from,
/// so the versions before the latest are read back to the bound and the
/// root one is told, saying the record could not be read; the sweep after
/// is silent.
#[tokio::test(flavor = "multi_thread")]
async fn a_root_window_is_told_when_the_accounts_rows_cannot_be_read() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let root = w.console_edit(&account, R, "root").await;
    let back = w.console_edit(&account, R, "ssm-ops").await;
    proxy.faults(json!([rows_refused(), item_refused()]));
    breakglass(&w, &account, "UpdateDocumentDefaultVersion");
    let hits = proxy.hits();
    assert!(
        hits["rows"]["hits"].as_u64().unwrap() >= 1,
        "the rows' Query was refused: {hits}"
    );
    assert!(
        hits["item"]["hits"].as_u64().unwrap() >= 1,
        "the region's item was refused too: {hits}"
    );
    let (doc, default, latest) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));
    assert_eq!(
        (default.as_str(), latest.as_str()),
        (back.as_str(), back.as_str())
    );
    let alerts = w.alerts().await;
    let windows = of_kind(&alerts, "run_as_window");
    assert_eq!(windows.len(), 1, "{alerts:#?}");
    let m = &windows[0]["message"];
    let told: Vec<&str> = m["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["version"].as_str().unwrap())
        .collect();
    assert!(told.contains(&root.as_str()), "the root version: {m:#}");
    assert_eq!(m["unjudged"]["operation"], "Query", "{m:#}");
    assert_eq!(m["unjudged"]["error_code"], "InternalServerError", "{m:#}");
    assert!(
        !told.contains(&back.as_str()),
        "the current version is the run's own"
    );
    assert!(of_kind(&alerts, "drift_reverted").is_empty(), "{alerts:#?}");
    assert_eq!(recorded(&w, &account).await["default_version"], back);
    // The control: rows readable again, the sweep is silent.
    proxy.faults(json!([]));
    w.sweep_is_silent().await;
}

/// Versions a `run_as_window` alert tells as windows.
fn windows_told(alerts: &[Value]) -> Vec<String> {
    of_kind(alerts, "run_as_window")
        .iter()
        .flat_map(|a| {
            a["message"]["windows"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|w| w["version"].as_str().map(str::to_string))
        .collect()
}

/// Only the rows' `Query` refused: the region's own item (one `GetItem`) is
/// the record the gap starts from, and the window's claim. The root window
/// told by the first edit's run is not told again by a later edit's run
/// whose Query fails (the read back to the bound told it again: issue 61's
/// first fix), and the window of a new root version, set right before any
/// run looked, is told once from the record, with nothing unjudged. The
/// control: the sweep after, the rows readable again, is silent.
#[tokio::test(flavor = "multi_thread")]
async fn a_window_told_before_is_not_told_again_when_only_the_rows_cannot_be_read() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let root = w.console_edit(&account, R, "root").await;
    w.console_edit(&account, R, "ssm-ops").await;
    breakglass(&w, &account, "UpdateDocumentDefaultVersion");
    let first = w.alerts().await;
    assert_eq!(
        windows_told(&first),
        vec![root.clone()],
        "told once: {first:#?}"
    );
    // A second window, closed before any run looked, its events arriving
    // while the rows cannot be read.
    // (Another out-of-policy user, and another input changed on the way
    // back: SSM refuses a version whose content another version has.)
    let again = w.console_edit(&account, R, "mallory").await;
    let mut doc = w.document(&account, R).await.unwrap().0;
    doc["inputs"]["runAsDefaultUser"] = json!("ssm-ops");
    doc["inputs"]["idleSessionTimeout"] = json!("41");
    let back = w.admin_write(&account, R, &doc, true).await;
    proxy.faults(json!([rows_refused()]));
    breakglass(&w, &account, "UpdateDocumentDefaultVersion");
    let hits = proxy.hits();
    assert!(
        hits["rows"]["hits"].as_u64().unwrap() >= 1,
        "the rows' Query was refused: {hits}"
    );
    let alerts = w.alerts().await;
    assert_eq!(
        windows_told(&alerts),
        vec![again.clone()],
        "the new window once, the one told before not again: {alerts:#?}"
    );
    let m = &of_kind(&alerts, "run_as_window")[0]["message"];
    assert!(
        m["unjudged"].is_null(),
        "judged from the item's record: {m:#}"
    );
    assert_eq!(recorded(&w, &account).await["default_version"], back);
    // The control: rows readable again, the sweep is silent.
    proxy.faults(json!([]));
    w.sweep_is_silent().await;
}

/// Only the rows' `Query` refused, and the run puts back the edit its
/// event brings: it reads the region's own item after its write, which
/// carries its own write's intent. That is no other writer to leave the
/// history to: the root window before the edit (its events lost) is told
/// once, beside the put-back (simulation seed 900155: the run took its own
/// intent for a live writer's, judged no version since the record, and
/// recorded past a root default never told). The control: the sweep
/// after, the rows readable again, is silent.
#[tokio::test(flavor = "multi_thread")]
async fn a_put_backs_run_that_cannot_read_the_rows_tells_the_window_before_the_edit() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let root = w.console_edit(&account, R, "root").await;
    let edit = w.console_edit(&account, R, "mallory").await;
    proxy.faults(json!([rows_refused()]));
    breakglass(&w, &account, "UpdateDocumentDefaultVersion");
    let hits = proxy.hits();
    assert!(
        hits["rows"]["hits"].as_u64().unwrap() >= 1,
        "the rows' Query was refused: {hits}"
    );
    let (doc, default, _) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")), "put back");
    assert_ne!(default, edit);
    let alerts = w.alerts().await;
    assert_eq!(of_kind(&alerts, "drift_reverted").len(), 1, "{alerts:#?}");
    assert_eq!(
        windows_told(&alerts),
        vec![root.clone()],
        "the root window before the edit, once: {alerts:#?}"
    );
    assert_eq!(recorded(&w, &account).await["default_version"], default);
    // The control: rows readable again, the sweep is silent.
    proxy.faults(json!([]));
    w.sweep_is_silent().await;
}

/// The rows' `Query` and the region's own item both refused: the run reads
/// back to the bound with no record, and claims what it tells under every
/// record. The root window the first edit's run told is not told again
/// (until 0.19.0 such a run told it unclaimed: simulation seed 900021);
/// the record stays where the told run put it.
#[tokio::test(flavor = "multi_thread")]
async fn a_window_told_before_is_not_told_again_when_no_record_can_be_read() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let root = w.console_edit(&account, R, "root").await;
    let back = w.console_edit(&account, R, "ssm-ops").await;
    breakglass(&w, &account, "UpdateDocument");
    let first = w.alerts().await;
    assert_eq!(windows_told(&first), vec![root.clone()], "{first:#?}");
    // The same edit's other event, its run unable to read any record.
    let alerts = with_no_record(&w, &proxy, &account, "UpdateDocumentDefaultVersion").await;
    assert!(
        !windows_told(&alerts).contains(&root),
        "the root window is told once: {alerts:#?}"
    );
    assert_eq!(recorded(&w, &account).await["default_version"], back);
}

/// A put-back tells the root default it replaced (`drift_reverted`), and
/// its keep marks that version told on the ledger: a later run of the same
/// edit that can read no record reads back to the bound, finds root among
/// the past versions and does not tell it again as a window (until 0.19.0
/// it did: simulation seed 900217).
#[tokio::test(flavor = "multi_thread")]
async fn a_default_put_back_is_not_told_again_as_a_window_when_no_record_can_be_read() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let root = w.console_edit(&account, R, "root").await;
    breakglass(&w, &account, "UpdateDocumentDefaultVersion");
    let first = w.alerts().await;
    let reverted = of_kind(&first, "drift_reverted");
    assert_eq!(reverted.len(), 1, "{first:#?}");
    assert_eq!(
        reverted[0]["message"]["versions_before"]["default"], root,
        "{first:#?}"
    );
    let put_back = recorded(&w, &account).await["default_version"].clone();
    assert_ne!(put_back, json!(root));
    let alerts = with_no_record(&w, &proxy, &account, "UpdateDocument").await;
    assert!(
        !windows_told(&alerts).contains(&root),
        "root is told once, by its put-back: {alerts:#?}"
    );
    assert!(of_kind(&alerts, "drift_reverted").is_empty(), "{alerts:#?}");
    assert_eq!(recorded(&w, &account).await["default_version"], put_back);
}

/// A document deleted and made again restarts at version 1: root as the
/// new document's version 1, set right by its version 2 (the same numbers
/// the table recorded of the former one) is a window, told once with the
/// deletion; the sweep after is silent.
#[tokio::test(flavor = "multi_thread")]
async fn a_document_deleted_and_made_again_with_root_as_version_1_is_told() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    let recorded_before = recorded(&w, &account).await["default_version"].clone();
    // CloudTrail cuts its times to the second: the deletion a second after
    // the record reads as after it.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let ssm = w.admin_ssm(&account, R).await;
    let mut doc = w.document(&account, R).await.unwrap().0;
    ssm.delete_document()
        .name("SSM-SessionManagerRunShell")
        .send()
        .await
        .unwrap();
    doc["inputs"]["runAsDefaultUser"] = json!("root");
    let first = w.admin_write(&account, R, &doc, true).await;
    assert_eq!(first, "1");
    doc["inputs"]["runAsDefaultUser"] = json!("ssm-ops");
    let second = w.admin_write(&account, R, &doc, true).await;
    assert_eq!(second, recorded_before, "the numbers the table recorded");
    for name in [
        "DeleteDocument",
        "CreateDocument",
        "UpdateDocument",
        "UpdateDocumentDefaultVersion",
    ] {
        let e = doc_event_as(name, &account, R, "Breakglass", "mallory");
        let (code, out) = w.handle(&e);
        assert_eq!(code, 0, "{name}: {out:#}");
    }
    let (doc, default, latest) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));
    assert_eq!((default.as_str(), latest.as_str()), ("2", "2"));
    let alerts = w.alerts().await;
    let windows = of_kind(&alerts, "run_as_window");
    assert_eq!(windows.len(), 1, "told once: {alerts:#?}");
    let m = &windows[0]["message"];
    assert_eq!(m["windows"].as_array().unwrap().len(), 1, "{m:#}");
    assert_eq!(m["windows"][0]["version"], "1");
    assert_eq!(m["windows"][0]["run_as"]["runAsDefaultUser"], "root");
    assert_eq!(m["recreated"]["recorded_version"], recorded_before, "{m:#}");
    assert!(
        m["note"]
            .as_str()
            .unwrap()
            .contains("deleted and made again"),
        "{m:#}"
    );
    assert_eq!(recorded(&w, &account).await["default_version"], "2");
    // The control: the sweep after is silent.
    w.sweep_is_silent().await;
}
