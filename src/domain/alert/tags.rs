//! `run_as_override` from a sweep's inventory (`[run_as_tags] sweep`): roles
//! and users of one account newly found carrying an `SSMSessionRunAs` tag.

use serde_json::{json, Value};

use super::message::{base, short_actor, subject_value};
use super::{Alert, Kind, Severity};
use crate::domain::trigger::Trigger;

/// `found`: `(principal ARN, tag value)`, the new ones only; `carrying`: how
/// many principals of the account carry the tag in all.
pub fn run_as_tags_found(
    account: &str,
    found: &[(String, String)],
    carrying: usize,
    trigger: &Trigger,
    at: &str,
) -> Alert {
    let kind = Kind::RunAsOverride;
    let mut m = base(kind, Severity::Warning, account, trigger, at);
    m.insert(
        "principals".into(),
        Value::Array(
            found
                .iter()
                .map(|(p, v)| json!({"principal": p, "value": v}))
                .collect(),
        ),
    );
    m.insert("carrying".into(), json!(carrying));
    m.insert("confirmed".into(), json!({"state": "present"}));
    m.insert("found_by".into(), json!("sweep"));
    let what = match found {
        [(p, v)] => format!("{} on {}", subject_value(v), subject_value(&short_actor(p))),
        many => format!("{} roles/users", many.len()),
    };
    let subject = format!(
        "runas-guard: Run As set outside the document in {account}: {what} (found by a sweep)"
    );
    Alert::new(kind, Severity::Warning, account, &subject, Value::Object(m))
}
