//! In audit a latest version found out of policy behind a right default is
//! told as such (`latest_only`): no time as the default. When its editor
//! then makes it the default and puts it right, the run of whichever event
//! arrives first tells its window; a record never moves past it untold
//! because the latest-alone finding had the same value (simulation seed
//! 900215).

use crate::common;

use common::*;
use serde_json::{json, Value};

const R: &str = "eu-west-1";

fn event(name: &str, account: &str, at: &str, version: &str) -> Value {
    let mut e = doc_event_as(name, account, R, "Admin", "jane");
    e["detail"]["eventTime"] = json!(at);
    making(e, version)
}

/// The alerts telling `version` as a window or a finding (follow-ups
/// naming an editor aside).
fn telling<'a>(alerts: &'a [Value], version: &str) -> Vec<&'a Value> {
    alerts
        .iter()
        .filter(|a| a["message"]["follow_up_of"].is_null())
        .filter(|a| {
            let m = &a["message"];
            let windows = m["windows"].as_array().into_iter().flatten();
            let in_window = windows.clone().any(|w| w["version"] == version);
            let found = m["versions_before"]["default"] == version && m["latest_only"] != true;
            in_window || found
        })
        .collect()
}

/// Audit: Run As off on a new latest version alone, its edit's event told
/// as such (`latest_only`). The account, the right document, the off one
/// and its version.
async fn off_told_alone(w: &World) -> (String, Value, Value, String) {
    let account = w.configured_and_swept().await;
    w.write_policy("mode = \"audit\"");
    let (right, _, _) = w.document(&account, R).await.unwrap();
    let mut doc = right.clone();
    doc["inputs"]["runAsEnabled"] = json!(false);
    let off = w.admin_write(&account, R, &doc, false).await;
    let (code, out) = w.handle(&event("UpdateDocument", &account, &cloudtrail_now(), &off));
    assert_eq!(code, 0, "{out:#}");
    let first = w.alerts().await;
    let alone = of_kind(&first, "drift_detected");
    assert_eq!(alone.len(), 1, "{first:#?}");
    assert_eq!(alone[0]["message"]["latest_only"], true, "{first:#?}");
    (account, right, doc, off)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_latest_told_alone_then_made_the_default_and_put_right_is_told_once_by_the_first_run() {
    let w = World::new().await;
    let (account, right, _, off) = off_told_alone(&w).await;

    // The editor makes it the default, then puts it right; the restore's
    // event arrives before the switch's.
    w.admin_switch(&account, R, &off).await;
    let switched_at = cloudtrail_now();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let restored = w.admin_write(&account, R, &right, true).await;
    let restore = event("UpdateDocument", &account, &cloudtrail_now(), &restored);
    let (code, out) = w.handle(&restore);
    assert_eq!(code, 0, "{out:#}");
    let second = w.alerts().await;
    assert_eq!(
        telling(&second, &off).len(),
        1,
        "told by the restore's run: {second:#?}"
    );

    // The switch's own event, late, tells it no more.
    let switch = event("UpdateDocumentDefaultVersion", &account, &switched_at, &off);
    let (code, out) = w.handle(&switch);
    assert_eq!(code, 0, "{out:#}");
    let third = w.alerts().await;
    assert!(telling(&third, &off).is_empty(), "{third:#?}");
}

/// Both sides in `enforce`: an editor makes a root version the default
/// (its events lost) and switches back to the right one; the switch's own
/// event proves another version was the default just before it, so its
/// run tells root's window (seed 900397). The other side: an edit that
/// only made an out-of-policy latest, never the default, is put back as
/// the latest alone, with no window.
#[tokio::test(flavor = "multi_thread")]
async fn a_switch_back_to_the_default_found_tells_the_latest_it_replaced() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    let (mut doc, right, _) = w.document(&account, R).await.unwrap();
    doc["inputs"]["runAsDefaultUser"] = json!("root");
    let root = w.admin_write(&account, R, &doc, true).await;
    std::thread::sleep(std::time::Duration::from_millis(1100));
    w.admin_switch(&account, R, &right).await;
    let switch = event(
        "UpdateDocumentDefaultVersion",
        &account,
        &cloudtrail_now(),
        &right,
    );
    let (code, out) = w.handle(&switch);
    assert_eq!(code, 0, "{out:#}");
    let told = w.alerts().await;
    let windows = of_kind(&told, "run_as_window");
    assert_eq!(windows.len(), 1, "{told:#?}");
    assert_eq!(windows[0]["message"]["windows"][0]["version"], json!(root));

    // Another latest out of policy, never made the default: put back, no window.
    let (mut doc, _, _) = w.document(&account, R).await.unwrap();
    doc["inputs"]["runAsDefaultUser"] = json!("mallory");
    let latest = w.admin_write(&account, R, &doc, false).await;
    let (code, out) = w.handle(&event(
        "UpdateDocument",
        &account,
        &cloudtrail_now(),
        &latest,
    ));
    assert_eq!(code, 0, "{out:#}");
    let told = w.alerts().await;
    assert!(of_kind(&told, "run_as_window").is_empty(), "{told:#?}");
    let put_back = of_kind(&told, "drift_reverted");
    assert_eq!(put_back.len(), 1, "{told:#?}");
    assert_eq!(put_back[0]["message"]["latest_only"], true);
}

/// Audit, simulation seed 900032: Run As off on the latest alone, told as
/// such (`latest_only`); the sweep after stays quiet (the same finding).
/// Then an editor makes another version with the same value the default,
/// its events lost: the value is now in effect. The sweep that finds it
/// tells it (`drift_detected`, found by the sweep) once, and the sweep
/// after is silent. Before, it judged the value unchanged since its
/// record and counted it only in its summary.
#[tokio::test(flavor = "multi_thread")]
async fn a_latest_alones_value_made_the_default_by_another_version_is_told_by_the_sweep() {
    let w = World::new().await;
    let (account, _, mut doc, _) = off_told_alone(&w).await;
    // The quiet side: the same finding, still the latest's alone.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let quiet = w.alerts().await;
    assert!(of_kind(&quiet, "drift_detected").is_empty(), "{quiet:#?}");

    // Another version, the same value, made the default; no event arrives.
    doc["inputs"]["idleSessionTimeout"] = json!("21");
    let in_effect = w.admin_write(&account, R, &doc, true).await;
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let told = w.alerts().await;
    let found = of_kind(&told, "drift_detected");
    assert_eq!(found.len(), 1, "{told:#?}");
    let m = &found[0]["message"];
    assert_eq!(m["versions_before"]["default"], json!(in_effect), "{m:#}");
    assert_eq!(m["found_by"], "sweep", "{m:#}");
    assert!(m["latest_only"].is_null(), "{m:#}");
    assert_eq!(telling(&told, &in_effect).len(), 1, "{told:#?}");
    // The control: the sweep after is silent.
    w.sweep_is_silent().await;
}
