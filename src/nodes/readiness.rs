//! What the check found in one account-region: the record the state item
//! keeps and the report shows. Depends on nothing else of the check, so the
//! outcome vocabulary can carry it.

use serde::{Deserialize, Serialize};

/// What the check found in one account-region, as recorded and shown.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Readiness {
    pub association_id: String,
    pub association_version: String,
    pub user: String,
    /// Nodes with an outcome for this association.
    pub checked: u64,
    /// Nodes where the lookup failed: the user is missing there.
    pub missing: u64,
    /// Up to [`super::MAX_NODE_IDS`] of them, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_nodes: Vec<String>,
    /// Whether the account-region has a managed Linux or macOS node: read
    /// only when no node has a result yet (to tell "not run yet" from
    /// "nothing to run on"); `None` when not read or not readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_or_macos: Option<bool>,
}

/// `1 node`, `3 nodes`.
pub fn nodes(n: u64) -> String {
    match n {
        1 => "1 node".into(),
        n => format!("{n} nodes"),
    }
}

/// `its 1 node`, `all 3 nodes`.
pub fn all_nodes(n: u64) -> String {
    match n {
        1 => "its 1 node".into(),
        n => format!("all {n} nodes"),
    }
}

impl Readiness {
    /// `user ssm-ops missing on 3 of 40 nodes`, for status and alerts.
    pub fn summary(&self) -> String {
        match (self.checked, self.missing) {
            (0, 0) if self.linux_or_macos == Some(false) => {
                format!(
                    "user {}: no managed Linux or macOS node to check",
                    self.user
                )
            }
            (0, 0) => format!("user {} not checked on any node yet", self.user),
            (n, 0) => format!("user {} present on {}", self.user, all_nodes(n)),
            (n, m) => format!("user {} missing on {m} of {}", self.user, nodes(n)),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain data serialises")
    }

    /// `None` for anything this build did not write (read defensively).
    pub fn from_json(text: &str) -> Option<Readiness> {
        serde_json::from_str(text).ok()
    }
}
