//! A put-back that may be the configuration of an account's present life
//! rather than someone's change: an edit event's first look in this life
//! at a slot, or any run's put-back judged a change only against a version
//! a failed record kept (a rejoined account's first failed run keeps its
//! former life's). The default it puts back may have been made before the
//! account last joined, while nobody governed it. That put-back configures
//! the account's new life (`account_configured`); told as drift it would
//! blame an editor, or a sweep's find, for another life's setting
//! (simulation seeds 600483 and 630119: an admin's later edit named for a
//! default set while the account was out; 630014: a sweep's).

use std::collections::HashSet;

use crate::adapters::aws::sts::MemberSession;
use crate::domain::clock;
use crate::domain::job::Job;
use crate::domain::known::{Known, Snapshot};
use crate::domain::life;
use crate::domain::outcome::RegionOutcome;

use super::history::SlotItems;
use super::Ctx;

/// `regions` with each such put-back of another life's default
/// marked ([`RegionOutcome::another_life`]). Reads only where a put-back
/// could be one: the join (cached from the run's `DescribeAccount`) and
/// the found default's creation time. A read that fails leaves the row as
/// it was: the editor is told. Where the account's rows could not be read,
/// the slots' own items the history read instead say what this life
/// recorded (630395, 635861); a slot whose item could not be read either
/// is not asked: nothing says what was recorded there.
pub(super) async fn marked(
    ctx: &Ctx<'_>,
    job: &Job,
    session: &MemberSession,
    (account, user): (&str, &str),
    mut regions: Vec<RegionOutcome>,
    (recorded, slot_items): (Option<&Snapshot>, Option<&SlotItems>),
) -> Vec<RegionOutcome> {
    let none: HashSet<String> = HashSet::new();
    let (rows, unread) = match (recorded.or(job.known.as_deref()), slot_items) {
        (Some(rows), _) => (rows, &none),
        (None, Some((items, unread))) => (items, unread),
        (None, None) => return regions,
    };
    // Each candidate, with when its row was first written where a failure
    // kept its version: a row begun in this life kept this life's.
    let wanted: Vec<(usize, Option<i64>)> = (0..regions.len())
        .filter(|&i| !unread.contains(&regions[i].slot()))
        .filter_map(|i| {
            let (o, row) = (&regions[i], rows.get(account, &regions[i].slot()));
            let here = recorded_here(row);
            let kept = here == life::Recorded::KeptByFailure;
            let began = row.and_then(|k| k.first_seen_ms).filter(|_| kept);
            life::put_back_may_configure(&job.trigger, o, o.user(user), here).then_some((i, began))
        })
        .collect();
    if wanted.is_empty() {
        return regions;
    }
    let joined = match ctx.org.joined_ms(account).await {
        Ok(joined) => joined,
        Err(e) => {
            tracing::warn!(account, error_code = %e.code, error = %e, "cannot tell when the account joined; a first put-back is told as the editor's");
            return regions;
        }
    };
    for (i, began) in wanted {
        if began.is_some() && !life::made_before_join(began, joined) {
            continue;
        }
        let o = &mut regions[i];
        let made = made_ms(session, account, o).await;
        if life::made_before_join(made, joined) {
            tracing::info!(account, region = %o.region, document = o.document_name(), "the default put back was made before the account last joined: this life's configuration, not the editor's drift");
            o.another_life = true;
        }
    }
    regions
}

/// What this life's row says: a row that read no version (the role
/// refused before the member stack landed: `pending`, `failed`) saw
/// nothing (630119), though a dead run announced its write there (its
/// intent: 632346); a failed record's version is the one before it
/// (630014, 630463).
fn recorded_here(row: Option<&Known>) -> life::Recorded {
    match row {
        Some(k) if k.default_version.is_none() => life::Recorded::NoVersion,
        Some(k) if k.intent => life::Recorded::Version,
        Some(k) if k.status.as_deref() == Some("failed") => life::Recorded::KeptByFailure,
        Some(_) => life::Recorded::Version,
        None => life::Recorded::NoVersion,
    }
}

/// When the default `o` found was made (`GetDocument`'s `CreatedDate`): as
/// the run's own read said, or read again where it did not say (a dead
/// run's write taken over from an earlier release's intent).
async fn made_ms(session: &MemberSession, account: &str, o: &RegionOutcome) -> Option<i64> {
    if let Some(made) = o.made_before.as_deref().filter(|_| !o.pending) {
        return clock::parse_iso(made);
    }
    let default = &o.versions_before.as_ref()?.default;
    let docs = session.documents(&o.region, o.document_name());
    match docs.past(default).await {
        Ok(read) => read?.1.as_deref().and_then(clock::parse_iso),
        Err(e) => {
            tracing::warn!(account, region = %o.region, error_code = %e.code, error = %e, "cannot read when the default was made; the put-back is told as the editor's");
            None
        }
    }
}
