//! What a run did in one account-region, as its outcome and its log say.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    #[default]
    None,
    Created,
    Updated,
    DefaultSwitched,
    WouldChange,
    Failed,
    Excluded,
    RegionDisabled,
    AccountSuspended,
    /// Not reachable yet: the account joined recently and its member stack
    /// (role, check document) has not landed. Neither a failure nor done.
    Pending,
    /// Another run held this account-region's write lease while this run held
    /// others in the account: left to that run, which writes and records it
    /// (waiting could deadlock two runs that each hold what the other waits for).
    Deferred,
    /// Outside the policy's `[scope]`: never assumed into, written,
    /// recorded or alerted; reports count it.
    OutOfScope,
    /// Organizations says `PENDING_CLOSURE`: skipped, like a suspended one.
    AccountPendingClosure,
    /// Organizations says `CLOSED`: skipped.
    AccountClosed,
}

impl Action {
    pub const ALL: [Action; 14] = [
        Action::None,
        Action::Created,
        Action::Updated,
        Action::DefaultSwitched,
        Action::WouldChange,
        Action::Failed,
        Action::Excluded,
        Action::RegionDisabled,
        Action::AccountSuspended,
        Action::Pending,
        Action::Deferred,
        Action::OutOfScope,
        Action::AccountPendingClosure,
        Action::AccountClosed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::None => "none",
            Action::Created => "created",
            Action::Updated => "updated",
            Action::DefaultSwitched => "default-switched",
            Action::WouldChange => "would-change",
            Action::Failed => "failed",
            Action::Excluded => "excluded",
            Action::RegionDisabled => "region-disabled",
            Action::AccountSuspended => "account-suspended",
            Action::Pending => "pending",
            Action::Deferred => "deferred",
            Action::OutOfScope => "out-of-scope",
            Action::AccountPendingClosure => "account-pending-closure",
            Action::AccountClosed => "account-closed",
        }
    }

    pub fn wrote(self) -> bool {
        matches!(
            self,
            Action::Created | Action::Updated | Action::DefaultSwitched
        )
    }

    /// Whether a row that ended so is logged at ERROR: only a failure, so that an
    /// alarm on ERROR lines means act now. A row awaiting its member stack
    /// (`pending`, a vend in progress) is logged like any other outcome (INFO).
    pub fn logs_as_error(self) -> bool {
        self == Action::Failed
    }
}
