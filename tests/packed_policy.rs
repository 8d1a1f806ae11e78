//! AWS refuses a session policy whose packed form is over its limit
//! (`PackedPolicyTooLarge`), which moto never does: the fault proxy answers
//! it. The refusal is the policy file's to fix, so it is reported as a
//! configuration error naming the fix, and no fallback role is tried (each
//! would get the same policy).

use crate::common;

use common::proxy::*;
use common::*;
use serde_json::{json, Value};

const AWS_SAYS: &str = "Packed policy consumes 112% of allotted space, please use smaller policy.";

#[tokio::test(flavor = "multi_thread")]
async fn a_session_policy_packed_too_large_is_a_configuration_error_naming_the_fix() {
    let (w, proxy, account) = world_behind_proxy().await;
    w.write_policy(
        "fallback_roles = [\"AWSControlTowerExecution\", \"OrganizationAccountAccessRole\"]\n",
    );
    proxy.faults(
        json!([{"name": "packed", "service": "sts", "action": "AssumeRole",
        "status": 400, "code": "PackedPolicyTooLarge", "protocol": "query", "message": AWS_SAYS}]),
    );
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 1, "the work failed: {out:#}");
    assert_eq!(out["result"], "failed");
    assert_eq!(
        proxy.hits()["packed"]["hits"],
        1,
        "the fault fired once: no fallback role was tried"
    );
    assert!(out["accounts"][0]["role"].is_null(), "{out:#}");
    let regions = out["accounts"][0]["regions"].as_array().unwrap();
    assert_eq!(regions.len(), REGIONS.len(), "{out:#}");
    for r in regions {
        assert_eq!(r["action"], "failed", "{out:#}");
        assert_eq!(r["error_code"], "PackedPolicyTooLarge", "{out:#}");
        let said = r["error"].as_str().unwrap();
        assert!(said.contains(AWS_SAYS), "AWS's words kept: {said}");
        assert!(said.contains("a configuration error"), "{said}");
        assert!(
            said.contains("fewer [[document]]s or fewer regions per policy file"),
            "the fix named: {said}"
        );
    }
    assert!(w.document(&account, "us-east-1").await.is_none());
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "told once: {alerts:#?}");
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "remediation_failed");
    assert_eq!(m["errors"]["us-east-1"]["code"], "PackedPolicyTooLarge");
    assert!(m["errors"]["us-east-1"]["message"]
        .as_str()
        .unwrap()
        .contains("fewer [[document]]s"));
    assert_eq!(
        w.state(&account, "us-east-1").await.unwrap()["status"],
        "failed"
    );

    // The same policy assumed without the refusal: nothing to tell, and
    // the packed size the answer carried is the account's.
    proxy.faults(
        json!([{"name": "assume", "service": "sts", "action": "AssumeRole",
        "effect": "count", "record_response": true}]),
    );
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["accounts"][0]["role"], "RunAsGuardExecution", "{out:#}");
    let hits = proxy.hits();
    assert_eq!(hits["assume"]["hits"], 1, "{hits:#}");
    let answer = hits["assume"]["responses"][0].as_str().unwrap();
    let said: i64 = answer
        .split("<PackedPolicySize>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no PackedPolicySize in the answer: {answer}"));
    assert_eq!(
        out["accounts"][0]["packed_policy_size"], said,
        "as the answer said: {out:#}"
    );
}

/// The `role` check of `doctor --account`.
fn role_check(w: &World, account: &str) -> (i32, Value) {
    let run = w.run(&["doctor", "--account", account, "--format", "json"]);
    let list = run.json();
    let role = list["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["scope"] == format!("account {account}") && c["item"] == "role")
        .unwrap_or_else(|| panic!("no role check: {list:#}"))
        .clone();
    (run.code, role)
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_shows_the_packed_size_and_names_the_fix_when_refused() {
    let (w, proxy, account) = world_behind_proxy().await;
    proxy.faults(
        json!([{"name": "assume", "service": "sts", "action": "AssumeRole",
        "effect": "count", "record_response": true}]),
    );
    let (_, role) = role_check(&w, &account);
    assert_eq!(role["verdict"], "pass", "{role:#}");
    let hits = proxy.hits();
    let answer = hits["assume"]["responses"][0].as_str().unwrap();
    let said = answer
        .split("<PackedPolicySize>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("no PackedPolicySize in the answer: {answer}"));
    assert!(
        role["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("packed size {}% of AWS's limit", said.trim())),
        "{role:#}"
    );

    proxy.faults(
        json!([{"name": "packed", "service": "sts", "action": "AssumeRole",
        "status": 400, "code": "PackedPolicyTooLarge", "protocol": "query", "message": AWS_SAYS}]),
    );
    let (code, role) = role_check(&w, &account);
    assert_eq!(proxy.hits()["packed"]["hits"], 1, "the fault fired");
    assert_eq!(code, 1);
    assert_eq!(role["verdict"], "fail", "{role:#}");
    assert!(
        role["detail"]
            .as_str()
            .unwrap()
            .contains("fewer [[document]]s"),
        "{role:#}"
    );
    assert!(
        role["fix"]
            .as_str()
            .unwrap()
            .contains("session policy smaller"),
        "not the member stack's to fix: {role:#}"
    );
}
