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

use super::accepted::Accepted;
use super::history_start::{checked_life, leave_to_writer, start_of, Seen, Start};
use super::life_start::life_start;
use super::own_naming::{self, named, own_versions};
use super::Ctx;
use crate::adapters::aws::ssm::DocumentStore;
use crate::adapters::aws::sts::MemberSession;
use crate::adapters::store::window_kept;
use crate::adapters::store::window_told::{self, Claimed, Claimer};
use crate::domain::alert::{on_unread, HistoryFrom, OnRowsUnread, Unread};
use crate::domain::aws_error::AwsError;
use crate::domain::job::Job;
use crate::domain::known::Snapshot;
use crate::domain::outcome::RegionOutcome;
use crate::domain::preferences::Preferences;
use crate::domain::version_gap::{self, life, Gap, History, Past};
use crate::domain::window_claim::{Claim, Unwritten, WindowClaim};

/// The slots' own items a run read because the account's rows could not
/// be (those of the account's present life), and the slots whose item
/// could not be read either.
pub(super) type SlotItems = (Snapshot, HashSet<String>);

/// Each document row with the windows its history holds, when this run is
/// the one to tell them (`history`); rows with no gap are left as they are.
/// `rows_unread`: the account's rows were wanted and their Query failed;
/// the slots' items read instead come back for the judgment after it.
pub(super) async fn with_history(
    ctx: &Ctx<'_>,
    job: &Job,
    session: &MemberSession,
    (account, user): (&str, &str),
    regions: Vec<RegionOutcome>,
    (known, rows_unread): (Option<&Snapshot>, Option<&AwsError>),
) -> (Vec<RegionOutcome>, Option<SlotItems>) {
    let rule = |what| on_unread(&job.trigger, job.is_reattempt(), what) == OnRowsUnread::Tell;
    let without_rows = rows_unread.filter(|_| known.is_none() && rule(Unread::Rows));
    let tell_failed_reads = rule(Unread::Version);
    let found = crate::domain::clock::iso(crate::domain::clock::now());
    // The rows' Query failed: each slot's own item, read alone.
    let (items, unread) = match without_rows {
        Some(_) => slot_records(ctx, account, &regions).await,
        None => (Snapshot::default(), HashSet::new()),
    };
    let row = |slot: &str| {
        known
            .and_then(|k| k.get(account, slot))
            .or(items.get(account, slot))
    };
    let life = life_start(ctx, account, &regions, (known, &items)).await;
    let with_kept =
        |o: RegionOutcome| version_gap::kept::with_kept(&job.trigger, (row(&o.slot()), life), o);
    let mut regions: Vec<RegionOutcome> = regions.into_iter().map(with_kept).collect();
    let (mut reads, mut own) = (JoinSet::new(), Vec::new());
    let rows_failed = (without_rows.is_some(), life);
    for (i, o) in regions.iter_mut().enumerate() {
        leave_to_writer(job, o, row(&o.slot()));
        let start = start_of(
            job,
            o,
            (account, user),
            (known, &items, &unread),
            rows_failed,
        );
        version_gap::kept::judged_by(o, start.as_ref().map(|s| &s.gap));
        own.extend(own_naming::read_of(
            job,
            (account, i, &*o),
            start.as_ref(),
            (known, &items),
        ));
        let Some(start) = start else {
            continue;
        };
        let code = without_rows
            .filter(|_| start.from == HistoryFrom::Bound)
            .map(|e| e.code.clone());
        let judging = (found.clone(), code, tell_failed_reads);
        reads.spawn(read_and_judge(ctx, job, session, (i, &*o), start, judging));
    }
    let read_instead = without_rows.map(|_| (items, unread));
    let regions = tell_each(ctx, job, account, regions, reads).await;
    let regions = own_naming::named_late(ctx, job, session, (account, user), regions, own).await;
    (regions, read_instead)
}

/// One row's history read back and judged, off the run's task: its index,
/// what its window is claimed against, the history, and whether a dead
/// run's write is adopted there.
fn read_and_judge(
    ctx: &Ctx<'_>,
    job: &Job,
    session: &MemberSession,
    (i, o): (usize, &RegionOutcome),
    start: Start,
    (found, code, tell_failed_reads): (String, Option<String>, bool),
) -> impl std::future::Future<Output = (usize, Seen, History, bool)> + Send + 'static {
    let docs = session.documents(&o.region, o.document_name());
    let slots = ctx.region_slots.clone();
    let ends = version_gap::Ends {
        switched: version_gap::kept::run_switch_end(&job.trigger, o),
        found,
    };
    // `before` is the latest's Run As where it alone was wrong: no default's.
    let default = o.before.clone().filter(|_| !o.pending);
    let made = version_gap::made_by(&job.trigger, &o.region, o.document_name());
    let now = o.versions_before.clone();
    let (made_now, pending) = (o.made_before.clone(), o.pending);
    async move {
        let _slot = slots.acquire_owned().await.expect("semaphore never closes");
        let Start {
            gap,
            accepted,
            seen,
            since,
            adopted,
            life,
            ..
        } = start;
        let mut gap = checked_life(&docs, gap, (life, now.as_ref())).await;
        let history = judged(docs, &mut gap, &accepted, (&ends, since)).await;
        let history = life::from_current(history, (now.as_ref(), made_now.as_deref(), pending));
        let history = version_gap::covered_by_default(history, &gap, default.as_ref());
        let history = version_gap::told_by_adoption(history, adopted.as_ref());
        let history = version_gap::opened_at_making(history, made.as_ref());
        let history = finished(history, &gap, tell_failed_reads, code);
        (i, seen, history, adopted.is_some())
    }
}

/// Each row's history as its read ends, told where this run claims it.
async fn tell_each(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    mut regions: Vec<RegionOutcome>,
    mut reads: JoinSet<(usize, Seen, History, bool)>,
) -> Vec<RegionOutcome> {
    while let Some(joined) = reads.join_next().await {
        let Ok((i, seen, history, adopting)) = joined else {
            continue;
        };
        let o = &mut regions[i];
        let told = told(ctx, job, (account, &seen), o, history).await;
        if told.history.is_some() {
            o.history = told.history;
        }
        o.window = match seen {
            Seen::FormerLife => told.claim.over_former_life(),
            _ => told.claim,
        };
        // Left to the adoption of a dead run's write, which this run's
        // record makes only after it lands.
        o.window.keeps_version |= adopting;
    }
    regions
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
/// A life's history (`since`) judges only the versions made since it began.
async fn judged(
    docs: DocumentStore,
    gap: &mut Gap,
    accepted: &Accepted,
    (ends, since): (&version_gap::Ends, Option<i64>),
) -> History {
    let docs = std::sync::Arc::new(docs);
    let mut read = read_back(docs.clone(), &gap.to_read).await;
    if let Some(anchor) = version_gap::anchor(gap, &read) {
        read.extend(read_back(docs, &[anchor]).await);
    }
    let read = match since {
        Some(_) => version_gap::of_life(gap, read, since),
        None => read,
    };
    version_gap::windows(gap, &read, |r, at_switch| accepted.has(r, at_switch), ends)
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

/// What a row's history comes to: what this run tells, and its claim.
#[derive(Default)]
struct Told {
    history: Option<History>,
    claim: Claim,
}

impl Told {
    fn unclaimed(history: Option<History>) -> Told {
        Told {
            history,
            claim: Claim::default(),
        }
    }
}

/// The history this run tells: the versions of its windows (and those not
/// judged) it is the first to claim, while the row still records the
/// default it judged from, or none (`seen`; no record read: under any,
/// `window_told::UNREAD`); what another run claimed is left to it. A dry
/// run claims nothing; a claim that cannot be written is made with the
/// keep of its alert ([`claimed`]), so the next run finds them told.
async fn told(
    ctx: &Ctx<'_>,
    job: &Job,
    (account, seen): (&str, &Seen),
    o: &RegionOutcome,
    history: History,
) -> Told {
    let seen = match seen {
        _ if !history.is_news() || job.dry_run => {
            let kept = history.is_news() || history.unread > 0 || !history.covered.is_empty();
            let history = kept.then_some(history);
            return Told::unclaimed(history);
        }
        Seen::Version(v) => Some(v.as_str()),
        Seen::NoVersion => None,
        Seen::Unread | Seen::FormerLife => Some(window_told::UNREAD),
    };
    let tokens = version_gap::claim_tokens(&history);
    let made_at = version_gap::made_by_version(&history);
    let id = &job.trigger.event_id;
    let who = Claimer {
        trigger_id: id,
        owner: &job.owner,
        actor: job.trigger.actor.as_ref().map(|a| a.arn.as_str()),
        expires: crate::domain::clock::epoch_secs(
            crate::domain::clock::now() + ctx.state.retention(),
        ),
        made: &made_at,
        remade: history.recreated.is_some(),
    };
    let unique = history.recreated.is_none();
    let (claimed, written) = claimed(ctx, (account, o), (&tokens, seen), (&who, unique)).await;
    if claimed.pending {
        tracing::info!(account, region = %o.region, "another run claimed versions of this Run As window and has not kept its alert; the record keeps the version for the run after its claim");
    }
    let own = own_versions(&job.trigger, o);
    let (history, tokens, written) = match version_gap::only_claimed(history.clone(), &claimed.ours)
    {
        Some(told) => (Some(told), claimed.ours, written),
        None => match version_gap::follow_up(history, &claimed.theirs, &own, who.actor) {
            Some(follow) => named(ctx, (account, o), (seen, &who), follow).await,
            None => (None, vec![], true),
        },
    };
    let now_ms = crate::domain::clock::epoch_millis(crate::domain::clock::now());
    let reach = history.as_ref().map(|h| version_gap::told_reach(h, now_ms));
    let made = (!tokens.is_empty()).then(|| WindowClaim {
        account: account.to_string(),
        slot: o.slot(),
        tokens,
        reach: reach.unwrap_or_default(),
        trigger_id: id.clone(),
        unwritten: (!written).then(|| Unwritten {
            seen: seen.unwrap_or_default().to_string(),
            actor: who.actor.unwrap_or_default().to_string(),
        }),
    });
    let claim = Claim::new(made, claimed.pending);
    Told { history, claim }
}

/// This run's claim of `tokens`, and whether it was written. A claim whose
/// write failed tells what the item, read once, shows no other run claimed
/// ([`window_kept::after_failed_write`]; all of it when that read fails
/// too: better twice than never); the keep of its alert makes it. Not
/// where the document was made again since the record (`unique` false):
/// a version's number there may be another life's claimed under the same
/// record (a claim is the version's number alone), and a failed claim is
/// told unmarked, as before 0.7.15 (marked, it lost the next life's
/// window: simulation seed 781101).
async fn claimed(
    ctx: &Ctx<'_>,
    (account, o): (&str, &RegionOutcome),
    (tokens, seen): (&[String], Option<&str>),
    (who, unique): (&Claimer<'_>, bool),
) -> (Claimed, bool) {
    let table = ctx.state.table();
    let e = match window_told::claim(table, (account, &o.slot()), (tokens, seen), who).await {
        Ok(claimed) => return (claimed, true),
        Err(e) => e,
    };
    if !unique {
        tracing::warn!(account, region = %o.region, error_code = %e.code, error = %e, "cannot claim this Run As window of a document made again; telling it");
        let all = Claimed {
            ours: window_told::first_keys(tokens),
            ..Claimed::default()
        };
        return (all, true);
    }
    tracing::warn!(account, region = %o.region, error_code = %e.code, error = %e, "cannot claim this Run As window; telling what no other run claimed, its claim made with the keep of its alert");
    let sorted =
        window_kept::after_failed_write(table, (account, &o.slot()), (tokens, seen), who).await;
    let all = || Claimed {
        ours: window_told::first_keys(tokens),
        ..Claimed::default()
    };
    (sorted.unwrap_or_else(all), false)
}
