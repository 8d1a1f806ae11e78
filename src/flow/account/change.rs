//! One rule for what is news, whatever the trigger (pure): a slot's
//! document compared with what the table last recorded there. Under the
//! same desired user and mode, a document that differs is someone's change
//! and is told once, by whichever run finds it (an edit event, a sweep, a
//! member-stack update, a baseline, a re-attempt). Where the document is as
//! recorded but the policy now wants another user or mode, the run's write
//! (or, in audit, its finding) is the policy's doing: summarised, never
//! blamed on anyone's forwarding. A document that moved is someone's edit
//! even when the policy changed too: a policy never edits a document.

use serde_json::Value;

use crate::domain::known::Known;
use crate::domain::outcome::{Action, Change, RegionOutcome};
use crate::domain::preferences::RunAs;
pub use crate::domain::records::Seen;

/// Statuses that record what the document said when it was looked at; any
/// other (`pending`, `failed`, `excluded`) observed nothing to compare with.
const OBSERVED: [&str; 4] = ["compliant", "remediated", "reverted", "noncompliant"];

/// What a run's finding in one slot is, against what the table last
/// recorded there (`None`: never recorded, or nothing comparable).
/// `user` is the slot's desired user now. Only a write or an audit finding
/// can be news: a document found right is never a change to tell.
pub fn judge(recorded: Option<&Known>, o: &RegionOutcome, user: &str) -> Option<Change> {
    let acted = o.action.wrote() || o.action == Action::WouldChange;
    // The check's association row has its own rule (its user's parameter).
    if !acted || o.nodes.is_some() {
        return None;
    }
    let k = recorded?;
    if k.out_of_governance() {
        return back_in_governance(o, user);
    }
    if !k.status.as_deref().is_some_and(|s| OBSERVED.contains(&s)) {
        return moved_past_a_failure(k, o, user);
    }
    // The document moved since it was recorded: someone edited it, whatever
    // the policy did meanwhile (a policy change never edits a document).
    let (seen_user, seen_enabled) = observed(o.before.as_ref());
    let moved = k.observed_user != seen_user || k.observed_enabled != seen_enabled;
    // Audit: the same value, recorded while it was the latest's alone, is
    // now the default: its window opened (sessions get it), news as the
    // drift mark says (`news`). Judged unmoved, no run told it: the sweep
    // counted it in its summary only (simulation seed 900032).
    let opened = o.action == Action::WouldChange
        && !o.pending
        && k.drift_seen.as_deref().is_some_and(latest_alone);
    let moved = moved || opened;
    // In enforce, only a RunAs put back is someone's change (an inheriting
    // document's other inputs brought in line are not).
    let wrong = o.action == Action::WouldChange || o.was_noncompliant(user);
    if moved && wrong {
        return Some(Change::Document);
    }
    let mode_now = o.mode.map(|m| m.as_str().to_string());
    let other_user = k.desired_user.as_deref().is_some_and(|u| u != user);
    let other_mode = matches!((&k.mode, &mode_now), (Some(a), Some(b)) if a != b);
    (other_user || other_mode).then(|| Change::Policy {
        from_user: k.desired_user.clone(),
        to_user: user.to_string(),
        from_mode: k.mode.clone().filter(|_| other_mode),
        to_mode: mode_now.filter(|_| other_mode),
    })
}

/// A slot recorded out of governance (its account left: an exempt OU, out
/// of scope, suspended) that a run now governs: its account came back,
/// and nothing found here was judged against a record. A document there
/// with Run As out of policy, put back (or found, in audit), is someone's
/// change, told as any (simulation seed 900144: the move back's event
/// lost, root set after it, and the sweep that put it back told it only
/// in its summary's count, its record saying the version judged). A
/// document created where there was none is a first look's, not a change.
fn back_in_governance(o: &RegionOutcome, user: &str) -> Option<Change> {
    let found = o.action.wrote() || o.action == Action::WouldChange;
    (found && o.before.is_some() && o.was_noncompliant(user)).then_some(Change::Document)
}

/// A record a failed run left observed nothing, but it kept the default
/// version judged before it (`domain::records::VersionRecord::Keep`): an
/// out-of-policy default other than that version, put back now, is
/// someone's change no run has told (an edit, or a switch back below the
/// record, whose event's runs all failed), told by the run that puts it
/// back, as a change from a right record is (since 0.7.4: until then only
/// the sweep's summary counted it; simulation seed 60). A record without
/// a version (a vend that failed) or at that very version says nothing.
/// In audit the same holds for a finding, and a failed record also keeps
/// the slot's drift mark (the last finding, [`seen`]): a finding other
/// than it is someone's change since (simulation seed 19: a document made
/// where there was none, its event lost, the sweep that found it failing;
/// the next sweep counted it only in its summary). Whether it is told is
/// the mark's claim's to say, as for any audit finding.
fn moved_past_a_failure(k: &Known, o: &RegionOutcome, user: &str) -> Option<Change> {
    if k.status.as_deref() != Some("failed") || !o.was_noncompliant(user) {
        return None;
    }
    let audit = o.action == Action::WouldChange;
    let mark = k.drift_seen.as_deref();
    if audit && mark.is_some() && news(mark, o.before.as_ref(), o.pending) {
        return Some(Change::Document);
    }
    let kept = k.default_version.as_deref()?;
    let found = o.versions_before.as_ref()?.default.as_str();
    (found != kept && (o.action.wrote() || audit)).then_some(Change::Document)
}

/// A slot found right whose mode the policy relaxed from `enforce` to
/// `audit` (unreleased): nothing is written and nothing found, yet the
/// guard stopped putting edits back there, which the platform team must
/// hear as surely as the reverse (whose writes [`judge`] counts). Told in
/// the sweep's `policy_applied`; the run records the new mode, so the next
/// run is quiet. A held `enforce-when-ready` slot (audit until its nodes
/// pass) is the held alert's, and a dry run (audit by definition) is no
/// change: the caller leaves both out.
pub fn relaxed(recorded: Option<&Known>, o: &RegionOutcome, user: &str) -> Option<Change> {
    use crate::domain::policy::Mode;
    if o.action != Action::None || o.nodes.is_some() || o.held.is_some() {
        return None;
    }
    let k = recorded.filter(|k| k.status.as_deref().is_some_and(|s| OBSERVED.contains(&s)))?;
    let was = k.mode.as_deref() == Some(Mode::Enforce.as_str());
    (was && o.mode == Some(Mode::Audit)).then(|| Change::Policy {
        from_user: k.desired_user.clone(),
        to_user: user.to_string(),
        from_mode: k.mode.clone(),
        to_mode: Some(Mode::Audit.as_str().to_string()),
    })
}

/// A document's Run As as the state item records it (`observed_user`,
/// `observed_run_as_enabled`): strings as they are, other JSON as text.
pub fn observed(run_as: Option<&RunAs>) -> (Option<String>, Option<String>) {
    let text = |v: &Option<Value>| {
        v.as_ref().map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    match run_as {
        Some(r) => (text(&r.user), text(&r.enabled)),
        None => (None, None),
    }
}

/// One observed Run As, as a drift mark remembers it: the same finding is
/// told once and a new one is news again. `pending`: the value is the
/// latest version's alone, the default still right ([`RegionOutcome::pending`]);
/// such a finding is marked apart, so that the same value becoming the
/// default (its window opening: sessions now get it) is news once more,
/// while a value already in effect stays one finding whatever versions
/// follow with it. A value in effect keeps the mark's first form
/// (`[enabled, user]`), so marks written before stay what they meant.
pub fn seen(run_as: Option<&RunAs>, pending: bool) -> Seen {
    let (user, enabled) = observed(run_as);
    let value = if pending {
        serde_json::json!([enabled, user, "latest"])
    } else {
        serde_json::json!([enabled, user])
    };
    Seen {
        value: value.to_string(),
        user,
        enabled,
    }
}

/// Whether a drift mark ([`seen`]) is of a latest version alone: a finding
/// that told no time as the default.
pub fn latest_alone(mark: &str) -> bool {
    serde_json::from_str::<Value>(mark).is_ok_and(|v| v.get(2).is_some_and(|t| t == "latest"))
}

/// Audit: whether a row is a finding at all: what it would change holds Run
/// As out of policy (or there is no document). A default that is not the
/// latest while both read right is what enforce promotes silently (LZA's
/// way of writing): no finding, nothing to tell.
pub fn is_finding(o: &RegionOutcome, user: &str) -> bool {
    o.action == Action::WouldChange && o.was_noncompliant(user)
}

/// Audit: whether a finding is news against the slot's drift mark
/// (`marked`, as [`seen`] wrote it). A new value is news; so is a value
/// that was only the latest version's becoming the default (its window
/// opens). The same value again is not, nor a value told while in effect
/// that is now the latest's alone (the default was put right: no session
/// gets it now, nothing new to tell).
pub fn news(marked: Option<&str>, run_as: Option<&RunAs>, pending: bool) -> bool {
    let Some(marked) = marked else {
        return true;
    };
    marked != seen(run_as, pending).value && !(pending && marked == seen(run_as, false).value)
}

/// Audit: whether this run (trigger `trigger_id`) tells a finding: news
/// against the mark ([`news`]), or the very finding the mark says this
/// trigger's own earlier attempt claimed (`marked_by`): that attempt may
/// have died between its claim and the keep of its alert, and no other run
/// tells it (the mark says it is not news). Its alert id is the trigger's,
/// so a retry after a kept alert publishes the same alert again, not a
/// second one (since 0.7.2).
pub fn tells(
    (marked, marked_by): (Option<&str>, Option<&str>),
    trigger_id: &str,
    run_as: Option<&RunAs>,
    pending: bool,
) -> bool {
    news(marked, run_as, pending)
        || (marked_by == Some(trigger_id) && marked == Some(seen(run_as, pending).value.as_str()))
}

#[cfg(test)]
#[path = "change_tests.rs"]
mod tests;
