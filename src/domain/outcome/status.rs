//! The recorded status of an account-region, decided from what a run did.

use serde::Serialize;

use super::{Action, RegionOutcome};

/// What the state item says about an account-region (docs/design.md "State").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Compliant,
    Remediated,
    Reverted,
    Noncompliant,
    Failed,
    Excluded,
    Pending,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Compliant => "compliant",
            Status::Remediated => "remediated",
            Status::Reverted => "reverted",
            Status::Noncompliant => "noncompliant",
            Status::Failed => "failed",
            Status::Excluded => "excluded",
            Status::Pending => "pending",
        }
    }

    /// A write that undid someone's edit is a revert; any other write
    /// (a vend, a sweep, a move) remediates.
    pub fn of(o: &RegionOutcome, user: &str, document_event: bool) -> Status {
        match o.action {
            // Never recorded (see `commit::records`); as the holder found it.
            Action::None | Action::Deferred => Status::Compliant,
            Action::WouldChange => Status::Noncompliant,
            Action::Failed => Status::Failed,
            Action::Pending => Status::Pending,
            Action::Excluded
            | Action::RegionDisabled
            | Action::AccountSuspended
            | Action::AccountPendingClosure
            | Action::AccountClosed
            | Action::OutOfScope => Status::Excluded,
            Action::Created | Action::Updated | Action::DefaultSwitched => {
                // A put-back after an edit that left Run As as recorded is
                // the policy's change reaching the slot, not a revert.
                let policy = matches!(o.change, Some(super::Change::Policy { .. }));
                if document_event && o.was_noncompliant(user) && !policy {
                    Status::Reverted
                } else {
                    Status::Remediated
                }
            }
        }
    }
}
