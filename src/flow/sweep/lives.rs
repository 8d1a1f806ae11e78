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
    joined_ms: Option<i64>,
) -> Vec<Alert> {
    let at = crate::domain::clock::iso(crate::domain::clock::now());
    let Some(alert) = crate::domain::alert::configured_anew(report, &job.trigger, &at, joined_ms)
        .filter(|_| !job.dry_run)
    else {
        return vec![];
    };
    crate::flow::configured::told_first(&svc.vends, &job.trigger.event_id, vec![alert]).await
}

/// Whether this sweep finishes the configuration of `account`'s present
/// life: a rejoin only a sweep found, another life's default put back
/// (`RegionOutcome::another_life`), or a vend of this life left unfinished
/// (its re-attempt chain ended).
pub(super) async fn finishes_life(
    svc: &Services,
    job: &Job,
    account: &str,
    report: &AccountReport,
    rejoined: bool,
) -> bool {
    rejoined
        || report.regions.iter().any(|o| o.another_life)
        || vend_unfinished(svc, job, account, report).await
}

/// Whether this sweep, which configured `account` (`report`), finishes a
/// vend of its present life left unfinished
/// ([`crate::domain::life::vend_unfinished`]): its rows say `pending`, or
/// its vend's re-attempt is still on record as due (read only where a
/// chain can have ended so: an account this run wrote to whose rows say
/// `failed`, as a failed re-attempt records them; most sweeps read
/// nothing more). A record that cannot be read is no vend: a table that
/// fails would otherwise tell every put-back's account configured.
async fn vend_unfinished(svc: &Services, job: &Job, account: &str, report: &AccountReport) -> bool {
    let statuses: Vec<Option<&str>> = job
        .known
        .as_ref()
        .map(|k| k.statuses(account).collect())
        .unwrap_or_default();
    if crate::domain::life::vend_unfinished(statuses.iter().copied(), None) {
        return true;
    }
    let failed = statuses.contains(&Some("failed"));
    if job.dry_run || !failed || !report.regions.iter().any(|r| r.action.wrote()) {
        return false;
    }
    let due = match svc.vends.reattempt_due(account).await {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(account, error_code = %e.code, error = %e, "cannot read the account's vend: a vend this sweep finishes is not said configured");
            false
        }
    };
    crate::domain::life::vend_unfinished(statuses, Some(due))
}
