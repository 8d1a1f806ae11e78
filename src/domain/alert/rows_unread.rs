//! A run that could not read what the table recorded of its account (the
//! one Query of its rows failed: throttled past the SDK's retries, a
//! timeout, a 5xx) cannot tell someone's change from a first look, and a
//! put-back it judged "no change" would reach nobody, nor would the next
//! sweep (it finds the document right). Fail toward telling (pure).

use crate::domain::trigger::{Trigger, TriggerKind};

/// What such a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnRowsUnread {
    /// Go on: what it writes is told without the rows (an edit event's
    /// put-back names its editor; a new account's first configuration is
    /// `account_configured`).
    Proceed,
    /// Fail before any write, so the retry (Lambda's, or the queue's)
    /// judges with the rows and tells whatever it puts back.
    Fail,
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
        TriggerKind::DocumentChanged | TriggerKind::Sweep => OnRowsUnread::Proceed,
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
        use OnRowsUnread::{Fail, Proceed};
        use TriggerKind::*;
        let cases: &[(TriggerKind, Option<&str>, bool, OnRowsUnread)] = &[
            (DocumentChanged, Some("UpdateDocument"), false, Proceed),
            (Sweep, None, false, Proceed),
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
            (Ignored, None, false, Proceed),
        ];
        for (kind, name, reattempt, want) in cases {
            assert_eq!(
                on_rows_unread(&trigger(*kind, *name), *reattempt),
                *want,
                "{kind:?} {name:?} reattempt={reattempt}"
            );
        }
    }
}
