//! `runas-guard policy check` as a person and a CI job meet it: every finding
//! at its file, line and column, a "did you mean" where a known key, region,
//! id or user is close, `--strict`, `--format json`; `--org` against an
//! organization on the local AWS (moto); and `policy permission-sets
//! --format lza`, which writes whole files or none.

use crate::common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

const BASE: &str = "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\"]\n[default]\nrun_as_user = \"ssm-ops\"\n";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_runas-guard"));
    c.env_remove("AWS_LAMBDA_RUNTIME_API")
        .env_remove("RUST_LOG");
    c
}

/// A directory of its own for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "runas-guard-policy-check-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `args` with `policy` on standard input: (exit code, stdout, stderr).
fn check_stdin(args: &[&str], policy: &[u8]) -> (i32, String, String) {
    let mut child = bin()
        .args(["policy", "check", "-"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(policy);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn every_finding_names_file_line_and_column_with_what_was_meant() {
    let dir = scratch("located");
    let file = dir.join("policy.toml");
    std::fs::write(
        &file,
        format!(
            "{BASE}[[ou]]\nid = \"ou-ab12-prod0001\"\nrun_as_usr = \"produser\"\nregoins = []\n"
        ),
    )
    .unwrap();
    let out = bin()
        .args(["policy", "check", file.to_str().unwrap()])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    let shown = file.display();
    assert!(
        stdout.contains(&format!(
            "{shown}:7:1: error: unknown key \"run_as_usr\" in [ou]"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("  = help: did you mean `run_as_user`?"),
        "{stdout}"
    );
    // A top-level key written under a [[table]] header: where it belongs.
    assert!(
        stdout.contains(&format!(
            "{shown}:8:1: error: unknown key \"regoins\" in [ou]; `regions` belongs at the top level, above the first [table]"
        )) && stdout.contains("did you mean `regions`?"),
        "{stdout}"
    );
    assert_one_clean_line(&stderr);
    assert!(
        stderr.contains("2 error(s)") && stderr.contains("7:1 "),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_mistyped_region_is_an_error_and_a_new_one_a_warning_that_strict_fails() {
    let typo = BASE.replace("\"us-east-1\"", "\"us-east-1\", \"eu-wset-1\"");
    let (code, stdout, stderr) = check_stdin(&[], typo.as_bytes());
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stdout.contains("<stdin>:2:25: error: `regions`: eu-wset-1 is not an AWS region")
            && stdout.contains("did you mean `eu-west-1`?"),
        "{stdout}"
    );
    let malformed = BASE.replace("us-east-1", "me-central1");
    let (code, stdout, _) = check_stdin(&[], malformed.as_bytes());
    assert_eq!(code, 2);
    assert!(stdout.contains("did you mean `me-central-1`?"), "{stdout}");

    let new = BASE.replace("us-east-1", "us-east-9");
    let (code, stdout, stderr) = check_stdin(&[], new.as_bytes());
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("<stdin>:2:12: warning: `regions`: us-east-9 is not a region runas-guard knows; new regions are fine"),
        "{stdout}"
    );
    let (code, _, stderr) = check_stdin(&["--strict"], new.as_bytes());
    assert_eq!(code, 2, "warnings fail under --strict");
    assert_one_clean_line(&stderr);
    assert!(stderr.contains("--strict fails on warnings"), "{stderr}");
    // Notes never fail, even under --strict.
    let (code, stdout, stderr) = check_stdin(&["--strict"], BASE.as_bytes());
    assert_eq!((code, stderr.as_str()), (0, ""), "{stdout}");
}

#[test]
fn json_diagnostics_carry_everything_a_ci_annotation_needs() {
    let policy = format!("mode = \"enfroce\"\n{BASE}");
    let (code, stdout, stderr) = check_stdin(&["--format", "JSON"], policy.as_bytes());
    assert_eq!(code, 2, "{stderr}");
    assert_one_clean_line(&stderr);
    let v: Value = serde_json::from_str(&stdout).expect("stdout is one JSON document");
    assert_eq!(
        (v["ok"].as_bool(), v["errors"].as_u64()),
        (Some(false), Some(1))
    );
    let d = &v["diagnostics"][0];
    for (key, want) in [
        ("file", Value::from("<stdin>")),
        ("line", Value::from(1)),
        ("column", Value::from(8)),
        ("end_line", Value::from(1)),
        ("end_column", Value::from(17)),
        ("severity", Value::from("error")),
        ("code", Value::from("invalid")),
        ("suggestion", Value::from("enforce")),
    ] {
        assert_eq!(d[key], want, "{key}: {d:#}");
    }
    assert!(d["message"].as_str().unwrap().contains("enfroce"), "{d:#}");

    let (code, stdout, _) = check_stdin(&["--format", "json"], BASE.as_bytes());
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (v["ok"].as_bool(), v["errors"].as_u64()),
        (Some(true), Some(0))
    );
}

/// The file: audit at the top, yet Sandbox enforces and Prod waits
/// for readiness with user `app`. The summary says each, in text and JSON.
#[test]
fn the_summary_says_what_each_rule_enforces() {
    let policy = BASE.replace("[default]", "mode = \"audit\"\n[default]").replace("ssm-ops", "ec2-user")
        + "[[ou]]\nid = \"ou-ab12-sand0001\"\nmode = \"enforce\"\n\
           [[ou]]\nid = \"ou-ab12-prod0001\"\nmode = \"enforce-when-ready\"\nrun_as_user = \"app\"\n\
           [nodes]\ncheck_user = true\n";
    let (code, stdout, stderr) = check_stdin(&[], policy.as_bytes());
    assert_eq!(code, 0, "{stdout}{stderr}");
    let want = "<stdin>: ok\n  top level: mode audit, default user ec2-user\n  \
        scope: the whole organization, in 1 region(s) (us-east-1)\n  \
        exempt: 0 OU(s), 0 account(s), 0 principal pattern(s)\n  \
        ou ou-ab12-prod0001: mode enforce-when-ready, user app\n  \
        ou ou-ab12-sand0001: mode enforce, user inherited (ec2-user unless an OU above sets it)\n  \
        sections on: [nodes] check_user (RunAsGuard-CheckRunAsUser)\n";
    assert!(stdout.starts_with(want), "{stdout}");

    let (code, stdout, _) = check_stdin(&["--format", "json"], policy.as_bytes());
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let s = &v["summary"];
    assert_eq!(
        (s["mode"].as_str(), s["default_user"].as_str()),
        (Some("audit"), Some("ec2-user"))
    );
    let rules: Vec<(String, Value, Value)> = s["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["mode"].clone(),
                r["user"].clone(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        vec![
            (
                "ou-ab12-prod0001".into(),
                Value::from("enforce-when-ready"),
                Value::from("app")
            ),
            (
                "ou-ab12-sand0001".into(),
                Value::from("enforce"),
                Value::Null
            ),
        ]
    );
    assert_eq!(
        s["sections"][0],
        "[nodes] check_user (RunAsGuard-CheckRunAsUser)"
    );
    // A file that does not load has no summary.
    let (_, stdout, _) = check_stdin(&["--format", "json"], b"");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert!(v["summary"].is_null(), "{v:#}");
}

/// Every semantic error in one run, each at its position: a bad user name
/// and an 11-digit account id no longer come one per fix.
#[test]
fn every_semantic_error_is_reported_at_once() {
    let policy = BASE.replace("ssm-ops", "Ops")
        + "[[account]]\nid = \"11112222333\"\nrun_as_user = \"ops\"\n[exempt]\nous = [\"ou-x\"]\n";
    let (code, stdout, stderr) = check_stdin(&[], policy.as_bytes());
    assert_eq!(code, 2, "{stdout}{stderr}");
    for want in [
        "<stdin>:4:15: error: `default.run_as_user`: user name \"Ops\" is looked up as written and Linux user names are case-sensitive (did you mean `ops`?)",
        "<stdin>:6:6: error: `account[11112222333].id`: \"11112222333\" is not a 12-digit account id",
        "<stdin>:9:8: error: `exempt.ous`: \"ou-x\" is not an OU id",
    ] {
        assert!(stdout.contains(want), "{want}\n{stdout}");
    }
    assert!(!stdout.contains(": ok"), "{stdout}");
    assert_one_clean_line(&stderr);
    assert!(stderr.contains("3 error(s), 0 warning(s)"), "{stderr}");
}

/// Mistakes of every kind in one run (the on-call report: an unknown key,
/// then a wrong type, then a refused user, over three runs): all three on
/// standard output, and the one line on stderr counts them.
#[test]
fn mistakes_of_every_kind_are_reported_in_one_run() {
    let policy = BASE.replace("ssm-ops", "Alice") + "[nodes]\ncheck_usr = true\n";
    let policy = policy.replace("regions = ", "allow_root = \"no\"\nregions = ");
    let (code, stdout, stderr) = check_stdin(&[], policy.as_bytes());
    assert_eq!(code, 2, "{stdout}{stderr}");
    for want in [
        ": error: invalid type: string \"no\", expected a boolean",
        ": error: `default.run_as_user`: user name \"Alice\"",
        ": error: unknown key \"check_usr\" in [nodes]",
    ] {
        assert!(stdout.contains(want), "{want}\n{stdout}");
    }
    assert_one_clean_line(&stderr);
    assert!(stderr.contains("3 error(s), 0 warning(s)"), "{stderr}");
}

#[test]
fn hostile_files_are_findings_not_failures() {
    let (code, stdout, stderr) = check_stdin(&[], b"");
    assert_eq!(code, 2);
    assert_one_clean_line(&stderr);
    assert!(
        stdout.contains("<stdin>:1:1: error: missing field `member_role`"),
        "{stdout}"
    );

    // --org on a policy that does not load says why the ids were not looked at.
    let (code, stdout, _) = check_stdin(&["--org"], b"");
    assert_eq!(code, 2);
    assert!(
        stdout.contains("<stdin>:1:1: note: not checked against the organization"),
        "{stdout}"
    );

    let (code, stdout, _) = check_stdin(&[], b"member_role = \"R\xff\"\n");
    assert_eq!(code, 2);
    assert!(
        stdout.contains("<stdin>:1:17: error: the file is not UTF-8"),
        "{stdout}"
    );

    let cased = BASE.replace("member_role", "Member_Role");
    let (code, stdout, _) = check_stdin(&[], cased.as_bytes());
    assert_eq!(code, 2);
    assert!(
        stdout.contains("<stdin>:1:1: error: unknown key \"Member_Role\" in the top level (keys are case-sensitive)")
            && stdout.contains("did you mean `member_role`?"),
        "{stdout}"
    );

    let huge = BASE.replace("ssm-ops", &"a".repeat(200_000));
    let (code, stdout, stderr) = check_stdin(&[], huge.as_bytes());
    assert_eq!(code, 2);
    assert!(
        stdout.len() < 1_000 && stderr.len() < 600,
        "values are cut: {} and {} bytes",
        stdout.len(),
        stderr.len()
    );
    assert!(stdout.contains("(200000 characters)"), "{stdout}");
}

#[test]
fn ids_not_checked_offline_are_said_to_be_so() {
    let policy = format!("{BASE}[[account]]\nid = \"111122223333\"\nrun_as_user = \"ssm-opz\"\n");
    let (code, stdout, stderr) = check_stdin(&[], policy.as_bytes());
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(
            "<stdin>:1:1: note: OU and account ids were checked for their form only: pass --org"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("<stdin>:7:15: warning: `account[111122223333].run_as_user`: ssm-opz is one slip away from ssm-ops")
            && stdout.contains("did you mean `ssm-ops`?"),
        "{stdout}"
    );
}

const DOCUMENTS: &str = "[[document]]\nname = \"SSMRunAs-Admin\"\nrun_as_user = \"admin\"\n[[document]]\nname = \"SSMRunAs-ReadOnly\"\nrun_as_user = \"viewer\"\n";

/// Run from the policy's directory (as from the LZA configuration
/// repository's root), so a relative `out_dir` is what the YAML shows.
fn lza(policy: &Path, out_dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let out = bin()
        .current_dir(policy.parent().unwrap())
        .args(["policy", "permission-sets", policy.to_str().unwrap()])
        .args(["--format", "lza", "--out-dir", out_dir.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn lza_gets_one_whole_policy_file_per_permission_set_and_its_yaml() {
    let dir = scratch("lza");
    let policy = dir.join("policy.toml");
    std::fs::write(&policy, format!("{BASE}{DOCUMENTS}")).unwrap();
    let (code, stdout, stderr) = lza(&policy, Path::new("iam-policies"), &[]);
    let out_dir = dir.join("iam-policies");
    assert_eq!(code, 0, "{stderr}");
    let admin = out_dir.join("runas-guard-SSMRunAs-Admin.json");
    let written: Value = serde_json::from_slice(&std::fs::read(&admin).unwrap()).unwrap();
    assert_eq!(
        written,
        runas_guard::flow::permission_sets::inline_policy("aws", "SSMRunAs-Admin")
    );
    let shown = "iam-policies";
    assert!(
        stdout.contains(&format!("    - name: SSMRunAs-Admin\n      policies:\n        inlinePolicy: {shown}/runas-guard-SSMRunAs-Admin.json\n")),
        "{stdout}"
    );
    assert!(stdout.contains("identityCenterPermissionSets:"), "{stdout}");
    assert!(!stdout.contains("was absolute"), "{stdout}");

    // A different file in the way: nothing is written, the file is kept.
    std::fs::write(&admin, "{\"edited\": true}\n").unwrap();
    std::fs::remove_file(out_dir.join("runas-guard-SSMRunAs-ReadOnly.json")).unwrap();
    let (code, _, stderr) = lza(&policy, Path::new(shown), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert_one_clean_line(&stderr);
    assert!(
        stderr.contains("--force") && stderr.contains("runas-guard-SSMRunAs-Admin.json"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&admin).unwrap(),
        "{\"edited\": true}\n"
    );
    assert!(
        !out_dir.join("runas-guard-SSMRunAs-ReadOnly.json").exists(),
        "none or all"
    );

    let (code, stdout, stderr) = lza(&policy, Path::new(shown), &["--force"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!(
            "# replaced {shown}/runas-guard-SSMRunAs-Admin.json"
        )),
        "{stdout}"
    );
    let (code, stdout, _) = lza(&policy, Path::new(shown), &[]);
    assert_eq!(code, 0);
    assert!(stdout.contains("# unchanged"), "{stdout}");
    let names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "no temporary file is left: {names:?}");

    let out = bin()
        .args([
            "policy",
            "permission-sets",
            policy.to_str().unwrap(),
            "--format",
            "lza",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "--format lza needs --out-dir");
    std::fs::remove_dir_all(&dir).ok();
}

/// One character of `id` changed: a typo of a real id.
fn typo_of(id: &str) -> String {
    let last = id.chars().last().unwrap();
    let other = if last == 'z' { 'y' } else { 'z' };
    format!("{}{other}", &id[..id.len() - 1])
}

#[tokio::test(flavor = "multi_thread")]
async fn org_ids_are_located_with_the_real_id_meant_and_the_root_is_an_ou() {
    let w = World::new().await;
    let prod = w.create_ou(&w.root, "Prod").await;
    let _member = w.create_account("member", Some(&prod)).await;
    let root = w.root.clone();
    w.write_policy(&format!(
        "[[ou]]\nid = \"{root}\"\nrun_as_user = \"rootuser\"\n[[ou]]\nid = \"{}\"\nrun_as_user = \"produser\"\n[[document]]\nname = \"SSMRunAs-Admin\"\nrun_as_user = \"admin\"\n[[document.ou]]\nid = \"{root}\"\nrun_as_user = \"admin2\"\n",
        typo_of(&prod)
    ));
    let policy = path_str(&w.policy).to_string();
    let run = w.run(&["policy", "check", &policy, "--org", "--format", "json"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let v = run.json();
    let diagnostics = v["diagnostics"].as_array().unwrap();
    let unknown: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["code"] == "unknown-id")
        .collect();
    assert_eq!(unknown.len(), 1, "the root id is an OU everywhere: {v:#}");
    assert_eq!(unknown[0]["line"], 7, "{v:#}");
    assert_eq!(unknown[0]["column"], 6, "{v:#}");
    assert_eq!(unknown[0]["suggestion"], prod.as_str(), "{v:#}");

    w.write_policy(&format!(
        "[[ou]]\nid = \"{root}\"\nrun_as_user = \"rootuser\"\n[[ou]]\nid = \"{prod}\"\nrun_as_user = \"produser\"\n[exempt]\nous = []\n"
    ));
    let run = w.run(&["policy", "check", &policy, "--org"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("all 2 OU and account ids are in the organization"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("pass --org"), "{}", run.stdout);
}

/// Issue 63: `Ec2-User` is a slip for `ec2-user` (Linux user names are
/// case-sensitive), said with the name it meant, and `directory_users`
/// no longer lets it pass; a directory user with its domain still does.
#[test]
fn a_case_slip_gets_did_you_mean_with_or_without_directory_users() {
    for switch in ["", "directory_users = true\n"] {
        let policy = format!("{switch}{}", BASE.replace("ssm-ops", "Ec2-User"));
        let (code, stdout, stderr) = check_stdin(&[], policy.as_bytes());
        assert_eq!(code, 2, "{switch:?}: {stdout}{stderr}");
        assert!(
            stdout.contains("user name \"Ec2-User\" is looked up as written and Linux user names are case-sensitive (did you mean `ec2-user`?)"),
            "{switch:?}: {stdout}"
        );
        assert_one_clean_line(&stderr);
    }
    let fine = format!(
        "directory_users = true\n{}",
        BASE.replace("ssm-ops", "Ec2-User@corp.example.com")
    );
    let (code, stdout, stderr) = check_stdin(&[], fine.as_bytes());
    assert_eq!(code, 0, "{stdout}{stderr}");
}
