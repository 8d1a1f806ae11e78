//! `enforce-when-ready` in one region: the run-as user check, run beside
//! the documents or, when a document's mode waits for its verdict, first;
//! and what each row says of its mode afterwards.

use std::future::Future;

use crate::adapters::store::lease::RegionGrant;
use crate::domain::nodes::Readiness;
use crate::domain::outcome::{Action, RegionOutcome};
use crate::domain::policy::{Mode, Target};

/// The run-as user check of one region: still running beside the
/// documents, or finished first because a document's mode waits for it.
pub(super) enum CheckRun {
    Running(tokio::task::JoinHandle<RegionOutcome>),
    Done(Box<RegionOutcome>),
}

impl CheckRun {
    pub(super) fn spawn(check: impl Future<Output = RegionOutcome> + Send + 'static) -> CheckRun {
        CheckRun::Running(tokio::spawn(check))
    }

    pub(super) async fn row(self, region: &str) -> RegionOutcome {
        match self {
            CheckRun::Done(row) => *row,
            CheckRun::Running(task) => match task.await {
                Ok(row) => row,
                Err(e) => RegionOutcome::failed(region, "InternalError", e.to_string()),
            },
        }
    }
}

/// Finished first when an `enforce-when-ready` document needs its verdict
/// (a gate never opens on a guess); left running beside the documents
/// otherwise. What it found, when it was waited for.
pub(super) async fn settle(
    check: Option<CheckRun>,
    region: &str,
    gated: bool,
) -> (Option<CheckRun>, Option<Readiness>) {
    match check {
        Some(run) if gated => {
            let row = run.row(region).await;
            let found = row.nodes.clone();
            (Some(CheckRun::Done(Box::new(row))), found)
        }
        other => (other, None),
    }
}

/// Each document row says its rules' mode, and why a gated one was held.
pub(super) fn with_modes(
    rows: Vec<(RegionOutcome, Option<RegionGrant>)>,
    targets: &[Target],
    modes: &[(Mode, Option<String>)],
) -> Vec<(RegionOutcome, Option<RegionGrant>)> {
    rows.into_iter()
        .zip(targets.iter().zip(modes))
        .map(|((mut o, grant), (t, (_, held)))| {
            o.mode = Some(t.mode);
            // Already on is not held: only a change the gate kept back.
            if o.action == Action::WouldChange {
                o.held = held.clone();
            }
            (o, grant)
        })
        .collect()
}

/// A region that is off (or an account suspended) has no nodes to check:
/// the check's row says what the document's row says.
pub(super) fn check_row(
    row: RegionOutcome,
    first: &RegionOutcome,
    document: &str,
    user: &str,
) -> RegionOutcome {
    if matches!(
        first.action,
        Action::RegionDisabled
            | Action::AccountSuspended
            | Action::AccountPendingClosure
            | Action::AccountClosed
    ) {
        return RegionOutcome {
            document: None,
            desired_user: None,
            ..first.clone()
        }
        .for_document(document, user);
    }
    row.for_document(document, user)
}
