//! The operator CLI (DESIGN.md "Binary"). Exit codes: 0 done, 1 the work
//! failed, 2 bad input with one line on stderr.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use runas_guard::config::{load_policy, settings_from_env, table_from_env};
use runas_guard::dispatch::dispatch;
use runas_guard::policy::Policy;
use runas_guard::reactor::Reactor;
use runas_guard::report::{render_status, Format, Report};
use runas_guard::sweep::{OrgRun, Scope};
use runas_guard::trigger::{self, EventError, MAX_EVENT_BYTES};

#[derive(Parser)]
#[command(
    name = "runas-guard",
    version,
    about = "Keeps Session Manager Run As settings right in every account and region of an AWS Organization"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone, Default)]
struct Resources {
    /// Policy file (TOML).
    #[arg(long, env = "RUNAS_GUARD_POLICY")]
    policy: Option<PathBuf>,
    /// DynamoDB state table.
    #[arg(long, env = "RUNAS_GUARD_TABLE")]
    table: Option<String>,
    /// SNS topic for alerts.
    #[arg(long, env = "RUNAS_GUARD_TOPIC_ARN")]
    topic_arn: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Classify one EventBridge event offline and print JSON; touches nothing.
    Explain {
        /// Event file, or - for standard input.
        event: String,
    },
    /// Do what the Lambda does with one event (EventBridge or SQS batch); print the outcome.
    Handle {
        /// Event file, or - for standard input.
        event: String,
        #[command(flatten)]
        resources: Resources,
        /// SQS queue for fanned-out sweeps.
        #[arg(long, env = "RUNAS_GUARD_SWEEP_QUEUE_URL")]
        sweep_queue_url: Option<String>,
    },
    /// Reconcile every account and governed region of the organization now.
    Reconcile {
        /// Compute and report; write nothing anywhere.
        #[arg(long)]
        dry_run: bool,
        /// Only this account (repeatable).
        #[arg(long = "account", value_name = "ID")]
        accounts: Vec<String>,
        /// Only this governed region (repeatable).
        #[arg(long = "region", value_name = "REGION")]
        regions: Vec<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Accounts reconciled at once.
        #[arg(long, default_value_t = 16, env = "RUNAS_GUARD_CONCURRENCY")]
        concurrency: usize,
        #[command(flatten)]
        resources: Resources,
    },
    /// Per-account-region state from DynamoDB.
    Status {
        #[arg(long, value_name = "ID")]
        account: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        #[arg(long, env = "RUNAS_GUARD_TABLE")]
        table: Option<String>,
    },
    /// Policy file operations.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Validate a policy file.
    Check { file: PathBuf },
}

/// Exit 2 with one line on stderr.
fn bad_input(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("runas-guard: {message}");
    ExitCode::from(2)
}

/// Reads at most 1 MiB + 1 byte, so a huge file is refused without being loaded.
fn read_event(source: &str) -> Result<Vec<u8>, String> {
    let limit = MAX_EVENT_BYTES as u64 + 1;
    let mut bytes = Vec::new();
    let result = if source == "-" {
        std::io::stdin().lock().take(limit).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(source).and_then(|f| f.take(limit).read_to_end(&mut bytes))
    };
    result.map_err(|e| format!("cannot read event {source}: {e}"))?;
    Ok(bytes)
}

fn parse_event(source: &str) -> Result<serde_json::Value, String> {
    let bytes = read_event(source)?;
    trigger::parse_event_bytes(&bytes).map_err(|e: EventError| format!("{source}: {e}"))
}

fn init_cli_logging() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
}

pub async fn run() -> ExitCode {
    let cli = match parse_args() {
        Ok(c) => c,
        Err(code) => return code,
    };
    init_cli_logging();
    match cli.command {
        Command::Explain { event } => explain(&event),
        Command::Policy {
            command: PolicyCommand::Check { file },
        } => policy_check(&file),
        Command::Handle {
            event,
            resources,
            sweep_queue_url,
        } => handle(&event, &resources, sweep_queue_url).await,
        Command::Reconcile {
            dry_run,
            accounts,
            regions,
            format,
            concurrency,
            resources,
        } => {
            let scope = Scope { accounts, regions };
            reconcile(scope, dry_run, format, concurrency, &resources).await
        }
        Command::Status {
            account,
            format,
            table,
        } => status(account, format, table).await,
    }
}

/// Help and version are not errors (exit 0), except help shown for a missing
/// subcommand (exit 2); any other clap error is cut to its first line because
/// bad input gets one line on stderr.
fn parse_args() -> Result<Cli, ExitCode> {
    Cli::try_parse().map_err(|e| {
        use clap::error::ErrorKind;
        if matches!(
            e.kind(),
            ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        ) {
            let _ = e.print();
            return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
        let first = e.to_string();
        let first = first
            .lines()
            .next()
            .unwrap_or("bad arguments")
            .trim_start_matches("error: ");
        bad_input(format!("{first} (see runas-guard --help)"))
    })
}

fn explain(event: &str) -> ExitCode {
    let value = match parse_event(event) {
        Ok(v) => v,
        Err(e) => return bad_input(e),
    };
    match trigger::classify(&value) {
        Ok(t) => {
            println!(
                "{}",
                serde_json::to_string(&t.explain()).expect("explanation serialises")
            );
            ExitCode::SUCCESS
        }
        Err(e) => bad_input(format!("{event}: {e}")),
    }
}

fn policy_check(file: &Path) -> ExitCode {
    match Policy::load(file) {
        Ok(p) => {
            println!(
                "{}: ok ({} regions, mode {:?}, default user {})",
                file.display(),
                p.regions.len(),
                p.mode,
                p.default_user
            );
            ExitCode::SUCCESS
        }
        Err(e) => bad_input(e),
    }
}

async fn handle(event: &str, resources: &Resources, sweep_queue_url: Option<String>) -> ExitCode {
    let value = match parse_event(event) {
        Ok(v) => v,
        Err(e) => return bad_input(e),
    };
    let reactor = match build(resources, sweep_queue_url, None).await {
        Ok(r) => r,
        Err(e) => return bad_input(e),
    };
    let request_id = format!(
        "cli-{}-{}",
        std::process::id(),
        runas_guard::clock::epoch_secs(runas_guard::clock::now())
    );
    let answer = dispatch(&reactor, &value, &request_id).await;
    println!(
        "{}",
        serde_json::to_string_pretty(&answer.body).expect("outcome serialises")
    );
    if let Some(reason) = answer.rejected {
        return bad_input(format!("{event}: {reason}"));
    }
    if answer.failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

async fn reconcile(
    scope: Scope,
    dry_run: bool,
    format: Format,
    concurrency: usize,
    resources: &Resources,
) -> ExitCode {
    if let Some(bad) = scope.accounts.iter().find(|a| !trigger::is_account_id(a)) {
        return bad_input(format!("--account {bad:?} is not a 12-digit account id"));
    }
    if concurrency == 0 {
        return bad_input("--concurrency must be at least 1");
    }
    let reactor = match build(resources, None, Some(concurrency)).await {
        Ok(r) => r,
        Err(e) => return bad_input(e),
    };
    let policy = reactor.policy();
    if let Some(bad) = scope.regions.iter().find(|r| !policy.governs_region(r)) {
        return bad_input(format!(
            "--region {bad} is not one of the policy's regions ({})",
            policy.regions.join(", ")
        ));
    }
    let progress = progress_bar();
    match reactor
        .reconcile_org(&scope, dry_run, progress.clone())
        .await
    {
        Ok(run) => {
            if let Some(p) = progress {
                p.finish_and_clear();
            }
            print_run(&run, dry_run, format)
        }
        Err(e) => {
            eprintln!("runas-guard: {e}");
            ExitCode::from(1)
        }
    }
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

/// Undelivered alerts fail the run as surely as failed regions do.
fn print_run(run: &OrgRun, dry_run: bool, format: Format) -> ExitCode {
    let report = Report::new(&run.reports, dry_run).with_alerts(
        run.alerts_sent,
        run.alerts_kept,
        run.alerts_lost,
    );
    print!("{}", report.render(format));
    if format == Format::Json {
        println!();
    }
    let undelivered = run.alerts_kept + run.alerts_lost;
    if undelivered > 0 {
        eprintln!(
            "runas-guard: {undelivered} alert(s) not delivered ({} kept for the next sweep)",
            run.alerts_kept
        );
    }
    if report.failed > 0 || undelivered > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

async fn status(account: Option<String>, format: Format, table: Option<String>) -> ExitCode {
    if let Some(bad) = account.as_ref().filter(|a| !trigger::is_account_id(a)) {
        return bad_input(format!("--account {bad:?} is not a 12-digit account id"));
    }
    let table = match table_from_env(table) {
        Ok(t) => t,
        Err(e) => return bad_input(e),
    };
    let config = runas_guard::aws::load_config().await;
    let store = runas_guard::aws::state::StateStore::new(runas_guard::aws::state::Table::new(
        &config, &table,
    ));
    match store.list(account.as_deref()).await {
        Ok(rows) => {
            print!("{}", render_status(&rows, format));
            if format == Format::Json {
                println!();
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("runas-guard: {e}");
            ExitCode::from(1)
        }
    }
}

async fn build(
    resources: &Resources,
    queue: Option<String>,
    concurrency: Option<usize>,
) -> Result<Reactor, String> {
    let policy = load_policy(resources.policy.as_deref())?;
    let mut settings =
        settings_from_env(resources.table.clone(), resources.topic_arn.clone(), queue)?;
    if let Some(c) = concurrency {
        settings.concurrency = c;
    }
    let config = runas_guard::aws::load_config().await;
    Ok(Reactor::new(&config, policy, settings))
}
