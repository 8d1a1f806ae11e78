//! Every account of a sweep, a bounded number at once: each account's
//! session is made while it waits for its slot, and its task says whether
//! it was swept or the deadline came first.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::accounts::sweep_account;
use super::Swept;
use crate::adapters::aws::organizations::{AccountInfo, Org};
use crate::adapters::aws::sts::MemberSession;
use crate::domain::aws_error::AwsError;
use crate::domain::deadline;
use crate::domain::job::Job;
use crate::domain::outcome::{AccountReport, RegionOutcome};
use crate::domain::policy::Standing;
use crate::flow::account;
use crate::flow::services::Services;

/// Every account, a bounded number at once. Each account's session is made
/// while it waits for a slot (at most as many accounts wait as work): its
/// slot is then its member calls alone, not an AssumeRole first.
pub(super) async fn run_accounts(
    svc: &Arc<Services>,
    job: &Job,
    org: &Org,
    accounts: Vec<AccountInfo>,
    regions: &[String],
    progress: Option<indicatif::ProgressBar>,
) -> (Vec<Swept>, Vec<AccountInfo>) {
    let c = svc.settings.concurrency.max(1);
    let (limit, waiting) = (Arc::new(Semaphore::new(c)), Arc::new(Semaphore::new(c)));
    let mut tasks = JoinSet::new();
    let mut names = HashMap::new();
    let mut unreached = Vec::new();
    for info in accounts {
        // Started accounts finish; none starts too close to the deadline.
        let wait = match deadline::running_out() {
            true => None,
            false => Some(
                waiting
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("semaphore never closes"),
            ),
        };
        let Some(wait) = wait.filter(|_| !deadline::running_out()) else {
            unreached.push(info);
            continue;
        };
        let (svc, job, org, regions) = (svc.clone(), job.clone(), org.clone(), regions.to_vec());
        let limit = limit.clone();
        let account = (info.id.clone(), info.name.clone());
        let handle = tasks.spawn(async move {
            let ahead = session_ahead(&svc, &job, &org, &info).await;
            let permit = limit.acquire_owned().await.expect("semaphore never closes");
            drop(wait);
            if deadline::running_out() {
                return Ran::Unreached(info);
            }
            let (id, name) = (info.id.clone(), info.name.clone());
            let swept = sweep_account(&svc, &job, &org, info, &regions, (Some(permit), ahead));
            Ran::Swept(Box::new(swept.await.unwrap_or_else(|e| {
                let report = AccountReport::uniform(&id, &name, &regions, |r| {
                    RegionOutcome::failed(r, &e.code, e.for_row(r))
                });
                Swept::bare(report)
            })))
        });
        names.insert(handle.id(), account);
    }
    let (results, late) = gathered(tasks, names, regions, progress).await;
    unreached.extend(late);
    (results, unreached)
}

/// What an account's task came to: swept, or not started (the deadline
/// came while it waited for a slot).
enum Ran {
    Swept(Box<Swept>),
    Unreached(AccountInfo),
}

/// The account's session, made while it waits for a slot, where its slot
/// would make one: an active account the policy governs (the walk's path
/// decides, no call). `None`: its slot decides, as for any other account.
async fn session_ahead(
    svc: &Services,
    job: &Job,
    org: &Org,
    info: &AccountInfo,
) -> Option<Result<MemberSession, AwsError>> {
    if !info.is_active() {
        return None;
    }
    let ctx = svc.ctx(org);
    let path = account::locate(org, &info.id).await.ok()??;
    if ctx.policy.standing(&info.id, &path) != Standing::Governed {
        return None;
    }
    Some(account::assume(&ctx, job, &info.id).await)
}

/// Every account's result, sorted by account id, and the accounts not
/// started; a task that died is one failed row per region, never a silent
/// gap.
async fn gathered(
    mut tasks: JoinSet<Ran>,
    mut names: HashMap<tokio::task::Id, (String, String)>,
    regions: &[String],
    progress: Option<indicatif::ProgressBar>,
) -> (Vec<Swept>, Vec<AccountInfo>) {
    let (mut results, mut unreached) = (Vec::new(), Vec::new());
    while let Some(joined) = tasks.join_next_with_id().await {
        match joined {
            Ok((_, Ran::Swept(r))) => results.push(*r),
            Ok((_, Ran::Unreached(info))) => unreached.push(info),
            Err(e) => {
                // A bug, not an AWS answer: still one failed row per region, never a silent gap.
                let (id, name) = names.remove(&e.id()).unwrap_or_default();
                tracing::error!(outcome = "remediation_failed", account = %id, error = %e, "account task died");
                let report = AccountReport::uniform(&id, &name, regions, |r| {
                    RegionOutcome::failed(r, "InternalError", e.to_string())
                });
                results.push(Swept::bare(report));
            }
        }
        if let Some(p) = &progress {
            p.inc(1);
        }
    }
    results.sort_by(|a, b| a.report.account.cmp(&b.report.account));
    unreached.sort_by(|a, b| a.id.cmp(&b.id));
    (results, unreached)
}
