//! `runas-guard status`: per-account-region state from DynamoDB.

use std::process::ExitCode;

use runas_guard::adapters::aws::organizations::Org;
use runas_guard::adapters::store::state::StateStore;
use runas_guard::domain::config::table_from_env;
use runas_guard::domain::policy::ungoverned_filter;
use runas_guard::domain::report::{render_status, shown_status, Format, Names, STATUSES};
use runas_guard::domain::rows::StateRow;
use runas_guard::domain::trigger;

use super::input::check_regions;
use super::output::{bad_input, failed};
use super::start::{state_store, unknown_account};

#[derive(clap::Args)]
pub struct Args {
    /// Only this account (repeatable; a 12-digit id the organization has,
    /// or one with something recorded).
    #[arg(long = "account", value_name = "ID", action = clap::ArgAction::Append)]
    accounts: Vec<String>,
    /// Only this region (repeatable).
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// Only this status (repeatable): compliant, remediated, reverted, would-refuse (the check's nodes lack the user), noncompliant, failed, pending, excluded.
    #[arg(long = "status", value_name = "STATUS")]
    statuses: Vec<String>,
    #[arg(long, value_enum, ignore_case = true, default_value = "table", help = super::output::FORMAT_HELP)]
    format: Format,
    /// DynamoDB state table.
    #[arg(long, env = "RUNAS_GUARD_TABLE")]
    table: Option<String>,
}

/// One line naming the first bad flag value, if any.
fn check(a: &Args) -> Result<(), String> {
    if let Some(bad) = a.accounts.iter().find(|a| !trigger::is_account_id(a)) {
        return Err(format!("--account {bad:?} is not a 12-digit account id"));
    }
    check_regions(&a.regions)?;
    if let Some(bad) = a.statuses.iter().find(|s| !STATUSES.contains(&s.as_str())) {
        return Err(format!(
            "--status {bad:?} is not one of {}",
            STATUSES.join(", ")
        ));
    }
    Ok(())
}

pub async fn exec(a: Args) -> ExitCode {
    if let Err(e) = check(&a) {
        return bad_input(e);
    }
    let table = match table_from_env(a.table.clone()) {
        Ok(t) => t,
        Err(e) => return bad_input(e),
    };
    let config = match super::target::aws_config().await {
        Ok(c) => c,
        Err(e) => return bad_input(e),
    };
    let store = state_store(&config, &table);
    let mut rows = match recorded(&config, &store, &a.accounts).await {
        Ok(rows) => rows,
        Err(stop) => return stop,
    };
    // A region filter is checked against what the table records (status
    // reads no policy): a typo matches nothing and would print an empty
    // table. An empty table has nothing to tell a typo from.
    let recorded = recorded_regions(&rows);
    if let (false, Err(line)) = (rows.is_empty(), ungoverned_filter(&a.regions, &recorded)) {
        return bad_input(line);
    }
    for r in &mut rows {
        r.status = shown_status(r).to_string();
    }
    rows.retain(|r| {
        (a.regions.is_empty() || a.regions.contains(&r.region))
            && (a.statuses.is_empty() || a.statuses.contains(&r.status))
    });
    let (names, unnamed) = who(&config, &mut rows).await;
    out!("{}", render_status(&rows, &names, a.format));
    match a.format {
        Format::Json => outln!(),
        Format::Csv => {}
        Format::Table => {
            if let Some(note) = &unnamed {
                outln!("{note}");
            }
            departures(&store, &a.accounts).await;
            if a.accounts.is_empty() {
                scope_line(&store).await;
                identity_center_lines(&store).await;
            }
        }
    }
    // JSON and CSV stay parseable: the note goes beside them.
    if let (Some(note), Format::Json | Format::Csv) = (&unnamed, a.format) {
        eprintln!("runas-guard: {note}");
    }
    ExitCode::SUCCESS
}

/// The regions the rows record, each once, in the order first met.
fn recorded_regions(rows: &[StateRow]) -> Vec<String> {
    let mut regions: Vec<String> = Vec::new();
    for r in rows {
        if !regions.contains(&r.region) {
            regions.push(r.region.clone());
        }
    }
    regions
}

/// The items of the accounts asked about (every item when none is), each
/// account read once. An account with nothing recorded that the
/// organization does not have either is bad input.
async fn recorded(
    config: &aws_config::SdkConfig,
    store: &StateStore,
    accounts: &[String],
) -> Result<Vec<StateRow>, ExitCode> {
    if accounts.is_empty() {
        return store.list(None).await.map_err(failed);
    }
    let mut asked: Vec<&String> = accounts.iter().collect();
    asked.sort();
    asked.dedup();
    let mut rows = Vec::new();
    for account in asked {
        let mine = store.list(Some(account)).await.map_err(failed)?;
        if mine.is_empty() {
            if let Some(stop) = unknown_account(config, account).await {
                return Err(stop);
            }
        }
        rows.extend(mine);
    }
    Ok(rows)
}

/// State items carry no account name and, when written before OU paths
/// were recorded, no OU path: both come from one walk of the organization,
/// as `reconcile`'s report has them. Credentials that may not read
/// Organizations still get the table, and a note that says what is missing.
async fn who(config: &aws_config::SdkConfig, rows: &mut [StateRow]) -> (Names, Option<String>) {
    if rows.is_empty() {
        return (Names::new(), None);
    }
    let org = Org::new(config);
    let all = match runas_guard::flow::account::named::directory(&org).await {
        Ok(all) => all,
        Err(e) => {
            return (
                Names::new(),
                Some(format!(
                    "names: the organization cannot be read with these credentials ({} {}: {}), so NAME shows - and OU PATH is what each item recorded",
                    e.operation,
                    e.code,
                    runas_guard::domain::aws_error::one_line(&e.message)
                )),
            )
        }
    };
    let all: std::collections::HashMap<String, _> =
        all.into_iter().map(|w| (w.account.clone(), w)).collect();
    let mut names = Names::new();
    for r in rows.iter_mut() {
        let Some(w) = all.get(&r.account) else {
            continue;
        };
        if r.ou_path.as_deref().is_none_or(str::is_empty) {
            r.ou_path = Some(w.ou_path.clone());
        }
        names.insert(w.account.clone(), w.name.clone());
    }
    (names, None)
}

/// Accounts that left governance (moved into an exempt OU or out of the
/// scope, or dropped by the policy), with what stays there: kept until the
/// account is governed again, whether or not it still has items.
async fn departures(store: &StateStore, accounts: &[String]) {
    match store.departures(accounts).await {
        Ok(all) => out!("{}", runas_guard::domain::report::render_departures(&all)),
        Err(e) => outln!("Left governance: cannot read the departures: {e}"),
    }
}

/// Accounts outside the policy's `[scope]` have no items: the last whole
/// sweep counted them.
async fn scope_line(store: &runas_guard::adapters::store::state::StateStore) {
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
async fn identity_center_lines(store: &runas_guard::adapters::store::state::StateStore) {
    use runas_guard::adapters::store::identity_center::recorded_all;
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
