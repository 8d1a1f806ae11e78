//! `forwarding_missing`: an account-region's forwarding canary did not
//! arrive, so its edits do not reach the function either: they are found
//! (and, in enforce, put back) only by sweeps, without their actor.

use serde_json::{json, Value};

use super::message::base;
use super::{alert_id, Alert, Kind, Severity};
use crate::domain::trigger::Trigger;

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

/// `canary_unwritable`: SSM refused this account-region's canary for a
/// reason a retry does not meet, so nothing proves its event path until one
/// can be written. Told once per transition (see [`crate::domain::canary::unwritable`]).
pub fn canary_unwritable(
    account: &str,
    region: &str,
    error_code: &str,
    error: &str,
    trigger: &Trigger,
    at: &str,
) -> Alert {
    let kind = Kind::CanaryUnwritable;
    let mut m = base(kind, Severity::Warning, account, trigger, at);
    m.insert(
        "alert_id".into(),
        json!(alert_id(trigger, kind, account, Some(region))),
    );
    m.insert("region".into(), json!(region));
    m.insert(
        "document".into(),
        json!(crate::domain::trigger::DOCUMENT_NAME),
    );
    m.insert("error_code".into(), json!(error_code));
    // AWS messages are short; an endpoint answering with a page is not.
    m.insert(
        "error".into(),
        json!(crate::domain::trigger::bounded(error)),
    );
    m.insert(
        "what_to_do".into(),
        json!(crate::domain::canary::what_to_do(error_code)),
    );
    let subject = format!(
        "runas-guard WARNING: canary not writable in {account} {region} ({})",
        super::message::subject_value(error_code)
    );
    Alert::new(kind, Severity::Warning, account, &subject, Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unwritable_canary_names_the_code_and_what_to_do() {
        let t = Trigger {
            kind: crate::domain::trigger::TriggerKind::Sweep,
            account: None,
            region: None,
            actor: None,
            event_id: "sweep-1".into(),
            source: "aws.events".into(),
            event_name: None,
            reason: "scheduled".into(),
            context: Default::default(),
        };
        let a = canary_unwritable(
            "111122223333",
            "eu-west-1",
            "TooManyTagsError",
            "The Targets parameter includes too many tags.",
            &t,
            "2026-11-23T06:00:00.000Z",
        );
        assert_eq!(
            (a.kind, a.severity),
            (Kind::CanaryUnwritable, Severity::Warning)
        );
        let b = &a.body;
        assert_eq!(b["kind"], "canary_unwritable");
        assert_eq!(
            (b["account"].as_str(), b["region"].as_str()),
            (Some("111122223333"), Some("eu-west-1"))
        );
        assert_eq!(b["error_code"], "TooManyTagsError");
        assert!(b["what_to_do"].as_str().unwrap().contains("50 tags"));
        assert!(
            a.subject.contains("TooManyTagsError") && a.subject.len() < 100,
            "{}",
            a.subject
        );
        // One id per sweep and account-region; another region is another alert.
        let other = canary_unwritable("111122223333", "us-east-1", "TooManyTagsError", "", &t, "x");
        assert_ne!(a.alert_id, other.alert_id);
        // An editor cannot steer the subject through the code.
        let hostile = canary_unwritable(
            "111122223333",
            "eu-west-1",
            "X\nSubject: fake\u{202e}",
            "",
            &t,
            "x",
        );
        assert!(
            !hostile.subject.contains('\n') && hostile.subject.is_ascii(),
            "{}",
            hostile.subject
        );
    }
}
