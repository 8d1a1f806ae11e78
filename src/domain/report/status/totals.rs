//! Totals per status under the `status` table, as `reconcile` totals its
//! actions.

use std::collections::BTreeSet;

use super::STATUSES;
use crate::domain::rows::StateRow;

/// Rows per status, the known statuses in their usual order and any other
/// (from a newer writer) after them by name; only statuses some row has.
pub fn totals(rows: &[&StateRow]) -> Vec<(String, usize)> {
    let rank = |s: &str| {
        STATUSES
            .iter()
            .position(|k| *k == s)
            .unwrap_or(STATUSES.len())
    };
    let mut out: Vec<(String, usize)> = Vec::new();
    for r in rows {
        match out.iter_mut().find(|(s, _)| *s == r.status) {
            Some((_, n)) => *n += 1,
            None => out.push((r.status.clone(), 1)),
        }
    }
    out.sort_by(|(a, _), (b, _)| (rank(a), a).cmp(&(rank(b), b)));
    out
}

/// `3 accounts, 7 account-regions: compliant 5, failed 2`, after a blank
/// line. Account-regions are counted as the sweep summary counts them, each
/// once; where a `[[document]]`'s row or the check's makes more rows than
/// that, the rows the statuses count are said too (`4 account-regions, 8
/// rows: ...`; unreleased, before the rows were called account-regions).
pub(super) fn totals_line(rows: &[&StateRow]) -> String {
    let accounts: BTreeSet<&str> = rows.iter().map(|r| r.account.as_str()).collect();
    let places: BTreeSet<(&str, &str)> = rows
        .iter()
        .map(|r| (r.account.as_str(), r.region.as_str()))
        .collect();
    let counted = match places.len() == rows.len() {
        true => String::new(),
        false => format!(", {}", crate::domain::words::count(rows.len(), "row")),
    };
    let counts: Vec<String> = totals(rows)
        .iter()
        .map(|(status, n)| {
            let status = if status.is_empty() { "(none)" } else { status };
            format!("{} {n}", super::super::cell::clean(status))
        })
        .collect();
    format!(
        "\n{}, {}{counted}: {}\n",
        crate::domain::words::count(accounts.len(), "account"),
        crate::domain::words::count(places.len(), "account-region"),
        counts.join(", ")
    )
}
