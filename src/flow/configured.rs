//! `account_configured` is said once per account, by whichever path of a
//! vend gets there first (the vend, the member stack's event, a
//! re-attempt, a baseline): which of a run's told-once alerts
//! ([`crate::domain::alert::told_once`]) it is the first to tell. The wrapper asks beside
//! keeping the run's other alerts and recording its results, not before
//! them, so the question costs a vend no round trip. Those alerts are
//! therefore not kept in the outbox before they are published, only if SNS
//! refuses them: a run that dies before publishing one leaves it to the
//! event's retry, which is the first again under the same trigger. Once
//! per life: an account that left the organization and joined again is
//! told configured again (its alert says when it joined).

use std::collections::{BTreeMap, HashSet};

use crate::adapters::store::vend::Vends;
use crate::domain::alert::Alert;

/// The alerts told once per account ([`crate::domain::alert::told_once`]) that this
/// trigger is the first to tell, each account asked once. A store that
/// cannot answer is asked twice more (a busy table, a throttle the SDK's
/// own retries did not outlast) before the alert goes out anyway: better a
/// repeated alert than a silent one.
pub async fn told_first(vends: &Vends, trigger_id: &str, once: Vec<Alert>) -> Vec<Alert> {
    let accounts: BTreeMap<String, Option<i64>> = once
        .iter()
        .map(|a| (a.account.clone(), a.life_ms()))
        .collect();
    let mut asked = tokio::task::JoinSet::new();
    for (account, life) in accounts {
        let (vends, trigger_id) = (vends.clone(), trigger_id.to_string());
        asked.spawn(async move {
            let first = first_to_tell(&vends, &account, &trigger_id, life).await;
            if !first {
                tracing::info!(
                    account,
                    "account_configured already told by another path of its vend"
                );
            }
            (account, first)
        });
    }
    let mut firsts = HashSet::new();
    while let Some(joined) = asked.join_next().await {
        // A task that died said nothing: better a repeated alert than a silent one.
        match joined {
            Ok((account, true)) => {
                firsts.insert(account);
            }
            Ok((_, false)) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot tell whether the account was already said configured; saying it");
                return once;
            }
        }
    }
    once.into_iter()
        .filter(|a| firsts.contains(&a.account))
        .collect()
}

async fn first_to_tell(vends: &Vends, account: &str, trigger_id: &str, life: Option<i64>) -> bool {
    let mut pause = std::time::Duration::from_millis(200);
    for attempt in 1..=3 {
        match vends.tell_configured(account, trigger_id, life).await {
            Ok(first) => return first,
            Err(e) if attempt < 3 => {
                tracing::info!(account, error_code = %e.code, attempt, "asking again whether the account was already said configured");
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            Err(e) => {
                tracing::warn!(account, error_code = %e.code, error = %e, "cannot tell whether the account was already said configured; saying it")
            }
        }
    }
    true
}
