//! The span a told window covered, and a default switch's window it
//! told already (pure). A version told as a window from its making
//! (`"3"`, told until at most when its teller found the document right)
//! and the window a later switch to it opened (`"3 default from <when>"`,
//! `window_token`) are one fact when the first was open before the switch
//! and reached past it: its alert listed the sessions of that span, and
//! named the version. The ledger's item of a told window keeps its span
//! (`opened` and `through`, written with its keep); a switch's window is
//! a fact of its own only where no told window of its version covered the
//! switch's second. Until 0.19.0 a switch's late run that found its
//! version below the record (runs that found it told by another had
//! recorded past it) told it again as a switch's window: one fact, two
//! identities (simulation seed 900340).

use std::collections::BTreeMap;

use super::History;
use crate::domain::clock::parse_iso;
pub use crate::domain::window_claim::Reach;

/// The version a switch's window token (`"3 default from <when>"`) names,
/// and the start of its switch's second (epoch milliseconds). `None`: not
/// a switch's.
pub fn switch_opened(token: &str) -> Option<(&str, i64)> {
    let (version, from) = token.split_once(" default from ")?;
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((version, parse_iso(from)?))
}

/// The span each told window of `history` covered, by its token: from its
/// `from` until when it stopped being the default, where an event says
/// (`until_known`), or the latest it can have been (`until_at_most`).
/// Versions told not judged span from their `Unjudged::from` until their
/// alert: at least `now_ms`, the claim's time, before the alert is made.
/// A span whose start is not known is none: it covers no switch.
pub fn told_reach(history: &History, now_ms: i64) -> BTreeMap<String, Reach> {
    let unjudged = history.unjudged.as_ref().and_then(|u| {
        let opened = parse_iso(u.from.as_deref()?)?;
        let tokens = super::claim_tokens(&History {
            windows: vec![],
            recreated: None,
            ..history.clone()
        });
        let reach = Reach {
            opened,
            through: now_ms,
        };
        Some(tokens.into_iter().map(move |t| (t, reach)))
    });
    // A switch's window under its token and its version's: it may be
    // claimed on either item (`store::fact_cover`).
    let windows = history.windows.iter().flat_map(|w| {
        let until = w.until_known.as_ref().or(w.until_at_most.as_ref());
        let reach = Reach::of(w.from.as_deref(), until.map(String::as_str));
        let tokens = [super::window_token(w), w.version.clone()];
        tokens.into_iter().filter_map(move |t| Some((t, reach?)))
    });
    unjudged.into_iter().flatten().chain(windows).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::version_gap::{Unjudged, Window};

    /// A switch's token names its version and the start of its second;
    /// any other token, or a hostile one, is none.
    #[test]
    fn a_switchs_token_names_its_version_and_second() {
        let at = parse_iso("2026-11-26T00:20:21Z").unwrap();
        let cases: &[(&str, Option<(&str, i64)>)] = &[
            ("3 default from 2026-11-26T00:20:21Z", Some(("3", at))),
            (
                "3 default from 2026-11-26T00:20:21.400Z",
                Some(("3", at + 400)),
            ),
            ("3", None),
            ("named 3 abc", None),
            ("remade after 3", None),
            ("40-900", None),
            (" default from 2026-11-26T00:20:21Z", None),
            ("x default from 2026-11-26T00:20:21Z", None),
            ("3 default from yesterday", None),
            ("3 default from ", None),
        ];
        for (token, want) in cases {
            assert_eq!(switch_opened(token), *want, "{token:?}");
        }
    }

    /// Each window spans its `from` to its known end, or else its bound;
    /// a window without either, or with an unreadable time, spans
    /// nothing; versions not judged span from their `from` to the claim's
    /// time (nothing without a `from`); a re-creation is no window.
    #[test]
    fn each_told_window_spans_its_from_to_its_end() {
        let ms = |s: &str| parse_iso(s).unwrap();
        let window = |v: &str, known: Option<&str>, most: Option<&str>| Window {
            version: v.into(),
            run_as: crate::domain::preferences::RunAs::default(),
            created: Some("2026-11-26T00:00:00Z".into()),
            from: Some("2026-11-26T00:00:00Z".into()),
            until_known: known.map(str::to_string),
            until_at_most: most.map(str::to_string),
        };
        let mut switched = window("5", None, Some("2026-11-26T00:09:00Z"));
        switched.from = Some("2026-11-26T00:08:00Z".into());
        let mut unknown = window("8", None, Some("2026-11-26T00:09:00Z"));
        unknown.from = None;
        let unjudged = |from: Option<&str>| Unjudged {
            versions: vec!["7".into(), "9-10".into()],
            operation: "GetDocument",
            error_code: "ThrottlingException".into(),
            from: from.map(str::to_string),
        };
        let history = History {
            unjudged: Some(unjudged(Some("2026-11-26T00:00:30Z"))),
            recreated: Some("12".into()),
            windows: vec![
                window(
                    "2",
                    Some("2026-11-26T00:01:00Z"),
                    Some("2026-11-26T00:05:00Z"),
                ),
                window("3", None, Some("2026-11-26T00:05:00.250Z")),
                window("4", None, None),
                window("6", None, Some("not a time")),
                switched,
                unknown,
            ],
            ..History::default()
        };
        let reach = |from: &str, until: i64| Reach {
            opened: ms(from),
            through: until,
        };
        let start = "2026-11-26T00:00:00Z";
        let not_judged = reach("2026-11-26T00:00:30Z", 1);
        let want: BTreeMap<String, Reach> = [
            ("2".to_string(), reach(start, ms("2026-11-26T00:01:00Z"))),
            (
                "3".to_string(),
                reach(start, ms("2026-11-26T00:05:00.250Z")),
            ),
            (
                "5 default from 2026-11-26T00:08:00Z".to_string(),
                reach("2026-11-26T00:08:00Z", ms("2026-11-26T00:09:00Z")),
            ),
            (
                "5".to_string(),
                reach("2026-11-26T00:08:00Z", ms("2026-11-26T00:09:00Z")),
            ),
            ("7".to_string(), not_judged),
            ("9".to_string(), not_judged),
            ("10".to_string(), not_judged),
        ]
        .into();
        assert_eq!(told_reach(&history, 1), want);
        let without_from = History {
            unjudged: Some(unjudged(None)),
            windows: vec![],
            ..history
        };
        assert_eq!(told_reach(&without_from, 1), BTreeMap::new());
    }

    /// A told window covers a switch it was open before and reached past,
    /// the switch's whole second, from the version's making at earliest.
    #[test]
    fn a_window_covers_a_switch_it_spans_with_its_second() {
        let reach = Reach {
            opened: 1_000,
            through: 5_000,
        };
        let cases = [
            (1_000, true),
            (4_000, true),
            (4_001, false),
            (999, false),
            (0, false),
            (i64::MAX, false),
        ];
        for (at, want) in cases {
            assert_eq!(reach.covers(at, None), want, "{at}");
        }
        // The switch's second began before the version was made (a console
        // edit makes it and switches in one second): the switch came after
        // the making, which a window from the making covers.
        let made = Reach {
            opened: 1_756,
            through: 5_000,
        };
        let cases = [
            (1_000, Some(1_756), true),
            (1_000, Some(1_800), true),
            (1_000, Some(1_700), false),
            (1_000, None, false),
            (2_000, Some(1_756), true),
        ];
        for (at, version_made, want) in cases {
            assert_eq!(made.covers(at, version_made), want, "{at} {version_made:?}");
        }
    }
}
