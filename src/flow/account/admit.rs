//! Whether an event's account is converged: what was read ahead of it
//! (`prepare`), whether it is in the policy's scope, and its departure from
//! governance when this event finds it leaving (told all the same when it
//! is not converged).

use crate::domain::alert::{self, Alert};
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::governance::Departure;
use crate::domain::job::Job;
use crate::domain::policy::Standing;
use crate::domain::trigger::TriggerKind;

use super::{left, named, Ctx, Prepare, Prepared};

/// An account this event converges: as prepared, with its departure.
pub struct Admitted {
    pub prepared: Prepared,
    pub left: Option<Departure>,
}

/// Why an event's account is not converged.
#[derive(Debug)]
pub enum Refused {
    /// Not this run's to converge (with the departure told, if any).
    Ignored(String, Vec<Alert>),
    Failed(AwsError),
}

/// The account as read ahead, and its departure when this event finds it
/// leaving governance; an account out of scope is not converged (its
/// departure is told all the same).
pub async fn admit(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    ahead: Option<Prepare>,
) -> Result<Admitted, Refused> {
    let prepared = match ready(account, ahead) {
        Ok(p) => p,
        Err(Ok(why)) => return Err(Refused::Ignored(why, vec![])),
        Err(Err(e)) => return Err(Refused::Failed(e)),
    };
    let left = leaving(ctx, job, account, &prepared.path)
        .await
        .map_err(Refused::Failed)?;
    if ctx.policy.standing(account, &prepared.path) != Standing::OutOfScope {
        return Ok(Admitted { prepared, left });
    }
    let alerts = match left {
        Some(d) => named::about(ctx, account, None, None, vec![departed(job, &d)]).await,
        None => vec![],
    };
    Err(Refused::Ignored(out_of_scope(account), alerts))
}

/// The account as read ahead: else why not (`Ok`: ignored) or what failed.
fn ready(account: &str, ahead: Option<Prepare>) -> Result<Prepared, Result<String, AwsError>> {
    match ahead {
        Some(Ok(Some(p))) => Ok(p),
        Some(Ok(None)) | None => Err(Ok(format!("account {account} is not in this organization"))),
        Some(Err(e)) => Err(Err(e)),
    }
}

/// An account this event finds exempt or out of scope, judged against the
/// rows the table holds for it (one query, only for such an account or a
/// move): the departure this run tells, if it is the one. A move into a
/// governed OU clears a recorded departure.
async fn leaving(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    path: &[String],
) -> Result<Option<Departure>, AwsError> {
    let governed = ctx.policy.standing(account, path) == Standing::Governed;
    if job.dry_run || (governed && job.trigger.kind != TriggerKind::AccountMoved) {
        return Ok(None);
    }
    let rows = ctx.state.snapshot_account(account).await?;
    Ok(left::departure(ctx, job, account, None, path, &rows).await)
}

fn departed(job: &Job, d: &Departure) -> Alert {
    let at = clock::iso(clock::now());
    alert::account_left_governance(d, &job.trigger, &at)
}

/// Why an account outside the policy's `[scope]` is not looked at.
pub fn out_of_scope(account: &str) -> String {
    format!("account {account} is out of scope: outside the policy's [scope]")
}
