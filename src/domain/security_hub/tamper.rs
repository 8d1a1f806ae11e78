//! Tamper detection: a sweep reads back the guard's own findings where it
//! sends them and compares each with the mark of what it last sent
//! ([`Sent`]). Security Hub CSPM lets anyone in the member account allowed
//! `BatchImportFindings` overwrite a finding of the account's default
//! product, so a changed `Compliance.Status`, severity, `RecordState`,
//! `Types` or content is someone else's: it is told and sent again as the
//! guard last sent it. The security team's own fields (`Workflow`, `Note`,
//! `UserDefinedFields`, and the top-level `Severity`/`Types` a
//! `BatchUpdateFindings` sets) are theirs and never compared: the provider's
//! values are read from `FindingProviderFields`, which only an import sets.
//!
//! A finding forged with an `UpdatedAt` past the guard's clock cannot be
//! put back in place ([`super::forged`]): it is told once, and the slot's
//! mark moves to the successor `Id` ([`Sent::moved`]), under which the
//! guard's finding is sent, refreshed, updated when its verdict changes and
//! read back from then on. The forged one is left as the forger left it.

use std::collections::BTreeMap;

use super::asff::{digest, Seen};
use super::forged::{forged_line, not_in_place, successor};
use super::{Check, Compliance, Marks, Sent, Tampered};
use crate::domain::clock;

/// One of the guard's findings as Security Hub CSPM holds it now
/// (`GetFindings`), the provider's values first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Held {
    pub id: String,
    pub compliance: Option<String>,
    /// `FindingProviderFields.Severity.Label` (else the top-level one).
    pub severity: Option<String>,
    pub record_state: Option<String>,
    pub title: String,
    pub description: String,
    /// `FindingProviderFields.Types` (else the top-level ones).
    pub types: Vec<String>,
    /// `Resources[0].Details.Other`.
    pub details: BTreeMap<String, String>,
    pub updated_at: String,
    /// `CreatedAt`, `GeneratorId` and `Resources[0].Id`: what an event
    /// finding is put back with (see `event_tamper`).
    pub created_at: String,
    pub generator_id: String,
    pub resource_id: String,
}

/// A finding the guard expects Security Hub to hold for a slot: its `Id`,
/// its check and the mark of what was sent last.
#[derive(Debug, Clone)]
pub struct Expected {
    pub slot: String,
    pub region: String,
    pub id: String,
    pub check: Check,
    pub sent: Sent,
}

/// What the read-back of one expected finding says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// As sent: nothing to do.
    Kept,
    /// Not there (the hub was disabled and enabled again, which deletes
    /// findings): sent again, nothing to tell.
    Missing,
    /// Forged beyond restoring in place, and its successor already held
    /// (told when found; the mark of that send was lost): the mark moves to
    /// the successor, which is sent again, untold.
    Superseded,
    /// Changed by someone else: told and sent again (in place, or under
    /// its successor where the `UpdatedAt` was forged; nowhere where no
    /// successor `Id` fits ASFF's limit).
    Tampered(Tampered),
}

/// The slot's findings the guard expects Security Hub to hold: every
/// marked check that was taken (not one waiting where the hub was off).
pub fn expected(account: &str, slot: &str, document: &str, marks: &Marks) -> Vec<Expected> {
    let region = slot.split('#').next().unwrap_or(slot);
    marks
        .iter()
        .filter(|(_, s)| !s.hub_off)
        .filter_map(|(name, sent)| {
            let check = Check::marked(name)?;
            Some(Expected {
                slot: slot.to_string(),
                region: region.to_string(),
                id: sent.id(&super::finding_id(account, region, document, check)),
                check,
                sent: sent.clone(),
            })
        })
        .collect()
}

/// Whether the finding sent as `e` was archived (resolved): a passed
/// readiness check and anything no longer checked.
fn archived(e: &Expected) -> bool {
    match e.sent.compliance {
        Compliance::NotAvailable => true,
        Compliance::Passed => e.check != Check::RunAs,
        Compliance::Failed => false,
    }
}

/// The read-back of `e`, among all of the region's `held` findings,
/// judged against its mark at `now_ms`.
pub fn judge(e: &Expected, held: &[Held], now_ms: i64) -> Verdict {
    let Some(h) = held.iter().find(|h| h.id == e.id) else {
        return Verdict::Missing;
    };
    let why = not_in_place(&h.updated_at, now_ms);
    let successor = successor(&e.id).filter(|_| why.is_some());
    if successor
        .as_deref()
        .is_some_and(|s| held.iter().any(|h| h.id == s))
    {
        return Verdict::Superseded;
    }
    let mut changed = changed(e, h);
    if why.is_some() {
        changed.push(forged_line(&h.updated_at));
    }
    if changed.is_empty() {
        return Verdict::Kept;
    }
    Verdict::Tampered(Tampered {
        region: e.region.clone(),
        id: e.id.clone(),
        check: e.check.as_str().into(),
        changed,
        updated_at: h.updated_at.clone(),
        put_back: false,
        not_in_place: why,
        successor,
    })
}

/// What differs from what was sent as `e`, one line each.
fn changed(e: &Expected, h: &Held) -> Vec<String> {
    let mut changed = vec![];
    let sent = e.sent.compliance.as_str();
    let found = h.compliance.as_deref().unwrap_or("(none)");
    if found != sent {
        changed.push(format!("Compliance.Status {sent} -> {found}"));
    }
    let record = if archived(e) { "ARCHIVED" } else { "ACTIVE" };
    let found_record = h.record_state.as_deref().unwrap_or("ACTIVE");
    if found_record != record {
        changed.push(format!("RecordState {record} -> {found_record}"));
    }
    if h.types
        .iter()
        .map(String::as_str)
        .ne(e.check.types().iter().copied())
    {
        changed.push("Types".into());
    }
    // The rest of what was sent (title, description, severity, resource
    // details), with the verdict and record state as sent: a difference is
    // in the content itself.
    let seen = Seen {
        id: &h.id,
        compliance: sent,
        title: &h.title,
        description: &h.description,
        severity: h.severity.as_deref().unwrap_or("(none)"),
        archived: archived(e),
    };
    if digest(&seen, &h.details) != e.sent.key {
        changed.push("Title, Description, Severity or resource details".into());
    }
    changed
}

/// The mark `e` leaves for the run's decision after `verdict` at `now_ms`,
/// so that its finding is sent again as the guard would send it now: due
/// at once (as one that waited where the hub was off: the hub holds
/// nothing of ours for it). In place, with an `UpdatedAt` later than the
/// one found (Security Hub keeps the later); past a forged one, under the
/// successor `Id`, which nothing of the guard's precedes (its `UpdatedAt`
/// from the guard's clock, never from the forger's).
pub fn resend(marks: &mut Marks, e: &Expected, verdict: &Verdict, now_ms: i64) {
    let Some(m) = marks.get_mut(e.check.as_str()) else {
        return;
    };
    match verdict {
        Verdict::Kept => return,
        Verdict::Missing => {}
        Verdict::Tampered(t) if t.not_in_place.is_none() => {
            let found = clock::parse_iso(&t.updated_at).unwrap_or(0);
            m.updated_ms = m.updated_ms.max(found);
        }
        // No successor fits: told, with nowhere to send it.
        Verdict::Tampered(t) if t.successor.is_none() => return,
        Verdict::Tampered(_) | Verdict::Superseded => {
            m.moved = m.moved.saturating_add(1);
            m.updated_ms = m.updated_ms.min(now_ms);
            m.created_ms = m.created_ms.min(now_ms);
        }
    }
    m.hub_off = true;
}
