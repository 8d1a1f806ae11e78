//! The latest version as a past one (pure): where the run's own alert tells
//! an out-of-policy default, a latest version made since the table's record
//! and no longer the default can have been the default in between.

use super::{Gap, History};
use crate::domain::ports::Versions;
use crate::domain::preferences::RunAs;

/// `gap`, with the latest version judged as a past one where the run's own
/// judgement does not tell it: the default is out of policy (`default_wrong`:
/// the run tells that one), the latest is another version made since the
/// record (`recorded`), so it can have been the default in between (an
/// editor switched the default from it back to an older version). A latest
/// behind a default that is right is the run's own to tell (as a latest
/// alone), unless the run's own event switched the default to the one found
/// ([`super::switched_to`]: the caller passes `default_wrong` then too).
pub fn with_latest(
    gap: Option<Gap>,
    recorded: Option<&str>,
    now: &Versions,
    default_wrong: bool,
) -> Option<Gap> {
    let number = |s: &str| s.parse::<u64>().ok();
    let past = || -> Option<(u64, u64)> {
        let (recorded, default, latest) = (
            number(recorded?)?,
            number(&now.default)?,
            number(&now.latest)?,
        );
        (default_wrong && default != latest && latest > recorded).then_some((default, latest))
    };
    let Some((default, latest)) = past() else {
        return gap;
    };
    let mut g = gap.unwrap_or(Gap {
        to_read: vec![latest],
        beyond: 0,
        current: [default, latest],
        recreated: None,
        latest_past: false,
        switched: None,
    });
    if g.recreated.is_none() {
        g.latest_past = true;
    }
    Some(g)
}

/// `gap` with its latest judged as a past version where the run tells a
/// version below it as a window (`judged`): made later than one that may
/// have been the default, it may have been it as much (seed 900347: root
/// made the default twice, then switched back to the right version before
/// the first event's run; the run told the first root version and put the
/// second back as a latest alone, recording past its window). `None`:
/// judged as it was.
pub(super) fn behind_a_window(gap: &Gap, judged: &History) -> Option<Gap> {
    let behind = gap.current[0] != gap.current[1] && gap.recreated.is_none();
    (behind && !gap.latest_past && !judged.windows.is_empty()).then(|| Gap {
        latest_past: true,
        ..gap.clone()
    })
}

/// `history` without the window of a latest judged as past
/// (`gap.latest_past`) whose Run As is the out-of-policy default's own
/// (`default`): the run's alert about that default tells the same value
/// over a span that holds the latest's, so it adds nothing but a second
/// page for one edit (a pipeline's version on top of an editor's, keeping
/// its inputs, as LZA writes without switching the default). A latest with
/// another value is a window of its own.
pub fn covered_by_default(mut history: History, gap: &Gap, default: Option<&RunAs>) -> History {
    if gap.latest_past {
        let latest = gap.current[1].to_string();
        let covered = |w: &super::Window| w.version == latest && Some(&w.run_as) == default;
        if history.windows.iter().any(covered) {
            history.windows.retain(|w| !covered(w));
            history.covered.push(latest);
        }
    }
    history
}

#[cfg(test)]
mod tests {
    use super::super::tests::versions;
    use super::super::{gap, gap_since, windows, Ends, Past, Record};
    use super::*;
    use crate::domain::preferences::RunAs;
    use serde_json::json;

    fn past(number: u64, user: &str, created: &str) -> Past {
        Past {
            number,
            run_as: Some(RunAs {
                enabled: Some(json!(true)),
                user: Some(json!(user)),
            }),
            created: Some(created.into()),
            failed: None,
        }
    }

    fn ops(r: &RunAs, _at_switch: bool) -> bool {
        r.is_compliant("ssm-ops")
    }

    /// (recorded, (default, latest), default out of policy) -> (to read, latest judged)
    type Case<'a> = (&'a str, (&'a str, &'a str), bool, Option<(Vec<u64>, bool)>);

    fn found() -> Ends {
        Ends {
            switched: None,
            found: "now".into(),
        }
    }

    #[test]
    fn a_latest_behind_a_wrong_default_is_judged_as_a_past_version() {
        // (recorded, (default, latest), default out of policy) -> (to read, latest judged)
        let cases: [Case; 8] = [
            // An editor made 4 the default, then switched back to 2: 4 can have held.
            ("3", ("2", "4"), true, Some((vec![4], true))),
            // The same with versions between: they and the latest are read.
            ("1", ("2", "5"), true, Some((vec![3, 4, 5], true))),
            // A right default: the run tells the latest itself (as before).
            ("3", ("2", "4"), false, None),
            ("1", ("2", "5"), false, Some((vec![3, 4, 5], false))),
            // The latest is the default: the run's own to tell.
            ("3", ("4", "4"), true, None),
            // Nothing made since the record.
            ("4", ("2", "4"), true, None),
            // Not numbers: not judged.
            ("x", ("2", "4"), true, None),
            ("3", ("2", "y"), true, None),
        ];
        for (recorded, (d, l), wrong, want) in cases {
            let now = versions(d, l);
            let g = with_latest(gap(Some(recorded), &now), Some(recorded), &now, wrong);
            let got = g.map(|g| (g.to_read, g.latest_past));
            assert_eq!(got, want, "{recorded} {d} {l} {wrong}");
        }
        // Judged: the latest out of policy is a window; the default never is.
        let now = versions("2", "4");
        let g = with_latest(gap(Some("3"), &now), Some("3"), &now, true).unwrap();
        let read = [past(4, "root", "t4"), past(2, "app", "t2")];
        let h = windows(&g, &read, ops, &found());
        let got: Vec<_> = h.windows.iter().map(|w| w.version.as_str()).collect();
        assert_eq!(got, ["4"]);
        // Right, it is none.
        let h = windows(&g, &[past(4, "ssm-ops", "t4")], ops, &found());
        assert!(h.windows.is_empty());
        // A document made again keeps its own rule (the latest is current).
        let g = with_latest(
            gap_since(
                Record {
                    version: Some("3"),
                    at_ms: Some(1),
                },
                &now,
                Some(2),
            ),
            Some("3"),
            &now,
            true,
        )
        .unwrap();
        assert!(!g.latest_past);
    }

    /// (case, latest judged as past, the default's Run As, windows, kept)
    type CoverCase<'a> = (
        &'a str,
        bool,
        Option<&'a RunAs>,
        Vec<super::super::Window>,
        Vec<&'a str>,
    );

    #[test]
    fn a_latest_keeping_the_wrong_defaults_value_is_that_defaults_window() {
        let root = RunAs {
            enabled: Some(json!(true)),
            user: Some(json!("root")),
        };
        let mallory = RunAs {
            enabled: Some(json!(true)),
            user: Some(json!("mallory")),
        };
        let window = |v: &str, r: &RunAs| super::super::Window {
            version: v.into(),
            run_as: r.clone(),
            created: None,
            from: None,
            until_known: None,
            until_at_most: None,
        };
        let history = |ws: Vec<super::super::Window>| History {
            windows: ws,
            unread: 0,
            unjudged: None,
            recreated: None,
            follow_up_of: None,
            covered: vec![],
            life_made: None,
        };
        let gap = |latest_past: bool| Gap {
            to_read: vec![3],
            beyond: 0,
            current: [2, 3],
            recreated: None,
            latest_past,
            switched: None,
        };
        let kept =
            |h: History| -> Vec<String> { h.windows.into_iter().map(|w| w.version).collect() };
        // (case, latest judged as past, the default's Run As, windows, kept)
        let cases: Vec<CoverCase> = vec![
            (
                "same value as the default: covered",
                true,
                Some(&mallory),
                vec![window("3", &mallory)],
                vec![],
            ),
            (
                "another value: its own window",
                true,
                Some(&mallory),
                vec![window("3", &root)],
                vec!["3"],
            ),
            (
                "the default's value unknown: told",
                true,
                None,
                vec![window("3", &mallory)],
                vec!["3"],
            ),
            (
                "not judged as past: untouched",
                false,
                Some(&mallory),
                vec![window("3", &mallory)],
                vec!["3"],
            ),
            (
                "an older version with the same value: its own",
                true,
                Some(&mallory),
                vec![window("1", &mallory), window("3", &mallory)],
                vec!["1"],
            ),
        ];
        for (case, past, default, windows, want) in cases {
            assert_eq!(
                kept(covered_by_default(history(windows), &gap(past), default)),
                want,
                "{case}"
            );
        }
    }
}
