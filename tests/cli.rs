//! Offline CLI behaviour: `explain` on AWS-shaped samples and on garbage,
//! `policy check`. No AWS endpoint involved.

use std::io::Write;
use std::process::{Command, Stdio};

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
