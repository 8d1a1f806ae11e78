//! Every alert kind, rendered for chat, against the schema and its limits.

use std::collections::HashSet;

use serde_json::Value;

use super::*;
use crate::alert::{account_configured, drift, remediation_failed, DriftFacts, Kind};
use crate::outcome::{AccountReport, Action, RegionOutcome};
use crate::preferences::RunAs;
use crate::summary::{self, Tally};
use crate::trigger::{Actor, Trigger, TriggerKind};

fn trigger(kind: TriggerKind) -> Trigger {
    Trigger {
        kind,
        account: Some("111122223333".into()),
        region: Some("eu-west-1".into()),
        actor: Some(Actor {
            arn: "arn:aws:iam::111122223333:role/Admin".into(),
            identity_type: "AssumedRole".into(),
            session_name: Some("jane".into()),
        }),
        event_id: "e-1".into(),
        source: "aws.ssm".into(),
        event_name: Some("UpdateDocument".into()),
        reason: "test".into(),
        context: Default::default(),
    }
}

fn outcome(region: &str, action: Action, user: &str) -> RegionOutcome {
    RegionOutcome {
        before: Some(RunAs {
            enabled: Some(Value::Bool(true)),
            user: Some(Value::String(user.into())),
        }),
        after: Some(RunAs::desired("ops")),
        error_code: (action == Action::Failed).then(|| "AccessDeniedException".into()),
        error: (action == Action::Failed)
            .then(|| "explicit deny in a service control policy".into()),
        ..RegionOutcome::skipped(region, action, None)
    }
}

fn tagged() -> Trigger {
    let mut t = trigger(TriggerKind::RunAsOverride);
    t.context.principal = Some("arn:aws:iam::111122223333:role/Admin".into());
    t.context.run_as_value = Some("root".into());
    t
}

fn every_kind() -> Vec<Alert> {
    let t = trigger(TriggerKind::DocumentChanged);
    let hostile = format!("x\"<>|*`\n{}", "ü".repeat(400));
    let regions = vec![
        outcome("us-east-1", Action::Created, "ops"),
        outcome("eu-west-1", Action::Failed, &hostile),
    ];
    let facts = |reverts, audit, expected| DriftFacts {
        expected_editor: expected,
        audit,
        reverts_last_hour: reverts,
    };
    let reverted = outcome("eu-west-1", Action::Updated, &hostile);
    let mut tally = Tally::default();
    for i in 0..200 {
        let report = AccountReport {
            account: format!("{i:012}"),
            name: Some(hostile.clone()),
            ou_path: None,
            desired_user: Some("ops".into()),
            rule: None,
            role: None,
            regions: vec![
                outcome("us-east-1", Action::Created, &hostile),
                outcome("eu-west-1", Action::Failed, &hostile),
            ],
        };
        tally.add(&report, &HashSet::new());
    }
    let sweep = trigger(TriggerKind::Sweep);
    vec![
        account_configured("111122223333", "ops", &regions, &t, "now"),
        remediation_failed("111122223333", Some("ops"), &regions, &t, "now"),
        drift(
            "111122223333",
            "ops",
            &reverted,
            &t,
            "now",
            facts(1, false, false),
        ),
        drift(
            "111122223333",
            "ops",
            &reverted,
            &t,
            "now",
            facts(3, false, false),
        ),
        drift(
            "111122223333",
            "ops",
            &reverted,
            &t,
            "now",
            facts(1, false, true),
        ),
        drift(
            "111122223333",
            "ops",
            &reverted,
            &t,
            "now",
            facts(0, true, false),
        ),
        summary::alert(&tally, &sweep, "now").unwrap(),
        crate::alert::run_as_override("111122223333", &tagged(), false, "now"),
        crate::alert::policy_rejected("s3://b/policy.toml", "\"etag\"", &hostile, "now"),
    ]
}

#[test]
fn every_kind_validates_within_the_limits() {
    let alerts = every_kind();
    let kinds: HashSet<Kind> = alerts.iter().map(|a| a.kind).collect();
    assert_eq!(kinds.len(), 8, "every kind but none twice");
    for a in &alerts {
        let m = message(a);
        validate(&m).unwrap_or_else(|e| panic!("{}: {e}\n{m:#}", a.kind.as_str()));
        assert_eq!(m["metadata"]["eventType"], a.kind.as_str());
        assert_eq!(
            m["metadata"]["additionalContext"]["alert_id"],
            a.alert_id.as_str()
        );
        assert_eq!(m["id"], a.alert_id.as_str());
    }
}

#[test]
fn one_thread_per_account_region_and_the_facts_on_call_needs() {
    let alerts = every_kind();
    let drift = message(&alerts[2]);
    assert_eq!(drift["metadata"]["threadId"], "111122223333-eu-west-1");
    let d = drift["content"]["description"].as_str().unwrap();
    for needle in [
        "111122223333",
        "eu-west-1",
        "→ on/ops",
        "role/Admin",
        "console.aws.amazon.com/systems-manager/documents/SSM-SessionManagerRunShell",
    ] {
        assert!(d.contains(needle), "{needle} missing from {d}");
    }
    assert_eq!(message(&alerts[0])["metadata"]["threadId"], "111122223333");
    let failed = message(&alerts[1]);
    assert!(failed["content"]["description"]
        .as_str()
        .unwrap()
        .contains("AccessDeniedException"));
    let tag = message(&alerts[7]);
    let text = tag["content"]["description"].as_str().unwrap();
    assert!(
        text.contains("role/Admin") && text.contains("`root`"),
        "{text}"
    );
    let sweep = message(&alerts[6]);
    assert_eq!(sweep["metadata"]["threadId"], "runas-guard-sweeps");
    let text = sweep["content"]["description"].as_str().unwrap();
    assert!(
        text.chars().count() <= DESCRIPTION_MAX && text.ends_with('…'),
        "a long summary is cut, not refused"
    );
}

#[test]
fn validation_names_what_is_wrong() {
    let good = message(&every_kind()[0]);
    let cases: [(&str, Value, &str); 5] = [
        ("/version", Value::String("2.0".into()), "/version"),
        ("/source", Value::Null, "/source"),
        (
            "/content/title",
            Value::String("t".repeat(TITLE_MAX + 1)),
            "/content/title",
        ),
        (
            "/content/keywords",
            serde_json::json!(["k".repeat(KEYWORD_MAX + 1)]),
            "/content/keywords",
        ),
        (
            "/metadata/additionalContext",
            serde_json::json!({"n": 1}),
            "additionalContext",
        ),
    ];
    for (path, value, named) in cases {
        let mut m = good.clone();
        *m.pointer_mut(path).unwrap() = value;
        let err = validate(&m).unwrap_err();
        assert!(err.contains(named), "{path}: {err}");
    }
}
