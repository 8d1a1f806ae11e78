//! An event finding's sessions: which windows it asks (as its alert asks
//! them), and what the finding says of the answer, listed or not read.

use super::sessions::{asked, listed, MAX_NAMED};
use super::*;
use crate::domain::alert::sessions::Told;
use crate::domain::outcome::Action;
use crate::domain::policy::Mode;
use crate::domain::sessions::{Listing, Session, Spans};
use crate::domain::version_gap::{History, Window};

use super::tests::{row_in, run_as, NOW};

const AT: &str = "2026-11-28T12:00:00Z";
const EDITOR: &str = "arn:aws:iam::111122223333:role/Breakglass";

/// 111122223333, no OU path, no runbook base.
pub(super) fn place() -> Place<'static> {
    Place {
        partition: "aws",
        account: "111122223333",
        ou_path: None,
        runbook: "",
    }
}

fn findings(o: &RegionOutcome, status: Status) -> Vec<Send> {
    let marks = Marks::new();
    let slot = Slot {
        outcome: o,
        status,
        user: "ops",
        marks: &marks,
        editor: Some(EDITOR),
    };
    decide(place(), &slot, NOW)
}

fn of(sends: &[Send], check: Check) -> Finding {
    let s = sends.iter().find(|s| s.finding.check == check);
    s.expect("the finding").finding.clone()
}

fn windowed() -> RegionOutcome {
    let w = |version: &str, until_known: Option<&str>, until_at_most: Option<&str>| Window {
        version: version.into(),
        run_as: run_as("root"),
        created: None,
        from: Some(format!("2026-11-28T10:0{version}:00Z")),
        until_known: until_known.map(String::from),
        until_at_most: until_at_most.map(String::from),
    };
    RegionOutcome {
        history: Some(History {
            windows: vec![
                w("4", Some("2026-11-28T10:05:00Z"), None),
                w("6", None, Some("2026-11-28T10:09:00Z")),
                w("8", None, None),
            ],
            ..History::default()
        }),
        ..row_in(Mode::Enforce, Action::None, Some(run_as("ops")))
    }
}

#[test]
fn each_event_finding_asks_its_windows_as_its_alert_would_and_no_other_finding_asks() {
    let o = windowed();
    let sends = findings(&o, Status::Compliant);
    let a = asked(&of(&sends, Check::Window), &o, None, AT).expect("a window asks");
    assert_eq!(
        a.windows,
        [
            (
                Some("2026-11-28T10:04:00Z".into()),
                "2026-11-28T10:05:00Z".into()
            ),
            (
                Some("2026-11-28T10:06:00Z".into()),
                "2026-11-28T10:09:00Z".into()
            ),
            // No end known: until now, the latest it can have been.
            (Some("2026-11-28T10:08:00Z".into()), AT.into()),
        ]
    );
    assert_eq!((a.made, a.region.as_str()), (None, "eu-west-1"));
    let edited = row_in(Mode::Enforce, Action::Updated, Some(run_as("root")));
    let sends = findings(&edited, Status::Reverted);
    let edit = of(&sends, Check::Edit);
    // The edit's event says when: from then to the put-back.
    let from = "2026-11-28T11:00:00Z";
    let a = asked(&edit, &edited, Some(from), AT).unwrap();
    assert_eq!(
        (a.windows, a.made),
        (vec![(Some(from.into()), AT.into())], None)
    );
    // No event (a sweep found it): from the making of the version found.
    let a = asked(&edit, &edited, None, AT).unwrap();
    assert_eq!(
        (a.windows, a.made),
        (vec![(None, AT.into())], Some("3".into()))
    );
    // Coverage asks nothing: it tells no window.
    assert_eq!(asked(&of(&sends, Check::RunAs), &edited, None, AT), None);
}

fn session(n: usize) -> Session {
    Session {
        session_id: format!("mallory-{n:03}"),
        owner: "arn:aws:sts::111122223333:assumed-role/Admin/mallory".into(),
        target: "i-0123456789abcdef0".into(),
        started: format!("2026-11-28T10:0{}:30Z", n % 10),
        ended: None,
        status: "Connected".into(),
        document: None,
    }
}

#[test]
fn a_finding_names_its_windows_sessions_counts_the_rest_or_says_why_none_were_read() {
    let spans = Spans::of(&[("2026-11-28T10:00:00Z", "2026-11-28T10:09:00Z")]).unwrap();
    let edited = row_in(Mode::Enforce, Action::Updated, Some(run_as("root")));
    let edit = of(&findings(&edited, Status::Reverted), Check::Edit);
    type Case = (
        &'static str,
        Told,
        &'static [(&'static str, &'static str)],
        &'static [&'static str],
    );
    let cases: [Case; 4] = [
        (
            "none started",
            Told::Listed(spans.clone(), Listing { listed: vec![], more: 0, truncated: false }),
            &[("sessions_count", "0"), ("sessions_from", "2026-11-28T10:00:00.000Z")],
            &["session_1", "sessions_unread"],
        ),
        (
            "one",
            Told::Listed(spans.clone(), Listing { listed: vec![session(1)], more: 0, truncated: false }),
            &[
                ("sessions_count", "1"),
                ("session_1", "2026-11-28T10:01:30Z by arn:aws:sts::111122223333:assumed-role/Admin/mallory on i-0123456789abcdef0 (Connected, mallory-001)"),
            ],
            &["session_2", "sessions_unread"],
        ),
        (
            "more than named, more than read",
            Told::Listed(spans.clone(), Listing { listed: (0..30).map(session).collect(), more: 5, truncated: true }),
            &[("sessions_count", "35 or more")],
            &["session_21"],
        ),
        (
            "refused",
            Told::Unread("AccessDeniedException".into()),
            &[("sessions_unread", "AccessDeniedException")],
            &["sessions_count", "session_1"],
        ),
    ];
    for (what, told, has, lacks) in cases {
        let f = listed(edit.clone(), &told);
        for (k, v) in has {
            assert_eq!(
                f.details.get(*k).map(String::as_str),
                Some(*v),
                "{what}: {k}"
            );
        }
        for k in lacks {
            assert!(
                !f.details.contains_key(*k),
                "{what}: {k} in {:?}",
                f.details
            );
        }
        assert!(f
            .details
            .values()
            .all(|v| v.chars().count() <= MAX_DETAIL && !v.trim().is_empty()));
        // What the finding is stays as decided: still the team's to triage.
        assert_eq!(
            (f.id.as_str(), f.compliance, f.severity),
            (edit.id.as_str(), Compliance::Failed, Label::Critical)
        );
    }
    let many = listed(
        edit,
        &Told::Listed(
            spans,
            Listing {
                listed: (0..30).map(session).collect(),
                more: 0,
                truncated: false,
            },
        ),
    );
    assert_eq!(
        many.details
            .keys()
            .filter(|k| k.starts_with("session_"))
            .count(),
        MAX_NAMED
    );
}
