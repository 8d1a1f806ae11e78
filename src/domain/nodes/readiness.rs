//! What the check found in one account-region: the record the state item
//! keeps and the report shows. Depends on nothing else of the check, so the
//! outcome vocabulary can carry it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::node_result::Reason;

/// What the check found in one account-region, as recorded and shown.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Readiness {
    pub association_id: String,
    pub association_version: String,
    pub user: String,
    /// Nodes with an outcome for this association.
    pub checked: u64,
    /// Nodes where the check's script said the user does not exist: the
    /// only finding of a missing user.
    pub missing: u64,
    /// Up to [`super::MAX_NODE_IDS`] of them, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_nodes: Vec<String>,
    /// Whether the account-region has a managed Linux or macOS node: read
    /// only when no node has a result yet (to tell "not run yet" from
    /// "nothing to run on"); `None` when not read or not readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_or_macos: Option<bool>,
    /// Nodes with an outcome but no verdict on the user (counted in
    /// `checked`, never in `missing`).
    #[serde(default, skip_serializing_if = "NotRun::is_empty")]
    pub not_run: NotRun,
    /// SSM's count of failed nodes these verdicts were read from: a look
    /// that finds the same count keeps them without reading a node.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed: u64,
    /// The check document's version the association ran when the failed
    /// nodes were last read (read only where nodes fail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_version: Option<String>,
    /// The association's last run (`LastExecutionDate`, epoch
    /// milliseconds) as this look found it. Not recorded: it moves with
    /// every scheduled run, and the row is written only when what it says
    /// changes.
    #[serde(skip)]
    pub last_run: Option<i64>,
    /// The run `document_version` was read at (its `last_run`): a run keeps
    /// the version it ran, so the document is read again only once the
    /// association has run since ([`super::found::version_of_read_run`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_run: Option<i64>,
    /// Set when the nodes were read because the check document changed:
    /// the run read may predate the change, so the first run after this
    /// one (`last_run` past it) is read again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reread_after: Option<i64>,
    /// Whether this run tagged the association as runas-guard's (or the row
    /// says an earlier one tagged this very association): a row without it
    /// (0.3.0 made its associations untagged) makes the next check tag it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub tagged: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Nodes where the check could not run (timed out, not delivered, the
/// script said it could not run, failed without its verdict).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NotRun {
    pub nodes: u64,
    /// How many for each reason.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reasons: BTreeMap<Reason, u64>,
    /// Those read one by one (at most [`super::MAX_NODE_IDS`]), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read: Vec<NodeReason>,
}

/// One node the check could not run on, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeReason {
    pub node: String,
    pub reason: Reason,
}

impl NotRun {
    pub fn is_empty(&self) -> bool {
        self.nodes == 0
    }

    pub fn add(&mut self, reason: Reason, n: u64) {
        if n > 0 {
            self.nodes = self.nodes.saturating_add(n);
            let at = self.reasons.entry(reason).or_default();
            *at = at.saturating_add(n);
        }
    }

    /// `check could not run on 2 nodes (timed out: 1, not delivered to the node: 1)`.
    pub fn describe(&self) -> String {
        let why: Vec<String> = self
            .reasons
            .iter()
            .map(|(r, n)| format!("{}: {n}", r.describe()))
            .collect();
        format!(
            "check could not run on {} ({})",
            nodes(self.nodes),
            why.join(", ")
        )
    }
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
        match self.not_run.is_empty() {
            true => self.verdict_summary(),
            false => format!("{}; {}", self.verdict_summary(), self.not_run.describe()),
        }
    }

    fn verdict_summary(&self) -> String {
        let answered = self.checked.saturating_sub(self.not_run.nodes);
        match (answered, self.missing) {
            (0, 0) if self.linux_or_macos == Some(false) => {
                format!(
                    "user {}: no managed Linux or macOS node to check",
                    self.user
                )
            }
            (0, 0) if !self.not_run.is_empty() => format!("user {}", self.user),
            (0, 0) => format!("user {} not checked on any node yet", self.user),
            (n, 0) => format!("user {} present on {}", self.user, all_nodes(n)),
            // Of every node with an outcome: those the check could not run on
            // are among them, and said apart.
            (_, m) => format!(
                "user {} missing on {m} of {}",
                self.user,
                nodes(self.checked)
            ),
        }
    }

    /// `MISSING on 3 of 40 nodes`, `present on all 40 nodes; check could
    /// not run on 2`, for the check's row in `status`.
    pub fn short(&self) -> String {
        let answered = self.checked.saturating_sub(self.not_run.nodes);
        let verdict = match (answered, self.missing) {
            (0, 0) if self.linux_or_macos == Some(false) => "no Linux or macOS node".into(),
            (0, 0) if !self.not_run.is_empty() => "no verdict".into(),
            (0, 0) => "no node checked yet".into(),
            (c, 0) => format!("present on {}", all_nodes(c)),
            (_, m) => format!("MISSING on {m} of {}", nodes(self.checked)),
        };
        match self.not_run.nodes {
            0 => verdict,
            n => format!("{verdict}; check could not run on {}", nodes(n)),
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
