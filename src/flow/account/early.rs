//! What a run reads in an account before it decides anything, all at once
//! as soon as the session exists: every governed document of every region,
//! and (when the check is on and the table recorded one) the run-as user
//! check's association. Reading needs no user, so neither the OU path nor
//! the documents make the association wait.

use std::collections::HashMap;

use tokio::task::JoinSet;

use super::Ctx;
use crate::adapters::aws::associations::AssociationStore;
use crate::adapters::aws::ssm::DocumentStore;
use crate::adapters::aws::sts::MemberSession;
use crate::domain::job::Job;
use crate::domain::nodes::{Association, Associations, Readiness};
use crate::domain::outcome::slot;
use crate::flow::reconcile::{look, Seen};

/// What was read early. A read that failed (or a task that died) is simply
/// absent: its document or association is read again when it is needed.
#[derive(Default)]
pub struct Early {
    /// Governed documents, by slot.
    pub documents: HashMap<String, Seen>,
    /// The recorded check association as `DescribeAssociation` answered, by region.
    pub checks: HashMap<String, Option<Association>>,
}

pub(super) async fn read_early(
    ctx: &Ctx<'_>,
    job: &Job,
    session: &MemberSession,
    regions: &[String],
) -> Early {
    let (documents, checks) = tokio::join!(
        documents(ctx, session, regions),
        checks(ctx, job, session, regions)
    );
    Early { documents, checks }
}

/// Every governed document in every region of `regions`, observed at once.
async fn documents(
    ctx: &Ctx<'_>,
    session: &MemberSession,
    regions: &[String],
) -> HashMap<String, Seen> {
    let mut tasks = JoinSet::new();
    for region in regions {
        for name in ctx.policy.document_names() {
            let docs = DocumentStore::named(session.ssm(region), &session.account, region, name);
            let key = slot(region, Some(name));
            let bound = ctx.region_slots.clone();
            tasks.spawn(async move {
                let _slot = bound.acquire_owned().await.expect("semaphore never closes");
                (key, look(&docs).await)
            });
        }
    }
    let mut seen = HashMap::new();
    while let Some(Ok((key, s))) = tasks.join_next().await {
        seen.insert(key, s);
    }
    seen
}

/// The association a sweep's snapshot recorded per region (an event run
/// knows none: it looks the association up by name when it checks).
async fn checks(
    ctx: &Ctx<'_>,
    job: &Job,
    session: &MemberSession,
    regions: &[String],
) -> HashMap<String, Option<Association>> {
    let mut out = HashMap::new();
    let (Some(document), Some(known)) = (ctx.policy.check_document.as_deref(), job.known.as_ref())
    else {
        return out;
    };
    let mut tasks = JoinSet::new();
    for region in regions {
        let recorded = known
            .get(&session.account, &slot(region, Some(document)))
            .and_then(|k| Readiness::from_json(k.nodes.as_deref()?));
        let Some(recorded) = recorded else { continue };
        let store = AssociationStore::new(session.ssm(region), &session.account, region, document);
        let (region, bound) = (region.clone(), ctx.region_slots.clone());
        tasks.spawn(async move {
            let _slot = bound.acquire_owned().await.expect("semaphore never closes");
            (region, store.describe(&recorded.association_id).await)
        });
    }
    while let Some(Ok((region, read))) = tasks.join_next().await {
        if let Ok(a) = read {
            out.insert(region, a);
        }
    }
    out
}
