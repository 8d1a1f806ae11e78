//! The read-back of event findings, judged from their identity: hostile
//! inputs (missing fields, unknown kinds, forged Ids, a forged far-future
//! `UpdatedAt`) and the security team's own fields.

use std::collections::{BTreeMap, BTreeSet};

use super::*;

const ACCOUNT: &str = "111122223333";
const REGION: &str = "eu-west-1";
const NOW: &str = "2026-11-28T12:00:00.000Z";

fn now() -> i64 {
    clock::parse_iso(NOW).unwrap()
}

fn place() -> Place<'static> {
    Place {
        partition: "aws",
        account: ACCOUNT,
        ou_path: None,
        runbook: "https://example.com/README.md",
    }
}

fn edit_id() -> String {
    format!("runas-guard/{ACCOUNT}/{REGION}/SSM-SessionManagerRunShell/edit/7")
}

/// An `edit` finding of a root Run As, as the guard sends it.
fn sent_edit() -> Held {
    let mut details = BTreeMap::new();
    details.insert("run_as_default_user".into(), "root".into());
    details.insert("editor".into(), "arn:aws:iam::111122223333:role/x".into());
    Held {
        id: edit_id(),
        compliance: Some("FAILED".into()),
        severity: Some("CRITICAL".into()),
        record_state: Some("ACTIVE".into()),
        title: "Session Manager Run As set to on/root".into(),
        description: "put back".into(),
        types: Check::Edit.types().iter().map(|t| t.to_string()).collect(),
        details,
        updated_at: "2026-11-28T11:00:00Z".into(),
        created_at: "2026-11-28T11:00:00Z".into(),
        generator_id: "runas-guard/edit".into(),
        resource_id: format!("arn:aws:ssm:{REGION}:{ACCOUNT}:document/SSM-SessionManagerRunShell"),
    }
}

fn judged(h: &Held) -> EventVerdict {
    let ids = BTreeSet::from([h.id.as_str()]);
    judge_event(place(), REGION, h, &ids, now())
}

fn told(v: EventVerdict) -> (Tampered, Option<Finding>) {
    match v {
        EventVerdict::Tampered { told, restore } => (*told, restore.map(|f| *f)),
        other => panic!("not told: {other:?}"),
    }
}

#[test]
fn the_kind_comes_from_the_id_alone() {
    let base = format!("runas-guard/{ACCOUNT}/{REGION}");
    let cases: &[(&str, Option<Check>)] = &[
        ("SSM-SessionManagerRunShell/edit/7", Some(Check::Edit)),
        ("SSM-SessionManagerRunShell/window/3-5", Some(Check::Window)),
        ("bypass/0123456789abcdef", Some(Check::Bypass)),
        ("tamper-repeated/0123", Some(Check::TamperRepeated)),
        ("drift-detected/0123", Some(Check::DriftDetected)),
        ("override/0123", Some(Check::Override)),
        (
            "identity-center-drift/0123",
            Some(Check::IdentityCenterDrift),
        ),
        ("bypass/0123/restored", Some(Check::Bypass)),
        ("Doc/edit/7/restored/restored", Some(Check::Edit)),
        // A check's finding: judged against its mark, not here.
        ("SSM-SessionManagerRunShell/run-as", None),
        ("bypass/run-as", None),
        ("SSM-SessionManagerRunShell/readiness", None),
        // Unknown kinds and forged shapes.
        ("something/0123", None),
        ("Doc/edit", None),
        ("Doc/edit/7/extra", None),
        ("bypass//", None),
        ("/edit/7", None),
        ("", None),
    ];
    for (rest, want) in cases {
        let id = format!("{base}/{rest}");
        assert_eq!(event_kind(ACCOUNT, REGION, &id), *want, "{id}");
    }
    // Another account's or region's Id is not this read-back's.
    let other = format!("runas-guard/999988887777/{REGION}/bypass/0123");
    assert_eq!(event_kind(ACCOUNT, REGION, &other), None);
    let elsewhere = format!("runas-guard/{ACCOUNT}/us-east-1/bypass/0123");
    assert_eq!(event_kind(ACCOUNT, REGION, &elsewhere), None);
    assert_eq!(event_kind(ACCOUNT, REGION, "not-ours/edit/7"), None);
}

#[test]
fn as_the_guard_sends_it_is_kept_and_the_teams_fields_are_not_compared() {
    assert_eq!(judged(&sent_edit()), EventVerdict::Kept);
    // A higher severity than deserved is nobody hiding anything.
    let mut h = sent_edit();
    h.details
        .insert("run_as_default_user".into(), "alice".into());
    assert_eq!(
        judged(&h),
        EventVerdict::Kept,
        "HIGH deserved, CRITICAL held"
    );
    // Held carries the provider's values only: the team's BatchUpdateFindings
    // (Workflow, Note, top-level Severity) never reaches the judge.
}

#[test]
fn each_field_a_forger_flips_is_told_and_put_back_as_sent() {
    type Flip = fn(&mut Held);
    let cases: &[(&str, Flip, &str)] = &[
        (
            "passed",
            |h| h.compliance = Some("PASSED".into()),
            "Compliance.Status FAILED -> PASSED",
        ),
        (
            "no compliance",
            |h| h.compliance = None,
            "Compliance.Status FAILED -> (none)",
        ),
        (
            "archived",
            |h| h.record_state = Some("ARCHIVED".into()),
            "RecordState ACTIVE -> ARCHIVED",
        ),
        (
            "low",
            |h| h.severity = Some("LOW".into()),
            "Severity CRITICAL -> LOW",
        ),
        (
            "no severity",
            |h| h.severity = None,
            "Severity CRITICAL -> (none)",
        ),
        (
            "odd severity",
            |h| h.severity = Some("critical".into()),
            "Severity CRITICAL -> critical",
        ),
        (
            "types",
            |h| h.types = vec!["Software and Configuration Checks".into()],
            "Types",
        ),
        ("no types", |h| h.types.clear(), "Types"),
        (
            "generator",
            |h| h.generator_id = "other".into(),
            "GeneratorId runas-guard/edit -> other",
        ),
    ];
    for (name, flip, line) in cases {
        let mut h = sent_edit();
        flip(&mut h);
        let v = judged(&h);
        let (t, restore) = told(v);
        assert!(
            t.changed.iter().any(|c| c == line),
            "{name}: {:?}",
            t.changed
        );
        assert_eq!(
            (t.id.as_str(), t.check.as_str()),
            (edit_id().as_str(), "edit")
        );
        assert_eq!(t.not_in_place, None, "{name}");
        assert_eq!(t.successor, None, "{name}");
        let f = restore.expect("put back in place");
        assert_eq!(f.id, edit_id(), "{name}");
        assert_eq!(
            (f.compliance, f.archived, f.severity),
            (Compliance::Failed, false, Label::Critical),
            "{name}"
        );
        // Later than the held one, so Security Hub CSPM applies it.
        assert_eq!(f.updated_at, NOW, "{name}");
        assert_eq!(f.created_at, h.created_at, "{name}");
        assert_eq!(f.title, h.title, "the words as held: {name}");
        assert_eq!(f.resource, h.resource_id);
        assert!(
            f.runbook.ends_with("#what-each-finding-means"),
            "{}",
            f.runbook
        );
    }
}

#[test]
fn the_severity_each_kind_deserves() {
    let d = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let none = d(&[]);
    let cases: Vec<(Check, BTreeMap<String, String>, Label)> = vec![
        (
            Check::Edit,
            d(&[("run_as_default_user", " root ")]),
            Label::Critical,
        ),
        (
            Check::Edit,
            d(&[("run_as_default_user", "rooted")]),
            Label::High,
        ),
        (Check::Edit, none.clone(), Label::High),
        (
            Check::Window,
            d(&[("window_version_3", "on/root from 1 until 2")]),
            Label::Critical,
        ),
        (
            Check::Window,
            d(&[("window_version_3", "off/- from 1 until 2")]),
            Label::High,
        ),
        (Check::Window, d(&[("editor", "on/root from")]), Label::High),
        (Check::TamperRepeated, none.clone(), Label::Critical),
        (Check::Bypass, none.clone(), Label::Critical),
        (Check::DriftDetected, none.clone(), Label::High),
        (
            Check::DriftDetected,
            d(&[("before", r#"{"runAsDefaultUser":"root"}"#)]),
            Label::Critical,
        ),
        (
            Check::DriftDetected,
            d(&[("before", "not json")]),
            Label::High,
        ),
        (Check::Override, none.clone(), Label::Medium),
        (Check::IdentityCenterDrift, none, Label::Medium),
    ];
    for (check, details, want) in cases {
        assert_eq!(deserved(check, &details), want, "{check:?} {details:?}");
    }
}

#[test]
fn a_forged_far_future_updated_at_is_told_as_not_restorable_and_sent_under_a_successor() {
    let mut h = sent_edit();
    h.compliance = Some("PASSED".into());
    h.updated_at = "2099-01-01T00:00:00Z".into();
    let v = judged(&h);
    let (t, restore) = told(v);
    let why = t.not_in_place.as_deref().expect("not in place");
    assert!(why.contains("2099-01-01T00:00:00Z"), "{why}");
    let successor = format!("{}{SUCCESSOR}", edit_id());
    assert_eq!(t.successor.as_deref(), Some(successor.as_str()));
    let f = restore.unwrap();
    assert_eq!(f.id, successor);
    assert_eq!((f.compliance, f.archived), (Compliance::Failed, false));
    assert_eq!(f.updated_at, NOW, "the successor is new: now is later");
    assert_eq!(f.details["replaces"], edit_id());
    assert!(f.details["replaced_because"].contains("2099"));
    // Found again with its successor beside it: told once, not again.
    let ids = BTreeSet::from([h.id.as_str(), successor.as_str()]);
    let again = judge_event(place(), REGION, &h, &ids, now());
    assert_eq!(again, EventVerdict::Superseded);
    // Only a bumped UpdatedAt, nothing else changed: still not the guard's.
    let mut bumped = sent_edit();
    bumped.updated_at = "2099-01-01T00:00:00Z".into();
    let (t, _) = told(judged(&bumped));
    assert_eq!(t.changed.len(), 1, "{:?}", t.changed);
    // Within the clock skew allowed: the guard's own, put back in place.
    let mut skewed = sent_edit();
    skewed.compliance = Some("PASSED".into());
    skewed.updated_at = clock::iso(clock::from_millis(now() + SKEW_MS));
    let (t, restore) = told(judged(&skewed));
    assert_eq!(t.not_in_place, None);
    let f = restore.unwrap();
    assert_eq!(clock::parse_iso(&f.updated_at), Some(now() + SKEW_MS + 1));
}

#[test]
fn an_updated_at_the_guard_cannot_compare_is_not_restored_in_place() {
    for odd in ["", "2026-11-28T12:00:00+01:00", "yesterday"] {
        let mut h = sent_edit();
        h.record_state = Some("ARCHIVED".into());
        h.updated_at = odd.into();
        let (t, restore) = told(judged(&h));
        assert!(t.not_in_place.is_some(), "{odd:?}");
        assert!(restore.unwrap().id.ends_with(SUCCESSOR), "{odd:?}");
    }
}

#[test]
fn a_successor_id_past_asffs_limit_is_told_with_nothing_sent() {
    let mut h = sent_edit();
    h.id = format!(
        "runas-guard/{ACCOUNT}/{REGION}/bypass/{}",
        "a".repeat(512 - 40)
    );
    h.generator_id = "runas-guard/bypass".into();
    h.types = Check::Bypass
        .types()
        .iter()
        .map(|t| t.to_string())
        .collect();
    h.updated_at = "2099-01-01T00:00:00Z".into();
    let v = judged(&h);
    let (t, restore) = told(v);
    assert!(restore.is_none(), "{restore:?}");
    assert_eq!(t.successor, None);
    assert!(t.not_in_place.is_some());
}

#[test]
fn findings_not_of_an_event_are_left_alone() {
    let mut h = sent_edit();
    for id in [
        format!("runas-guard/{ACCOUNT}/{REGION}/SSM-SessionManagerRunShell/run-as"),
        format!("runas-guard/{ACCOUNT}/us-east-1/bypass/0123"),
        "someone-elses/finding".to_string(),
    ] {
        h.id = id;
        h.compliance = Some("PASSED".into());
        assert_eq!(judged(&h), EventVerdict::NotOurs, "{}", h.id);
    }
    // A page with nothing on it judges nothing: an empty read-back.
    let empty: Vec<Held> = vec![];
    assert!(empty.iter().all(|h| judged(h) == EventVerdict::NotOurs));
}

#[test]
fn a_missing_resource_or_created_at_is_put_back_with_what_asff_requires() {
    let mut h = sent_edit();
    h.compliance = Some("PASSED".into());
    h.resource_id = " ".into();
    h.created_at = String::new();
    h.title = String::new();
    h.details.insert("blank".into(), " ".into());
    let (_, restore) = told(judged(&h));
    let f = restore.unwrap();
    assert_eq!(f.resource, format!("arn:aws:iam::{ACCOUNT}:root"));
    assert_eq!(f.created_at, NOW);
    assert_eq!(f.title, EMPTY);
    assert_eq!(f.details["blank"], BLANK);
}
