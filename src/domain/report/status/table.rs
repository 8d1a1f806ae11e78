//! The `status` table: one state item per row, who the account is first.

use super::super::cell::{fit, fit_path, NAME_WIDTH, PATH_WIDTH};
use super::super::{place, short_time, table};
use super::{notes::notes, totals::totals_line, Names};
use crate::domain::rows::StateRow;

const HEADER: [&str; 11] = [
    "ACCOUNT",
    "NAME",
    "OU PATH",
    "REGION",
    "STATUS",
    "MODE",
    "RUNAS",
    "WANT",
    "LAST CHANGE",
    "LAST ACTOR",
    "ERROR CODE",
];

/// The table, the totals per status, then the notes on rows that need one.
pub(super) fn status_table(rows: &[&StateRow], names: &Names) -> String {
    if rows.is_empty() {
        return "no state recorded\n".into();
    }
    let body: Vec<[String; 11]> = rows.iter().map(|r| cells(r, names)).collect();
    let mut out = table(&HEADER, &body);
    out.push_str(&totals_line(rows));
    out.push_str(&notes(rows));
    out
}

fn cells(r: &StateRow, names: &Names) -> [String; 11] {
    let o = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let or_dash = |s: String| if s.trim().is_empty() { "-".into() } else { s };
    [
        r.account.clone(),
        or_dash(
            names
                .get(&r.account)
                .map_or(String::new(), |n| fit(n, NAME_WIDTH)),
        ),
        or_dash(
            r.ou_path
                .as_deref()
                .map_or(String::new(), |p| fit_path(p, PATH_WIDTH)),
        ),
        place(&r.region, Some(&r.document)),
        r.status.clone(),
        o(&r.mode),
        match r.nodes_short() {
            Some(n) => format!("{} ({n})", r.observed_short()),
            None => r.observed_short(),
        },
        o(&r.desired_user),
        r.last_changed.as_deref().map_or("-".into(), short_time),
        r.last_actor
            .as_deref()
            .map_or("-".into(), crate::domain::alert::short_actor),
        o(&r.last_error_code),
    ]
}
