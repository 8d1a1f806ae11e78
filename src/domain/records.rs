//! What a run records per account-region: the state it observed (one item
//! per account-region) and, when something changed, a history row. Stores
//! in `aws/` write them; the core builds them.

use serde::Serialize;

/// What one reconcile of one account-region found and did.
#[derive(Debug, Clone)]
pub struct Observation {
    pub account: String,
    pub region: String,
    /// A `[[document]]` name; `None` for `SSM-SessionManagerRunShell`.
    pub document: Option<String>,
    pub status: &'static str,
    pub desired_user: Option<String>,
    pub observed_user: Option<String>,
    pub observed_enabled: Option<String>,
    pub default_version: Option<String>,
    pub action: &'static str,
    pub wrote: bool,
    pub trigger_id: String,
    pub trigger_kind: &'static str,
    pub actor: Option<String>,
    pub error: Option<String>,
    pub error_code: Option<String>,
    /// The run-as user check's row: what its association found
    /// ([`crate::domain::nodes::Readiness`] as JSON).
    pub nodes: Option<String>,
    /// The mode the policy's rules give this document (for the check's
    /// row: the account's), as `enforce`, `audit`, `enforce-when-ready`.
    pub mode: Option<&'static str>,
    /// Why an `enforce-when-ready` document was not enforced.
    pub held: Option<String>,
    /// The account's OU path by name (`Root/Workloads/Sandbox`).
    pub ou_path: Option<String>,
}

impl Observation {
    /// The item's key after `REGION#` (see [`crate::domain::outcome::slot`]).
    pub fn slot(&self) -> String {
        crate::domain::outcome::slot(&self.region, self.document.as_deref())
    }
}

/// One observed Run As, as an audit drift mark remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `[enabled, user]` as JSON: unambiguous whatever the values hold.
    pub value: String,
    pub user: Option<String>,
    pub enabled: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryRow {
    pub account: String,
    pub region: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// `remediated`, `reverted`, `noncompliant` (drift seen in audit mode).
    pub status: String,
    pub action: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub actor: Option<String>,
    pub trigger_id: String,
    pub trigger_kind: String,
    pub versions_before: Option<String>,
    pub version_after: Option<String>,
}
