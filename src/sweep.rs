//! Many accounts: the scheduled sweep (run here or fanned out over SQS), one
//! fanned-out account, and the operator's `reconcile`. A sweep always
//! finishes and reports: one account's failure is that account's row, and an
//! alert SNS refuses waits in the outbox instead of aborting the sweep. A
//! sweep says what it found in one `sweep_summary`, never per account-region.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::account::{self, Run};
use crate::alert::Alert;
use crate::aws::organizations::{AccountInfo, Org};
use crate::aws::AwsError;
use crate::clock;
use crate::deadline;
use crate::ids::is_account_id;
use crate::outcome::{AccountReport, Action, Handled, Outcome, RegionOutcome};
use crate::reactor::Services;
use crate::receipt::{deliver, flush_outbox, Home, Work};
use crate::summary::{self, Tally};
use crate::trigger::{Trigger, TriggerKind};

/// One account's report and the regions whose drift it saw first.
type Swept = (AccountReport, HashSet<String>);

/// One account per SQS message when a sweep fans out. It carries what the
/// sweep's one walk of the organization learned (name, status, OU path), so
/// the worker asks Organizations nothing. Messages from before these fields
/// existed still work: the worker then looks the account up.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SweepMessage {
    pub sweep_id: String,
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Root-first `(id, name)` of the root and every OU above the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<(String, String)>>,
}

/// Organizations nests five OU levels below the root: a longer path is not real.
const MAX_PATH: usize = 6;
/// OU names are at most 128 characters; ids at most 68; account names 50.
const MAX_NAME: usize = 128;

impl SweepMessage {
    pub fn parse(body: &str) -> Result<SweepMessage, String> {
        let m: SweepMessage =
            serde_json::from_str(body).map_err(|e| format!("sweep message is not valid: {e}"))?;
        if !is_account_id(&m.account) {
            return Err(format!(
                "sweep message field `account`: expected a 12-digit account id, found {:?}",
                m.account
            ));
        }
        if m.sweep_id.is_empty() || m.sweep_id.len() > 128 {
            return Err("sweep message field `sweep_id`: must be 1 to 128 characters".into());
        }
        let too_long = |s: &Option<String>| s.as_ref().is_some_and(|s| s.len() > MAX_NAME);
        if too_long(&m.name) || too_long(&m.status) {
            return Err(format!(
                "sweep message fields `name` and `status`: at most {MAX_NAME} characters"
            ));
        }
        if let Some(path) = &m.path {
            let well_formed = |i: usize, id: &str| {
                (if i == 0 {
                    id.starts_with("r-")
                } else {
                    crate::policy::is_ou_id(id)
                }) && id.len() <= 68
            };
            if path.is_empty()
                || path.len() > MAX_PATH
                || path
                    .iter()
                    .enumerate()
                    .any(|(i, (id, name))| !well_formed(i, id) || name.len() > MAX_NAME)
            {
                return Err(format!(
                    "sweep message field `path`: expected the root and at most {} OUs, root first, as [id, name] pairs",
                    MAX_PATH - 1
                ));
            }
        }
        Ok(m)
    }

    /// The account as the sweep's walk saw it, when the message says.
    fn info(&self) -> Option<AccountInfo> {
        Some(AccountInfo {
            id: self.account.clone(),
            name: self.name.clone()?,
            status: self.status.clone()?,
        })
    }
}

/// Filters for operator-started reconciles.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
}

/// What an operator's reconcile did, alerts included.
pub struct OrgRun {
    pub reports: Vec<AccountReport>,
    pub alerts_sent: usize,
    /// Not published now; kept in the outbox for the next sweep.
    pub alerts_kept: usize,
    /// Neither published nor kept (logged whole).
    pub alerts_lost: usize,
}

fn sweep_trigger(event_id: String, account: Option<String>, source: &str, reason: &str) -> Trigger {
    Trigger {
        kind: TriggerKind::Sweep,
        account,
        region: None,
        actor: None,
        event_id,
        source: source.into(),
        event_name: None,
        reason: reason.into(),
        context: Default::default(),
    }
}

/// The scheduled sweep: empty the outbox, then fan out or run every account.
pub async fn on_schedule(svc: &Arc<Services>, run: &Run, org: &Org, mut outcome: Outcome) -> Work {
    let accounts = match org.walk().await {
        Ok(a) => a,
        Err(e) => return Work::error(outcome, &e),
    };
    if svc.queue.is_some() && accounts.len() > svc.settings.fanout_threshold {
        flush_outbox(&svc.receipts, &svc.alerts, &run.owner).await;
        return match fan_out(svc, org, &run.trigger.event_id, &accounts).await {
            Ok(sent) => {
                outcome.result = Handled::FannedOut;
                outcome.fanned_out = Some(sent);
                outcome.reason = format!(
                    "{sent} accounts queued for reconcile (more than {})",
                    svc.settings.fanout_threshold
                );
                Work::answered(outcome)
            }
            Err(e) => Work::error(outcome, &e),
        };
    }
    let regions = svc.policy.regions.clone();
    let run = &match with_snapshot(svc, run, None).await {
        Ok(run) => run,
        Err(e) => return Work::error(outcome, &e),
    };
    flush_outbox(&svc.receipts, &svc.alerts, &run.owner).await;
    let (swept, unreached) = run_accounts(svc, run, org, accounts, &regions, None).await;
    let tally = tally(&swept);
    outcome.reason = format!(
        "swept {} accounts, {} account-regions",
        tally.accounts, tally.account_regions
    );
    if unreached.is_empty() {
        sweep_done(svc, run, &tally).await;
    } else {
        outcome
            .reason
            .push_str(&hand_over(svc, org, &run.trigger.event_id, &unreached).await);
        outcome.unreached = Some(unreached.iter().map(|a| a.id.clone()).collect());
    }
    outcome.accounts = swept.into_iter().map(|(r, _)| r).collect();
    // A sweep's failed account-regions are in its summary, recorded, and
    // retried by the next sweep; re-running a whole-organization sweep for
    // one broken account would multiply the load by Lambda's retries.
    Work {
        outcome,
        alerts: summary::alert(&tally, &run.trigger, &clock::iso(clock::now()))
            .into_iter()
            .collect(),
        uncommitted: vec![],
        failed: false,
        home: Home::Outbox,
    }
}

/// One SQS message per account under `sweep_id`; the sweep item first, so
/// the account that finishes last can tell it is last.
async fn fan_out(
    svc: &Services,
    org: &Org,
    sweep_id: &str,
    accounts: &[AccountInfo],
) -> Result<usize, AwsError> {
    let Some(queue) = &svc.queue else {
        return Ok(0);
    };
    // What the walk learned travels with each account (well under SQS's
    // 256 KiB: an id, a name, a status and at most six path entries).
    let bodies: Vec<String> = accounts
        .iter()
        .map(|a| {
            serde_json::to_string(&SweepMessage {
                sweep_id: sweep_id.to_string(),
                account: a.id.clone(),
                name: Some(a.name.clone()),
                status: Some(a.status.clone()),
                path: org.walked_path(&a.id),
            })
            .expect("plain struct serialises")
        })
        .collect();
    svc.sweeps.start(sweep_id, bodies.len()).await?;
    queue.send_all(&bodies).await
}

/// Accounts the deadline left unreached: queued as a sweep of their own
/// (with its own summary), or left for the next sweep. Says which.
async fn hand_over(svc: &Services, org: &Org, sweep_id: &str, unreached: &[AccountInfo]) -> String {
    let rest = format!("{sweep_id}-rest");
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
    match fan_out(svc, org, &rest, unreached).await {
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

/// The run, knowing what the table says (all of it, or one account's), so
/// it writes only what changed. A table that cannot be read is the hub's
/// failure, reported once, before any member account is touched: every
/// write needs it (leases live there).
async fn with_snapshot(svc: &Services, run: &Run, account: Option<&str>) -> Result<Run, AwsError> {
    let snapshot = match account {
        Some(a) => svc.state.snapshot_account(a).await,
        None => svc.state.snapshot().await,
    }?;
    let mut run = run.clone();
    run.known = Some(Arc::new(snapshot));
    Ok(run)
}

/// "Last checked" for every account-region the sweep did not write.
async fn sweep_done(svc: &Services, run: &Run, tally: &Tally) {
    if let Err(e) = svc
        .state
        .sweep_done(&run.trigger.event_id, tally.account_regions)
        .await
    {
        tracing::warn!(error_code = %e.code, error = %e, "cannot record the sweep's time");
    }
}

fn tally(swept: &[Swept]) -> Tally {
    let mut t = Tally::default();
    for (report, new_drift) in swept {
        t.add(report, new_drift);
    }
    t
}

/// One account of a fanned-out sweep (an SQS message). Its part of the
/// summary is stored whatever happened to the account (a failure is a part
/// that says so), so the summary always completes. `Err` only when the part
/// itself could not be stored: that, a redelivery can repair.
pub async fn sweep_one(
    svc: &Arc<Services>,
    message: &SweepMessage,
) -> Result<AccountReport, AwsError> {
    let trigger = sweep_trigger(
        message.sweep_id.clone(),
        Some(message.account.clone()),
        "aws.sqs",
        "fanned-out sweep",
    );
    let run = Run::new(trigger, false);
    let swept = match worked(svc, &run, message).await {
        Ok(swept) => swept,
        Err(e) => {
            tracing::error!(outcome = "remediation_failed", account = %message.account, error_code = %e.code, error = %e, "account not swept; its failure is its part of the summary");
            let name = message.name.clone().unwrap_or_default();
            let report =
                AccountReport::uniform(&message.account, &name, &svc.policy.regions, |r| {
                    RegionOutcome::failed(r, &e.code, e.to_string())
                });
            (report, HashSet::new())
        }
    };
    let part =
        serde_json::to_string(&tally(std::slice::from_ref(&swept))).expect("tally serialises");
    if svc
        .sweeps
        .finish(&message.sweep_id, &message.account, &part)
        .await?
        && svc
            .sweeps
            .claim_summary(&message.sweep_id, &run.owner)
            .await?
    {
        summarise_fanned_out(svc, &message.sweep_id).await?;
    }
    Ok(swept.0)
}

/// The account's work, from what the message carries (an older message:
/// looked up in Organizations).
async fn worked(svc: &Arc<Services>, run: &Run, message: &SweepMessage) -> Result<Swept, AwsError> {
    let run = with_snapshot(svc, run, Some(&message.account)).await?;
    let org = svc.org.fresh();
    if let Some(path) = &message.path {
        org.seed_path(&message.account, path);
    }
    let info = match message.info() {
        Some(info) => info,
        None => org
            .describe_account(&message.account)
            .await?
            .unwrap_or(AccountInfo {
                id: message.account.clone(),
                name: String::new(),
                status: "NOT_IN_ORGANIZATION".into(),
            }),
    };
    sweep_account(svc, &run, &org, info, &svc.policy.regions).await
}

/// The account that completes a fanned-out sweep speaks for all of them.
async fn summarise_fanned_out(svc: &Arc<Services>, sweep_id: &str) -> Result<(), AwsError> {
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
    let Some(alert) = summary::alert(&whole, &trigger, &clock::iso(clock::now())) else {
        return Ok(());
    };
    deliver(
        &svc.receipts,
        &svc.alerts,
        &crate::ids::token(),
        vec![alert],
    )
    .await;
    Ok(())
}

/// Operator-started reconcile (`runas-guard reconcile`): never fans out.
pub async fn reconcile_org(
    svc: &Arc<Services>,
    scope: &Scope,
    dry_run: bool,
    progress: Option<indicatif::ProgressBar>,
) -> Result<OrgRun, AwsError> {
    let id = format!(
        "cli-{}-{}",
        clock::epoch_secs(clock::now()),
        crate::ids::token()
    );
    let run = Run::new(
        sweep_trigger(id, None, "runas-guard.cli", "operator reconcile"),
        dry_run,
    );
    let org = svc.org.fresh();
    // The hub first: its table, then the organization, then any member.
    let run = if dry_run {
        run
    } else {
        with_snapshot(svc, &run, None).await?
    };
    let mut accounts = org.walk().await?;
    let flushed = if dry_run {
        0
    } else {
        flush_outbox(&svc.receipts, &svc.alerts, &run.owner).await
    };
    if !scope.accounts.is_empty() {
        accounts.retain(|a| scope.accounts.contains(&a.id));
    }
    if let Some(p) = &progress {
        p.set_length(accounts.len() as u64);
    }
    let regions: Vec<String> = svc
        .policy
        .regions
        .iter()
        .filter(|r| scope.regions.is_empty() || scope.regions.contains(r))
        .cloned()
        .collect();
    let whole = scope.accounts.is_empty() && scope.regions.is_empty();
    // The CLI runs without a deadline: every account is reached.
    let (swept, _) = run_accounts(svc, &run, &org, accounts, &regions, progress).await;
    if !dry_run && whole {
        sweep_done(svc, &run, &tally(&swept)).await;
    }
    let alerts: Vec<Alert> = if dry_run {
        vec![]
    } else {
        summary::alert(&tally(&swept), &run.trigger, &clock::iso(clock::now()))
            .into_iter()
            .collect()
    };
    let reports = swept.into_iter().map(|(r, _)| r).collect();
    let delivered = deliver(&svc.receipts, &svc.alerts, &run.owner, alerts).await;
    Ok(OrgRun {
        reports,
        alerts_sent: delivered.sent.len() + flushed,
        alerts_kept: delivered.kept,
        alerts_lost: delivered.lost.len(),
    })
}

/// Every account, a bounded number at once.
async fn run_accounts(
    svc: &Arc<Services>,
    run: &Run,
    org: &Org,
    accounts: Vec<AccountInfo>,
    regions: &[String],
    progress: Option<indicatif::ProgressBar>,
) -> (Vec<Swept>, Vec<AccountInfo>) {
    let limit = Arc::new(Semaphore::new(svc.settings.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    let mut names = HashMap::new();
    let mut unreached = Vec::new();
    for info in accounts {
        // Started accounts finish; none starts too close to the deadline.
        let permit = if deadline::running_out() {
            None
        } else {
            let p = limit
                .clone()
                .acquire_owned()
                .await
                .expect("semaphore never closes");
            (!deadline::running_out()).then_some(p)
        };
        let Some(permit) = permit else {
            unreached.push(info);
            continue;
        };
        let (svc, run, org, regions) = (svc.clone(), run.clone(), org.clone(), regions.to_vec());
        let account = (info.id.clone(), info.name.clone());
        let handle = tasks.spawn(async move {
            let _permit = permit;
            let (id, name) = (info.id.clone(), info.name.clone());
            sweep_account(&svc, &run, &org, info, &regions)
                .await
                .unwrap_or_else(|e| {
                    let report = AccountReport::uniform(&id, &name, &regions, |r| {
                        RegionOutcome::failed(r, &e.code, e.to_string())
                    });
                    (report, HashSet::new())
                })
        });
        names.insert(handle.id(), account);
    }
    let mut results = Vec::new();
    while let Some(joined) = tasks.join_next_with_id().await {
        match joined {
            Ok((_, r)) => results.push(r),
            Err(e) => {
                // A bug, not an AWS answer: still one failed row per region, never a silent gap.
                let (id, name) = names.remove(&e.id()).unwrap_or_default();
                tracing::error!(outcome = "remediation_failed", account = %id, error = %e, "account task died");
                let report = AccountReport::uniform(&id, &name, regions, |r| {
                    RegionOutcome::failed(r, "InternalError", e.to_string())
                });
                results.push((report, HashSet::new()));
            }
        }
        if let Some(p) = &progress {
            p.inc(1);
        }
    }
    results.sort_by(|a, b| a.0.account.cmp(&b.0.account));
    (results, unreached)
}

/// One account of a sweep: reconciled and recorded at once (its leases
/// must not wait for the whole sweep).
async fn sweep_account(
    svc: &Arc<Services>,
    run: &Run,
    org: &Org,
    info: AccountInfo,
    regions: &[String],
) -> Result<Swept, AwsError> {
    let skipped = |why: String| {
        AccountReport::uniform(&info.id, &info.name, regions, |r| {
            RegionOutcome::skipped(r, Action::AccountSuspended, Some(why.clone()))
        })
    };
    if !info.is_active() {
        return Ok((
            skipped(format!("account status {}", info.status)),
            HashSet::new(),
        ));
    }
    let ctx = svc.ctx(org);
    let Some(prepared) = account::prepare(&ctx, run, &info.id, regions).await? else {
        return Ok((
            skipped("account is no longer in the organization".into()),
            HashSet::new(),
        ));
    };
    let acct = account::converge(
        &ctx,
        run,
        &info.id,
        Some(info.name.clone()),
        prepared,
        regions,
    )
    .await;
    // A record that fails is logged by commit; the sweep still reports it.
    let committed = account::commit(&svc.state, run, &acct).await;
    // A dead run's revert, found here: its own alert, not the summary's.
    deliver(&svc.receipts, &svc.alerts, &run.owner, committed.adopted).await;
    Ok((acct.report, acct.new_drift))
}
