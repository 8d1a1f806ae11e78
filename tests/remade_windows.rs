//! A document deleted and made again numbers its versions from 1 again, so
//! a window of its new life can have the very version number, under the
//! very recorded default, that a told window of its former life had. What
//! was told of the former life must not make the new window look told:
//! the new one is told once, and the sweep after is silent.

use crate::common;

use common::*;
use serde_json::json;

const R: &str = "eu-west-1";

/// Versions `1..=upto` of a new life of the document, the last with
/// `doc`'s content, as compact JSON, and the default; those before differ
/// only in their idle timeout. SSM refuses a version whose content another
/// has: the console's edits after (pretty JSON) differ from the last.
async fn made_again(w: &World, account: &str, doc: &serde_json::Value, upto: u64) {
    let ssm = w.admin_ssm(account, R).await;
    ssm.delete_document().name(DOC).send().await.unwrap();
    for n in 1..upto {
        let mut earlier = doc.clone();
        earlier["inputs"]["idleSessionTimeout"] = json!(format!("{}", 20 + n));
        w.admin_write(account, R, &earlier, false).await;
    }
    let last = ssm
        .update_document()
        .name(DOC)
        .content(doc.to_string())
        .document_version("$LATEST")
        .send()
        .await
        .unwrap();
    let v = last
        .document_description()
        .unwrap()
        .document_version()
        .unwrap();
    assert_eq!(v, upto.to_string());
    ssm.update_document_default_version()
        .name(DOC)
        .document_version(v)
        .send()
        .await
        .unwrap();
}

/// The document deleted and made again: root at version 1, then versions
/// `2..=upto` that differ from `doc` only in their idle timeout, each made
/// the default. The last one's number.
async fn made_again_root_first(
    w: &World,
    account: &str,
    doc: &serde_json::Value,
    upto: u64,
) -> String {
    let ssm = w.admin_ssm(account, R).await;
    ssm.delete_document().name(DOC).send().await.unwrap();
    let mut root = doc.clone();
    root["inputs"]["runAsEnabled"] = json!(true);
    root["inputs"]["runAsDefaultUser"] = json!("root");
    let mut last = w.admin_write(account, R, &root, false).await;
    assert_eq!(last, "1");
    for n in 2..=upto {
        let mut right = doc.clone();
        right["inputs"]["idleSessionTimeout"] = json!(format!("{}", 20 + n));
        last = w.admin_write(account, R, &right, true).await;
    }
    last
}

/// The put-back's `UpdateDocumentDefaultVersion` to `version`, the first
/// event to reach the guard: its run tells the new life's root version 1
/// once, as made again since `recorded`; the sweep after is silent.
async fn told_once_by_the_put_backs_run(w: &World, account: &str, version: &str, recorded: &str) {
    let mut put_back = doc_event("UpdateDocumentDefaultVersion", account, R, "Admin");
    put_back["detail"]["requestParameters"]["documentVersion"] = json!(version);
    let (code, out) = w.handle(&put_back);
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let windows = of_kind(&alerts, "run_as_window");
    assert_eq!(windows.len(), 1, "told once: {alerts:#?}");
    let m = &windows[0]["message"];
    assert_eq!(m["windows"][0]["version"], "1", "{m:#}");
    assert_eq!(m["windows"][0]["run_as"]["runAsDefaultUser"], json!("root"));
    assert_eq!(m["recreated"]["recorded_version"], recorded, "{m:#}");
    w.sweep_is_silent().await;
}

/// A former life's window told, the document deleted and made again up to
/// the number the table first recorded and that life recorded, then the
/// new life's window with the former one's number made and closed: the
/// account and that number.
async fn former_and_new_window(w: &World) -> (String, String) {
    let account = w.configured_and_swept().await;
    let (doc, recorded, _) = w.document(&account, R).await.unwrap();
    let recorded_n: u64 = recorded.parse().unwrap();
    // The former life's window, closed before any run looked: told once.
    let root = w.console_edit(&account, R, "root").await;
    w.console_edit(&account, R, "ssm-ops").await;
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let first = w.alerts().await;
    let windows = of_kind(&first, "run_as_window");
    assert_eq!(windows.len(), 1, "{first:#?}");
    assert_eq!(
        windows[0]["message"]["windows"][0]["version"],
        root.as_str()
    );
    // Deleted and made again up to the number the table first recorded,
    // and that new life recorded: the same record the former window had.
    made_again(w, &account, &doc, recorded_n).await;
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    w.alerts().await;
    let (_, default, latest) = w.document(&account, R).await.unwrap();
    assert_eq!(
        (default.as_str(), latest.as_str()),
        (recorded.as_str(), recorded.as_str())
    );
    // The new life's window, with the former one's number.
    let again = w.console_edit(&account, R, "root").await;
    assert_eq!(again, root, "the former window's number");
    w.console_edit(&account, R, "ssm-ops").await;
    (account, root)
}

/// The next sweep tells the new life's root window `version` once, and the
/// sweep after it is silent.
async fn told_once_by_the_sweep(w: &World, version: &str) {
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let windows = of_kind(&alerts, "run_as_window");
    assert_eq!(windows.len(), 1, "told once: {alerts:#?}");
    let m = &windows[0]["message"];
    assert_eq!(m["windows"][0]["version"], version, "{m:#}");
    assert_eq!(m["windows"][0]["run_as"]["runAsDefaultUser"], json!("root"));
    // The control: the sweep after is silent.
    w.sweep_is_silent().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_of_a_new_life_with_a_former_windows_number_and_record_is_told_once() {
    let w = World::new().await;
    let (_, root) = former_and_new_window(&w).await;
    told_once_by_the_sweep(&w, &root).await;
}

/// The same, but the sweep that first reads the new life's window cannot
/// read that version (its `GetDocument` is refused): it cannot date it
/// against the former life's told claim of the same number under a record
/// of the same number, so it takes nothing as told, and its record keeps
/// the version below the window. The sweep after reads the version and
/// tells it once (simulation seed 900097: the claim was taken as the new
/// window's, and the record moved past a window never told).
#[tokio::test(flavor = "multi_thread")]
async fn a_new_lifes_window_whose_version_cannot_be_read_is_not_taken_for_the_former_lifes() {
    let mut w = World::new().await;
    let (account, root) = former_and_new_window(&w).await;
    let proxy = w.behind_proxy();
    proxy.faults(
        json!([{"name": "read", "service": "ssm", "action": "GetDocument",
        "contains": format!("\"DocumentVersion\":\"{root}\""), "code": "AccessDeniedException"}]),
    );
    let (_, out) = w.handle(&sweep_event());
    assert!(
        proxy.hits()["read"]["hits"].as_u64().unwrap_or(0) >= 1,
        "{}",
        proxy.hits()
    );
    let told = w.alerts().await;
    assert!(
        of_kind(&told, "run_as_window").is_empty(),
        "{told:#?} {out:#}"
    );
    let recorded = w.state(&account, R).await.unwrap()["default_version"].clone();
    assert!(
        recorded.parse::<u64>().unwrap() < root.parse::<u64>().unwrap(),
        "the record keeps the version below the unread window: {recorded}"
    );
    proxy.faults(json!([]));
    told_once_by_the_sweep(&w, &root).await;
}

/// A document deleted and made again whose version 1 held root, put right
/// at a version above the record before any run looked, and the put-back's
/// `UpdateDocumentDefaultVersion` event the first to reach the guard (the
/// deletion's and the creation's come later, or never): no gap lies
/// between the record and the latest, yet every version below it is the
/// new life's. The run reads the recorded version, finds it made after the
/// record, and tells the new life's version 1 as a window with `recreated`,
/// once (simulation seed 900118, `aws`). The control: the sweep after is
/// silent.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_lifes_version_put_right_before_any_run_looked_is_told_by_the_put_backs_run() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    let (doc, recorded, _) = w.document(&account, R).await.unwrap();
    let recorded_n: u64 = recorded.parse().unwrap();
    // A version's CreatedDate may be whole seconds: made a second after the
    // record, it reads as made after it.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let last = made_again_root_first(&w, &account, &doc, recorded_n + 1).await;
    assert!(
        last.parse::<u64>().unwrap() > recorded_n,
        "above the record"
    );
    told_once_by_the_put_backs_run(&w, &account, &last, &recorded).await;
}

/// Simulation seed 900300: the document deleted and made again with root
/// at version 1, put back by its `CreateDocument` event's run, then
/// deleted and made again the same way. Each life's version 1 is its own
/// fact: two `drift_reverted`, two identities. Before, the second shared
/// the first's `alert_id` (the version number alone) and a reader keeping
/// one copy per id never saw it.
#[tokio::test(flavor = "multi_thread")]
async fn each_life_of_a_remade_documents_root_version_one_is_told_under_its_own_identity() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    let (doc, _, _) = w.document(&account, R).await.unwrap();
    let mut root = doc.clone();
    root["inputs"]["runAsEnabled"] = json!(true);
    root["inputs"]["runAsDefaultUser"] = json!("root");
    let ssm = w.admin_ssm(&account, R).await;
    let mut ids = Vec::new();
    for life in 0..2 {
        // CreatedDate may be whole seconds: each life a second apart.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        ssm.delete_document().name(DOC).send().await.unwrap();
        assert_eq!(w.admin_write(&account, R, &root, false).await, "1");
        let (code, out) = w.handle(&doc_event("CreateDocument", &account, R, "Admin"));
        assert_eq!(code, 0, "{out:#}");
        let alerts = w.alerts().await;
        let reverted = of_kind(&alerts, "drift_reverted");
        assert_eq!(reverted.len(), 1, "life {life}: {alerts:#?}");
        let m = &reverted[0]["message"];
        assert_eq!(m["versions_before"]["default"], "1", "{m:#}");
        assert_eq!(m["before"]["runAsDefaultUser"], "root", "{m:#}");
        ids.push(m["alert_id"].as_str().unwrap().to_string());
        let (now, _, _) = w.document(&account, R).await.unwrap();
        assert_eq!(run_as(&now).1, json!("ssm-ops"), "life {life} put back");
    }
    assert_ne!(ids[0], ids[1], "two lives, two facts");
    // The control: the sweep after is silent.
    w.sweep_is_silent().await;
}

/// Simulation seed 900263: the document deleted and made again up to the
/// number the table recorded, twice. Each re-creation is its own life's
/// fact, dated by when that life's version 1 was made: each is told once
/// (`recreated`, two identities). Before, the second one's claim was the
/// first one's (the same recorded number, no date): refused as told, and
/// the second life was told by nobody.
#[tokio::test(flavor = "multi_thread")]
async fn a_document_made_again_twice_under_the_same_record_is_told_made_again_each_time() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    let (doc, recorded, _) = w.document(&account, R).await.unwrap();
    let recorded_n: u64 = recorded.parse().unwrap();
    let mut ids = Vec::new();
    for life in 0..2 {
        // Made again beyond the clocks' two-second margin after the record.
        std::thread::sleep(std::time::Duration::from_millis(2600));
        made_again(&w, &account, &doc, recorded_n).await;
        let (code, out) = w.handle(&sweep_event());
        assert_eq!(code, 0, "{out:#}");
        let alerts = w.alerts().await;
        let windows = of_kind(&alerts, "run_as_window");
        assert_eq!(windows.len(), 1, "life {life}: {alerts:#?}");
        let m = &windows[0]["message"];
        assert_eq!(m["recreated"]["recorded_version"], recorded, "{m:#}");
        ids.push(m["alert_id"].as_str().unwrap().to_string());
        let (_, default, latest) = w.document(&account, R).await.unwrap();
        assert_eq!(
            (default.as_str(), latest.as_str()),
            (recorded.as_str(), recorded.as_str())
        );
    }
    assert_ne!(ids[0], ids[1], "two lives, two facts");
    // The control: the sweep after is silent.
    w.sweep_is_silent().await;
}

/// Simulation seed 900035: the document deleted and made again (root at
/// version 1, put right up to the number the table recorded), then a
/// sweep that fails there (its `GetDocument` refused: the test asserts the
/// rule fired) records the slot failed, keeping the version. The next
/// sweep reads the recorded number made after that version was recorded
/// and tells the new document's root version 1, once; the sweep after is
/// silent. Before, the failed record's time was what the check compared
/// with: the version read as made before it, and the record moved past
/// the root version untold.
#[tokio::test(flavor = "multi_thread")]
async fn a_document_made_again_before_a_failed_run_is_told_by_the_next() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let (doc, recorded, _) = w.document(&account, R).await.unwrap();
    let recorded_n: u64 = recorded.parse().unwrap();
    // Made again beyond the clocks' two-second margin after the record.
    std::thread::sleep(std::time::Duration::from_millis(2600));
    made_again_root_first(&w, &account, &doc, recorded_n).await;
    let (_, default, _) = w.document(&account, R).await.unwrap();
    assert_eq!(default, recorded, "put right at the recorded number");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let proxy = w.behind_proxy();
    proxy.faults(
        json!([{"name": "read", "service": "ssm", "action": "GetDocument",
        "code": "AccessDeniedException"}]),
    );
    let (_, out) = w.handle(&sweep_event());
    assert!(
        proxy.hits()["read"]["hits"].as_u64().unwrap_or(0) >= 1,
        "{}",
        proxy.hits()
    );
    let failed = w.alerts().await;
    assert!(
        of_kind(&failed, "run_as_window").is_empty(),
        "{failed:#?} {out:#}"
    );
    let row = w.state(&account, R).await.unwrap();
    assert_eq!(row["status"], "failed", "{row:?}");
    assert_eq!(row["default_version"], recorded, "kept: {row:?}");
    proxy.faults(json!([]));
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let windows = of_kind(&alerts, "run_as_window");
    assert_eq!(windows.len(), 1, "told once: {alerts:#?}");
    let m = &windows[0]["message"];
    assert_eq!(m["windows"][0]["version"], "1", "{m:#}");
    assert_eq!(m["windows"][0]["run_as"]["runAsDefaultUser"], json!("root"));
    assert_eq!(
        m["recreated"]["recorded_version"],
        recorded.as_str(),
        "{m:#}"
    );
    // The control: the sweep after is silent.
    w.sweep_is_silent().await;
}

/// Simulation seed 900076: a document deleted and made again whose version
/// 1 held root for seconds, put right at the very number the table
/// recorded, the put-back's `UpdateDocumentDefaultVersion` event the first
/// to reach the guard. The numbers read as recorded; the default's own
/// `CreatedDate` (read with its content, no further call) says it was made
/// after the record: the new life's version 1 is told, once.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_lifes_version_put_right_at_the_recorded_number_is_told_by_the_put_backs_run() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    let (doc, _, _) = w.document(&account, R).await.unwrap();
    let mut right = doc.clone();
    right["inputs"]["idleSessionTimeout"] = json!("19");
    let recorded = w.admin_write(&account, R, &right, true).await;
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    w.alerts().await;
    let recorded_n: u64 = recorded.parse().unwrap();
    assert!(recorded_n >= 2, "{recorded}");
    // Made again beyond the clocks' two-second margin after the record.
    std::thread::sleep(std::time::Duration::from_millis(2600));
    made_again_root_first(&w, &account, &doc, recorded_n).await;
    let (_, default, _) = w.document(&account, R).await.unwrap();
    assert_eq!(default, recorded, "put right at the recorded number");
    told_once_by_the_put_backs_run(&w, &account, &recorded, &recorded).await;
}
