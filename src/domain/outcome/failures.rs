//! The one line that names an input's failed account-regions.

use super::{AccountReport, Action};

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
