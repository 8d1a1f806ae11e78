//! A Control Tower baseline applied to an OU: every account the OU holds
//! directly is configured as a vend would (fanned out, one message per
//! account, when a queue is set; one after another here otherwise).

use crate::account::{self, Ctx};
use crate::aws::queue::SweepQueue;
use crate::job::Job;
use crate::outcome::{Handled, Outcome};
use crate::services::Services;
use crate::work::{Home, Work};
use crate::workers::pending::Reattempt;

pub async fn on_ou(svc: &Services, ctx: &Ctx<'_>, job: &Job, mut outcome: Outcome) -> Work {
    let ou = job.trigger.context.ou_id.clone().unwrap_or_default();
    let accounts = match ctx.org.accounts_of(&ou).await {
        Ok(a) => a,
        Err(e) => return Work::error(outcome, &e),
    };
    let ids: Vec<String> = accounts
        .into_iter()
        .filter(|a| a.is_active())
        .map(|a| a.id)
        .collect();
    if ids.is_empty() {
        outcome.result = Handled::Ignored;
        outcome.reason = format!("OU {ou} holds no active account");
        return Work::answered(outcome);
    }
    if let (Some(queue), false) = (&svc.queue, job.dry_run) {
        return fan_out(queue, job, &ids, &ou, outcome).await;
    }
    let mut all = Work {
        outcome,
        alerts: vec![],
        uncommitted: vec![],
        failed: false,
        home: Home::Claim,
    };
    for id in ids {
        let mut one = job.clone();
        one.trigger.account = Some(id.clone());
        let ahead = account::prepare(ctx, &one, &id, &svc.policy.regions).await;
        let fresh = Outcome::new(serde_json::Value::Null, Handled::Done, "");
        let w = super::account::work(svc, ctx, &one, fresh, Some(ahead)).await;
        all.outcome.accounts.extend(w.outcome.accounts);
        all.alerts.extend(w.alerts);
        all.uncommitted.extend(w.uncommitted);
        all.failed |= w.failed;
    }
    all.outcome.reason = format!(
        "baseline on OU {ou}: {} accounts reconciled",
        all.outcome.accounts.len()
    );
    all
}

/// One message per account: each is handled as its vend would be.
async fn fan_out(
    queue: &SweepQueue,
    job: &Job,
    ids: &[String],
    ou: &str,
    mut outcome: Outcome,
) -> Work {
    let bodies: Vec<String> = ids
        .iter()
        .map(|a| {
            Reattempt {
                account: a.clone(),
                chain: job.trigger.event_id.clone(),
                attempt: 0,
            }
            .body()
        })
        .collect();
    match queue.send_all(&bodies).await {
        Ok(n) => {
            outcome.result = Handled::FannedOut;
            outcome.reason = format!("baseline on OU {ou}: {n} accounts queued");
            Work::answered(outcome)
        }
        Err(e) => Work::error(outcome, &e),
    }
}
