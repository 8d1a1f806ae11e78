//! `[session_documents] sweep`: every customer `Session` document of an
//! account's governed regions, read for ones that skip Run As; each one not
//! yet told is alerted (`run_as_bypass`, the same mark as the event's, so an
//! event and a sweep tell one change once), and the mark of one found gone
//! or keeping Run As is cleared, so its next bypass is news.
//!
//! An account can hold hundreds of Session documents per region: they are
//! read a bounded number at once across the account's regions, none is
//! started once the invocation's deadline is near, and a read that fails is
//! that document's, never the others'. A region not looked at whole is a
//! row of the account's report (`Session documents`, failed, saying why).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::adapters::aws::session_documents::SessionDocuments;
use crate::adapters::aws::sts::MemberSession;
use crate::domain::alert::{self, Alert, Elevated};
use crate::domain::aws_error::AwsError;
use crate::domain::bypass::aws_owned;
use crate::domain::clock;
use crate::domain::deadline;
use crate::domain::job::Job;
use crate::domain::outcome::RegionOutcome;
use crate::flow::account::{self, Ctx};
use crate::flow::workers::session_document::{account_user, bypassing, fingerprint};

/// Documents read at once in one account (each read is two or three calls).
pub const READS_AT_ONCE: usize = 8;
/// The report row's name for the look.
pub const LOOK_ROW: &str = "Session documents";

/// What one account's documents came to: the alerts to deliver, and a row
/// per region the look did not cover whole.
#[derive(Default)]
pub(super) struct Found {
    pub alerts: Vec<Alert>,
    pub rows: Vec<RegionOutcome>,
}

/// How the look went in one region.
#[derive(Default)]
struct Coverage {
    /// Documents to look at (governed and AWS's own left out).
    listed: usize,
    failed: Vec<AwsError>,
    unread: usize,
    /// The listing itself failed: marks of this region are kept.
    unlisted: bool,
}

/// One document read: where, which, and what its versions say.
type Read = (String, String, Result<Option<Vec<Elevated>>, AwsError>);

pub(super) async fn look(
    ctx: &Ctx<'_>,
    job: &Job,
    session: Option<MemberSession>,
    account: &str,
    regions: &[String],
) -> Result<Found, AwsError> {
    let mut found = Found::default();
    if !ctx.policy.sweep_session_documents || job.dry_run {
        return Ok(found);
    }
    let user = match account_user(ctx, account).await? {
        Ok(user) => user,
        Err(_) => return Ok(found),
    };
    // The sweep's session in the account, when it has one.
    let session = match session {
        Some(s) => s,
        None => account::assume(ctx, job, account).await?,
    };
    let governed = ctx.policy.document_names();
    let (docs, mut coverage) = list(&session, account, regions).await;
    let todo: Vec<(String, String)> = docs
        .into_iter()
        .filter(|(_, name)| !governed.contains(&name.as_str()) && !aws_owned(name))
        .collect();
    // What the rows count: the documents looked at, not those skipped.
    for (region, c) in coverage.iter_mut() {
        c.listed = todo.iter().filter(|(r, _)| r == region).count();
    }
    let reads = read_all(&session, account, todo, &user, &mut coverage).await;
    found.alerts = tell(ctx, job, account, reads, &mut coverage).await;
    found.rows = rows(regions, &coverage);
    Ok(found)
}

/// Every region's Session documents, listed at once; a listing that fails
/// (or whose task dies) is that region's coverage.
async fn list(
    session: &MemberSession,
    account: &str,
    regions: &[String],
) -> (Vec<(String, String)>, Vec<(String, Coverage)>) {
    let listings: Vec<_> = regions
        .iter()
        .map(|region| {
            let docs = SessionDocuments::new(session.ssm(region), account, region);
            (
                region.clone(),
                tokio::spawn(async move { docs.list_session().await }),
            )
        })
        .collect();
    let mut docs = Vec::new();
    let mut coverage = Vec::new();
    for (region, listing) in listings {
        let mut c = Coverage::default();
        match listing.await {
            Ok(Ok(names)) => docs.extend(names.into_iter().map(|n| (region.clone(), n))),
            Ok(Err(e)) => c.failed.push(e),
            Err(e) => c.failed.push(AwsError {
                operation: "ListDocuments",
                account: account.to_string(),
                region: region.clone(),
                code: "InternalError".into(),
                message: e.to_string(),
            }),
        }
        c.unlisted = !c.failed.is_empty();
        coverage.push((region, c));
    }
    (docs, coverage)
}

/// The coverage of `region` (added when it is not there yet).
fn coverage_of<'a>(all: &'a mut Vec<(String, Coverage)>, region: &str) -> &'a mut Coverage {
    let i = match all.iter().position(|(r, _)| r == region) {
        Some(i) => i,
        None => {
            all.push((region.to_string(), Coverage::default()));
            all.len() - 1
        }
    };
    &mut all[i].1
}

/// Reads `todo`, [`READS_AT_ONCE`] at a time; none is started once the
/// deadline is near (counted unread), and a read that fails is recorded,
/// not returned.
async fn read_all(
    session: &MemberSession,
    account: &str,
    todo: Vec<(String, String)>,
    user: &str,
    coverage: &mut Vec<(String, Coverage)>,
) -> Vec<Read> {
    let limit = Arc::new(Semaphore::new(READS_AT_ONCE));
    let user: Arc<str> = user.into();
    let mut tasks = JoinSet::new();
    let mut region_of = HashMap::new();
    for (region, name) in todo {
        let permit = match deadline::running_out() {
            true => None,
            false => limit.clone().acquire_owned().await.ok(),
        };
        let Some(permit) = permit.filter(|_| !deadline::running_out()) else {
            coverage_of(coverage, &region).unread += 1;
            continue;
        };
        let docs = SessionDocuments::new(session.ssm(&region), account, &region);
        let (user, region_name) = (user.clone(), region.clone());
        let task = tasks.spawn(async move {
            let _permit = permit;
            let read = bypassing(&docs, &name, &user).await;
            (region, name, read)
        });
        region_of.insert(task.id(), region_name);
    }
    let mut reads = Vec::new();
    while let Some(joined) = tasks.join_next_with_id().await {
        match joined {
            Ok((_, (region, name, Err(e)))) => {
                tracing::warn!(account, region, document = name, error_code = %e.code, error = %e, "session document not read");
                coverage_of(coverage, &region).failed.push(e);
            }
            Ok((_, read)) => reads.push(read),
            // A bug, not an AWS answer: the region is not whole either.
            Err(e) => {
                tracing::error!(account, error = %e, "session document read died");
                let region = region_of.remove(&e.id()).unwrap_or_default();
                coverage_of(coverage, &region).failed.push(AwsError {
                    operation: "GetDocument",
                    account: account.to_string(),
                    region,
                    code: "InternalError".into(),
                    message: e.to_string(),
                });
            }
        }
    }
    reads
}

/// Alerts what is new; clears the marks of documents found keeping Run As
/// or gone (in regions listed whole).
async fn tell(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    reads: Vec<Read>,
    coverage: &mut Vec<(String, Coverage)>,
) -> Vec<Alert> {
    let marks = match ctx.state.bypass_marks(account).await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(account, error_code = %e.code, error = %e, "bypass marks not read; none cleared");
            Vec::new()
        }
    };
    let mut alerts = Vec::new();
    let mut seen = Vec::new();
    for (region, name, read) in reads {
        let slot = format!("{region}#{name}");
        let versions = read.ok().flatten().filter(|v| !v.is_empty());
        let Some(versions) = versions else {
            continue;
        };
        seen.push(slot.clone());
        let t = &job.trigger;
        match ctx
            .state
            .claim_bypass(account, &slot, &fingerprint(&versions), &t.event_id)
            .await
        {
            Ok(true) => {
                let at = clock::iso(clock::now());
                alerts.push(alert::run_as_bypass(
                    account, &region, &name, &versions, t, &at,
                ));
            }
            Ok(false) => {}
            Err(e) => coverage_of(coverage, &region).failed.push(e),
        }
    }
    clear_stale(ctx, account, &marks, &seen, coverage).await;
    alerts
}

/// Marks no longer backed by a finding, in regions looked at whole.
async fn clear_stale(
    ctx: &Ctx<'_>,
    account: &str,
    marks: &[String],
    seen: &[String],
    coverage: &[(String, Coverage)],
) {
    let whole = |slot: &str| {
        coverage.iter().any(|(r, c)| {
            slot.starts_with(&format!("{r}#")) && c.failed.is_empty() && c.unread == 0
        })
    };
    for slot in marks.iter().filter(|m| !seen.contains(m) && whole(m)) {
        if let Err(e) = ctx.state.clear_bypass(account, slot).await {
            tracing::warn!(account, slot, error_code = %e.code, error = %e, "bypass mark not cleared");
        }
    }
}

/// A failed row per region the look did not cover whole.
fn rows(regions: &[String], coverage: &[(String, Coverage)]) -> Vec<RegionOutcome> {
    let mut rows = Vec::new();
    for region in regions {
        let Some((_, c)) = coverage.iter().find(|(r, _)| r == region) else {
            continue;
        };
        if c.failed.is_empty() && c.unread == 0 {
            continue;
        }
        let (code, why) = shortfall(c);
        let mut row = RegionOutcome::failed(region, &code, why);
        row.document = Some(LOOK_ROW.into());
        rows.push(row);
    }
    rows
}

/// What a region's row says: the first failure's code, or `DeadlineNear`.
fn shortfall(c: &Coverage) -> (String, String) {
    let mut parts = Vec::new();
    if c.unlisted {
        parts.push("the documents could not be listed".to_string());
    }
    let unread = c.failed.len() - usize::from(c.unlisted);
    if unread > 0 {
        parts.push(format!("{unread} of {} could not be read", c.listed));
    }
    if c.unread > 0 {
        parts.push(format!(
            "the look was cut short: {} of {} not read before the invocation's deadline",
            c.unread, c.listed
        ));
    }
    let code = match c.failed.first() {
        Some(e) => e.code.clone(),
        None => "DeadlineNear".into(),
    };
    let first = c
        .failed
        .first()
        .map(|e| format!(" (first: {e})"))
        .unwrap_or_default();
    (code, format!("{}{first}", parts.join("; ")))
}
