//! CLI behaviour: `explain` on AWS-shaped samples and on garbage, `policy
//! check` (offline); then, against moto, the operator contracts: a dry run
//! without table or topic, `--account` ids the organization does not have,
//! `status` filters and JSON types, one stderr line without colour, and
//! `sweep` on demand.

use crate::common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_runas-guard"));
    c.env_remove("AWS_LAMBDA_RUNTIME_API");
    c
}

fn run_stdin(args: &[&str], input: &[u8]) -> (i32, String, String) {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The CLI may stop reading early (size limit): a broken pipe here is fine.
    let _ = child.stdin.take().unwrap().write_all(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn explain_classifies_every_sample_as_its_name_says() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap();
        let want = name.split('.').next().unwrap();
        let out = bin()
            .args(["explain", path.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["trigger"], want, "{name}: {v}");
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "trigger",
                "account",
                "region",
                "actor",
                "event_id",
                "source",
                "event_name",
                "reason"
            ]
        );
        assert!(!v["reason"].as_str().unwrap().is_empty());
        match want {
            "document_changed" => {
                assert!(
                    v["region"].is_string() && v["actor"].is_string() && v["account"].is_string(),
                    "{name}: {v}"
                );
            }
            "account_vended" | "account_moved" => {
                assert!(v["account"].as_str().unwrap().len() == 12, "{name}")
            }
            _ => {}
        }
        seen += 1;
    }
    assert!(seen >= 16, "only {seen} samples found");
}

#[test]
fn explain_documented_actor_shapes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let actor = |f: &str| {
        let out = bin()
            .args(["explain", dir.join(f).to_str().unwrap()])
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["actor"].clone()
    };
    assert_eq!(
        actor("document_changed.ssm-update-document.json"),
        "arn:aws:iam::111122223333:role/Admin"
    );
    assert_eq!(
        actor("document_changed.ssm-update-document-default-version.json"),
        "arn:aws:iam::111122223333:user/ops-bob"
    );
    assert_eq!(
        actor("document_changed.ssm-delete-document.json"),
        "arn:aws:iam::111122223333:root"
    );
    assert_eq!(
        actor("account_vended.organizations-create-account-result.json"),
        Value::Null
    );
}

#[test]
fn explain_answers_garbage_with_exit_2_and_one_line() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let huge = format!("{{\"id\": \"{}\"}}", "a".repeat(5 * 1024 * 1024));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "empty"),
        ("truncated", br#"{"version": "0", "id": "abc", "detail"#.to_vec(), "not valid JSON"),
        ("deep nesting", deep.into_bytes(), "recursion limit"),
        ("invalid utf-8", b"{\"id\": \"\xff\xfe\"}".to_vec(), "UTF-8"),
        ("5 MB string", huge.into_bytes(), "too large"),
        ("array", b"[]".to_vec(), "must be a JSON object"),
        ("missing detail", br#"{"id": "1", "source": "aws.ssm", "detail-type": "x"}"#.to_vec(), "`detail`"),
        ("bad account", br#"{"id": "1", "source": "aws.organizations", "detail-type": "AWS Service Event via CloudTrail", "detail": {"eventName": "CreateAccountResult", "serviceEventDetails": {"createAccountStatus": {"state": "SUCCEEDED", "accountId": "12"}}}}"#.to_vec(), "accountId"),
    ];
    for (name, input, want) in cases {
        let (code, stdout, stderr) = run_stdin(&["explain", "-"], &input);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(stdout.is_empty(), "{name}: {stdout}");
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "{name}: one line: {stderr}"
        );
        assert!(stderr.contains(want), "{name}: {stderr}");
    }
    let out = bin()
        .args(["explain", "/nonexistent/event.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin().args(["frobnicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr)
            .trim_end()
            .lines()
            .count(),
        1
    );
}

#[test]
fn policy_check() {
    let ok = bin()
        .args([
            "policy",
            "check",
            concat!(env!("CARGO_MANIFEST_DIR"), "/examples/policy.toml"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let dir = std::env::temp_dir().join(format!("runas-guard-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "member_role = \"R\"\nregions = [\"us-east-1\"]\n[default]\nrun_as_user = \"Bad User\"\n",
    )
    .unwrap();
    let out = bin()
        .args(["policy", "check", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("default.run_as_user") && err.trim_end().lines().count() == 1,
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn handle_without_configuration_is_bad_input() {
    let out = bin()
        .args([
            "handle",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/events/sweep.scheduled-event.json"
            ),
        ])
        .env_remove("RUNAS_GUARD_POLICY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("RUNAS_GUARD_POLICY"));
}

#[test]
fn policy_check_reads_stdin_and_names_bad_regions_and_ou_ids() {
    let good = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/policy.toml")).unwrap();
    let (code, stdout, stderr) = run_stdin(&["policy", "check", "-"], &good);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("<stdin>: ok"), "{stdout}");
    // A region this build does not know is accepted with a warning ...
    let base = "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\", \"us-east-9\"]\n[default]\nrun_as_user = \"ssm-ops\"\n";
    let (code, stdout, stderr) = run_stdin(&["policy", "check", "-"], base.as_bytes());
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(
            "<stdin>:2:25: warning: `regions`: us-east-9 is not a region runas-guard knows; new regions are fine"
        ),
        "{stdout}"
    );
    // ... a name that is not a region name is refused.
    let base = base.replace("us-east-9", "us-east-9x");
    let (code, _, stderr) = run_stdin(&["policy", "check", "-"], base.as_bytes());
    assert_eq!(code, 2);
    assert_one_clean_line(&stderr);
    assert!(
        stderr.contains("2:25 `regions`") && stderr.contains("us-east-9x"),
        "{stderr}"
    );
    let huge_ou = format!(
        "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\"]\n[default]\nrun_as_user = \"ssm-ops\"\n[[ou]]\nid = \"ou-ab12-{}\"\nrun_as_user = \"x\"\n",
        "a".repeat(5_000)
    );
    let (code, _, stderr) = run_stdin(&["policy", "check", "-"], huge_ou.as_bytes());
    assert_eq!(code, 2);
    assert_one_clean_line(&stderr);
    assert!(stderr.contains("6:6 `ou[#1].id`"), "{stderr}");
    assert!(stderr.len() < 400, "the value is cut: {stderr}");
}

#[test]
fn clap_errors_keep_the_argument_name() {
    let out = bin().args(["policy", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_one_clean_line(&err);
    assert!(
        err.contains("the following required arguments were not provided: <FILE>"),
        "{err}"
    );
    let out = bin().args(["history"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert_one_clean_line(&err);
    assert!(err.contains("--account <ID>"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_needs_no_table_and_no_topic_and_writes_nothing() {
    let w = World::new().await;
    let member = w.create_account("member", None).await;
    let run = w.run_without(
        &["RUNAS_GUARD_TABLE", "RUNAS_GUARD_TOPIC_ARN"],
        &["reconcile", "--dry-run", "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["dry_run"], true);
    // The member and the management account, two regions each.
    assert_eq!(report["totals"]["would-change"], 4, "{report:#}");
    assert!(w.document(&member, "us-east-1").await.is_none());
    assert!(w.items().await.is_empty(), "nothing in the table");
    assert!(w.alerts().await.is_empty(), "no alerts");
    // Without --dry-run the table and topic are still required.
    let run = w.run_without(&["RUNAS_GUARD_TABLE"], &["reconcile"]);
    assert_eq!(run.code, 2);
    assert_one_clean_line(&run.stderr);
    assert!(run.stderr.contains("RUNAS_GUARD_TABLE"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_outside_the_organization_are_bad_input_named_on_one_line() {
    let w = World::new().await;
    let member = w.create_account("member", None).await;
    for dry in [true, false] {
        let mut args = vec![
            "reconcile",
            "--account",
            &member,
            "--account",
            "999999999999",
        ];
        if dry {
            args.push("--dry-run");
        }
        let run = w.run(&args);
        assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
        assert!(run.stdout.is_empty(), "no report: {}", run.stdout);
        assert_one_clean_line(&run.stderr);
        assert!(
            run.stderr.contains("999999999999") && run.stderr.contains("not in the organization"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains(&member), "{}", run.stderr);
    }
    assert!(
        w.document(&member, "us-east-1").await.is_none(),
        "nothing done"
    );
    let run = w.run(&["reconcile", "--account", &member, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["totals"]["created"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn stderr_is_one_line_without_colour_on_exit_2_and_exit_1() {
    let mut w = World::new().await;
    w.create_account("member", None).await;
    for args in [
        vec!["reconcile", "--region", "ap-south-1"],
        vec!["reconcile", "--account", "12"],
        vec!["status", "--region", "us-east-9x"],
        vec!["reconcile", "--frobnicate"],
    ] {
        let run = w.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_one_clean_line(&run.stderr);
    }
    // Exit 1: every fix made, no alert delivered; one summary line.
    w.set_env(
        "RUNAS_GUARD_TOPIC_ARN",
        &format!("arn:aws:sns:us-east-1:{HUB}:missing"),
    );
    let run = w.run(&["reconcile"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_one_clean_line(&run.stderr);
    assert!(
        run.stderr.contains("not delivered") && run.stderr.contains(":missing"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("ROLE"), "the report has a role column");
    assert!(
        run.stdout.contains("OrganizationAccountAccessRole")
            || run.stdout.contains("RunAsGuardExecution"),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn status_shows_the_observed_run_as_typed_and_filters() {
    let w = World::new().await;
    let member = w.create_account("member", None).await;
    assert_eq!(w.run(&["reconcile"]).code, 0);
    let run = w.run(&["status", "--account", &member, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = run.json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    for r in rows {
        assert_eq!(r["observed_run_as_enabled"], Value::Bool(true), "{r}");
        assert_eq!(r["observed_user"], "ssm-ops");
    }
    let run = w.run(&["status", "--region", "eu-west-1", "--format", "json"]);
    let rows = run.json();
    assert_eq!(rows.as_array().unwrap().len(), 2, "member + hub: {rows}");
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["region"] == "eu-west-1"));
    // A well-formed region nothing is recorded in (a typo) matches nothing:
    // refused by name, with the regions that are there.
    let run = w.run(&["status", "--region", "us-east-11"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_one_clean_line(&run.stderr);
    assert!(
        run.stderr
            .contains("\"us-east-11\" is not a governed region (did you mean us-east-1?)")
            && run.stderr.contains("us-east-1")
            && run.stderr.contains("eu-west-1"),
        "{}",
        run.stderr
    );
    let run = w.run(&["status", "--status", "failed", "--format", "json"]);
    assert_eq!(run.json(), serde_json::json!([]));
    let run = w.run(&["status", "--status", "remediated", "--region", "us-east-1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The table, a blank line, the totals.
    let lines: Vec<&str> = run.stdout.lines().take_while(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "header + 2 rows: {}", run.stdout);
    assert!(
        run.stdout
            .ends_with("\n\n2 accounts, 2 account-regions: remediated 2\n"),
        "{}",
        run.stdout
    );
    for h in [
        "ACCOUNT",
        "REGION",
        "STATUS",
        "MODE",
        "RUNAS",
        "WANT",
        "LAST CHANGE",
        "LAST ACTOR",
        "ERROR CODE",
    ] {
        assert!(lines[0].contains(h), "{h}: {}", lines[0]);
    }
    assert!(lines[1].contains("on/ssm-ops"), "{}", run.stdout);
    assert!(lines[1].contains("enforce"), "{}", run.stdout);
    // One line per item: with short names, within 140 columns (a name is
    // cut at 32 characters and an OU path at 40).
    assert!(
        lines.iter().all(|l| l.chars().count() <= 140),
        "compact: {}",
        run.stdout
    );
    let csv = w.run(&["status", "--format", "csv"]).stdout;
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains("observed_run_as_enabled"),
        "{csv}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sweep_on_demand_runs_every_time_with_a_fresh_id() {
    let w = World::new().await;
    let member = w.create_account("member", None).await;
    let first = w.run(&["sweep", "--format", "json"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let first = first.json();
    assert_eq!(first["result"], "done", "{first:#}");
    let id1 = first["trigger"]["event_id"].as_str().unwrap().to_string();
    assert!(id1.starts_with("manual-"), "{id1}");
    assert_eq!(first["trigger"]["trigger"], "sweep");
    w.console_edit(&member, "eu-west-1", "drifty").await;
    let second = w.run(&["sweep", "--format", "json"]);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    let second = second.json();
    assert_eq!(second["result"], "done", "not a duplicate: {second:#}");
    assert_ne!(second["trigger"]["event_id"].as_str().unwrap(), id1);
    let fixed: Vec<&Value> = second["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["account"] == member.as_str())
        .flat_map(|a| a["regions"].as_array().unwrap())
        .filter(|r| r["action"] == "updated")
        .collect();
    assert_eq!(fixed.len(), 1, "the drift was swept back: {second:#}");
    let (doc, _, _) = w.document(&member, "eu-west-1").await.unwrap();
    assert_eq!(run_as(&doc).1, "ssm-ops");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_reads_a_policy_in_s3_like_the_function() {
    let mut w = World::new().await;
    let member = w.create_account("member", None).await;
    let s3 = w.policy_bucket("runas-guard-policy").await;
    let put = |text: String| {
        s3.put_object()
            .bucket("runas-guard-policy")
            .key("policy.toml")
            .body(text.into_bytes().into())
            .send()
    };
    put(std::fs::read_to_string(&w.policy)
        .unwrap()
        .replace("ssm-ops", "s3user"))
    .await
    .unwrap();
    w.set_env("RUNAS_GUARD_POLICY", "s3://runas-guard-policy/policy.toml");
    let run = w.run(&[
        "reconcile",
        "--dry-run",
        "--account",
        &member,
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["rows"][0]["desired_user"], "s3user");
    let run = w.run(&["doctor", "--format", "json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.json()["checks"][0]["detail"]
        .as_str()
        .unwrap()
        .starts_with("s3://runas-guard-policy/policy.toml: valid"));

    // Invalid: bad input, naming the object and the key.
    put("member_role = \"R\"\nregions = [\"Mars\"]\n[default]\nrun_as_user = \"x\"\n".into())
        .await
        .unwrap();
    let run = w.run(&["reconcile", "--dry-run"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_one_clean_line(&run.stderr);
    assert!(
        run.stderr.contains("s3://runas-guard-policy/policy.toml")
            && run.stderr.contains("regions[0]"),
        "{}",
        run.stderr
    );
    // Unreadable: the AWS call failed (exit 1), named.
    w.set_env("RUNAS_GUARD_POLICY", "s3://runas-guard-policy/missing.toml");
    let run = w.run(&["reconcile", "--dry-run"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_one_clean_line(&run.stderr);
    assert!(
        run.stderr.contains("missing.toml") && run.stderr.contains("NoSuchKey"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_numeric_setting_out_of_bounds_is_one_line_naming_it_never_a_panic() {
    let mut w = World::new().await;
    w.set_env("RUNAS_GUARD_CLAIM_LEASE_SECONDS", "18446744073709551615");
    let event = w.write_event(&vend_event("111122223333"));
    let run = w.run(&["handle", path_str(&event)]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_one_clean_line(&run.stderr);
    assert!(
        run.stderr.contains("RUNAS_GUARD_CLAIM_LEASE_SECONDS") && run.stderr.contains("1 to 55"),
        "{}",
        run.stderr
    );
    for (name, value) in [
        ("RUNAS_GUARD_CONCURRENCY", "0"),
        ("RUNAS_GUARD_MAX_IN_FLIGHT", "99999999999999999999"),
        ("RUNAS_GUARD_FANOUT_THRESHOLD", "-3"),
        // Accepted before: a lease outliving Lambda's first retry.
        ("RUNAS_GUARD_CLAIM_LEASE_SECONDS", "900"),
    ] {
        let mut w2 = World::new().await;
        w2.set_env(name, value);
        let run = w2.run(&["handle", path_str(&event)]);
        assert_eq!(run.code, 2, "{name}={value}: {}", run.stderr);
        assert_one_clean_line(&run.stderr);
        assert!(run.stderr.contains(name), "{}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn status_and_history_of_an_account_the_organization_does_not_have_is_bad_input() {
    let w = World::new().await;
    let member = w.create_account("known", None).await;
    for args in [
        vec!["status", "--account", "999999999999"],
        vec!["history", "--account", "999999999999"],
    ] {
        let run = w.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {}\n{}", run.stdout, run.stderr);
        assert_one_clean_line(&run.stderr);
        assert!(run.stderr.contains("999999999999"), "{}", run.stderr);
    }
    // An account it has, with nothing recorded yet, is an empty answer.
    for cmd in ["status", "history"] {
        let run = w.run(&[cmd, "--account", &member, "--format", "json"]);
        assert_eq!(run.code, 0, "{cmd}: {}", run.stderr);
        assert_eq!(run.json(), serde_json::json!([]), "{cmd}");
    }
}

/// `runas-guard … | head -1`: the reader is gone before the first write
/// (`true` reads nothing and exits; the command starts after it).
fn run_into_closed_pipe(w: &World, args: &[&str]) -> (Option<i32>, String) {
    let bin = env!("CARGO_BIN_EXE_runas-guard");
    let script = r#"(sleep 0.5; exec "$@") | true; exit "${PIPESTATUS[0]}""#;
    let cmd = w.command(&[]);
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg("bash")
        .arg(bin)
        .args(args)
        .envs(
            cmd.get_envs()
                .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
        )
        .env_remove("AWS_PROFILE")
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn ecosystem_habits_closed_pipe_suggestions_any_case_format_and_sweep_tables() {
    let w = World::new().await;
    let member = w.create_account("piped", None).await;
    let sample = repo().join("events/sweep.scheduled-event.json");
    for args in [
        vec!["explain", path_str(&sample)],
        vec!["sweep"],
        vec!["status", "--format", "csv"],
    ] {
        let (code, stderr) = run_into_closed_pipe(&w, &args);
        assert!(
            matches!(code, Some(0) | Some(141)),
            "{args:?}: a closed pipe ends quietly, not {code:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    for (typo, meant) in [
        (vec!["stauts"], "'status'"),
        (vec!["reconcile", "--dryrun"], "'--dry-run'"),
    ] {
        let run = w.run(&typo);
        assert_eq!(run.code, 2);
        assert_one_clean_line(&run.stderr);
        assert!(run.stderr.contains(meant), "{typo:?}: {}", run.stderr);
    }
    let run = w.run(&["status", "--format", "JSON"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.json().is_array());
    for (flag, help) in [("--account", "12-digit"), ("--table", "DynamoDB")] {
        for cmd in ["status", "history"] {
            let run = w.run(&[cmd, "--help"]);
            let line = run
                .stdout
                .lines()
                .find(|l| l.trim_start().starts_with(flag))
                .unwrap_or_else(|| panic!("{cmd} --help lists {flag}: {}", run.stdout));
            assert!(line.contains(help), "{cmd} {flag} has help: {line:?}");
        }
    }
    let run = w.run(&["sweep", "--format", "table"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(&member) && run.stdout.contains("sweep "),
        "{}",
        run.stdout
    );
    let run = w.run(&["sweep", "--format", "Csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.lines().count() >= 3,
        "header and rows: {}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn credential_problems_name_their_cause_not_the_endpoint() {
    let mut w = World::new().await;
    let home = w.dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    w.set_env("HOME", home.to_str().unwrap());
    let keys = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];
    // (why, variables set, variables unset, what stderr says)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a [&'a str], &'a str);
    let cases: [Case; 3] = [
        ("no credentials", vec![], &keys, "NoCredentials: "),
        (
            "a profile that does not exist (refused before any call, as aws does: bad input)",
            vec![("AWS_PROFILE", "no-such-profile")],
            &keys,
            "The config profile (no-such-profile) could not be found",
        ),
        (
            "an endpoint nobody answers",
            vec![("AWS_ENDPOINT_URL", "http://127.0.0.1:9")],
            &[],
            "cannot reach endpoint http://127.0.0.1:9",
        ),
    ];
    for (why, env, unset, said) in cases {
        let mut cmd = w.command(&["status"]);
        for k in unset {
            cmd.env_remove(k);
        }
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = if why.contains("bad input") { 2 } else { 1 };
        assert_eq!(out.status.code(), Some(code), "{why}: {stderr}");
        assert_one_clean_line(&stderr);
        assert!(stderr.contains(said), "{why}: {stderr}");
        if !env.iter().any(|(k, _)| *k == "AWS_ENDPOINT_URL") {
            assert!(!stderr.contains("cannot reach"), "{why}: {stderr}");
            assert!(!stderr.contains("IMDS"), "{why}: {stderr}");
        }
    }
    // Something that is not AWS answers: its HTTP status, not "Unknown: no message".
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut web = std::process::Command::new(repo().join(".venv/bin/python"))
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .current_dir(&w.dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let run = w
        .command(&["status"])
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    let _ = web.kill();
    let _ = web.wait();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert_one_clean_line(&stderr);
    assert!(
        stderr.contains("HTTP501") && stderr.contains("is it an AWS endpoint?"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("SdkBody") && !stderr.contains("Request {"),
        "{stderr}"
    );

    // doctor's fix line says what to do about the credentials.
    let mut cmd = w.command(&["doctor"]);
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("fix: give runas-guard credentials")
            && !stdout.contains("check the endpoint"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_fields_are_refused_with_the_field_named_never_retried() {
    let w = World::new().await;
    let account = w.create_account("bounded", None).await;
    let mut long_id = vend_event(&account);
    long_id["id"] = Value::String("x".repeat(3000));
    let mut long_actor = doc_event("UpdateDocument", &account, "eu-west-1", "Admin");
    long_actor["detail"]["userAgent"] = Value::String("a".repeat(5000));
    for (event, field) in [(long_id, "`id`"), (long_actor, "`detail.userAgent`")] {
        let path = w.write_event(&event);
        let run = w.run(&["handle", path_str(&path)]);
        assert_eq!(
            run.code, 2,
            "bad input, not a retry: {}\n{}",
            run.stdout, run.stderr
        );
        assert_one_clean_line(&run.stderr);
        assert!(run.stderr.contains(field), "{}", run.stderr);
        let run = w.run(&["explain", path_str(&path)]);
        assert_eq!(run.code, 2, "{}", run.stderr);
    }
    // Nothing was claimed or written for them.
    assert!(w
        .items()
        .await
        .iter()
        .all(|i| !i["pk"].starts_with("EVENT#")));
}

#[test]
fn readiness_names_a_bad_flag_on_one_line() {
    for (args, named) in [
        (vec!["--account", "12345"], "--account \"12345\""),
        (vec!["--region", "nowhere"], "--region \"nowhere\""),
        (vec!["--ou", "/"], "--ou \"/\""),
        (vec!["--check-document", "a b"], "--check-document \"a b\""),
        (vec!["--format", "xml"], "xml"),
    ] {
        let out = bin()
            .arg("readiness")
            .args(&args)
            .env_remove("RUNAS_GUARD_TABLE")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_one_clean_line(&err);
        assert!(err.contains(named), "{args:?}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_without_the_check_says_no_result_yet_for_every_governed_region() {
    let w = World::new().await;
    let member = w.create_account("member", None).await;
    assert_eq!(w.run(&["reconcile"]).code, 0);
    let run = w.run(&["readiness", "--format", "JSON"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        4,
        "member + management, two regions: {report:#}"
    );
    for r in rows {
        assert_eq!(r["verdict"], "no_result_yet", "{r}");
        assert_eq!(r["note"], "check not kept here: is [nodes] check_user on?");
        assert_eq!(r["user"], "ssm-ops");
    }
    assert_eq!(report["organization"]["no_result_yet"], 4);
    let run = w.run(&[
        "readiness",
        "--account",
        &member,
        "--region",
        "eu-west-1",
        "--format",
        "csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert!(
        lines[0].starts_with("account,ou_path,region,"),
        "{}",
        run.stdout
    );
    assert!(
        lines[1].starts_with(&format!("{member},")),
        "{}",
        run.stdout
    );
    let table = w.run(&["readiness"]).stdout;
    assert!(
        table.contains("\nOU totals\n") && table.contains("\nOrganization: 4 account-regions"),
        "{table}"
    );
    let run = w.run(&["readiness", "--account", "999999999999"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_one_clean_line(&run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn profiles_and_the_hub_region_work_like_the_aws_cli() {
    let w = World::new().await;
    let dir = tempfile_dir();
    let config = dir.join("config");
    let credentials = dir.join("credentials");
    std::fs::write(&config, "[default]\n[profile ops]\nregion = us-east-1\n").unwrap();
    std::fs::write(
        &credentials,
        "[ops]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
    )
    .unwrap();
    let with_files = |args: &[&str], unset: &[&str]| {
        let mut cmd = w.command(args);
        cmd.env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", &credentials);
        for k in unset {
            cmd.env_remove(k);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let keys = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"];
    // The profile's keys and region, none from the environment.
    let (code, out, err) = with_files(&["--profile", "ops", "status"], &keys);
    assert_eq!(code, 0, "{out}{err}");
    // A profile no file defines is refused, although keys are in the
    // environment: they may be another account's.
    let (code, _, err) = with_files(&["status", "--profile", "opps"], &[]);
    assert_eq!(code, 2, "{err}");
    assert_one_clean_line(&err);
    assert!(
        err.contains("The config profile (opps) could not be found"),
        "{err}"
    );
    let (code, _, err) = with_files(&["status"], &["AWS_REGION"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("You must specify a region") && err.contains("--hub-region"),
        "{err}"
    );
    let (code, out, err) = with_files(&["status", "--hub-region", "us-east-1"], &["AWS_REGION"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = with_files(&["status", "--hub-region", "us east"], &[]);
    assert_eq!(code, 2, "{err}");
    // Reading only a file needs no region.
    let policy = path_str(&w.policy).to_string();
    w.write_policy("");
    let (code, out, err) = with_files(&["policy", "check", &policy], &["AWS_REGION"]);
    assert_eq!(code, 0, "{out}{err}");
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "runas-guard-profiles-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_mid_sweep_says_what_is_done_and_that_the_state_is_consistent() {
    let (w, proxy, _account) = common::proxy::world_behind_proxy().await;
    // A sweep writes: what it finished is recorded. A dry run records
    // nothing, and says so rather than promising a record.
    let cases: [(&[&str], &str, &str); 2] = [
        (&["sweep"], "the state is consistent", "dry run"),
        (
            &["reconcile", "--dry-run"],
            "writes and records nothing",
            "is recorded",
        ),
    ];
    for (args, said, unsaid) in cases {
        proxy.faults(serde_json::json!([{"name": "held", "service": "sts",
            "action": "AssumeRole", "effect": "hold", "hold_timeout": 60}]));
        let child = w
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        assert!(
            proxy.wait("held", "held", 1, 30),
            "{args:?} reached an account"
        );
        let status = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let out = child.wait_with_output().unwrap();
        proxy.release("held");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{args:?}: {err}");
        assert_one_clean_line(&err);
        assert!(
            err.contains("interrupted") && err.contains(said) && !err.contains(unsaid),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn an_endpoint_that_is_not_a_url_is_one_sentence() {
    for endpoint in ["not a url", "http://[::1"] {
        let out = bin()
            .args(["status", "--table", "t"])
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "x")
            .env("AWS_SECRET_ACCESS_KEY", "y")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains(&format!("endpoint {endpoint} is not a URL")),
            "{err}"
        );
        assert!(
            !err.contains("Request {") && !err.contains("SdkBody"),
            "no request dump: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
}

/// git's answer in this checkout, or None when git cannot say.
fn git_says(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .current_dir(repo())
        .env("GIT_OPTIONAL_LOCKS", "0")
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn version_counts_the_commits_past_the_release_the_changelog_names() {
    let version = env!("CARGO_PKG_VERSION");
    let changelog = std::fs::read_to_string(repo().join("CHANGELOG.md")).unwrap();
    // Counted here with git, apart from build.rs: HEAD's distance from the
    // commit the CHANGELOG names for this version, when history holds it.
    let packaged = std::env::var_os("RUNAS_GUARD_REV").is_some();
    let since = if packaged {
        std::env::var("RUNAS_GUARD_SINCE_RELEASE")
            .ok()
            .and_then(|n| n.parse().ok())
    } else {
        runas_guard::domain::release::release_commit(&changelog, version)
            .and_then(|named| {
                git_says(&[
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    &format!("{named}^{{commit}}"),
                ])
            })
            .filter(|commit| git_says(&["merge-base", "--is-ancestor", commit, "HEAD"]).is_some())
            .and_then(|commit| git_says(&["rev-list", "--count", &format!("{commit}..HEAD")]))
            .map(|n| n.parse::<u64>().unwrap())
    };
    let out = bin().arg("--version").output().unwrap();
    assert!(out.status.success());
    let printed = String::from_utf8_lossy(&out.stdout);
    let want = match since {
        Some(n) if n > 0 => format!("runas-guard {version}+{n} ("),
        _ => format!("runas-guard {version} ("),
    };
    assert!(
        printed.starts_with(&want),
        "{printed:?} should start with {want:?}"
    );
    if let Some(head) = git_says(&["rev-parse", "--short=12", "HEAD"]) {
        if !packaged {
            assert!(
                printed.contains(&format!("({head}")),
                "{printed:?} names HEAD {head}"
            );
        }
    }
}
