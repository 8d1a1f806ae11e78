//! `runas-guard reconcile`: every account and governed region (or those
//! selected) now, with a report; `--dry-run` writes nothing anywhere.

use std::io::IsTerminal;
use std::process::ExitCode;

use runas_guard::adapters::aws::organizations::Org;
use runas_guard::domain::policy::ungoverned_filter;
use runas_guard::domain::report::{Format, Report};
use runas_guard::domain::trigger;
use runas_guard::flow::sweep::{OrgReport, Selection};

use super::output::{bad_input, failed};
use super::start::{build, ids_outside_organization, outside_organization, Built, Resources};

mod by_function;

/// `reconcile --help`: what it is, and when `sweep` is the one to use.
pub const LONG_ABOUT: &str = "\
Reconcile accounts and governed regions now, directly: every account and \
region of the organization, or only those --account and --region name. \
Ids are checked against the organization before anything is touched; \
--dry-run computes and reports without writing anywhere (no member \
account, no table, no alert; needs no table or topic).

Use `reconcile` to look at or fix chosen accounts and regions, or to see \
what would change. Use `sweep` to run exactly what the schedule runs (its \
event claim, fan-out over the sweep queue, Identity Center look and alerts): \
reconcile never fans out and claims no event, though a whole run records \
the sweep's time and sends one sweep_summary like a sweep.

A reconcile that writes enters each member account with the policy's \
member_role (then fallback_roles), which trusts only the hub role: from \
other credentials (on-call's seat) it stops before writing anything and \
names the command to use instead. With --stack (the hub stack) or \
--function, the deployed function reconciles the --account accounts with \
its own roles (Lambda Invoke of its operator alias): the seat is enough.

Prints one row per account-region (account, name, OU path, region, user, \
RunAs before, mode, action, role, error), then the totals. Exits 1 if any \
account-region failed, an alert was not delivered, or a whole run governed \
none or far fewer accounts than it should (sweep_degraded).";

#[derive(clap::Args)]
pub struct Args {
    /// Compute and report; write nothing anywhere (needs no table or topic).
    #[arg(long)]
    dry_run: bool,
    /// Only this account (repeatable); it must be in the organization.
    #[arg(long = "account", value_name = "ID", action = clap::ArgAction::Append)]
    accounts: Vec<String>,
    /// Only this governed region (repeatable).
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    #[arg(long, value_enum, ignore_case = true, default_value = "table", help = super::output::FORMAT_HELP)]
    format: Format,
    /// Accounts reconciled at once.
    #[arg(long, default_value_t = 16, env = "RUNAS_GUARD_CONCURRENCY")]
    concurrency: usize,
    #[command(flatten)]
    resources: Resources,
    // With --dry-run: the role member accounts are read with.
    #[command(flatten)]
    seat: super::seat::SeatArgs,
    /// The hub CloudFormation stack: its function reconciles the --account
    /// accounts with its own roles (from on-call's seat).
    #[arg(long, value_name = "STACK")]
    stack: Option<String>,
    /// The deployed function to ask instead (name or ARN), as --stack does.
    #[arg(long, value_name = "NAME|ARN", env = "RUNAS_GUARD_FUNCTION")]
    function: Option<String>,
}

impl Args {
    /// A dry run writes nothing: interrupted, it has nothing to record.
    pub(crate) fn dry_run(&self) -> bool {
        self.dry_run
    }
}

pub async fn exec(args: Args) -> ExitCode {
    let scope = Selection {
        accounts: args.accounts,
        regions: args.regions,
    };
    if let Err(e) = args.seat.check() {
        return bad_input(e);
    }
    let asked = args.stack.is_some() || args.function.as_deref().is_some_and(|f| !f.is_empty());
    if asked && !args.dry_run {
        return by_function::exec(
            scope,
            args.format,
            args.stack.as_deref(),
            args.function.as_deref(),
        )
        .await;
    }
    reconcile(
        scope,
        args.dry_run,
        args.format,
        args.concurrency,
        (&args.resources, &args.seat),
    )
    .await
}

async fn reconcile(
    scope: Selection,
    dry_run: bool,
    format: Format,
    concurrency: usize,
    (resources, seat): (&Resources, &super::seat::SeatArgs),
) -> ExitCode {
    if let Some(bad) = scope.accounts.iter().find(|a| !trigger::is_account_id(a)) {
        return bad_input(format!("--account {bad:?} is not a 12-digit account id"));
    }
    if concurrency == 0 {
        return bad_input("--concurrency must be at least 1");
    }
    let mut built = match build(resources, None, Some(concurrency), dry_run).await {
        Ok(b) => b,
        Err(e) => return e.exit(),
    };
    // A dry run reads through the operator's seat where one is set; a run
    // that writes needs the policy's roles (the seat is read-only).
    if dry_run {
        let policy = built.reactor.policy();
        let seat = seat.seat(&built.config, policy, "reconcile-dry-run").await;
        built.reactor = built.reactor.seated(seat);
    }
    let policy = built.reactor.policy();
    if let Err(line) = ungoverned_filter(&scope.regions, &policy.regions) {
        return bad_input(line);
    }
    // A reconcile that writes needs the member role in each account; from
    // credentials that cannot take it (on-call's seat, a hub administrator:
    // it trusts only the hub role) it would record the accounts as pending
    // or failed and publish that. Asked first, before anything is written.
    if !dry_run {
        if let Err(line) = by_function::can_enter(&built, &scope.accounts).await {
            return failed(line);
        }
    }
    held_then_run(&built, &scope, dry_run, format).await
}

/// One walk of the tree serves the id check and the reconcile; the table
/// and the outbox are read meanwhile (reads: nothing is touched before the
/// check passes).
async fn held_then_run(
    built: &Built,
    scope: &Selection,
    dry_run: bool,
    format: Format,
) -> ExitCode {
    let org = built.reactor.org();
    let (held, ahead) = tokio::join!(
        held_against_organization(built, &org, scope),
        built.reactor.read_ahead(dry_run)
    );
    if let Err(stop) = held {
        return stop;
    }
    let progress = progress_bar();
    match built
        .reactor
        .reconcile_org(&org, scope, dry_run, progress.clone(), ahead)
        .await
    {
        Ok(run) => {
            if let Some(p) = progress {
                p.finish_and_clear();
            }
            let exit = print_run(&run, dry_run, format, &built.settings.topic_arn);
            // The whole organization from credentials the member role
            // refuses everywhere: said as `reconcile --account` says it.
            let whole = !dry_run && scope.accounts.is_empty();
            match whole {
                true => match by_function::refused_everywhere(built, &run.reports).await {
                    Some(line) => failed(line),
                    None => exit,
                },
                false => exit,
            }
        }
        Err(e) => {
            if let Some(p) = progress {
                p.finish_and_clear();
            }
            failed(e)
        }
    }
}

/// A policy id the organization does not have would quietly move its
/// accounts to another rule's user, and an `--account` it does not have is a
/// typo: both refused before anything is touched.
async fn held_against_organization(
    built: &Built,
    org: &Org,
    scope: &Selection,
) -> Result<(), ExitCode> {
    let policy = built.reactor.policy();
    match ids_outside_organization(org, policy).await {
        Ok(None) => {}
        Ok(Some(line)) => {
            return Err(bad_input(format!(
                "the policy names ids the organization does not have: {line}"
            )))
        }
        Err(e) => {
            return Err(failed(format!(
                "cannot check the policy's ids against the organization: {e}"
            )))
        }
    }
    match outside_organization(&built.config, &scope.accounts).await {
        Ok(missing) if missing.is_empty() => {}
        Ok(missing) => {
            return Err(bad_input(format!(
                "--account {} {} not in the organization",
                missing.join(", "),
                if missing.len() == 1 { "is" } else { "are" }
            )))
        }
        Err(e) => {
            return Err(failed(format!(
                "cannot check --account against the organization: {e}"
            )))
        }
    }
    Ok(())
}

/// Only when a person is watching both streams: a bar in a pipe or a log is noise.
fn progress_bar() -> Option<indicatif::ProgressBar> {
    (std::io::stdout().is_terminal() && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} accounts {elapsed}")
                .expect("static template"),
        );
        bar
    })
}

/// Undelivered alerts fail the run as surely as failed regions do; either
/// way one line on stderr says so.
fn print_run(run: &OrgReport, dry_run: bool, format: Format, topic: &str) -> ExitCode {
    let report = Report::new(&run.reports, dry_run).with_alerts(
        run.alerts_sent,
        run.alerts_kept,
        run.alerts_lost,
    );
    out!("{}", report.render(format));
    if format == Format::Json {
        outln!();
    }
    let undelivered = run.alerts_kept + run.alerts_lost;
    let mut problems = Vec::new();
    if let Some(d) = &run.degraded {
        problems.push(format!("DEGRADED (sweep_degraded sent): {}", d.said));
    }
    if report.failed > 0 {
        problems.push(format!(
            "{} account-region(s) failed (the report names them)",
            report.failed_account_regions
        ));
    }
    if undelivered > 0 {
        problems.push(format!(
            "{undelivered} alert(s) not delivered to topic {topic} ({} kept for the next sweep)",
            run.alerts_kept
        ));
    }
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        failed(problems.join("; "))
    }
}
