//! `runas-guard status`: per-account-region state from DynamoDB.

use std::process::ExitCode;

use runas_guard::config::table_from_env;
use runas_guard::report::{render_status, Format};
use runas_guard::trigger;

use super::input::check_regions;
use super::output::{bad_input, failed};
use super::start::{state_store, unknown_account};

/// The statuses a state item can have (docs/design.md "State").
const STATUSES: [&str; 7] = [
    "compliant",
    "remediated",
    "reverted",
    "noncompliant",
    "failed",
    "pending",
    "excluded",
];

#[derive(clap::Args)]
pub struct Args {
    /// Only this account (a 12-digit id; one the organization has, or
    /// one with something recorded).
    #[arg(long, value_name = "ID")]
    account: Option<String>,
    /// Only this region (repeatable).
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// Only this status (repeatable): compliant, remediated, reverted, noncompliant, failed, pending, excluded.
    #[arg(long = "status", value_name = "STATUS")]
    statuses: Vec<String>,
    /// Output: table, json or csv (any case).
    #[arg(long, value_enum, ignore_case = true, default_value = "table")]
    format: Format,
    /// DynamoDB state table.
    #[arg(long, env = "RUNAS_GUARD_TABLE")]
    table: Option<String>,
}

pub async fn exec(a: Args) -> ExitCode {
    status(a.account, a.regions, a.statuses, a.format, a.table).await
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
    let config = match super::target::aws_config().await {
        Ok(c) => c,
        Err(e) => return bad_input(e),
    };
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
            if format == Format::Table && account.is_none() {
                let store = state_store(&config, &table);
                scope_line(&store).await;
                identity_center_lines(&store).await;
            }
            ExitCode::SUCCESS
        }
        Err(e) => failed(e),
    }
}

/// Accounts outside the policy's `[scope]` have no items: the last whole
/// sweep counted them.
async fn scope_line(store: &runas_guard::store::state::StateStore) {
    match store.last_sweep().await {
        Ok(Some(last)) => {
            if let Some(n) = last.out_of_scope.filter(|n| *n > 0) {
                outln!(
                    "{n} account(s) out of scope at the last sweep ({}): outside the policy's [scope], never read or written",
                    last.at
                );
            }
        }
        Ok(None) => {}
        Err(e) => outln!("Scope: cannot read the last sweep: {e}"),
    }
}

/// The declared Identity Center mapping's last look, under the table (it
/// is the organization's, not an account-region's).
async fn identity_center_lines(store: &runas_guard::store::state::StateStore) {
    use runas_guard::store::identity_center::recorded_all;
    match recorded_all(store.table()).await {
        Ok(all) => {
            for r in all {
                outln!(
                    "Identity Center {}: {} (checked {}, changed {}{})",
                    r.instance,
                    r.status,
                    r.last_checked.as_deref().unwrap_or("never"),
                    r.last_changed.as_deref().unwrap_or("never"),
                    r.actor
                        .as_deref()
                        .map(|a| format!(", last by {a}"))
                        .unwrap_or_default()
                );
            }
        }
        Err(e) => outln!("Identity Center: cannot read its state: {e}"),
    }
}
