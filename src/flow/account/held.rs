//! An account a run cannot converge now, and rows that wait: held as
//! `pending` instead of `failed` while a new (or newly enrolled) account's
//! member stack has not landed or Organizations has not activated it (the
//! decisions are [`super::pending`]'s and [`crate::domain::life`]'s): one
//! `DescribeAccount` when something is missing, none otherwise, and past
//! the join's window one read of the enrolment. A row that no longer waits
//! fails saying what is missing and what to check.

use super::pending::{self, Awaiting};
use super::{Ctx, Uncommitted};
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::job::Job;
use crate::domain::known::{Known, Snapshot};
use crate::domain::life::{self, Since};
use crate::domain::outcome::AccountReport;
use crate::domain::outcome::RegionOutcome;

/// No role could be assumed: pending everywhere when the member role is
/// missing in an account that joined within the window; failed otherwise.
pub(super) async fn unreachable(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    e: &AwsError,
    regions: &[String],
) -> Vec<RegionOutcome> {
    let missing = pending::role_missing(&e.code);
    let waiting = match missing {
        true => waiting(ctx, job, account).await,
        false => Err(None),
    };
    let role = Awaiting::Role(ctx.policy.member_role.clone());
    let failed = regions
        .iter()
        .map(|r| RegionOutcome::failed(r, &e.code, e.for_row(r)));
    match waiting {
        Ok(since) => {
            tracing::info!(outcome = "pending", account, error_code = %e.code, "awaiting the member stack: the member role is not there yet");
            failed.map(|o| pending::pending(o, &role, since)).collect()
        }
        Err(since) => {
            tracing::error!(outcome = "remediation_failed", account, error_code = %e.code, error = %e, "cannot assume any role");
            failed
                .map(|o| match missing {
                    true => no_longer_waiting(ctx, o, &role, since),
                    false => o,
                })
                .collect()
        }
    }
}

/// No session could be made: the operator's seat's refusal fails every row
/// with what it said (which role, who asked, what to check: nothing is
/// pending for a seat); otherwise as [`unreachable`].
pub(super) async fn no_session(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    e: &AwsError,
    regions: &[String],
) -> Vec<RegionOutcome> {
    if super::seated(ctx, job).is_none() {
        return unreachable(ctx, job, account, e, regions).await;
    }
    regions
        .iter()
        .map(|r| RegionOutcome::failed(r, &e.code, e.for_row(r)))
        .collect()
}

/// The check document is not in some regions yet: those rows wait.
pub(super) async fn missing_check_document(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    rows: Vec<RegionOutcome>,
) -> Vec<RegionOutcome> {
    let check = ctx.policy.check_document.as_deref();
    if !rows
        .iter()
        .any(|o| pending::check_document_missing(o, check).is_some())
    {
        return rows;
    }
    let waiting = waiting(ctx, job, account).await;
    rows.into_iter()
        .map(|o| match (pending::check_document_missing(&o, check), waiting) {
            (Some(what), Ok(since)) => {
                tracing::info!(outcome = "pending", account, region = %o.region, "awaiting the member stack: the check document is not there yet");
                pending::pending(o, &what, since)
            }
            (Some(what), Err(since)) => no_longer_waiting(ctx, o, &what, since),
            (None, _) => o,
        })
        .collect()
}

/// Since when the account waits for its member stack, while it still does
/// (`Err`: the window has closed, since when it was open, if known). Its
/// join decides first; only past that window is an enrolment looked for:
/// this trigger's (recorded, so its re-attempts and sweeps wait as long)
/// or one recorded by an earlier run. A vend costs nothing more.
pub(super) async fn waiting(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
) -> Result<Since, Option<Since>> {
    let now = clock::epoch_millis(clock::now());
    let joined = joined(ctx, account).await;
    let by_join = life::window_start(joined, None);
    if let Some(since) = by_join.filter(|_| life::waits(by_join, now, ctx.pending_window)) {
        return Ok(since);
    }
    let own = life::enrolment(&job.trigger, now);
    let enrolled = match own {
        Some(at) => {
            record_enrolment(ctx, job, account, at).await;
            Some(at)
        }
        None => enrolled(ctx, account).await,
    };
    let since = life::window_start(joined, enrolled);
    match since.filter(|_| life::waits(since, now, ctx.pending_window)) {
        Some(since) => Ok(since),
        None => Err(since),
    }
}

/// This run's enrolment, kept for the runs after it (best effort: without
/// it they fail once the join's window is past, as before).
async fn record_enrolment(ctx: &Ctx<'_>, job: &Job, account: &str, at_ms: i64) {
    if job.dry_run {
        return;
    }
    if let Err(e) = ctx.vends.enrolled_at(account, at_ms).await {
        tracing::warn!(account, error_code = %e.code, error = %e, "the enrolment could not be recorded; its re-attempts may fail before the member stack lands");
    }
}

/// The enrolment an earlier run recorded; `None` when there is none or it
/// cannot be read (then the join alone decides).
async fn enrolled(ctx: &Ctx<'_>, account: &str) -> Option<i64> {
    ctx.vends.enrolment(account).await.unwrap_or_else(|e| {
        tracing::warn!(account, error_code = %e.code, error = %e, "cannot read the account's enrolment; the join alone decides how long it waits");
        None
    })
}

/// A failed row whose member-stack resource is missing: its error says so,
/// and what to check.
fn no_longer_waiting(
    ctx: &Ctx<'_>,
    mut o: RegionOutcome,
    what: &Awaiting,
    since: Option<Since>,
) -> RegionOutcome {
    let check = pending::what_to_check(
        what,
        &o.region,
        ctx.member_stack_set,
        since,
        ctx.pending_window,
    );
    o.error = Some(match o.error.take() {
        Some(e) => format!("{e}; {check}"),
        None => check,
    });
    o
}

/// When the account joined; `None` (not recent) when it cannot be read.
async fn joined(ctx: &Ctx<'_>, account: &str) -> Option<i64> {
    match ctx.org.joined_ms(account).await {
        Ok(j) => j,
        Err(e) => {
            tracing::warn!(account, error_code = %e.code, error = %e, "cannot tell when the account joined; not holding it as pending");
            None
        }
    }
}

/// An account a run does not converge now: its rows as decided (awaiting
/// activation, [`super::activation`]; no session, [`no_session`]), under
/// its OU path by names.
pub(super) async fn account(
    ctx: &Ctx<'_>,
    job: &Job,
    (account, path): (&str, &[String]),
    mut report: AccountReport,
    recorded: Option<Snapshot>,
    rows: Vec<RegionOutcome>,
) -> Uncommitted {
    report.ou_path = Some(names(ctx, job, (account, path), recorded.as_ref()).await);
    report.regions = rows;
    Uncommitted::new(report).waited(job, recorded)
}

/// The OU path by names of an account that waits: as its rows recorded it
/// ([`still_waiting`]), else read.
async fn names(
    ctx: &Ctx<'_>,
    job: &Job,
    (account, path): (&str, &[String]),
    recorded: Option<&Snapshot>,
) -> String {
    match still_waiting(job, account, recorded) {
        Some(names) => names,
        None => ctx.org.path_names(account, path).await,
    }
}

/// A re-attempt that still finds no role: the OU names its rows recorded,
/// when every row waits under the same ones (a move is its own event and
/// run; a sweep names the path afresh), so waiting reads no OU names.
fn still_waiting(job: &Job, account: &str, recorded: Option<&Snapshot>) -> Option<String> {
    let recorded = recorded.filter(|_| job.is_reattempt())?;
    let slots = recorded.slots(account);
    let rows: Vec<&Known> = slots
        .iter()
        .filter_map(|s| recorded.get(account, s))
        .collect();
    let first = rows.first()?.ou_path.as_deref()?;
    rows.iter()
        .all(|k| k.status.as_deref() == Some("pending") && k.ou_path.as_deref() == Some(first))
        .then(|| first.to_string())
}
