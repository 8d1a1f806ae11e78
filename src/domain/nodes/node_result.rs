//! One node's answer to the check, as SSM reports it, made a verdict (pure).
//!
//! Only the check script's own line saying the user does not exist counts
//! as a missing user. Everything else that is not a success (a timeout, a
//! command that never reached the node, the script saying it could not
//! run, a failure without the script's line) says nothing about the user:
//! the node is counted apart, as "check could not run", with its reason.
//! A missing user on a node that only timed out would be a false alarm,
//! and an `enforce-when-ready` gate must not open on nodes nobody asked.

use serde::{Deserialize, Serialize};

/// The start of the line the shipped script writes to stderr when `id`
/// says the user does not exist (infra/member.yaml, exit 1); the user
/// follows, then this.
const MISSING_LEAD: &str = "runas-guard: Run As user ";
const MISSING_TAIL: &str = " does not exist on this node";
/// The line it writes when no `SSM_User` reached it (exit 2): an SSM agent
/// older than 3.3.2746.0, which sets no environment variables; the script
/// never takes the name from its own text, so it fails closed.
const AGENT_TOO_OLD: &str =
    "runas-guard: check could not run: agent too old to pass the user safely";
/// The other lines it writes when it could not ask (exit 2): a name it
/// refuses, and 0.3.0's document's line, which read only `SSM_User` too (a
/// member stack not yet updated may still run it; 0.4.0's pasted the name
/// into its text for older agents instead).
const COULD_NOT_RUN: [&str; 2] = [
    "runas-guard: check could not run:",
    "runas-guard: SSM_User is not set:",
];

/// What SSM says of one node's run of the check: the association's status
/// on it (`DescribeInstanceAssociationsStatus`), and the agent's execution
/// summary, which carries each failed step's stderr.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeResult {
    pub node: String,
    pub status: String,
    pub detailed: Option<String>,
    pub summary: Option<String>,
}

/// Why a node has no verdict on the user.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The script said it could not run: no user name reached it.
    NoUserPassed,
    /// The script said it could not run: the node's SSM agent sets no
    /// `SSM_User` (older than 3.3.2746.0), and the script takes the name
    /// from nowhere else.
    AgentTooOld,
    /// The run went past its timeout.
    TimedOut,
    /// The run never reached the node (undeliverable, delivery timed out).
    Undeliverable,
    /// Failed without the script's verdict: the agent could not run the
    /// document, or its summary lost the line.
    FailedWithoutVerdict,
    /// Failed, beyond the nodes read one by one: not classified.
    NotRead,
    /// Cancelled, skipped, or a status this build does not know.
    #[default]
    OtherStatus,
}

impl Reason {
    /// As reports print it.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::NoUserPassed => "the agent passed the check no user name",
            Reason::AgentTooOld => {
                "the SSM agent is too old to pass the user safely (3.3.2746.0 or later needed)"
            }
            Reason::TimedOut => "timed out",
            Reason::Undeliverable => "not delivered to the node",
            Reason::FailedWithoutVerdict => "failed without the check's verdict",
            Reason::NotRead => "failed, verdict not read (20 nodes are read one by one)",
            Reason::OtherStatus => "cancelled or another status",
        }
    }
}

/// One node's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeVerdict {
    Present,
    Missing,
    Running,
    CouldNotRun(Reason),
}

/// The verdict SSM's report of one node gives, for the user the check
/// looked up. A status SSM may put in either field is read from both.
pub fn classify(r: &NodeResult, user: &str) -> NodeVerdict {
    let said = |names: &[&str]| {
        names.contains(&r.status.as_str())
            || r.detailed.as_deref().is_some_and(|d| names.contains(&d))
    };
    if said(&["Undeliverable", "DeliveryTimedOut", "Delivery Timed Out"]) {
        return NodeVerdict::CouldNotRun(Reason::Undeliverable);
    }
    if said(&["TimedOut", "ExecutionTimedOut", "Execution Timed Out"]) {
        return NodeVerdict::CouldNotRun(Reason::TimedOut);
    }
    match r.status.as_str() {
        "Success" => NodeVerdict::Present,
        "Pending" | "InProgress" | "Associated" => NodeVerdict::Running,
        "Failed" => failed(r.summary.as_deref().unwrap_or(""), user),
        _ => NodeVerdict::CouldNotRun(Reason::OtherStatus),
    }
}

/// A failed run: missing only on the script's line for exactly this user,
/// and never when it also said it could not run.
fn failed(summary: &str, user: &str) -> NodeVerdict {
    if summary.contains(AGENT_TOO_OLD) {
        return NodeVerdict::CouldNotRun(Reason::AgentTooOld);
    }
    if COULD_NOT_RUN.iter().any(|line| summary.contains(line)) {
        return NodeVerdict::CouldNotRun(Reason::NoUserPassed);
    }
    let line = format!("{MISSING_LEAD}{user}{MISSING_TAIL}");
    match !user.is_empty() && summary.contains(&line) {
        true => NodeVerdict::Missing,
        false => NodeVerdict::CouldNotRun(Reason::FailedWithoutVerdict),
    }
}

/// A status in `AssociationStatusAggregatedCount` that is neither a pass,
/// a failure nor a run under way, as a reason.
pub fn reason_of_status(status: &str) -> Reason {
    match classify(
        &NodeResult {
            status: status.to_string(),
            ..NodeResult::default()
        },
        "",
    ) {
        NodeVerdict::CouldNotRun(r) => r,
        _ => Reason::OtherStatus,
    }
}

#[cfg(test)]
#[path = "node_result_tests.rs"]
mod tests;
