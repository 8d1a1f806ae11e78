//! `enforce-when-ready` held too long is told: a region whose node's check
//! run times out every time is held every sweep; past `[nodes]
//! held_alert_after` one `enforcement_held` names the account, region,
//! verdict and the blocking node with its reason; the next sweep is silent,
//! and so is one where only the blocking node's id changed (fleet churn); a
//! changed verdict is told again, and a hold within the bound is never
//! told. State Manager and the nodes are emulated by
//! tests/moto_ssm_associations.py.

use crate::common;

use common::fleet::*;
use common::*;
use serde_json::{json, Value};

const TIMES_OUT: &str = "i-0ccc0000000000001";
const LACKS: &str = "i-0ccc0000000000002";
const REPLACED: &str = "i-0ccc0000000000003";

fn node(id: &str, users: &[&str], outcome: Option<&str>) -> Value {
    let mut n = json!({"id": id, "platform": "Linux", "users": users});
    if let Some(o) = outcome {
        n["outcome"] = json!(o);
    }
    n
}

fn policy(w: &World, sandbox: &str, bound: &str) {
    w.write_policy_raw(&format!(
        "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\", \"eu-west-1\"]\nmode = \"audit\"\n\
         [nodes]\ncheck_user = true\nheld_alert_after = \"{bound}\"\n\
         [default]\nrun_as_user = \"ssm-ops\"\n[[ou]]\nid = \"{sandbox}\"\nmode = \"enforce-when-ready\"\n"
    ));
}

fn held(alerts: &[Value]) -> Vec<&Value> {
    of_kind(alerts, "enforcement_held")
}

fn sweep(w: &World) -> Value {
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    out
}

/// The sweep's rows of `account` held at least the bound (what the
/// `<fn>-held` alarm counts, as `AccountRegionsHeldTooLong`).
fn held_too_long(out: &Value, account: &str) -> Vec<String> {
    let rows = out["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["account"] == account)
        .flat_map(|a| a["regions"].as_array().unwrap().iter());
    rows.filter(|r| r["held_too_long"] == true)
        .map(|r| r["region"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_region_held_past_the_bound_is_told_once_and_again_only_for_another_verdict() {
    let w = fleet_world().await;
    member_stack(&w, HUB).await;
    let sandbox = w.create_ou(&w.root, "Sandbox").await;
    let a = w.create_account("gated-1", Some(&sandbox)).await;
    member_stack(&w, &a).await;
    let has = ["ec2-user", "ssm-ops"];
    // us-east-1: one node's check run times out every time: no verdict
    // there, so the region stays held. eu-west-1 is ready.
    fleet_nodes(
        &w,
        &a,
        "us-east-1",
        vec![
            node("i-0ccc0000000000000", &has, None),
            node(TIMES_OUT, &has, Some("timeout")),
        ],
    );
    fleet_nodes(
        &w,
        &a,
        "eu-west-1",
        vec![node("i-0ddd0000000000000", &has, None)],
    );
    for region in REGIONS {
        let mut doc = lza_document(&a);
        doc["inputs"]["runAsEnabled"] = json!(true);
        doc["inputs"]["runAsDefaultUser"] = json!("root");
        w.admin_write(&a, region, &doc, true).await;
    }

    // The control: held for two sweeps within the bound, nothing told.
    policy(&w, &sandbox, "1h");
    sweep(&w);
    let out = sweep(&w);
    assert!(
        held_too_long(&out, &a).is_empty(),
        "a rollout's wait: {out:#}"
    );
    let item = w.state(&a, "us-east-1").await.unwrap();
    assert!(
        item["held"].contains("check could not run on 1 node"),
        "{item:?}"
    );
    let since = item["held_since"].clone();
    assert!(!item.contains_key("held_told"), "{item:?}");
    let alerts = w.alerts().await;
    assert!(held(&alerts).is_empty(), "{alerts:#?}");
    assert_eq!(
        w.state(&a, "eu-west-1").await.unwrap()["status"],
        "remediated"
    );

    // Past the bound: told once, naming the region, the verdict and the
    // node with its reason.
    policy(&w, &sandbox, "1s");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = sweep(&w);
    assert_eq!(held_too_long(&out, &a), ["us-east-1"], "{out:#}");
    let alerts = w.alerts().await;
    let told = held(&alerts);
    assert_eq!(told.len(), 1, "{alerts:#?}");
    let m = &told[0]["message"];
    assert_eq!(
        (m["account"].as_str(), m["region"].as_str()),
        (Some(a.as_str()), Some("us-east-1"))
    );
    assert_eq!(m["severity"], "warning");
    assert_eq!(told[0]["attributes"]["kind"]["Value"], "enforcement_held");
    let h = &m["held"][0];
    assert_eq!(h["verdict"], "could_not_run", "{h:#}");
    assert_eq!(h["held_since"], since.as_str());
    assert_eq!(h["document"], DOC);
    assert_eq!(
        h["blocking_nodes"],
        json!([{"node": TIMES_OUT, "reason": "timed_out", "why": "the check could not run: timed out"}])
    );
    assert_eq!(h["blocking_reasons"], json!({"timed_out": 1}));
    assert!(
        h["console"].as_str().unwrap().contains("state-manager"),
        "{h:#}"
    );
    assert_eq!(m["account_name"], "gated-1");
    // Run As is on with root there: the hold keeps the previous user, it
    // does not keep Run As off; and a hold told within its first minute
    // says so, never "0m" (unreleased).
    let subject = told[0]["subject"].as_str().unwrap();
    assert!(
        subject.contains("Run As user change held (Run As stays on with root)")
            && !subject.contains("held off")
            && !subject.contains(" 0m "),
        "{subject:?}"
    );
    let item = w.state(&a, "us-east-1").await.unwrap();
    assert_eq!(item["held_since"], since, "the hold's start stays");
    assert!(item.contains_key("held_told_at"), "{item:?}");
    // Nothing was enforced.
    let (doc, _, _) = w.document(&a, "us-east-1").await.unwrap();
    assert_eq!(run_as(&doc).1, "root");
    let run = w.run(&["status", "--account", &a]);
    assert!(
        run.stdout.contains(&format!("(since {since})"))
            && run.stdout.contains("(enforcement_held)"),
        "{}",
        run.stdout
    );

    // The next sweep, same verdict: silent.
    sweep(&w);
    assert!(held(&w.alerts().await).is_empty());

    // Fleet churn: the node whose check times out is replaced by another
    // whose check times out too. The same verdict for the same reason,
    // only a node's id changed: silent, the hold's record unchanged.
    fleet_nodes(
        &w,
        &a,
        "us-east-1",
        vec![
            node("i-0ccc0000000000000", &has, None),
            node(REPLACED, &has, Some("timeout")),
        ],
    );
    run_associations(&w, &a);
    sweep(&w);
    let alerts = w.alerts().await;
    assert!(held(&alerts).is_empty(), "{alerts:#?}");
    let item = w.state(&a, "us-east-1").await.unwrap();
    assert_eq!(item["held_since"], since, "{item:?}");
    assert!(
        item["held"].contains("check could not run on 1 node"),
        "{item:?}"
    );

    // Another node now lacks the user: a new verdict, told again, with both.
    fleet_nodes(
        &w,
        &a,
        "us-east-1",
        vec![
            node("i-0ccc0000000000000", &has, None),
            node(REPLACED, &has, Some("timeout")),
            node(LACKS, &["ec2-user"], None),
        ],
    );
    run_associations(&w, &a);
    sweep(&w);
    let alerts = w.alerts().await;
    let told = held(&alerts);
    assert_eq!(told.len(), 1, "{alerts:#?}");
    let h = &told[0]["message"]["held"][0];
    assert_eq!(h["verdict"], "would_refuse", "{h:#}");
    let nodes: Vec<(&str, &str)> = h["blocking_nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["node"].as_str().unwrap(), n["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(nodes, [(LACKS, "user_missing"), (REPLACED, "timed_out")]);
    assert_eq!(h["held_since"], since.as_str(), "the same hold");
    sweep(&w);
    assert!(held(&w.alerts().await).is_empty());

    // Every node ready: enforced, the hold forgotten, nothing held told.
    fleet_nodes(
        &w,
        &a,
        "us-east-1",
        vec![node("i-0ccc0000000000000", &has, None)],
    );
    run_associations(&w, &a);
    sweep(&w);
    let item = w.state(&a, "us-east-1").await.unwrap();
    assert_eq!(item["status"], "remediated", "{item:?}");
    for gone in ["held", "held_since", "held_told"] {
        assert!(!item.contains_key(gone), "{gone}: {item:?}");
    }
    assert!(held(&w.alerts().await).is_empty());
}
