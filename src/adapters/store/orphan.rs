//! A dead run's intent found on an account-region item by a later
//! record, or by a take of the lease that writes over it (its record puts
//! it back) (pure): what that record adopts (`flow::commit`).

use std::time::SystemTime;

use crate::adapters::aws::dynamodb::{get_n, get_s, Item};
use crate::domain::clock;
use crate::domain::intent::Intent;

/// The intent a dead run left on an account-region item, as found there.
#[derive(Debug, Clone)]
pub struct Orphan {
    pub intent: Intent,
    /// The intent exactly as stored: adopting it is conditional on it.
    pub json: String,
    /// Earlier reverts of the slot inside the tamper window (epoch seconds).
    pub recent_reverts: Vec<i64>,
    /// What the item recorded before the dead run wrote: whether its write
    /// undid someone's edit or a policy change (`flow::account::adopted`).
    pub recorded: crate::domain::known::Known,
}

/// The intent on `old` (the item before our record), when its run is gone:
/// not ours, and its lease ran out. A live holder's intent is its own
/// business. Pure.
pub fn orphan_in(old: &Item, ours: Option<&str>, now: SystemTime) -> Option<Orphan> {
    let json = get_s(old, "intent")?;
    let intent = match Intent::parse(&json) {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "unreadable intent on a state item; left as it is");
            return None;
        }
    };
    let expired = get_n(old, "lease_until").is_none_or(|t| t < clock::epoch_millis(now));
    if Some(intent.owner.as_str()) == ours || !expired {
        return None;
    }
    let recent_reverts = super::item::recent_reverts(old, now);
    Some(Orphan {
        intent,
        json,
        recent_reverts,
        recorded: super::item::known(old),
    })
}
