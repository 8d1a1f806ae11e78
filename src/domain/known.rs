//! What the table last recorded of each account-region, as the core reads
//! it: one row ([`Known`]), a sweep's view of them all ([`Snapshot`]), and
//! whether a new observation is worth a write ([`unchanged`]). The store
//! reads them (`adapters::store::known`).

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::records::Observation;

/// One account-region as the table last recorded it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    pub status: Option<String>,
    pub desired_user: Option<String>,
    pub observed_user: Option<String>,
    pub observed_enabled: Option<String>,
    pub default_version: Option<String>,
    pub error_code: Option<String>,
    /// Audit mode: the finding already reported here (one observed Run As,
    /// as [`crate::flow::account::change::seen_value`] writes it).
    pub drift_seen: Option<String>,
    /// The trigger whose run claimed that mark (since 0.7.2).
    pub drift_seen_by: Option<String>,
    /// A run announced a write here and has not recorded it (yet, or ever:
    /// it died); the record must be sent so the intent is looked at.
    pub intent: bool,
    /// That intent as stored (JSON) and when its write lease ends (epoch
    /// milliseconds), where the read holds them: a dead run's write is
    /// adopted by the next record, a live one's is the writer's to record
    /// (`domain::intent::under_intent`).
    pub intent_json: Option<String>,
    pub lease_until_ms: Option<i64>,
    /// The run-as user check's row: what its association last found.
    pub nodes: Option<String>,
    pub mode: Option<String>,
    pub held: Option<String>,
    /// Since when an `enforce-when-ready` document is held, and the
    /// verdict told of it (see `nodes::held`).
    pub held_since: Option<String>,
    pub held_told: Option<String>,
    pub ou_path: Option<String>,
    /// A pending row's error (what it awaits, since when), where the read
    /// holds it (an account's own rows; a sweep's projection leaves it out).
    pub pending_error: Option<String>,
    /// The forwarding canary's last write and arrival.
    pub canary: Option<crate::domain::canary::Last>,
    /// The code of a canary refusal already told (`canary_unwritable`).
    pub canary_unwritable: Option<String>,
    /// The put-backs whose editor is not yet named (`domain::unnamed::Mark`,
    /// one per version replaced), each with the attribute it is kept in,
    /// where the read holds them.
    pub unnamed: Vec<(String, String)>,
    /// When a run last wrote the row (epoch milliseconds), where the read
    /// holds it (an account's own rows): rows from before the account's
    /// latest join are another life's ([`crate::domain::life`]).
    pub last_checked_ms: Option<i64>,
    /// When a run last recorded the row's default version (epoch
    /// milliseconds), where the read holds it: a record that keeps the
    /// version (a failed run's, one left to another run's claim or to the
    /// next run's check) does not move it. See [`Known::version_recorded_ms`].
    pub version_at_ms: Option<i64>,
    /// When a run first wrote the row (epoch milliseconds), where the read
    /// holds it: a row first written before the account's latest join may
    /// keep another life's version through a failed record.
    pub first_seen_ms: Option<i64>,
    /// A run in this slot read it and recorded what it found (`looked`,
    /// set once by the first record that did not fail, kept by failed ones):
    /// a failed record over it is no first look.
    pub looked: bool,
    /// The last default version a run found out of policy and judged, and
    /// when it recorded that (`<version>@<epoch ms>`).
    pub judged_default: Option<String>,
    /// The latest version when the row was recorded (see
    /// [`crate::domain::records::Observation::latest_version`]).
    pub latest_version: Option<String>,
    /// Default switches events named whose runs failed before judging
    /// them (`switch_v<N>`, `domain::version_gap::kept`), where the read
    /// holds them.
    pub switches: Vec<crate::domain::kept_switch::Kept>,
    /// `[security_hub]`: the last finding sent per check
    /// (`domain::security_hub::Marks`, as JSON).
    pub hub_findings: Option<String>,
    /// Attributes of the row's item no release since 0.10.0 reads
    /// (`domain::retired`), where the read holds its names: a run removes
    /// them.
    pub retired: Vec<String>,
}

impl Known {
    /// When the recorded default version was recorded: what a version read
    /// now is checked against for the document's life (made after it: the
    /// same number in a document deleted and made again). Rows written
    /// before 0.19.0 say only when the row was last written. Until 0.19.0
    /// that was the check's time, and a record that kept its version (a
    /// failed run's, one left to another run's claim) moved it: a document
    /// made again before such a record read as the record's own life, its
    /// new versions up to the recorded number taken as judged (found while
    /// tracing simulation seed 900035).
    pub fn version_recorded_ms(&self) -> Option<i64> {
        self.version_at_ms.or(self.last_checked_ms)
    }

    /// Recorded out of governance (`excluded`, naming no desired user), as
    /// a slot of an account that left it (an exempt OU, out of scope,
    /// suspended) is: nothing found there now was judged against a record.
    pub fn out_of_governance(&self) -> bool {
        self.status.as_deref() == Some("excluded") && self.desired_user.is_none()
    }
}

/// Known account-regions by `account/slot` (the region, or
/// `<region>#DOCUMENT#<name>` for a `[[document]]`), and, where the read
/// included them, the accounts whose departure from governance is on record,
/// and the slots whose rows went as another life's ([`Snapshot::of_life`]).
/// Ordered, so an account's rows are one range: a sweep asks for each
/// account's rows, and a scan of every row per account made a sweep of
/// 10,000 accounts x 17 regions quadratic (1.7 billion key comparisons per
/// question; since 0.7.4, found by the simulation's scale run).
#[derive(Debug, Default)]
pub struct Snapshot(
    BTreeMap<String, Known>,
    Option<BTreeSet<String>>,
    BTreeSet<String>,
);

impl Snapshot {
    pub fn get(&self, account: &str, slot: &str) -> Option<&Known> {
        self.0.get(&format!("{account}/{slot}"))
    }

    /// The same rows, knowing which accounts have a departure on record
    /// (`None`: not read, so any account may have one).
    pub fn with_departed(self, departed: Option<BTreeSet<String>>) -> Snapshot {
        Snapshot(self.0, departed, self.2)
    }

    /// Whether `account`'s `slot` was recorded in a life before the
    /// account's present one, and nothing since: its present life's
    /// history starts at the join, not at a record.
    pub fn former_life(&self, account: &str, slot: &str) -> bool {
        let key = format!("{account}/{slot}");
        self.2.contains(&key) && !self.0.contains_key(&key)
    }

    /// Whether `account` may have a departure on record: always, unless the
    /// read that made this snapshot listed the departures and it was not
    /// among them. A first sweep of a new organization clears nothing.
    pub fn may_have_departed(&self, account: &str) -> bool {
        self.1.as_ref().is_none_or(|d| d.contains(account))
    }

    /// The same rows without those written before the life that began
    /// when the account joined at `joined_ms` (a rejoined account's first
    /// life), and how many went.
    pub fn of_life(self, joined_ms: Option<i64>) -> (Snapshot, usize) {
        let Snapshot(rows, departed, mut former) = self;
        let before = rows.len();
        let (rows, gone): (BTreeMap<String, Known>, BTreeMap<String, Known>) = rows
            .into_iter()
            .partition(|(_, k)| crate::domain::life::of_this_life(k.last_checked_ms, joined_ms));
        former.extend(gone.into_keys());
        let gone = before - rows.len();
        (Snapshot(rows, departed, former), gone)
    }

    /// The same rows less `account`'s from before the life that began when
    /// it joined at `joined_ms` (a sweep's view, where the walk says when
    /// each account joined), and how many went; `None` when none did (the
    /// snapshot serves as it is).
    pub fn account_of_life(
        &self,
        account: &str,
        joined_ms: Option<i64>,
    ) -> Option<(Snapshot, usize)> {
        let other_life =
            |k: &Known| !crate::domain::life::of_this_life(k.last_checked_ms, joined_ms);
        let gone: Vec<&String> = self
            .of_account(account)
            .filter(|(_, k)| other_life(k))
            .map(|(key, _)| key)
            .collect();
        if gone.is_empty() {
            return None;
        }
        let (mut rows, mut former) = (self.0.clone(), self.2.clone());
        for key in &gone {
            rows.remove(*key);
            former.insert((*key).clone());
        }
        Some((Snapshot(rows, self.1.clone(), former), gone.len()))
    }

    /// The slots of `account` in regions outside `governed`: rows from when
    /// the policy governed a region it no longer does. They go, so a region
    /// added back is looked at afresh, not judged against them.
    pub fn slots_outside(&self, account: &str, governed: &[String]) -> Vec<String> {
        self.slots(account)
            .into_iter()
            .filter(|slot| {
                let region = slot
                    .split_once("#DOCUMENT#")
                    .map_or(slot.as_str(), |(r, _)| r);
                !governed.iter().any(|g| g == region)
            })
            .collect()
    }

    /// `account`'s rows, by key: one range of the ordered map.
    fn of_account<'a>(
        &'a self,
        account: &str,
    ) -> impl Iterator<Item = (&'a String, &'a Known)> + 'a {
        let prefix = format!("{account}/");
        self.0
            .range(prefix.clone()..)
            .take_while(move |(key, _)| key.starts_with(&prefix))
    }

    /// The recorded `status` of each of `account`'s rows.
    pub fn statuses<'a>(&'a self, account: &str) -> impl Iterator<Item = Option<&'a str>> + 'a {
        self.of_account(account).map(|(_, k)| k.status.as_deref())
    }

    /// The slots recorded for `account`.
    pub fn slots(&self, account: &str) -> Vec<String> {
        self.of_account(account)
            .filter_map(|(k, _)| k.split_once('/').map(|(_, slot)| slot.to_string()))
            .collect()
    }

    /// Every row as (account, slot, row).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, &Known)> {
        self.0.iter().filter_map(|(key, k)| {
            let (account, slot) = key.split_once('/')?;
            Some((account, slot, k))
        })
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, String, Known)> for Snapshot {
    fn from_iter<I: IntoIterator<Item = (String, String, Known)>>(iter: I) -> Self {
        Snapshot(
            iter.into_iter()
                .map(|(a, r, k)| (format!("{a}/{r}"), k))
                .collect(),
            None,
            BTreeSet::new(),
        )
    }
}

/// Nothing worth a write: same status, same desired and observed RunAs,
/// same default version, same error. A compliant check does not overwrite
/// the `remediated`/`reverted` that says what last happened there. (A quiet
/// check's time is the sweep's.)
pub fn unchanged(known: &Known, o: &Observation) -> bool {
    let same_status = match (known.status.as_deref(), o.status) {
        (Some("remediated" | "reverted"), "compliant") => true,
        (k, now) => k == Some(now),
    };
    same_status
        && known.desired_user == o.desired_user
        && known.observed_user == o.observed_user
        && known.observed_enabled == o.observed_enabled
        && (o.keeps_version
            || (known.default_version == o.default_version
                && known.latest_version == o.latest_version))
        && known.error_code == o.error_code
        && !known.intent
        && known.nodes == o.nodes
        && known.mode.as_deref() == o.mode
        && known.held == o.held
        // A hold recorded before `held_since` existed gets one.
        && (o.held.is_none() || known.held_since.is_some())
        && known.ou_path == o.ou_path
        // What a pending row awaits may change under the same code (the
        // role, then a region's check document).
        && (known.pending_error.is_none() || known.pending_error == o.error)
        // A switch to keep or to let go is news (`version_gap::kept`).
        && o.keeps_switch.is_none()
        && o.switch_done.is_empty()
        && !o.wrote
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_departure_is_possible_unless_the_read_listed_them_without_it() {
        let rows = || -> Snapshot { std::iter::empty().collect() };
        let listed = |ids: &[&str]| Some(ids.iter().map(|s| s.to_string()).collect());
        let cases: [(Snapshot, &str, bool); 5] = [
            (rows(), "111122223333", true),
            (rows().with_departed(None), "111122223333", true),
            (rows().with_departed(listed(&[])), "111122223333", false),
            (
                rows().with_departed(listed(&["111122223333"])),
                "111122223333",
                true,
            ),
            (
                rows().with_departed(listed(&["111122223333"])),
                "444455556666",
                false,
            ),
        ];
        for (snapshot, account, want) in cases {
            assert_eq!(
                snapshot.may_have_departed(account),
                want,
                "{snapshot:?} {account}"
            );
        }
    }

    /// A slot whose row went as another life's is the former life's until
    /// a row of the present one is there; other slots and accounts are not.
    #[test]
    fn a_slot_whose_row_went_as_another_lifes_is_a_former_lifes() {
        const A: &str = "111122223333";
        let at = |ms: i64| Known {
            last_checked_ms: Some(ms),
            ..Known::default()
        };
        let rows = || -> Snapshot {
            [
                (A, "eu-west-1", at(100)),
                (A, "us-east-1", at(300)),
                ("444455556666", "eu-west-1", at(100)),
            ]
            .into_iter()
            .map(|(a, r, k)| (a.to_string(), r.to_string(), k))
            .collect()
        };
        let (life, gone) = rows().of_life(Some(200));
        assert_eq!(gone, 2);
        assert!(life.former_life(A, "eu-west-1"));
        assert!(life.former_life("444455556666", "eu-west-1"));
        assert!(!life.former_life(A, "us-east-1"), "its row is this life's");
        assert!(!life.former_life(A, "eu-north-1"), "never recorded");
        let (all, gone) = rows().of_life(None);
        assert_eq!(gone, 0);
        assert!(
            !all.former_life(A, "eu-west-1"),
            "no join known: every row stays"
        );
        // The sweep's view of one account: only its rows go.
        let (one, gone) = rows().account_of_life(A, Some(200)).unwrap();
        assert_eq!(gone, 1);
        assert!(one.former_life(A, "eu-west-1"));
        assert!(!one.former_life("444455556666", "eu-west-1"));
        assert!(rows().account_of_life(A, Some(50)).is_none());
        // The departures read later keep what went.
        let listed = life.with_departed(Some(BTreeSet::new()));
        assert!(listed.former_life(A, "eu-west-1"));
    }

    #[test]
    fn only_a_row_excluded_with_no_user_is_out_of_governance() {
        let row = |status: Option<&str>, user: Option<&str>| Known {
            status: status.map(str::to_string),
            desired_user: user.map(str::to_string),
            ..Known::default()
        };
        let cases = [
            (row(Some("excluded"), None), true),
            (row(Some("excluded"), Some("ops")), false),
            (row(Some("Excluded"), None), false),
            (row(Some(""), None), false),
            (row(None, None), false),
            (row(Some("failed"), None), false),
            (row(Some("pending"), None), false),
            (row(Some("compliant"), Some("ops")), false),
        ];
        for (k, want) in cases {
            assert_eq!(k.out_of_governance(), want, "{k:?}");
        }
    }

    fn observation(status: &'static str, user: &str, wrote: bool) -> Observation {
        Observation {
            document: None,
            account: "111122223333".into(),
            region: "eu-west-1".into(),
            status,
            desired_user: Some("ops".into()),
            observed_user: Some(user.into()),
            observed_enabled: Some("true".into()),
            default_version: Some("2".into()),
            keeps_version: false,
            action: if wrote { "updated" } else { "none" },
            wrote,
            trigger_id: "sweep-2".into(),
            trigger_kind: "sweep",
            actor: None,
            error: None,
            error_code: None,
            nodes: None,
            mode: None,
            held: None,
            ou_path: None,
            judged_default: None,
            judged_opened: None,
            latest_version: None,
            keeps_switch: None,
            switch_done: vec![],
        }
    }

    #[test]
    fn a_life_keeps_its_own_rows_and_those_without_a_time() {
        let row = |ms: Option<i64>| Known {
            last_checked_ms: ms,
            ..Default::default()
        };
        let rows = || -> Snapshot {
            [
                ("1", "eu-west-1", row(Some(100))),
                ("1", "us-east-1", row(Some(300))),
                ("1", "eu-west-1#DOCUMENT#SSMRunAs-Admin", row(None)),
            ]
            .into_iter()
            .map(|(a, s, k)| (a.to_string(), s.to_string(), k))
            .collect()
        };
        let kept = |joined| {
            let (rows, gone) = rows().of_life(joined);
            let mut slots = rows.slots("1");
            slots.sort();
            (slots, gone)
        };
        let all = vec![
            "eu-west-1".to_string(),
            "eu-west-1#DOCUMENT#SSMRunAs-Admin".into(),
            "us-east-1".into(),
        ];
        assert_eq!(kept(None), (all.clone(), 0));
        assert_eq!(kept(Some(100)), (all, 0));
        assert_eq!(
            kept(Some(200)),
            (
                vec![
                    "eu-west-1#DOCUMENT#SSMRunAs-Admin".into(),
                    "us-east-1".into()
                ],
                1
            )
        );
        assert_eq!(kept(Some(i64::MAX)).1, 2);
        let departed = rows().with_departed(Some(Default::default()));
        assert!(!departed.of_life(Some(200)).0.may_have_departed("1"));
    }

    #[test]
    fn a_sweeps_view_loses_only_the_rejoined_accounts_rows_of_its_other_life() {
        let row = |ms: Option<i64>| Known {
            last_checked_ms: ms,
            ..Default::default()
        };
        let rows: Snapshot = [
            ("1", "eu-west-1", row(Some(100))),
            ("1", "us-east-1", row(Some(300))),
            ("1", "ap-south-1", row(None)),
            // Another account's rows, older still, stay whatever its join.
            ("2", "eu-west-1", row(Some(50))),
        ]
        .into_iter()
        .map(|(a, s, k)| (a.to_string(), s.to_string(), k))
        .collect::<Snapshot>()
        .with_departed(Some(["1".to_string()].into_iter().collect()));
        let sorted = |s: &Snapshot, a: &str| {
            let mut v = s.slots(a);
            v.sort();
            v
        };
        // No join known, or every row of this life: nothing goes.
        assert!(rows.account_of_life("1", None).is_none());
        assert!(rows.account_of_life("1", Some(100)).is_none());
        assert!(rows.account_of_life("3", Some(i64::MAX)).is_none());
        let (mid, gone) = rows.account_of_life("1", Some(200)).unwrap();
        assert_eq!(gone, 1);
        assert_eq!(sorted(&mid, "1"), ["ap-south-1", "us-east-1"]);
        assert_eq!(sorted(&mid, "2"), ["eu-west-1"]);
        let (all, gone) = rows.account_of_life("1", Some(i64::MAX)).unwrap();
        assert_eq!(
            (gone, sorted(&all, "1")),
            (2, vec!["ap-south-1".to_string()])
        );
        assert!(all.may_have_departed("1") && !all.may_have_departed("2"));
    }

    #[test]
    fn an_accounts_rows_are_its_own_whatever_ids_share_its_digits() {
        let status = |s: &str| Known {
            status: Some(s.into()),
            ..Default::default()
        };
        let rows: Snapshot = [
            ("1", "eu-west-1", status("a")),
            ("1", "eu-west-1#DOCUMENT#RunAsGuard-Check", status("b")),
            ("10", "eu-west-1", status("c")),
            ("12", "us-east-1", status("d")),
            ("0", "us-east-1", status("e")),
            ("1.5", "us-east-1", status("f")),
        ]
        .into_iter()
        .map(|(a, s, k)| (a.to_string(), s.to_string(), k))
        .collect();
        let cases: [(&str, &[&str], &[&str]); 5] = [
            (
                "1",
                &["eu-west-1", "eu-west-1#DOCUMENT#RunAsGuard-Check"],
                &["a", "b"],
            ),
            ("10", &["eu-west-1"], &["c"]),
            ("12", &["us-east-1"], &["d"]),
            ("0", &["us-east-1"], &["e"]),
            ("2", &[], &[]),
        ];
        for (account, slots, statuses) in cases {
            assert_eq!(rows.slots(account), slots, "{account}");
            let got: Vec<&str> = rows.statuses(account).flatten().collect();
            assert_eq!(got, statuses, "{account}");
        }
    }

    #[test]
    fn rows_of_regions_no_longer_governed_are_found_by_their_region() {
        let rows: Snapshot = [
            "eu-west-1",
            "eu-west-1#DOCUMENT#SSMRunAs-Admin",
            "ap-south-1",
            "ap-south-1#DOCUMENT#RunAsGuard-CheckRunAsUser",
            "eu-west-1x",
        ]
        .into_iter()
        .map(|slot| ("1".to_string(), slot.to_string(), Known::default()))
        .collect();
        let mut gone = rows.slots_outside("1", &["eu-west-1".into(), "us-east-1".into()]);
        gone.sort();
        assert_eq!(
            gone,
            [
                "ap-south-1",
                "ap-south-1#DOCUMENT#RunAsGuard-CheckRunAsUser",
                "eu-west-1x"
            ]
        );
        assert!(rows.slots_outside("2", &[]).is_empty());
        assert_eq!(rows.slots_outside("1", &[]).len(), 5);
    }

    #[test]
    fn only_news_is_written() {
        let stored = Known {
            status: Some("compliant".into()),
            desired_user: Some("ops".into()),
            observed_user: Some("ops".into()),
            observed_enabled: Some("true".into()),
            default_version: Some("2".into()),
            error_code: None,
            drift_seen: None,
            drift_seen_by: None,
            intent: false,
            intent_json: None,
            lease_until_ms: None,
            nodes: None,
            mode: None,
            held: None,
            held_since: None,
            held_told: None,
            ou_path: None,
            pending_error: None,
            canary: None,
            canary_unwritable: None,
            unnamed: vec![],
            last_checked_ms: None,
            version_at_ms: None,
            first_seen_ms: None,
            looked: false,
            hub_findings: None,
            judged_default: None,
            latest_version: None,
            switches: vec![],
            retired: vec![],
        };
        assert!(unchanged(&stored, &observation("compliant", "ops", false)));
        let reverted = Known {
            status: Some("reverted".into()),
            ..stored.clone()
        };
        assert!(
            unchanged(&reverted, &observation("compliant", "ops", false)),
            "what last happened stays"
        );
        let cases = [
            (
                "it was failing",
                Known {
                    status: Some("failed".into()),
                    ..stored.clone()
                },
            ),
            (
                "another desired user (the account moved)",
                Known {
                    desired_user: Some("x".into()),
                    ..stored.clone()
                },
            ),
            (
                "another default version",
                Known {
                    default_version: Some("1".into()),
                    ..stored.clone()
                },
            ),
            (
                "an old error to clear",
                Known {
                    error_code: Some("AccessDenied".into()),
                    ..stored.clone()
                },
            ),
            (
                "the user check found other nodes",
                Known {
                    nodes: Some("{}".into()),
                    ..stored.clone()
                },
            ),
            ("never recorded", Known::default()),
        ];
        for (why, k) in cases {
            assert!(
                !unchanged(&k, &observation("compliant", "ops", false)),
                "{why}"
            );
        }
        assert!(
            !unchanged(&stored, &observation("remediated", "ops", true)),
            "a write is always recorded"
        );
        let snapshot: Snapshot = [("1".to_string(), "r".to_string(), stored.clone())]
            .into_iter()
            .collect();
        assert_eq!(snapshot.get("1", "r"), Some(&stored));
        assert_eq!((snapshot.get("1", "x"), snapshot.len()), (None, 1));
    }

    /// A waiting row is written again only when what it awaits changed;
    /// a read without the error (a sweep's projection) compares the rest.
    #[test]
    fn a_pending_row_is_news_when_what_it_awaits_changes() {
        let awaits = |what: &str| {
            Some(format!("awaiting the member stack since 2026-11-24T10:00:00Z (the account joined then): {what} is not there yet"))
        };
        let pending = |error: Option<String>| Observation {
            status: "pending",
            observed_user: None,
            observed_enabled: None,
            default_version: None,
            action: "pending",
            error,
            error_code: Some("AwaitingMemberStack".into()),
            ..observation("pending", "-", false)
        };
        let stored = Known {
            status: Some("pending".into()),
            desired_user: Some("ops".into()),
            error_code: Some("AwaitingMemberStack".into()),
            pending_error: awaits("the member role RunAsGuardExecution"),
            ..Known::default()
        };
        for (why, known, now, same) in [
            (
                "still the role",
                &stored,
                awaits("the member role RunAsGuardExecution"),
                true,
            ),
            (
                "now the check document",
                &stored,
                awaits("the check document"),
                false,
            ),
            (
                "a sweep's projection has no error",
                &Known {
                    pending_error: None,
                    ..stored.clone()
                },
                awaits("the check document"),
                true,
            ),
        ] {
            assert_eq!(unchanged(known, &pending(now)), same, "{why}");
        }
    }
}
