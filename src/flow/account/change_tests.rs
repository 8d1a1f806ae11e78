use serde_json::{json, Value};

use super::*;
use crate::domain::policy::Mode;

fn run_as(enabled: Value, user: &str) -> RunAs {
    RunAs {
        enabled: Some(enabled),
        user: Some(Value::String(user.into())),
    }
}

fn known(status: &str, desired: &str, mode: Option<&str>, seen: Option<(&str, &str)>) -> Known {
    Known {
        status: Some(status.into()),
        desired_user: Some(desired.into()),
        mode: mode.map(str::to_string),
        observed_enabled: seen.map(|s| s.0.to_string()),
        observed_user: seen.map(|s| s.1.to_string()),
        ..Known::default()
    }
}

fn versioned(k: Known, version: &str) -> Known {
    Known {
        default_version: Some(version.into()),
        ..k
    }
}

fn marked(k: Known, mark: &str) -> Known {
    Known {
        drift_seen: Some(mark.into()),
        ..k
    }
}

/// `o` found with `default` as its default version (and the latest).
fn at(o: RegionOutcome, default: &str) -> RegionOutcome {
    RegionOutcome {
        versions_before: Some(crate::domain::ports::Versions {
            default: default.into(),
            latest: default.into(),
        }),
        ..o
    }
}

fn row(action: Action, before: Option<RunAs>, mode: Option<Mode>) -> RegionOutcome {
    RegionOutcome {
        before,
        mode,
        ..RegionOutcome::skipped("eu-west-1", action, None)
    }
}

fn policy(
    from: Option<&str>,
    to: &str,
    from_mode: Option<&str>,
    to_mode: Option<&str>,
) -> Option<Change> {
    Some(Change::Policy {
        from_user: from.map(str::to_string),
        to_user: to.into(),
        from_mode: from_mode.map(str::to_string),
        to_mode: to_mode.map(str::to_string),
    })
}

#[test]
fn a_document_that_moved_under_the_same_policy_is_news_and_nothing_else_is() {
    let e = Some(Mode::Enforce);
    let a = Some(Mode::Audit);
    let right = Some(("true", "app"));
    let cases: Vec<(&str, Option<Known>, RegionOutcome, Option<Change>)> = vec![
        (
            "recorded right, found root and put back: someone's change",
            Some(known("compliant", "app", Some("enforce"), right)),
            row(Action::Updated, Some(run_as(json!(true), "root")), e),
            Some(Change::Document),
        ),
        (
            "a revert's record says right too",
            Some(known("reverted", "app", Some("enforce"), right)),
            row(Action::DefaultSwitched, Some(run_as(json!(true), "x")), e),
            Some(Change::Document),
        ),
        (
            "the document deleted since: created again",
            Some(known("remediated", "app", Some("enforce"), right)),
            row(Action::Created, None, e),
            Some(Change::Document),
        ),
        (
            "never recorded: a first look, not a change",
            None,
            row(Action::Updated, Some(run_as(json!(false), "")), e),
            None,
        ),
        (
            "recorded pending: it observed nothing",
            Some(known("pending", "app", Some("enforce"), None)),
            row(Action::Created, None, e),
            None,
        ),
        (
            "recorded failed: it observed nothing to compare",
            Some(known("failed", "app", Some("enforce"), None)),
            row(Action::Updated, Some(run_as(json!(true), "root")), e),
            None,
        ),
        (
            "recorded failed, keeping v4; v3 the default now, put back: someone's change",
            Some(versioned(
                known("failed", "app", Some("enforce"), None),
                "4",
            )),
            at(
                row(Action::Updated, Some(run_as(json!(true), "root")), e),
                "3",
            ),
            Some(Change::Document),
        ),
        (
            "recorded failed at the version found: nothing moved since",
            Some(versioned(
                known("failed", "app", Some("enforce"), None),
                "3",
            )),
            at(
                row(Action::Updated, Some(run_as(json!(true), "root")), e),
                "3",
            ),
            None,
        ),
        (
            "recorded failed, another version found right: nothing to tell",
            Some(versioned(
                known("failed", "app", Some("enforce"), None),
                "4",
            )),
            at(row(Action::None, Some(run_as(json!(true), "app")), e), "5"),
            None,
        ),
        (
            "recorded failed, another version written for the policy alone: not drift",
            Some(versioned(
                known("failed", "app", Some("enforce"), None),
                "4",
            )),
            at(
                row(Action::Updated, Some(run_as(json!(true), "app")), e),
                "5",
            ),
            None,
        ),
        (
            "recorded pending with a version: a member stack awaited, not a failure",
            Some(versioned(
                known("pending", "app", Some("enforce"), None),
                "1",
            )),
            at(row(Action::Updated, Some(run_as(json!(false), "")), e), "2"),
            None,
        ),
        (
            "recorded failed, the document found missing and created: no version to compare",
            Some(versioned(
                known("failed", "app", Some("enforce"), None),
                "4",
            )),
            row(Action::Created, None, e),
            None,
        ),
        (
            "audit, recorded failed over the mark of no document; Run As off found: someone's change",
            Some(marked(known("failed", "app", Some("audit"), None), "[null,null]")),
            row(Action::WouldChange, Some(run_as(json!(false), "")), a),
            Some(Change::Document),
        ),
        (
            "audit, recorded failed over the very finding marked: not news",
            Some(marked(
                known("failed", "app", Some("audit"), None),
                &seen(Some(&run_as(json!(false), "")), false).value,
            )),
            row(Action::WouldChange, Some(run_as(json!(false), "")), a),
            None,
        ),
        (
            "audit, recorded failed with neither mark nor version: a first look's",
            Some(known("failed", "app", Some("audit"), None)),
            row(Action::WouldChange, Some(run_as(json!(false), "")), a),
            None,
        ),
        (
            "audit, recorded failed keeping v4; v5 found out of policy: someone's change",
            Some(versioned(known("failed", "app", Some("audit"), None), "4")),
            at(row(Action::WouldChange, Some(run_as(json!(true), "root")), a), "5"),
            Some(Change::Document),
        ),
        (
            "audit, recorded failed with a mark; found right: nothing to tell",
            Some(marked(known("failed", "app", Some("audit"), None), "[null,null]")),
            row(Action::None, Some(run_as(json!(true), "app")), a),
            None,
        ),
        (
            "audit, a mark that is no JSON: news, as a claim reads it",
            Some(marked(known("failed", "app", Some("audit"), None), "{not json")),
            row(Action::WouldChange, Some(run_as(json!(true), "root")), a),
            Some(Change::Document),
        ),
        (
            "audit, recorded pending with a mark: not a failure, nothing observed",
            Some(marked(known("pending", "app", Some("audit"), None), "[null,null]")),
            row(Action::WouldChange, Some(run_as(json!(true), "root")), a),
            None,
        ),
        (
            "found right: nothing to tell",
            Some(known("compliant", "app", Some("enforce"), right)),
            row(Action::None, Some(run_as(json!(true), "app")), e),
            None,
        ),
        (
            "the policy's new user written: the policy's change",
            Some(known(
                "compliant",
                "ops",
                Some("enforce"),
                Some(("true", "ops")),
            )),
            row(Action::Updated, Some(run_as(json!(true), "ops")), e),
            policy(Some("ops"), "app", None, None),
        ),
        (
            "audit to enforce: the policy's change, not drift",
            Some(known(
                "noncompliant",
                "app",
                Some("audit"),
                Some(("false", "")),
            )),
            row(Action::Updated, Some(run_as(json!(false), "")), e),
            policy(Some("app"), "app", Some("audit"), Some("enforce")),
        ),
        (
            "the policy changed and someone edited meanwhile: the edit is news",
            Some(known(
                "compliant",
                "ops",
                Some("enforce"),
                Some(("true", "ops")),
            )),
            row(Action::WouldChange, Some(run_as(json!(true), "root")), a),
            Some(Change::Document),
        ),
        (
            "audit: a noncompliant slot edited again is news",
            Some(known(
                "noncompliant",
                "app",
                Some("audit"),
                Some(("true", "x")),
            )),
            row(Action::WouldChange, Some(run_as(json!(true), "root")), a),
            Some(Change::Document),
        ),
        (
            "audit: the same finding again is not",
            Some(known(
                "noncompliant",
                "app",
                Some("audit"),
                Some(("true", "x")),
            )),
            row(Action::WouldChange, Some(run_as(json!(true), "x")), a),
            None,
        ),
        (
            "audit: the latest's finding now the default: its window opened",
            Some(marked(
                known("noncompliant", "app", Some("audit"), Some(("true", "root"))),
                &seen(Some(&run_as(json!(true), "root")), true).value,
            )),
            row(Action::WouldChange, Some(run_as(json!(true), "root")), a),
            Some(Change::Document),
        ),
        (
            "audit: the latest's finding, still the latest's alone: not news",
            Some(marked(
                known("noncompliant", "app", Some("audit"), Some(("true", "root"))),
                &seen(Some(&run_as(json!(true), "root")), true).value,
            )),
            RegionOutcome {
                pending: true,
                ..row(Action::WouldChange, Some(run_as(json!(true), "root")), a)
            },
            None,
        ),
        (
            "audit: a finding in effect, marked in effect: not news",
            Some(marked(
                known("noncompliant", "app", Some("audit"), Some(("true", "root"))),
                &seen(Some(&run_as(json!(true), "root")), false).value,
            )),
            row(Action::WouldChange, Some(run_as(json!(true), "root")), a),
            None,
        ),
        (
            "audit: a string boolean reads as the recorded text",
            Some(known(
                "noncompliant",
                "app",
                Some("audit"),
                Some(("true", "x")),
            )),
            row(Action::WouldChange, Some(run_as(json!("true"), "x")), a),
            None,
        ),
        (
            "an inheriting document's other inputs brought in line: not RunAs",
            Some(known(
                "compliant",
                "app",
                Some("enforce"),
                Some(("true", "app")),
            )),
            row(Action::Updated, Some(run_as(json!(true), "app")), e),
            None,
        ),
        (
            "a record from before modes were kept: the user decides",
            Some(known("compliant", "app", None, Some(("true", "app")))),
            row(Action::Updated, Some(run_as(json!(true), "root")), e),
            Some(Change::Document),
        ),
        (
            "a look-alike user (a zero-width space) is another value",
            Some(known(
                "compliant",
                "app",
                Some("enforce"),
                Some(("true", "app")),
            )),
            row(Action::Updated, Some(run_as(json!(true), "app\u{200b}")), e),
            Some(Change::Document),
        ),
    ];
    for (why, k, o, want) in cases {
        assert_eq!(judge(k.as_ref(), &o, "app"), want, "{why}");
    }
}

/// A slot recorded out of governance is judged by what is there now: Run
/// As out of policy, put back or found in audit, is someone's change;
/// anything else is no change.
#[test]
fn a_slot_back_in_governance_tells_only_run_as_found_out_of_policy() {
    let out = Known {
        status: Some("excluded".into()),
        ..Known::default()
    };
    let (e, a) = (Some(Mode::Enforce), Some(Mode::Audit));
    let root = || Some(run_as(json!(true), "root"));
    let cases: Vec<(&str, Known, RegionOutcome, Option<Change>)> = vec![
        (
            "root put back",
            out.clone(),
            row(Action::Updated, root(), e),
            Some(Change::Document),
        ),
        (
            "switched back",
            out.clone(),
            row(Action::DefaultSwitched, root(), e),
            Some(Change::Document),
        ),
        (
            "off put back",
            out.clone(),
            row(Action::Updated, Some(run_as(json!(false), "")), e),
            Some(Change::Document),
        ),
        (
            "audit finding",
            out.clone(),
            row(Action::WouldChange, root(), a),
            Some(Change::Document),
        ),
        (
            "right: nothing written",
            out.clone(),
            row(Action::None, Some(run_as(json!(true), "app")), e),
            None,
        ),
        (
            "other inputs brought in line",
            out.clone(),
            row(Action::Updated, Some(run_as(json!(true), "app")), e),
            None,
        ),
        (
            "created where there was none",
            out.clone(),
            row(Action::Updated, None, e),
            None,
        ),
        (
            "the write failed",
            out.clone(),
            row(Action::Failed, root(), e),
            None,
        ),
        // An excluded row that names a user is no departure's record: the
        // old rule (nothing observed to compare with).
        (
            "excluded naming a user",
            Known {
                desired_user: Some("app".into()),
                ..out.clone()
            },
            row(Action::Updated, root(), e),
            None,
        ),
    ];
    for (why, k, o, want) in cases {
        assert_eq!(judge(Some(&k), &o, "app"), want, "{why}");
    }
}

#[test]
fn the_check_rows_are_not_judged_here() {
    let mut o = row(Action::Updated, Some(run_as(json!(true), "root")), None);
    o.nodes = Some(Default::default());
    let k = known("compliant", "app", None, Some(("true", "app")));
    assert_eq!(judge(Some(&k), &o, "app"), None);
}

#[test]
fn a_seen_value_names_one_observation_unambiguously() {
    let of = |e: Value, u: &str| seen(Some(&run_as(e, u)), false).value;
    let seen_value = |r: Option<&RunAs>| seen(r, false).value;
    assert_eq!(of(json!(true), "root"), of(json!("true"), "root"));
    assert_ne!(of(json!(true), "root"), of(json!(true), "x"));
    assert_ne!(of(json!(true), "-"), seen_value(None));
    assert_ne!(of(json!(true), "a\",\"b"), of(json!(true), "a"));
    assert_eq!(seen_value(None), "[null,null]");
}

#[test]
fn a_right_slot_whose_mode_the_policy_relaxed_to_audit_is_the_policys_change_once() {
    let (e, a, w) = (
        Some(Mode::Enforce),
        Some(Mode::Audit),
        Some(Mode::EnforceWhenReady),
    );
    let right = Some(("true", "app"));
    let told = policy(Some("app"), "app", Some("enforce"), Some("audit"));
    let held = RegionOutcome {
        held: Some("2 nodes lack the user".into()),
        ..row(Action::None, Some(run_as(json!(true), "app")), a)
    };
    let cases: Vec<(&str, Option<Known>, RegionOutcome, Option<Change>)> = vec![
        (
            "recorded under enforce, found right under audit: told",
            Some(known("compliant", "app", Some("enforce"), right)),
            row(Action::None, Some(run_as(json!(true), "app")), a),
            told.clone(),
        ),
        (
            "a put-back's record counts the same",
            Some(known("reverted", "app", Some("enforce"), right)),
            row(Action::None, Some(run_as(json!(true), "app")), a),
            told,
        ),
        (
            "already recorded under audit: the repeat run is quiet",
            Some(known("compliant", "app", Some("audit"), right)),
            row(Action::None, Some(run_as(json!(true), "app")), a),
            None,
        ),
        (
            "still enforce: nothing",
            Some(known("compliant", "app", Some("enforce"), right)),
            row(Action::None, Some(run_as(json!(true), "app")), e),
            None,
        ),
        (
            "audit to enforce writes, and judge tells it, not this",
            Some(known("compliant", "app", Some("audit"), right)),
            row(Action::None, Some(run_as(json!(true), "app")), e),
            None,
        ),
        (
            "held enforce-when-ready: the held alert's",
            Some(known("compliant", "app", Some("enforce"), right)),
            held,
            None,
        ),
        (
            "a finding in audit is judge's (drift or policy), not this",
            Some(known("compliant", "app", Some("enforce"), right)),
            row(Action::WouldChange, Some(run_as(json!(true), "root")), a),
            None,
        ),
        (
            "recorded pending or failed: nothing observed to compare",
            Some(known("failed", "app", Some("enforce"), None)),
            row(Action::None, Some(run_as(json!(true), "app")), a),
            None,
        ),
        (
            "never recorded: a first look is no change",
            None,
            row(Action::None, Some(run_as(json!(true), "app")), a),
            None,
        ),
        (
            "no mode recorded (an older record): nothing",
            Some(known("compliant", "app", None, right)),
            row(Action::None, Some(run_as(json!(true), "app")), a),
            None,
        ),
        (
            "a garbled recorded mode: nothing",
            Some(known("compliant", "app", Some("ENFORCE"), right)),
            row(Action::None, Some(run_as(json!(true), "app")), a),
            None,
        ),
        (
            "recorded under enforce-when-ready mode text: not enforce",
            Some(known("compliant", "app", Some("enforce-when-ready"), right)),
            row(Action::None, Some(run_as(json!(true), "app")), w),
            None,
        ),
    ];
    for (what, k, o, want) in cases {
        assert_eq!(relaxed(k.as_ref(), &o, "app"), want, "{what}");
    }
}

/// (case, the slot's mark, the finding, pending, news)
type NewsCase<'a> = (&'a str, Option<String>, Option<&'a RunAs>, bool, bool);

#[test]
fn an_audit_finding_is_news_when_its_value_is_new_or_its_window_opens() {
    let root = run_as(json!(true), "root");
    let other = run_as(json!(true), "alice");
    let mark = |r: &RunAs, pending: bool| seen(Some(r), pending).value;
    // (case, the slot's mark, the finding, pending (the latest's alone), news)
    let cases: Vec<NewsCase> = vec![
        ("first finding, latest only", None, Some(&root), true, true),
        ("first finding, in effect", None, Some(&root), false, true),
        (
            "the same latest-only value again",
            Some(mark(&root, true)),
            Some(&root),
            true,
            false,
        ),
        (
            "that latest made the default: its window opens",
            Some(mark(&root, true)),
            Some(&root),
            false,
            true,
        ),
        (
            "the same value in effect again (a later version keeps it)",
            Some(mark(&root, false)),
            Some(&root),
            false,
            false,
        ),
        (
            "a value told in effect, now the latest's alone (default put right)",
            Some(mark(&root, false)),
            Some(&root),
            true,
            false,
        ),
        (
            "another value, latest only",
            Some(mark(&root, false)),
            Some(&other),
            true,
            true,
        ),
        (
            "another value, in effect",
            Some(mark(&root, true)),
            Some(&other),
            false,
            true,
        ),
        (
            "no document after a finding",
            Some(mark(&root, false)),
            None,
            false,
            true,
        ),
        (
            "a mark of another form (hostile text)",
            Some("[\"true\",\"root\",\"x\"]".into()),
            Some(&root),
            false,
            true,
        ),
    ];
    for (case, marked, found, pending, want) in cases {
        assert_eq!(news(marked.as_deref(), found, pending), want, "{case}");
    }
    // A mark written before marks had a latest-only form keeps its meaning.
    assert_eq!(mark(&root, false), "[\"true\",\"root\"]");
    assert_ne!(mark(&root, true), mark(&root, false));
}

#[test]
fn an_audit_row_is_a_finding_only_where_run_as_is_out_of_policy() {
    let right = Some(run_as(json!(true), "app"));
    let root = Some(run_as(json!(true), "root"));
    // (case, action, what the row read (the default's, or the latest's when only it is wrong), finding)
    let cases = [
        ("Run As wrong", Action::WouldChange, root.clone(), true),
        ("no document", Action::WouldChange, None, true),
        (
            "string true reads as on",
            Action::WouldChange,
            Some(run_as(json!("true"), "app")),
            false,
        ),
        (
            "only the default is behind a right latest (a promote)",
            Action::WouldChange,
            right.clone(),
            false,
        ),
        ("enforce wrote", Action::Updated, root.clone(), false),
        ("nothing to do", Action::None, right, false),
        ("failed", Action::Failed, root, false),
    ];
    for (case, action, before, want) in cases {
        assert_eq!(
            is_finding(&row(action, before, Some(Mode::Audit)), "app"),
            want,
            "{case}"
        );
    }
}

#[test]
fn an_audit_finding_is_told_by_the_retry_of_the_trigger_that_claimed_it() {
    let root = run_as(json!(true), "root");
    let other = run_as(json!(true), "alice");
    let mark = |r: &RunAs, pending: bool| Some(seen(Some(r), pending).value);
    let me = "eb-ct-6";
    // (case, mark, marked by, finding, pending, told)
    type Case<'a> = (
        &'a str,
        Option<String>,
        Option<&'a str>,
        &'a RunAs,
        bool,
        bool,
    );
    let cases: Vec<Case> = vec![
        ("no mark: news", None, None, &root, false, true),
        (
            "its own claim of this finding: its retry tells it",
            mark(&root, false),
            Some(me),
            &root,
            false,
            true,
        ),
        (
            "another trigger's claim of it: not news",
            mark(&root, false),
            Some("eb-ct-7"),
            &root,
            false,
            false,
        ),
        (
            "a mark without its claimant: not news",
            mark(&root, false),
            None,
            &root,
            false,
            false,
        ),
        (
            "its own claim of the latest-only form, the same now",
            mark(&root, true),
            Some(me),
            &root,
            true,
            true,
        ),
        (
            "its own claim, a value told in effect now the latest's alone",
            mark(&root, false),
            Some(me),
            &root,
            true,
            false,
        ),
        (
            "its own claim of another value: news anyway",
            mark(&other, false),
            Some(me),
            &root,
            false,
            true,
        ),
        (
            "a trigger id that only begins the same: not its own",
            mark(&root, false),
            Some("eb-ct-60"),
            &root,
            false,
            false,
        ),
        (
            "a hostile mark, its own: news",
            Some("[".into()),
            Some(me),
            &root,
            false,
            true,
        ),
    ];
    for (case, marked, by, found, pending, want) in cases {
        assert_eq!(
            tells((marked.as_deref(), by), me, Some(found), pending),
            want,
            "{case}"
        );
    }
}
