//! What the hub table holds, as the reports and commands read it: one
//! account-region's state row, one history row, the canary's state. The
//! store makes them from items (`adapters::store`); `report` renders them.

use serde::Serialize;
use serde_json::Value;

use crate::domain::preferences::RunAs;

/// One state item as `runas-guard status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct StateRow {
    pub account: String,
    pub region: String,
    pub document: String,
    pub status: String,
    pub desired_user: Option<String>,
    /// What the document said when it was last looked at.
    pub observed_user: Option<String>,
    /// A JSON boolean when the document had `true`/`false`; any other value
    /// as the string it was.
    pub observed_run_as_enabled: Option<Value>,
    pub default_version: Option<String>,
    pub last_action: Option<String>,
    pub last_trigger_kind: Option<String>,
    pub last_trigger_id: Option<String>,
    pub last_actor: Option<String>,
    pub last_error_code: Option<String>,
    pub last_error: Option<String>,
    pub last_checked: Option<String>,
    pub last_changed: Option<String>,
    pub changes: i64,
    /// The run-as user check's row: what its association found on the nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<crate::domain::nodes::Readiness>,
    /// The mode the policy's rules gave it: `enforce`, `audit`,
    /// `enforce-when-ready` (absent on items older than per-rule modes).
    pub mode: Option<String>,
    /// `enforce-when-ready`: why Run As was not turned on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
    /// Since when it is held, and when `enforcement_held` told it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_told_at: Option<String>,
    /// The account's OU path by name when it was recorded.
    pub ou_path: Option<String>,
    /// `[forwarding_canary]`: the last canary of the account-region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary: Option<CanaryState>,
}

impl StateRow {
    /// The observed RunAs as everything else renders it (`on/ssm-ops`,
    /// `off/-`, `off("yes")/ops`); `-` when nothing was observed.
    pub fn observed_short(&self) -> String {
        if self.observed_run_as_enabled.is_none() && self.observed_user.is_none() {
            return "-".into();
        }
        RunAs {
            enabled: self.observed_run_as_enabled.clone(),
            user: self.observed_user.clone().map(Value::String),
        }
        .short()
    }

    /// `MISSING on 3 of 40 nodes` for the run-as user check's row.
    pub fn nodes_short(&self) -> Option<String> {
        self.nodes
            .as_ref()
            .map(crate::domain::nodes::Readiness::short)
    }
}

/// One history row (`ACCOUNT#<id>` / `HISTORY#<time>#<region>`): a change
/// made or a drift seen.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub at: String,
    pub account: String,
    pub region: String,
    pub document: String,
    /// `remediated`, `reverted`, `noncompliant`.
    pub status: String,
    pub action: String,
    /// `{"runAsEnabled": .., "runAsDefaultUser": ..}`, or null: no document.
    pub before: Value,
    pub after: Value,
    pub actor: Option<String>,
    pub trigger_id: String,
    pub trigger_kind: String,
    pub versions_before: Option<String>,
    pub version_after: Option<String>,
}

/// A stored RunAs (`before`/`after`) as everything else renders it.
pub fn run_as_short(v: &Value) -> String {
    match v {
        Value::Object(m) => RunAs {
            enabled: m.get("runAsEnabled").cloned(),
            user: m.get("runAsDefaultUser").cloned(),
        }
        .short(),
        _ => "no document".into(),
    }
}

/// The canary as `status` shows it (what the last sweep and arrival
/// recorded; only a sweep decides "missing").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CanaryState {
    /// When the last canary was written.
    pub written_at: Option<String>,
    /// How long it took to arrive; `None` while it has not.
    pub arrived_after_ms: Option<i64>,
    /// Since when no canary has arrived (told once, as `forwarding_missing`).
    pub missing_since: Option<String>,
    /// The last canary could not be written (the AWS error code).
    pub error_code: Option<String>,
}
