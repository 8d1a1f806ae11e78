//! `runas-guard handle`: what the Lambda does with one event (EventBridge or
//! SQS batch), with your credentials.

use std::process::ExitCode;

use runas_guard::flow::dispatch::dispatch;

use super::input::parse_event;
use super::output::{bad_input, failed};
use super::start::{build, Resources};

#[derive(clap::Args)]
pub struct Args {
    /// Event file, or - for standard input.
    event: String,
    #[command(flatten)]
    resources: Resources,
    /// SQS queue for fanned-out sweeps.
    #[arg(long, env = "RUNAS_GUARD_SWEEP_QUEUE_URL")]
    sweep_queue_url: Option<String>,
    /// Handle it as a Lambda invocation with this many seconds left: work
    /// that could not finish in time is not started, and says so.
    #[arg(long, value_name = "SECONDS")]
    deadline: Option<u64>,
}

pub async fn exec(args: Args) -> ExitCode {
    let work = handle(&args.event, &args.resources, args.sweep_queue_url);
    match args.deadline {
        Some(secs) => {
            let at = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
            runas_guard::domain::deadline::within(at, work).await
        }
        None => work.await,
    }
}

async fn handle(event: &str, resources: &Resources, sweep_queue_url: Option<String>) -> ExitCode {
    let value = match parse_event(event) {
        Ok(v) => v,
        Err(e) => return bad_input(e),
    };
    let built = match build(resources, sweep_queue_url, None, false).await {
        Ok(b) => b,
        Err(e) => return e.exit(),
    };
    let request_id = format!(
        "cli-{}-{}",
        std::process::id(),
        runas_guard::domain::clock::epoch_secs(runas_guard::domain::clock::now())
    );
    let answer = dispatch(&built.reactor, &value, &request_id).await;
    outln!(
        "{}",
        serde_json::to_string_pretty(&answer.body).expect("outcome serialises")
    );
    if let Some(reason) = answer.rejected {
        return bad_input(format!("{event}: {reason}"));
    }
    if answer.failed {
        let reason = answer.body["reason"].as_str().unwrap_or("see the outcome");
        failed(format!("{event}: not fully handled: {reason}"))
    } else {
        ExitCode::SUCCESS
    }
}
