//! Settings and the policy, from the environment (and CLI flags): shared by
//! the Lambda and the CLI so both run with the same configuration.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    pub table: String,
    pub topic_arn: String,
    /// Optional topic for Amazon Q Developer in chat applications.
    pub chat_topic_arn: Option<String>,
    pub sweep_queue_url: Option<String>,
    /// Above this many accounts a sweep fans out over the queue.
    pub fanout_threshold: usize,
    /// Accounts reconciled at once.
    pub concurrency: usize,
    /// AWS requests in flight at once, at most (the process's hard bound).
    pub max_in_flight: usize,
    /// How long an event claim keeps redeliveries away. Shorter than
    /// Lambda's first asynchronous retry (about one minute), so the retry of
    /// a run that crashed (or could not release its claim) proceeds.
    pub claim_lease: Duration,
    /// The member StackSet's name (its stack instances landing are events).
    pub member_stack_set: String,
    /// The account that administers the member StackSet (only its
    /// StackSet's instance events count); `None`: the management account.
    pub stackset_admin: Option<String>,
    /// How long after joining the organization an account that cannot be
    /// reached yet is `pending` (awaiting the member stack), not `failed`.
    pub pending_window: Duration,
    /// Seconds before each re-attempt of a pending account; the last repeats.
    pub pending_delays: Vec<u64>,
}

pub const DEFAULT_PENDING_WINDOW: Duration = Duration::from_secs(2 * 3600);
pub const DEFAULT_PENDING_DELAYS: [u64; 6] = [30, 60, 120, 240, 480, 900];
/// SQS delays a message at most 15 minutes.
const MAX_DELAY_SECONDS: u64 = 900;

/// The member StackSet's name: `RUNAS_GUARD_MEMBER_STACK_SET`, else
/// [`crate::domain::trigger::MEMBER_STACK_SET`]. An error names the variable.
pub fn member_stack_set_checked() -> Result<String, String> {
    let Ok(v) = std::env::var("RUNAS_GUARD_MEMBER_STACK_SET") else {
        return Ok(crate::domain::trigger::MEMBER_STACK_SET.to_string());
    };
    let v = v.trim().to_string();
    let well_formed = v.len() <= 128
        && v.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if well_formed {
        Ok(v)
    } else {
        Err(format!("RUNAS_GUARD_MEMBER_STACK_SET must be a StackSet name (a letter, then letters, digits and hyphens, at most 128), found {v:?}"))
    }
}

/// How alerts read outside JSON: the runbook's base
/// (`RUNAS_GUARD_RUNBOOK_URL`, the operators' copy of the README, beside
/// which each alert's card is found; unset: relative links) and whether e-mail subscribers get plain text
/// (`RUNAS_GUARD_EMAIL_FORMAT` `text`, the default, or `json`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFormat {
    pub runbook_base: String,
    pub email_text: bool,
}

pub fn alert_format_checked() -> Result<AlertFormat, String> {
    let runbook_base = std::env::var("RUNAS_GUARD_RUNBOOK_URL").unwrap_or_default();
    if runbook_base
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
        || runbook_base.len() > 2048
    {
        return Err(
            "RUNAS_GUARD_RUNBOOK_URL must be a URL without spaces, at most 2048 characters".into(),
        );
    }
    let email_text = match std::env::var("RUNAS_GUARD_EMAIL_FORMAT")
        .as_deref()
        .map(str::trim)
    {
        Err(_) | Ok("") | Ok("text") => true,
        Ok("json") => false,
        Ok(other) => {
            return Err(format!(
                "RUNAS_GUARD_EMAIL_FORMAT must be text or json, found {:?}",
                other.chars().take(40).collect::<String>()
            ))
        }
    };
    Ok(AlertFormat {
        runbook_base,
        email_text,
    })
}

/// For `explain`, which never fails on a setting it does not need to trust.
pub fn member_stack_set() -> String {
    member_stack_set_checked()
        .unwrap_or_else(|_| crate::domain::trigger::MEMBER_STACK_SET.to_string())
}

/// `RUNAS_GUARD_STACKSET_ADMIN_ACCOUNT`: the account that administers the
/// member StackSet (the hub stack's `StackSetAdminAccountId`, else its
/// `ManagementAccountId`); `None` when unset or empty: the management
/// account, which the handler asks Organizations for when it needs it.
pub fn stackset_admin_checked() -> Result<Option<String>, String> {
    let v = std::env::var("RUNAS_GUARD_STACKSET_ADMIN_ACCOUNT").unwrap_or_default();
    match v.trim() {
        "" => Ok(None),
        a if crate::domain::ids::is_account_id(a) => Ok(Some(a.to_string())),
        other => Err(format!(
            "RUNAS_GUARD_STACKSET_ADMIN_ACCOUNT must be the 12-digit id of the account that administers the member StackSet, found {:?}",
            other.chars().take(40).collect::<String>()
        )),
    }
}

/// The member StackSet as settings name it: its administrator when one is
/// set, else not checked yet (`explain` never looks it up).
pub fn stack_set(name: &str, admin: Option<&str>) -> crate::domain::trigger::MemberStackSet {
    use crate::domain::trigger::{MemberStackSet, StackSetAdmin};
    match admin {
        Some(a) => MemberStackSet {
            name: name.to_string(),
            admin: StackSetAdmin::Account(a.to_string()),
        },
        None => MemberStackSet::unchecked(name),
    }
}

/// For `explain`: the member StackSet with the administrator configured.
pub fn explained_stack_set() -> crate::domain::trigger::MemberStackSet {
    stack_set(
        &member_stack_set(),
        stackset_admin_checked().ok().flatten().as_deref(),
    )
}

/// `RUNAS_GUARD_PENDING_WINDOW_SECONDS`: 1 s to a day.
fn pending_window_checked() -> Result<Duration, String> {
    let s = env_number(
        "RUNAS_GUARD_PENDING_WINDOW_SECONDS",
        DEFAULT_PENDING_WINDOW.as_secs(),
        1,
        86_400,
    )?;
    Ok(Duration::from_secs(s))
}

/// How long history rows (and the report's evidence) are kept, by default.
pub const DEFAULT_HISTORY_RETENTION_DAYS: u64 = 90;
/// The longest retention the setting accepts: ten years.
pub const MAX_HISTORY_RETENTION_DAYS: u64 = 3650;

/// `RUNAS_GUARD_HISTORY_RETENTION_DAYS`: 1 to 3650 days; refused at start,
/// naming the variable and its bounds, when outside them.
pub fn history_retention_checked() -> Result<Duration, String> {
    let v = std::env::var("RUNAS_GUARD_HISTORY_RETENTION_DAYS").ok();
    history_retention_of(v.as_deref())
}

/// [`history_retention_checked`] of the variable's value (pure).
pub fn history_retention_of(v: Option<&str>) -> Result<Duration, String> {
    let Some(v) = v else {
        return Ok(Duration::from_secs(DEFAULT_HISTORY_RETENTION_DAYS * 86_400));
    };
    match v.trim().parse::<u64>() {
        Ok(days) if (1..=MAX_HISTORY_RETENTION_DAYS).contains(&days) => {
            Ok(Duration::from_secs(days * 86_400))
        }
        _ => Err(format!(
            "RUNAS_GUARD_HISTORY_RETENTION_DAYS must be a whole number of days from 1 to {MAX_HISTORY_RETENTION_DAYS}, found {v:?}"
        )),
    }
}

/// The retention the function runs with: checked with the settings at
/// start, so a bad value never gets this far; the default otherwise (the
/// CLI's `report` says which it read).
pub fn history_retention() -> Duration {
    history_retention_checked()
        .unwrap_or(Duration::from_secs(DEFAULT_HISTORY_RETENTION_DAYS * 86_400))
}

/// For `doctor`, which diagnoses with the function's window when it is set
/// and well formed, and with the default otherwise.
pub fn pending_window() -> Duration {
    pending_window_checked().unwrap_or(DEFAULT_PENDING_WINDOW)
}

/// `RUNAS_GUARD_PENDING_DELAYS_SECONDS`: 1 to 20 comma-separated seconds,
/// each at most 900 (SQS's longest delay).
fn pending_delays() -> Result<Vec<u64>, String> {
    let Ok(v) = std::env::var("RUNAS_GUARD_PENDING_DELAYS_SECONDS") else {
        return Ok(DEFAULT_PENDING_DELAYS.to_vec());
    };
    let parsed: Option<Vec<u64>> = v
        .split(',')
        .map(|s| {
            s.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= MAX_DELAY_SECONDS)
        })
        .collect();
    match parsed {
        Some(d) if (1..=20).contains(&d.len()) => Ok(d),
        _ => Err(format!("RUNAS_GUARD_PENDING_DELAYS_SECONDS must be 1 to 20 comma-separated whole numbers of seconds from 0 to {MAX_DELAY_SECONDS}, found {v:?}")),
    }
}

pub const DEFAULT_CLAIM_LEASE: Duration = Duration::from_secs(50);
pub const DEFAULT_MAX_IN_FLIGHT: usize = 128;

fn require(value: Option<String>, env: &str, flag: &str) -> Result<String, String> {
    value
        .or_else(|| std::env::var(env).ok())
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| format!("{env} is not set (or pass {flag})"))
}

/// A numeric setting within `min..=max`: outside it, an error that names the
/// variable (never a panic or an overflow further on).
fn env_number(name: &str, default: u64, min: u64, max: u64) -> Result<u64, String> {
    let Ok(v) = std::env::var(name) else {
        return Ok(default);
    };
    bounded(name, &v, min, max)
}

/// `value` as a whole number within `min..=max`, or the one line that names
/// the setting and its bounds (pure: what every bounded setting says).
pub fn bounded(name: &str, value: &str, min: u64, max: u64) -> Result<u64, String> {
    match value.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{name} must be a whole number from {min} to {max}, found {value:?}"
        )),
    }
}

/// The longest claim lease. A run that dies stops renewing its claim, and
/// the claim must lapse before Lambda's first retry of the same event
/// (one minute after the failure): a retry that finds the claim still held
/// is answered as in flight, and with the second retry the same, the event
/// would be dropped without a word. 55 s keeps a margin for clock skew.
pub const MAX_CLAIM_LEASE_SECONDS: u64 = 55;

/// The longest a timeout of one AWS call may be: a third of Lambda's
/// 900-second limit (the hub function's timeout). A run that meets one hung
/// call must keep time to record its state and tell what it decided, or
/// fail in time for the retry to decide; a call allowed the whole
/// invocation would end it silently with the event's work undone.
pub const MAX_CALL_TIMEOUT_SECONDS: u64 = 300;

// The bounds' reasons, checked when the crate builds.
const _: () = assert!(MAX_CLAIM_LEASE_SECONDS < 60 && MAX_CALL_TIMEOUT_SECONDS * 3 <= 900);

pub fn table_from_env(table: Option<String>) -> Result<String, String> {
    require(table, "RUNAS_GUARD_TABLE", "--table")
}

pub fn settings_from_env(
    table: Option<String>,
    topic_arn: Option<String>,
    queue: Option<String>,
) -> Result<Settings, String> {
    settings(table, topic_arn, queue, true)
}

/// For `reconcile --dry-run`, which writes nothing and alerts nobody: the
/// table and topic may be unset (then empty, and never called).
pub fn dry_run_settings(
    table: Option<String>,
    topic_arn: Option<String>,
    queue: Option<String>,
) -> Result<Settings, String> {
    settings(table, topic_arn, queue, false)
}

fn settings(
    table: Option<String>,
    topic_arn: Option<String>,
    queue: Option<String>,
    hub_required: bool,
) -> Result<Settings, String> {
    let hub = |value: Option<String>, env: &str, flag: &str| {
        if hub_required {
            require(value, env, flag)
        } else {
            Ok(require(value, env, flag).unwrap_or_default())
        }
    };
    // A claim renewed every third of its lease (see MAX_CLAIM_LEASE_SECONDS).
    let claim_lease = env_number(
        "RUNAS_GUARD_CLAIM_LEASE_SECONDS",
        DEFAULT_CLAIM_LEASE.as_secs(),
        1,
        MAX_CLAIM_LEASE_SECONDS,
    )?;
    Ok(Settings {
        table: hub(table, "RUNAS_GUARD_TABLE", "--table")?,
        topic_arn: hub(topic_arn, "RUNAS_GUARD_TOPIC_ARN", "--topic-arn")?,
        chat_topic_arn: std::env::var("RUNAS_GUARD_CHAT_TOPIC_ARN")
            .ok()
            .filter(|a| !a.trim().is_empty()),
        sweep_queue_url: queue
            .or_else(|| std::env::var("RUNAS_GUARD_SWEEP_QUEUE_URL").ok())
            .filter(|u| !u.is_empty()),
        fanout_threshold: env_number("RUNAS_GUARD_FANOUT_THRESHOLD", 200, 1, 100_000)? as usize,
        concurrency: env_number("RUNAS_GUARD_CONCURRENCY", 16, 1, 256)? as usize,
        max_in_flight: env_number(
            "RUNAS_GUARD_MAX_IN_FLIGHT",
            DEFAULT_MAX_IN_FLIGHT as u64,
            2,
            4096,
        )? as usize,
        claim_lease: Duration::from_secs(claim_lease),
        member_stack_set: {
            alert_format_checked()?;
            member_stack_set_checked()?
        },
        stackset_admin: stackset_admin_checked()?,
        pending_window: pending_window_checked()?,
        pending_delays: {
            // Checked here so a bad value stops the function at start.
            history_retention_checked()?;
            pending_delays()?
        },
    })
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
