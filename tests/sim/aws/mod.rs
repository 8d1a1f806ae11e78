//! The simulated AWS: one in-memory state behind every SDK client of every
//! simulated Lambda instance, reached only through [`crate::http::SimHttp`].
//! Each call is attributed to an account and principal by its access key
//! (the hub's static key, or a session key STS issued), to a service and
//! region by its SigV4 scope, and to an operation by its protocol. Faults
//! (throttling, 5xx, timeouts, AccessDenied, the lost answer) and crashes
//! are drawn here, per call, from the schedule's generator.

pub mod dynamodb;
pub mod messaging;
pub mod org;
pub mod securityhub;
pub mod ssm;
pub mod sts;
pub mod wire;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::rng::Rng;
use wire::{Answer, Call};

pub const HUB_KEY: &str = "AKIASIMHUB0000000000";

/// Who made a call or an edit, as CloudTrail records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    /// The session's ARN (assumed role), the user's, or the root's.
    pub arn: String,
    pub kind: &'static str,
    pub role: Option<String>,
}

impl Who {
    pub fn assumed(account: &str, role: &str, session: &str) -> Who {
        Who {
            arn: format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"),
            kind: "AssumedRole",
            role: Some(role.into()),
        }
    }

    pub fn root(account: &str) -> Who {
        Who {
            arn: format!("arn:aws:iam::{account}:root"),
            kind: "Root",
            role: None,
        }
    }

    pub fn identity(&self, account: &str) -> Value {
        match self.kind {
            "AssumedRole" => {
                let role = self.role.clone().unwrap_or_default();
                let session = self.arn.rsplit('/').next().unwrap_or_default();
                json!({
                    "type": "AssumedRole",
                    "principalId": format!("AROASIM{account}:{session}"),
                    "arn": self.arn,
                    "accountId": account,
                    "accessKeyId": "ASIASIMEXAMPLE",
                    "sessionContext": {
                        "sessionIssuer": {"type": "Role", "principalId": format!("AROASIM{account}"),
                            "arn": format!("arn:aws:iam::{account}:role/{role}"), "accountId": account, "userName": role},
                        "webIdFederationData": {},
                        "attributes": {"creationDate": "2026-11-26T00:00:00Z", "mfaAuthenticated": "false"}
                    }
                })
            }
            _ => {
                json!({"type": "Root", "principalId": account, "arn": self.arn, "accountId": account})
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Throttle,
    Server,
    /// No answer before the SDK's attempt timeout; the call had no effect.
    Timeout,
    /// The call took effect; its answer never arrives.
    Lost,
    Denied,
    /// SSM's `TooManyUpdates` on a write (not retried by the SDK).
    TooManyUpdates,
}

/// One simulated Lambda execution environment (or the operator's CLI).
#[derive(Debug)]
pub struct Instance {
    pub label: String,
    pub dead: bool,
    pub calls: u64,
    /// Killed at its n-th call of the invocation in progress, before the
    /// call lands (`false`) or after (`true`).
    pub crash_at: Option<(u64, bool)>,
    pub kill: Arc<tokio::sync::Notify>,
}

pub struct State {
    pub rng: Rng,
    /// `SIM_STREAMS=slot`: each call's latency and faults drawn from a
    /// generator of its own (see [`State::stream`]), for comparing two builds.
    pub streams: Option<Streams>,
    /// Chance that one call faults (0 in the final, fault-free phase).
    pub fault_rate: f64,
    pub ssm: ssm::Ssm,
    pub sts: sts::Sts,
    pub org: org::Org,
    pub sns: messaging::Sns,
    pub sqs: messaging::Sqs,
    pub ddb: dynamodb::Dynamo,
    pub securityhub: securityhub::SecurityHub,
    pub instances: BTreeMap<u32, Instance>,
    pub trace: Vec<String>,
    pub unsupported: Vec<String>,
    pub hub: String,
    pub calls: u64,
    pub faults_fired: u64,
    /// Calls that reached a service and may have changed it (every
    /// operation but a read): the checker's safety pass looks again only
    /// when this, the documents' writes or the table's size moved.
    pub mutations: u64,
    /// A fixed latency each way (the scale run); `None`: drawn per call,
    /// 2-40 ms.
    pub latency_ms: Option<u64>,
    pub verbose: bool,
    /// Keep the trace (a replay, the determinism check): off in the budget
    /// and the exploration, where formatting every call's line cost a tenth
    /// of a schedule; a finding is replayed from its seed to read it.
    pub tracing: bool,
}

pub type Sim = Arc<Mutex<State>>;

/// The per-stream generators of `SIM_STREAMS=slot`.
pub struct Streams {
    base: u64,
    map: std::collections::HashMap<String, Rng>,
}

impl Streams {
    fn new(rng: &Rng) -> Streams {
        Streams {
            base: rng.clone().next_u64(),
            map: Default::default(),
        }
    }

    /// `None` unless `SIM_STREAMS=slot`; an unknown value stops the run
    /// rather than measuring with draws nobody asked for.
    fn from_env(rng: &Rng) -> Option<Streams> {
        match std::env::var("SIM_STREAMS").ok()?.as_str() {
            "slot" => Some(Streams::new(rng)),
            other => panic!("SIM_STREAMS={other}: the only value is `slot`"),
        }
    }
}

/// The `pk` and `sk` of the first item a DynamoDB request names (its
/// `Key`, `Item`, or the first of a batch or transaction).
fn item_keys(input: &Value) -> Option<String> {
    match input {
        Value::Object(map) => {
            if let Some(pk) = map.get("pk") {
                return Some(format!("{pk}|{}", map.get("sk").unwrap_or(&Value::Null)));
            }
            map.values().find_map(item_keys)
        }
        Value::Array(items) => items.iter().find_map(item_keys),
        _ => None,
    }
}

fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub fn now_ms() -> i64 {
    runas_guard::domain::clock::epoch_millis(runas_guard::domain::clock::now())
}

/// `+12345.678s`: virtual seconds since the schedule began.
pub fn stamp(start_ms: i64) -> String {
    let d = now_ms() - start_ms;
    format!("+{:>6}.{:03}s", d / 1000, d % 1000)
}

pub enum Decision {
    Answer(Answer),
    /// Never answers (a dead instance, a timeout, a lost answer).
    Hang,
    /// Dropped on the wire after it landed (connection reset).
    Reset,
}

impl State {
    /// An empty AWS (no account, no document, nothing published) drawing
    /// from `rng`, with no faults and latency drawn per call: one place, so
    /// a field added to `State` is set for every user of it.
    pub fn new(rng: Rng, hub: &str, verbose: bool, tracing: bool) -> Self {
        State {
            streams: Streams::from_env(&rng),
            rng,
            fault_rate: 0.0,
            ssm: Default::default(),
            sts: Default::default(),
            org: Default::default(),
            sns: Default::default(),
            sqs: Default::default(),
            ddb: dynamodb::Dynamo::new(),
            securityhub: Default::default(),
            instances: BTreeMap::new(),
            trace: vec![],
            unsupported: vec![],
            hub: hub.into(),
            calls: 0,
            faults_fired: 0,
            mutations: 0,
            latency_ms: None,
            verbose,
            tracing,
        }
    }

    pub fn log(&mut self, line: String) {
        if self.verbose {
            println!("{line}");
        }
        if self.tracing || self.verbose {
            self.trace.push(line);
        }
    }

    /// A trace line built only when the trace is kept.
    fn trace_with(&mut self, line: impl FnOnce() -> String) {
        if self.tracing || self.verbose {
            let line = line();
            self.log(line);
        }
    }

    fn caller(&self, key: &str) -> Option<(String, Who)> {
        if key == HUB_KEY {
            return Some((
                self.hub.clone(),
                Who::assumed(&self.hub, "runas-guard-function", "runas-guard"),
            ));
        }
        self.sts.keys.get(key).cloned()
    }

    fn throttle(service: &str, op: &str) -> Answer {
        let code = match service {
            "dynamodb" => "ProvisionedThroughputExceededException",
            "organizations" | "securityhub" => "TooManyRequestsException",
            "sts" | "sns" => "Throttling",
            _ => "ThrottlingException",
        };
        Answer::err(code, &format!("Rate exceeded ({op})"))
    }

    fn denied(service: &str) -> Answer {
        let code = match service {
            "sts" | "sns" => "AccessDenied",
            _ => "AccessDeniedException",
        };
        Answer::err(
            code,
            "User is not authorized to perform this action (simulated)",
        )
    }

    fn apply(&mut self, call: &Call, now: i64) -> Answer {
        if !read_only(&call.op) {
            self.mutations += 1;
        }
        let Some((account, who)) = self.caller(&call.access_key) else {
            return Answer::err(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            );
        };
        let answer = match call.service.as_str() {
            "sts" => self
                .sts
                .handle(&(account.clone(), who.clone()), &call.op, &call.input, now),
            "ssm" => self
                .ssm
                .handle(&who, &account, &call.region, &call.op, &call.input, now),
            "organizations" => self.org.handle(&account, &call.op, &call.input),
            "sns" => self.sns.handle(&call.op, &call.input, now),
            "sqs" => self.sqs.handle(&call.op, &call.input, now),
            "securityhub" => {
                self.securityhub
                    .handle(&account, &call.region, &call.op, &call.input, now)
            }
            "dynamodb" => match self
                .ddb
                .handle(&account, &call.region, &call.op, &call.input, now)
            {
                Ok(v) => Some(Answer::Json(v)),
                Err(e) if e.is_unsupported() => {
                    self.unsupported
                        .push(format!("dynamodb {}: {}", call.op, e.message));
                    Some(Answer::server("InternalServerError"))
                }
                Err(e) => Some(Answer::Error {
                    status: 400,
                    code: e.code.clone(),
                    message: e.message.clone(),
                    body: Some(e.to_body()),
                }),
            },
            _ => None,
        };
        answer.unwrap_or_else(|| {
            self.unsupported
                .push(format!("{} {} (not modelled)", call.service, call.op));
            Answer::err("UnknownOperationException", "not modelled by the simulator")
        })
    }

    fn draw_fault(&mut self, call: &Call) -> Option<Fault> {
        // A storm (tests/sim/storm.rs) raises one operation's rate for a while.
        let account = self.caller(&call.access_key).map(|(a, _)| a);
        let rate = crate::storm::rate(
            &call.service,
            &call.op,
            (account.as_deref(), &call.region),
            now_ms(),
        )
        .or_else(|| crate::storm::burst(account.as_deref()?, &call.region, &call.op, now_ms()))
        .unwrap_or(self.fault_rate);
        let rng = self.stream(call);
        if rate <= 0.0 || !rng.chance(rate) {
            return None;
        }
        let write = matches!(
            call.op.as_str(),
            "UpdateDocument"
                | "UpdateDocumentDefaultVersion"
                | "CreateDocument"
                | "DeleteDocument"
                | "AddTagsToResource"
        );
        Some(match rng.below(100) {
            0..=34 => Fault::Throttle,
            35..=54 => Fault::Server,
            55..=69 => Fault::Timeout,
            70..=89 => Fault::Lost,
            90..=94 if write => Fault::TooManyUpdates,
            _ => Fault::Denied,
        })
    }

    /// One call of instance `inst`, after its request latency.
    pub fn decide(&mut self, inst: u32, call: &Call, start_ms: i64) -> Decision {
        let now = now_ms();
        let Some(i) = self.instances.get_mut(&inst) else {
            return Decision::Hang;
        };
        if i.dead {
            return Decision::Hang;
        }
        i.calls += 1;
        // A frozen instance (tests/sim/storm.rs): nothing it sends is answered.
        // Traced, so a call that never came back (and the SDK's timeout the
        // run then saw) shows in the trace.
        if crate::storm::paused(inst, i.calls, now) {
            let label = i.label.clone();
            self.trace_with(|| {
                format!(
                    "{} {label} {} {} {} -> FROZEN (no answer)",
                    stamp(start_ms),
                    call.service,
                    call.region,
                    describe(call)
                )
            });
            return Decision::Hang;
        }
        // Aimed faults (tests/sim/aim.rs): this call's shape, if armed.
        let aimed = crate::aim::hit(inst, call);
        if let Some(crate::aim::Hit::Freeze(ms)) = aimed {
            crate::storm::pause(inst, Some((i.calls, ms)));
            if crate::storm::paused(inst, i.calls, now) {
                let label = i.label.clone();
                self.trace_with(|| {
                    format!(
                        "{} {label} {} {} {} -> FROZE (aimed) for {}s",
                        stamp(start_ms),
                        call.service,
                        call.region,
                        describe(call),
                        ms / 1000
                    )
                });
                return Decision::Hang;
            }
        }
        let crash = match aimed {
            Some(crate::aim::Hit::CrashBefore) => Some(false),
            Some(crate::aim::Hit::CrashAfter) => Some(true),
            _ => i
                .crash_at
                .filter(|(n, _)| *n == i.calls)
                .map(|(_, after)| after),
        };
        self.calls += 1;
        let place = if self.tracing || self.verbose {
            format!(
                "{} {} {} {} {}",
                stamp(start_ms),
                i.label,
                call.service,
                call.region,
                describe(call)
            )
        } else {
            String::new()
        };
        if crash == Some(false) {
            self.kill(inst);
            self.trace_with(|| format!("{place} -> CRASH before it landed"));
            return Decision::Hang;
        }
        let fault = match aimed {
            Some(crate::aim::Hit::Refuse(f)) => Some(f),
            _ => self.draw_fault(call),
        };
        if fault.is_some() {
            self.faults_fired += 1;
        }
        let decision = match fault {
            Some(Fault::Throttle) => Decision::Answer(Self::throttle(&call.service, &call.op)),
            Some(Fault::Server) => {
                Decision::Answer(Answer::server(if call.service == "dynamodb" {
                    "InternalServerError"
                } else {
                    "InternalFailure"
                }))
            }
            Some(Fault::Denied) => Decision::Answer(Self::denied(&call.service)),
            Some(Fault::TooManyUpdates) => Decision::Answer(Answer::err(
                "TooManyUpdates",
                "There are concurrent updates for a resource that supports one update at a time.",
            )),
            Some(Fault::Timeout) => Decision::Hang,
            Some(Fault::Lost) => {
                let answer = self.apply(call, now);
                self.trace_with(|| format!("{place} -> {} (answer LOST)", outcome(&answer)));
                if crash == Some(true) {
                    self.kill(inst);
                    self.trace_with(|| format!("{place} -> CRASH after it landed"));
                    return Decision::Hang;
                }
                return if self.stream(call).chance(0.5) {
                    Decision::Hang
                } else {
                    Decision::Reset
                };
            }
            None => Decision::Answer(self.apply(call, now)),
        };
        match &decision {
            Decision::Answer(a) => {
                let tag = if fault.is_some() { " (FAULT)" } else { "" };
                self.trace_with(|| format!("{place} -> {}{tag}", outcome(a)));
            }
            _ => self.trace_with(|| format!("{place} -> TIMEOUT (FAULT)")),
        }
        if crash == Some(true) {
            self.kill(inst);
            self.trace_with(|| format!("{place} -> CRASH after it landed"));
            return Decision::Hang;
        }
        decision
    }

    pub fn kill(&mut self, inst: u32) {
        if let Some(i) = self.instances.get_mut(&inst) {
            i.dead = true;
            i.kill.notify_one();
        }
    }

    /// The generator a call's latency and faults are drawn from: the
    /// schedule's one generator, or with `SIM_STREAMS=slot` one per
    /// operation and what the call is about (a table item's keys, else the
    /// caller's account and region). With one generator a build that makes
    /// one more call shifts every later draw in the world, so comparing two
    /// builds' findings on the same seeds measures the shift, not the change;
    /// per-stream draws move only where the builds' calls differ. Opt-in:
    /// the default draws keep the schedules `seeds.txt` and `known.txt` name.
    pub fn stream(&mut self, call: &Call) -> &mut Rng {
        let Some(streams) = self.streams.as_ref() else {
            return &mut self.rng;
        };
        let about = item_keys(&call.input).unwrap_or_else(|| {
            let account = self.caller(&call.access_key).map(|(a, _)| a);
            format!("{}|{}", account.unwrap_or_default(), call.region)
        });
        let key = format!("{}|{}|{about}", call.service, call.op);
        let base = streams.base;
        let streams = self.streams.as_mut().expect("checked above");
        streams
            .map
            .entry(key)
            .or_insert_with_key(|k| Rng::new(base ^ fnv1a(k)))
    }

    /// One way's latency of a call: fixed (the scale run) or drawn.
    pub fn latency(&mut self, call: &Call) -> u64 {
        match self.latency_ms {
            Some(ms) => ms,
            None => self.stream(call).range(2, 40),
        }
    }

    pub fn dead(&self, inst: u32) -> bool {
        self.instances.get(&inst).is_none_or(|i| i.dead)
    }
}

/// An operation that changes nothing the checker reads (documents, the
/// table, what was published): reads, and STS's sessions. Anything not
/// named here counts as a change.
pub fn read_only(op: &str) -> bool {
    op.starts_with("Get")
        || op.starts_with("Describe")
        || op.starts_with("List")
        || matches!(op, "Query" | "Scan" | "BatchGetItem" | "AssumeRole")
}

/// The operation and what it names, for the trace.
fn describe(call: &Call) -> String {
    let i = &call.input;
    let f = |k: &str| {
        i.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let extra = match call.op.as_str() {
        "UpdateDocument"
        | "GetDocument"
        | "UpdateDocumentDefaultVersion"
        | "DeleteDocument"
        | "DescribeDocument" => {
            format!(" {}@{}", f("Name"), f("DocumentVersion"))
        }
        "AssumeRole" => format!(" {}", f("RoleArn")),
        "PutItem" | "UpdateItem" | "DeleteItem" | "GetItem" => {
            let key = i.get("Key").or_else(|| i.get("Item"));
            let k = |n: &str| {
                key.and_then(|k| k.get(n))
                    .and_then(|v| v.get("S"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            // SIM_TRACE_EXPR=1: the update and condition too, to see which
            // write of a run a crash or fault hit.
            let expr = if matches!(call.op.as_str(), "UpdateItem" | "PutItem" | "DeleteItem")
                && std::env::var_os("SIM_TRACE_EXPR").is_some()
            {
                format!(
                    " [{}] if [{}]",
                    f("UpdateExpression"),
                    f("ConditionExpression")
                )
            } else {
                String::new()
            };
            format!(" {}|{}{expr}", k("pk"), k("sk"))
        }
        // Each action and its item, to see which transaction of a run a
        // crash or fault hit.
        "TransactWriteItems" => {
            let actions = i.get("TransactItems").and_then(Value::as_array);
            let each = actions.into_iter().flatten().filter_map(|a| {
                let (kind, body) = a.as_object()?.iter().next()?;
                let key = body.get("Key").or_else(|| body.get("Item"))?;
                let k = |n: &str| key.get(n)?.get("S")?.as_str().map(str::to_string);
                Some(format!("{kind} {}|{}", k("pk")?, k("sk")?))
            });
            format!(" [{}]", each.collect::<Vec<_>>().join(", "))
        }
        // Each request's item, to see what a batch kept or deleted.
        "BatchWriteItem" => {
            let tables = i.get("RequestItems").and_then(Value::as_object);
            let each = tables
                .into_iter()
                .flat_map(|t| t.values())
                .flat_map(|reqs| {
                    reqs.as_array().into_iter().flatten().filter_map(|r| {
                        let (kind, body) = r.as_object()?.iter().next()?;
                        let key = body.get("Key").or_else(|| body.get("Item"))?;
                        let k = |n: &str| key.get(n)?.get("S")?.as_str().map(str::to_string);
                        Some(format!("{kind} {}|{}", k("pk")?, k("sk")?))
                    })
                });
            format!(" [{}]", each.collect::<Vec<_>>().join(", "))
        }
        // Sorted: the SDK's maps are HashMaps, their order is not the request's meaning.
        "Query" => {
            let values: BTreeMap<String, String> = i
                .get("ExpressionAttributeValues")
                .and_then(Value::as_object)
                .map(|o| o.iter().map(|(k, v)| (k.clone(), v.to_string())).collect())
                .unwrap_or_default();
            format!(" {values:?}")
        }
        _ => String::new(),
    };
    format!("{}{extra}", call.op)
}

fn outcome(a: &Answer) -> String {
    match a {
        Answer::Json(v) => match v.get("DocumentDescription").or_else(|| v.get("Document")) {
            Some(d) => format!("ok v{}", d["DocumentVersion"].as_str().unwrap_or("?")),
            None => match v.get("DocumentVersion") {
                Some(n) => format!("ok v{}", n.as_str().unwrap_or("?")),
                None => "ok".into(),
            },
        },
        Answer::Xml(_) => "ok".into(),
        Answer::Error { code, message, .. } if code == "ValidationException" => {
            format!("{code}: {message}")
        }
        Answer::Error { code, .. } => code.clone(),
    }
}

#[cfg(test)]
mod stream_tests {
    use super::*;

    fn call(op: &str, input: Value) -> Call {
        Call {
            access_key: HUB_KEY.into(),
            region: "us-east-1".into(),
            service: "dynamodb".into(),
            protocol: wire::Protocol::Json,
            op: op.into(),
            input,
        }
    }

    /// The next `n` draws for `b` after `extra` draws for `a`.
    fn draws(streams: bool, extra: usize, a: &Call, b: &Call) -> Vec<u64> {
        let rng = Rng::new(42);
        let mut s = State::new(rng.clone(), "100000000000", false, false);
        s.streams = streams.then(|| Streams::new(&rng));
        for _ in 0..extra {
            s.stream(a).next_u64();
        }
        (0..5).map(|_| s.stream(b).next_u64()).collect()
    }

    /// With streams, a build that makes more calls of one item's operation
    /// leaves every other stream's draws as they were; with the one
    /// generator (the default) it shifts them: what `SIM_STREAMS=slot` is for.
    #[test]
    fn an_extra_call_moves_only_its_own_stream() {
        let item = |pk: &str| json!({"TableName": "t", "Key": {"pk": {"S": pk}, "sk": {"S": "REGION#eu-west-1"}}});
        let a = call("GetItem", item("ACCOUNT#1"));
        let cases = [
            ("same op, another item", call("GetItem", item("ACCOUNT#2"))),
            (
                "another op, same item",
                call("UpdateItem", item("ACCOUNT#1")),
            ),
            (
                "no item: the caller's account-region",
                call("Query", json!({"TableName": "t"})),
            ),
        ];
        for (what, b) in cases {
            assert_eq!(draws(true, 0, &a, &b), draws(true, 3, &a, &b), "{what}");
            assert_ne!(draws(false, 0, &a, &b), draws(false, 3, &a, &b), "{what}");
        }
        assert_ne!(
            draws(true, 0, &a, &a),
            draws(true, 3, &a, &a),
            "a stream's own extra draws move it"
        );
        let batch = call(
            "TransactWriteItems",
            json!({"TransactItems": [{"Update": item("ACCOUNT#1")}]}),
        );
        assert_eq!(
            item_keys(&batch.input),
            item_keys(&a.input),
            "a transaction's first item names its stream"
        );
    }
}
