//! `runas-guard redrive`: replays the hub's failure queues (the rules'
//! dead-letter queue, the function's on-failure destination, the sweep
//! queue's dead letters) through the deployed function (or, with
//! `--in-process` or only `--queue`, the handler `handle` uses), and
//! deletes from them only what it handled. What a message is and what its replay got is
//! decided in `runas_guard::flow::redrive`.

use std::process::ExitCode;

use runas_guard::domain::report::Format;
use runas_guard::flow::redrive::queue::{collect, stack_queues, Wanted};
use runas_guard::flow::redrive::run::{redrive, Mode};
use runas_guard::flow::redrive::{Report, Verdict};

use super::output::{bad_input, failed};
use super::replay::Via;
use super::start::{build, Resources};

mod by_function;

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
    let mode = Mode {
        dry_run: a.dry_run,
        drop_unreadable: a.drop_unreadable,
    };
    let max = Wanted::All(a.max as usize);
    let (reads, rows) = match &via {
        // The seat reads what is there and asks the function to replay it
        // by id: the function reads the messages itself.
        Via::Function(f) => {
            let (queues, received) = collect(&sqs, &region, urls, max).await;
            let asked = by_function::Asked {
                function: f,
                sqs: &sqs,
                region: &region,
            };
            asked.redrive(&built.reactor, queues, received, mode).await
        }
        Via::InProcess => redrive(&built.reactor, &sqs, &region, urls, max, mode).await,
    };
    let report = Report::new(a.dry_run, a.drop_unreadable, reads, rows);
    out!("{}", report.render(a.format));
    match report.verdict() {
        Verdict::Clean => ExitCode::SUCCESS,
        Verdict::Retry(line) => failed(line),
        Verdict::OnlyUnreadable(line) => super::output::only_unreadable_left(line),
    }
}
