//! Findings whose subject left governance (an exempt OU or account, out of
//! scope, a region the policy dropped): each one still open (`FAILED`) is
//! sent once more, archived and `NOT_AVAILABLE`, saying why runas-guard no
//! longer checks it, so a security team's list does not keep a problem
//! nobody is watching, nor loses it without a word.

use super::{
    finding, fingerprint, title, where_, Check, Compliance, Label, Marks, Place, Send, Sent,
};
use crate::domain::clock;
use crate::domain::outcome::{Action, RegionOutcome};
use crate::domain::trigger::DOCUMENT_NAME;

/// Whether a row's marks hold a finding still open (sent `FAILED` and in:
/// not one that waits where Security Hub CSPM was off).
pub fn open(marks: &Marks) -> bool {
    marks
        .iter()
        .any(|(check, s)| Check::marked(check).is_some() && is_open(s))
}

fn is_open(s: &Sent) -> bool {
    s.compliance == Compliance::Failed && !s.hub_off
}

/// The slot's open findings, archived with `why` (one sentence: "exempt by
/// policy", "the region is no longer governed"), at `now_ms`.
pub fn retire(place: Place<'_>, slot: &str, marks: &Marks, why: &str, now_ms: i64) -> Vec<Send> {
    let (region, document) = match slot.split_once("#DOCUMENT#") {
        Some((r, d)) => (r, Some(d.to_string())),
        None => (slot, None),
    };
    // Where the finding was about, as its first send named it.
    let o = RegionOutcome {
        document: document.filter(|d| d != DOCUMENT_NAME),
        ..RegionOutcome::skipped(region, Action::Excluded, None)
    };
    marks
        .iter()
        .filter(|(_, s)| is_open(s))
        .filter_map(|(name, last)| Some((Check::marked(name)?, last)))
        .map(|(check, last)| {
            let title = title(check, Compliance::NotAvailable, &where_(place, &o));
            let description = format!(
                "runas-guard no longer governs this account-region: {why}. It was out of policy when last checked; this finding is archived and no longer updated."
            );
            let details = [("no_longer_checked".to_string(), why.to_string())].into();
            let mut f = finding(place, &o, check, (title, description), details, now_ms);
            f.compliance = Compliance::NotAvailable;
            f.severity = Label::Informational;
            f.archived = true;
            // `UpdatedAt` only grows: Security Hub keeps the later one.
            let updated = now_ms.max(last.updated_ms + 1);
            f.created_at = clock::iso(clock::from_millis(last.created_ms));
            f.updated_at = clock::iso(clock::from_millis(updated));
            let sent = Sent {
                compliance: Compliance::NotAvailable,
                key: fingerprint(&f),
                created_ms: last.created_ms,
                updated_ms: updated,
                hub_off: false,
            };
            Send {
                slot: slot.to_string(),
                finding: f,
                sent: Some(sent),
            }
        })
        .collect()
}
