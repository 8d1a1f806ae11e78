//! `redrive --stack` / `--function`: the seat reads no queue. It asks the
//! function's `operator` alias to list what the failure queues hold (the
//! function reads them, hiding each message only while it lists, see
//! `LIST_HIDE_SECONDS`), then to redrive those messages by id. The function
//! reads them from its own queues, replays them with its own roles and
//! deletes what it handled; the seat hands it no event and can hide no
//! message.

use std::collections::{BTreeMap, BTreeSet};

use runas_guard::adapters::aws::lambda::Function;
use runas_guard::domain::request::{Named, Request, MAX_LISTED, MAX_NAMED};
use runas_guard::flow::redrive::replay::{Deployed, Replayer};
use runas_guard::flow::redrive::run::Mode;
use runas_guard::flow::redrive::{Got, Left, QueueRead, Row};
use serde_json::Value;

pub(super) struct Asked<'a> {
    pub(super) function: &'a Function,
}

type Key = (String, String);

impl Asked<'_> {
    /// The function's listing: at most `max` messages (and with `message_id`,
    /// that one, its body shown). `Err`: why there is none.
    pub(super) async fn list(
        &self,
        max: usize,
        message_id: Option<&str>,
    ) -> Result<(Vec<QueueRead>, Vec<Row>), String> {
        let request = Request::List {
            max: max.clamp(1, MAX_LISTED),
            message_id: message_id.map(str::to_string),
        };
        let answer = Deployed(self.function)
            .replay(&request.payload(), "list")
            .await;
        if let Some(why) = unanswered(&answer, "list") {
            return Err(format!("cannot list the failure queues: {why}"));
        }
        let queues = (answer.body["queues"].as_array().into_iter().flatten())
            .filter_map(|q| serde_json::from_value::<QueueRead>(q.clone()).ok());
        let rows = (answer.body["rows"].as_array().into_iter().flatten())
            .filter_map(|r| serde_json::from_value::<Row>(r.clone()).ok());
        Ok((queues.collect(), rows.collect()))
    }

    /// Lists, then asks for a redrive of what was listed, until `max`
    /// messages were handed over or a listing shows nothing new: each round's
    /// handled messages are gone from the queues, so the next listing shows
    /// the others. A dry run is the first listing. `only`: the queues named
    /// (`--queue`); empty, all the function's failure queues.
    pub(super) async fn redrive(
        &self,
        max: usize,
        mode: Mode,
        only: &[String],
    ) -> Result<(Vec<QueueRead>, Vec<Row>), String> {
        let (mut reads, mut rows): (Vec<QueueRead>, Vec<Row>) = (Vec::new(), Vec::new());
        let mut seen: BTreeSet<Key> = BTreeSet::new();
        while seen.len() < max {
            let (mut queues, listed) = self.list(max - seen.len(), None).await?;
            let named = |url: &str| only.is_empty() || only.iter().any(|q| q == url);
            queues.retain(|q| named(&q.url));
            merge(&mut reads, queues);
            let fresh: Vec<Row> = (listed.into_iter())
                .filter(|r| named(&r.queue))
                .filter(|r| seen.insert((r.queue.clone(), r.message_id.clone())))
                .collect();
            if mode.dry_run {
                rows.extend(fresh);
                break;
            }
            if fresh.is_empty() {
                break;
            }
            let mut notes: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for chunk in fresh.chunks(MAX_NAMED) {
                rows.extend(self.ask(chunk, mode, &mut notes).await);
            }
            for q in reads.iter_mut() {
                if let Some(n) = notes.remove(&q.url) {
                    let all = q.error.take().into_iter().chain(n);
                    q.error = Some(all.collect::<Vec<_>>().join("; "));
                }
            }
        }
        Ok((reads, rows))
    }

    /// One request for `chunk`'s messages: the function's rows, and the
    /// listed row for those it did not handle (kept, with the reason).
    async fn ask(
        &self,
        chunk: &[Row],
        mode: Mode,
        notes: &mut BTreeMap<String, Vec<String>>,
    ) -> Vec<Row> {
        let messages: Vec<Named> = (chunk.iter())
            .map(|r| Named {
                queue: r.queue.clone(),
                message_id: r.message_id.clone(),
            })
            .collect();
        let request = Request::Redrive {
            messages,
            drop_unreadable: mode.drop_unreadable,
        };
        let answer = Deployed(self.function)
            .replay(&request.payload(), "redrive")
            .await;
        if let Some(why) = unanswered(&answer, "redrive") {
            return chunk.iter().map(|r| kept(r, &why)).collect();
        }
        noted(&answer.body, notes);
        // The function's rows in its replay order, then what it lacked.
        let mut rows: Vec<Row> = (answer.body["rows"].as_array().into_iter().flatten())
            .filter_map(|r| serde_json::from_value::<Row>(r.clone()).ok())
            .collect();
        let handled: BTreeSet<Key> = (rows.iter())
            .map(|r| (r.queue.clone(), r.message_id.clone()))
            .collect();
        let missing = "the function did not find it in its queue (another run read or deleted it meanwhile): run redrive again";
        rows.extend(
            (chunk.iter())
                .filter(|r| !handled.contains(&(r.queue.clone(), r.message_id.clone())))
                .map(|r| kept(r, missing)),
        );
        rows
    }
}

/// Why the function's answer is not the answer to a `result` request.
fn unanswered(answer: &runas_guard::flow::dispatch::Answer, result: &str) -> Option<String> {
    match (answer.failed, &answer.rejected) {
        (true, _) => Some(
            (answer.body["reason"].as_str())
                .unwrap_or("the function failed")
                .to_string(),
        ),
        (false, Some(r)) => Some(format!("the function refused the request: {r}")),
        (false, None) if answer.body["result"] != result => Some(format!(
            "the function answered something that is not a {result}'s answer: {}",
            answer.body
        )),
        _ => None,
    }
}

/// Each listing's queue reads, summed by queue.
fn merge(reads: &mut Vec<QueueRead>, queues: Vec<QueueRead>) {
    for q in queues {
        match reads.iter_mut().find(|r| r.url == q.url) {
            Some(r) => {
                r.read += q.read;
                if q.error.is_some() {
                    r.error = q.error;
                }
            }
            None => reads.push(q),
        }
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

/// The listed row of a message the function did not handle: it stays.
fn kept(row: &Row, why: &str) -> Row {
    let mut row = row.clone();
    if !row.result.unreplayable() {
        row.result = Got::Failed;
    }
    row.message = Left::Kept;
    row.reason = match row.reason.is_empty() || row.result == Got::Failed {
        true => why.to_string(),
        false => format!("{}; {why}", row.reason),
    };
    row
}
