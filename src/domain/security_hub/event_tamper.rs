//! Tamper detection of the guard's *event* findings: an `edit` or `window`
//! finding and a security alert's (`tamper-repeated`, `drift-detected`,
//! `bypass`, `override`, `identity-center-drift`). Each is sent once and
//! never again, so a member account's administrator could import a copy
//! that hides it (`PASSED`, `ARCHIVED`, a low severity) and nothing would
//! say so: a sweep reads them back and judges each here.
//!
//! What was sent is rebuilt from the finding's own identity, not kept. The
//! account-region's state item must not grow with the number of events
//! (one mark per event would), and a digest in an expiring item of its own
//! would cost a write per event and a read per finding each sweep for what
//! the identity already says: the `Id` names the kind (the alert's
//! `alert_id` or the edit's version follows it), and for each kind the guard
//! always sends the same provider values: `Compliance.Status` `FAILED`,
//! `RecordState` `ACTIVE`, `GeneratorId` `runas-guard/<kind>`,
//! `FindingProviderFields.Types` of the kind, and a
//! `FindingProviderFields.Severity.Label` no lower than the kind deserves
//! (`CRITICAL` where the finding's own details say root). Those are what a
//! triage filter reads and so what a forger flips to hide a finding; the
//! finding's words (title, description, resource details) are not judged,
//! and a restore keeps them as held (Security Hub CSPM's finding history
//! shows who changed them).
//!
//! The security team's own fields (`Workflow`, `Note`, `UserDefinedFields`,
//! the top-level `Severity`/`Types` a `BatchUpdateFindings` sets) are
//! theirs: never compared, never sent.
//!
//! A forged `UpdatedAt` later than now cannot be undone in place
//! ([`super::forged`]): the guard's finding is sent under its successor
//! `Id`, told once: the next sweep finds the successor and leaves the
//! forged one alone.

use std::collections::{BTreeMap, BTreeSet};

use super::asff::{asff_string, Check, Compliance, Finding, Label};
use super::asff::{MAX_DESCRIPTION, MAX_DETAIL, MAX_TITLE};
use super::forged::{forged_line, not_in_place, replacing, successor, SUCCESSOR};
use super::{Held, Place, Tampered};
use crate::domain::clock;

/// The kinds whose `Id` is `runas-guard/<account>/<region>/<kind>/<alert_id>`.
const ALERTED: [Check; 5] = [
    Check::TamperRepeated,
    Check::DriftDetected,
    Check::Bypass,
    Check::Override,
    Check::IdentityCenterDrift,
];

/// What the read-back of one finding says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventVerdict {
    /// Not one of the guard's event findings here (a check finding, judged
    /// against its mark; an `Id` of another shape, account or region).
    NotOurs,
    /// As the guard sends it.
    Kept,
    /// Forged beyond restoring in place and already replaced by its
    /// successor: told when found, not again.
    Superseded,
    /// Changed by someone else: told, and `restore` sent (none where no
    /// successor `Id` fits ASFF's limit).
    Tampered {
        told: Box<Tampered>,
        restore: Option<Box<Finding>>,
    },
}

/// The event kind `id` names in `account` `region`: the `Id` is the fact's
/// identity and the only part of a finding nobody can change.
pub fn event_kind(account: &str, region: &str, id: &str) -> Option<Check> {
    let mut rest = id.strip_prefix(&format!("runas-guard/{account}/{region}/"))?;
    while let Some(original) = rest.strip_suffix(SUCCESSOR) {
        rest = original;
    }
    let parts: Vec<&str> = rest.split('/').collect();
    if parts.iter().any(|p| p.trim().is_empty()) {
        return None;
    }
    match parts.as_slice() {
        // `<document>/run-as`, `<document>/readiness`: a check's.
        [_, "run-as" | "readiness"] => None,
        [_, "edit", _] => Some(Check::Edit),
        [_, "window", _] => Some(Check::Window),
        [kind, _] => ALERTED.into_iter().find(|c| c.as_str() == *kind),
        _ => None,
    }
}

/// The lowest severity the guard sends for `check`, given the finding's own
/// details: a root Run As is `CRITICAL` whatever the kind.
pub fn deserved(check: Check, details: &BTreeMap<String, String>) -> Label {
    let root_user = |u: &str| u.trim() == "root";
    let root = match check {
        Check::Edit => details
            .get("run_as_default_user")
            .is_some_and(|u| root_user(u)),
        // `window_version_<n>`: `<on>/<user> from … until …`.
        Check::Window => details
            .iter()
            .filter(|(k, _)| k.starts_with("window_version_"))
            .any(|(_, v)| {
                let value = v.split(" from ").next().unwrap_or_default();
                value.rsplit('/').next().is_some_and(root_user)
            }),
        _ => details
            .get("before")
            .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
            .is_some_and(|b| b["runAsDefaultUser"].as_str().is_some_and(root_user)),
    };
    match check {
        _ if root => Label::Critical,
        Check::TamperRepeated | Check::Bypass => Label::Critical,
        Check::Override | Check::IdentityCenterDrift => Label::Medium,
        _ => Label::High,
    }
}

fn rank(label: &str) -> Option<u8> {
    let all = [
        Label::Informational,
        Label::Low,
        Label::Medium,
        Label::High,
        Label::Critical,
    ];
    all.iter()
        .position(|l| l.as_str() == label)
        .map(|p| p as u8)
}

/// What differs from what the guard always sends for `check`, one line each.
fn changed(h: &Held, check: Check, deserved: Label) -> Vec<String> {
    let mut changed = vec![];
    let found = h.compliance.as_deref().unwrap_or("(none)");
    if found != Compliance::Failed.as_str() {
        changed.push(format!("Compliance.Status FAILED -> {found}"));
    }
    let record = h.record_state.as_deref().unwrap_or("ACTIVE");
    if record != "ACTIVE" {
        changed.push(format!("RecordState ACTIVE -> {record}"));
    }
    let severity = h.severity.as_deref().unwrap_or("(none)");
    if rank(severity).is_none_or(|r| Some(r) < rank(deserved.as_str())) {
        changed.push(format!("Severity {} -> {severity}", deserved.as_str()));
    }
    if h.types
        .iter()
        .map(String::as_str)
        .ne(check.types().iter().copied())
    {
        changed.push("Types".into());
    }
    let generator = format!("runas-guard/{}", check.as_str());
    if h.generator_id != generator {
        changed.push(format!("GeneratorId {generator} -> {}", h.generator_id));
    }
    changed
}

/// `h`, one of what Security Hub holds in `region` (all of whose `Id`s are
/// `ids`), judged at `now_ms`.
pub fn judge_event(
    place: Place<'_>,
    region: &str,
    h: &Held,
    ids: &BTreeSet<&str>,
    now_ms: i64,
) -> EventVerdict {
    let Some(check) = event_kind(place.account, region, &h.id) else {
        return EventVerdict::NotOurs;
    };
    let successor = successor(&h.id);
    let why = not_in_place(&h.updated_at, now_ms);
    if why.is_some() && successor.as_deref().is_some_and(|s| ids.contains(s)) {
        return EventVerdict::Superseded;
    }
    let severity = deserved(check, &h.details);
    let mut changed = changed(h, check, severity);
    if why.is_some() {
        changed.push(forged_line(&h.updated_at));
    }
    if changed.is_empty() {
        return EventVerdict::Kept;
    }
    // In place, later than the held one; else under the successor, now.
    let (id, updated_ms) = match &why {
        None => {
            let held = clock::parse_iso(&h.updated_at).unwrap_or(0);
            (Some(h.id.clone()), now_ms.max(held + 1))
        }
        Some(_) => (successor, now_ms),
    };
    let kind = (check, severity);
    let restore = id.map(|id| Box::new(restored(place, region, h, kind, &id, updated_ms)));
    let told = Tampered {
        region: region.into(),
        id: h.id.clone(),
        check: check.as_str().into(),
        changed,
        updated_at: h.updated_at.clone(),
        put_back: false,
        not_in_place: why,
        successor: restore
            .as_ref()
            .filter(|f| f.id != h.id)
            .map(|f| f.id.clone()),
    };
    EventVerdict::Tampered {
        told: Box::new(told),
        restore,
    }
}

/// The finding as the guard sends it for `check`, from what is held: its
/// provider values restored, its words kept; a successor says what it
/// replaces.
fn restored(
    place: Place<'_>,
    region: &str,
    h: &Held,
    (check, severity): (Check, Label),
    id: &str,
    updated_ms: i64,
) -> Finding {
    let now = clock::iso(clock::from_millis(updated_ms));
    let mut details: BTreeMap<String, String> = h
        .details
        .iter()
        .map(|(k, v)| (k.clone(), asff_string(v, MAX_DETAIL)))
        .collect();
    if id != h.id {
        replacing(&mut details, &h.id, Some(&h.updated_at));
    }
    let created = match clock::parse_iso(&h.created_at) {
        Some(at) if at <= updated_ms => h.created_at.clone(),
        _ => now.clone(),
    };
    let resource = match h.resource_id.trim() {
        "" => format!("arn:{}:iam::{}:root", place.partition, place.account),
        r => r.to_string(),
    };
    Finding {
        id: id.into(),
        check,
        partition: place.partition.into(),
        account: place.account.into(),
        region: region.into(),
        title: asff_string(&h.title, MAX_TITLE),
        description: asff_string(&h.description, MAX_DESCRIPTION),
        severity,
        compliance: Compliance::Failed,
        archived: false,
        created_at: created,
        updated_at: now,
        resource,
        details,
        runbook: crate::domain::alert::guidance::operate_section(
            place.runbook.trim(),
            check.anchor(),
        ),
    }
}
