//! What the function takes from which entry. Lambda cannot tell who invoked
//! it, but it does say through which ARN: EventBridge, the sweep queue's
//! mapping and the rules invoke the function itself (its unqualified ARN);
//! on-call's seat may invoke only its `operator` alias (infra/hub.yaml,
//! `OperatorEntry`). From the alias the function takes operator requests
//! alone, never an event it would trust as AWS's: a sweep request carries
//! nothing but a fresh id, a redrive request names failure-queue messages
//! by id and the function reads them itself. From the function's own ARN it
//! takes events alone. Decided here; served in `crate::flow::request`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The alias on-call's seat invokes (infra/hub.yaml `OperatorEntry`).
pub const OPERATOR_ALIAS: &str = "operator";

/// The key that makes a payload an operator request, naming which.
pub const REQUEST_KEY: &str = "runas_guard_request";

/// Messages one redrive request may name (the function reads them in one
/// invocation, well inside its timeout).
pub const MAX_NAMED: usize = 100;

/// Messages one list request may ask for (its answer stays well under
/// Lambda's 6 MB response: a row is at most a few KB).
pub const MAX_LISTED: usize = 1000;

/// Through which ARN the function was invoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// Any other ARN (the function itself, as EventBridge's rules, the
    /// sweep queue's mapping and Lambda's retries invoke it; `handle`).
    Events,
    /// The `operator` alias: operator requests only.
    Operator,
}

/// The entry of an invocation from Lambda's invoked function ARN
/// (`arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`): the
/// operator's entry is the `operator` alias, and only it. The seat's grant
/// is that alias alone, so it can reach no other door; every other ARN (the
/// function itself, `$LATEST`, a version) is one only those who may invoke
/// the function itself can use, and takes events. Local runtime emulators
/// (`cargo lambda watch`) name no alias and are the function's.
pub fn entry_of(invoked_arn: &str) -> Entry {
    let parts: Vec<&str> = invoked_arn.split(':').collect();
    let operator = parts.len() == 8
        && parts[0] == "arn"
        && parts[2] == "lambda"
        && parts[5] == "function"
        && parts[7] == OPERATOR_ALIAS;
    match operator {
        true => Entry::Operator,
        false => Entry::Events,
    }
}

/// One message of a failure queue, by its queue's URL and its id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named {
    pub queue: String,
    pub message_id: String,
}

/// What on-call may ask of the function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// The schedule's sweep, now, under this id (`manual-<epoch>-<token>`).
    Sweep { id: String },
    /// Replay these failure-queue messages (the function reads them);
    /// delete those no replay can handle only when asked.
    Redrive {
        messages: Vec<Named>,
        drop_unreadable: bool,
    },
    /// Reconcile these accounts (and, if any named, only these governed
    /// regions) now, as `reconcile --account` does with the function's roles:
    /// what they should be comes from the policy, never from the caller.
    Reconcile {
        accounts: Vec<String>,
        regions: Vec<String>,
    },
    /// List what the failure queues hold (at most `max` messages), as a
    /// dry run of redrive reads it; with `message_id`, that one message,
    /// its body shown. The function reads them and hides none for long.
    List {
        max: usize,
        message_id: Option<String>,
    },
}

impl Request {
    /// The payload the CLI sends.
    pub fn payload(&self) -> Value {
        match self {
            Request::Sweep { id } => json!({REQUEST_KEY: "sweep", "id": id}),
            Request::Redrive {
                messages,
                drop_unreadable,
            } => json!({
                REQUEST_KEY: "redrive",
                "messages": messages,
                "drop_unreadable": drop_unreadable,
            }),
            Request::Reconcile { accounts, regions } => json!({
                REQUEST_KEY: "reconcile",
                "accounts": accounts,
                "regions": regions,
            }),
            Request::List { max, message_id } => match message_id {
                Some(id) => json!({REQUEST_KEY: "list", "max": max, "message_id": id}),
                None => json!({REQUEST_KEY: "list", "max": max}),
            },
        }
    }
}

/// What an invocation is, once its entry is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admitted {
    /// An event (or the sweep queue's batch): handled as today.
    Event,
    Request(Request),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepWire {
    #[serde(rename = "runas_guard_request")]
    _kind: String,
    id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedriveWire {
    #[serde(rename = "runas_guard_request")]
    _kind: String,
    messages: Vec<Named>,
    #[serde(default)]
    drop_unreadable: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReconcileWire {
    #[serde(rename = "runas_guard_request")]
    _kind: String,
    accounts: Vec<String>,
    #[serde(default)]
    regions: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListWire {
    #[serde(rename = "runas_guard_request")]
    _kind: String,
    max: usize,
    #[serde(default)]
    message_id: Option<String>,
}

/// Accounts one reconcile request may name (the whole organization is the
/// sweep's).
pub const MAX_ACCOUNTS: usize = 50;

/// Whether the payload is shaped as an operator request at all.
pub fn is_request(input: &Value) -> bool {
    input.get(REQUEST_KEY).is_some()
}

/// What the function takes from `input` at `entry`; `Err` is why it is
/// refused (answered, never retried, nothing written).
pub fn admit(entry: Entry, input: &Value) -> Result<Admitted, String> {
    match (entry, is_request(input)) {
        (Entry::Events, false) => Ok(Admitted::Event),
        (Entry::Events, true) => Err(format!(
            "an operator request is taken only through the function's `{OPERATOR_ALIAS}` alias, not the function itself"
        )),
        (Entry::Operator, false) => Err(format!(
            "the `{OPERATOR_ALIAS}` alias takes operator requests only (`sweep --stack`, `redrive`, `redrive --list`, `reconcile --account ID --stack`: {{\"{REQUEST_KEY}\": \"sweep\" | \"redrive\" | \"list\" | \"reconcile\", ...}}), never an event: events reach the function only through its own ARN"
        )),
        (Entry::Operator, true) => parse(input).map(Admitted::Request),
    }
}

/// An operator request, read strictly: no field beyond its own.
pub fn parse(input: &Value) -> Result<Request, String> {
    match input.get(REQUEST_KEY).and_then(Value::as_str) {
        Some("sweep") => {
            let w: SweepWire =
                serde_json::from_value(input.clone()).map_err(|e| format!("sweep request: {e}"))?;
            sweep_id(&w.id)?;
            Ok(Request::Sweep { id: w.id })
        }
        Some("redrive") => {
            let w: RedriveWire = serde_json::from_value(input.clone())
                .map_err(|e| format!("redrive request: {e}"))?;
            redrive(w)
        }
        Some("reconcile") => {
            let w: ReconcileWire = serde_json::from_value(input.clone())
                .map_err(|e| format!("reconcile request: {e}"))?;
            reconcile(w)
        }
        Some("list") => {
            let w: ListWire =
                serde_json::from_value(input.clone()).map_err(|e| format!("list request: {e}"))?;
            list(w)
        }
        Some(other) => Err(format!(
            "unknown operator request {:?}: sweep, redrive, reconcile or list",
            other.chars().take(40).collect::<String>()
        )),
        None => Err(format!(
            "{REQUEST_KEY} must be \"sweep\", \"redrive\", \"reconcile\" or \"list\""
        )),
    }
}

fn list(w: ListWire) -> Result<Request, String> {
    if !(1..=MAX_LISTED).contains(&w.max) {
        return Err(format!(
            "a list request asks for 1 to {MAX_LISTED} messages, found {}",
            w.max
        ));
    }
    if let Some(id) = &w.message_id {
        message_id(id)?;
    }
    Ok(Request::List {
        max: w.max,
        message_id: w.message_id,
    })
}

/// An SQS message id as the queues give it: 1-100 printable ASCII characters.
fn message_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty() && id.len() <= 100 && id.chars().all(|c| c.is_ascii_graphic());
    match ok {
        true => Ok(()),
        false => Err(format!("{:?} is not an SQS message id", shown(id))),
    }
}

fn redrive(w: RedriveWire) -> Result<Request, String> {
    if w.messages.is_empty() || w.messages.len() > MAX_NAMED {
        return Err(format!(
            "a redrive request names 1 to {MAX_NAMED} messages, found {}",
            w.messages.len()
        ));
    }
    for m in &w.messages {
        let url = m.queue.starts_with("https://") || m.queue.starts_with("http://");
        if !url || m.queue.len() > 1024 || m.queue.chars().any(char::is_whitespace) {
            return Err(format!("{:?} is not a queue URL", shown(&m.queue)));
        }
        message_id(&m.message_id)?;
    }
    let mut seen = BTreeSet::new();
    let messages = w.messages.into_iter().filter(|m| seen.insert(m.clone()));
    Ok(Request::Redrive {
        messages: messages.collect(),
        drop_unreadable: w.drop_unreadable,
    })
}

fn reconcile(w: ReconcileWire) -> Result<Request, String> {
    if w.accounts.is_empty() || w.accounts.len() > MAX_ACCOUNTS {
        return Err(format!(
            "a reconcile request names 1 to {MAX_ACCOUNTS} accounts, found {}",
            w.accounts.len()
        ));
    }
    if let Some(bad) = w
        .accounts
        .iter()
        .find(|a| !crate::domain::ids::is_account_id(a))
    {
        return Err(format!("{:?} is not a 12-digit account id", shown(bad)));
    }
    if let Some(bad) = w
        .regions
        .iter()
        .find(|r| !crate::domain::ids::is_region_name(r))
    {
        return Err(format!("{:?} is not a region name", shown(bad)));
    }
    let dedup = |v: Vec<String>| {
        let mut seen = BTreeSet::new();
        v.into_iter().filter(|x| seen.insert(x.clone())).collect()
    };
    Ok(Request::Reconcile {
        accounts: dedup(w.accounts),
        regions: dedup(w.regions),
    })
}

/// A sweep request's id is the CLI's own shape, `manual-<epoch>-<16 hex>`:
/// never an EventBridge event's id (a UUID), so a request can claim no
/// scheduled sweep's event ahead of it.
pub fn sweep_id(id: &str) -> Result<(), String> {
    let mut parts = id.splitn(3, '-');
    let ok = parts.next() == Some("manual")
        && parts
            .next()
            .is_some_and(|e| (1..=12).contains(&e.len()) && e.bytes().all(|b| b.is_ascii_digit()))
        && parts.next().is_some_and(|t| {
            t.len() == 16 && t.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        });
    match ok {
        true => Ok(()),
        false => Err(format!(
            "sweep request id {:?} is not manual-<epoch>-<16 hex digits>",
            shown(id)
        )),
    }
}

/// The schedule's event the function makes for a sweep request: nothing in
/// it comes from the caller but the id.
pub fn sweep_event(id: &str, region: &str, time: &str) -> Value {
    json!({
        "version": "0",
        "id": id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": time,
        "region": region,
        "resources": ["runas-guard:operator/sweep"],
        "detail": {}
    })
}

fn shown(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "manual-1764147600-0123456789abcdef";

    #[test]
    fn only_the_operator_alias_is_the_operators_entry() {
        for (arn, entry) in [
            (
                "arn:aws:lambda:eu-west-1:123456789012:function:runas-guard",
                Entry::Events,
            ),
            (
                "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f",
                Entry::Events,
            ),
            (
                "arn:aws:lambda:eu-west-1:123456789012:function:runas-guard:operator",
                Entry::Operator,
            ),
            (
                "arn:aws:lambda:eu-west-1:123456789012:function:runas-guard:$LATEST",
                Entry::Events,
            ),
            (
                "arn:aws:lambda:eu-west-1:123456789012:function:runas-guard:7",
                Entry::Events,
            ),
            (
                "arn:aws:lambda:eu-west-1:123456789012:function:",
                Entry::Events,
            ),
            (
                "arn:aws:lambda:eu-west-1:123456789012:function:f:operator:x",
                Entry::Events,
            ),
            ("runas-guard", Entry::Events),
            ("", Entry::Events),
        ] {
            assert_eq!(entry_of(arn), entry, "{arn}");
        }
    }

    fn forged_event() -> Value {
        json!({
            "version": "0", "id": "0b5c5d7e-1111-2222-3333-444455556666",
            "detail-type": "AWS API Call via CloudTrail", "source": "aws.ssm",
            "account": "210987654321", "region": "eu-west-1",
            "time": "2026-11-26T09:00:00Z",
            "detail": {"eventName": "UpdateDocument",
                       "userIdentity": {"arn": "arn:aws:sts::210987654321:assumed-role/BreakGlass/x"},
                       "requestParameters": {"name": "SSM-SessionManagerRunShell"}}
        })
    }

    #[test]
    fn the_operator_entry_refuses_every_event_and_the_events_entry_every_request() {
        let sqs = json!({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]});
        for input in [
            forged_event(),
            sqs.clone(),
            json!({}),
            json!(null),
            json!([1]),
        ] {
            assert!(admit(Entry::Operator, &input).is_err(), "{input}");
            assert_eq!(admit(Entry::Events, &input), Ok(Admitted::Event), "{input}");
        }
        let sweep = Request::Sweep { id: ID.into() }.payload();
        assert!(admit(Entry::Events, &sweep).is_err());
        assert_eq!(
            admit(Entry::Operator, &sweep),
            Ok(Admitted::Request(Request::Sweep { id: ID.into() }))
        );
    }

    #[test]
    fn a_request_carries_nothing_but_its_own_fields() {
        // An event smuggled beside a request's fields is refused whole.
        let mut smuggled = forged_event();
        smuggled[REQUEST_KEY] = json!("sweep");
        smuggled["id"] = json!(ID);
        assert!(admit(Entry::Operator, &smuggled).is_err());
        let extra = json!({REQUEST_KEY: "sweep", "id": ID, "detail": {}});
        assert!(parse(&extra).is_err());
        let body = json!({REQUEST_KEY: "redrive", "messages": [
            {"queue": "https://sqs.eu-west-1.amazonaws.com/1/q", "message_id": "m1", "body": "{}"}]});
        assert!(
            parse(&body).is_err(),
            "a message body is never taken from the caller"
        );
        for kind in [json!("replay"), json!(1), json!(null)] {
            assert!(
                parse(&json!({REQUEST_KEY: kind, "id": ID})).is_err(),
                "{kind}"
            );
        }
    }

    #[test]
    fn a_sweep_id_is_the_cli_shape_only() {
        assert!(sweep_id(ID).is_ok());
        for bad in [
            "0b5c5d7e-1111-2222-3333-444455556666",
            "manual-1764147600",
            "manual-1764147600-0123456789ABCDEF",
            "manual-x-0123456789abcdef",
            "manual-1764147600-0123456789abcdef0",
            "manual--0123456789abcdef",
            "",
        ] {
            assert!(sweep_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_redrive_request_names_queue_urls_and_message_ids_once() {
        let m = |q: &str, id: &str| json!({"queue": q, "message_id": id});
        let q = "https://sqs.eu-west-1.amazonaws.com/123456789012/hub-EventsDeadLetterQueue-x";
        let ok = json!({REQUEST_KEY: "redrive", "messages": [m(q, "a"), m(q, "b"), m(q, "a")]});
        match parse(&ok) {
            Ok(Request::Redrive {
                messages,
                drop_unreadable,
            }) => {
                assert_eq!(messages.len(), 2, "a repeated id is named once");
                assert!(!drop_unreadable);
            }
            other => panic!("{other:?}"),
        }
        let many: Vec<Value> = (0..=MAX_NAMED).map(|i| m(q, &i.to_string())).collect();
        for bad in [
            json!({REQUEST_KEY: "redrive", "messages": []}),
            json!({REQUEST_KEY: "redrive", "messages": many}),
            json!({REQUEST_KEY: "redrive", "messages": [m("sqs://q", "a")]}),
            json!({REQUEST_KEY: "redrive", "messages": [m(q, "")]}),
            json!({REQUEST_KEY: "redrive", "messages": [m(q, "a b")]}),
            json!({REQUEST_KEY: "redrive", "messages": [m(&format!("{q} x"), "a")]}),
        ] {
            assert!(parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_reconcile_request_names_accounts_and_regions_only() {
        let ok = Request::Reconcile {
            accounts: vec!["210987654321".into()],
            regions: vec!["eu-west-1".into()],
        };
        assert_eq!(parse(&ok.payload()), Ok(ok.clone()));
        let many: Vec<String> = (0..=MAX_ACCOUNTS).map(|i| format!("{:012}", i)).collect();
        for bad in [
            json!({REQUEST_KEY: "reconcile", "accounts": []}),
            json!({REQUEST_KEY: "reconcile", "accounts": many}),
            json!({REQUEST_KEY: "reconcile", "accounts": ["21098765432"]}),
            json!({REQUEST_KEY: "reconcile", "accounts": ["210987654321"], "regions": ["eu west 1"]}),
            json!({REQUEST_KEY: "reconcile", "accounts": ["210987654321"], "run_as_user": "root"}),
        ] {
            assert!(parse(&bad).is_err(), "{bad}");
        }
    }

    /// The alias's refusal is what on-call reads when a payload is not a
    /// request: it names every request the function takes from the seat,
    /// with the command that sends it, and nothing the function refuses.
    #[test]
    fn the_aliass_refusal_names_every_request_it_takes() {
        let refused = admit(Entry::Operator, &json!({})).unwrap_err();
        let requests = [
            (Request::Sweep { id: ID.into() }, "sweep", "`sweep --stack`"),
            (
                Request::Redrive {
                    messages: vec![Named {
                        queue: "https://sqs.eu-west-1.amazonaws.com/1/q".into(),
                        message_id: "m1".into(),
                    }],
                    drop_unreadable: false,
                },
                "redrive",
                "`redrive`",
            ),
            (
                Request::Reconcile {
                    accounts: vec!["210987654321".into()],
                    regions: vec![],
                },
                "reconcile",
                "`reconcile --account ID --stack`",
            ),
        ];
        for (request, kind, command) in requests {
            assert_eq!(parse(&request.payload()), Ok(request), "{kind}");
            assert!(
                refused.contains(&format!("\"{kind}\"")),
                "{kind}: {refused}"
            );
            assert!(refused.contains(command), "{command}: {refused}");
        }
        let unknown = parse(&json!({REQUEST_KEY: "status"})).unwrap_err();
        assert!(unknown.starts_with("unknown operator request"), "{unknown}");
        assert!(!refused.contains("\"status\""), "{refused}");
    }

    #[test]
    fn a_list_request_asks_for_a_bounded_number_or_one_message() {
        for ok in [
            Request::List {
                max: 1,
                message_id: None,
            },
            Request::List {
                max: MAX_LISTED,
                message_id: Some("0b5c5d7e-1111-2222-3333-444455556666".into()),
            },
        ] {
            assert_eq!(parse(&ok.payload()), Ok(ok.clone()));
            assert_eq!(
                admit(Entry::Operator, &ok.payload()),
                Ok(Admitted::Request(ok.clone()))
            );
            assert!(admit(Entry::Events, &ok.payload()).is_err());
        }
        for bad in [
            json!({REQUEST_KEY: "list"}),
            json!({REQUEST_KEY: "list", "max": 0}),
            json!({REQUEST_KEY: "list", "max": MAX_LISTED + 1}),
            json!({REQUEST_KEY: "list", "max": -1}),
            json!({REQUEST_KEY: "list", "max": 5, "message_id": ""}),
            json!({REQUEST_KEY: "list", "max": 5, "message_id": "a b"}),
            json!({REQUEST_KEY: "list", "max": 5, "visibility_timeout": 43200}),
            json!({REQUEST_KEY: "list", "max": 5, "queue": "https://sqs.eu-west-1.amazonaws.com/1/q"}),
        ] {
            assert!(parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_sweep_event_takes_only_the_id_from_the_caller() {
        let e = sweep_event(ID, "eu-west-1", "2026-11-26T09:00:00Z");
        assert_eq!(e["id"], ID);
        assert_eq!(e["source"], "aws.events");
        assert_eq!(e["detail-type"], "Scheduled Event");
        assert_eq!(e["detail"], json!({}));
    }
}
