//! The read-back of the check findings (`run-as`, `readiness`) against a
//! forged `UpdatedAt`: hostile times (far future, unparsable, exactly now,
//! at the skew's edge, far past), the successor the mark moves to, and
//! what the slot sends from then on.

use super::tests::{decide_for, nodes, row, run_as, NOW};
use super::tests_tamper::{held, later, one, sent_failed};
use super::*;
use crate::domain::outcome::Action;

fn iso(ms: i64) -> String {
    clock::iso(clock::from_millis(ms))
}

/// The audit row's failed Run As finding read back `PASSED` at `updated_at`.
fn flipped(f: &Finding, updated_at: &str) -> Held {
    Held {
        compliance: Some("PASSED".into()),
        updated_at: updated_at.into(),
        ..held(f)
    }
}

fn told(v: &Verdict) -> &Tampered {
    match v {
        Verdict::Tampered(t) => t,
        other => panic!("not told: {other:?}"),
    }
}

#[test]
fn a_forged_updated_at_is_told_not_in_place_and_names_the_successor() {
    let (f, marks) = sent_failed();
    let e = one(&marks);
    let successor = format!("{}{SUCCESSOR}", f.id);
    let now = later();
    // (UpdatedAt found, put back in place, why)
    let cases: &[(String, bool, &str)] = &[
        ("2099-12-31T23:59:59Z".into(), false, "far future"),
        (
            "9999-12-31T23:59:59.999Z".into(),
            false,
            "the last time ASFF writes",
        ),
        (iso(now + SKEW_MS + 1), false, "just past the skew"),
        (iso(now + SKEW_MS), true, "within the clocks' skew"),
        (iso(now), true, "exactly now"),
        ("1970-01-01T00:00:00Z".into(), true, "far past"),
        (String::new(), false, "empty"),
        ("yesterday".into(), false, "not a time"),
        ("2026-13-45T99:00:00Z".into(), false, "no such day"),
        ("2026-11-28T10:00:00+00:00".into(), false, "not UTC as sent"),
    ];
    for (at, in_place, why) in cases {
        let v = judge(&e, &[flipped(&f, at)], now);
        let t = told(&v);
        assert_eq!(t.id, f.id, "{why}");
        assert_eq!(&t.updated_at, at, "{why}");
        assert_eq!(t.not_in_place.is_none(), *in_place, "{why}: {t:?}");
        let forged_line = t.changed.iter().any(|c| c.starts_with("UpdatedAt"));
        assert_eq!(forged_line, !in_place, "{why}: {:?}", t.changed);
        assert!(
            t.changed
                .contains(&"Compliance.Status FAILED -> PASSED".into()),
            "{why}"
        );
        let want = (!in_place).then(|| successor.clone());
        assert_eq!(t.successor, want, "{why}");
        assert_eq!(t.sent_as(), want.as_deref().unwrap_or(&f.id), "{why}");
        if let Some(told_why) = &t.not_in_place {
            assert!(told_why.contains(at.as_str()), "{why}: {told_why}");
        }
    }
}

#[test]
fn only_a_forged_updated_at_is_still_told_and_a_far_past_one_as_sent_is_kept() {
    let (f, marks) = sent_failed();
    let e = one(&marks);
    let mut h = held(&f);
    h.updated_at = "2099-12-31T23:59:59Z".into();
    let v = judge(&e, &[h], later());
    // As sent, but no update of the guard's can land on it any more.
    assert_eq!(
        told(&v).changed,
        ["UpdatedAt 2099-12-31T23:59:59Z (later than any update runas-guard can make)"]
    );
    let mut h = held(&f);
    h.updated_at = "1970-01-01T00:00:00Z".into();
    assert_eq!(judge(&e, &[h], later()), Verdict::Kept);
}

#[test]
fn past_a_forged_updated_at_the_guards_finding_goes_under_the_successor_from_then_on() {
    let (f, marks) = sent_failed();
    let e = one(&marks);
    let forged_at = "2099-12-31T23:59:59Z";
    let forged = flipped(&f, forged_at);
    let v = judge(&e, std::slice::from_ref(&forged), later());
    let mut due = marks.clone();
    resend(&mut due, &e, &v, later());
    assert_eq!(due["run-as"].moved, 1);
    let o = row(Action::WouldChange, Some(run_as("root")));
    let sends = decide_for(&o, Status::Noncompliant, &due, None);
    assert_eq!(sends.len(), 1);
    let s = &sends[0];
    let successor = format!("{}{SUCCESSOR}", f.id);
    assert_eq!(s.finding.id, successor);
    assert_eq!(s.finding.compliance, Compliance::Failed);
    assert_eq!(s.finding.title, f.title, "the guard's finding, as sent");
    assert_eq!(s.finding.details["replaces"], f.id, "says what it replaces");
    assert!(s.finding.details["replaced_because"].contains("UpdatedAt"));
    // From the guard's clock, never the forger's.
    assert!(s.finding.updated_at.as_str() < forged_at, "{s:?}");
    let kept: Marks = [("run-as".to_string(), s.sent.clone().unwrap())].into();
    assert_eq!(kept["run-as"].moved, 1, "the row keeps where it went");

    // The next sweep reads the successor back: as sent, quiet; the forged
    // one beside it is not the slot's any more.
    let next = one(&kept);
    assert_eq!(next.id, successor);
    let both = [forged.clone(), held(&s.finding)];
    assert_eq!(judge(&next, &both, later()), Verdict::Kept);
    // Unchanged and not due: nothing sent.
    assert!(decide_for(&o, Status::Noncompliant, &kept, None).is_empty());

    // The document put right: the successor turns PASSED, the forged one
    // is left alone.
    let right = row(Action::None, Some(run_as("ops")));
    let sends = decide_for(&right, Status::Compliant, &kept, None);
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].finding.id, successor);
    assert_eq!(sends[0].finding.compliance, Compliance::Passed);

    // A successor changed in place is put back in place.
    let mut h = held(&s.finding);
    h.compliance = Some("PASSED".into());
    h.updated_at = iso(later() - 1_000);
    let v = judge(&next, &[forged.clone(), h], later());
    assert_eq!(told(&v).id, successor);
    assert_eq!(told(&v).not_in_place, None);
    // One forged too moves one step on, and no further.
    let v = judge(&next, &[forged, flipped(&s.finding, forged_at)], later());
    assert_eq!(told(&v).successor, Some(format!("{successor}{SUCCESSOR}")));
}

#[test]
fn a_successor_already_held_is_not_told_again_and_the_mark_moves_to_it() {
    let (f, marks) = sent_failed();
    let e = one(&marks);
    let mut successor = held(&f);
    successor.id = format!("{}{SUCCESSOR}", f.id);
    let all = [flipped(&f, "2099-12-31T23:59:59Z"), successor];
    let v = judge(&e, &all, later());
    assert_eq!(v, Verdict::Superseded);
    let mut due = marks.clone();
    resend(&mut due, &e, &v, later());
    assert_eq!((due["run-as"].moved, due["run-as"].hub_off), (1, true));
    // A successor beside an original as sent is nothing: the original is kept.
    let mut h = held(&f);
    h.updated_at = iso(later());
    let beside = [h, all[1].clone()];
    assert_eq!(judge(&e, &beside, later()), Verdict::Kept);
}

#[test]
fn where_no_successor_fits_asffs_id_limit_it_is_told_and_nothing_is_sent() {
    let (f, mut marks) = sent_failed();
    // As many steps as fit 512 characters.
    let steps = (512 - f.id.len()) / SUCCESSOR.len();
    marks.get_mut("run-as").unwrap().moved = steps as u8;
    let e = one(&marks);
    assert!(e.id.len() <= 512 && e.id.len() + SUCCESSOR.len() > 512);
    let mut h = held(&f);
    h.id = e.id.clone();
    h.updated_at = "2099-12-31T23:59:59Z".into();
    let v = judge(&e, &[h], later());
    let t = told(&v);
    assert!(t.not_in_place.is_some() && t.successor.is_none(), "{t:?}");
    let mut due = marks.clone();
    resend(&mut due, &e, &v, later());
    assert_eq!(due, marks, "nowhere to send it: the mark stays");
}

#[test]
fn a_moved_mark_is_kept_small_and_read_as_before_when_absent() {
    let (_, marks) = sent_failed();
    let plain = marks_to_json(&marks);
    assert!(!plain.contains("\"r\""), "{plain}");
    let mut moved = marks.clone();
    moved.get_mut("run-as").unwrap().moved = 2;
    let text = marks_to_json(&moved);
    assert!(text.contains("\"r\":2"), "{text}");
    assert_eq!(marks_from_json(&text), moved);
    assert_eq!(marks_from_json(&plain)["run-as"].moved, 0);
}

#[test]
fn the_readiness_finding_and_an_archive_go_under_the_successor_too() {
    let (f, mut marks) = sent_failed();
    marks.get_mut("run-as").unwrap().moved = 1;
    let out = retire(
        tests::place(),
        "eu-west-1",
        &marks,
        "exempt by policy",
        NOW + 1,
    );
    assert_eq!(out[0].finding.id, format!("{}{SUCCESSOR}", f.id));
    assert_eq!(out[0].sent.as_ref().unwrap().moved, 1);

    let first = decide_for(&nodes(2), Status::Compliant, &Marks::new(), None);
    let mut marks: Marks = [("readiness".to_string(), first[0].sent.clone().unwrap())].into();
    let e = one(&marks);
    let mut h = held(&first[0].finding);
    h.record_state = Some("ARCHIVED".into());
    h.updated_at = "2099-12-31T23:59:59Z".into();
    let v = judge(&e, &[h], later());
    resend(&mut marks, &e, &v, later());
    let again = decide_for(&nodes(2), Status::Compliant, &marks, None);
    let successor = format!("{}{SUCCESSOR}", first[0].finding.id);
    assert_eq!(again[0].finding.id, successor);
    let kept: Marks = [("readiness".to_string(), again[0].sent.clone().unwrap())].into();
    // Resolved later: the successor is archived PASSED.
    let resolved = decide_for(&nodes(0), Status::Compliant, &kept, None);
    assert_eq!(resolved[0].finding.id, successor);
    assert_eq!(
        (resolved[0].finding.compliance, resolved[0].finding.archived),
        (Compliance::Passed, true)
    );
}
