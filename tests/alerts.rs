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

/// The alert cards' headings (`### `kind``), to hold a runbook link to
/// its card.
fn card_anchors() -> Vec<String> {
    std::fs::read_to_string(repo().join("docs/operate.md"))
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("### `")?.strip_suffix('`'))
        .map(str::to_string)
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
        "https://git.example.com/platform/runas-guard/blob/v0.3.0/docs/operate.md"
    );
    assert_eq!(anchor, "drift_reverted");
    assert!(
        card_anchors().iter().any(|a| a == anchor),
        "#{anchor} is an alert card"
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

/// The sweep summaries (and only them) among `alerts`.
fn summaries(alerts: &[Value]) -> Vec<&Value> {
    of_kind(alerts, "sweep_summary")
        .into_iter()
        .map(|a| &a["message"])
        .collect()
}

/// What the pager filter lets through (`{"severity": ["critical", "error"]}`).
fn pages(alerts: &[Value]) -> usize {
    alerts
        .iter()
        .filter(|a| {
            matches!(
                a["message"]["severity"].as_str(),
                Some("critical" | "error")
            )
        })
        .count()
}

/// Issue 63: one page per cause. A member role missing in one account
/// (AssumeRole refused, as AWS answers while the role is not there, past
/// the pending window) over three sweeps pages once: the first summary at
/// `error`; the second sweep, within a day of it, sends none (issue 82: a
/// persisting failure is mailed at most once a day); the third, a day
/// after the last mail (its recorded time moved back), at `warning` with
/// `still_failing` and the same `dedup_key`, with its own `alert_id`. The
/// events about the account in between carry that same key on their
/// `remediation_failed` (the same failed rows). A second account failing
/// too changes the failing set: a new page under a new key, told at once.
#[tokio::test(flavor = "multi_thread")]
async fn the_same_failing_set_pages_once_over_three_sweeps_and_a_changed_one_pages_again() {
    use common::proxy::Proxy;
    let mut w = World::new().await;
    let proxy = w.behind_proxy();
    let a = w.create_account("broken", None).await;
    let b = w.create_account("fine", None).await;
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let first = w.alerts().await;
    assert_eq!(pages(&first), 0, "all configured: {first:#?}");
    // Both accounts joined over a second ago: a refused role is a failure
    // now, not a vend waiting for its member stack.
    w.set_env("RUNAS_GUARD_PENDING_WINDOW_SECONDS", "1");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let refuse = |proxy: &Proxy, accounts: &[&str]| {
        let rules: Vec<Value> = accounts
            .iter()
            .map(|acct| json!({"name": format!("no-role-{acct}"), "service": "sts", "action": "AssumeRole",
                "contains": format!("{acct}:role/RunAsGuardExecution"), "status": 403, "code": "AccessDenied",
                "protocol": "query", "message": "User is not authorized to perform: sts:AssumeRole"}))
            .collect();
        proxy.faults(Value::Array(rules));
    };
    let fired = |proxy: &Proxy, acct: &str| {
        proxy.hits()[format!("no-role-{acct}")]["hits"]
            .as_u64()
            .unwrap_or(0)
            > 0
    };

    refuse(&proxy, &[&a]);
    let mut told = Vec::new();
    let mut paged = 0;
    for n in 0..3 {
        if n == 2 {
            mailed_a_day_ago(&w).await;
        }
        let (code, out) = w.handle(&sweep_event());
        assert_eq!(
            code, 0,
            "sweep {n}: a failed account-region is the summary's: {out:#}"
        );
        assert!(fired(&proxy, &a), "sweep {n}: the refusal fired");
        let alerts = w.alerts().await;
        paged += pages(&alerts);
        let s = summaries(&alerts);
        // Within a day of the last mail the same set is quiet.
        assert_eq!(s.len(), usize::from(n != 1), "sweep {n}: {alerts:#?}");
        told.extend(s.first().map(|s| (*s).clone()));
        // Between sweeps, an event about the broken account: its failure
        // is its own alert, under the failing set's key.
        if n == 1 {
            let (code, out) = w.handle(&vend_event(&a));
            assert_eq!(code, 1, "the event's work failed: {out:#}");
            let failed = w.alerts().await;
            let failed = of_kind(&failed, "remediation_failed");
            assert_eq!(failed.len(), 1, "{failed:#?}");
            assert_eq!(failed[0]["message"]["dedup_key"], told[0]["dedup_key"]);
            assert_ne!(failed[0]["message"]["alert_id"], told[0]["alert_id"]);
        }
    }
    assert_eq!(paged, 1, "three sweeps, one page: {told:#?}");
    assert_eq!(told.len(), 2, "three sweeps, two mails: {told:#?}");
    let key = told[0]["dedup_key"].as_str().unwrap().to_string();
    assert!(key.starts_with("failing-2-"), "two account-regions: {key}");
    assert_eq!(
        (
            told[0]["severity"].as_str(),
            told[0]["still_failing"].as_bool()
        ),
        (Some("error"), Some(false)),
        "{:#}",
        told[0]
    );
    for repeat in &told[1..] {
        assert_eq!(repeat["dedup_key"], key.as_str(), "{repeat:#}");
        assert_eq!(repeat["severity"], "warning", "{repeat:#}");
        assert_eq!(repeat["still_failing"], true, "{repeat:#}");
        assert_eq!(repeat["failed"], 2, "{repeat:#}");
    }
    let ids: std::collections::BTreeSet<&str> = told
        .iter()
        .map(|t| t["alert_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "each sweep's own alert_id");

    // The failing set changes: the second account fails too. A new page,
    // under a new key, told at once; its repeat within the day is quiet.
    refuse(&proxy, &[&a, &b]);
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert!(fired(&proxy, &b), "the second refusal fired");
    let alerts = w.alerts().await;
    assert_eq!(pages(&alerts), 1, "{alerts:#?}");
    let changed = summaries(&alerts)[0].clone();
    assert_eq!(
        (
            changed["severity"].as_str(),
            changed["still_failing"].as_bool()
        ),
        (Some("error"), Some(false)),
        "{changed:#}"
    );
    let new_key = changed["dedup_key"].as_str().unwrap();
    assert!(new_key.starts_with("failing-4-"), "{new_key}");
    assert_ne!(new_key, key);
    let (code, _) = w.handle(&sweep_event());
    assert_eq!(code, 0);
    let alerts = w.alerts().await;
    assert_eq!(pages(&alerts), 0, "{alerts:#?}");
    assert!(summaries(&alerts).is_empty(), "{alerts:#?}");
    let last = w
        .items()
        .await
        .into_iter()
        .find(|i| i["pk"] == "SWEEPS" && i["sk"] == "LAST");
    assert_eq!(
        last.as_ref().map(|l| l["failing"].as_str()),
        Some(new_key),
        "{last:#?}"
    );
}

/// The last whole sweep's record says its failing set was last mailed a
/// day and an hour ago (as the sweep that mailed it wrote the time).
async fn mailed_a_day_ago(w: &World) {
    use aws_sdk_dynamodb::types::AttributeValue;
    let ddb = aws_sdk_dynamodb::Client::new(&w.cfg);
    let ago = std::time::SystemTime::now() - std::time::Duration::from_secs(25 * 3600);
    let at = runas_guard::domain::clock::iso(ago);
    ddb.update_item()
        .table_name(&w.table)
        .key("pk", AttributeValue::S("SWEEPS".into()))
        .key("sk", AttributeValue::S("LAST".into()))
        .update_expression("SET failing_told = :at")
        .condition_expression("attribute_exists(failing_told)")
        .expression_attribute_values(":at", AttributeValue::S(at))
        .send()
        .await
        .expect("the last sweep recorded when it mailed its failing set");
}
