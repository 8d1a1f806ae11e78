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
    /// The record leaves `default_version` as it was ([`VersionRecord::Keep`]):
    /// a failed run never moves how far the history was judged.
    pub keeps_version: bool,
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
    /// The default version this run found out of policy and judged (told
    /// or put back): a default switched back to it, whose event's run comes
    /// later, was judged then (`domain::version_gap::with_switch_back`).
    pub judged_default: Option<String>,
    /// The default judged out of policy (its version number) whose window
    /// this run's own event opened, and when: the event switched the
    /// default to it. It had been replaced before, so this judgement covers
    /// no earlier switch to it (`domain::version_gap::with_switch_back`).
    pub judged_opened: Option<(u64, i64)>,
    /// The latest version when the run recorded (its own write, or the
    /// latest it found): every version up to it was judged, so the next
    /// gap starts above it even when the default was switched back below
    /// it (`domain::version_gap::judged_up_to`).
    pub latest_version: Option<String>,
    /// The default switch this failed run's event named, kept on the record
    /// for the next run to judge (`domain::version_gap::kept`), and the kept
    /// one this run judged, let go.
    pub keeps_switch: Option<crate::domain::kept_switch::Kept>,
    pub switch_done: Vec<u64>,
}

impl Observation {
    /// The item's key after `REGION#` (see [`crate::domain::outcome::slot`]).
    pub fn slot(&self) -> String {
        crate::domain::outcome::slot(&self.region, self.document.as_deref())
    }
}

/// An audit finding this run tells first: the mark its keep writes on the
/// slot's item (`drift_seen_*`), conditional on no other trigger's mark of
/// the same finding, in the transaction that keeps its alert. Until 0.19.0
/// the mark was claimed on its own before the alert was decided, and a run
/// whose keep then failed left a mark that kept every later run quiet
/// about a finding no one told (simulation seed 900206).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftMark {
    pub account: String,
    pub slot: String,
    pub trigger_id: String,
    pub seen: Seen,
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

/// What a record of a slot writes as its default version: how far the
/// document's history has been judged. The next run reads the versions made
/// after it ([`crate::domain::version_gap::gap`]), so a record that moves it
/// past a version no run judged loses that version's window for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionRecord {
    /// The run judged the document up to the default it found: recorded.
    Advance,
    /// The run failed: whatever it saw (a `root` default whose latest it
    /// could not read, a put-back refused), it judged nothing, so the
    /// version recorded before stays and the next run reads the versions
    /// after it (issue 61: never record past what was not judged).
    Keep,
    /// No version found and nothing failed (a document not there, a row
    /// awaiting its member stack): the item says what is there now.
    Forget,
}

/// [`VersionRecord`] of one row: its action and the default version found.
pub fn version_record(
    action: crate::domain::outcome::Action,
    found: Option<&str>,
) -> VersionRecord {
    match (action, found) {
        (crate::domain::outcome::Action::Failed, _) => VersionRecord::Keep,
        (_, Some(_)) => VersionRecord::Advance,
        (_, None) => VersionRecord::Forget,
    }
}

/// When an event's run records its results, against the keep of its
/// alerts in the outbox (since 0.7.2). A record (the new default version)
/// ends every later run's gap after it: it never lands past a window whose
/// alert no keep holds. Kept (or nothing to keep): recorded at once. The
/// keep refused past its retries: recorded once every copy is published,
/// else not at all, and the run fails so its retry (whose alerts have the
/// same ids: a keep that landed with its answer lost sends nothing new)
/// records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordStep {
    Record,
    AfterPublishing,
    NotRecorded,
}

/// [`RecordStep`] by whether the run decided alerts of its own, whether
/// their keep landed, and, once published, whether every copy went out.
pub fn record_step(decided: bool, kept: bool, published_all: Option<bool>) -> RecordStep {
    match (decided && !kept, published_all) {
        (false, _) | (true, Some(true)) => RecordStep::Record,
        (true, None) => RecordStep::AfterPublishing,
        (true, Some(false)) => RecordStep::NotRecorded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::outcome::Action;

    #[test]
    fn a_record_never_lands_past_alerts_neither_kept_nor_published() {
        use RecordStep::{AfterPublishing, NotRecorded, Record};
        // (decided alerts, kept, every copy published (None: not yet), step)
        let cases = [
            (false, false, None, Record),
            (false, true, None, Record),
            (false, false, Some(false), Record),
            (true, true, None, Record),
            (true, true, Some(false), Record),
            // The keep refused (traced: simulation seed 61): wait for the topic.
            (true, false, None, AfterPublishing),
            (true, false, Some(true), Record),
            (true, false, Some(false), NotRecorded),
        ];
        for (decided, kept, published, want) in cases {
            assert_eq!(
                record_step(decided, kept, published),
                want,
                "decided {decided} kept {kept} published {published:?}"
            );
        }
    }

    /// Every action, with and without a version found: only a failure keeps
    /// the version recorded before, even when it read a (root) default.
    #[test]
    fn a_failed_record_never_moves_the_judged_version() {
        for action in Action::ALL {
            for found in [Some("7"), Some(""), Some("not-a-number"), None] {
                let want = match (action, found) {
                    (Action::Failed, _) => VersionRecord::Keep,
                    (_, Some(_)) => VersionRecord::Advance,
                    (_, None) => VersionRecord::Forget,
                };
                assert_eq!(version_record(action, found), want, "{action:?} {found:?}");
            }
        }
        // The traced shape (simulation seed 5): a sweep read default 2 (root),
        // its read of the latest failed; its record keeps what was judged.
        assert_eq!(
            version_record(Action::Failed, Some("2")),
            VersionRecord::Keep
        );
        assert_eq!(
            version_record(Action::None, Some("3")),
            VersionRecord::Advance
        );
        assert_eq!(version_record(Action::Pending, None), VersionRecord::Forget);
    }
}
