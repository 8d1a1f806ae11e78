//! `identity_center_drift`: IAM Identity Center's access-control attributes
//! differ from the declared mapping (and, in enforce, were put back).

use serde_json::{json, Value};

use super::message::{base, short_actor, subject_value};
use super::{Alert, Kind, Severity};
use crate::domain::identity_center::Change;
use crate::domain::trigger::Trigger;

/// What the alert says about one drift.
pub struct IdentityCenterDrift<'a> {
    /// The account that administers Identity Center.
    pub account: &'a str,
    pub region: &'a str,
    pub instance: &'a str,
    /// The mapping recorded before (`null`: not recorded, or none).
    pub before: Value,
    /// The mapping found (`null`: the configuration is gone).
    pub after: Value,
    pub declared: Value,
    pub changes: &'a [Change],
    /// `put_back` (enforce), or `alert_only`.
    pub put_back: bool,
}

pub fn identity_center_drift(d: &IdentityCenterDrift<'_>, trigger: &Trigger, at: &str) -> Alert {
    let kind = Kind::IdentityCenterDrift;
    let mut m = base(kind, Severity::Warning, d.account, trigger, at);
    m.insert("region".into(), json!(d.region));
    m.insert("instance".into(), json!(d.instance));
    m.insert("before".into(), d.before.clone());
    m.insert("after".into(), d.after.clone());
    m.insert("declared".into(), d.declared.clone());
    m.insert("changes".into(), json!(d.changes));
    m.insert(
        "action".into(),
        json!(if d.put_back { "put_back" } else { "alert_only" }),
    );
    m.insert("event_name".into(), json!(trigger.event_name));
    m.insert("event_time".into(), json!(trigger.context.event_time));
    m.insert("source_ip".into(), json!(trigger.context.source_ip));
    let by = trigger
        .actor
        .as_ref()
        .map(|a| subject_value(&short_actor(&a.arn)))
        .unwrap_or_else(|| "a change a sweep found".into());
    let what = match d.changes {
        [one] => subject_value(&one.key),
        many => format!("{} attributes", many.len()),
    };
    let done = if d.put_back {
        "put back"
    } else {
        "not put back"
    };
    let subject = format!("runas-guard: Identity Center mapping changed ({what}), {done}, by {by}");
    Alert::new(
        kind,
        Severity::Warning,
        d.account,
        &subject,
        Value::Object(m),
    )
}
