//! Security alerts as findings (pure): `tamper_repeated`, `drift_detected`,
//! `run_as_bypass`, `run_as_override` and `identity_center_drift` each
//! become a finding in the account and region the alert is about, `FAILED`
//! and `ACTIVE` (Workflow `NEW` on its first import), sent once by the run
//! that decides the alert and never again, so the security team's workflow
//! stands; never `PASSED` or `ARCHIVED`. Its `Id` carries the alert's
//! `alert_id`: the alert and the finding of one fact share its identity.
//! An alert that tells nothing to triage stays an alert: an expected
//! editor's override (`info`), and every kind that is not a security event.

use std::collections::BTreeMap;

use serde_json::Value;

use super::asff::MAX_TITLE;
use super::asff::{asff_string, Check, Compliance, Finding, Label, MAX_DESCRIPTION, MAX_DETAIL};
use super::{Place, Send};
use crate::domain::alert::{Alert, Kind, Severity};
use crate::domain::clock;

/// The check an alert's finding is, for the kinds that are security events
/// not already told as an `edit` or `window` finding.
pub fn check_of(alert: &Alert) -> Option<Check> {
    Some(match alert.kind {
        Kind::TamperRepeated => Check::TamperRepeated,
        Kind::DriftDetected => Check::DriftDetected,
        Kind::RunAsBypass => Check::Bypass,
        // An expected editor's change is told for the record, not triage.
        Kind::RunAsOverride if alert.severity != Severity::Info => Check::Override,
        Kind::IdentityCenterDrift => Check::IdentityCenterDrift,
        _ => return None,
    })
}

fn text<'a>(b: &'a Value, k: &str) -> Option<&'a str> {
    b[k].as_str().filter(|s| !s.trim().is_empty())
}

/// The findings of `alert` (one per account-region it is about: an audit
/// summary of several regions is one per region), at `now_ms`. `region`:
/// where an alert about no region (an IAM principal's tag) is imported.
pub fn alerted(place: Place<'_>, alert: &Alert, region: &str, now_ms: i64) -> Vec<Send> {
    let Some(check) = check_of(alert) else {
        return vec![];
    };
    let b = &alert.body;
    match b["regions"].as_array() {
        Some(rows) if check == Check::DriftDetected => rows
            .iter()
            .map(|row| {
                let r = text(row, "region").unwrap_or(region);
                one(place, alert, check, (r, row), now_ms)
            })
            .collect(),
        _ => vec![one(
            place,
            alert,
            check,
            (text(b, "region").unwrap_or(region), b),
            now_ms,
        )],
    }
}

/// One finding of `alert` in `region`, from `row` (the alert's body, or one
/// region's part of an audit summary).
fn one(
    place: Place<'_>,
    alert: &Alert,
    check: Check,
    (region, row): (&str, &Value),
    now_ms: i64,
) -> Send {
    let b = &alert.body;
    let details = details(place, alert, row);
    let now = clock::iso(clock::from_millis(now_ms));
    let where_ = format!("account {} {region}", place.account);
    Send {
        slot: region.to_string(),
        finding: Finding {
            id: format!(
                "runas-guard/{}/{region}/{}/{}",
                place.account,
                check.as_str(),
                alert.alert_id
            ),
            check,
            partition: place.partition.into(),
            account: place.account.into(),
            region: region.into(),
            title: asff_string(&format!("{} in {where_}", check.title()), MAX_TITLE),
            description: asff_string(
                &format!("{} Alert: {}", check.meaning(), alert.subject),
                MAX_DESCRIPTION,
            ),
            severity: severity(alert, row),
            compliance: Compliance::Failed,
            archived: false,
            created_at: now.clone(),
            updated_at: now,
            resource: resource(place, check, region, row, b),
            details: details
                .into_iter()
                .map(|(k, v)| (k, asff_string(&v, MAX_DETAIL)))
                .collect(),
            runbook: crate::domain::alert::guidance::operate_section(
                place.runbook.trim(),
                check.anchor(),
            ),
        },
        sent: None,
    }
}

/// What a security team reads of the alert: who, what, where, and the
/// window's sessions where the alert lists them.
fn details(place: Place<'_>, alert: &Alert, row: &Value) -> BTreeMap<String, String> {
    let b = &alert.body;
    let mut details = BTreeMap::new();
    details.insert("alert_id".into(), alert.alert_id.clone());
    details.insert("alert_kind".into(), alert.kind.as_str().into());
    let editor = text(b, "actor").unwrap_or("an editor not yet named");
    details.insert("editor".into(), editor.into());
    for k in [
        "document",
        "event_time",
        "event_name",
        "source_ip",
        "instance",
        "principal",
        "value",
    ] {
        if let Some(v) = text(row, k).or_else(|| text(b, k)) {
            details.insert(k.into(), v.into());
        }
    }
    for k in [
        "before",
        "after",
        "elevated",
        "changes",
        "principals",
        "runs_as",
        "versions_before",
    ] {
        let v = if row[k].is_null() { &b[k] } else { &row[k] };
        if !v.is_null() {
            details.insert(k.into(), v.to_string());
        }
    }
    if let Some(n) = b["reverts_last_hour"].as_u64().filter(|n| *n > 0) {
        details.insert("reverts_last_hour".into(), n.to_string());
    }
    if let Some(p) = place.ou_path.filter(|p| !p.trim().is_empty()) {
        details.insert("ou_path".into(), p.into());
    }
    sessions(b, &mut details);
    details
}

/// `CRITICAL` for a root Run As or a critical alert (repeated tampering, a
/// document that skips Run As); `HIGH` for any other Run As out of policy;
/// `MEDIUM` for a change outside the document (a tag, Identity Center).
fn severity(alert: &Alert, row: &Value) -> Label {
    let root = |v: &Value| {
        v["runAsDefaultUser"]
            .as_str()
            .is_some_and(|u| u.trim() == "root")
    };
    if alert.severity == Severity::Critical || root(&row["before"]) || root(&alert.body["before"]) {
        return Label::Critical;
    }
    match alert.kind {
        Kind::RunAsOverride | Kind::IdentityCenterDrift => Label::Medium,
        _ => Label::High,
    }
}

/// What the finding is about: the document, the principal carrying the
/// tag, the Identity Center instance; else the account.
fn resource(place: Place<'_>, check: Check, region: &str, row: &Value, b: &Value) -> String {
    let (p, a) = (place.partition, place.account);
    match check {
        Check::Override => text(b, "principal")
            .map(String::from)
            .or_else(|| b["principals"][0]["principal"].as_str().map(String::from))
            .unwrap_or_else(|| format!("arn:{p}:iam::{a}:root")),
        Check::IdentityCenterDrift => text(b, "instance")
            .map(String::from)
            .unwrap_or_else(|| format!("arn:{p}:iam::{a}:root")),
        _ => {
            let doc = text(row, "document").or_else(|| text(b, "document"));
            format!(
                "arn:{p}:ssm:{region}:{a}:document/{}",
                doc.unwrap_or("SSM-SessionManagerRunShell")
            )
        }
    }
}

impl Check {
    /// What an alert's finding is called (its title, before where).
    fn title(self) -> &'static str {
        match self {
            Check::TamperRepeated => "Session Manager Run As edited again and again",
            Check::DriftDetected => "Session Manager Run As found out of policy (audit)",
            Check::Bypass => "Session document skips Session Manager Run As",
            Check::Override => "Session Manager Run As set outside the document (IAM tag)",
            Check::IdentityCenterDrift => "Identity Center Run As attributes changed",
            _ => "Session Manager Run As security event",
        }
    }

    /// What it means, first in its description.
    fn meaning(self) -> &'static str {
        match self {
            Check::TamperRepeated => "Run As was set out of policy several times within an hour; runas-guard put it back each time.",
            Check::DriftDetected => "Run As is out of policy and runas-guard, in audit mode, did not put it back: sessions run under it now.",
            Check::Bypass => "A Session document opens sessions that skip the policy's Run As user (as root, ssm-user or its own user).",
            Check::Override => "An SSMSessionRunAs tag decides the Run As user of the principal's sessions, whatever the document says.",
            Check::IdentityCenterDrift => "IAM Identity Center's access-control attributes, which can decide the Run As user, differ from the declared mapping.",
            _ => "A Session Manager Run As security event.",
        }
    }
}

/// The sessions the alert lists (its window's, `alert::sessions`), as an
/// `edit` finding names them; or why they could not be read.
pub(super) fn sessions(b: &Value, details: &mut BTreeMap<String, String>) {
    if let Some(code) = text(b, "sessions_unread") {
        details.insert("sessions_unread".into(), code.into());
    }
    let Some(listed) = b["sessions"].as_array() else {
        return;
    };
    let count = listed.len() + b["sessions_more"].as_u64().unwrap_or(0) as usize;
    let more = if b["sessions_truncated"] == true {
        " or more"
    } else {
        ""
    };
    details.insert("sessions_count".into(), format!("{count}{more}"));
    for k in ["sessions_from", "sessions_until"] {
        if let Some(v) = text(b, k) {
            details.insert(k.into(), v.into());
        }
    }
    for (n, s) in listed.iter().take(super::sessions::MAX_NAMED).enumerate() {
        let f = |k: &str| s[k].as_str().unwrap_or("?").to_string();
        let line = format!(
            "{} by {} on {} ({}, {})",
            f("started"),
            f("owner"),
            f("target"),
            f("status"),
            f("session_id")
        );
        details.insert(format!("session_{}", n + 1), line);
    }
}
