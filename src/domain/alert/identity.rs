//! The identity of the alerts about a document's version other than
//! `run_as_window` (whose windows name their own versions: `window.rs`),
//! computed from what AWS says (`domain::fact`), never from the run that
//! tells it: any run, whatever its trigger, that tells the same version
//! under the same kind naming the same editor sends the same `alert_id`,
//! so a copy is one telling delivered twice, not a second telling.

use crate::domain::fact::{told_id, version_fact, Version};
use crate::domain::outcome::RegionOutcome;

use super::Kind;

/// The version a drift alert tells, as [`version_fact`] names it: the
/// default the run found, or the latest where only it was out of policy
/// (`pending`: its window opens later, when it becomes the default, and
/// that is another fact), or a document that was not there. Not the
/// version that put it back: two attempts of one trigger can put one
/// version back twice (a retry after a lost answer), one fact. With its
/// `CreatedDate` where the run read it (the intent keeps it for the run that
/// takes over a dead run's write): a document deleted and made again
/// numbers its versions from 1 again, and its version 1 put back is another
/// fact than the former life's (simulation seed 900300: the second remade
/// document's root v1 shared the first one's `alert_id` and was taken for
/// a copy of it).
pub fn drift_version(o: &RegionOutcome) -> (String, Option<&str>) {
    let found = match &o.versions_before {
        Some(v) if o.pending => format!("latest:{}", v.latest),
        Some(v) => v.default.clone(),
        None => return ("absent".into(), None),
    };
    (found, o.made_before.as_deref())
}

/// A drift alert's identity (`drift_reverted`, `drift_detected`,
/// `tamper_repeated`): its kind, the account and slot, the version (and
/// when AWS says it was made, where the caller knows it: a remade
/// document's version 3 is another fact), and the editor it names. The editor is part of what it tells: a
/// sweep's alert naming nobody and the edit's run naming its editor (or a
/// follow-up naming them later) are two tellings a reader tells apart.
pub fn drift_id(
    kind: Kind,
    account: &str,
    o: &RegionOutcome,
    (version, created): (&str, Option<&str>),
    editor: Option<&str>,
) -> String {
    let slot = o.slot();
    let place = (account, slot.as_str());
    let fact = version_fact(kind.as_str(), place, Version { version, created });
    let mut facts = vec![fact];
    facts.extend(covered_facts(kind, place, o));
    told_id(kind.as_str(), place, &facts, editor)
}

/// The latest versions a drift alert tells beside its default
/// (`version_gap::covered_by_default`: made since the record with the
/// default's own Run As, no longer the default): facts of its telling too.
/// Without them, a default told once and found the default again later
/// with such a latest above it was told under the first telling's id, and
/// the latest's window went out only in a copy readers drop (simulation
/// seed 900161: root v3 told, root v5 made the default, the default
/// switched back to v3).
fn covered_facts(kind: Kind, place: (&str, &str), o: &RegionOutcome) -> Vec<String> {
    let covered = o.history.iter().flat_map(|h| h.covered.iter());
    covered
        .map(|v| {
            let latest = format!("covered:{v}");
            version_fact(
                kind.as_str(),
                place,
                Version {
                    version: &latest,
                    created: None,
                },
            )
        })
        .collect()
}

/// The identity of one alert listing several findings (audit's
/// `drift_detected` of an account's run): each row's fact, in any order.
pub fn findings_id(kind: Kind, account: &str, rows: &[&RegionOutcome]) -> String {
    let facts: Vec<String> = rows
        .iter()
        .map(|o| {
            let slot = o.slot();
            let (version, created) = drift_version(o);
            let v = Version {
                version: &version,
                created,
            };
            version_fact(kind.as_str(), (account, slot.as_str()), v)
        })
        .collect();
    told_id(kind.as_str(), (account, "*"), &facts, None)
}

/// `account_configured`'s identity: per slot, the version the account
/// was left at. Whoever tells a vend's configuration (the vend's event, the
/// member stack's, a re-attempt, a baseline) names the same versions; its
/// editor is not part of it, since the fact is the account's state, not
/// anyone's edit. Neither is when AWS made those versions, nor when the
/// account joined: the run that wrote a version knows it from its own write
/// (no `CreatedDate`), and only some paths know when the account joined, so
/// either would give one configuration two identities. A life's new
/// configuration writes new versions, and so is another fact.
pub fn configured_id(account: &str, rows: &[RegionOutcome]) -> String {
    let kind = Kind::AccountConfigured.as_str();
    let facts: Vec<String> = rows
        .iter()
        .map(|o| {
            let slot = o.slot();
            let v = Version {
                version: o.version_after.as_deref().unwrap_or("-"),
                created: None,
            };
            version_fact(kind, (account, slot.as_str()), v)
        })
        .collect();
    told_id(kind, (account, "*"), &facts, None)
}

#[cfg(test)]
#[path = "identity_tests.rs"]
mod tests;
