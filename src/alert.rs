//! Alerts (DESIGN.md "Alerts"). Pure: which alerts an outcome deserves
//! ([`decide`]) and their messages; sending is the SNS adapter's job.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::ids::stable_id;
use crate::outcome::{AccountReport, Action, RegionOutcome};
use crate::policy::Mode;
use crate::trigger::Trigger;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    AccountConfigured,
    DriftReverted,
    DriftDetected,
    RemediationFailed,
    TamperRepeated,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::AccountConfigured => "account_configured",
            Kind::DriftReverted => "drift_reverted",
            Kind::DriftDetected => "drift_detected",
            Kind::RemediationFailed => "remediation_failed",
            Kind::TamperRepeated => "tamper_repeated",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }
}

/// Serialisable so that alerts not yet published survive a failed invocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable per decision: the same alert published again (after a fault)
    /// carries the same id, so subscribers can drop the duplicate.
    pub alert_id: String,
    pub kind: Kind,
    pub severity: Severity,
    pub account: String,
    pub subject: String,
    /// The JSON message body.
    pub body: Value,
}

/// SNS subjects: ASCII, no control characters, under 100 characters.
pub fn clean_subject(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if out.len() > 99 {
        out.truncate(96);
        out.push_str("...");
    }
    out
}

/// `arn:aws:iam::1:role/Admin` -> `role/Admin`; services and `root` as they are.
pub fn short_actor(arn: &str) -> String {
    if arn.ends_with(":root") {
        return "root".into();
    }
    match arn.rsplit_once(':') {
        Some((_, tail)) if arn.starts_with("arn:") => {
            let mut parts = tail.split('/');
            let kind = parts.next().unwrap_or_default();
            let name = tail.rsplit('/').next().unwrap_or(tail);
            format!("{kind}/{name}")
        }
        _ => arn.to_string(),
    }
}

fn id_of(m: &serde_json::Map<String, Value>) -> String {
    m["alert_id"].as_str().unwrap_or_default().to_string()
}

/// What one region looked like, for account-level alerts.
fn region_entries(regions: &[RegionOutcome]) -> Value {
    Value::Array(
        regions
            .iter()
            .map(|r| {
                json!({
                    "region": r.region, "action": r.action, "before": r.before, "after": r.after,
                    "version_after": r.version_after, "error_code": r.error_code, "error": r.error,
                })
            })
            .collect(),
    )
}

fn by_region(regions: &[RegionOutcome], pick: impl Fn(&RegionOutcome) -> Value) -> Value {
    Value::Object(
        regions
            .iter()
            .map(|r| (r.region.clone(), pick(r)))
            .collect(),
    )
}

/// One id per (trigger, kind, account, region): a decision made again by a
/// retry of the same trigger is the same alert.
pub fn alert_id(trigger: &Trigger, kind: Kind, account: &str, region: Option<&str>) -> String {
    stable_id(&[
        &trigger.event_id,
        kind.as_str(),
        account,
        region.unwrap_or("-"),
    ])
}

fn base(
    kind: Kind,
    severity: Severity,
    account: &str,
    trigger: &Trigger,
    at: &str,
) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert(
        "alert_id".into(),
        json!(alert_id(trigger, kind, account, None)),
    );
    m.insert("kind".into(), json!(kind));
    m.insert("severity".into(), json!(severity));
    m.insert("account".into(), json!(account));
    m.insert("region".into(), Value::Null);
    m.insert(
        "actor".into(),
        json!(trigger.actor.as_ref().map(|a| &a.arn)),
    );
    m.insert("before".into(), Value::Null);
    m.insert("after".into(), Value::Null);
    m.insert("trigger_id".into(), json!(trigger.event_id));
    m.insert("trigger_kind".into(), json!(trigger.kind.as_str()));
    m.insert("at".into(), json!(at));
    m
}

/// A vend/enroll (or move) finished in every governed region.
pub fn account_configured(
    account: &str,
    user: &str,
    regions: &[RegionOutcome],
    trigger: &Trigger,
    at: &str,
) -> Alert {
    let mut m = base(
        Kind::AccountConfigured,
        Severity::Info,
        account,
        trigger,
        at,
    );
    m.insert("before".into(), by_region(regions, |r| json!(r.before)));
    m.insert("after".into(), by_region(regions, |r| json!(r.after)));
    m.insert("desired_user".into(), json!(user));
    m.insert("regions".into(), region_entries(regions));
    let changed = regions.iter().filter(|r| r.action.wrote()).count();
    let subject = if changed == 0 {
        format!(
            "runas-guard: account {account} already runs sessions as {user} in {} regions",
            regions.len()
        )
    } else {
        format!("runas-guard: account {account} configured, sessions run as {user} ({changed}/{} regions changed)", regions.len())
    };
    Alert {
        alert_id: id_of(&m),
        kind: Kind::AccountConfigured,
        severity: Severity::Info,
        account: account.into(),
        subject: clean_subject(&subject),
        body: Value::Object(m),
    }
}

/// Some regions could not be brought into line; names them and their codes.
pub fn remediation_failed(
    account: &str,
    user: Option<&str>,
    regions: &[RegionOutcome],
    trigger: &Trigger,
    at: &str,
) -> Alert {
    let mut m = base(
        Kind::RemediationFailed,
        Severity::Error,
        account,
        trigger,
        at,
    );
    let failed: Vec<&RegionOutcome> = regions
        .iter()
        .filter(|r| r.error_code.is_some() && r.action == Action::Failed)
        .collect();
    if let [only] = failed.as_slice() {
        m.insert("region".into(), json!(only.region));
    }
    m.insert("before".into(), by_region(regions, |r| json!(r.before)));
    m.insert("after".into(), by_region(regions, |r| json!(r.after)));
    m.insert("desired_user".into(), json!(user));
    m.insert(
        "failed_regions".into(),
        json!(failed.iter().map(|r| &r.region).collect::<Vec<_>>()),
    );
    m.insert(
        "errors".into(),
        by_region(
            &failed.iter().map(|r| (*r).clone()).collect::<Vec<_>>(),
            |r| json!({"code": r.error_code, "message": r.error}),
        ),
    );
    m.insert("regions".into(), region_entries(regions));
    let detail: Vec<String> = failed
        .iter()
        .map(|r| format!("{} {}", r.region, r.error_code.as_deref().unwrap_or("?")))
        .collect();
    let subject = format!(
        "runas-guard FAILED: RunAs not fixed in {account}: {}",
        detail.join(", ")
    );
    Alert {
        alert_id: id_of(&m),
        kind: Kind::RemediationFailed,
        severity: Severity::Error,
        account: account.into(),
        subject: clean_subject(&subject),
        body: Value::Object(m),
    }
}

/// The third revert of one account-region within an hour is tampering.
pub const TAMPER_THRESHOLD: usize = 3;

/// How a drift alert should read.
#[derive(Debug, Clone, Copy, Default)]
pub struct DriftFacts {
    /// The actor matches `exempt.principals`: restore, but never call it tampering.
    pub expected_editor: bool,
    /// Audit mode: the drift was seen, not fixed.
    pub audit: bool,
    /// Reverts of this account-region in the last hour, this one included.
    pub reverts_last_hour: usize,
}

/// Someone changed RunAs in one account-region and we put it back (or, in
/// audit mode, saw it). From the third revert in an hour it is `tamper_repeated`.
pub fn drift(
    account: &str,
    user: &str,
    outcome: &RegionOutcome,
    trigger: &Trigger,
    at: &str,
    facts: DriftFacts,
) -> Alert {
    let DriftFacts {
        expected_editor,
        audit,
        reverts_last_hour,
    } = facts;
    let by = trigger
        .actor
        .as_ref()
        .map(|a| short_actor(&a.arn))
        .unwrap_or_else(|| "an unknown principal".into());
    let region = &outcome.region;
    let before = outcome
        .before
        .as_ref()
        .map(|b| b.short())
        .unwrap_or_else(|| "no document".into());
    let sweep = trigger.kind == crate::trigger::TriggerKind::Sweep;
    let (kind, severity, subject) = if audit && sweep {
        (Kind::DriftDetected, Severity::Warning, format!("runas-guard audit: sweep found RunAs wrong in {account} {region} ({before}, want {user})"))
    } else if sweep {
        (
            Kind::DriftReverted,
            Severity::Warning,
            format!(
                "runas-guard: sweep fixed RunAs in {account} {region} (was {before}, now {user})"
            ),
        )
    } else if audit {
        (Kind::DriftDetected, Severity::Warning, format!("runas-guard audit: RunAs wrong in {account} {region} ({before}, want {user}), by {by}"))
    } else if expected_editor {
        (
            Kind::DriftReverted,
            Severity::Info,
            format!("runas-guard: RunAs restored in {account} {region} after expected editor {by}"),
        )
    } else if reverts_last_hour >= TAMPER_THRESHOLD {
        (Kind::TamperRepeated, Severity::Critical, format!("runas-guard CRITICAL: RunAs changed {reverts_last_hour}x in 1h in {account} {region}, last by {by}"))
    } else {
        (
            Kind::DriftReverted,
            Severity::Warning,
            format!(
                "runas-guard: RunAs reverted in {account} {region}, changed by {by} ({before})"
            ),
        )
    };
    let mut m = base(kind, severity, account, trigger, at);
    m.insert(
        "alert_id".into(),
        json!(alert_id(trigger, kind, account, Some(region))),
    );
    m.insert("region".into(), json!(region));
    m.insert("before".into(), json!(outcome.before));
    m.insert("after".into(), json!(outcome.after));
    m.insert("desired_user".into(), json!(user));
    m.insert("action".into(), json!(outcome.action));
    m.insert("source_ip".into(), json!(trigger.context.source_ip));
    m.insert("user_agent".into(), json!(trigger.context.user_agent));
    m.insert("event_time".into(), json!(trigger.context.event_time));
    m.insert("event_name".into(), json!(trigger.event_name));
    m.insert("versions_before".into(), json!(outcome.versions_before));
    m.insert("version_after".into(), json!(outcome.version_after));
    m.insert("expected_editor".into(), json!(expected_editor));
    m.insert("reverts_last_hour".into(), json!(reverts_last_hour));
    Alert {
        alert_id: id_of(&m),
        kind,
        severity,
        account: account.into(),
        subject: clean_subject(&subject),
        body: Value::Object(m),
    }
}

/// How an outcome is alerted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Vend, join or move: one summary per account, when this run wrote.
    Account,
    /// A document edit: one alert per reverted region, tampering counted.
    Region,
    /// A sweep: one alert per region found wrong; nobody to blame.
    Sweep,
}

/// What the decision needs besides the outcome.
pub struct Facts<'a> {
    pub trigger: &'a Trigger,
    pub mode: Mode,
    /// The actor matches `exempt.principals`.
    pub expected_editor: bool,
    /// Reverts of each region in the last hour, this run's included.
    pub reverts_last_hour: &'a HashMap<String, usize>,
    pub at: &'a str,
}

/// Which alerts an account's outcome deserves. Failures win; a run that
/// changed nothing (and saw no drift in audit mode) is silent.
pub fn decide(report: &AccountReport, scope: Scope, f: &Facts<'_>) -> Vec<Alert> {
    let t = f.trigger;
    if report.failed() {
        return vec![remediation_failed(
            &report.account,
            report.desired_user.as_deref(),
            &report.regions,
            t,
            f.at,
        )];
    }
    let Some(user) = report.desired_user.as_deref() else {
        return vec![];
    };
    let mut alerts = Vec::new();
    for o in &report.regions {
        let audit = o.action == Action::WouldChange;
        let reverted = o.action.wrote() && o.was_noncompliant(user);
        if !(audit || (reverted && scope != Scope::Account)) {
            continue;
        }
        let counted = reverted && scope == Scope::Region && !f.expected_editor;
        let facts = DriftFacts {
            expected_editor: f.expected_editor,
            audit,
            reverts_last_hour: if counted {
                f.reverts_last_hour.get(&o.region).copied().unwrap_or(1)
            } else {
                0
            },
        };
        alerts.push(drift(&report.account, user, o, t, f.at, facts));
    }
    let wrote = report.regions.iter().any(|r| r.action.wrote());
    if alerts.is_empty() && scope == Scope::Account && wrote && f.mode == Mode::Enforce {
        alerts.push(account_configured(
            &report.account,
            user,
            &report.regions,
            t,
            f.at,
        ));
    }
    alerts
}

#[cfg(test)]
#[path = "alert_tests.rs"]
mod tests;
