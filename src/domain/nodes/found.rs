//! What the check's association found on the nodes: its counts, made a
//! verdict (pure, in [`verdict_of`] and [`tally`]), and the few reads that
//! name nodes. A node counts as missing the user only on the check
//! script's own line (see [`super::node_result`]): SSM's "Failed" alone
//! also covers a run the agent could not make.

use super::node_result::{classify, NodeVerdict, Reason};
use super::readiness::NodeReason;
use super::{Association, Counts, NodeResult, NotRun, Readiness, MAX_NODE_IDS};

/// The verdict the counts give, before any node is read. While a run is
/// under way (nodes `Pending` / `InProgress`) the counts mix this run's
/// answers with nodes not yet asked: the last finished verdict of the same
/// association and user stands (so nodes are neither cleared nor told
/// twice), with the version and run it was read from, so the run under way
/// is read once it is done. Without one, only failures are a finding: nodes
/// that answered fine do not make the run a pass.
pub fn verdict_of(a: &Association, user: &str, recorded: Option<&Readiness>) -> (Readiness, Kept) {
    let c: Counts = a.counts;
    let mut not_run = NotRun::default();
    not_run.add(Reason::TimedOut, c.timed_out);
    not_run.add(Reason::Undeliverable, c.undeliverable);
    not_run.add(Reason::OtherStatus, c.other);
    let now = Readiness {
        association_id: a.id.clone(),
        association_version: a.version.clone(),
        user: user.to_string(),
        checked: c.success + c.failed + c.not_run(),
        missing: 0,
        missing_nodes: vec![],
        linux_or_macos: None,
        not_run,
        failed: c.failed,
        // Read where nodes fail (see `readiness`).
        document_version: None,
        last_run: a.last_run,
        read_run: None,
        reread_after: None,
        // Whether the association carries runas-guard's tag is the check's to say.
        tagged: false,
    };
    if c.running == 0 {
        return (now, Kept::No);
    }
    if let Some(r) = recorded.filter(|r| r.association_id == a.id && r.user == user) {
        return (r.clone(), Kept::Recorded);
    }
    match c.failed > 0 {
        true => (now, Kept::No),
        false => (
            Readiness {
                checked: 0,
                not_run: NotRun::default(),
                ..now
            },
            Kept::No,
        ),
    }
}

/// Whether [`verdict_of`] kept the recorded verdict (nothing more to read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    Recorded,
    No,
}

/// The failed nodes' verdicts, read one by one (up to the bound), added to
/// `now`: the script's line makes a missing user, anything else a check
/// that could not run, and failed nodes beyond the bound are not read.
/// A node whose agent was too old to pass the user fails the same way once
/// its agent is updated and it lacks the user (the same counts, the same
/// check): such a read awaits the run after this one ([`same_run`]), so an
/// updated agent's verdict is read within a run of the check.
pub fn tally(mut now: Readiness, mut read: Vec<NodeResult>) -> Readiness {
    read.sort_by(|a, b| a.node.cmp(&b.node));
    read.dedup_by(|a, b| a.node == b.node);
    for r in read.iter().take(MAX_NODE_IDS) {
        match classify(r, &now.user) {
            NodeVerdict::Missing => {
                now.missing += 1;
                now.missing_nodes.push(r.node.clone());
            }
            NodeVerdict::CouldNotRun(reason) => {
                now.not_run.add(reason, 1);
                now.not_run.read.push(NodeReason {
                    node: r.node.clone(),
                    reason,
                });
            }
            // Ran again since it failed: answered, not a finding.
            NodeVerdict::Present | NodeVerdict::Running => {}
        }
    }
    let read = read.len().min(MAX_NODE_IDS) as u64;
    now.not_run
        .add(Reason::NotRead, now.failed.saturating_sub(read));
    if now.not_run.reasons.contains_key(&Reason::AgentTooOld) {
        now.reread_after = now.last_run.or(now.reread_after);
    }
    now
}

/// Whether the failures `now` counts are those `recorded` read, so their
/// verdicts stand without a read: the same association and version, the
/// same check document version, the same user and the same counts, and no
/// run awaited since the document changed. The same counts alone are not
/// enough: a changed check document or association may fail on as many
/// nodes for another reason (a node the old check "could not run" on now
/// lacking the user). A run of an unchanged check on unchanged nodes is
/// the same; a row from before the document version was recorded is read
/// again once.
pub fn same_run(recorded: &Readiness, now: &Readiness) -> bool {
    let awaited = recorded
        .reread_after
        .is_some_and(|t| now.last_run.is_some_and(|l| l > t));
    recorded.association_id == now.association_id
        && recorded.association_version == now.association_version
        && recorded.document_version.is_some()
        && recorded.document_version == now.document_version
        && recorded.user == now.user
        && recorded.checked == now.checked
        && recorded.failed == now.failed
        && !awaited
}

/// The check document's version a run ran, when `now` is the run it was
/// read at: the same association and version, and the association has not
/// run since (`LastExecutionDate` is still the recorded `read_run`). A run
/// keeps the document it ran, so no read of the document is needed; a new
/// run (the schedule, a change, a new check document taking effect) moves
/// `last_run`, and then it is read.
pub fn version_of_read_run(recorded: Option<&Readiness>, now: &Readiness) -> Option<String> {
    let r = recorded?;
    let same = r.association_id == now.association_id
        && r.association_version == now.association_version
        && r.read_run.is_some()
        && r.read_run == now.last_run;
    r.document_version.clone().filter(|_| same)
}

/// After a read, whether the run after this one must be read again: the
/// check document changed since the last read, and the run read may be of
/// the old one (an association that runs `$DEFAULT` runs a new default at
/// its next run, not at once).
pub fn reread_after(recorded: Option<&Readiness>, now: &Readiness) -> Option<i64> {
    let changed = recorded.is_some_and(|r| {
        r.association_id == now.association_id
            && r.document_version.is_some()
            && r.document_version != now.document_version
    });
    changed.then_some(now.last_run).flatten()
}

/// The same failures as recorded: their verdicts stand (what was read one
/// by one, and how many were not), on top of today's counts.
pub fn reuse(mut now: Readiness, recorded: &Readiness) -> Readiness {
    now.reread_after = recorded.reread_after;
    now.missing = recorded.missing;
    now.missing_nodes = recorded.missing_nodes.clone();
    for n in &recorded.not_run.read {
        now.not_run.add(n.reason, 1);
        now.not_run.read.push(n.clone());
    }
    let not_read = recorded.not_run.reasons.get(&Reason::NotRead);
    now.not_run
        .add(Reason::NotRead, not_read.copied().unwrap_or(0));
    now
}

#[cfg(test)]
#[path = "found_tests.rs"]
pub(crate) mod tests;
