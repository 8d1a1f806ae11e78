//! The differential check's SNS and SQS scenario.

use super::*;

/// SNS `Publish` (what the topic's subscriber receives against the
/// simulator's record) and SQS `SendMessage`/`SendMessageBatch`.
pub(super) async fn messaging(side: &mut Side, tape: &mut Tape) {
    use aws_sdk_sns::types::MessageAttributeValue;
    use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
    let topic = format!("arn:aws:sns:{REGION}:{HUB}:{TOPIC}");
    let sweep = side.queue_url(QUEUE);
    let sns = aws_sdk_sns::Client::new(&side.cfg);
    let sqs = aws_sdk_sqs::Client::new(&side.cfg);
    match side.sim.clone() {
        Some(sim) => {
            let mut s = sim.lock().unwrap();
            s.sns.topics.push(topic.clone());
            s.sqs.queues.insert(sweep.clone(), Default::default());
        }
        None => {
            sns.create_topic().name(TOPIC).send().await.unwrap();
            sqs.create_queue().queue_name(QUEUE).send().await.unwrap();
            sqs.create_queue()
                .queue_name("alerts")
                .send()
                .await
                .unwrap();
            sns.subscribe()
                .topic_arn(&topic)
                .protocol("sqs")
                .endpoint(format!("arn:aws:sqs:{REGION}:{HUB}:alerts"))
                .send()
                .await
                .unwrap();
        }
    }
    let s = &*side;
    let attr = |v: &str| {
        MessageAttributeValue::builder()
            .data_type("String")
            .string_value(v)
            .build()
            .unwrap()
    };
    let r = sns
        .publish()
        .topic_arn(&topic)
        .subject("runas-guard: drift")
        .message(json!({"kind": "drift_reverted", "alert_id": "al-1"}).to_string())
        .message_attributes("alert_id", attr("al-1"))
        .send()
        .await;
    rec(
        tape,
        s,
        "messaging/publish",
        answer(r, |o| json!({"MessageId": o.message_id().is_some()})),
    );
    let r = sns
        .publish()
        .topic_arn(&topic)
        .subject("runas-guard: window")
        .message_structure("json")
        .message(json!({"default": json!({"kind": "run_as_window", "alert_id": "al-2"}).to_string(), "email": "a window"}).to_string())
        .message_attributes("alert_id", attr("al-2"))
        .send()
        .await;
    rec(
        tape,
        s,
        "messaging/publish structured",
        answer(r, |o| json!({"MessageId": o.message_id().is_some()})),
    );
    let r = sns
        .publish()
        .topic_arn(format!("arn:aws:sns:{REGION}:{HUB}:missing"))
        .message("x")
        .send()
        .await;
    rec(
        tape,
        s,
        "messaging/publish to a missing topic",
        answer(r, |o| json!({"MessageId": o.message_id().is_some()})),
    );
    let r = sns
        .publish()
        .topic_arn(&topic)
        .message("x".repeat(262_145))
        .send()
        .await;
    rec(
        tape,
        s,
        "messaging/publish too long",
        answer(r, |o| json!({"MessageId": o.message_id().is_some()})),
    );

    let send = |body: &str, delay: i32, url: &str| {
        sqs.send_message()
            .queue_url(url)
            .message_body(body)
            .delay_seconds(delay)
            .send()
    };
    let ok = |o: aws_sdk_sqs::operation::send_message::SendMessageOutput| json!({"MessageId": o.message_id().is_some()});
    rec(
        tape,
        s,
        "messaging/send",
        answer(send("now", 0, &sweep).await, ok),
    );
    rec(
        tape,
        s,
        "messaging/send delayed",
        answer(send("later", 600, &sweep).await, ok),
    );
    rec(
        tape,
        s,
        "messaging/send delayed past 900 s",
        answer(send("never", 901, &sweep).await, ok),
    );
    rec(
        tape,
        s,
        "messaging/send to a missing queue",
        answer(send("lost", 0, &s.queue_url("missing")).await, ok),
    );
    let entry = |id: &str, body: &str, delay: i32| {
        SendMessageBatchRequestEntry::builder()
            .id(id)
            .message_body(body)
            .delay_seconds(delay)
            .build()
            .unwrap()
    };
    let batch = |entries: Vec<SendMessageBatchRequestEntry>| {
        sqs.send_message_batch()
            .queue_url(&sweep)
            .set_entries(Some(entries))
            .send()
    };
    let out = |o: aws_sdk_sqs::operation::send_message_batch::SendMessageBatchOutput| {
        let mut ids: Vec<&str> = o.successful().iter().map(|e| e.id()).collect();
        ids.sort();
        json!({"Successful": ids, "Failed": o.failed().len()})
    };
    let r = batch(vec![
        entry("e1", "b1", 0),
        entry("e2", "b2", 0),
        entry("e3", "b3", 600),
    ])
    .await;
    rec(tape, s, "messaging/batch", answer(r, out));
    let r = batch((0..11).map(|i| entry(&format!("e{i}"), "x", 0)).collect()).await;
    rec(tape, s, "messaging/batch of 11", answer(r, out));
    let r = batch(vec![]).await;
    rec(tape, s, "messaging/batch of none", answer(r, out));
    let r = batch(vec![entry("same", "d1", 0), entry("same", "d2", 0)]).await;
    rec(tape, s, "messaging/batch with one id twice", answer(r, out));

    // End state: what the subscriber got against what the simulator
    // recorded as published; the sweep queue's messages.
    let (published, visible, delayed) = match side.sim.clone() {
        Some(sim) => {
            let st = sim.lock().unwrap();
            let now = aws::now_ms();
            let published: Vec<Value> = st
                .sns
                .published
                .iter()
                .map(
                    |p| json!({"Subject": p.subject, "Message": p.message, "alert_id": p.alert_id}),
                )
                .collect();
            let q = &st.sqs.queues[&sweep];
            let visible: Vec<String> = q
                .messages
                .iter()
                .filter(|m| m.visible_ms <= now)
                .map(|m| m.body.clone())
                .collect();
            let delayed = q.messages.iter().filter(|m| m.visible_ms > now).count();
            (published, visible, delayed)
        }
        None => {
            let alerts = s.queue_url("alerts");
            let mut published = vec![];
            for m in drain(&sqs, &alerts).await {
                let env: Value = serde_json::from_str(&m).expect("an SNS envelope");
                let message = env["Message"].as_str().unwrap_or_default();
                published.push(json!({
                    "Subject": env["Subject"],
                    "Message": serde_json::from_str::<Value>(message).unwrap_or(json!(message)),
                    "alert_id": env["MessageAttributes"]["alert_id"]["Value"],
                }));
            }
            let visible = drain(&sqs, &sweep).await;
            let attrs = sqs
                .get_queue_attributes()
                .queue_url(&sweep)
                .attribute_names(
                    aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesDelayed,
                )
                .send()
                .await
                .unwrap();
            let delayed = attrs
                .attributes()
                .and_then(|a| {
                    a.get(
                        &aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesDelayed,
                    )
                })
                .and_then(|n| n.parse().ok())
                .unwrap_or(0usize);
            (published, visible, delayed)
        }
    };
    let mut published = published;
    published.sort_by_key(|p| p["alert_id"].to_string());
    let mut visible = visible;
    visible.sort();
    rec(tape, s, "messaging/end: published", json!(published));
    rec(
        tape,
        s,
        "messaging/end: sweep queue",
        json!({"visible": visible, "delayed": delayed}),
    );
}

/// Every visible message's body (received and deleted).
async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let mut out = vec![];
    loop {
        let r = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        if r.messages().is_empty() {
            return out;
        }
        for m in r.messages() {
            out.push(m.body().unwrap_or_default().to_string());
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}
