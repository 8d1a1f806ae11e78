//! Whether nodes that lack the Run As user have their sessions refused now
//! (or at the next run), or only would once Run As is turned on there
//! (pure). It decides whether `run_as_user_missing` means "act now"
//! (`error`) or is a planned rollout's finding (`warning`: audit, or
//! `enforce-when-ready` holding the region), and whether `doctor --account`
//! fails or warns.

use serde::Serialize;

use crate::domain::outcome::{Action, RegionOutcome};
use crate::domain::policy::Mode;

/// What one document says of Run As for the user the check looks up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunAsNow {
    /// Run As on, as that user: the agent runs `id` for it on every session.
    On,
    /// Off, another user, or no document.
    Off,
    /// Not known: the document could not be read or written, or another
    /// run is writing it.
    Unknown,
}

/// Whether sessions on nodes lacking the user are refused in a region whose
/// document says `now` and whose rules give `mode` (`held`: an
/// `enforce-when-ready` whose change the check's verdict holds back). Run As on is a
/// refusal whatever the mode (an audit region whose document someone turned
/// on refuses too). A document the policy enforces is on, or will be at the
/// next run, so it refuses too unless held; a row without a mode (a dead
/// run's adopted write) counts as enforced, as everywhere else.
pub fn refused(now: RunAsNow, mode: Option<Mode>, held: bool) -> bool {
    now == RunAsNow::On || enforcing(mode, held)
}

/// Whether the policy turns Run As on in a slot of `mode` now: `enforce`,
/// or `enforce-when-ready` that the check's verdict does not hold; a slot
/// without a mode counts as enforced. Audit and held slots are a rollout's,
/// where findings are expected.
pub fn enforcing(mode: Option<Mode>, held: bool) -> bool {
    match mode {
        None | Some(Mode::Enforce) => true,
        Some(Mode::EnforceWhenReady) => !held,
        Some(Mode::Audit) => false,
    }
}

/// `doctor --account`, between runs: whether sessions are refused on the
/// nodes of a region where the check failed, from what its documents say
/// now and the modes the policy gives the documents whose user the check
/// looks up. A node that fails the check keeps an `enforce-when-ready`
/// document held, so of the modes only `enforce` turns Run As on.
pub fn refused_between_runs(now: RunAsNow, modes: &[Mode]) -> bool {
    now == RunAsNow::On
        || modes
            .iter()
            .any(|m| refused(now, Some(*m), *m == Mode::EnforceWhenReady))
}

/// One region's answer, with what the alert carries beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// Sessions on the nodes lacking the user are refused.
    pub refused: bool,
    /// `SSM-SessionManagerRunShell`'s mode as the rules give it (the first
    /// governed document's where that one has no row).
    pub mode: Option<Mode>,
    /// Why `enforce-when-ready` holds its change back there, when it does.
    pub held: Option<String>,
}

/// What one document row says of Run As for `user` after its run. In audit
/// (or held) `after` is what the document *would* become, so it says
/// nothing of now: the row was found other than that.
fn run_as_now(o: &RegionOutcome, user: &str) -> Option<RunAsNow> {
    let on = |o: &RegionOutcome| o.after.as_ref().is_some_and(|a| a.is_compliant(user));
    match o.action {
        Action::WouldChange => Some(RunAsNow::Off),
        Action::None | Action::Created | Action::Updated | Action::DefaultSwitched => {
            Some(if on(o) { RunAsNow::On } else { RunAsNow::Off })
        }
        Action::Failed | Action::Deferred => Some(RunAsNow::Unknown),
        // Skipped, waiting or out of scope: no document of this run.
        _ => None,
    }
}

/// Whether one document row refuses sessions on nodes lacking `user`. A
/// `[[document]]` of another user looks that user up, not this one.
fn row_refuses(o: &RegionOutcome, user: &str) -> bool {
    if o.desired_user.as_deref().is_some_and(|u| u != user) {
        return false;
    }
    run_as_now(o, user).is_some_and(|now| refused(now, o.mode, o.held.is_some()))
}

/// Whether sessions are refused in `region` on nodes lacking `user`, from
/// the run's document rows there (the check's own row is not one). A
/// region with no document row refuses: better an `error` that turns out
/// early than a `warning` about sessions already refused.
pub fn of_region(rows: &[RegionOutcome], region: &str, user: &str) -> Refusal {
    let documents: Vec<&RegionOutcome> = rows
        .iter()
        .filter(|o| o.region == region && o.nodes.is_none())
        .collect();
    let shown = documents
        .iter()
        .find(|o| o.document.is_none())
        .or(documents.first());
    let refused = documents.is_empty() || documents.iter().any(|o| row_refuses(o, user));
    Refusal {
        refused,
        mode: shown.and_then(|o| o.mode),
        held: shown.and_then(|o| o.held.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::preferences::RunAs;
    use serde_json::Value;

    fn run_as(enabled: Value, user: &str) -> Option<RunAs> {
        Some(RunAs {
            enabled: Some(enabled),
            user: Some(Value::String(user.into())),
        })
    }

    fn row(action: Action, after: Option<RunAs>, mode: Option<Mode>, held: bool) -> RegionOutcome {
        RegionOutcome {
            after,
            mode,
            held: held.then(|| "held until ready: user ops missing on 1 of 2 nodes".into()),
            ..RegionOutcome::skipped("eu-west-1", action, None)
        }
    }

    #[test]
    fn on_refuses_in_any_mode_and_enforcing_refuses_unless_held() {
        use Mode::*;
        use RunAsNow::*;
        // (what the document says, mode, held, refused)
        let cases = [
            (On, Some(Enforce), false, true),
            (On, Some(Audit), false, true),
            (On, Some(EnforceWhenReady), false, true),
            (Off, Some(Enforce), false, true),
            (Unknown, Some(Enforce), false, true),
            (Unknown, None, false, true),
            (Off, None, false, true),
            (Off, Some(Audit), false, false),
            (Unknown, Some(Audit), false, false),
            (Off, Some(EnforceWhenReady), true, false),
            (Unknown, Some(EnforceWhenReady), true, false),
            (Off, Some(EnforceWhenReady), false, true),
            // "held" on an audit or enforce row is no hold of the gate's
            // making; audit stays audit, enforce stays enforce.
            (Off, Some(Audit), true, false),
            (Off, Some(Enforce), true, true),
        ];
        for (now, mode, held, want) in cases {
            assert_eq!(refused(now, mode, held), want, "{now:?} {mode:?} {held}");
        }
    }

    #[test]
    fn a_regions_rows_say_whether_its_sessions_are_refused() {
        use Mode::*;
        let on = || run_as(Value::Bool(true), "ops");
        let would = || run_as(Value::Bool(true), "ops");
        // (rows of eu-west-1, refused, mode shown, held shown)
        let cases: Vec<(Vec<RegionOutcome>, bool, Option<Mode>, bool)> = vec![
            // enforce: written on, or already on.
            (
                vec![row(Action::Updated, on(), Some(Enforce), false)],
                true,
                Some(Enforce),
                false,
            ),
            (
                vec![row(Action::None, on(), Some(Enforce), false)],
                true,
                Some(Enforce),
                false,
            ),
            // audit: `after` is what it would become, never what it is.
            (
                vec![row(Action::WouldChange, would(), Some(Audit), false)],
                false,
                Some(Audit),
                false,
            ),
            // audit, yet someone turned Run As on for the user: refused.
            (
                vec![row(Action::None, on(), Some(Audit), false)],
                true,
                Some(Audit),
                false,
            ),
            // audit, on for another user, or the string "true" for another.
            (
                vec![row(
                    Action::None,
                    run_as(Value::Bool(true), "root"),
                    Some(Audit),
                    false,
                )],
                false,
                Some(Audit),
                false,
            ),
            (
                vec![row(
                    Action::None,
                    run_as(Value::String("true".into()), "ops"),
                    Some(Audit),
                    false,
                )],
                true,
                Some(Audit),
                false,
            ),
            // held by enforce-when-ready.
            (
                vec![row(
                    Action::WouldChange,
                    would(),
                    Some(EnforceWhenReady),
                    true,
                )],
                false,
                Some(EnforceWhenReady),
                true,
            ),
            // enforce-when-ready already on: not held, refused.
            (
                vec![row(Action::None, on(), Some(EnforceWhenReady), false)],
                true,
                Some(EnforceWhenReady),
                false,
            ),
            // a failed enforce write: unknown, the policy wants it on.
            (
                vec![row(Action::Failed, None, Some(Enforce), false)],
                true,
                Some(Enforce),
                false,
            ),
            (
                vec![row(Action::Failed, None, Some(Audit), false)],
                false,
                Some(Audit),
                false,
            ),
            (
                vec![row(Action::Deferred, None, Some(Enforce), false)],
                true,
                Some(Enforce),
                false,
            ),
            // a region disabled or waiting: no document of this run.
            (
                vec![row(Action::RegionDisabled, None, Some(Enforce), false)],
                false,
                Some(Enforce),
                false,
            ),
            (
                vec![row(Action::Pending, None, Some(Enforce), false)],
                false,
                Some(Enforce),
                false,
            ),
            // no document row at all: nothing says Run As is off, refused.
            (vec![], true, None, false),
        ];
        for (rows, want, mode, held) in cases {
            let got = of_region(&rows, "eu-west-1", "ops");
            assert_eq!(
                (got.refused, got.mode, got.held.is_some()),
                (want, mode, held),
                "{rows:?}"
            );
        }
    }

    #[test]
    fn other_regions_and_the_checks_own_row_are_not_read() {
        let mut other = row(
            Action::Updated,
            run_as(Value::Bool(true), "ops"),
            Some(Mode::Enforce),
            false,
        );
        other.region = "us-east-1".into();
        let check = RegionOutcome {
            nodes: Some(Default::default()),
            ..row(
                Action::Created,
                run_as(Value::Bool(true), "ops"),
                None,
                false,
            )
        };
        let audit = row(Action::WouldChange, None, Some(Mode::Audit), false);
        let got = of_region(&[other, check, audit], "eu-west-1", "ops");
        assert_eq!((got.refused, got.mode), (false, Some(Mode::Audit)));
    }

    #[test]
    fn a_named_document_of_another_user_refuses_nobody_for_lack_of_this_one() {
        let other = RegionOutcome {
            document: Some("SSMRunAs-Admin".into()),
            desired_user: Some("admin".into()),
            ..row(
                Action::Updated,
                run_as(Value::Bool(true), "admin"),
                Some(Mode::Enforce),
                false,
            )
        };
        let shell = row(Action::WouldChange, None, Some(Mode::Audit), false);
        let got = of_region(&[shell.clone(), other.clone()], "eu-west-1", "ops");
        assert!(!got.refused, "{got:?}");
        // Its own user's nodes would be: the same rows, looked up for admin.
        let got = of_region(&[shell, other], "eu-west-1", "admin");
        assert!(got.refused, "{got:?}");
    }

    #[test]
    fn between_runs_only_run_as_on_or_enforce_refuses() {
        use Mode::*;
        use RunAsNow::*;
        // (what the documents say now, the modes of the check user's documents, refused)
        let cases: [(RunAsNow, &[Mode], bool); 10] = [
            (On, &[Audit], true),
            (On, &[], true),
            (Off, &[Enforce], true),
            (Unknown, &[Enforce], true),
            (Off, &[Audit, Enforce], true),
            (Off, &[Audit], false),
            (Unknown, &[Audit], false),
            // failing nodes hold enforce-when-ready.
            (Off, &[EnforceWhenReady], false),
            (Unknown, &[EnforceWhenReady, Audit], false),
            (Off, &[], false),
        ];
        for (now, modes, want) in cases {
            assert_eq!(refused_between_runs(now, modes), want, "{now:?} {modes:?}");
        }
    }

    #[test]
    fn one_document_that_refuses_is_enough_and_the_default_documents_mode_is_shown() {
        let named = RegionOutcome {
            document: Some("SSMRunAs-Ops".into()),
            ..row(
                Action::None,
                run_as(Value::Bool(true), "ops"),
                Some(Mode::Enforce),
                false,
            )
        };
        let shell = row(Action::WouldChange, None, Some(Mode::Audit), false);
        let got = of_region(&[named.clone(), shell], "eu-west-1", "ops");
        assert_eq!((got.refused, got.mode), (true, Some(Mode::Audit)));
        // Only a named document, audit: its mode is shown.
        let named_audit = RegionOutcome {
            action: Action::WouldChange,
            mode: Some(Mode::Audit),
            ..named
        };
        let got = of_region(&[named_audit], "eu-west-1", "ops");
        assert_eq!((got.refused, got.mode), (false, Some(Mode::Audit)));
    }
}
