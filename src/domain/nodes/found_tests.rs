use super::*;

pub(crate) fn assoc(id: &str, version: &str, counts: Counts) -> Association {
    Association {
        id: id.into(),
        version: version.into(),
        counts,
        ..Association::default()
    }
}

pub(crate) fn counts(success: u64, failed: u64, running: u64) -> Counts {
    Counts {
        success,
        failed,
        running,
        ..Counts::default()
    }
}

fn told(id: &str, user: &str, missing: &[&str]) -> Readiness {
    Readiness {
        association_id: id.into(),
        association_version: "1".into(),
        user: user.into(),
        checked: 3,
        missing: missing.len() as u64,
        missing_nodes: missing.iter().map(|m| m.to_string()).collect(),
        linux_or_macos: None,
        ..Default::default()
    }
}

#[test]
fn a_run_under_way_keeps_the_last_finished_verdict() {
    let before = told("a", "ops", &["i-1", "i-2"]);
    // (what, association, recorded, kept?, checked, missing)
    let cases = [
        (
            "finished",
            assoc("a", "1", counts(1, 2, 0)),
            Some(&before),
            Kept::No,
            3,
            2,
        ),
        (
            "under way: kept",
            assoc("a", "1", counts(1, 0, 2)),
            Some(&before),
            Kept::Recorded,
            3,
            2,
        ),
        (
            "under way after our update",
            assoc("a", "2", counts(0, 0, 3)),
            Some(&before),
            Kept::Recorded,
            3,
            2,
        ),
        (
            "another association",
            assoc("b", "1", counts(1, 0, 2)),
            Some(&before),
            Kept::No,
            0,
            0,
        ),
        (
            "nothing recorded, no failure yet",
            assoc("a", "1", counts(2, 0, 1)),
            None,
            Kept::No,
            0,
            0,
        ),
        (
            "nothing recorded, a failure",
            assoc("a", "1", counts(1, 1, 1)),
            None,
            Kept::No,
            2,
            1,
        ),
    ];
    for (what, a, recorded, kept, checked, missing) in cases {
        let (r, k) = verdict_of(&a, "ops", recorded);
        // Kept: the recorded missing; else SSM's failures, read next.
        let found = match k {
            Kept::Recorded => r.missing,
            Kept::No => r.failed,
        };
        assert_eq!((k, r.checked, found), (kept, checked, missing), "{what}");
        if k == Kept::Recorded {
            assert_eq!(r.missing_nodes, before.missing_nodes, "{what}");
            // Of the run it was read from: the run under way is read when done.
            assert_eq!(r, before, "{what}");
        } else {
            assert_eq!(r.association_version, a.version, "{what}");
        }
    }
    // Another user's verdict is not this one's.
    let (_, k) = verdict_of(&assoc("a", "1", counts(0, 0, 3)), "admin", Some(&before));
    assert_eq!(k, Kept::No);
}

pub(crate) fn node(id: &str, status: &str, stderr: &str) -> NodeResult {
    NodeResult {
        node: id.into(),
        status: status.into(),
        detailed: None,
        summary: Some(format!(
            "2 out of 2 plugins processed, 0 success, 1 failed, 0 timedout, 1 skipped. \nThe operation checkRunAsUserLinux failed because {stderr}."
        )),
    }
}

pub(crate) const GONE: &str =
    "runas-guard: Run As user ops does not exist on this node (id failed)\n";
pub(crate) const NO_USER: &str =
    "runas-guard: check could not run: the agent passed no user name\n";

#[test]
fn failed_nodes_are_missing_only_on_the_scripts_line() {
    let a = assoc(
        "a",
        "1",
        Counts {
            success: 5,
            failed: 4,
            timed_out: 1,
            undeliverable: 2,
            ..Counts::default()
        },
    );
    let (now, _) = verdict_of(&a, "ops", None);
    assert_eq!((now.checked, now.missing, now.not_run.nodes), (12, 0, 3));
    let read = vec![
        node("i-3", "Failed", GONE),
        node("i-1", "Failed", NO_USER),
        node("i-2", "Failed", "something else\n"),
        node("i-3", "Failed", GONE), // listed twice: counted once
    ];
    let r = tally(now, read);
    assert_eq!((r.checked, r.missing), (12, 1));
    assert_eq!(r.missing_nodes, ["i-3"]);
    // 2 undeliverable + 1 timed out (counts), 1 no user, 1 without a
    // verdict, 1 failed but not read (4 failed, 3 distinct read).
    assert_eq!(r.not_run.nodes, 6);
    let reasons: Vec<(Reason, u64)> = r.not_run.reasons.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(
        reasons,
        [
            (Reason::NoUserPassed, 1),
            (Reason::TimedOut, 1),
            (Reason::Undeliverable, 2),
            (Reason::FailedWithoutVerdict, 1),
            (Reason::NotRead, 1),
        ]
    );
    let read: Vec<&str> = r.not_run.read.iter().map(|n| n.node.as_str()).collect();
    assert_eq!(read, ["i-1", "i-2"]);
    assert_eq!(
        r.summary(),
        "user ops missing on 1 of 12 nodes; check could not run on 6 nodes (the agent passed the check no user name: 1, timed out: 1, not delivered to the node: 2, failed without the check's verdict: 1, failed, verdict not read (20 nodes are read one by one): 1)"
    );
    // A later look at the same failures keeps these verdicts, reading nothing.
    let (again, _) = verdict_of(&a, "ops", Some(&r));
    assert_eq!(reuse(again, &r), r);
    // Read back from the row, the same.
    assert_eq!(Readiness::from_json(&r.to_json()), Some(r));
}

#[test]
fn only_could_not_run_is_never_missing() {
    let a = assoc(
        "a",
        "1",
        Counts {
            failed: 30,
            timed_out: 2,
            ..Counts::default()
        },
    );
    let (now, _) = verdict_of(&a, "ops", None);
    let read = (0..25)
        .map(|i| node(&format!("i-{i:02}"), "Failed", NO_USER))
        .collect();
    let r = tally(now, read);
    assert_eq!((r.checked, r.missing), (32, 0));
    assert!(r.missing_nodes.is_empty());
    // 20 read (the bound), 10 not read, 2 timed out.
    assert_eq!(r.not_run.nodes, 32);
    assert_eq!(r.not_run.read.len(), crate::domain::nodes::MAX_NODE_IDS);
    assert_eq!(r.not_run.reasons.get(&Reason::NotRead), Some(&10));
    assert_eq!(
        r.summary(),
        "user ops; check could not run on 32 nodes (the agent passed the check no user name: 20, timed out: 2, failed, verdict not read (20 nodes are read one by one): 10)"
    );
}

#[test]
fn a_record_of_an_older_build_reads_as_before_and_is_read_again() {
    // Written before `not_run` and `failed` existed.
    let old = r#"{"association_id":"a","association_version":"1","user":"ops","checked":3,"missing":1,"missing_nodes":["i-1"]}"#;
    let r = Readiness::from_json(old).expect("reads");
    assert_eq!((r.missing, r.failed, r.not_run.nodes), (1, 0, 0));
    let a = assoc("a", "1", counts(2, 1, 0));
    let (now, _) = verdict_of(&a, "ops", Some(&r));
    // Its failures are not known to be the script's verdicts: read again.
    assert_ne!(now.failed, r.failed);
}

#[test]
fn only_the_failures_recorded_under_the_same_check_keep_their_verdicts() {
    let now = Readiness {
        association_id: "a".into(),
        association_version: "2".into(),
        user: "ops".into(),
        checked: 3,
        failed: 1,
        document_version: Some("4".into()),
        last_run: Some(3000),
        ..Default::default()
    };
    let recorded = Readiness {
        missing: 1,
        missing_nodes: vec!["i-1".into()],
        last_run: None,
        ..now.clone()
    };
    let changed = |f: fn(&mut Readiness)| {
        let mut r = recorded.clone();
        f(&mut r);
        r
    };
    let cases: Vec<(&str, Readiness, bool)> = vec![
        (
            "the same check, whatever runs since",
            recorded.clone(),
            true,
        ),
        (
            "the association changed since",
            changed(|r| r.association_version = "1".into()),
            false,
        ),
        (
            "the check document changed since",
            changed(|r| r.document_version = Some("3".into())),
            false,
        ),
        (
            "a row from before the document version was recorded",
            changed(|r| r.document_version = None),
            false,
        ),
        (
            "read when the document changed, no run since",
            changed(|r| r.reread_after = Some(3000)),
            true,
        ),
        (
            "read when the document changed, a run since",
            changed(|r| r.reread_after = Some(2000)),
            false,
        ),
        (
            "another association",
            changed(|r| r.association_id = "b".into()),
            false,
        ),
        ("another user", changed(|r| r.user = "admin".into()), false),
        ("other failures", changed(|r| r.failed = 2), false),
        ("other nodes", changed(|r| r.checked = 4), false),
    ];
    for (what, r, same) in cases {
        assert_eq!(same_run(&r, &now), same, "{what}");
    }
    // A read because the document changed awaits the run after this one.
    let before = changed(|r| r.document_version = Some("3".into()));
    assert_eq!(reread_after(Some(&before), &now), Some(3000));
    for (what, r) in [
        ("the same document", Some(recorded.clone())),
        ("nothing recorded", None),
        (
            "a row from before the version was recorded",
            Some(changed(|r| r.document_version = None)),
        ),
        (
            "another association",
            Some(changed(|r| {
                r.association_id = "b".into();
                r.document_version = Some("3".into())
            })),
        ),
    ] {
        assert_eq!(reread_after(r.as_ref(), &now), None, "{what}");
    }
    // The run time moves every day: never recorded, so an unchanged row is
    // not written again.
    assert!(!now.to_json().contains("3000"), "{}", now.to_json());
    assert_eq!(
        crate::domain::nodes::DocumentVersions {
            default: "4".into(),
            latest: "5".into()
        }
        .run_by(None),
        "4"
    );
    let v = crate::domain::nodes::DocumentVersions {
        default: "4".into(),
        latest: "5".into(),
    };
    assert_eq!(
        [
            v.run_by(Some("$DEFAULT")),
            v.run_by(Some("$LATEST")),
            v.run_by(Some("2"))
        ],
        ["4", "5", "2"]
    );
}

/// Two nodes checked by association `a` version 1 for `ops`, one failed,
/// read at the check document's version 2 on the run of t = 1000.
fn one_failed_at_1000() -> Readiness {
    Readiness {
        association_id: "a".into(),
        association_version: "1".into(),
        user: "ops".into(),
        checked: 2,
        failed: 1,
        document_version: Some("2".into()),
        last_run: Some(1000),
        ..Default::default()
    }
}

/// An agent too old to pass the user fails closed; updated, it fails the
/// same way when the node lacks the user (the same counts, the same
/// check). So a read that found an agent too old awaits the next run, and
/// the run after it is read again; any other verdict stands as before.
#[test]
fn a_node_whose_agent_was_too_old_is_read_again_after_the_next_run() {
    const TOO_OLD: &str = "runas-guard: check could not run: agent too old to pass the user safely (SSM_User is not set; SSM Agent 3.3.2746.0 or later sets it)\n";
    let base = one_failed_at_1000();
    // (what, the failed node's line, awaits the next run?)
    for (what, line, awaits) in [
        ("agent too old", TOO_OLD, true),
        ("missing", GONE, false),
        ("a name refused", NO_USER, false),
    ] {
        let read = tally(base.clone(), vec![node("i-1", "Failed", line)]);
        assert_eq!(read.reread_after.is_some(), awaits, "{what}");
        let later = |last_run| Readiness {
            last_run: Some(last_run),
            ..base.clone()
        };
        // The same run seen again: its verdicts stand.
        assert!(same_run(&read, &later(1000)), "{what}");
        // The next run: read again only where an agent was too old.
        assert_eq!(same_run(&read, &later(2000)), !awaits, "{what}");
    }
    // The node's agent updated: the next run says the user is missing.
    let read = tally(base.clone(), vec![node("i-1", "Failed", TOO_OLD)]);
    let next = Readiness {
        last_run: Some(2000),
        ..base.clone()
    };
    assert!(!same_run(&read, &next));
    let after = tally(next, vec![node("i-1", "Failed", GONE)]);
    assert_eq!(after.missing_nodes, vec!["i-1".to_string()]);
    assert_eq!(after.reread_after, None);
}

/// A run already read keeps the document version it ran: no read of the
/// check document until the association runs again or changes.
#[test]
fn the_read_run_keeps_its_document_version() {
    let read = Readiness {
        read_run: Some(1000),
        ..one_failed_at_1000()
    };
    let now = |f: &dyn Fn(&mut Readiness)| {
        let mut n = Readiness {
            document_version: None,
            ..read.clone()
        };
        f(&mut n);
        n
    };
    let unrecorded = Readiness {
        document_version: None,
        ..read.clone()
    };
    let never_ran = Readiness {
        last_run: None,
        read_run: None,
        ..read.clone()
    };
    // (what, recorded, now, the version kept without a read)
    let cases: [(&str, Option<&Readiness>, Readiness, Option<&str>); 8] = [
        ("the same run", Some(&read), now(&|_| {}), Some("2")),
        (
            "other counts of the same run",
            Some(&read),
            now(&|n| n.failed = 2),
            Some("2"),
        ),
        (
            "a new run",
            Some(&read),
            now(&|n| n.last_run = Some(2000)),
            None,
        ),
        (
            "an older answer",
            Some(&read),
            now(&|n| n.last_run = Some(500)),
            None,
        ),
        (
            "the association changed",
            Some(&read),
            now(&|n| n.association_version = "2".into()),
            None,
        ),
        (
            "another association",
            Some(&read),
            now(&|n| n.association_id = "b".into()),
            None,
        ),
        ("no version recorded", Some(&unrecorded), now(&|_| {}), None),
        (
            "never ran",
            Some(&never_ran),
            now(&|n| n.last_run = None),
            None,
        ),
    ];
    for (what, recorded, now, kept) in cases {
        assert_eq!(
            version_of_read_run(recorded, &now).as_deref(),
            kept,
            "{what}"
        );
    }
    assert_eq!(version_of_read_run(None, &read), None);
}
