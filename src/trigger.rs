//! EventBridge JSON -> [`Trigger`]. The only module that knows event shapes.
//!
//! Parsing is deliberately tolerant of fields we do not use (real service
//! events omit fields the `aws_lambda_events` CloudTrail struct requires) and
//! strict about the fields we do use: a missing or mistyped one is an error
//! that names it, never a panic and never a silent `ignored`.

use serde::Serialize;
use serde_json::{Map, Value};

pub use crate::ids::{is_account_id, is_region_name, role_name};

/// The one document runas-guard owns.
pub const DOCUMENT_NAME: &str = "SSM-SessionManagerRunShell";

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
    Ignored,
}

impl TriggerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerKind::AccountVended => "account_vended",
            TriggerKind::DocumentChanged => "document_changed",
            TriggerKind::AccountMoved => "account_moved",
            TriggerKind::Sweep => "sweep",
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
    /// Control Tower lifecycle events name the account's OU.
    pub ou_id: Option<String>,
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

/// DESIGN.md "explain output", exactly these keys.
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

fn field_error(field: &str, problem: impl Into<String>) -> EventError {
    EventError::Field {
        field: field.to_string(),
        problem: problem.into(),
    }
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

/// A JSON object plus the dotted path it sits at, so errors name the field.
#[derive(Clone, Copy)]
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Obj<'a> {
    fn full(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{}", self.path, key)
        }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    fn opt_str(&self, key: &str) -> Result<Option<&'a str>, EventError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(field_error(
                &self.full(key),
                format!("expected a string, found {}", type_name(other)),
            )),
        }
    }

    fn str(&self, key: &str) -> Result<&'a str, EventError> {
        self.opt_str(key)?
            .ok_or_else(|| field_error(&self.full(key), "missing"))
    }

    fn opt_obj(&self, key: &str) -> Result<Option<&'a Map<String, Value>>, EventError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(other) => Err(field_error(
                &self.full(key),
                format!("expected an object, found {}", type_name(other)),
            )),
        }
    }
}

/// Reads a nested object; the path string must outlive the `Obj`.
fn child<'a>(parent: &Obj<'a>, key: &str, path: &'a str) -> Result<Option<Obj<'a>>, EventError> {
    Ok(parent.opt_obj(key)?.map(|map| Obj { map, path }))
}

fn account_field(obj: &Obj<'_>, key: &str) -> Result<String, EventError> {
    let v = obj.str(key)?;
    if is_account_id(v) {
        Ok(v.to_string())
    } else {
        Err(field_error(
            &obj.full(key),
            format!("expected a 12-digit account id, found {v:?}"),
        ))
    }
}

pub fn classify(event: &Value) -> Result<Trigger, EventError> {
    let map = event
        .as_object()
        .ok_or_else(|| EventError::NotObject(type_name(event)))?;
    let root = Obj { map, path: "" };
    let event_id = root.str("id")?;
    if event_id.trim().is_empty() {
        return Err(field_error("id", "is empty"));
    }
    let source = root.str("source")?;
    let detail_type = root.str("detail-type")?;
    let detail = root
        .opt_obj("detail")?
        .map(|map| Obj {
            map,
            path: "detail",
        })
        .ok_or_else(|| field_error("detail", "missing"))?;
    let event_name = detail.opt_str("eventName")?;

    let mut t = Trigger {
        kind: TriggerKind::Ignored,
        account: None,
        region: None,
        actor: None,
        event_id: event_id.to_string(),
        source: source.to_string(),
        event_name: event_name.map(str::to_string),
        reason: String::new(),
        context: Context {
            event_time: detail
                .opt_str("eventTime")?
                .or(root.opt_str("time")?)
                .map(str::to_string),
            source_ip: detail.opt_str("sourceIPAddress")?.map(str::to_string),
            user_agent: detail.opt_str("userAgent")?.map(str::to_string),
            ou_id: None,
        },
    };

    match (source, detail_type) {
        ("aws.events", "Scheduled Event") => {
            t.kind = TriggerKind::Sweep;
            t.reason = "scheduled sweep of every account and region".into();
        }
        ("aws.organizations", SERVICE_EVENT) if event_name == Some("CreateAccountResult") => {
            classify_create_account(&detail, &mut t)?
        }
        ("aws.organizations", API_CALL) if event_name == Some("MoveAccount") => {
            classify_move_account(&detail, &mut t)?
        }
        ("aws.controltower", SERVICE_EVENT)
            if matches!(
                event_name,
                Some("CreateManagedAccount") | Some("UpdateManagedAccount")
            ) =>
        {
            classify_managed_account(&detail, &mut t)?
        }
        ("aws.controltower", _) => {
            t.reason = format!(
                "Control Tower {} is not an account lifecycle event",
                describe(detail_type, event_name)
            );
        }
        ("aws.organizations", _) => {
            t.reason = format!(
                "Organizations {} does not vend or move an account",
                describe(detail_type, event_name)
            );
        }
        ("aws.ssm", API_CALL) => classify_ssm_call(&root, &detail, &mut t)?,
        _ => {
            t.reason = format!(
                "{} from {source} is not an event runas-guard acts on",
                describe(detail_type, event_name)
            );
        }
    }
    Ok(t)
}

fn describe(detail_type: &str, event_name: Option<&str>) -> String {
    match event_name {
        Some(name) => format!("{detail_type} {name}"),
        None => format!("event {detail_type:?}"),
    }
}

fn classify_create_account(detail: &Obj<'_>, t: &mut Trigger) -> Result<(), EventError> {
    let sed = child(detail, "serviceEventDetails", "detail.serviceEventDetails")?
        .ok_or_else(|| field_error("detail.serviceEventDetails", "missing"))?;
    let status = child(
        &sed,
        "createAccountStatus",
        "detail.serviceEventDetails.createAccountStatus",
    )?
    .ok_or_else(|| field_error("detail.serviceEventDetails.createAccountStatus", "missing"))?;
    let state = status.str("state")?;
    if state != "SUCCEEDED" {
        let why = status
            .opt_str("failureReason")?
            .unwrap_or("no reason given");
        t.reason = format!("account creation {state} ({why}); nothing to configure");
        return Ok(());
    }
    t.kind = TriggerKind::AccountVended;
    t.account = Some(account_field(&status, "accountId")?);
    t.reason = "account creation SUCCEEDED".into();
    Ok(())
}

fn classify_managed_account(detail: &Obj<'_>, t: &mut Trigger) -> Result<(), EventError> {
    let sed = child(detail, "serviceEventDetails", "detail.serviceEventDetails")?
        .ok_or_else(|| field_error("detail.serviceEventDetails", "missing"))?;
    let (key, path) = if t.event_name.as_deref() == Some("CreateManagedAccount") {
        (
            "createManagedAccountStatus",
            "detail.serviceEventDetails.createManagedAccountStatus",
        )
    } else {
        (
            "updateManagedAccountStatus",
            "detail.serviceEventDetails.updateManagedAccountStatus",
        )
    };
    let status = child(&sed, key, path)?.ok_or_else(|| field_error(path, "missing"))?;
    let state = status.str("state")?;
    let name = t.event_name.clone().unwrap_or_default();
    if state != "SUCCEEDED" {
        let message = status.opt_str("message")?.unwrap_or("no message");
        t.reason = format!("Control Tower {name} {state} ({message}); nothing to configure");
        return Ok(());
    }
    let account_path = format!("{path}.account");
    let account = child(&status, "account", &account_path)?
        .ok_or_else(|| field_error(&account_path, "missing"))?;
    t.account = Some(account_field(&account, "accountId")?);
    let ou_path = format!("{path}.organizationalUnit");
    if let Some(ou) = child(&status, "organizationalUnit", &ou_path)? {
        t.context.ou_id = ou.opt_str("organizationalUnitId")?.map(str::to_string);
    }
    t.kind = TriggerKind::AccountVended;
    t.reason = format!("Control Tower {name} SUCCEEDED");
    Ok(())
}

fn classify_move_account(detail: &Obj<'_>, t: &mut Trigger) -> Result<(), EventError> {
    if let Some(code) = detail.opt_str("errorCode")? {
        t.reason = format!("MoveAccount failed with {code}; the account did not move");
        return Ok(());
    }
    let params = child(detail, "requestParameters", "detail.requestParameters")?
        .ok_or_else(|| field_error("detail.requestParameters", "missing"))?;
    t.account = Some(account_field(&params, "accountId")?);
    t.actor = actor(detail)?;
    let dest = params.opt_str("destinationParentId")?.unwrap_or("?");
    // Organizations reads can lag the move; the event itself names the new OU.
    if dest.starts_with("ou-") {
        t.context.ou_id = Some(dest.to_string());
    }
    t.kind = TriggerKind::AccountMoved;
    t.reason = format!("account moved to {dest}");
    Ok(())
}

fn classify_ssm_call(root: &Obj<'_>, detail: &Obj<'_>, t: &mut Trigger) -> Result<(), EventError> {
    let Some(name) = t.event_name.clone() else {
        return Err(field_error("detail.eventName", "missing"));
    };
    if !DOCUMENT_WRITES.contains(&name.as_str()) {
        t.reason = format!("SSM {name} does not change documents runas-guard owns");
        return Ok(());
    }
    if let Some(code) = detail.opt_str("errorCode")? {
        t.reason = format!("{name} failed with {code}; the document did not change");
        return Ok(());
    }
    let params = child(detail, "requestParameters", "detail.requestParameters")?
        .ok_or_else(|| field_error("detail.requestParameters", "missing"))?;
    let doc = params.str("name")?;
    if doc != DOCUMENT_NAME {
        t.reason = format!("{name} on document {doc:?}, not {DOCUMENT_NAME}");
        return Ok(());
    }
    let account = match detail.opt_str("recipientAccountId")? {
        Some(_) => account_field(detail, "recipientAccountId")?,
        None => account_field(root, "account")?,
    };
    let (region, region_field) = match detail.opt_str("awsRegion")? {
        Some(r) => (r, "detail.awsRegion"),
        None => (root.str("region")?, "region"),
    };
    if !is_region_name(region) {
        return Err(field_error(
            region_field,
            format!("expected a region name, found {region:?}"),
        ));
    }
    t.kind = TriggerKind::DocumentChanged;
    t.account = Some(account);
    t.region = Some(region.to_string());
    t.actor = actor(detail)?;
    t.reason = format!("{name} on {DOCUMENT_NAME}");
    Ok(())
}

/// CloudTrail `userIdentity` -> the principal to blame.
fn actor(detail: &Obj<'_>) -> Result<Option<Actor>, EventError> {
    let Some(ui) = child(detail, "userIdentity", "detail.userIdentity")? else {
        return Ok(None);
    };
    let identity_type = ui.opt_str("type")?.unwrap_or("Unknown").to_string();
    let arn = ui.opt_str("arn")?;
    let issuer = match child(&ui, "sessionContext", "detail.userIdentity.sessionContext")? {
        Some(sc) => match child(
            &sc,
            "sessionIssuer",
            "detail.userIdentity.sessionContext.sessionIssuer",
        )? {
            Some(si) => si.opt_str("arn")?,
            None => None,
        },
        None => None,
    };
    let chosen = match identity_type.as_str() {
        "AssumedRole" | "FederatedUser" => issuer.or(arn),
        "IAMUser" => arn,
        "Root" => arn,
        "AWSService" => ui.opt_str("invokedBy")?,
        _ => arn
            .or(issuer)
            .or(ui.opt_str("invokedBy")?)
            .or(ui.opt_str("principalId")?),
    };
    let Some(chosen) = chosen else {
        if identity_type == "Root" {
            // Root events always carry the account; the ARN is implied.
            if let Some(acct) = ui.opt_str("accountId")? {
                return Ok(Some(Actor {
                    arn: format!("arn:aws:iam::{acct}:root"),
                    identity_type,
                    session_name: None,
                }));
            }
        }
        return Ok(None);
    };
    let session_name = if identity_type == "AssumedRole" {
        arn.and_then(|a| a.split_once(":assumed-role/"))
            .and_then(|(_, rest)| rest.split_once('/'))
            .map(|(_, session)| session.to_string())
    } else {
        None
    };
    Ok(Some(Actor {
        arn: chosen.to_string(),
        identity_type,
        session_name,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope(source: &str, detail_type: &str, detail: Value) -> Value {
        json!({
            "version": "0", "id": "e-1", "detail-type": detail_type, "source": source,
            "account": "123456789012", "time": "2026-11-21T10:00:00Z", "region": "us-east-1",
            "resources": [], "detail": detail
        })
    }

    fn ssm_call(name: &str, doc: &str, extra: Value) -> Value {
        let mut d = json!({
            "eventName": name, "eventSource": "ssm.amazonaws.com", "awsRegion": "eu-west-1",
            "recipientAccountId": "111122223333", "sourceIPAddress": "203.0.113.10",
            "userAgent": "aws-cli/2", "eventTime": "2026-11-21T10:00:00Z",
            "requestParameters": {"name": doc},
            "userIdentity": {
                "type": "AssumedRole",
                "arn": "arn:aws:sts::111122223333:assumed-role/Admin/jane",
                "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/Admin"}}
            }
        });
        if let (Some(d), Some(e)) = (d.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                d.insert(k.clone(), v.clone());
            }
        }
        envelope("aws.ssm", API_CALL, d)
    }

    fn create_account(state: &str, account: Value) -> Value {
        envelope(
            "aws.organizations",
            SERVICE_EVENT,
            json!({"eventName": "CreateAccountResult",
                   "serviceEventDetails": {"createAccountStatus": {"state": state, "accountId": account}}}),
        )
    }

    fn kind_of(v: &Value) -> TriggerKind {
        classify(v).expect("classifies").kind
    }

    #[test]
    fn table_of_shapes() {
        let cases: Vec<(&str, Value, TriggerKind)> = vec![
            (
                "vend",
                create_account("SUCCEEDED", json!("210987654321")),
                TriggerKind::AccountVended,
            ),
            (
                "vend failed",
                create_account("FAILED", Value::Null),
                TriggerKind::Ignored,
            ),
            (
                "vend in progress",
                create_account("IN_PROGRESS", Value::Null),
                TriggerKind::Ignored,
            ),
            (
                "update doc",
                ssm_call("UpdateDocument", DOCUMENT_NAME, json!({})),
                TriggerKind::DocumentChanged,
            ),
            (
                "default version",
                ssm_call("UpdateDocumentDefaultVersion", DOCUMENT_NAME, json!({})),
                TriggerKind::DocumentChanged,
            ),
            (
                "delete",
                ssm_call("DeleteDocument", DOCUMENT_NAME, json!({})),
                TriggerKind::DocumentChanged,
            ),
            (
                "create",
                ssm_call("CreateDocument", DOCUMENT_NAME, json!({})),
                TriggerKind::DocumentChanged,
            ),
            (
                "read only",
                ssm_call("GetDocument", DOCUMENT_NAME, json!({})),
                TriggerKind::Ignored,
            ),
            (
                "other doc",
                ssm_call(
                    "UpdateDocument",
                    "SSM-SessionManagerRunShellCustom",
                    json!({}),
                ),
                TriggerKind::Ignored,
            ),
            (
                "lowercase doc",
                ssm_call("UpdateDocument", "ssm-sessionmanagerrunshell", json!({})),
                TriggerKind::Ignored,
            ),
            (
                "errorCode",
                ssm_call(
                    "UpdateDocument",
                    DOCUMENT_NAME,
                    json!({"errorCode": "AccessDenied"}),
                ),
                TriggerKind::Ignored,
            ),
            (
                "ec2",
                envelope("aws.ec2", API_CALL, json!({"eventName": "RunInstances"})),
                TriggerKind::Ignored,
            ),
            (
                "ct api call",
                envelope(
                    "aws.controltower",
                    API_CALL,
                    json!({"eventName": "CreateManagedAccount"}),
                ),
                TriggerKind::Ignored,
            ),
            (
                "schedule",
                envelope("aws.events", "Scheduled Event", json!({})),
                TriggerKind::Sweep,
            ),
            (
                "move",
                envelope(
                    "aws.organizations",
                    API_CALL,
                    json!({"eventName": "MoveAccount", "requestParameters": {"accountId": "210987654321", "destinationParentId": "ou-ab12-prod0001"}}),
                ),
                TriggerKind::AccountMoved,
            ),
            (
                "move failed",
                envelope(
                    "aws.organizations",
                    API_CALL,
                    json!({"eventName": "MoveAccount", "errorCode": "AccessDenied"}),
                ),
                TriggerKind::Ignored,
            ),
            (
                "org other",
                envelope(
                    "aws.organizations",
                    API_CALL,
                    json!({"eventName": "ListAccounts"}),
                ),
                TriggerKind::Ignored,
            ),
        ];
        for (name, event, want) in cases {
            assert_eq!(kind_of(&event), want, "case {name}");
            let t = classify(&event).unwrap();
            assert!(!t.reason.is_empty(), "case {name} has a reason");
        }
    }

    #[test]
    fn managed_account_carries_ou() {
        let e = envelope(
            "aws.controltower",
            SERVICE_EVENT,
            json!({"eventName": "CreateManagedAccount", "serviceEventDetails": {"createManagedAccountStatus": {
                "state": "SUCCEEDED", "account": {"accountId": "210987654322", "accountName": "x"},
                "organizationalUnit": {"organizationalUnitId": "ou-ab12-prod0001", "organizationalUnitName": "Prod"}}}}),
        );
        let t = classify(&e).unwrap();
        assert_eq!(t.kind, TriggerKind::AccountVended);
        assert_eq!(t.account.as_deref(), Some("210987654322"));
        assert_eq!(t.context.ou_id.as_deref(), Some("ou-ab12-prod0001"));
        let failed = envelope(
            "aws.controltower",
            SERVICE_EVENT,
            json!({"eventName": "UpdateManagedAccount", "serviceEventDetails": {"updateManagedAccountStatus": {"state": "FAILED", "message": "boom"}}}),
        );
        let t = classify(&failed).unwrap();
        assert_eq!(t.kind, TriggerKind::Ignored);
        assert!(t.reason.contains("FAILED"), "{}", t.reason);
    }

    #[test]
    fn actors() {
        let id = |ui: Value| {
            let e = ssm_call("UpdateDocument", DOCUMENT_NAME, json!({"userIdentity": ui}));
            classify(&e).unwrap().actor
        };
        let a = id(json!({"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Admin/jane",
            "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/Admin"}}}))
        .unwrap();
        assert_eq!(a.arn, "arn:aws:iam::111122223333:role/Admin");
        assert_eq!(a.session_name.as_deref(), Some("jane"));
        let a =
            id(json!({"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/bob"})).unwrap();
        assert_eq!(a.arn, "arn:aws:iam::111122223333:user/bob");
        let a = id(json!({"type": "Root", "arn": "arn:aws:iam::111122223333:root"})).unwrap();
        assert_eq!(a.arn, "arn:aws:iam::111122223333:root");
        let a = id(json!({"type": "Root", "accountId": "111122223333"})).unwrap();
        assert_eq!(a.arn, "arn:aws:iam::111122223333:root");
        let a = id(json!({"type": "AWSService", "invokedBy": "ssm.amazonaws.com"})).unwrap();
        assert_eq!(a.arn, "ssm.amazonaws.com");
        let a = id(
            json!({"type": "FederatedUser", "arn": "arn:aws:sts::111122223333:federated-user/x",
            "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:user/fed"}}}),
        )
        .unwrap();
        assert_eq!(a.arn, "arn:aws:iam::111122223333:user/fed");
        let a = id(json!({"type": "WebIdentityUser", "principalId": "accounts.google.com:123"}))
            .unwrap();
        assert_eq!(a.arn, "accounts.google.com:123");
        assert_eq!(id(json!({"type": "Unknown"})), None);
        assert_eq!(id(Value::Null), None);
    }

    #[test]
    fn hostile_inputs_name_the_problem() {
        let cases: Vec<(&[u8], &str)> = vec![
            (b"", "empty"),
            (b"   \n", "empty"),
            (b"{\"id\": \"x\", ", "not valid JSON"),
            (b"[1,2]", "must be a JSON object, found an array"),
            (b"\"text\"", "found a string"),
            (b"null", "found null"),
            (b"\xff\xfe{}", "not valid UTF-8"),
            (b"{}", "`id`: missing"),
            (b"{\"id\": 7}", "`id`: expected a string, found a number"),
            (b"{\"id\": \"\", \"source\": \"aws.ssm\"}", "`id`: is empty"),
            (
                b"{\"id\": \"1\", \"source\": \"aws.ssm\", \"detail-type\": \"x\"}",
                "`detail`: missing",
            ),
            (
                b"{\"id\": \"1\", \"source\": \"aws.ssm\", \"detail-type\": \"x\", \"detail\": []}",
                "`detail`: expected an object, found an array",
            ),
        ];
        for (input, want) in cases {
            let err = classify_bytes(input).unwrap_err().to_string();
            assert!(
                err.contains(want),
                "input {:?}: {err}",
                String::from_utf8_lossy(input)
            );
            assert!(!err.contains('\n'), "one line: {err}");
        }
        let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
        assert!(classify_bytes(deep.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("recursion limit"));
        let big = format!("\"{}\"", "a".repeat(5 * 1024 * 1024));
        assert!(matches!(
            classify_bytes(big.as_bytes()),
            Err(EventError::TooLarge(_))
        ));
    }

    #[test]
    fn mistyped_fields_are_named() {
        let bad_account = create_account("SUCCEEDED", json!("12345"));
        let err = classify(&bad_account).unwrap_err().to_string();
        assert!(
            err.contains("createAccountStatus.accountId") && err.contains("12-digit"),
            "{err}"
        );
        let numeric = create_account("SUCCEEDED", json!(210987654321u64));
        assert!(classify(&numeric)
            .unwrap_err()
            .to_string()
            .contains("expected a string"));
        let mut e = ssm_call(
            "UpdateDocument",
            DOCUMENT_NAME,
            json!({"awsRegion": "EU-WEST-1"}),
        );
        assert!(classify(&e)
            .unwrap_err()
            .to_string()
            .contains("detail.awsRegion"));
        e = ssm_call(
            "UpdateDocument",
            DOCUMENT_NAME,
            json!({"userIdentity": "root"}),
        );
        assert!(classify(&e)
            .unwrap_err()
            .to_string()
            .contains("detail.userIdentity"));
        e = ssm_call(
            "UpdateDocument",
            DOCUMENT_NAME,
            json!({"requestParameters": {"name": 5}}),
        );
        assert!(classify(&e)
            .unwrap_err()
            .to_string()
            .contains("detail.requestParameters.name"));
        e = ssm_call(
            "UpdateDocument",
            DOCUMENT_NAME,
            json!({"recipientAccountId": "abc"}),
        );
        assert!(classify(&e)
            .unwrap_err()
            .to_string()
            .contains("recipientAccountId"));
    }

    #[test]
    fn region_names() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "cn-north-1",
            "us-isob-east-1",
            "ap-southeast-5",
        ] {
            assert!(is_region_name(ok), "{ok}");
        }
        for bad in [
            "",
            "us",
            "us-east",
            "US-EAST-1",
            "us-east-1a",
            "us--1",
            "us-east-1 ",
            "-east-1",
        ] {
            assert!(!is_region_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn role_names() {
        assert_eq!(role_name("arn:aws:iam::1:role/A"), Some("A"));
        assert_eq!(role_name("arn:aws:iam::1:role/p/q/B"), Some("B"));
        assert_eq!(role_name("arn:aws:iam::1:user/B"), None);
    }

    #[test]
    fn explain_has_exactly_the_contract_keys() {
        let t = classify(&create_account("SUCCEEDED", json!("210987654321"))).unwrap();
        let v = serde_json::to_value(t.explain()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "trigger",
                "account",
                "region",
                "actor",
                "event_id",
                "source",
                "event_name",
                "reason"
            ]
        );
        assert_eq!(v["reason"], "account creation SUCCEEDED");
    }
}
