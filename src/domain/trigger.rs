//! EventBridge JSON -> [`Trigger`]. The only module that knows event shapes.
//!
//! Parsing is deliberately tolerant of fields we do not use (real service
//! events omit fields the `aws_lambda_events` CloudTrail struct requires) and
//! strict about the fields we do use: a missing or mistyped one is an error
//! that names it, never a panic and never a silent `ignored`.

use serde::Serialize;
use serde_json::Value;

pub use crate::domain::ids::{is_account_id, is_region_name, role_name};

mod accounts;
mod actor;
mod association;
mod association_tag;
mod bounds;
mod canary;
mod document;
mod fields;
mod joined;
mod lifecycle;
mod run_as;
mod ssm_call;

/// Why an event is about something runas-guard keeps (`Ok`: looked at), or
/// why it is not (`Err`: ignored).
type Verdict = Result<String, String>;

pub use fields::bounded;
pub use lifecycle::{is_stack_instance, MemberStackSet, StackSetAdmin, MEMBER_STACK_SET};
pub use run_as::RUN_AS_TAG;

use actor::actor;

use fields::{field_error, required, Obj};

/// The one document runas-guard owns.
pub const DOCUMENT_NAME: &str = "SSM-SessionManagerRunShell";

/// The member stack's run-as user check document (`[nodes] document`).
pub const CHECK_DOCUMENT: &str = "RunAsGuard-CheckRunAsUser";

/// EventBridge caps events at 256 KB; anything past 1 MiB is not an event.
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

const SERVICE_EVENT: &str = "AWS Service Event via CloudTrail";
const API_CALL: &str = "AWS API Call via CloudTrail";
const DOCUMENT_WRITES: [&str; 4] = [
    "UpdateDocument",
    "UpdateDocumentDefaultVersion",
    "DeleteDocument",
    "CreateDocument",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    AccountVended,
    DocumentChanged,
    AccountMoved,
    Sweep,
    /// Run As decided outside the document: say who and how.
    RunAsOverride,
    /// Another `Session` document written: can it skip Run As?
    SessionDocumentChanged,
    /// The member StackSet's stack instance landed in an account-region.
    MemberStackLanded,
    /// A Control Tower baseline applied to an account or an OU.
    BaselineApplied,
    /// The forwarding canary's tag write came through: that account-region's
    /// event path works.
    ForwardingCanary,
    Ignored,
}

impl TriggerKind {
    /// Triggers that configure a whole account as a vend does (one
    /// `account_configured` when they write).
    pub fn configures_account(self) -> bool {
        matches!(
            self,
            TriggerKind::AccountVended
                | TriggerKind::AccountMoved
                | TriggerKind::MemberStackLanded
                | TriggerKind::BaselineApplied
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TriggerKind::AccountVended => "account_vended",
            TriggerKind::DocumentChanged => "document_changed",
            TriggerKind::AccountMoved => "account_moved",
            TriggerKind::Sweep => "sweep",
            TriggerKind::RunAsOverride => "run_as_override",
            TriggerKind::SessionDocumentChanged => "session_document_changed",
            TriggerKind::MemberStackLanded => "member_stack_landed",
            TriggerKind::BaselineApplied => "baseline_applied",
            TriggerKind::ForwardingCanary => "forwarding_canary",
            TriggerKind::Ignored => "ignored",
        }
    }
}

/// Who made a change, as far as CloudTrail says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Actor {
    /// Role ARN of the session issuer, user ARN, root ARN, or the service.
    pub arn: String,
    /// CloudTrail `userIdentity.type`.
    pub identity_type: String,
    /// Role session name for assumed roles (lets us recognise our own writes).
    pub session_name: Option<String>,
}

/// Context that alerts carry but `explain` does not print.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context {
    pub event_time: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    /// Control Tower lifecycle events name the account's OU; `MoveAccount`
    /// its destination.
    pub ou_id: Option<String>,
    /// `MoveAccount`: the parent the account was moved from (an OU or root id).
    pub from_ou: Option<String>,
    /// `run_as_override`: the IAM role or user tagged, or the Identity
    /// Center instance whose attributes changed.
    pub principal: Option<String>,
    /// `run_as_override`: the tag's value, or the attributes now mapped;
    /// `forwarding_canary`: the canary's token (its tag's value).
    pub run_as_value: Option<String>,
    /// `document_changed`: the governed document that was written.
    pub document: Option<String>,
    /// `document_changed` by `UpdateDocumentDefaultVersion`: the version
    /// it made the default (`requestParameters.documentVersion`), so the
    /// event's time is when the version before stopped being the default.
    pub made_default: Option<String>,
    /// `document_changed` by `UpdateDocument` or `CreateDocument`: the
    /// version it made, as its answer says (since 0.7.2).
    pub made_version: Option<String>,
    /// A re-attempt of a pending account: its chain and number (0 for an
    /// event).
    pub chain: Option<String>,
    pub attempt: u32,
    /// `document_changed` by runas-guard's own member role
    /// ([`crate::domain::unnamed::own_write`]): its run is a look, not an
    /// edit: what it finds is nobody's it can name (the actor is dropped).
    pub own_write: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    pub kind: TriggerKind,
    pub account: Option<String>,
    pub region: Option<String>,
    pub actor: Option<Actor>,
    pub event_id: String,
    pub source: String,
    pub event_name: Option<String>,
    pub reason: String,
    pub context: Context,
}

/// docs/design.md "`explain` output", exactly these keys.
#[derive(Debug, Serialize)]
pub struct Explanation<'a> {
    pub trigger: &'static str,
    pub account: Option<&'a str>,
    pub region: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub event_id: &'a str,
    pub source: &'a str,
    pub event_name: Option<&'a str>,
    pub reason: &'a str,
}

impl Trigger {
    /// Nothing to do yet: what the classifier starts from.
    fn ignored(event_id: &str, source: &str, event_name: Option<&str>, context: Context) -> Self {
        Trigger {
            kind: TriggerKind::Ignored,
            account: None,
            region: None,
            actor: None,
            event_id: event_id.to_string(),
            source: source.to_string(),
            event_name: event_name.map(str::to_string),
            reason: String::new(),
            context,
        }
    }

    /// An edit event whose actor made what its run finds: a document event
    /// that is not runas-guard's own write's (that one names nobody).
    pub fn names_editor(&self) -> bool {
        self.kind == TriggerKind::DocumentChanged && !self.context.own_write
    }

    /// A document event about `document` (a write there undid someone's edit).
    pub fn edits(&self, document: &str) -> bool {
        self.kind == TriggerKind::DocumentChanged
            && self.context.document.as_deref().unwrap_or(DOCUMENT_NAME) == document
    }

    pub fn explain(&self) -> Explanation<'_> {
        Explanation {
            trigger: self.kind.as_str(),
            account: self.account.as_deref(),
            region: self.region.as_deref(),
            actor: self.actor.as_ref().map(|a| a.arn.as_str()),
            event_id: &self.event_id,
            source: &self.source,
            event_name: self.event_name.as_deref(),
            reason: &self.reason,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("event is empty")]
    Empty,
    #[error("event is too large: more than {MAX_EVENT_BYTES} bytes ({0} read; EventBridge events are at most 256 KB)")]
    TooLarge(usize),
    #[error("event is not valid UTF-8 (first bad byte at offset {0})")]
    NotUtf8(usize),
    #[error("event is not valid JSON: {0}")]
    NotJson(String),
    #[error("event must be a JSON object, found {0}")]
    NotObject(&'static str),
    #[error("event field `{field}`: {problem}")]
    Field { field: String, problem: String },
}

pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Bytes -> JSON value, refusing oversize, non-UTF-8 and non-object input
/// before any classification happens.
pub fn parse_event_bytes(bytes: &[u8]) -> Result<Value, EventError> {
    if bytes.len() > MAX_EVENT_BYTES {
        return Err(EventError::TooLarge(bytes.len()));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| EventError::NotUtf8(e.valid_up_to()))?;
    if text.trim().is_empty() {
        return Err(EventError::Empty);
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| EventError::NotJson(e.to_string()))?;
    if !value.is_object() {
        return Err(EventError::NotObject(type_name(&value)));
    }
    Ok(value)
}

pub fn classify_bytes(bytes: &[u8]) -> Result<Trigger, EventError> {
    classify(&parse_event_bytes(bytes)?)
}

/// With only `SSM-SessionManagerRunShell` governed (no `[[document]]`).
pub fn classify(event: &Value) -> Result<Trigger, EventError> {
    classify_for(event, &[DOCUMENT_NAME])
}

/// `documents`: the governed document names; an edit of any other document
/// is ignored. Association writes are read as if the run-as user check were
/// on under its default name (what `explain` without a policy shows).
pub fn classify_for(event: &Value, documents: &[&str]) -> Result<Trigger, EventError> {
    let member = MemberStackSet::unchecked(MEMBER_STACK_SET);
    classify_governed(event, documents, Some(CHECK_DOCUMENT), &member)
}

/// `check`: the run-as user check's document when the policy turns the
/// check on; association writes are ignored when it is off.
/// `member`: the member StackSet (its name and administrator), whose stack
/// instances landing make an account reachable.
pub fn classify_governed(
    event: &Value,
    documents: &[&str],
    check: Option<&str>,
    member: &MemberStackSet,
) -> Result<Trigger, EventError> {
    let map = event
        .as_object()
        .ok_or_else(|| EventError::NotObject(type_name(event)))?;
    let root = Obj::root(map);
    let event_id = root.str("id")?;
    if event_id.trim().is_empty() {
        return Err(field_error("id", "is empty"));
    }
    let source = root.str("source")?;
    let detail_type = root.str("detail-type")?;
    let detail = required(&root, "detail", "detail")?;
    let event_name = detail.opt_str("eventName")?;

    let mut t = Trigger::ignored(event_id, source, event_name, context(&root, &detail)?);

    match source {
        "aws.events" if detail_type == "Scheduled Event" => {
            t.kind = TriggerKind::Sweep;
            t.reason = "scheduled sweep of every account and region".into();
        }
        "aws.organizations" => {
            accounts::classify_organizations(detail_type, &root, (&detail, &map["detail"]), &mut t)?
        }
        "aws.controltower" => lifecycle::classify_control_tower(detail_type, &detail, &mut t)?,
        "aws.cloudformation" => {
            lifecycle::classify_stack_instance(detail_type, (&root, &detail), member, &mut t)?
        }
        "aws.ssm" if detail_type == API_CALL && association::about(event_name, &detail) => {
            association::classify(&root, &detail, check, &mut t)?
        }
        "aws.ssm" if detail_type == API_CALL && event_name == Some("AddTagsToResource") => {
            canary::classify_tagging(&root, &detail, &mut t)?
        }
        "aws.ssm" if detail_type == API_CALL => {
            ssm_call::classify_ssm_call(&root, &detail, documents, &mut t)?
        }
        "aws.iam" => run_as::classify_iam(&root, detail_type, &detail, &mut t)?,
        "aws.sso" => run_as::classify_sso(&root, detail_type, &detail, &mut t)?,
        _ => {
            t.reason = format!(
                "{} from {source} is not an event runas-guard acts on",
                describe(detail_type, event_name)
            );
        }
    }
    bounds::check(&t, detail_type)?;
    // An ignored event's reason quotes its values: never all of a hostile one.
    t.reason = fields::bounded_to(&t.reason, 2 * fields::ECHO_MAX);
    Ok(t)
}

/// The envelope's `time` is read even when `detail.eventTime` wins, so a
/// mistyped one is still refused.
fn context(root: &Obj<'_>, detail: &Obj<'_>) -> Result<Context, EventError> {
    Ok(Context {
        event_time: detail
            .opt_str("eventTime")?
            .or(root.opt_str("time")?)
            .map(str::to_string),
        source_ip: detail.opt_str("sourceIPAddress")?.map(str::to_string),
        user_agent: detail.opt_str("userAgent")?.map(str::to_string),
        ou_id: None,
        from_ou: None,
        principal: None,
        run_as_value: None,
        document: None,
        made_default: None,
        made_version: None,
        chain: None,
        attempt: 0,
        // Known only with the policy (`domain::unnamed::own_write`).
        own_write: false,
    })
}

fn describe(detail_type: &str, event_name: Option<&str>) -> String {
    match event_name {
        Some(name) => format!("{detail_type} {name}"),
        None => format!("event {detail_type:?}"),
    }
}

#[cfg(test)]
#[path = "trigger_tests.rs"]
mod tests;
