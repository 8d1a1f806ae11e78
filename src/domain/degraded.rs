//! A sweep that checks itself (pure). A whole sweep is degraded when
//!
//! - it governed no account while accounts in scope should have been
//!   governed (active ones it failed to reach, or ones whose standing in
//!   Organizations could not be read), or
//! - it governed fewer than half of the accounts the last recorded whole
//!   sweep governed, when that sweep governed at least [`MIN_BASELINE`] and
//!   the policy's governance (its fingerprint: scope, exemptions, rules)
//!   has not changed since.
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
    /// One sentence: saw, expected.
    pub said: String,
}

/// Whether this sweep is degraded, given the last recorded one.
pub fn check(seen: Seen, policy: &str, last: Option<&Baseline>) -> Option<Degraded> {
    let comparable = last.filter(|l| l.policy == policy && l.governed >= MIN_BASELINE);
    let degraded = |why, said: String| Degraded {
        why,
        accounts: seen.accounts,
        governed: seen.governed,
        expected: seen.expected,
        unreadable: seen.unreadable,
        last_governed: last.map(|l| l.governed),
        last_at: last.map(|l| l.at.clone()),
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
    (seen.governed.saturating_mul(2) < last.governed).then(|| {
        degraded(
            Why::FarFewer,
            format!(
                "the sweep governed {} account(s), fewer than half of the {} the last sweep governed ({}), and the policy's scope, exemptions and rules did not change",
                seen.governed, last.governed, last.at
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
        })
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
            let got = check(*s, "p", l.as_ref());
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
        let d = check(seen(0, 5, 5), "p", None).unwrap();
        assert!(d.said.contains("governed no account"), "{}", d.said);
        assert!(d.said.contains("5 account(s) in scope"), "{}", d.said);
        assert!(
            d.said.contains("5 of them because their standing"),
            "{}",
            d.said
        );
        let d = check(seen(3, 3, 0), "p", last(10, "p").as_ref()).unwrap();
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
        let d = check(s, "p", l.as_ref());
        assert!(d.is_some());
        let kept = recorded(s, d.is_some(), "p", l.as_ref());
        assert_eq!(kept, 4);
        let next = Baseline {
            governed: kept,
            ..l.clone().unwrap()
        };
        assert_eq!(check(s, "p", Some(&next)), None);
        // A drop to none keeps 10, so the next sweep says it again.
        let s = seen(0, 0, 0);
        let d = check(s, "p", l.as_ref());
        let kept = recorded(s, d.is_some(), "p", l.as_ref());
        assert_eq!(kept, 10);
        let next = Baseline {
            governed: kept,
            ..l.clone().unwrap()
        };
        assert!(check(s, "p", Some(&next)).is_some());
        // Under another policy, none is what it records.
        assert_eq!(recorded(s, false, "q", l.as_ref()), 0);
        // A healthy sweep records itself.
        assert_eq!(recorded(seen(12, 12, 0), false, "p", l.as_ref()), 12);
    }
}
