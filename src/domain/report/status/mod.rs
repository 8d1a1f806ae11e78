//! `status` as table, JSON or CSV (pure): one state item per row, in the
//! order `reconcile` lists account-regions, with the account's name beside
//! it (state items carry none: the caller looks names up).

mod left;
mod notes;
mod table;
mod totals;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Serialize;

pub use left::render_departures;

use super::{csv, order, Format};
use crate::domain::rows::StateRow;

/// The statuses `status` shows, in the order totals name them: a state
/// item's, and [`WOULD_REFUSE`] for a check row whose nodes lack the user.
pub const STATUSES: [&str; 8] = [
    "compliant",
    "remediated",
    "reverted",
    "would-refuse",
    "noncompliant",
    "failed",
    "pending",
    "excluded",
];

/// The run-as user check's row whose nodes lack the user: sessions there
/// would be refused (or are, where Run As is on), whatever the write did.
pub const WOULD_REFUSE: &str = "would-refuse";

/// The status `status` shows for a row: the recorded one, except that a
/// check row recorded as fine (`compliant`, `remediated`) whose nodes lack
/// the user is [`WOULD_REFUSE`], so `--status would-refuse` lists it. A
/// failure or a finding recorded on the row says more and is kept.
pub fn shown_status(row: &StateRow) -> &str {
    let fine = matches!(row.status.as_str(), "compliant" | "remediated");
    let missing = row.nodes.as_ref().is_some_and(|n| n.missing > 0);
    if fine && missing {
        WOULD_REFUSE
    } else {
        &row.status
    }
}

/// Account id -> the account's name; an account missing here has none to show.
pub type Names = BTreeMap<String, String>;

/// `status`: a compact table (who the account is, what the document said,
/// what is wanted, the last change and who made it) with totals per
/// status; every field in JSON and CSV.
pub fn render_status(rows: &[StateRow], names: &Names, format: Format) -> String {
    let mut rows: Vec<&StateRow> = rows.iter().collect();
    order::sort_by_place(&mut rows, |r| place_of(r));
    match format {
        Format::Json => status_json(&rows, names),
        Format::Csv => status_csv(&rows, names),
        Format::Table => table::status_table(&rows, names),
    }
}

/// Where a state item is, for the one row order (the store lists in it too).
pub fn place_of(r: &StateRow) -> order::Place<'_> {
    (&r.account, &r.region, Some(&r.document))
}

/// A state item as JSON: every stored field, and the account's name.
#[derive(Serialize)]
struct Named<'a> {
    #[serde(flatten)]
    row: &'a StateRow,
    name: Option<&'a str>,
}

fn status_json(rows: &[&StateRow], names: &Names) -> String {
    let named: Vec<Named> = rows
        .iter()
        .map(|r| Named {
            row: r,
            name: names.get(&r.account).map(String::as_str),
        })
        .collect();
    serde_json::to_string_pretty(&named).expect("rows serialise")
}

/// Every stored field; new ones are added at the end, so readers by
/// position keep working.
const CSV_HEADER: [&str; 23] = [
    "account",
    "region",
    "status",
    "run_as",
    "desired_user",
    "observed_user",
    "observed_run_as_enabled",
    "default_version",
    "last_action",
    "last_changed",
    "last_checked",
    "last_actor",
    "last_trigger_kind",
    "last_trigger_id",
    "last_error_code",
    "last_error",
    "changes",
    "document",
    "nodes",
    "mode",
    "held",
    "ou_path",
    "name",
];

fn status_csv(rows: &[&StateRow], names: &Names) -> String {
    let body: Vec<[String; 23]> = rows.iter().map(|r| csv_row(r, names)).collect();
    csv(&CSV_HEADER, &body)
}

fn csv_row(r: &StateRow, names: &Names) -> [String; 23] {
    let e = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        r.account.clone(),
        r.region.clone(),
        r.status.clone(),
        r.observed_short(),
        e(&r.desired_user),
        e(&r.observed_user),
        r.observed_run_as_enabled
            .as_ref()
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default(),
        e(&r.default_version),
        e(&r.last_action),
        e(&r.last_changed),
        e(&r.last_checked),
        e(&r.last_actor),
        e(&r.last_trigger_kind),
        e(&r.last_trigger_id),
        e(&r.last_error_code),
        e(&r.last_error),
        r.changes.to_string(),
        r.document.clone(),
        r.nodes_short().unwrap_or_default(),
        e(&r.mode),
        e(&r.held),
        e(&r.ou_path),
        names.get(&r.account).cloned().unwrap_or_default(),
    ]
}
