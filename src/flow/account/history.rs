//! The versions made since the table last recorded each slot, read back
//! (bounded, all at once) and judged (`domain::version_gap`): Run As set out
//! of policy and back before any run looked is found in the versions in
//! between, and told once, by the run that claims it. A read that fails
//! leaves that version counted as unread, never the run failed.

use tokio::task::JoinSet;

use super::{change, Ctx};
use crate::adapters::aws::ssm::DocumentStore;
use crate::adapters::aws::sts::MemberSession;
use crate::adapters::store::reported::Reported;
use crate::domain::job::Job;
use crate::domain::known::{Known, Snapshot};
use crate::domain::outcome::RegionOutcome;
use crate::domain::preferences::{Preferences, RunAs};
use crate::domain::version_gap::{self, Gap, History, Past};

/// Each document row with the windows its history holds, when this run is
/// the one to tell them (`history`); rows with no gap are left as they are.
pub(super) async fn with_history(
    ctx: &Ctx<'_>,
    job: &Job,
    session: &MemberSession,
    (account, user): (&str, &str),
    mut regions: Vec<RegionOutcome>,
    known: Option<&Snapshot>,
) -> Vec<RegionOutcome> {
    let mut reads = JoinSet::new();
    for (i, o) in regions.iter().enumerate() {
        let row = known.and_then(|k| k.get(account, &o.slot()));
        let (Some(gap), Some(row)) = (gap_of(o, row), row) else {
            continue;
        };
        let docs = DocumentStore::named(
            session.ssm(&o.region),
            account,
            &o.region,
            o.document_name(),
        );
        let slots = ctx.region_slots.clone();
        let accepted = Accepted::of(o.user(user), row);
        let seen = row.default_version.clone().unwrap_or_default();
        reads.spawn(async move {
            let _slot = slots.acquire_owned().await.expect("semaphore never closes");
            let read = read_back(docs, &gap).await;
            (
                i,
                seen,
                version_gap::windows(&gap, &read, |r| accepted.has(r)),
            )
        });
    }
    while let Some(joined) = reads.join_next().await {
        let Ok((i, seen, history)) = joined else {
            continue;
        };
        let o = &mut regions[i];
        if let Some(history) = told(ctx, job, (account, &seen), o, history).await {
            o.history = Some(history);
        }
    }
    regions
}

/// The Run As no past version is blamed for: what the policy wants now,
/// what it wanted when the table recorded the slot (a policy change is the
/// sweep's news), and what the table recorded there (an audit finding
/// already told).
struct Accepted {
    users: [String; 2],
    recorded: (Option<String>, Option<String>),
}

impl Accepted {
    fn of(user: &str, row: &Known) -> Accepted {
        let then = row.desired_user.clone().unwrap_or_else(|| user.to_string());
        Accepted {
            users: [user.to_string(), then],
            recorded: (row.observed_user.clone(), row.observed_enabled.clone()),
        }
    }

    fn has(&self, r: &RunAs) -> bool {
        self.users.iter().any(|u| r.is_compliant(u))
            || (self.recorded.0.is_some() && change::observed(Some(r)) == self.recorded)
    }
}

/// The versions to read back in one document row: only where the table
/// recorded what it observed there and the document moved since.
fn gap_of(o: &RegionOutcome, recorded: Option<&Known>) -> Option<Gap> {
    // A write announced and not recorded (a run that died or failed after
    // it, retried now): its run told what it replaced, or the intent is
    // looked at; the versions after the recorded one are partly ours.
    if o.nodes.is_some() || recorded?.intent {
        return None;
    }
    version_gap::gap(
        recorded?.default_version.as_deref(),
        o.versions_before.as_ref()?,
    )
}

/// Every version of `gap`, read at once; a version gone or unreadable has
/// no Run As (counted as unread).
async fn read_back(docs: DocumentStore, gap: &Gap) -> Vec<Past> {
    let docs = std::sync::Arc::new(docs);
    let mut reads = JoinSet::new();
    for v in gap.to_read.iter().copied() {
        let docs = docs.clone();
        reads.spawn(async move {
            let (run_as, created) = match docs.past(&v.to_string()).await {
                Ok(Some((content, created))) => {
                    (Preferences::parse(&content).ok().map(|p| p.run_as()), created)
                }
                Ok(None) => (None, None),
                Err(e) => {
                    tracing::warn!(account = %e.account, region = %e.region, version = v, error_code = %e.code, error = %e, "a past version could not be read; counted as unread");
                    (None, None)
                }
            };
            Past {
                number: v,
                run_as,
                created,
            }
        });
    }
    let mut read = Vec::new();
    while let Some(joined) = reads.join_next().await {
        read.extend(joined.ok());
    }
    read
}

/// The history this run tells: windows it is the first to claim while the
/// row still records the default version it judged from (`seen`); a dry
/// run tells nothing and claims nothing; a claim that cannot be made is
/// told: better twice than never. `None` when there is nothing to say.
async fn told(
    ctx: &Ctx<'_>,
    job: &Job,
    (account, seen): (&str, &str),
    o: &RegionOutcome,
    history: History,
) -> Option<History> {
    if history.windows.is_empty() || job.dry_run {
        return (!history.windows.is_empty() || history.unread > 0).then_some(history);
    }
    let claim = Reported::window(
        ctx.state.table().clone(),
        account,
        &o.slot(),
        &job.trigger.event_id,
    );
    match claim
        .claim_window(&version_gap::claimed_value(&history), seen)
        .await
    {
        Ok(true) => Some(history),
        Ok(false) => None,
        Err(e) => {
            tracing::warn!(account, region = %o.region, error_code = %e.code, error = %e, "cannot tell whether this Run As window was told; telling it");
            Some(history)
        }
    }
}
