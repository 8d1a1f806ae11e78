//! A Control Tower baseline applied to an OU: every account the OU holds
//! directly is configured as a vend would (fanned out, one message per
//! account, when a queue is set; one after another here otherwise). Its
//! accounts' standing is read from `State` (see [`crate::domain::org_state`]).

use crate::adapters::aws::organizations::AccountInfo;
use crate::adapters::aws::queue::SweepQueue;
use crate::domain::alert;
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::job::Job;
use crate::domain::org_state::{self, Treatment};
use crate::domain::outcome::{Handled, Outcome};
use crate::domain::policy::Standing;
use crate::flow::account::{self, Ctx};
use crate::flow::services::Services;
use crate::flow::work::{Stop, Work, Worked};
use crate::flow::workers::pending::Reattempt;

pub async fn on_ou(svc: &Services, ctx: &Ctx<'_>, job: &Job) -> Worked {
    let ou = job.trigger.context.ou_id.clone().unwrap_or_default();
    let accounts = ctx.org.accounts_of(&ou).await?;
    let (ids, unreadable) = sorted_out(ctx, accounts).await?;
    if ids.is_empty() && unreadable.is_empty() {
        return Err(Stop::Ignored(
            format!("OU {ou} holds no active account"),
            vec![],
        ));
    }
    let work = match (&svc.queue, job.dry_run) {
        (Some(queue), false) if !ids.is_empty() => fan_out(queue, job, &ids, &ou).await?,
        _ => one_by_one(svc, ctx, job, &ids, &ou).await,
    };
    Ok(unreadable_told(work, job, &unreadable, &svc.policy.regions))
}

/// The OU's accounts a baseline configures (active ones, and those pending
/// activation: each waits as a vend in progress does), and those the policy
/// governs whose standing cannot be read (told, never skipped). Suspended
/// and closing accounts are left alone.
async fn sorted_out(
    ctx: &Ctx<'_>,
    accounts: Vec<AccountInfo>,
) -> Result<(Vec<String>, Vec<AccountInfo>), AwsError> {
    let (mut ids, mut unreadable) = (vec![], vec![]);
    for a in accounts {
        match a.state.treatment() {
            Treatment::Govern | Treatment::Wait => ids.push(a.id),
            Treatment::Skip => {}
            Treatment::Error => {
                let path = account::locate(ctx.org, &a.id).await?;
                if path.is_some_and(|p| ctx.policy.standing(&a.id, &p) == Standing::Governed) {
                    unreadable.push(a);
                }
            }
        }
    }
    Ok((ids, unreadable))
}

/// Each account handled here, as its vend would be.
async fn one_by_one(svc: &Services, ctx: &Ctx<'_>, job: &Job, ids: &[String], ou: &str) -> Work {
    let mut all = Work::default();
    for id in ids {
        let mut one = job.clone();
        one.trigger.account = Some(id.clone());
        match super::account::work(svc, ctx, &one, None).await {
            Ok(w) => {
                all.outcome.accounts.extend(w.outcome.accounts);
                all.alerts.extend(w.alerts);
                all.uncommitted.extend(w.uncommitted);
                all.failed |= w.failed;
            }
            Err(Stop::Ignored(_, alerts)) => all.alerts.extend(alerts),
            Err(Stop::Failed(e)) => {
                crate::flow::work::failed(&e);
                all.failed = true;
            }
        }
    }
    all.outcome.reason = format!(
        "baseline on OU {ou}: {} reconciled",
        crate::domain::words::count(all.outcome.accounts.len(), "account")
    );
    all
}

/// Governed accounts whose standing cannot be read: a failed row each and
/// a `remediation_failed` each, and the event fails (a retry reads again).
fn unreadable_told(
    mut work: Work,
    job: &Job,
    unreadable: &[AccountInfo],
    regions: &[String],
) -> Work {
    let at = clock::iso(clock::now());
    for a in unreadable {
        let Some(report) = org_state::report(&a.state, &a.id, &a.name, regions) else {
            continue;
        };
        tracing::error!(outcome = "remediation_failed", account = %a.id, error_code = org_state::UNREADABLE_CODE, state = %a.state.describe(), "account standing unreadable");
        work.alerts.push(alert::remediation_failed(
            &a.id,
            None,
            &report.regions,
            &job.trigger,
            &at,
        ));
        work.outcome.accounts.push(report);
        work.failed = true;
    }
    if !unreadable.is_empty() {
        work.outcome.reason = format!(
            "{}; {} account(s) whose standing cannot be read",
            work.outcome.reason,
            unreadable.len()
        );
    }
    work
}

/// One message per account: each is handled as its vend would be.
async fn fan_out(
    queue: &SweepQueue,
    job: &Job,
    ids: &[String],
    ou: &str,
) -> Result<Work, AwsError> {
    let bodies: Vec<String> = ids
        .iter()
        .map(|a| {
            Reattempt {
                account: a.clone(),
                chain: job.trigger.event_id.clone(),
                attempt: 0,
            }
            .body()
        })
        .collect();
    let n = queue.send_all(&bodies).await?;
    Ok(Work {
        outcome: Outcome {
            result: Handled::FannedOut,
            reason: format!(
                "baseline on OU {ou}: {} queued",
                crate::domain::words::count(n, "account")
            ),
            ..Outcome::default()
        },
        ..Work::default()
    })
}
