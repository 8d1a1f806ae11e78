//! How a sweep's rows are named and counted (pure): the entry an
//! account-region gets, whether an account was governed, and the action a
//! row is counted under.

use super::Entry;
use crate::domain::outcome::{AccountReport, Action};

/// One account-region worth naming. Nothing changed where it failed or
/// waits; a pending row says since when and what it awaits, in `detail`.
pub(super) fn entry(report: &AccountReport, o: &crate::domain::outcome::RegionOutcome) -> Entry {
    let unchanged = matches!(o.action, Action::Failed | Action::Pending);
    Entry {
        account: report.account.clone(),
        name: report.name.clone().unwrap_or_default(),
        region: o.region.clone(),
        document: o.document.clone(),
        action: o.action.as_str().to_string(),
        before: short(&o.before),
        after: if unchanged {
            "unchanged".into()
        } else {
            short(&o.after)
        },
        error_code: o.error_code.clone(),
        mode: o.mode.map(|m| m.as_str().to_string()),
        detail: o.held.clone().or_else(|| {
            (o.action == Action::Pending)
                .then(|| o.error.clone())
                .flatten()
        }),
    }
}

/// (governed, expected) for one account: governed when the run looked at a
/// document there; expected too when every row failed instead. Accounts
/// waiting (a vend in progress, pending activation), skipped for their
/// state, exempt or out of scope are neither.
pub(super) fn governed(report: &AccountReport) -> (bool, bool) {
    let looked = report.regions.iter().any(|o| {
        o.action.wrote()
            || matches!(
                o.action,
                Action::None | Action::WouldChange | Action::RegionDisabled | Action::Deferred
            )
    });
    let failed = report.regions.iter().any(|o| o.action == Action::Failed);
    (looked, looked || failed)
}

/// The check's association kept (created or put back) is counted apart:
/// in audit mode it is written too, and it is not a document "fixed".
pub(super) fn counted_as(o: &crate::domain::outcome::RegionOutcome) -> String {
    match (o.nodes.is_some(), o.action.wrote()) {
        (true, true) => format!("check-{}", o.action.as_str()),
        _ => o.action.as_str().to_string(),
    }
}

fn short(r: &Option<crate::domain::preferences::RunAs>) -> String {
    r.as_ref()
        .map_or_else(|| "no document".into(), |r| r.short())
}
