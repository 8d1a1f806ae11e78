//! `forwarding_missing`: an account-region's forwarding canary did not
//! arrive, so its edits do not reach the function either: they are found
//! (and, in enforce, put back) only by sweeps, without their actor.

use serde_json::{json, Value};

use super::message::base;
use super::{alert_id, Alert, Kind, Severity};
use crate::trigger::Trigger;

pub fn forwarding_missing(
    account: &str,
    region: &str,
    written_at: &str,
    grace_secs: u64,
    trigger: &Trigger,
    at: &str,
) -> Alert {
    let kind = Kind::ForwardingMissing;
    let mut m = base(kind, Severity::Warning, account, trigger, at);
    m.insert(
        "alert_id".into(),
        json!(alert_id(trigger, kind, account, Some(region))),
    );
    m.insert("region".into(), json!(region));
    m.insert("canary_written_at".into(), json!(written_at));
    m.insert("grace_seconds".into(), json!(grace_secs));
    let subject = format!(
        "runas-guard WARNING: no event arrives from {account} {region}: edits there are found only by sweeps"
    );
    Alert::new(kind, Severity::Warning, account, &subject, Value::Object(m))
}
