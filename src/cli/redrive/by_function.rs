//! `redrive --stack` / `--function`: the seat reads what its failure queues
//! hold (to show it, and to name it), makes it visible again at once, and
//! asks the function's `operator` alias to redrive those messages by id.
//! The function reads them from its own queues, replays them with its own
//! roles and deletes what it handled; the seat hands it no event.

use std::collections::BTreeMap;

use runas_guard::adapters::aws::lambda::Function;
use runas_guard::domain::request::{Named, Request, MAX_NAMED};
use runas_guard::flow::reactor::Reactor;
use runas_guard::flow::redrive::queue::{visible_again, Queue, Received};
use runas_guard::flow::redrive::replay::{Deployed, Replayer};
use runas_guard::flow::redrive::run::{read_all, Mode};
use runas_guard::flow::redrive::{Got, Left, QueueRead, Row};
use serde_json::Value;

pub(super) struct Asked<'a> {
    pub(super) function: &'a Function,
    pub(super) sqs: &'a aws_sdk_sqs::Client,
    pub(super) region: &'a str,
}

type Key = (String, String);

impl Asked<'_> {
    /// The queues' reads and one row per message read: the function's row
    /// where it answered, else the seat's reading with why it stays.
    pub(super) async fn redrive(
        &self,
        reactor: &Reactor,
        mut queues: Vec<Queue>,
        received: Vec<Received>,
        mode: Mode,
    ) -> (Vec<QueueRead>, Vec<Row>) {
        let (readable, unreadable) = read_all(reactor, &queues, received, mode);
        // In replay order: what no replay can handle first (the function
        // drops it only when asked), then events newest first, sweeps last.
        let mut seen: Vec<(Key, Row)> = unreadable
            .into_iter()
            .map(|mut r| {
                r.message = Left::Kept;
                ((r.queue.clone(), r.message_id.clone()), r)
            })
            .collect();
        for (r, replay) in &readable {
            let url = &queues[r.queue].url;
            let id = r.message.message_id().unwrap_or_default();
            let row = Row::of_message(
                url,
                id,
                replay,
                &r.message,
                Got::Failed,
                String::new(),
                mode,
            );
            seen.push(((url.clone(), id.to_string()), row));
        }
        // Visible again before the function looks for them.
        for q in queues.iter_mut() {
            let ids: Vec<String> = (seen.iter())
                .filter(|((url, _), _)| *url == q.url)
                .map(|((_, id), _)| id.clone())
                .collect();
            visible_again(self.sqs, self.region, q, &ids).await;
        }
        let mut notes: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut rows = Vec::new();
        for chunk in seen.chunks(MAX_NAMED) {
            rows.extend(self.ask(chunk, mode, &mut notes).await);
        }
        let reads = queues.into_iter().map(|q| {
            let mut error = q.error;
            if let Some(n) = notes.remove(&q.url) {
                error = Some(error.into_iter().chain(n).collect::<Vec<_>>().join("; "));
            }
            QueueRead {
                url: q.url,
                read: q.read,
                error,
            }
        });
        (reads.collect(), rows)
    }

    /// One request for `chunk`'s messages: the function's rows, and the
    /// seat's for those it did not handle (kept, with the reason).
    async fn ask(
        &self,
        chunk: &[(Key, Row)],
        mode: Mode,
        notes: &mut BTreeMap<String, Vec<String>>,
    ) -> Vec<Row> {
        let messages: Vec<Named> = (chunk.iter())
            .map(|((queue, message_id), _)| Named {
                queue: queue.clone(),
                message_id: message_id.clone(),
            })
            .collect();
        let request = Request::Redrive {
            messages,
            drop_unreadable: mode.drop_unreadable,
        };
        let answer = Deployed(self.function)
            .replay(&request.payload(), "redrive")
            .await;
        let why = match (answer.failed, &answer.rejected) {
            (true, _) => Some(reason(&answer.body, "the function failed")),
            (false, Some(r)) => Some(format!("the function refused the request: {r}")),
            (false, None) if answer.body["result"] != "redrive" => Some(format!(
                "the function answered something that is not a redrive's answer: {}",
                answer.body
            )),
            _ => None,
        };
        if let Some(why) = why {
            return chunk.iter().map(|(_, r)| kept(r, &why)).collect();
        }
        noted(&answer.body, notes);
        let mut answered: BTreeMap<Key, Row> = BTreeMap::new();
        for r in answer.body["rows"].as_array().into_iter().flatten() {
            if let Ok(row) = serde_json::from_value::<Row>(r.clone()) {
                answered.insert((row.queue.clone(), row.message_id.clone()), row);
            }
        }
        let missing = "the function did not find it in its queue (another run read or deleted it meanwhile): run redrive again";
        let mut rows = Vec::new();
        // The function's rows in its replay order, then what it lacked.
        for r in answer.body["rows"].as_array().into_iter().flatten() {
            let key = (r["queue"].as_str(), r["message_id"].as_str());
            if let (Some(q), Some(id)) = key {
                if let Some(row) = answered.remove(&(q.to_string(), id.to_string())) {
                    rows.push(row);
                }
            }
        }
        let handled: std::collections::BTreeSet<Key> = (rows.iter())
            .map(|r| (r.queue.clone(), r.message_id.clone()))
            .collect();
        rows.extend(
            (chunk.iter())
                .filter(|(k, _)| !handled.contains(k))
                .map(|(_, r)| kept(r, missing)),
        );
        rows
    }
}

/// What went wrong reading each queue, as the function says it.
fn noted(body: &Value, notes: &mut BTreeMap<String, Vec<String>>) {
    for q in body["queues"].as_array().into_iter().flatten() {
        if let (Some(url), Some(e)) = (q["url"].as_str(), q["error"].as_str()) {
            let said = format!("the function: {e}");
            notes.entry(url.to_string()).or_default().push(said);
        }
    }
}

/// The seat's row of a message the function did not handle: it stays.
fn kept(row: &Row, why: &str) -> Row {
    let mut row = row.clone();
    if !row.result.unreplayable() {
        row.result = Got::Failed;
    }
    row.message = Left::Kept;
    row.reason = match row.reason.is_empty() {
        true => why.to_string(),
        false => format!("{}; {why}", row.reason),
    };
    row
}

fn reason(body: &Value, default: &str) -> String {
    body["reason"].as_str().unwrap_or(default).to_string()
}
