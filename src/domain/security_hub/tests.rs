use serde_json::Value;

use super::*;
use crate::domain::nodes::Readiness;
use crate::domain::outcome::Action;
use crate::domain::policy::Mode;
use crate::domain::ports::Versions;
use crate::domain::preferences::RunAs;

pub(super) const NOW: i64 = 1_790_000_000_000;

pub(super) fn place() -> Place<'static> {
    Place {
        partition: "aws",
        account: "111122223333",
        ou_path: Some("Root/Workloads"),
        runbook: "",
    }
}

pub(super) fn run_as(user: &str) -> RunAs {
    RunAs {
        enabled: Some(Value::Bool(true)),
        user: Some(Value::String(user.into())),
    }
}

pub(super) fn row(action: Action, before: Option<RunAs>) -> RegionOutcome {
    row_in(Mode::Audit, action, before)
}

/// A row of eu-west-1 found at version 3 and left at 4, in `mode`.
pub(super) fn row_in(mode: Mode, action: Action, before: Option<RunAs>) -> RegionOutcome {
    RegionOutcome {
        before,
        versions_before: Some(Versions {
            default: "3".into(),
            latest: "3".into(),
        }),
        version_after: Some("4".into()),
        mode: Some(mode),
        ..RegionOutcome::skipped("eu-west-1", action, None)
    }
}

fn sent(compliance: Compliance, key: &str) -> Marks {
    let mut m = Marks::new();
    m.insert(
        "run-as".into(),
        Sent {
            compliance,
            key: key.into(),
            created_ms: NOW - 5_000,
            updated_ms: NOW + 60_000,
            hub_off: false,
            moved: 0,
        },
    );
    m
}

pub(super) fn decide_for(
    o: &RegionOutcome,
    status: Status,
    marks: &Marks,
    editor: Option<&str>,
) -> Vec<Send> {
    decide(
        place(),
        &Slot {
            outcome: o,
            status,
            user: "ops",
            marks,
            editor,
        },
        NOW,
    )
}

type Kind = (Check, Compliance, bool);

fn kinds(sends: &[Send]) -> Vec<Kind> {
    sends
        .iter()
        .map(|s| (s.finding.check, s.finding.compliance, s.finding.archived))
        .collect()
}

#[test]
fn every_verdict_of_run_as_is_one_active_finding_passed_or_failed() {
    let none = Marks::new();
    let cases: Vec<(&str, RegionOutcome, Status, Vec<Kind>)> = vec![
        (
            "compliant from the start: the baseline",
            row(Action::None, Some(run_as("ops"))),
            Status::Compliant,
            vec![(Check::RunAs, Compliance::Passed, false)],
        ),
        (
            "remediated on first look",
            row(Action::Updated, Some(run_as("root"))),
            Status::Remediated,
            vec![(Check::RunAs, Compliance::Passed, false)],
        ),
        (
            "audit finds it wrong",
            row(Action::WouldChange, Some(run_as("root"))),
            Status::Noncompliant,
            vec![(Check::RunAs, Compliance::Failed, false)],
        ),
        (
            "audit finds no document",
            row(Action::WouldChange, None),
            Status::Noncompliant,
            vec![(Check::RunAs, Compliance::Failed, false)],
        ),
        (
            "a write that failed on a wrong document",
            RegionOutcome {
                error_code: Some("AccessDeniedException".into()),
                ..row(Action::Failed, Some(run_as("root")))
            },
            Status::Failed,
            vec![(Check::RunAs, Compliance::Failed, false)],
        ),
        (
            "a failure on a right document judges nothing",
            row(Action::Failed, Some(run_as("ops"))),
            Status::Failed,
            vec![],
        ),
        (
            "pending",
            row(Action::Pending, None),
            Status::Pending,
            vec![],
        ),
        (
            "excluded",
            row(Action::Excluded, None),
            Status::Excluded,
            vec![],
        ),
        (
            "held",
            RegionOutcome {
                held: Some("3 nodes lack ops".into()),
                ..row(Action::WouldChange, Some(run_as("root")))
            },
            Status::Noncompliant,
            vec![(Check::RunAs, Compliance::Failed, false)],
        ),
    ];
    for (what, o, status, want) in cases {
        assert_eq!(kinds(&decide_for(&o, status, &none, None)), want, "{what}");
    }
}

#[test]
fn a_failed_finding_resolves_once_and_an_unchanged_one_is_not_sent_again() {
    let wrong = row(Action::WouldChange, Some(run_as("root")));
    let first = decide_for(&wrong, Status::Noncompliant, &Marks::new(), None);
    let mark = first[0].sent.clone().unwrap();
    let marks: Marks = [("run-as".to_string(), mark.clone())].into();
    // The next sweep finds the same: nothing to send.
    assert!(decide_for(&wrong, Status::Noncompliant, &marks, None).is_empty());
    // Another wrong value is news.
    let other = row(Action::WouldChange, Some(run_as("admin")));
    assert_eq!(
        kinds(&decide_for(&other, Status::Noncompliant, &marks, None)),
        [(Check::RunAs, Compliance::Failed, false)]
    );
    // Put right: PASSED and still ACTIVE (coverage), created when it was
    // first sent.
    let fixed_row = RegionOutcome {
        after: Some(run_as("ops")),
        ..row(Action::Updated, Some(run_as("root")))
    };
    let fixed = decide_for(&fixed_row, Status::Remediated, &marks, None);
    assert_eq!(kinds(&fixed), [(Check::RunAs, Compliance::Passed, false)]);
    assert_eq!(fixed[0].finding.created_at, first[0].finding.created_at);
    assert_eq!(fixed[0].finding.id, first[0].finding.id, "updated in place");
    assert_eq!(fixed[0].finding.details["run_as_default_user"], "ops");
    assert_eq!(
        fixed[0].finding.details[VERIFIED_AT],
        clock::iso(clock::from_millis(NOW))
    );
    // The next sweep finds it right as that left it: nothing, whenever it
    // was verified.
    let resolved: Marks = [("run-as".to_string(), fixed[0].sent.clone().unwrap())].into();
    let steady = RegionOutcome {
        before: Some(run_as("ops")),
        versions_before: Some(Versions {
            default: "4".into(),
            latest: "4".into(),
        }),
        ..row(Action::None, None)
    };
    let later = |o: &RegionOutcome, now: i64| {
        decide(
            place(),
            &Slot {
                outcome: o,
                status: Status::Compliant,
                user: "ops",
                marks: &resolved,
                editor: None,
            },
            now,
        )
    };
    assert!(later(&steady, NOW + 3_600_000).is_empty());
}

#[test]
fn updated_at_only_grows_even_when_the_clock_is_behind_the_last_send() {
    let marks = sent(Compliance::Failed, "old");
    let out = decide_for(
        &row(Action::Updated, Some(run_as("root"))),
        Status::Remediated,
        &marks,
        None,
    );
    let s = out[0].sent.as_ref().unwrap();
    assert_eq!(s.updated_ms, NOW + 60_001);
    assert_eq!(
        out[0].finding.updated_at,
        clock::iso(clock::from_millis(NOW + 60_001))
    );
    assert_eq!(s.created_ms, NOW - 5_000);
}

/// The readiness check's row of eu-west-1: `missing` of 4 nodes lack "ops".
pub(super) fn nodes(missing: u64) -> RegionOutcome {
    RegionOutcome {
        nodes: Some(Readiness {
            user: "ops".into(),
            checked: 4,
            missing,
            missing_nodes: (0..missing).map(|i| format!("i-{i:017}")).collect(),
            ..Readiness::default()
        }),
        ..RegionOutcome::skipped("eu-west-1", Action::None, None)
    }
}

#[test]
fn readiness_fails_while_nodes_lack_the_user() {
    let first = decide_for(&nodes(2), Status::Compliant, &Marks::new(), None);
    assert_eq!(
        kinds(&first),
        [(Check::Readiness, Compliance::Failed, false)]
    );
    assert!(first[0].finding.details["missing_nodes"].contains("i-00000000000000001"));
    assert!(decide_for(&nodes(0), Status::Compliant, &Marks::new(), None).is_empty());
    let marks: Marks = [("readiness".to_string(), first[0].sent.clone().unwrap())].into();
    assert_eq!(
        kinds(&decide_for(&nodes(0), Status::Compliant, &marks, None)),
        [(Check::Readiness, Compliance::Passed, true)]
    );
}

#[test]
fn a_finding_the_hub_refused_for_being_off_is_tried_again_by_the_next_run() {
    for o in [
        row(Action::WouldChange, Some(run_as("root"))),
        row(Action::None, Some(run_as("ops"))),
    ] {
        let status = match o.action {
            Action::None => Status::Compliant,
            _ => Status::Noncompliant,
        };
        let first = decide_for(&o, status, &Marks::new(), None);
        let mut mark = first[0].sent.clone().unwrap();
        let taken: Marks = [("run-as".to_string(), mark.clone())].into();
        assert!(
            decide_for(&o, status, &taken, None).is_empty(),
            "taken: quiet"
        );
        mark.hub_off = true;
        mark.updated_ms = NOW - 1000;
        let off: Marks = [("run-as".to_string(), mark)].into();
        let again = decide_for(&o, status, &off, None);
        assert_eq!(again.len(), 1, "{status:?}: what waited goes out");
        assert!(!again[0].sent.as_ref().unwrap().hub_off);
    }
}

#[test]
fn hostile_values_stay_within_asff_limits() {
    let long = "x".repeat(5000);
    let o = RegionOutcome {
        document: Some(long.clone()),
        ..row(
            Action::WouldChange,
            Some(RunAs {
                enabled: Some(Value::String(long.clone())),
                user: Some(Value::String("é".repeat(3000))),
            }),
        )
    };
    let user = "u".repeat(3000);
    let out = decide(
        place(),
        &Slot {
            outcome: &o,
            status: Status::Noncompliant,
            user: &user,
            marks: &Marks::new(),
            editor: None,
        },
        NOW,
    );
    let f = &out[0].finding;
    assert!(f.title.chars().count() <= MAX_TITLE);
    assert!(f.description.chars().count() <= MAX_DESCRIPTION);
    assert!(f.details.values().all(|v| v.chars().count() <= MAX_DETAIL));
    assert_eq!(bounded("abc", 3), "abc");
    assert_eq!(bounded("abcd", 3), "ab…");
    assert_eq!(bounded("ééé", 0), "…");
}

#[test]
fn marks_read_back_what_was_written_and_garbage_is_no_mark() {
    let marks = sent(Compliance::Failed, "k1");
    assert_eq!(marks_from_json(&marks_to_json(&marks)), marks);
    for junk in ["", "[]", "{\"run-as\": 3}", "not json"] {
        assert!(marks_from_json(junk).is_empty(), "{junk}");
    }
}

#[test]
fn the_product_is_the_member_accounts_default_one() {
    let out = decide_for(
        &row(Action::WouldChange, None),
        Status::Noncompliant,
        &Marks::new(),
        None,
    );
    let f = &out[0].finding;
    assert_eq!(
        f.product_arn(),
        "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default"
    );
    assert_eq!(
        f.resource,
        "arn:aws:ssm:eu-west-1:111122223333:document/SSM-SessionManagerRunShell"
    );
    assert_eq!(f.generator_id(), "runas-guard/run-as");
}

#[test]
fn doctor_names_each_account_region_found_without_the_hub_once() {
    let mut off = sent(Compliance::Failed, "k");
    off.get_mut("run-as").unwrap().hub_off = true;
    let (off, on) = (
        marks_to_json(&off),
        marks_to_json(&sent(Compliance::Failed, "k")),
    );
    let rows = [
        ("222233334444", "eu-west-1", Some(on.as_str())),
        ("111122223333", "us-east-1", Some(off.as_str())),
        (
            "111122223333",
            "us-east-1#DOCUMENT#SSMRunAs-Admin",
            Some(off.as_str()),
        ),
        ("111122223333", "eu-west-1", None),
        ("333344445555", "eu-west-1", Some("garbage")),
    ];
    assert_eq!(hub_off(rows.into_iter()), ["111122223333 us-east-1"]);
}
