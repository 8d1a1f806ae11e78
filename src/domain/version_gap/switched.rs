//! A default switched back (pure): an `UpdateDocumentDefaultVersion` event
//! that made an older version the default, at or below the table's record,
//! lies outside every gap (the gap is the record + 1 to the latest, by
//! number). When the default moved on before the event's run looked (a
//! restore, a put-back, a later switch), nothing else reads that version
//! again: simulation seed 500100 (a root version put back while it was the
//! latest, made the default an hour later and replaced a second after; the
//! switch's own run found the new default and recorded past it untold).
//! The run of such an event reads the version it names and judges it, its
//! window opening at the event's time; a read that fails is told not
//! judged, as any past version's. Unreleased.

use super::Gap;
use crate::domain::ports::Versions;

/// The default switch a run's event says: the version it made the default
/// and the start and end of the event's second (epoch milliseconds;
/// CloudTrail cuts `eventTime` to the second).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switch {
    pub version: u64,
    pub at_ms: i64,
}

/// The switch `t` says of `document` in `region`, where it is one
/// (`UpdateDocumentDefaultVersion` of that document there, a readable time).
pub fn switch_in(
    t: &crate::domain::trigger::Trigger,
    region: &str,
    document: &str,
) -> Option<Switch> {
    if !t.edits(document) || t.region.as_deref() != Some(region) {
        return None;
    }
    Some(Switch {
        version: t.context.made_default.as_deref()?.parse().ok()?,
        at_ms: crate::domain::clock::parse_iso(t.context.event_time.as_deref()?)?,
    })
}

/// `gap` with the version `switch` made the default added as a past
/// version to read, where nothing else judges it: it is neither the
/// default this run found (the run's own judgement) nor the latest (judged
/// as the latest), not above the latest (another document's number: it
/// was deleted and made again), not in the gap already, and no run found it
/// the default out of policy since the switch (`judged`: the slot's record
/// of the last default a run judged out of policy, `<version>@<epoch ms>`
/// of its record; that run told it). A run that recorded after the switch
/// without judging it proves nothing: the default may have moved on before
/// it looked (seed 500260: the restore's run recorded first, the switch's
/// event came three minutes later).
pub fn with_switch_back(
    gap: Option<Gap>,
    switch: Option<Switch>,
    judged: Option<&str>,
    now: &Versions,
) -> Option<Gap> {
    let number = |s: &str| s.parse::<u64>().ok();
    let (Some(default), Some(latest)) = (number(&now.default), number(&now.latest)) else {
        return gap;
    };
    let Some(s) = switch else {
        return gap;
    };
    let in_gap = gap.as_ref().is_some_and(|g| g.to_read.contains(&s.version));
    // In the gap, and told before the switch as a possible window (made,
    // not the default): the switch opened a window of its own, a new fact
    // (seed 500260: told under the version's token, its claim refused).
    if in_gap
        && s.version < latest
        && judged_at(judged, s, |at| at < s.at_ms)
        && !judged_since(judged, s)
    {
        let mut g = gap.expect("in the gap");
        g.switched = Some(s);
        return Some(g);
    }
    if s.version == 0
        || s.version >= latest
        || s.version == default
        || in_gap
        || judged_since(judged, s)
    {
        return gap;
    }
    let mut g = gap.unwrap_or(Gap {
        current: [default, latest],
        ..Gap::default()
    });
    g.to_read.push(s.version);
    g.to_read.sort_unstable();
    g.switched = Some(s);
    Some(g)
}

/// `gap` with its window opening at `switch` where the version the switch
/// made the default is the latest the record told alone (`alone`): no
/// session could have it before the switch (seed 900187), however the
/// record's time and the switch's second compare.
pub fn opened_by_switch(
    gap: Option<Gap>,
    switch: Option<Switch>,
    alone: Option<u64>,
) -> Option<Gap> {
    match (gap, switch) {
        (Some(mut g), Some(s))
            if alone == Some(s.version)
                && g.to_read.contains(&s.version)
                && g.current[0] != s.version =>
        {
            g.switched = Some(s);
            Some(g)
        }
        (gap, _) => gap,
    }
}

/// Whether the slot's record says a run judged `s`'s version out of
/// policy (found it the default, or told it as a window), and recorded
/// that, at or after the switch's second, over a window open at the
/// switch: a judgement whose window its own later switch to the version
/// opened (`^opened`) proves the version was replaced in between, so it
/// covers no earlier switch (simulation seed 900021: root made the default,
/// replaced, switched back to and put back; the first switch's late event
/// was taken as judged, and a session of that first span never listed).
pub(super) fn judged_since(judged: Option<&str>, s: Switch) -> bool {
    judged_at(judged, s, |at| at >= s.at_ms)
}

/// Whether the slot's record says a run judged `version` out of policy at
/// any time (found it the default, or told it as a window).
pub fn judged_ever(judged: Option<&str>, version: u64) -> bool {
    let s = Switch {
        version,
        at_ms: i64::MAX,
    };
    judged_at(judged, s, |_| true)
}

/// Whether the slot's record says a run judged `s`'s version at a time
/// `when` accepts, over a window open at `s`'s switch.
fn judged_at(judged: Option<&str>, s: Switch, when: impl Fn(i64) -> bool) -> bool {
    judged.into_iter().flat_map(|j| j.split(';')).any(|entry| {
        let Some((versions, at)) = entry.split_once('@') else {
            return false;
        };
        let (at, opened) = match at.split_once('^') {
            Some((at, opened)) => (at, opened.parse::<i64>().ok()),
            None => (at, None),
        };
        // CloudTrail's second, and a clock a second off: the same switch.
        if opened.is_some_and(|o| o > s.at_ms.saturating_add(2_000)) {
            return false;
        }
        let holds = |v: &str| {
            let (a, b) = v.split_once('-').unwrap_or((v, v));
            matches!((a.parse::<u64>(), b.parse::<u64>()), (Ok(a), Ok(b)) if (a..=b).contains(&s.version))
        };
        versions.split(',').any(holds) && at.parse::<i64>().is_ok_and(&when)
    })
}

/// The version numbers of a [`judged_value`] (ranges expanded, at most
/// [`super::MAX_PAST_READS`] of a range: a range is a read that failed,
/// bounded as reads are).
pub fn judged_numbers(value: Option<&str>) -> Vec<u64> {
    let mut out = Vec::new();
    for v in value.into_iter().flat_map(|v| v.split(',')) {
        let (a, b) = v.split_once('-').unwrap_or((v, v));
        if let (Ok(a), Ok(b)) = (a.parse::<u64>(), b.parse::<u64>()) {
            out.extend((a..=b).take(super::MAX_PAST_READS));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// How many versions below the newest judged one a judged mark is kept:
/// far more than a run ever reads back ([`super::MAX_PAST_READS`]).
pub const JUDGED_KEPT: u64 = 32;

/// The judged marks a record that judges `judged` removes (pure): those
/// [`JUDGED_KEPT`] to twice that below the newest, but for any judged now.
/// Each record slides that range up with the versions it judges, so the
/// marks an account-region keeps stay bounded however many windows it has
/// had; a gap of more than the range between two judgements leaves its
/// marks to the document's own version limit, which bounds them too.
pub fn judged_forgotten(judged: &[u64]) -> Vec<u64> {
    let Some(&newest) = judged.iter().max() else {
        return vec![];
    };
    if newest <= JUDGED_KEPT {
        return vec![];
    }
    let top = newest - JUDGED_KEPT;
    let bottom = newest.saturating_sub(2 * JUDGED_KEPT).max(1);
    (bottom..=top).filter(|v| !judged.contains(v)).collect()
}

/// What a run's record keeps of the versions it judged out of policy:
/// the default it found so (`default_bad`) and the windows its history
/// told, and those it told as not judged (their read failed: told all the
/// same, with their span), and a latest the default's alert tells
/// (`covered`), as `2,5,7-9`; `None` when there are none.
pub fn judged_value(default_bad: Option<&str>, history: Option<&super::History>) -> Option<String> {
    let windows = history.into_iter().flat_map(|h| h.windows.iter());
    let unjudged = history
        .into_iter()
        .flat_map(|h| h.unjudged.iter())
        .flat_map(|u| u.versions.iter());
    let covered = history.into_iter().flat_map(|h| h.covered.iter());
    let all: Vec<&str> = default_bad
        .into_iter()
        .chain(windows.map(|w| w.version.as_str()))
        .chain(unjudged.map(String::as_str))
        .chain(covered.map(String::as_str))
        .collect();
    (!all.is_empty()).then(|| all.join(","))
}

/// When a version switched back to opened its window: the switch, not its
/// making (it may have been made long before and never been the default).
pub(super) fn opened(gap: &Gap, version: u64) -> Option<String> {
    gap.switched
        .filter(|s| s.version == version)
        .map(|s| crate::domain::clock::iso(crate::domain::clock::from_millis(s.at_ms)))
}

/// The default switch `t` says of the document `document` in `region`:
/// an `UpdateDocumentDefaultVersion` event's version and the end of its
/// second (CloudTrail cuts `eventTime` to the second, never later than the
/// call).
pub fn switch_of(
    t: &crate::domain::trigger::Trigger,
    region: &str,
    document: &str,
) -> Option<(u64, String)> {
    switch_in(t, region, document).and_then(second_end)
}

/// A switch's version and the end of its second.
pub fn second_end(s: Switch) -> Option<(u64, String)> {
    let end = s.at_ms.checked_add(999)?;
    Some((
        s.version,
        crate::domain::clock::iso(crate::domain::clock::from_millis(end)),
    ))
}

/// Whether `switch` made the default found (`now`) the default: just before
/// it another version was, and a latest above it can have been that one
/// ([`super::with_latest`]; seed 900397). Or made the latest the default,
/// and the default found is another: the latest was the default, switched
/// back since (seed 900128, `aimed`: root made the default and switched
/// back ten seconds later; the switch's late run put root back as a latest
/// alone and recorded past its window).
pub fn switched_to(switch: Option<Switch>, now: &Versions) -> bool {
    let number = |v: &str| v.parse::<u64>().ok();
    switch.is_some_and(|s| {
        number(&now.default) == Some(s.version)
            || (number(&now.latest) == Some(s.version) && now.default != now.latest)
    })
}

/// Where a slot's gap starts: above the default version the table
/// recorded, or above the latest it recorded beside it when that is higher
/// (the default was switched back below the latest, which the recording
/// run judged: seed 500143, a latest judged again as made since the
/// record and told twice). Unreleased.
pub fn judged_up_to<'a>(default: Option<&'a str>, latest: Option<&'a str>) -> Option<&'a str> {
    let number = |s: Option<&str>| s.and_then(|s| s.parse::<u64>().ok());
    match (number(default), number(latest)) {
        (Some(d), Some(l)) if l > d => latest,
        _ => default,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::versions;
    use super::super::{gap, windows, Ends, Past};
    use super::*;
    use crate::domain::preferences::RunAs;
    use serde_json::json;

    const T: i64 = 1_790_000_000_000;

    fn sw(version: u64) -> Option<Switch> {
        Some(Switch { version, at_ms: T })
    }

    #[test]
    fn a_switch_to_a_latest_told_alone_opens_its_window_at_the_switch() {
        let g = |to_read: Vec<u64>, current: [u64; 2]| Gap {
            to_read,
            current,
            ..Gap::default()
        };
        // (gap, switch, the latest told alone) -> the switch kept
        let cases = [
            (Some(g(vec![3, 4], [4, 4])), sw(3), Some(3), true),
            (Some(g(vec![3, 4], [4, 4])), sw(3), Some(2), false),
            (Some(g(vec![3, 4], [4, 4])), sw(3), None, false),
            (Some(g(vec![3, 4], [4, 4])), None, Some(3), false),
            // Not read in this gap, or the default found: the run's own.
            (Some(g(vec![4], [4, 4])), sw(3), Some(3), false),
            (Some(g(vec![3], [3, 3])), sw(3), Some(3), false),
            (None, sw(3), Some(3), false),
        ];
        for (gap, switch, alone, want) in cases {
            let got = opened_by_switch(gap.clone(), switch, alone);
            assert_eq!(
                got.as_ref().and_then(|g| g.switched),
                want.then(|| switch.unwrap()),
                "{gap:?} {switch:?} {alone:?}"
            );
            assert_eq!(got.map(|g| g.to_read), gap.map(|g| g.to_read));
        }
    }

    #[test]
    fn a_version_judged_at_any_time_is_read_from_any_entry() {
        let cases = [
            (Some("2@5"), 2, true),
            (Some("1@5;2@9^7"), 2, true),
            (Some("4,2-3@5"), 3, true),
            (Some("4,2-3@5"), 5, false),
            (Some("2@"), 2, false),
            (Some("garbage"), 2, false),
            (None, 2, false),
            (Some("2@5^9223372036854775807"), 2, true),
        ];
        for (judged, version, want) in cases {
            assert_eq!(judged_ever(judged, version), want, "{judged:?} {version}");
        }
    }

    #[test]
    fn a_switch_to_the_default_found_or_to_a_latest_above_it_says_another_was_the_default() {
        let cases = [
            (sw(2), ("2", "3"), true),
            // The latest was the default at the switch, the default found
            // another since (seed 900128).
            (sw(3), ("2", "3"), true),
            (sw(3), ("3", "3"), true),
            (sw(4), ("2", "3"), false),
            (sw(3), ("2", "x"), false),
            (sw(1), ("2", "3"), false),
            (None, ("2", "3"), false),
            (sw(2), ("x", "3"), false),
            (sw(0), ("0", "0"), true),
        ];
        for (switch, (d, l), want) in cases {
            assert_eq!(
                switched_to(switch, &versions(d, l)),
                want,
                "{switch:?} {d} {l}"
            );
        }
    }

    /// (recorded version, the record's last judged default, (default,
    /// latest), switch) -> (to read, the switched version judged)
    #[test]
    fn a_switch_back_outside_the_gap_is_read() {
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            (&'a str, &'a str),
            Option<Switch>,
            Option<(&'a [u64], bool)>,
        );
        let cases: &[Case] = &[
            // Seed 500100: record 3, v2 made the default, v4 made after.
            ("3", None, ("4", "4"), sw(2), Some((&[2], true))),
            // Judged out of policy before the switch (an earlier span),
            // or another version judged since: read.
            (
                "3",
                Some("2@1789999999999"),
                ("4", "4"),
                sw(2),
                Some((&[2], true)),
            ),
            (
                "3",
                Some("3@1790000000001"),
                ("4", "4"),
                sw(2),
                Some((&[2], true)),
            ),
            // Found the default out of policy, or told as a window, since
            // the switch: told then.
            ("3", Some("2@1790000000000"), ("4", "4"), sw(2), None),
            ("3", Some("4,2@1790000000000"), ("4", "4"), sw(2), None),
            (
                "3",
                Some("4,12@1790000000000"),
                ("4", "4"),
                sw(2),
                Some((&[2], true)),
            ),
            ("3", Some("2@1790000500000"), ("4", "4"), sw(2), None),
            // Judged since, over a window a later switch to it opened (seed
            // 900021): it was replaced in between, this switch's span not
            // judged: read. The same switch (within CloudTrail's second and
            // a clock a second off), or a window open before it: judged.
            (
                "3",
                Some("2@1790000500000^1790000400000"),
                ("4", "4"),
                sw(2),
                Some((&[2], true)),
            ),
            (
                "3",
                Some("2@1790000500000^1790000002000"),
                ("4", "4"),
                sw(2),
                None,
            ),
            (
                "3",
                Some("2@1790000500000^1789999000000"),
                ("4", "4"),
                sw(2),
                None,
            ),
            ("3", Some("2@1790000500000^x"), ("4", "4"), sw(2), None),
            (
                "3",
                Some("5@1^1790000400000;2@1790000500000"),
                ("4", "4"),
                sw(2),
                None,
            ),
            // A record that is not one: read (better told).
            ("3", Some("2@"), ("4", "4"), sw(2), Some((&[2], true))),
            ("3", Some("garbage"), ("4", "4"), sw(2), Some((&[2], true))),
            (
                "3",
                Some("@@2@1790000000000"),
                ("4", "4"),
                sw(2),
                Some((&[2], true)),
            ),
            // One entry per version (the record keeps each): any names it.
            ("3", Some("2@1790000000005;4@1"), ("4", "4"), sw(2), None),
            (
                "3",
                Some("2@1;4@1790000000005"),
                ("4", "4"),
                sw(2),
                Some((&[2], true)),
            ),
            ("3", Some(";;@;"), ("4", "4"), sw(2), Some((&[2], true))),
            // With a gap: added to it, in order.
            ("3", None, ("6", "6"), sw(2), Some((&[2, 4, 5, 6], true))),
            // In the gap already: as before.
            ("3", None, ("6", "6"), sw(5), Some((&[4, 5, 6], false))),
            // In the gap, told before the switch as a possible window:
            // the switch opened a window of its own (seed 500260); judged
            // since the switch, or the latest: as before.
            (
                "3",
                Some("5@1789999999999"),
                ("6", "6"),
                sw(5),
                Some((&[4, 5, 6], true)),
            ),
            (
                "3",
                Some("5@1790000000000"),
                ("6", "6"),
                sw(5),
                Some((&[4, 5, 6], false)),
            ),
            ("3", Some("6@1"), ("5", "6"), sw(6), Some((&[4, 6], false))),
            // The default found: the run's own.
            ("3", None, ("2", "4"), sw(2), None),
            // The latest, above it (made again), zero, or no switch.
            ("3", None, ("2", "4"), sw(4), None),
            ("3", None, ("1", "1"), sw(7), None),
            ("3", None, ("4", "4"), sw(0), None),
            ("3", None, ("4", "4"), None, None),
            // Not numbers: nothing judged.
            ("3", None, ("x", "4"), sw(2), None),
            (
                "3",
                Some("2@-9223372036854775808"),
                ("4", "4"),
                Some(Switch {
                    version: 2,
                    at_ms: i64::MAX,
                }),
                Some((&[2], true)),
            ),
        ];
        for (recorded, at, (d, l), switch, want) in cases {
            let now = versions(d, l);
            let g = with_switch_back(gap(Some(recorded), &now), *switch, *at, &now);
            let got = g
                .as_ref()
                .map(|g| (g.to_read.as_slice(), g.switched.is_some()));
            assert_eq!(got, *want, "{recorded} {at:?} {d} {l} {switch:?}");
        }
    }

    #[test]
    fn the_record_keeps_the_versions_judged_out_of_policy() {
        let window = |v: &str| super::super::Window {
            version: v.into(),
            run_as: RunAs::default(),
            created: None,
            from: None,
            until_known: None,
            until_at_most: None,
        };
        let h = super::super::History {
            windows: vec![window("2"), window("5")],
            ..Default::default()
        };
        let unjudged_only = super::super::History {
            unjudged: Some(super::super::Unjudged {
                versions: vec!["3".into()],
                operation: "GetDocument",
                error_code: "Throttling".into(),
                from: None,
            }),
            ..Default::default()
        };
        for (default, history, want) in [
            (Some("7"), Some(&h), Some("7,2,5")),
            (None, Some(&h), Some("2,5")),
            (Some("7"), None, Some("7")),
            (None, Some(&unjudged_only), Some("3")),
            (None, None, None),
        ] {
            assert_eq!(judged_value(default, history).as_deref(), want);
        }
    }

    #[test]
    fn the_record_keeps_each_version_judged() {
        for (value, want) in [
            (Some("7,2,5"), vec![2, 5, 7]),
            (Some("3-5,4"), vec![3, 4, 5]),
            (Some("1-100000"), (1..=10).collect()),
            (Some("x,-,5-3,"), vec![]),
            (None, vec![]),
        ] {
            assert_eq!(judged_numbers(value), want, "{value:?}");
        }
    }

    #[test]
    fn the_gap_starts_above_the_highest_version_recorded() {
        for (default, latest, want) in [
            (Some("2"), Some("3"), Some("3")),
            (Some("3"), Some("3"), Some("3")),
            // An older row without the latest, or one not a number.
            (Some("2"), None, Some("2")),
            (Some("2"), Some("x"), Some("2")),
            (Some("2"), Some("-5"), Some("2")),
            // A latest below the default is no record of this document.
            (Some("5"), Some("3"), Some("5")),
            // No default recorded: no gap, whatever the latest.
            (None, Some("3"), None),
            (Some("x"), Some("3"), Some("x")),
        ] {
            assert_eq!(
                judged_up_to(default, latest),
                want,
                "{default:?} {latest:?}"
            );
        }
    }

    fn past(number: u64, user: Option<&str>, failed: Option<&str>) -> Past {
        Past {
            number,
            run_as: user.map(|u| RunAs {
                enabled: Some(json!(true)),
                user: Some(json!(u)),
            }),
            created: Some("made long ago".into()),
            failed: failed.map(str::to_string),
        }
    }

    #[test]
    fn the_switched_version_is_a_window_from_the_switch_or_told_not_judged() {
        let now = versions("4", "4");
        let g = with_switch_back(None, sw(2), None, &now).unwrap();
        let ends = Ends {
            switched: None,
            found: "now".into(),
        };
        // The table recorded root (an audit finding of version 2 as the
        // latest alone, seed 900187): no answer about its time as the
        // default, which the switch opened.
        let ops = |r: &RunAs, at_switch: bool| {
            r.is_compliant("ssm-ops") || (!at_switch && r.is_compliant("root"))
        };
        let h = windows(&g, &[past(2, Some("root"), None)], ops, &ends);
        let at = crate::domain::clock::iso(crate::domain::clock::from_millis(T));
        assert_eq!(h.windows.len(), 1);
        let w = &h.windows[0];
        assert_eq!(
            (
                w.version.as_str(),
                w.from.as_deref(),
                w.until_at_most.as_deref()
            ),
            ("2", Some(at.as_str()), Some("now")),
            "from the switch, not the making"
        );
        // In policy: nothing to tell.
        assert!(!windows(&g, &[past(2, Some("ssm-ops"), None)], ops, &ends).is_news());
        // The same version in a gap no switch opened: the record's Run As,
        // told already.
        let gap = Gap {
            to_read: vec![2],
            current: [4, 4],
            ..Gap::default()
        };
        assert!(!windows(&gap, &[past(2, Some("root"), None)], ops, &ends).is_news());
        // Its read failed: told not judged, its span from the switch.
        let h = windows(
            &g,
            &[past(2, None, Some("ThrottlingException"))],
            ops,
            &ends,
        );
        let u = h.unjudged.expect("told");
        assert_eq!(u.versions, ["2"]);
        assert_eq!(u.from.as_deref(), Some(at.as_str()));
    }

    /// The marks a record removes slide with what it judges: none while the
    /// newest is near the start; a range of [`JUDGED_KEPT`] below the kept
    /// ones, never one judged now; hostile input (empty, zero) is quiet.
    #[test]
    fn judged_marks_far_below_the_newest_are_forgotten() {
        let k = JUDGED_KEPT;
        type Case<'a> = (&'a [u64], Option<(u64, u64)>);
        let cases: &[Case] = &[
            (&[], None),
            (&[0], None),
            (&[k], None),
            (&[k + 1], Some((1, 1))),
            (&[2 * k + 5], Some((5, k + 5))),
            (&[3, 2 * k + 5], Some((5, k + 5))),
            (&[u64::MAX], Some((u64::MAX - 2 * k, u64::MAX - k))),
        ];
        for (judged, want) in cases {
            let got = judged_forgotten(judged);
            match want {
                None => assert!(got.is_empty(), "{judged:?}: {got:?}"),
                Some((lo, hi)) => {
                    assert_eq!(got.first(), Some(lo), "{judged:?}");
                    assert_eq!(got.last(), Some(hi), "{judged:?}");
                    assert!(got.iter().all(|v| !judged.contains(v)));
                }
            }
        }
        // One judged inside the range stays.
        let got = judged_forgotten(&[10, 2 * k + 5]);
        assert!(!got.contains(&10) && got.contains(&11), "{got:?}");
        // Sliding by one window at a time removes every mark once it is
        // JUDGED_KEPT versions below: the marks stay bounded.
        let mut kept = std::collections::BTreeSet::new();
        for newest in (3..2_000u64).step_by(3) {
            kept.insert(newest);
            for v in judged_forgotten(&[newest]) {
                kept.remove(&v);
            }
        }
        assert!(kept.len() as u64 <= k / 3 + 1, "{}", kept.len());
    }
}
