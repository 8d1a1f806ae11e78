//! `runas-guard redrive`: replays the hub's failure queues (the rules'
//! dead-letter queue, the function's on-failure destination, the sweep
//! queue's dead letters) through the deployed function (or, with
//! `--in-process` or only `--queue`, the handler `handle` uses), and
//! deletes from them only what it handled; `--list` and `--show` ask the
//! function what the queues hold. What a message is and what its replay got
//! is decided in `runas_guard::flow::redrive`.

use std::process::ExitCode;

use runas_guard::domain::report::Format;
use runas_guard::flow::redrive::listing::Listing;
use runas_guard::flow::redrive::queue::{stack_queues, Wanted};
use runas_guard::flow::redrive::run::{redrive, Mode};
use runas_guard::flow::redrive::{Own, QueueRead, Report, Row, Verdict};

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
    /// List what the failure queues hold (message id, age, what it is about,
    /// whether a replay would take it), read by the deployed function
    /// (--stack or --function): replay nothing, delete nothing.
    #[arg(long, conflicts_with_all = ["show", "dry_run", "drop_unreadable", "in_process"])]
    list: bool,
    /// Show one message of the failure queues by its id (its body too),
    /// read by the deployed function (--stack or --function).
    #[arg(long, value_name = "MESSAGE_ID", conflicts_with_all = ["dry_run", "drop_unreadable", "in_process"])]
    show: Option<String>,
    /// Delete the messages no replay can handle (unreadable, or an event the
    /// handler rejects) once shown in the report (`--format json` has their
    /// bodies); without it they stay in their queue.
    #[arg(long)]
    drop_unreadable: bool,
    /// Read at most this many messages in all (1 to 100000; a listing or a
    /// dry run through the function, at most 1000).
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
    let listing = a.list || a.show.is_some();
    if a.queues.is_empty() && a.stack.is_none() && !(listing && a.via.named_function().is_some()) {
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
    if let Some(bad) = a.show.as_deref().filter(|id| !message_id_shaped(id)) {
        return bad_input(format!("--show {bad:?} is not an SQS message id"));
    }
    let lenient = a.via.lenient(a.stack.as_deref(), a.dry_run || listing);
    let built = match build(&a.resources, a.sweep_queue_url.clone(), None, lenient).await {
        Ok(b) => b,
        Err(e) => return e.exit(),
    };
    // A dry run, a listing or a replay through the function: the function
    // reads the queues; the seat reads none.
    let via = match (a.via).choose(&built, a.stack.as_deref(), false).await {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    let mode = Mode {
        dry_run: a.dry_run,
        drop_unreadable: a.drop_unreadable,
        show_body: false,
    };
    let (reads, rows) = match (&via, listing) {
        (Via::Function(f), true) => return list(&by_function::Asked { function: f }, &a).await,
        (Via::InProcess, true) => return bad_input("--list and --show ask the deployed function: name it with --stack NAME or --function NAME|ARN"),
        (Via::Function(f), false) => {
            let asked = by_function::Asked { function: f };
            match asked.redrive(a.max as usize, mode, &a.queues).await {
                Ok(got) => got,
                Err(e) => return failed(e),
            }
        }
        (Via::InProcess, false) => match in_process(&a, &built, mode).await {
            Ok(got) => got,
            Err(e) => return failed(e),
        },
    };
    let report = Report::new(a.dry_run, a.drop_unreadable, reads, rows);
    out!("{}", report.render(a.format));
    match report.verdict() {
        Verdict::Clean => ExitCode::SUCCESS,
        Verdict::Retry(line) => failed(line),
        Verdict::OnlyUnreadable(line) => super::output::only_unreadable_left(line),
    }
}

/// `--list` / `--show`: the function's listing, printed; exit 1 when a
/// queue could not be read or the function did not answer.
async fn list(asked: &by_function::Asked<'_>, a: &Args) -> ExitCode {
    let max = match a.show {
        Some(_) => 1,
        None => (a.max as usize).min(runas_guard::domain::request::MAX_LISTED),
    };
    let (queues, rows) = match asked.list(max, a.show.as_deref()).await {
        Ok(got) => got,
        Err(e) => return failed(e),
    };
    let errors = queues.iter().filter(|q| q.error.is_some()).count();
    let found = rows.len();
    let listing = Listing { queues, rows, max };
    out!("{}", listing.render(a.format));
    match (errors, &a.show) {
        (0, Some(id)) if found == 0 => failed(format!(
            "redrive --show: no message {id} in the failure queues (replayed or dropped since, or not a message of theirs)"
        )),
        (0, _) => ExitCode::SUCCESS,
        (n, _) => failed(format!(
            "redrive --list: {n} queue(s) could not be read (the footer says why)"
        )),
    }
}

/// An SQS message id: 1-100 printable ASCII characters.
fn message_id_shaped(id: &str) -> bool {
    !id.is_empty() && id.len() <= 100 && id.chars().all(|c| c.is_ascii_graphic())
}

/// The queues named (`--queue`) and the stack's, each once.
async fn queue_urls(a: &Args, config: &aws_config::SdkConfig) -> Result<Vec<String>, String> {
    let mut urls = a.queues.clone();
    if let Some(stack) = &a.stack {
        urls.extend(stack_queues(config, stack).await?);
    }
    let mut seen = std::collections::BTreeSet::new();
    urls.retain(|u| seen.insert(u.clone()));
    Ok(urls)
}

/// Whose on-failure records a run in this process replays: the function
/// named (`--function`: the events function, the stack's `FunctionArn`),
/// else the hub stack's events function; none known, none replayed.
async fn own_function(a: &Args, config: &aws_config::SdkConfig) -> Own {
    match a.via.named_function() {
        Some(f) => Own::named(Some(f)),
        None => match &a.stack {
            Some(stack) => Own::named(
                (super::replay::stack_events_function(config, stack).await)
                    .ok()
                    .flatten()
                    .as_deref(),
            ),
            None => Own::Unknown,
        },
    }
}

/// A redrive in this process, with these credentials: the queues named and
/// the stack's, read and replayed here.
async fn in_process(
    a: &Args,
    built: &super::start::Built,
    mode: Mode,
) -> Result<(Vec<QueueRead>, Vec<Row>), String> {
    let urls = queue_urls(a, &built.config).await?;
    let own = own_function(a, &built.config).await;
    let sqs = aws_sdk_sqs::Client::new(&built.config);
    let region = runas_guard::adapters::aws::home_region(&built.config);
    let max = Wanted::All(a.max as usize);
    Ok(redrive(&built.reactor, &sqs, &region, urls, max, (mode, &own)).await)
}
