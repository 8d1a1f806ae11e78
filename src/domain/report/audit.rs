//! The auditor's report (pure): from the hub table's own records (the
//! account-regions' state items, the history rows with their told rows,
//! the departures on record) over a period, per account-region the desired
//! and observed Run As, when it was last verified, each window told (span,
//! editor, sessions), each put-back, and the periods it was not governed or
//! not verifiable (and why), with totals and when the data begins. One
//! value, rendered as CSV, JSON and HTML (`audit_render`).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

mod facts;
mod gaps;
mod html;
pub mod period;
pub mod render;
#[cfg(test)]
mod tests;
pub mod told;
mod totals;

use crate::domain::clock;
use crate::domain::governance::Departure;
use crate::domain::rows::{run_as_short, HistoryEntry, StateRow};
use gaps::gaps;
use told::{Told, ToldSession};
use totals::{data_begins, totals};

/// One history row as read, with what it told (a told row) and when it
/// expires (its TTL, epoch seconds).
#[derive(Debug, Clone)]
pub struct Record {
    pub entry: HistoryEntry,
    pub told: Option<Told>,
    pub expires: Option<i64>,
}

/// The period, epoch milliseconds, `since` inclusive, `until` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub since: i64,
    pub until: i64,
}

impl Period {
    /// Whether a span (open ends: unknown start, still open) meets it.
    pub fn meets(&self, from: Option<i64>, until: Option<i64>) -> bool {
        from.is_none_or(|f| f < self.until) && until.is_none_or(|u| u >= self.since)
    }
}

/// What the report is made from.
pub struct Input {
    pub period: Period,
    pub generated_at: String,
    pub guard_version: String,
    /// `RUNAS_GUARD_HISTORY_RETENTION_DAYS` as the reader's environment has it.
    pub retention_setting_days: Option<u64>,
    pub states: Vec<StateRow>,
    pub records: Vec<Record>,
    pub departures: Vec<Departure>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditReport {
    pub guard_version: String,
    pub generated_at: String,
    pub since: String,
    pub until: String,
    pub data: DataBegins,
    pub totals: Totals,
    pub places: Vec<Place>,
}

/// Where the evidence begins.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DataBegins {
    /// The oldest history row read; `None`: none.
    pub oldest_row: Option<String>,
    pub retention_days: u64,
    /// `rows` (the newest row's expiry says it), `setting` (the
    /// environment's `RUNAS_GUARD_HISTORY_RETENTION_DAYS`) or `default`.
    pub retention_from: &'static str,
    /// The period begins before the oldest row: what happened before it
    /// is not in the table.
    pub period_before_data: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Totals {
    pub account_regions: usize,
    pub governed_now: usize,
    pub verified_in_period: usize,
    pub windows: usize,
    pub windows_with_sessions: usize,
    pub sessions: u64,
    pub put_backs: usize,
    pub configured: usize,
    pub not_governed_periods: usize,
    pub not_verifiable_periods: usize,
    pub editors: Vec<String>,
}

/// One account-region (and document).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Place {
    pub account: String,
    pub region: String,
    pub document: String,
    /// Its status now (`-`: no state item any more).
    pub status: String,
    pub desired: String,
    pub observed: String,
    pub last_verified: Option<String>,
    pub windows: Vec<Window>,
    pub put_backs: Vec<PutBack>,
    pub gaps: Vec<Gap>,
}

/// A span in which Run As was out of policy, as it was told.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Window {
    /// `run_as_window`, `drift_reverted`, `drift_detected`, `tamper_repeated`,
    /// or `change` (a history row no told row describes).
    pub kind: String,
    pub from: Option<String>,
    pub until: Option<String>,
    pub run_as: String,
    pub versions: Vec<String>,
    pub editor: Option<String>,
    pub told_at: String,
    pub found_by: String,
    pub sessions: Vec<ToldSession>,
    pub sessions_more: u64,
    pub sessions_unread: Option<String>,
}

/// A change runas-guard made: an edit put back (`reverted`) or the policy's
/// Run As written (`remediated`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PutBack {
    pub at: String,
    pub status: String,
    pub before: String,
    pub after: String,
    pub editor: Option<String>,
    pub trigger_kind: String,
    pub version_after: Option<String>,
}

/// A period the account-region was not governed (`governed` false:
/// `excluded`, `out_of_scope`) or governed and not verifiable (`pending`,
/// `failed`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Gap {
    pub from: String,
    /// `None`: still so when the report was made.
    pub until: Option<String>,
    pub why: String,
    pub governed: bool,
    pub detail: Option<String>,
}

/// Epoch milliseconds of a stored time (`None` for anything else).
pub fn ms(iso: &str) -> Option<i64> {
    clock::parse_iso(iso)
}

type Key = (String, String, String);

fn key(account: &str, region: &str, document: &str) -> Key {
    (account.into(), region.into(), document.into())
}

/// The report of `input`.
pub fn build(input: Input) -> AuditReport {
    let period = input.period;
    let records = dedup(input.records);
    let mut places: BTreeMap<Key, Place> = BTreeMap::new();
    for s in &input.states {
        places.insert(key(&s.account, &s.region, &s.document), place_of_state(s));
    }
    for r in records.iter().filter(|r| !r.entry.region.is_empty()) {
        let e = &r.entry;
        places
            .entry(key(&e.account, &e.region, &e.document))
            .or_insert_with(|| unrecorded(e));
    }
    for (k, place) in places.iter_mut() {
        let mine: Vec<&Record> = records
            .iter()
            .filter(|r| r.entry.account == k.0 && r.entry.region == k.1 && r.entry.document == k.2)
            .collect();
        place.windows = windows(&mine, period);
        place.put_backs = put_backs(&mine, period);
        let account: Vec<&Record> = records.iter().filter(|r| r.entry.account == k.0).collect();
        let state = input
            .states
            .iter()
            .find(|s| key(&s.account, &s.region, &s.document) == *k);
        place.gaps = gaps((&k.0, &mine, &account), state, &input.departures, period);
    }
    let places: Vec<Place> = places.into_values().collect();
    AuditReport {
        guard_version: input.guard_version,
        generated_at: input.generated_at,
        since: clock::iso(clock::from_millis(period.since)),
        until: clock::iso(clock::from_millis(period.until)),
        data: data_begins(&records, period, input.retention_setting_days),
        totals: totals(&places, period),
        places,
    }
}

/// A retried run's row (the same trigger, place and status; the same
/// alert) is counted once.
fn dedup(mut records: Vec<Record>) -> Vec<Record> {
    records.sort_by(|a, b| a.entry.at.cmp(&b.entry.at));
    let mut seen = BTreeSet::new();
    records.retain(|r| {
        let e = &r.entry;
        let id = match &r.told {
            Some(t) => format!("told {} {} {}", t.alert_id, e.region, e.document),
            None => format!(
                "row {} {} {} {}",
                e.trigger_id, e.region, e.document, e.status
            ),
        };
        seen.insert((e.account.clone(), id))
    });
    records
}

fn place_of_state(s: &StateRow) -> Place {
    Place {
        account: s.account.clone(),
        region: s.region.clone(),
        document: s.document.clone(),
        status: s.status.clone(),
        desired: s.desired_user.clone().unwrap_or_else(|| "-".into()),
        observed: s.observed_short(),
        last_verified: s.last_checked.clone(),
        windows: vec![],
        put_backs: vec![],
        gaps: vec![],
    }
}

/// A place only history names (its state item is gone).
fn unrecorded(e: &HistoryEntry) -> Place {
    Place {
        account: e.account.clone(),
        region: e.region.clone(),
        document: e.document.clone(),
        status: "-".into(),
        desired: "-".into(),
        observed: "-".into(),
        last_verified: None,
        windows: vec![],
        put_backs: vec![],
        gaps: vec![],
    }
}

fn is_window_kind(kind: &str) -> bool {
    matches!(
        kind,
        "run_as_window" | "drift_reverted" | "drift_detected" | "tamper_repeated"
    )
}

/// The windows told for one place that meet the period: each told row's,
/// and a put-back or a drift seen that no told row describes (rows written
/// before told rows were).
fn windows(mine: &[&Record], period: Period) -> Vec<Window> {
    let told_triggers: BTreeSet<&str> = mine
        .iter()
        .filter(|r| r.told.as_ref().is_some_and(|t| is_window_kind(&t.kind)))
        .map(|r| r.entry.trigger_id.as_str())
        .collect();
    let mut out = Vec::new();
    for r in mine {
        let e = &r.entry;
        match &r.told {
            Some(t) if is_window_kind(&t.kind) && !t.windows.is_empty() => {
                out.push(told_window(e, t))
            }
            None if !told_triggers.contains(e.trigger_id.as_str())
                && matches!(e.status.as_str(), "reverted" | "noncompliant") =>
            {
                let seen = e.status == "noncompliant";
                out.push(Window {
                    kind: "change".into(),
                    from: seen.then(|| e.at.clone()),
                    until: (!seen).then(|| e.at.clone()),
                    run_as: run_as_short(&e.before),
                    versions: e.versions_before.iter().cloned().collect(),
                    editor: e.actor.clone(),
                    told_at: e.at.clone(),
                    found_by: e.trigger_kind.clone(),
                    sessions: vec![],
                    sessions_more: 0,
                    sessions_unread: None,
                });
            }
            _ => {}
        }
    }
    out.retain(|w| {
        let from = w.from.as_deref().or(Some(&w.told_at)).and_then(ms);
        period.meets(from, w.until.as_deref().and_then(ms))
    });
    out
}

/// One told row's window: its spans as one (the earliest start, the latest
/// end, every Run As and version they held), with the sessions its alert
/// listed across them.
fn told_window(e: &HistoryEntry, t: &Told) -> Window {
    let from = match t.windows.iter().any(|w| w.from.is_none()) {
        true => None,
        false => t.windows.iter().filter_map(|w| w.from.clone()).min(),
    };
    let until = match t.windows.iter().any(|w| w.until.is_none()) {
        true => None,
        false => t.windows.iter().filter_map(|w| w.until.clone()).max(),
    };
    let mut run_as: Vec<String> = Vec::new();
    for w in &t.windows {
        if !run_as.contains(&w.run_as) {
            run_as.push(w.run_as.clone());
        }
    }
    Window {
        kind: t.kind.clone(),
        from,
        until,
        run_as: run_as.join(", "),
        versions: t.windows.iter().flat_map(|w| w.versions.clone()).collect(),
        editor: e.actor.clone(),
        told_at: e.at.clone(),
        found_by: e.trigger_kind.clone(),
        sessions: t.sessions.clone(),
        sessions_more: t.sessions_more,
        sessions_unread: t.sessions_unread.clone(),
    }
}

fn put_backs(mine: &[&Record], period: Period) -> Vec<PutBack> {
    mine.iter()
        .filter(|r| r.told.is_none())
        .map(|r| &r.entry)
        .filter(|e| matches!(e.status.as_str(), "reverted" | "remediated"))
        .filter(|e| ms(&e.at).is_some_and(|t| period.meets(Some(t), Some(t))))
        .map(|e| PutBack {
            at: e.at.clone(),
            status: e.status.clone(),
            before: run_as_short(&e.before),
            after: run_as_short(&e.after),
            editor: e.actor.clone().filter(|_| e.status == "reverted"),
            trigger_kind: e.trigger_kind.clone(),
            version_after: e.version_after.clone(),
        })
        .collect()
}
