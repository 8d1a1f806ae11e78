//! An account-region's item as 0.9.0 left it: thousands of per-window
//! attributes (`told <v> by|seen|until|kept|actor`, the older `window_*`)
//! that no release since 0.10.0 reads, near DynamoDB's 400 KB item limit,
//! where every write that adds bytes fails. The next run that reads the
//! item removes them (a sweep's, an edit event's), keeping every current
//! attribute as it was; an item without them costs no extra call.

use crate::common;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use common::proxy::Proxy;
use common::*;
use serde_json::json;

const R: &str = "eu-west-1";
/// Versions with five attributes each (`told <v> <what>`): 2,500 in all,
/// beside a few follow-ups' and the 0.7.x names.
const VERSIONS: usize = 500;
/// Names per removing call (`domain::retired::CHUNK`).
const CHUNK: usize = 100;

type Item = HashMap<String, AttributeValue>;

/// The account-region's state item, read straight from moto.
async fn state_item(w: &World, account: &str) -> Item {
    let ddb = aws_sdk_dynamodb::Client::new(&w.cfg);
    ddb.get_item()
        .table_name(&w.table)
        .key("pk", AttributeValue::S(format!("ACCOUNT#{account}")))
        .key("sk", AttributeValue::S(format!("REGION#{R}")))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item()
        .cloned()
        .expect("the account-region's state item")
}

/// What 0.9.0 wrote per told window, and what 0.7.13 and earlier wrote
/// once: names as those releases made them, values about their size (a
/// trigger id, a version, epoch milliseconds, an editor's ARN).
fn retired_attributes() -> Vec<(String, AttributeValue)> {
    let s = |v: String| AttributeValue::S(v);
    let mut out = Vec::new();
    for v in 1..=VERSIONS {
        let trigger = format!("ssm-update-document-{v:04}-{}", "e".repeat(300));
        out.push((format!("told {v} by"), s(trigger.clone())));
        out.push((format!("told {v} seen"), s(format!("{}", v + 1))));
        out.push((
            format!("told {v} until"),
            AttributeValue::N("1800000000000".into()),
        ));
        out.push((format!("told {v} kept"), s(trigger)));
        out.push((
            format!("told {v} actor"),
            s(format!(
                "arn:aws:sts::111111111111:assumed-role/Admin/session-{v}"
            )),
        ));
    }
    for what in ["by", "seen", "until", "kept", "actor"] {
        out.push((
            format!("told named 7 0123456789abcdef {what}"),
            s("ssm-update-document-named".into()),
        ));
    }
    for name in [
        "window_reported",
        "window_by",
        "window_prev",
        "window_until",
        "window_kept",
    ] {
        out.push((name.to_string(), s("3".into())));
    }
    out
}

/// `item` with the retired attributes added, put straight into moto.
async fn put_as_0_9_0_left_it(w: &World, item: &Item) -> Item {
    let mut bloated = item.clone();
    bloated.extend(retired_attributes());
    aws_sdk_dynamodb::Client::new(&w.cfg)
        .put_item()
        .table_name(&w.table)
        .set_item(Some(bloated.clone()))
        .send()
        .await
        .expect("moto takes an item under 400 KB");
    bloated
}

fn retired_left(item: &Item) -> Vec<&String> {
    item.keys()
        .filter(|k| k.starts_with("told ") || k.starts_with("window_"))
        .collect()
}

/// An editor's new default version setting Run As to root.
async fn root_edit(w: &World, account: &str, n: usize) {
    let mut doc = w.document(account, R).await.unwrap().0;
    doc["inputs"]["runAsDefaultUser"] = json!("root");
    doc["description"] = json!(format!("retired attributes edit {n}"));
    w.admin_write(account, R, &doc, true).await;
}

/// The counter of the calls that remove retired attributes.
fn removes() -> serde_json::Value {
    json!([{"name": "removes", "service": "dynamodb", "action": "UpdateItem",
        "contains": "REMOVE #old0", "effect": "count"}])
}

fn removes_seen(proxy: &Proxy) -> u64 {
    proxy.hits()["removes"]["hits"].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_item_0_9_0_grew_near_the_limit_is_emptied_of_its_old_attributes_and_still_enforced() {
    let mut w = World::new().await;
    let proxy = w.behind_proxy();
    let account = w.configured_and_swept().await;
    let current = state_item(&w, &account).await;
    assert!(retired_left(&current).is_empty(), "{current:#?}");
    let retired = retired_attributes().len();
    let calls = retired.div_ceil(CHUNK) as u64;

    // A sweep reads it: the old attributes go, nothing else changes.
    let bloated = put_as_0_9_0_left_it(&w, &current).await;
    let before = crate::bounded_state::item_size(&bloated);
    assert!(
        (350_000..400_000).contains(&before),
        "{before} bytes: near, and under, DynamoDB's 400 KB"
    );
    proxy.faults(removes());
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let swept = state_item(&w, &account).await;
    let after = crate::bounded_state::item_size(&swept);
    println!(
        "state item as 0.9.0 left it: {before} bytes ({retired} old attributes); after a sweep: {after} bytes; as the product wrote it: {} bytes",
        crate::bounded_state::item_size(&current)
    );
    assert!(
        retired_left(&swept).is_empty(),
        "{:?}",
        retired_left(&swept)
    );
    assert_eq!(swept, current, "every current attribute kept as it was");
    assert!(after < 2_000, "{after} bytes");
    assert_eq!(removes_seen(&proxy), calls, "{}", proxy.hits());

    // An edit event's run reads it: the old attributes go before its
    // write, and the edit is put back and told once.
    let recorded = put_as_0_9_0_left_it(&w, &swept).await;
    root_edit(&w, &account, 1).await;
    proxy.faults(removes());
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    let (doc, _, _) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")), "put back");
    let edited = state_item(&w, &account).await;
    assert!(
        retired_left(&edited).is_empty(),
        "{:?}",
        retired_left(&edited)
    );
    assert_eq!(edited["status"].as_s().unwrap(), "reverted", "{edited:#?}");
    for key in current.keys().filter(|k| !k.starts_with("drift_seen")) {
        assert!(edited.contains_key(key), "{key} kept: {edited:#?}");
    }
    println!(
        "before the edit: {} bytes; after it: {} bytes",
        crate::bounded_state::item_size(&recorded),
        crate::bounded_state::item_size(&edited)
    );
    assert_eq!(removes_seen(&proxy), calls, "{}", proxy.hits());
    let alerts = w.alerts().await;
    assert_eq!(
        of_kind(&alerts, "drift_reverted").len(),
        1,
        "told once: {alerts:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_item_without_old_attributes_costs_no_extra_call() {
    let mut w = World::new().await;
    let proxy = w.behind_proxy();
    let account = w.configured_and_swept().await;
    proxy.faults(removes());
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    root_edit(&w, &account, 2).await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    let (doc, _, _) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")), "put back");
    assert_eq!(removes_seen(&proxy), 0, "{}", proxy.hits());
}
