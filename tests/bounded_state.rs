//! No item grows with the windows an account-region has had. An account
//! admin the SCPs do not stop can flip Run As to root and back as often as
//! they like; until 0.10.0 each told window added its claims (about 120
//! bytes) to the account-region's state item, and at DynamoDB's 400 KB
//! item limit every write of that item would fail: the account-region
//! would never be enforced again. Here 200 windows are made and told
//! through the product (four per sweep: each sweep reads back at most ten
//! versions), the table's largest item is measured after the 12th and the
//! 200th, and enforcement still works after them.

use crate::common;

use aws_sdk_dynamodb::types::AttributeValue;
use common::*;
use serde_json::json;

const R: &str = "eu-west-1";
const WINDOWS_PER_SWEEP: usize = 4;

/// An item's size as DynamoDB counts it: each attribute's name in bytes
/// plus its value (a string's bytes; a number about one byte per two
/// digits plus one; anything else as its JSON text, an upper bound).
pub(crate) fn item_size(item: &std::collections::HashMap<String, AttributeValue>) -> usize {
    item.iter()
        .map(|(k, v)| {
            k.len()
                + match v {
                    AttributeValue::S(s) => s.len(),
                    AttributeValue::N(n) => n.len() / 2 + 1,
                    AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
                    other => format!("{other:?}").len(),
                }
        })
        .sum()
}

/// The table's largest item: its size and key.
async fn largest(w: &World) -> (usize, String) {
    let ddb = aws_sdk_dynamodb::Client::new(&w.cfg);
    let mut pages = ddb.scan().table_name(&w.table).into_paginator().send();
    let mut best = (0, String::new());
    while let Some(page) = pages.next().await {
        for item in page.unwrap().items() {
            let size = item_size(item);
            if size > best.0 {
                let key = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
                best = (size, format!("{:?}|{:?}", key("pk"), key("sk")));
            }
        }
    }
    best
}

/// An editor's new default version setting Run As to `user`. SSM refuses
/// a version whose content another has, so each carries its own
/// description.
async fn edit(w: &World, account: &str, user: &str) -> String {
    let mut doc = w.document(account, R).await.unwrap().0;
    doc["inputs"]["runAsDefaultUser"] = json!(user);
    let n = EDITS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    doc["description"] = json!(format!("edit {n}"));
    w.admin_write(account, R, &doc, true).await
}

static EDITS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The account-region's state item's size.
async fn state_size(w: &World, account: &str) -> usize {
    let ddb = aws_sdk_dynamodb::Client::new(&w.cfg);
    let out = ddb
        .get_item()
        .table_name(&w.table)
        .key("pk", AttributeValue::S(format!("ACCOUNT#{account}")))
        .key("sk", AttributeValue::S(format!("REGION#{R}")))
        .send()
        .await
        .unwrap();
    item_size(out.item().expect("the account-region's state item"))
}

/// `count` windows, each root made the default and set back, then one
/// sweep that tells them.
async fn windows_told(w: &World, account: &str, count: usize) -> Vec<String> {
    let mut roots = Vec::new();
    for _ in 0..count {
        roots.push(edit(w, account, "root").await);
        edit(w, account, "ssm-ops").await;
    }
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    roots
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_told_windows_leave_the_largest_item_within_a_kilobyte() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    let mut roots = Vec::new();
    while roots.len() < 12 {
        roots.extend(windows_told(&w, &account, WINDOWS_PER_SWEEP).await);
    }
    let (early, early_key) = largest(&w).await;
    let early_state = state_size(&w, &account).await;
    while roots.len() < 200 {
        roots.extend(windows_told(&w, &account, WINDOWS_PER_SWEEP).await);
    }
    let (late, late_key) = largest(&w).await;
    let late_state = state_size(&w, &account).await;
    println!(
        "state item after 12 windows: {early_state} bytes; after {}: {late_state} bytes",
        roots.len()
    );
    println!(
        "largest item after {} windows: {early} bytes ({early_key}); after {}: {late} bytes ({late_key})",
        12,
        roots.len()
    );

    // Every window was told, once.
    let alerts = w.alerts().await;
    let mut told: Vec<String> = alerts
        .iter()
        .filter(|a| a["message"]["kind"] == "run_as_window")
        .flat_map(|a| {
            a["message"]["windows"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|w| w["version"].as_str().unwrap_or_default().to_string())
        .collect();
    told.sort_by_key(|v| v.parse::<u64>().unwrap_or(0));
    assert_eq!(told, roots, "each window told once");
    assert!(
        late_state < early_state + 1024,
        "the state item grew by {} bytes from the 12th window to the 200th",
        late_state - early_state
    );
    assert!(
        late < early + 1024,
        "the largest item grew by {} bytes from the 12th window to the 200th",
        late - early
    );

    // Enforcement still works: an edit is put back by its own event.
    edit(&w, &account, "root").await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    let (doc, _, _) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")), "put back");
    let state = w.state(&account, R).await.unwrap();
    assert_eq!(state["status"], "reverted", "{state:#?}");
}
