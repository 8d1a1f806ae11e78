//! What a state item records, read from its attributes (pure): the
//! record a snapshot, a slot's read or a record's old item holds.

use crate::adapters::aws::dynamodb::{get_n, get_s, Item};
use crate::domain::canary::Last;
use crate::domain::clock;
use crate::domain::kept_switch::{self as kept, Kept};
use crate::domain::known::Known;

/// The finding a drift mark remembers. A mark from before findings were
/// kept (no value) remembered what the item observed.
fn drift_seen(i: &Item) -> Option<String> {
    if !i.contains_key("drift_seen_by") {
        return None;
    }
    get_s(i, "drift_seen_value").or_else(|| {
        let (user, enabled) = (
            get_s(i, "observed_user"),
            get_s(i, "observed_run_as_enabled"),
        );
        Some(serde_json::json!([enabled, user]).to_string())
    })
}

/// The put-back marks an item holds ([`crate::domain::put_back::is_attribute`]),
/// each with its attribute, in the order of their attributes' names.
pub(super) fn marks(i: &Item) -> Vec<(String, String)> {
    let mut names: Vec<&String> = i
        .keys()
        .filter(|k| crate::domain::put_back::is_attribute(k))
        .collect();
    names.sort();
    names
        .into_iter()
        .filter_map(|k| Some((k.clone(), get_s(i, k)?)))
        .collect()
}

/// The versions judged out of policy and when (`judged_v<N>`), each with
/// when its run's own switch opened its window where one did
/// (`opened_v<N>`), as `N@ms;N@ms^opened`
/// (`domain::version_gap::with_switch_back` reads it).
fn judged_of(i: &Item) -> Option<String> {
    let mut all: Vec<String> = i
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("judged_v")?, v.as_n().ok()?)))
        .map(|(k, ms)| match get_n(i, &format!("opened_v{k}")) {
            Some(opened) => format!("{k}@{ms}^{opened}"),
            None => format!("{k}@{ms}"),
        })
        .collect();
    all.sort();
    (!all.is_empty()).then(|| all.join(";"))
}

/// The switches kept on the item (`domain::version_gap::kept`), lowest
/// version first.
fn switches(i: &Item) -> Vec<Kept> {
    let mut all: Vec<Kept> = i
        .iter()
        .filter(|(k, _)| k.starts_with(kept::PREFIX))
        .filter_map(|(k, v)| Kept::parse(k, v.as_s().ok()?))
        .collect();
    all.sort_by_key(|k| k.version);
    all
}

pub(super) fn known(i: &Item) -> Known {
    Known {
        status: get_s(i, "status"),
        desired_user: get_s(i, "desired_user"),
        observed_user: get_s(i, "observed_user"),
        observed_enabled: get_s(i, "observed_run_as_enabled"),
        default_version: get_s(i, "default_version"),
        error_code: get_s(i, "last_error_code"),
        drift_seen: drift_seen(i),
        drift_seen_by: get_s(i, "drift_seen_by"),
        intent: i.contains_key("intent"),
        intent_json: get_s(i, "intent"),
        lease_until_ms: crate::adapters::aws::dynamodb::get_n(i, "lease_until"),
        nodes: get_s(i, "nodes"),
        mode: get_s(i, "mode"),
        held: get_s(i, "held"),
        held_since: get_s(i, "held_since"),
        held_told: get_s(i, "held_told"),
        ou_path: get_s(i, "ou_path"),
        pending_error: get_s(i, "last_error")
            .filter(|_| get_s(i, "status").as_deref() == Some("pending")),
        canary: last_of(i),
        canary_unwritable: unwritable_of(i),
        unnamed: marks(i),
        last_checked_ms: get_s(i, "last_checked").and_then(|t| clock::parse_iso(&t)),
        version_at_ms: version_at(i),
        first_seen_ms: get_s(i, "first_seen").and_then(|t| clock::parse_iso(&t)),
        looked: i.contains_key("looked"),
        hub_findings: get_s(i, "hub_findings"),
        judged_default: judged_of(i),
        latest_version: get_s(i, "latest_version"),
        switches: switches(i),
        retired: crate::domain::retired::retired(i.keys()),
    }
}

/// The code of the refusal already told (`canary_unwritable`): set when a
/// canary could not be written and that was told, gone once one is written.
pub fn unwritable_of(item: &Item) -> Option<String> {
    get_s(item, "canary_unwritable")
}

/// The last canary an item records.
pub fn last_of(item: &Item) -> Option<Last> {
    Some(Last {
        token: get_s(item, "canary_token")?,
        written_ms: get_n(item, "canary_written_ms")?,
        arrived_ms: get_n(item, "canary_arrived_ms"),
        missing_since_ms: get_n(item, "canary_missing_since_ms"),
    })
}

/// Reverts older than this no longer count towards tampering.
pub const TAMPER_WINDOW: std::time::Duration = std::time::Duration::from_secs(3600);

/// Epoch seconds of the item's reverts still inside [`TAMPER_WINDOW`] at `now`.
pub fn recent_reverts(old: &Item, now: std::time::SystemTime) -> Vec<i64> {
    let horizon = clock::epoch_secs(now - TAMPER_WINDOW);
    old.get("reverts_at")
        .and_then(|v| v.as_l().ok())
        .map(|l| {
            l.iter()
                .filter_map(|v| v.as_n().ok()?.parse::<i64>().ok())
                .filter(|t| *t >= horizon)
                .collect()
        })
        .unwrap_or_default()
}

/// When the row's default version was recorded (`<version>@<epoch ms>`),
/// where the stamp is of that very version: another writer (an earlier
/// release's instance) may have moved the version without it.
fn version_at(i: &Item) -> Option<i64> {
    let stamp = get_s(i, "version_at")?;
    let (version, ms) = stamp.split_once('@')?;
    let current = get_s(i, "default_version")?;
    (version == current).then(|| ms.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::aws::dynamodb::{n, s};

    #[test]
    fn the_judged_versions_read_with_their_switch_where_one_opened_them() {
        let item = |pairs: &[(&str, i64)]| -> Item {
            let mut i: Item = pairs.iter().map(|(k, v)| (k.to_string(), n(*v))).collect();
            i.insert("status".into(), s("reverted"));
            i
        };
        type Case<'a> = (&'a [(&'a str, i64)], Option<&'a str>);
        let cases: [Case; 5] = [
            (&[], None),
            (&[("judged_v5", 10)], Some("5@10")),
            (&[("judged_v5", 10), ("opened_v5", 7)], Some("5@10^7")),
            (
                &[("judged_v5", 10), ("opened_v5", 7), ("judged_v2", 3)],
                Some("2@3;5@10^7"),
            ),
            // An opening with no judgement is nothing.
            (&[("opened_v5", 7)], None),
        ];
        for (pairs, want) in cases {
            assert_eq!(judged_of(&item(pairs)).as_deref(), want, "{pairs:?}");
        }
    }

    #[test]
    fn the_kept_switches_read_lowest_version_first_and_nothing_else_as_one() {
        let mut i: Item = [
            (
                "switch_v12",
                s("1790000000000|AssumedRole|arn:aws:iam::1:role/Admin"),
            ),
            ("switch_v6", s("1789999999000")),
            ("switch_vx", s("1")),
            ("switch_v7", n(5)),
            ("judged_v12", n(3)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        i.insert("status".into(), s("failed"));
        let got: Vec<(u64, bool)> = known(&i)
            .switches
            .iter()
            .map(|k| (k.version, k.editor.is_some()))
            .collect();
        assert_eq!(got, vec![(6, false), (12, true)]);
    }

    /// The stamp counts only where it is of the row's version: another
    /// writer that moved the version without it leaves a stamp of another.
    #[test]
    fn when_the_version_was_recorded_is_read_only_for_that_version() {
        let row = |stamp: Option<&str>, version: Option<&str>| -> Item {
            let mut i = Item::new();
            if let Some(t) = stamp {
                i.insert("version_at".into(), s(t));
            }
            if let Some(v) = version {
                i.insert("default_version".into(), s(v));
            }
            i
        };
        let cases = [
            (Some("3@1700"), Some("3"), Some(1700)),
            (Some("2@1700"), Some("3"), None),
            (Some("3@1700"), None, None),
            (None, Some("3"), None),
            (Some("3@soon"), Some("3"), None),
            (Some("31700"), Some("3"), None),
            (Some("@1700"), Some(""), Some(1700)),
        ];
        for (stamp, version, want) in cases {
            assert_eq!(
                version_at(&row(stamp, version)),
                want,
                "{stamp:?} {version:?}"
            );
        }
    }
}
