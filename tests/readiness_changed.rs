//! A changed check is read again: a node on an SSM agent older than
//! 3.3.2746.0, whose run of the earlier check document (which pasted the
//! user into its text for such agents) said the user is missing, and whose
//! run of the member stack's new one (the user only from `SSM_User`) fails
//! closed as "agent too old", fails either way (the same counts);
//! `readiness`, the check's row and `why --node` all say the check could
//! not run, for the agent's age, once the new document has run (not
//! before: the run already read is of the old one); an unchanged check is
//! not read again (but a node whose agent was too old is, after each run of
//! the check). State Manager and the nodes are
//! emulated (tests/moto_ssm_associations.py, tests/moto_ssm_agent.py).

use crate::common;

use aws_sdk_ssm::types::{DocumentFormat, DocumentType};
use common::fleet::*;
use common::*;
use runas_guard::adapters::aws::sts::Sts;
use serde_json::{json, Value};

const REGION: &str = "eu-west-1";
const OLD_AGENT: &str = "3.3.987.0";
const LACKS: &str = "i-0aaaaaaaaaaaaaaa2";
const HAS: &str = "i-0aaaaaaaaaaaaaaa1";

/// How reports print the reason of an agent that passes no SSM_User.
const TOO_OLD: &str =
    "the SSM agent is too old to pass the user safely (3.3.2746.0 or later needed)";

/// The check document as the previous member stack shipped it: today's
/// checks behind AWS's documented fallback for agents older than
/// 3.3.2746.0, the user pasted into the text when `SSM_User` is empty. So
/// there the check gave the script's verdict on the user.
fn old_check_document() -> String {
    let mut doc: Value = serde_json::from_str(&check_document()).unwrap();
    for step in doc["mainSteps"].as_array_mut().unwrap() {
        let lines = step["inputs"]["runCommand"].as_array_mut().unwrap();
        assert!(lines[0].as_str().unwrap().contains("agent too old"));
        lines[0] = json!("if [ -z \"${SSM_User:-}\" ]; then SSM_User='{{User}}'; fi");
    }
    doc.to_string()
}

/// The emulated State Manager calls since the last reset, by operation.
fn calls(w: &World) -> Value {
    let (_, calls) = http(w.moto.port(), "GET", "/_emulated/ssm/calls", "");
    let (status, _) = http(w.moto.port(), "POST", "/_emulated/ssm/calls/reset", "{}");
    assert_eq!(status, 200);
    calls["operations"].clone()
}

/// Whether a look read the failed nodes' reports.
fn read_nodes(ops: &Value) -> bool {
    ops.get("DescribeInstanceAssociationsStatus").is_some()
}

/// What `readiness` says of the account's eu-west-1 row.
fn readiness_row(w: &World, account: &str) -> Value {
    let run = w.run(&[
        "readiness",
        "--account",
        account,
        "--region",
        REGION,
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == REGION)
        .cloned()
        .unwrap_or_else(|| panic!("{report:#}"))
}

/// `why --node` for a plain role: the session's verdict.
fn why_node(w: &World, account: &str, principal: &str, node: &str) -> Value {
    let run = w.run(&[
        "why",
        "--account",
        account,
        "--region",
        REGION,
        "--principal",
        principal,
        "--node",
        node,
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()["session"].clone()
}

async fn sweep(w: &World) {
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_check_document_is_read_again_and_readiness_and_why_agree() {
    let w = fleet_world().await;
    let account = w.create_account("member", None).await;
    // The earlier member stack, everywhere (the hub is in the organization).
    for a in [HUB, account.as_str()] {
        for region in REGIONS {
            w.admin_ssm(a, region)
                .await
                .create_document()
                .name(CHECK)
                .content(old_check_document())
                .document_type(DocumentType::Command)
                .document_format(DocumentFormat::Json)
                .send()
                .await
                .unwrap();
        }
    }
    let ssm = w.admin_ssm(&account, REGION).await;
    fleet_nodes(
        &w,
        &account,
        REGION,
        vec![
            json!({"id": HAS, "platform": "Linux", "users": ["ec2-user", "ssm-ops"]}),
            json!({"id": LACKS, "platform": "Linux", "users": ["ec2-user"], "agent_version": OLD_AGENT}),
        ],
    );
    let plain = Sts::new(&w.cfg)
        .assume(&account, &["Admin"], "setup", None)
        .await
        .unwrap()
        .iam()
        .create_role()
        .role_name("Plain")
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
        .send()
        .await
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_string();

    // The old document: its fallback handed the old agent the user, and the
    // node lacks it: missing, told once.
    sweep(&w).await;
    let row = readiness(&check_state(&w, &account, REGION).await.unwrap());
    assert_eq!(
        (
            row["checked"].as_u64(),
            row["failed"].as_u64(),
            row["missing"].as_u64()
        ),
        (Some(2), Some(1), Some(1)),
        "{row:#}"
    );
    assert_eq!(row["missing_nodes"], json!([LACKS]), "{row:#}");
    assert!(row.get("not_run").is_none(), "{row:#}");
    assert_eq!(row["document_version"], "1", "{row:#}");
    assert_eq!(readiness_row(&w, &account)["verdict"], "would_refuse");
    assert_eq!(
        why_node(&w, &account, &plain, LACKS)["verdict"],
        "would_be_refused"
    );
    let alerts = w.alerts().await;
    let missing = of_kind(&alerts, "run_as_user_missing");
    assert_eq!(missing.len(), 1, "told once: {alerts:#?}");
    assert_eq!(
        missing[0]["message"]["regions"][0]["missing_nodes"],
        json!([LACKS])
    );

    // Control: State Manager runs the same check again, nothing changed:
    // the recorded verdicts stand, no node's report is read.
    run_associations(&w, &account);
    calls(&w);
    sweep(&w).await;
    let ops = calls(&w);
    assert!(!read_nodes(&ops), "{ops:#}");
    assert_eq!(ops.get("DescribeAssociationExecutions"), None, "{ops:#}");

    // The member stack ships the new check document (the user only from
    // SSM_User: older agents fail closed) as a new default version.
    ssm.update_document()
        .name(CHECK)
        .content(check_document())
        .document_version("$LATEST")
        .send()
        .await
        .unwrap();
    ssm.update_document_default_version()
        .name(CHECK)
        .document_version("2")
        .send()
        .await
        .unwrap();
    // The association has not run the new version yet: the run already read
    // is of the old one, and neither the document nor the nodes are read
    // again (the same reports would say the same)...
    sweep(&w).await;
    let ops = calls(&w);
    assert!(!read_nodes(&ops), "the same run is not read again: {ops:#}");
    let row = readiness(&check_state(&w, &account, REGION).await.unwrap());
    assert_eq!(row["document_version"], "1", "the run's own: {row:#}");
    assert_eq!(row["missing"], 1, "{row:#}");
    // ... its run is: the same counts, now the fail-closed line. Could not
    // run, for the agent's age, in the row, in readiness and in why; never
    // ready, and no verdict on the user.
    run_associations(&w, &account);
    sweep(&w).await;
    let ops = calls(&w);
    assert!(read_nodes(&ops), "the new document's run is read: {ops:#}");
    let item = check_state(&w, &account, REGION).await.unwrap();
    let row = readiness(&item);
    assert_eq!(row["document_version"], "2", "{row:#}");
    assert_eq!(
        (
            row["checked"].as_u64(),
            row["failed"].as_u64(),
            row["missing"].as_u64()
        ),
        (Some(2), Some(1), Some(0)),
        "{row:#}"
    );
    assert_eq!(row["not_run"]["nodes"], 1, "{row:#}");
    assert_eq!(
        row["not_run"]["reasons"],
        json!({"agent_too_old": 1}),
        "{row:#}"
    );
    let report = readiness_row(&w, &account);
    assert_eq!(report["verdict"], "check_could_not_run", "{report:#}");
    assert_eq!(
        report["could_not_run_reasons"],
        format!("check could not run on 1 node ({TOO_OLD}: 1)"),
        "{report:#}"
    );
    let session = why_node(&w, &account, &plain, LACKS);
    assert_eq!(session["verdict"], "unknown", "{session:#}");
    assert!(
        session.to_string().contains(TOO_OLD),
        "why says the agent's age: {session:#}"
    );
    let session = why_node(&w, &account, &plain, HAS);
    assert_eq!(session["verdict"], "would_start", "{session:#}");
    let alerts = w.alerts().await;
    assert!(
        of_kind(&alerts, "run_as_user_missing").is_empty(),
        "no missing user told anew: {alerts:#?}"
    );

    // A node whose agent was too old is read again after each run of the
    // check (its agent may have been updated since: nodes_agents.rs); the
    // same answer changes nothing and tells nothing...
    run_associations(&w, &account);
    calls(&w);
    sweep(&w).await;
    let ops = calls(&w);
    assert!(read_nodes(&ops), "{ops:#}");
    let row = readiness(&check_state(&w, &account, REGION).await.unwrap());
    assert_eq!(
        row["not_run"]["reasons"],
        json!({"agent_too_old": 1}),
        "{row:#}"
    );
    assert!(of_kind(&w.alerts().await, "run_as_user_missing").is_empty());
    // ... and it is not read again while the check has not run since.
    calls(&w);
    sweep(&w).await;
    let ops = calls(&w);
    assert!(!read_nodes(&ops), "{ops:#}");
    assert!(of_kind(&w.alerts().await, "run_as_user_missing").is_empty());
}
