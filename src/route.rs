//! The router: which worker a trigger goes to, and what can be read for it
//! before its claim is taken. Picks; works nothing itself.

use crate::account::{self, Ctx, Prepared};
use crate::alert::Per;
use crate::aws::organizations::Org;
use crate::aws::AwsError;
use crate::job::Job;
use crate::outcome::Outcome;
use crate::services::Services;
use crate::sweep;
use crate::trigger::{Trigger, TriggerKind};
use crate::work::Work;
use crate::workers;

/// What preparing an account came to (see [`account::prepare`]).
pub type Prepare = Result<Option<Prepared>, AwsError>;

/// The claimed trigger's work, by its kind.
pub async fn work(
    svc: &std::sync::Arc<Services>,
    job: &Job,
    org: &Org,
    outcome: Outcome,
    prefetched: Option<Prepare>,
) -> Work {
    let ctx = svc.ctx(org);
    match job.trigger.kind {
        TriggerKind::AccountVended | TriggerKind::AccountMoved => {
            let regions = &svc.policy.regions;
            workers::account::converged(svc, &ctx, job, outcome, prefetched, regions, Per::Account)
                .await
        }
        TriggerKind::DocumentChanged => {
            workers::account::on_document(svc, &ctx, job, outcome, prefetched).await
        }
        TriggerKind::Sweep => sweep::on_schedule(svc, job, org, outcome).await,
        TriggerKind::RunAsOverride => {
            workers::run_as_override::on_override(svc, &ctx, job, outcome).await
        }
        TriggerKind::SessionDocumentChanged => {
            workers::session_document::on_session_document(svc, &ctx, job, outcome).await
        }
        TriggerKind::Ignored => Work::answered(outcome),
    }
}

/// A document event's region; every governed region otherwise.
fn regions_for(svc: &Services, t: &Trigger) -> Vec<String> {
    match (&t.kind, &t.region) {
        (TriggerKind::DocumentChanged, Some(r)) => vec![r.clone()],
        _ => svc.policy.regions.clone(),
    }
}

/// The account a vend, move or governed document event names, prepared
/// (its OU path and a session in it): reads need no claim, so they run
/// while the event is claimed (a vend's critical path).
pub async fn prefetch(svc: &Services, ctx: &Ctx<'_>, job: &Job) -> Option<Prepare> {
    let t = &job.trigger;
    let wanted = match t.kind {
        TriggerKind::AccountVended | TriggerKind::AccountMoved => true,
        TriggerKind::DocumentChanged => svc
            .policy
            .governs_region(t.region.as_deref().unwrap_or_default()),
        TriggerKind::Sweep
        | TriggerKind::RunAsOverride
        | TriggerKind::SessionDocumentChanged
        | TriggerKind::Ignored => false,
    };
    let account = t.account.as_deref()?;
    if !wanted {
        return None;
    }
    Some(account::prepare(ctx, job, account, &regions_for(svc, t)).await)
}
