//! A dead run's write, adopted by this run's record: the default it
//! replaced is told by the adoption (the dead run's alert, under its
//! `alert_id`), so this run's history does not tell it again as a window.

use super::History;

/// The default a dead run's write replaced, and when AWS said it was made
/// (the intent's `made`, where it says): the same number in a document
/// made again since is another version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaced {
    pub version: String,
    pub made: Option<String>,
}

/// `history` without the window of `adopted` (the default a dead run's
/// write replaced, [`crate::domain::intent::under_intent`]), judged or not:
/// the intent recorded its Run As, so the adoption tells it judged. Until
/// 0.7.13 a version whose read failed stayed among the unjudged, and the
/// adopting run told it twice: the adoption's `drift_reverted` and a
/// `run_as_window` naming it unjudged (simulation seed 720052). A window
/// of that number made at another time than the intent says is another
/// life's version, this run's to tell: until 0.19.0 a former life's dead
/// write took the new life's root version 1 out of the history, and the
/// record moved past it untold (simulation seed 900387).
pub fn told_by_adoption(mut history: History, adopted: Option<&Replaced>) -> History {
    let Some(Replaced { version: v, made }) = adopted else {
        return history;
    };
    let v = v.as_str();
    let same = |w: &super::Window| match (made, &w.created) {
        (Some(m), Some(c)) => m == c,
        _ => true,
    };
    history.windows.retain(|w| w.version != v || !same(w));
    let Ok(n) = v.parse::<u64>() else {
        return history;
    };
    if let Some(u) = history.unjudged.as_mut() {
        let before = u.versions.clone();
        u.versions = before.iter().flat_map(|r| without(r, n)).collect();
        if u.versions != before {
            history.unread = history.unread.saturating_sub(1);
        }
        if u.versions.is_empty() {
            history.unjudged = None;
        }
    }
    history
}

/// A version or range of them (`"3"`, `"3-7"`) without version `n`.
fn without(range: &str, n: u64) -> Vec<String> {
    let (lo, hi) = match range.split_once('-') {
        Some((a, b)) => (a.parse::<u64>(), b.parse::<u64>()),
        None => (range.parse::<u64>(), range.parse::<u64>()),
    };
    let (Ok(lo), Ok(hi)) = (lo, hi) else {
        return vec![range.to_string()];
    };
    if n < lo || n > hi {
        return vec![range.to_string()];
    }
    let span = |a: u64, b: u64| match a == b {
        true => a.to_string(),
        false => format!("{a}-{b}"),
    };
    let mut out = Vec::new();
    if n > lo {
        out.push(span(lo, n - 1));
    }
    if n < hi {
        out.push(span(n + 1, hi));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::root_window as window;
    use super::*;

    fn replaced(version: &str, made: Option<&str>) -> Replaced {
        Replaced {
            version: version.into(),
            made: made.map(str::to_string),
        }
    }

    #[test]
    fn only_the_adopted_default_leaves_the_windows() {
        let cases: [(Option<&str>, &[&str], &[&str]); 5] = [
            (None, &["2", "3"], &["2", "3"]),
            (Some("2"), &["2", "3"], &["3"]),
            (Some("3"), &["2", "3"], &["2"]),
            (Some("4"), &["2", "3"], &["2", "3"]),
            // "12" is not "2": versions compare whole.
            (Some("2"), &["12"], &["12"]),
        ];
        for (adopted, windows, left) in cases {
            let history = History {
                windows: windows.iter().map(|v| window(v)).collect(),
                ..History::default()
            };
            let adopted = adopted.map(|v| replaced(v, None));
            let out = told_by_adoption(history, adopted.as_ref());
            let got: Vec<&str> = out.windows.iter().map(|w| w.version.as_str()).collect();
            assert_eq!(got, left, "adopted {adopted:?} of {windows:?}");
        }
    }

    /// Seed 900387: a window of the adopted number made at another time
    /// than the intent says (a document made again since the dead write)
    /// is another version: it stays. Either time unknown: as before.
    #[test]
    fn a_window_of_the_adopted_number_in_another_life_stays() {
        let (t1, t2) = ("2026-11-26T00:10:00Z", "2026-11-26T01:41:00Z");
        // (intent's made, window's made, left)
        let cases: [(Option<&str>, Option<&str>, &[&str]); 5] = [
            (Some(t1), Some(t2), &["1", "3"]),
            (Some(t1), Some(t1), &["3"]),
            (None, Some(t2), &["3"]),
            (Some(t1), None, &["3"]),
            (None, None, &["3"]),
        ];
        for (theirs, ours, left) in cases {
            let mut w = window("1");
            w.created = ours.map(str::to_string);
            let history = History {
                windows: vec![w, window("3")],
                ..History::default()
            };
            let out = told_by_adoption(history, Some(&replaced("1", theirs)));
            let got: Vec<&str> = out.windows.iter().map(|w| w.version.as_str()).collect();
            assert_eq!(got, left, "intent {theirs:?}, window {ours:?}");
        }
    }

    /// The adopted default leaves the unjudged versions too (its Run As is
    /// the intent's): a range around it splits, the rest stay.
    #[test]
    fn the_adopted_default_leaves_the_unjudged_versions() {
        let cases: [(&str, &[&str], &[&str], usize); 8] = [
            ("4", &["4"], &[], 1),
            ("4", &["2-6"], &["2-3", "5-6"], 1),
            ("4", &["3-4"], &["3"], 1),
            ("4", &["4-5"], &["5"], 1),
            ("4", &["1", "3-5", "9"], &["1", "3", "5", "9"], 1),
            ("4", &["5-9"], &["5-9"], 2),
            ("14", &["4"], &["4"], 2),
            ("4", &["junk"], &["junk"], 2),
        ];
        for (adopted, versions, left, unread) in cases {
            let history = History {
                unread: 2,
                unjudged: Some(super::super::Unjudged {
                    versions: versions.iter().map(|v| v.to_string()).collect(),
                    operation: "GetDocument",
                    error_code: "AccessDeniedException".into(),
                    from: None,
                }),
                ..History::default()
            };
            let out = told_by_adoption(history, Some(&replaced(adopted, Some("t"))));
            let got: Vec<String> = out.unjudged.map(|u| u.versions).unwrap_or_default();
            assert_eq!(got, left, "adopted {adopted} of {versions:?}");
            assert_eq!(out.unread, unread, "adopted {adopted} of {versions:?}");
        }
    }
}
