//! Where an account stands and a way into it: its OU path read from
//! Organizations now, its standing under the policy, and a session under
//! the policy's roles (or, for a dry run, the operator's seat), with the
//! documents it observes as soon as it exists.

use tokio::sync::OnceCell;

use crate::adapters::aws::organizations::Org;
use crate::adapters::aws::sts::MemberSession;
use crate::domain::aws_error::AwsError;
use crate::domain::ids::session_name;
use crate::domain::job::Job;
use crate::domain::known::Snapshot;
use crate::domain::policy::Standing;
use crate::domain::seat::Seat;
use crate::domain::trigger::TriggerKind;

use super::early::{read_early, Early};
use super::rows::recorded;
use super::{landed, Ctx};

/// Root-first OU path, read from Organizations now (an event's OU is only a
/// hint and may be stale); `None` when the account is not in the organization.
pub async fn locate(org: &Org, account: &str) -> Result<Option<Vec<String>>, AwsError> {
    org.path(account, account, false).await
}

/// Where the account stands under the policy: from its id when that
/// decides, else from its OU path (one walk up, cached for the run);
/// `None` when the account is not in the organization.
pub async fn standing(ctx: &Ctx<'_>, account: &str) -> Result<Option<Standing>, AwsError> {
    if let Some(s) = ctx.policy.standing_by_id(account) {
        return Ok(Some(s));
    }
    Ok(locate(ctx.org, account)
        .await?
        .map(|path| ctx.policy.standing(account, &path)))
}

/// A session in `account` under the policy's roles, with runas-guard's
/// session policy, named after the trigger (CloudTrail shows it); in a dry
/// run with an operator's seat, the seat's read-only role alone.
pub async fn assume(ctx: &Ctx<'_>, job: &Job, account: &str) -> Result<MemberSession, AwsError> {
    let policy = ctx.policy.session_policy(ctx.sts.partition(), account);
    if let Some(seat) = seated(ctx, job) {
        return ctx.sts.assume_seat(account, seat, Some(&policy)).await;
    }
    let roles: Vec<&str> = ctx.policy.roles().collect();
    let name = session_name(&job.trigger.event_id);
    ctx.sts.assume(account, &roles, &name, Some(&policy)).await
}

/// The seat a run takes: only a dry run's (a read-only role cannot write).
pub(crate) fn seated<'a>(ctx: &Ctx<'a>, job: &Job) -> Option<&'a Seat> {
    ctx.seat.filter(|_| job.dry_run)
}

/// A session, the documents it observed and the regions they are of (see
/// [`Prepared::narrowed`]); no session for an account not entered.
pub(super) type Entered = (
    Option<Result<MemberSession, AwsError>>,
    Early,
    Option<Vec<String>>,
);

/// A session in the account and, with it, its documents observed: of the
/// region a settled account's member-stack event names, else of `regions`.
pub(super) async fn enter(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    regions: &[String],
    rows: &OnceCell<Result<Option<Snapshot>, AwsError>>,
    ahead: Option<Result<MemberSession, AwsError>>,
) -> Entered {
    // A re-attempt of an account Organizations has not activated yet
    // neither assumes nor reads: the answer its OU path asked says so.
    if job.is_reattempt() && super::activation::inactive(ctx, account).await {
        return (None, Early::default(), None);
    }
    let session = match ahead {
        Some(made) => made,
        None => assume(ctx, job, account).await,
    };
    let Ok(s) = &session else {
        return (Some(session), Early::default(), None);
    };
    let narrowed = match job.trigger.kind == TriggerKind::MemberStackLanded {
        true => {
            let known = rows.get_or_init(|| recorded(ctx, job, account)).await;
            let known = known.as_ref().ok().and_then(Option::as_ref);
            landed::landed_only(account, &job.landed(), regions, known)
        }
        false => None,
    };
    let seen = read_early(ctx, job, s, narrowed.as_deref().unwrap_or(regions)).await;
    (Some(session), seen, narrowed)
}
