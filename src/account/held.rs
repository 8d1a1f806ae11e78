//! Rows held as `pending` instead of `failed` while a new account's member
//! stack has not landed (the decisions are [`super::pending`]'s): one
//! `DescribeAccount` when something is missing, none otherwise.

use super::pending::{self, Awaiting};
use super::Ctx;
use crate::aws::AwsError;
use crate::clock;
use crate::outcome::RegionOutcome;

/// No role could be assumed: pending everywhere when the member role is
/// missing in an account that joined within the window; failed otherwise.
pub(super) async fn unreachable(
    ctx: &Ctx<'_>,
    account: &str,
    e: &AwsError,
    regions: &[String],
) -> Vec<RegionOutcome> {
    let failed = regions
        .iter()
        .map(|r| RegionOutcome::failed(r, &e.code, e.to_string()));
    let joined = match pending::role_missing(&e.code) {
        true => joined(ctx, account).await,
        false => None,
    };
    let now = clock::epoch_millis(clock::now());
    match joined.filter(|_| pending::within_window(joined, now, ctx.pending_window)) {
        Some(joined) => {
            let role = ctx.policy.member_role.clone();
            tracing::info!(outcome = "pending", account, error_code = %e.code, "awaiting the member stack: the member role is not there yet");
            failed
                .map(|o| pending::pending(o, &Awaiting::Role(role.clone()), joined))
                .collect()
        }
        None => {
            tracing::error!(outcome = "remediation_failed", account, error_code = %e.code, error = %e, "cannot assume any role");
            failed.collect()
        }
    }
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
    let now = clock::epoch_millis(clock::now());
    let Some(joined) = joined.filter(|_| pending::within_window(joined, now, ctx.pending_window))
    else {
        return rows;
    };
    rows.into_iter()
        .map(|o| match pending::check_document_missing(&o, check) {
            Some(what) => {
                tracing::info!(outcome = "pending", account, region = %o.region, "awaiting the member stack: the check document is not there yet");
                pending::pending(o, &what, joined)
            }
            None => o,
        })
        .collect()
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
