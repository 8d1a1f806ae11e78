//! A fanned-out sweep by the contract: each SQS message carries what the
//! sweep's one walk of the organization learned (no Organizations call per
//! account), a failing account still stores its part so the one summary
//! completes, and an account with an ordinary failed region is reported, not
//! redelivered into the dead-letter queue.

use crate::common;

use common::proxy::*;
use common::*;
use serde_json::{json, Value};

/// Four member accounts in a nested OU with LZA's document (RunAs off) in
/// both regions, a sweep queue, fan-out above two accounts; behind the proxy.
async fn fanned_org() -> (World, Proxy, Vec<String>, String) {
    let (mut w, proxy, first) = world_behind_proxy().await;
    let workloads = w.create_ou(&w.root, "Workloads").await;
    let prod = w.create_ou(&workloads, "Prod").await;
    let mut accounts = vec![first];
    for i in 0..3 {
        accounts.push(w.create_account(&format!("fan-{i}"), Some(&prod)).await);
    }
    for a in &accounts {
        for region in REGIONS {
            w.admin_write(a, region, &lza_document(a), true).await;
        }
    }
    let queue = w.create_queue("sweep").await;
    w.set_env("RUNAS_GUARD_SWEEP_QUEUE_URL", &queue);
    w.set_env("RUNAS_GUARD_FANOUT_THRESHOLD", "2");
    (w, proxy, accounts, queue)
}

/// The schedule's event fans out; its messages, as Lambda's SQS batches.
async fn fan_out(w: &World, queue: &str) -> Vec<Value> {
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(
        (code, out["result"].as_str()),
        (0, Some("fanned_out")),
        "{out:#}"
    );
    w.sqs_records(queue).await
}

/// Feeds the batches; returns the message ids Lambda would redeliver.
fn work(w: &World, records: &[Value]) -> Vec<String> {
    let mut failures = Vec::new();
    for chunk in records.chunks(10) {
        let (code, out) = w.handle(&json!({"Records": chunk}));
        assert_eq!(code, 0, "{out:#}");
        failures.extend(
            out["batchItemFailures"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["itemIdentifier"].as_str().unwrap().to_string()),
        );
    }
    failures
}

fn hits(proxy: &Proxy, name: &str) -> u64 {
    proxy.hits()[name]["hits"].as_u64().unwrap_or(0)
}

fn summaries(alerts: &[Value]) -> Vec<Value> {
    alerts
        .iter()
        .filter(|a| a["message"]["kind"] == "sweep_summary")
        .map(|a| a["message"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn workers_ask_organizations_nothing_the_sweep_walk_already_told_them() {
    let (w, proxy, accounts, queue) = fanned_org().await;
    proxy.faults(json!([{"name": "org", "service": "organizations", "effect": "count"}]));
    let records = fan_out(&w, &queue).await;
    assert!(
        hits(&proxy, "org") > 0,
        "the sweep's walk is counted: {}",
        proxy.hits()
    );
    let body: Value = serde_json::from_str(records[0]["body"].as_str().unwrap()).unwrap();
    assert!(
        body["path"].as_array().is_some_and(|p| !p.is_empty()),
        "{body:#}"
    );
    assert_eq!(body["departed"], false, "no departure on record: {body:#}");

    proxy.faults(
        json!([{"name": "org", "service": "organizations", "effect": "count"},
        {"name": "cleared", "service": "dynamodb", "action": "DeleteItem", "contains": "GOVERNANCE",
         "effect": "count"}]),
    );
    assert!(work(&w, &records).is_empty());
    assert_eq!(hits(&proxy, "cleared"), 0, "no departure mark to clear");
    assert_eq!(
        hits(&proxy, "org"),
        0,
        "no ListParents, DescribeAccount or DescribeOrganizationalUnit per account"
    );
    for a in &accounts {
        for region in REGIONS {
            assert_eq!(
                run_as(&w.document(a, region).await.unwrap().0).0,
                json!(true)
            );
        }
    }
    let s = summaries(&w.alerts().await);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["accounts"], records.len());
    assert!(s[0]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["account"] == accounts[1].as_str() && e["action"] == "updated"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_that_fails_before_its_part_still_completes_the_summary() {
    let (w, proxy, accounts, queue) = fanned_org().await;
    let records = fan_out(&w, &queue).await;
    let broken = &accounts[2];
    // Its worker cannot even read what the table knows of it.
    proxy.faults(
        json!([{"name": "broken", "service": "dynamodb", "action": "Query",
        "contains": format!("ACCOUNT#{broken}"), "code": "AccessDeniedException"}]),
    );
    let failures = work(&w, &records);
    assert!(hits(&proxy, "broken") >= 1, "{}", proxy.hits());
    assert!(
        failures.is_empty(),
        "its part was stored, nothing to redeliver: {failures:?}"
    );
    let s = summaries(&w.alerts().await);
    assert_eq!(s.len(), 1, "the summary completed");
    assert_eq!(s[0]["accounts"], records.len());
    assert_eq!(s[0]["failed"], REGIONS.len(), "{:#}", s[0]);
    assert!(s[0]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["account"] == broken.as_str() && e["action"] == "failed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ordinary_failed_region_is_reported_not_redelivered() {
    let (w, proxy, _, queue) = fanned_org().await;
    let records = fan_out(&w, &queue).await;
    proxy.faults(
        json!([{"name": "denied", "service": "ssm", "region": "eu-west-1",
        "action": "UpdateDocument", "code": "AccessDeniedException",
        "message": "explicit deny in a service control policy"}]),
    );
    let failures = work(&w, &records);
    assert!(hits(&proxy, "denied") >= 1, "{}", proxy.hits());
    assert!(
        failures.is_empty(),
        "failed regions wait for the next sweep: {failures:?}"
    );
    let s = summaries(&w.alerts().await);
    assert_eq!(s.len(), 1);
    assert!(s[0]["failed"].as_u64().unwrap() >= 4, "{:#}", s[0]);
}

/// A fanned-out sweep's canary findings are marked only once the completer
/// keeps the alert that tells them: here it can neither keep nor publish
/// the `forwarding_missing` (both faults fire), so no part's finding is
/// marked, and the next fanned-out sweep tells every one of them, once.
#[tokio::test(flavor = "multi_thread")]
async fn a_fanned_out_sweeps_canary_alert_lost_by_its_completer_is_told_by_the_next() {
    let (w, proxy, accounts, queue) = fanned_org().await;
    w.write_policy("[forwarding_canary]\nenabled = true\ninterval = \"0s\"\ngrace = \"2s\"\n");
    work(&w, &fan_out(&w, &queue).await);
    let _ = w.alerts().await;
    std::thread::sleep(std::time::Duration::from_millis(2_100));

    proxy.faults(json!([
        {"name": "unkept", "service": "dynamodb", "action": "BatchWriteItem",
         "contains": "forwarding_missing", "code": "InternalServerError"},
        {"name": "refused", "service": "sns", "action": "Publish", "contains": "forwarding_missing",
         "status": 500, "code": "InternalError", "protocol": "query"}
    ]));
    let records = fan_out(&w, &queue).await;
    let _ = work(&w, &records);
    assert!(hits(&proxy, "unkept") >= 1 && hits(&proxy, "refused") >= 1);
    let alerts = w.alerts().await;
    assert!(
        alerts
            .iter()
            .all(|a| a["message"]["kind"] != "forwarding_missing"),
        "{alerts:#?}"
    );
    for a in &accounts {
        for region in REGIONS {
            let item = w.state(a, region).await.unwrap();
            assert!(
                !item.contains_key("canary_missing_since_ms"),
                "{a} {region}: {item:?}"
            );
        }
    }

    proxy.faults(json!([]));
    let _ = w.sqs_records(&queue).await;
    work(&w, &fan_out(&w, &queue).await);
    let alerts = w.alerts().await;
    let told: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["message"]["kind"] == "forwarding_missing")
        .collect();
    assert_eq!(told.len(), 1, "{alerts:#?}");
    let m = &told[0]["message"];
    assert!(
        m["accounts"].as_u64() >= Some(accounts.len() as u64),
        "{m:#}"
    );
    for a in &accounts {
        for region in REGIONS {
            let item = w.state(a, region).await.unwrap();
            assert!(
                item.contains_key("canary_missing_since_ms"),
                "{a} {region}: {item:?}"
            );
        }
    }
    work(&w, &fan_out(&w, &queue).await);
    let alerts = w.alerts().await;
    assert!(
        alerts
            .iter()
            .all(|a| a["message"]["kind"] != "forwarding_missing"),
        "told once: {alerts:#?}"
    );
}

/// A message as Lambda would hand it again, its walk `age_ms` old.
fn walked_ago(record: &Value, age_ms: i64) -> Value {
    let mut body: Value = serde_json::from_str(record["body"].as_str().unwrap()).unwrap();
    let walked = body["walked_ms"].as_i64().expect("the walk's time travels");
    body["walked_ms"] = json!(walked - age_ms);
    let mut again = record.clone();
    again["body"] = json!(body.to_string());
    again
}

fn record_of<'a>(records: &'a [Value], account: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["body"].as_str().unwrap().contains(account))
        .expect("a message per account")
}

/// SQS redelivers a message whose worker died an hour and a half later (its
/// visibility timeout): an account moved into an exempt OU meanwhile, its
/// move event lost, is looked up again and left alone, where the walk's
/// path would have written it. Another account's message as old still
/// configures it (looked up too); a fresh one asks Organizations nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_message_older_than_its_walk_looks_the_account_up_and_leaves_one_moved_out_alone() {
    let (w, proxy, accounts, queue) = fanned_org().await;
    let quarantine = w.create_ou(&w.root, "Quarantine").await;
    w.write_policy(&format!("[exempt]\nous = [\"{quarantine}\"]\n"));
    let records = fan_out(&w, &queue).await;
    let (moved, stayed, fresh) = (&accounts[1], &accounts[2], &accounts[3]);
    let parents = w.org().list_parents().child_id(moved).send().await.unwrap();
    let prod = parents.parents()[0].id().unwrap().to_string();
    w.move_account(moved, &prod, &quarantine).await;

    proxy.faults(json!([{"name": "org", "service": "organizations", "effect": "count"}]));
    let hour_and_a_half = 90 * 60 * 1000;
    let old = [
        walked_ago(record_of(&records, moved), hour_and_a_half),
        walked_ago(record_of(&records, stayed), hour_and_a_half),
    ];
    assert!(work(&w, &old).is_empty());
    for region in REGIONS {
        let (doc, _, _) = w.document(moved, region).await.unwrap();
        assert_eq!(run_as(&doc).0, json!(false), "exempt now: untouched");
        let (doc, _, _) = w.document(stayed, region).await.unwrap();
        assert_eq!(run_as(&doc).0, json!(true), "still governed: configured");
    }
    assert!(hits(&proxy, "org") >= 2, "each looked up: {}", proxy.hits());

    proxy.faults(json!([{"name": "org", "service": "organizations", "effect": "count"}]));
    assert!(work(&w, &[record_of(&records, fresh).clone()]).is_empty());
    assert_eq!(hits(&proxy, "org"), 0, "a fresh message trusts its walk");
    for region in REGIONS {
        let (doc, _, _) = w.document(fresh, region).await.unwrap();
        assert_eq!(run_as(&doc).0, json!(true));
    }
}

/// Every account's part is counted in one transaction on the one sweep
/// item, so at scale they conflict. DynamoDB cancels such a transaction
/// with `TransactionConflict` (which the SDK never retries): the part is
/// sent again and counted once, not reported as a failed account nor lost
/// from the summary. Both sides: a condition that failed (the part there
/// already) is a redelivery, counted nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_part_whose_count_conflicted_is_sent_again_and_counted_once() {
    let (w, proxy, _, queue) = fanned_org().await;
    let records = fan_out(&w, &queue).await;
    proxy.faults(json!([{"name": "conflict", "service": "dynamodb",
        "action": "TransactWriteItems", "contains": "finished_count", "times": 2,
        "code": "TransactionCanceledException",
        "reasons": [{"Code": "None"}, {"Code": "TransactionConflict", "Message": "conflict"}]}]));
    let failures = work(&w, &records);
    assert_eq!(hits(&proxy, "conflict"), 2, "{}", proxy.hits());
    assert!(failures.is_empty(), "nothing to redeliver: {failures:?}");
    let s = summaries(&w.alerts().await);
    assert_eq!(s.len(), 1, "one summary: {s:#?}");
    assert_eq!(s[0]["accounts"], records.len(), "{:#}", s[0]);
    assert_eq!(s[0]["failed"], 0, "{:#}", s[0]);
    // A redelivered message: its part is there, counted before, no second summary.
    proxy.faults(json!([]));
    assert!(work(&w, &records[..1]).is_empty());
    assert!(summaries(&w.alerts().await).is_empty(), "no second summary");
}
