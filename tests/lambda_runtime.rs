//! The Lambda entry point through the real Lambda Runtime API: `cargo lambda
//! watch` runs the function, `cargo lambda invoke` sends the event. Outcomes
//! must match what `runas-guard handle` does with the same kind of event.

use crate::common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

/// `cargo lambda watch --only-lambda-apis` (the Runtime API emulator) plus
/// this crate's binary as the function, started with the Lambda environment.
struct Watch {
    emulator: Child,
    function: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Drop for Watch {
    fn drop(&mut self) {
        for child in [&mut self.function, &mut self.emulator] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn cargo_lambda() -> Command {
    let bin = repo().join(".venv/bin/cargo-lambda");
    assert!(
        bin.exists(),
        "cargo-lambda is missing from .venv: run `make test`"
    );
    let mut cmd = Command::new(bin);
    cmd.arg("lambda").current_dir(repo());
    cmd
}

fn start_watch(w: &World) -> Watch {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let emulator = cargo_lambda()
        .args([
            "watch",
            "--only-lambda-apis",
            "--invoke-address",
            "127.0.0.1",
            "-P",
            &port.to_string(),
        ])
        .stdout(std::fs::File::create(w.dir.join("emulator.log")).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("start cargo lambda watch");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "cargo lambda watch did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = w.dir.join("function.log");
    let function = w
        .command(&[])
        .env(
            "AWS_LAMBDA_RUNTIME_API",
            format!("http://127.0.0.1:{port}/.rt"),
        )
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("RUST_LOG", "info")
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(w.dir.join("function.err")).unwrap())
        .spawn()
        .expect("start the function");
    Watch {
        emulator,
        function,
        port,
        log,
    }
}

fn invoke(watch: &Watch, w: &World, event: &Value) -> Value {
    let out = invoked(watch, w, event);
    assert!(
        out.status.success(),
        "invoke failed: {}\nfunction log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(&watch.log).unwrap_or_default()
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "invoke output is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// One invocation through the Runtime API, whatever its result.
fn invoked(watch: &Watch, w: &World, event: &Value) -> std::process::Output {
    let file = w.write_event(event);
    let mut child = cargo_lambda()
        .args([
            "invoke",
            "--invoke-address",
            "127.0.0.1",
            "-P",
            &watch.port.to_string(),
            "--output-format",
            "json",
            "--data-file",
            path_str(&file),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "invoke timed out; function log:\n{}",
                std::fs::read_to_string(&watch.log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

/// The parts of an outcome that do not depend on ids or clocks.
fn shape(outcome: &Value) -> Value {
    let accounts = outcome["accounts"].as_array().cloned().unwrap_or_default();
    json!({
        "result": outcome["result"],
        "trigger": outcome["trigger"]["trigger"],
        "regions": accounts.iter().flat_map(|a| a["regions"].as_array().cloned().unwrap_or_default())
            .map(|r| json!([r["region"], r["action"], r["before"], r["after"]])).collect::<Vec<_>>(),
        "alerts": outcome["alerts"].as_array().map(|a| a.iter().map(|x| x["kind"].clone()).collect::<Vec<_>>()),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn lambda_runtime_gives_the_same_outcome_as_handle() {
    let w = World::new().await;
    let via_lambda = w.create_account("via-lambda", None).await;
    let via_cli = w.create_account("via-cli", None).await;
    for a in [&via_lambda, &via_cli] {
        w.admin_write(a, "eu-west-1", &lza_document(a), true).await;
    }
    let watch = start_watch(&w);

    let lambda_out = invoke(&watch, &w, &vend_event(&via_lambda));
    let (code, cli_out) = w.handle(&vend_event(&via_cli));
    assert_eq!(code, 0);
    assert_eq!(
        shape(&lambda_out),
        shape(&cli_out),
        "lambda: {lambda_out:#}\ncli: {cli_out:#}"
    );
    assert_eq!(lambda_out["result"], "done");
    for region in REGIONS {
        let (a, _, _) = w.document(&via_lambda, region).await.unwrap();
        let (b, _, _) = w.document(&via_cli, region).await.unwrap();
        assert_eq!(run_as(&a), (json!(true), json!("ssm-ops")));
        assert_eq!(run_as(&a), run_as(&b));
        assert_eq!(
            w.state(&via_lambda, region).await.unwrap()["status"],
            "remediated"
        );
    }
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 2);
    assert!(alerts
        .iter()
        .all(|a| a["message"]["kind"] == "account_configured"));

    // An edit reverted through the runtime as well.
    let mut doc = w.document(&via_lambda, "eu-west-1").await.unwrap().0;
    doc["inputs"]["runAsDefaultUser"] = json!("intruder");
    w.admin_write(&via_lambda, "eu-west-1", &doc, true).await;
    let out = invoke(
        &watch,
        &w,
        &doc_event("UpdateDocument", &via_lambda, "eu-west-1", "Admin"),
    );
    assert_eq!(
        out["accounts"][0]["regions"][0]["action"], "updated",
        "{out:#}"
    );
    assert_eq!(
        run_as(&w.document(&via_lambda, "eu-west-1").await.unwrap().0).1,
        json!("ssm-ops")
    );

    // Malformed input: answered, not retried, logged as JSON with the outcome.
    let out = invoke(&watch, &w, &json!({"hello": "world"}));
    assert_eq!(out["result"], "rejected");
    assert!(out["reason"].as_str().unwrap().contains("`id`"));
    let log = std::fs::read_to_string(&watch.log).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("\"outcome\":\"rejected\""))
        .unwrap_or_else(|| panic!("no JSON rejection log line:\n{log}"));
    let parsed: Value = serde_json::from_str(line).unwrap();
    assert_eq!(parsed["level"], "ERROR");
    let stored: Vec<_> = w
        .items()
        .await
        .into_iter()
        .filter(|i| i["pk"].starts_with("REJECTED#"))
        .collect();
    assert_eq!(stored.len(), 1, "the rejection is stored");
    assert!(stored[0]["reason"].contains("`id`") && stored[0]["excerpt"].contains("hello"));

    // Metrics: CloudWatch Embedded Metric Format lines among the logs.
    let emf: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("_aws").is_some())
        .collect();
    for line in &emf {
        assert_valid_emf(line);
    }
    let vend = emf
        .iter()
        .find(|v| v["Trigger"] == "account_vended")
        .unwrap_or_else(|| panic!("no EMF line for the vend:\n{log}"));
    assert_eq!(vend["AccountsConfigured"], 1.0);
    assert_eq!(vend["RemediationFailures"], 0.0);
    let edit = emf
        .iter()
        .find(|v| v["Trigger"] == "document_changed")
        .unwrap_or_else(|| panic!("no EMF line for the edit:\n{log}"));
    assert_eq!(edit["Reverts"], 1.0);
    assert!(edit["SecondsToFix"].as_f64().unwrap() >= 0.0);
}

/// The EMF specification: an `_aws` block with a millisecond timestamp and
/// metric directives; every declared dimension and metric at the root.
fn assert_valid_emf(v: &Value) {
    let aws = &v["_aws"];
    assert!(
        aws["Timestamp"].as_i64().unwrap() > 1_600_000_000_000,
        "{v}"
    );
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .expect("CloudWatchMetrics");
    assert!(!directives.is_empty());
    for d in directives {
        assert_eq!(d["Namespace"], "RunAsGuard");
        for set in d["Dimensions"].as_array().unwrap() {
            for key in set.as_array().unwrap() {
                assert!(v[key.as_str().unwrap()].is_string(), "dimension {key}: {v}");
            }
        }
        let metrics = d["Metrics"].as_array().unwrap();
        assert!(!metrics.is_empty() && metrics.len() <= 100);
        for m in metrics {
            let name = m["Name"].as_str().unwrap();
            assert!(v[name].is_number(), "metric {name} at the root: {v}");
        }
    }
}

/// An alert SNS refuses (as it refuses one too long) and the outbox cannot
/// keep fails the invocation, and the function counts it in `AlertsLost`
/// (the metric the hub's `<fn>-alerts-lost` alarm watches).
#[tokio::test(flavor = "multi_thread")]
async fn an_alert_neither_published_nor_kept_fails_the_invocation_and_is_counted() {
    let mut w = World::new().await;
    let member = w.create_account("member", None).await;
    w.write_policy(&format!(
        "[scope]\naccounts = [\"{member}\", \"999999999999\"]\n"
    ));
    let proxy = w.behind_proxy();
    proxy.faults(json!([
        {"name": "refused", "service": "sns", "action": "Publish", "status": 400,
         "code": "InvalidParameter", "message": "Invalid parameter: Message too long", "protocol": "query"},
        {"name": "unkept", "service": "dynamodb", "action": "BatchWriteItem", "contains": "OUTBOX",
         "code": "ValidationException", "message": "Item size has exceeded the maximum allowed size"}
    ]));
    let watch = start_watch(&w);
    let out = invoked(&watch, &w, &sweep_event());
    let log = std::fs::read_to_string(&watch.log).unwrap();
    assert!(
        !out.status.success(),
        "a failed invocation: {}\n{log}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("neither published"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hits = proxy.hits();
    assert!(hits["refused"]["hits"].as_u64() >= Some(1), "{hits}");
    assert!(hits["unkept"]["hits"].as_u64() >= Some(1), "{hits}");
    let sweep = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v.get("_aws").is_some() && v["Trigger"] == "sweep")
        .unwrap_or_else(|| panic!("no EMF line for the sweep:\n{log}"));
    assert_valid_emf(&sweep);
    assert!(sweep["AlertsLost"].as_f64() >= Some(1.0), "{sweep}");
    assert!(
        log.contains("\"outcome\":\"alert_lost\"") && log.contains("policy_ids_unknown"),
        "each lost alert is logged whole:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_policy_in_s3_takes_effect_and_a_broken_one_is_refused() {
    let mut w = World::new().await;
    let s3 = w.policy_bucket("runas-guard-policy").await;
    let put = |user: &str| {
        let body = format!(
            "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\", \"eu-west-1\"]\n[default]\nrun_as_user = \"{user}\"\n"
        );
        let s3 = s3.clone();
        async move {
            s3.put_object()
                .bucket("runas-guard-policy")
                .key("prod/policy.toml")
                .body(body.into_bytes().into())
                .send()
                .await
                .unwrap();
        }
    };
    put("first").await;
    w.set_env(
        "RUNAS_GUARD_POLICY",
        "s3://runas-guard-policy/prod/policy.toml",
    );
    w.set_env("RUNAS_GUARD_POLICY_REFRESH_SECONDS", "1");
    let watch = start_watch(&w);
    let user_of = |out: &Value| out["accounts"][0]["desired_user"].clone();

    let a = w.create_account("a", None).await;
    let out = invoke(&watch, &w, &vend_event(&a));
    assert_eq!(user_of(&out), "first", "{out:#}");

    put("second").await;
    std::thread::sleep(Duration::from_millis(1500));
    let b = w.create_account("b", None).await;
    let out = invoke(&watch, &w, &vend_event(&b));
    assert_eq!(
        user_of(&out),
        "second",
        "the new policy is in force: {out:#}"
    );
    assert_eq!(
        run_as(&w.document(&b, "eu-west-1").await.unwrap().0).1,
        json!("second")
    );
    w.alerts().await;

    put("Not A User!").await;
    std::thread::sleep(Duration::from_millis(1500));
    let c = w.create_account("c", None).await;
    let out = invoke(&watch, &w, &vend_event(&c));
    assert_eq!(
        user_of(&out),
        "second",
        "the last good policy stays: {out:#}"
    );
    let alerts = w.alerts().await;
    let rejected = of_kind(&alerts, "policy_rejected");
    assert_eq!(rejected.len(), 1, "{alerts:#?}");
    let m = &rejected[0]["message"];
    assert_eq!(m["source"], "s3://runas-guard-policy/prod/policy.toml");
    assert!(m["error"].as_str().unwrap().contains("run_as_user"), "{m}");
    assert_eq!(m["severity"], "error");

    // A cold start while the current object is broken: the newest valid
    // earlier version stands in, and the broken one is reported once.
    drop(watch);
    for (why, break_it) in [("broken", false), ("deleted", true)] {
        if break_it {
            s3.delete_object()
                .bucket("runas-guard-policy")
                .key("prod/policy.toml")
                .send()
                .await
                .unwrap();
        }
        let watch = start_watch(&w);
        let d = w.create_account(&format!("cold-{why}"), None).await;
        let out = invoke(&watch, &w, &vend_event(&d));
        assert_eq!(user_of(&out), "second", "{why}: {out:#}");
        let alerts = w.alerts().await;
        let rejected = of_kind(&alerts, "policy_rejected");
        assert_eq!(rejected.len(), 1, "{why}: {alerts:#?}");
    }

    // A running function given a valid policy that names an OU the
    // organization does not have: refused with the key named, the last good
    // policy stays. (Running: one invocation first, so it has loaded.)
    let watch = start_watch(&w);
    let f = w.create_account("running", None).await;
    assert_eq!(user_of(&invoke(&watch, &w, &vend_event(&f))), "second");
    w.alerts().await;
    s3.put_object()
        .bucket("runas-guard-policy")
        .key("prod/policy.toml")
        .body(
            "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\", \"eu-west-1\"]\n[default]\nrun_as_user = \"typo\"\n[[ou]]\nid = \"ou-zzzz-zzzzzzzz\"\nrun_as_user = \"nobody\"\n"
                .as_bytes()
                .to_vec()
                .into(),
        )
        .send()
        .await
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let e = w.create_account("e", None).await;
    let out = invoke(&watch, &w, &vend_event(&e));
    assert_eq!(
        user_of(&out),
        "second",
        "the last good policy stays: {out:#}"
    );
    let alerts = w.alerts().await;
    let rejected = of_kind(&alerts, "policy_rejected");
    assert_eq!(rejected.len(), 1, "{alerts:#?}");
    assert!(
        rejected[0]["message"]["error"]
            .as_str()
            .unwrap()
            .contains("ou.id = \"ou-zzzz-zzzzzzzz\""),
        "{:#}",
        rejected[0]["message"]
    );
    drop(watch);

    // No valid version at all: the function does not start, and says what to upload.
    s3.put_object()
        .bucket("runas-guard-policy")
        .key("other/policy.toml")
        .body(b"not = [toml".to_vec().into())
        .send()
        .await
        .unwrap();
    w.set_env(
        "RUNAS_GUARD_POLICY",
        "s3://runas-guard-policy/other/policy.toml",
    );
    let mut watch = start_watch(&w);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = watch.function.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the function kept running");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status.code(), Some(2));
    let log = std::fs::read_to_string(&watch.log).unwrap();
    assert!(
        log.contains("init_failed") && log.contains("upload a policy"),
        "{log}"
    );
}
