//! A Run As window's claim on its slot's item, as a run made it: what the
//! transaction that keeps the window's alert marks kept (its alert then
//! stands beside it), so a claim whose claimer died before keeping runs
//! out and the next run that reads the gap tells it. Until 0.7.13 such a
//! claim hid the window for good (docs/internals.md "Open findings").

/// The versions of a row's windows this run claimed, one token each
/// (`domain::version_gap::claim_tokens`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowClaim {
    pub account: String,
    pub slot: String,
    pub tokens: Vec<String>,
    pub trigger_id: String,
    /// The claim's write failed (refused past the SDK's retries, or its
    /// answers lost) and the run tells anyway: the transaction that keeps
    /// the alert writes the claim with its keep.
    pub unwritten: Option<Unwritten>,
}

/// What a claim whose write failed records when the keep of its alert
/// makes it: the default version the row recorded when it was judged
/// (empty: none) and the editor its trigger names (empty: none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unwritten {
    pub seen: String,
    pub actor: String,
}

/// What a run's claim of a row's windows came to, and whether its record
/// keeps the default version it judged from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claim {
    /// What this run tells: the claim is kept with its alert.
    pub made: Option<WindowClaim>,
    /// The record keeps the default version, so a later run reads these
    /// versions again: another run claimed some and has not kept its alert
    /// (it may have died), or the default a dead run's write replaced is
    /// left to that write's adoption, which the record makes after it (a
    /// run that died in between left that version to nobody: seed 35).
    pub keeps_version: bool,
}

/// Who holds another run's claim of a version: its trigger, and the editor
/// that trigger named (`None`: a sweep, an operator, a stack).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Teller {
    pub trigger_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// A version's item in the ledger of told facts, as a run that did not
/// read the version sees it: who told it, whether its alert is kept, and
/// when AWS made the version it told (where the teller knew).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledgered {
    pub teller: Teller,
    pub kept: bool,
    pub made: Option<String>,
}

/// The versions of `own` (those an edit event made, or made the default,
/// that its run did not read) told as a window by another run in no
/// editor's name or another's, its alert kept, and not named for `actor`
/// since (pure): the event's run names `actor` in a follow-up. A version
/// told in `actor`'s name, one not told (in policy, or told as a drift,
/// whose put-back mark names its editor), and one whose teller has not
/// kept its alert yet are not. `ledger`: the slot's items by token.
pub fn to_name<'a>(
    own: &[u64],
    ledger: &'a std::collections::BTreeMap<String, Ledgered>,
    actor: &str,
) -> Vec<(u64, &'a Ledgered)> {
    use crate::domain::version_gap::{naming_token, token_version};
    own.iter()
        .filter_map(|v| {
            let version = v.to_string();
            // The version's window, or a window a switch to it opened.
            let (token, told) = ledger.iter().find(|(t, told)| {
                !t.starts_with("named ") && token_version(t) == version && told.kept
            })?;
            let named = ledger.contains_key(&naming_token(token, actor));
            let another = told.teller.actor.as_deref() != Some(actor);
            (another && !named).then_some((*v, told))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const ADMIN: &str = "arn:aws:iam::111122223333:role/Admin";

    fn told(actor: Option<&str>, kept: bool) -> Ledgered {
        Ledgered {
            teller: Teller {
                trigger_id: "eb-other".into(),
                actor: actor.map(str::to_string),
            },
            kept,
            made: None,
        }
    }

    /// Seeds 950014, 900033: an edit event's version told by another run
    /// (our own write's event, another editor's) is named once by the
    /// edit's own run, whatever the record says.
    #[test]
    fn an_own_version_told_in_another_name_is_named_unless_named_already() {
        let naming = crate::domain::version_gap::naming_token("3", ADMIN);
        type Case<'a> = (&'a [(&'a str, Ledgered)], &'a [u64]);
        let cases: &[Case] = &[
            (&[], &[]),
            (&[("3", told(None, true))], &[3]),
            (
                &[("3", told(Some("arn:aws:iam::111122223333:role/B"), true))],
                &[3],
            ),
            // Told in this editor's name: named.
            (&[("3", told(Some(ADMIN), true))], &[]),
            // The teller has not kept its alert: it may be telling it now.
            (&[("3", told(None, false))], &[]),
            // Named since, by another of this editor's events.
            (
                &[("3", told(None, true)), (&naming, told(Some(ADMIN), true))],
                &[],
            ),
            // Another version told: not this event's.
            (&[("4", told(None, true))], &[]),
        ];
        for (items, want) in cases {
            let ledger: BTreeMap<String, Ledgered> = items
                .iter()
                .map(|(t, l)| (t.to_string(), l.clone()))
                .collect();
            let got: Vec<u64> = to_name(&[3], &ledger, ADMIN)
                .iter()
                .map(|(v, _)| *v)
                .collect();
            assert_eq!(&got, want, "{items:?}");
        }
        // Hostile: an empty actor names nobody, a naming of another editor
        // is not this one's.
        let ledger: BTreeMap<String, Ledgered> = [
            ("3".to_string(), told(Some(""), true)),
            (
                crate::domain::version_gap::naming_token("3", "arn:aws:iam::111122223333:role/B"),
                told(Some("arn:aws:iam::111122223333:role/B"), true),
            ),
        ]
        .into_iter()
        .collect();
        assert_eq!(to_name(&[3], &ledger, ADMIN).len(), 1);
    }
}
