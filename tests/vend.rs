//! Account vending: a new account is configured in every governed region in
//! one invocation (issue: the reactor spine).

use crate::common;

use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn create_account_result_configures_every_region() {
    let w = World::new().await;
    let workloads = w.create_ou(&w.root, "Workloads").await;
    w.write_policy(&format!(
        "[[ou]]\nid = \"{workloads}\"\nrun_as_user = \"workload\"\n"
    ));
    let account = w.create_account("new-workload", Some(&workloads)).await;

    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["result"], "done");
    assert_eq!(out["accounts"][0]["desired_user"], "workload");

    for region in REGIONS {
        let (doc, default, latest) = w
            .document(&account, region)
            .await
            .expect("document created");
        assert_eq!(run_as(&doc), (json!(true), json!("workload")), "{region}");
        assert_eq!(default, latest, "default is latest in {region}");
        assert_eq!(doc["sessionType"], "Standard_Stream");
        let state = w.state(&account, region).await.expect("state item");
        assert_eq!(state["status"], "remediated");
        assert_eq!(state["desired_user"], "workload");
        assert_eq!(state["last_action"], "created");
        assert_eq!(state["last_trigger_kind"], "account_vended");
    }
    assert_eq!(
        w.history(&account).await.len(),
        2,
        "one history row per change"
    );

    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let a = &alerts[0];
    assert_eq!(a["message"]["kind"], "account_configured");
    assert_eq!(a["message"]["account"], account.as_str());
    assert_eq!(a["attributes"]["kind"]["Value"], "account_configured");
    assert_eq!(a["attributes"]["severity"]["Value"], "info");
    assert_eq!(a["attributes"]["account"]["Value"], account.as_str());
    assert!(a["subject"].as_str().unwrap().contains(&account));
    assert!(a["message"]["before"]["us-east-1"].is_null());
    assert_eq!(
        a["message"]["after"]["eu-west-1"]["runAsDefaultUser"],
        "workload"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn create_managed_account_uses_nearest_ou_rule() {
    let w = World::new().await;
    let workloads = w.create_ou(&w.root, "Workloads").await;
    let prod = w.create_ou(&workloads, "Prod").await;
    let dev = w.create_ou(&workloads, "Dev").await;
    w.write_policy(&format!(
        "[[ou]]\nid = \"{workloads}\"\nrun_as_user = \"workload\"\n[[ou]]\nid = \"{prod}\"\nrun_as_user = \"produser\"\n"
    ));
    let in_prod = w.create_account("prod-1", Some(&prod)).await;
    let in_dev = w.create_account("dev-1", Some(&dev)).await;

    let (code, out) = w.handle(&ct_event(&in_prod, &prod));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["accounts"][0]["ou_path"], "Root/Workloads/Prod");
    let (code, _) = w.handle(&ct_event(&in_dev, &dev));
    assert_eq!(code, 0);
    for region in REGIONS {
        let (doc, _, _) = w.document(&in_prod, region).await.unwrap();
        assert_eq!(run_as(&doc).1, json!("produser"), "nearest OU (Prod) wins");
        let (doc, _, _) = w.document(&in_dev, region).await.unwrap();
        assert_eq!(
            run_as(&doc).1,
            json!("workload"),
            "no Dev rule: Workloads applies"
        );
    }
    let kinds: Vec<String> = w
        .alerts()
        .await
        .iter()
        .map(|a| a["message"]["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["account_configured", "account_configured"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn lza_document_keeps_every_logging_input() {
    let w = World::new().await;
    let account = w.create_account("lza", None).await;
    let lza = lza_document(&account);
    for region in REGIONS {
        w.admin_write(&account, region, &lza, true).await;
    }
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    for region in REGIONS {
        let (doc, default, latest) = w.document(&account, region).await.unwrap();
        assert_eq!(
            (default.as_str(), latest.as_str()),
            ("2", "2"),
            "one new version, made default"
        );
        let mut want = lza.clone();
        want["inputs"]["runAsEnabled"] = json!(true);
        want["inputs"]["runAsDefaultUser"] = json!("ssm-ops");
        assert_eq!(doc, want, "only the two RunAs inputs changed");
        let keys: Vec<&String> = doc["inputs"].as_object().unwrap().keys().collect();
        let want_keys: Vec<&String> = lza["inputs"].as_object().unwrap().keys().collect();
        assert_eq!(keys, want_keys, "key order kept");
        assert_eq!(
            w.state(&account, region).await.unwrap()["last_action"],
            "updated"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_event_writes_and_alerts_nothing() {
    let w = World::new().await;
    let account = w.create_account("dup", None).await;
    let event = vend_event(&account);
    let (code, _) = w.handle(&event);
    assert_eq!(code, 0);
    assert_eq!(w.alerts().await.len(), 1);
    let items_before = w.items().await.len();
    // Someone breaks it in between; a redelivery must still do nothing.
    w.admin_write(&account, "us-east-1", &json!({"schemaVersion": "1.0", "sessionType": "Standard_Stream", "inputs": {"runAsEnabled": false}}), true).await;

    let (code, out) = w.handle(&event);
    assert_eq!(code, 0);
    assert_eq!(out["result"], "duplicate", "{out:#}");
    assert!(w.alerts().await.is_empty(), "no alert for a redelivery");
    assert_eq!(w.items().await.len(), items_before, "no state written");
    let (doc, _, _) = w.document(&account, "us-east-1").await.unwrap();
    assert_eq!(run_as(&doc).0, json!(false), "no write for a redelivery");
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_mode_writes_nothing() {
    let w = World::new().await;
    w.write_policy("mode = \"audit\"");
    let account = w.create_account("audited", None).await;
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    for region in REGIONS {
        assert!(
            w.document(&account, region).await.is_none(),
            "audit never creates a document"
        );
        assert_eq!(
            w.state(&account, region).await.unwrap()["status"],
            "noncompliant"
        );
        assert_eq!(
            out["accounts"][0]["regions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["action"] == "would-change")
                .count(),
            2
        );
    }
    // One finding for the account, listing its regions, as a sweep counts
    // the same findings in its one summary: never one alert per region.
    let alerts = w.alerts().await;
    assert_eq!(
        alerts.len(),
        1,
        "one drift_detected for the account: {alerts:#?}"
    );
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "drift_detected");
    assert_eq!(
        (m["account"].as_str(), m["findings"].as_u64()),
        (Some(account.as_str()), Some(2)),
        "{m:#}"
    );
    assert!(m["region"].is_null(), "{m:#}");
    let mut listed: Vec<&str> = m["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["region"].as_str().unwrap())
        .collect();
    listed.sort();
    assert_eq!(listed, ["eu-west-1", "us-east-1"]);
    assert!(
        m["regions"][0]["before"].is_null(),
        "no document yet: {m:#}"
    );
    assert_eq!(m["found_by"], "account_vended");
    assert_eq!(m["account_name"], "audited");
    // The same findings again (the vend's member-stack event): quiet; and
    // the sweep after it has nothing new to say either.
    let (code, out) = w.handle(&stack_landed(&account, "us-east-1", "landed-1"));
    assert_eq!(code, 0, "{out:#}");
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert!(
        of_kind(&w.alerts().await, "drift_detected").is_empty(),
        "told once"
    );
    // An edit event in one region tells that region.
    let mut doc = lza_document(&account);
    doc["inputs"]["runAsEnabled"] = json!(true);
    doc["inputs"]["runAsDefaultUser"] = json!("root");
    w.admin_write(&account, "eu-west-1", &doc, true).await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, "eu-west-1", "Admin"));
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let told = of_kind(&alerts, "drift_detected");
    assert_eq!(told.len(), 1, "{alerts:#?}");
    assert_eq!(told[0]["message"]["region"], "eu-west-1");
    assert!(told[0]["message"].get("regions").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn exempt_account_is_untouched() {
    let w = World::new().await;
    let account = w.create_account("exempt", None).await;
    w.write_policy(&format!("[exempt]\naccounts = [\"{account}\"]\n"));
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    for region in REGIONS {
        assert!(
            w.document(&account, region).await.is_none(),
            "exempt accounts are never written"
        );
        assert_eq!(
            w.state(&account, region).await.unwrap()["status"],
            "excluded"
        );
    }
    assert!(w.alerts().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn account_outside_the_organization_is_ignored() {
    let w = World::new().await;
    let (code, out) = w.handle(&vend_event("999988887777"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["result"], "ignored");
    assert!(out["reason"]
        .as_str()
        .unwrap()
        .contains("not in this organization"));
    assert!(w.state("999988887777", "us-east-1").await.is_none());
    assert!(w.alerts().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn account_moved_takes_the_new_ous_user() {
    let w = World::new().await;
    let sandbox = w.create_ou(&w.root, "Sandbox").await;
    let prod = w.create_ou(&w.root, "Prod").await;
    w.write_policy(&format!("[[ou]]\nid = \"{sandbox}\"\nrun_as_user = \"sandbox\"\n[[ou]]\nid = \"{prod}\"\nrun_as_user = \"produser\"\n"));
    let account = w.create_account("mover", Some(&sandbox)).await;
    assert_eq!(w.handle(&vend_event(&account)).0, 0);
    w.alerts().await;
    w.org()
        .move_account()
        .account_id(&account)
        .source_parent_id(&sandbox)
        .destination_parent_id(&prod)
        .send()
        .await
        .unwrap();
    let mut moved = sample("account_moved.organizations-move-account.json");
    moved["id"] = json!("move-1");
    moved["detail"]["requestParameters"]["accountId"] = json!(account);
    moved["detail"]["requestParameters"]["sourceParentId"] = json!(sandbox);
    moved["detail"]["requestParameters"]["destinationParentId"] = json!(prod);
    let (code, out) = w.handle(&moved);
    assert_eq!(code, 0, "{out:#}");
    for region in REGIONS {
        let (doc, default, latest) = w.document(&account, region).await.unwrap();
        assert_eq!(run_as(&doc).1, json!("produser"));
        assert_eq!(default, latest);
    }
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["message"]["kind"], "account_configured");
}
