//! `reconcile --dry-run` says what the sweep would do: a region that
//! `enforce-when-ready` holds is reported held (with the gate's reason), as
//! the sweep and `why` say it, not as a change the dry run would make. State
//! Manager and the nodes are emulated by tests/moto_ssm_associations.py.

use crate::common;

use common::fleet::*;
use common::*;
use serde_json::{json, Value};

fn policy(w: &World, sandbox: &str) {
    w.write_policy_raw(&format!(
        "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\", \"eu-west-1\"]\nmode = \"audit\"\n\
         [nodes]\ncheck_user = true\n\
         [default]\nrun_as_user = \"ssm-ops\"\n[[ou]]\nid = \"{sandbox}\"\nmode = \"enforce-when-ready\"\n"
    ));
}

/// The governed document's row of `account` in `region` in a sweep's output.
fn row<'a>(out: &'a Value, account: &str, region: &str) -> &'a Value {
    out["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["account"] == account)
        .flat_map(|a| a["regions"].as_array().unwrap().iter())
        .find(|r| r["region"] == region && r["document"].is_null())
        .unwrap_or_else(|| panic!("no row of {account} {region}: {out:#}"))
}

/// The same row in `reconcile`'s JSON report.
fn reported<'a>(out: &'a Value, account: &str, region: &str) -> &'a Value {
    out["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["account"] == account && r["region"] == region && r["document"].is_null())
        .unwrap_or_else(|| panic!("no row of {account} {region}: {out:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_reports_a_region_enforce_when_ready_holds_as_held() {
    let w = fleet_world().await;
    member_stack(&w, HUB).await;
    let sandbox = w.create_ou(&w.root, "Sandbox").await;
    let a = w.create_account("gated-dry", Some(&sandbox)).await;
    member_stack(&w, &a).await;
    // us-east-1: a node lacks the user, so the region is held there;
    // eu-west-1 is ready.
    fleet(&w, &a, "us-east-1", &[without_user("i-0aaa0000000000001")]);
    fleet(&w, &a, "eu-west-1", &[with_user("i-0aaa0000000000002")]);
    for region in REGIONS {
        let mut doc = lza_document(&a);
        doc["inputs"]["runAsEnabled"] = json!(true);
        doc["inputs"]["runAsDefaultUser"] = json!("root");
        w.admin_write(&a, region, &doc, true).await;
    }
    policy(&w, &sandbox);
    // The sweep holds us-east-1 and puts eu-west-1 right.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let swept = row(&out, &a, "us-east-1");
    let said = swept["held"].as_str().unwrap_or_else(|| panic!("{out:#}"));
    assert_eq!(
        w.state(&a, "us-east-1").await.unwrap()["held"],
        said,
        "the sweep recorded the hold"
    );
    w.alerts().await;
    let versions = w.document(&a, "us-east-1").await.unwrap().2;

    let run = w.run(&[
        "reconcile",
        "--dry-run",
        "--account",
        &a,
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let out = run.json();
    let held = reported(&out, &a, "us-east-1");
    assert_eq!(
        held["held"], said,
        "the dry run says what the sweep holds: {out:#}"
    );
    assert_eq!(held["mode"], "enforce-when-ready", "{out:#}");
    // Control: the ready region, already right, is not held.
    let ready = reported(&out, &a, "eu-west-1");
    assert!(ready["held"].is_null(), "{out:#}");
    assert_eq!(ready["action"], "none", "{out:#}");
    // A dry run writes nothing and tells nobody.
    assert_eq!(w.document(&a, "us-east-1").await.unwrap().2, versions);
    assert!(w.alerts().await.is_empty());
}
