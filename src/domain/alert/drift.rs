//! The drift alert: someone changed a governed document and runas-guard put
//! it back (or, in audit mode, saw it); repeated within an hour, tampering.

use serde_json::{json, Value};

use super::identity::{drift_id, drift_version, findings_id};
use super::message::{base, short_actor, subject_value};
use super::{Alert, DriftFacts, Kind, Severity, TAMPER_THRESHOLD};
use crate::domain::outcome::RegionOutcome;
use crate::domain::trigger::{Trigger, TriggerKind};

/// What a drift alert found without an edit event says to check.
pub const NO_EVENT_NOTE: &str = "no edit event had brought this change when runas-guard found it: when the edit's event arrives, a follow-up (follow_up_of) names its editor; if none has within 15 minutes of the change, check that account-region's forwarding (doctor --account, the forwarding canary)";

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
    let (kind, severity, subject) = drift_headline(account, user, outcome, trigger, facts);
    let DriftFacts {
        expected_editor,
        reverts_last_hour,
        ..
    } = facts;
    let region = &outcome.region;
    let mut m = base(kind, severity, account, trigger, at);
    let (version, created) = drift_version(outcome);
    let editor = trigger.actor.as_ref().map(|a| a.arn.as_str());
    let id = drift_id(kind, account, outcome, (&version, created), editor);
    m.insert("alert_id".into(), json!(id));
    m.insert("region".into(), json!(region));
    m.insert("document".into(), json!(outcome.document_name()));
    if outcome.followed {
        m.insert("followed".into(), json!(true));
    }
    m.insert("before".into(), json!(outcome.before));
    m.insert("after".into(), json!(outcome.after));
    m.insert("desired_user".into(), json!(user));
    m.insert("action".into(), json!(outcome.action));
    m.insert("mode".into(), json!(outcome.mode));
    if let Some(held) = &outcome.held {
        m.insert("held".into(), json!(held));
    }
    // The check's association made anew rather than updated, and why.
    if let Some(replaced) = &outcome.replaced {
        m.insert("replaced".into(), json!(replaced));
    }
    event_fields(&mut m, trigger, outcome);
    m.insert("versions_before".into(), json!(outcome.versions_before));
    latest_only(&mut m, outcome);
    m.insert("version_after".into(), json!(outcome.version_after));
    m.insert("expected_editor".into(), json!(expected_editor));
    m.insert("reverts_last_hour".into(), json!(reverts_last_hour));
    // How it was found: an edit event of this document, or a run that
    // looked for another reason and found it (and so no event brought it).
    m.insert("found_by".into(), json!(trigger.kind.as_str()));
    let changed = outcome.change == Some(crate::domain::outcome::Change::Document);
    // Our own write's event: whatever it put back is an editor's whose
    // event is still to come.
    if (changed || trigger.context.own_write) && !trigger.names_editor() {
        m.insert("note".into(), json!(NO_EVENT_NOTE));
    }
    if trigger.context.own_write {
        m.insert("own_write".into(), json!(true));
    }
    Alert::new(kind, severity, account, &subject, Value::Object(m))
}

/// Where the edit's event came from and what it was about: the version it
/// made or made the default (`event_version`), which the window's sessions
/// start at only where it is the version found (`sessions::event_made`).
fn event_fields(m: &mut serde_json::Map<String, Value>, trigger: &Trigger, o: &RegionOutcome) {
    m.insert("source_ip".into(), json!(trigger.context.source_ip));
    m.insert("user_agent".into(), json!(trigger.context.user_agent));
    m.insert("event_time".into(), json!(trigger.context.event_time));
    m.insert("event_name".into(), json!(trigger.event_name));
    let made = crate::domain::version_gap::event_version(trigger, &o.region, o.document_name());
    if let Some(v) = made {
        m.insert("event_version".into(), json!(v));
    }
}

/// The default held the desired Run As when the run read it: the edit
/// reached only the latest version (`latest_only`). Without it the
/// default's number read as the version that held the wrong Run As, and
/// the sessions listed as having kept it.
fn latest_only(m: &mut serde_json::Map<String, Value>, outcome: &RegionOutcome) {
    if outcome.pending {
        m.insert("latest_only".into(), json!(true));
    }
}

/// Audit findings of one account's run that is about the account (a vend,
/// a move, a member-stack update, a baseline: not one region's edit event):
/// one `drift_detected` listing each finding (region, document, before,
/// want), as a sweep counts them in one summary, never one alert per
/// region. One finding alone is told as [`drift`] tells it. `rows` are the
/// account's rows told as audit findings; `user` the account's user.
pub fn audit_findings(
    account: &str,
    user: &str,
    rows: &[&RegionOutcome],
    trigger: &Trigger,
    at: &str,
) -> Option<Alert> {
    let facts = DriftFacts {
        audit: true,
        ..DriftFacts::default()
    };
    match rows {
        [] => return None,
        [only] => return Some(drift(account, only.user(user), only, trigger, at, facts)),
        _ => {}
    }
    let (kind, severity) = (Kind::DriftDetected, Severity::Warning);
    let mut m = base(kind, severity, account, trigger, at);
    m.insert("alert_id".into(), json!(findings_id(kind, account, rows)));
    let regions: std::collections::BTreeSet<&str> =
        rows.iter().map(|o| o.region.as_str()).collect();
    if let [only] = regions.iter().collect::<Vec<_>>().as_slice() {
        m.insert("region".into(), json!(only));
    }
    m.insert("desired_user".into(), json!(user));
    m.insert("findings".into(), json!(rows.len()));
    m.insert(
        "regions".into(),
        rows.iter().map(|o| finding(o, user)).collect(),
    );
    m.insert("found_by".into(), json!(trigger.kind.as_str()));
    m.insert("event_name".into(), json!(trigger.event_name));
    m.insert("event_time".into(), json!(trigger.context.event_time));
    let changed = rows
        .iter()
        .any(|o| o.change == Some(crate::domain::outcome::Change::Document));
    if changed && !trigger.names_editor() {
        m.insert("note".into(), json!(NO_EVENT_NOTE));
    }
    let place = match regions.len() {
        1 => format!("{} ({} documents)", rows[0].region, rows.len()),
        n => format!("{n} regions"),
    };
    let found = found_by_words(trigger).unwrap_or("an edit event");
    let subject = format!(
        "runas-guard audit: {found} found RunAs wrong in {account} in {place} (want {})",
        subject_value(user)
    );
    Some(Alert::new(
        kind,
        severity,
        account,
        &subject,
        Value::Object(m),
    ))
}

/// One finding of [`audit_findings`]: where, what was there, what is wanted.
fn finding(o: &RegionOutcome, account_user: &str) -> Value {
    let mut e = json!({
        "region": o.region, "document": o.document_name(), "before": o.before,
        "desired_user": o.user(account_user), "action": o.action, "mode": o.mode,
        "versions_before": o.versions_before, "version_after": o.version_after,
    });
    if let Some(held) = &o.held {
        e["held"] = json!(held);
    }
    e
}

/// Kind, severity and subject of a drift alert. A sweep has nobody to blame,
/// and an expected editor is never counted as tampering.
fn drift_headline(
    account: &str,
    user: &str,
    outcome: &RegionOutcome,
    trigger: &Trigger,
    facts: DriftFacts,
) -> (Kind, Severity, String) {
    let DriftFacts {
        expected_editor,
        audit,
        reverts_last_hour,
    } = facts;
    let (by, before, what) = drift_words(user, outcome, trigger);
    let region = outcome.place();
    let found = found_by_words(trigger);
    if let (true, Some(found)) = (audit, &found) {
        (Kind::DriftDetected, Severity::Warning, format!("runas-guard audit: {found} found {what} wrong in {account} {region} ({before}, want {user})"))
    } else if let Some(found) = found {
        (
            Kind::DriftReverted,
            Severity::Warning,
            format!(
                "runas-guard: {found} fixed {what} in {account} {region} (was {before}, now {user})"
            ),
        )
    } else if audit {
        (Kind::DriftDetected, Severity::Warning, format!("runas-guard audit: {what} wrong in {account} {region} ({before}, want {user}), by {by}"))
    } else if expected_editor {
        (
            Kind::DriftReverted,
            Severity::Info,
            format!(
                "runas-guard: {what} restored in {account} {region} after expected editor {by}"
            ),
        )
    } else if reverts_last_hour >= TAMPER_THRESHOLD {
        (Kind::TamperRepeated, Severity::Critical, format!("runas-guard CRITICAL: {what} changed {reverts_last_hour}x in 1h in {account} {region}, last by {by}"))
    } else {
        (
            Kind::DriftReverted,
            Severity::Warning,
            format!(
                "runas-guard: {what} reverted in {account} {region}, changed by {by} ({before})"
            ),
        )
    }
}

/// Who found a change no edit event brought, for a subject: `None` for the
/// edit event itself (it names the editor instead).
fn found_by_words(trigger: &Trigger) -> Option<&'static str> {
    Some(match trigger.kind {
        // Our own write's event found an edit made after our write: its
        // actor is us, so it names nobody.
        TriggerKind::DocumentChanged if trigger.context.own_write => {
            "the event of runas-guard's own write"
        }
        TriggerKind::DocumentChanged => return None,
        TriggerKind::Sweep => "sweep",
        TriggerKind::MemberStackLanded => "member-stack update",
        TriggerKind::BaselineApplied => "Control Tower baseline",
        TriggerKind::AccountMoved => "account move",
        _ if trigger.event_name.as_deref() == Some("Reattempt") => "re-attempt",
        _ => "account event",
    })
}

/// Who to name, what was there, and whether RunAs or an inherited setting
/// moved: the words of a drift subject, bounded for it.
fn drift_words(
    user: &str,
    outcome: &RegionOutcome,
    trigger: &Trigger,
) -> (String, String, &'static str) {
    let by = trigger
        .actor
        .as_ref()
        .map(|a| subject_value(&short_actor(&a.arn)))
        .unwrap_or_else(|| "an unknown principal".into());
    let before = outcome
        .before
        .as_ref()
        .map(|b| subject_value(&b.short()))
        .unwrap_or_else(|| "no document".into());
    // An inheriting document whose RunAs was right: its other inputs moved.
    let run_as_right = outcome
        .before
        .as_ref()
        .is_some_and(|b| b.is_compliant(user));
    let what = if outcome.followed && run_as_right {
        "inherited settings"
    } else {
        "RunAs"
    };
    (by, before, what)
}
