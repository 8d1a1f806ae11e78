//! `runas-guard history`: one account's changes and drift seen.

use std::process::ExitCode;

use runas_guard::domain::config::table_from_env;
use runas_guard::domain::report::Format;
use runas_guard::domain::trigger;

use super::input::check_regions;
use super::output::{bad_input, failed};
use super::start::{state_store, unknown_account};

#[derive(clap::Args)]
pub struct Args {
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
    #[arg(long, value_enum, ignore_case = true, default_value = "table", help = super::output::FORMAT_HELP)]
    format: Format,
    /// DynamoDB state table.
    #[arg(long, env = "RUNAS_GUARD_TABLE")]
    table: Option<String>,
}

pub async fn exec(a: Args) -> ExitCode {
    history(&a.account, a.regions, a.since, a.format, a.table).await
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
        .map(|s| runas_guard::flow::history::parse_since(s, runas_guard::domain::clock::now()))
        .transpose()
    {
        Ok(s) => s,
        Err(e) => return bad_input(e),
    };
    let table = match table_from_env(table) {
        Ok(t) => t,
        Err(e) => return bad_input(e),
    };
    let config = match super::target::aws_config().await {
        Ok(c) => c,
        Err(e) => return bad_input(e),
    };
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
            out!("{}", runas_guard::flow::history::render(&rows, format));
            if format == Format::Json {
                outln!();
            }
            ExitCode::SUCCESS
        }
        Err(e) => failed(e),
    }
}
