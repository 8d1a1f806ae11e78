//! `runas-guard redrive`: replays the hub's failure queues (the rules'
//! dead-letter queue, the function's on-failure destination, the sweep
//! queue's dead letters) through the deployed function (or, with
//! `--in-process` or only `--queue`, the handler `handle` uses), and
//! deletes from them only what it handled. What a message is and what its replay got is
//! decided in `runas_guard::redrive`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use aws_sdk_sqs::types::{ChangeMessageVisibilityBatchRequestEntry, Message};
use runas_guard::aws::AwsError;
use runas_guard::reactor::Reactor;
use runas_guard::redrive::replay::Replayer;
use runas_guard::redrive::{self, Got, Ledger, Left, QueueRead, Replay, Report, Row};
use runas_guard::report::Format;

use super::output::{bad_input, failed};
use super::start::{build, Resources};

#[derive(clap::Args)]
pub struct Args {
    /// A queue to replay (its URL; repeatable). Default: the failure queues
    /// of the hub stack named with --stack.
    #[arg(long = "queue", value_name = "URL")]
    queues: Vec<String>,
    /// The hub CloudFormation stack: replay its EventsDeadLetterQueue,
    /// AsyncFailureQueue and SweepDeadLetterQueue.
    #[arg(long, value_name = "NAME")]
    stack: Option<String>,
    /// Read and show what would be replayed; replay nothing, delete nothing
    /// (every message read is made visible again).
    #[arg(long)]
    dry_run: bool,
    /// Read at most this many messages in all (1 to 100000).
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max: u32,
    #[arg(long, value_enum, ignore_case = true, default_value = "table", help = super::output::FORMAT_HELP)]
    format: Format,
    #[command(flatten)]
    resources: Resources,
    /// SQS queue for fanned-out sweeps (a replayed sweep may fan out).
    #[arg(long, env = "RUNAS_GUARD_SWEEP_QUEUE_URL")]
    sweep_queue_url: Option<String>,
    #[command(flatten)]
    via: super::replay::ViaArgs,
}

/// One message received, with the queue it came from.
struct Received {
    queue: usize,
    message: Message,
}

/// What one queue gave: its messages and the bookkeeping of their handles.
struct Queue {
    url: String,
    ledger: Ledger,
    error: Option<String>,
    read: usize,
}

pub async fn exec(a: Args) -> ExitCode {
    if a.queues.is_empty() && a.stack.is_none() {
        return bad_input("name the queues to replay: --queue URL (repeatable), or --stack NAME for the hub stack's failure queues");
    }
    if let Some(bad) = a
        .queues
        .iter()
        .find(|q| !q.starts_with("https://") && !q.starts_with("http://"))
    {
        return bad_input(format!(
            "--queue {bad:?} is not a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)"
        ));
    }
    let lenient = a.via.lenient(a.stack.as_deref(), a.dry_run);
    let built = match build(&a.resources, a.sweep_queue_url.clone(), None, lenient).await {
        Ok(b) => b,
        Err(e) => return e.exit(),
    };
    let via = match (a.via).choose(&built, a.stack.as_deref(), a.dry_run).await {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    let mut urls = a.queues.clone();
    if let Some(stack) = &a.stack {
        match stack_queues(&built.config, stack).await {
            Ok(found) => urls.extend(found),
            Err(e) => return failed(e),
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    urls.retain(|u| seen.insert(u.clone()));
    let sqs = aws_sdk_sqs::Client::new(&built.config);
    let region = runas_guard::aws::home_region(&built.config);
    let (mut queues, received) = collect(&sqs, &region, urls, a.max as usize).await;
    let rows = replay_all(
        (&built.reactor, &via),
        &sqs,
        &region,
        &mut queues,
        received,
        a.dry_run,
    )
    .await;
    let reads = queues.into_iter().map(|q| QueueRead {
        url: q.url,
        read: q.read,
        error: q.error,
    });
    let report = Report::new(a.dry_run, reads.collect(), rows);
    out!("{}", report.render(a.format));
    exit(&report)
}

fn exit(report: &Report) -> ExitCode {
    let (staying, errors) = (report.staying(), report.queue_errors());
    if staying == 0 && errors.is_empty() {
        return ExitCode::SUCCESS;
    }
    let mut line = match report.dry_run {
        true => format!("redrive --dry-run: {staying} message(s) would stay in the queues whatever a replay does (the rows say why)"),
        false => format!("redrive: {staying} message(s) left in the queues (the rows say why)"),
    };
    for e in errors {
        line.push_str(&format!("; queue {e}"));
    }
    failed(line)
}

/// The hub stack's failure queues (their URLs are the resources' physical ids).
async fn stack_queues(config: &aws_config::SdkConfig, stack: &str) -> Result<Vec<String>, String> {
    let region = runas_guard::aws::home_region(config);
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

/// Every queue read until it has nothing new twice in a row, or `max`
/// messages in all. Messages stay hidden while the run works.
async fn collect(
    sqs: &aws_sdk_sqs::Client,
    region: &str,
    urls: Vec<String>,
    max: usize,
) -> (Vec<Queue>, Vec<Received>) {
    let (mut queues, mut received, mut budget) = (Vec::new(), Vec::new(), max);
    for (at, url) in urls.into_iter().enumerate() {
        let mut q = Queue {
            url,
            ledger: Ledger::default(),
            error: None,
            read: 0,
        };
        while !q.ledger.exhausted() && budget > 0 {
            let got = sqs
                .receive_message()
                .queue_url(&q.url)
                .max_number_of_messages(redrive::BATCH.min(budget as i32))
                .visibility_timeout(redrive::HIDE_SECONDS)
                .wait_time_seconds(1)
                .message_attribute_names("All")
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
                if new {
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

/// Reads every message, replays the readable ones in replay order, deletes
/// what was handled and makes the rest visible again.
async fn replay_all(
    (reactor, via): (&Reactor, &impl Replayer),
    sqs: &aws_sdk_sqs::Client,
    region: &str,
    queues: &mut [Queue],
    received: Vec<Received>,
    dry_run: bool,
) -> Vec<Row> {
    let (readable, mut rows) = read_all(reactor, queues, received, dry_run);
    for (r, replay) in readable {
        let q = &queues[r.queue];
        let id = r.message.message_id().unwrap_or_default().to_string();
        let mut row = replay_one(via, &q.url, &id, &replay, &r.message, dry_run).await;
        if row.message == Left::Deleted {
            let handle = q.ledger.handle(&id).unwrap_or_default();
            let deleted = sqs
                .delete_message()
                .queue_url(&q.url)
                .receipt_handle(handle)
                .send()
                .await;
            if let Err(e) = deleted {
                let e = AwsError::new("DeleteMessage", "-", region, &e);
                row.message = Left::Kept;
                row.reason = format!("{}; not deleted: {e}", row.reason);
            }
        }
        rows.push(row);
    }
    for q in queues.iter_mut() {
        let kept: Vec<String> = (rows.iter())
            .filter(|r| r.message != Left::Deleted && r.queue == q.url)
            .map(|r| r.message_id.clone())
            .collect();
        visible_again(sqs, region, q, &kept).await;
    }
    rows
}

/// Each message read (the handler's own classifier names what it is); the
/// readable ones in replay order, a row for each of the others.
fn read_all(
    reactor: &Reactor,
    queues: &[Queue],
    received: Vec<Received>,
    dry_run: bool,
) -> (Vec<(Received, Replay)>, Vec<Row>) {
    let policy = reactor.policy();
    let documents = policy.document_names();
    let check = policy.check_document.as_deref();
    let classify = |v: &serde_json::Value| {
        runas_guard::trigger::classify_governed(v, &documents, check, reactor.member_stack_set())
    };
    let (mut readable, mut rows) = (Vec::new(), Vec::new());
    for r in received {
        let id = r.message.message_id().unwrap_or_default().to_string();
        match redrive::read(&id, r.message.body().unwrap_or_default(), classify) {
            Ok(replay) => readable.push((r, replay)),
            Err(reason) => rows.push(Row::unreadable(&queues[r.queue].url, &id, reason, dry_run)),
        }
    }
    readable.sort_by(|(_, a), (_, b)| redrive::replay_order(&a.identity, &b.identity));
    (readable, rows)
}

/// One message through the handler (`dispatch`, as `handle` and the
/// Lambda), in this process or by the deployed function.
async fn replay_one(
    via: &impl Replayer,
    queue: &str,
    id: &str,
    replay: &Replay,
    message: &Message,
    dry_run: bool,
) -> Row {
    let (result, reason) = match (dry_run, &replay.rejected) {
        (true, Some(why)) => (Got::Rejected, why.clone()),
        (true, None) => (
            Got::WouldReplay,
            "would be replayed as `handle` does".to_string(),
        ),
        (false, _) => {
            let answer = via.replay(&replay.input, &format!("redrive-{id}")).await;
            redrive::got(
                replay.shape,
                &answer.body,
                answer.failed,
                answer.rejected.as_deref(),
            )
        }
    };
    let message_left = match (dry_run, result.handled()) {
        (true, _) => Left::Untouched,
        (false, true) => Left::Deleted,
        (false, false) => Left::Kept,
    };
    let attribute = |k: &str| {
        let a = message.message_attributes()?.get(k)?;
        a.string_value().map(str::to_string)
    };
    let failed_before = replay.failed_before.clone().or_else(|| {
        redrive::delivery_error(
            attribute("ERROR_CODE").as_deref(),
            attribute("ERROR_MESSAGE").as_deref(),
        )
    });
    Row {
        queue: queue.to_string(),
        message_id: id.to_string(),
        shape: Some(replay.shape),
        identity: replay.identity.clone(),
        result,
        message: message_left,
        reason,
        failed_before,
    }
}

/// Makes the messages this run keeps visible again (ten per call). One whose
/// visibility already ran out is visible: nothing to do.
async fn visible_again(sqs: &aws_sdk_sqs::Client, region: &str, q: &mut Queue, ids: &[String]) {
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
fn note(q: &mut Queue, said: String) {
    q.error = Some(match q.error.take() {
        Some(before) => format!("{before}; {said}"),
        None => said,
    });
}
