//! `runas-guard history`: the account's history rows after a vend and a
//! reverted console edit, filtered by region and time, in every format.

use crate::common;

use common::*;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn history_after_a_revert() {
    let w = World::new().await;
    let account = w.create_account("member", None).await;
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    w.console_edit(&account, "eu-west-1", "drifty").await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, "eu-west-1", "Admin"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["accounts"][0]["regions"][0]["action"], "updated");

    let run = w.run(&["history", "--account", &account, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = run.json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3, "two created, one reverted: {rows:#?}");
    let at: Vec<&str> = rows.iter().map(|r| r["at"].as_str().unwrap()).collect();
    let mut sorted = at.clone();
    sorted.sort();
    assert_eq!(at, sorted, "oldest first");
    let revert = rows.last().unwrap();
    assert_eq!(revert["status"], "reverted");
    assert_eq!(revert["region"], "eu-west-1");
    assert_eq!(revert["before"]["runAsDefaultUser"], "drifty");
    assert_eq!(revert["after"]["runAsDefaultUser"], "ssm-ops");
    assert_eq!(revert["after"]["runAsEnabled"], Value::Bool(true));
    assert_eq!(
        revert["actor"],
        format!("arn:aws:iam::{account}:role/Admin")
    );
    assert_eq!(revert["trigger_kind"], "document_changed");

    let run = w.run(&[
        "history",
        "--account",
        &account,
        "--region",
        "us-east-1",
        "--format",
        "json",
    ]);
    let rows = run.json();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["action"], "created");

    let run = w.run(&[
        "history",
        "--account",
        &account,
        "--since",
        "2099-01-01",
        "--format",
        "json",
    ]);
    assert_eq!(run.json(), serde_json::json!([]));
    let run = w.run(&[
        "history",
        "--account",
        &account,
        "--since",
        "1h",
        "--format",
        "json",
    ]);
    assert_eq!(run.json().as_array().unwrap().len(), 3);

    let table = w.run(&["history", "--account", &account]);
    assert_eq!(table.code, 0);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", table.stdout);
    assert!(lines[0].starts_with("AT"), "{}", table.stdout);
    let last = lines[3];
    for want in [
        "eu-west-1",
        "reverted",
        "on/drifty",
        "on/ssm-ops",
        "role/Admin",
    ] {
        assert!(last.contains(want), "{want}: {last}");
    }
    let csv = w.run(&["history", "--account", &account, "--format", "csv"]);
    assert_eq!(csv.stdout.lines().count(), 4, "{}", csv.stdout);

    // Another account has no history; a bad --since is bad input.
    let other = w.create_account("other", None).await;
    let run = w.run(&["history", "--account", &other]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("no history"), "{}", run.stdout);
    let run = w.run(&["history", "--account", &account, "--since", "last tuesday"]);
    assert_eq!(run.code, 2);
    assert_one_clean_line(&run.stderr);
    assert!(run.stderr.contains("--since"), "{}", run.stderr);
}
