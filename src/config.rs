//! Settings and the policy, from the environment (and CLI flags): shared by
//! the Lambda and the CLI so both run with the same configuration.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::policy::Policy;

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
}

pub const DEFAULT_CLAIM_LEASE: Duration = Duration::from_secs(50);
pub const DEFAULT_MAX_IN_FLIGHT: usize = 128;

pub fn load_policy(path: Option<&Path>) -> Result<Policy, String> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => std::env::var_os("RUNAS_GUARD_POLICY")
            .map(PathBuf::from)
            .ok_or("RUNAS_GUARD_POLICY is not set (path to the policy file; or pass --policy)")?,
    };
    Policy::load(&path).map_err(|e| e.to_string())
}

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
    match v.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{name} must be a whole number from {min} to {max}, found {v:?}"
        )),
    }
}

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
    // A claim renewed every third of its lease; Lambda runs 900 s at most.
    let claim_lease = env_number(
        "RUNAS_GUARD_CLAIM_LEASE_SECONDS",
        DEFAULT_CLAIM_LEASE.as_secs(),
        1,
        900,
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
    })
}
