//! The versions made since the table last recorded each slot, read back
//! (bounded, all at once) and judged (`domain::version_gap`): Run As set out
//! of policy and back before any run looked is found in the versions in
//! between, and told once, by the run that claims it. A read that fails is
//! told as such (`domain::alert::on_unread`): the versions not judged, their
//! span and the editor the trigger names, so the record of the new default
//! version never passes them silently. A run whose Query of the account's
//! rows failed reads each slot's own item (`domain::alert::history_from`);
//! only one that could read neither reads back to the bound and tells what
//! it found.

use std::collections::HashSet;

use tokio::task::JoinSet;

use super::{change, Ctx};
use crate::adapters::aws::ssm::DocumentStore;
use crate::adapters::aws::sts::MemberSession;
use crate::adapters::store::reported::Reported;
use crate::domain::alert::{history_from, on_unread, HistoryFrom, OnRowsUnread, Read, Unread};
use crate::domain::aws_error::AwsError;
use crate::domain::job::Job;
use crate::domain::known::{Known, Snapshot};
use crate::domain::outcome::RegionOutcome;
use crate::domain::preferences::{Preferences, RunAs};
use crate::domain::version_gap::{self, Gap, History, Past};

/// Each document row with the windows its history holds, when this run is
/// the one to tell them (`history`); rows with no gap are left as they are.
/// `rows_unread`: the account's rows were wanted and their Query failed.
pub(super) async fn with_history(
    ctx: &Ctx<'_>,
    job: &Job,
    session: &MemberSession,
    (account, user): (&str, &str),
    mut regions: Vec<RegionOutcome>,
    (known, rows_unread): (Option<&Snapshot>, Option<&AwsError>),
) -> Vec<RegionOutcome> {
    let rule = |what| on_unread(&job.trigger, job.is_reattempt(), what) == OnRowsUnread::Tell;
    let without_rows = rows_unread.filter(|_| known.is_none() && rule(Unread::Rows));
    let tell_failed_reads = rule(Unread::Version);
    let found = crate::domain::clock::iso(crate::domain::clock::now());
    // The rows' Query failed: each slot's own item, read alone.
    let (items, unread) = match without_rows {
        Some(_) => slot_records(ctx, account, &regions).await,
        None => (Snapshot::default(), HashSet::new()),
    };
    let mut reads = JoinSet::new();
    for (i, o) in regions.iter().enumerate() {
        let records = (known, &items, &unread);
        let Some((gap, accepted, seen, from)) =
            start_of(job, o, (account, user), records, without_rows.is_some())
        else {
            continue;
        };
        let docs = DocumentStore::named(
            session.ssm(&o.region),
            account,
            &o.region,
            o.document_name(),
        );
        let slots = ctx.region_slots.clone();
        let code = without_rows
            .filter(|_| from == HistoryFrom::Bound)
            .map(|e| e.code.clone());
        let ends = version_gap::Ends {
            switched: version_gap::switch_of(&job.trigger, &o.region, o.document_name()),
            found: found.clone(),
        };
        let default = o.before.clone();
        reads.spawn(async move {
            let _slot = slots.acquire_owned().await.expect("semaphore never closes");
            let history = judged(docs, &gap, &accepted, &ends).await;
            let history = version_gap::covered_by_default(history, &gap, default.as_ref());
            (i, seen, finished(history, &gap, tell_failed_reads, code))
        });
    }
    while let Some(joined) = reads.join_next().await {
        let Ok((i, seen, history)) = joined else {
            continue;
        };
        let o = &mut regions[i];
        if let Some(history) = told(ctx, job, (account, seen.as_deref()), o, history).await {
            o.history = Some(history);
        }
    }
    regions
}

/// Where one row's history starts ([`history_from`]): its gap, what no
/// past version is blamed for, the recorded default version its window is
/// claimed against (`None`: told unclaimed) and where that came from.
/// `None` when there is nothing to read. `records`: the account's rows (when
/// read), the slots' items read alone and the slots whose item read failed;
/// `rows_failed`: the rows were wanted and their Query failed.
fn start_of(
    job: &Job,
    o: &RegionOutcome,
    (account, user): (&str, &str),
    (known, items, unread): (Option<&Snapshot>, &Snapshot, &HashSet<String>),
    rows_failed: bool,
) -> Option<(Gap, Accepted, Option<String>, HistoryFrom)> {
    let slot = o.slot();
    let in_rows = known.and_then(|k| k.get(account, &slot));
    let item = items.get(account, &slot);
    let rows_read = match (in_rows, rows_failed) {
        (Some(_), _) => Read::Recorded,
        (None, true) => Read::Failed,
        (None, false) => Read::Absent,
    };
    let item_read = match item {
        Some(_) => Read::Recorded,
        None if rows_failed && !unread.contains(&slot) => Read::Absent,
        None => Read::Failed,
    };
    let from = history_from(rows_read, item_read);
    match (from, in_rows.or(item)) {
        (HistoryFrom::Record, Some(row)) => {
            let gap = gap_of(job, o, Some(row), o.user(user))?;
            let seen = row.default_version.clone();
            Some((gap, Accepted::of(o.user(user), row), seen, from))
        }
        // No record to start from: back to the bound, judged by the policy
        // alone, told without a claim (none to make it on).
        (HistoryFrom::Bound, _) => {
            let gap = unrecorded_gap(o)?;
            Some((gap, Accepted::policy(o.user(user)), None, from))
        }
        _ => None,
    }
}

/// Each row's slot read alone (its own item), when the account's rows
/// could not be: a Query's failure (throttled, a 5xx) is not the item's,
/// and the item holds the record the gap starts from and the window's
/// claim. The records found (of the account's present life), and the
/// slots whose read failed too (only those are read back to the bound).
async fn slot_records(
    ctx: &Ctx<'_>,
    account: &str,
    regions: &[RegionOutcome],
) -> (Snapshot, HashSet<String>) {
    let mut reads = JoinSet::new();
    for o in regions.iter().filter(|o| o.nodes.is_none()) {
        let (state, account, slot) = (ctx.state.clone(), account.to_string(), o.slot());
        reads.spawn(async move {
            let read = state.slot_record(&account, &slot).await;
            (slot, read)
        });
    }
    let (mut found, mut unread) = (Vec::new(), HashSet::new());
    while let Some(joined) = reads.join_next().await {
        let Ok((slot, read)) = joined else {
            continue;
        };
        match read {
            Ok(Some(row)) => found.push((account.to_string(), slot, row)),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(account, slot, error_code = %e.code, error = %e, "the slot's record could not be read either; its history is read back to the bound");
                unread.insert(slot);
            }
        }
    }
    let found: Snapshot = found.into_iter().collect();
    let found = match found.is_empty() {
        true => found,
        false => super::rows::this_life(ctx, account, found).await,
    };
    (found, unread)
}

/// `gap`'s versions read back (and, where a read failed, the one below
/// it, for when they can first have been made) and judged.
async fn judged(
    docs: DocumentStore,
    gap: &Gap,
    accepted: &Accepted,
    ends: &version_gap::Ends,
) -> History {
    let docs = std::sync::Arc::new(docs);
    let mut read = read_back(docs.clone(), &gap.to_read).await;
    if let Some(anchor) = version_gap::anchor(gap, &read) {
        read.extend(read_back(docs, &[anchor]).await);
    }
    version_gap::windows(gap, &read, |r| accepted.has(r), ends)
}

/// The history as told: failed reads as the rule says, and without the
/// table's record (`code`: its Query's error) what lies beyond the bound.
fn finished(mut history: History, gap: &Gap, tell_failed: bool, code: Option<String>) -> History {
    if !tell_failed {
        history.unjudged = None;
    }
    match code {
        Some(code) => history.without_record(gap, &code),
        None => history,
    }
}

/// The versions to read back in a document row whose record could not be
/// read ([`version_gap::gap_unrecorded`]).
fn unrecorded_gap(o: &RegionOutcome) -> Option<Gap> {
    if o.nodes.is_some() {
        return None;
    }
    version_gap::gap_unrecorded(o.versions_before.as_ref()?)
}

/// The Run As no past version is blamed for: what the policy wants now,
/// what it wanted when the table recorded the slot (a policy change is the
/// sweep's news), and what the table recorded there (an audit finding
/// already told).
struct Accepted {
    users: [String; 2],
    recorded: (Option<String>, Option<String>),
}

impl Accepted {
    fn of(user: &str, row: &Known) -> Accepted {
        let then = row.desired_user.clone().unwrap_or_else(|| user.to_string());
        Accepted {
            users: [user.to_string(), then],
            recorded: (row.observed_user.clone(), row.observed_enabled.clone()),
        }
    }

    /// Without a record: what the policy wants now, only.
    fn policy(user: &str) -> Accepted {
        Accepted {
            users: [user.to_string(), user.to_string()],
            recorded: (None, None),
        }
    }

    fn has(&self, r: &RunAs) -> bool {
        self.users.iter().any(|u| r.is_compliant(u))
            || (self.recorded.0.is_some() && change::observed(Some(r)) == self.recorded)
    }
}

/// The versions to read back in one document row: only where the table
/// recorded what it observed there and the document moved since (or was
/// made again: a deletion or creation event of it later than the record).
fn gap_of(job: &Job, o: &RegionOutcome, recorded: Option<&Known>, user: &str) -> Option<Gap> {
    // A write announced and not recorded (a run that died or failed after
    // it, retried now): its run told what it replaced, or the intent is
    // looked at; the versions after the recorded one are partly ours.
    if o.nodes.is_some() || recorded?.intent {
        return None;
    }
    let t = &job.trigger;
    let remade = matches!(
        t.event_name.as_deref(),
        Some("DeleteDocument" | "CreateDocument")
    ) && t.edits(o.document_name())
        && t.region.as_deref() == Some(o.region.as_str());
    let remade_ms = t
        .context
        .event_time
        .as_deref()
        .filter(|_| remade)
        .and_then(crate::domain::clock::parse_iso);
    let record = version_gap::Record {
        version: recorded?.default_version.as_deref(),
        at_ms: recorded?.last_checked_ms,
    };
    let now = o.versions_before.as_ref()?;
    let gap = version_gap::gap_since(record, now, remade_ms);
    // `before` is the default's Run As unless only the latest was wrong.
    let default_wrong = !o.pending && o.before.as_ref().is_some_and(|r| !r.is_compliant(user));
    version_gap::with_latest(gap, record.version, now, default_wrong)
}

/// Every version of `versions`, read at once; a version gone or unreadable has
/// no Run As (counted as unread); one whose read failed says its code.
async fn read_back(docs: std::sync::Arc<DocumentStore>, versions: &[u64]) -> Vec<Past> {
    let mut reads = JoinSet::new();
    for v in versions.iter().copied() {
        let docs = docs.clone();
        reads.spawn(async move {
            let (run_as, created, failed) = match docs.past(&v.to_string()).await {
                Ok(Some((content, created))) => {
                    (Preferences::parse(&content).ok().map(|p| p.run_as()), created, None)
                }
                Ok(None) => (None, None, None),
                Err(e) => {
                    tracing::warn!(account = %e.account, region = %e.region, version = v, error_code = %e.code, error = %e, "a past version could not be read; told as not judged");
                    (None, None, Some(e.code))
                }
            };
            Past {
                number: v,
                run_as,
                created,
                failed,
            }
        });
    }
    let mut read = Vec::new();
    while let Some(joined) = reads.join_next().await {
        read.extend(joined.ok());
    }
    read
}

/// The history this run tells: windows (and versions not judged) it is
/// the first to claim while the row still records the default version it
/// judged from (`seen`; `None`, no record was read: told unclaimed); a dry
/// run tells nothing and claims nothing; a claim that cannot be made is
/// told: better twice than never. `None` when there is nothing to say.
async fn told(
    ctx: &Ctx<'_>,
    job: &Job,
    (account, seen): (&str, Option<&str>),
    o: &RegionOutcome,
    history: History,
) -> Option<History> {
    if !history.is_news() || job.dry_run {
        return (history.is_news() || history.unread > 0).then_some(history);
    }
    let Some(seen) = seen else {
        return Some(history);
    };
    let claim = Reported::window(
        ctx.state.table().clone(),
        account,
        &o.slot(),
        &job.trigger.event_id,
    );
    match claim
        .claim_window(&version_gap::claimed_value(&history), seen)
        .await
    {
        Ok(true) => Some(history),
        Ok(false) => None,
        Err(e) => {
            tracing::warn!(account, region = %o.region, error_code = %e.code, error = %e, "cannot tell whether this Run As window was told; telling it");
            Some(history)
        }
    }
}
