//! The operator CLI (docs/design.md "Binary and exit codes"). Exit codes: 0 done, 1 the work
//! failed (with one summary line on stderr), 2 bad input (with exactly one
//! line on stderr).

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use clap::{Parser, Subcommand};
use runas_guard::aws::organizations::Org;
use runas_guard::aws::state::StateStore;
use runas_guard::aws::table::Table;
use runas_guard::config::{dry_run_settings, settings_from_env, table_from_env, Settings};
use runas_guard::dispatch::dispatch;
use runas_guard::outcome::{Action, Handled, Outcome};
use runas_guard::policy::Policy;
use runas_guard::policy_source::Source;
use runas_guard::reactor::Reactor;
use runas_guard::report::{render_status, Format, Report};
use runas_guard::sweep::{OrgReport, Selection};
use runas_guard::trigger::{self, EventError, MAX_EVENT_BYTES};

/// The statuses a state item can have (docs/design.md "State").
const STATUSES: [&str; 6] = [
    "compliant",
    "remediated",
    "reverted",
    "noncompliant",
    "failed",
    "excluded",
];

/// `0.2.0 (a1b2c3d4e5f6)`: the version and, in builds made by `make dist`
/// (which sets `RUNAS_GUARD_REV`), the git revision they were built from.
fn long_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        format!(
            "{} ({})",
            env!("CARGO_PKG_VERSION"),
            option_env!("RUNAS_GUARD_REV").unwrap_or("development build")
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
        /// A local policy file whose `[[document]]` names also count as
        /// governed (without it, only SSM-SessionManagerRunShell does).
        #[arg(long)]
        policy: Option<PathBuf>,
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
        /// Compute and report; write nothing anywhere (needs no table or topic).
        #[arg(long)]
        dry_run: bool,
        /// Only this account (repeatable); it must be in the organization.
        #[arg(long = "account", value_name = "ID")]
        accounts: Vec<String>,
        /// Only this governed region (repeatable).
        #[arg(long = "region", value_name = "REGION")]
        regions: Vec<String>,
        /// Output: table, json or csv (any case).
        #[arg(long, value_enum, ignore_case = true, default_value = "table")]
        format: Format,
        /// Accounts reconciled at once.
        #[arg(long, default_value_t = 16, env = "RUNAS_GUARD_CONCURRENCY")]
        concurrency: usize,
        #[command(flatten)]
        resources: Resources,
    },
    /// Sweep the whole organization now, exactly as the scheduled sweep does
    /// (a fresh event id every time); print the outcome as JSON.
    Sweep {
        /// Output: json (the whole outcome), table or csv (one row per
        /// account-region, like reconcile); any case.
        #[arg(long, value_enum, ignore_case = true, default_value = "json")]
        format: Format,
        #[command(flatten)]
        resources: Resources,
        /// SQS queue for fanned-out sweeps.
        #[arg(long, env = "RUNAS_GUARD_SWEEP_QUEUE_URL")]
        sweep_queue_url: Option<String>,
    },
    /// Per-account-region state from DynamoDB: what the document said, what is wanted.
    Status {
        /// Only this account (a 12-digit id; one the organization has, or
        /// one with something recorded).
        #[arg(long, value_name = "ID")]
        account: Option<String>,
        /// Only this region (repeatable).
        #[arg(long = "region", value_name = "REGION")]
        regions: Vec<String>,
        /// Only this status (repeatable): compliant, remediated, reverted, noncompliant, failed, excluded.
        #[arg(long = "status", value_name = "STATUS")]
        statuses: Vec<String>,
        /// Output: table, json or csv (any case).
        #[arg(long, value_enum, ignore_case = true, default_value = "table")]
        format: Format,
        /// DynamoDB state table.
        #[arg(long, env = "RUNAS_GUARD_TABLE")]
        table: Option<String>,
    },
    /// One account's changes and drift seen (90 days of history), oldest first.
    History {
        /// The account (a 12-digit id; one the organization has, or one with
        /// something recorded).
        #[arg(long, value_name = "ID")]
        account: String,
        /// Only this region (repeatable).
        #[arg(long = "region", value_name = "REGION")]
        regions: Vec<String>,
        /// From this date (2026-03-14), UTC time (2026-03-14T09:30:00Z) or age (24h, 7d).
        #[arg(long, value_name = "WHEN")]
        since: Option<String>,
        /// Output: table, json or csv (any case).
        #[arg(long, value_enum, ignore_case = true, default_value = "table")]
        format: Format,
        /// DynamoDB state table.
        #[arg(long, env = "RUNAS_GUARD_TABLE")]
        table: Option<String>,
    },
    /// Check a deployment without changing anything: hub resources, policy, member accounts.
    Doctor {
        /// Also check this member account (repeatable): role, document in every governed region.
        #[arg(long = "account", value_name = "ID")]
        accounts: Vec<String>,
        /// The hub CloudFormation stack: compare its MemberRoleName,
        /// NamedSessionDocuments and outputs with the configuration.
        #[arg(long, value_name = "NAME")]
        stack: Option<String>,
        /// The member StackSet: compare its instances' regions with the policy's.
        #[arg(long, value_name = "NAME")]
        stackset: Option<String>,
        /// Output: table, json or csv (any case).
        #[arg(long, value_enum, ignore_case = true, default_value = "table")]
        format: Format,
        #[command(flatten)]
        resources: Resources,
        /// SQS queue for fanned-out sweeps.
        #[arg(long, env = "RUNAS_GUARD_SWEEP_QUEUE_URL")]
        sweep_queue_url: Option<String>,
    },
    /// Policy file operations.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Validate a policy file (- for standard input).
    Check {
        file: String,
        /// Also check every OU and account id it names against the
        /// organization (one walk of its tree; needs Organizations read access).
        #[arg(long)]
        org: bool,
    },
    /// For each [[document]]: the inline policy for its IAM Identity Center
    /// permission set (StartSession with that document only).
    PermissionSets {
        /// Policy file (- for standard input).
        file: String,
        /// Output: json or cloudformation (any case).
        #[arg(long, value_enum, ignore_case = true, default_value = "json")]
        format: runas_guard::permission_sets::Format,
        /// ARN partition of the organization.
        #[arg(long, default_value = "aws")]
        partition: String,
    },
}

/// Standard output that a closed pipe ends quietly (`runas-guard sweep |
/// head -1`): exit 141, as a Unix tool killed by SIGPIPE, never a panic.
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        report_line(format!("cannot write to standard output: {e}"));
        std::process::exit(1);
    }
}

macro_rules! out {
    ($($arg:tt)*) => { emit(&format!($($arg)*)) };
}

macro_rules! outln {
    () => { emit("\n") };
    ($($arg:tt)*) => { emit(&format!("{}\n", format!($($arg)*))) };
}

/// A failure line was printed (exit 1 or 2): nothing more goes to stderr.
static REPORTED: AtomicBool = AtomicBool::new(false);
/// ERROR-level events, counted even while the log itself is off.
static LOGGED_ERRORS: AtomicUsize = AtomicUsize::new(0);

fn report_line(message: impl std::fmt::Display) {
    REPORTED.store(true, Ordering::Relaxed);
    eprintln!(
        "runas-guard: {}",
        runas_guard::aws::one_line(&message.to_string())
    );
}

/// Exit 2 with exactly one line on stderr.
fn bad_input(message: impl std::fmt::Display) -> ExitCode {
    report_line(message);
    ExitCode::from(2)
}

/// Exit 1 with one summary line on stderr.
fn failed(message: impl std::fmt::Display) -> ExitCode {
    report_line(message);
    ExitCode::from(1)
}

/// Counts ERROR events (they are off on the CLI unless `RUST_LOG` asks),
/// so a run that succeeded but logged errors can still say so.
struct CountErrors;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountErrors {
    fn on_event(
        &self,
        _event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        LOGGED_ERRORS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Reads at most `limit` bytes + 1, so a huge input is refused without being loaded.
fn read_limited(source: &str, limit: usize, what: &str) -> Result<Vec<u8>, String> {
    let limit = limit as u64 + 1;
    let mut bytes = Vec::new();
    let result = if source == "-" {
        std::io::stdin().lock().take(limit).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(source).and_then(|f| f.take(limit).read_to_end(&mut bytes))
    };
    result.map_err(|e| format!("cannot read {what} {source}: {e}"))?;
    Ok(bytes)
}

fn parse_event(source: &str) -> Result<serde_json::Value, String> {
    let bytes = read_limited(source, MAX_EVENT_BYTES, "event")?;
    trigger::parse_event_bytes(&bytes).map_err(|e: EventError| format!("{source}: {e}"))
}

/// Colour only for a person: stderr a terminal and `NO_COLOR` unset (or
/// empty, as no-color.org says).
fn colour_wanted() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The CLI's own output (the report, the outcome, and one stderr line) says
/// what happened, so log lines are off unless `RUST_LOG` asks for them.
fn init_cli_logging() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let log = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(colour_wanted())
        .with_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "off".into()),
        );
    tracing_subscriber::registry()
        .with(log)
        .with(CountErrors.with_filter(tracing_subscriber::filter::LevelFilter::ERROR))
        .init();
}

/// A run that succeeded while errors were logged unseen says so, once.
fn note_hidden_errors() {
    let errors = LOGGED_ERRORS.load(Ordering::Relaxed);
    if errors > 0 && !REPORTED.load(Ordering::Relaxed) && std::env::var_os("RUST_LOG").is_none() {
        eprintln!(
            "runas-guard: done, but {errors} error(s) were logged; RUST_LOG=error shows them"
        );
    }
}

pub async fn run() -> ExitCode {
    let cli = match parse_args() {
        Ok(c) => c,
        Err(code) => return code,
    };
    init_cli_logging();
    let code = command(cli.command).await;
    note_hidden_errors();
    code
}

async fn command(command: Command) -> ExitCode {
    match command {
        Command::Explain { event, policy } => explain(&event, policy.as_deref()),
        Command::Policy {
            command: PolicyCommand::Check { file, org },
        } => policy_check(&file, org).await,
        Command::Policy {
            command:
                PolicyCommand::PermissionSets {
                    file,
                    format,
                    partition,
                },
        } => permission_sets(&file, format, &partition),
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
            let scope = Selection { accounts, regions };
            reconcile(scope, dry_run, format, concurrency, &resources).await
        }
        Command::Sweep {
            format,
            resources,
            sweep_queue_url,
        } => sweep(&resources, sweep_queue_url, format).await,
        Command::Status {
            account,
            regions,
            statuses,
            format,
            table,
        } => status(account, regions, statuses, format, table).await,
        Command::History {
            account,
            regions,
            since,
            format,
            table,
        } => history(&account, regions, since, format, table).await,
        Command::Doctor {
            accounts,
            stack,
            stackset,
            format,
            resources,
            sweep_queue_url,
        } => {
            doctor(
                accounts,
                stack,
                stackset,
                format,
                &resources,
                sweep_queue_url,
            )
            .await
        }
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
            _ => bad_input(format!(
                "{} (see runas-guard --help)",
                clap_one_line(&e.to_string())
            )),
        }
    })
}

fn explain(event: &str, policy: Option<&Path>) -> ExitCode {
    let policy = match policy.map(Policy::load).transpose() {
        Ok(p) => p,
        Err(e) => return bad_input(e.to_string()),
    };
    let documents = policy
        .as_ref()
        .map_or(vec![trigger::DOCUMENT_NAME], Policy::document_names);
    let value = match parse_event(event) {
        Ok(v) => v,
        Err(e) => return bad_input(e),
    };
    match trigger::classify_for(&value, &documents) {
        Ok(t) => {
            outln!(
                "{}",
                serde_json::to_string(&t.explain()).expect("explanation serialises")
            );
            ExitCode::SUCCESS
        }
        Err(e) => bad_input(format!("{event}: {e}")),
    }
}

/// A policy file is small; anything over 1 MiB is not one.
const MAX_POLICY_BYTES: usize = 1024 * 1024;

fn permission_sets(
    file: &str,
    format: runas_guard::permission_sets::Format,
    partition: &str,
) -> ExitCode {
    let rendered = read_policy_arg(file).and_then(|p| {
        runas_guard::permission_sets::render(&p, partition, format)
            .map_err(|e| format!("{}: {e}", shown_policy(file)))
    });
    match rendered {
        Ok(text) => {
            out!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => bad_input(e),
    }
}

fn shown_policy(file: &str) -> &str {
    if file == "-" {
        "<stdin>"
    } else {
        file
    }
}

/// A policy file argument, or - for standard input (1 MiB at most).
fn read_policy_arg(file: &str) -> Result<Policy, String> {
    if file == "-" {
        read_limited(file, MAX_POLICY_BYTES, "policy")
            .and_then(|bytes| {
                if bytes.len() > MAX_POLICY_BYTES {
                    return Err("policy <stdin>: larger than 1 MiB".to_string());
                }
                String::from_utf8(bytes).map_err(|_| "policy <stdin>: not UTF-8".to_string())
            })
            .and_then(|text| Policy::parse(&text, "<stdin>").map_err(|e| e.to_string()))
    } else {
        Policy::load(std::path::Path::new(file)).map_err(|e| e.to_string())
    }
}

async fn policy_check(file: &str, org: bool) -> ExitCode {
    let shown = shown_policy(file);
    match read_policy_arg(file) {
        Ok(p) => {
            if org {
                let config = runas_guard::aws::load_config().await;
                match ids_outside_organization(&config, &p).await {
                    Ok(None) => {}
                    Ok(Some(line)) => return bad_input(format!("{shown}: {line}")),
                    Err(e) => {
                        return failed(format!(
                            "cannot check {shown}'s ids against the organization: {e}"
                        ))
                    }
                }
            }
            let documents = match p.documents.len() {
                0 => String::new(),
                n => format!(
                    ", {n} more document(s): {}",
                    p.document_names()[1..].join(", ")
                ),
            };
            let ids = runas_guard::policy_ids::named_ids(&p).len();
            outln!(
                "{shown}: ok ({} regions, mode {:?}, default user {}{documents}{})",
                p.regions.len(),
                p.mode,
                p.default_user,
                if org {
                    format!("; all {ids} OU and account ids are in the organization")
                } else {
                    String::new()
                }
            );
            for w in p.warnings() {
                outln!("warning: {w}");
            }
            for d in p
                .documents
                .iter()
                .filter(|d| !d.name.starts_with("SSMRunAs-"))
            {
                outln!(
                    "note: {} is not named SSMRunAs-*, the documents the shipped SCPs protect (infra/scp/README.md)",
                    d.name
                );
            }
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
    let built = match build(resources, sweep_queue_url, None, false).await {
        Ok(b) => b,
        Err(e) => return e.exit(),
    };
    let request_id = format!(
        "cli-{}-{}",
        std::process::id(),
        runas_guard::clock::epoch_secs(runas_guard::clock::now())
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

/// `runas-guard sweep`: a scheduled event made up now, with an id of its
/// own, handled as the Lambda handles the schedule's.
async fn sweep(resources: &Resources, sweep_queue_url: Option<String>, format: Format) -> ExitCode {
    let built = match build(resources, sweep_queue_url, None, false).await {
        Ok(b) => b,
        Err(e) => return e.exit(),
    };
    let now = runas_guard::clock::now();
    let id = format!(
        "manual-{}-{}",
        runas_guard::clock::epoch_secs(now),
        runas_guard::ids::token()
    );
    let region = runas_guard::aws::home_region(&built.config);
    let event = serde_json::json!({
        "version": "0",
        "id": id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": runas_guard::clock::iso(now),
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
    sweep_exit(&id, &outcome)
}

fn sweep_exit(id: &str, outcome: &Outcome) -> ExitCode {
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
        _ if failed_regions > 0 => failed(format!(
            "sweep {id}: {failed_regions} account-region(s) failed (see accounts[].regions)"
        )),
        _ => ExitCode::SUCCESS,
    }
}

async fn reconcile(
    scope: Selection,
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
    let built = match build(resources, None, Some(concurrency), dry_run).await {
        Ok(b) => b,
        Err(e) => return e.exit(),
    };
    let policy = built.reactor.policy();
    if let Some(bad) = scope.regions.iter().find(|r| !policy.governs_region(r)) {
        return bad_input(format!(
            "--region {bad} is not one of the policy's regions ({})",
            policy.regions.join(", ")
        ));
    }
    // A policy id the organization does not have would quietly move its
    // accounts to another rule's user: refuse before acting.
    match ids_outside_organization(&built.config, policy).await {
        Ok(None) => {}
        Ok(Some(line)) => {
            return bad_input(format!(
                "the policy names ids the organization does not have: {line}"
            ))
        }
        Err(e) => {
            return failed(format!(
                "cannot check the policy's ids against the organization: {e}"
            ))
        }
    }
    match outside_organization(&built.config, &scope.accounts).await {
        Ok(missing) if missing.is_empty() => {}
        Ok(missing) => {
            return bad_input(format!(
                "--account {} {} not in the organization",
                missing.join(", "),
                if missing.len() == 1 { "is" } else { "are" }
            ))
        }
        Err(e) => {
            return failed(format!(
                "cannot check --account against the organization: {e}"
            ))
        }
    }
    let progress = progress_bar();
    match built
        .reactor
        .reconcile_org(&scope, dry_run, progress.clone())
        .await
    {
        Ok(run) => {
            if let Some(p) = progress {
                p.finish_and_clear();
            }
            print_run(&run, dry_run, format, &built.settings.topic_arn)
        }
        Err(e) => {
            if let Some(p) = progress {
                p.finish_and_clear();
            }
            failed(e)
        }
    }
}

/// The given account ids Organizations does not know (one DescribeAccount each).
/// `Some(line)` naming every OU and account id of `policy` the organization
/// does not have; `None` when it has them all.
async fn ids_outside_organization(
    config: &aws_config::SdkConfig,
    policy: &Policy,
) -> Result<Option<String>, runas_guard::aws::AwsError> {
    let known = Org::new(config).ids().await?;
    let unknown = runas_guard::policy_ids::unknown_ids(policy, &known);
    Ok((!unknown.is_empty()).then(|| runas_guard::policy_ids::describe(&unknown, 10)))
}

async fn outside_organization(
    config: &aws_config::SdkConfig,
    accounts: &[String],
) -> Result<Vec<String>, runas_guard::aws::AwsError> {
    let org = Org::new(config);
    let mut missing: Vec<String> = Vec::new();
    for account in accounts {
        if missing.contains(account) {
            continue;
        }
        if org.describe_account(account).await?.is_none() {
            missing.push(account.clone());
        }
    }
    Ok(missing)
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
    if report.failed > 0 {
        problems.push(format!(
            "{} account-region(s) failed (the report names them)",
            report.failed
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

fn check_regions(regions: &[String]) -> Result<(), String> {
    // A region AWS opened after this build is still a region.
    match regions
        .iter()
        .find(|r| !runas_guard::ids::is_region_name(r))
    {
        Some(bad) => Err(format!("--region {bad:?} is not a region name")),
        None => Ok(()),
    }
}

fn state_store(config: &aws_config::SdkConfig, table: &str) -> StateStore {
    StateStore::new(Table::new(config, table))
}

async fn status(
    account: Option<String>,
    regions: Vec<String>,
    statuses: Vec<String>,
    format: Format,
    table: Option<String>,
) -> ExitCode {
    if let Some(bad) = account.as_ref().filter(|a| !trigger::is_account_id(a)) {
        return bad_input(format!("--account {bad:?} is not a 12-digit account id"));
    }
    if let Err(e) = check_regions(&regions) {
        return bad_input(e);
    }
    if let Some(bad) = statuses.iter().find(|s| !STATUSES.contains(&s.as_str())) {
        return bad_input(format!(
            "--status {bad:?} is not one of {}",
            STATUSES.join(", ")
        ));
    }
    let table = match table_from_env(table) {
        Ok(t) => t,
        Err(e) => return bad_input(e),
    };
    let config = runas_guard::aws::load_config().await;
    match state_store(&config, &table).list(account.as_deref()).await {
        Ok(mut rows) => {
            if let (true, Some(a)) = (rows.is_empty(), &account) {
                if let Some(stop) = unknown_account(&config, a).await {
                    return stop;
                }
            }
            rows.retain(|r| {
                (regions.is_empty() || regions.contains(&r.region))
                    && (statuses.is_empty() || statuses.contains(&r.status))
            });
            out!("{}", render_status(&rows, format));
            if format == Format::Json {
                outln!();
            }
            ExitCode::SUCCESS
        }
        Err(e) => failed(e),
    }
}

/// Nothing recorded for `--account`: an account the organization does not
/// have is bad input (exit 2, returned); one it has is simply not recorded
/// yet (`None`: an empty answer). Asked only then: an account that left the organization
/// still shows what was recorded for it.
async fn unknown_account(config: &aws_config::SdkConfig, account: &str) -> Option<ExitCode> {
    match outside_organization(config, &[account.to_string()]).await {
        Ok(missing) if !missing.is_empty() => Some(bad_input(format!(
            "--account {account} is not in the organization and nothing is recorded for it"
        ))),
        Ok(_) => None,
        Err(e) => Some(failed(format!(
            "nothing is recorded for --account {account}, and it cannot be checked against the organization: {e}"
        ))),
    }
}

async fn history(
    account: &str,
    regions: Vec<String>,
    since: Option<String>,
    format: Format,
    table: Option<String>,
) -> ExitCode {
    if !trigger::is_account_id(account) {
        return bad_input(format!(
            "--account {account:?} is not a 12-digit account id"
        ));
    }
    if let Err(e) = check_regions(&regions) {
        return bad_input(e);
    }
    let since = match since
        .as_deref()
        .map(|s| runas_guard::history::parse_since(s, runas_guard::clock::now()))
        .transpose()
    {
        Ok(s) => s,
        Err(e) => return bad_input(e),
    };
    let table = match table_from_env(table) {
        Ok(t) => t,
        Err(e) => return bad_input(e),
    };
    let config = runas_guard::aws::load_config().await;
    match state_store(&config, &table)
        .history(account, since.as_deref())
        .await
    {
        Ok(mut rows) => {
            if rows.is_empty() && since.is_none() {
                if let Some(stop) = unknown_account(&config, account).await {
                    return stop;
                }
            }
            rows.retain(|r| regions.is_empty() || regions.contains(&r.region));
            out!("{}", runas_guard::history::render(&rows, format));
            if format == Format::Json {
                outln!();
            }
            ExitCode::SUCCESS
        }
        Err(e) => failed(e),
    }
}

async fn doctor(
    accounts: Vec<String>,
    stack: Option<String>,
    stackset: Option<String>,
    format: Format,
    resources: &Resources,
    sweep_queue_url: Option<String>,
) -> ExitCode {
    if let Some(bad) = accounts.iter().find(|a| !trigger::is_account_id(a)) {
        return bad_input(format!("--account {bad:?} is not a 12-digit account id"));
    }
    let config = runas_guard::aws::load_config().await;
    let policy = match policy_source(resources) {
        Ok(source) => load_policy_from(&source, &config)
            .await
            .map(|p| (source.describe(), p))
            .map_err(|e| e.message()),
        Err(e) => Err(e),
    };
    let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let mut unique = Vec::new();
    for a in accounts {
        if !unique.contains(&a) {
            unique.push(a);
        }
    }
    let inputs = runas_guard::doctor::Inputs {
        policy,
        table: nonempty(resources.table.clone()),
        topic_arn: nonempty(resources.topic_arn.clone()),
        chat_topic_arn: nonempty(std::env::var("RUNAS_GUARD_CHAT_TOPIC_ARN").ok()),
        queue_url: nonempty(sweep_queue_url),
        stack,
        stackset,
        accounts: unique,
    };
    let list = runas_guard::doctor::run(&config, &inputs).await;
    out!("{}", list.render(format));
    if list.ok {
        ExitCode::SUCCESS
    } else {
        failed(format!(
            "doctor: {} check(s) failed; each says how to fix it",
            list.failed
        ))
    }
}

/// A reactor and what it was built from.
struct Built {
    reactor: Reactor,
    config: aws_config::SdkConfig,
    settings: Settings,
}

/// Why a command could not start: bad input (exit 2), or an AWS call that
/// failed (exit 1).
enum StartError {
    Bad(String),
    Failed(String),
}

impl StartError {
    fn exit(self) -> ExitCode {
        match self {
            StartError::Bad(m) => bad_input(m),
            StartError::Failed(m) => failed(m),
        }
    }

    fn message(self) -> String {
        match self {
            StartError::Bad(m) | StartError::Failed(m) => m,
        }
    }
}

impl From<String> for StartError {
    fn from(m: String) -> Self {
        StartError::Bad(m)
    }
}

/// `--policy` or `RUNAS_GUARD_POLICY`: a file, or `s3://bucket/key` (as
/// the deployed function reads it).
fn policy_source(resources: &Resources) -> Result<Source, String> {
    let raw = match &resources.policy {
        Some(p) => p.display().to_string(),
        None => std::env::var("RUNAS_GUARD_POLICY")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .ok_or(
                "RUNAS_GUARD_POLICY is not set (a policy file or s3://bucket/key; or pass --policy)",
            )?,
    };
    Source::parse(&raw)
}

/// The policy, validated. An S3 object is read once (the CLI runs once);
/// an unreadable object is an AWS failure, an invalid one bad input.
async fn load_policy_from(
    source: &Source,
    config: &aws_config::SdkConfig,
) -> Result<Policy, StartError> {
    let shown = source.describe();
    let (bucket, key) = match source {
        Source::File(path) => {
            return Policy::load(path).map_err(|e| StartError::Bad(e.to_string()))
        }
        Source::S3 { bucket, key } => (bucket, key),
    };
    // The same read as the function's: expected bucket owner, size bound.
    let s3 = runas_guard::policy_s3::S3Read::new(config);
    let text = match s3.fetch(bucket, key, None, None).await {
        Ok(Some((_, text))) => text,
        Ok(None) => return Err(StartError::Failed(format!("policy {shown}: no object"))),
        Err(e) if e.contains("a policy object is at most") => {
            return Err(StartError::Bad(format!("policy {e}")))
        }
        Err(e) => return Err(StartError::Failed(format!("policy {e}"))),
    };
    Policy::parse(&text, &shown).map_err(|e| StartError::Bad(e.to_string()))
}

/// `dry_run`: the table and topic may be missing (nothing is written or sent).
async fn build(
    resources: &Resources,
    queue: Option<String>,
    concurrency: Option<usize>,
    dry_run: bool,
) -> Result<Built, StartError> {
    let source = policy_source(resources)?;
    let (table, topic) = (resources.table.clone(), resources.topic_arn.clone());
    let mut settings = if dry_run {
        dry_run_settings(table, topic, queue)?
    } else {
        settings_from_env(table, topic, queue)?
    };
    if let Some(c) = concurrency {
        settings.concurrency = c;
    }
    let config = runas_guard::aws::load_config().await;
    let policy = load_policy_from(&source, &config).await?;
    Ok(Built {
        reactor: Reactor::new(&config, policy, settings.clone()),
        config,
        settings,
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
