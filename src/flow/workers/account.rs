//! A vend, a move or a document event: converge one account's regions (or
//! the one region a document event names) and decide its alerts. What it
//! reads ahead (the account's OU path, a session, its documents) needs no
//! claim, so the wrapper runs [`read_ahead`] while the event is claimed.

use crate::adapters::aws::sts::MemberSession;
use crate::domain::alert::{self, Facts, Per};
use crate::domain::clock;
use crate::domain::governance::Departure;
use crate::domain::job::Job;
use crate::domain::outcome::{failure_summary, Outcome};
use crate::domain::policy::Policy;
use crate::domain::trigger::{Trigger, TriggerKind};
use crate::flow::account::{self, Ctx, Prepare, Refused};
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
        // The member stack reaching a region the policy does not govern
        // changes nothing runas-guard looks at: its governed regions' own
        // instance events follow.
        (TriggerKind::MemberStackLanded, Some(region)) if !policy.governs_region(region) => Err(
            format!("the member stack landed in region {region}, which the policy does not govern"),
        ),
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

/// One event's account, as a pipeline: admitted (read ahead, in scope, its
/// departure judged) -> converged (every region, each row judged against
/// the table) -> told (its alerts decided and named). Whoever wrote, our
/// own writes find the document right and stay silent; recording and
/// publishing are the wrapper's, after the alerts are kept. `ahead` is
/// what [`read_ahead`] found.
pub async fn work(
    svc: &Services,
    ctx: &Ctx<'_>,
    job: &Job,
    outcome: Outcome,
    ahead: Option<Prepare>,
) -> Work {
    let Scope { regions, per } = match scope(&svc.policy, &job.trigger) {
        Ok(s) => s,
        Err(why) => return Work::ignored(outcome, why),
    };
    let account = job.trigger.account.clone().unwrap_or_default();
    let admitted = match account::admit(ctx, job, &account, ahead).await {
        Ok(admitted) => admitted,
        Err(Refused::Ignored(why, alerts)) => {
            return Work {
                alerts,
                ..Work::ignored(outcome, why)
            }
        }
        Err(Refused::Failed(e)) => return Work::error(outcome, &e),
    };
    if let Some(e) = &admitted.prepared.rows_unread {
        // Never a silent put-back: fail before writing, the retry judges.
        if alert::on_rows_unread(&job.trigger, job.is_reattempt()) == alert::OnRowsUnread::Fail {
            return Work::error(outcome, e);
        }
    }
    let regions = admitted.prepared.regions(&regions).to_vec();
    let session = admitted.prepared.session();
    let acct = account::converge(ctx, job, &account, None, admitted.prepared, &regions).await;
    let said = (per, admitted.left, session.as_ref());
    told(svc, ctx, job, said, outcome, acct).await
}

/// The account's alerts decided (a departure beside them), its re-attempt
/// scheduled, the alerts named (the sessions of the windows they tell
/// read in the account's `session`), and the work handed back.
async fn told(
    svc: &Services,
    ctx: &Ctx<'_>,
    job: &Job,
    (per, left, session): (Per, Option<Departure>, Option<&MemberSession>),
    mut outcome: Outcome,
    mut acct: account::Uncommitted,
) -> Work {
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
    alerts.extend(
        left.as_ref()
            .map(|d| alert::account_left_governance(d, &job.trigger, &at)),
    );
    acct.report.left_governance = left;
    pending::follow_up(svc, job, &acct.report).await;
    let (name, path) = (acct.report.name.clone(), acct.report.ou_path.clone());
    let alerts = account::sessions::listed(ctx, job, session, alerts).await;
    let alerts = account::named::about(ctx, &acct.report.account, name, path, alerts).await;
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
