//! The run-as user check's news: which account-regions this run found with
//! nodes newly lacking the user. One conditional write per check row whose
//! finding changed (none in a steady sweep), so on-call hears it once.

use std::collections::HashSet;

use tokio::task::JoinSet;

use crate::adapters::store::reported::Reported;
use crate::adapters::store::state::StateStore;
use crate::domain::job::Job;
use crate::domain::nodes::{plan, Readiness};
use crate::domain::outcome::RegionOutcome;

pub(super) async fn newly_missing(
    state: &StateStore,
    job: &Job,
    account: &str,
    regions: &[RegionOutcome],
) -> HashSet<String> {
    let mut news = HashSet::new();
    if job.dry_run {
        return news;
    }
    let mut tasks = JoinSet::new();
    for o in regions {
        let Some(now) = o.nodes.clone() else { continue };
        let slot = o.slot();
        let known = job.known.as_ref().and_then(|k| k.get(account, &slot));
        let recorded = known.and_then(|k| k.nodes.as_deref().and_then(Readiness::from_json));
        // A sweep knows what was recorded (every record follows a report):
        // the same finding, or nothing missing where nothing was, is no news
        // and costs no write. An event run does not know, and reports.
        let quiet = recorded.as_ref() == Some(&now)
            || (known.is_some()
                && now.missing == 0
                && recorded.as_ref().is_none_or(|r| r.missing == 0));
        if quiet {
            continue;
        }
        let reported =
            Reported::nodes(state.table().clone(), account, &slot, &job.trigger.event_id);
        tasks.spawn(async move {
            let before = match reported.swap(&now.to_json()).await {
                Ok(Some(before)) => before.as_deref().and_then(Readiness::from_json),
                Ok(None) => return None,
                Err(e) => {
                    // Better a repeated alert than a silent one.
                    tracing::warn!(account = %reported.account, slot, error_code = %e.code, error = %e, "cannot tell whether these nodes are news; judging by the record");
                    recorded
                }
            };
            plan::newly_missing(before.as_ref(), &now).then_some(slot)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok(Some(slot)) = joined {
            news.insert(slot);
        }
    }
    news
}
