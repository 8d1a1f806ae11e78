//! `runas-guard sweep`: the scheduled sweep, now, with a fresh event id.

use std::process::ExitCode;

use runas_guard::domain::outcome::{Action, Handled, Outcome};
use runas_guard::domain::report::{Format, Report};
use runas_guard::domain::trigger;

use super::output::failed;
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
}

pub async fn exec(args: Args) -> ExitCode {
    sweep(&args.resources, args.sweep_queue_url, args.format).await
}

/// `runas-guard sweep`: a scheduled event made up now, with an id of its
/// own, handled as the Lambda handles the schedule's.
async fn sweep(resources: &Resources, sweep_queue_url: Option<String>, format: Format) -> ExitCode {
    let built = match build(resources, sweep_queue_url, None, false).await {
        Ok(b) => b,
        Err(e) => return e.exit(),
    };
    let now = runas_guard::domain::clock::now();
    let id = format!(
        "manual-{}-{}",
        runas_guard::domain::clock::epoch_secs(now),
        runas_guard::domain::ids::token()
    );
    let region = runas_guard::adapters::aws::home_region(&built.config);
    let event = serde_json::json!({
        "version": "0",
        "id": id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": runas_guard::domain::clock::iso(now),
        "region": region,
        "resources": ["runas-guard:cli/sweep"],
        "detail": {}
    });
    let trigger = match trigger::classify(&event) {
        Ok(t) => t,
        Err(e) => return failed(format!("cannot make the sweep event: {e}")),
    };
    let outcome = built.reactor.handle(trigger).await;
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

fn sweep_exit(id: &str, outcome: &Outcome, format: Format) -> ExitCode {
    let failed_regions = outcome
        .accounts
        .iter()
        .flat_map(|a| &a.regions)
        .filter(|r| r.action == Action::Failed)
        .count();
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
