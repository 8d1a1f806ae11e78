//! SNS (`Publish`, awsQuery: every message recorded with its time, subject,
//! body and attributes; an unknown topic is `NotFound`) and SQS (the sweep
//! queue, awsJson 1.0: `SendMessage`, `SendMessageBatch` with `DelaySeconds`,
//! a visibility timeout, a dead-letter queue after `maxReceiveCount`
//! receives; the event source mapping that hands batches to the function
//! lives in the driver).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::wire::Answer;

#[derive(Debug, Clone)]
pub struct Published {
    pub at_ms: i64,
    pub subject: String,
    pub message: Value,
    pub alert_id: Option<String>,
}

#[derive(Default)]
pub struct Sns {
    pub topics: Vec<String>,
    pub published: Vec<Published>,
    serial: u64,
}

impl Sns {
    pub fn handle(&mut self, op: &str, input: &Value, now: i64) -> Option<Answer> {
        let f = |k: &str| {
            input
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Some(match op {
            "Publish" => {
                let topic = f("TopicArn");
                if !self.topics.contains(&topic) {
                    return Some(Answer::err("NotFound", "Topic does not exist"));
                }
                let message = f("Message");
                if message.len() > 256 * 1024 {
                    return Some(Answer::err(
                        "InvalidParameter",
                        "Invalid parameter: Message too long",
                    ));
                }
                let mut alert_id = None;
                for i in 1..=10 {
                    if f(&format!("MessageAttributes.entry.{i}.Name")) == "alert_id" {
                        alert_id =
                            Some(f(&format!("MessageAttributes.entry.{i}.Value.StringValue")));
                    }
                }
                self.serial += 1;
                self.published.push(Published {
                    at_ms: now,
                    subject: f("Subject"),
                    message: body(&message, &f("MessageStructure")),
                    alert_id,
                });
                Answer::Xml(format!(
                    "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult><MessageId>sim-{:08}</MessageId></PublishResult><ResponseMetadata><RequestId>sim</RequestId></ResponseMetadata></PublishResponse>",
                    self.serial
                ))
            }
            _ => return None,
        })
    }
}

/// The alert's JSON: the message itself, or with `MessageStructure`
/// `json`, its `default` (the copy every protocol without its own gets).
fn body(message: &str, structure: &str) -> Value {
    let v: Value = serde_json::from_str(message).unwrap_or(Value::String(message.into()));
    match (structure, v.get("default").and_then(Value::as_str)) {
        ("json", Some(d)) => serde_json::from_str(d).unwrap_or(Value::String(d.into())),
        _ => v,
    }
}

#[derive(Debug, Clone)]
pub struct Message {
    pub id: String,
    pub body: String,
    pub visible_ms: i64,
    pub receives: u32,
    /// Received and not yet deleted (by whom: an invocation's number).
    pub receipt: Option<u64>,
}

#[derive(Default)]
pub struct Queue {
    pub messages: Vec<Message>,
    pub dead: Vec<Message>,
}

pub struct Sqs {
    pub queues: BTreeMap<String, Queue>,
    pub visibility_ms: i64,
    pub max_receives: u32,
    serial: u64,
}

impl Default for Sqs {
    fn default() -> Self {
        // infra/hub.yaml: VisibilityTimeout 5400, maxReceiveCount 3.
        Sqs {
            queues: BTreeMap::new(),
            visibility_ms: 5_400_000,
            max_receives: 3,
            serial: 0,
        }
    }
}

impl Sqs {
    fn send(&mut self, url: &str, body: &str, delay: i64, now: i64) -> Result<String, Answer> {
        if !(0..=900).contains(&delay) {
            return Err(Answer::err(
                "InvalidParameterValue",
                "DelaySeconds must be 0 to 900",
            ));
        }
        if body.is_empty() || body.len() > 256 * 1024 {
            return Err(Answer::err("InvalidParameterValue", "message body size"));
        }
        self.serial += 1;
        let id = format!("m-{:08}", self.serial);
        let Some(q) = self.queues.get_mut(url) else {
            return Err(Answer::err(
                "AWS.SimpleQueueService.NonExistentQueue",
                "The specified queue does not exist.",
            ));
        };
        q.messages.push(Message {
            id: id.clone(),
            body: body.into(),
            visible_ms: now + delay * 1000,
            receives: 0,
            receipt: None,
        });
        Ok(id)
    }

    pub fn handle(&mut self, op: &str, input: &Value, now: i64) -> Option<Answer> {
        let url = input
            .get("QueueUrl")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Some(match op {
            "SendMessage" => {
                let body = input
                    .get("MessageBody")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let delay = input
                    .get("DelaySeconds")
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                match self.send(&url, body, delay, now) {
                    Ok(id) => Answer::Json(json!({"MessageId": id})),
                    Err(e) => e,
                }
            }
            "SendMessageBatch" => {
                let entries = input
                    .get("Entries")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                // SendMessageBatch's errors (SQS API reference): none is
                // EmptyBatchRequest, two entries with one Id BatchEntryIdsNotDistinct.
                if entries.is_empty() {
                    return Some(Answer::err(
                        "AWS.SimpleQueueService.EmptyBatchRequest",
                        "There should be at least one SendMessageBatchRequestEntry in the request.",
                    ));
                }
                let ids: std::collections::BTreeSet<&str> =
                    entries.iter().filter_map(|e| e["Id"].as_str()).collect();
                if ids.len() != entries.len() {
                    return Some(Answer::err(
                        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                        "Two or more batch entries in the request have the same Id.",
                    ));
                }
                if entries.len() > 10 {
                    return Some(Answer::err(
                        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                        "1 to 10 entries",
                    ));
                }
                let total: usize = entries
                    .iter()
                    .map(|e| e["MessageBody"].as_str().map_or(0, str::len))
                    .sum();
                if total > 256 * 1024 {
                    return Some(Answer::err(
                        "AWS.SimpleQueueService.BatchRequestTooLong",
                        "batch too long",
                    ));
                }
                let mut ok = vec![];
                for e in &entries {
                    let body = e["MessageBody"].as_str().unwrap_or_default();
                    let delay = e.get("DelaySeconds").and_then(Value::as_i64).unwrap_or(0);
                    match self.send(&url, body, delay, now) {
                        Ok(id) => ok.push(json!({"Id": e["Id"], "MessageId": id})),
                        Err(err) => return Some(err),
                    }
                }
                Answer::Json(json!({"Successful": ok, "Failed": []}))
            }
            "GetQueueAttributes" => match self.queues.get(&url) {
                None => Answer::err(
                    "AWS.SimpleQueueService.NonExistentQueue",
                    "The specified queue does not exist.",
                ),
                Some(q) => Answer::Json(json!({"Attributes": {
                    "ApproximateNumberOfMessages": q.messages.iter().filter(|m| m.visible_ms <= now).count().to_string(),
                    "ApproximateNumberOfMessagesNotVisible": q.messages.iter().filter(|m| m.visible_ms > now).count().to_string(),
                    "VisibilityTimeout": (self.visibility_ms / 1000).to_string()}})),
            },
            _ => return None,
        })
    }

    /// The event source mapping's poll: up to `batch` visible messages,
    /// each received once more; one past `max_receives` goes to the
    /// dead-letter queue instead.
    pub fn receive(&mut self, url: &str, batch: usize, now: i64, invocation: u64) -> Vec<Message> {
        let (visibility, max) = (self.visibility_ms, self.max_receives);
        let Some(q) = self.queues.get_mut(url) else {
            return vec![];
        };
        let mut out = vec![];
        let mut dead = vec![];
        for m in q.messages.iter_mut().filter(|m| m.visible_ms <= now) {
            if m.receives >= max {
                dead.push(m.id.clone());
                continue;
            }
            if out.len() == batch {
                break;
            }
            m.receives += 1;
            m.visible_ms = now + visibility;
            m.receipt = Some(invocation);
            out.push(m.clone());
        }
        for id in dead {
            if let Some(i) = q.messages.iter().position(|m| m.id == id) {
                let m = q.messages.remove(i);
                q.dead.push(m);
            }
        }
        out
    }

    /// A message handled: gone from the queue.
    pub fn delete(&mut self, url: &str, id: &str) {
        if let Some(q) = self.queues.get_mut(url) {
            q.messages.retain(|m| m.id != id);
        }
    }

    /// The next time a message becomes visible, if any.
    pub fn next_visible(&self, url: &str) -> Option<i64> {
        self.queues
            .get(url)?
            .messages
            .iter()
            .map(|m| m.visible_ms)
            .min()
    }
}
