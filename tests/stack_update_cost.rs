//! What a member StackSet update costs one account, counted at the proxy:
//! CloudFormation announces each account-region's instance with its own
//! event, so a 17-region update sends 17 (delivered at least once, in any
//! order). An account that no longer waits looks only at the region each
//! event names; one that still waits gets every region, as its vend would.
//! Counts, never timings.

mod common;

use common::proxy::*;
use common::*;
use serde_json::{json, Value};

const COUNTED: [(&str, &str); 8] = [
    ("sts", "AssumeRole"),
    ("ssm", "DescribeDocument"),
    ("ssm", "GetDocument"),
    ("ssm", "CreateDocument"),
    ("ssm", "UpdateDocument"),
    ("ssm", "UpdateDocumentDefaultVersion"),
    ("dynamodb", "UpdateItem"),
    ("sns", "Publish"),
];

fn counting(proxy: &Proxy) {
    proxy.faults(counters(&COUNTED));
}

fn count(proxy: &Proxy, name: &str) -> u64 {
    proxy.hits()[name]["hits"].as_u64().unwrap_or(0)
}

/// The update's 17 events, each delivered once more, reordered (a fixed
/// shuffle: every region's twin far from it).
fn update_events(account: &str) -> Vec<Value> {
    let mut events: Vec<Value> = REGIONS_17
        .iter()
        .enumerate()
        .map(|(i, r)| stack_landed(account, r, &format!("update-{i}")))
        .collect();
    events.reverse();
    let twins: Vec<Value> = events.iter().step_by(4).cloned().collect();
    events.extend(twins);
    events.rotate_left(5);
    events
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stack_set_update_of_a_settled_account_looks_at_each_region_once() {
    let (w, proxy, account) = world_behind_proxy().await;
    w.write_policy_regions(&REGIONS_17);
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(w.alert_kinds().await, ["account_configured"]);

    counting(&proxy);
    let events = update_events(&account);
    let mut duplicates = 0;
    for e in &events {
        let (code, out) = w.handle(e);
        assert_eq!(code, 0, "{out:#}");
        if out["result"] == "duplicate" {
            duplicates += 1;
        } else {
            let regions = out["accounts"][0]["regions"].as_array().unwrap();
            assert_eq!(regions.len(), 1, "only the event's region: {out:#}");
            assert_eq!(
                Some(regions[0]["region"].as_str().unwrap()),
                out["trigger"]["region"].as_str(),
                "{out:#}"
            );
        }
    }
    assert_eq!(duplicates, events.len() - REGIONS_17.len());
    let sessions = count(&proxy, "sts:AssumeRole");
    let reads = count(&proxy, "ssm:DescribeDocument") + count(&proxy, "ssm:GetDocument");
    // A steady sweep of this account: one session and two reads a region.
    let sweep = 1 + 2 * REGIONS_17.len() as u64;
    println!(
        "17-region update, {} deliveries: {sessions} sessions, {reads} document reads; a steady sweep of the account: {sweep} calls",
        events.len()
    );
    // The read-ahead runs while the event is claimed, so a duplicate costs
    // its session and its region's two reads, no more; nothing else is read.
    let deliveries = events.len() as u64;
    assert_eq!(sessions, deliveries, "one session per delivery");
    assert_eq!(reads, 2 * deliveries, "each delivery reads its region only");
    for write in [
        "ssm:CreateDocument",
        "ssm:UpdateDocument",
        "ssm:UpdateDocumentDefaultVersion",
        "sns:Publish",
    ] {
        assert_eq!(count(&proxy, write), 0, "{write}: nothing to change");
    }
    // Per delivery: its claim and receipt, its region's row and the
    // account's vend item at most (before: every region's row, 36 writes).
    let writes = count(&proxy, "dynamodb:UpdateItem");
    println!("  {writes} UpdateItem for {deliveries} deliveries");
    assert!(writes <= 4 * deliveries, "{:#}", proxy.hits());
    assert!(w.alerts().await.is_empty(), "nothing to tell");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_region_edited_behind_the_update_is_put_back_by_its_own_event_and_told() {
    let (w, _proxy, account) = world_behind_proxy().await;
    w.write_policy_regions(&REGIONS_17);
    let (code, _) = w.handle(&vend_event(&account));
    assert_eq!(code, 0);
    // Someone edited eu-west-2 as the console does (update, then default)
    // with no event reaching the hub.
    w.console_edit(&account, "eu-west-2", "root").await;
    let (code, out) = w.handle(&stack_landed(&account, "us-east-1", "update-a"));
    assert_eq!(code, 0, "{out:#}");

    assert_eq!(
        run_as(
            &w.named_document(&account, "eu-west-2", DOC)
                .await
                .unwrap()
                .0
        ),
        (json!(true), json!("root")),
        "another region's event does not look there"
    );
    let (code, out) = w.handle(&stack_landed(&account, "eu-west-2", "update-b"));
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let reverted = of_kind(&alerts, "drift_reverted");
    assert_eq!(reverted.len(), 1, "{alerts:#?}");
    assert_eq!(reverted[0]["message"]["region"], "eu-west-2");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_waiting_account_still_gets_every_region_from_one_event() {
    let (w, proxy, account) = world_behind_proxy().await;
    w.write_policy_regions(&REGIONS_17);
    proxy.faults(
        json!([{"name": "no-role", "service": "sts", "action": "AssumeRole",
        "contains": "role/RunAsGuardExecution", "status": 403, "code": "AccessDenied",
        "protocol": "query", "message": "User is not authorized to perform: sts:AssumeRole"}]),
    );
    let (code, _) = w.handle(&vend_event(&account));
    assert_eq!(code, 0);
    assert!(count(&proxy, "no-role") >= 1, "the refusal fired");
    proxy.faults(json!([]));
    let (code, out) = w.handle(&stack_landed(&account, "us-east-1", "instance-1"));
    assert_eq!(code, 0, "{out:#}");
    let regions = out["accounts"][0]["regions"].as_array().unwrap();
    assert_eq!(regions.len(), REGIONS_17.len(), "{out:#}");
    assert!(regions.iter().all(|r| r["action"] == "created"), "{out:#}");
}
