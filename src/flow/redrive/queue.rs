//! The SQS side of `redrive`: the hub stack's queues, every message read
//! and kept hidden while the run works, deleted when handled, and made
//! visible again when kept.

use std::collections::{BTreeMap, BTreeSet};

use super::{Ledger, Left, Row};
use crate::domain::aws_error::AwsError;
use crate::flow::redrive;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, Message, MessageSystemAttributeName,
};

/// One message received, with the queue it came from.
pub struct Received {
    pub queue: usize,
    pub message: Message,
}

/// What one queue gave: its messages and the bookkeeping of their handles.
pub struct Queue {
    pub url: String,
    pub ledger: Ledger,
    pub error: Option<String>,
    pub read: usize,
    /// Messages read that the run was not asked for (a redrive request
    /// names its messages): made visible again at the end, untouched.
    pub unwanted: Vec<String>,
}

/// Which messages a run replays: all it reads (up to its budget), or those
/// a redrive request named, by queue URL.
pub enum Wanted<'a> {
    All(usize),
    Named(&'a BTreeMap<String, BTreeSet<String>>),
}

impl Wanted<'_> {
    fn budget(&self) -> usize {
        match self {
            Wanted::All(max) => *max,
            Wanted::Named(named) => named.values().map(BTreeSet::len).sum(),
        }
    }

    fn wants(&self, url: &str, id: &str) -> bool {
        match self {
            Wanted::All(_) => true,
            Wanted::Named(named) => named.get(url).is_some_and(|ids| ids.contains(id)),
        }
    }

    /// Messages to ask for in one receive: a named message may come with
    /// others, so a request's run always asks for a full batch.
    fn batch(&self, budget: usize) -> i32 {
        match self {
            Wanted::All(_) => redrive::BATCH.min(budget as i32),
            Wanted::Named(_) => redrive::BATCH,
        }
    }

    /// Nothing more to look for in this queue.
    fn done(&self, url: &str, found: usize) -> bool {
        match self {
            Wanted::All(_) => false,
            Wanted::Named(named) => named.get(url).map_or(0, BTreeSet::len) <= found,
        }
    }
}

/// The hub stack's failure queues (their URLs are the resources' physical ids).
pub async fn stack_queues(
    config: &aws_config::SdkConfig,
    stack: &str,
) -> Result<Vec<String>, String> {
    let region = crate::adapters::aws::home_region(config);
    let client = aws_sdk_cloudformation::Client::new(config);
    let mut pages = client
        .list_stack_resources()
        .stack_name(stack)
        .into_paginator()
        .send();
    let mut found = BTreeMap::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            let e = AwsError::new("ListStackResources", "-", &region, &e);
            format!("--stack {stack}: {e}")
        })?;
        for r in page.stack_resource_summaries() {
            let at = redrive::STACK_QUEUES
                .iter()
                .position(|q| r.logical_resource_id() == Some(*q));
            if let (Some(at), Some(url)) = (at, r.physical_resource_id()) {
                found.insert(at, url.to_string());
            }
        }
    }
    if found.is_empty() {
        return Err(format!(
            "--stack {stack}: the stack has none of {}: is it the hub stack (infra/hub.yaml)?",
            redrive::STACK_QUEUES.join(", ")
        ));
    }
    Ok(found.into_values().collect())
}

/// Every queue read until it has nothing new twice in a row, or what is
/// wanted was found (`max` messages in all, or those named). Messages stay
/// hidden while the run works.
/// `hide`: how long each message read stays hidden (seconds): a replay's
/// run keeps what it works on hidden ([`redrive::HIDE_SECONDS`]); a listing
/// only long enough to tell read from unread ([`redrive::LIST_HIDE_SECONDS`]).
pub async fn collect(
    sqs: &aws_sdk_sqs::Client,
    region: &str,
    urls: Vec<String>,
    (wanted, hide): (Wanted<'_>, i32),
) -> (Vec<Queue>, Vec<Received>) {
    let (mut queues, mut received, mut budget) = (Vec::new(), Vec::new(), wanted.budget());
    for (at, url) in urls.into_iter().enumerate() {
        let mut q = Queue {
            url,
            ledger: Ledger::default(),
            error: None,
            read: 0,
            unwanted: Vec::new(),
        };
        while !q.ledger.exhausted() && budget > 0 && !wanted.done(&q.url, q.read) {
            let got = sqs
                .receive_message()
                .queue_url(&q.url)
                .max_number_of_messages(wanted.batch(budget))
                .visibility_timeout(hide)
                .wait_time_seconds(1)
                .message_attribute_names("All")
                .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
                .send()
                .await;
            let messages = match got {
                Ok(out) => out.messages().to_vec(),
                Err(e) => {
                    note(
                        &mut q,
                        AwsError::new("ReceiveMessage", "-", region, &e).to_string(),
                    );
                    break;
                }
            };
            let pairs: Vec<(String, String)> = messages
                .iter()
                .map(|m| {
                    let text = |s: Option<&str>| s.unwrap_or_default().to_string();
                    (text(m.message_id()), text(m.receipt_handle()))
                })
                .collect();
            let fresh = q.ledger.received(&pairs);
            for (message, new) in messages.into_iter().zip(fresh) {
                let id = message.message_id().unwrap_or_default();
                if new && !wanted.wants(&q.url, id) {
                    q.unwanted.push(id.to_string());
                } else if new {
                    budget -= 1;
                    q.read += 1;
                    received.push(Received { queue: at, message });
                }
            }
        }
        queues.push(q);
    }
    (queues, received)
}

/// How long ago the message was sent to its queue, in whole seconds (SQS's
/// `SentTimestamp`, epoch milliseconds); `None` when SQS did not say.
pub fn age_seconds(message: &Message, now: std::time::SystemTime) -> Option<u64> {
    let sent = message
        .attributes()?
        .get(&MessageSystemAttributeName::SentTimestamp)?;
    let sent = std::time::UNIX_EPOCH + std::time::Duration::from_millis(sent.parse().ok()?);
    Some(now.duration_since(sent).map_or(0, |d| d.as_secs()))
}

/// Deletes the row's message when the row says it leaves its queue; a
/// refused delete keeps it, and the row says so.
pub async fn settle(sqs: &aws_sdk_sqs::Client, region: &str, queues: &[Queue], row: &mut Row) {
    if !row.message.leaves_queue() {
        return;
    }
    let q = queues.iter().find(|q| q.url == row.queue);
    let handle = q.and_then(|q| q.ledger.handle(&row.message_id));
    let deleted = sqs
        .delete_message()
        .queue_url(&row.queue)
        .receipt_handle(handle.unwrap_or_default())
        .send()
        .await;
    if let Err(e) = deleted {
        let e = AwsError::new("DeleteMessage", "-", region, &e);
        row.message = Left::Kept;
        row.reason = format!("{}; not deleted: {e}", row.reason);
    }
}

/// Makes the messages this run keeps visible again (ten per call). One whose
/// visibility already ran out is visible: nothing to do.
pub async fn visible_again(sqs: &aws_sdk_sqs::Client, region: &str, q: &mut Queue, ids: &[String]) {
    let mut refused = 0;
    for chunk in ids.chunks(10) {
        let entries = chunk.iter().enumerate().map(|(i, id)| {
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(q.ledger.handle(id).unwrap_or_default())
                .visibility_timeout(0)
                .build()
                .expect("id and receipt handle are set")
        });
        let sent = sqs
            .change_message_visibility_batch()
            .queue_url(&q.url)
            .set_entries(Some(entries.collect()))
            .send()
            .await;
        match sent {
            Ok(out) => {
                refused += out
                    .failed()
                    .iter()
                    .filter(|f| f.code() != "MessageNotInflight")
                    .count()
            }
            Err(e) => {
                let e = AwsError::new("ChangeMessageVisibilityBatch", "-", region, &e);
                let said = format!(
                    "{e}; the messages kept become visible again {} s after they were read",
                    redrive::HIDE_SECONDS
                );
                return note(q, said);
            }
        }
    }
    if refused > 0 {
        let said = format!("{refused} message(s) kept could not be made visible again; they become visible {} s after they were read", redrive::HIDE_SECONDS);
        note(q, said);
    }
}

/// A queue's errors, in the order they happened.
pub fn note(q: &mut Queue, said: String) {
    q.error = Some(match q.error.take() {
        Some(before) => format!("{before}; {said}"),
        None => said,
    });
}
