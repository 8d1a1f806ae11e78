//! `runas-guard why`: why would a session run as this user, or be refused?
//! The chain Session Manager applies, link by link, read with a member
//! session (the operator's read-only role where one is set, else the
//! policy's roles), the hub's Identity Center read and the state table;
//! deciding and rendering are in `runas_guard::flow::why`.

use std::path::PathBuf;
use std::process::ExitCode;

use runas_guard::domain::ids::{is_account_id, is_region_name};
use runas_guard::domain::policy::ungoverned_filter;
use runas_guard::flow::why::read::{gather, Ask};
use runas_guard::flow::why::{decide, principal, render, Caller};

use super::output::bad_input;
use super::start::{load_policy_from, policy_source, state_store, Resources};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum WhyFormat {
    Table,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// The caller: an IAM role or user ARN (an assumed-role session's ARN is read as its role).
    #[arg(long, value_name = "ARN", required_unless_present = "identity_center_user",
          conflicts_with_all = ["identity_center_user", "permission_set"])]
    principal: Option<String>,
    /// Or an IAM Identity Center user, by user name (with --permission-set).
    #[arg(long, value_name = "NAME", requires = "permission_set")]
    identity_center_user: Option<String>,
    /// The permission set that Identity Center user signs in with.
    #[arg(long, value_name = "NAME", requires = "identity_center_user")]
    permission_set: Option<String>,
    /// The account the node is in (a 12-digit id).
    #[arg(long, value_name = "ID")]
    account: String,
    // Its own id: the hub's region is a global argument whose id is `region`.
    /// The region the node is in (a region name, e.g. eu-west-1).
    #[arg(long = "region", id = "member_region", value_name = "REGION")]
    region: String,
    /// The session document the caller names (`--document-name`); without
    /// it, the account-region's SSM-SessionManagerRunShell.
    #[arg(long, value_name = "NAME")]
    document: Option<String>,
    /// The managed node (i-… or mi-…): would the session start there?
    #[arg(long, value_name = "ID")]
    node: Option<String>,
    /// Output: table (default) or json (any case).
    #[arg(long, value_enum, ignore_case = true, default_value = "table")]
    format: WhyFormat,
    /// Policy file (TOML) or s3://bucket/key: the member role to read with.
    #[arg(long, env = "RUNAS_GUARD_POLICY")]
    policy: Option<PathBuf>,
    /// DynamoDB state table: what the run-as user check found on the node.
    #[arg(long, env = "RUNAS_GUARD_TABLE")]
    table: Option<String>,
    #[command(flatten)]
    seat: super::seat::SeatArgs,
}

/// An SSM document name (3-128 of a-z A-Z 0-9 _ . -).
fn is_document_name(d: &str) -> bool {
    (3..=128).contains(&d.len())
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// A managed node id as SSM's model has it: `i-` and 8 or 17, or `mi-` and 17.
fn is_node_id(n: &str) -> bool {
    let word = |s: &str, lens: &[usize]| {
        lens.contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    n.strip_prefix("i-").is_some_and(|s| word(s, &[8, 17]))
        || n.strip_prefix("mi-").is_some_and(|s| word(s, &[17]))
}

/// A name an operator types: 1-128 characters, none of them control characters.
fn is_plain_name(s: &str) -> bool {
    (1..=128).contains(&s.chars().count()) && !s.chars().any(char::is_control)
}

fn cut(s: &str) -> String {
    s.chars().take(64).collect()
}

/// The question, checked: one line naming the first bad flag, if any.
fn ask(a: &Args) -> Result<Ask, String> {
    if !is_account_id(&a.account) {
        return Err(format!(
            "--account {:?} is not a 12-digit account id",
            cut(&a.account)
        ));
    }
    if !is_region_name(&a.region) {
        return Err(format!(
            "--region {:?} is not a region name",
            cut(&a.region)
        ));
    }
    if let Some(d) = a.document.as_deref().filter(|d| !is_document_name(d)) {
        return Err(format!(
            "--document {:?} is not a document name (3-128 of a-z A-Z 0-9 _ . -)",
            cut(d)
        ));
    }
    if let Some(n) = a.node.as_deref().filter(|n| !is_node_id(n)) {
        return Err(format!(
            "--node {:?} is not a managed node id (i-… or mi-…)",
            cut(n)
        ));
    }
    let caller = match (&a.principal, &a.identity_center_user, &a.permission_set) {
        (Some(arn), _, _) => {
            let (caller, account) = principal(arn)?;
            if account != a.account {
                return Err(format!("--principal is in account {account}, not --account {}: a session runs in its caller's account", a.account));
            }
            caller
        }
        (None, Some(user), Some(set)) => {
            if let Some(bad) = [("--identity-center-user", user), ("--permission-set", set)]
                .into_iter()
                .find(|(_, v)| !is_plain_name(v))
            {
                return Err(format!("{} {:?} is not a name (1-128 characters, no control characters)", bad.0, cut(bad.1)));
            }
            Caller::IdentityCenter {
                user: user.clone(),
                permission_set: set.clone(),
            }
        }
        _ => return Err("name the caller: --principal ARN, or --identity-center-user NAME --permission-set NAME".into()),
    };
    Ok(Ask {
        account: a.account.clone(),
        region: a.region.clone(),
        caller,
        document: a.document.clone(),
        node: a.node.clone(),
    })
}

pub async fn exec(a: Args) -> ExitCode {
    let ask = match a.seat.check().and_then(|_| ask(&a)) {
        Ok(ask) => ask,
        Err(e) => return bad_input(e),
    };
    let resources = Resources {
        policy: a.policy.clone(),
        ..Resources::default()
    };
    let source = match policy_source(&resources) {
        Ok(s) => s,
        Err(e) => return bad_input(e),
    };
    let config = match super::target::aws_config().await {
        Ok(c) => c,
        Err(e) => return bad_input(e),
    };
    let policy = match load_policy_from(&source, &config).await {
        Ok(p) => p,
        Err(e) => return e.exit(),
    };
    // A well-formed name the policy does not govern (`us-east-11`) has no
    // chain to explain: refused, naming the regions that have one.
    if let Err(line) = ungoverned_filter(std::slice::from_ref(&ask.region), &policy.regions) {
        return bad_input(line);
    }
    let store = a
        .table
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| state_store(&config, t));
    let seat = a.seat.seat(&config, &policy, "why").await;
    let facts = gather(&config, &policy, seat.as_ref(), store.as_ref(), &ask).await;
    let chain = decide(&facts);
    match a.format {
        WhyFormat::Table => out!("{}", render::table(&chain)),
        WhyFormat::Json => outln!("{}", render::json(&chain)),
    }
    ExitCode::SUCCESS
}
