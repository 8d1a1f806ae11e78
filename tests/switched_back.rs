//! A version made the default twice: root made the default, replaced by a
//! right version, then switched back to and put back. The switch back's
//! event arrives first; its run puts root back and tells it from that
//! switch. The first switch's event arrives last: that judgement covers no
//! earlier span (the version was replaced in between), so its run tells
//! the first span as a window, with the session started in it (simulation
//! seed 900021). The other side: the switch back's own event delivered
//! twice tells nothing more.

use crate::common;

use common::*;
use serde_json::{json, Value};

const R: &str = "eu-west-1";

fn switch(account: &str, at: &str, version: &str) -> Value {
    let mut e = doc_event_as("UpdateDocumentDefaultVersion", account, R, "Admin", "jane");
    e["detail"]["eventTime"] = json!(at);
    making(e, version)
}

fn handled(w: &World, event: &Value) {
    let (code, out) = w.handle(event);
    assert_eq!(code, 0, "{out:#}");
}

/// The default switched to `version`, seconds after what came before
/// (CloudTrail's seconds tell the switches apart), and that switch's event.
async fn switched_later(w: &World, account: &str, version: &str) -> Value {
    std::thread::sleep(std::time::Duration::from_millis(3100));
    w.admin_switch(account, R, version).await;
    switch(account, &cloudtrail_now(), version)
}

/// A configured account whose admin made root the default in the console:
/// the account, root's version, that switch's event, and a right document
/// to write next.
async fn root_then_right(w: &World) -> (String, String, Value, Value) {
    let account = w.configured_and_swept().await;
    let (right, _, _) = w.document(&account, R).await.unwrap();
    let root = w.console_edit(&account, R, "root").await;
    let to_root = switch(&account, &cloudtrail_now(), &root);
    let mut again = right.clone();
    again["inputs"]["idleSessionTimeout"] = json!("19");
    (account, root, to_root, again)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_version_made_the_default_twice_is_told_for_each_time_with_its_sessions() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    let (right, _, _) = w.document(&account, R).await.unwrap();
    let root = w.console_edit(&account, R, "root").await;
    let first_at = cloudtrail_now();
    let during = w.start_session(&account, R, "mallory").await;
    let mut again = right.clone();
    again["inputs"]["idleSessionTimeout"] = json!("19");
    w.admin_write(&account, R, &again, true).await;
    let back = switched_later(&w, &account, &root).await;
    handled(&w, &back);
    let put_back = w.alerts().await;
    let reverted = of_kind(&put_back, "drift_reverted");
    assert_eq!(reverted.len(), 1, "{put_back:#?}");
    assert_eq!(reverted[0]["message"]["versions_before"]["default"], root);
    // Its own event again: nothing more.
    handled(&w, &back);
    assert!(w.alerts().await.is_empty());

    // The first switch's event, last: its span is a window of its own.
    handled(&w, &switch(&account, &first_at, &root));
    let first = w.alerts().await;
    let windows = of_kind(&first, "run_as_window");
    assert_eq!(windows.len(), 1, "{first:#?}");
    let m = &windows[0]["message"];
    assert_eq!(m["windows"][0]["version"], root, "{m:#}");
    let listed = listed_sessions(m);
    assert!(listed.contains(&during.as_str()), "{m:#}");
    // The control: a sweep after is silent.
    handled(&w, &sweep_event());
    assert!(w.alerts().await.is_empty());
}

/// Simulation seed 900128 (`aimed`): root made the latest and the default,
/// the default switched back to the right version seconds later, that
/// switch's event lost. The root switch's own run finds root as the latest
/// behind a right default: its event says root was the default, so root is
/// a window from the switch, not a latest that never held. The other side:
/// a root latest made but never the default is put back alone, no window.
#[tokio::test(flavor = "multi_thread")]
async fn a_latest_the_runs_own_switch_made_the_default_is_a_window_once_switched_back() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    let (right, before, _) = w.document(&account, R).await.unwrap();
    let root = w.console_edit(&account, R, "root").await;
    let to_root = switch(&account, &cloudtrail_now(), &root);
    switched_later(&w, &account, &before).await;
    handled(&w, &to_root);
    let alerts = w.alerts().await;
    let windows = of_kind(&alerts, "run_as_window");
    assert_eq!(windows.len(), 1, "{alerts:#?}");
    assert_eq!(windows[0]["message"]["windows"][0]["version"], root);
    let (doc, default, latest) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc).1, json!("ssm-ops"));
    assert_eq!(default, latest, "the latest put back");

    // The other side: a root latest never made the default, its event an
    // UpdateDocument: put back alone, no window.
    let mut root_doc = right.clone();
    root_doc["inputs"]["runAsDefaultUser"] = json!("root");
    root_doc["inputs"]["idleSessionTimeout"] = json!("18");
    let alone = w.admin_write(&account, R, &root_doc, false).await;
    let mut made = doc_event_as("UpdateDocument", &account, R, "Admin", "jane");
    made["detail"]["eventTime"] = json!(cloudtrail_now());
    handled(&w, &making(made, &alone));
    let alerts = w.alerts().await;
    assert!(of_kind(&alerts, "run_as_window").is_empty(), "{alerts:#?}");
    let reverted = of_kind(&alerts, "drift_reverted");
    assert_eq!(reverted.len(), 1, "{alerts:#?}");
    assert_eq!(reverted[0]["message"]["latest_only"], true);
}

/// Simulation seed 900126 (`aimed`), in audit: root made the default and
/// switched back seconds later. The switch back's event comes first; its
/// run tells root's window (and root, still the latest, as a latest alone).
/// The root switch's own event, last, tells nothing more: that latest's
/// window is told.
#[tokio::test(flavor = "multi_thread")]
async fn in_audit_a_switch_back_told_first_leaves_nothing_to_the_switchs_late_event() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    w.write_policy("mode = \"audit\"");
    let (_, before, _) = w.document(&account, R).await.unwrap();
    let root = w.console_edit(&account, R, "root").await;
    let to_root = switch(&account, &cloudtrail_now(), &root);
    handled(&w, &switched_later(&w, &account, &before).await);
    let first = w.alerts().await;
    let windows = of_kind(&first, "run_as_window");
    assert_eq!(windows.len(), 1, "{first:#?}");
    assert_eq!(windows[0]["message"]["windows"][0]["version"], root);
    handled(&w, &to_root);
    let late = w.alerts().await;
    assert!(of_kind(&late, "run_as_window").is_empty(), "{late:#?}");
    assert!(of_kind(&late, "drift_detected").is_empty(), "{late:#?}");
}

/// Simulation seed 900108: root made the default and replaced, its window
/// told from its making by the replacement's run; later switched back to
/// and put back. The first switch's late event is covered by the window
/// (told from the version's making), not only by the put-back (told from
/// the switch back): nothing more is told.
#[tokio::test(flavor = "multi_thread")]
async fn a_window_told_from_the_making_covers_its_switch_after_a_later_switch_back() {
    let w = World::new().await;
    let (account, root, to_root, again) = root_then_right(&w).await;
    let fixed = w.admin_write(&account, R, &again, true).await;
    handled(&w, &switch(&account, &cloudtrail_now(), &fixed));
    let told = w.alerts().await;
    assert_eq!(of_kind(&told, "run_as_window").len(), 1, "{told:#?}");
    handled(&w, &switched_later(&w, &account, &root).await);
    let back = w.alerts().await;
    assert_eq!(of_kind(&back, "drift_reverted").len(), 1, "{back:#?}");
    handled(&w, &to_root);
    let late = w.alerts().await;
    assert!(late.is_empty(), "{late:#?}");
}

/// Root told as a put-back of its version; then root made the default
/// again in a new version whose events are lost, and the default switched
/// back to the first root version. The switch back's run puts it back and
/// tells the new root version beside it (the latest with the default's own
/// Run As: one window over both). That alert is another fact than the
/// first put-back, so it has another `alert_id`: under the first one's id,
/// readers dropped it as a copy and the new version's window went untold
/// (simulation seed 900161). The other side: the same event again tells
/// nothing more.
#[tokio::test(flavor = "multi_thread")]
async fn a_default_told_again_with_a_latest_beside_it_is_another_alert() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    let root = w.console_edit(&account, R, "root").await;
    handled(&w, &switch(&account, &cloudtrail_now(), &root));
    let told = w.alerts().await;
    let first = of_kind(&told, "drift_reverted");
    assert_eq!(first.len(), 1, "{first:#?}");
    assert_eq!(first[0]["message"]["versions_before"]["default"], root);

    let mut again = w.document(&account, R).await.unwrap().0;
    again["inputs"]["runAsDefaultUser"] = json!("root");
    again["inputs"]["idleSessionTimeout"] = json!("19");
    let latest = w.admin_write(&account, R, &again, true).await;
    let back = switched_later(&w, &account, &root).await;
    handled(&w, &back);
    let again_told = w.alerts().await;
    let second = of_kind(&again_told, "drift_reverted");
    assert_eq!(second.len(), 1, "{second:#?}");
    let m = &second[0]["message"];
    assert_eq!(m["versions_before"]["default"], root, "{m:#}");
    assert_eq!(m["versions_before"]["latest"], latest, "{m:#}");
    assert_ne!(m["alert_id"], first[0]["message"]["alert_id"], "{m:#}");
    let (doc, _, _) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));

    handled(&w, &back);
    assert!(w.alerts().await.is_empty());
}

/// Simulation seed 900340: root's window told from its making by a run
/// whose record then failed; a sweep found that window told by another run
/// and recorded past root without judging it. The root switch's late event
/// finds root below the record and reads it as a switch's window: the
/// window told from root's making was open before that switch and reached
/// past it, so nothing more is told. Until 0.19.0 the switch's window was
/// claimed on its own item and told a second time.
#[tokio::test(flavor = "multi_thread")]
async fn a_switch_a_told_window_covered_is_not_told_again_below_the_record() {
    let mut w = World::new().await;
    let (account, root, to_root, again) = root_then_right(&w).await;
    // The told window reaches past the switch's second.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let fixed = w.admin_write(&account, R, &again, true).await;
    let proxy = w.behind_proxy();
    proxy.faults(
        json!([{"name": "record", "service": "dynamodb", "action": "UpdateItem",
        "contains": format!("judged_v{root}"), "code": "AccessDeniedException"}]),
    );
    let _ = w.handle(&switch(&account, &cloudtrail_now(), &fixed));
    let hits = proxy.hits()["record"]["hits"].as_u64().unwrap_or(0);
    assert!(hits >= 1, "{}", proxy.hits());
    proxy.faults(json!([]));
    // The sweep sends the failed run's kept alert and finds root told.
    handled(&w, &sweep_event());
    let told = w.alerts().await;
    let windows = of_kind(&told, "run_as_window");
    assert_eq!(windows.len(), 1, "{told:#?}");
    assert_eq!(windows[0]["message"]["windows"][0]["version"], root);
    let row = w.state(&account, R).await.unwrap();
    assert_eq!(row["default_version"], fixed, "recorded past root: {row:?}");
    handled(&w, &to_root);
    let late = w.alerts().await;
    assert!(late.is_empty(), "{late:#?}");
    w.sweep_is_silent().await;
}
