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
    /// The span each told window covered, by token
    /// (`version_gap::told_reach`), kept on its ledger item.
    pub reach: std::collections::BTreeMap<String, Reach>,
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

/// The span a told window covered (epoch milliseconds): from when it
/// opened (its version's making, or the switch that made it the default)
/// through the latest it told it held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    pub opened: i64,
    pub through: i64,
}

impl Reach {
    /// The span `from` to `until`, where both read as times.
    pub fn of(from: Option<&str>, until: Option<&str>) -> Option<Reach> {
        Some(Reach {
            opened: crate::domain::clock::parse_iso(from?)?,
            through: crate::domain::clock::parse_iso(until?)?,
        })
    }

    /// Whether this told window told the window a switch opened in the
    /// second starting at `at` (CloudTrail cuts event times to the
    /// second) to a version made at `made` (where known): open before the
    /// switch can have been (within that second, not before the version's
    /// making: a console edit makes a version and its switch in one
    /// second), and reaching past that second. A window that may have
    /// ended, or opened, within it is another fact (told twice rather
    /// than never).
    pub fn covers(&self, at: i64, made: Option<i64>) -> bool {
        let earliest = made.map_or(at, |m| m.max(at));
        self.opened <= earliest && self.through > at.saturating_add(999)
    }
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
    /// The record keeps no version where it would keep one, since the
    /// only version on the item is a former life's: the next run reads
    /// the present life's history from the join.
    pub keeps_none: bool,
}

impl Claim {
    pub fn new(made: Option<WindowClaim>, keeps_version: bool) -> Claim {
        Claim {
            made,
            keeps_version,
            keeps_none: false,
        }
    }

    /// The claim over an item whose only version is a former life's: what
    /// its record would keep, it keeps none. Kept, that version would read
    /// as this life's to the next run (simulation seed 900128: another
    /// life's root told as a window of this one).
    pub fn over_former_life(self) -> Claim {
        Claim {
            keeps_none: self.keeps_none || self.keeps_version,
            keeps_version: false,
            ..self
        }
    }
}

/// Who holds another run's claim of a version: its trigger, and the editor
/// that trigger named (`None`: a sweep, an operator, a stack).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Teller {
    pub trigger_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_a_former_lifes_item_a_claim_keeps_no_version() {
        let cases = [
            (Claim::new(None, false), (false, false)),
            (Claim::new(None, true), (false, true)),
            (
                Claim {
                    keeps_none: true,
                    ..Claim::default()
                },
                (false, true),
            ),
        ];
        for (claim, (keeps_version, keeps_none)) in cases {
            let got = claim.clone().over_former_life();
            assert_eq!(
                (got.keeps_version, got.keeps_none),
                (keeps_version, keeps_none),
                "{claim:?}"
            );
            assert_eq!(got.made, claim.made);
        }
    }
}
