use super::*;
use crate::domain::nodes::readiness::NodeReason;
use crate::domain::nodes::Reason;

const H: i64 = 3_600_000;
const T: i64 = 1_800_000_000_000;

fn bound() -> Duration {
    Duration::from_secs(24 * 3600)
}

fn found(missing: &[&str], timed_out: &[&str]) -> Readiness {
    let mut r = Readiness {
        user: "ops".into(),
        checked: 5,
        missing: missing.len() as u64,
        missing_nodes: missing.iter().map(|n| n.to_string()).collect(),
        ..Readiness::default()
    };
    r.not_run.add(Reason::TimedOut, timed_out.len() as u64);
    r.not_run.read = timed_out
        .iter()
        .map(|n| NodeReason {
            node: n.to_string(),
            reason: Reason::TimedOut,
        })
        .collect();
    r
}

fn timed_out(nodes: &[&str]) -> Blocking {
    Blocking::of(Some(&found(&[], nodes)), "ops")
}

fn recorded(since: Option<i64>, told: Option<&Blocking>) -> Recorded {
    Recorded {
        since_ms: since,
        told: told.map(Blocking::fingerprint),
    }
}

#[test]
fn told_once_past_the_bound_and_again_only_for_another_verdict() {
    let one = timed_out(&["i-1"]);
    let two = timed_out(&["i-1", "i-2"]);
    let churned = timed_out(&["i-7"]);
    let refused = Blocking::of(Some(&found(&["i-1"], &[])), "ops");
    let both = Blocking::of(Some(&found(&["i-2"], &["i-1"])), "ops");
    type Case<'a> = (&'a str, Recorded, Option<&'a Blocking>, i64, bool);
    let cases: [Case<'_>; 14] = [
        ("not held", recorded(Some(T), None), None, T + 48 * H, false),
        (
            "first seen held: no since yet",
            recorded(None, None),
            Some(&one),
            T,
            false,
        ),
        (
            "held less than the bound",
            recorded(Some(T), None),
            Some(&one),
            T + 23 * H,
            false,
        ),
        (
            "a millisecond short",
            recorded(Some(T), None),
            Some(&one),
            T + 24 * H - 1,
            false,
        ),
        (
            "held exactly the bound",
            recorded(Some(T), None),
            Some(&one),
            T + 24 * H,
            true,
        ),
        (
            "just past it",
            recorded(Some(T), None),
            Some(&one),
            T + 24 * H + 1,
            true,
        ),
        (
            "already told, same verdict",
            recorded(Some(T), Some(&one)),
            Some(&one),
            T + 90 * H,
            false,
        ),
        (
            "another node blocks too, for the same reason: fleet churn",
            recorded(Some(T), Some(&one)),
            Some(&two),
            T + 90 * H,
            false,
        ),
        (
            "only the blocking node's id changed: fleet churn",
            recorded(Some(T), Some(&one)),
            Some(&churned),
            T + 90 * H,
            false,
        ),
        (
            "another verdict (would refuse)",
            recorded(Some(T), Some(&one)),
            Some(&refused),
            T + 90 * H,
            true,
        ),
        (
            "a reason joins the one told",
            recorded(Some(T), Some(&one)),
            Some(&both),
            T + 90 * H,
            true,
        ),
        (
            "changed but within the bound",
            recorded(Some(T), Some(&one)),
            Some(&refused),
            T + H,
            false,
        ),
        // Hostile records: a since in the future (a clock that went back),
        // and one from the beginning of time.
        (
            "since in the future",
            recorded(Some(T + 99 * H), None),
            Some(&one),
            T,
            false,
        ),
        (
            "since at i64::MIN",
            recorded(Some(i64::MIN), None),
            Some(&one),
            T,
            true,
        ),
    ];
    for (why, r, held, now, want) in cases {
        assert_eq!(tell(&r, held, now, bound()), want, "{why}");
    }
    // A bound too large for milliseconds never overflows into "past it".
    assert!(!tell(
        &recorded(Some(T), None),
        Some(&one),
        T + 99 * H,
        Duration::MAX
    ));
}

/// Sweeps one after another, each recording as `store::update` does: told
/// once, quiet while the verdict stays (whichever nodes block), told on a
/// new reason, and after a release and a new hold, quiet within the bound
/// and told again past it.
#[test]
fn a_hold_released_then_held_again_is_told_again() {
    let one = timed_out(&["i-1"]);
    let churned = timed_out(&["i-2", "i-3"]);
    let two = Blocking::of(Some(&found(&["i-2"], &["i-1"])), "ops");
    let sweeps: [(i64, Option<&Blocking>, bool); 10] = [
        (0, Some(&one), false),
        (12 * H, Some(&one), false),
        (24 * H, Some(&one), true),
        (30 * H, Some(&churned), false),
        (36 * H, Some(&two), true),
        (42 * H, None, false),
        (48 * H, Some(&two), false),
        (60 * H, Some(&two), false),
        (72 * H, Some(&two), true),
        (78 * H, Some(&two), false),
    ];
    let mut row = Recorded::default();
    for (i, (at, held, want)) in sweeps.into_iter().enumerate() {
        let now = T + at;
        let told = tell(&row, held, now, bound());
        assert_eq!(told, want, "sweep {i} at +{}h: {row:?}", at / H);
        row = after_record(row, held.is_some(), now);
        if told {
            row.told = held.map(Blocking::fingerprint);
        }
    }
}

#[test]
fn the_blocking_nodes_are_each_named_with_their_reason_and_bounded() {
    let b = Blocking::of(Some(&found(&["i-2"], &["i-1"])), "ops");
    assert_eq!(b.verdict, "would_refuse");
    let named: Vec<(&str, &str)> = b
        .nodes
        .iter()
        .map(|n| (n.node.as_str(), n.reason.as_str()))
        .collect();
    assert_eq!(named, [("i-1", "timed_out"), ("i-2", "user_missing")]);
    assert!(b.nodes[0].why.contains("timed out"), "{:?}", b.nodes[0]);
    assert!(b.nodes[1].why.contains("user ops does not exist"));
    assert_eq!(b.reasons["user_missing"], 1);
    assert_eq!(b.reasons["timed_out"], 1);
    assert_eq!(b.more, 0);

    // 30 timed out, 20 read one by one (the check's own bound), 10 counted.
    let ids: Vec<String> = (0..20).map(|i| format!("i-{i:02}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut r = found(&[], &refs);
    r.not_run = Default::default();
    r.not_run.add(Reason::TimedOut, 30);
    r.not_run.read = refs
        .iter()
        .map(|n| NodeReason {
            node: n.to_string(),
            reason: Reason::TimedOut,
        })
        .collect();
    r.missing_nodes = vec!["i-zz".into()];
    r.missing = 4;
    let b = Blocking::of(Some(&r), "ops");
    assert_eq!(b.nodes.len(), MAX_BLOCKING);
    assert_eq!(b.more, 34 - MAX_BLOCKING as u64);
    assert_eq!(b.reasons["timed_out"], 30);
}

#[test]
fn verdicts_without_nodes_still_differ() {
    let none = Blocking::of(None, "ops");
    assert_eq!(
        (none.verdict, none.describe.as_str()),
        ("no_result_yet", "no result yet")
    );
    let other = Blocking::of(Some(&found(&[], &[])), "admin");
    assert_eq!(other.verdict, "other_user");
    assert!(other.describe.contains("not this document's user admin"));
    let twice = Blocking::of(None, "ops");
    assert_eq!(none.fingerprint(), twice.fingerprint());
    let refused = Blocking::of(Some(&found(&["i-1"], &[])), "ops");
    let other_admin = Blocking::of(Some(&found(&[], &[])), "root");
    let all: Vec<String> = [none, other, other_admin, timed_out(&["i-1"]), refused]
        .iter()
        .map(Blocking::fingerprint)
        .collect();
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

/// Ordinary fleet churn is not another verdict: other node ids (hostile
/// ones too), more or fewer nodes, names read or not; another reason is.
#[test]
fn node_ids_and_counts_alone_are_not_another_verdict() {
    let told = timed_out(&["i-1"]).fingerprint();
    let mut more = found(&[], &["i-1"]);
    more.not_run.add(Reason::TimedOut, 7);
    let long = "i-".to_string() + &"f".repeat(10_000);
    let same: [(&str, Blocking); 6] = [
        ("another node", timed_out(&["i-2"])),
        ("more nodes", timed_out(&["i-2", "i-3", "i-4"])),
        ("counts only", Blocking::of(Some(&more), "ops")),
        ("a hostile id", timed_out(&["i-x\nSubject: fake\u{202e}"])),
        ("a very long id", timed_out(&[long.as_str()])),
        ("none named", {
            let mut r = found(&[], &[]);
            r.not_run.add(Reason::TimedOut, 3);
            Blocking::of(Some(&r), "ops")
        }),
    ];
    for (why, b) in same {
        assert_eq!(b.fingerprint(), told, "{why}");
    }
    let mut undelivered = found(&[], &["i-1"]);
    undelivered.not_run.add(Reason::Undeliverable, 1);
    let news: [(&str, Blocking); 3] = [
        (
            "a node lacks the user",
            Blocking::of(Some(&found(&["i-1"], &["i-2"])), "ops"),
        ),
        (
            "another reason joins",
            Blocking::of(Some(&undelivered), "ops"),
        ),
        ("no result at all", Blocking::of(None, "ops")),
    ];
    for (why, b) in news {
        assert_ne!(b.fingerprint(), told, "{why}");
    }
}

#[test]
fn durations_read_as_people_say_them() {
    for (ms, want) in [
        (0, "0m"),
        (-5, "0m"),
        (40 * 60_000, "40m"),
        (5 * H, "5h"),
        (48 * H, "2d"),
        (76 * H, "3d 4h"),
    ] {
        assert_eq!(human(ms), want);
    }
}

#[test]
fn nodes_counted_but_not_named_are_named_when_read() {
    // Two timed out, neither read one by one (SSM counts them apart).
    let mut r = found(&["i-9"], &[]);
    r.not_run.add(Reason::TimedOut, 2);
    let b = Blocking::of(Some(&r), "ops");
    assert!(b.unnamed());
    assert_eq!((b.nodes.len(), b.more), (1, 2));
    let read = [
        NodeReason {
            node: "i-2".into(),
            reason: Reason::TimedOut,
        },
        NodeReason {
            node: "i-1".into(),
            reason: Reason::Undeliverable,
        },
    ];
    let named = b.clone().named(&read);
    assert!(!named.unnamed());
    let nodes: Vec<(&str, &str)> = named
        .nodes
        .iter()
        .map(|n| (n.node.as_str(), n.reason.as_str()))
        .collect();
    assert_eq!(
        nodes,
        [
            ("i-1", "undeliverable"),
            ("i-2", "timed_out"),
            ("i-9", "user_missing")
        ]
    );
    assert_eq!(named.more, 0);
    // Which nodes are named is not part of the verdict: whether a hold is
    // news never waits for (or depends on) reading them.
    assert_eq!(named.fingerprint(), b.fingerprint());
    assert_eq!(named.fingerprint(), b.named(&read[..1]).fingerprint());
}
