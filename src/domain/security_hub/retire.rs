//! Findings whose subject left governance (an exempt OU or account, out of
//! scope, a region the policy dropped): each one still open (a `FAILED`
//! check, or the Run As check's `PASSED` coverage) is sent once more,
//! archived and `NOT_AVAILABLE`, saying why runas-guard no longer checks
//! it, so a security team's list keeps neither a problem nor a pass nobody
//! is watching, nor loses it without a word.

use super::{
    finding, fingerprint, placed, stamped, title, where_, Check, Compliance, Label, Marks, Place,
    Send, Sent,
};
use crate::domain::outcome::{Action, RegionOutcome};
use crate::domain::trigger::DOCUMENT_NAME;

/// Whether a row's marks hold a finding still open (sent, active, and in:
/// not one that waits where Security Hub CSPM was off).
pub fn open(marks: &Marks) -> bool {
    marks
        .iter()
        .any(|(check, s)| Check::marked(check).is_some_and(|c| is_open(c, s)))
}

fn is_open(check: Check, s: &Sent) -> bool {
    let active = match s.compliance {
        Compliance::Failed => true,
        // The Run As check's pass is coverage, active; readiness's is
        // archived already.
        Compliance::Passed => check == Check::RunAs,
        Compliance::NotAvailable => false,
    };
    active && !s.hub_off
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
        .filter_map(|(name, last)| Some((Check::marked(name)?, last)))
        .filter(|(check, last)| is_open(*check, last))
        .map(|(check, last)| {
            let title = title(check, Compliance::NotAvailable, &where_(place, &o));
            let was = match last.compliance {
                Compliance::Failed => "out of policy",
                _ => "in policy",
            };
            let description = format!(
                "runas-guard no longer governs this account-region: {why}. It was {was} when last checked; this finding is archived and no longer updated."
            );
            let details = [("no_longer_checked".to_string(), why.to_string())].into();
            let mut f = finding(place, &o, check, (title, description), details, now_ms);
            f.compliance = Compliance::NotAvailable;
            f.severity = Label::Informational;
            f.archived = true;
            // Under its successor where a forged `UpdatedAt` moved it.
            placed(&mut f, last);
            let key = fingerprint(&f);
            let sent = stamped(&mut f, Some(last), key, now_ms);
            Send {
                slot: slot.to_string(),
                finding: f,
                sent: Some(sent),
            }
        })
        .collect()
}
