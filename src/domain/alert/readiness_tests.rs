//! `run_as_user_missing` on both sides: sessions refused (enforce: `error`,
//! act now) and refused by nothing yet (audit, held: `warning`, "would be
//! refused", with the mode and the hold), in every rendering.

use std::collections::HashSet;

use serde_json::Value;

use super::*;
use crate::domain::alert::guidance::{plain_text, steps, WOULD_REFUSE_STEPS};
use crate::domain::alert::render::{Dest, Rendering};
use crate::domain::config::AlertFormat;
use crate::domain::nodes::CHECK_DOCUMENT;
use crate::domain::outcome::Action;
use crate::domain::policy::Mode;
use crate::domain::preferences::RunAs;
use crate::domain::trigger::TriggerKind;

const HELD: &str = "held until ready: user ops missing on 2 of 3 nodes (enforce-when-ready)";

fn sweep() -> Trigger {
    Trigger {
        kind: TriggerKind::Sweep,
        account: None,
        region: None,
        actor: None,
        event_id: "sweep-1".into(),
        source: "aws.events".into(),
        event_name: None,
        reason: "test".into(),
        context: Default::default(),
    }
}

/// The default document's row of `region` after a run.
fn document(region: &str, action: Action, mode: Mode, held: bool) -> RegionOutcome {
    // In audit (and held) `after` is what the document would become.
    let after = (action != Action::Failed).then(|| RunAs::desired("ops"));
    RegionOutcome {
        before: None,
        after,
        mode: Some(mode),
        held: held.then(|| HELD.to_string()),
        ..RegionOutcome::skipped(region, action, None)
    }
}

/// The check's row of `region`: 2 of 3 nodes lack `ops`.
fn check(region: &str) -> RegionOutcome {
    RegionOutcome {
        nodes: Some(Readiness {
            association_id: "a1b2c3d4-0000-4000-8000-000000000001".into(),
            association_version: "1".into(),
            user: "ops".into(),
            checked: 3,
            missing: 2,
            missing_nodes: vec!["i-0aaa0000000000001".into(), "i-0aaa0000000000002".into()],
            ..Default::default()
        }),
        ..RegionOutcome::skipped(region, Action::Created, None)
    }
    .for_document(CHECK_DOCUMENT, "ops")
}

fn report(rows: Vec<RegionOutcome>) -> AccountReport {
    AccountReport {
        desired_user: Some("ops".into()),
        regions: rows,
        ..AccountReport::uniform("111122223333", "payments", &[], |_| unreachable!())
    }
}

fn alert_of(rows: Vec<RegionOutcome>) -> Alert {
    let news: HashSet<String> = rows
        .iter()
        .filter(|o| o.nodes.is_some())
        .map(|o| o.slot())
        .collect();
    user_missing(&report(rows), &news, &sweep(), "2026-11-21T10:00:00Z").expect("news is told")
}

fn renderings(a: &Alert) -> (Value, String, Value) {
    let r = Rendering {
        format: AlertFormat::default(),
        chat: true,
    };
    let main: Value = serde_json::from_str(&r.message(a, Dest::Main).unwrap().body).unwrap();
    let chat: Value = serde_json::from_str(&r.message(a, Dest::Chat).unwrap().body).unwrap();
    (main, plain_text(a), chat)
}

#[test]
fn enforced_sessions_are_refused_and_told_at_error_as_today() {
    for (action, mode) in [
        (Action::Updated, Mode::Enforce),
        (Action::None, Mode::Enforce),
        (Action::Failed, Mode::Enforce),
        // Already on under enforce-when-ready: not held, refused.
        (Action::None, Mode::EnforceWhenReady),
        // Audit, yet Run As is on for the user (someone turned it on).
        (Action::None, Mode::Audit),
    ] {
        let a = alert_of(vec![
            document("eu-west-1", action, mode, false),
            check("eu-west-1"),
        ]);
        assert_eq!(a.severity, Severity::Error, "{action:?} {mode:?}");
        assert_eq!(
            a.subject,
            "runas-guard: Run As user ops missing on 2 of 3 nodes in 111122223333 eu-west-1"
        );
        let b = &a.body;
        assert_eq!(b["severity"], "error");
        assert_eq!(
            (b["sessions_refused"].as_bool(), b["mode"].as_str()),
            (Some(true), Some(mode.as_str()))
        );
        assert!(b["held"].is_null(), "{b:#}");
        assert_eq!(b["regions"][0]["sessions_refused"], true);
        assert!(
            b["sessions"].as_str().unwrap().starts_with("refused"),
            "{b:#}"
        );
        let (main, text, chat) = renderings(&a);
        assert!(main["next_steps"][0]
            .as_str()
            .unwrap()
            .starts_with("Sessions on these nodes are refused"));
        assert!(
            text.contains("Severity: error")
                && text.contains("- Sessions on these nodes are refused"),
            "{text}"
        );
        assert!(text.contains("Sessions: refused"), "{text}");
        let description = chat["content"]["description"].as_str().unwrap();
        assert!(
            description.contains("*refused*") && !description.contains("would be"),
            "{description}"
        );
        assert!(chat["content"]["title"]
            .as_str()
            .unwrap()
            .starts_with(":x:"));
    }
}

#[test]
fn audit_and_held_refuse_nothing_yet_and_are_told_at_warning() {
    // (the region's document row, the subject's word, held)
    let cases = [
        (
            document("eu-west-1", Action::WouldChange, Mode::Audit, false),
            "audit",
            false,
        ),
        (
            document("eu-west-1", Action::Failed, Mode::Audit, false),
            "audit",
            false,
        ),
        (
            document(
                "eu-west-1",
                Action::WouldChange,
                Mode::EnforceWhenReady,
                true,
            ),
            "held",
            true,
        ),
    ];
    for (row, word, held) in cases {
        let mode = row.mode.unwrap();
        let a = alert_of(vec![row, check("eu-west-1")]);
        assert_eq!(
            (a.kind, a.severity),
            (Kind::RunAsUserMissing, Severity::Warning),
            "{mode:?}"
        );
        assert_eq!(
            a.subject,
            format!("runas-guard {word}: sessions would be refused on 2 of 3 nodes in 111122223333 eu-west-1")
        );
        let b = &a.body;
        assert_eq!(b["severity"], "warning");
        assert_eq!(b["sessions_refused"], false);
        assert_eq!(b["mode"], mode.as_str());
        assert_eq!(b["held"].is_string(), held, "{b:#}");
        assert_eq!(b["regions"][0]["mode"], mode.as_str());
        assert_eq!(b["regions"][0]["held"].is_string(), held);
        let said = b["sessions"].as_str().unwrap();
        assert!(
            said.starts_with("would be refused") && said.contains("nothing is refused yet"),
            "{said}"
        );
        // The counts and nodes are all still there.
        assert_eq!(
            (b["nodes_missing"].as_u64(), b["nodes_checked"].as_u64()),
            (Some(2), Some(3))
        );
        assert_eq!(b["regions"][0]["missing_nodes"][1], "i-0aaa0000000000002");
        assert_eq!(steps(&a), WOULD_REFUSE_STEPS);
        let (main, text, chat) = renderings(&a);
        let first = main["next_steps"][0].as_str().unwrap();
        assert!(first.starts_with("Nothing is refused yet"), "{first}");
        assert!(!main.to_string().contains("nodes are refused"), "{main:#}");
        assert!(text.contains("Severity: warning"), "{text}");
        assert!(text.contains(&format!("Mode: {}", mode.as_str())), "{text}");
        assert_eq!(text.contains(&format!("Held: {HELD}")), held, "{text}");
        assert!(text.contains("Sessions: would be refused"), "{text}");
        assert!(!text.contains("are refused"), "{text}");
        let description = chat["content"]["description"].as_str().unwrap();
        assert!(
            description.contains("would be refused (mode `"),
            "{description}"
        );
        assert_eq!(description.contains(", held)"), held, "{description}");
        assert!(chat["content"]["title"]
            .as_str()
            .unwrap()
            .starts_with(":warning:"));
        assert!(chat["content"]["nextSteps"][0]
            .as_str()
            .unwrap()
            .starts_with("Nothing is refused yet"));
    }
}

#[test]
fn one_region_that_refuses_makes_the_accounts_alert_an_error() {
    let rows = vec![
        document(
            "eu-west-1",
            Action::WouldChange,
            Mode::EnforceWhenReady,
            true,
        ),
        check("eu-west-1"),
        document("us-east-1", Action::Updated, Mode::Enforce, false),
        check("us-east-1"),
    ];
    let a = alert_of(rows.clone());
    assert_eq!(a.severity, Severity::Error);
    assert!(
        a.subject
            .contains("missing on 4 of 6 nodes in 111122223333 2 regions"),
        "{}",
        a.subject
    );
    let refused: Vec<(String, bool)> = a.body["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["region"].as_str().unwrap().to_string(),
                r["sessions_refused"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        refused,
        [
            ("eu-west-1".to_string(), false),
            ("us-east-1".to_string(), true)
        ]
    );
    // Mode and hold are each region's: none said for the account.
    assert!(a.body["mode"].is_null() && a.body["held"].is_null());
    assert!(a.body["sessions"].as_str().unwrap().starts_with("refused"));
    // Both regions held or audit: a warning, and the subject says both.
    let mut rollout = rows;
    rollout[2] = document("us-east-1", Action::WouldChange, Mode::Audit, false);
    let a = alert_of(rollout);
    assert_eq!(a.severity, Severity::Warning);
    assert!(
        a.subject
            .starts_with("runas-guard audit/held: sessions would be refused on 4 of 6"),
        "{}",
        a.subject
    );
}

#[test]
fn a_hostile_user_stays_out_of_a_rollout_subject_and_inert_everywhere() {
    let hostile = "ops\nSeverity: critical <!channel> `x`";
    let mut c = check("eu-west-1");
    c.nodes.as_mut().unwrap().user = hostile.into();
    let a = alert_of(vec![
        document("eu-west-1", Action::WouldChange, Mode::Audit, false),
        c,
    ]);
    assert_eq!(a.severity, Severity::Warning);
    assert!(
        !a.subject.contains('\n') && !a.subject.contains("critical"),
        "{}",
        a.subject
    );
    assert_eq!(a.body["user"], hostile, "the JSON keeps the exact value");
    let (_, text, chat) = renderings(&a);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("Severity:")).count(),
        1,
        "{text}"
    );
    let description = chat["content"]["description"].as_str().unwrap();
    assert!(!description.contains("<!channel>"), "{description}");
    assert!(
        description.lines().all(|l| !l.starts_with("Severity")),
        "{description}"
    );
    crate::domain::chat::validate(&chat).unwrap();
}
