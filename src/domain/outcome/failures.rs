//! The one line that names an input's failed account-regions, and their
//! causes folded into one key (one page per cause).

use serde::{Deserialize, Serialize};

use super::{AccountReport, Action};

/// Every failed account-region's cause (account, region, document, AWS
/// error code), folded into one value that does not depend on the order
/// accounts finished in, and merges across a fanned-out sweep's parts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failing {
    pub rows: usize,
    pub sum: u64,
}

impl Failing {
    pub fn add(&mut self, account: &str, region: &str, document: Option<&str>, code: Option<&str>) {
        let one = crate::domain::ids::stable_id(&[
            account,
            region,
            document.unwrap_or("-"),
            code.unwrap_or("-"),
        ]);
        self.rows += 1;
        self.sum = self
            .sum
            .wrapping_add(u64::from_str_radix(&one, 16).unwrap_or_default());
    }

    /// Counts `o` when it failed.
    pub fn add_row(&mut self, account: &str, o: &crate::domain::outcome::RegionOutcome) {
        if o.action == crate::domain::outcome::Action::Failed {
            let code = o.error_code.as_deref();
            self.add(account, &o.region, o.document.as_deref(), code);
        }
    }

    pub fn merge(&mut self, other: Failing) {
        self.rows += other.rows;
        self.sum = self.sum.wrapping_add(other.sum);
    }

    /// The dedup key of this failing set (`failing-<rows>-<hash>`): the
    /// same misconfiguration, sweep after sweep, keeps it; a row more or
    /// less, or another error code, changes it. `None` when nothing failed.
    pub fn key(&self) -> Option<String> {
        (self.rows > 0).then(|| format!("failing-{}-{:016x}", self.rows, self.sum))
    }
}

/// "2 account-region(s) failed: 1111 eu-west-1 (AccessDenied), ..."
pub fn failure_summary(accounts: &[AccountReport]) -> String {
    let failed: Vec<String> = accounts
        .iter()
        .flat_map(|a| {
            a.regions
                .iter()
                .filter(|r| r.action == Action::Failed)
                .map(move |r| {
                    format!(
                        "{} {} ({})",
                        a.account,
                        r.region,
                        r.error_code.as_deref().unwrap_or("?")
                    )
                })
        })
        .collect();
    format!(
        "{} account-region(s) failed: {}",
        failed.len(),
        failed.join(", ")
    )
}
