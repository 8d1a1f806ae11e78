//! What a keep writes on the ledger of told facts beside its alerts'
//! copies (`Receipts::keep`), gathered from the accounts' reports.

use crate::domain::alert::default_told::{defaults_told, Made};
use crate::domain::alert::Alert;
use crate::domain::outcome::RegionOutcome;
use crate::domain::records::DriftMark;
use crate::domain::window_claim::WindowClaim;
use crate::flow::account::Uncommitted;

/// What accounts' runs tell on the ledger beside their alerts' copies: the
/// window claims their regions made, and when each region's default was
/// made (the default a drift alert tells is marked told with it), and the
/// audit findings they tell first.
#[derive(Debug, Default)]
pub(crate) struct LedgerWrites {
    pub claims: Vec<WindowClaim>,
    pub made: Made,
    pub drift: Vec<DriftMark>,
}

/// [`LedgerWrites`] of `accounts`.
pub(crate) fn ledger_writes<'a>(
    accounts: impl IntoIterator<Item = &'a Uncommitted>,
) -> LedgerWrites {
    let mut out = LedgerWrites::default();
    for acct in accounts {
        out.drift.extend(acct.drift_marks.iter().cloned());
        let report = &acct.report;
        let claim = |o: &RegionOutcome| o.window.made.clone();
        out.claims.extend(report.regions.iter().filter_map(claim));
        for o in &report.regions {
            if let Some(made) = &o.made_before {
                out.made
                    .insert((report.account.clone(), o.slot()), made.clone());
            }
        }
    }
    out
}

/// Whether `decided` tell facts on the ledger (window claims, or defaults
/// their drift marks told): such alerts go out only once their keep, which
/// writes those facts, landed. Sent without it, another run that told the
/// same version (its claim refused ours) or tells it next (our claim left
/// unkept runs out) sends it again under its own identity; held back, the
/// run fails and its retry (or the next sweep, the record not moved) tells
/// what no one told.
pub(crate) fn tells_facts(decided: &[Alert], ledgered: &LedgerWrites) -> bool {
    let claims = &ledgered.claims;
    !claims.is_empty()
        || !ledgered.drift.is_empty()
        || !defaults_told(decided, &ledgered.made, claims).is_empty()
}

/// The decided alerts, less those that tell facts on the ledger when their
/// keep did not land (`outbox::tells_facts`), and how many those were: the
/// record is not made either, so the next sweep tells them; this one fails
/// for the account.
pub(crate) fn withheld_unless_kept(
    alerts: Vec<Alert>,
    kept: bool,
    ledgered: &LedgerWrites,
) -> (Vec<Alert>, usize) {
    if kept || !tells_facts(&alerts, ledgered) {
        return (alerts, 0);
    }
    tracing::error!(outcome = "alerts_withheld", alerts = alerts.len(), "alerts telling versions on the ledger could not be kept with it: not sent, the next sweep tells them");
    (vec![], alerts.len())
}
