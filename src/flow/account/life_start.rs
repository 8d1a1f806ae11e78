//! Where a row's history starts in the account's present life: rows of
//! this life recorded without a version, a failure's kept version, a slot
//! recorded only in a former life; and when that life began (its latest
//! join), read only where one of them asks.

use super::Ctx;
use crate::domain::known::{Known, Snapshot};
use crate::domain::outcome::RegionOutcome;
use crate::domain::version_gap;

/// Whether a document row has no record of the account's present life
/// (`life`: when it began) yet one of a former life: its history is the
/// present life's, the versions made since the join, not a first look's
/// (simulation seed 900103: rejoined, its join's event lost, the document
/// made again with root as version 1 and put right; the switch's run took
/// the slot for a first look and recorded past root untold).
pub(super) fn former_life(
    o: &RegionOutcome,
    known: Option<&Snapshot>,
    (account, life): (&str, Option<i64>),
) -> bool {
    o.nodes.is_none()
        && o.versions_before.is_some()
        && life.is_some()
        && known.is_some_and(|k| k.former_life(account, &o.slot()))
}

/// Whether a document row's record starts a life's history
/// ([`version_gap::starts_history`]): recorded in this life without a
/// version, no write of ours announced there, the document there now.
pub(super) fn life_history(o: &RegionOutcome, row: &Known) -> bool {
    o.nodes.is_none()
        && !row.intent
        && o.versions_before.is_some()
        && version_gap::starts_history(
            row.default_version.as_deref(),
            row.status.as_deref(),
            row.looked,
        )
}

/// When a row's history starts judging: where a failed record kept the
/// version recorded before it (`domain::records::VersionRecord::Keep`),
/// which a rejoined account's first failed run keeps from its former life
/// (simulation seed 630463), only the versions made since this life began.
pub(super) fn kept_life(o: &RegionOutcome, row: &Known, life: Option<i64>) -> Option<i64> {
    life.filter(|_| kept_by_failure(o, row))
}

/// Whether a document row's record is a failure's that kept a version.
pub(super) fn kept_by_failure(o: &RegionOutcome, row: &Known) -> bool {
    o.nodes.is_none()
        && !row.intent
        && row.status.as_deref() == Some("failed")
        && row.default_version.is_some()
}

/// When the account's present life began (its latest join), read only
/// when a row starts a life's history or kept a version through a failure:
/// the versions made before it are another life's. `None` when Organizations does not say (each row then
/// judges from its own record's time: made after it, a version is news).
pub(super) async fn life_start(
    ctx: &Ctx<'_>,
    account: &str,
    regions: &[RegionOutcome],
    (known, items): (Option<&Snapshot>, &Snapshot),
) -> Option<i64> {
    let wanted = regions.iter().any(|o| {
        let slot = o.slot();
        let row = known
            .and_then(|k| k.get(account, &slot))
            .or(items.get(account, &slot));
        // A switch kept is judged only from this life (`version_gap::kept`).
        let recorded = row.is_some_and(|row| {
            life_history(o, row) || kept_by_failure(o, row) || !row.switches.is_empty()
        });
        recorded || known.is_some_and(|k| k.former_life(account, &slot))
    });
    if !wanted {
        return None;
    }
    match ctx.org.joined_ms(account).await {
        Ok(joined) => joined,
        Err(e) => {
            tracing::warn!(account, error_code = %e.code, error = %e, "cannot tell when the account joined; a row recorded without a version is judged from its record");
            None
        }
    }
}
