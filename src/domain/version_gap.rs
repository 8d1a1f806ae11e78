//! The versions of a governed document made since the table last recorded
//! it that this run did not read (pure): an editor the SCPs do not stop can
//! set Run As to root, open a session and set it back before any run looks;
//! the document then reads right, but the versions in between say what
//! held meanwhile. Which versions to read ([`gap`]), and which of those
//! held Run As other than the desired state, from when until when
//! ([`windows`]).

use serde::Serialize;

use crate::domain::ports::Versions;
use crate::domain::preferences::RunAs;

/// Versions read at most per account-region and run (one `GetDocument`
/// each, all at once): an editor who made more in one gap has the rest
/// counted, not read.
pub const MAX_PAST_READS: usize = 10;

/// What a run reads of a document's history, and what it leaves unread.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Gap {
    /// Version numbers, oldest first: the versions after the recorded
    /// default up to the bound, then the latest (whose creation closes the
    /// window of the one before it).
    pub to_read: Vec<u64>,
    /// Versions in the gap beyond the bound, not read.
    pub beyond: usize,
    /// The versions this run read already (default and latest): told by
    /// the run's own judgement, never as a past window.
    pub current: [u64; 2],
}

/// The versions between what the table recorded (`recorded`: the default
/// version after the last recorded run) and what this run found (`now`).
/// None when nothing was made in between, or a number is not one (SSM's
/// versions are counters; anything else is not judged).
pub fn gap(recorded: Option<&str>, now: &Versions) -> Option<Gap> {
    let number = |s: &str| s.parse::<u64>().ok();
    let recorded = number(recorded?)?;
    let (default, latest) = (number(&now.default)?, number(&now.latest)?);
    // A version between the recorded one and the latest that is neither
    // (the default read already is never a past version).
    let between: Vec<u64> = (recorded.saturating_add(1)..latest)
        .filter(|v| *v != default)
        .collect();
    if between.is_empty() {
        return None;
    }
    let beyond = between.len().saturating_sub(MAX_PAST_READS);
    let mut to_read: Vec<u64> = between.into_iter().take(MAX_PAST_READS).collect();
    to_read.push(latest);
    Some(Gap {
        to_read,
        beyond,
        current: [default, latest],
    })
}

/// One version as read back: its Run As (`None`: it was deleted, or its
/// content is not preferences) and when it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Past {
    pub number: u64,
    pub run_as: Option<RunAs>,
    pub created: Option<String>,
}

/// A version that held Run As other than the desired state, and for how
/// long at most: from its creation to the next version's (a version takes
/// effect only once made default, which SSM does not record per version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    pub version: String,
    pub run_as: RunAs,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The next version's creation; absent when it was not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// What a run found in a document's history: its windows, and the
/// versions it could not judge (beyond the bound, deleted, unreadable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct History {
    pub windows: Vec<Window>,
    #[serde(skip_serializing_if = "is_zero")]
    pub unread: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The windows among `read` (oldest first, as [`gap`] listed them): the
/// versions whose Run As `accepted` refuses (the caller accepts what the
/// policy wants now, what it wanted when the table recorded the slot, and
/// what the table recorded there: a policy change or an audit finding
/// already told is no window). The current versions are the run's own to
/// judge.
pub fn windows(gap: &Gap, read: &[Past], accepted: impl Fn(&RunAs) -> bool) -> History {
    let mut read: Vec<&Past> = read.iter().collect();
    read.sort_by_key(|p| p.number);
    let past = |p: &Past| !gap.current.contains(&p.number);
    let mut out = History {
        windows: Vec::new(),
        unread: gap.beyond
            + read
                .iter()
                .filter(|p| past(p) && p.run_as.is_none())
                .count(),
    };
    for (i, p) in read.iter().enumerate().filter(|(_, p)| past(p)) {
        let Some(run_as) = p.run_as.as_ref().filter(|r| !accepted(r)) else {
            continue;
        };
        // Closed by the next version made, when it was read and follows
        // directly (a version beyond the bound may lie in between).
        let until = read
            .get(i + 1)
            .filter(|n| n.number == p.number + 1)
            .and_then(|n| n.created.clone());
        out.windows.push(Window {
            version: p.number.to_string(),
            run_as: run_as.clone(),
            from: p.created.clone(),
            until,
        });
    }
    out
}

/// The windows' versions as one value (`"2,5"`): what a run claims to
/// tell, so two runs that read the same history tell it once.
pub fn claimed_value(history: &History) -> String {
    history
        .windows
        .iter()
        .map(|w| w.version.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn versions(default: &str, latest: &str) -> Versions {
        Versions {
            default: default.into(),
            latest: latest.into(),
        }
    }

    fn run_as(user: &str) -> Option<RunAs> {
        Some(RunAs {
            enabled: Some(json!(true)),
            user: Some(json!(user)),
        })
    }

    fn past(number: u64, user: Option<&str>, created: &str) -> Past {
        Past {
            number,
            run_as: user.and_then(run_as),
            created: Some(created.into()),
        }
    }

    fn ops(r: &RunAs) -> bool {
        r.is_compliant("ssm-ops")
    }

    #[test]
    fn what_the_caller_accepts_is_no_window() {
        let g = gap(Some("1"), &versions("4", "4")).unwrap();
        let read = [past(2, Some("app"), "t2"), past(3, Some("root"), "t3")];
        // The policy moved from ssm-ops to app: app is accepted, root is not.
        let h = windows(&g, &read, |r| r.is_compliant("app") || ops(r));
        assert_eq!(h.windows.len(), 1);
        assert_eq!(h.windows[0].version, "3");
        assert!(windows(&g, &read, |_| true).windows.is_empty());
    }

    #[test]
    fn the_gap_is_what_was_made_between_and_not_read() {
        // (recorded, (default, latest), Some((to read, beyond)))
        type Case<'a> = (
            Option<&'a str>,
            (&'a str, &'a str),
            Option<(&'a [u64], usize)>,
        );
        let cases: &[Case] = &[
            // Nothing recorded, nothing moved, or one version on top (read).
            (None, ("3", "3"), None),
            (Some("3"), ("3", "3"), None),
            (Some("3"), ("4", "4"), None),
            // The root window: 1 recorded, 2 made and undone by 3.
            (Some("1"), ("3", "3"), Some((&[2, 3], 0))),
            // The default read already is never a past version.
            (Some("1"), ("2", "3"), None),
            (Some("1"), ("3", "5"), Some((&[2, 4, 5], 0))),
            // Versions going back (a recreated document) or not numbers.
            (Some("9"), ("3", "3"), None),
            (Some("x"), ("3", "3"), None),
            (Some("1"), ("3", "three"), None),
            (Some("-1"), ("3", "3"), None),
            (Some("18446744073709551615"), ("3", "3"), None),
        ];
        for (recorded, (d, l), want) in cases {
            let got = gap(*recorded, &versions(d, l));
            let got = got.as_ref().map(|g| (g.to_read.as_slice(), g.beyond));
            assert_eq!(got, *want, "{recorded:?} {d} {l}");
        }
    }

    #[test]
    fn a_long_gap_reads_the_oldest_up_to_the_bound_and_counts_the_rest() {
        let g = gap(Some("1"), &versions("100", "100")).unwrap();
        assert_eq!(g.to_read.len(), MAX_PAST_READS + 1);
        assert_eq!(g.to_read[..3], [2, 3, 4]);
        assert_eq!(g.to_read.last(), Some(&100));
        assert_eq!(g.beyond, 98 - MAX_PAST_READS, "2 to 99");
    }

    #[test]
    fn a_version_out_of_policy_is_a_window_until_the_next_was_made() {
        let g = gap(Some("1"), &versions("4", "4")).unwrap();
        let read = [
            past(4, Some("ssm-ops"), "t4"),
            past(2, Some("root"), "t2"),
            past(3, Some("ssm-ops"), "t3"),
        ];
        let h = windows(&g, &read, ops);
        assert_eq!(h.unread, 0);
        assert_eq!(
            h.windows,
            [Window {
                version: "2".into(),
                run_as: run_as("root").unwrap(),
                from: Some("t2".into()),
                until: Some("t3".into()),
            }]
        );
        assert_eq!(claimed_value(&h), "2");
    }

    #[test]
    fn deleted_unreadable_and_current_versions_are_not_windows() {
        let g = gap(Some("1"), &versions("5", "5")).unwrap();
        let read = [
            past(2, None, "t2"),
            past(3, Some("root"), "t3"),
            // 4 deleted: 3's window has no known end.
            past(5, Some("root"), "t5"),
        ];
        let h = windows(&g, &read, ops);
        assert_eq!(h.unread, 1, "2 could not be judged");
        assert_eq!(h.windows.len(), 1, "5 is current: the run's own");
        assert_eq!(h.windows[0].version, "3");
        assert_eq!(h.windows[0].until, None);
        // Disabled Run As is out of policy too; all right is no window.
        let off = Past {
            number: 2,
            run_as: Some(RunAs {
                enabled: Some(json!(false)),
                user: Some(json!("ssm-ops")),
            }),
            created: None,
        };
        let h = windows(&g, &[off], ops);
        assert_eq!(h.windows.len(), 1);
        let fine = [
            past(2, Some("ssm-ops"), "t2"),
            past(3, Some("ssm-ops"), "t3"),
        ];
        assert!(windows(&g, &fine, ops).windows.is_empty());
    }
}
