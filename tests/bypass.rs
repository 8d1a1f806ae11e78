//! Session documents that skip Run As (`run_as_bypass`): read on the event
//! (CloudTrail never shows content), alerted once per change, never
//! changed or deleted.

mod common;

use common::*;
use serde_json::{json, Value};

fn commands_document(elevated: bool) -> Value {
    json!({
        "schemaVersion": "1.0",
        "description": "Interactive shell",
        "sessionType": "InteractiveCommands",
        "parameters": {},
        "properties": {
            "linux": {"commands": "bash", "runAsElevated": elevated},
            "windows": {"commands": "powershell", "runAsElevated": true}
        }
    })
}

/// A CloudTrail write of `name` by the `Admin` role (the sample's shape).
fn session_event(event_name: &str, account: &str, region: &str, name: &str) -> Value {
    let mut e = doc_event(event_name, account, region, "Admin");
    let sample = sample("session_document_changed.ssm-create-elevated-session-document.json");
    e["detail"]["requestParameters"] = sample["detail"]["requestParameters"].clone();
    e["detail"]["requestParameters"]["name"] = json!(name);
    e["detail"]["responseElements"] = sample["detail"]["responseElements"].clone();
    e["detail"]["responseElements"]["documentDescription"]["name"] = json!(name);
    e
}

/// Creates the Session document, or adds a version (left not default), as
/// the account's administrator.
async fn write(w: &World, account: &str, region: &str, name: &str, content: &Value) -> String {
    w.admin_write_named(account, region, name, content, false)
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_elevated_session_document_is_alerted_once_per_change_and_left_alone() {
    let w = World::new().await;
    let account = w.create_account("elevated", None).await;
    write(
        &w,
        &account,
        "eu-west-1",
        "Elevated-Shell",
        &commands_document(true),
    )
    .await;

    let (code, out) = w.handle(&session_event(
        "CreateDocument",
        &account,
        "eu-west-1",
        "Elevated-Shell",
    ));
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "run_as_bypass");
    assert_eq!(m["severity"], "critical");
    assert_eq!(m["document"], "Elevated-Shell");
    assert_eq!(m["region"], "eu-west-1");
    assert_eq!(m["actor"], format!("arn:aws:iam::{account}:role/Admin"));
    assert_eq!(
        m["elevated"],
        json!([{"version": "1", "which": "default and latest", "platforms": ["linux"]}])
    );
    assert!(alerts[0]["subject"]
        .as_str()
        .unwrap()
        .contains("Elevated-Shell"));

    // The same change's other event (the console makes it default) is not news.
    let (code, out) = w.handle(&session_event(
        "UpdateDocumentDefaultVersion",
        &account,
        "eu-west-1",
        "Elevated-Shell",
    ));
    assert_eq!(code, 0, "{out:#}");
    assert!(w.alerts().await.is_empty(), "told once");

    // A new elevated version is news again; the document is never touched.
    let v2 = write(&w, &account, "eu-west-1", "Elevated-Shell", &json!({"sessionType": "InteractiveCommands", "schemaVersion": "1.0", "description": "v2", "properties": {"linux": {"commands": "sh", "runAsElevated": true}}})).await;
    let (code, out) = w.handle(&session_event(
        "UpdateDocument",
        &account,
        "eu-west-1",
        "Elevated-Shell",
    ));
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let which: Vec<&str> = alerts[0]["message"]["elevated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["which"].as_str().unwrap())
        .collect();
    assert_eq!(which, ["default", "latest"]);
    let ssm = w.admin_ssm(&account, "eu-west-1").await;
    let d = ssm
        .describe_document()
        .name("Elevated-Shell")
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.document().unwrap().latest_version(),
        Some(v2.as_str()),
        "left alone"
    );
    assert_eq!(d.document().unwrap().default_version(), Some("1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_document_that_keeps_run_as_is_silent() {
    let w = World::new().await;
    let account = w.create_account("plain", None).await;
    write(
        &w,
        &account,
        "us-east-1",
        "Plain-Commands",
        &commands_document(false),
    )
    .await;
    let (code, out) = w.handle(&session_event(
        "CreateDocument",
        &account,
        "us-east-1",
        "Plain-Commands",
    ));
    assert_eq!(code, 0, "{out:#}");
    assert!(
        out["reason"]
            .as_str()
            .unwrap()
            .contains("cannot skip Run As"),
        "{out:#}"
    );
    assert!(w.alerts().await.is_empty());
    // A region the policy does not govern is not looked at.
    let (code, out) = w.handle(&session_event(
        "CreateDocument",
        &account,
        "ap-south-1",
        "Plain-Commands",
    ));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["result"], "ignored", "{out:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_that_lists_session_documents_tells_each_one_once() {
    let mut w = World::new().await;
    w.write_policy("[session_documents]\nsweep = true\n");
    let proxy = w.behind_proxy();
    let account = w.create_account("listed", None).await;
    write(
        &w,
        &account,
        "us-east-1",
        "Root-Shell",
        &commands_document(true),
    )
    .await;
    write(
        &w,
        &account,
        "us-east-1",
        "Plain-Shell",
        &commands_document(false),
    )
    .await;
    assert_eq!(
        w.sweep_counting_sessions(&proxy),
        2,
        "one session per account (the member and the management account) serves its documents and the listing"
    );
    let alerts = w.alerts().await;
    let bypass = of_kind(&alerts, "run_as_bypass");
    assert_eq!(bypass.len(), 1, "{bypass:#?}");
    assert_eq!(bypass[0]["message"]["document"], "Root-Shell");
    assert_eq!(bypass[0]["message"]["account"], account.as_str());

    // The next sweep, and the document's own event, find it told.
    let (code, _) = w.handle(&sweep_event());
    assert_eq!(code, 0);
    let (code, _) = w.handle(&session_event(
        "UpdateDocumentDefaultVersion",
        &account,
        "us-east-1",
        "Root-Shell",
    ));
    assert_eq!(code, 0);
    assert!(
        w.alerts()
            .await
            .iter()
            .all(|a| a["message"]["kind"] != "run_as_bypass"),
        "told once"
    );
}
