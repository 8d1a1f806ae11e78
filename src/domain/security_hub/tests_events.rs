//! Security events as findings (an edit put back, a window set back before
//! any run looked) and what every finding carries for a security team: its
//! types, the controls it evidences, the remediation and its link, and
//! which runas-guard sent it.

use super::*;
use crate::domain::outcome::{Action, Change};
use crate::domain::policy::Mode;
use crate::domain::preferences::RunAs;
use crate::domain::version_gap::{History, Window};

use super::tests::{row_in, run_as, NOW};

fn place() -> Place<'static> {
    Place {
        partition: "aws",
        account: "111122223333",
        ou_path: Some("Root/Workloads"),
        runbook: "https://wiki.example.com/runas-guard/README.md",
    }
}

fn row(action: Action, before: Option<RunAs>) -> RegionOutcome {
    row_in(Mode::Enforce, action, before)
}

fn decide_for(o: &RegionOutcome, status: Status, marks: &Marks, editor: Option<&str>) -> Vec<Send> {
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

fn kinds(sends: &[Send]) -> Vec<(Check, Compliance, bool)> {
    sends
        .iter()
        .map(|s| (s.finding.check, s.finding.compliance, s.finding.archived))
        .collect()
}

#[test]
fn a_reverted_edit_is_its_own_finding_naming_the_editor_active_until_the_team_resolves_it() {
    let o = row(Action::Updated, Some(run_as("root")));
    let editor = "arn:aws:sts::111122223333:assumed-role/Admin/mallory";
    let out = decide_for(&o, Status::Reverted, &Marks::new(), Some(editor));
    // Never a closed window imported as PASSED/ARCHIVED.
    assert_eq!(
        kinds(&out),
        [
            (Check::RunAs, Compliance::Passed, false),
            (Check::Edit, Compliance::Failed, false)
        ]
    );
    let f = &out[1].finding;
    assert!(
        f.title.contains(editor) && f.title.contains("set to on/root"),
        "{}",
        f.title
    );
    assert_eq!(f.severity, Label::Critical, "root");
    let admin = row(Action::Updated, Some(run_as("admin")));
    let other = decide_for(&admin, Status::Reverted, &Marks::new(), Some(editor));
    assert_eq!(other[1].finding.severity, Label::High, "not root");
    assert_eq!(f.details["editor"], editor);
    assert_eq!(f.details["default_version"], "3");
    assert_eq!(f.details["put_back_version"], "4");
    assert_eq!(
        f.id,
        "runas-guard/111122223333/eu-west-1/SSM-SessionManagerRunShell/edit/3"
    );
    assert!(out[1].sent.is_none(), "told once: nothing kept");
    // Unnamed, it says so rather than nothing.
    let out = decide_for(&o, Status::Reverted, &Marks::new(), None);
    assert_eq!(out[1].finding.details["editor"], "an editor not yet named");
    // A sweep that puts back what the table last recorded right undid an
    // edit too; a first look's write, or the policy's change, did not.
    let found = |change| RegionOutcome {
        change,
        ..row(Action::Updated, Some(run_as("root")))
    };
    let policy = Change::Policy {
        from_user: Some("x".into()),
        to_user: "ops".into(),
        from_mode: None,
        to_mode: None,
    };
    for (change, want) in [(Some(Change::Document), 1), (None, 0), (Some(policy), 0)] {
        let out = decide_for(
            &found(change.clone()),
            Status::Remediated,
            &Marks::new(),
            None,
        );
        let edits = out.iter().filter(|s| s.finding.check == Check::Edit);
        assert_eq!(edits.count(), want, "{change:?}");
    }
}

#[test]
fn a_window_set_back_before_any_run_looked_is_a_finding_with_its_spans_and_editor() {
    let window = |version: &str, user: &str| Window {
        version: version.into(),
        run_as: run_as(user),
        created: None,
        from: Some("2026-11-28T10:00:00Z".into()),
        until_known: None,
        until_at_most: Some("2026-11-28T10:05:00Z".into()),
    };
    let cases = [
        ("root", vec![window("4", "root")], Label::Critical),
        (
            "root among others",
            vec![window("4", "admin"), window("5", "root")],
            Label::Critical,
        ),
        ("another user", vec![window("4", "admin")], Label::High),
    ];
    let editor = "arn:aws:iam::111122223333:role/Breakglass";
    for (what, windows, severity) in cases {
        let o = RegionOutcome {
            before: Some(run_as("ops")),
            history: Some(History {
                windows,
                ..History::default()
            }),
            ..row(Action::None, Some(run_as("ops")))
        };
        let out = decide_for(&o, Status::Compliant, &Marks::new(), Some(editor));
        let w: Vec<_> = out
            .iter()
            .filter(|s| s.finding.check == Check::Window)
            .collect();
        assert_eq!(w.len(), 1, "{what}");
        let f = &w[0].finding;
        assert_eq!(
            (f.compliance, f.archived, f.severity),
            (Compliance::Failed, false, severity),
            "{what}"
        );
        assert_eq!(f.details["editor"], editor);
        assert!(
            f.details["window_version_4"]
                .contains("from 2026-11-28T10:00:00Z until 2026-11-28T10:05:00Z at most"),
            "{what}: {:?}",
            f.details
        );
        assert!(
            f.id.starts_with(
                "runas-guard/111122223333/eu-west-1/SSM-SessionManagerRunShell/window/4-"
            ),
            "{}",
            f.id
        );
        assert!(w[0].sent.is_none(), "told once");
    }
}

#[test]
fn no_window_no_window_finding() {
    let plain = row(Action::None, Some(run_as("ops")));
    let out = decide_for(&plain, Status::Compliant, &Marks::new(), None);
    assert!(out.iter().all(|s| s.finding.check != Check::Window));
}

#[test]
fn every_finding_carries_its_types_controls_remediation_and_sender() {
    let editor = "arn:aws:iam::111122223333:role/Breakglass";
    let o = row(Action::Updated, Some(run_as("root")));
    let out = decide_for(&o, Status::Reverted, &Marks::new(), Some(editor));
    for s in &out {
        let f = &s.finding;
        assert!(!f.types().is_empty());
        for t in f.types() {
            let parts: Vec<&str> = t.split('/').collect();
            assert!(
                (1..=3).contains(&parts.len()) && parts.iter().all(|p| !p.trim().is_empty()),
                "{t}"
            );
        }
        assert!(f.check.requirements().contains(&LEAST_PRIVILEGE));
        assert!(f.check.requirements().contains(&ACCOUNT_MANAGEMENT));
        assert!(!f.check.remediation().trim().is_empty());
        assert_eq!(
            f.runbook,
            "https://wiki.example.com/runas-guard/docs/operate.md#what-each-finding-means"
        );
        let fields: BTreeMap<_, _> = f.product_fields().into_iter().collect();
        assert_eq!(fields[FIELD_VERSION], env!("CARGO_PKG_VERSION"));
        assert_eq!(fields[FIELD_FACT], f.id);
        assert!(fields.values().all(|v| !v.trim().is_empty()));
    }
    let edit = out.iter().find(|s| s.finding.check == Check::Edit).unwrap();
    assert!(edit
        .finding
        .types()
        .iter()
        .any(|t| t.starts_with("TTPs/Privilege Escalation")));
    assert!(edit
        .finding
        .types()
        .iter()
        .any(|t| t.starts_with("Unusual Behaviors/User")));
    // Without a runbook base, the relative docs/operate.md section.
    let f = finding(
        Place {
            runbook: " ",
            ..place()
        },
        &o,
        Check::Readiness,
        ("t".into(), "d".into()),
        BTreeMap::new(),
        NOW,
    );
    assert_eq!(
        f.runbook,
        "docs/operate.md#security-hub-cspm-findings-security_hub"
    );
}

/// Each check's remediation link lands on a section docs/operate.md has
/// (GitHub's anchor of its heading).
#[test]
fn every_checks_runbook_anchor_is_a_section_of_operate_md() {
    let page = include_str!("../../../docs/operate.md");
    let anchors: Vec<String> = page
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| {
            l.trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                .map(|c| if c == ' ' { '-' } else { c })
                .collect()
        })
        .collect();
    for check in [Check::RunAs, Check::Edit, Check::Window, Check::Readiness] {
        assert!(
            anchors.iter().any(|a| a == check.anchor()),
            "{check:?}: #{} is not a heading of docs/operate.md",
            check.anchor()
        );
    }
}
