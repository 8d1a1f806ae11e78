//! A dead run's write, adopted by this run's record: the default it
//! replaced is told by the adoption (the dead run's alert, under its
//! `alert_id`), so this run's history does not tell it again as a window.

use super::History;

/// `history` without the window of `adopted` (the default a dead run's
/// write replaced, [`crate::domain::intent::under_intent`]). Its unjudged
/// versions stay: a read that failed is said whatever the adoption tells.
pub fn told_by_adoption(mut history: History, adopted: Option<&str>) -> History {
    if let Some(v) = adopted {
        history.windows.retain(|w| w.version != v);
    }
    history
}

#[cfg(test)]
mod tests {
    use super::super::Window;
    use super::*;
    use crate::domain::preferences::RunAs;
    use serde_json::json;

    fn window(version: &str) -> Window {
        Window {
            version: version.into(),
            run_as: RunAs {
                enabled: Some(json!(true)),
                user: Some(json!("root")),
            },
            from: None,
            until_known: None,
            until_at_most: Some("2026-11-26T00:00:00Z".into()),
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
            let out = told_by_adoption(history, adopted);
            let got: Vec<&str> = out.windows.iter().map(|w| w.version.as_str()).collect();
            assert_eq!(got, left, "adopted {adopted:?} of {windows:?}");
        }
    }
}
