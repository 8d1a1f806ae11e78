//! The router: which worker a claimed trigger goes to. Picks; works nothing
//! itself (what a worker reads ahead while the claim is taken is the
//! worker's: [`workers::account::read_ahead`]).

pub mod plan;

use crate::adapters::aws::organizations::Org;
use crate::domain::job::Job;
use crate::domain::outcome::Outcome;
use crate::domain::trigger::{Trigger, TriggerKind};
use crate::flow::account::Prepare;
use crate::flow::services::Services;
use crate::flow::sweep;
use crate::flow::work::Work;
use crate::flow::workers;

/// Which worker takes a trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worker {
    /// A baseline applied to an OU: every account it covers.
    OuBaseline,
    /// One account: converge its regions (or the one a document event names).
    Account,
    Sweep,
    RunAsOverride,
    SessionDocument,
    ForwardingCanary,
    /// Nothing to do: the classifier said why.
    None,
}

/// The worker of a trigger, by its kind. Pure: `explain --policy` says
/// what it picks.
pub fn worker(t: &Trigger) -> Worker {
    match t.kind {
        TriggerKind::BaselineApplied if t.account.is_none() => Worker::OuBaseline,
        TriggerKind::AccountVended
        | TriggerKind::AccountMoved
        | TriggerKind::DocumentChanged
        | TriggerKind::MemberStackLanded
        | TriggerKind::BaselineApplied => Worker::Account,
        TriggerKind::Sweep => Worker::Sweep,
        TriggerKind::RunAsOverride => Worker::RunAsOverride,
        TriggerKind::SessionDocumentChanged => Worker::SessionDocument,
        TriggerKind::ForwardingCanary => Worker::ForwardingCanary,
        TriggerKind::Ignored => Worker::None,
    }
}

/// The claimed trigger's work, by its worker, said in its outcome.
pub async fn work(
    svc: &std::sync::Arc<Services>,
    job: &Job,
    org: &Org,
    classified: Outcome,
    prefetched: Option<Prepare>,
) -> Work {
    let ctx = svc.ctx(org);
    let worked = match worker(&job.trigger) {
        Worker::OuBaseline => workers::baseline::on_ou(svc, &ctx, job).await,
        Worker::Account => workers::account::work(svc, &ctx, job, prefetched).await,
        Worker::Sweep => sweep::on_schedule(svc, job, org).await,
        Worker::RunAsOverride => workers::run_as_override::on_override(svc, &ctx, job).await,
        Worker::SessionDocument => {
            workers::session_document::on_session_document(svc, &ctx, job).await
        }
        Worker::ForwardingCanary => workers::canary::arrived(svc, job).await,
        Worker::None => Ok(Work::default()),
    };
    Work::of(classified, worked)
}
