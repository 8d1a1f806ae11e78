//! An account Organizations has not activated yet (`PENDING_ACTIVATION`,
//! which a freshly created account can stay in for minutes): an event's
//! run does not enter it, its rows are `pending` (awaiting activation,
//! re-attempted at most [`RECHECK_SECS`] apart so it is configured within
//! a minute of becoming `ACTIVE`), and once the pending window from its
//! join or enrolment has closed, they fail saying so: told once, since a
//! failed row schedules no re-attempt. The state is the `DescribeAccount`
//! the run's OU path already asked (no call of its own); a sweep decides
//! from its walk's answer instead (`sweep::accounts::by_state`).

use super::{held, Ctx};
use crate::domain::job::Job;
use crate::domain::org_state::{self, OrgState};
use crate::domain::outcome::{Action, RegionOutcome};
use crate::domain::policy::Desired;
use crate::domain::trigger::TriggerKind;

/// The longest wait between two re-attempts of an account awaiting
/// activation.
pub const RECHECK_SECS: u64 = 30;

/// The rows of an event's account that Organizations has not activated
/// yet; `None` when it is active (or its state is not in hand).
async fn not_yet_active(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    regions: &[String],
) -> Option<Vec<RegionOutcome>> {
    if job.trigger.kind == TriggerKind::Sweep {
        return None;
    }
    if !inactive(ctx, account).await {
        return None;
    }
    let report = org_state::report(&OrgState::PendingActivation, account, "", regions)?;
    match held::waiting(ctx, job, account).await {
        Ok(since) => {
            tracing::info!(outcome = "pending", account, since = %since.describe(), "awaiting activation: the account is PENDING_ACTIVATION");
            Some(report.regions)
        }
        Err(since) => {
            let window = ctx.pending_window.as_secs();
            let since = since.map_or("an unknown time".into(), |s| s.describe());
            tracing::error!(
                outcome = "remediation_failed",
                account,
                "the account never became ACTIVE within the pending window"
            );
            Some(
                report
                    .regions
                    .into_iter()
                    .map(|o| never_activated(o, &since, window))
                    .collect(),
            )
        }
    }
}

/// The rows of a governed account that awaits activation, as
/// [`not_yet_active`] decides; `None` for an account no rule gives a user.
pub(super) async fn waits(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    desired: &Desired,
    regions: &[String],
) -> Option<Vec<RegionOutcome>> {
    match desired {
        Desired::User { .. } => not_yet_active(ctx, job, account, regions).await,
        _ => None,
    }
}

/// Whether Organizations says the account is not activated yet, from the
/// `DescribeAccount` its OU path asks (shared: no call of its own).
pub(super) async fn inactive(ctx: &Ctx<'_>, account: &str) -> bool {
    let described = ctx.org.described(account).await.ok().flatten();
    described.is_some_and(|d| d.info.state == OrgState::PendingActivation)
}

/// Whether `rows` await the account's activation (their re-attempts come
/// sooner than the member stack's).
pub fn awaited(rows: &[RegionOutcome]) -> bool {
    rows.iter().any(|o| {
        o.action == Action::Pending
            && o.error_code.as_deref() == Some(org_state::PENDING_ACTIVATION_CODE)
    })
}

fn never_activated(o: RegionOutcome, since: &str, window_secs: u64) -> RegionOutcome {
    RegionOutcome::failed(
        &o.region,
        org_state::PENDING_ACTIVATION_CODE,
        format!(
            "the account is still PENDING_ACTIVATION {window_secs} s after {since}: \
             Organizations has not activated it (check the account's creation in the \
             management account: Organizations' CreateAccount status, Control Tower's \
             Account Factory); the next sweep configures it once it is ACTIVE"
        ),
    )
}
