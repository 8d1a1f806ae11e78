//! A sweep summary's subject: what happened, in order of interest, and an
//! unknown organization policy type when the summary tells one.

use super::Tally;
use crate::domain::alert::Severity;
use crate::domain::outcome::Action;

/// What the subject says happened, in order of interest.
fn headline(tally: &Tally, failed: usize, repeat: bool) -> Vec<String> {
    let mut parts = Vec::new();
    if tally.fixed() > 0 {
        parts.push(format!("{} fixed", tally.fixed()));
    }
    match (failed > 0, repeat) {
        (true, false) => parts.push(format!("{failed} FAILED")),
        (true, true) => parts.push(format!("{failed} still failing (as the last sweep)")),
        (false, _) => {}
    }
    if tally.newly_noncompliant > 0 {
        parts.push(format!("{} newly noncompliant", tally.newly_noncompliant));
    }
    let waiting = tally.count(Action::Pending);
    if waiting > 0 {
        parts.push(format!("{waiting} awaiting their member stack"));
    }
    let checks: usize = ["check-created", "check-updated"]
        .iter()
        .map(|k| tally.counts.get(*k).copied().unwrap_or(0))
        .sum();
    if checks > 0 {
        parts.push(format!("{checks} run-as user check associations kept"));
    }
    let hub = &tally.security_hub;
    if hub.failed > 0 {
        parts.push(format!(
            "{} Security Hub CSPM findings not imported",
            hub.failed
        ));
    }
    if hub.hub_off > 0 {
        parts.push(format!(
            "Security Hub CSPM not enabled in {}",
            crate::domain::words::count(hub.hub_off, "account-region")
        ));
    }
    if tally.newly_user_missing > 0 {
        parts.push(format!(
            "{} newly missing the Run As user",
            tally.newly_user_missing
        ));
    }
    parts
}

/// The headline, then an unknown policy type when the summary tells one.
pub(super) fn subject(tally: &Tally, failed: usize, native: bool, repeat: bool) -> String {
    let parts = headline(tally, failed, repeat);
    let mut subject = match parts.is_empty() {
        true => "runas-guard sweep".to_string(),
        // The parts count rows: said against the rows when a
        // `[[document]]`'s or the check's rows make more than one per
        // account-region.
        false => match tally.rows() == tally.account_regions {
            true => format!(
                "runas-guard sweep: {} of {} in {}",
                parts.join(", "),
                crate::domain::words::count(tally.account_regions, "account-region"),
                crate::domain::words::count(tally.accounts, "account")
            ),
            false => format!(
                "runas-guard sweep: {} of {} ({}) in {}",
                parts.join(", "),
                crate::domain::words::count(tally.rows(), "row"),
                crate::domain::words::count(tally.account_regions, "account-region"),
                crate::domain::words::count(tally.accounts, "account")
            ),
        },
    };
    if native {
        let sep = if parts.is_empty() { ": " } else { "; " };
        subject.push_str(&format!(
            "{sep}organization policy type unknown to runas-guard: {}",
            tally.policy_types.names()
        ));
    }
    subject
}

/// A failure pages (`error`) unless it is the failing set the last whole
/// sweep told (`repeat`: `warning`, below the pager's filter); findings not
/// imported or an unknown policy type (`warn`) are runas-guard's reporting,
/// not a document left wrong: a warning.
pub(super) fn severity(failed: usize, repeat: bool, warn: bool) -> Severity {
    match (failed > 0 && !repeat, repeat || warn) {
        (true, _) => Severity::Error,
        (false, true) => Severity::Warning,
        (false, false) => Severity::Info,
    }
}
