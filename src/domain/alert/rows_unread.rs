//! A run that could not read what it needs to judge a document's history
//! (pure). Either the one Query of the account's rows failed (throttled past
//! the SDK's retries, a timeout, a 5xx): the run cannot tell someone's
//! change from a first look, nor where the versions it has not judged
//! begin, and a put-back it judged "no change" would reach nobody, nor
//! would the next sweep (it finds the document right). Or a past version's
//! `GetDocument` failed: the version that held Run As out of policy may be
//! that one. Whatever the run records next (the new default version) ends
//! every later run's gap after it: never record past what was not judged
//! without telling it. Fail toward telling.

use crate::domain::trigger::{Trigger, TriggerKind};

/// What could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unread {
    /// The account's rows (the table's record of each slot).
    Rows,
    /// A past version of a governed document, in the gap since the record.
    Version,
}

/// What such a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnRowsUnread {
    /// Go on: nothing of the history is at stake (a new account's first
    /// configuration is `account_configured`; not an account's run).
    Proceed,
    /// Fail before any write and any record, so the retry (Lambda's, or
    /// the queue's) judges with the rows and tells whatever it puts back;
    /// one that keeps failing ends in the dead-letter queue, whose alarm
    /// tells it.
    Fail,
    /// Go on (a put-back is never held back for a history) and tell what
    /// was not judged in the `run_as_window` alert: the versions, their
    /// span, the editor where the trigger names one, and the read that
    /// failed. Without the rows, each slot's own item is read for its
    /// record ([`history_from`]); only where that fails too are the
    /// versions before the latest read back to the bound and any out of
    /// policy told as windows (one may have been told before), the older
    /// ones named as not judged.
    Tell,
}

/// How one slot's record was read: by the account's rows (one Query), or,
/// when that Query failed, by the slot's own item (one `GetItem`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// The table records the slot.
    Recorded,
    /// The read answered: no record of the slot (a first look).
    Absent,
    /// The read failed (or, for the item, was not tried).
    Failed,
}

/// Where a document row's history is judged from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryFrom {
    /// The slot's record: the versions since it, told once (claimed on the
    /// item while it still records that version), so a window an earlier
    /// run told is never told again.
    Record,
    /// No record: a first look, no history to judge.
    Nothing,
    /// No record could be read: the versions before the latest, back to
    /// the bound, told unclaimed with the read that failed (a window told
    /// before may be told again: better twice than never).
    Bound,
}

/// Where a row's history starts, from the account's rows (`rows`; `Failed`
/// only where [`on_rows_unread`] says `Tell`) and, when they failed, the
/// slot's own item (`item`, read then: the item is what the rows hold of
/// the slot, and a Query's failure is not its item's). Reading back to the
/// bound is the last resort: without a record, every out-of-policy version
/// found is told, those an earlier run told included.
pub fn history_from(rows: Read, item: Read) -> HistoryFrom {
    match (rows, item) {
        (Read::Recorded, _) | (Read::Failed, Read::Recorded) => HistoryFrom::Record,
        (Read::Absent, _) | (Read::Failed, Read::Absent) => HistoryFrom::Nothing,
        (Read::Failed, Read::Failed) => HistoryFrom::Bound,
    }
}

/// The rule, by what was not read and by trigger: [`on_rows_unread`] for
/// the rows; a past version is told by every trigger (the versions are
/// known by number, and a sweep has no retry to judge them).
pub fn on_unread(t: &Trigger, reattempt: bool, what: Unread) -> OnRowsUnread {
    match what {
        Unread::Rows => on_rows_unread(t, reattempt),
        Unread::Version => OnRowsUnread::Tell,
    }
}

/// The rule, by trigger. A member-stack update, a baseline, a move, a
/// Control Tower `UpdateManagedAccount` and a vend's re-attempt put back
/// what no event of theirs brought: only the rows tell that apart from a
/// first look, so they fail. `reattempt`: the job is a vend's re-attempt.
pub fn on_rows_unread(t: &Trigger, reattempt: bool) -> OnRowsUnread {
    let first_configuration = matches!(
        t.event_name.as_deref(),
        Some("CreateAccountResult" | "CreateManagedAccount" | "AccountJoinedOrganization")
    );
    match t.kind {
        // An edit event puts back at once (its alert names the editor),
        // and what it cannot judge is told: the root window that only the
        // rows reveal. A sweep holds its rows (it never reads them here).
        TriggerKind::DocumentChanged | TriggerKind::Sweep => OnRowsUnread::Tell,
        TriggerKind::AccountVended if first_configuration && !reattempt => OnRowsUnread::Proceed,
        TriggerKind::AccountVended
        | TriggerKind::AccountMoved
        | TriggerKind::MemberStackLanded
        | TriggerKind::BaselineApplied => OnRowsUnread::Fail,
        // Not an account's run: nothing of theirs reads these rows.
        TriggerKind::RunAsOverride
        | TriggerKind::SessionDocumentChanged
        | TriggerKind::ForwardingCanary
        | TriggerKind::Ignored => OnRowsUnread::Proceed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rows_query_that_fails_judges_from_the_slots_own_item_before_the_bound() {
        use HistoryFrom::{Bound, Nothing, Record};
        use Read::{Absent, Failed, Recorded};
        let cases = [
            // The rows read: their record decides; the item is never read.
            (Recorded, Failed, Record),
            (Recorded, Absent, Record),
            (Recorded, Recorded, Record),
            (Absent, Failed, Nothing),
            (Absent, Recorded, Nothing),
            (Absent, Absent, Nothing),
            // The Query failed: the item read alone is the record...
            (Failed, Recorded, Record),
            // ...or says there is none (a first look, nothing re-told)...
            (Failed, Absent, Nothing),
            // ...and only when it failed too, back to the bound.
            (Failed, Failed, Bound),
        ];
        for (rows, item, want) in cases {
            assert_eq!(
                history_from(rows, item),
                want,
                "rows {rows:?} item {item:?}"
            );
        }
    }

    fn trigger(kind: TriggerKind, event_name: Option<&str>) -> Trigger {
        Trigger {
            kind,
            account: Some("111122223333".into()),
            region: None,
            actor: None,
            event_id: "t-1".into(),
            source: "test".into(),
            event_name: event_name.map(str::to_string),
            reason: "test".into(),
            context: crate::domain::trigger::Context::default(),
        }
    }

    #[test]
    fn a_run_that_puts_back_what_no_event_of_its_own_brought_fails_without_its_rows() {
        use OnRowsUnread::{Fail, Proceed, Tell};
        use TriggerKind::*;
        let cases: &[(TriggerKind, Option<&str>, bool, OnRowsUnread)] = &[
            (DocumentChanged, Some("UpdateDocument"), false, Tell),
            (
                DocumentChanged,
                Some("UpdateDocumentDefaultVersion"),
                false,
                Tell,
            ),
            (Sweep, None, false, Tell),
            (AccountVended, Some("CreateAccountResult"), false, Proceed),
            (AccountVended, Some("CreateManagedAccount"), false, Proceed),
            (
                AccountVended,
                Some("AccountJoinedOrganization"),
                false,
                Proceed,
            ),
            (AccountVended, Some("CreateAccountResult"), true, Fail),
            (AccountVended, Some("UpdateManagedAccount"), false, Fail),
            // A name runas-guard does not know is judged the careful way.
            (AccountVended, Some("createaccountresult"), false, Fail),
            (AccountVended, None, false, Fail),
            (AccountMoved, Some("MoveAccount"), false, Fail),
            (MemberStackLanded, None, false, Fail),
            (BaselineApplied, Some("EnableBaseline"), false, Fail),
            (RunAsOverride, Some("TagRole"), false, Proceed),
            (
                SessionDocumentChanged,
                Some("UpdateDocument"),
                false,
                Proceed,
            ),
            (ForwardingCanary, None, false, Proceed),
            (Ignored, None, false, Proceed),
        ];
        for (kind, name, reattempt, want) in cases {
            let t = trigger(*kind, *name);
            assert_eq!(
                on_unread(&t, *reattempt, Unread::Rows),
                *want,
                "{kind:?} {name:?} reattempt={reattempt}"
            );
            // A past version that could not be read is told by every
            // trigger: it is known by number, whoever found the gap.
            assert_eq!(on_unread(&t, *reattempt, Unread::Version), Tell, "{kind:?}");
        }
        // Every trigger kind is in the table.
        for (kind, ..) in cases {
            // A kind added to TriggerKind fails to compile here until the
            // table has a row for it.
            match kind {
                AccountVended
                | DocumentChanged
                | AccountMoved
                | Sweep
                | RunAsOverride
                | SessionDocumentChanged
                | MemberStackLanded
                | BaselineApplied
                | ForwardingCanary
                | Ignored => {}
            }
        }
        let all = [
            AccountVended,
            DocumentChanged,
            AccountMoved,
            Sweep,
            RunAsOverride,
            SessionDocumentChanged,
            MemberStackLanded,
            BaselineApplied,
            ForwardingCanary,
            Ignored,
        ];
        for kind in all {
            assert!(
                cases.iter().any(|c| c.0 == kind),
                "{kind:?} not in the table"
            );
        }
    }
}
