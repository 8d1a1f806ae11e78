//! Failure paths moto cannot produce on its own: a fault-injecting proxy
//! (tests/fault_proxy.py) sits between runas-guard and moto and answers
//! chosen calls with real AWS error shapes.

use crate::common;

use common::proxy::*;
use common::*;
use serde_json::{json, Value};

fn receipts_done(items: &[std::collections::HashMap<String, String>]) -> usize {
    items
        .iter()
        .filter(|i| i["pk"].starts_with("EVENT#") && i["status"] == "done")
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn falls_back_when_the_member_role_cannot_be_assumed() {
    let (w, proxy, account) = world_behind_proxy().await;
    w.write_policy(
        "fallback_roles = [\"AWSControlTowerExecution\", \"OrganizationAccountAccessRole\"]\n",
    );
    proxy.faults(
        json!([{"service": "sts", "action": "AssumeRole", "contains": "role/RunAsGuardExecution",
        "status": 403, "code": "AccessDenied", "protocol": "query",
        "message": "User is not authorized to perform: sts:AssumeRole"}]),
    );
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        out["accounts"][0]["role"], "AWSControlTowerExecution",
        "first fallback role used"
    );
    for region in REGIONS {
        assert_eq!(
            run_as(&w.document(&account, region).await.unwrap().0),
            (json!(true), json!("ssm-ops"))
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_never_falls_back_and_a_retry_finishes_the_job() {
    let (w, proxy, account) = world_behind_proxy().await;
    proxy.faults(json!([{"service": "sts", "action": "AssumeRole", "status": 400, "code": "Throttling", "protocol": "query", "message": "Rate exceeded"}]));
    let event = vend_event(&account);
    let (code, out) = w.handle(&event);
    assert_eq!(code, 1, "the work failed: {out:#}");
    assert_eq!(out["result"], "failed");
    let regions = out["accounts"][0]["regions"].as_array().unwrap();
    assert!(
        regions
            .iter()
            .all(|r| r["action"] == "failed" && r["error_code"] == "Throttling"),
        "{out:#}"
    );
    assert!(
        out["accounts"][0]["role"].is_null(),
        "no fallback on throttling"
    );
    assert!(w.document(&account, "us-east-1").await.is_none());
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["message"]["kind"], "remediation_failed");
    assert_eq!(
        alerts[0]["message"]["errors"]["us-east-1"]["code"],
        "Throttling"
    );
    assert_eq!(
        receipts_done(&w.items().await),
        0,
        "a failed event leaves no receipt"
    );
    assert_eq!(
        w.state(&account, "us-east-1").await.unwrap()["status"],
        "failed"
    );

    proxy.faults(json!([]));
    let (code, out) = w.handle(&event);
    assert_eq!(
        code, 0,
        "the retry of the same event does the work: {out:#}"
    );
    assert_eq!(out["result"], "done");
    for region in REGIONS {
        assert_eq!(
            run_as(&w.document(&account, region).await.unwrap().0).1,
            json!("ssm-ops")
        );
    }
    assert_eq!(w.alerts().await[0]["message"]["kind"], "account_configured");
    assert_eq!(receipts_done(&w.items().await), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_failed_region_fails_the_event_and_names_the_region() {
    let (w, proxy, account) = world_behind_proxy().await;
    proxy.faults(json!([{"service": "ssm", "region": "eu-west-1", "action": "CreateDocument", "status": 400,
        "code": "AccessDeniedException", "protocol": "json", "message": "explicit deny in a service control policy"}]));
    let event = vend_event(&account);
    let (code, out) = w.handle(&event);
    assert_eq!(code, 1, "{out:#}");
    assert!(
        out["reason"]
            .as_str()
            .unwrap()
            .contains("eu-west-1 (AccessDeniedException)"),
        "{out:#}"
    );
    assert!(w.document(&account, "us-east-1").await.is_some());
    assert!(w.document(&account, "eu-west-1").await.is_none());
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1);
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "remediation_failed");
    assert_eq!(m["failed_regions"], json!(["eu-west-1"]));
    assert_eq!(m["region"], "eu-west-1");
    assert_eq!(m["errors"]["eu-west-1"]["code"], "AccessDeniedException");
    assert!(alerts[0]["subject"]
        .as_str()
        .unwrap()
        .contains("eu-west-1 AccessDeniedException"));

    proxy.faults(json!([]));
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    let actions: Vec<&str> = out["accounts"][0]["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["none", "created"],
        "the retry finishes only what was left"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_region_the_account_has_not_enabled_is_not_a_failure() {
    let (w, proxy, account) = world_behind_proxy().await;
    proxy.faults(json!([{"service": "ssm", "region": "eu-west-1", "status": 400, "code": "UnrecognizedClientException",
        "protocol": "json", "message": "The security token included in the request is invalid."}]));
    let run = w.run(&["reconcile", "--account", &account, "--format", "json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let actions: Vec<&str> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    // Rows in reconcile's order (account, then region name): eu-west-1 first.
    assert_eq!(actions, ["region-disabled", "created"]);
    assert_eq!(report["totals"]["failed"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alert_sns_refused_is_sent_by_the_retry() {
    let (w, proxy, account) = world_behind_proxy().await;
    let r = "eu-west-1";
    assert_eq!(w.handle(&vend_event(&account)).0, 0);
    w.alerts().await;
    let mut doc = w.document(&account, r).await.unwrap().0;
    doc["inputs"]["runAsDefaultUser"] = json!("mallory");
    w.admin_write(&account, r, &doc, true).await;

    proxy.faults(json!([{"service": "sns", "action": "Publish", "status": 403, "code": "AuthorizationError", "protocol": "query"}]));
    let event = doc_event("UpdateDocument", &account, r, "Admin");
    let (code, out) = w.handle(&event);
    assert_eq!(code, 1, "{out:#}");
    assert!(
        out["reason"].as_str().unwrap().contains("not published"),
        "{out:#}"
    );
    let (fixed, _, version) = w.document(&account, r).await.unwrap();
    assert_eq!(
        run_as(&fixed).1,
        json!("ssm-ops"),
        "the revert itself happened"
    );
    assert!(w.alerts().await.is_empty());

    proxy.faults(json!([]));
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        out["accounts"][0]["regions"][0]["action"], "none",
        "nothing left to fix"
    );
    assert_eq!(
        w.document(&account, r).await.unwrap().2,
        version,
        "no new version"
    );
    let alerts = w.alerts().await;
    assert_eq!(
        alerts.len(),
        1,
        "the held alert is delivered by the retry: {alerts:#?}"
    );
    assert_eq!(alerts[0]["message"]["kind"], "drift_reverted");
    assert_eq!(
        alerts[0]["message"]["actor"],
        format!("arn:aws:iam::{account}:role/Admin")
    );
    assert_eq!(
        alerts[0]["message"]["before"]["runAsDefaultUser"],
        "mallory"
    );
    let (code, out) = w.handle(&event);
    assert_eq!((code, out["result"].as_str()), (0, Some("duplicate")));
    assert!(w.alerts().await.is_empty());
}

/// The `Policy` parameter of a recorded AssumeRole body, parsed.
fn session_policy_of(body: &str) -> Value {
    let policy = body
        .split('&')
        .find_map(|kv| kv.strip_prefix("Policy="))
        .unwrap_or_else(|| panic!("AssumeRole without a session policy: {body}"));
    serde_json::from_str(policy).unwrap_or_else(|e| panic!("{e}: {policy}"))
}

fn assert_least_privilege(body: &str, account: &str) {
    let p = session_policy_of(body);
    let statements = p["Statement"].as_array().unwrap();
    // Writes of the governed document only; beside it, reads: any document
    // of the account (run_as_bypass), the list of them, and the Run As tag
    // of its roles and users.
    // No Sid: AWS's 2,048-character cap counts every character.
    assert_eq!(statements.len(), 4, "{p:#}");
    assert!(statements.iter().all(|s| s.get("Sid").is_none()), "{p:#}");
    assert_eq!(
        statements[1]["Resource"],
        format!("arn:aws:ssm:*:{account}:document/*")
    );
    assert_eq!(
        statements[2]["Action"],
        json!(["ssm:ListDocuments", "ssm:DescribeSessions"])
    );
    assert_eq!(statements[3]["Action"][0], "iam:ListRoleTags");
    for read in &statements[1..] {
        let actions: Vec<&str> = match &read["Action"] {
            Value::String(a) => vec![a.as_str()],
            v => v
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect(),
        };
        assert!(
            actions.iter().all(|a| a.starts_with("ssm:Describe")
                || a.starts_with("ssm:Get")
                || a.starts_with("ssm:List")
                || a.starts_with("iam:List")),
            "reads only: {actions:?}"
        );
    }
    let s = &statements[0];
    assert_eq!(s["Effect"], "Allow");
    let mut actions: Vec<&str> = s["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    actions.sort();
    assert_eq!(
        actions,
        [
            "ssm:CreateDocument",
            "ssm:DeleteDocument",
            "ssm:DescribeDocument",
            "ssm:GetDocument",
            "ssm:ListDocumentVersions",
            "ssm:UpdateDocument",
            "ssm:UpdateDocumentDefaultVersion"
        ]
    );
    assert_eq!(
        s["Resource"],
        format!("arn:aws:ssm:*:{account}:document/SSM-SessionManagerRunShell")
    );
    assert_eq!(
        s["Condition"]["StringEquals"]["aws:RequestedRegion"],
        json!(REGIONS)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_assume_role_limits_the_session_and_a_fallback_still_reverts() {
    let (w, proxy, account) = world_behind_proxy().await;
    w.write_policy(
        "fallback_roles = [\"AWSControlTowerExecution\", \"OrganizationAccountAccessRole\"]\n",
    );
    proxy.faults(json!([{"name": "assume", "service": "sts", "action": "AssumeRole", "effect": "count", "record": true}]));
    assert_eq!(w.handle(&vend_event(&account)).0, 0);

    // The member role is refused: the fallback (an administrator role) is
    // used, with the same session policy.
    proxy.faults(json!([
        {"name": "member-denied", "service": "sts", "action": "AssumeRole", "contains": "role/RunAsGuardExecution",
         "status": 403, "code": "AccessDenied", "protocol": "query", "record": true},
        {"name": "assume", "service": "sts", "action": "AssumeRole", "effect": "count", "record": true},
    ]));
    w.console_edit(&account, "eu-west-1", "mallory").await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, "eu-west-1", "Admin"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["accounts"][0]["role"], "AWSControlTowerExecution");
    assert_eq!(out["accounts"][0]["regions"][0]["action"], "updated");
    assert_eq!(
        run_as(&w.document(&account, "eu-west-1").await.unwrap().0).1,
        json!("ssm-ops")
    );
    let hits = proxy.hits();
    let bodies: Vec<&Value> = hits["member-denied"]["bodies"]
        .as_array()
        .unwrap()
        .iter()
        .chain(hits["assume"]["bodies"].as_array().unwrap())
        .collect();
    assert_eq!(
        bodies.len(),
        2,
        "the member role, then the first fallback: {hits:#}"
    );
    assert!(bodies[1]
        .as_str()
        .unwrap()
        .contains("role/AWSControlTowerExecution"));
    for body in bodies {
        assert_least_privilege(body.as_str().unwrap(), &account);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_vends_assume_role_carries_the_session_policy() {
    let (w, proxy, account) = world_behind_proxy().await;
    proxy.faults(json!([{"name": "assume", "service": "sts", "action": "AssumeRole", "effect": "count", "record": true}]));
    assert_eq!(w.handle(&vend_event(&account)).0, 0);
    let hits = proxy.hits();
    let bodies = hits["assume"]["bodies"].as_array().unwrap();
    assert_eq!(bodies.len(), 1, "{hits:#}");
    assert_least_privilege(bodies[0].as_str().unwrap(), &account);
}
