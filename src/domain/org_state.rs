//! An account's standing in AWS Organizations, as AWS answers today (pure).
//!
//! AWS retired `Account.Status` on 2026-09-09 in favour of `State`
//! (`PENDING_ACTIVATION`, `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`,
//! `CLOSED`). Every decision about an account's standing reads `State`, and
//! `Status` only where `State` is absent. An account whose standing cannot
//! be read (neither field, or a value this build does not know) is
//! [`OrgState::Unreadable`]: an error that is told, never a skip.

use serde::Serialize;

use crate::domain::outcome::{AccountReport, Action, RegionOutcome};

/// The error code of a row whose account's standing could not be read.
pub const UNREADABLE_CODE: &str = "AccountStateUnreadable";
/// The error code of a row whose account is not activated yet.
pub const PENDING_ACTIVATION_CODE: &str = "AccountPendingActivation";

/// A value longer than this is not AWS's: it is cut when quoted.
const QUOTED_MAX: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum OrgState {
    Active,
    PendingActivation,
    Suspended,
    PendingClosure,
    Closed,
    /// What Organizations answered instead, said for on-call.
    Unreadable(String),
}

/// What a run does with an account in that standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Treatment {
    /// Reconciled as the policy says.
    Govern,
    /// Not usable yet: waits, like an account awaiting its member stack.
    Wait,
    /// Suspended or closing: skipped, the row naming the state.
    Skip,
    /// Its standing is unknown: a failed row and an alert.
    Error,
}

impl OrgState {
    /// `State` first; `Status` (the retired field) only where `State` is
    /// absent. Values are matched exactly, as AWS spells them.
    pub fn read(state: Option<&str>, status: Option<&str>) -> OrgState {
        match (state, status) {
            (Some(s), _) => OrgState::word(s)
                .unwrap_or_else(|| OrgState::Unreadable(format!("State {}", quoted(s)))),
            (None, Some(s)) => match s {
                "ACTIVE" => OrgState::Active,
                "SUSPENDED" => OrgState::Suspended,
                "PENDING_CLOSURE" => OrgState::PendingClosure,
                _ => OrgState::Unreadable(format!("no State, and Status {}", quoted(s))),
            },
            (None, None) => OrgState::Unreadable("neither State nor Status".into()),
        }
    }

    /// One of `State`'s five words; `None` for anything else.
    pub fn word(s: &str) -> Option<OrgState> {
        Some(match s {
            "ACTIVE" => OrgState::Active,
            "PENDING_ACTIVATION" => OrgState::PendingActivation,
            "SUSPENDED" => OrgState::Suspended,
            "PENDING_CLOSURE" => OrgState::PendingClosure,
            "CLOSED" => OrgState::Closed,
            _ => return None,
        })
    }

    /// `State`'s word, or `UNREADABLE`.
    pub fn as_str(&self) -> &'static str {
        match self {
            OrgState::Active => "ACTIVE",
            OrgState::PendingActivation => "PENDING_ACTIVATION",
            OrgState::Suspended => "SUSPENDED",
            OrgState::PendingClosure => "PENDING_CLOSURE",
            OrgState::Closed => "CLOSED",
            OrgState::Unreadable(_) => "UNREADABLE",
        }
    }

    pub fn is_active(&self) -> bool {
        *self == OrgState::Active
    }

    pub fn treatment(&self) -> Treatment {
        match self {
            OrgState::Active => Treatment::Govern,
            OrgState::PendingActivation => Treatment::Wait,
            OrgState::Suspended | OrgState::PendingClosure | OrgState::Closed => Treatment::Skip,
            OrgState::Unreadable(_) => Treatment::Error,
        }
    }

    /// One sentence for a row, a log line or `doctor`.
    pub fn describe(&self) -> String {
        match self {
            OrgState::Unreadable(what) => format!(
                "its standing in Organizations cannot be read (the account answered {what}; expected State ACTIVE, PENDING_ACTIVATION, SUSPENDED, PENDING_CLOSURE or CLOSED)"
            ),
            OrgState::PendingActivation => "account state PENDING_ACTIVATION: configured once Organizations says ACTIVE".into(),
            other => format!("account state {}", other.as_str()),
        }
    }
}

/// The rows of an account a run does not reconcile for its standing: it
/// waits (pending activation), is skipped with the state's word, or fails
/// (unreadable). `None` for an active account.
pub fn report(
    state: &OrgState,
    account: &str,
    name: &str,
    regions: &[String],
) -> Option<AccountReport> {
    let why = state.describe();
    let row = |r: &str| -> RegionOutcome {
        let skipped = |a| RegionOutcome::skipped(r, a, Some(why.clone()));
        match state {
            OrgState::Active => unreachable!("an active account has no state rows"),
            OrgState::PendingActivation => RegionOutcome {
                error_code: Some(PENDING_ACTIVATION_CODE.into()),
                ..skipped(Action::Pending)
            },
            OrgState::Suspended => skipped(Action::AccountSuspended),
            OrgState::PendingClosure => skipped(Action::AccountPendingClosure),
            OrgState::Closed => skipped(Action::AccountClosed),
            OrgState::Unreadable(_) => RegionOutcome::failed(r, UNREADABLE_CODE, why.clone()),
        }
    };
    (!state.is_active()).then(|| AccountReport::uniform(account, name, regions, row))
}

/// A value as AWS sent it, quoted, control characters escaped, cut short.
fn quoted(s: &str) -> String {
    let cut: String = s.chars().take(QUOTED_MAX).collect();
    let more = if s.chars().count() > QUOTED_MAX {
        "…"
    } else {
        ""
    };
    format!("{cut:?}{more}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_is_read_first_and_status_only_without_it() {
        use OrgState::*;
        let cases: &[(Option<&str>, Option<&str>, OrgState, Treatment)] = &[
            // AWS today: State only.
            (Some("ACTIVE"), None, Active, Treatment::Govern),
            (
                Some("PENDING_ACTIVATION"),
                None,
                PendingActivation,
                Treatment::Wait,
            ),
            (Some("SUSPENDED"), None, Suspended, Treatment::Skip),
            (
                Some("PENDING_CLOSURE"),
                None,
                PendingClosure,
                Treatment::Skip,
            ),
            (Some("CLOSED"), None, Closed, Treatment::Skip),
            // Both (moto, AWS before the retirement): State decides.
            (Some("ACTIVE"), Some("ACTIVE"), Active, Treatment::Govern),
            (Some("ACTIVE"), Some("SUSPENDED"), Active, Treatment::Govern),
            (Some("CLOSED"), Some("ACTIVE"), Closed, Treatment::Skip),
            (
                Some("PENDING_ACTIVATION"),
                Some("ACTIVE"),
                PendingActivation,
                Treatment::Wait,
            ),
            // Status alone (an old answer).
            (None, Some("ACTIVE"), Active, Treatment::Govern),
            (None, Some("SUSPENDED"), Suspended, Treatment::Skip),
            (
                None,
                Some("PENDING_CLOSURE"),
                PendingClosure,
                Treatment::Skip,
            ),
        ];
        for (state, status, want, treatment) in cases {
            let got = OrgState::read(*state, *status);
            assert_eq!(&got, want, "{state:?} {status:?}");
            assert_eq!(got.treatment(), *treatment, "{state:?} {status:?}");
            assert_eq!(got.is_active(), *treatment == Treatment::Govern);
        }
    }

    #[test]
    fn anything_else_is_unreadable_and_an_error_never_a_skip() {
        let long = "X".repeat(5_000);
        let cases: &[(Option<&str>, Option<&str>, &str)] = &[
            (None, None, "neither State nor Status"),
            (Some(""), None, "State \"\""),
            (Some("active"), Some("ACTIVE"), "State \"active\""),
            (Some(" ACTIVE"), None, "State \" ACTIVE\""),
            (Some("ACTIVE\n"), None, "State \"ACTIVE\\n\""),
            (Some("FROZEN"), Some("ACTIVE"), "State \"FROZEN\""),
            (Some("UNKNOWN"), None, "State \"UNKNOWN\""),
            (None, Some("UNKNOWN"), "Status \"UNKNOWN\""),
            (None, Some("CLOSED"), "Status \"CLOSED\""),
            (None, Some(""), "Status \"\""),
            (Some("\u{202e}ACTIVE"), None, "State \"\\u{202e}ACTIVE\""),
        ];
        for (state, status, said) in cases {
            let got = OrgState::read(*state, *status);
            assert_eq!(got.treatment(), Treatment::Error, "{state:?} {status:?}");
            assert_eq!(got.as_str(), "UNREADABLE");
            assert!(!got.is_active());
            let d = got.describe();
            assert!(d.contains(said), "{d}");
            assert!(d.contains("cannot be read"), "{d}");
        }
        let d = OrgState::read(Some(&long), None).describe();
        assert!(d.len() < 400 && d.contains('…'), "{d}");
    }

    #[test]
    fn rows_wait_skip_with_the_word_or_fail_with_the_code() {
        let regions = ["us-east-1".to_string(), "eu-west-1".to_string()];
        let cases = [
            (
                OrgState::PendingActivation,
                "pending",
                Some(PENDING_ACTIVATION_CODE),
                "PENDING_ACTIVATION",
            ),
            (OrgState::Suspended, "account-suspended", None, "SUSPENDED"),
            (
                OrgState::PendingClosure,
                "account-pending-closure",
                None,
                "PENDING_CLOSURE",
            ),
            (OrgState::Closed, "account-closed", None, "CLOSED"),
            (
                OrgState::read(None, None),
                "failed",
                Some(UNREADABLE_CODE),
                "neither State nor Status",
            ),
        ];
        for (state, action, code, said) in cases {
            let r = report(&state, "111122223333", "n", &regions).unwrap();
            assert_eq!(r.regions.len(), 2);
            for row in &r.regions {
                assert_eq!(row.action.as_str(), action, "{state:?}");
                assert_eq!(row.error_code.as_deref(), code, "{state:?}");
                assert!(row.error.as_deref().unwrap().contains(said), "{row:?}");
            }
            assert_eq!(r.failed(), action == "failed");
        }
        assert!(report(&OrgState::Active, "111122223333", "n", &regions).is_none());
    }

    #[test]
    fn every_word_reads_back_and_rows_say_it() {
        for w in [
            "ACTIVE",
            "PENDING_ACTIVATION",
            "SUSPENDED",
            "PENDING_CLOSURE",
            "CLOSED",
        ] {
            let s = OrgState::word(w).unwrap();
            assert_eq!(s.as_str(), w);
            assert_eq!(OrgState::read(Some(w), None), s);
            assert!(s.describe().contains(w), "{}", s.describe());
        }
        assert_eq!(OrgState::word("UNREADABLE"), None);
        assert_eq!(OrgState::word("NOT_IN_ORGANIZATION"), None);
    }
}
