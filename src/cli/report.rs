//! `runas-guard report`: the auditor's report over a period, from the hub
//! table's own records, as CSV, JSON or one self-contained HTML file.

use std::process::ExitCode;

use runas_guard::domain::config::{history_retention_checked, table_from_env};
use runas_guard::domain::report::audit::period::period;
use runas_guard::domain::report::audit::render::{render, AuditFormat};

use super::output::{bad_input, failed};
use super::start::state_store;

#[derive(clap::Args)]
pub struct Args {
    /// From this date (2026-03-01, from the start of that UTC day) or RFC 3339 time (2026-03-01T09:30:00Z).
    #[arg(long, value_name = "DATE")]
    since: String,
    /// Up to this date (through the end of that UTC day) or RFC 3339 time; default now.
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Output: csv, json (default) or html (one file to open and print; any case).
    #[arg(long, value_enum, ignore_case = true, default_value = "json")]
    format: AuditFormat,
    /// DynamoDB state table.
    #[arg(long, env = "RUNAS_GUARD_TABLE")]
    table: Option<String>,
}

pub async fn exec(a: Args) -> ExitCode {
    let now = runas_guard::domain::clock::epoch_millis(runas_guard::domain::clock::now());
    let period = match period(&a.since, a.until.as_deref(), now) {
        Ok(p) => p,
        Err(e) => return bad_input(e),
    };
    // Said in the report where no row says its own retention.
    let setting = match history_retention_checked() {
        Ok(d) => {
            std::env::var_os("RUNAS_GUARD_HISTORY_RETENTION_DAYS").map(|_| d.as_secs() / 86_400)
        }
        Err(e) => return bad_input(e),
    };
    let table = match table_from_env(a.table) {
        Ok(t) => t,
        Err(e) => return bad_input(e),
    };
    let config = match super::target::aws_config().await {
        Ok(c) => c,
        Err(e) => return bad_input(e),
    };
    let state = state_store(&config, &table);
    match runas_guard::flow::audit_report::report(&state, period, setting).await {
        Ok(report) => {
            out!("{}", render(&report, a.format));
            ExitCode::SUCCESS
        }
        Err(e) => failed(e),
    }
}
