//! Per-permission-set session documents (`[[document]]`): created on a vend
//! in every governed region, defended from edits like the default document,
//! and, with `inherit`, following the default document's other inputs.

use crate::common;

use common::*;
use serde_json::{json, Value};

const ADMIN: &str = "SSMRunAs-Admin";
const READ_ONLY: &str = "SSMRunAs-ReadOnly";

/// Admin inherits the default document's settings; ReadOnly keeps its own.
fn documents_policy(prod_ou: &str) -> String {
    format!(
        r#"
[[document]]
name = "{ADMIN}"
run_as_user = "admin"
inherit = "SSM-SessionManagerRunShell"

[[document.ou]]
id = "{prod_ou}"
run_as_user = "prodadmin"

[[document]]
name = "{READ_ONLY}"
run_as_user = "viewer"
"#
    )
}

/// The CloudTrail event of an edit of `name` (any document).
fn named_doc_event(event_name: &str, account: &str, region: &str, name: &str) -> Value {
    let mut e = doc_event(event_name, account, region, "Admin");
    e["detail"]["requestParameters"]["name"] = json!(name);
    e
}

fn inputs_but_run_as(doc: &Value) -> Value {
    let mut inputs = doc["inputs"].clone();
    let o = inputs.as_object_mut().unwrap();
    o.shift_remove("runAsEnabled");
    o.shift_remove("runAsDefaultUser");
    inputs
}

async fn vended(w: &World, prod: &str) -> String {
    let account = w.create_account("permission-sets", Some(prod)).await;
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    account
}

/// Someone points the Admin document's session logs elsewhere (nothing
/// else changed), and the edit's event is handled.
async fn edit_admin_logging(w: &World, account: &str, region: &str) {
    let (mut admin, ..) = w.named_document(account, region, ADMIN).await.unwrap();
    admin["inputs"]["s3KeyPrefix"] = json!("nowhere");
    w.admin_write_named(account, region, ADMIN, &admin, true)
        .await;
    let (code, out) = w.handle(&named_doc_event("UpdateDocument", account, region, ADMIN));
    assert_eq!(code, 0, "{out:#}");
}

/// A world with the documents policy and an account of its Prod OU
/// vended, its alerts drained: `(world, prod, account)`.
async fn vended_in_prod() -> (World, String, String) {
    let w = World::new().await;
    let prod = w.create_ou(&w.root, "Prod").await;
    w.write_policy(&documents_policy(&prod));
    let account = vended(&w, &prod).await;
    w.alerts().await;
    (w, prod, account)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vend_creates_every_governed_document_in_every_region() {
    let w = World::new().await;
    let prod = w.create_ou(&w.root, "Prod").await;
    w.write_policy(&documents_policy(&prod));
    let account = w.create_account("permission-sets", Some(&prod)).await;

    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    let rows = out["accounts"][0]["regions"].as_array().unwrap();
    assert_eq!(rows.len(), 6, "3 documents x 2 regions: {out:#}");
    assert!(rows.iter().all(|r| r["action"] == "created"), "{out:#}");

    for region in REGIONS {
        let (default_doc, ..) = w.document(&account, region).await.expect("default");
        assert_eq!(run_as(&default_doc), (json!(true), json!("ssm-ops")));
        for (name, user) in [(ADMIN, "prodadmin"), (READ_ONLY, "viewer")] {
            let (doc, default, latest) = w
                .named_document(&account, region, name)
                .await
                .unwrap_or_else(|| panic!("{name} created in {region}"));
            assert_eq!(run_as(&doc), (json!(true), json!(user)), "{name} {region}");
            assert_eq!(default, latest, "{name} {region}");
            assert_eq!(doc["sessionType"], "Standard_Stream");
            assert_eq!(
                inputs_but_run_as(&doc),
                inputs_but_run_as(&default_doc),
                "{name}: same logging settings as the default document"
            );
            let state = w
                .state(&account, &format!("{region}#DOCUMENT#{name}"))
                .await
                .unwrap_or_else(|| panic!("state of {name} in {region}"));
            assert_eq!(state["document"], name);
            assert_eq!(state["region"], region);
            assert_eq!(state["desired_user"], user);
            assert_eq!(state["status"], "remediated");
        }
        let state = w.state(&account, region).await.unwrap();
        assert!(!state.contains_key("document"), "{state:?}");
        assert_eq!(state["desired_user"], "ssm-ops");
    }
    // `status` names the document beside the region.
    let status = w.run(&["status", "--account", &account, "--format", "json"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    let rows = status.json();
    let named: Vec<(&str, &str)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["region"].as_str().unwrap(),
                r["document"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(named.len(), 6, "{rows:#}");
    assert!(named.contains(&("eu-west-1", ADMIN)) && named.contains(&("us-east-1", DOC)));
    let table = w.run(&["status", "--account", &account]);
    assert!(
        table.stdout.contains("eu-west-1 SSMRunAs-ReadOnly"),
        "{}",
        table.stdout
    );

    let history = w.history(&account).await;
    assert_eq!(history.len(), 6, "one row per document created");
    assert_eq!(
        history
            .iter()
            .filter(|r| r.get("document").is_some())
            .count(),
        4
    );

    // One alert for the account, naming every document it wrote.
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "account_configured");
    let named: Vec<&str> = m["regions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["document"].as_str())
        .collect();
    assert_eq!(named.len(), 4, "{m:#}");
    assert_eq!(
        m["after"]["us-east-1 SSMRunAs-Admin"]["runAsDefaultUser"],
        "prodadmin"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edit_of_a_named_document_is_reverted_with_one_alert() {
    let w = World::new().await;
    let prod = w.create_ou(&w.root, "Prod").await;
    w.write_policy(&documents_policy(&prod));
    let account = vended(&w, &prod).await;
    w.alerts().await;
    let region = "eu-west-1";
    let (mut doc, ..) = w.named_document(&account, region, READ_ONLY).await.unwrap();
    doc["inputs"]["runAsDefaultUser"] = json!("root");
    let edited = w
        .admin_write_named(&account, region, READ_ONLY, &doc, true)
        .await;

    // The console's two calls arrive as two events; the second finds it right.
    for event_name in ["UpdateDocument", "UpdateDocumentDefaultVersion"] {
        let (code, out) = w.handle(&named_doc_event(event_name, &account, region, READ_ONLY));
        assert_eq!(code, 0, "{out:#}");
    }
    let (doc, default, latest) = w.named_document(&account, region, READ_ONLY).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("viewer")));
    assert_eq!(default, latest);
    assert_eq!(
        latest.parse::<u32>().unwrap(),
        edited.parse::<u32>().unwrap() + 1,
        "one corrective version"
    );
    // The other documents were not touched.
    for name in [DOC, ADMIN] {
        let (_, default, latest) = w.named_document(&account, region, name).await.unwrap();
        assert_eq!((default.as_str(), latest.as_str()), ("1", "1"), "{name}");
    }

    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "drift_reverted");
    assert_eq!(m["document"], READ_ONLY);
    assert_eq!(m["region"], region);
    assert_eq!(m["before"]["runAsDefaultUser"], "root");
    assert_eq!(m["after"]["runAsDefaultUser"], "viewer");
    assert!(alerts[0]["subject"].as_str().unwrap().contains(READ_ONLY));

    let state = w
        .state(&account, &format!("{region}#DOCUMENT#{READ_ONLY}"))
        .await
        .unwrap();
    assert_eq!(state["status"], "reverted");
    assert!(state["last_actor"].ends_with(":role/Admin"), "{state:?}");
    let reverted: Vec<_> = w
        .history(&account)
        .await
        .into_iter()
        .filter(|r| r["status"] == "reverted")
        .collect();
    assert_eq!(reverted.len(), 1);
    assert_eq!(reverted[0]["document"], READ_ONLY);
}

#[tokio::test(flavor = "multi_thread")]
async fn inherit_follows_a_logging_change_to_the_default_document() {
    let (w, _, account) = vended_in_prod().await;
    let region = "us-east-1";
    let (read_only_before, ..) = w.named_document(&account, region, READ_ONLY).await.unwrap();

    // LZA's pipeline rewrites the logging settings of the default document.
    w.lza_write(&account, region, "session-logs-2026").await;
    let mut event = doc_event(
        "UpdateDocument",
        &account,
        region,
        "AWSAccelerator-SessionManagerRole",
    );
    event["detail"]["requestParameters"]["name"] = json!(DOC);
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");

    let (default_doc, default, latest) = w.document(&account, region).await.unwrap();
    assert_eq!(default, latest, "LZA's version adopted");
    assert_eq!(default_doc["inputs"]["s3KeyPrefix"], "session-logs-2026");
    let (admin, default, latest) = w.named_document(&account, region, ADMIN).await.unwrap();
    assert_eq!(default, latest);
    assert_eq!(run_as(&admin), (json!(true), json!("prodadmin")));
    assert_eq!(inputs_but_run_as(&admin), inputs_but_run_as(&default_doc));
    // Without `inherit`, ReadOnly keeps its own settings.
    let (read_only, ..) = w.named_document(&account, region, READ_ONLY).await.unwrap();
    assert_eq!(read_only, read_only_before);
    // The other region's Admin document is not this event's business.
    let (_, _, latest) = w
        .named_document(&account, "eu-west-1", ADMIN)
        .await
        .unwrap();
    assert_eq!(latest, "1");

    let rows = out["accounts"][0]["regions"].as_array().unwrap();
    let admin_row = rows.iter().find(|r| r["document"] == ADMIN).unwrap();
    assert_eq!(admin_row["action"], "updated");
    assert_eq!(admin_row["followed"], true);
    // Following a legitimate change reverts nobody: no alert.
    let alerts = w.alerts().await;
    assert!(alerts.is_empty(), "{alerts:#?}");
    let state = w
        .state(&account, &format!("{region}#DOCUMENT#{ADMIN}"))
        .await
        .unwrap();
    assert_eq!(state["status"], "remediated");

    // An edit of the Admin document's logging alone is put back, and said.
    edit_admin_logging(&w, &account, region).await;
    let (admin, ..) = w.named_document(&account, region, ADMIN).await.unwrap();
    assert_eq!(admin["inputs"]["s3KeyPrefix"], "session-logs-2026");
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["message"]["kind"], "drift_reverted");
    assert_eq!(alerts[0]["message"]["document"], ADMIN);
    assert!(alerts[0]["subject"]
        .as_str()
        .unwrap()
        .contains("inherited settings"));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_documents_only_the_default_document_exists() {
    let w = World::new().await;
    let account = w.create_account("plain", None).await;
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    let rows = out["accounts"][0]["regions"].as_array().unwrap();
    assert_eq!(rows.len(), REGIONS.len());
    assert!(rows.iter().all(|r| r.get("document").is_none()), "{out:#}");
    for region in REGIONS {
        let ssm = w.admin_ssm(&account, region).await;
        let owned = ssm
            .list_documents()
            .filters(
                aws_sdk_ssm::types::DocumentKeyValuesFilter::builder()
                    .key("Owner")
                    .values("Self")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let names: Vec<&str> = owned
            .document_identifiers()
            .iter()
            .filter_map(|d| d.name())
            .collect();
        assert_eq!(names, [DOC], "{region}");
    }
    // A named document's edit is not runas-guard's to reconcile: only read,
    // in case it opens sessions that skip Run As (it does not).
    let (code, out) = w.handle(&named_doc_event(
        "UpdateDocument",
        &account,
        "us-east-1",
        ADMIN,
    ));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        out["trigger"]["trigger"], "session_document_changed",
        "{out:#}"
    );
    assert!(
        out["reason"]
            .as_str()
            .unwrap()
            .contains("cannot skip Run As"),
        "{out:#}"
    );
    assert!(
        out["accounts"].as_array().is_none_or(|a| a.is_empty()),
        "{out:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_restores_a_deleted_named_document_and_says_which() {
    let w = World::new().await;
    let prod = w.create_ou(&w.root, "Prod").await;
    w.write_policy(&documents_policy(&prod));
    let account = vended(&w, &prod).await;
    w.alerts().await;
    w.admin_ssm(&account, "us-east-1")
        .await
        .delete_document()
        .name(READ_ONLY)
        .send()
        .await
        .unwrap();

    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let (doc, ..) = w
        .named_document(&account, "us-east-1", READ_ONLY)
        .await
        .expect("recreated");
    assert_eq!(run_as(&doc), (json!(true), json!("viewer")));
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    // The table said it was right and no delete event came: told on its
    // own (found_by sweep), beside the summary.
    let told = of_kind(&alerts, "drift_reverted");
    assert_eq!(told.len(), 1, "{alerts:#?}");
    assert_eq!(told[0]["message"]["found_by"], "sweep");
    assert_eq!(told[0]["message"]["document"], READ_ONLY);
    let m = &of_kind(&alerts, "sweep_summary")[0]["message"];
    // (The management account is swept too: its documents are created now.)
    let entries: Vec<&Value> = m["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["account"] == account.as_str())
        .collect();
    assert_eq!(entries.len(), 1, "{m:#}");
    assert_eq!(entries[0]["document"], READ_ONLY);
    assert_eq!(entries[0]["region"], "us-east-1");
    assert_eq!(entries[0]["action"], "created");

    // The next sweep finds every document right: silent, and no state item rewritten.
    let before = w.items().await;
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert!(w.alerts().await.is_empty());
    let after = w.items().await;
    let changed: Vec<_> = after
        .iter()
        .filter(|i| i["sk"].starts_with("REGION#") && !before.contains(i))
        .map(|i| i["sk"].clone())
        .collect();
    assert!(changed.is_empty(), "rewritten: {changed:?}");
}

/// Keys the agent reads without case: a `RunAsDefaultUser` after ours in the
/// default document, and a second `Inputs` object in a `[[document]]`, are
/// edits like any other: put back (the variants removed) and alerted.
#[tokio::test(flavor = "multi_thread")]
async fn a_case_variant_of_our_keys_is_reverted_and_alerted() {
    let w = World::new().await;
    let prod = w.create_ou(&w.root, "Prod").await;
    w.write_policy(&documents_policy(&prod));
    let account = vended(&w, &prod).await;
    w.alerts().await;
    let region = "us-east-1";

    let (mut doc, ..) = w.named_document(&account, region, DOC).await.unwrap();
    doc["inputs"]["RunAsDefaultUser"] = json!("root");
    w.admin_write(&account, region, &doc, true).await;
    let (mut named, ..) = w.named_document(&account, region, READ_ONLY).await.unwrap();
    named["Inputs"] = json!({"runAsEnabled": false, "kmsKeyId": "kept"});
    w.admin_write_named(&account, region, READ_ONLY, &named, true)
        .await;

    for name in [DOC, READ_ONLY] {
        let (code, out) = w.handle(&named_doc_event("UpdateDocument", &account, region, name));
        assert_eq!(code, 0, "{out:#}");
        let (now, default, latest) = w.named_document(&account, region, name).await.unwrap();
        assert_eq!(default, latest, "{name}");
        let text = now.to_string().to_lowercase();
        assert_eq!(
            text.matches("runasdefaultuser").count(),
            1,
            "{name}: {now:#}"
        );
        assert_eq!(text.matches("runasenabled").count(), 1, "{name}: {now:#}");
    }
    let (now, ..) = w.named_document(&account, region, READ_ONLY).await.unwrap();
    assert_eq!(
        now["Inputs"],
        json!({"kmsKeyId": "kept"}),
        "other keys stay"
    );
    assert_eq!(run_as(&now), (json!(true), json!("viewer")));

    let alerts = w.alerts().await;
    let reverted = of_kind(&alerts, "drift_reverted");
    assert_eq!(reverted.len(), 2, "{alerts:#?}");
    // Each alert shows every spelling found, by path.
    let befores: Vec<&Value> = reverted.iter().map(|a| &a["message"]["before"]).collect();
    assert!(
        befores.iter().any(|b| b["runAsDefaultUser"]
            == json!({"runAsDefaultUser": "ssm-ops", "RunAsDefaultUser": "root"})),
        "{befores:#?}"
    );
    assert!(
        befores
            .iter()
            .any(|b| b["runAsEnabled"]
                == json!({"runAsEnabled": true, "Inputs.runAsEnabled": false})),
        "{befores:#?}"
    );
}

/// The inheriting document's settings edited while a policy change waits
/// for its sweep: the editor's edit is put back and told as it is without
/// a pending change (the policy changes only Run As; the settings are the
/// editor's), and the put-back applies the policy's new user too.
#[tokio::test(flavor = "multi_thread")]
async fn a_pending_policy_change_does_not_hide_an_inheriting_documents_settings_edit() {
    let (w, prod, account) = vended_in_prod().await;
    let region = "us-east-1";
    let (before, ..) = w.named_document(&account, region, ADMIN).await.unwrap();

    // The policy now wants another user for the Admin document in Prod;
    // no sweep has applied it yet.
    w.write_policy(&documents_policy(&prod).replace("prodadmin", "prodops"));
    edit_admin_logging(&w, &account, region).await;
    let (admin, ..) = w.named_document(&account, region, ADMIN).await.unwrap();
    assert_eq!(
        admin["inputs"]["s3KeyPrefix"],
        before["inputs"]["s3KeyPrefix"]
    );
    assert_eq!(run_as(&admin), (json!(true), json!("prodops")));
    let alerts = w.alerts().await;
    let told = of_kind(&alerts, "drift_reverted");
    assert_eq!(told.len(), 1, "{alerts:#?}");
    assert_eq!(told[0]["message"]["document"], ADMIN);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");

    // The other side: the same pending change reaching a document nobody
    // edited (the Admin document in eu-west-1, by the sweep) blames nobody.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    assert!(of_kind(&alerts, "drift_reverted").is_empty(), "{alerts:#?}");
    let (admin, ..) = w
        .named_document(&account, "eu-west-1", ADMIN)
        .await
        .unwrap();
    assert_eq!(run_as(&admin), (json!(true), json!("prodops")));
}
