//! A vend, a move or a document event: converge one account's regions (or
//! the one region a document event names) and decide its alerts. What it
//! reads ahead (the account's OU path, a session, its documents) needs no
//! claim, so the wrapper runs [`read_ahead`] while the event is claimed.

use crate::domain::alert::{self, Facts, Per};
use crate::domain::clock;
use crate::domain::governance::Departure;
use crate::domain::job::Job;
use crate::domain::outcome::{failure_summary, Outcome};
use crate::domain::policy::{Policy, Standing};
use crate::domain::trigger::{Trigger, TriggerKind};
use crate::flow::account::{self, Ctx, Prepare};
use crate::flow::services::Services;
use crate::flow::work::{Home, Work};
use crate::flow::workers::pending;

/// Where this worker looks for one trigger, and whether its alerts speak
/// of the account or of one region.
pub struct Scope {
    pub regions: Vec<String>,
    pub per: Per,
}

/// A document event's region (when governed); every governed region
/// otherwise. `Err` says why there is nothing to look at. Pure: `explain
/// --policy` says what it decides.
pub fn scope(policy: &Policy, t: &Trigger) -> Result<Scope, String> {
    match (t.kind, &t.region) {
        (TriggerKind::DocumentChanged, region) => {
            let region = region.clone().unwrap_or_default();
            if !policy.governs_region(&region) {
                return Err(format!("region {region} is not governed by the policy"));
            }
            Ok(Scope {
                regions: vec![region],
                per: Per::Region,
            })
        }
        _ => Ok(Scope {
            regions: policy.regions.clone(),
            per: Per::Account,
        }),
    }
}

/// Whether a trigger is this worker's.
fn takes(kind: TriggerKind) -> bool {
    match kind {
        TriggerKind::AccountVended
        | TriggerKind::AccountMoved
        | TriggerKind::DocumentChanged
        | TriggerKind::MemberStackLanded
        | TriggerKind::BaselineApplied => true,
        TriggerKind::Sweep
        | TriggerKind::RunAsOverride
        | TriggerKind::SessionDocumentChanged
        | TriggerKind::ForwardingCanary
        | TriggerKind::Ignored => false,
    }
}

/// The account the trigger names, prepared (its OU path, a session in it,
/// its documents observed). `None` for a trigger this worker does not take
/// or that names nothing to look at.
pub async fn read_ahead(svc: &Services, ctx: &Ctx<'_>, job: &Job) -> Option<Prepare> {
    let t = &job.trigger;
    if !takes(t.kind) {
        return None;
    }
    let account = t.account.as_deref()?;
    let scope = scope(&svc.policy, t).ok()?;
    Some(account::prepare(ctx, job, account, &scope.regions).await)
}

/// Converge the account (whoever wrote: our own writes find the document
/// right and stay silent) and decide its alerts; recording and publishing
/// are the wrapper's, after the alerts are kept. `ahead` is what
/// [`read_ahead`] found.
pub async fn work(
    svc: &Services,
    ctx: &Ctx<'_>,
    job: &Job,
    mut outcome: Outcome,
    ahead: Option<Prepare>,
) -> Work {
    let Scope { regions, per } = match scope(&svc.policy, &job.trigger) {
        Ok(s) => s,
        Err(why) => return ignored(outcome, why),
    };
    let account = job.trigger.account.clone().unwrap_or_default();
    let (prepared, left) = match entered(svc, ctx, job, &account, ahead).await {
        Ok(entered) => entered,
        Err(NotEntered::Ignored(why, alerts)) => {
            return Work {
                alerts,
                ..ignored(outcome, why)
            }
        }
        Err(NotEntered::Failed(e)) => return Work::error(outcome, &e),
    };
    let regions = prepared.regions(&regions).to_vec();
    let mut acct = account::converge(ctx, job, &account, None, prepared, &regions).await;
    let at = clock::iso(clock::now());
    let reverts = acct.reverts_last_hour(job);
    let facts = Facts {
        trigger: &job.trigger,
        expected_editor: job
            .trigger
            .actor
            .as_ref()
            .is_some_and(|a| svc.policy.is_expected_editor(&a.arn)),
        reverts_last_hour: &reverts,
        new_drift: &acct.new_drift,
        new_missing: &acct.new_missing,
        at: &at,
    };
    // What the policy changed is the sweep summary's, not drift.
    let mut alerts = alert::not_drift(&acct.report, alert::decide(&acct.report, per, &facts));
    alerts.extend(left.as_ref().map(|d| departed(job, d)));
    acct.report.left_governance = left;
    pending::follow_up(svc, job, &acct.report).await;
    let (name, path) = (acct.report.name.clone(), acct.report.ou_path.clone());
    let alerts = told(ctx, &account, (name, path), alerts).await;
    let failed = acct.report.failed();
    if failed {
        outcome.reason = failure_summary(std::slice::from_ref(&acct.report));
    } else if let Some(why) = pending::summary(&acct.report) {
        outcome.reason = why;
    }
    outcome.accounts.push(acct.report.clone());
    Work {
        outcome,
        alerts,
        uncommitted: vec![acct],
        failed,
        home: Home::Claim,
    }
}

/// Why an event's account is not converged.
enum NotEntered {
    /// Not this run's to converge (with the departure told, if any).
    Ignored(String, Vec<alert::Alert>),
    Failed(crate::domain::aws_error::AwsError),
}

/// The account as read ahead, and its departure when this event finds it
/// leaving governance; an account out of scope is not converged (its
/// departure is told all the same).
async fn entered(
    svc: &Services,
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    ahead: Option<Prepare>,
) -> Result<(account::Prepared, Option<Departure>), NotEntered> {
    let prepared = match ready(account, ahead) {
        Ok(p) => p,
        Err(Ok(why)) => return Err(NotEntered::Ignored(why, vec![])),
        Err(Err(e)) => return Err(NotEntered::Failed(e)),
    };
    let left = leaving(svc, ctx, job, account, &prepared.path)
        .await
        .map_err(NotEntered::Failed)?;
    if svc.policy.standing(account, &prepared.path) != Standing::OutOfScope {
        return Ok((prepared, left));
    }
    let alerts = match left {
        Some(d) => told(ctx, account, (None, None), vec![departed(job, &d)]).await,
        None => vec![],
    };
    Err(NotEntered::Ignored(out_of_scope(account), alerts))
}

/// The account as read ahead: else why not (`Ok`: ignored) or what failed.
fn ready(
    account: &str,
    ahead: Option<Prepare>,
) -> Result<account::Prepared, Result<String, crate::domain::aws_error::AwsError>> {
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
    svc: &Services,
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    path: &[String],
) -> Result<Option<Departure>, crate::domain::aws_error::AwsError> {
    let governed = svc.policy.standing(account, path) == Standing::Governed;
    if job.dry_run || (governed && job.trigger.kind != TriggerKind::AccountMoved) {
        return Ok(None);
    }
    let rows = svc.state.snapshot_account(account).await?;
    Ok(account::left::departure(ctx, job, account, None, path, &rows).await)
}

fn departed(job: &Job, d: &Departure) -> alert::Alert {
    let at = clock::iso(clock::now());
    alert::account_left_governance(d, &job.trigger, &at)
}

/// Why an account outside the policy's `[scope]` is not looked at.
pub fn out_of_scope(account: &str) -> String {
    format!("account {account} is out of scope: outside the policy's [scope]")
}

/// The account's alerts with who the account is (its name and OU path).
async fn told(
    ctx: &Ctx<'_>,
    account: &str,
    (name, path): (Option<String>, Option<String>),
    alerts: Vec<alert::Alert>,
) -> Vec<alert::Alert> {
    account::named::about(ctx, account, name, path, alerts).await
}

fn ignored(outcome: Outcome, why: String) -> Work {
    Work::ignored(outcome, why)
}
