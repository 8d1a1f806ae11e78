//! What a security alert leaves in the history for the auditor's report
//! (pure): a Run As window, an edit put back or seen, a repeated tamper, a
//! failure to fix, an account leaving governance. The alert itself lives
//! only until it is published; its told row lives as long as the history
//! (`RUNAS_GUARD_HISTORY_RETENTION_DAYS`), so `runas-guard report` can say,
//! months later, which windows there were, who made them and which sessions
//! ran in them. One alert gives one row per account-region it is about (an
//! account's departure: one row for the account).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::alert::{Alert, Kind};
use crate::domain::rows::run_as_short;

/// Sessions a told row keeps (the alert lists at most as many, and says
/// how many more): enough for the auditor, bounded for the item.
pub const MAX_KEPT_SESSIONS: usize = 50;

/// The alert kinds the report is made of.
pub fn is_told(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::RunAsWindow
            | Kind::DriftReverted
            | Kind::DriftDetected
            | Kind::TamperRepeated
            | Kind::RemediationFailed
            | Kind::AccountLeftGovernance
    )
}

/// What a told row holds besides the history row's own attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Told {
    pub kind: String,
    pub alert_id: String,
    pub severity: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<ToldWindow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<ToldSession>,
    /// Sessions started in the windows and not listed.
    #[serde(default)]
    pub sessions_more: u64,
    /// The session history could not be read (the AWS error code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions_unread: Option<String>,
    /// A departure's reason (`exempt_account`, `exempt_ou`, `out_of_scope`),
    /// a failure's error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One span in which Run As was out of policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ToldWindow {
    /// When it began, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// When it ended (known, or at the latest); `None`: still open when told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// The Run As it held, short (`on/root`, `off/-`).
    pub run_as: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
}

/// A session started in a told window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ToldSession {
    pub session_id: String,
    pub owner: String,
    pub target: String,
    pub started: String,
}

/// One told row: where, when, who, and what was told.
#[derive(Debug, Clone, PartialEq)]
pub struct ToldRow {
    pub account: String,
    /// Empty for an account-wide fact (a departure).
    pub region: String,
    pub document: Option<String>,
    pub at: String,
    pub actor: Option<String>,
    pub trigger_id: String,
    pub trigger_kind: String,
    pub before: Value,
    pub after: Value,
    pub told: Told,
}

fn text(v: &Value, k: &str) -> Option<String> {
    v[k].as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// The rows `alert` leaves, none for a kind the report does not read.
pub fn told_rows(alert: &Alert) -> Vec<ToldRow> {
    if !is_told(alert.kind) {
        return vec![];
    }
    let b = &alert.body;
    let mut told = Told {
        kind: alert.kind.as_str().to_string(),
        alert_id: alert.alert_id.clone(),
        severity: alert.severity.as_str().to_string(),
        ..Told::default()
    };
    sessions(b, &mut told);
    told.windows = windows(alert.kind, b);
    match alert.kind {
        Kind::AccountLeftGovernance => {
            told.reason = text(b, "reason");
            told.detail = text(b, "why");
        }
        Kind::RemediationFailed => told.reason = Some("failed".into()),
        _ => {}
    }
    let row = |region: String, document: Option<String>, detail: Option<String>| {
        let mut told = told.clone();
        told.detail = told.detail.clone().or(detail);
        ToldRow {
            account: alert.account.clone(),
            region,
            document,
            at: text(b, "at").unwrap_or_default(),
            actor: text(b, "actor"),
            trigger_id: text(b, "trigger_id").unwrap_or_default(),
            trigger_kind: text(b, "trigger_kind").unwrap_or_default(),
            before: b["before"].clone(),
            after: b["after"].clone(),
            told,
        }
    };
    if alert.kind == Kind::RemediationFailed {
        return failed_places(b)
            .into_iter()
            .map(|(region, document, detail)| row(region, document, detail))
            .collect();
    }
    match text(b, "region") {
        Some(region) => vec![row(region, text(b, "document"), None)],
        None if alert.kind == Kind::AccountLeftGovernance => vec![row(String::new(), None, None)],
        None => vec![],
    }
}

/// A failure's account-regions (`failed_regions`: `eu-west-1`, or
/// `eu-west-1 SSMRunAs-Admin` for a named document) and each one's error.
fn failed_places(b: &Value) -> Vec<(String, Option<String>, Option<String>)> {
    let places = b["failed_regions"].as_array().cloned().unwrap_or_default();
    places
        .iter()
        .filter_map(Value::as_str)
        .map(|place| {
            let mut parts = place.splitn(2, ' ');
            let region = parts.next().unwrap_or_default().to_string();
            let document = parts.next().map(str::to_string);
            let error = &b["errors"][place];
            let detail = [text(error, "code"), text(error, "message")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ");
            (region, document, Some(detail).filter(|d| !d.is_empty()))
        })
        .collect()
}

/// The spans the alert tells: a past version's (from its making to its
/// replacement), or an edit's (from its event, where one says, to the
/// put-back; still open when only seen).
fn windows(kind: Kind, b: &Value) -> Vec<ToldWindow> {
    match kind {
        Kind::RunAsWindow => b["windows"]
            .as_array()
            .map(|ws| {
                ws.iter()
                    .map(|w| ToldWindow {
                        from: text(w, "from"),
                        until: text(w, "until_known").or_else(|| text(w, "until_at_most")),
                        run_as: run_as_short(&w["run_as"]),
                        versions: text(w, "version").into_iter().collect(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        Kind::DriftReverted | Kind::TamperRepeated | Kind::DriftDetected => {
            let from = text(b, "event_time").filter(|_| b["found_by"] == "document_changed");
            let until = match kind {
                Kind::DriftDetected => None,
                _ => text(b, "at"),
            };
            let version = text(&b["versions_before"], "default");
            vec![ToldWindow {
                from,
                until,
                run_as: run_as_short(&b["before"]),
                versions: version.into_iter().collect(),
            }]
        }
        _ => vec![],
    }
}

/// The sessions the alert lists (bounded), how many more, or why unread.
fn sessions(b: &Value, told: &mut Told) {
    let listed = b["sessions"].as_array().cloned().unwrap_or_default();
    told.sessions = listed
        .iter()
        .take(MAX_KEPT_SESSIONS)
        .map(|s| ToldSession {
            session_id: text(s, "session_id").unwrap_or_default(),
            owner: text(s, "owner").unwrap_or_default(),
            target: text(s, "target").unwrap_or_default(),
            started: text(s, "started").unwrap_or_default(),
        })
        .collect();
    let beyond = listed.len().saturating_sub(MAX_KEPT_SESSIONS) as u64;
    told.sessions_more = b["sessions_more"].as_u64().unwrap_or(0) + beyond;
    told.sessions_unread = text(b, "sessions_unread");
}

#[cfg(test)]
#[path = "told_tests.rs"]
mod tests;
