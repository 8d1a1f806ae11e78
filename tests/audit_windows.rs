//! Audit mode tells a window when it opens (the simulation's seeds 17, 21
//! and 1): an out-of-policy latest version behind a right default is told
//! when found, and told once more when it becomes the default (sessions
//! get it from then); the same value seen again is quiet. A sweep that
//! finds an edit before its event tells it, and the event's run names the
//! editor in a follow-up.

use crate::common;

use common::*;
use serde_json::{json, Value};

const R: &str = "eu-west-1";

fn kinds(alerts: &[Value]) -> Vec<String> {
    alerts
        .iter()
        .map(|a| {
            a["message"]["kind"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

/// An editor writes root on $LATEST and leaves the default as it was; its
/// event's run tells one `drift_detected`. The right document, the
/// default's version, root's version and the alerts.
async fn root_on_the_latest_told(w: &World, account: &str) -> (Value, String, String, Vec<Value>) {
    let (right, default, _) = w.document(account, R).await.unwrap();
    let mut doc = right.clone();
    doc["inputs"]["runAsDefaultUser"] = json!("root");
    let v = w.admin_write(account, R, &doc, false).await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", account, R, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    let first = w.alerts().await;
    assert_eq!(kinds(&first), ["drift_detected"], "{first:#?}");
    (right, default, v, first)
}

/// The editor makes `version` the default (as an admin in the console).
async fn make_default(w: &World, account: &str, version: &str) {
    w.admin_ssm(account, R)
        .await
        .update_document_default_version()
        .name("SSM-SessionManagerRunShell")
        .document_version(version)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_audit_latest_out_of_policy_is_told_again_when_it_becomes_the_default() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    w.write_policy("mode = \"audit\"");
    let (_, default, v, first) = root_on_the_latest_told(&w, &account).await;
    assert_eq!(first[0]["message"]["versions_before"]["default"], default);
    assert_eq!(first[0]["message"]["versions_before"]["latest"], v);
    // Seen again (a sweep): the same finding, quiet.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let again = w.alerts().await;
    assert!(of_kind(&again, "drift_detected").is_empty(), "{again:#?}");
    // Its window opens: the editor makes it the default.
    make_default(&w, &account, &v).await;
    let (code, out) = w.handle(&doc_event(
        "UpdateDocumentDefaultVersion",
        &account,
        R,
        "Admin",
    ));
    assert_eq!(code, 0, "{out:#}");
    let opened = w.alerts().await;
    assert_eq!(kinds(&opened), ["drift_detected"], "{opened:#?}");
    let m = &opened[0]["message"];
    assert_eq!(m["versions_before"]["default"], v, "{m:#}");
    assert_eq!(m["before"]["runAsDefaultUser"], "root");
    assert_eq!(m["actor"], format!("arn:aws:iam::{account}:role/Admin"));
    // Audit never writes; the same value in effect, seen again, is quiet.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let (_, now_default, latest) = w.document(&account, R).await.unwrap();
    assert_eq!(
        (now_default.as_str(), latest.as_str()),
        (v.as_str(), v.as_str())
    );
    let after = w.alerts().await;
    assert!(of_kind(&after, "drift_detected").is_empty(), "{after:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_audit_finding_a_sweep_told_first_is_named_by_its_edit_event() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    w.write_policy("mode = \"audit\"");
    let (mut doc, _, _) = w.document(&account, R).await.unwrap();
    doc["inputs"]["runAsDefaultUser"] = json!("root");
    let v = w.admin_write(&account, R, &doc, true).await;
    let edited_at = cloudtrail_now();
    // The sweep finds it first: told, with no editor to name.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let swept = w.alerts().await;
    let found = of_kind(&swept, "drift_detected");
    assert_eq!(found.len(), 1, "{swept:#?}");
    assert_eq!(found[0]["message"]["found_by"], "sweep");
    // Audit puts nothing back: a session started after the sweep's finding
    // still runs as root, and the follow-up lists it (seed 900252).
    let during = w.start_session(&account, R, "mallory").await;
    // The edit's event arrives: its run names the editor, once.
    let mut event = doc_event("UpdateDocumentDefaultVersion", &account, R, "Admin");
    event["detail"]["eventTime"] = json!(edited_at);
    for _ in 0..2 {
        let (code, out) = w.handle(&event);
        assert_eq!(code, 0, "{out:#}");
    }
    let named = w.alerts().await;
    assert_eq!(kinds(&named), ["drift_detected"], "{named:#?}");
    let m = &named[0]["message"];
    assert_eq!(m["actor"], format!("arn:aws:iam::{account}:role/Admin"));
    assert_eq!(m["follow_up_of"]["found_by"], "sweep", "{m:#}");
    assert_eq!(m["follow_up_of"]["version_replaced"], v, "{m:#}");
    let listed = listed_sessions(m);
    assert_eq!(listed, [during.as_str()], "{m:#}");
    // Nothing more: another sweep is quiet.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let after = w.alerts().await;
    assert!(of_kind(&after, "drift_detected").is_empty(), "{after:#?}");
}

/// Simulation seed 900187: the audit finding of a root version as the
/// latest alone told no time as the default. The editor made it the
/// default and put a right version on top seconds later; the switch's own
/// event, run after both, tells its window from the switch. What the table
/// recorded (root, from the latest's finding) is no answer about that time.
#[tokio::test(flavor = "multi_thread")]
async fn an_audit_latest_made_the_default_and_put_right_before_the_switch_is_read_is_told_from_the_switch(
) {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    w.write_policy("mode = \"audit\"");
    let (right, _, v, first) = root_on_the_latest_told(&w, &account).await;
    assert_eq!(first[0]["message"]["latest_only"], true, "{first:#?}");
    // Made the default, then a right version on top, before any run looks.
    make_default(&w, &account, &v).await;
    let mut switched = doc_event("UpdateDocumentDefaultVersion", &account, R, "Admin");
    switched["detail"]["requestParameters"]["documentVersion"] = json!(v);
    let put_right = w.admin_write(&account, R, &right, true).await;
    let (code, out) = w.handle(&switched);
    assert_eq!(code, 0, "{out:#}");
    let told = w.alerts().await;
    assert_eq!(kinds(&told), ["run_as_window"], "{told:#?}");
    let m = &told[0]["message"];
    assert_eq!(m["windows"][0]["version"], v, "{m:#}");
    // From the switch's second (CloudTrail's eventTime), not the making.
    let at = switched["detail"]["eventTime"].as_str().unwrap();
    let from = format!("{}.000Z", at.trim_end_matches('Z'));
    assert_eq!(m["windows"][0]["from"], from, "{m:#}");
    assert_eq!(m["versions_now"]["default"], put_right, "{m:#}");
    assert_eq!(m["actor"], format!("arn:aws:iam::{account}:role/Admin"));
    // Told once: the switch's event again, and a sweep, are quiet.
    let (code, out) = w.handle(&switched);
    assert_eq!(code, 0, "{out:#}");
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let after = w.alerts().await;
    assert!(
        of_kind(&after, "run_as_window").is_empty() && of_kind(&after, "drift_detected").is_empty(),
        "{after:#?}"
    );
}
