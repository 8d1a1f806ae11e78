//! The state write, built without AWS.

use super::*;
use std::time::Duration;

fn observation(wrote: bool) -> Observation {
    Observation {
        document: None,
        account: "111122223333".into(),
        region: "eu-west-1".into(),
        status: if wrote { "reverted" } else { "compliant" },
        desired_user: Some("ops".into()),
        observed_user: Some("ops".into()),
        observed_enabled: Some("true".into()),
        default_version: Some("4".into()),
        keeps_version: false,
        action: if wrote { "updated" } else { "none" },
        wrote,
        trigger_id: "e-1".into(),
        trigger_kind: "document_changed",
        actor: None,
        error: None,
        error_code: None,
        nodes: None,
        mode: None,
        held: None,
        ou_path: None,
        judged_default: None,
        judged_opened: None,
        latest_version: Some("4".into()),
        keeps_switch: None,
        switch_done: vec![],
    }
}

#[test]
fn the_versions_judged_out_of_policy_are_kept_each_with_its_time() {
    let o = Observation {
        judged_default: Some("7,2-3".into()),
        ..observation(true)
    };
    let u = record_update(
        &o,
        None,
        false,
        std::time::UNIX_EPOCH + Duration::from_millis(5),
    );
    for v in [2, 3, 7] {
        assert!(
            u.expression
                .contains(&format!("judged_v{v} = :judged_v{v}")),
            "{}",
            u.expression
        );
    }
    assert!(u.expression.contains("latest_version = :latest_version"));
    // Each with the earliest time a judgement covers it from: its making (0)
    // for what the run found; the run's own switch where that opened it,
    // unless an earlier judgement covers from earlier.
    for v in [2, 3, 7] {
        assert!(
            u.expression
                .contains(&format!("opened_v{v} = :opened_v{v}")),
            "{}",
            u.expression
        );
    }
    let opened = Observation {
        judged_opened: Some((7, 1_790_000_400_000)),
        ..o.clone()
    };
    let u = record_update(&opened, None, false, std::time::UNIX_EPOCH);
    let kept_earliest = "opened_v7 = if_not_exists(opened_v7, :opened)";
    assert!(u.expression.contains(kept_earliest), "{}", u.expression);
    assert!(
        u.expression.contains("opened_v2 = :opened_v2"),
        "{}",
        u.expression
    );
    let removed = u.expression.split(" REMOVE ").nth(1).unwrap_or_default();
    assert!(!removed.contains("opened_v"), "{}", u.expression);
    // None judged: nothing written, nothing removed (older ones stay).
    let u = record_update(&observation(false), None, false, std::time::UNIX_EPOCH);
    assert!(!u.expression.contains("judged_v"), "{}", u.expression);
    assert!(!u.expression.contains("opened_v"), "{}", u.expression);
}

#[test]
fn a_quiet_check_takes_no_lease_and_clears_old_errors() {
    let u = record_update(&observation(false), None, false, std::time::UNIX_EPOCH);
    // ... and does not overwrite what last changed there (see below).
    assert_eq!(u.condition, Some(NOT_AFTER_A_CHANGE));
    assert!(u.expression.contains("#st = :st"));
    assert!(
        u.expression.ends_with(
            " REMOVE last_error, last_error_code, nodes, held, ou_path, #mode, \
             held_since, held_told, held_told_at, held_told_by, drift_seen_by, drift_seen_value"
        ),
        "{}",
        u.expression
    );
    assert!(!u.expression.contains("changes") && !u.expression.contains("lease"));
    assert!(
        !u.expression.contains("last_actor"),
        "the last actor survives"
    );
}

#[test]
fn a_change_under_the_lease_counts_once_and_remembers_the_revert() {
    let grant = RegionGrant::new("me", vec![100]);
    let now = std::time::UNIX_EPOCH + Duration::from_secs(200);
    let u = record_update(&observation(true), Some(&grant), true, now);
    assert_eq!(
        u.condition,
        Some("lease_owner = :me AND lease_until <> :lease_until")
    );
    assert!(u
        .expression
        .contains("changes = if_not_exists(changes, :zero) + :one"));
    let reverts = u.values.iter().find(|(k, _)| k == ":reverts_at").unwrap();
    assert_eq!(reverts.1, AttributeValue::L(vec![n(100), n(200)]));
    let released = u.values.iter().find(|(k, _)| k == ":lease_until").unwrap();
    assert_eq!(released.1, n(200_000));
    // Every placeholder used is given a value, and no value goes unused.
    let text = format!("{} {}", u.expression, u.condition.unwrap());
    for (k, _) in &u.values {
        assert!(text.contains(k), "{k} unused");
    }
}

#[test]
fn a_quiet_check_after_a_change_keeps_the_status_that_says_so() {
    let quiet = observation(false);
    let u = quiet_update_keeping_status(&quiet, None, std::time::UNIX_EPOCH);
    assert_eq!(u.condition, Some(NOT_UNDER_A_WRITE));
    assert!(!u.expression.contains("#st"), "{}", u.expression);
    assert!(u.values.iter().all(|(k, _)| k != ":st"));
    assert!(u.expression.contains("last_checked = :last_checked"));
    // A write, a failure or drift always says what it is.
    for status in ["remediated", "reverted", "failed", "noncompliant"] {
        let o = Observation {
            status,
            ..observation(false)
        };
        assert_eq!(
            record_update(&o, None, false, std::time::UNIX_EPOCH).condition,
            Some(NOT_UNDER_A_WRITE)
        );
    }
}

/// Every record made without the lease waits for a live run's write: a
/// slot under an unexpired intent is that run's to record (it keeps its
/// alert first); a dead run's intent (lease over) is found and adopted.
/// With the lease, the lease is the condition (ours, so no intent bars it).
#[test]
fn a_record_without_the_lease_never_lands_under_a_live_write() {
    let now = std::time::UNIX_EPOCH + Duration::from_secs(500);
    let grant = RegionGrant::new("me", vec![]);
    let with = |status, wrote| Observation {
        status,
        wrote,
        ..observation(wrote)
    };
    // (observation, lease, quiet fallback, the condition bars a live write)
    let cases: [(Observation, Option<&RegionGrant>, bool, bool); 10] = [
        (with("compliant", false), None, false, true),
        (with("compliant", false), None, true, true),
        (with("noncompliant", false), None, false, true),
        (with("failed", false), None, false, true),
        (with("reverted", false), None, false, true),
        (with("remediated", true), None, false, true),
        (with("compliant", false), Some(&grant), false, false),
        (with("compliant", false), Some(&grant), true, false),
        (with("reverted", true), Some(&grant), false, false),
        (with("failed", false), Some(&grant), false, false),
    ];
    for (o, g, quiet, bars) in cases {
        let u = match quiet {
            true => quiet_update_keeping_status(&o, g, now),
            false => record_update(&o, g, false, now),
        };
        let cond = u.condition.unwrap_or_default();
        let says = cond.contains("attribute_not_exists(intent) OR lease_until < :now");
        assert_eq!(
            says,
            bars,
            "{} lease={} quiet={quiet}: {cond}",
            o.status,
            g.is_some()
        );
        let text = format!("{} {cond}", u.expression);
        for (k, _) in &u.values {
            assert!(text.contains(k.as_str()), "{k} unused in {text}");
        }
        if bars {
            let at = u.values.iter().find(|(k, _)| k == ":now").unwrap();
            assert_eq!(at.1, n(500_000), "the lease is judged at the record's time");
        }
    }
}

#[test]
fn a_run_that_waited_for_the_lease_and_changed_nothing_keeps_the_status_too() {
    // The console's second event waits while the first reverts, then finds
    // the document right: it releases the lease but must not say `compliant`
    // over the `reverted` the first one recorded.
    let grant = RegionGrant::new("me", vec![]);
    let quiet = observation(false);
    let u = record_update(&quiet, Some(&grant), false, std::time::UNIX_EPOCH);
    assert_eq!(u.condition, Some(HELD_AND_NOT_AFTER_A_CHANGE));
    assert!(u.expression.contains("#st = :st"));
    assert!(u.expression.contains("lease_until = :lease_until"));
    let keep = quiet_update_keeping_status(&quiet, Some(&grant), std::time::UNIX_EPOCH);
    assert_eq!(keep.condition, Some("lease_owner = :me"));
    assert!(!keep.expression.contains("#st"), "{}", keep.expression);
    assert!(
        keep.expression.contains("lease_until = :lease_until"),
        "the lease is still released"
    );
    for u in [u, keep] {
        let text = format!("{} {}", u.expression, u.condition.unwrap());
        for (k, _) in &u.values {
            assert!(text.contains(k.as_str()), "{k} unused in {text}");
        }
    }
}

/// `nodes::held::after_record`, as the write says it: a hold keeps its
/// start (`if_not_exists`), a release forgets it and what was told.
#[test]
fn a_hold_keeps_its_start_and_a_release_forgets_it() {
    let held = Observation {
        status: "noncompliant",
        held: Some("held until ready: check could not run on 1 node".into()),
        ..observation(false)
    };
    let u = record_update(&held, None, false, std::time::UNIX_EPOCH);
    assert!(
        u.expression
            .contains("held_since = if_not_exists(held_since, :last_checked)"),
        "{}",
        u.expression
    );
    assert!(!u.expression.contains("held_told"), "{}", u.expression);
    let released = record_update(&observation(false), None, false, std::time::UNIX_EPOCH);
    let removed = released.expression.split(" REMOVE ").nth(1).unwrap();
    for attr in ["held_since", "held_told", "held_told_at", "held_told_by"] {
        assert!(removed.contains(attr), "{attr}: {}", released.expression);
    }
}

/// A failed run's record leaves the default version as it was (neither set
/// nor removed): the next run reads the versions after the last judged one.
#[test]
fn a_failed_record_leaves_the_judged_version() {
    let failed = Observation {
        status: "failed",
        action: "failed",
        default_version: None,
        keeps_version: true,
        ..observation(false)
    };
    let u = record_update(&failed, None, false, std::time::UNIX_EPOCH);
    assert!(
        !u.expression.contains("default_version"),
        "{}",
        u.expression
    );
    let forgot = Observation {
        keeps_version: false,
        ..failed
    };
    let u = record_update(&forgot, None, false, std::time::UNIX_EPOCH);
    assert!(u.expression.contains("default_version"), "{}", u.expression);
}

/// When the default version was recorded moves with it, never with a
/// record that keeps it (a failed run's record moved the time a document's
/// life is checked against), and goes with it.
#[test]
fn the_time_a_version_was_recorded_moves_only_with_the_version() {
    let set = "version_at = :version_at";
    // (case, default version, keeps it, set, removed)
    let cases = [
        ("recorded", Some("4"), false, true, false),
        ("kept", Some("4"), true, false, false),
        ("kept, none read", None, true, false, false),
        ("none recorded", None, false, false, true),
    ];
    for (case, version, keeps, want_set, want_removed) in cases {
        let o = Observation {
            default_version: version.map(str::to_string),
            keeps_version: keeps,
            ..observation(false)
        };
        let u = record_update(&o, None, false, std::time::UNIX_EPOCH);
        let e = &u.expression;
        assert_eq!(e.contains(set), want_set, "{case}: {e}");
        let removed = e
            .split_once(" REMOVE ")
            .is_some_and(|(_, r)| r.split(", ").any(|a| a == "version_at"));
        assert_eq!(removed, want_removed, "{case}: {e}");
    }
}

/// A take that wrote over a dead run's intent: its record puts that
/// intent back (for a run that reads the document to adopt) instead of
/// removing the intent, whether it wrote or found the document right.
#[test]
fn a_record_puts_back_the_dead_intent_its_take_wrote_over() {
    let now = std::time::UNIX_EPOCH + Duration::from_secs(500);
    let plain = RegionGrant::new("me", vec![]);
    let intent = crate::domain::intent::sample_edit("root");
    let json = intent.to_json();
    let mut taken_over = plain.clone();
    taken_over.dead = Some(crate::adapters::store::orphan::Orphan {
        intent,
        json: json.clone(),
        recent_reverts: vec![],
        recorded: Default::default(),
    });
    for wrote in [false, true] {
        let u = record_update(&observation(wrote), Some(&plain), wrote, now);
        assert!(
            u.expression.contains("REMOVE") && u.expression.contains("intent"),
            "{}",
            u.expression
        );
        let u = record_update(&observation(wrote), Some(&taken_over), wrote, now);
        assert!(
            u.expression.contains("intent = :intent"),
            "{}",
            u.expression
        );
        let put_back = u.values.iter().find(|(k, _)| k == ":intent").unwrap();
        assert_eq!(put_back.1, s(&json));
        let removed = u.expression.split("REMOVE").nth(1).unwrap_or("");
        assert!(!removed.contains("intent"), "{}", u.expression);
    }
}

/// A failed run's switch kept once (`if_not_exists`), those far below it
/// removed; a switch its run judged removed; the same attribute never in
/// both parts (DynamoDB refuses overlapping paths).
#[test]
fn a_failed_record_keeps_its_switch_and_a_judging_one_lets_it_go() {
    use crate::domain::kept_switch::Kept;
    let kept = |version| Kept {
        version,
        at_ms: 1_790_000_000_000,
        editor: None,
    };
    let failed = Observation {
        status: "failed",
        action: "failed",
        keeps_version: true,
        keeps_switch: Some(kept(100)),
        ..observation(false)
    };
    let u = record_update(&failed, None, false, std::time::UNIX_EPOCH);
    let e = &u.expression;
    assert!(
        e.contains("switch_v100 = if_not_exists(switch_v100, :switch)"),
        "{e}"
    );
    assert!(e.contains("switch_v36") && e.contains("switch_v68"), "{e}");
    assert!(
        !e.contains("switch_v35,") && !e.contains("switch_v69"),
        "{e}"
    );
    assert_eq!(e.matches("switch_v100").count(), 2, "set once: {e}");
    let judged = Observation {
        switch_done: vec![6, 12],
        ..observation(false)
    };
    let u = record_update(&judged, None, false, std::time::UNIX_EPOCH);
    let e = &u.expression;
    assert!(
        e.contains("REMOVE") && e.contains("switch_v6") && e.contains("switch_v12"),
        "{e}"
    );
    assert!(!e.contains("if_not_exists(switch_v"), "{e}");
    // A failed run that told a version far below the one it keeps: that
    // version's switch is removed once, as one of those forgotten.
    let both = Observation {
        switch_done: vec![40],
        ..failed
    };
    let u = record_update(&both, None, false, std::time::UNIX_EPOCH);
    assert_eq!(
        u.expression.matches("switch_v40").count(),
        1,
        "{}",
        u.expression
    );
}
