//! A sweep that checks itself (pure). A whole sweep is degraded when
//!
//! - it governed no account while accounts in scope should have been
//!   governed (active ones it failed to reach, or ones whose standing in
//!   Organizations could not be read), or
//! - it governed fewer than half of the accounts the last recorded whole
//!   sweep governed, less those that left governance since, when that
//!   comes to at least [`MIN_BASELINE`] and the policy's governance (its
//!   fingerprint: scope, exemptions, rules) has not changed since.
//!
//! Accounts that left governance under an unchanged policy were moved into
//! an exempt OU or out of the scope; each was told on its own
//! (`account_left_governance`). A sweep counts the accounts the policy does
//! not govern (exempt or out of scope) and records the count: as many more
//! than the last sweep's explain as large a drop, so a reorganisation that
//! moves most accounts into an exempt OU is not degraded, while a drop
//! beyond what left (accounts suspended, closed, vanished from the walk)
//! still is.
//!
//! Either is one `sweep_degraded` alert, the `SweepDegraded` metric and a
//! failed run: never a quiet success. The bound's second half is told once
//! per drop (the next sweep compares with this one), except a drop to no
//! account at all, which keeps the last baseline so every sweep says it
//! until it is put right (or the policy changes).

use serde::Serialize;

/// Fewer governed accounts than this in the last sweep: halving them is
/// not news (one account closed in a small organization).
pub const MIN_BASELINE: usize = 4;

/// What the last recorded whole sweep governed, under which policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    pub governed: usize,
    /// [`crate::domain::policy::Policy::governance_fingerprint`] then.
    pub policy: String,
    pub at: String,
    /// Accounts it found the policy does not govern (exempt or out of
    /// scope); `None` from a sweep older than this count.
    pub not_governed: Option<usize>,
}

/// What this whole sweep governed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Seen {
    pub accounts: usize,
    pub governed: usize,
    pub expected: usize,
    pub unreadable: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// No account governed while some should have been.
    NoneGoverned,
    /// Fewer than half of the last sweep's, the policy unchanged.
    FarFewer,
}

/// What on-call is told: what the sweep saw and what it expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Degraded {
    pub why: Why,
    pub accounts: usize,
    pub governed: usize,
    pub expected: usize,
    pub unreadable: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_governed: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_at: Option<String>,
    /// Accounts that left governance since the last sweep (more exempt or
    /// out of scope than it found): the drop they explain is not degraded.
    #[serde(skip_serializing_if = "is_zero")]
    pub departed: usize,
    /// One sentence: saw, expected.
    pub said: String,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Accounts that left governance between the last sweep and this one:
/// how many more this sweep found exempt or out of scope (`not_governed`)
/// than the last did. Zero when either count is unknown, or fewer now.
pub fn departed(not_governed: Option<usize>, last: Option<&Baseline>) -> usize {
    match (not_governed, last.and_then(|l| l.not_governed)) {
        (Some(now), Some(then)) => now.saturating_sub(then),
        _ => 0,
    }
}

/// Whether this sweep is degraded, given the last recorded one and the
/// accounts this sweep found the policy does not govern (exempt or out of
/// scope): those that left since the last sweep explain as large a drop.
pub fn explained(
    seen: Seen,
    not_governed: Option<usize>,
    policy: &str,
    last: Option<&Baseline>,
) -> Option<Degraded> {
    let departed = departed(not_governed, last);
    // What the last sweep governed, less what left since.
    let expected_now = last.map(|l| l.governed.saturating_sub(departed));
    let comparable =
        last.filter(|l| l.policy == policy && l.governed.saturating_sub(departed) >= MIN_BASELINE);
    let degraded = |why, said: String| Degraded {
        why,
        accounts: seen.accounts,
        governed: seen.governed,
        expected: seen.expected,
        unreadable: seen.unreadable,
        last_governed: last.map(|l| l.governed),
        last_at: last.map(|l| l.at.clone()),
        departed,
        said,
    };
    if seen.governed == 0 && seen.expected > 0 {
        let unreadable = match seen.unreadable {
            0 => String::new(),
            n => format!(", {n} of them because their standing in Organizations cannot be read"),
        };
        return Some(degraded(
            Why::NoneGoverned,
            format!(
                "the sweep governed no account of the {} it walked; {} account(s) in scope should have been governed{unreadable}",
                seen.accounts, seen.expected
            ),
        ));
    }
    let last = comparable?;
    let expected_now = expected_now.unwrap_or(last.governed);
    (seen.governed.saturating_mul(2) < expected_now).then(|| {
        let of = match departed {
            0 => format!("the {} the last sweep governed ({})", last.governed, last.at),
            n => format!(
                "the {expected_now} expected: the {} the last sweep governed ({}) less {n} that left governance since (exempt or out of scope now)",
                last.governed, last.at
            ),
        };
        degraded(
            Why::FarFewer,
            format!(
                "the sweep governed {} account(s), fewer than half of {of}, and the policy's scope, exemptions and rules did not change",
                seen.governed
            ),
        )
    })
}

/// The governed count this sweep records for the next one to compare
/// with: its own, except a degraded sweep that governed nothing under the
/// same policy keeps the last (so the next sweep says it again).
pub fn recorded(seen: Seen, degraded: bool, policy: &str, last: Option<&Baseline>) -> usize {
    match last {
        Some(l) if degraded && seen.governed == 0 && l.policy == policy => l.governed,
        _ => seen.governed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(governed: usize, expected: usize, unreadable: usize) -> Seen {
        Seen {
            accounts: expected.max(governed) + 2,
            governed,
            expected,
            unreadable,
        }
    }

    fn last(governed: usize, policy: &str) -> Option<Baseline> {
        Some(Baseline {
            governed,
            policy: policy.into(),
            at: "2026-11-20T00:00:00Z".into(),
            not_governed: None,
        })
    }

    /// The last sweep governed `governed` and found `not_governed` exempt
    /// or out of scope.
    fn last_with(governed: usize, not_governed: Option<usize>) -> Option<Baseline> {
        last(governed, "p").map(|l| Baseline { not_governed, ..l })
    }

    /// Departures explain a drop; what they do not explain is still told.
    #[test]
    fn departures_explain_a_drop_and_only_as_large_a_one() {
        use Why::*;
        // (name, seen, not governed now, last, want)
        type Case = (
            &'static str,
            Seen,
            Option<usize>,
            Option<Baseline>,
            Option<Why>,
        );
        let cases: &[Case] = &[
            (
                "a reorganisation moves 450 of 500 into an exempt OU",
                seen(50, 50, 0),
                Some(452),
                last_with(500, Some(2)),
                None,
            ),
            (
                "every account moved into an exempt OU",
                seen(0, 0, 0),
                Some(500),
                last_with(500, Some(0)),
                None,
            ),
            (
                "moved out of the scope (OU moves, the policy unchanged)",
                seen(3, 3, 0),
                Some(7),
                last_with(13, Some(0)),
                None,
            ),
            (
                "8 of 20 left, 9 more vanished: the rest is told",
                seen(3, 3, 0),
                Some(8),
                last_with(20, Some(0)),
                Some(FarFewer),
            ),
            (
                "no departure: as before",
                seen(4, 4, 0),
                Some(5),
                last_with(10, Some(5)),
                Some(FarFewer),
            ),
            (
                "fewer ungoverned than before (accounts came back)",
                seen(4, 4, 0),
                Some(0),
                last_with(10, Some(6)),
                Some(FarFewer),
            ),
            (
                "a last sweep older than the count: nothing explained",
                seen(50, 50, 0),
                Some(452),
                last_with(500, None),
                Some(FarFewer),
            ),
            (
                "this sweep's count unknown: nothing explained",
                seen(50, 50, 0),
                None,
                last_with(500, Some(2)),
                Some(FarFewer),
            ),
            (
                "what stays is below the smallest comparable",
                seen(0, 0, 0),
                Some(8),
                last_with(10, Some(0)),
                None,
            ),
            (
                "departures never explain none governed that should be",
                seen(0, 5, 0),
                Some(400),
                last_with(500, Some(0)),
                Some(NoneGoverned),
            ),
            (
                "hostile counts: more departures than were governed",
                seen(0, 0, 0),
                Some(usize::MAX),
                last_with(10, Some(0)),
                None,
            ),
            (
                "hostile counts: a last count beyond this one",
                seen(2, 2, 0),
                Some(0),
                last_with(10, Some(usize::MAX)),
                Some(FarFewer),
            ),
        ];
        for (name, s, now, l, want) in cases {
            let got = explained(*s, *now, "p", l.as_ref());
            assert_eq!(got.as_ref().map(|d| d.why), *want, "{name}");
        }
        // Under another policy a drop is never degraded, departures or not.
        let other = last(500, "q").map(|l| Baseline {
            not_governed: Some(0),
            ..l
        });
        assert_eq!(explained(seen(1, 1, 0), Some(3), "p", other.as_ref()), None);
        // `check` knows no departures.
        assert_eq!(
            explained(seen(50, 50, 0), None, "p", last_with(500, Some(2)).as_ref()).map(|d| d.why),
            Some(FarFewer)
        );
    }

    #[test]
    fn a_partly_explained_drop_says_what_left_and_what_was_expected() {
        let d = explained(seen(3, 3, 0), Some(8), "p", last_with(20, Some(0)).as_ref()).unwrap();
        assert_eq!(d.departed, 8);
        assert!(
            d.said.contains("fewer than half of the 12 expected")
                && d.said.contains("the 20 the last sweep governed")
                && d.said.contains("less 8 that left governance since"),
            "{}",
            d.said
        );
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["departed"], 8);
        let plain = explained(seen(3, 3, 0), None, "p", last(10, "p").as_ref()).unwrap();
        assert!(serde_json::to_value(&plain)
            .unwrap()
            .get("departed")
            .is_none());
    }

    #[test]
    fn the_bound_table() {
        use Why::*;
        let cases: &[(&str, Seen, Option<Baseline>, Option<Why>)] = &[
            ("first sweep, all governed", seen(5, 5, 0), None, None),
            (
                "first sweep, every standing unreadable",
                seen(0, 5, 5),
                None,
                Some(NoneGoverned),
            ),
            (
                "every account failed to be reached",
                seen(0, 3, 0),
                last(3, "p"),
                Some(NoneGoverned),
            ),
            ("nothing in scope at all", seen(0, 0, 0), None, None),
            (
                "nothing expected and nothing last time",
                seen(0, 0, 0),
                last(0, "p"),
                None,
            ),
            (
                "one account, failing",
                seen(0, 1, 0),
                None,
                Some(NoneGoverned),
            ),
            ("steady", seen(10, 10, 0), last(10, "p"), None),
            (
                "half is not fewer than half",
                seen(5, 5, 0),
                last(10, "p"),
                None,
            ),
            (
                "fewer than half, same policy",
                seen(4, 4, 0),
                last(10, "p"),
                Some(FarFewer),
            ),
            (
                "all read as suspended (expected 0)",
                seen(0, 0, 0),
                last(10, "p"),
                Some(FarFewer),
            ),
            (
                "fewer than half after a policy change",
                seen(4, 4, 0),
                last(10, "q"),
                None,
            ),
            (
                "none governed after a policy change that dropped all",
                seen(0, 0, 0),
                last(10, "q"),
                None,
            ),
            ("a small last sweep", seen(1, 1, 0), last(3, "p"), None),
            (
                "the smallest comparable",
                seen(1, 1, 0),
                last(MIN_BASELINE, "p"),
                Some(FarFewer),
            ),
            ("more than last time", seen(20, 20, 0), last(10, "p"), None),
            (
                "some failed, most governed",
                seen(9, 12, 3),
                last(12, "p"),
                None,
            ),
            (
                "huge numbers",
                seen(usize::MAX / 4, usize::MAX / 4, 0),
                last(usize::MAX / 2 - 1, "p"),
                None,
            ),
        ];
        for (name, s, l, want) in cases {
            let got = explained(*s, None, "p", l.as_ref());
            assert_eq!(got.as_ref().map(|d| d.why), *want, "{name}");
            if let Some(d) = got {
                assert_eq!((d.governed, d.expected), (s.governed, s.expected), "{name}");
                assert!(
                    d.said.contains(&s.governed.to_string()) || d.said.contains("no account"),
                    "{name}: {}",
                    d.said
                );
                assert_eq!(d.last_governed, l.as_ref().map(|l| l.governed), "{name}");
            }
        }
    }

    #[test]
    fn what_it_says_names_what_it_saw_and_expected() {
        let d = explained(seen(0, 5, 5), None, "p", None).unwrap();
        assert!(d.said.contains("governed no account"), "{}", d.said);
        assert!(d.said.contains("5 account(s) in scope"), "{}", d.said);
        assert!(
            d.said.contains("5 of them because their standing"),
            "{}",
            d.said
        );
        let d = explained(seen(3, 3, 0), None, "p", last(10, "p").as_ref()).unwrap();
        assert!(
            d.said.contains("governed 3 account(s)")
                && d.said
                    .contains("the 10 the last sweep governed (2026-11-20T00:00:00Z)"),
            "{}",
            d.said
        );
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["why"], "far_fewer");
        assert_eq!(json["last_governed"], 10);
    }

    #[test]
    fn a_drop_is_told_once_but_none_governed_keeps_being_told() {
        let l = last(10, "p");
        // A drop to 4: the next sweep compares with 4, and is quiet.
        let s = seen(4, 4, 0);
        let d = explained(s, None, "p", l.as_ref());
        assert!(d.is_some());
        let kept = recorded(s, d.is_some(), "p", l.as_ref());
        assert_eq!(kept, 4);
        let next = Baseline {
            governed: kept,
            ..l.clone().unwrap()
        };
        assert_eq!(explained(s, None, "p", Some(&next)), None);
        // A drop to none keeps 10, so the next sweep says it again.
        let s = seen(0, 0, 0);
        let d = explained(s, None, "p", l.as_ref());
        let kept = recorded(s, d.is_some(), "p", l.as_ref());
        assert_eq!(kept, 10);
        let next = Baseline {
            governed: kept,
            ..l.clone().unwrap()
        };
        assert!(explained(s, None, "p", Some(&next)).is_some());
        // Under another policy, none is what it records.
        assert_eq!(recorded(s, false, "q", l.as_ref()), 0);
        // A healthy sweep records itself.
        assert_eq!(recorded(seen(12, 12, 0), false, "p", l.as_ref()), 12);
    }
}
