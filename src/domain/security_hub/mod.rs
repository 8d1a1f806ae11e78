//! Security Hub findings (`[security_hub] findings = true`): what each
//! governed account-region's checks say as ASFF findings, and whether that
//! is news worth an import. Pure: the flow imports what this decides, from
//! the member account and region each finding is about (Security Hub takes
//! a custom finding only from that account, with its default product ARN).
//!
//! One finding per check, with a stable `Id` updated in place: the Session
//! document's Run As (`run-as`), the nodes that would refuse its sessions
//! (`readiness`), and each reverted edit (`edit`, its own finding).
//!
//! The Run As check is coverage: every governed account-region a run
//! verified has one, `PASSED` or `FAILED`, `ACTIVE`, refreshed inside
//! Security Hub CSPM's retention, and archived `NOT_AVAILABLE` when it
//! leaves governance ([`retire`]). The readiness check says nothing until
//! it fails, and is `PASSED`/`ARCHIVED` once resolved. The row keeps what
//! was sent last ([`Sent`]): an unchanged finding is not sent again before
//! its refresh, so a steady sweep imports next to nothing.

use std::collections::BTreeMap;

use crate::domain::clock;
use crate::domain::outcome::{Change, RegionOutcome, Status};

mod alerted;
mod asff;
mod event_tamper;
mod events;
mod forged;
mod marks;
mod put_back;
mod retire;
mod seen;
pub mod sessions;
mod tamper;
pub mod told;

pub use alerted::alerted;
use events::edit;
pub use put_back::put_back;
pub use retire::{open, retire};
use seen::{observed, read, right, run_as_details, wrong};

pub use asff::{asff_string, bounded, fingerprint, Check, Compliance, Finding, Label};
pub use asff::{
    ACCOUNT_MANAGEMENT, BLANK, EMPTY, FIELD_FACT, FIELD_VERSION, LEAST_PRIVILEGE, MAX_DESCRIPTION,
    MAX_DETAIL, MAX_PER_CALL, MAX_TITLE, SCHEMA_VERSION, VERIFIED_AT,
};
pub use event_tamper::{deserved, event_kind, judge_event, EventVerdict};
pub use forged::{SKEW_MS, SUCCESSOR};
pub use marks::{hub_off, marks_from_json, marks_to_json, Marks, Sent, REFRESH_MS};
pub use tamper::{expected, judge, resend, Expected, Held, Verdict};
pub use told::{Failure, Imports, Tampered};

/// A finding to import and what the row keeps once it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Send {
    pub slot: String,
    pub finding: Finding,
    /// What the slot's row keeps once it is in; `None` for a finding told
    /// once (a reverted edit).
    pub sent: Option<Sent>,
}

/// Who and where, shared by one account's findings. Not the account's
/// name: an event's run does not know it and a sweep does, and a finding
/// must read the same whichever found it (Security Hub CSPM shows the
/// account's name itself, `AwsAccountName`).
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub partition: &'a str,
    pub account: &'a str,
    pub ou_path: Option<&'a str>,
    /// The runbook's base (`RUNAS_GUARD_RUNBOOK_URL`; `README.md` when
    /// unset): each finding's remediation links its check's section.
    pub runbook: &'a str,
}

/// One slot as a run left it, with what its row recorded as sent.
pub struct Slot<'a> {
    pub outcome: &'a RegionOutcome,
    pub status: Status,
    /// The account's (or the `[[document]]`'s) Run As user.
    pub user: &'a str,
    pub marks: &'a Marks,
    /// The editor a document event names, for a reverted edit.
    pub editor: Option<&'a str>,
}

/// Every finding of one slot that is news at `now_ms`.
pub fn decide(place: Place<'_>, slot: &Slot<'_>, now_ms: i64) -> Vec<Send> {
    let o = slot.outcome;
    let mut out = Vec::new();
    if let Some(readiness) = &o.nodes {
        return readiness_news(place, slot, readiness, now_ms)
            .into_iter()
            .collect();
    }
    if let Some(verdict) = run_as_verdict(o, slot.status, slot.user) {
        // Failed: what the run read; passed: what made it right.
        let details = match verdict.0 {
            Compliance::Failed => run_as_details(o, read(o), slot.user),
            Compliance::Passed | Compliance::NotAvailable => run_as_details(o, right(o), slot.user),
        };
        out.extend(news(
            place,
            o,
            Check::RunAs,
            slot.marks,
            verdict,
            details,
            now_ms,
        ));
    }
    // The edit's own finding: what the editor left, as the run read it.
    let mut details = run_as_details(o, read(o), slot.user);
    // A put-back of what the table last recorded right is an edit undone,
    // whoever found it: the edit's event (its editor named), or a run with
    // no event of its own (a sweep: the editor not known here).
    let found =
        o.change == Some(Change::Document) && o.action.wrote() && o.was_noncompliant(slot.user);
    if slot.status == Status::Reverted || found {
        let editor = slot
            .editor
            .filter(|e| !e.trim().is_empty())
            .unwrap_or("an editor not yet named");
        details.insert("editor".into(), editor.into());
        if let Some(v) = &o.version_after {
            details.insert("put_back_version".into(), v.clone());
        }
        out.push(edit(place, o, editor, details, now_ms));
    }
    out.extend(events::window(place, o, slot.editor, now_ms));
    out
}

/// The run-as user check's row: nodes that would refuse sessions.
fn readiness_news(
    place: Place<'_>,
    slot: &Slot<'_>,
    readiness: &crate::domain::nodes::Readiness,
    now_ms: i64,
) -> Option<Send> {
    let verdict = match readiness.missing {
        0 => (
            Compliance::Passed,
            Label::Informational,
            "every node that ran the check has the Run As user".to_string(),
        ),
        _ => (
            Compliance::Failed,
            Label::Low,
            format!("sessions would be refused: {}", readiness.summary()),
        ),
    };
    let mut details = BTreeMap::new();
    details.insert("run_as_user".into(), readiness.user.clone());
    details.insert("nodes_checked".into(), readiness.checked.to_string());
    details.insert("nodes_missing_user".into(), readiness.missing.to_string());
    if !readiness.missing_nodes.is_empty() {
        details.insert("missing_nodes".into(), readiness.missing_nodes.join(","));
    }
    let o = slot.outcome;
    news(
        place,
        o,
        Check::Readiness,
        slot.marks,
        verdict,
        details,
        now_ms,
    )
}

/// The Run As check's verdict: out of policy while audit leaves it so, a
/// hold keeps it so or runas-guard failed to put it right; in policy once
/// it is right; nothing to say where nothing was judged (excluded, pending).
fn run_as_verdict(
    o: &RegionOutcome,
    status: Status,
    user: &str,
) -> Option<(Compliance, Label, String)> {
    let observed = observed(read(o));
    if let Some(why) = &o.held {
        return Some((
            Compliance::Failed,
            Label::Low,
            format!("Run As is {observed}, the policy wants on/{user}; enforcement is held: {why}"),
        ));
    }
    match status {
        Status::Noncompliant => Some((Compliance::Failed, Label::Medium, format!("Run As is {observed}, the policy wants on/{user} (audit mode: runas-guard reports and does not write)"))),
        Status::Failed if wrong(read(o), user) => Some((Compliance::Failed, Label::High, format!(
            "Run As is {observed}, the policy wants on/{user}, and runas-guard could not put it right: {}",
            o.error_code.as_deref().unwrap_or("an error")
        ))),
        Status::Compliant | Status::Remediated | Status::Reverted => Some((Compliance::Passed, Label::Informational, format!("Run As is on/{user}, as the policy wants"))),
        Status::Failed | Status::Excluded | Status::Pending => None,
    }
}

/// A check's finding when it differs from what was sent last. The Run As
/// check is coverage: its first verdict is sent whatever it is (a PASSED
/// baseline included), and kept alive while the account-region is
/// governed. The readiness check says nothing until it fails.
fn news(
    place: Place<'_>,
    o: &RegionOutcome,
    check: Check,
    marks: &Marks,
    (compliance, severity, description): (Compliance, Label, String),
    mut details: BTreeMap<String, String>,
    now_ms: i64,
) -> Option<Send> {
    let last = marks.get(check.as_str());
    let coverage = check == Check::RunAs;
    if compliance == Compliance::Passed
        && !coverage
        && last.is_none_or(|l| l.compliance != Compliance::Failed && !l.hub_off)
    {
        return None;
    }
    // When this verdict was reached; not part of the fingerprint, so an
    // unchanged verdict is not sent again for it.
    details.insert(VERIFIED_AT.into(), clock::iso(clock::from_millis(now_ms)));
    let title = title(check, compliance, &where_(place, o));
    let mut finding = finding(place, o, check, (title, description), details, now_ms);
    finding.compliance = compliance;
    finding.severity = severity;
    // A passed Run As check stays active: it is the evidence of coverage
    // (as Security Hub CSPM's own controls keep theirs); a passed readiness
    // check is resolved.
    finding.archived = compliance == Compliance::Passed && !coverage;
    if let Some(l) = last {
        placed(&mut finding, l);
    }
    let key = fingerprint(&finding);
    // Where the hub was off, the next run tries again (it may have been
    // enabled since): one call, and what waited goes out as soon as it can.
    // Security Hub CSPM deletes an active finding not updated for 90 days:
    // an unchanged active one is sent again, a new `UpdatedAt`, every
    // [`REFRESH_MS`] (one import per period).
    let due = |l: &Sent| l.hub_off || (!finding.archived && now_ms - l.updated_ms >= REFRESH_MS);
    if last.is_some_and(|l| l.key == key && !due(l)) {
        return None;
    }
    let sent = stamped(&mut finding, last, key, now_ms);
    Some(Send {
        slot: o.slot(),
        finding,
        sent: Some(sent),
    })
}

/// A check's finding `f` under the `Id` its mark `last` says: past a
/// forged `UpdatedAt`, its successor's, saying what it replaces.
pub(crate) fn placed(f: &mut Finding, last: &Sent) {
    if let Some(before) = last.moved.checked_sub(1) {
        let replaced = forged::moved(&f.id, before);
        forged::replacing(&mut f.details, &replaced, None);
        f.id = last.id(&f.id);
    }
}

/// The mark of a check's finding `f` (fingerprint `key`) sent after
/// `last`: its `CreatedAt` kept, its `UpdatedAt` later than the last
/// (Security Hub keeps the later one), its successor count carried.
pub(crate) fn stamped(f: &mut Finding, last: Option<&Sent>, key: String, now_ms: i64) -> Sent {
    let (created_ms, updated_ms, moved) = match last {
        Some(l) => (l.created_ms, now_ms.max(l.updated_ms + 1), l.moved),
        None => (now_ms, now_ms, 0),
    };
    f.created_at = clock::iso(clock::from_millis(created_ms));
    f.updated_at = clock::iso(clock::from_millis(updated_ms));
    Sent {
        compliance: f.compliance,
        key,
        created_ms,
        updated_ms,
        hub_off: false,
        moved,
    }
}

/// What a check's finding is called, as a security team's list shows it.
pub(crate) fn title(check: Check, compliance: Compliance, place: &str) -> String {
    let what = match (check, compliance) {
        (Check::Readiness, Compliance::Failed) => {
            "Session Manager would refuse sessions on nodes without Run As user"
        }
        (Check::Readiness, Compliance::Passed) => "Session Manager Run As user present on nodes",
        (_, Compliance::Failed) => "Session Manager Run As out of policy",
        (_, Compliance::Passed) => "Session Manager Run As back in policy",
        (Check::Readiness, Compliance::NotAvailable) => {
            "Session Manager Run As user on nodes no longer checked by runas-guard"
        }
        (_, Compliance::NotAvailable) => "Session Manager Run As no longer checked by runas-guard",
    };
    format!("{what} in {place}")
}

pub(crate) fn where_(place: Place<'_>, o: &RegionOutcome) -> String {
    format!("account {} {}", place.account, o.place())
}

pub(crate) fn finding(
    place: Place<'_>,
    o: &RegionOutcome,
    check: Check,
    (title, description): (String, String),
    mut details: BTreeMap<String, String>,
    now_ms: i64,
) -> Finding {
    if let Some(path) = place.ou_path.filter(|p| !p.trim().is_empty()) {
        details.insert("ou_path".into(), path.into());
    }
    let now = clock::iso(clock::from_millis(now_ms));
    Finding {
        id: finding_id(place.account, &o.region, o.document_name(), check),
        check,
        partition: place.partition.into(),
        account: place.account.into(),
        region: o.region.clone(),
        // Every string a finding carries passes here: within ASFF's limits
        // and never blank (`NonEmptyString`), or Security Hub refuses it.
        title: asff_string(&title, MAX_TITLE),
        description: asff_string(&description, MAX_DESCRIPTION),
        severity: Label::Informational,
        compliance: Compliance::Passed,
        archived: false,
        created_at: now.clone(),
        updated_at: now,
        resource: format!(
            "arn:{}:ssm:{}:{}:document/{}",
            place.partition,
            o.region,
            place.account,
            o.document_name()
        ),
        details: details
            .into_iter()
            .map(|(k, v)| (k, asff_string(&v, MAX_DETAIL)))
            .collect(),
        runbook: runbook(place.runbook, check),
    }
}

/// A check's finding `Id` in one account-region's document: stable, so
/// the finding is updated in place (and read back by it).
pub fn finding_id(account: &str, region: &str, document: &str, check: Check) -> String {
    format!(
        "runas-guard/{account}/{region}/{document}/{}",
        check.as_str()
    )
}

/// The check's section of docs/operate.md, beside the README at `base`
/// (the relative `docs/operate.md#…` when unset), as alerts link their cards.
fn runbook(base: &str, check: Check) -> String {
    crate::domain::alert::guidance::operate_section(base.trim(), check.anchor())
}

#[cfg(test)]
mod alerted_tests;
#[cfg(test)]
mod event_tamper_tests;
#[cfg(test)]
mod put_back_tests;
#[cfg(test)]
mod sessions_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_events;
#[cfg(test)]
mod tests_forged;
#[cfg(test)]
mod tests_life;
#[cfg(test)]
mod tests_tamper;
