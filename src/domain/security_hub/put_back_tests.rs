//! A dead run's put-back, told at a later run's record, as its `edit`
//! finding: the same finding the dead run's row would have made (its `Id`,
//! severity, editor), with the sessions its alert listed; every other alert
//! stays out of this path.

use serde_json::json;

use super::sessions_tests::place;
use super::tests::NOW;
use super::*;
use crate::domain::alert::{Alert, Kind};
use crate::domain::intent::sample_edit;

/// The alert a later run's record tells of the dead run's revert (version
/// 4 put back over version 3, which held `before`).
fn told(before: &str) -> Alert {
    let alerts = sample_edit(before).alerts("4", 0, "2026-11-25T10:30:00.000Z");
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    alerts.into_iter().next().unwrap()
}

/// The `edit` finding the dead run's own row would have made.
fn rows_own(before: &str) -> Finding {
    let o = sample_edit(before).outcome("4");
    let details = seen::run_as_details(&o, read(&o), "ops");
    events::edit(place(), &o, "an editor not yet named", details, NOW).finding
}

#[test]
fn a_dead_runs_put_back_is_the_edit_finding_its_row_would_have_made() {
    // (before, severity)
    let cases = [("root", Label::Critical), ("admin", Label::High)];
    for (before, severity) in cases {
        let alert = told(before);
        assert_eq!(alert.kind, Kind::DriftReverted);
        let sent = put_back(place(), &alert, NOW).expect("an edit finding");
        let f = &sent.finding;
        let own = rows_own(before);
        assert_eq!(f.id, own.id, "{before}: one fact, one finding");
        assert!(f.id.ends_with("/edit/3"), "{}", f.id);
        assert_eq!(f.title, own.title, "{before}");
        assert_eq!(
            (f.check, f.compliance, f.archived, f.severity),
            (Check::Edit, Compliance::Failed, false, severity),
            "{before}"
        );
        assert_eq!(sent.sent, None, "told once: no row keeps it");
        assert_eq!(f.details["alert_id"], alert.alert_id);
        assert_eq!(f.details["run_as_default_user"], before);
        assert_eq!(f.details["put_back_version"], "4");
    }
}

#[test]
fn the_finding_names_the_sessions_its_alert_listed_or_why_they_were_not_read() {
    let mut listed = told("root");
    listed.body["sessions"] = json!([{"started": "2026-11-25T10:20:00.000Z", "owner": "arn:aws:sts::111122223333:assumed-role/Admin/mallory", "target": "i-0abc", "status": "Terminated", "session_id": "mallory-0a1"}]);
    listed.body["sessions_from"] = json!("2026-11-25T10:00:00.000Z");
    listed.body["sessions_until"] = json!("2026-11-25T10:30:00.000Z");
    let mut unread = told("root");
    unread.body["sessions_unread"] = json!("ThrottlingException");
    let d = put_back(place(), &listed, NOW).unwrap().finding.details;
    assert_eq!(d["sessions_count"], "1");
    assert!(d["session_1"].contains("mallory-0a1"), "{d:#?}");
    let d = put_back(place(), &unread, NOW).unwrap().finding.details;
    assert_eq!(d["sessions_unread"], "ThrottlingException");
    assert!(!d.contains_key("sessions_count"), "{d:#?}");
}

#[test]
fn only_a_put_back_about_one_document_is_an_edit_finding_here() {
    let mut no_region = told("root");
    no_region.body["region"] = json!(null);
    let mut tamper = told("root");
    tamper.kind = Kind::TamperRepeated;
    let mut window = told("root");
    window.kind = Kind::RunAsWindow;
    let mut configured = told("root");
    configured.kind = Kind::AccountConfigured;
    for (why, alert) in [
        ("no region to place it", no_region),
        ("tampering: its own finding", tamper),
        ("a window: its own finding", window),
        ("not a security event", configured),
    ] {
        assert_eq!(put_back(place(), &alert, NOW), None, "{why}");
    }
}
