//! Put-backs no edit event brought, and the editors their events name
//! (`domain::unnamed`): a run with no edit event of a document that puts
//! it back keeps a mark on the region's item; an edit event of it that
//! finds it already right takes the mark (once, whoever comes first) and
//! its row carries the follow-up the worker tells. A mark that cannot be
//! kept or taken is logged: the put-back's own alert was told either way.

use super::Ctx;
use crate::domain::job::Job;
use crate::domain::known::Snapshot;
use crate::domain::outcome::RegionOutcome;
use crate::domain::unnamed::{self, Mark, Named};

pub(super) async fn marked_and_named(
    ctx: &Ctx<'_>,
    job: &Job,
    (account, user): (&str, &str),
    mut regions: Vec<RegionOutcome>,
    recorded: Option<&Snapshot>,
) -> Vec<RegionOutcome> {
    if job.dry_run {
        return regions;
    }
    let now = crate::domain::clock::now();
    let now_ms = crate::domain::clock::epoch_millis(now);
    for o in regions.iter_mut().filter(|o| o.nodes.is_none()) {
        let slot = o.slot();
        if let Some(mark) = unnamed::leaves_mark(o, o.user(user), &job.trigger, now_ms) {
            if let Err(e) = ctx.state.mark_unnamed(account, &slot, &mark).await {
                tracing::warn!(account, region = %o.region, error_code = %e.code, error = %e, "cannot keep the put-back's mark: its edit event will not name the editor");
            }
            continue;
        }
        let Some(((attribute, stored), mark)) = stored_mark(ctx, job, account, o, recorded).await
        else {
            continue;
        };
        match ctx
            .state
            .claim_unnamed(account, &slot, (&attribute, &stored), now)
            .await
        {
            Ok(Some(reverts)) => {
                o.named = Some(Named {
                    mark,
                    reverts_last_hour: reverts.len().max(1),
                })
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(account, region = %o.region, error_code = %e.code, error = %e, "cannot take the put-back's mark; naming its editor anyway");
                o.named = Some(Named {
                    mark,
                    reverts_last_hour: 1,
                });
            }
        }
    }
    regions
}

/// A stored mark (its attribute and JSON) with what it says.
type Stored = ((String, String), Mark);

/// The first of `marks` this run names the editor of ([`unnamed::names`]).
fn named_by(o: &RegionOutcome, job: &Job, marks: Vec<(String, String)>) -> Option<Stored> {
    marks.into_iter().find_map(|(attribute, json)| {
        let mark = Mark::parse(&json).filter(|m| unnamed::names(o, &job.trigger, m))?;
        Some(((attribute, json), mark))
    })
}

/// The put-back mark of `o`'s slot this run names the editor of: as the
/// run read the rows, or, when the document is at a version those rows had
/// not recorded (another run put it back after that read), as the item
/// holds it now, once that run's write lease is released (it keeps its mark
/// before it records).
async fn stored_mark(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    o: &RegionOutcome,
    recorded: Option<&Snapshot>,
) -> Option<Stored> {
    let slot = o.slot();
    let row = recorded.and_then(|k| k.get(account, &slot));
    // Marks in the rows: the run takes one it names and looks no further,
    // as when an item kept one mark (a put-back of this event's version
    // marked since that read is not named by this run).
    if let Some(marks) = row.map(|k| k.unnamed.clone()).filter(|m| !m.is_empty()) {
        return named_by(o, job, marks);
    }
    let version = row.and_then(|k| k.default_version.as_deref());
    if !unnamed::looks_again(o, &job.trigger, version) {
        return None;
    }
    let c = &job.trigger.context;
    let made = c.made_default.as_deref().or(c.made_version.as_deref());
    // A put-back under way keeps its mark within seconds of its write; a
    // holder that has not in 10 s is no put-back (a run whose record failed,
    // whose retry must not wait out its lease and adopt its write again).
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let now = match ctx.state.put_back_now(account, &slot, made).await {
            Ok(now) => now,
            Err(e) => {
                tracing::warn!(account, region = %o.region, error_code = %e.code, error = %e, "cannot read the item again: a put-back beside this run is not named");
                return None;
            }
        };
        let others = now
            .lease_until_ms
            .filter(|_| now.lease_owner.as_deref() != Some(job.owner.as_str()));
        let now_ms = crate::domain::clock::epoch_millis(crate::domain::clock::now());
        match unnamed::again(named_by(o, job, now.marks), others, now_ms) {
            unnamed::Again::Mark(found) => return Some(found),
            unnamed::Again::Nothing => return None,
            unnamed::Again::Wait if std::time::Instant::now() < until => {
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
            unnamed::Again::Wait => {
                tracing::warn!(account, region = %o.region, "another run's write lease outlasted the wait: its put-back is not named by this run");
                return None;
            }
        }
    }
}
