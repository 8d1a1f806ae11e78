//! The operator CLI, one file per subcommand (each with its arguments and
//! its `exec`), like cargo's commands. This file holds the top-level parser
//! and the exit-code policy: 0 done, 1 the work failed (with one summary line
//! on stderr), 2 bad input (with exactly one line on stderr).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[macro_use]
mod output;
mod doctor;
mod explain;
mod handle;
mod history;
mod input;
mod policy;
mod readiness;
mod reconcile;
mod redrive;
mod replay;
mod report;
mod seat;
mod start;
mod status;
mod sweep;
mod target;
mod why;

/// `0.3.0 (a1b2c3d4e5f6)`: the version and the git revision built from
/// (`-modified` when tracked files differed from it; `no git revision`
/// outside a git checkout), as build.rs asks git; `0.3.0+12 (…)` twelve
/// commits past the release commit the CHANGELOG names.
fn long_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        let since = option_env!("RUNAS_GUARD_SINCE_RELEASE").and_then(|n| n.parse().ok());
        runas_guard::domain::release::long_version(
            env!("CARGO_PKG_VERSION"),
            since,
            env!("RUNAS_GUARD_REV"),
        )
    })
}

#[derive(Parser)]
#[command(
    name = "runas-guard",
    version = long_version(),
    about = "Keeps Session Manager Run As settings right in every account and region of an AWS Organization"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    target: target::Target,
}

#[derive(Subcommand)]
enum Command {
    /// Classify one EventBridge event offline and print JSON (with --policy, what handle would do); touches nothing.
    Explain(explain::Args),
    /// Do what the Lambda does with one event (EventBridge or SQS batch); print the outcome.
    Handle(handle::Args),
    /// Reconcile accounts and regions now, directly (all, or --account/--region; --dry-run): to look at or fix some.
    #[command(long_about = reconcile::LONG_ABOUT)]
    Reconcile(reconcile::Args),
    /// Run exactly the scheduled sweep now (fan-out, summary, alerts; a fresh event id): the schedule's work.
    #[command(long_about = sweep::LONG_ABOUT)]
    Sweep(sweep::Args),
    /// Replay the hub's dead-letter and failure queues through the handler
    /// `handle` uses; delete only what was handled.
    Redrive(redrive::Args),
    /// Per-account-region state from DynamoDB: who the account is, what the document said, what is wanted; totals.
    Status(status::Args),
    /// If Run As were enforced now, would any session be refused? Per account-region
    /// from what the run-as user check last found (state table only), with OU totals.
    Readiness(readiness::Args),
    /// Why a session would run as its user, or be refused: the chain Session
    /// Manager applies (tag, document, node), link by link, read now.
    Why(why::Args),
    /// One account's changes and drift seen (the history kept, 90 days by default), oldest first.
    History(history::Args),
    /// The auditor's report over a period (--since, --until): per account-region Run As,
    /// last verified, windows, put-backs, periods not governed; csv, json or html.
    Report(report::Args),
    /// Check a deployment without changing anything: hub resources, policy, member accounts.
    Doctor(doctor::Args),
    /// Policy file operations.
    Policy(policy::Args),
}

pub async fn run() -> ExitCode {
    let cli = match parse_args() {
        Ok(c) => c,
        Err(code) => return code,
    };
    output::init_cli_logging();
    if let Err(e) = cli.target.apply() {
        return output::bad_input(e);
    }
    let long = matches!(
        cli.command,
        Command::Sweep(_) | Command::Reconcile(_) | Command::Redrive(_)
    );
    let dry_run = match &cli.command {
        Command::Reconcile(a) if a.dry_run() => Some(output::DryRun::Reconcile),
        Command::Redrive(a) if a.dry_run() => Some(output::DryRun::Redrive),
        _ => None,
    };
    let code = tokio::select! {
        code = dispatch(cli.command) => code,
        _ = ctrl_c(long) => output::interrupted(dry_run),
    };
    output::note_hidden_errors();
    code
}

/// Ctrl-C, for the commands that run long; never for the others, whose
/// default (the process ends at once) is what a user expects.
async fn ctrl_c(watch: bool) {
    if !watch || tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

async fn dispatch(command: Command) -> ExitCode {
    match command {
        Command::Explain(a) => explain::exec(a),
        Command::Handle(a) => handle::exec(a).await,
        Command::Reconcile(a) => reconcile::exec(a).await,
        Command::Sweep(a) => sweep::exec(a).await,
        Command::Redrive(a) => redrive::exec(a).await,
        Command::Status(a) => status::exec(a).await,
        Command::Readiness(a) => readiness::exec(a).await,
        Command::Why(a) => why::exec(a).await,
        Command::History(a) => history::exec(a).await,
        Command::Report(a) => report::exec(a).await,
        Command::Doctor(a) => doctor::exec(a).await,
        Command::Policy(a) => policy::exec(a).await,
    }
}

/// clap's message is several lines (the message, the missing argument's
/// name, a usage line, a tip); bad input gets one. Keep the first paragraph,
/// joined, so `<FILE>` in "the following required arguments were not
/// provided: <FILE>" survives.
fn clap_one_line(rendered: &str) -> String {
    let first: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|l| !l.is_empty())
        .collect();
    // clap's "did you mean" sits in its own paragraph: keep it on the line.
    let tips = rendered
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("tip:"))
        .map(|l| l.trim_start_matches("tip:").trim());
    let joined = std::iter::once(first.join(" "))
        .chain(tips.map(str::to_string))
        .collect::<Vec<_>>()
        .join("; ");
    let joined = joined.trim_start_matches("error: ").trim();
    if joined.is_empty() {
        "bad arguments".into()
    } else {
        joined.into()
    }
}

/// Help and version are not errors (exit 0), except help shown for a missing
/// subcommand (exit 2); any other clap error is one line.
fn parse_args() -> Result<Cli, ExitCode> {
    Cli::try_parse().map_err(|e| {
        use clap::error::ErrorKind;
        match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                let _ = e.print();
                ExitCode::SUCCESS
            }
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                let _ = e.print();
                ExitCode::from(2)
            }
            _ => output::bad_input(format!(
                "{} (see runas-guard --help)",
                clap_one_line(&e.to_string())
            )),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_errors_keep_the_argument_name() {
        let rendered = "error: the following required arguments were not provided:\n  <FILE>\n\nUsage: runas-guard policy check <FILE>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            clap_one_line(rendered),
            "the following required arguments were not provided: <FILE>"
        );
        assert_eq!(
            clap_one_line("error: unexpected argument 'x' found\n\nUsage: y\n"),
            "unexpected argument 'x' found"
        );
    }
}
