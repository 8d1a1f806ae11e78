//! A member StackSet update costs one account about one run (pure).
//!
//! CloudFormation announces every account-region's stack instance with its
//! own event, and with `RegionConcurrencyType: PARALLEL` an account's 17
//! events arrive within seconds of each other. Each would take its own
//! session and read its own region: 17 AssumeRoles where one would do. So
//! the events of one account pass one gate, `GATE#<account>` /
//! `member_stack_landed`:
//!
//! - an event takes a *ticket* (a counter on the gate) and leaves its region
//!   in the gate's `waiting` set;
//! - at most one run of the account starts per [`WINDOW`]; it *takes* the
//!   waiting set when it claims (its *take* is the counter's value then),
//!   and looks at those regions and its own, in one session;
//! - when it has read a region cleanly it marks the region seen at its take;
//!   regions it could not read go back into the waiting set;
//! - an event whose region is seen at a take at or after its ticket is
//!   answered `coalesced`: a run that claimed after the event arrived read
//!   the region. That is causal, by DynamoDB's order of writes to one item,
//!   not by anybody's clock.
//!
//! An event is never dropped: until its region is seen it waits out the
//! window and claims, and after [`MAX_TRIES`] refusals it runs anyway. A run
//! of an account that still waits for its member stack looks at every
//! governed region, as a vend does ([`crate::flow::account::landed`]).

use std::time::Duration;

use crate::domain::coalesce::{MAX_TRIES, WINDOW};
use crate::domain::outcome::{Action, Outcome};
use crate::domain::trigger::{Trigger, TriggerKind};

/// The account whose gate an event passes, and the region it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub account: String,
    pub region: String,
}

/// The gate of a stack-instance event: `None` for every other event, for a
/// re-attempt, and for an event that names no account or region.
pub fn key(t: &Trigger) -> Option<Key> {
    if t.kind != TriggerKind::MemberStackLanded || t.context.attempt > 0 {
        return None;
    }
    Some(Key {
        account: t.account.clone().filter(|a| !a.is_empty())?,
        region: t.region.clone().filter(|r| !r.is_empty())?,
    })
}

/// What the gate held for one event's region when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Held {
    /// When the latest run claimed (epoch milliseconds).
    pub started: Option<i64>,
    /// The take of the latest run that read this event's region cleanly.
    pub seen: Option<i64>,
}

/// A claim that succeeded: this run's take and the regions it answers for
/// (its own first, then the waiting ones, each once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    pub take: i64,
    pub regions: Vec<String>,
    /// When the claim was made (epoch ms): a claim given back is matched
    /// by it, so it never clears a later run's.
    pub started: i64,
}

impl Taken {
    pub fn new(take: i64, own: &str, waiting: Vec<String>, started: i64) -> Taken {
        let mut regions = vec![own.to_string()];
        for r in waiting {
            if !regions.contains(&r) {
                regions.push(r);
            }
        }
        Taken {
            take,
            regions,
            started,
        }
    }
}

/// What an event holding `ticket` does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A run that claimed after the event arrived read its region.
    Covered { take: i64 },
    /// No run started within the window: try to claim.
    Claim,
    /// A run started within the window: wait until it has passed.
    Wait(Duration),
    /// Refused too often: run the event's region without the gate.
    Run,
}

/// `tries` counts the refusals so far.
pub fn step(held: Held, ticket: i64, now_ms: i64, tries: u32) -> Step {
    if let Some(take) = held.seen.filter(|s| *s >= ticket) {
        return Step::Covered { take };
    }
    if tries >= MAX_TRIES {
        return Step::Run;
    }
    let window = WINDOW.as_millis() as i64;
    let left = match held.started {
        None => return Step::Claim,
        Some(started) => started.saturating_add(window).saturating_sub(now_ms),
    };
    match left <= 0 {
        true => Step::Claim,
        false => Step::Wait(Duration::from_millis(left.min(window) as u64)),
    }
}

/// How often an event looks at the gate again while a run that took its
/// region is under way.
pub const POLL: Duration = Duration::from_millis(500);

/// How long an event waits before it looks at the gate again, of the
/// `wait` [`step`] gave. `taken`: a run claimed after the event's ticket
/// (its own claim was refused after it registered), so that run took its
/// region and covers it as soon as it has read it, well inside the window:
/// the event looks again every [`POLL`] instead of waiting the window out
/// in a Lambda that holds a slot of the function's concurrency meanwhile.
pub fn pause(wait: Duration, taken: bool) -> Duration {
    match taken {
        true => wait.min(POLL),
        false => wait,
    }
}

/// Of the regions a run answered for, those it read cleanly (every
/// document there read: none failed, waits for its member stack, or was
/// left to another run) and those it did not. A region the run did not
/// report is not read, unless the run found nothing of the account to
/// look at (`ignored`: exempt, out of scope, not in the organization), which
/// any event of the burst would find too.
pub fn read_cleanly(outcome: &Outcome, answered: &[String]) -> (Vec<String>, Vec<String>) {
    if outcome.result == crate::domain::outcome::Handled::Ignored {
        return (answered.to_vec(), vec![]);
    }
    let rows: Vec<_> = outcome
        .accounts
        .iter()
        .flat_map(|a| a.regions.iter())
        .collect();
    answered.iter().cloned().partition(|region| {
        let mine: Vec<_> = rows.iter().filter(|r| &r.region == region).collect();
        !mine.is_empty()
            && mine.iter().all(|r| {
                !matches!(
                    r.action,
                    Action::Failed | Action::Pending | Action::Deferred
                )
            })
    })
}

#[cfg(test)]
#[path = "landing_gate_tests.rs"]
mod tests;
