//! Which of a history's versions are claimed one by one, and the history
//! less those another run already told.
//!
//! A window claim used to be one value per history (`"3,4"`): two runs that
//! read the same version with different neighbours (one read a version
//! more, or one read failed and named it unjudged) made different values,
//! both claims held, and the version was told twice (the largest class of
//! the simulation's findings in 0.7.4's hour). A version below the default
//! the run found is now claimed on its own (`told_v<N>` on the slot's
//! item): whoever claims it first tells it.

use std::collections::BTreeSet;

use super::History;

/// A version claimed on its own: its number and when it was made (its
/// `CreatedDate`: a document deleted and made again restarts its numbers,
/// and a mark of the former document's version must not hide the new one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimable {
    pub version: String,
    pub made: String,
}

/// The judged windows a claim takes one by one: those below the default
/// this run found (`default`), which can only ever be past, whose making
/// was read. A window at or above it is a latest told before it was ever
/// the default, which is told again if it becomes the default and is
/// replaced (docs/design.md "Guarantees" 2): it is claimed with the
/// history's value, as before. No default known (no version read): none.
/// An unjudged naming claims nothing: one judged telling may follow it.
pub fn claimable(history: &History, default: Option<&str>) -> Vec<Claimable> {
    let Some(default) = default.and_then(|d| d.parse::<u64>().ok()) else {
        return vec![];
    };
    history
        .windows
        .iter()
        .filter(|w| w.version.parse::<u64>().is_ok_and(|v| v < default))
        .filter_map(|w| {
            Some(Claimable {
                version: w.version.clone(),
                made: w.made.clone().filter(|m| !m.is_empty())?,
            })
        })
        .collect()
}

/// The windows' versions as one value (`"2,5"`, and `"?3"` for a version
/// not judged): what a run claims to tell, so two runs that read the same
/// history tell it once.
pub fn claimed_value(history: &History) -> String {
    let unjudged = history.unjudged.iter().flat_map(|u| &u.versions);
    history
        .windows
        .iter()
        .map(|w| w.version.clone())
        .chain(unjudged.map(|v| format!("?{v}")))
        .chain(
            history
                .recreated
                .iter()
                .map(|v| format!("remade after {v}")),
        )
        .collect::<Vec<_>>()
        .join(",")
}

impl History {
    /// This history without the windows of the versions another run told.
    pub fn less_told(mut self, told: &BTreeSet<String>) -> History {
        self.windows.retain(|w| !told.contains(&w.version));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::preferences::RunAs;
    use crate::domain::version_gap::{Unjudged, Window};
    use serde_json::json;

    fn window(v: &str) -> Window {
        Window {
            version: v.into(),
            run_as: RunAs {
                enabled: Some(json!(true)),
                user: Some(json!("root")),
            },
            from: None,
            until_known: None,
            until_at_most: Some("now".into()),
            made: (v != "9").then(|| format!("2026-11-26T00:00:0{}Z", v.len())),
        }
    }

    fn history(windows: &[&str], unjudged: &[&str]) -> History {
        History {
            windows: windows.iter().map(|v| window(v)).collect(),
            unjudged: (!unjudged.is_empty()).then(|| Unjudged {
                versions: unjudged.iter().map(|v| v.to_string()).collect(),
                operation: "GetDocument",
                error_code: "ThrottlingException".into(),
                from: None,
            }),
            ..History::default()
        }
    }

    fn versions(c: &[Claimable]) -> Vec<&str> {
        c.iter().map(|c| c.version.as_str()).collect()
    }

    #[test]
    fn only_windows_below_the_found_default_whose_making_was_read_are_claimed_one_by_one() {
        // Version 9's making was not read: claimed with the value only.
        let h = history(&["3", "4", "9", "12"], &["5"]);
        let cases: [(Option<&str>, &[&str]); 6] = [
            (Some("10"), &["3", "4"]),
            (Some("4"), &["3"]),
            (Some("3"), &[]),
            (Some("100"), &["3", "4", "12"]),
            (None, &[]),
            (Some("x"), &[]),
        ];
        for (default, want) in cases {
            assert_eq!(
                versions(&claimable(&h, default)),
                want,
                "default {default:?}"
            );
        }
        let c = claimable(&h, Some("4"));
        assert_eq!(c[0].made, "2026-11-26T00:00:01Z", "the making travels");
        let odd = history(&["x", "", "-1"], &[]);
        assert!(claimable(&odd, Some("5")).is_empty(), "hostile versions");
        let mut unmade = history(&["3"], &[]);
        unmade.windows[0].made = Some(String::new());
        assert!(claimable(&unmade, Some("5")).is_empty(), "an empty making");
    }

    #[test]
    fn a_history_less_what_others_told_keeps_the_rest() {
        let told: BTreeSet<String> = ["3", "5"].iter().map(|s| s.to_string()).collect();
        let h = history(&["3", "4"], &["5", "6-8"]).less_told(&told);
        assert_eq!(versions(&claimable(&h, Some("10"))), ["4"]);
        assert_eq!(
            h.unjudged.unwrap().versions,
            ["5", "6-8"],
            "unjudged names stay"
        );

        let all = history(&["3"], &[]).less_told(&told);
        assert!(!all.is_news(), "nothing left to tell: {all:?}");

        let none = history(&["3", "4"], &[]).less_told(&BTreeSet::new());
        assert_eq!(none, history(&["3", "4"], &[]));
    }
}
