//! `runas-guard redrive`: replays the hub's failure queues (the rules'
//! dead-letter queue, the function's on-failure destination, the sweep
//! queue's dead letters) through the deployed function (or, with
//! `--in-process` or only `--queue`, the handler `handle` uses), and
//! deletes from them only what it handled. What a message is and what its replay got is
//! decided in `runas_guard::flow::redrive`.

use std::process::ExitCode;

use aws_sdk_sqs::types::Message;
use runas_guard::domain::report::Format;
use runas_guard::flow::reactor::Reactor;
use runas_guard::flow::redrive::replay::Replayer;
use runas_guard::flow::redrive::{self, Got, Left, QueueRead, Replay, Report, Row, Verdict};

use super::output::{bad_input, failed};
use super::replay::Via;
use super::start::{build, Resources};

mod queue;
use queue::{collect, settle, stack_queues, visible_again, Queue, Received};

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
    /// Delete the messages no replay can handle (unreadable, or an event the
    /// handler rejects) once shown in the report (`--format json` has their
    /// bodies); without it they stay in their queue.
    #[arg(long)]
    drop_unreadable: bool,
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

impl Args {
    /// A dry run writes nothing: interrupted, it has nothing to record.
    pub(crate) fn dry_run(&self) -> bool {
        self.dry_run
    }
}

/// What the run may do to the messages.
#[derive(Clone, Copy)]
struct Mode {
    dry_run: bool,
    drop_unreadable: bool,
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
    let region = runas_guard::adapters::aws::home_region(&built.config);
    let (mut queues, received) = collect(&sqs, &region, urls, a.max as usize).await;
    let mode = Mode {
        dry_run: a.dry_run,
        drop_unreadable: a.drop_unreadable,
    };
    let rows = replay_all(
        (&built.reactor, &via),
        &sqs,
        &region,
        &mut queues,
        received,
        mode,
    )
    .await;
    let reads = queues.into_iter().map(|q| QueueRead {
        url: q.url,
        read: q.read,
        error: q.error,
    });
    let report = Report::new(a.dry_run, a.drop_unreadable, reads.collect(), rows);
    out!("{}", report.render(a.format));
    match report.verdict() {
        Verdict::Clean => ExitCode::SUCCESS,
        Verdict::Retry(line) => failed(line),
        Verdict::OnlyUnreadable(line) => super::output::only_unreadable_left(line),
    }
}

/// Reads every message, replays the readable ones in replay order, deletes
/// what was handled (and, when asked, what no replay can handle) and makes
/// the rest visible again.
async fn replay_all(
    (reactor, via): (&Reactor, &Via<'_>),
    sqs: &aws_sdk_sqs::Client,
    region: &str,
    queues: &mut [Queue],
    received: Vec<Received>,
    mode: Mode,
) -> Vec<Row> {
    let (readable, unreadable) = read_all(reactor, queues, received, mode);
    let mut rows = Vec::new();
    for mut row in unreadable {
        settle(sqs, region, &queues[..], &mut row).await;
        rows.push(row);
    }
    for (r, replay) in readable {
        let q = &queues[r.queue];
        let id = r.message.message_id().unwrap_or_default().to_string();
        let mut row = replay_one(via, &q.url, &id, &replay, &r.message, mode).await;
        settle(sqs, region, &queues[..], &mut row).await;
        rows.push(row);
    }
    for q in queues.iter_mut() {
        let kept: Vec<String> = (rows.iter())
            .filter(|r| !r.message.leaves_queue() && r.queue == q.url)
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
    mode: Mode,
) -> (Vec<(Received, Replay)>, Vec<Row>) {
    let policy = reactor.policy();
    let documents = policy.document_names();
    let check = policy.check_document.as_deref();
    let classify = |v: &serde_json::Value| {
        runas_guard::domain::trigger::classify_governed(
            v,
            &documents,
            check,
            reactor.member_stack_set(),
        )
    };
    let fate = Left::of(Got::Unreadable, mode.dry_run, mode.drop_unreadable);
    let (mut readable, mut rows) = (Vec::new(), Vec::new());
    for r in received {
        let id = r.message.message_id().unwrap_or_default().to_string();
        let body = r.message.body().unwrap_or_default();
        match redrive::read(&id, body, classify) {
            Ok(replay) => readable.push((r, replay)),
            Err(reason) => {
                let queue = &queues[r.queue].url;
                rows.push(Row::unreadable(queue, &id, reason, body, fate));
            }
        }
    }
    readable.sort_by(|(_, a), (_, b)| redrive::replay_order(&a.identity, &b.identity));
    (readable, rows)
}

/// One message through the handler (`dispatch`, as `handle` and the
/// Lambda), in this process or by the deployed function.
async fn replay_one(
    via: &Via<'_>,
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
                redrive::got(
                    replay.shape,
                    &answer.body,
                    answer.failed,
                    answer.rejected.as_deref(),
                )
            }
        },
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
    let body = result
        .unreplayable()
        .then(|| message.body().unwrap_or_default());
    Row {
        queue: queue.to_string(),
        message_id: id.to_string(),
        shape: Some(replay.shape),
        identity: replay.identity.clone(),
        result,
        message: Left::of(result, mode.dry_run, mode.drop_unreadable),
        reason,
        failed_before,
        body: body.map(redrive::body_shown),
    }
}
