//! The router: which worker a claimed trigger goes to. Picks; works nothing
//! itself (what a worker reads ahead while the claim is taken is the
//! worker's: [`workers::account::read_ahead`]).

use crate::account::Prepare;
use crate::aws::organizations::Org;
use crate::job::Job;
use crate::outcome::Outcome;
use crate::services::Services;
use crate::sweep;
use crate::trigger::TriggerKind;
use crate::work::Work;
use crate::workers;

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
        TriggerKind::BaselineApplied if job.trigger.account.is_none() => {
            workers::baseline::on_ou(svc, &ctx, job, outcome).await
        }
        TriggerKind::AccountVended
        | TriggerKind::AccountMoved
        | TriggerKind::DocumentChanged
        | TriggerKind::MemberStackLanded
        | TriggerKind::BaselineApplied => {
            workers::account::work(svc, &ctx, job, outcome, prefetched).await
        }
        TriggerKind::Sweep => sweep::on_schedule(svc, job, org, outcome).await,
        TriggerKind::RunAsOverride => {
            workers::run_as_override::on_override(svc, &ctx, job, outcome).await
        }
        TriggerKind::SessionDocumentChanged => {
            workers::session_document::on_session_document(svc, &ctx, job, outcome).await
        }
        TriggerKind::ForwardingCanary => workers::canary::arrived(svc, job, outcome).await,
        TriggerKind::Ignored => Work::answered(outcome),
    }
}
