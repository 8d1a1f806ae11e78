//! The operator's `reconcile`: the whole organization or a selection, now,
//! never fanned out, with or without writing.

use std::sync::Arc;

use super::slots::run_accounts;
use super::{checked, knowing, sweep_trigger, tally, OrgReport, Selection};
use crate::adapters::aws::organizations::Org;
use crate::adapters::store::outbox::OutboxEntry;
use crate::domain::alert::Alert;
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::job::Job;
use crate::domain::known::Snapshot;
use crate::domain::policy::Policy;
use crate::flow::outbox::{deliver, flush_read};
use crate::flow::services::Services;

/// What a whole reconcile reads before it touches anything, read beside
/// the operator's command's own checks: the table ([`super::whole_table`])
/// and the outbox. `None` for a dry run, which reads neither.
pub type Ahead = Option<ReadAhead>;

pub struct ReadAhead {
    table: Result<Snapshot, AwsError>,
    outbox: Result<Vec<OutboxEntry>, AwsError>,
}

/// The table and the outbox, read at once.
pub async fn read_ahead(svc: &Services) -> ReadAhead {
    let (table, outbox) = tokio::join!(super::whole_table(svc), svc.receipts.outbox());
    ReadAhead { table, outbox }
}

/// Operator-started reconcile (`runas-guard reconcile`): never fans out.
/// `ahead`: the table, when it was read beside the command's own checks.
pub async fn reconcile_org(
    svc: &Arc<Services>,
    org: &Org,
    selection: &Selection,
    dry_run: bool,
    progress: Option<indicatif::ProgressBar>,
    ahead: Ahead,
) -> Result<OrgReport, AwsError> {
    let (job, mut accounts, flushed) = started(svc, org, dry_run, ahead).await?;
    if !selection.accounts.is_empty() {
        accounts.retain(|a| selection.accounts.contains(&a.id));
    }
    if let Some(p) = &progress {
        p.set_length(accounts.len() as u64);
    }
    let regions = selection.regions_of(&svc.policy);
    let whole = selection.accounts.is_empty() && selection.regions.is_empty();
    // The CLI runs without a deadline: every account is reached.
    let checks = !dry_run && whole;
    let ((swept, _), last) = tokio::join!(
        run_accounts(svc, &job, org, accounts, &regions, progress),
        async {
            match checks {
                true => Some(svc.state.last_sweep().await),
                false => None,
            }
        }
    );
    let mut tally = tally(&swept);
    super::watch(&mut tally, org.walked_policy_types(), last.as_ref());
    let mut alerts: Vec<Alert> = if dry_run {
        vec![]
    } else {
        super::told(svc, &tally, &job.trigger)
    };
    let mut degraded = None;
    if let Some(last) = last {
        if let Some((d, alert)) = checked(svc, &job.trigger, &tally, last).await {
            alerts.push(alert);
            degraded = Some(d);
        }
    }
    super::canary::kept_then_marked(svc, &job.owner, &alerts, &tally.canary.marks).await;
    let reports: Vec<_> = swept.into_iter().map(|s| s.report).collect();
    let delivered = deliver(&svc.receipts, &svc.alerts, &job.owner, alerts).await;
    let accounts: usize = reports.iter().map(|r| r.alerts_lost).sum();
    Ok(OrgReport {
        reports,
        alerts_sent: delivered.sent.len() + flushed,
        alerts_kept: delivered.kept,
        alerts_lost: delivered.lost.len() + accounts,
        degraded,
    })
}

/// The table, the organization and the outbox, read at once unless the
/// table and the outbox were read ahead; an error still names the hub
/// first: its table, then the organization. A dry run reads neither the
/// table nor the outbox.
async fn started(
    svc: &Arc<Services>,
    org: &Org,
    dry_run: bool,
    ahead: Ahead,
) -> Result<
    (
        Job,
        Vec<crate::adapters::aws::organizations::AccountInfo>,
        usize,
    ),
    AwsError,
> {
    let job = operator_job(dry_run);
    if dry_run {
        return Ok((job, org.walk().await?, 0));
    }
    let (read, accounts) = match ahead {
        Some(read) => (read, org.walk().await),
        None => tokio::join!(read_ahead(svc), org.walk()),
    };
    // What earlier runs left goes out before this run's alerts.
    let flushed = flush_read(&svc.receipts, &svc.alerts, &job.owner, read.outbox, None).await;
    let job = knowing(&job, read.table?);
    Ok((job, accounts?, flushed))
}

/// A fresh event id every time: the operator's reconcile is never a
/// duplicate of anything.
fn operator_job(dry_run: bool) -> Job {
    let id = format!(
        "cli-{}-{}",
        clock::epoch_secs(clock::now()),
        crate::domain::ids::token()
    );
    Job::new(
        sweep_trigger(id, None, "runas-guard.cli", "operator reconcile"),
        dry_run,
    )
}

impl Selection {
    /// The governed regions this selection keeps, in policy order.
    fn regions_of(&self, policy: &Policy) -> Vec<String> {
        policy
            .regions
            .iter()
            .filter(|r| self.regions.is_empty() || self.regions.contains(r))
            .cloned()
            .collect()
    }
}
