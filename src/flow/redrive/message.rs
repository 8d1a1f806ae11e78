//! What a message of the hub's failure queues carries, what replaying it
//! got, and in which order to replay.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::domain::trigger::{self, EventError, Trigger};
use crate::flow::sweep::SweepMessage;
use crate::flow::workers::pending::Reattempt;

/// At most this much of a text an event or a record chose, in a row.
const SHOWN: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// An EventBridge event (a rule's dead-letter queue).
    Event,
    /// Lambda's on-failure record wrapping an EventBridge event.
    OnFailure,
    /// One account of a fanned-out sweep (the sweep queue's dead letters).
    SweepAccount,
    /// A re-attempt of an account awaiting its member stack (likewise).
    Reattempt,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Event => "event",
            Shape::OnFailure => "on_failure",
            Shape::SweepAccount => "sweep_account",
            Shape::Reattempt => "reattempt",
        }
    }
}

/// What a message is about, as far as it says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The trigger it makes (`document_changed`, `account_vended`, `sweep`, ...).
    pub kind: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    pub actor: Option<String>,
    pub event_id: Option<String>,
    /// The event's `time`.
    pub time: Option<String>,
}

/// A message read: what to hand the handler, and what it is.
#[derive(Debug, Clone)]
pub struct Replay {
    pub shape: Shape,
    /// What `dispatch` takes: the event, or a one-record SQS batch.
    pub input: Value,
    pub identity: Identity,
    /// The handler will reject the event, and why.
    pub rejected: Option<String>,
    /// Why it landed in the queue, when the message says.
    pub failed_before: Option<String>,
    /// The function an on-failure record names (`requestContext.functionArn`),
    /// as the record says it; `None` for every other shape.
    pub from_function: Option<String>,
}

/// Reads one message body. `classify` is the handler's own classifier (the
/// policy's governed documents), so the identity is the one it will act on.
pub fn read(
    message_id: &str,
    body: &str,
    classify: impl Fn(&Value) -> Result<Trigger, EventError>,
) -> Result<Replay, String> {
    read_shape(message_id, body, classify).map_err(|e| shown(&e))
}

fn read_shape(
    message_id: &str,
    body: &str,
    classify: impl Fn(&Value) -> Result<Trigger, EventError>,
) -> Result<Replay, String> {
    let value = trigger::parse_event_bytes(body.as_bytes())
        .map_err(|e| format!("unreadable: {}", e.to_string().replacen("event", "body", 1)))?;
    let obj = value
        .as_object()
        .expect("parse_event_bytes gives an object");
    if obj.contains_key("requestPayload") || obj.contains_key("requestContext") {
        let payload = obj.get("requestPayload").ok_or(
            "Lambda's on-failure record without `requestPayload`: it carries no event to replay",
        )?;
        if !is_event(payload) {
            return Err("Lambda's on-failure record whose `requestPayload` is not an EventBridge event: the hub's asynchronous invocations all come from EventBridge rules".into());
        }
        let why = on_failure_reason(&value);
        let mut replay = event(Shape::OnFailure, payload.clone(), why, classify);
        replay.from_function = (value.pointer("/requestContext/functionArn"))
            .and_then(Value::as_str)
            .map(str::to_string);
        return Ok(replay);
    }
    if obj.contains_key("reattempt") {
        let r = Reattempt::parse(body)?;
        let mut replay = sweep_queue(Shape::Reattempt, message_id, body);
        replay.identity = identity(&r.trigger(), None);
        return Ok(replay);
    }
    if obj.contains_key("sweep_id") {
        let m = SweepMessage::parse(body)?;
        let mut replay = sweep_queue(Shape::SweepAccount, message_id, body);
        replay.identity = Identity {
            kind: Some("sweep".into()),
            account: Some(m.account),
            event_id: Some(m.sweep_id),
            ..Identity::default()
        };
        return Ok(replay);
    }
    if is_event(&value) {
        return Ok(event(Shape::Event, value, None, classify));
    }
    Err("not a message the hub's failure queues carry: neither an EventBridge event (`id`, `source`, `detail-type`, `detail`), Lambda's on-failure record (`requestPayload`) nor a sweep queue message (`sweep_id` or `reattempt`)".into())
}

/// An EventBridge event as the rules deliver it; never an SQS batch (the
/// handler would take that for the sweep queue's).
fn is_event(v: &Value) -> bool {
    let text = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    text("id")
        && text("source")
        && text("detail-type")
        && v.get("detail").is_some_and(Value::is_object)
        && v.get("Records").is_none()
}

fn event(
    shape: Shape,
    input: Value,
    failed_before: Option<String>,
    classify: impl Fn(&Value) -> Result<Trigger, EventError>,
) -> Replay {
    let time = input.get("time").and_then(Value::as_str).map(shown);
    let (identity, rejected) = match classify(&input) {
        Ok(t) => (identity(&t, time), None),
        Err(e) => {
            let id = input.get("id").and_then(Value::as_str).map(shown);
            let partial = Identity {
                event_id: id,
                time,
                ..Identity::default()
            };
            (partial, Some(shown(&e.to_string())))
        }
    };
    Replay {
        shape,
        input,
        identity,
        rejected,
        failed_before,
        from_function: None,
    }
}

fn identity(t: &Trigger, time: Option<String>) -> Identity {
    let e = t.explain();
    Identity {
        kind: Some(e.trigger.to_string()),
        account: e.account.map(str::to_string),
        region: e.region.map(str::to_string),
        actor: e.actor.map(shown),
        event_id: Some(shown(e.event_id)),
        time,
    }
}

/// A sweep queue body, as the event source mapping would deliver it.
fn sweep_queue(shape: Shape, message_id: &str, body: &str) -> Replay {
    let record = json!({
        "messageId": message_id, "receiptHandle": "redrive", "body": body,
        "attributes": {}, "messageAttributes": {}, "md5OfBody": "",
        "eventSource": "aws:sqs", "eventSourceARN": "", "awsRegion": ""
    });
    Replay {
        shape,
        input: json!({ "Records": [record] }),
        identity: Identity::default(),
        rejected: None,
        failed_before: None,
        from_function: None,
    }
}

/// `RetriesExhausted after 3 attempts: Unhandled: <errorMessage>`.
fn on_failure_reason(record: &Value) -> Option<String> {
    let context = record.get("requestContext")?;
    let condition = context.get("condition").and_then(Value::as_str)?;
    let mut out = condition.to_string();
    if let Some(n) = context
        .get("approximateInvokeCount")
        .and_then(Value::as_u64)
    {
        out.push_str(&format!(" after {n} attempt(s)"));
    }
    let error = record
        .pointer("/responsePayload/errorMessage")
        .and_then(Value::as_str);
    if let Some(e) = error {
        out.push_str(&format!(": {e}"));
    }
    Some(shown(&out))
}

/// EventBridge's reason, from a dead-lettered event's message attributes.
pub fn delivery_error(code: Option<&str>, message: Option<&str>) -> Option<String> {
    match (code, message) {
        (None, None) => None,
        (c, m) => Some(shown(&format!(
            "EventBridge could not deliver it: {}{}",
            c.unwrap_or("error"),
            m.map(|m| format!(": {m}")).unwrap_or_default()
        ))),
    }
}

/// One line, at most `SHOWN` characters: the text came from a message.
fn shown(s: &str) -> String {
    let line = crate::domain::aws_error::one_line(s);
    match line.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line,
    }
}

/// Replay order. Sweeps last: a sweep repairs documents without naming
/// anyone, and the events replayed after it would find them right and say
/// nothing. Events newest first: an account-region's document shows its
/// newest edit, so that edit's actor is the one its revert names.
pub fn replay_order(a: &Identity, b: &Identity) -> Ordering {
    let sweep = |i: &Identity| i.kind.as_deref() == Some("sweep");
    sweep(a).cmp(&sweep(b)).then_with(|| b.time.cmp(&a.time))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Got {
    Done,
    Duplicate,
    /// A run that began after the event's change saw it and finished: the
    /// event's work is done, by that run.
    Coalesced,
    Ignored,
    FannedOut,
    InFlight,
    Failed,
    Rejected,
    Unreadable,
    WouldReplay,
}

impl Got {
    /// Handled: its message leaves the queue. `duplicate` and `coalesced`
    /// are handled too: the event's work was done, by an earlier delivery or
    /// by a run that saw its change, and replaying it again changes nothing.
    pub fn handled(self) -> bool {
        matches!(
            self,
            Got::Done | Got::Duplicate | Got::Coalesced | Got::Ignored | Got::FannedOut
        )
    }

    /// Replaying it can never succeed: the message is no event the handler
    /// takes. Such a message leaves its queue only when the operator says so.
    pub fn unreplayable(self) -> bool {
        matches!(self, Got::Rejected | Got::Unreadable)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Got::Done => "done",
            Got::Duplicate => "duplicate",
            Got::Coalesced => "coalesced",
            Got::Ignored => "ignored",
            Got::FannedOut => "fanned_out",
            Got::InFlight => "in_flight",
            Got::Failed => "failed",
            Got::Rejected => "rejected",
            Got::Unreadable => "unreadable",
            Got::WouldReplay => "would_replay",
        }
    }
}

/// What the handler's answer (`dispatch`'s body, failed, rejected) says.
pub fn got(shape: Shape, body: &Value, failed: bool, rejected: Option<&str>) -> (Got, String) {
    if let Some(reason) = rejected {
        return (Got::Rejected, shown(reason));
    }
    if matches!(shape, Shape::SweepAccount | Shape::Reattempt) {
        let back = body
            .get("batchItemFailures")
            .and_then(Value::as_array)
            .is_some_and(|f| !f.is_empty());
        return match back {
            false => (Got::Done, "handled as the sweep queue's message".into()),
            true => (Got::Failed, "the handler wants it back: its run failed before reaching the account, or another run holds it (RUST_LOG=error shows why)".into()),
        };
    }
    let result = match body.get("result").and_then(Value::as_str) {
        Some("done") => Got::Done,
        Some("duplicate") => Got::Duplicate,
        Some("coalesced") => Got::Coalesced,
        Some("ignored") => Got::Ignored,
        Some("fanned_out") => Got::FannedOut,
        Some("in_flight") => Got::InFlight,
        _ => Got::Failed,
    };
    let result = if failed && result.handled() {
        Got::Failed
    } else {
        result
    };
    let reason = body.get("reason").and_then(Value::as_str).unwrap_or("");
    (result, shown(reason))
}

#[cfg(test)]
mod tests {

    use super::*;

    fn sample(name: &str) -> Value {
        let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn edit() -> Value {
        sample("document_changed.ssm-update-document.json")
    }

    fn read_it(body: &str) -> Result<Replay, String> {
        read("m-1", body, trigger::classify)
    }

    fn on_failure(payload: Value) -> Value {
        json!({
            "version": "1.0",
            "timestamp": "2026-03-14T09:31:00.000Z",
            "requestContext": {
                "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
                "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:runas-guard:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3
            },
            "requestPayload": payload,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "responsePayload": {"errorMessage": "AccessDenied\non\nAssumeRole", "errorType": "&str"}
        })
    }
    #[test]
    fn a_dead_lettered_event_is_replayed_as_it_is() {
        let e = edit();
        let r = read_it(&e.to_string()).unwrap();
        assert_eq!(r.shape, Shape::Event);
        assert_eq!(r.input, e);
        assert_eq!(r.rejected, None);
        assert_eq!(r.identity.kind.as_deref(), Some("document_changed"));
        assert_eq!(r.identity.account.as_deref(), Some("111122223333"));
        assert_eq!(r.identity.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            r.identity.actor.as_deref(),
            Some("arn:aws:iam::111122223333:role/Admin")
        );
        assert_eq!(r.identity.event_id, e["id"].as_str().map(str::to_string));
        assert_eq!(r.identity.time.as_deref(), Some("2025-03-12T08:41:17Z"));
        assert_eq!(
            delivery_error(Some("SDK_CLIENT_ERROR"), Some("throttled")).as_deref(),
            Some("EventBridge could not deliver it: SDK_CLIENT_ERROR: throttled")
        );
        assert_eq!(delivery_error(None, None), None);
    }

    #[test]
    fn lambdas_on_failure_record_gives_its_request_payload() {
        let vend = sample("account_vended.organizations-create-account-result.json");
        let r = read_it(&on_failure(vend.clone()).to_string()).unwrap();
        assert_eq!(r.shape, Shape::OnFailure);
        assert_eq!(r.input, vend, "the event, not the record");
        assert_eq!(
            r.from_function.as_deref(),
            Some("arn:aws:lambda:us-east-1:123456789012:function:runas-guard:$LATEST"),
            "the function the record names, to be checked against the run's own"
        );
        assert_eq!(r.identity.kind.as_deref(), Some("account_vended"));
        assert_eq!(
            r.failed_before.as_deref(),
            Some("RetriesExhausted after 3 attempt(s): AccessDenied on AssumeRole")
        );
        // EventAgeExceeded records carry no response.
        let mut aged = on_failure(vend);
        aged["requestContext"]["condition"] = json!("EventAgeExceeded");
        aged.as_object_mut().unwrap().remove("responsePayload");
        let r = read_it(&aged.to_string()).unwrap();
        assert_eq!(
            r.failed_before.as_deref(),
            Some("EventAgeExceeded after 3 attempt(s)")
        );
    }

    #[test]
    fn sweep_queue_messages_become_a_one_record_batch() {
        let body = r#"{"sweep_id":"s-1","account":"210987654321"}"#;
        let r = read("m-7", body, trigger::classify).unwrap();
        assert_eq!(r.shape, Shape::SweepAccount);
        assert!(crate::flow::dispatch::is_sqs_batch(&r.input));
        assert_eq!(r.input["Records"][0]["body"], body);
        assert_eq!(r.input["Records"][0]["messageId"], "m-7");
        assert_eq!(r.identity.kind.as_deref(), Some("sweep"));
        assert_eq!(r.identity.account.as_deref(), Some("210987654321"));
        assert_eq!(r.identity.event_id.as_deref(), Some("s-1"));

        let again = Reattempt {
            account: "210987654321".into(),
            chain: "vend-1".into(),
            attempt: 4,
        };
        let r = read_it(&again.body()).unwrap();
        assert_eq!(r.shape, Shape::Reattempt);
        assert!(crate::flow::dispatch::is_sqs_batch(&r.input));
        assert_eq!(r.identity.kind.as_deref(), Some("account_vended"));
        assert_eq!(
            r.identity.event_id.as_deref(),
            Some("vend-1#210987654321#4")
        );
    }

    #[test]
    fn hostile_bodies_are_refused_with_a_reason_never_dispatched() {
        let batch = json!({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]});
        let mut event_and_batch = edit();
        event_and_batch["Records"] = batch["Records"].clone();
        let huge = format!("{{\"id\":\"{}\"}}", "x".repeat(trigger::MAX_EVENT_BYTES));
        let cases: Vec<(&str, String, &str)> = vec![
            ("empty", String::new(), "body is empty"),
            ("garbage", "garbage".into(), "not valid JSON"),
            ("an array", "[1,2]".into(), "an array"),
            ("huge", huge, "too large"),
            ("an SQS batch", batch.to_string(), "not a message"),
            (
                "an event carrying a batch",
                event_and_batch.to_string(),
                "not a message",
            ),
            (
                "no detail",
                json!({"id": "1", "source": "aws.ssm", "detail-type": "x"}).to_string(),
                "not a message",
            ),
            (
                "a record without the event",
                json!({"requestContext": {}}).to_string(),
                "without `requestPayload`",
            ),
            (
                "a record of a string",
                on_failure(json!("{}")).to_string(),
                "not an EventBridge event",
            ),
            (
                "a record of a batch",
                on_failure(batch.clone()).to_string(),
                "not an EventBridge event",
            ),
            (
                "a bad re-attempt",
                r#"{"reattempt":{"account":"1","chain":"c","attempt":1}}"#.into(),
                "12-digit",
            ),
            (
                "a sweep message with more",
                r#"{"sweep_id":"s","account":"210987654321","x":1}"#.into(),
                "unknown field",
            ),
        ];
        for (what, body, says) in cases {
            let err = read_it(&body).expect_err(what);
            assert!(err.contains(says), "{what}: {err}");
            assert!(
                !err.contains('\n') && err.chars().count() <= SHOWN + 3,
                "{what}: {err}"
            );
        }
    }

    #[test]
    fn an_event_the_handler_rejects_is_read_and_says_so() {
        let mut e = edit();
        e["detail"].as_object_mut().unwrap().remove("eventName");
        e["id"] = json!(format!("id\n{}", "y".repeat(500)));
        let r = read_it(&e.to_string()).unwrap();
        let reason = r.rejected.expect("rejected");
        assert!(reason.contains("eventName"), "{reason}");
        let id = r.identity.event_id.unwrap();
        assert!(!id.contains('\n') && id.ends_with("..."), "{id}");
        let (result, why) = got(Shape::Event, &Value::Null, false, Some(&reason));
        assert_eq!((result, why), (Got::Rejected, reason));
    }

    #[test]
    fn what_the_handler_answered() {
        let answer = |result: &str| json!({"result": result, "reason": "r"});
        for (result, failed, expected) in [
            ("done", false, Got::Done),
            ("duplicate", false, Got::Duplicate),
            ("coalesced", false, Got::Coalesced),
            ("coalesced", true, Got::Failed),
            ("ignored", false, Got::Ignored),
            ("fanned_out", false, Got::FannedOut),
            ("in_flight", false, Got::InFlight),
            ("in_flight", true, Got::InFlight),
            ("failed", true, Got::Failed),
            ("done", true, Got::Failed),
            ("something new", false, Got::Failed),
        ] {
            let (g, _) = got(Shape::OnFailure, &answer(result), failed, None);
            assert_eq!(g, expected, "{result} {failed}");
        }
        let none = json!({"batchItemFailures": []});
        let back = json!({"batchItemFailures": [{"itemIdentifier": "m-1"}]});
        assert_eq!(got(Shape::SweepAccount, &none, false, None).0, Got::Done);
        assert_eq!(got(Shape::Reattempt, &back, false, None).0, Got::Failed);
        let handled = [
            Got::Done,
            Got::Duplicate,
            Got::Coalesced,
            Got::Ignored,
            Got::FannedOut,
        ];
        for g in handled {
            assert!(g.handled() && !g.unreplayable(), "{g:?}");
        }
        for g in [Got::Rejected, Got::Unreadable] {
            assert!(g.unreplayable(), "{g:?}");
        }
        for g in [Got::InFlight, Got::Failed, Got::WouldReplay] {
            assert!(!g.unreplayable(), "{g:?}");
        }
        for g in [
            Got::InFlight,
            Got::Failed,
            Got::Rejected,
            Got::Unreadable,
            Got::WouldReplay,
        ] {
            assert!(!g.handled(), "{g:?}");
        }
    }

    #[test]
    fn events_newest_first_sweeps_last() {
        let at = |kind: &str, time: Option<&str>| Identity {
            kind: Some(kind.into()),
            time: time.map(str::to_string),
            ..Identity::default()
        };
        let mut ids = [
            at("sweep", Some("2026-03-14T10:00:00Z")),
            at("document_changed", Some("2026-03-14T08:00:00Z")),
            at("sweep", None),
            at("account_vended", Some("2026-03-14T09:00:00Z")),
            at("document_changed", None),
        ];
        ids.sort_by(replay_order);
        let order: Vec<(&str, Option<&str>)> = ids
            .iter()
            .map(|i| (i.kind.as_deref().unwrap(), i.time.as_deref()))
            .collect();
        assert_eq!(
            order,
            [
                ("account_vended", Some("2026-03-14T09:00:00Z")),
                ("document_changed", Some("2026-03-14T08:00:00Z")),
                ("document_changed", None),
                ("sweep", Some("2026-03-14T10:00:00Z")),
                ("sweep", None),
            ]
        );
    }
}
