//! `enforce-when-ready` held too long (pure): what keeps one document held
//! (the check's verdict and each blocking node with its reason), and
//! whether a sweep tells it now. A document held at least the policy's
//! `[nodes] held_alert_after` is told once, and again only when the
//! verdict or its reasons change, never when only which nodes block (their
//! ids, their count) changes: that is ordinary fleet churn. Released, it
//! starts over.
//!
//! The state item keeps since when the document is held (`held_since`, set
//! by the first record that holds it, kept while it stays held, removed when
//! it is released: [`after_record`]) and what was told (`held_told`, the
//! [`Blocking::fingerprint`] of the verdict told).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::readiness::NodeReason;
use super::{Readiness, Verdict};

/// Blocking nodes an alert lists per held document; the rest are counted.
pub const MAX_BLOCKING: usize = super::MAX_NODE_IDS;

/// What keeps one document held, as the alert names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocking {
    /// `would_refuse`, `could_not_run`, `no_result_yet`, `other_user`.
    pub verdict: &'static str,
    /// The verdict in words (`would refuse sessions on 1 node`).
    pub describe: String,
    /// Up to [`MAX_BLOCKING`] nodes, each with its reason.
    pub nodes: Vec<BlockingNode>,
    /// Blocking nodes beyond those listed.
    pub more: u64,
    /// Blocking nodes per reason (`user_missing`, `timed_out`, ...), all of them.
    pub reasons: BTreeMap<String, u64>,
    /// Every blocking node, listed or not.
    #[serde(skip)]
    total: u64,
}

/// One node that holds the document's change back, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockingNode {
    pub node: String,
    /// `user_missing`, or why the check could not run there (`timed_out`, ...).
    pub reason: String,
    pub why: String,
}

/// `timed_out` from a reason's serde name.
fn key_of<T: Serialize>(reason: &T) -> String {
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl Blocking {
    /// From what the check found in the region (what the gate saw) for a
    /// document whose user is `user`.
    pub fn of(found: Option<&Readiness>, user: &str) -> Blocking {
        if let Some(r) = found.filter(|r| r.user != user) {
            return Blocking::bare(
                "other_user",
                format!(
                    "the check looks up {}, not this document's user {user}",
                    r.user
                ),
            );
        }
        let verdict = Verdict::of(found);
        let Some(r) = found else {
            return Blocking::bare("no_result_yet", verdict.describe());
        };
        let name = match verdict {
            Verdict::WouldRefuse { .. } => "would_refuse",
            Verdict::CouldNotRun { .. } => "could_not_run",
            Verdict::NoResultYet => "no_result_yet",
            Verdict::Ready | Verdict::NoLinuxOrMacosNodes => "ready",
        };
        let missing = r.missing_nodes.iter().map(|n| BlockingNode {
            node: n.clone(),
            reason: "user_missing".into(),
            why: format!("user {user} does not exist on the node: sessions would be refused"),
        });
        let not_run = r.not_run.read.iter().map(|n| BlockingNode {
            node: n.node.clone(),
            reason: key_of(&n.reason),
            why: format!("the check could not run: {}", n.reason.describe()),
        });
        let mut nodes: Vec<BlockingNode> = missing.chain(not_run).collect();
        nodes.sort_by(|a, b| (&a.node, &a.reason).cmp(&(&b.node, &b.reason)));
        nodes.dedup();
        let mut reasons = BTreeMap::new();
        if r.missing > 0 {
            reasons.insert("user_missing".to_string(), r.missing);
        }
        for (reason, n) in &r.not_run.reasons {
            reasons.insert(key_of(reason), *n);
        }
        let total = r.missing.saturating_add(r.not_run.nodes);
        nodes.truncate(MAX_BLOCKING);
        let more = total.saturating_sub(nodes.len() as u64);
        let describe = match r.checked {
            0 => verdict.describe(),
            _ => r.summary(),
        };
        Blocking {
            verdict: name,
            describe,
            nodes,
            more,
            reasons,
            total,
        }
    }

    fn bare(verdict: &'static str, describe: String) -> Blocking {
        Blocking {
            verdict,
            describe,
            nodes: vec![],
            more: 0,
            reasons: BTreeMap::new(),
            total: 0,
        }
    }

    /// Whether some blocking nodes are counted but not named while there is
    /// room to name them: the check names only the nodes whose run failed;
    /// those whose run timed out or was not delivered are only counted.
    pub fn unnamed(&self) -> bool {
        self.more > 0 && self.nodes.len() < MAX_BLOCKING
    }

    /// With the nodes the check could not run on, read by id (see
    /// [`Blocking::unnamed`]), each with its reason.
    pub fn named(mut self, read: &[NodeReason]) -> Blocking {
        self.nodes.extend(read.iter().map(|n| BlockingNode {
            node: n.node.clone(),
            reason: key_of(&n.reason),
            why: format!("the check could not run: {}", n.reason.describe()),
        }));
        self.nodes
            .sort_by(|a, b| (&a.node, &a.reason).cmp(&(&b.node, &b.reason)));
        self.nodes.dedup_by(|a, b| a.node == b.node);
        self.nodes.truncate(MAX_BLOCKING);
        self.more = self.total.saturating_sub(self.nodes.len() as u64);
        self
    }

    /// What "the same verdict" means: the verdict and the set of reasons
    /// that keep the document held (`user_missing`, `timed_out`, ...).
    /// Which nodes block, and how many, are left out: a fleet whose nodes
    /// are replaced, or that grows or shrinks, is not news again (the node
    /// whose check times out today is another instance than yesterday's);
    /// a new verdict or a new reason is. A verdict without nodes
    /// (`no_result_yet`, `other_user`) is told by its words.
    pub fn fingerprint(&self) -> String {
        let mut parts = vec![self.verdict.to_string()];
        parts.extend(self.reasons.keys().map(|r| format!("reason:{r}")));
        if self.reasons.is_empty() {
            parts.push(self.describe.clone());
        }
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        crate::domain::ids::stable_id(&refs)
    }
}

/// What the state item recorded of one held document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Since when it is held (epoch milliseconds).
    pub since_ms: Option<i64>,
    /// The fingerprint of the verdict told.
    pub told: Option<String>,
}

/// Whether this sweep tells a document held by `held` (`None`: not held).
/// Told once it has been held at least `bound`, and again only when the
/// verdict differs from the one told. A document first seen held has no
/// `since` yet (this sweep's record starts it): not yet. A `since` in the
/// future (a clock that went back) is not past any bound.
pub fn tell(recorded: &Recorded, held: Option<&Blocking>, now_ms: i64, bound: Duration) -> bool {
    let Some(held) = held else {
        return false;
    };
    past_bound(recorded, now_ms, bound)
        && recorded.told.as_deref() != Some(held.fingerprint().as_str())
}

/// Whether a hold recorded so has lasted at least `bound` by `now_ms`.
pub fn past_bound(recorded: &Recorded, now_ms: i64, bound: Duration) -> bool {
    let Some(since) = recorded.since_ms else {
        return false;
    };
    let bound_ms = i64::try_from(bound.as_millis()).unwrap_or(i64::MAX);
    now_ms.saturating_sub(since) >= bound_ms
}

/// What a state record leaves of [`Recorded`] (`store::update` writes it
/// so): a held document keeps its `since` (or starts it now); a released
/// one loses both, so a document held again is told again.
pub fn after_record(recorded: Recorded, held: bool, now_ms: i64) -> Recorded {
    match held {
        true => Recorded {
            since_ms: recorded.since_ms.or(Some(now_ms)),
            told: recorded.told,
        },
        false => Recorded::default(),
    }
}

/// `3d 4h`, `5h`, `40m`: how long, for alerts.
pub fn human(d_ms: i64) -> String {
    let m = d_ms.max(0) / 60_000;
    match (m / 1440, (m % 1440) / 60, m % 60) {
        (0, 0, m) => format!("{m}m"),
        (0, h, _) => format!("{h}h"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
#[path = "held_tests.rs"]
mod tests;
