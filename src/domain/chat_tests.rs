//! Every alert kind, rendered for chat, against the schema and its limits.

use std::collections::HashSet;

use serde_json::Value;

use super::*;
use crate::domain::alert::{account_configured, drift, remediation_failed, DriftFacts, Kind};
use crate::domain::outcome::{AccountReport, Action, RegionOutcome};
use crate::domain::preferences::RunAs;
use crate::domain::summary::{self, Tally};
use crate::domain::trigger::{Actor, Trigger, TriggerKind};

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

/// `run_as_user_missing` with `value` as the user, a node id and the association id.
fn missing_alert(value: &str) -> Alert {
    missing_alert_beside(value, vec![])
}

/// The same where the region's document is in audit: nothing refused yet
/// (a `warning`, "would be refused", the mode and the hold said).
fn missing_in_audit_alert(value: &str) -> Alert {
    let audit = RegionOutcome {
        mode: Some(crate::domain::policy::Mode::EnforceWhenReady),
        held: Some(format!("held until ready: {value}")),
        ..outcome("eu-west-1", Action::WouldChange, value)
    };
    let a = missing_alert_beside(value, vec![audit]);
    assert_eq!(a.severity, crate::domain::alert::Severity::Warning);
    a
}

fn missing_alert_beside(value: &str, documents: Vec<RegionOutcome>) -> Alert {
    let row = RegionOutcome {
        nodes: Some(crate::domain::nodes::Readiness {
            association_id: value.into(),
            association_version: "1".into(),
            user: value.into(),
            checked: 40,
            missing: 3,
            missing_nodes: vec![value.into(), "i-0123456789abcdef0".into()],
            linux_or_macos: None,
            ..Default::default()
        }),
        ..outcome("eu-west-1", Action::None, value)
    }
    .for_document(crate::domain::nodes::CHECK_DOCUMENT, value);
    let news = HashSet::from([row.slot()]);
    let report = AccountReport {
        account: "111122223333".into(),
        name: None,
        ou_path: None,
        desired_user: Some(value.into()),
        rule: None,
        role: None,
        packed_policy_size: None,
        mode: None,
        left_governance: None,
        regions: documents.into_iter().chain([row]).collect(),
        alerts_lost: 0,
        security_hub: None,
    };
    crate::domain::alert::user_missing(&report, &news, &trigger(TriggerKind::Sweep), "now").unwrap()
}

/// `run_as_bypass` of a document named `value`, by the trigger's actor.
fn bypass_alert(value: &str, t: &Trigger) -> Alert {
    let versions = [crate::domain::alert::Elevated {
        version: "2".into(),
        role: "latest",
        platforms: vec!["linux"],
        user: "root".into(),
        setting: "runAsElevated",
        created: None,
    }];
    crate::domain::alert::run_as_bypass("111122223333", "eu-west-1", value, &versions, t, "now")
}

/// `enforcement_held` of one document held by a node named `value`.
fn held_alert(value: &str) -> Alert {
    let mut found = crate::domain::nodes::Readiness {
        association_id: value.into(),
        user: "ops".into(),
        checked: 4,
        ..Default::default()
    };
    found.not_run.add(crate::domain::nodes::Reason::TimedOut, 3);
    found.not_run.read = vec![crate::domain::nodes::readiness::NodeReason {
        node: value.into(),
        reason: crate::domain::nodes::Reason::TimedOut,
    }];
    let row = RegionOutcome {
        held: Some(format!("held until ready: {value}")),
        ..outcome("eu-west-1", Action::WouldChange, value)
    };
    let held = [crate::domain::alert::Held {
        row: &row,
        user: "ops",
        blocking: crate::domain::nodes::held::Blocking::of(Some(&found), "ops"),
        since: value.into(),
        held_for_ms: 90_000_000,
        association: Some(value),
    }];
    let sweep = trigger(TriggerKind::Sweep);
    crate::domain::alert::enforcement_held("111122223333", &held, 86_400_000, &sweep, "now")
        .unwrap()
}

/// `account_left_governance`: one account moved by the trigger's actor into
/// an OU named `value`, and a policy change's summary naming it.
/// `canary_unwritable` of one account-region, refused with `code`.
fn canary_alert(code: &str, error: &str, t: &Trigger) -> Alert {
    use crate::domain::canary::{Account, Cause, Finding, Findings};
    let mut f = Findings::default();
    let account = Account {
        id: "111122223333",
        name: Some("payments"),
        ou_path: Some("Root/Prod"),
    };
    let refused = Finding {
        region: "eu-west-1".into(),
        cause: Cause::Unwritable(code.into()),
        detail: error.into(),
        mark: crate::domain::canary::Mark::Unwritable {
            told: None,
            code: code.into(),
        },
    };
    f.add(&account, &[refused]);
    let [a] = crate::domain::alert::canary_findings(&f.told(), Some(1800), t, "now")
        .try_into()
        .unwrap();
    a
}

/// `forwarding_missing` of a sweep: 60 accounts in two OUs, two regions each.
fn forwarding_alert(t: &Trigger) -> Alert {
    use crate::domain::canary::{Account, Cause, Finding, Findings};
    let mut f = Findings::default();
    for i in 0..60 {
        let id = format!("{i:012}");
        let account = Account {
            id: &id,
            name: Some("n"),
            ou_path: Some(["Root/Prod", "Root/Dev"][i % 2]),
        };
        let found: Vec<Finding> = ["us-east-1", "eu-west-1"]
            .iter()
            .map(|r| Finding {
                region: r.to_string(),
                cause: Cause::Missing,
                detail: "2026-11-23T05:00:00.000Z".into(),
                mark: crate::domain::canary::Mark::Missing {
                    token: "t".into(),
                    since_ms: 0,
                },
            })
            .collect();
        f.add(&account, &found);
    }
    let [a] = crate::domain::alert::canary_findings(&f.told(), Some(1800), t, "now")
        .try_into()
        .unwrap();
    a
}

/// An audit vend's one `drift_detected` for three regions, `value` as the user.
fn findings_alert(value: &str) -> Alert {
    let t = trigger(TriggerKind::AccountVended);
    let rows: Vec<RegionOutcome> = ["us-east-1", "eu-west-1", "ap-south-1"]
        .iter()
        .map(|r| outcome(r, Action::WouldChange, value))
        .collect();
    let refs: Vec<&RegionOutcome> = rows.iter().collect();
    crate::domain::alert::audit_findings("111122223333", value, &refs, &t, "now").unwrap()
}

fn left_alerts(value: &str, t: &Trigger) -> Vec<Alert> {
    use crate::domain::governance::{Cause, Departure, Dropped, LeftInPlace, Reason};
    let d = Departure {
        account: "111122223333".into(),
        name: Some(value.into()),
        reason: Reason::ExemptOu,
        cause: Cause::Moved,
        found_by: "account_moved".into(),
        trigger_id: "e-1".into(),
        at: "now".into(),
        from_path: Some(format!("Root/{value}")),
        to_path: Some(format!("Root/{value}/Exempt")),
        from_ou: Some(value.into()),
        to_ou: Some(value.into()),
        exempt_ou: Some(value.into()),
        actor: t.actor.as_ref().map(|a| a.arn.clone()),
        left_in_place: LeftInPlace {
            note: value.into(),
            ..Default::default()
        },
    };
    let dropped: Vec<Dropped> = (0..80).map(|_| Dropped::from(&d)).collect();
    let sweep = trigger(TriggerKind::Sweep);
    vec![
        crate::domain::alert::account_left_governance(&d, t, "now"),
        crate::domain::alert::left_governance_summary(&dropped, 80, &sweep, "now").unwrap(),
    ]
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
            packed_policy_size: None,
            mode: None,
            left_governance: None,
            regions: vec![
                outcome("us-east-1", Action::Created, &hostile),
                outcome("eu-west-1", Action::Failed, &hostile),
            ],
            alerts_lost: 0,
            security_hub: None,
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
        crate::domain::alert::run_as_override(
            "111122223333",
            &tagged(),
            false,
            Some(&crate::domain::alert::TagNow::Removed),
            "now",
        ),
        crate::domain::alert::policy_rejected("s3://b/policy.toml", "\"etag\"", &hostile, "now"),
        missing_alert(&hostile),
        missing_in_audit_alert(&hostile),
        bypass_alert(&hostile, &t),
        identity_center_alert(&hostile, &t),
        crate::domain::alert::run_as_tags_found(
            "111122223333",
            &[(
                format!("arn:aws:iam::111122223333:role/{hostile}"),
                hostile.clone(),
            )],
            3,
            &t,
            "now",
        ),
        degraded_alert(&sweep),
        canary_alert("TooManyTagsError", &hostile, &sweep),
        forwarding_alert(&sweep),
        findings_alert(&hostile),
    ]
    .into_iter()
    .chain([held_alert(&hostile)])
    .chain(left_alerts(&hostile, &t))
    .collect()
}

fn degraded_alert(t: &Trigger) -> Alert {
    let last = crate::domain::degraded::Baseline {
        governed: 40,
        policy: "p".into(),
        at: "2026-11-20T00:00:00Z".into(),
        not_governed: None,
    };
    let seen = crate::domain::degraded::Seen {
        accounts: 42,
        governed: 3,
        expected: 3,
        unreadable: 0,
    };
    let d = crate::domain::degraded::explained(seen, None, "p", Some(&last)).unwrap();
    crate::domain::alert::sweep_degraded(&d, t, "now")
}

#[test]
fn a_degraded_sweep_says_what_it_saw_and_expected_in_every_medium() {
    let a = degraded_alert(&trigger(TriggerKind::Sweep));
    assert_eq!(
        (a.kind, a.severity),
        (Kind::SweepDegraded, crate::domain::alert::Severity::Error)
    );
    assert_eq!(a.account, "-");
    assert!(a.body["account"].is_null());
    assert_eq!(
        a.subject,
        "runas-guard ERROR: sweep degraded: governed 3 of 42 accounts (last sweep 40)"
    );
    assert_eq!(a.body["degraded"], "far_fewer");
    assert_eq!(
        (
            a.body["governed"].as_u64(),
            a.body["last_governed"].as_u64()
        ),
        (Some(3), Some(40))
    );
    let m = message(&a);
    validate(&m).unwrap();
    assert_eq!(m["metadata"]["threadId"], "runas-guard-sweeps");
    let d = m["content"]["description"].as_str().unwrap();
    assert!(
        d.contains("fewer than half") && d.contains("*Last sweep:* `40`"),
        "{d}"
    );
    let text = crate::domain::alert::guidance::plain_text(&a);
    assert!(
        text.contains("What to do:") && text.contains("AccountStateUnreadable"),
        "{text}"
    );
    assert_eq!(
        a.alert_id,
        degraded_alert(&trigger(TriggerKind::Sweep)).alert_id,
        "a retry is the same alert"
    );
}

fn identity_center_alert(value: &str, t: &Trigger) -> Alert {
    let declared = crate::domain::identity_center::Mapping::from_pairs([(
        "SSMSessionRunAs",
        "${path:userName}",
    )]);
    let found = crate::domain::identity_center::Observed::Configured {
        status: "ENABLED".into(),
        mapping: crate::domain::identity_center::Mapping::from_pairs([("SSMSessionRunAs", value)]),
    };
    let changes = crate::domain::identity_center::changes(&declared, &found);
    crate::domain::alert::identity_center_drift(
        &crate::domain::alert::IdentityCenterDrift {
            account: "111122223333",
            region: "eu-west-1",
            instance: "arn:aws:sso:::instance/ssoins-1234567890abcdef",
            before: serde_json::to_value(&declared).unwrap(),
            after: found.json(),
            declared: serde_json::to_value(&declared).unwrap(),
            changes: &changes,
            put_back: true,
        },
        t,
        "now",
    )
}

#[test]
fn every_kind_validates_within_the_limits() {
    let alerts = every_kind();
    let kinds: HashSet<Kind> = alerts.iter().map(|a| a.kind).collect();
    assert_eq!(kinds.len(), 16, "every kind");
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
        "→ `on/ops`",
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
        text.chars().count() <= DESCRIPTION_MAX
            && text.ends_with("more lines in the alert topic's message"),
        "a long summary is cut at a line, saying so, not refused: {text}"
    );
}

#[test]
fn lists_say_how_many_more_and_every_chat_message_fits_sns() {
    use crate::domain::alert::bound::{attributes, fits, publish_bytes, LIST_MAX};
    let unknown: Vec<crate::domain::policy::ids::UnknownId> = (0..5000)
        .map(|i| crate::domain::policy::ids::UnknownId {
            key: "scope.accounts".into(),
            id: format!("{:012}", 100_000_000_000u64 + i),
        })
        .collect();
    let ids = crate::domain::alert::policy_ids_unknown(&unknown, "sweep-1", "now");
    let m = message(&ids);
    validate(&m).unwrap();
    let d = m["content"]["description"].as_str().unwrap();
    assert!(
        d.contains("`5000`") && d.contains("…and `4980` more"),
        "{d}"
    );
    assert!(d.contains("`scope.accounts` = `100000000019`"), "{d}");
    assert_eq!(m["metadata"]["threadId"], "runas-guard-policy");

    // A body list cut to its bound says so in chat too.
    let mut failed = every_kind()[1].clone();
    failed.body["errors_more"] = serde_json::json!(12);
    let d = message(&failed)["content"]["description"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(d.contains("…and `12` more"), "{d}");

    // Hostile, multi-byte, long: every kind's chat message is well under
    // SNS's limit in bytes, whatever its body holds.
    let mut all = every_kind();
    all.push(ids);
    for a in &mut all {
        let huge = "€".repeat(100_000);
        if let Value::Object(b) = &mut a.body {
            b.insert("error".into(), Value::String(huge.clone()));
            b.insert("account_name".into(), Value::String(huge));
        }
        let text = message(a).to_string();
        let bytes = publish_bytes(&a.subject, &text, &attributes(a));
        assert!(fits(bytes), "{}: {bytes} bytes", a.kind.as_str());
        assert!(bytes < 64 * 1024, "{}: {bytes} bytes", a.kind.as_str());
    }
    assert_eq!(LIST_MAX, 50);
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

/// What an editor would write to take over on-call's channel: a fake
/// `*Actor:*` line, a channel mention, a phishing link, a backtick to leave
/// the code span, control and bidirectional characters, and length.
const HOSTILE: [&str; 9] = [
    "root\n*Actor:* arn:aws:iam::111122223333:role/Admin (expected editor)",
    "<!channel> <!here> <@U024BE7LH> <#C024BE7LH>",
    "<https://evil.example/login|Open the AWS console>",
    "ops` <!channel> `",
    "``` *bold* _it_ ~del~ [x](https://evil.example) ```",
    "a\r\nb\u{0007}c\u{001b}[31md\u{0000}",
    "\u{202E}nimda\u{2066}x\u{200B}y\u{FEFF}",
    "&lt;!channel&gt; &amp; <",
    "#",
];

fn hostile_alerts(value: &str) -> Vec<Alert> {
    let long = format!("{value}{}", "x".repeat(5000));
    let mut t = trigger(TriggerKind::DocumentChanged);
    t.actor.as_mut().unwrap().arn = format!("arn:aws:iam::111122223333:role/{value}");
    t.context.source_ip = Some(value.into());
    t.context.user_agent = Some(value.into());
    let mut failed = outcome("eu-west-1", Action::Failed, &long);
    failed.error = Some(value.into());
    failed.error_code = Some(value.into());
    let regions = vec![outcome("us-east-1", Action::Created, value), failed];
    let reverted = outcome("eu-west-1", Action::Updated, &long);
    let facts = |reverts, audit, expected| DriftFacts {
        expected_editor: expected,
        audit,
        reverts_last_hour: reverts,
    };
    let mut tagged = trigger(TriggerKind::RunAsOverride);
    tagged.context.principal = Some(format!("arn:aws:iam::111122223333:role/{value}"));
    tagged.context.run_as_value = Some(long.clone());
    let mut tally = Tally::default();
    let report = AccountReport {
        account: "111122223333".into(),
        name: Some(value.into()),
        ou_path: None,
        desired_user: Some("ops".into()),
        rule: None,
        role: None,
        packed_policy_size: None,
        mode: None,
        left_governance: None,
        regions: vec![
            outcome("us-east-1", Action::Updated, value),
            outcome("eu-west-1", Action::Failed, &long),
        ],
        alerts_lost: 0,
        security_hub: None,
    };
    tally.add(&report, &HashSet::new());
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
        crate::domain::alert::run_as_override(
            "111122223333",
            &tagged,
            false,
            Some(&crate::domain::alert::TagNow::Present(value.into())),
            "now",
        ),
        crate::domain::alert::policy_rejected(value, value, &long, "now"),
        missing_alert(value),
        missing_in_audit_alert(value),
        bypass_alert(value, &t),
        canary_alert(value, &long, &sweep),
        findings_alert(value),
        held_alert(value),
    ]
    .into_iter()
    .chain(left_alerts(value, &t))
    .collect()
}

/// The code spans of one line, and what lies outside them.
fn spans(line: &str) -> (Vec<&str>, String) {
    let parts: Vec<&str> = line.split('`').collect();
    assert!(parts.len() % 2 == 1, "unbalanced backticks: {line}");
    let inside = parts.iter().skip(1).step_by(2).copied().collect();
    let outside = parts
        .iter()
        .step_by(2)
        .copied()
        .collect::<Vec<_>>()
        .join("");
    (inside, outside)
}

#[test]
fn editor_text_is_inert_in_every_kind() {
    for value in HOSTILE {
        let alerts = hostile_alerts(value);
        let kinds: HashSet<Kind> = alerts.iter().map(|a| a.kind).collect();
        assert_eq!(kinds.len(), 13, "every kind");
        for a in &alerts {
            let kind = a.kind.as_str();
            let m = message(a);
            validate(&m).unwrap_or_else(|e| panic!("{kind} {value:?}: {e}"));
            // SNS subject: one line of printable ASCII, under 100 characters.
            assert!(a.subject.len() < 100, "{kind}: {}", a.subject);
            assert!(
                a.subject.chars().all(|c| c.is_ascii_graphic() || c == ' '),
                "{kind}: {:?}",
                a.subject
            );
            // Past our own emoji shortcode (`:information_source:`).
            let title = m["content"]["title"]
                .as_str()
                .unwrap()
                .split_once(' ')
                .unwrap()
                .1;
            let summary = m["metadata"]["summary"].as_str().unwrap();
            let description = m["content"]["description"].as_str().unwrap();
            for plain in [title, summary] {
                for bad in ['<', '>', '&', '`', '*', '_', '~', '|', '\n', '\r'] {
                    assert!(
                        !plain.contains(bad),
                        "{kind} {value:?}: {bad:?} in {plain:?}"
                    );
                }
            }
            for (key, v) in m["metadata"]["additionalContext"].as_object().unwrap() {
                let v = v.as_str().unwrap();
                assert!(
                    !v.contains(['<', '>', '&', '`', '\n']),
                    "{kind} {key}: {v:?}"
                );
            }
            let mut actors = 0;
            for line in description.lines() {
                assert!(
                    !line.chars().any(|c| c.is_control()
                        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}')),
                    "{kind} {value:?}: {line:?}"
                );
                let (inside, outside) = spans(line);
                for span in &inside {
                    assert!(
                        !span.contains(['<', '>', '&']),
                        "{kind} {value:?}: control sequence in a code span: {span:?}"
                    );
                    assert!(span.chars().count() <= VALUE_MAX, "{kind}: {span}");
                }
                // Outside code spans only our own words, and our own link.
                let ours = outside
                    .replace("<https://eu-west-1.console.aws.amazon.com/systems-manager/documents/SSM-SessionManagerRunShell/description?region=eu-west-1|SSM-SessionManagerRunShell in eu-west-1>", "");
                assert!(
                    !ours.contains(['<', '>', '&', '|']),
                    "{kind} {value:?}: {ours:?} outside code spans in {line:?}"
                );
                assert!(
                    !outside.contains("channel") && !outside.contains("evil"),
                    "{kind}: {line}"
                );
                if line.starts_with("*Actor:*") {
                    actors += 1;
                }
            }
            let want = usize::from(!matches!(
                a.kind,
                Kind::SweepSummary | Kind::PolicyRejected | Kind::CanaryUnwritable
            ));
            assert_eq!(
                actors, want,
                "{kind} {value:?}: one *Actor:* line\n{description}"
            );
            assert!(
                !description.contains("(expected editor)") || description.contains("`"),
                "{kind}"
            );
        }
    }
}

#[test]
fn the_json_body_keeps_the_exact_values() {
    let value = HOSTILE[0];
    let alerts = hostile_alerts(value);
    let drift = &alerts[2];
    assert_eq!(
        drift.body["actor"],
        format!("arn:aws:iam::111122223333:role/{value}").as_str()
    );
    assert_eq!(drift.body["source_ip"], value);
    let tag = &alerts[7];
    assert!(tag.body["value"].as_str().unwrap().starts_with(value));
    let failed = &alerts[1];
    assert_eq!(failed.body["errors"]["eu-west-1"]["message"], value);
}

#[test]
fn code_spans_and_inert_text() {
    assert_eq!(code("ops"), "`ops`");
    assert_eq!(code(""), "` `");
    assert_eq!(code("a`b"), "`aˋb`");
    assert_eq!(code("<!channel>"), "`‹!channel›`");
    assert_eq!(code("x\ny"), "`x⏎y`");
    assert_eq!(code("AWSReservedSSO_Admin_1"), "`AWSReservedSSO_Admin_1`");
    assert_eq!(code(&"y".repeat(500)).chars().count(), VALUE_MAX + 2);
    assert_eq!(inert("*a* _b_ <c|d>", 100), "∗a∗ ˍbˍ ‹c│d›");
    assert_eq!(inert("\u{202E}x\u{0}", 100), "�x�");
}

#[test]
fn an_unwritable_canary_says_where_why_and_what_to_do() {
    let alerts = every_kind();
    let canary = alerts
        .iter()
        .find(|a| a.kind == Kind::CanaryUnwritable)
        .unwrap();
    assert_eq!(canary.kind, Kind::CanaryUnwritable);
    let m = message(canary);
    assert_eq!(m["metadata"]["threadId"], "111122223333-eu-west-1");
    let d = m["content"]["description"].as_str().unwrap();
    for needle in [
        "111122223333",
        "`TooManyTagsError`",
        "documents/SSM-SessionManagerRunShell",
        "50 tags",
    ] {
        assert!(d.contains(needle), "{needle} missing from {d}");
    }
}

#[test]
fn a_sweeps_missing_canaries_are_one_message_counted_per_ou_and_region() {
    let a = forwarding_alert(&trigger(TriggerKind::Sweep));
    assert_eq!(a.kind, Kind::ForwardingMissing);
    let m = message(&a);
    validate(&m).unwrap();
    assert_eq!(m["metadata"]["threadId"], "runas-guard-sweeps");
    let d = m["content"]["description"].as_str().unwrap();
    for needle in [
        "`no canary arrived` within `1800` seconds",
        "*Account-regions:* `120` in `60` accounts",
        "`Root/Dev` `60`, `Root/Prod` `60`",
        "`eu-west-1` `60`, `us-east-1` `60`",
        "• `000000000000` `eu-west-1`",
        "…and `70` more",
    ] {
        assert!(d.contains(needle), "{needle} missing from {d}");
    }
}

#[test]
fn an_audit_vends_findings_are_one_message_listing_each_region() {
    let a = findings_alert("root");
    assert_eq!(a.kind, Kind::DriftDetected);
    let m = message(&a);
    validate(&m).unwrap();
    assert_eq!(m["metadata"]["threadId"], "111122223333");
    let d = m["content"]["description"].as_str().unwrap();
    for needle in [
        "*Found:* `3` documents wrong",
        "• `us-east-1` `SSM-SessionManagerRunShell`: `on/root` → want `root`",
        "ap-south-1",
    ] {
        assert!(d.contains(needle), "{needle} missing from {d}");
    }
}
