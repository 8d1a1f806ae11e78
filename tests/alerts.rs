//! What on-call receives: one alert per change with a stable `alert_id`
//! (body and message attribute), and the same alerts on the chat topic as
//! custom notifications of Amazon Q Developer in chat applications.

use crate::common;

use common::*;
use serde_json::{json, Value};

/// A world whose runas-guard also publishes to a chat topic, drained by a queue.
async fn world_with_chat() -> (World, String) {
    let mut w = World::new().await;
    let sns = aws_sdk_sns::Client::new(&w.cfg);
    let topic = sns
        .create_topic()
        .name("runas-guard-chat")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let queue = w.create_queue("chat").await;
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(format!("arn:aws:sqs:us-east-1:{HUB}:chat"))
        .send()
        .await
        .unwrap();
    w.set_env("RUNAS_GUARD_CHAT_TOPIC_ARN", &topic);
    (w, queue)
}

async fn chat_messages(w: &World, queue: &str) -> Vec<Value> {
    w.drain(queue)
        .await
        .iter()
        .map(|m| {
            let envelope: Value = serde_json::from_str(m.body().unwrap()).unwrap();
            serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap()
        })
        .collect()
}

fn one_alert(alerts: &[Value], kind: &str) -> Value {
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let a = &alerts[0];
    assert_eq!(a["message"]["kind"], kind);
    let id = a["message"]["alert_id"]
        .as_str()
        .expect("alert_id in the body");
    assert_eq!(id.len(), 16);
    assert_eq!(
        a["attributes"]["alert_id"]["Value"], id,
        "and as a message attribute"
    );
    a["message"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vend_and_a_revert_each_send_one_alert_also_to_chat() {
    let (w, chat) = world_with_chat().await;
    let account = w.create_account("chatty", None).await;
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    let vend = one_alert(&w.alerts().await, "account_configured");
    let messages = chat_messages(&w, &chat).await;
    assert_eq!(messages.len(), 1, "{messages:#?}");
    let m = &messages[0];
    runas_guard::domain::chat::validate(m).unwrap_or_else(|e| panic!("{e}: {m:#}"));
    assert_eq!(
        (m["version"].as_str(), m["source"].as_str()),
        (Some("1.0"), Some("custom"))
    );
    assert_eq!(m["id"], vend["alert_id"]);
    assert_eq!(m["metadata"]["eventType"], "account_configured");
    assert_eq!(m["metadata"]["threadId"], account.as_str());

    w.console_edit(&account, "eu-west-1", "mallory").await;
    let event = doc_event("UpdateDocument", &account, "eu-west-1", "Admin");
    assert_eq!(w.handle(&event).0, 0);
    let revert = one_alert(&w.alerts().await, "drift_reverted");
    let messages = chat_messages(&w, &chat).await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    runas_guard::domain::chat::validate(m).unwrap();
    assert_eq!(m["id"], revert["alert_id"]);
    assert_eq!(m["metadata"]["threadId"], format!("{account}-eu-west-1"));
    let description = m["content"]["description"].as_str().unwrap();
    assert!(
        description.contains("`on/mallory` → `on/ssm-ops`"),
        "{description}"
    );
    assert!(description.contains("role/Admin"), "{description}");
    assert!(description.contains(
        &event["detail"]["sourceIPAddress"]
            .as_str()
            .unwrap()
            .to_string()
    ));

    // The same event again is a duplicate: no alert anywhere.
    assert_eq!(w.handle(&event).1["result"], "duplicate");
    assert!(w.alerts().await.is_empty());
    assert!(chat_messages(&w, &chat).await.is_empty());
    let _ = json!(null);
}

/// GitHub's heading anchors, to hold a runbook link to the README.
fn readme_anchors() -> Vec<String> {
    std::fs::read_to_string(repo().join("README.md"))
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("## ").or_else(|| l.strip_prefix("### ")))
        .map(|h| {
            h.trim()
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
                .map(|c| if c == ' ' { '-' } else { c })
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_say_which_account_by_name_and_ou_what_to_do_and_where_the_runbook_is() {
    let (mut w, chat) = world_with_chat().await;
    w.set_env(
        "RUNAS_GUARD_RUNBOOK_URL",
        "https://git.example.com/platform/runas-guard/blob/v0.3.0/README.md",
    );
    let workloads = w.create_ou(&w.root, "Workloads").await;
    let prod = w.create_ou(&workloads, "Prod").await;
    let account = w.create_account("payments-prod", Some(&prod)).await;
    assert_eq!(w.handle(&vend_event(&account)).0, 0);
    chat_messages(&w, &chat).await;
    let configured = one_alert(&w.alerts().await, "account_configured");
    assert_eq!(configured["account_name"], "payments-prod");
    assert_eq!(configured["ou_path"], "Root/Workloads/Prod");

    w.console_edit(&account, "eu-west-1", "mallory").await;
    let event = doc_event("UpdateDocument", &account, "eu-west-1", "Admin");
    assert_eq!(w.handle(&event).0, 0);
    let revert = one_alert(&w.alerts().await, "drift_reverted");
    assert_eq!(revert["account_name"], "payments-prod");
    assert_eq!(revert["ou_path"], "Root/Workloads/Prod");
    assert!(
        revert["next_steps"][0]
            .as_str()
            .unwrap()
            .contains("Ask the actor"),
        "{revert:#}"
    );
    let link = revert["runbook"].as_str().unwrap();
    let (base, anchor) = link.split_once('#').unwrap();
    assert_eq!(
        base,
        "https://git.example.com/platform/runas-guard/blob/v0.3.0/README.md"
    );
    assert!(
        readme_anchors().iter().any(|a| a == anchor),
        "#{anchor} is a README heading"
    );
    let m = &chat_messages(&w, &chat).await[0];
    runas_guard::domain::chat::validate(m).unwrap();
    let description = m["content"]["description"].as_str().unwrap();
    assert!(
        description.contains("(`payments-prod`, `Root/Workloads/Prod`)")
            && description.contains(&format!("*Runbook:* <{link}|runbook>")),
        "{description}"
    );
    assert_eq!(
        m["metadata"]["additionalContext"]["ou_path"],
        "Root/Workloads/Prod"
    );
}
