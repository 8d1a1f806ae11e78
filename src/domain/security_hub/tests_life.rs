//! What a finding carries and how long it lives: blank values said, what
//! the run read whatever the write did, what made it right, the refresh
//! inside Security Hub CSPM's retention, and the archive when the subject
//! leaves governance.

use serde_json::Value;

use super::*;
use crate::domain::outcome::{Action, Read};
use crate::domain::policy::Mode;
use crate::domain::ports::Versions;
use crate::domain::preferences::RunAs;

const NOW: i64 = 1_790_000_000_000;
const DAY: i64 = 24 * 3600 * 1000;

fn place(ou_path: Option<&'static str>) -> Place<'static> {
    Place {
        partition: "aws",
        account: "111122223333",
        ou_path,
        runbook: "",
    }
}

fn run_as(enabled: bool, user: &str) -> RunAs {
    RunAs {
        enabled: Some(Value::Bool(enabled)),
        user: Some(Value::String(user.into())),
    }
}

fn versions(v: &str) -> Option<Versions> {
    Some(Versions {
        default: v.into(),
        latest: v.into(),
    })
}

fn audit(before: RunAs) -> RegionOutcome {
    RegionOutcome {
        before: Some(before),
        versions_before: versions("3"),
        mode: Some(Mode::Audit),
        ..RegionOutcome::skipped("eu-west-1", Action::WouldChange, None)
    }
}

fn one(o: &RegionOutcome, status: Status, marks: &Marks, now: i64) -> Vec<Send> {
    decide(
        place(Some("Root/Workloads")),
        &Slot {
            outcome: o,
            status,
            user: "ops",
            marks,
            editor: None,
        },
        now,
    )
}

fn nonblank(f: &Finding) -> bool {
    let all = [&f.title, &f.description]
        .into_iter()
        .chain(f.details.values());
    all.into_iter().all(|v| !v.trim().is_empty())
}

#[test]
fn a_blank_value_is_said_as_what_it_is_never_sent_blank() {
    let cases = [
        ("AWS's default document", "", "(empty)"),
        ("spaces", "   ", "(blank)"),
        ("a tab", "\t", "(blank)"),
        ("a user", "root", "root"),
    ];
    for (what, user, said) in cases {
        let out = one(
            &audit(run_as(false, user)),
            Status::Noncompliant,
            &Marks::new(),
            NOW,
        );
        let f = &out[0].finding;
        assert_eq!(f.details["run_as_default_user"], said, "{what}");
        assert!(nonblank(f), "{what}: {f:?}");
    }
    // An OU path that is blank is left out; a editor that is blank is unnamed.
    let out = decide(
        place(Some(" ")),
        &Slot {
            outcome: &audit(run_as(false, "")),
            status: Status::Noncompliant,
            user: "ops",
            marks: &Marks::new(),
            editor: None,
        },
        NOW,
    );
    assert!(!out[0].finding.details.contains_key("ou_path"));
    let o = RegionOutcome {
        version_after: Some("4".into()),
        ..audit(run_as(false, ""))
    };
    let o = RegionOutcome {
        action: Action::Updated,
        ..o
    };
    let out = decide(
        place(None),
        &Slot {
            outcome: &o,
            status: Status::Reverted,
            user: "ops",
            marks: &Marks::new(),
            editor: Some("  "),
        },
        NOW,
    );
    let edit = out.iter().find(|s| s.finding.check == Check::Edit).unwrap();
    assert_eq!(edit.finding.details["editor"], "an editor not yet named");
    assert!(out.iter().all(|s| nonblank(&s.finding)));
    assert_eq!(asff_string("", 10), EMPTY);
    assert_eq!(asff_string(" \n", 10), BLANK);
    assert_eq!(asff_string("abcd", 3), "ab…");
}

#[test]
fn a_failed_write_carries_what_the_run_read_and_a_failure_before_any_read_says_so() {
    let failed = |read: Option<Read>| RegionOutcome {
        error_code: Some("AccessDeniedException".into()),
        read,
        mode: Some(Mode::Enforce),
        ..RegionOutcome::skipped("eu-west-1", Action::Failed, None)
    };
    let read = Read {
        run_as: Some(run_as(false, "")),
        versions: versions("7"),
    };
    let out = one(&failed(Some(read)), Status::Failed, &Marks::new(), NOW);
    let f = &out[0].finding;
    assert_eq!(
        (f.compliance, f.severity),
        (Compliance::Failed, Label::High)
    );
    let d = &f.details;
    assert_eq!(
        (
            d["run_as_enabled"].as_str(),
            d["run_as_default_user"].as_str(),
            d["default_version"].as_str(),
            d["error_code"].as_str()
        ),
        ("false", "(empty)", "7", "AccessDeniedException")
    );
    assert!(
        f.description.starts_with("Run As is off/-,"),
        "{}",
        f.description
    );
    // Read as right, the write failing elsewhere: no finding of Run As.
    let right = Read {
        run_as: Some(run_as(true, "ops")),
        versions: versions("7"),
    };
    assert!(one(&failed(Some(right)), Status::Failed, &Marks::new(), NOW).is_empty());
    // Read as absent: said so; nothing read at all: said so too.
    let absent = Read {
        run_as: None,
        versions: None,
    };
    let out = one(&failed(Some(absent)), Status::Failed, &Marks::new(), NOW);
    assert_eq!(out[0].finding.details["document"], "absent");
    let out = one(&failed(None), Status::Failed, &Marks::new(), NOW);
    assert_eq!(out[0].finding.details["document"], "not read");
    assert!(out[0].finding.description.starts_with("Run As is not read"));
}

#[test]
fn a_resolved_finding_carries_what_made_it_right() {
    let wrong = audit(run_as(false, "root"));
    let first = one(&wrong, Status::Noncompliant, &Marks::new(), NOW);
    let marks: Marks = [("run-as".to_string(), first[0].sent.clone().unwrap())].into();
    let fixed = RegionOutcome {
        action: Action::Updated,
        after: Some(run_as(true, "ops")),
        version_after: Some("4".into()),
        ..wrong
    };
    let out = one(&fixed, Status::Remediated, &marks, NOW + 1);
    let d = &out[0].finding.details;
    assert_eq!(out[0].finding.compliance, Compliance::Passed);
    assert_eq!(
        (
            d["run_as_enabled"].as_str(),
            d["run_as_default_user"].as_str(),
            d["default_version"].as_str(),
            d["latest_version"].as_str()
        ),
        ("true", "ops", "4", "4")
    );
}

#[test]
fn the_title_names_no_account_name_so_every_path_sends_the_same() {
    let out = one(
        &audit(run_as(false, "root")),
        Status::Noncompliant,
        &Marks::new(),
        NOW,
    );
    assert_eq!(
        out[0].finding.title,
        "Session Manager Run As out of policy in account 111122223333 eu-west-1"
    );
}

#[test]
fn an_unchanged_failed_finding_is_sent_again_once_a_period_and_a_resolved_one_never() {
    let wrong = audit(run_as(false, "root"));
    let first = one(&wrong, Status::Noncompliant, &Marks::new(), NOW);
    let sent = first[0].sent.clone().unwrap();
    let marks: Marks = [("run-as".to_string(), sent.clone())].into();
    // Between refreshes: quiet.
    assert!(one(&wrong, Status::Noncompliant, &marks, NOW + REFRESH_MS - 1).is_empty());
    // At the period: the same finding again, a new UpdatedAt, once.
    let again = one(&wrong, Status::Noncompliant, &marks, NOW + REFRESH_MS);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].finding.id, first[0].finding.id);
    assert_eq!(again[0].finding.created_at, first[0].finding.created_at);
    let renewed = again[0].sent.clone().unwrap();
    assert_eq!(renewed.updated_ms, NOW + REFRESH_MS);
    let marks: Marks = [("run-as".to_string(), renewed)].into();
    assert!(one(&wrong, Status::Noncompliant, &marks, NOW + REFRESH_MS + DAY).is_empty());
    // Well inside Security Hub CSPM's 90 days.
    const { assert!(REFRESH_MS * 2 < 90 * DAY) };
    // A passed one is coverage: kept alive the same way.
    let right = RegionOutcome {
        action: Action::None,
        ..audit(run_as(true, "ops"))
    };
    let baseline = one(&right, Status::Compliant, &Marks::new(), NOW);
    assert_eq!(
        (baseline[0].finding.compliance, baseline[0].finding.archived),
        (Compliance::Passed, false)
    );
    let marks: Marks = [("run-as".to_string(), baseline[0].sent.clone().unwrap())].into();
    assert!(one(&right, Status::Compliant, &marks, NOW + REFRESH_MS - 1).is_empty());
    let again = one(&right, Status::Compliant, &marks, NOW + REFRESH_MS);
    assert_eq!(again.len(), 1);
    assert_eq!(
        again[0].finding.details[VERIFIED_AT],
        clock::iso(clock::from_millis(NOW + REFRESH_MS))
    );
}

#[test]
fn a_finding_whose_subject_left_governance_is_archived_once_saying_why() {
    let first = one(
        &audit(run_as(false, "root")),
        Status::Noncompliant,
        &Marks::new(),
        NOW,
    );
    let open_marks: Marks = [("run-as".to_string(), first[0].sent.clone().unwrap())].into();
    assert!(open(&open_marks));
    let why = "in an exempt OU ([exempt] ous)";
    let out = retire(place(None), "eu-west-1", &open_marks, why, NOW + DAY);
    assert_eq!(out.len(), 1);
    let f = &out[0].finding;
    assert_eq!(f.id, first[0].finding.id, "the same finding");
    assert_eq!((f.compliance, f.archived), (Compliance::NotAvailable, true));
    assert_eq!(f.details["no_longer_checked"], why);
    assert!(f.description.contains(why), "{}", f.description);
    assert!(f.updated_at > first[0].finding.updated_at);
    // Once: what it leaves is not open.
    let after: Marks = [("run-as".to_string(), out[0].sent.clone().unwrap())].into();
    assert!(!open(&after));
    assert!(retire(place(None), "eu-west-1", &after, why, NOW + 2 * DAY).is_empty());
    // Nothing to archive: archived already, never taken (hub off), none.
    let mut off = open_marks.clone();
    off.get_mut("run-as").unwrap().hub_off = true;
    for marks in [off, after.clone(), Marks::new()] {
        assert!(!open(&marks));
        assert!(retire(place(None), "eu-west-1", &marks, why, NOW).is_empty());
    }
    // A [[document]]'s slot names its document, as its first send did.
    let out = retire(
        place(None),
        "eu-west-1#DOCUMENT#SSMRunAs-Admin",
        &open_marks,
        why,
        NOW,
    );
    assert_eq!(
        out[0].finding.id,
        "runas-guard/111122223333/eu-west-1/SSMRunAs-Admin/run-as"
    );
    // Governed again and right: covered again, the same finding active.
    let right = RegionOutcome {
        action: Action::None,
        ..audit(run_as(true, "ops"))
    };
    let back = one(&right, Status::Compliant, &after, NOW + 3 * DAY);
    assert_eq!(
        (back[0].finding.compliance, back[0].finding.archived),
        (Compliance::Passed, false)
    );
    assert_eq!(back[0].finding.id, first[0].finding.id);
}

#[test]
fn a_passed_finding_is_coverage_and_is_archived_too_when_its_subject_leaves() {
    let why = "in an exempt OU ([exempt] ous)";
    let first = one(
        &audit(run_as(false, "root")),
        Status::Noncompliant,
        &Marks::new(),
        NOW,
    );
    // A pass is coverage, active: archived too, saying it was in policy.
    let passed: Marks = [(
        "run-as".to_string(),
        Sent {
            compliance: Compliance::Passed,
            ..first[0].sent.clone().unwrap()
        },
    )]
    .into();
    assert!(open(&passed));
    let out = retire(place(None), "eu-west-1", &passed, why, NOW + DAY);
    assert_eq!(out[0].finding.compliance, Compliance::NotAvailable);
    assert!(out[0].finding.description.contains("in policy"));
}
