//! The versions of a governed document made since the table last recorded it that this run did
//! not read (pure): an editor the SCPs do not stop can set Run As to root, open a session and set
//! it back before any run looks; the document then reads right, but the versions in between say
//! what held meanwhile. Which versions to read ([`gap`]), and which of those held Run As other
//! than the desired state, from when until when ([`windows`]).

use serde::Serialize;

mod adopted;
pub mod kept;
mod latest;
pub mod life;
mod made;
mod switched;
mod through;
mod tokens;
pub use adopted::{told_by_adoption, Replaced};
pub use latest::{covered_by_default, with_latest};
pub use life::{from_life, gap_unrecorded, life_to_check, of_life, remade, starts_history};
pub use made::{event_version, made_by, opened_at_making};
pub use switched::{
    judged_ever, judged_forgotten, judged_numbers, judged_up_to, judged_value, opened_by_switch,
    second_end, switch_in, switch_of, switched_to, with_switch_back, Switch,
};
pub use through::{switch_opened, told_reach, Reach};
pub use tokens::{
    claim_tokens, follow_up, made_by_version, naming_tokens, only_claimed, to_name, token_version,
    window_token, Ledgered,
};

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
    /// The document was deleted and made again since the record (this is
    /// the default version the table recorded of the former one): its
    /// versions from 1 are a new history, read from there.
    pub recreated: Option<String>,
    /// The latest version is judged as a past one too ([`latest::with_latest`]):
    /// made since the record and no longer the default, it can have been
    /// the default in between, and the run's own judgement tells the
    /// (out-of-policy) default instead of it.
    pub latest_past: bool,
    /// A version the run's event made the default, outside the gap (at or
    /// below the record), read as a past one ([`switched::with_switch_back`]):
    /// its window opens at the switch, not at its making.
    pub switched: Option<Switch>,
}

/// What the table recorded of a slot's document: its default version, and
/// when the run that recorded it wrote the row (epoch milliseconds, where
/// the read holds it).
#[derive(Debug, Clone, Copy, Default)]
pub struct Record<'a> {
    pub version: Option<&'a str>,
    pub at_ms: Option<i64>,
}

/// [`gap`], knowing that a document deleted and made again restarts at
/// version 1: versions below the recorded one, or a `DeleteDocument` /
/// `CreateDocument` of it (`remade_ms`: the event's time) later than the
/// record, mean a new document, whose versions are read from 1 (bounded as
/// any gap), and said even when none lies between.
pub fn gap_since(recorded: Record<'_>, now: &Versions, remade_ms: Option<i64>) -> Option<Gap> {
    let number = |s: &str| s.parse::<u64>().ok();
    let version = number(recorded.version?)?;
    let (default, latest) = (number(&now.default)?, number(&now.latest)?);
    let below = latest < version;
    let remade = matches!((remade_ms, recorded.at_ms), (Some(e), Some(r)) if e > r);
    if !below && !remade {
        return gap(recorded.version, now);
    }
    Some(life::remade_gap(version, [default, latest], now))
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
        recreated: None,
        latest_past: false,
        switched: None,
    })
}

/// One version as read back: its Run As (`None`: it was deleted, or its
/// content is not preferences, or its read failed) and when it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Past {
    pub number: u64,
    pub run_as: Option<RunAs>,
    pub created: Option<String>,
    /// The read failed past the SDK's retries (throttled, timed out, a
    /// 5xx): the AWS error code. The version is not judged, and that is
    /// told ([`Unjudged`]), never only counted.
    pub failed: Option<String>,
}

/// A version that held Run As other than the desired state, and for how
/// long at most: from its creation (it cannot have been the default
/// before) to the latest moment it can have been the default. Session
/// Manager reads the default version, and making a version and making it
/// the default are two calls: the next version's creation does not end
/// the window (a script, or an editor who knows, leaves the bad version
/// the default after the next one exists). Exactly one of `until_known`
/// and `until_at_most` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    pub version: String,
    pub run_as: RunAs,
    /// When AWS says the version was made: part of its fact's identity
    /// (`domain::fact`), not of the alert's text.
    #[serde(skip)]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// When it stopped being the default, as the `UpdateDocumentDefaultVersion`
    /// event of the next switch says (the end of its second: CloudTrail
    /// cuts times to the second).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until_known: Option<String>,
    /// No event says when it stopped: the latest it can have been the
    /// default, a later switch's time or when this run found the document
    /// right.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until_at_most: Option<String>,
}

/// When the versions of a gap can have stopped being the default.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ends {
    /// A default switch an event says: the version made the default, and
    /// when (the end of the event's second). Only a switch to the default
    /// this run found counts (a later one would have moved it).
    pub switched: Option<(u64, String)>,
    /// When this run found the document right (its read).
    pub found: String,
}

/// What a run found in a document's history: its windows, and the
/// versions it could not judge (beyond the bound, deleted, unreadable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct History {
    pub windows: Vec<Window>,
    #[serde(skip_serializing_if = "is_zero")]
    pub unread: usize,
    /// Versions this run could not judge because a read failed: told as
    /// such (`domain::alert::on_unread`), never recorded past silently.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unjudged: Option<Unjudged>,
    /// The document was deleted and made again: the default version the
    /// table recorded of the former one. Told (the deletion), whatever
    /// the new versions hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recreated: Option<String>,
    /// When the present life of a document made again began: its version
    /// 1's `CreatedDate`, where this run read it ([`life::of_version_one`]).
    #[serde(skip)]
    pub life_made: Option<String>,
    /// Told already by another run, whose trigger named no editor or
    /// another: this run's own event made these versions (or made one the
    /// default), and its alert names their editor as a follow-up of that
    /// run's (since 0.7.14).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up_of: Option<crate::domain::window_claim::Teller>,
    /// Versions whose window the run's alert about the out-of-policy
    /// default tells ([`covered_by_default`]): judged, not told apart.
    #[serde(skip)]
    pub covered: Vec<String>,
}

/// Versions not judged because a read failed, and the span they lie in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unjudged {
    /// Version numbers, or ranges (`"1-5"`), oldest first.
    pub versions: Vec<String>,
    /// What could not be read: `GetDocument` (a past version) or `Query`
    /// (the table's record of the account), with the AWS error code.
    pub operation: &'static str,
    pub error_code: String,
    /// The making of the nearest version below them that was read: none
    /// of them is older. Their span ends, at most, when the run found the
    /// document (the alert's `at`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

impl History {
    /// Whether there is anything to tell: a window, or versions not judged.
    pub fn is_news(&self) -> bool {
        !self.windows.is_empty()
            || self.recreated.is_some()
            || self
                .unjudged
                .as_ref()
                .is_some_and(|u| !u.versions.is_empty())
    }

    /// The history told when the table's record could not be read
    /// (`code`): every version below the bound is not judged either.
    pub fn without_record(mut self, gap: &Gap, code: &str) -> History {
        let mut versions = ranges(&(1..=gap.beyond as u64).collect::<Vec<_>>());
        let (from, failed) = match self.unjudged.take() {
            Some(u) => (u.from, u.versions),
            None => (None, vec![]),
        };
        versions.extend(failed);
        self.unjudged = Some(Unjudged {
            versions,
            operation: "Query",
            error_code: code.to_string(),
            from,
        });
        self
    }
}

/// `[1, 2, 3, 5]` as `["1-3", "5"]`.
fn ranges(numbers: &[u64]) -> Vec<String> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for &n in numbers {
        match out.last_mut() {
            Some((_, end)) if *end + 1 == n => *end = n,
            _ => out.push((n, n)),
        }
    }
    out.into_iter()
        .map(|(a, b)| match a == b {
            true => a.to_string(),
            false => format!("{a}-{b}"),
        })
        .collect()
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The versions among `failed` (past, their read failed), told not judged;
/// their span opens at the making of the nearest version below them that
/// was read, or at the switch that made the first of them the default.
fn unjudged_of(
    failed: &[&&Past],
    read: &[&Past],
    switched_at: impl Fn(u64) -> Option<String>,
) -> Option<Unjudged> {
    let first = failed.first()?;
    let numbers: Vec<u64> = failed.iter().map(|p| p.number).collect();
    let below = read
        .iter()
        .filter(|p| p.number < first.number && p.failed.is_none())
        .filter_map(|p| p.created.clone())
        .next_back();
    Some(Unjudged {
        versions: ranges(&numbers),
        operation: "GetDocument",
        error_code: first.failed.clone().unwrap_or_default(),
        from: switched_at(first.number).or(below),
    })
}

/// The windows among `read` (oldest first, as [`gap`] listed them): the
/// versions whose Run As `accepted` refuses (what the policy wants now and
/// when the table recorded the slot, and an audit finding already told, are
/// no window). Its second argument says the version's window opened at the
/// run's own switch, which no record before it told (seed 900187). The
/// current versions are the run's own to judge, except a latest behind the
/// default where a version below it is a window ([`latest::behind_a_window`]).
pub fn windows(
    gap: &Gap,
    read: &[Past],
    accepted: impl Fn(&RunAs, bool) -> bool,
    ends: &Ends,
) -> History {
    let out = judge(gap, read, &accepted, ends);
    match latest::behind_a_window(gap, &out) {
        Some(gap) => judge(&gap, read, &accepted, ends),
        None => out,
    }
}

fn judge(
    gap: &Gap,
    read: &[Past],
    accepted: &impl Fn(&RunAs, bool) -> bool,
    ends: &Ends,
) -> History {
    let mut read: Vec<&Past> = read.iter().collect();
    read.sort_by_key(|p| p.number);
    // Judged: the gap's own versions; another read (an [`anchor`]) only
    // says when the versions above it can first have been made.
    let current = |n: u64| gap.current[0] == n || (gap.current[1] == n && !gap.latest_past);
    let past = |p: &Past| !current(p.number) && gap.to_read.contains(&p.number);
    let mut out = History {
        follow_up_of: None,
        covered: Vec::new(),
        windows: Vec::new(),
        unread: gap.beyond
            + read
                .iter()
                .filter(|p| past(p) && p.run_as.is_none())
                .count(),
        unjudged: None,
        recreated: gap.recreated.clone(),
        life_made: life::of_version_one(gap, &read),
    };
    let failed: Vec<&&Past> = read
        .iter()
        .filter(|p| past(p) && p.failed.is_some())
        .collect();
    let switched_at = |n: u64| switched::opened(gap, n);
    out.unjudged = unjudged_of(&failed, &read, switched_at);
    for p in read.iter().filter(|p| past(p)) {
        let at_switch = switched_at(p.number).is_some();
        let Some(run_as) = p.run_as.as_ref().filter(|r| !accepted(r, at_switch)) else {
            continue;
        };
        out.windows.push(Window {
            version: p.number.to_string(),
            run_as: run_as.clone(),
            created: p.created.clone(),
            from: switched_at(p.number).or(p.created.clone()),
            until_known: None,
            until_at_most: None,
        });
    }
    bound(&mut out.windows, gap, ends);
    out
}

/// Each window's end: the switch an event says ended the last window
/// below the version it made the default (`until_known`), and bounds the
/// windows before it (`until_at_most`); any other window can have held
/// until this run found the document right.
fn bound(windows: &mut [Window], gap: &Gap, ends: &Ends) {
    let number = |w: &Window| w.version.parse::<u64>().unwrap_or(u64::MAX);
    let switch = ends.switched.as_ref().filter(|(s, _)| *s == gap.current[0]);
    let last_below = switch.and_then(|(s, _)| windows.iter().map(number).filter(|v| v < s).max());
    for w in windows.iter_mut() {
        let v = number(w);
        match switch {
            Some((s, at)) if v < *s && Some(v) == last_below => w.until_known = Some(at.clone()),
            Some((s, at)) if v < *s => w.until_at_most = Some(at.clone()),
            _ => w.until_at_most = Some(ends.found.clone()),
        }
    }
}

/// The version to read besides the gap when a read failed and no version
/// below the first that failed was read: its making is when the versions
/// not judged can first have been made (their span's start).
pub fn anchor(gap: &Gap, read: &[Past]) -> Option<u64> {
    let first = read
        .iter()
        .filter(|p| p.failed.is_some() && !gap.current.contains(&p.number))
        .map(|p| p.number)
        .min()?;
    let below = read
        .iter()
        .any(|p| p.number < first && p.failed.is_none() && p.created.is_some());
    let anchor = first.checked_sub(1).filter(|v| *v >= 1)?;
    (!below).then_some(anchor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A root window of `version` (shared with the submodules' tests:
    /// adopted, tokens).
    pub(super) fn root_window(version: &str) -> Window {
        Window {
            version: version.into(),
            run_as: run_as("root").unwrap(),
            created: None,
            from: None,
            until_known: None,
            until_at_most: Some("2026-11-26T00:00:00Z".into()),
        }
    }

    /// Shared with the submodules' tests (life, latest).
    pub(super) fn versions(default: &str, latest: &str) -> Versions {
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
            failed: None,
        }
    }

    fn failed(number: u64, code: &str) -> Past {
        Past {
            number,
            run_as: None,
            created: None,
            failed: Some(code.into()),
        }
    }

    fn ops(r: &RunAs, _at_switch: bool) -> bool {
        r.is_compliant("ssm-ops")
    }

    /// The run found the document right at `now`; no event says a switch.
    fn found() -> Ends {
        Ends {
            switched: None,
            found: "now".into(),
        }
    }

    #[test]
    fn what_the_caller_accepts_is_no_window() {
        let g = gap(Some("1"), &versions("4", "4")).unwrap();
        let read = [past(2, Some("app"), "t2"), past(3, Some("root"), "t3")];
        // The policy moved from ssm-ops to app: app is accepted, root is not.
        let h = windows(
            &g,
            &read,
            |r, s| r.is_compliant("app") || ops(r, s),
            &found(),
        );
        assert_eq!(h.windows.len(), 1);
        assert_eq!(h.windows[0].version, "3");
        assert!(windows(&g, &read, |_, _| true, &found()).windows.is_empty());
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
    fn a_window_ends_no_earlier_than_the_latest_moment_it_can_have_been_the_default() {
        let g = gap(Some("1"), &versions("5", "5")).unwrap();
        let read = [
            past(2, Some("root"), "t2"),
            past(3, Some("root"), "t3"),
            past(4, Some("ssm-ops"), "t4"),
            past(5, Some("ssm-ops"), "t5"),
        ];
        let ends = |switched: Option<(u64, &str)>| Ends {
            switched: switched.map(|(v, at)| (v, at.to_string())),
            found: "now".into(),
        };
        // (the switch an event says) -> each window's (until_known, until_at_most)
        type Bounds<'a> = [(Option<&'a str>, Option<&'a str>); 2];
        let cases: &[(Option<(u64, &str)>, Bounds)] = &[
            // No event says: until the run found it right, never the
            // next version's making (t3, t4).
            (None, [(None, Some("now")), (None, Some("now"))]),
            // The switch to the default found ended the last window
            // before it, and bounds the one before that.
            (Some((5, "s5")), [(None, Some("s5")), (Some("s5"), None)]),
            // A switch to another version than the default found is
            // not the last (a later one moved it): not a bound.
            (Some((4, "s4")), [(None, Some("now")), (None, Some("now"))]),
            (Some((2, "s2")), [(None, Some("now")), (None, Some("now"))]),
        ];
        for (switched, want) in cases {
            let h = windows(&g, &read, ops, &ends(*switched));
            let got: Vec<_> = h
                .windows
                .iter()
                .map(|w| (w.until_known.as_deref(), w.until_at_most.as_deref()))
                .collect();
            assert_eq!(got, want.to_vec(), "{switched:?}");
            for w in &h.windows {
                assert!(
                    w.until_known.is_some() != w.until_at_most.is_some(),
                    "one bound: {w:?}"
                );
            }
        }
    }

    #[test]
    fn a_latest_behind_a_right_default_is_a_window_where_a_version_below_it_is() {
        let read = |v4: &str, v5: &str| {
            [
                past(4, Some(v4), "t4"),
                past(5, Some(v5), "t5"),
                past(3, Some("ssm-ops"), "t3"),
            ]
        };
        // (versions now, v4's and v5's Run As, made again) -> windows
        let cases = [
            (("3", "5"), ("root", "root"), false, vec!["4", "5"]),
            (("3", "5"), ("root", "alice"), false, vec!["4", "5"]),
            // Nothing below it was a window: the latest alone is the run's own.
            (("3", "5"), ("ssm-ops", "root"), false, vec![]),
            (("3", "5"), ("root", "ssm-ops"), false, vec!["4"]),
            // The latest is the default: the run's own, as ever.
            (("5", "5"), ("root", "root"), false, vec!["4"]),
            // A document made again keeps its own rule.
            (("3", "5"), ("root", "root"), true, vec!["4"]),
        ];
        for ((d, l), (v4, v5), remade, want) in cases {
            let mut g = gap(Some("2"), &versions(d, l)).unwrap();
            if remade {
                g.recreated = Some("9".into());
            }
            let h = windows(&g, &read(v4, v5), ops, &found());
            let got: Vec<&str> = h.windows.iter().map(|w| w.version.as_str()).collect();
            assert_eq!(got, want, "{d} {l} {v4} {v5} {remade}");
        }
    }

    #[test]
    fn a_version_out_of_policy_is_a_window_until_the_next_was_made() {
        let g = gap(Some("1"), &versions("4", "4")).unwrap();
        let read = [
            past(4, Some("ssm-ops"), "t4"),
            past(2, Some("root"), "t2"),
            past(3, Some("ssm-ops"), "t3"),
        ];
        let h = windows(&g, &read, ops, &found());
        assert_eq!(h.unread, 0);
        assert_eq!(
            h.windows,
            [Window {
                version: "2".into(),
                run_as: run_as("root").unwrap(),
                created: Some("t2".into()),
                from: Some("t2".into()),
                until_known: None,
                until_at_most: Some("now".into()),
            }]
        );
        assert_eq!(claim_tokens(&h), ["2"]);
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
        let h = windows(&g, &read, ops, &found());
        assert_eq!(h.unread, 1, "2 could not be judged");
        assert_eq!(h.windows.len(), 1, "5 is current: the run's own");
        assert_eq!(h.windows[0].version, "3");
        assert_eq!(h.windows[0].until_at_most.as_deref(), Some("now"));
        // Disabled Run As is out of policy too; all right is no window.
        let off = Past {
            number: 2,
            run_as: Some(RunAs {
                enabled: Some(json!(false)),
                user: Some(json!("ssm-ops")),
            }),
            created: None,
            failed: None,
        };
        let h = windows(&g, &[off], ops, &found());
        assert_eq!(h.windows.len(), 1);
        let fine = [
            past(2, Some("ssm-ops"), "t2"),
            past(3, Some("ssm-ops"), "t3"),
        ];
        assert!(windows(&g, &fine, ops, &found()).windows.is_empty());
    }

    #[test]
    fn a_version_whose_read_failed_is_told_not_judged_never_only_counted() {
        let g = gap(Some("1"), &versions("5", "5")).unwrap();
        let read = [
            past(2, Some("ssm-ops"), "t2"),
            failed(3, "ThrottlingException"),
            failed(4, "ThrottlingException"),
            past(5, Some("ssm-ops"), "t5"),
        ];
        let h = windows(&g, &read, ops, &found());
        assert!(h.windows.is_empty() && h.is_news(), "{h:?}");
        let u = h.unjudged.as_ref().unwrap();
        assert_eq!(u.versions, ["3-4"]);
        assert_eq!(
            (u.operation, u.error_code.as_str()),
            ("GetDocument", "ThrottlingException")
        );
        assert_eq!(u.from.as_deref(), Some("t2"), "none of them is older");
        assert_eq!(claim_tokens(&h), ["3", "4"]);
        // Deleted or beyond the bound: counted, not a failure to tell.
        let gone = [past(2, None, "t2"), past(5, Some("ssm-ops"), "t5")];
        let h = windows(
            &gap(Some("1"), &versions("5", "5")).unwrap(),
            &gone,
            ops,
            &found(),
        );
        assert!(!h.is_news() && h.unread == 1, "{h:?}");
        // A current version's failed read is the run's own (not past).
        let h = windows(&g, &[failed(5, "Throttling")], ops, &found());
        assert!(!h.is_news());
        // The span's start: the version below the first failed one is read
        // besides when none below it was, and only says when (never judged).
        assert_eq!(anchor(&g, &read), None, "2 was read");
        let first_failed = [failed(2, "Throttling"), past(5, Some("ssm-ops"), "t5")];
        assert_eq!(anchor(&g, &first_failed), Some(1));
        assert_eq!(
            anchor(&g, &[past(2, Some("root"), "t2")]),
            None,
            "none failed"
        );
        assert_eq!(
            anchor(
                &gap(Some("0"), &versions("2", "2")).unwrap(),
                &[failed(1, "T")]
            ),
            None
        );
        let with_anchor = [
            past(1, Some("root"), "t1"),
            failed(2, "Throttling"),
            past(5, Some("ssm-ops"), "t5"),
        ];
        let h = windows(&g, &with_anchor, ops, &found());
        assert!(h.windows.is_empty(), "the anchor is not judged: {h:?}");
        assert_eq!(h.unjudged.unwrap().from.as_deref(), Some("t1"));
    }

    #[test]
    fn without_the_record_the_versions_below_the_bound_are_not_judged() {
        // (latest, default) -> (to read, versions not judged)
        type Case<'a> = ((&'a str, &'a str), Option<(&'a [u64], &'a [&'a str])>);
        let cases: &[Case] = &[
            (("1", "1"), None),
            (("2", "2"), Some((&[1, 2], &[]))),
            (("3", "2"), Some((&[1, 3], &[]))),
            (("4", "4"), Some((&[1, 2, 3, 4], &[]))),
            (
                ("13", "13"),
                Some((&[3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], &["1-2"])),
            ),
            (("x", "1"), None),
        ];
        for ((latest, default), want) in cases {
            let g = gap_unrecorded(&versions(default, latest));
            let got = g.as_ref().map(|g| {
                let h = windows(g, &[], ops, &found()).without_record(g, "ThrottlingException");
                let u = h.unjudged.unwrap();
                assert_eq!(u.operation, "Query");
                (g.to_read.clone(), u.versions)
            });
            let want = want.map(|(r, v)| {
                (
                    r.to_vec(),
                    v.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                )
            });
            assert_eq!(got, want, "{latest} {default}");
        }
        assert_eq!(ranges(&[1, 2, 3, 5, 7, 8]), ["1-3", "5", "7-8"]);
        assert!(ranges(&[]).is_empty());
    }

    #[test]
    fn a_document_made_again_is_a_new_history_read_from_version_1() {
        let at = |version: &'static str, at_ms: Option<i64>| Record {
            version: Some(version),
            at_ms,
        };
        // (record, (default, latest), a deletion or creation's time) ->
        // (to read, the former document's recorded version)
        type Case<'a> = (
            Record<'a>,
            (&'a str, &'a str),
            Option<i64>,
            Option<(&'a [u64], Option<&'a str>)>,
        );
        let cases: &[Case] = &[
            // Going back: root as 1, right as 2, under a record of 9.
            (at("9", None), ("2", "2"), None, Some((&[1, 2], Some("9")))),
            (at("9", Some(100)), ("1", "1"), None, Some((&[], Some("9")))),
            // The same numbers again: only the event's time says it.
            (
                at("2", Some(100)),
                ("2", "2"),
                Some(200),
                Some((&[1, 2], Some("2"))),
            ),
            (at("2", Some(100)), ("2", "2"), Some(100), None),
            (at("2", Some(100)), ("2", "2"), Some(50), None),
            (at("2", None), ("2", "2"), Some(200), None),
            // An ordinary gap is as before.
            (at("1", Some(100)), ("3", "3"), None, Some((&[2, 3], None))),
            (at("x", Some(100)), ("3", "3"), Some(200), None),
        ];
        for (record, (d, l), remade, want) in cases {
            let got = gap_since(*record, &versions(d, l), *remade);
            let got = got
                .as_ref()
                .map(|g| (g.to_read.as_slice(), g.recreated.as_deref()));
            assert_eq!(got, *want, "{record:?} {d} {l} {remade:?}");
        }
        // Root as version 1 of the new document is a window, and the
        // deletion is told even where no version is out of policy.
        let g = gap_since(at("9", None), &versions("2", "2"), None).unwrap();
        let read = [past(1, Some("root"), "t1"), past(2, Some("ssm-ops"), "t2")];
        let h = windows(&g, &read, ops, &found());
        assert_eq!(h.windows.len(), 1);
        assert_eq!(
            (h.windows[0].version.as_str(), h.recreated.as_deref()),
            ("1", Some("9"))
        );
        let g = gap_since(at("9", None), &versions("1", "1"), None).unwrap();
        let h = windows(&g, &[], ops, &found());
        assert!(h.windows.is_empty() && h.is_news(), "{h:?}");
        assert_eq!(claim_tokens(&h), ["remade after 9"]);
    }
}
