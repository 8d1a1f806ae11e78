//! The Run As no past version of a slot's gap is blamed for
//! (`history_start`): what the policy wants, and what the table recorded
//! there where that is a finding already told of this document's life.

use super::change;
use crate::domain::known::Known;
use crate::domain::preferences::RunAs;
use crate::domain::version_gap::Gap;

/// The Run As no past version is blamed for: what the policy wants now,
/// what it wanted when the table recorded the slot (a policy change is the
/// sweep's news), and what the table recorded there (an audit finding
/// already told).
pub(super) struct Accepted {
    users: [String; 2],
    recorded: (Option<String>, Option<String>),
}

impl Accepted {
    pub(super) fn of(user: &str, row: &Known) -> Accepted {
        let then = row.desired_user.clone().unwrap_or_else(|| user.to_string());
        // A finding of the latest alone told no time as the default: its
        // value excuses no version that was (seed 900215: in audit, off
        // told as the latest, made the default, then put right; the
        // restore's run recorded past it untold).
        let alone = row.drift_seen.as_deref().is_some_and(change::latest_alone);
        let recorded = match alone {
            true => (None, None),
            false => (row.observed_user.clone(), row.observed_enabled.clone()),
        };
        Accepted {
            users: [user.to_string(), then],
            recorded,
        }
    }

    /// Without a record: what the policy wants now, only.
    pub(super) fn policy(user: &str) -> Accepted {
        Accepted {
            users: [user.to_string(), user.to_string()],
            recorded: (None, None),
        }
    }

    /// What the table recorded was the former document's, where the
    /// document was made again since (`gap.recreated`): a finding told of
    /// it is another life's fact, and the new life's versions of the same
    /// value are windows of their own (seed 900487: in audit, a version
    /// with Run As `alice` made again and put back within seconds, judged
    /// no window because the former life's finding had told `alice`).
    pub(super) fn of_life(self, gap: &Gap) -> Accepted {
        match gap.recreated {
            Some(_) => Accepted {
                recorded: (None, None),
                ..self
            },
            None => self,
        }
    }

    /// `at_switch`: the version's window opened at the run's own switch,
    /// which no record before it told.
    pub(super) fn has(&self, r: &RunAs, at_switch: bool) -> bool {
        self.users.iter().any(|u| r.is_compliant(u))
            || (!at_switch
                && self.recorded.0.is_some()
                && change::observed(Some(r)) == self.recorded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_of_the_former_document_or_of_the_latest_alone_excuses_no_version() {
        let alice = RunAs {
            enabled: Some(serde_json::json!(true)),
            user: Some(serde_json::json!("alice")),
        };
        let row = Known {
            observed_user: Some("alice".into()),
            observed_enabled: Some("true".into()),
            ..Known::default()
        };
        let gap = |recreated: Option<&str>| Gap {
            to_read: vec![1],
            beyond: 0,
            current: [2, 2],
            recreated: recreated.map(str::to_string),
            latest_past: false,
            switched: None,
        };
        let in_effect = change::seen(Some(&alice), false).value;
        let latest = change::seen(Some(&alice), true).value;
        // (document made again since the record, the run's own switch, the
        // drift mark) -> accepted
        let cases = [
            (None, false, None, true),
            (None, false, Some(&in_effect), true),
            (None, true, None, false),
            (Some("5"), false, None, false),
            (Some("5"), true, None, false),
            // The finding was of the latest alone: no time as the default.
            (None, false, Some(&latest), false),
            (None, false, Some(&"not json".to_string()), true),
        ];
        for (recreated, at_switch, mark, want) in cases {
            let row = Known {
                drift_seen: mark.cloned(),
                ..row.clone()
            };
            let accepted = Accepted::of("produser", &row).of_life(&gap(recreated));
            assert_eq!(
                accepted.has(&alice, at_switch),
                want,
                "{recreated:?} {at_switch}"
            );
            // What the policy wants is accepted whatever the life.
            assert!(accepted.has(&RunAs::desired("produser"), at_switch));
        }
    }
}
