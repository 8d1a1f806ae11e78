//! `runas-guard readiness`: "if we enforced now, would any session be
//! refused?", per governed account-region, read from the hub's state table
//! only (what the run-as user check last found); the deciding and the
//! rendering are in `readiness_report`.

use std::process::ExitCode;

use runas_guard::domain::config::table_from_env;
use runas_guard::domain::nodes::CHECK_DOCUMENT;
use runas_guard::domain::report::Format;
use runas_guard::domain::rows::StateRow;
use runas_guard::domain::trigger;
use runas_guard::flow::readiness_report::{build, Filter};

use super::input::check_regions;
use super::output::{bad_input, failed};
use super::start::{state_store, unknown_account};

/// Longer than any OU path by names (AWS caps an OU name at 128 characters
/// and the tree at five levels below the root).
const MAX_OU_CHARS: usize = 1024;

#[derive(clap::Args)]
pub struct Args {
    /// Only this account (a 12-digit id; repeatable).
    #[arg(long = "account", value_name = "ID")]
    accounts: Vec<String>,
    /// Only this region (repeatable).
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// Only accounts under this OU (repeatable): an OU name, or whole
    /// segments of the OU path as the OU PATH column shows it (`Sandbox`,
    /// `Workloads/Sandbox`, `Root/Workloads`); names match exactly.
    #[arg(long = "ou", value_name = "OU")]
    ous: Vec<String>,
    #[arg(long, value_enum, ignore_case = true, default_value = "table", help = super::output::FORMAT_HELP)]
    format: Format,
    /// DynamoDB state table.
    #[arg(long, env = "RUNAS_GUARD_TABLE")]
    table: Option<String>,
    /// The run-as user check's document, when the policy renames it
    /// (`[nodes] document`): its rows hold what the check found.
    #[arg(long, value_name = "NAME", default_value = CHECK_DOCUMENT)]
    check_document: String,
}

/// One line naming the first bad flag value, if any.
fn check_args(a: &Args) -> Result<(), String> {
    if let Some(bad) = a.accounts.iter().find(|a| !trigger::is_account_id(a)) {
        return Err(format!("--account {bad:?} is not a 12-digit account id"));
    }
    check_regions(&a.regions)?;
    if let Some(bad) = a.ous.iter().find(|o| {
        o.chars().count() > MAX_OU_CHARS
            || o.split('/').all(str::is_empty)
            || o.contains(char::is_control)
    }) {
        return Err(format!(
            "--ou {:?} is not an OU name or path (one or more names joined by /, at most {MAX_OU_CHARS} characters)",
            bad.chars().take(64).collect::<String>()
        ));
    }
    let d = &a.check_document;
    let well_formed = (3..=128).contains(&d.len())
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !well_formed {
        return Err(format!(
            "--check-document {:?} is not a document name (3-128 of a-z A-Z 0-9 _ . -)",
            d.chars().take(64).collect::<String>()
        ));
    }
    Ok(())
}

pub async fn exec(a: Args) -> ExitCode {
    if let Err(e) = check_args(&a) {
        return bad_input(e);
    }
    let table = match table_from_env(a.table) {
        Ok(t) => t,
        Err(e) => return bad_input(e),
    };
    let config = match super::target::aws_config().await {
        Ok(c) => c,
        Err(e) => return bad_input(e),
    };
    let store = state_store(&config, &table);
    let mut accounts = a.accounts.clone();
    accounts.sort();
    accounts.dedup();
    let mut rows: Vec<StateRow> = Vec::new();
    if accounts.is_empty() {
        match store.list(None).await {
            Ok(all) => rows = all,
            Err(e) => return failed(e),
        }
    }
    for account in &accounts {
        match store.list(Some(account)).await {
            Ok(found) if found.is_empty() => {
                // Nothing recorded: an account the organization lacks is a typo.
                if let Some(stop) = unknown_account(&config, account).await {
                    return stop;
                }
            }
            Ok(found) => rows.extend(found),
            Err(e) => return failed(e),
        }
    }
    let filter = Filter {
        accounts,
        regions: a.regions,
        ous: a.ous,
    };
    out!(
        "{}",
        build(&rows, &a.check_document, &filter).render(a.format)
    );
    if a.format == Format::Json {
        outln!();
    }
    ExitCode::SUCCESS
}
