//! What waiting for a member stack costs, counted at the proxy: a vend's
//! re-attempt of an account whose member role is still refused (AWS answers
//! AssumeRole of a role that does not exist with AccessDenied) tries the
//! role, reads the account's rows once and writes only what changed, at 17
//! governed regions. Counts, never timings.

use crate::common;

use std::time::{Duration, Instant};

use common::proxy::*;
use common::*;
use serde_json::{json, Value};

/// The most calls one re-attempt may make at 17 regions ("a cheap wait"):
/// AssumeRole, the account's rows, its OU path (three hops here), when it
/// joined, the event's claim and receipt, the outbox, the schedule and its
/// message; no region's row written again, no OU name read again.
const REATTEMPT_LIMIT: u64 = 12;

const SERVICES: [&str; 6] = ["sts", "organizations", "dynamodb", "sqs", "sns", "ssm"];

/// The member role refused, then every call of every service counted.
fn counting(proxy: &Proxy) {
    let mut rules = vec![member_role_refused()];
    rules.extend(
        SERVICES
            .iter()
            .map(|s| json!({"name": s, "service": s, "effect": "count", "record": true})),
    );
    proxy.faults(Value::Array(rules));
}

/// Calls by service since [`counting`], the refused AssumeRole with sts.
fn calls(proxy: &Proxy) -> (u64, std::collections::BTreeMap<String, u64>) {
    let hits = proxy.hits();
    let n = |name: &str| hits[name]["hits"].as_u64().unwrap_or(0);
    let mut by: std::collections::BTreeMap<String, u64> =
        SERVICES.iter().map(|s| (s.to_string(), n(s))).collect();
    *by.get_mut("sts").unwrap() += n("no-role");
    (by.values().sum(), by)
}

/// The re-attempt the last run scheduled, as Lambda's SQS record.
async fn next_reattempt(w: &World, queue: &str) -> Value {
    let started = Instant::now();
    loop {
        let records = w.sqs_records(queue).await;
        if let Some(r) = records.into_iter().next() {
            return r;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no re-attempt was scheduled"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reattempt_of_a_waiting_account_costs_at_most_twelve_calls_at_17_regions() {
    let (mut w, proxy, _) = world_behind_proxy().await;
    // Two OUs deep, as a landing zone's workload accounts are.
    let workloads = w.create_ou(&w.root, "Workloads").await;
    let prod = w.create_ou(&workloads, "Prod").await;
    let account = w.create_account("waiting", Some(&prod)).await;
    w.write_policy_regions(&REGIONS_17);
    let queue = w.create_queue("sweep").await;
    w.set_env("RUNAS_GUARD_SWEEP_QUEUE_URL", &queue);
    w.set_env("RUNAS_GUARD_PENDING_DELAYS_SECONDS", "1");
    counting(&proxy);

    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "waiting is not failing: {out:#}");
    let (vend, _) = calls(&proxy);
    assert!(
        proxy.hits()["no-role"]["hits"].as_u64() >= Some(1),
        "the refusal fired"
    );

    for attempt in 1..=2 {
        let record = next_reattempt(&w, &queue).await;
        assert!(
            record["body"]
                .as_str()
                .unwrap()
                .contains(&format!("\"attempt\":{attempt}")),
            "{record:#}"
        );
        counting(&proxy);
        let (code, out) = w.handle(&json!({ "Records": [record] }));
        assert_eq!(
            (code, &out["batchItemFailures"]),
            (0, &json!([])),
            "{out:#}"
        );
        let (total, by) = calls(&proxy);
        println!("re-attempt {attempt}: {total} calls {by:?} (the vend: {vend})");
        assert_eq!(
            proxy.hits()["no-role"]["hits"].as_u64(),
            Some(1),
            "the role was tried, and refused"
        );
        assert!(
            total <= REATTEMPT_LIMIT,
            "re-attempt {attempt}: {total} calls (the vend made {vend}), over {REATTEMPT_LIMIT}: {by:?}\n{:#}",
            proxy.hits()["dynamodb"]["bodies"]
        );
        // Nothing changed: every region still waits, none written again.
        assert!(by["dynamodb"] <= 5, "{by:?}");
        assert_eq!(by["ssm"], 0, "{by:?}");
    }
    for region in REGIONS_17 {
        let item = w.state(&account, region).await.expect("state recorded");
        assert_eq!(item["status"], "pending", "{region}: {item:?}");
        assert_eq!(item["ou_path"], "Root/Workloads/Prod", "{region}: {item:?}");
    }
    assert!(w.alerts().await.is_empty(), "no page while it waits");
    // The chain goes on.
    let third = next_reattempt(&w, &queue).await;
    assert!(third["body"].as_str().unwrap().contains("\"attempt\":3"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reattempt_that_finds_the_role_configures_the_account() {
    // The cheap wait costs nothing in what a re-attempt does: once the role
    // is there, the next one configures every region and says so once.
    let (mut w, proxy, account) = world_behind_proxy().await;
    let queue = w.create_queue("sweep").await;
    w.set_env("RUNAS_GUARD_SWEEP_QUEUE_URL", &queue);
    w.set_env("RUNAS_GUARD_PENDING_DELAYS_SECONDS", "1");
    counting(&proxy);
    let (code, _) = w.handle(&vend_event(&account));
    assert_eq!(code, 0);
    assert_eq!(
        proxy.hits()["no-role"]["hits"].as_u64(),
        Some(1),
        "the vend's AssumeRole was refused"
    );
    let record = next_reattempt(&w, &queue).await;
    proxy.faults(json!([]));
    let (code, out) = w.handle(&json!({ "Records": [record] }));
    assert_eq!(code, 0, "{out:#}");
    for region in REGIONS {
        assert_eq!(
            run_as(&w.document(&account, region).await.unwrap().0),
            (json!(true), json!("ssm-ops")),
            "{region}"
        );
        let item = w.state(&account, region).await.expect("state");
        assert_eq!(item["status"], "remediated", "{region}: {item:?}");
    }
    assert_eq!(w.alert_kinds().await, ["account_configured"]);
}
