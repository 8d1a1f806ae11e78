//! A vend, a move or a document event: converge one account's regions (or
//! the one region a document event names) and decide its alerts. What it
//! reads ahead (the account's OU path, a session, its documents) needs no
//! claim, so the wrapper runs [`read_ahead`] while the event is claimed.

use crate::domain::alert::{self, Per};
use crate::domain::job::Job;
use crate::domain::policy::Policy;
use crate::domain::trigger::{Trigger, TriggerKind};
use crate::flow::account::{self, Ctx, Prepare};
use crate::flow::services::Services;
use crate::flow::work::{Stop, Worked};
use crate::flow::workers::tell;

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
/// what [`read_ahead`] found while the event was claimed; `None`, it reads
/// now (a gated event reads only once through its gate).
pub async fn work(svc: &Services, ctx: &Ctx<'_>, job: &Job, ahead: Option<Prepare>) -> Worked {
    let Scope { regions, per } =
        scope(&svc.policy, &job.trigger).map_err(|why| Stop::Ignored(why, vec![]))?;
    let account = job.trigger.account.clone().unwrap_or_default();
    let ahead = match ahead {
        Some(ahead) => Some(ahead),
        None => read_ahead(svc, ctx, job).await,
    };
    let admitted = account::admit(ctx, job, &account, ahead).await?;
    if let Some(e) = &admitted.prepared.rows_unread {
        // Never a silent put-back: fail before writing, the retry judges.
        if alert::on_rows_unread(&job.trigger, job.is_reattempt()) == alert::OnRowsUnread::Fail {
            return Err(Stop::Failed(e.clone()));
        }
    }
    let regions = admitted.prepared.regions(&regions).to_vec();
    let session = admitted.prepared.session();
    let acct = account::converge(ctx, job, &account, None, admitted.prepared, &regions).await;
    let said = (per, admitted.left, session.as_ref());
    Ok(tell::told(svc, ctx, job, said, acct).await)
}
