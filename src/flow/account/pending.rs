//! A vend before the member stack: an account that cannot be reached *yet*
//! (its member role cannot be assumed, or a region's check document is not
//! there) and joined the organization within the window is `pending`,
//! awaiting the member stack, not `failed`. The decisions are pure; the
//! one read they need (when the account joined) is made only when
//! something is missing.

use std::time::Duration;

use crate::domain::clock;
use crate::domain::life::{self, Cause, Since};
use crate::domain::outcome::{Action, RegionOutcome};

/// AssumeRole's answers when the role is not (yet) in the account.
const ROLE_MISSING: [&str; 3] = ["AccessDenied", "AccessDeniedException", "NoSuchEntity"];
/// CreateAssociation's answer when the check document is not (yet) there.
const DOCUMENT_MISSING: &str = "InvalidDocument";

/// What an account-region waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Awaiting {
    /// The member role (every region).
    Role(String),
    /// The check document in this region.
    CheckDocument(String),
}

impl Awaiting {
    pub fn describe(&self) -> String {
        match self {
            Awaiting::Role(role) => format!("the member role {role}"),
            Awaiting::CheckDocument(doc) => format!("the check document {doc}"),
        }
    }
}

/// Whether an AssumeRole failure is the member role not being there yet.
pub fn role_missing(code: &str) -> bool {
    ROLE_MISSING.contains(&code)
}

/// Whether a failed row is the check document not being there yet.
pub fn check_document_missing(o: &RegionOutcome, check: Option<&str>) -> Option<Awaiting> {
    let doc = o.document.as_deref()?;
    (o.action == Action::Failed
        && check == Some(doc)
        && o.error_code.as_deref() == Some(DOCUMENT_MISSING))
    .then(|| Awaiting::CheckDocument(doc.to_string()))
}

/// Whether an account that joined at `joined_ms` is still within the window
/// at `now_ms`. An unknown join time is not recent: better a page than a
/// silence that never ends.
pub fn within_window(joined_ms: Option<i64>, now_ms: i64, window: Duration) -> bool {
    life::waits(life::window_start(joined_ms, None), now_ms, window)
}

/// The row of an account-region that waits, since the start of its life
/// (its join, or a later enrolment).
pub fn pending(mut o: RegionOutcome, what: &Awaiting, since: Since) -> RegionOutcome {
    o.action = Action::Pending;
    o.error_code = Some("AwaitingMemberStack".into());
    o.error = Some(format!(
        "awaiting the member stack since {}: {} is not there yet",
        since.describe(),
        what.describe()
    ));
    o
}

/// What to check when the member stack's resources are not there and the
/// account is not (or no longer) waiting: appended to the failed row's
/// error, so the alert and `doctor --account` say the same. `since` is when
/// the account joined or was enrolled, when known: inside the window the
/// row would have been pending, so a known start means the window has
/// closed.
pub fn what_to_check(
    what: &Awaiting,
    region: &str,
    stack_set: &str,
    since: Option<Since>,
    window: Duration,
) -> String {
    let since = match since {
        Some(s) => format!(
            "the account {} {}, more than the {} a new account's member stack is awaited: ",
            match s.cause {
                Cause::Joined => "joined",
                Cause::Enrolled => "was enrolled (a baseline or a move)",
            },
            clock::iso(clock::from_millis(s.at_ms)),
            human(window)
        ),
        None => String::new(),
    };
    let check = match what {
        Awaiting::Role(_) => format!(
            "check that the member StackSet {stack_set} deploys to this account (automatic \
             deployment on, a target OU that contains the account) and that its instance in \
             the role's region (RoleRegion) succeeded; the role must trust the hub role"
        ),
        Awaiting::CheckDocument(_) => format!(
            "check that the member StackSet {stack_set} has a succeeded instance in {region} \
             with RunAsUserCheck=Enabled"
        ),
    };
    format!("{since}{} is not there; {check}", what.describe())
}

fn human(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s % 3600 / 60, s % 60) {
        (h, 0, 0) if h > 0 => format!("{h} h"),
        (0, m, 0) if m > 0 => format!("{m} min"),
        _ => format!("{s} s"),
    }
}

/// Seconds before re-attempt `attempt` (1-based); the last delay repeats.
pub fn delay(attempt: u32, delays: &[u64]) -> u64 {
    let i = (attempt.max(1) as usize - 1).min(delays.len().saturating_sub(1));
    delays.get(i).copied().unwrap_or(900)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_failures_wait() {
        for (code, waits) in [
            ("AccessDenied", true),
            ("AccessDeniedException", true),
            ("NoSuchEntity", true),
            ("ThrottlingException", false),
            ("", false),
            ("accessdenied", false),
        ] {
            assert_eq!(role_missing(code), waits, "{code}");
        }
        let row = |code: &str, doc: Option<&str>| RegionOutcome {
            document: doc.map(str::to_string),
            ..RegionOutcome::failed("eu-west-1", code, "x".into())
        };
        let check = Some("RunAsGuard-CheckRunAsUser");
        assert!(check_document_missing(&row("InvalidDocument", check), check).is_some());
        assert!(check_document_missing(&row("InvalidDocument", None), check).is_none());
        assert!(
            check_document_missing(&row("InvalidDocument", Some("SSMRunAs-Admin")), check)
                .is_none()
        );
        assert!(check_document_missing(&row("AccessDenied", check), check).is_none());
        assert!(check_document_missing(&row("InvalidDocument", check), None).is_none());
    }

    #[test]
    fn the_window() {
        let w = Duration::from_secs(7200);
        let now = 10_000_000_000;
        for (joined, inside) in [
            (Some(now), true),
            (Some(now - 7_200_000), true),
            (Some(now - 7_200_001), false),
            (Some(now + 5_000), true),
            (Some(i64::MIN), false),
            (None, false),
        ] {
            assert_eq!(within_window(joined, now, w), inside, "{joined:?}");
        }
    }

    #[test]
    fn delays_grow_then_repeat() {
        let d = [30, 60, 120, 240, 480, 900];
        let got: Vec<u64> = (0..9).map(|a| delay(a, &d)).collect();
        assert_eq!(got, [30, 30, 60, 120, 240, 480, 900, 900, 900]);
        assert_eq!(delay(u32::MAX, &d), 900);
        assert_eq!(delay(3, &[]), 900);
    }

    #[test]
    fn what_to_check_names_the_missing_piece_the_stack_set_and_the_window() {
        let role = Awaiting::Role("RunAsGuardExecution".into());
        let doc = Awaiting::CheckDocument("RunAsGuard-CheckRunAsUser".into());
        let h = Duration::from_secs(7200);
        for (what, joined, window, has) in [
            (
                &role,
                Some(0),
                h,
                &[
                    "the 2 h a new",
                    "1970-01-01T00:00:00",
                    "the member role RunAsGuardExecution",
                    "runas-guard-member",
                    "RoleRegion",
                ][..],
            ),
            (
                &role,
                None,
                h,
                &["the member role RunAsGuardExecution is not there; check"][..],
            ),
            (
                &doc,
                Some(1_000),
                Duration::from_secs(90),
                &[
                    "the 90 s a new",
                    "the check document RunAsGuard-CheckRunAsUser",
                    "instance in eu-west-1",
                    "RunAsUserCheck=Enabled",
                ][..],
            ),
            (
                &doc,
                Some(i64::MIN),
                Duration::from_secs(120),
                &["the 2 min a new", "1970-01-01"][..],
            ),
        ] {
            let since = joined.map(|at_ms| Since {
                at_ms,
                cause: Cause::Joined,
            });
            let text = what_to_check(what, "eu-west-1", "runas-guard-member", since, window);
            for part in has {
                assert!(text.contains(part), "{part:?} in {text}");
            }
            assert_eq!(
                text.contains("the account joined"),
                joined.is_some(),
                "{text}"
            );
        }
    }

    #[test]
    fn a_pending_row_says_what_and_since_when() {
        let o = pending(
            RegionOutcome::failed("eu-west-1", "AccessDenied", "no".into()),
            &Awaiting::Role("RunAsGuardExecution".into()),
            Since {
                at_ms: 0,
                cause: Cause::Joined,
            },
        );
        assert_eq!(o.action, Action::Pending);
        let e = o.error.unwrap();
        assert!(
            e.contains("1970-01-01T00:00:00") && e.contains("RunAsGuardExecution"),
            "{e}"
        );
    }
}
