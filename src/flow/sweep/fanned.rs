//! One account of a fanned-out sweep (an SQS message), and the summary the
//! last account to finish sends for all of them.

use std::sync::Arc;

use super::accounts::sweep_account;
use super::{sweep_trigger, tally, with_snapshot, SweepMessage, Swept};
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::degraded::Degraded;
use crate::domain::job::Job;
use crate::domain::outcome::{AccountReport, RegionOutcome};
use crate::domain::summary::Tally;
use crate::flow::outbox::deliver;
use crate::flow::services::Services;

/// One account of a fanned-out sweep (an SQS message). Its part of the
/// summary is stored whatever happened to the account (a failure is a part
/// that says so), so the summary always completes. `Err` only when the part
/// itself could not be stored: that, a redelivery can repair. The account
/// that completes the sweep checks it ([`crate::domain::degraded`]): a degraded
/// sweep is told and returned (the metric says it; the message is not
/// failed, since a redelivery would only repeat the account).
pub async fn sweep_one(
    svc: &Arc<Services>,
    message: &SweepMessage,
) -> Result<(AccountReport, Option<Degraded>), AwsError> {
    let trigger = sweep_trigger(
        message.sweep_id.clone(),
        Some(message.account.clone()),
        "aws.sqs",
        "fanned-out sweep",
    );
    let job = Job::new(trigger, false);
    let mut swept = match worked(svc, &job, message).await {
        Ok(swept) => swept,
        Err(e) => {
            tracing::error!(outcome = "remediation_failed", account = %message.account, error_code = %e.code, error = %e, "account not swept; its failure is its part of the summary");
            let name = message.name.clone().unwrap_or_default();
            let report =
                AccountReport::uniform(&message.account, &name, &svc.policy.regions, |r| {
                    RegionOutcome::failed(r, &e.code, e.for_row(r))
                });
            Swept::bare(report)
        }
    };
    let part =
        serde_json::to_string(&tally(std::slice::from_ref(&swept))).expect("tally serialises");
    let mut degraded = None;
    if svc
        .sweeps
        .finish(&message.sweep_id, &message.account, &part)
        .await?
        && svc
            .sweeps
            .claim_summary(&message.sweep_id, &job.owner)
            .await?
    {
        let (checked, lost) = summarise_fanned_out(svc, &message.sweep_id).await?;
        degraded = checked;
        // Lost with the account's own: this message's run counts it.
        swept.report.alerts_lost += lost;
    }
    Ok((swept.report, degraded))
}

/// The account's work, from what the message carries while the walk is
/// fresh; a message older than that, or from before the fields: the
/// account looked up in Organizations (its path and state now, not the
/// walk's: it may have moved out of scope since, its move event lost).
async fn worked(svc: &Arc<Services>, job: &Job, message: &SweepMessage) -> Result<Swept, AwsError> {
    let fresh = message.fresh(clock::epoch_millis(clock::now()));
    if !fresh {
        tracing::info!(account = %message.account, sweep_id = %message.sweep_id, walked_ms = ?message.walked_ms, "sweep message older than its walk's view: the account looked up again");
    }
    let departed = message.departed.filter(|_| fresh);
    let job = with_snapshot(svc, job, (&message.account, departed)).await?;
    let org = svc.org.fresh();
    if let Some(path) = message.path.as_ref().filter(|_| fresh) {
        org.seed_path(&message.account, path);
    }
    let info = match message.info().filter(|_| fresh) {
        Some(info) => info,
        None => match org.describe_account(&message.account).await? {
            Some(info) => info,
            None => {
                let name = message.name.clone().unwrap_or_default();
                let report = super::accounts::gone(&message.account, &name, &svc.policy.regions);
                return Ok(Swept::bare(report));
            }
        },
    };
    sweep_account(svc, &job, &org, info, &svc.policy.regions, (None, None)).await
}

/// The account that completes a fanned-out sweep speaks for all of them,
/// and (for a whole sweep, not a deadline's rest) checks and records it;
/// how many of its alerts SNS refused and the outbox could not keep.
async fn summarise_fanned_out(
    svc: &Arc<Services>,
    sweep_id: &str,
) -> Result<(Option<Degraded>, usize), AwsError> {
    let mut whole = Tally::default();
    for part in svc.sweeps.parts(sweep_id).await? {
        match serde_json::from_str::<Tally>(&part) {
            Ok(t) => whole.merge(t),
            Err(e) => {
                tracing::error!(sweep_id, error = %e, "unreadable sweep part left out of the summary")
            }
        }
    }
    let trigger = sweep_trigger(sweep_id.to_string(), None, "aws.sqs", "fanned-out sweep");
    let last = match super::is_rest(sweep_id) {
        true => None,
        false => Some(svc.state.last_sweep().await),
    };
    super::watch(&mut whole, None, last.as_ref());
    let mut alerts = super::told(svc, &whole, &trigger);
    let mut degraded = None;
    if let Some(last) = last {
        if let Some((d, alert)) = super::checked(svc, &trigger, &whole, last).await {
            alerts.push(alert);
            degraded = Some(d);
        }
    }
    if alerts.is_empty() {
        return Ok((degraded, 0));
    }
    // Every part's findings are marked once the alerts that tell them are
    // kept: a completer that dies before leaves them to the next sweep.
    let owner = crate::domain::ids::token();
    super::canary::kept_then_marked(svc, &owner, &alerts, &whole.canary.marks).await;
    let delivered = deliver(&svc.receipts, &svc.alerts, &owner, alerts).await;
    Ok((degraded, delivered.lost.len()))
}
