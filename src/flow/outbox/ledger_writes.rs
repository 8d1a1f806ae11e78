//! What a keep writes on the ledger of told facts beside its alerts'
//! copies (`Receipts::keep`), gathered from the accounts' reports.

use crate::domain::alert::default_told::Made;
use crate::domain::outcome::{AccountReport, RegionOutcome};
use crate::domain::window_claim::WindowClaim;

/// What accounts' runs tell on the ledger beside their alerts' copies: the
/// window claims their regions made, and when each region's default was
/// made (the default a drift alert tells is marked told with it).
#[derive(Debug, Default)]
pub(crate) struct LedgerWrites {
    pub claims: Vec<WindowClaim>,
    pub made: Made,
}

/// [`LedgerWrites`] of `reports`.
pub(crate) fn ledger_writes<'a>(
    reports: impl IntoIterator<Item = &'a AccountReport>,
) -> LedgerWrites {
    let mut out = LedgerWrites::default();
    for report in reports {
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
