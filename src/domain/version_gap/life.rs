//! A slot the table recorded in the account's present life without a
//! version (pure): a row that awaited the member stack (`pending`: the
//! document could not be read) or found no document. No recorded version
//! starts a gap there, yet every version made since the life began is
//! news: simulation seed 12 (an account rejoins, its join event's run
//! records the region `pending`, the stack lands, root is made the default
//! and put right before any run looks; the next run found no version to
//! start from and recorded past root untold). Unreleased.

use super::{gap, Gap, History, Past};
use crate::domain::ports::Versions;

/// The version the table recorded (`recorded`, judged up to) whose making
/// to read where the document moved since the record (`now`): the same
/// number in a document deleted and made again is another version, and no
/// event of this run may say so (the deletion's own run may come later, or
/// be covered). `None` where nothing moved, or the record is above the
/// latest (made again, known without a read: `gap_since`).
pub fn life_to_check(recorded: Option<&str>, now: &Versions) -> Option<u64> {
    let number = |s: &str| s.parse::<u64>().ok();
    let (r, default, latest) = (
        number(recorded?)?,
        number(&now.default)?,
        number(&now.latest)?,
    );
    (r <= latest && (default != r || latest != r)).then_some(r)
}

/// Whether the recorded version, read now, was made after the record was
/// written (`recorded_at_ms`): in one document it existed before, so the
/// document was made again since (its `CreatedDate` unknown: not said).
pub fn made_since_record(created: Option<&str>, recorded_at_ms: i64) -> bool {
    created
        .and_then(crate::domain::clock::parse_iso)
        .is_some_and(|made| made > recorded_at_ms)
}

/// The recorded version, where the run's own read of that number (`read`:
/// the version and its `CreatedDate`) says AWS made it after the record
/// was written (`recorded_at_ms`), beyond a two-second margin for the
/// clocks of AWS and the function: the same number in a document deleted
/// and made again, known without another read, also where nothing moved
/// (simulation seed 900076: a document made again with a version out of
/// policy for two seconds and put right at the recorded number; the
/// switch's run found the numbers as recorded and read nothing).
pub fn remade_as_read(
    recorded: Option<&str>,
    (version, made): (Option<&str>, Option<&str>),
    recorded_at_ms: Option<i64>,
) -> Option<u64> {
    let number = |s: &str| s.parse::<u64>().ok();
    let recorded = number(recorded?)?;
    let made = crate::domain::clock::parse_iso(made?)?;
    (number(version?)? == recorded && made > recorded_at_ms?.saturating_add(2_000))
        .then_some(recorded)
}

/// The history of a document made again since the record: its versions
/// from 1 (bounded as any gap), said even when none lies between;
/// `former`: the default version the table recorded of the former one.
pub(super) fn remade_gap(former: u64, current: [u64; 2], now: &Versions) -> Gap {
    let former = Some(former.to_string());
    match gap(Some("0"), now) {
        Some(g) => Gap {
            recreated: former,
            ..g
        },
        None => Gap {
            to_read: vec![],
            beyond: 0,
            current,
            recreated: former,
            latest_past: false,
            switched: None,
        },
    }
}

/// `gap` once the recorded version (`recorded`) is found made since the
/// record: the document's versions from 1, as when a deletion's event
/// says so ([`super::gap_since`]); a switch's reading kept.
pub fn remade(gap: Gap, recorded: u64, now: &Versions) -> Gap {
    let number = |s: &str| s.parse::<u64>().ok();
    let (Some(default), Some(latest)) = (number(&now.default), number(&now.latest)) else {
        return gap;
    };
    Gap {
        switched: gap.switched,
        ..remade_gap(recorded, [default, latest], now)
    }
}

/// When a document made again began its present life: its version 1's
/// `CreatedDate`, where `read` holds it. The re-creation is that life's
/// fact: a document deleted and made again twice, each time after a record
/// at the same version number, is two re-creations, not one told already
/// (simulation seed 900263).
pub fn of_version_one(gap: &Gap, read: &[&Past]) -> Option<String> {
    gap.recreated.as_ref()?;
    let one = read.iter().find(|p| p.number == 1 && p.failed.is_none())?;
    one.created.clone()
}

/// `history` of a document made again, its life's start (`life_made`)
/// taken from the run's own read where the history read no version 1:
/// version 1 is the default (or the latest alone, `pending`) it found,
/// made at `made` (`RegionOutcome::made_before`).
pub fn from_current(
    mut history: History,
    (now, made, pending): (Option<&Versions>, Option<&str>, bool),
) -> History {
    if history.recreated.is_none() || history.life_made.is_some() {
        return history;
    }
    let found = now.map(|v| match pending {
        true => v.latest.as_str(),
        false => v.default.as_str(),
    });
    if found == Some("1") {
        history.life_made = made.map(str::to_string);
    }
    history
}

/// Whether a record of the present life without a default version starts
/// a life's history (`from_life`): a `pending` row or one that found no
/// document did look and judged no version. A `failed` one is a first look
/// that never completed (an account's first run refused, throttled): its
/// next run is a first look too, which reports what it finds, never the
/// history before runas-guard governed the slot (at a rollout that would
/// page every old version of every account whose first run failed), unless
/// an earlier record of the slot did look (`looked`): then the failures
/// came after a look that judged no version (a region without the document
/// yet, then every run refused while an admin made and switched versions),
/// and what was made since is news (simulation seed 900003, `aimed`).
pub fn starts_history(default_version: Option<&str>, status: Option<&str>, looked: bool) -> bool {
    default_version.is_none() && status.is_some_and(|s| s != "failed" || looked)
}

/// The versions to read for such a slot: back from the latest to the
/// bound (the newest are the life's, when any is), as when the record
/// could not be read; [`of_life`] then drops those made before the life.
pub fn from_life(now: &Versions) -> Option<Gap> {
    gap_unrecorded(now)
}

/// `read` without the versions made before the life began (`since_ms`:
/// the account's latest join): another life's edits, or those made before
/// runas-guard governed the account, are no window of this one. Versions
/// are made in order, so every version below the newest of those is older
/// too: none beyond the bound is the life's either (`gap.beyond` becomes
/// 0). A version whose making time is not known is kept (better told than
/// lost); without `since_ms` every read is kept.
pub fn of_life(gap: &mut Gap, read: Vec<Past>, since_ms: Option<i64>) -> Vec<Past> {
    let Some(since) = since_ms else {
        return read;
    };
    let before = |p: &Past| {
        p.created
            .as_deref()
            .and_then(crate::domain::clock::parse_iso)
            .is_some_and(|made| made < since)
    };
    let Some(newest_before) = read.iter().filter(|p| before(p)).map(|p| p.number).max() else {
        return read;
    };
    gap.beyond = 0;
    read.into_iter()
        .filter(|p| p.number > newest_before || gap.current.contains(&p.number))
        .collect()
}

/// The versions to read when the table's record of the slot could not be
/// read (its rows' Query failed): where the gap starts is not known, so the
/// versions before the latest are read back to the bound and the older ones
/// are counted as not read. `None` when there is nothing before the default.
pub fn gap_unrecorded(now: &Versions) -> Option<Gap> {
    let latest = now.latest.parse::<u64>().ok()?;
    let start = latest.saturating_sub(super::MAX_PAST_READS as u64).max(1);
    gap(Some(&(start - 1).to_string()), now).map(|mut g| {
        g.beyond = usize::try_from(start - 1).unwrap_or(usize::MAX);
        g
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::versions;
    use super::super::{windows, Ends};
    use super::*;
    use crate::domain::preferences::RunAs;
    use serde_json::json;

    /// (case, history, default-latest found, made, pending, life wanted)
    type LifeCase = (
        &'static str,
        History,
        (&'static str, &'static str),
        Option<&'static str>,
        bool,
        Option<&'static str>,
    );

    /// A re-creation's life starts at its version 1's making: read in the
    /// history, or the run's own read where version 1 is what it found.
    #[test]
    fn a_remade_documents_life_starts_at_its_version_one() {
        let remade = |life: Option<&str>| History {
            recreated: Some("1".into()),
            life_made: life.map(str::to_string),
            ..History::default()
        };
        let not_remade = History::default();
        let cases: Vec<LifeCase> = vec![
            (
                "v1 the default found",
                remade(None),
                ("1", "1"),
                Some("t1"),
                false,
                Some("t1"),
            ),
            (
                "v1 the latest alone found",
                remade(None),
                ("1", "1"),
                Some("t1"),
                true,
                Some("t1"),
            ),
            (
                "v1 the default, the latest alone's time read",
                remade(None),
                ("1", "2"),
                Some("t2"),
                true,
                None,
            ),
            (
                "v3 found: v1 not read",
                remade(None),
                ("3", "3"),
                Some("t3"),
                false,
                None,
            ),
            (
                "read in the history already",
                remade(Some("h1")),
                ("1", "1"),
                Some("t1"),
                false,
                Some("h1"),
            ),
            (
                "v1 found, its time unknown",
                remade(None),
                ("1", "1"),
                None,
                false,
                None,
            ),
            (
                "not made again",
                not_remade,
                ("1", "1"),
                Some("t1"),
                false,
                None,
            ),
        ];
        for (case, h, (default, latest), made, pending, want) in cases {
            let now = versions(default, latest);
            let got = from_current(h, (Some(&now), made, pending));
            assert_eq!(got.life_made.as_deref(), want, "{case}");
        }
        let got = from_current(remade(None), (None, Some("t1"), false));
        assert_eq!(got.life_made, None, "no document found");
    }

    /// Version `n` made at `ms` (None: not known) holding `user` (None: its
    /// read failed, throttled).
    fn past(number: u64, user: Option<&str>, ms: Option<i64>) -> Past {
        Past {
            number,
            run_as: user.map(|u| RunAs {
                enabled: Some(json!(true)),
                user: Some(json!(u)),
            }),
            created: ms.map(|m| crate::domain::clock::iso(crate::domain::clock::from_millis(m))),
            failed: user.is_none().then(|| "ThrottlingException".to_string()),
        }
    }

    fn ops(r: &RunAs, _at_switch: bool) -> bool {
        r.is_compliant("ssm-ops")
    }

    #[test]
    fn a_recorded_number_read_as_made_after_the_record_is_another_lifes() {
        const AT: i64 = 1_790_000_000_000;
        let after = "2026-09-21T14:40:00Z"; // about 7,200 s after AT
        let within = crate::domain::clock::iso(crate::domain::clock::from_millis(AT + 1_500));
        let beyond = crate::domain::clock::iso(crate::domain::clock::from_millis(AT + 2_500));
        type Read<'a> = (Option<&'a str>, Option<&'a str>);
        type Case<'a> = (Option<&'a str>, Read<'a>, Option<i64>, Option<u64>);
        let cases: [Case; 10] = [
            (Some("2"), (Some("2"), Some(after)), Some(AT), Some(2)),
            (Some("2"), (Some("2"), Some(&beyond)), Some(AT), Some(2)),
            // Within the clocks' margin: the record's own version.
            (Some("2"), (Some("2"), Some(&within)), Some(AT), None),
            (
                Some("2"),
                (Some("2"), Some("2026-01-01T00:00:00Z")),
                Some(AT),
                None,
            ),
            // Another number read: the gap's own business.
            (Some("2"), (Some("3"), Some(after)), Some(AT), None),
            // Unknown, unreadable or hostile: nothing said.
            (Some("2"), (Some("2"), None), Some(AT), None),
            (Some("2"), (Some("2"), Some("yesterday")), Some(AT), None),
            (Some("2"), (Some("2"), Some(after)), None, None),
            (None, (Some("2"), Some(after)), Some(AT), None),
            (Some("x"), (Some("x"), Some(after)), Some(i64::MAX), None),
        ];
        for (recorded, read, at, want) in cases {
            assert_eq!(
                remade_as_read(recorded, read, at),
                want,
                "{recorded:?} {read:?} {at:?}"
            );
        }
    }

    #[test]
    fn only_a_look_that_judged_no_version_starts_the_history() {
        // (default version, status, looked) -> starts a life's history
        let cases: &[(Option<&str>, Option<&str>, bool, bool)] = &[
            (None, Some("pending"), false, true),
            (None, Some("noncompliant"), true, true),
            (None, Some("compliant"), true, true),
            (None, Some("excluded"), true, true),
            // A first look that failed stays a first look.
            (None, Some("failed"), false, false),
            // Failures after a look that judged no version: not a first look.
            (None, Some("failed"), true, true),
            // A status not read (an old item): not judged as a life.
            (None, None, false, false),
            (None, None, true, false),
            // A version recorded starts an ordinary gap.
            (Some("4"), Some("pending"), true, false),
            (Some(""), Some("compliant"), true, false),
            (Some("x"), Some("failed"), true, false),
        ];
        for (version, status, looked, want) in cases {
            assert_eq!(
                starts_history(*version, *status, *looked),
                *want,
                "{version:?} {status:?} {looked}"
            );
        }
    }

    /// (default, latest), what was read (number, user, made at), the join
    /// -> (windows told, versions not judged, beyond the bound).
    #[test]
    fn the_versions_made_since_the_join_are_judged_and_no_older_one() {
        type Read<'a> = &'a [(u64, Option<&'a str>, Option<i64>)];
        type Case<'a> = (
            (&'a str, &'a str),
            Read<'a>,
            Option<i64>,
            (&'a [&'a str], &'a [&'a str], usize),
        );
        let cases: &[Case] = &[
            // Seed 12: v1-v4 the former life's (root among them), v5 root
            // after the join at 100, v6 right: v5 told, never v2.
            (
                ("6", "6"),
                &[
                    (1, Some("ssm-ops"), Some(10)),
                    (2, Some("root"), Some(20)),
                    (3, Some("ssm-ops"), Some(30)),
                    (4, Some("ssm-ops"), Some(40)),
                    (5, Some("root"), Some(150)),
                    (6, Some("ssm-ops"), Some(160)),
                ],
                Some(100),
                (&["5"], &[], 0),
            ),
            // The join not known: every version read is judged.
            (
                ("3", "3"),
                &[
                    (1, Some("root"), Some(10)),
                    (2, Some("app"), Some(150)),
                    (3, Some("ssm-ops"), Some(160)),
                ],
                None,
                (&["1", "2"], &[], 0),
            ),
            // Made exactly at the join: this life's.
            (
                ("2", "2"),
                &[
                    (1, Some("root"), Some(100)),
                    (2, Some("ssm-ops"), Some(160)),
                ],
                Some(100),
                (&["1"], &[], 0),
            ),
            // A making time not known (or not a time): kept, told.
            (
                ("2", "2"),
                &[(1, Some("root"), None), (2, Some("ssm-ops"), Some(160))],
                Some(100),
                (&["1"], &[], 0),
            ),
            // A read that failed above the life's start is told not
            // judged; one below the former life's newest is dropped.
            (
                ("5", "5"),
                &[
                    (1, None, None),
                    (2, Some("ssm-ops"), Some(20)),
                    (3, None, None),
                    (4, Some("root"), Some(150)),
                    (5, Some("ssm-ops"), Some(160)),
                ],
                Some(100),
                (&["4"], &["3"], 0),
            ),
            // Every version the former life's: nothing to tell.
            (
                ("3", "3"),
                &[
                    (1, Some("root"), Some(10)),
                    (2, Some("root"), Some(20)),
                    (3, Some("ssm-ops"), Some(30)),
                ],
                Some(100),
                (&[], &[], 0),
            ),
            // The current default out of policy is the run's own, even
            // when the former life's.
            (
                ("2", "3"),
                &[
                    (1, Some("app"), Some(10)),
                    (2, Some("root"), Some(20)),
                    (3, Some("ssm-ops"), Some(160)),
                ],
                Some(100),
                (&[], &[], 0),
            ),
        ];
        for ((default, latest), read, since, (told, unjudged, beyond)) in cases {
            let now = versions(default, latest);
            let mut gap = from_life(&now).unwrap();
            let read: Vec<Past> = read
                .iter()
                .filter(|(n, _, _)| gap.to_read.contains(n))
                .map(|(n, u, ms)| past(*n, *u, *ms))
                .collect();
            let read = of_life(&mut gap, read, *since);
            let ends = Ends {
                switched: None,
                found: "now".into(),
            };
            let h = windows(&gap, &read, ops, &ends);
            let got: Vec<&str> = h.windows.iter().map(|w| w.version.as_str()).collect();
            assert_eq!(got, *told, "{default} {latest} {since:?}");
            let not_judged = h.unjudged.map(|u| u.versions).unwrap_or_default();
            assert_eq!(not_judged, *unjudged, "{default} {latest} {since:?}");
            assert_eq!(gap.beyond, *beyond, "{default} {latest} {since:?}");
        }
    }

    #[test]
    fn past_the_bound_the_older_versions_are_counted_unless_one_read_predates_the_life() {
        let now = versions("13", "13");
        let made = |n: u64| Some(1000 + n as i64);
        // 3..13 read, all made after the join at 0: 1-2 are beyond.
        let mut gap = from_life(&now).unwrap();
        let read: Vec<Past> = gap
            .to_read
            .iter()
            .map(|n| past(*n, Some("ssm-ops"), made(*n)))
            .collect();
        let read = of_life(&mut gap, read, Some(0));
        assert_eq!((gap.beyond, read.len()), (2, 11));
        // The join at v5's making: 3-4 and everything below are older.
        let mut gap = from_life(&now).unwrap();
        let read: Vec<Past> = gap
            .to_read
            .iter()
            .map(|n| past(*n, Some("ssm-ops"), made(*n)))
            .collect();
        let read = of_life(&mut gap, read, made(5));
        assert_eq!(gap.beyond, 0);
        assert_eq!(read.first().map(|p| p.number), Some(5));
        // Nothing before the default: nothing to read.
        assert!(from_life(&versions("1", "1")).is_none());
        assert!(from_life(&versions("x", "2")).is_none());
    }

    #[test]
    fn the_recorded_version_is_checked_only_where_the_document_moved() {
        // (recorded, (default, latest)) -> the version to read
        type Case<'a> = (Option<&'a str>, (&'a str, &'a str), Option<u64>);
        let cases: &[Case] = &[
            (Some("2"), ("2", "2"), None),
            (Some("2"), ("3", "3"), Some(2)),
            (Some("2"), ("2", "3"), Some(2)),
            (Some("3"), ("1", "3"), Some(3)),
            // Above the latest: made again, known without a read.
            (Some("4"), ("2", "2"), None),
            (None, ("2", "3"), None),
            (Some("x"), ("2", "3"), None),
            (Some("2"), ("x", "3"), None),
            (Some(""), ("2", "3"), None),
        ];
        for (recorded, (default, latest), want) in cases {
            assert_eq!(
                life_to_check(*recorded, &versions(default, latest)),
                *want,
                "{recorded:?} {default} {latest}"
            );
        }
    }

    #[test]
    fn a_version_made_after_its_record_is_another_lifes() {
        let at = crate::domain::clock::parse_iso("2026-11-26T01:00:00Z").unwrap();
        let cases: &[(Option<&str>, bool)] = &[
            (Some("2026-11-26T01:00:01Z"), true),
            (Some("2026-11-26T01:00:00.001Z"), true),
            (Some("2026-11-26T01:00:00Z"), false),
            (Some("2026-11-26T00:59:59Z"), false),
            // Not known: not said.
            (None, false),
            (Some(""), false),
            (Some("yesterday"), false),
        ];
        for (created, want) in cases {
            assert_eq!(made_since_record(*created, at), *want, "{created:?}");
        }
    }

    /// The history of a document made again says when its life began: its
    /// version 1's making, where read; a failed read of it says nothing.
    #[test]
    fn a_remade_history_dates_its_life_by_the_version_one_it_read() {
        let now = versions("3", "3");
        let gap = remade(
            Gap {
                current: [3, 3],
                ..Gap::default()
            },
            2,
            &now,
        );
        let ends = Ends {
            switched: None,
            found: "now".into(),
        };
        let read = [
            past(1, Some("ssm-ops"), Some(7_000)),
            past(2, Some("root"), Some(8_000)),
        ];
        let h = windows(&gap, &read, ops, &ends);
        let seven = crate::domain::clock::iso(crate::domain::clock::from_millis(7_000));
        assert_eq!(h.life_made.as_deref(), Some(seven.as_str()));
        let failed = [
            past(1, None, Some(7_000)),
            past(2, Some("root"), Some(8_000)),
        ];
        assert_eq!(windows(&gap, &failed, ops, &ends).life_made, None);
        let not_remade = Gap {
            recreated: None,
            ..gap.clone()
        };
        assert_eq!(windows(&not_remade, &read, ops, &ends).life_made, None);
    }

    #[test]
    fn a_document_found_made_again_reads_its_versions_from_one() {
        let now = versions("3", "3");
        let nothing = Gap {
            current: [3, 3],
            ..Gap::default()
        };
        let g = remade(nothing, 2, &now);
        assert_eq!(g.to_read, vec![1, 2, 3]);
        assert_eq!(g.recreated.as_deref(), Some("2"));
        assert_eq!(g.current, [3, 3]);
        // The same as a deletion's event says it.
        let by_event = super::super::gap_since(
            super::super::Record {
                version: Some("2"),
                at_ms: Some(1),
            },
            &now,
            Some(2),
        )
        .unwrap();
        assert_eq!(g, by_event);
        // Numbers that are none: the gap as it was.
        let kept = remade(Gap::default(), 2, &versions("x", "3"));
        assert_eq!(kept, Gap::default());
    }
}
