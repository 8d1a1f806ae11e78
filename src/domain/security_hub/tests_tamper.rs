//! Tamper detection, decided in pure code: a finding read back as sent is
//! kept; one someone else changed is told and made due again; one gone is
//! sent again untold; the customer's fields are never in the comparison.

use super::tests::{decide_for, row, run_as};
use super::*;
use crate::domain::outcome::Action;

/// When the read-back judges: after the changes the tests make.
pub(super) fn later() -> i64 {
    clock::parse_iso("2026-11-28T12:00:00.000Z").unwrap()
}

/// The audit row's failed Run As finding, as sent, and its mark.
pub(super) fn sent_failed() -> (Finding, Marks) {
    let o = row(Action::WouldChange, Some(run_as("root")));
    let sends = decide_for(&o, Status::Noncompliant, &Marks::new(), None);
    let s = sends.into_iter().next().expect("a finding");
    let mut marks = Marks::new();
    marks.insert("run-as".into(), s.sent.clone().expect("marked"));
    (s.finding, marks)
}

/// `f` as Security Hub holds it after the guard's import.
pub(super) fn held(f: &Finding) -> Held {
    Held {
        id: f.id.clone(),
        compliance: Some(f.compliance.as_str().into()),
        severity: Some(f.severity.as_str().into()),
        record_state: Some(if f.archived { "ARCHIVED" } else { "ACTIVE" }.into()),
        title: f.title.clone(),
        description: f.description.clone(),
        types: f.types().iter().map(|t| t.to_string()).collect(),
        details: f.details.clone(),
        updated_at: f.updated_at.clone(),
        ..Held::default()
    }
}

pub(super) fn one(marks: &Marks) -> Expected {
    let mut all = expected(
        "111122223333",
        "eu-west-1",
        "SSM-SessionManagerRunShell",
        marks,
    );
    assert_eq!(all.len(), 1);
    all.remove(0)
}

#[test]
fn a_finding_read_back_as_sent_is_kept_whatever_its_refresh_time() {
    let (f, marks) = sent_failed();
    let e = one(&marks);
    assert_eq!(e.id, f.id, "the read-back looks for the id it sent");
    let mut h = held(&f);
    // A later refresh's verification time is not content.
    h.details
        .insert(VERIFIED_AT.into(), "2030-01-01T00:00:00.000Z".into());
    assert_eq!(judge(&e, &[h], later()), Verdict::Kept);
}

#[test]
fn a_flip_to_passed_is_tampering_told_with_what_changed_and_when() {
    let (f, marks) = sent_failed();
    let e = one(&marks);
    let mut h = held(&f);
    h.compliance = Some("PASSED".into());
    h.updated_at = "2026-11-28T10:00:00.000Z".into();
    let Verdict::Tampered(t) = judge(&e, &[h], later()) else {
        panic!("not told");
    };
    assert_eq!(
        t.changed,
        vec!["Compliance.Status FAILED -> PASSED".to_string()]
    );
    assert_eq!(
        (t.id.as_str(), t.region.as_str()),
        (f.id.as_str(), "eu-west-1")
    );
    assert_eq!(t.updated_at, "2026-11-28T10:00:00.000Z");
    assert_eq!(t.check, "run-as");
    // Archived, re-typed, re-worded or downgraded: each is said.
    for (change, said) in [
        (
            (|h: &mut Held| h.record_state = Some("ARCHIVED".into())) as fn(&mut Held),
            "RecordState ACTIVE -> ARCHIVED",
        ),
        (|h: &mut Held| h.types = vec!["Other/Thing".into()], "Types"),
        (
            |h: &mut Held| h.title = "All good".into(),
            "Title, Description, Severity or resource details",
        ),
        (
            |h: &mut Held| h.severity = Some("INFORMATIONAL".into()),
            "Title, Description, Severity or resource details",
        ),
    ] {
        let mut h = held(&f);
        change(&mut h);
        let Verdict::Tampered(t) = judge(&e, &[h], later()) else {
            panic!("{said}: not told");
        };
        assert_eq!(t.changed, vec![said.to_string()]);
    }
}

#[test]
fn a_tampered_finding_is_sent_again_as_sent_with_a_later_updated_at() {
    let (f, marks) = sent_failed();
    let e = one(&marks);
    let o = row(Action::WouldChange, Some(run_as("root")));
    // Unchanged and not due: nothing to send.
    assert!(decide_for(&o, Status::Noncompliant, &marks, None).is_empty());
    let found_at = "2026-11-28T10:00:00.000Z";
    let mut h = held(&f);
    h.compliance = Some("PASSED".into());
    h.updated_at = found_at.into();
    let verdict = judge(&e, &[h], later());
    let mut due = marks.clone();
    resend(&mut due, &e, &verdict, later());
    let sends = decide_for(&o, Status::Noncompliant, &due, None);
    assert_eq!(sends.len(), 1);
    let again = &sends[0];
    assert_eq!(fingerprint(&again.finding), fingerprint(&f), "as sent");
    assert_eq!(again.finding.id, f.id, "in place");
    assert!(again.finding.updated_at.as_str() > found_at);
    let sent = again.sent.as_ref().unwrap();
    assert!(!sent.hub_off, "what the row keeps is a plain mark");
    assert_eq!(sent.key, marks["run-as"].key);
}

#[test]
fn a_finding_gone_is_sent_again_untold_and_one_that_waited_is_not_looked_for() {
    let (_, mut marks) = sent_failed();
    assert_eq!(judge(&one(&marks), &[], later()), Verdict::Missing);
    marks.get_mut("run-as").unwrap().hub_off = true;
    assert!(expected(
        "111122223333",
        "eu-west-1",
        "SSM-SessionManagerRunShell",
        &marks
    )
    .is_empty());
}
