//! What the CLI prints: standard output that a closed pipe ends quietly, and
//! the one stderr line of a failure (exit 1) or bad input (exit 2); logging
//! off unless `RUST_LOG` asks, with errors logged unseen counted.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Standard output that a closed pipe ends quietly (`runas-guard sweep |
/// head -1`): exit 141, as a Unix tool killed by SIGPIPE, never a panic.
pub(crate) fn emit(text: &str) {
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
    ($($arg:tt)*) => { $crate::cli::output::emit(&format!($($arg)*)) };
}

macro_rules! outln {
    () => { $crate::cli::output::emit("\n") };
    ($($arg:tt)*) => { $crate::cli::output::emit(&format!("{}\n", format!($($arg)*))) };
}

/// Every `--format` that offers the three says so in these words.
pub(crate) const FORMAT_HELP: &str = "Output: table (default), json or csv (any case)";

/// A failure line was printed (exit 1 or 2): nothing more goes to stderr.
pub(crate) static REPORTED: AtomicBool = AtomicBool::new(false);
/// ERROR-level events, counted even while the log itself is off.
pub(crate) static LOGGED_ERRORS: AtomicUsize = AtomicUsize::new(0);

pub(crate) fn report_line(message: impl std::fmt::Display) {
    REPORTED.store(true, Ordering::Relaxed);
    eprintln!(
        "runas-guard: {}",
        runas_guard::domain::aws_error::one_line(&message.to_string())
    );
}

/// Exit 2 with exactly one line on stderr.
pub(crate) fn bad_input(message: impl std::fmt::Display) -> ExitCode {
    report_line(message);
    ExitCode::from(2)
}

/// Exit 1 with one summary line on stderr.
pub(crate) fn failed(message: impl std::fmt::Display) -> ExitCode {
    report_line(message);
    ExitCode::from(1)
}

/// `redrive`: nothing is left to replay, but messages no replay can handle
/// stay in their queues (exit 3, one line on stderr saying how to drop them).
pub(crate) fn only_unreadable_left(message: impl std::fmt::Display) -> ExitCode {
    report_line(message);
    ExitCode::from(3)
}

/// The dry runs Ctrl-C can interrupt: they have nothing to record.
#[derive(Clone, Copy)]
pub(crate) enum DryRun {
    Reconcile,
    Redrive,
}

/// Ctrl-C during a sweep, reconcile or redrive: exit 130 (as a shell
/// reports SIGINT) with one line that says what is safe to assume.
pub(crate) fn interrupted(dry_run: Option<DryRun>) -> ExitCode {
    match dry_run {
        Some(DryRun::Reconcile) => {
            report_line("interrupted: a dry run writes and records nothing, so nothing needs finishing. Run the command again for the whole answer");
            return ExitCode::from(130);
        }
        Some(DryRun::Redrive) => {
            report_line(format!("interrupted: a dry run replays and deletes nothing; the messages it read become visible again {} s after they were read. Run the command again for the whole answer", runas_guard::flow::redrive::HIDE_SECONDS));
            return ExitCode::from(130);
        }
        None => {}
    }
    report_line("interrupted: every account-region finished so far is recorded (`runas-guard status`); a write cut off mid-way was announced before it was made and is found and recorded by the next run, and the leases this run held lapse within 30 s (its event claim within the claim lease), so the state is consistent. Run the command again to finish");
    ExitCode::from(130)
}

/// Counts ERROR events (they are off on the CLI unless `RUST_LOG` asks),
/// so a run that succeeded but logged errors can still say so.
pub(crate) struct CountErrors;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountErrors {
    fn on_event(
        &self,
        _event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        LOGGED_ERRORS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Colour only for a person: stderr a terminal and `NO_COLOR` unset (or
/// empty, as no-color.org says).
pub(crate) fn colour_wanted() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The CLI's own output (the report, the outcome, and one stderr line) says
/// what happened, so log lines are off unless `RUST_LOG` asks for them.
pub(crate) fn init_cli_logging() {
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
pub(crate) fn note_hidden_errors() {
    let errors = LOGGED_ERRORS.load(Ordering::Relaxed);
    if errors > 0 && !REPORTED.load(Ordering::Relaxed) && std::env::var_os("RUST_LOG").is_none() {
        eprintln!(
            "runas-guard: done, but {errors} error(s) were logged; RUST_LOG=error shows them"
        );
    }
}
