//! Rows held as `pending` instead of `failed` while a new account's member
//! stack has not landed (the decisions are [`super::pending`]'s): one
//! `DescribeAccount` when something is missing, none otherwise. A row that
//! no longer waits fails saying what is missing and what to check.

use super::pending::{self, Awaiting};
use super::Ctx;
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::job::Job;
use crate::domain::outcome::RegionOutcome;

/// No role could be assumed: pending everywhere when the member role is
/// missing in an account that joined within the window; failed otherwise.
pub(super) async fn unreachable(
    ctx: &Ctx<'_>,
    account: &str,
    e: &AwsError,
    regions: &[String],
) -> Vec<RegionOutcome> {
    let missing = pending::role_missing(&e.code);
    let joined = match missing {
        true => joined(ctx, account).await,
        false => None,
    };
    let role = Awaiting::Role(ctx.policy.member_role.clone());
    let failed = regions
        .iter()
        .map(|r| RegionOutcome::failed(r, &e.code, e.to_string()));
    match joined.filter(|_| waits(ctx, joined)) {
        Some(joined) => {
            tracing::info!(outcome = "pending", account, error_code = %e.code, "awaiting the member stack: the member role is not there yet");
            failed.map(|o| pending::pending(o, &role, joined)).collect()
        }
        None => {
            tracing::error!(outcome = "remediation_failed", account, error_code = %e.code, error = %e, "cannot assume any role");
            failed
                .map(|o| match missing {
                    true => no_longer_waiting(ctx, o, &role, joined),
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
        return unreachable(ctx, account, e, regions).await;
    }
    regions
        .iter()
        .map(|r| RegionOutcome::failed(r, &e.code, e.to_string()))
        .collect()
}

/// The check document is not in some regions yet: those rows wait.
pub(super) async fn missing_check_document(
    ctx: &Ctx<'_>,
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
    let joined = joined(ctx, account).await;
    let waiting = joined.filter(|_| waits(ctx, joined));
    rows.into_iter()
        .map(|o| match (pending::check_document_missing(&o, check), waiting) {
            (Some(what), Some(joined)) => {
                tracing::info!(outcome = "pending", account, region = %o.region, "awaiting the member stack: the check document is not there yet");
                pending::pending(o, &what, joined)
            }
            (Some(what), None) => no_longer_waiting(ctx, o, &what, joined),
            (None, _) => o,
        })
        .collect()
}

fn waits(ctx: &Ctx<'_>, joined: Option<i64>) -> bool {
    let now = clock::epoch_millis(clock::now());
    pending::within_window(joined, now, ctx.pending_window)
}

/// A failed row whose member-stack resource is missing: its error says so,
/// and what to check.
fn no_longer_waiting(
    ctx: &Ctx<'_>,
    mut o: RegionOutcome,
    what: &Awaiting,
    joined: Option<i64>,
) -> RegionOutcome {
    let check = pending::what_to_check(
        what,
        &o.region,
        ctx.member_stack_set,
        joined,
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
