//! A vend, a move or a document event: converge one account's regions (or
//! the one region a document event names) and decide its alerts.

use crate::account::{self, Ctx};
use crate::alert::{self, Facts, Per};
use crate::clock;
use crate::job::Job;
use crate::outcome::{failure_summary, Handled, Outcome};
use crate::route::Prepare;
use crate::services::Services;
use crate::work::{Home, Work};

/// Converge one account's `regions` and decide its alerts; recording and
/// publishing are the wrapper's, after the alerts are kept.
pub async fn converged(
    svc: &Services,
    ctx: &Ctx<'_>,
    job: &Job,
    mut outcome: Outcome,
    prepared: Option<Prepare>,
    regions: &[String],
    per: Per,
) -> Work {
    let account = job.trigger.account.clone().unwrap_or_default();
    let prepared = match prepared {
        Some(p) => p,
        None => account::prepare(ctx, job, &account, regions).await,
    };
    let prepared = match prepared {
        Ok(Some(p)) => p,
        Ok(None) => {
            outcome.result = Handled::Ignored;
            outcome.reason = format!("account {account} is not in this organization");
            return Work::answered(outcome);
        }
        Err(e) => return Work::error(outcome, &e),
    };
    let acct = account::converge(ctx, job, &account, None, prepared, regions).await;
    let at = clock::iso(clock::now());
    let reverts = acct.reverts_last_hour(job);
    let facts = Facts {
        trigger: &job.trigger,
        mode: svc.policy.mode,
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
    let alerts = alert::decide(&acct.report, per, &facts);
    let failed = acct.report.failed();
    if failed {
        outcome.reason = failure_summary(std::slice::from_ref(&acct.report));
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

/// A document event: that account-region, whoever wrote (our own writes
/// included: they find the document right and stay silent).
pub async fn on_document(
    svc: &Services,
    ctx: &Ctx<'_>,
    job: &Job,
    mut outcome: Outcome,
    prepared: Option<Prepare>,
) -> Work {
    let region = job.trigger.region.clone().unwrap_or_default();
    if !svc.policy.governs_region(&region) {
        outcome.result = Handled::Ignored;
        outcome.reason = format!("region {region} is not governed by the policy");
        return Work::answered(outcome);
    }
    let regions = std::slice::from_ref(&region);
    converged(svc, ctx, job, outcome, prepared, regions, Per::Region).await
}
