//! A sweep's view of an account's lives: rows from before its latest join
//! (the walk's `JoinedTimestamp`) are another life's, and a rejoin only a
//! sweep found is told `account_configured` once.

use std::sync::Arc;

use crate::adapters::aws::organizations::AccountInfo;
use crate::domain::alert::Alert;
use crate::domain::job::Job;
use crate::domain::outcome::AccountReport;
use crate::flow::services::Services;

/// The sweep's view of the account's rows of its present life only (rows
/// from before its latest join, the walk's `JoinedTimestamp`, are another
/// life's): `Some` when any went (the account was found in a new life).
pub(super) fn this_life(job: &Job, info: &AccountInfo) -> Option<Job> {
    let (rows, gone) = job
        .known
        .as_ref()?
        .account_of_life(&info.id, info.joined_ms)?;
    tracing::info!(account = %info.id, rows = gone, "rows from before the account last joined the organization: another life's, not judged");
    let mut job = job.clone();
    job.known = Some(Arc::new(rows));
    Some(job)
}

/// A rejoin only a sweep found (the departure and join events lost), or a
/// vend of this life whose re-attempt chain ended with its rows `pending`:
/// the life's `account_configured`, once per life, whichever path of its
/// vend says it first.
pub(super) async fn configured_anew(
    svc: &Services,
    job: &Job,
    report: &AccountReport,
    (joined_ms, finish): (Option<i64>, Finish),
) -> Vec<Alert> {
    let at = crate::domain::clock::iso(crate::domain::clock::now());
    let resumed = finish == Finish::FoundDone;
    let Some(alert) =
        crate::domain::alert::configured_anew(report, &job.trigger, &at, joined_ms, resumed)
            .filter(|_| !job.dry_run)
    else {
        return vec![];
    };
    crate::flow::configured::told_first(&svc.vends, &job.trigger.event_id, vec![alert]).await
}

/// How a sweep finishes the configuration of an account's present life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Finish {
    /// It does not: the life is configured, or not by this run.
    No,
    /// By what it wrote (or a rejoin only it found).
    Wrote,
    /// By finding right what a vend of this life left failed: the vend's
    /// re-attempt failed somewhere (a read refused) after configuring the
    /// rest, its chain ended, and this sweep found nothing left to write.
    FoundDone,
}

/// Whether this sweep finishes the configuration of `account`'s present
/// life: a rejoin only a sweep found, another life's default put back
/// (`RegionOutcome::another_life`), or a vend of this life left unfinished
/// (its re-attempt chain ended). A life it finds unfinished and cannot
/// finish (a region failed) stays on record as unfinished ([`kept_unfinished`]).
pub(super) async fn finishes_life(
    svc: &Services,
    job: &Job,
    account: &str,
    report: &AccountReport,
    rejoined: bool,
) -> Finish {
    let statuses: Vec<Option<&str>> = job
        .known
        .as_ref()
        .map(|k| k.statuses(account).collect())
        .unwrap_or_default();
    let pending = crate::domain::life::vend_unfinished(statuses.iter().copied(), None);
    if (rejoined || pending) && report.failed() && !job.dry_run {
        kept_unfinished(svc, job, account).await;
    }
    if rejoined || pending || report.regions.iter().any(|o| o.another_life) {
        return Finish::Wrote;
    }
    vend_unfinished(svc, job, account, report, statuses).await
}

/// A sweep that finds a life unfinished (a rejoin only it found, rows
/// `pending`) and fails somewhere records its rows `failed`, and with them
/// goes what said the life was unfinished: it keeps that on the account's
/// vend record instead (a re-attempt due now, as a vend's chain leaves it),
/// so the sweep that configures the account says so (simulation 633912:
/// the join's event lost, the first sweeps awaited the stack, the next one's
/// write was refused, and the one that put the document right said nothing).
async fn kept_unfinished(svc: &Services, job: &Job, account: &str) {
    let now = crate::domain::clock::epoch_millis(crate::domain::clock::now());
    let chain = &job.trigger.event_id;
    if let Err(e) = svc.vends.schedule(account, chain, now, now).await {
        tracing::warn!(account, error_code = %e.code, error = %e, "cannot keep the account's unfinished configuration on record: the sweep that finishes it may not say it configured");
    }
}

/// Whether this sweep, which configured `account` (`report`) or found it
/// right, finishes a vend of its present life left unfinished
/// ([`crate::domain::life::vend_unfinished`]): its vend's re-attempt is
/// still on record as due (read only where a chain can have ended so: an
/// account whose rows say `failed`, as a failed re-attempt records them,
/// that this run wrote to or found without a failure; most sweeps read
/// nothing more, and an account still failing reads nothing). A record
/// that cannot be read is no vend: a table that fails would otherwise tell
/// every put-back's account configured.
async fn vend_unfinished(
    svc: &Services,
    job: &Job,
    account: &str,
    report: &AccountReport,
    statuses: Vec<Option<&str>>,
) -> Finish {
    let wrote = report.regions.iter().any(|r| r.action.wrote());
    let failed = statuses.contains(&Some("failed"));
    let still_failing = !wrote && report.failed();
    if job.dry_run || !failed || still_failing {
        return Finish::No;
    }
    let due = match svc.vends.reattempt_due(account).await {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(account, error_code = %e.code, error = %e, "cannot read the account's vend: a vend this sweep finishes is not said configured");
            false
        }
    };
    match (
        crate::domain::life::vend_unfinished(statuses, Some(due)),
        wrote,
    ) {
        (false, _) => Finish::No,
        (true, true) => Finish::Wrote,
        (true, false) => Finish::FoundDone,
    }
}
