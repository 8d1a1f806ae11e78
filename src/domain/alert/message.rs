//! Alert messages: subject and JSON body for each kind of alert.
//!
//! Subjects are SNS subjects: one line of printable ASCII under 100
//! characters ([`clean_subject`]); a value an editor or an event chose (a
//! user, an actor, a principal, a tag value) enters one only through
//! [`subject_value`], bounded so it cannot crowd out the account and region.
//! The message body is JSON and keeps every value exactly as found: JSON
//! escaping is its medium, and consumers read the values from there. Chat
//! renders these alerts with its own escaping (`crate::domain::chat`).

use serde_json::{json, Value};

use super::{alert_id, Alert, Kind, Severity, TagNow};
use crate::domain::outcome::{Action, RegionOutcome};
use crate::domain::trigger::Trigger;

/// Longest editor-chosen value in a subject (characters).
pub const SUBJECT_VALUE_MAX: usize = 32;

/// An editor- or event-chosen value for a subject: printable ASCII (anything
/// else, line breaks included, becomes `?`), at most [`SUBJECT_VALUE_MAX`]
/// characters.
pub fn subject_value(s: &str) -> String {
    let ascii: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if ascii.len() > SUBJECT_VALUE_MAX {
        format!("{}...", &ascii[..SUBJECT_VALUE_MAX - 3])
    } else {
        ascii
    }
}

/// SNS subjects: ASCII, no control characters, under 100 characters.
pub fn clean_subject(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if out.len() > 99 {
        out.truncate(96);
        out.push_str("...");
    }
    out
}

/// `arn:aws:iam::1:role/Admin` -> `role/Admin`; services and `root` as they are.
pub fn short_actor(arn: &str) -> String {
    if arn.ends_with(":root") {
        return "root".into();
    }
    match arn.rsplit_once(':') {
        Some((_, tail)) if arn.starts_with("arn:") => {
            let mut parts = tail.split('/');
            let kind = parts.next().unwrap_or_default();
            let name = tail.rsplit('/').next().unwrap_or(tail);
            format!("{kind}/{name}")
        }
        _ => arn.to_string(),
    }
}

impl Alert {
    /// The alert a built message makes: its id is the body's `alert_id`
    /// (every body carries one), its subject made safe for SNS, every list
    /// in its body bounded (`super::bound`).
    pub(crate) fn new(
        kind: Kind,
        severity: Severity,
        account: impl Into<String>,
        subject: &str,
        mut body: Value,
    ) -> Alert {
        super::bound::bound_lists(&mut body, super::bound::LIST_MAX);
        Alert {
            alert_id: body["alert_id"].as_str().unwrap_or_default().to_string(),
            kind,
            severity,
            account: account.into(),
            subject: clean_subject(subject),
            body,
        }
    }
}

impl Alert {
    /// Gives the alert the identity of what it tells (`super::identity`),
    /// in its body as in its attributes.
    pub(crate) fn identify(&mut self, id: &str) {
        self.alert_id = id.to_string();
        if let Value::Object(b) = &mut self.body {
            b.insert("alert_id".into(), json!(id));
        }
    }
}

/// What one region looked like, for account-level alerts.
fn region_entries(regions: &[RegionOutcome]) -> Value {
    Value::Array(
        regions
            .iter()
            .map(|r| {
                let mut e = json!({
                    "region": r.region, "action": r.action, "before": r.before, "after": r.after,
                    "version_after": r.version_after, "error_code": r.error_code, "error": r.error,
                });
                if let Some(d) = &r.document {
                    e["document"] = json!(d);
                    e["desired_user"] = json!(r.desired_user);
                }
                if let Some(m) = r.mode {
                    e["mode"] = json!(m);
                }
                if let Some(h) = &r.held {
                    e["held"] = json!(h);
                }
                // The out-of-policy default a write put back: a window whose
                // sessions a configuration lists (`sessions::asks`).
                let put_back = r.action.wrote() && r.before.is_some() && !r.pending;
                if let (true, Some(v)) = (put_back, &r.versions_before) {
                    e["versions_before"] = json!(v);
                }
                e
            })
            .collect(),
    )
}

fn by_region(regions: &[RegionOutcome], pick: impl Fn(&RegionOutcome) -> Value) -> Value {
    Value::Object(regions.iter().map(|r| (r.place(), pick(r))).collect())
}

pub(super) fn base(
    kind: Kind,
    severity: Severity,
    account: &str,
    trigger: &Trigger,
    at: &str,
) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert(
        "alert_id".into(),
        json!(alert_id(trigger, kind, account, None)),
    );
    m.insert("kind".into(), json!(kind));
    m.insert("severity".into(), json!(severity));
    m.insert("account".into(), json!(account));
    m.insert("region".into(), Value::Null);
    m.insert(
        "actor".into(),
        json!(trigger.actor.as_ref().map(|a| &a.arn)),
    );
    m.insert("before".into(), Value::Null);
    m.insert("after".into(), Value::Null);
    m.insert("trigger_id".into(), json!(trigger.event_id));
    m.insert("trigger_kind".into(), json!(trigger.kind.as_str()));
    m.insert("at".into(), json!(at));
    m
}

/// A vend/enroll (or move) finished in every governed region.
pub fn account_configured(
    account: &str,
    user: &str,
    regions: &[RegionOutcome],
    trigger: &Trigger,
    at: &str,
) -> Alert {
    let mut m = base(
        Kind::AccountConfigured,
        Severity::Info,
        account,
        trigger,
        at,
    );
    let id = super::identity::configured_id(account, regions);
    m.insert("alert_id".into(), json!(id));
    m.insert("before".into(), by_region(regions, |r| json!(r.before)));
    m.insert("after".into(), by_region(regions, |r| json!(r.after)));
    m.insert("desired_user".into(), json!(user));
    m.insert("regions".into(), region_entries(regions));
    let changed = regions.iter().filter(|r| r.action.wrote()).count();
    let subject = if changed == 0 {
        format!(
            "runas-guard: account {account} already runs sessions as {user} in {} regions",
            regions.len()
        )
    } else {
        format!("runas-guard: account {account} configured, sessions run as {user} ({changed}/{} regions changed)", regions.len())
    };
    Alert::new(
        Kind::AccountConfigured,
        Severity::Info,
        account,
        &subject,
        Value::Object(m),
    )
}

/// Some regions could not be brought into line; names them and their codes.
pub fn remediation_failed(
    account: &str,
    user: Option<&str>,
    regions: &[RegionOutcome],
    trigger: &Trigger,
    at: &str,
) -> Alert {
    let mut m = base(
        Kind::RemediationFailed,
        Severity::Error,
        account,
        trigger,
        at,
    );
    let failed: Vec<&RegionOutcome> = regions
        .iter()
        .filter(|r| r.error_code.is_some() && r.action == Action::Failed)
        .collect();
    if let [only] = failed.as_slice() {
        m.insert("region".into(), json!(only.region));
        m.insert("document".into(), json!(only.document_name()));
    }
    m.insert("dedup_key".into(), json!(dedup_key(account, &failed)));
    m.insert("before".into(), by_region(regions, |r| json!(r.before)));
    m.insert("after".into(), by_region(regions, |r| json!(r.after)));
    m.insert("desired_user".into(), json!(user));
    m.insert(
        "failed_regions".into(),
        json!(failed.iter().map(|r| r.place()).collect::<Vec<_>>()),
    );
    m.insert(
        "errors".into(),
        by_region(
            &failed.iter().map(|r| (*r).clone()).collect::<Vec<_>>(),
            |r| json!({"code": r.error_code, "message": r.error}),
        ),
    );
    m.insert("regions".into(), region_entries(regions));
    let detail: Vec<String> = failed
        .iter()
        .map(|r| format!("{} {}", r.place(), r.error_code.as_deref().unwrap_or("?")))
        .collect();
    let subject = format!(
        "runas-guard FAILED: RunAs not fixed in {account}: {}",
        detail.join(", ")
    );
    Alert::new(
        Kind::RemediationFailed,
        Severity::Error,
        account,
        &subject,
        Value::Object(m),
    )
}

/// One page per cause (unreleased): `alert_id` is each event's own, so a
/// cause that persists across events keeps this key, derived from the
/// failed rows as a sweep summary's is (the same rows, the same key).
fn dedup_key(account: &str, failed: &[&RegionOutcome]) -> Option<String> {
    let mut failing = crate::domain::outcome::Failing::default();
    for r in failed {
        failing.add_row(account, r);
    }
    failing.key()
}

/// Run As decided outside the document: an `SSMSessionRunAs` tag on an IAM
/// role or user, or IAM Identity Center's access-control attributes. Nothing
/// to put back (the tag is not runas-guard's); say who, on what, and which value.
pub fn run_as_override(
    account: &str,
    trigger: &Trigger,
    expected_editor: bool,
    now: Option<&TagNow>,
    at: &str,
) -> Alert {
    let kind = Kind::RunAsOverride;
    let severity = if expected_editor {
        Severity::Info
    } else {
        Severity::Warning
    };
    let mut m = base(kind, severity, account, trigger, at);
    let principal = trigger
        .context
        .principal
        .clone()
        .unwrap_or_else(|| "?".into());
    let value = trigger.context.run_as_value.clone().unwrap_or_default();
    let by = trigger
        .actor
        .as_ref()
        .map(|a| subject_value(&short_actor(&a.arn)))
        .unwrap_or_else(|| "an unknown principal".into());
    m.insert("principal".into(), json!(principal));
    m.insert("value".into(), json!(value));
    m.insert("after".into(), json!(value));
    m.insert("event_name".into(), json!(trigger.event_name));
    m.insert("source_ip".into(), json!(trigger.context.source_ip));
    m.insert("user_agent".into(), json!(trigger.context.user_agent));
    m.insert("event_time".into(), json!(trigger.context.event_time));
    m.insert("expected_editor".into(), json!(expected_editor));
    let (confirmed, note) = match now {
        None => (Value::Null, ""),
        Some(TagNow::Present(v)) => (json!({"state": "present", "value": v}), ""),
        Some(TagNow::Removed) => (json!({"state": "removed"}), " (already removed)"),
        Some(TagNow::PrincipalGone) => (json!({"state": "principal_gone"}), " (principal gone)"),
        Some(TagNow::Unread(code)) => (json!({"state": "unread", "error_code": code}), ""),
    };
    m.insert("confirmed".into(), confirmed);
    let subject = format!(
        "runas-guard: Run As set outside the document{note} in {account}: {} on {} by {by}",
        if value.is_empty() {
            "attributes changed".to_string()
        } else {
            subject_value(&value)
        },
        subject_value(&short_actor(&principal))
    );
    Alert::new(kind, severity, account, &subject, Value::Object(m))
}

/// A new policy version (from S3) failed validation; the last good one
/// stays in force. One alert per refused version.
/// The policy in force names OU or account ids the organization does not
/// have (a typo, or an OU deleted since): their accounts fall to another
/// rule. One id per set of unknown ids: the same problem seen by every sweep
/// is the same alert.
pub fn policy_ids_unknown(
    unknown: &[crate::domain::policy::ids::UnknownId],
    trigger_id: &str,
    at: &str,
) -> Alert {
    let kind = Kind::PolicyIdsUnknown;
    let mut ids: Vec<String> = unknown
        .iter()
        .map(|u| format!("{}={}", u.key, u.id))
        .collect();
    ids.sort();
    let refs: Vec<&str> = std::iter::once(kind.as_str())
        .chain(ids.iter().map(String::as_str))
        .collect();
    let id = crate::domain::ids::stable_id(&refs);
    let listed: Vec<serde_json::Value> = unknown
        .iter()
        .map(|u| json!({"key": u.key, "id": u.id}))
        .collect();
    let body = json!({
        "alert_id": id, "kind": kind, "severity": Severity::Error, "account": null, "region": null,
        "actor": null, "before": null, "after": null, "trigger_id": trigger_id, "at": at,
        "unknown_ids": listed,
        "error": crate::domain::policy::ids::describe(unknown, 10),
    });
    Alert::new(
        kind,
        Severity::Error,
        "-",
        &format!(
            "runas-guard: the policy names {} id(s) the organization does not have",
            unknown.len()
        ),
        body,
    )
}

pub fn policy_rejected(source: &str, version: &str, error: &str, at: &str) -> Alert {
    let kind = Kind::PolicyRejected;
    let id = crate::domain::ids::stable_id(&[kind.as_str(), source, version]);
    let body = json!({
        "alert_id": id, "kind": kind, "severity": Severity::Error, "account": null, "region": null,
        "actor": null, "before": null, "after": null, "trigger_id": null, "at": at,
        "source": source, "version": version, "error": error,
    });
    Alert::new(
        kind,
        Severity::Error,
        "-",
        &format!("runas-guard: new policy refused ({source}); the last good one stays"),
        body,
    )
}
