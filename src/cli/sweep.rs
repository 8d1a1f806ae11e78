//! `runas-guard sweep`: the scheduled sweep, now, with a fresh event id.

use std::process::ExitCode;

use runas_guard::domain::outcome::{failed_account_regions, Action, Handled, Outcome};
use runas_guard::domain::report::{Format, Report};
use runas_guard::domain::request::{sweep_event, Request};
use runas_guard::domain::trigger;

use runas_guard::flow::redrive::replay::{Deployed, Replayer};
use serde_json::Value;

use super::output::{bad_input, failed};
use super::replay::ViaArgs;
use super::start::{build, Resources};

/// `sweep --help`: what it is, and when `reconcile` is the one to use.
pub const LONG_ABOUT: &str = "\
Sweep the whole organization now, exactly as the scheduled sweep does: a \
scheduled event with a fresh id (manual-<epoch>-<token>) handled as the \
function handles the schedule's. It claims the event, flushes the alert \
outbox, fans out over the sweep queue above the threshold (when \
RUNAS_GUARD_SWEEP_QUEUE_URL is set), looks at the Identity Center mapping, \
records the sweep's time (what `status` shows as last checked), and sends \
what a sweep sends: one sweep_summary, drift found by the sweep, policy ids \
the organization lacks.

Use `sweep` to run the schedule's work now (after an outage, or to prove a \
deployment end to end). Use `reconcile` to look at or fix chosen accounts \
and regions (--account, --region), or to see what would change without \
writing anything (--dry-run): it goes straight to the accounts, never fans \
out and claims no event.

From on-call's seat (no member access, no table writes), --stack NAME \
(the hub stack) or --function NAME|ARN asks the deployed function for the \
sweep through its operator alias (Lambda Invoke, RequestResponse): the \
request carries nothing but the fresh id, and the function makes the \
schedule's event and runs it with its own roles; the command waits for \
the function's answer, prints a line naming the sweep and one line per \
account-region left failed or pending. Without them, the sweep runs in \
this process with your credentials (the function's access, member \
accounts included): from the seat it stops at once, naming --stack.

Prints the table `reconcile` prints (one row per account-region, then the \
totals) and a line naming the sweep; --format json prints the whole outcome \
(what `handle` prints for the schedule's event), --format csv the rows. \
Exits 1 if any account-region failed, or the sweep governed none or far \
fewer accounts than it should (sweep_degraded).";

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, value_enum, ignore_case = true, default_value = "table", help = super::output::FORMAT_HELP)]
    format: Format,
    #[command(flatten)]
    resources: Resources,
    /// SQS queue for fanned-out sweeps.
    #[arg(long, env = "RUNAS_GUARD_SWEEP_QUEUE_URL")]
    sweep_queue_url: Option<String>,
    /// The hub CloudFormation stack: its function runs the sweep (asked
    /// through its operator alias, as from on-call's seat).
    #[arg(long, value_name = "STACK")]
    stack: Option<String>,
    /// The deployed function to ask for the sweep instead (its name or ARN,
    /// the hub stack's OperatorFunctionArn output); it runs with its own roles.
    #[arg(long, value_name = "NAME|ARN", env = "RUNAS_GUARD_FUNCTION")]
    function: Option<String>,
}

pub async fn exec(args: Args) -> ExitCode {
    if args.stack.as_deref().is_some_and(|s| s.trim().is_empty()) {
        return bad_input("--stack needs the hub stack's name");
    }
    let config = match super::target::aws_config().await {
        Ok(c) => c,
        Err(e) => return bad_input(e),
    };
    let via = ViaArgs::function_named(args.function.clone().filter(|f| !f.trim().is_empty()));
    match via.function(&config, args.stack.as_deref()).await {
        Ok(Some(f)) => by_function(&config, &f, args.format).await,
        Ok(None) => sweep(&args.resources, args.sweep_queue_url, args.format).await,
        Err(e) => failed(e),
    }
}

/// A fresh sweep id (`manual-<epoch>-<token>`), and the schedule's event
/// the function would make of it.
fn scheduled_event(region: &str) -> (String, Value) {
    let now = runas_guard::domain::clock::now();
    let id = format!(
        "manual-{}-{}",
        runas_guard::domain::clock::epoch_secs(now),
        runas_guard::domain::ids::token()
    );
    let event = sweep_event(&id, region, &runas_guard::domain::clock::iso(now));
    (id, event)
}

/// The sweep handed to the deployed function: its answer is the outcome
/// the function's handler returned (or why the invocation failed).
async fn by_function(
    config: &aws_config::SdkConfig,
    function: &runas_guard::adapters::aws::lambda::Function,
    format: Format,
) -> ExitCode {
    let region = runas_guard::adapters::aws::home_region(config);
    // A request carrying nothing but the id: the function makes the event.
    let (id, _) = scheduled_event(&region);
    let request = Request::Sweep { id: id.clone() };
    let answer = Deployed(function).replay(&request.payload(), &id).await;
    if answer.failed {
        let why = answer.body["reason"]
            .as_str()
            .unwrap_or("the function failed");
        return failed(format!("sweep {id}: {why}"));
    }
    match format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&answer.body).expect("JSON serialises")
        ),
        Format::Table | Format::Csv => {
            outln!(
                "sweep {id} by the function {}: {}",
                function.invoked(),
                answer.body["reason"].as_str().unwrap_or("-")
            );
            for line in unsettled(&answer.body) {
                outln!("  {line}");
            }
        }
    }
    answered_exit(&id, &answer.body)
}

/// The account-regions a sweep the function answered left failed or
/// pending, one line each (`ACCOUNT REGION action: error`), and a count of
/// the rest: a sweep is more than its one line when something is left.
fn unsettled(body: &Value) -> Vec<String> {
    const SHOWN: usize = 50;
    let mut lines = Vec::new();
    let mut more = 0;
    for a in body["accounts"].as_array().into_iter().flatten() {
        for r in a["regions"].as_array().into_iter().flatten() {
            let action = r["action"].as_str().unwrap_or_default();
            if !matches!(action, "failed" | "pending") {
                continue;
            }
            if lines.len() == SHOWN {
                more += 1;
                continue;
            }
            let document = r["document"]
                .as_str()
                .map(|d| format!(" {d}"))
                .unwrap_or_default();
            let error = r["error"]
                .as_str()
                .unwrap_or(r["error_code"].as_str().unwrap_or("-"));
            lines.push(format!(
                "{} {}{document} {action}: {}",
                a["account"].as_str().unwrap_or("-"),
                r["region"].as_str().unwrap_or("-"),
                runas_guard::domain::aws_error::one_line(error)
            ));
        }
    }
    if more > 0 {
        lines.push(format!(
            "... and {more} more (--format json lists every one)"
        ));
    }
    lines
}

/// The exit of a sweep the function answered, from its outcome's JSON:
/// the same rules as [`sweep_exit`].
fn answered_exit(id: &str, body: &Value) -> ExitCode {
    let result = body["result"].as_str().unwrap_or("failed");
    let failed_regions = failed_account_regions(
        body["accounts"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|a| {
                let account = a["account"].as_str().unwrap_or("-");
                a["regions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|r| r["action"] == "failed")
                    .map(move |r| (account, r["region"].as_str().unwrap_or("-")))
            }),
    );
    let said = body["reason"].as_str().unwrap_or_default();
    match result {
        "failed" | "in_flight" | "duplicate" | "rejected" => {
            failed(format!("sweep {id}: {result}: {said}"))
        }
        _ if !body["degraded"].is_null() => failed(format!(
            "sweep {id}: DEGRADED: {}",
            body["degraded"]["said"].as_str().unwrap_or_default()
        )),
        _ if failed_regions > 0 => failed(format!(
            "sweep {id}: {failed_regions} account-region(s) failed (see accounts[].regions with --format json)"
        )),
        _ if body["identity_center"]["status"] == "failed" => failed(format!(
            "sweep {id}: the Identity Center mapping could not be looked at: {}",
            body["identity_center"]["error"].as_str().unwrap_or_default()
        )),
        _ => ExitCode::SUCCESS,
    }
}

/// `runas-guard sweep`: a scheduled event made up now, with an id of its
/// own, handled as the Lambda handles the schedule's.
async fn sweep(resources: &Resources, sweep_queue_url: Option<String>, format: Format) -> ExitCode {
    let built = match build(resources, sweep_queue_url, None, false).await {
        Ok(b) => b,
        Err(e) => return e.exit(),
    };
    let region = runas_guard::adapters::aws::home_region(&built.config);
    let (id, event) = scheduled_event(&region);
    let trigger = match trigger::classify(&event) {
        Ok(t) => t,
        Err(e) => return failed(format!("cannot make the sweep event: {e}")),
    };
    let outcome = built.reactor.handle(trigger).await;
    // Refused before it began (its claim, the table): these credentials
    // are not the function's, such as on-call's seat.
    if outcome.result == Handled::Failed && outcome.accounts.is_empty() && denied(&outcome.reason) {
        return failed(format!(
            "sweep {id}: these credentials may not run the sweep here ({}): from on-call's seat run `runas-guard sweep --stack HUB_STACK` (or --function NAME), which the deployed function runs with its own roles",
            outcome.reason
        ));
    }
    match format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&outcome).expect("outcome serialises")
        ),
        Format::Csv => out!("{}", Report::new(&outcome.accounts, false).render(format)),
        Format::Table => {
            out!("{}", Report::new(&outcome.accounts, false).render(format));
            outln!("sweep {id}: {}", outcome.reason);
        }
    }
    sweep_exit(&id, &outcome, format)
}

/// The reason names an AWS refusal of the caller's credentials.
fn denied(reason: &str) -> bool {
    [
        "AccessDenied",
        "UnrecognizedClientException",
        "not authorized",
    ]
    .iter()
    .any(|c| reason.contains(c))
}

fn sweep_exit(id: &str, outcome: &Outcome, format: Format) -> ExitCode {
    let failed_regions = failed_account_regions(outcome.accounts.iter().flat_map(|a| {
        a.regions
            .iter()
            .filter(|r| r.action == Action::Failed)
            .map(move |r| (a.account.as_str(), r.region.as_str()))
    }));
    match outcome.result {
        Handled::Failed | Handled::InFlight | Handled::Duplicate => failed(format!(
            "sweep {id}: {}: {}",
            serde_json::to_value(outcome.result)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            outcome.reason
        )),
        _ if outcome.degraded.is_some() => failed(format!(
            "sweep {id}: DEGRADED: {}",
            outcome.degraded.as_ref().map_or("", |d| d.said.as_str())
        )),
        _ if failed_regions > 0 => failed(format!(
            "sweep {id}: {failed_regions} account-region(s) failed ({})",
            match format {
                Format::Json => "see accounts[].regions",
                Format::Table | Format::Csv => "the report names them",
            }
        )),
        _ if outcome
            .identity_center
            .as_ref()
            .is_some_and(|ic| ic["status"] == "failed") =>
        {
            failed(format!(
                "sweep {id}: the Identity Center mapping could not be looked at: {}",
                outcome
                    .identity_center
                    .as_ref()
                    .map_or(String::new(), |ic| ic["error"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string())
            ))
        }
        _ => ExitCode::SUCCESS,
    }
}
