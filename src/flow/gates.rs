//! Through a coalescing gate before any session: an edit flood's
//! ([`crate::domain::coalesce`]) or a member StackSet burst's
//! ([`crate::domain::landing_gate`]). An event is covered (answered `coalesced`),
//! or runs, holding what it must mark when it finishes. A gate that cannot
//! be read never holds an event back.

use crate::adapters::aws::dynamodb::Table;
use crate::adapters::store::coalesce as edit_store;
use crate::adapters::store::landing_gate as landing_store;
use crate::domain::clock;
use crate::domain::coalesce::{self, Refused};
use crate::domain::job::Job;
use crate::domain::landing_gate::{self, Step, Taken};
use crate::domain::outcome::Outcome;
use crate::domain::policy::Policy;

/// The gate an event passes.
#[derive(Debug, Clone)]
pub enum Gate {
    /// One account-region-document's edits, the change's time, its editor
    /// (the event's actor ARN: a run covers only its own editor's), the
    /// version a default switch made the default (a run covers it only if
    /// it found that version the default) and the event's own version
    /// with the ledger's slot it is told in ([`told_in_another_name`]).
    Edit(
        coalesce::Key,
        i64,
        Option<String>,
        Option<String>,
        Option<Own>,
    ),
    /// One account's stack-instance events.
    Landing(landing_gate::Key),
}

/// What the gate let an event do.
pub enum Pass {
    /// Answered: the reason names the run that covered it.
    Covered(String),
    /// Run it, marking the gate as `Ran` says when done.
    Run(Ran),
}

/// What a run through a gate marks when it finishes.
#[derive(Debug, Clone)]
pub enum Ran {
    /// It holds no claim (the gate was unreadable, or refused too often).
    Unmarked,
    /// It holds the edit window, started at this time (epoch ms).
    Edit(i64),
    /// It took a burst's regions.
    Landing(Taken),
}

/// The gate of an event: none for an ungoverned region's event (an edit
/// there is ignored without a write; a stack instance there runs as before)
/// or for any other kind of event.
pub fn gate(policy: &Policy, job: &Job) -> Option<Gate> {
    if !policy.governs_region(job.trigger.region.as_deref()?) {
        return None;
    }
    if let Some((key, changed)) = coalesce::key(&job.trigger) {
        let by = job.trigger.actor.as_ref().map(|a| a.arn.clone());
        let made = coalesce::made_default(&job.trigger).map(str::to_string);
        let own = own_of(job);
        return Some(Gate::Edit(key, changed, by, made, own));
    }
    landing_gate::key(&job.trigger).map(Gate::Landing)
}

/// A first claim made beside the event's receipt claim (a landing gate's:
/// a vend's instance event pays no round trip for its gate).
pub type First = Result<Option<Taken>, crate::domain::aws_error::AwsError>;

/// The first claim of a landing gate; `None` for an edit gate, whose first
/// claim needs nothing the receipt could save.
pub async fn first(table: &Table, gate: &Gate) -> Option<First> {
    match gate {
        Gate::Landing(key) => Some(landing_store::claim(table, key, clock::now()).await),
        Gate::Edit(..) => None,
    }
}

/// The receipt answered the event (a duplicate, one in flight elsewhere):
/// a first claim it made is given back, so the regions it took wait again.
pub async fn give_back(table: &Table, gate: &Gate, first: Option<First>) {
    if let (Gate::Landing(key), Some(Ok(Some(taken)))) = (gate, first) {
        if let Err(e) = landing_store::give_back(table, key, &taken).await {
            tracing::warn!(error = %e, account = %key.account, "member-stack gate claim not given back; its regions' events run after the window");
        }
    }
}

pub async fn pass(table: &Table, (gate, job): (&Gate, &Job), first: Option<First>) -> Pass {
    match gate {
        Gate::Edit(key, changed, by, made, own) => {
            let pass = pass_edit(table, key, (*changed, by.as_deref(), made.as_deref())).await;
            match (pass, by, own) {
                (Pass::Covered(why), Some(by), Some(own))
                    if told_in_another_name(table, &key.account, own, by).await =>
                {
                    tracing::info!(reason = %why, version = %own.version, "covered, but its version was told in another editor's name or none: run, to name its editor");
                    Pass::Run(Ran::Unmarked)
                }
                (Pass::Covered(why), _, Some(own))
                    if put_back_unnamed(table, &key.account, own, &job.trigger).await =>
                {
                    tracing::info!(reason = %why, version = %own.version, "covered, but a put-back this edit may be the editor of names nobody yet: run, to name its editor");
                    Pass::Run(Ran::Unmarked)
                }
                (pass, ..) => pass,
            }
        }
        Gate::Landing(key) => pass_landing(table, key, first).await,
    }
}

/// Our run through the gate ended: mark what it read cleanly, so it covers
/// the events that came before it. A mark that fails costs later events a
/// run, never an event.
pub async fn finished(table: &Table, gate: &Gate, ran: &Ran, done: &Outcome) {
    match (gate, ran) {
        (Gate::Edit(key, changed, by, made, _), Ran::Edit(started)) if coalesce::covers(done) => {
            let judged =
                coalesce::judged_mark(coalesce::judged(done, key), made.as_deref(), *changed);
            let what = (by.as_deref(), judged.as_deref());
            let marked = edit_store::finished(table, key, *started, what).await;
            warn_unmarked(gate, marked);
        }
        (Gate::Landing(_), Ran::Landing(taken)) => {
            let clean = landing_gate::read_cleanly(done, &taken.regions);
            mark_landing(table, gate, taken, clean).await
        }
        _ => {}
    }
}

/// Marks a landing run's regions: `clean` (read cleanly, from
/// [`landing_gate::read_cleanly`]) covers the events before it, the rest
/// wait again.
pub async fn mark_landing(
    table: &Table,
    gate: &Gate,
    taken: &Taken,
    (clean, unclean): (Vec<String>, Vec<String>),
) {
    if let Gate::Landing(key) = gate {
        let marked =
            landing_store::finished(table, &key.account, taken.take, &clean, &unclean).await;
        warn_unmarked(gate, marked);
    }
}

fn warn_unmarked(gate: &Gate, marked: Result<(), crate::domain::aws_error::AwsError>) {
    if let Err(e) = marked {
        tracing::warn!(error = %e, gate = ?gate, "coalescing gate not marked finished; later events run");
    }
}

async fn pass_edit(
    table: &Table,
    key: &coalesce::Key,
    (changed, by, made): (i64, Option<&str>, Option<&str>),
) -> Pass {
    let mut tries = 0;
    loop {
        let now = clock::now();
        let held = match edit_store::claim(table, key, (changed, by, made), now).await {
            Ok(None) => return Pass::Run(Ran::Edit(clock::epoch_millis(now))),
            Ok(Some((held, done_by))) => (
                coalesce::judged_it(held, made, changed),
                coalesce::covers_editor(done_by.as_deref(), by),
            ),
            Err(e) => return unreadable(e, &key.slot),
        };
        // A run of another editor's event covers nothing of this one's.
        let held = match held {
            (held, true) => held,
            (held, false) => coalesce::Held { done: None, ..held },
        };
        tries += 1;
        match coalesce::refused(held, changed, clock::epoch_millis(now), tries) {
            Refused::Run => return Pass::Run(Ran::Unmarked),
            Refused::Wait(pause) => tokio::time::sleep(pause).await,
            Refused::Covered { started_ms } => {
                return covered(format!(
                    "coalesced: a run of {} {} began at {}, after this change, saw it and finished",
                    key.account,
                    key.slot,
                    clock::iso(clock::from_millis(started_ms))
                ))
            }
        }
    }
}

/// Claim at once (a lone event, a vend's instance: one write); else take a
/// ticket and wait for a run that claims after it, or claim when the window
/// passes.
async fn pass_landing(table: &Table, key: &landing_gate::Key, first: Option<First>) -> Pass {
    let slot = format!("{}#member_stack_landed", key.account);
    let first = match first {
        Some(first) => first,
        None => landing_store::claim(table, key, clock::now()).await,
    };
    match first {
        Ok(Some(taken)) => return Pass::Run(Ran::Landing(taken)),
        Ok(None) => {}
        Err(e) => return unreadable(e, &slot),
    }
    let (ticket, mut held) = match landing_store::register(table, key, clock::now()).await {
        Ok(got) => got,
        Err(e) => return unreadable(e, &slot),
    };
    let (mut tries, mut taken) = (1, false);
    loop {
        let now = clock::now();
        match landing_gate::step(held, ticket, clock::epoch_millis(now), tries) {
            Step::Covered { take } => {
                return covered(format!(
                    "coalesced: the run of {}'s member-stack events that took ticket {take} (this event's: {ticket}) read {} after this event arrived",
                    key.account, key.region
                ))
            }
            Step::Run => return Pass::Run(Ran::Unmarked),
            // A look while the run that took this region is under way is
            // not a refusal.
            Step::Wait(wait) => {
                tries += u32::from(!taken);
                tokio::time::sleep(landing_gate::pause(wait, taken)).await
            }
            Step::Claim => match landing_store::claim(table, key, now).await {
                Ok(Some(taken)) => return Pass::Run(Ran::Landing(taken)),
                // Refused after this event registered: a run claimed since,
                // taking its region.
                Ok(None) => (tries, taken) = (tries + 1, true),
                Err(e) => return unreadable(e, &slot),
            },
        }
        held = match landing_store::read(table, key).await {
            Ok(h) => h,
            Err(e) => return unreadable(e, &slot),
        };
    }
}

/// An edit event's own version (the one it made, or made the default) and
/// the ledger's slot of its document.
#[derive(Debug, Clone)]
pub struct Own {
    slot: String,
    version: u64,
}

fn own_of(job: &Job) -> Option<Own> {
    let t = &job.trigger;
    let version = t
        .context
        .made_version
        .as_deref()
        .or(t.context.made_default.as_deref())?;
    Some(Own {
        slot: crate::domain::outcome::slot(t.region.as_deref()?, t.context.document.as_deref()),
        version: version.parse().ok()?,
    })
}

/// Whether another run told the event's own version as a window in no
/// editor's name or another's, and nobody named `by` for it since: the
/// run that covered the event did not name its editor (it may not have
/// read the version at all: seed 950014, our own write's event told a
/// remade document's version 1 and the editor's other event covered the
/// `CreateDocument`). One Query of the slot's ledger, only for an event
/// about to be answered `coalesced`; a read that fails runs the event.
async fn told_in_another_name(table: &Table, account: &str, own: &Own, by: &str) -> bool {
    match crate::adapters::store::window_told::ledger(table, account, &own.slot).await {
        Ok(ledger) => !crate::domain::version_gap::to_name(&[own.version], &ledger, by).is_empty(),
        Err(e) => {
            tracing::warn!(error = %e, account, "cannot read who told this event's version; running it");
            true
        }
    }
}

/// Whether the slot's item holds a put-back's mark that `trigger` may be
/// the editor of ([`crate::domain::unnamed::may_name`]): the run that
/// covered the event read after the put-back and names nobody. One read,
/// only for an event about to be answered `coalesced`; a read that fails
/// runs the event.
async fn put_back_unnamed(
    table: &Table,
    account: &str,
    own: &Own,
    trigger: &crate::domain::trigger::Trigger,
) -> bool {
    use crate::domain::unnamed::{may_name, Mark};
    let version = own.version.to_string();
    let read = crate::adapters::store::put_back::marks(table, account, &own.slot, Some(&version));
    match read.await {
        Ok(marks) => marks
            .iter()
            .filter_map(|(_, m)| Mark::parse(m))
            .any(|m| may_name(trigger, &m)),
        Err(e) => {
            tracing::warn!(error = %e, account, "cannot read the put-back mark of this event's document; running it");
            true
        }
    }
}

fn covered(reason: String) -> Pass {
    tracing::info!(outcome = "coalesced", "{reason}");
    Pass::Covered(reason)
}

fn unreadable(e: crate::domain::aws_error::AwsError, slot: &str) -> Pass {
    tracing::warn!(error = %e, slot = %slot, "coalescing gate unavailable; handling the event");
    Pass::Run(Ran::Unmarked)
}
