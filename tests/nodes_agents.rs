//! Session readiness across agent versions and runs that never gave a
//! verdict: the tests' State Manager (tests/moto_ssm_associations.py with
//! tests/moto_ssm_agent.py) runs the shipped check script on each node as
//! that node's agent would (SSM_User only from 3.3.2746.0, `{{User}}`
//! substituted by every agent, though the shipped script holds none), and
//! marks nodes that time out or that the run never reaches. Only the
//! script's own line makes a missing user; everything else is "check could
//! not run", counted apart: an agent older than 3.3.2746.0 passes the
//! script no user, and the check fails closed there ("agent too old").

use crate::common;

use common::fleet::*;
use common::*;
use serde_json::{json, Value};

const OLD_AGENT: &str = "3.3.987.0";
const NEW_AGENT: &str = "3.3.2746.0";
/// How reports print the reason of an agent that passes no SSM_User.
const TOO_OLD: &str =
    "the SSM agent is too old to pass the user safely (3.3.2746.0 or later needed)";

fn node(id: &str, users: &[&str], agent: &str, outcome: Option<&str>) -> Value {
    let mut n = json!({"id": id, "platform": "Linux", "users": users, "agent_version": agent});
    if let Some(o) = outcome {
        n["outcome"] = json!(o);
    }
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn older_agents_fail_closed_and_runs_without_a_verdict_are_never_missing() {
    let w = fleet_world().await;
    let account = w.create_account("agents", None).await;
    member_stack(&w, &account).await;
    let has = ["ec2-user", "ssm-ops"];
    let lacks = ["ec2-user"];
    fleet_nodes(
        &w,
        &account,
        "eu-west-1",
        vec![
            node("i-0a000000000000001", &has, NEW_AGENT, None),
            // An agent older than ENV_VAR, with the user or without: no
            // user reaches the script, so it fails closed ("agent too
            // old"), neither present nor missing.
            node("i-0a000000000000002", &has, OLD_AGENT, None),
            node("i-0a000000000000003", &lacks, OLD_AGENT, None),
            node("i-0a000000000000004", &has, NEW_AGENT, Some("timeout")),
            node(
                "i-0a000000000000005",
                &lacks,
                NEW_AGENT,
                Some("undeliverable"),
            ),
            // Without the user, on an agent that passes it: the script's
            // verdict.
            node("i-0a000000000000006", &lacks, NEW_AGENT, None),
        ],
    );
    // Every other region: old agents only, all with the user.
    for region in REGIONS.iter().filter(|r| **r != "eu-west-1") {
        fleet_nodes(
            &w,
            &account,
            region,
            vec![node("i-0b000000000000001", &has, OLD_AGENT, None)],
        );
    }

    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let item = check_state(&w, &account, "eu-west-1").await.unwrap();
    let found = readiness(&item);
    assert_eq!(
        (found["checked"].as_u64(), found["missing"].as_u64()),
        (Some(6), Some(1)),
        "{found:#}"
    );
    assert_eq!(found["missing_nodes"], json!(["i-0a000000000000006"]));
    assert_eq!(found["not_run"]["nodes"], 4, "{found:#}");
    assert_eq!(
        found["not_run"]["reasons"],
        json!({"agent_too_old": 2, "timed_out": 1, "undeliverable": 1})
    );
    for region in REGIONS.iter().filter(|r| **r != "eu-west-1") {
        let item = check_state(&w, &account, region).await.unwrap();
        let found = readiness(&item);
        assert_eq!(
            (found["checked"].as_u64(), found["missing"].as_u64()),
            (Some(1), Some(0)),
            "{region}: {found:#}"
        );
        assert_eq!(
            found["not_run"]["reasons"],
            json!({"agent_too_old": 1}),
            "{region}: an old agent with the user is no verdict: {found:#}"
        );
    }

    // One alert, naming the one node the script said lacks the user; the
    // nodes without a verdict are told apart in it.
    let alerts = w.alerts().await;
    let missing = of_kind(&alerts, "run_as_user_missing");
    assert_eq!(missing.len(), 1, "{alerts:#?}");
    let m = &missing[0]["message"];
    assert_eq!(m["nodes_missing"], 1);
    let r = &m["regions"][0];
    assert_eq!(r["missing_nodes"], json!(["i-0a000000000000006"]));
    assert_eq!(r["nodes_could_not_run"], 4);

    // The readiness report: a refusal on one node, the check that could not
    // run said apart with its reasons; the other regions (old agents only)
    // could not run, for the agent's age.
    let run = w.run(&["readiness", "--account", &account, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let rows = report["rows"].as_array().unwrap();
    let eu = rows.iter().find(|r| r["region"] == "eu-west-1").unwrap();
    assert_eq!(eu["verdict"], "would_refuse", "{eu:#}");
    assert_eq!(eu["missing"], 1);
    assert_eq!(eu["could_not_run"], 4);
    let reasons = eu["could_not_run_reasons"].as_str().unwrap();
    assert!(
        reasons.contains("timed out: 1")
            && reasons.contains("not delivered to the node: 1")
            && reasons.contains(&format!("{TOO_OLD}: 2")),
        "{reasons}"
    );
    for r in rows.iter().filter(|r| r["region"] != "eu-west-1") {
        assert_eq!(r["verdict"], "check_could_not_run", "{r:#}");
        assert_eq!(
            r["could_not_run_reasons"],
            format!("check could not run on 1 node ({TOO_OLD}: 1)"),
            "{r:#}"
        );
    }
    assert_eq!(
        report["organization"]["nodes_could_not_run"],
        4 + REGIONS.len() as u64 - 1
    );
    assert_eq!(report["organization"]["nodes_missing"], 1);

    // `status` says it on the check's row.
    let run = w.run(&["status", "--account", &account, "--format", "table"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("MISSING on 1 of 6 nodes; check could not run on 4 nodes"),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fleet_where_the_check_could_not_run_sends_no_missing_alert_and_is_not_ready() {
    let w = fleet_world().await;
    let account = w.create_account("quiet", None).await;
    member_stack(&w, &account).await;
    let has = ["ec2-user", "ssm-ops"];
    let lacks = ["ec2-user"];
    for region in REGIONS {
        fleet_nodes(
            &w,
            &account,
            region,
            vec![
                // With the user, on an agent too old to pass it: no verdict.
                node("i-0c000000000000001", &has, OLD_AGENT, None),
                // Lacking the user, but never reached: no verdict.
                node("i-0c000000000000002", &lacks, OLD_AGENT, Some("timeout")),
                node(
                    "i-0c000000000000003",
                    &lacks,
                    NEW_AGENT,
                    Some("undeliverable"),
                ),
            ],
        );
    }
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    assert!(
        of_kind(&alerts, "run_as_user_missing").is_empty(),
        "no verdict is no missing user: {alerts:#?}"
    );
    let run = w.run(&["readiness", "--account", &account, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    for r in report["rows"].as_array().unwrap() {
        assert_eq!(r["verdict"], "check_could_not_run", "{r:#}");
        assert_eq!(r["verdict_text"], "check could not run on 3 nodes");
        assert_eq!(
            (r["missing"].as_u64(), r["could_not_run"].as_u64()),
            (Some(0), Some(3))
        );
        let reasons = r["could_not_run_reasons"].as_str().unwrap();
        assert!(reasons.contains(&format!("{TOO_OLD}: 1")), "{reasons}");
    }
    assert_eq!(report["organization"]["check_could_not_run"], REGIONS.len());
}

/// An agent too old to pass the user fails closed. Updated, on a node that
/// lacks the user, it fails the same way in SSM's counts (the same check,
/// the same number of failures), now with the script's missing line: the
/// run after a read that found an agent too old is read again, so the
/// missing user is told, once.
#[tokio::test(flavor = "multi_thread")]
async fn an_updated_agent_on_a_node_without_the_user_is_told_missing() {
    let w = fleet_world().await;
    let account = w.create_account("updated", None).await;
    member_stack(&w, &account).await;
    let has = ["ec2-user", "ssm-ops"];
    let lacks = ["ec2-user"];
    const LACKS: &str = "i-0e000000000000002";
    let nodes = |agent| {
        vec![
            node("i-0e000000000000001", &has, NEW_AGENT, None),
            node(LACKS, &lacks, agent, None),
        ]
    };
    fleet_nodes(&w, &account, "eu-west-1", nodes(OLD_AGENT));
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let found = readiness(&check_state(&w, &account, "eu-west-1").await.unwrap());
    assert_eq!(
        (
            found["checked"].as_u64(),
            found["failed"].as_u64(),
            found["missing"].as_u64()
        ),
        (Some(2), Some(1), Some(0)),
        "{found:#}"
    );
    assert_eq!(found["not_run"]["reasons"], json!({"agent_too_old": 1}));
    assert!(of_kind(&w.alerts().await, "run_as_user_missing").is_empty());

    // The agent is updated; State Manager runs the check again: one failure
    // still, now the script's verdict.
    fleet_nodes(&w, &account, "eu-west-1", nodes(NEW_AGENT));
    run_associations(&w, &account);
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let found = readiness(&check_state(&w, &account, "eu-west-1").await.unwrap());
    assert_eq!(
        (
            found["checked"].as_u64(),
            found["failed"].as_u64(),
            found["missing"].as_u64()
        ),
        (Some(2), Some(1), Some(1)),
        "{found:#}"
    );
    assert_eq!(found["missing_nodes"], json!([LACKS]), "{found:#}");
    assert!(found.get("not_run").is_none(), "{found:#}");
    let alerts = w.alerts().await;
    let missing = of_kind(&alerts, "run_as_user_missing");
    assert_eq!(missing.len(), 1, "{alerts:#?}");
    assert_eq!(
        missing[0]["message"]["regions"][0]["missing_nodes"],
        json!([LACKS])
    );

    // Steady: the next sweep of the same run tells nothing again.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert!(of_kind(&w.alerts().await, "run_as_user_missing").is_empty());
}
