//! The scheduled sweep: empty the outbox while walking the organization,
//! then fan out or run every account, and say in one summary what it found.

use std::sync::Arc;

use super::slots::run_accounts;
use super::{checked, knowing, tally, told, whole_table, SweepMessage};
use crate::adapters::aws::organizations::{AccountInfo, Org};
use crate::domain::alert;
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::job::Job;
use crate::domain::outcome::{Handled, Outcome};
use crate::flow::outbox::flush_outbox;
use crate::flow::services::Services;
use crate::flow::work::{Home, Work, Worked};
use crate::flow::workers::identity_center::{failed_json, look_told};

/// The scheduled sweep, and any OU or account id the policy names that the
/// walked organization does not have (a typo, an OU deleted since): alerted,
/// never silently re-resolved to another rule.
pub async fn on_schedule(svc: &Arc<Services>, job: &Job, org: &Org) -> Worked {
    let (work, identity_center) =
        tokio::join!(swept(svc, job, org), identity_center(svc, job, org));
    // A sweep that failed still says what the look and the policy's ids found.
    let mut work = work.unwrap_or_else(|e| Work::failed(&e));
    work.alerts.extend(unknown_ids(svc, job, org));
    if let Some((json, alert)) = identity_center {
        // Said in the sweep's summary too, when there is one.
        for summary in work
            .alerts
            .iter_mut()
            .filter(|a| a.kind == alert::Kind::SweepSummary)
        {
            if let serde_json::Value::Object(b) = &mut summary.body {
                b.insert("identity_center".into(), json.clone());
            }
        }
        work.outcome.identity_center = Some(json);
        work.alerts.extend(alert);
    }
    Ok(work)
}

/// The declared Identity Center mapping, looked at once per sweep (beside
/// the accounts): a failure is the sweep's outcome and log, not an account's.
async fn identity_center(
    svc: &Services,
    job: &Job,
    org: &Org,
) -> Option<(serde_json::Value, Option<alert::Alert>)> {
    let declared = svc.policy.identity_center.as_ref()?;
    match look_told(svc, &svc.ctx(org), job, declared, None).await {
        Ok(Some(looked)) => {
            tracing::info!(instance = %looked.instance, status = looked.kept.status(), "Identity Center mapping looked at");
            Some((looked.json(), looked.alert))
        }
        Ok(None) => None,
        Err((e, told)) => Some((failed_json(&e), told)),
    }
}

fn unknown_ids(svc: &Services, job: &Job, org: &Org) -> Option<alert::Alert> {
    let known = org.walked_ids()?;
    let unknown = crate::domain::policy::ids::unknown_ids(&svc.policy, &known);
    if unknown.is_empty() {
        return None;
    }
    tracing::error!(outcome = "policy_ids_unknown", ids = %crate::domain::policy::ids::describe(&unknown, 10), "the policy names ids the organization does not have");
    Some(alert::policy_ids_unknown(
        &unknown,
        &job.trigger.event_id,
        &clock::iso(clock::now()),
    ))
}

/// Empty the outbox, then fan out or run every account.
async fn swept(svc: &Arc<Services>, job: &Job, org: &Org) -> Result<Work, AwsError> {
    // What earlier runs left in the outbox goes out, and the table is read,
    // while the tree is walked: the accounts start once the walk ends. A
    // fanned-out sweep leaves the table's read unused (each account reads
    // its own rows); a few Query pages, against a round trip every sweep.
    let walked_ms = clock::epoch_millis(clock::now());
    let (accounts, _, known) = tokio::join!(
        org.walk(),
        flush_outbox(&svc.receipts, &svc.alerts, &job.owner),
        whole_table(svc)
    );
    let accounts = accounts?;
    if svc.queue.is_some() && accounts.len() > svc.settings.fanout_threshold {
        return fanned(svc, org, job, &accounts, walked_ms).await;
    }
    let regions = svc.policy.regions.clone();
    let job = &knowing(job, known?);
    let ((swept, unreached), last) = tokio::join!(
        run_accounts(svc, job, org, accounts, &regions, None),
        svc.state.last_sweep()
    );
    let mut tally = tally(&swept);
    super::watch(&mut tally, org.walked_policy_types(), Some(&last));
    let mut outcome = Outcome {
        reason: format!(
            "swept {}, {}",
            crate::domain::words::count(tally.accounts, "account"),
            crate::domain::words::count(tally.account_regions, "account-region")
        ),
        ..Outcome::default()
    };
    let mut alerts = told(svc, &tally, &job.trigger);
    // Kept before the marks; the delivery that keeps the rest is the claim's.
    super::canary::kept_then_marked(svc, &job.owner, &alerts, &tally.canary.marks).await;
    if unreached.is_empty() {
        alerts.extend(whole_checked(svc, job, &tally, last, &mut outcome).await);
    } else {
        outcome
            .reason
            .push_str(&hand_over(svc, org, (&job.trigger.event_id, walked_ms), &unreached).await);
        outcome.unreached = Some(unreached.iter().map(|a| a.id.clone()).collect());
    }
    outcome.accounts = swept.into_iter().map(|s| s.report).collect();
    // A sweep's failed account-regions are in its summary, recorded, and
    // retried by the next sweep; re-running a whole-organization sweep for
    // one broken account would multiply the load by Lambda's retries.
    Ok(Work {
        outcome,
        alerts,
        uncommitted: vec![],
        failed: false,
        home: Home::Outbox,
    })
}

/// More accounts than one invocation takes: each queued for its own run.
async fn fanned(
    svc: &Arc<Services>,
    org: &Org,
    job: &Job,
    accounts: &[AccountInfo],
    walked_ms: i64,
) -> Result<Work, AwsError> {
    let sent = fan_out(svc, org, (&job.trigger.event_id, walked_ms), accounts).await?;
    Ok(Work {
        outcome: Outcome {
            result: Handled::FannedOut,
            fanned_out: Some(sent),
            reason: format!(
                "{sent} accounts queued for reconcile (more than {})",
                svc.settings.fanout_threshold
            ),
            ..Outcome::default()
        },
        ..Work::default()
    })
}

/// A sweep that reached every account checks itself (cut short, it would
/// compare a part with a whole): a degraded one says so in its outcome.
async fn whole_checked(
    svc: &Services,
    job: &Job,
    tally: &crate::domain::summary::Tally,
    last: super::Last,
    outcome: &mut Outcome,
) -> Option<alert::Alert> {
    let (degraded, alert) = checked(svc, &job.trigger, tally, last).await?;
    outcome
        .reason
        .push_str(&format!("; DEGRADED: {}", degraded.said));
    outcome.degraded = Some(Box::new(degraded));
    Some(alert)
}

/// One SQS message per account under `sweep_id`, with when the walk began;
/// the sweep item first, so the account that finishes last can tell it is
/// last.
async fn fan_out(
    svc: &Services,
    org: &Org,
    (sweep_id, walked_ms): (&str, i64),
    accounts: &[AccountInfo],
) -> Result<usize, AwsError> {
    let Some(queue) = &svc.queue else {
        return Ok(0);
    };
    let departed = super::departed(svc).await;
    // What the walk learned travels with each account (well under SQS's
    // 256 KiB: an id, a name, a state and at most six path entries).
    let bodies: Vec<String> = accounts
        .iter()
        .map(|a| {
            serde_json::to_string(&SweepMessage {
                sweep_id: sweep_id.to_string(),
                account: a.id.clone(),
                name: Some(a.name.clone()),
                status: SweepMessage::status_of(&a.state),
                path: org.walked_path(&a.id),
                departed: departed.as_ref().map(|d| d.contains(&a.id)),
                joined_ms: a.joined_ms,
                walked_ms: Some(walked_ms),
            })
            .expect("plain struct serialises")
        })
        .collect();
    svc.sweeps.start(sweep_id, bodies.len()).await?;
    org_part(svc, org, sweep_id).await?;
    queue.send_all(&bodies).await
}

/// What the walk alone read, for the summary of a whole fanned-out sweep:
/// the unknown organization policy types, as a part of its own (stored
/// before any account's message goes out, so the last account finds it).
async fn org_part(svc: &Services, org: &Org, sweep_id: &str) -> Result<(), AwsError> {
    let mut tally = crate::domain::summary::Tally::default();
    super::watch(&mut tally, org.walked_policy_types(), None);
    if super::is_rest(sweep_id) || tally.policy_types.unknown.is_empty() {
        return Ok(());
    }
    let part = serde_json::to_string(&tally).expect("tally serialises");
    svc.sweeps.put_part(sweep_id, "-organization", &part).await
}

/// Accounts the deadline left unreached: queued as a sweep of their own
/// (with its own summary), or left for the next sweep. Says which.
async fn hand_over(
    svc: &Services,
    org: &Org,
    (sweep_id, walked_ms): (&str, i64),
    unreached: &[AccountInfo],
) -> String {
    let rest = super::rest_of(sweep_id);
    let n = unreached.len();
    tracing::warn!(
        outcome = "deadline",
        accounts = n,
        "the invocation's deadline is near; accounts left unreached"
    );
    if svc.queue.is_none() {
        return format!(
            "; {n} account(s) not reached before the deadline: left for the next sweep"
        );
    }
    match fan_out(svc, org, (&rest, walked_ms), unreached).await {
        Ok(sent) => {
            format!("; {sent} account(s) not reached before the deadline: queued as sweep {rest}")
        }
        Err(e) => {
            tracing::error!(error_code = %e.code, error = %e, "cannot queue the unreached accounts");
            format!(
                "; {n} account(s) not reached before the deadline: left for the next sweep ({})",
                e.code
            )
        }
    }
}
