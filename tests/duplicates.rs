//! Duplicates are not failures. Twenty accounts are vended and each vend
//! event is delivered twice at once (EventBridge delivers at least once;
//! two invocations of one event run side by side). The proxy holds every
//! document write, so the copy that claimed the event is still working when
//! its twin finds the claim taken: the twin answers `in_flight` and exits 0
//! (the Lambda returns success: no function error, nothing for the
//! `function-errors` alarm) while the holder is held. Released, each holder
//! configures its account; a late third delivery is a `duplicate`, exit 0.
//! Every account is configured once: one `account_configured` each.

use crate::common;

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

const N: usize = 20;

/// Waits until `n` of the runs have ended (at most `timeout`); takes those out.
fn ended(
    runs: &mut Vec<(usize, JoinHandle<Run>)>,
    n: usize,
    timeout: Duration,
) -> Vec<(usize, Run)> {
    let deadline = Instant::now() + timeout;
    while runs.iter().filter(|(_, r)| r.is_finished()).count() < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} runs ended",
            runs.iter().filter(|(_, r)| r.is_finished()).count()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (done, running): (Vec<_>, Vec<_>) = std::mem::take(runs)
        .into_iter()
        .partition(|(_, r)| r.is_finished());
    *runs = running;
    done.into_iter()
        .map(|(i, r)| (i, r.join().unwrap()))
        .collect()
}

fn result(run: &Run) -> Value {
    run.json()["result"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_vends_delivered_twice_at_once_fail_nothing_and_configure_each_account_once() {
    let mut w = World::new().await;
    let mut accounts = Vec::new();
    for i in 0..N {
        accounts.push(w.create_account(&format!("vended-{i}"), None).await);
    }
    // Held writes wait for the test, not for the SDK: on a loaded machine
    // (CI, 2 cores) the last of the 40 processes reaches its writes long
    // after the first, whose held calls would otherwise time out (30 s) and
    // end their run before its twin answered.
    w.set_env("RUNAS_GUARD_ATTEMPT_TIMEOUT_SECONDS", "300");
    w.set_env("RUNAS_GUARD_CALL_TIMEOUT_SECONDS", "300");
    let proxy = w.behind_proxy();
    w.alerts().await;
    // Every document write waits at the proxy until the test lets it go:
    // the run that claimed its event holds the claim all that time.
    proxy.faults(
        json!([{"name": "writes", "service": "ssm", "action": "CreateDocument",
        "effect": "hold", "hold_timeout": 300}]),
    );

    let events: Vec<Value> = accounts.iter().map(|a| vend_event(a)).collect();
    let mut runs: Vec<(usize, JoinHandle<Run>)> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        runs.push((i, w.handle_in_background(e)));
        runs.push((i, w.handle_in_background(e)));
    }
    // Each account's holder reached its writes, in both regions.
    assert!(
        proxy.wait("writes", "held", 2 * N, 300),
        "the holders never wrote: {}",
        proxy.hits()
    );

    // Their twins answer while the holders are held: in_flight, exit 0.
    let twins = ended(&mut runs, N, Duration::from_secs(300));
    // Nothing is released before this point, so every holder is still held;
    // a loaded machine may add SDK retries of held writes, never fewer.
    let held = proxy.hits()["writes"]["held"].as_u64().unwrap_or(0);
    assert!(
        held >= 2 * N as u64,
        "the overlap: every holder was still held when its twin answered ({held} held)"
    );
    let mut seen: Vec<usize> = twins.iter().map(|(i, _)| *i).collect();
    seen.sort();
    assert_eq!(seen, (0..N).collect::<Vec<_>>(), "one twin of each event");
    for (i, run) in &twins {
        assert_eq!(
            run.code, 0,
            "a duplicate is no failure ({}): {}\n{}",
            accounts[*i], run.stdout, run.stderr
        );
        let out = run.json();
        assert_eq!(out["result"], "in_flight", "{out:#}");
        assert!(
            out["reason"]
                .as_str()
                .unwrap()
                .contains("being processed by another run"),
            "{out:#}"
        );
        assert_eq!(run.stderr, "", "nothing to report: {}", accounts[*i]);
    }

    proxy.release("writes");
    for (i, run) in ended(&mut runs, N, Duration::from_secs(300)) {
        assert_eq!(
            run.code, 0,
            "{}: {}\n{}",
            accounts[i], run.stdout, run.stderr
        );
        assert_eq!(result(&run), "done", "{}", run.stdout);
    }

    // A late delivery of each: a duplicate, exit 0.
    let late: Vec<(usize, JoinHandle<Run>)> = events
        .iter()
        .enumerate()
        .map(|(i, e)| (i, w.handle_in_background(e)))
        .collect();
    for (i, run) in late {
        let run = run.join().unwrap();
        assert_eq!(
            run.code, 0,
            "{}: {}\n{}",
            accounts[i], run.stdout, run.stderr
        );
        assert_eq!(result(&run), "duplicate", "{}", run.stdout);
    }

    for account in &accounts {
        for region in REGIONS {
            let (doc, default, latest) = w.document(account, region).await.expect("configured");
            assert_eq!(
                run_as(&doc),
                (json!(true), json!("ssm-ops")),
                "{account} {region}"
            );
            assert_eq!(
                (default.as_str(), latest.as_str()),
                ("1", "1"),
                "written once: {account} {region}"
            );
        }
    }
    let alerts = w.alerts().await;
    let mut told: Vec<&str> = of_kind(&alerts, "account_configured")
        .iter()
        .map(|a| a["message"]["account"].as_str().unwrap())
        .collect();
    told.sort();
    let mut want: Vec<&str> = accounts.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(told, want, "one account_configured per account");
    assert_eq!(alerts.len(), N, "nothing else: {alerts:#?}");
}
