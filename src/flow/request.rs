//! An operator's request, served by the function from its `operator` alias
//! (what it may be is `crate::domain::request`'s): the schedule's sweep
//! under the request's id, a redrive of failure-queue messages the request
//! names, which the function reads from its own failure queues, a reconcile
//! of named accounts, or a listing of what the failure queues hold (the
//! seat reads no queue itself: a receive hides a message).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::domain::report::{Format, Report};
use crate::domain::request::{admit, entry_of, Admitted, Entry, Named, Request};
use crate::domain::{clock, trigger};
use crate::flow::dispatch::{dispatch, fails_invocation, Answer};
use crate::flow::reactor::Reactor;
use crate::flow::redrive::queue::Wanted;
use crate::flow::redrive::run::{redrive, Mode};
use crate::flow::redrive::Own;
use crate::flow::sweep::Selection;

/// The function's own failure queues, the only ones a request may name, and
/// whether this is the operator function.
#[derive(Clone)]
pub struct Desk {
    sqs: aws_sdk_sqs::Client,
    region: String,
    failure_queues: Vec<String>,
    events_function: Option<String>,
}

impl Desk {
    /// `failure_queues`: their URLs (`RUNAS_GUARD_FAILURE_QUEUES`).
    /// `events_function`: set in the operator function only
    /// (`RUNAS_GUARD_EVENTS_FUNCTION`, the events function's ARN): it takes
    /// operator requests alone, through whatever ARN, and replays only that
    /// function's on-failure records.
    pub fn new(
        config: &aws_config::SdkConfig,
        failure_queues: Vec<String>,
        events_function: Option<String>,
    ) -> Desk {
        Desk {
            sqs: aws_sdk_sqs::Client::new(config),
            region: crate::adapters::aws::home_region(config),
            failure_queues,
            events_function: events_function.filter(|f| !f.trim().is_empty()),
        }
    }
}

/// The URLs of `RUNAS_GUARD_FAILURE_QUEUES` (comma-separated).
pub fn failure_queues(value: Option<&str>) -> Vec<String> {
    (value.unwrap_or_default().split(','))
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_string)
        .collect()
}

/// One Lambda invocation through `invoked` (the ARN Lambda says it was
/// invoked through): from the function itself an event, as [`dispatch`];
/// from the `operator` alias an operator's request alone
/// (`crate::domain::request`). Whatever an entry does not take is refused:
/// answered, logged, never stored, nothing done.
pub async fn dispatch_at(
    reactor: &Reactor,
    desk: &Desk,
    invoked: &str,
    input: &Value,
    request_id: &str,
) -> Answer {
    let entry = match &desk.events_function {
        // The operator function takes operator requests only.
        Some(_) => Entry::Operator,
        None => entry_of(invoked),
    };
    match admit(entry, input) {
        Ok(Admitted::Event) => dispatch(reactor, input, request_id).await,
        Ok(Admitted::Request(r)) => {
            // The on-failure records a redrive replays are the events
            // function's: named in the operator function, else the function
            // invoked (whatever the alias); a local emulator that names no
            // function ARN replays none.
            let events = (desk.events_function.clone())
                .or_else(|| crate::flow::redrive::unqualified(invoked));
            serve(desk, reactor, r, &Own::named(events.as_deref())).await
        }
        Err(reason) => refused(reason),
    }
}

pub async fn serve(desk: &Desk, reactor: &Reactor, request: Request, own: &Own) -> Answer {
    match request {
        Request::Sweep { id } => sweep(desk, reactor, &id).await,
        Request::Redrive {
            messages,
            drop_unreadable,
        } => redrive_named(desk, reactor, &messages, (drop_unreadable, own)).await,
        Request::Reconcile { accounts, regions } => reconcile(reactor, accounts, regions).await,
        Request::List { max, message_id } => list(desk, reactor, max, message_id, own).await,
    }
}

/// What the failure queues hold, read by the function as a dry run of
/// redrive reads it (each message's shape, what it is about, whether a
/// replay would take it, its age), at most `max` messages, each hidden only
/// while the listing runs and visible again when it ends. With
/// `message_id`, that message alone, its body shown.
async fn list(
    desk: &Desk,
    reactor: &Reactor,
    max: usize,
    message_id: Option<String>,
    own: &Own,
) -> Answer {
    tracing::info!(outcome = "operator_request", request = "list", max, message_id = ?message_id, "an operator's listing");
    let mode = Mode {
        dry_run: true,
        drop_unreadable: false,
        show_body: message_id.is_some(),
    };
    let urls = desk.failure_queues.clone();
    let named: BTreeMap<String, BTreeSet<String>> = (urls.iter())
        .map(|u| (u.clone(), message_id.iter().cloned().collect()))
        .collect();
    let wanted = match &message_id {
        Some(_) => Wanted::Named(&named),
        None => Wanted::All(max),
    };
    let (queues, rows) = redrive(reactor, &desk.sqs, &desk.region, urls, wanted, (mode, own)).await;
    Answer {
        body: json!({"result": "list", "queues": queues, "rows": rows}),
        failed: false,
        rejected: None,
    }
}

/// `reconcile --account` with the function's roles: the accounts and
/// regions named, what they should be from the policy alone.
async fn reconcile(reactor: &Reactor, accounts: Vec<String>, regions: Vec<String>) -> Answer {
    let policy = reactor.policy();
    if let Some(bad) = regions.iter().find(|r| !policy.governs_region(r)) {
        return refused(format!(
            "{bad} is not one of the policy's regions ({})",
            policy.regions.join(", ")
        ));
    }
    tracing::info!(outcome = "operator_request", request = "reconcile", accounts = ?accounts, "an operator's reconcile");
    let selection = Selection { accounts, regions };
    let org = reactor.org();
    match reactor
        .reconcile_org(&org, &selection, false, None, None)
        .await
    {
        Ok(run) => {
            let report = Report::new(&run.reports, false).with_alerts(
                run.alerts_sent,
                run.alerts_kept,
                run.alerts_lost,
            );
            let reached: BTreeSet<&str> = run.reports.iter().map(|r| r.account.as_str()).collect();
            let missing: Vec<&String> = (selection.accounts.iter())
                .filter(|a| !reached.contains(a.as_str()))
                .collect();
            Answer {
                body: json!({
                    "result": "reconciled",
                    "report": report,
                    "table": report.render(Format::Table),
                    "csv": report.render(Format::Csv),
                    "degraded": run.degraded.as_ref().map(|d| d.said.clone()),
                    "not_in_organization": missing,
                }),
                failed: false,
                rejected: None,
            }
        }
        Err(e) => Answer {
            body: json!({"result": "failed", "reason": e.to_string()}),
            failed: true,
            rejected: None,
        },
    }
}

/// The schedule's sweep under the request's id, handled as the schedule's.
async fn sweep(desk: &Desk, reactor: &Reactor, id: &str) -> Answer {
    let event = crate::domain::request::sweep_event(id, &desk.region, &clock::iso(clock::now()));
    let trigger = match trigger::classify(&event) {
        Ok(t) => t,
        Err(e) => return refused(format!("cannot make the sweep event: {e}")),
    };
    tracing::info!(outcome = "operator_request", request = "sweep", event_id = %id, "an operator's sweep");
    let outcome = reactor.handle(trigger).await;
    Answer {
        failed: fails_invocation(outcome.result) || outcome.degraded.is_some(),
        body: serde_json::to_value(&outcome)
            .unwrap_or_else(|e| json!({"result": "failed", "reason": e.to_string()})),
        rejected: None,
    }
}

/// The named messages, read by the function from its own failure queues and
/// replayed here; a queue that is not one of them is refused whole.
async fn redrive_named(
    desk: &Desk,
    reactor: &Reactor,
    messages: &[Named],
    (drop_unreadable, own): (bool, &Own),
) -> Answer {
    if let Some(m) = messages
        .iter()
        .find(|m| !desk.failure_queues.contains(&m.queue))
    {
        return refused(format!(
            "{} is not one of the function's failure queues (RUNAS_GUARD_FAILURE_QUEUES)",
            m.queue
        ));
    }
    let mut named: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in messages {
        (named.entry(m.queue.clone()).or_default()).insert(m.message_id.clone());
    }
    tracing::info!(
        outcome = "operator_request",
        request = "redrive",
        messages = messages.len(),
        "an operator's redrive"
    );
    let urls: Vec<String> = named.keys().cloned().collect();
    let mode = Mode {
        dry_run: false,
        drop_unreadable,
        show_body: false,
    };
    let (queues, rows) = redrive(
        reactor,
        &desk.sqs,
        &desk.region,
        urls,
        Wanted::Named(&named),
        (mode, own),
    )
    .await;
    let found: BTreeSet<(&str, &str)> = (rows.iter())
        .map(|r| (r.queue.as_str(), r.message_id.as_str()))
        .collect();
    let missing: Vec<&Named> = (messages.iter())
        .filter(|m| !found.contains(&(m.queue.as_str(), m.message_id.as_str())))
        .collect();
    Answer {
        body: json!({"result": "redrive", "queues": queues, "rows": rows, "missing": missing}),
        failed: false,
        rejected: None,
    }
}

/// A request the function will not serve: answered, never retried.
pub fn refused(reason: String) -> Answer {
    tracing::error!(outcome = "rejected", error = %reason, "operator request refused");
    Answer {
        body: json!({"result": "rejected", "reason": reason}),
        failed: false,
        rejected: Some(reason),
    }
}
