//! `[forwarding_canary]` in a sweep: in each account-region the sweep
//! reached, what the last canary says (marked once when it never arrived)
//! and, when one is due, a new one. Decided by [`crate::domain::canary::plan`]
//! from the sweep's snapshot; a canary that cannot be written is marked once
//! per code (decided by [`crate::domain::canary::unwritable`]), never the
//! sweep's failure. Each transition is marked on its account-region's item
//! here; what the marks newly say is a [`Finding`] for the sweep's tally,
//! told once per cause for the whole sweep
//! ([`crate::domain::alert::canary_findings`]), never one alert per
//! account-region.

use crate::adapters::aws::canary_tag;
use crate::adapters::aws::sts::MemberSession;
use crate::domain::aws_error::AwsError;
use crate::domain::canary::{self, Cause, Finding, Last, Unwritable, Verdict};
use crate::domain::clock;
use crate::domain::job::Job;
use crate::domain::outcome::{AccountReport, Action, RegionOutcome};
use crate::flow::account::Ctx;

pub(super) async fn probe(
    ctx: &Ctx<'_>,
    job: &Job,
    session: Option<&MemberSession>,
    report: &AccountReport,
) -> Vec<Finding> {
    let (Some(settings), Some(known), Some(session)) =
        (ctx.policy.canary, job.known.as_ref(), session)
    else {
        return vec![];
    };
    if job.dry_run {
        return vec![];
    }
    let account = report.account.as_str();
    let now = clock::epoch_millis(clock::now());
    let mut found = Vec::new();
    for row in report.regions.iter().filter(|r| reached(r)) {
        let region = row.region.as_str();
        let last = known.get(account, region).and_then(|k| k.canary.clone());
        let plan = canary::plan(last.as_ref(), now, &settings);
        if let (true, Some(l), Verdict::Missing { since_ms }) =
            (plan.tell_missing, &last, plan.verdict)
        {
            found.extend(missing(ctx, account, region, l, since_ms).await);
        }
        if plan.write_new {
            let told = known
                .get(account, region)
                .and_then(|k| k.canary_unwritable.clone());
            let slot = Slot {
                account,
                region,
                told: told.as_deref(),
            };
            found.extend(write(ctx, session, &slot, now).await);
        }
    }
    found
}

/// The sweep reached the default document there, and it exists.
fn reached(r: &RegionOutcome) -> bool {
    r.document.is_none()
        && r.nodes.is_none()
        && r.version_after.is_some()
        && matches!(
            r.action,
            Action::None
                | Action::Created
                | Action::Updated
                | Action::DefaultSwitched
                | Action::WouldChange
        )
}

/// The one run that marks the item missing finds it.
async fn missing(
    ctx: &Ctx<'_>,
    account: &str,
    region: &str,
    last: &Last,
    since_ms: i64,
) -> Option<Finding> {
    match ctx
        .state
        .canary_missing(account, region, &last.token, since_ms)
        .await
    {
        Ok(true) => {
            tracing::warn!(outcome = "forwarding_missing", account, region, token = %last.token, "forwarding canary did not arrive");
            Some(Finding {
                region: region.to_string(),
                cause: Cause::Missing,
                detail: clock::iso(clock::from_millis(last.written_ms)),
            })
        }
        Ok(false) => None,
        Err(e) => {
            tracing::warn!(account, region, error_code = %e.code, error = %e, "forwarding canary: cannot mark it missing; the next sweep tells it");
            None
        }
    }
}

/// Where a canary is written, and the refusal the item says was told there.
struct Slot<'a> {
    account: &'a str,
    region: &'a str,
    told: Option<&'a str>,
}

/// Recorded first, then written: its arrival always finds the record. A
/// write SSM refuses is no canary (the record says why, for `status`); a
/// refusal a retry does not meet is told once, until one is written again.
async fn write(
    ctx: &Ctx<'_>,
    session: &MemberSession,
    slot: &Slot<'_>,
    now: i64,
) -> Option<Finding> {
    let (account, region) = (slot.account, slot.region);
    let token = crate::domain::ids::token();
    match ctx.state.canary_written(account, region, &token, now).await {
        Ok(true) => {}
        Ok(false) => return None,
        Err(e) => {
            tracing::warn!(account, region, error_code = %e.code, error = %e, "forwarding canary not recorded, so not written");
            return None;
        }
    }
    let put = canary_tag::put(&session.ssm(region), account, region, &token).await;
    if let Err(e) = &put {
        unsent(ctx, account, region, &token, e).await;
    }
    let code = put.as_ref().map(|_| ()).map_err(|e| e.code.as_str());
    match canary::unwritable(slot.told, code) {
        Unwritable::Steady => None,
        Unwritable::Clear => {
            let told = slot.told.unwrap_or_default();
            if let Err(e) = ctx.state.canary_writable(account, region, told).await {
                tracing::warn!(account, region, error_code = %e.code, error = %e, "forwarding canary written again, but its refusal's mark stays; the next canary clears it");
            }
            None
        }
        Unwritable::Tell(code) => {
            let message = put.err().map(|e| e.message).unwrap_or_default();
            unwritable(ctx, slot, &code, &message).await
        }
    }
}

/// Never sent, so never missing: the record says why instead (`status`),
/// and the next sweep tries again.
async fn unsent(ctx: &Ctx<'_>, account: &str, region: &str, token: &str, e: &AwsError) {
    tracing::warn!(account, region, error_code = %e.code, error = %e, "forwarding canary not written");
    if let Err(store) = ctx
        .state
        .canary_unsent(account, region, token, &e.code)
        .await
    {
        tracing::warn!(account, region, error_code = %store.code, error = %store, "forwarding canary: cannot record that it was not written");
    }
}

/// The canary is newly refused (`code`): the one run that marks the item
/// finds it.
async fn unwritable(ctx: &Ctx<'_>, slot: &Slot<'_>, code: &str, message: &str) -> Option<Finding> {
    let (account, region) = (slot.account, slot.region);
    match ctx
        .state
        .canary_unwritable(account, region, slot.told, code)
        .await
    {
        Ok(true) => {
            tracing::warn!(outcome = "canary_unwritable", account, region, error_code = %code, "forwarding canary cannot be written");
            Some(Finding {
                region: region.to_string(),
                cause: Cause::Unwritable(code.to_string()),
                detail: message.to_string(),
            })
        }
        Ok(false) => None,
        Err(e) => {
            tracing::warn!(account, region, error_code = %e.code, error = %e, "forwarding canary: cannot mark it unwritable; the next sweep tells it");
            None
        }
    }
}
