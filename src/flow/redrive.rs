//! `runas-guard redrive`, the pure part: what a message of the hub's failure
//! queues carries, in which order to replay and what the replay got
//! (`message.rs`), whether the message leaves its queue and the report
//! (`rows.rs`), how a message is replayed: in this process or by the
//! deployed function (`replay.rs`), and which messages a run has seen (here).
//!
//! The queues (infra/hub.yaml) and what their messages are:
//! - `EventsDeadLetterQueue`: every rule's dead-letter queue. The body is
//!   the EventBridge event EventBridge could not deliver (why: the message
//!   attributes `ERROR_CODE` and `ERROR_MESSAGE`).
//! - `AsyncFailureQueue`: the function's on-failure destination. The body is
//!   Lambda's invocation record; the event is its `requestPayload`. Only
//!   EventBridge rules invoke the function asynchronously, so that is
//!   always an EventBridge event.
//! - `SweepDeadLetterQueue`: the sweep queue's redrive target. The body is
//!   a sweep queue message: one account of a fanned-out sweep, or a
//!   re-attempt of a pending account.
//!
//! Anything else is refused with its reason and shown, and deleted only
//! when the operator asks (`--drop-unreadable`), as is an event the
//! handler rejects: no replay can ever handle either.

use std::collections::BTreeMap;

pub mod listing;
mod message;
mod own;
pub mod queue;
pub mod replay;
mod rows;
pub mod run;

pub use message::{delivery_error, got, read, replay_order, Got, Identity, Replay, Shape};
pub use own::{unqualified, Own};
pub use rows::{body_shown, queue_name, Left, QueueRead, Report, Row, Verdict};

/// The hub stack's failure queues, by logical id.
pub const STACK_QUEUES: [&str; 3] = [
    "EventsDeadLetterQueue",
    "AsyncFailureQueue",
    "SweepDeadLetterQueue",
];

/// Messages are received ten at a time (SQS's most).
pub const BATCH: i32 = 10;

/// How long a received message stays hidden while the run works; those it
/// keeps are made visible again at the end.
pub const HIDE_SECONDS: i32 = 900;

/// How long a message a listing reads stays hidden. SQS has no peek: a
/// message is read by receiving it, and one received with a visibility
/// timeout of 0 comes straight back, so a listing could not tell the
/// messages it has read from those it has not and would show the same ten
/// again and again. Ten seconds covers a listing of the three queues (a
/// receive of ten takes milliseconds; two empty ones end a queue), every
/// message is made visible again as soon as the listing ends, and if the
/// function stopped in between, none stays hidden longer than this.
pub const LIST_HIDE_SECONDS: i32 = 10;

/// The messages one queue gave this run: each is replayed at most once; a
/// repeat (its visibility ran out while the run worked) only refreshes the
/// receipt handle that makes it visible again at the end.
#[derive(Debug, Default)]
pub struct Ledger {
    handles: BTreeMap<String, String>,
    empty_in_a_row: u8,
}

impl Ledger {
    /// Takes one receive's `(message id, receipt handle)` pairs; says which
    /// of them are new.
    pub fn received(&mut self, messages: &[(String, String)]) -> Vec<bool> {
        let fresh: Vec<bool> = messages
            .iter()
            .map(|(id, handle)| self.handles.insert(id.clone(), handle.clone()).is_none())
            .collect();
        match fresh.contains(&true) {
            true => self.empty_in_a_row = 0,
            false => self.empty_in_a_row += 1,
        }
        fresh
    }

    /// The queue had nothing new twice in a row.
    pub fn exhausted(&self) -> bool {
        self.empty_in_a_row >= 2
    }

    /// The latest receipt handle of a message.
    pub fn handle(&self, id: &str) -> Option<&str> {
        self.handles.get(id).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_message_once_and_two_empty_receives_end_a_queue() {
        let m = |id: &str, h: &str| (id.to_string(), h.to_string());
        let mut l = Ledger::default();
        assert_eq!(l.received(&[m("a", "h1"), m("b", "h2")]), [true, true]);
        assert!(!l.exhausted());
        // `a` came back (its visibility ran out): not new, newest handle kept.
        assert_eq!(l.received(&[m("a", "h3")]), [false]);
        assert_eq!(l.handle("a"), Some("h3"));
        assert!(!l.exhausted(), "once is not twice");
        assert_eq!(l.received(&[m("c", "h4")]), [true]);
        assert_eq!(l.received(&[]), Vec::<bool>::new());
        assert!(
            !l.exhausted(),
            "the streak starts again after something new"
        );
        l.received(&[m("b", "h5")]);
        assert!(l.exhausted());
    }
}
