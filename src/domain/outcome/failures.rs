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

/// The account-regions with a failed row, each counted once (a
/// `[[document]]`'s row and the check's are more rows of the same
/// account-region, as the sweep summary counts them).
pub fn failed_account_regions<'a>(rows: impl IntoIterator<Item = (&'a str, &'a str)>) -> usize {
    rows.into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

/// "2 account-region(s) failed: 1111 eu-west-1 (AccessDenied), ..."
pub fn failure_summary(accounts: &[AccountReport]) -> String {
    let count = failed_account_regions(accounts.iter().flat_map(|a| {
        a.regions
            .iter()
            .filter(|r| r.action == Action::Failed)
            .map(move |r| (a.account.as_str(), r.region.as_str()))
    }));
    let mut failed: Vec<String> = accounts
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
    // Two rows of one account-region failing the same way are said once.
    failed.dedup();
    format!("{count} account-region(s) failed: {}", failed.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::outcome::RegionOutcome;

    fn report(account: &str, regions: Vec<RegionOutcome>) -> AccountReport {
        AccountReport {
            account: account.into(),
            name: None,
            ou_path: None,
            desired_user: Some("ops".into()),
            rule: None,
            role: None,
            packed_policy_size: None,
            mode: None,
            left_governance: None,
            regions,
            alerts_lost: 0,
            security_hub: None,
        }
    }

    fn failed(region: &str, document: Option<&str>, code: &str) -> RegionOutcome {
        RegionOutcome {
            document: document.map(str::to_string),
            ..RegionOutcome::failed(region, code, "no".into())
        }
    }

    /// A `[[document]]`'s row and the check's are rows of the same
    /// account-region: the line counts account-regions, as the sweep
    /// summary does, and names each cause once.
    #[test]
    fn failed_rows_count_as_their_account_regions() {
        let cases: Vec<(&str, Vec<AccountReport>, &str)> = vec![
            (
                "three rows of one account-region",
                vec![report(
                    "1111",
                    vec![
                        failed("eu-west-1", None, "AccessDenied"),
                        failed("eu-west-1", Some("SSMRunAs-Admin"), "AccessDenied"),
                        failed("eu-west-1", Some("RunAsGuard-Check"), "AccessDenied"),
                    ],
                )],
                "1 account-region(s) failed: 1111 eu-west-1 (AccessDenied)",
            ),
            (
                "two codes in one account-region: one, both named",
                vec![report(
                    "1111",
                    vec![
                        failed("eu-west-1", None, "AccessDenied"),
                        failed("eu-west-1", Some("SSMRunAs-Admin"), "Throttling"),
                    ],
                )],
                "1 account-region(s) failed: 1111 eu-west-1 (AccessDenied), 1111 eu-west-1 (Throttling)",
            ),
            (
                "the same region of two accounts is two",
                vec![
                    report("1111", vec![failed("eu-west-1", None, "AccessDenied")]),
                    report("2222", vec![failed("eu-west-1", None, "AccessDenied")]),
                ],
                "2 account-region(s) failed: 1111 eu-west-1 (AccessDenied), 2222 eu-west-1 (AccessDenied)",
            ),
            (
                "a row that did not fail is not counted",
                vec![report(
                    "1111",
                    vec![
                        failed("eu-west-1", None, "AccessDenied"),
                        RegionOutcome::skipped("us-east-1", Action::None, None),
                    ],
                )],
                "1 account-region(s) failed: 1111 eu-west-1 (AccessDenied)",
            ),
        ];
        for (what, reports, want) in cases {
            assert_eq!(failure_summary(&reports), want, "{what}");
        }
    }
}
