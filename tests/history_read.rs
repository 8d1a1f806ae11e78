//! A sweep reads O(account-regions) items whatever the history length: its
//! read goes to the sparse state index, which history rows never enter.
//! Measured at the proxy: DynamoDB's own `ScannedCount` of every Query and
//! Scan a sweep makes, before and after 90 days of history.

use crate::common;

use common::proxy::*;
use common::*;
use serde_json::{json, Value};

/// Items DynamoDB read (ScannedCount) and requests, over one sweep.
fn sweep_reads(w: &World, proxy: &Proxy) -> (u64, usize) {
    proxy.faults(json!([
        {"name": "query", "service": "dynamodb", "action": "Query", "effect": "count", "record_response": true},
        {"name": "scan", "service": "dynamodb", "action": "Scan", "effect": "count", "record_response": true}
    ]));
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let hits = proxy.hits();
    let mut scanned = 0;
    let mut requests = 0;
    for name in ["query", "scan"] {
        for r in hits[name]["responses"].as_array().unwrap() {
            let v: Value = serde_json::from_str(r.as_str().unwrap()).unwrap_or(Value::Null);
            scanned += v["ScannedCount"].as_u64().unwrap_or(0);
            requests += 1;
        }
    }
    (scanned, requests)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweeps_read_does_not_grow_with_90_days_of_history() {
    let (w, proxy, first) = world_behind_proxy().await;
    let mut accounts = vec![first];
    for i in 0..24 {
        accounts.push(w.create_account(&format!("h-{i:02}"), None).await);
    }
    // 25 accounts x 2 regions (and the management account): configured, then steady.
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let (before, requests_before) = sweep_reads(&w, &proxy);
    assert!(before > 0 && requests_before > 0, "the counters work");

    // 90 days of a change a day for each of the 50 account-regions.
    let ddb = aws_sdk_dynamodb::Client::new(&w.cfg);
    let mut rows = Vec::new();
    for a in &accounts {
        for region in REGIONS {
            for day in 0..90 {
                rows.push((a.clone(), region, day));
            }
        }
    }
    for chunk in rows.chunks(25) {
        let requests = chunk
            .iter()
            .map(|(a, region, day)| {
                let item = [
                    ("pk", format!("ACCOUNT#{a}")),
                    (
                        "sk",
                        format!(
                            "HISTORY#2026-08-{:02}T00:00:00.000Z#{region}#{day:08}",
                            day % 28 + 1
                        ),
                    ),
                    ("account", a.clone()),
                    ("region", region.to_string()),
                    ("status", "reverted".into()),
                    ("action", "updated".into()),
                    ("trigger_id", format!("old-{day}")),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), aws_sdk_dynamodb::types::AttributeValue::S(v)))
                .collect();
                aws_sdk_dynamodb::types::WriteRequest::builder()
                    .put_request(
                        aws_sdk_dynamodb::types::PutRequest::builder()
                            .set_item(Some(item))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        ddb.batch_write_item()
            .request_items(&w.table, requests)
            .send()
            .await
            .unwrap();
    }
    assert!(w.items().await.len() > 4_500);

    let (after, requests_after) = sweep_reads(&w, &proxy);
    assert_eq!(
        (after, requests_after),
        (before, requests_before),
        "items read and requests are the same with 4,500 history rows"
    );
}
