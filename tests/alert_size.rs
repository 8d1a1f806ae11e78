//! Every alert fits SNS and none is lost silently. moto never refuses a
//! message for its size, so runas-guard publishes through the fault proxy
//! answering as SNS does above 262,144 bytes (the message and its
//! attributes: Amazon SNS API Reference, `Publish`): `InvalidParameter`,
//! "Invalid parameter: Message too long".

use crate::common;

use common::proxy::Proxy;
use common::*;
use serde_json::{json, Value};

/// SNS's limit, as the proxy enforces it, and a count of every publish.
fn sns_as_aws() -> Value {
    json!([
        {"name": "too-long", "service": "sns", "action": "Publish", "message_bytes_over": 262144,
         "status": 400, "code": "InvalidParameter", "message": "Invalid parameter: Message too long",
         "protocol": "query"},
        {"name": "published", "service": "sns", "action": "Publish", "effect": "count"}
    ])
}

fn hits(proxy: &Proxy, name: &str) -> u64 {
    proxy.hits()[name]["hits"].as_u64().unwrap_or(0)
}

/// `[scope]` with the member and `unknown` account ids the organization lacks.
fn scope_policy(member: &str, unknown: usize) -> String {
    let ids: Vec<String> = std::iter::once(format!("\"{member}\""))
        .chain((0..unknown).map(|i| format!("\"{}\"", 900_000_000_000u64 + i as u64)))
        .collect();
    format!("[scope]\naccounts = [{}]\n", ids.join(", "))
}

/// Keys of a message body that say a list or a value was cut.
fn cut_marks(m: &Value) -> Vec<String> {
    m.as_object()
        .unwrap()
        .keys()
        .filter(|k| k.ends_with("_more") || *k == "trimmed")
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn five_thousand_unknown_scope_ids_are_one_bounded_alert_that_is_delivered() {
    let mut w = World::new().await;
    let member = w.create_account("member", None).await;
    w.write_policy(&scope_policy(&member, 5000));
    let proxy = w.behind_proxy();
    proxy.faults(sns_as_aws());

    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert!(out.get("alerts_lost").is_none(), "{out:#}");
    let alerts = w.alerts().await;
    let unknown = of_kind(&alerts, "policy_ids_unknown");
    assert_eq!(unknown.len(), 1, "{alerts:#?}");
    let m = &unknown[0]["message"];
    let listed = m["unknown_ids"].as_array().unwrap();
    assert_eq!(listed.len(), 50, "at most 50 named");
    assert_eq!(m["unknown_ids_more"], 4950, "the rest counted");
    assert_eq!(
        listed[0],
        json!({"key": "scope.accounts", "id": "900000000000"})
    );
    assert!(
        m.get("trimmed").is_none(),
        "bounded when made, not cut to fit: {m:#}"
    );
    assert!(
        unknown[0]["subject"]
            .as_str()
            .unwrap()
            .contains("names 5000 id(s)"),
        "{}",
        unknown[0]["subject"]
    );
    assert_eq!(
        hits(&proxy, "too-long"),
        0,
        "nothing too long was published"
    );
    assert!(hits(&proxy, "published") >= 1, "{}", proxy.hits());
    assert!(
        w.items().await.iter().all(|i| i["pk"] != "OUTBOX"),
        "nothing left waiting"
    );

    // Control: a handful of ids is named whole, with nothing cut.
    w.write_policy(&scope_policy(&member, 3));
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let unknown = of_kind(&alerts, "policy_ids_unknown");
    assert_eq!(unknown.len(), 1, "{alerts:#?}");
    let m = &unknown[0]["message"];
    assert_eq!(m["unknown_ids"].as_array().unwrap().len(), 3);
    assert!(cut_marks(m).is_empty(), "{m:#}");
    assert_eq!(hits(&proxy, "too-long"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_emulated_limit_refuses_what_aws_refuses() {
    // The proxy is a fair stand-in: a message over the limit, published as
    // anyone would, is refused as AWS refuses it.
    let w = World::new().await;
    let proxy = Proxy::start(&w.moto.url);
    proxy.faults(sns_as_aws());
    let sns = aws_sdk_sns::Client::from_conf(
        aws_sdk_sns::config::Builder::from(&w.cfg)
            .endpoint_url(proxy.url())
            .build(),
    );
    let publish = |message: String| {
        sns.publish()
            .topic_arn(&w.topic_arn)
            .message(message)
            .message_attributes(
                "kind",
                aws_sdk_sns::types::MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("x")
                    .build()
                    .unwrap(),
            )
            .send()
    };
    let room = 262_144 - "kindStringx".len();
    publish("a".repeat(room))
        .await
        .expect("exactly at the limit");
    let err = publish("a".repeat(room + 1)).await.unwrap_err();
    let err = err.into_service_error();
    assert_eq!(
        aws_sdk_sns::error::ProvideErrorMetadata::code(&err),
        Some("InvalidParameter")
    );
    assert_eq!(
        aws_sdk_sns::error::ProvideErrorMetadata::message(&err),
        Some("Invalid parameter: Message too long")
    );
    assert_eq!(hits(&proxy, "too-long"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alert_neither_published_nor_kept_fails_the_sweep_and_waits_on_its_claim() {
    let mut w = World::new().await;
    let member = w.create_account("member", None).await;
    w.write_policy(&scope_policy(&member, 2));
    let proxy = w.behind_proxy();
    // SNS refuses every message (as it refuses one too long) and DynamoDB
    // refuses the outbox's items (as it refuses one over 400 KB).
    proxy.faults(json!([
        {"name": "refused", "service": "sns", "action": "Publish", "status": 400,
         "code": "InvalidParameter", "message": "Invalid parameter: Message too long", "protocol": "query"},
        {"name": "unkept", "service": "dynamodb", "action": "BatchWriteItem", "contains": "OUTBOX",
         "code": "ValidationException", "message": "Item size has exceeded the maximum allowed size"}
    ]));
    let event = sweep_event();
    let (code, out) = w.handle(&event);
    assert_eq!(code, 1, "never a quiet success: {out:#}");
    assert_eq!(out["result"], "failed", "{out:#}");
    assert!(
        hits(&proxy, "refused") >= 1 && hits(&proxy, "unkept") >= 1,
        "{}",
        proxy.hits()
    );
    assert!(w.alerts().await.is_empty());
    // The alerts wait on the event's claim, for the retry of that event.
    let id = event["id"].as_str().unwrap();
    let claim = w
        .items()
        .await
        .into_iter()
        .find(|i| i["pk"] == format!("EVENT#{id}"))
        .expect("the claim");
    assert_eq!(claim["status"], "alerts_pending", "{claim:#?}");
    let pending: Vec<Value> = serde_json::from_str(&claim["pending_alerts"]).unwrap();
    let mut kinds: Vec<&str> = pending
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert!(kinds.contains(&"policy_ids_unknown"), "{kinds:?}");
    assert_eq!(out["alerts_lost"], kinds.len(), "{out:#}");
    assert!(
        out["reason"].as_str().unwrap().contains(&format!(
            "{} alert(s) neither published nor kept in the outbox",
            kinds.len()
        )),
        "{out:#}"
    );

    // The retry (Lambda's, of the same event), with SNS back: published.
    proxy.faults(sns_as_aws());
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    let mut sent = w.alert_kinds().await;
    sent.sort();
    assert_eq!(sent, kinds, "each one once");

    // Control: SNS refusing while the outbox keeps the alert is no loss.
    proxy.faults(json!([
        {"name": "refused", "service": "sns", "action": "Publish", "status": 400,
         "code": "InvalidParameter", "message": "Invalid parameter: Message too long", "protocol": "query"}
    ]));
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "kept for the next run: {out:#}");
    assert!(out.get("alerts_lost").is_none(), "{out:#}");
    assert!(w.items().await.iter().any(|i| i["pk"] == "OUTBOX"));
}
