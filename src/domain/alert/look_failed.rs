//! `identity_center_failed`: the declared mapping could not be looked at,
//! so its drift can be neither told nor put back.

use serde_json::{json, Value};

use super::message::base;
use super::{Alert, Kind, Severity};
use crate::domain::trigger::Trigger;

pub fn identity_center_failed(
    account: &str,
    region: &str,
    error_code: &str,
    error: &str,
    trigger: &Trigger,
    at: &str,
) -> Alert {
    let kind = Kind::IdentityCenterFailed;
    let mut m = base(kind, Severity::Error, account, trigger, at);
    m.insert("region".into(), json!(region));
    m.insert("error_code".into(), json!(error_code));
    // AWS messages are short; an endpoint answering with a page is not.
    m.insert(
        "error".into(),
        json!(crate::domain::trigger::bounded(error)),
    );
    let subject = format!(
        "runas-guard ERROR: cannot look at IAM Identity Center's mapping in {region} ({})",
        super::message::subject_value(error_code)
    );
    Alert::new(kind, Severity::Error, account, &subject, Value::Object(m))
}
