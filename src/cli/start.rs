//! What most commands start from: the policy (a file or `s3://bucket/key`),
//! the settings, a reactor built from them, and the organization's answer
//! to "is this id ours?".

use std::path::PathBuf;
use std::process::ExitCode;

use runas_guard::adapters::aws::dynamodb::Table;
use runas_guard::adapters::aws::organizations::Org;
use runas_guard::adapters::store::state::StateStore;
use runas_guard::domain::config::{dry_run_settings, settings_from_env, Settings};
use runas_guard::domain::policy::Policy;
use runas_guard::flow::policy_source::Source;
use runas_guard::flow::reactor::Reactor;

use super::output::{bad_input, failed};

#[derive(clap::Args, Clone, Default)]
pub struct Resources {
    /// Policy file (TOML).
    #[arg(long, env = "RUNAS_GUARD_POLICY")]
    pub policy: Option<PathBuf>,
    /// DynamoDB state table.
    #[arg(long, env = "RUNAS_GUARD_TABLE")]
    pub table: Option<String>,
    /// SNS topic for alerts.
    #[arg(long, env = "RUNAS_GUARD_TOPIC_ARN")]
    pub topic_arn: Option<String>,
}

/// A reactor and what it was built from.
pub(crate) struct Built {
    pub reactor: Reactor,
    pub config: aws_config::SdkConfig,
    pub settings: Settings,
}

/// Why a command could not start: bad input (exit 2), or an AWS call that
/// failed (exit 1).
pub(crate) enum StartError {
    Bad(String),
    Failed(String),
}

impl StartError {
    pub(crate) fn exit(self) -> ExitCode {
        match self {
            StartError::Bad(m) => bad_input(m),
            StartError::Failed(m) => failed(m),
        }
    }

    pub(crate) fn message(self) -> String {
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
pub(crate) fn policy_source(resources: &Resources) -> Result<Source, String> {
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
pub(crate) async fn load_policy_from(
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
    let s3 = runas_guard::adapters::aws::policy_object::S3Read::new(config);
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
pub(crate) async fn build(
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
    let config = super::target::aws_config().await.map_err(StartError::Bad)?;
    let policy = load_policy_from(&source, &config).await?;
    Ok(Built {
        reactor: Reactor::new(&config, policy, settings.clone()),
        config,
        settings,
    })
}

/// The ids the policy names that the organization lacks, as one line.
pub(crate) async fn ids_outside_organization(
    org: &Org,
    policy: &Policy,
) -> Result<Option<String>, runas_guard::domain::aws_error::AwsError> {
    let known = org.ids().await?;
    let unknown = runas_guard::domain::policy::ids::unknown_ids(policy, &known);
    Ok((!unknown.is_empty()).then(|| runas_guard::domain::policy::ids::describe(&unknown, 10)))
}

/// In-scope accounts no rule gives a user (a policy without `[default]`),
/// as one line: every run would report them `failed`.
pub(crate) async fn accounts_without_rule(
    org: &Org,
    policy: &Policy,
) -> Result<Option<String>, runas_guard::domain::aws_error::AwsError> {
    let accounts = org.walk().await?;
    // The walk cached every parent: these paths cost no call.
    let mut paths = Vec::new();
    for a in &accounts {
        let path = org.path(&a.id, &a.id, false).await?.unwrap_or_default();
        paths.push((a.id.as_str(), path));
    }
    let none = runas_guard::domain::policy::ids::uncovered(
        policy,
        paths.iter().map(|(id, p)| (*id, p.as_slice())),
    );
    Ok((!none.is_empty()).then(|| {
        let shown: Vec<&str> = none.iter().take(10).map(String::as_str).collect();
        let more = match none.len() {
            n if n > 10 => format!(" and {} more", n - 10),
            _ => String::new(),
        };
        format!(
            "{} in-scope account(s) with no rule and no [default]: {}{more}; add [default], or an [[ou]] or [[account]] rule with run_as_user for them",
            none.len(),
            shown.join(", ")
        )
    }))
}

/// The given account ids Organizations does not know (one DescribeAccount each).
pub(crate) async fn outside_organization(
    config: &aws_config::SdkConfig,
    accounts: &[String],
) -> Result<Vec<String>, runas_guard::domain::aws_error::AwsError> {
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

pub(crate) fn state_store(config: &aws_config::SdkConfig, table: &str) -> StateStore {
    StateStore::new(Table::new(config, table))
}

/// Nothing recorded for `--account`: an account the organization does not
/// have is bad input (exit 2, returned); one it has is simply not recorded
/// yet (`None`: an empty answer). Asked only then: an account that left the organization
/// still shows what was recorded for it.
pub(crate) async fn unknown_account(
    config: &aws_config::SdkConfig,
    account: &str,
) -> Option<ExitCode> {
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
