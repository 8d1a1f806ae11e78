//! Alerts (docs/design.md "Alerts"). Pure: which alerts an outcome deserves
//! ([`decide`]) and their messages; sending is the SNS adapter's job.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::ids::stable_id;
use crate::domain::outcome::{AccountReport, Action, Change};
use crate::domain::trigger::{Trigger, TriggerKind};

pub mod bound;
mod bypass;
pub mod default_told;
mod degraded;
mod drift;
mod forwarding;
mod governance;
pub mod guidance;
mod held;
mod identity;
mod identity_center;
mod look_failed;
mod message;
mod named;
mod policy_change;
mod readiness;
pub mod render;
mod rows_unread;
pub mod sessions;
mod tags;
mod tampered;
mod window;

pub use bypass::{run_as_bypass, Elevated};
pub use degraded::sweep_degraded;
pub use drift::{audit_findings, drift};
pub use forwarding::canary_findings;
pub use governance::{account_left_governance, left_governance_summary};
pub use guidance::failure_fix;
pub use held::{enforcement_held, Held};
pub use identity_center::{identity_center_drift, IdentityCenterDrift};
pub use look_failed::identity_center_failed;
pub use message::{
    account_configured, clean_subject, policy_ids_unknown, policy_rejected, remediation_failed,
    run_as_override, short_actor,
};
pub use named::editors_named;
pub use policy_change::not_drift;
pub use readiness::{association_link, user_missing};
pub use rows_unread::{
    history_from, on_rows_unread, on_unread, HistoryFrom, OnRowsUnread, Read, Unread,
};
pub use window::run_as_windows;
pub use {tags::run_as_tags_found, tampered::finding_tampered};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    AccountConfigured,
    DriftReverted,
    DriftDetected,
    RemediationFailed,
    TamperRepeated,
    SweepSummary,
    RunAsOverride,
    PolicyRejected,
    PolicyIdsUnknown,
    RunAsUserMissing,
    RunAsBypass,
    IdentityCenterDrift,
    ForwardingMissing,
    IdentityCenterFailed,
    PolicyApplied,
    SweepDegraded,
    CanaryUnwritable,
    EnforcementHeld,
    AccountLeftGovernance,
    RunAsWindow,
    FindingTampered,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::AccountConfigured => "account_configured",
            Kind::DriftReverted => "drift_reverted",
            Kind::DriftDetected => "drift_detected",
            Kind::RemediationFailed => "remediation_failed",
            Kind::TamperRepeated => "tamper_repeated",
            Kind::SweepSummary => "sweep_summary",
            Kind::RunAsOverride => "run_as_override",
            Kind::PolicyRejected => "policy_rejected",
            Kind::PolicyIdsUnknown => "policy_ids_unknown",
            Kind::RunAsUserMissing => "run_as_user_missing",
            Kind::RunAsBypass => "run_as_bypass",
            Kind::IdentityCenterDrift => "identity_center_drift",
            Kind::ForwardingMissing => "forwarding_missing",
            Kind::IdentityCenterFailed => "identity_center_failed",
            Kind::PolicyApplied => "policy_applied",
            Kind::SweepDegraded => "sweep_degraded",
            Kind::CanaryUnwritable => "canary_unwritable",
            Kind::EnforcementHeld => "enforcement_held",
            Kind::AccountLeftGovernance => "account_left_governance",
            Kind::RunAsWindow => "run_as_window",
            Kind::FindingTampered => "finding_tampered",
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

/// What an `SSMSessionRunAs` tag event's principal carries when looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagNow {
    /// The tag's value (IAM keys are unique case-insensitively, as Session
    /// Manager reads them).
    Present(String),
    Removed,
    /// The role or user itself is gone.
    PrincipalGone,
    /// It could not be read (the AWS error code).
    Unread(String),
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

impl Alert {
    /// The account's name and OU path (by names), when the run knows them:
    /// the first things on-call asks.
    pub fn about(mut self, name: Option<&str>, ou_path: Option<&str>) -> Alert {
        if let (Some(n), Value::Object(b)) = (name.filter(|n| !n.is_empty()), &mut self.body) {
            b.insert("account_name".into(), Value::String(n.to_string()));
        }
        if let (Some(p), Value::Object(b)) = (ou_path.filter(|p| !p.is_empty()), &mut self.body) {
            b.insert("ou_path".into(), Value::String(p.to_string()));
        }
        self
    }

    /// `account_configured` says when the account joined the organization:
    /// it is told once per life of the account, and a rejoined account's
    /// life is a new one ([`crate::domain::life`]).
    pub fn joined(mut self, joined_ms: Option<i64>) -> Alert {
        if let (Kind::AccountConfigured, Some(ms), Value::Object(b)) =
            (self.kind, joined_ms, &mut self.body)
        {
            let at = crate::domain::clock::iso(crate::domain::clock::from_millis(ms));
            b.insert("joined".into(), Value::String(at));
        }
        self
    }

    /// The life an `account_configured` is told in: when the account joined.
    pub fn life_ms(&self) -> Option<i64> {
        let at = self.body.get("joined")?.as_str()?;
        crate::domain::clock::parse_iso(at)
    }
}

/// Whether `alert`, decided by a run of `trigger`, is told only by the
/// first run to say it: a new account is configured once, whichever of its
/// vend's paths (the vend, the member stack's event, a re-attempt, a
/// baseline) gets there first; a move is news each time (a new OU, a new
/// user).
pub fn told_once(alert: &Alert, trigger: TriggerKind) -> bool {
    alert.kind == Kind::AccountConfigured && trigger != TriggerKind::AccountMoved
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

/// How an outcome is alerted: per account or per region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Per {
    /// Vend, join or move: one summary per account, when this run wrote;
    /// its audit findings in one `drift_detected` listing them.
    Account,
    /// A document edit: one alert per reverted region, tampering counted.
    /// (A sweep sends one `sweep_summary` instead: see `summary.rs`.)
    Region,
}

/// What the decision needs besides the outcome.
pub struct Facts<'a> {
    pub trigger: &'a Trigger,
    /// The actor matches `exempt.principals`.
    pub expected_editor: bool,
    /// Reverts of each slot (region, or region and document) in the last
    /// hour, this run's included.
    pub reverts_last_hour: &'a HashMap<String, usize>,
    /// Audit mode: slots whose drift this run saw first. Drift already
    /// reported is not reported again.
    pub new_drift: &'a HashSet<String>,
    /// The run-as user check: slots where this run found nodes newly
    /// lacking the user.
    pub new_missing: &'a HashSet<String>,
    /// An earlier attempt of this trigger held its claim and did not
    /// finish: its writes may be done and recorded and its alerts untold,
    /// so this attempt, finding the account configured, says so (once per
    /// trigger and life: `flow::configured` tells it only where no other
    /// path of the vend did).
    pub resumed: bool,
    pub at: &'a str,
}

/// Which alerts an account's outcome deserves. Failures add, never replace:
/// a region this run put back is alerted beside another region's (or
/// document's) failure, so a document kept failing cannot hide a revert.
/// A run that changed nothing (and saw no drift in audit mode) is silent.
pub fn decide(report: &AccountReport, per: Per, f: &Facts<'_>) -> Vec<Alert> {
    let t = f.trigger;
    let failed = report.failed();
    let mut alerts = Vec::new();
    if failed {
        alerts.push(remediation_failed(
            &report.account,
            report.desired_user.as_deref(),
            &report.regions,
            t,
            f.at,
        ));
    }
    let Some(user) = report.desired_user.as_deref() else {
        return alerts;
    };
    // A run about the account tells its audit findings in one alert, as a
    // sweep counts them in one summary; an edit event, its region's.
    let mut findings = Vec::new();
    for o in &report.regions {
        let doc_user = o.user(user);
        match drift_told(o, doc_user, per, f) {
            Some(facts) if facts.audit && per == Per::Account => findings.push(o),
            Some(facts) => alerts.push(drift(&report.account, doc_user, o, t, f.at, facts)),
            None => {}
        }
    }
    alerts.extend(audit_findings(&report.account, user, &findings, t, f.at));
    // An edit event's put-back of another life's default configures the
    // account's new life: told as its vend would have told it.
    let configures = per == Per::Account || report.regions.iter().any(|o| o.another_life);
    if alerts.is_empty() && configures && configured(report, f.resumed) {
        alerts.push(account_configured(
            &report.account,
            user,
            &report.regions,
            t,
            f.at,
        ));
    }
    // Nodes newly without the user: news beside anything else.
    alerts.extend(user_missing(report, f.new_missing, t, f.at));
    // Versions set out of policy and back before any run looked.
    alerts.extend(run_as_windows(report, t, f.at));
    // Edits another run put back before their event came: their editor.
    alerts.extend(editors_named(report, t, f.expected_editor, f.at));
    alerts
}

/// Whether a row's drift is told, and with which facts: an audit finding
/// first seen now, an edit event's put-back, or a put-back by a run with no
/// edit event of its own that undid someone's change.
fn drift_told(
    o: &crate::domain::outcome::RegionOutcome,
    user: &str,
    per: Per,
    f: &Facts<'_>,
) -> Option<DriftFacts> {
    if o.another_life {
        return None;
    }
    let slot = o.slot();
    let audit = o.action == Action::WouldChange && f.new_drift.contains(&slot);
    // RunAs put back is always news; an inheriting document brought back
    // in line is news only when the event was an edit of that document,
    // and then whatever the policy did meanwhile (its other settings are
    // the editor's, never a policy's). A put-back of Run As that only
    // applied a policy change the editor did not touch is the sweep
    // summary's, never blamed on the editor.
    let policy = matches!(o.change, Some(Change::Policy { .. }));
    let reverted = o.action.wrote()
        && ((!policy && o.was_noncompliant(user))
            || (o.followed && f.trigger.edits(o.document_name())));
    // A run with no edit event of its own (a member-stack update, a
    // baseline, a re-attempt) that put back what the table last saw
    // right: told like the sweep's find, once, whoever finds it.
    let found = per == Per::Account
        && o.change == Some(Change::Document)
        && o.action.wrote()
        && o.was_noncompliant(user);
    if !(audit || (reverted && per == Per::Region) || found) {
        return None;
    }
    // Our own write's event names nobody: the editor's event counts it.
    let counted = reverted && per == Per::Region && !f.expected_editor && f.trigger.names_editor();
    let facts = DriftFacts {
        expected_editor: f.expected_editor && per == Per::Region,
        audit,
        reverts_last_hour: if counted {
            f.reverts_last_hour.get(&slot).copied().unwrap_or(1)
        } else {
            0
        },
    };
    Some(facts)
}

/// A sweep's `account_configured` for an account it found in a new life
/// (it left the organization and joined again, and neither event came):
/// told as that life's vend would have told it, when this run configured
/// it (or found right what the life's vend left failed: `resumed`), saying
/// when it joined (once per life: `flow::configured`).
pub fn configured_anew(
    report: &AccountReport,
    trigger: &Trigger,
    at: &str,
    joined_ms: Option<i64>,
    resumed: bool,
) -> Option<Alert> {
    let user = report.desired_user.as_deref()?;
    configured(report, resumed).then(|| {
        account_configured(&report.account, user, &report.regions, trigger, at).joined(joined_ms)
    })
}

/// Something written (by this run, or maybe by an earlier attempt of its
/// trigger that did not finish: `resumed`), Run As enforced somewhere (the check's association
/// is kept in audit mode too, and an account in audit mode, or held by
/// `enforce-when-ready` everywhere, is not "configured"), and nothing still
/// awaiting the member stack (the run that finishes it says so). A vend
/// that failed somewhere is retried, and the retry that finishes says it.
/// Rows that carry no mode (a dead run's adopted write) count as enforced.
fn configured(report: &AccountReport, resumed: bool) -> bool {
    let rows = &report.regions;
    let found_right = rows
        .iter()
        .any(|r| r.action == Action::None && r.error_code.is_none());
    let wrote = rows.iter().any(|r| r.action.wrote()) || (resumed && found_right);
    let mut documents = rows.iter().filter(|r| r.mode.is_some()).peekable();
    let enforced = documents.peek().is_none()
        || documents
            .any(|r| r.mode != Some(crate::domain::policy::Mode::Audit) && r.held.is_none());
    wrote && enforced && !rows.iter().any(|r| r.action == Action::Pending)
}

/// A plain alert for the tests of what carries alerts (the outbox, the
/// claim): its id and subject, the rest fixed.
#[cfg(test)]
pub fn sample(id: &str, subject: &str) -> Alert {
    Alert {
        alert_id: id.into(),
        kind: Kind::DriftReverted,
        severity: Severity::Warning,
        account: "111122223333".into(),
        subject: subject.into(),
        body: Value::Null,
    }
}

#[cfg(test)]
#[path = "alert_tests.rs"]
mod tests;
