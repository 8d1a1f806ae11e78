//! Every call is bounded, and hub-side failures are named as the hub's: an
//! endpoint that never answers is given up within the configured timeout,
//! and a wrong table or topic is reported once, by name, never against a
//! member account.

use crate::common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::*;

/// Accepts connections and never answers.
fn silent_endpoint() -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let keeper = std::thread::spawn(move || {
        let mut held = Vec::new();
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until {
            match listener.accept() {
                Ok((s, _)) => held.push(s),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    (url, keeper)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_that_never_answers_is_given_up_in_time_and_named() {
    let mut w = World::new().await;
    let (url, _keeper) = silent_endpoint();
    w.set_env("AWS_ENDPOINT_URL", &url);
    w.set_env("RUNAS_GUARD_ATTEMPT_TIMEOUT_SECONDS", "1");
    w.set_env("RUNAS_GUARD_CALL_TIMEOUT_SECONDS", "2");
    let started = Instant::now();
    let run = w.run(&["reconcile", "--format", "json"]);
    let took = started.elapsed();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(took < Duration::from_secs(15), "gave up after {took:?}");
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains(&url) && last.contains("Timeout"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_table_is_the_hubs_failure_named_once_and_no_member_is_touched() {
    let mut w = World::new().await;
    let member = w.create_account("member", None).await;
    w.set_env("RUNAS_GUARD_TABLE", "nope");
    let run = w.run(&["reconcile", "--format", "json"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("table nope (RUNAS_GUARD_TABLE)"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains(&member),
        "no member account is blamed: {}",
        run.stderr
    );
    assert!(
        w.document(&member, "us-east-1").await.is_none(),
        "nothing written without the table"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_topic_is_named_and_the_fixes_still_reported() {
    let mut w = World::new().await;
    let member = w.create_account("member", None).await;
    w.set_env(
        "RUNAS_GUARD_TOPIC_ARN",
        &format!("arn:aws:sns:us-east-1:{HUB}:nope"),
    );
    let run = w.run(&["reconcile", "--format", "json"]);
    assert_eq!(run.code, 1, "the summary was not delivered: {}", run.stderr);
    assert_eq!(run.json()["totals"]["created"], 4, "the report is printed");
    assert!(
        run.stderr
            .contains(&format!("topic arn:aws:sns:us-east-1:{HUB}:nope")),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains(&format!("account {member}")),
        "{}",
        run.stderr
    );
    assert!(w.document(&member, "us-east-1").await.is_some());
}
