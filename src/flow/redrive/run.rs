//! One redrive run in this process: every message read is classified as the
//! handler will see it, replayed in replay order by the handler `handle`
//! uses, deleted when handled (and, when asked, when no replay can handle
//! it), and the rest made visible again. The CLI's `redrive --in-process`
//! runs it with the operator's credentials; the function runs it for an
//! operator's redrive request, on the messages the request names.

use aws_sdk_sqs::types::Message;

use super::queue::{age_seconds, collect, settle, visible_again, Queue, Received, Wanted};
use super::replay::{InProcess, Replayer};
use super::{read, replay_order, Got, Left, Own, QueueRead, Replay, Row};
use crate::flow::reactor::Reactor;

/// What the run may do to the messages.
#[derive(Clone, Copy)]
pub struct Mode {
    pub dry_run: bool,
    pub drop_unreadable: bool,
    /// Every row carries its message's body (its first characters), not
    /// only those no replay can handle: one message shown.
    pub show_body: bool,
}

/// Reads the queues (the messages `wanted`), replays, settles: the queues'
/// reads and one row per message. Only `own`'s on-failure records are
/// replayed.
pub async fn redrive(
    reactor: &Reactor,
    sqs: &aws_sdk_sqs::Client,
    region: &str,
    urls: Vec<String>,
    wanted: Wanted<'_>,
    (mode, own): (Mode, &Own),
) -> (Vec<QueueRead>, Vec<Row>) {
    let hide = match mode.dry_run {
        // A dry run (a listing) replays nothing: it hides nothing for long.
        true => super::LIST_HIDE_SECONDS,
        false => super::HIDE_SECONDS,
    };
    let (mut queues, received) = collect(sqs, region, urls, (wanted, hide)).await;
    let rows = replay_all(reactor, sqs, region, &mut queues, received, (mode, own)).await;
    let reads = queues.into_iter().map(|q| QueueRead {
        url: q.url,
        read: q.read,
        error: q.error,
    });
    (reads.collect(), rows)
}

/// Reads each message, replays the readable ones in replay order, deletes
/// what was handled (and, when asked, what no replay can handle) and makes
/// the rest visible again.
pub async fn replay_all(
    reactor: &Reactor,
    sqs: &aws_sdk_sqs::Client,
    region: &str,
    queues: &mut [Queue],
    received: Vec<Received>,
    (mode, own): (Mode, &Own),
) -> Vec<Row> {
    let (readable, unreadable) = read_all(reactor, queues, received, (mode, own));
    let mut rows = Vec::new();
    for mut row in unreadable {
        settle(sqs, region, &queues[..], &mut row).await;
        rows.push(row);
    }
    let via = InProcess(reactor);
    for (r, replay) in readable {
        let q = &queues[r.queue];
        let id = r.message.message_id().unwrap_or_default().to_string();
        let mut row = replay_one(&via, &q.url, &id, &replay, &r.message, mode).await;
        settle(sqs, region, &queues[..], &mut row).await;
        rows.push(row);
    }
    for q in queues.iter_mut() {
        let mut kept: Vec<String> = (rows.iter())
            .filter(|r| !r.message.leaves_queue() && r.queue == q.url)
            .map(|r| r.message_id.clone())
            .collect();
        kept.append(&mut q.unwanted);
        visible_again(sqs, region, q, &kept).await;
    }
    rows
}

/// Each message read (the handler's own classifier names what it is); the
/// readable ones in replay order, a row for each of the others: what cannot
/// be read, and an on-failure record that is not `own`'s (rejected, shown,
/// never replayed).
pub fn read_all(
    reactor: &Reactor,
    queues: &[Queue],
    received: Vec<Received>,
    (mode, own): (Mode, &Own),
) -> (Vec<(Received, Replay)>, Vec<Row>) {
    let policy = reactor.policy();
    let documents = policy.document_names();
    let check = policy.check_document.as_deref();
    let classify = |v: &serde_json::Value| {
        crate::domain::trigger::classify_governed(v, &documents, check, reactor.member_stack_set())
    };
    let fate = Left::of(Got::Unreadable, mode.dry_run, mode.drop_unreadable);
    let (mut readable, mut rows) = (Vec::new(), Vec::new());
    for r in received {
        let id = r.message.message_id().unwrap_or_default().to_string();
        let body = r.message.body().unwrap_or_default();
        match read(&id, body, classify) {
            Ok(replay) => match own.refuses_replay(&replay) {
                None => readable.push((r, replay)),
                Some(why) => {
                    let queue = &queues[r.queue].url;
                    let row =
                        Row::of_message(queue, &id, &replay, &r.message, Got::Rejected, why, mode);
                    tracing::warn!(outcome = "rejected", queue = %queue, message_id = %id, error = %row.reason, "on-failure record of another function");
                    rows.push(row);
                }
            },
            Err(reason) => {
                let queue = &queues[r.queue].url;
                let mut row = Row::unreadable(queue, &id, reason, body, fate);
                row.age_seconds = age_seconds(&r.message, crate::domain::clock::now());
                rows.push(row);
            }
        }
    }
    readable.sort_by(|(_, a), (_, b)| replay_order(&a.identity, &b.identity));
    (readable, rows)
}

/// One message through the handler (`dispatch`, as `handle` and the
/// Lambda), in this process.
async fn replay_one(
    via: &InProcess<'_>,
    queue: &str,
    id: &str,
    replay: &Replay,
    message: &Message,
    mode: Mode,
) -> Row {
    let (result, reason) = match (mode.dry_run, &replay.rejected) {
        (true, Some(why)) => (Got::Rejected, why.clone()),
        (true, None) => (
            Got::WouldReplay,
            "would be replayed as `handle` does".to_string(),
        ),
        (false, _) => match via.cannot_judge(&replay.input).await {
            // Not handled: it stays in its queue for a replay that can.
            Some(why) => (Got::Failed, why),
            None => {
                let answer = via.replay(&replay.input, &format!("redrive-{id}")).await;
                super::got(
                    replay.shape,
                    &answer.body,
                    answer.failed,
                    answer.rejected.as_deref(),
                )
            }
        },
    };
    Row::of_message(queue, id, replay, message, result, reason, mode)
}

impl Row {
    /// The row of a readable message, from what its replay got.
    pub fn of_message(
        queue: &str,
        id: &str,
        replay: &Replay,
        message: &Message,
        result: Got,
        reason: String,
        mode: Mode,
    ) -> Row {
        let attribute = |k: &str| {
            let a = message.message_attributes()?.get(k)?;
            a.string_value().map(str::to_string)
        };
        let failed_before = replay.failed_before.clone().or_else(|| {
            super::delivery_error(
                attribute("ERROR_CODE").as_deref(),
                attribute("ERROR_MESSAGE").as_deref(),
            )
        });
        let body =
            (result.unreplayable() || mode.show_body).then(|| message.body().unwrap_or_default());
        Row {
            queue: queue.to_string(),
            message_id: id.to_string(),
            shape: Some(replay.shape),
            identity: replay.identity.clone(),
            result,
            message: Left::of(result, mode.dry_run, mode.drop_unreadable),
            reason,
            failed_before,
            age_seconds: age_seconds(message, crate::domain::clock::now()),
            body: body.map(super::body_shown),
        }
    }
}
