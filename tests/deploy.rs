//! The shipped templates, deployed as a platform team deploys them: the hub
//! stack (`infra/hub.yaml`) in the hub account and the member stack
//! (`infra/member.yaml`, one plain stack standing in for a StackSet
//! instance) in a member account, into the local AWS (moto's CloudFormation,
//! extended where it lacks a resource type the hub uses:
//! `tests/moto_cfn.py`). Then the flows run against what the stacks made,
//! named only by their outputs, with the credentials the stacks create and
//! IAM enforced (moto's enforcement, completed by `tests/moto_iam.py`): the
//! hub role as the Lambda service assumes it, the member role as the hub
//! assumes it. A vend, a console edit reverted, a scheduled sweep (in one
//! run, and fanned out through the deployed queue), a policy change by
//! upload, and the alerts on the deployed topic; a call the hub role may not
//! make is refused with the action named.

use crate::common;

use std::collections::HashMap;

use common::stacks::*;
use common::*;
use serde_json::{json, Value};

async fn deployed(hub_template: String) -> Deployed {
    deployed_with(hub_template, &[], POLICY).await
}

/// One member account with its member stack deployed before anything runs.
async fn deployed_with(hub_template: String, member: &[(&str, &str)], policy: &str) -> Deployed {
    Deployed::new(Stage {
        hub_template,
        policy,
        accounts: 1,
        member_now: Some(member),
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_shipped_stacks_deploy_and_every_flow_runs_on_what_they_made() {
    let Deployed {
        mut w,
        hub,
        key,
        members,
        creds,
    } = deployed(shipped("hub.yaml")).await;
    let member = members[0].clone();
    // Vend: configured in every governed region, recorded in the deployed table.
    let (code, out) = w.handle(&vend_event(&member));
    assert_eq!(code, 0, "{out:#}");
    for region in ["us-east-1", "eu-west-1"] {
        let (doc, _, _) = w.document(&member, region).await.expect("document made");
        assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")), "{region}");
    }
    let items = table_items(&w, &hub["TableName"]).await;
    assert!(
        items
            .iter()
            .any(|i| i.get("sk").is_some_and(|s| s == "REGION#eu-west-1")),
        "state in the deployed table: {items:?}"
    );

    // A console edit, reverted, alerted on the deployed topic.
    w.admin_write(&member, "eu-west-1", &lza_document(&member), true)
        .await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &member, "eu-west-1", "Admin"));
    assert_eq!(code, 0, "{out:#}");
    let (doc, _, _) = w.document(&member, "eu-west-1").await.unwrap();
    assert_eq!(run_as(&doc).1, json!("ssm-ops"));
    let kinds = w.alert_kinds().await;
    assert!(
        kinds.contains(&"account_configured".to_string()),
        "{kinds:?}"
    );
    assert!(kinds.contains(&"drift_reverted".to_string()), "{kinds:?}");

    // A scheduled sweep over the deployed table finds everything right.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["result"], "done", "{out:#}");
    let checked: usize = out["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["regions"].as_array().unwrap().len())
        .sum();
    assert!(checked >= 2, "{out:#}");

    // The same sweep fanned out through the deployed queue: one message per
    // account (the threshold set low), worked as Lambda's SQS batches.
    w.sweep_fanned_out(&hub["SweepQueueUrl"]);
    let records: Vec<Value> = w.sqs_records(&hub["SweepQueueUrl"]).await;
    assert!(records.len() >= 2, "one message per account: {records:?}");
    let (code, out) = w.handle(&json!({ "Records": records }));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["batchItemFailures"], json!([]), "{out:#}");

    // A policy change is an upload to the stack's PolicyUrl: the next run
    // (here the next sweep) applies it.
    let changed = POLICY.replace("ssm-ops", "ops-admin");
    aws_sdk_s3::Client::new(&w.cfg)
        .put_object()
        .bucket(&hub["PolicyBucketName"])
        .key(&key)
        .body(changed.into_bytes().into())
        .send()
        .await
        .unwrap();
    w.set_env("RUNAS_GUARD_FANOUT_THRESHOLD", "200");
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    for region in ["us-east-1", "eu-west-1"] {
        let (doc, _, _) = w.document(&member, region).await.unwrap();
        assert_eq!(run_as(&doc).1, json!("ops-admin"), "{region}");
    }

    // What the hub role is not granted is refused, and the refusal names the
    // action (the function never scans; only operators' `status` does).
    let hub_cfg = config_with(&w, &creds.0, &creds.1, Some(&creds.2));
    let scan = aws_sdk_dynamodb::Client::new(&hub_cfg)
        .scan()
        .table_name(&hub["TableName"])
        .send()
        .await;
    let err = format!("{:?}", scan.expect_err("the hub role may not scan"));
    assert!(err.contains("dynamodb:Scan"), "{err}");
}

async fn table_items(w: &World, table: &str) -> Vec<HashMap<String, String>> {
    let out = aws_sdk_dynamodb::Client::new(&w.cfg)
        .scan()
        .table_name(table)
        .send()
        .await
        .unwrap();
    out.items()
        .iter()
        .map(|i| {
            i.iter()
                .filter_map(|(k, v)| v.as_s().ok().map(|s| (k.clone(), s.clone())))
                .collect()
        })
        .collect()
}

/// A hub role without an action a flow needs fails that flow in the local
/// AWS, and says which action: here `dynamodb:BatchWriteItem`, without which
/// history rows and alerts kept in the outbox cannot be written.
#[tokio::test(flavor = "multi_thread")]
async fn a_hub_role_without_a_needed_action_fails_naming_it() {
    let grant = "                  - dynamodb:BatchWriteItem\n";
    let template = shipped("hub.yaml");
    assert!(template.contains(grant), "hub.yaml grants BatchWriteItem");
    let Deployed { w, members, .. } = deployed(template.replacen(grant, "", 1)).await;
    let member = members[0].clone();
    let (code, out) = w.handle(&vend_event(&member));
    assert_eq!(code, 1, "{out:#}");
    let reason = out["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("dynamodb:BatchWriteItem"), "{out:#}");
}

/// The hub stack's `RunbookUrl` reaches the function (its environment, as
/// deployed) and every alert: an absolute link to the kind's alert card,
/// beside the README the base names, that a pager can open.
#[tokio::test(flavor = "multi_thread")]
async fn the_runbook_url_set_on_the_hub_stack_makes_every_alert_link_absolute() {
    let base = "https://git.example.com/platform/runas-guard/blob/v0.4.0/README.md";
    let default = "  RunbookUrl:\n    Type: String\n    Default: \"\"\n";
    let template = shipped("hub.yaml");
    assert!(template.contains(default), "hub.yaml has RunbookUrl");
    let set = format!("  RunbookUrl:\n    Type: String\n    Default: \"{base}\"\n");
    let Deployed { w, members, .. } = deployed(template.replacen(default, &set, 1)).await;
    assert!(
        w.env()
            .iter()
            .any(|(k, v)| k == "RUNAS_GUARD_RUNBOOK_URL" && v == base),
        "the deployed function's environment carries it"
    );
    let member = members[0].clone();
    let (code, out) = w.handle(&vend_event(&member));
    assert_eq!(code, 0, "{out:#}");
    w.console_edit(&member, "eu-west-1", "mallory").await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &member, "eu-west-1", "Admin"));
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let cards = std::fs::read_to_string(repo().join("docs/operate.md")).unwrap();
    let page = "https://git.example.com/platform/runas-guard/blob/v0.4.0/docs/operate.md";
    for kind in ["account_configured", "drift_reverted"] {
        let alert = of_kind(&alerts, kind);
        assert_eq!(alert.len(), 1, "{kind}: {alerts:#?}");
        let link = alert[0]["message"]["runbook"].as_str().unwrap();
        assert_eq!(link, format!("{page}#{kind}"));
        assert!(
            cards.contains(&format!("\n### `{kind}`\n")),
            "{kind}: #{kind} is an alert card"
        );
    }
}

/// The run-as user check on what the member stack makes with
/// `RunAsUserCheck=Enabled`, under enforced IAM: the hub's session policy
/// and the member role's grants are all the check gets.
#[tokio::test(flavor = "multi_thread")]
async fn the_run_as_user_check_runs_on_the_member_stacks_document_and_grants() {
    let policy = "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\"]\n[nodes]\ncheck_user = true\n[default]\nrun_as_user = \"ssm-ops\"\n";
    let Deployed {
        w, hub, members, ..
    } = deployed_with(
        shipped("hub.yaml"),
        &[("RunAsUserCheck", "Enabled")],
        policy,
    )
    .await;
    let member = members[0].clone();
    let fleet = json!({"account": member, "region": "us-east-1", "nodes": [
        {"id": "i-0aaaaaaaaaaaaaaa1", "platform": "Linux", "users": ["ec2-user", "ssm-ops"]},
        {"id": "i-0aaaaaaaaaaaaaaa2", "platform": "Linux", "users": ["ec2-user"]},
        {"id": "i-0aaaaaaaaaaaaaaa3", "platform": "Windows", "users": []}]});
    let (status, out) = http(
        w.moto.port(),
        "POST",
        "/_emulated/ssm/fleet",
        &fleet.to_string(),
    );
    assert_eq!(status, 200, "{out}");

    // Vend: the association is made (the member stack's document, the
    // session policy's grant) and the node without the user is named.
    let (code, out) = w.handle(&vend_event(&member));
    assert_eq!(code, 0, "{out:#}");
    let check = out["accounts"][0]["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["document"] == "RunAsGuard-CheckRunAsUser")
        .cloned()
        .unwrap_or_else(|| panic!("no check row: {out:#}"));
    assert_eq!(check["action"], "created", "{check:#}");
    assert_eq!(
        check["nodes"]["missing_nodes"],
        json!(["i-0aaaaaaaaaaaaaaa2"]),
        "{check:#}"
    );
    assert_eq!(check["nodes"]["checked"], 3);
    let kinds = w.alert_kinds().await;
    assert!(
        kinds.contains(&"run_as_user_missing".to_string()),
        "{kinds:?}"
    );

    // An administrator deletes it (by id: authorized on the association
    // alone); the forwarded event puts it back under the same grants.
    let admin = w.admin_ssm(&member, "us-east-1").await;
    let listed = admin.list_associations().send().await.unwrap();
    let id = listed.associations()[0]
        .association_id()
        .unwrap()
        .to_string();
    admin
        .delete_association()
        .association_id(&id)
        .send()
        .await
        .unwrap();
    let mut event = doc_event("DeleteAssociation", &member, "us-east-1", "Admin");
    event["detail"]["requestParameters"] = json!({"associationId": id});
    event["detail"]["responseElements"] = Value::Null;
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    let now = admin.list_associations().send().await.unwrap();
    assert_eq!(now.associations().len(), 1, "put back");
    assert_ne!(now.associations()[0].association_id(), Some(id.as_str()));
    assert!(w
        .alert_kinds()
        .await
        .contains(&"drift_reverted".to_string()));

    // A steady sweep under the same grants reads it and changes nothing.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let items = table_items(&w, &hub["TableName"]).await;
    let row = items
        .iter()
        .find(|i| {
            i.get("pk") == Some(&format!("ACCOUNT#{member}"))
                && i.get("sk")
                    .is_some_and(|s| s == "REGION#us-east-1#DOCUMENT#RunAsGuard-CheckRunAsUser")
        })
        .unwrap_or_else(|| panic!("check row recorded: {items:?}"));
    assert!(
        row.get("nodes")
            .is_some_and(|n| n.contains("i-0aaaaaaaaaaaaaaa2")),
        "{row:?}"
    );
    assert_eq!(row["status"], "reverted", "{row:?}");
}
