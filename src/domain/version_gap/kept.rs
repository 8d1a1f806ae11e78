//! A default switch kept on the slot's record (pure): an
//! `UpdateDocumentDefaultVersion` event is the only witness that a version
//! was the default, since SSM keeps no history of defaults. When every run
//! of that event fails before judging the switch (an account admin who
//! throttles the guard's SSM calls in their own account-region while
//! flipping Run As to root and back), the next run that found the latest
//! behind a right default took it for a version never used and put it back
//! alone, recording past a window no alert told (simulation profile
//! `aimed`, 42 of its 52 versions never told on 0.17.0, seed 900004).
//! The failed run's record keeps the switch (`switch_v<N>`: when, and the
//! editor the event named), and the next run that can read the document
//! judges it as its own event's switch, then lets it go.

use super::switched::{judged_since, second_end, switch_in, switched_to, Switch};
use super::Gap;
pub use crate::domain::kept_switch::{Kept, PREFIX};
use crate::domain::known::Known;
use crate::domain::outcome::{Action, RegionOutcome};
use crate::domain::ports::Versions;
use crate::domain::trigger::Trigger;

/// A kept switch as the switch a run judges.
pub fn switch(k: &Kept) -> Switch {
    Switch {
        version: k.version,
        at_ms: k.at_ms,
    }
}

/// The switch a run judges as its own event's where its event names none
/// in the slot, of those kept that no run judged out of policy since
/// (`judged`: the record's judged versions, as [`super::with_switch_back`]
/// reads them): first one that made the default found the default, or the
/// latest found behind another default ([`super::switched_to`]: the latest
/// can have been the default, the case a put-back of the latest alone
/// loses), else the earliest (its version is read back). One per run: the
/// next run takes the next (seed 900004: a switch back to a right version
/// taken first left the root switch after it to a run that recorded past it).
pub fn kept_switch(
    kept: &[Kept],
    (judged, recorded): (Option<&str>, Option<u64>),
    now: Option<&Versions>,
) -> Option<Kept> {
    let tells = |k: &Kept| now.is_some_and(|n| switched_to(Some(switch(k)), n));
    // A version above the record is in the run's gap: its window, told
    // there, names the switch's editor; one at or below it may not be read
    // at all (seed 900077, `aimed`: a switch back to the recorded version
    // taken first, the root version above it told in no one's name).
    let below = |k: &Kept| recorded.is_some_and(|r| k.version <= r);
    kept.iter()
        .filter(|k| !judged_since(judged, switch(k)))
        .min_by_key(|k| (!tells(k), below(k), k.at_ms, k.version))
        .cloned()
}

/// `o` with the kept switch its run judges ([`kept_switch`] of `row`, the
/// slot's record), where its own event names no switch there, and those
/// its own look judges (`kept_moot`: to the default it found, no version
/// behind it). Not under a write a run announced: its history is not
/// read, and its record would let the switch go unjudged (seed 900004,
/// `aimed`: the switch's own run died putting the version back; the next
/// run waited for that write and recorded past it); the run after judges
/// it.
pub fn with_kept(
    t: &Trigger,
    (row, joined): (Option<&Known>, Option<i64>),
    mut o: RegionOutcome,
) -> RegionOutcome {
    let own = switch_in(t, &o.region, o.document_name());
    // Under another run's write in flight, the record that adopts it tells
    // what it replaced: this run's own switch is that write's to judge,
    // never kept (seed 633375: a retry of the switch's event adopted the
    // put-back an earlier try left, told it, failed after, and kept the
    // switch a later run told again).
    if let Some(s) = own.filter(|_| row.is_some_and(|r| r.intent)) {
        o.kept_moot = vec![s.version];
    }
    let Some(row) = row.filter(|r| !r.intent && !r.switches.is_empty()) else {
        return o;
    };
    // Switches kept before the account's latest join are another life's
    // (seed 900084, `aimed`: told as a window of the account rejoined).
    let this_life = |k: &&Kept| joined.is_none_or(|j| k.at_ms >= j);
    let switches: Vec<Kept> = row.switches.iter().filter(this_life).cloned().collect();
    let now = o.versions_before.as_ref();
    if own.is_none() {
        let recorded = super::judged_up_to(
            row.default_version.as_deref(),
            row.latest_version.as_deref(),
        );
        let recorded = recorded.and_then(|v| v.parse().ok());
        o.kept_switch = kept_switch(&switches, (row.judged_default.as_deref(), recorded), now);
    }
    let alone = |v: u64| now.is_some_and(|n| n.default == n.latest && n.default == v.to_string());
    // The run's own event's switch kept by an earlier try of it: judged
    // now (another event's switch to the same version is not).
    let own = |k: &Kept| own == Some(switch(k));
    // Another life's go too: nothing judges them again.
    o.kept_moot = row
        .switches
        .iter()
        .filter(|k| alone(k.version) || own(k) || !this_life(k))
        .map(|k| k.version)
        .collect();
    o
}

/// Whether the run judges its kept switch: its history reads the version
/// (`gap`: as a past one, or the default or latest it found). A run with
/// nothing to read there keeps it on the record for a run that will (seed
/// 900004: the put-back's own event's run, its record above the version).
pub fn judged_by(o: &mut RegionOutcome, gap: Option<&Gap>) {
    let reads = |v: u64| gap.is_some_and(|g| g.to_read.contains(&v) || g.current.contains(&v));
    if o.kept_switch.as_ref().is_some_and(|k| !reads(k.version)) {
        o.kept_switch = None;
    }
}

/// The switch a run judges in `o`'s slot: its own event's, or else the
/// kept one the run took from the slot's record (`o.kept_switch`).
pub fn run_switch(t: &Trigger, o: &RegionOutcome) -> Option<Switch> {
    switch_in(t, &o.region, o.document_name()).or(o.kept_switch.as_ref().map(switch))
}

/// [`run_switch`] with the end of its second, as [`super::switch_of`].
pub fn run_switch_end(t: &Trigger, o: &RegionOutcome) -> Option<(u64, String)> {
    run_switch(t, o).and_then(second_end)
}

/// What a record does with switches: the one it keeps (a failed run's
/// own event's, which no other run can know, unless the run told its
/// version before failing, `judged`, the record's judged versions, or a
/// write in flight judges it, `kept_moot`) and the
/// kept one it lets go (the run that took it judged it; a failed run
/// leaves it to the next).
pub fn on_record(t: &Trigger, o: &RegionOutcome, judged: Option<&str>) -> (Option<Kept>, Vec<u64>) {
    let failed = o.action == Action::Failed;
    let own = switch_in(t, &o.region, o.document_name());
    let judged = super::judged_numbers(judged);
    let keep = own
        .filter(|s| failed && !judged.contains(&s.version) && !o.kept_moot.contains(&s.version))
        .map(|s| Kept {
            version: s.version,
            at_ms: s.at_ms,
            editor: t.actor.clone(),
        });
    // A version this record judges out of policy is told: a switch kept to
    // it goes (seed 900001, `aimed`: a latest told by its default's alert,
    // then told again from its kept switch). Not the run's own switch's
    // version: an earlier switch to it kept by another event may predate
    // what this judgement covers.
    let told = judged
        .into_iter()
        .filter(|v| own.is_none_or(|s| s.version != *v));
    let taken = o.kept_switch.iter().map(|k| k.version);
    // A record that keeps the version (a claim another run holds, or a
    // row that moved on under this run's claim) has not told every
    // version it read: its kept switches stay for the run after.
    let unfinished = failed || o.window.keeps_version;
    let taken = taken
        .chain(o.kept_moot.iter().copied())
        .filter(|_| !unfinished);
    let mut done: Vec<u64> = told.chain(taken).collect();
    // One removal per attribute: DynamoDB refuses an expression naming one twice.
    done.sort_unstable();
    done.dedup();
    (keep, done)
}

/// The kept switches a record that keeps `version`'s removes: those
/// [`super::JUDGED_KEPT`] to twice that below it, as judged marks go, so
/// an account-region's kept switches stay bounded however many fail.
pub fn kept_forgotten(version: u64) -> Vec<u64> {
    super::judged_forgotten(&[version])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::Versions;
    use crate::domain::trigger::{Actor, Context, TriggerKind};

    const T: i64 = 1_790_000_000_000;

    fn kept(version: u64, at_ms: i64) -> Kept {
        Kept {
            version,
            at_ms,
            editor: None,
        }
    }

    fn jane() -> Actor {
        Actor {
            arn: "arn:aws:iam::200000000001:role/Admin".into(),
            identity_type: "AssumedRole".into(),
            session_name: None,
        }
    }

    #[test]
    fn a_kept_switch_reads_back_as_written_and_nothing_else_reads_as_one() {
        let with_editor = Kept {
            editor: Some(jane()),
            ..kept(12, T)
        };
        for k in [kept(12, T), with_editor] {
            assert_eq!(Kept::parse(&k.attribute(), &k.value()), Some(k.clone()));
        }
        // (attribute, value) -> read as a kept switch
        let hostile = [
            ("switch_v", "1"),
            ("switch_vx", "1"),
            ("switch_v0", "1"),
            ("switch_v-3", "1"),
            ("judged_v3", "1"),
            ("switch_v3", ""),
            ("switch_v3", "soon"),
            ("switch_v3", "1|AssumedRole"),
            ("switch_v3", "1|AssumedRole|"),
            ("switch_v18446744073709551616", "1"),
        ];
        for (attribute, value) in hostile {
            assert_eq!(Kept::parse(attribute, value), None, "{attribute} {value}");
        }
        let odd = Kept::parse("switch_v3", "7||arn:aws:iam::1:root").expect("an empty type");
        assert_eq!(
            odd.editor.map(|a| a.arn).as_deref(),
            Some("arn:aws:iam::1:root")
        );
    }

    /// (kept, the record's judged versions) -> the switch judged now
    type Case = (Vec<Kept>, Option<String>, Option<(u64, i64)>);

    #[test]
    fn the_earliest_switch_not_judged_since_is_the_runs() {
        // (kept, the record's judged versions) -> the switch judged now
        let cases: [Case; 7] = [
            (vec![], None, None),
            (vec![kept(12, T)], None, Some((12, T))),
            // Two kept: the earlier first, the other for the next run.
            (vec![kept(7, T + 60_000), kept(5, T)], None, Some((5, T))),
            // Judged at or after the switch: told, nothing left to judge.
            (vec![kept(12, T)], Some(format!("12@{}", T + 5_000)), None),
            (
                vec![kept(5, T), kept(7, T + 60_000)],
                Some(format!("5@{}", T + 1_000)),
                Some((7, T + 60_000)),
            ),
            // Judged before the switch: the switch opened a window of its own.
            (
                vec![kept(12, T)],
                Some(format!("12@{}", T - 60_000)),
                Some((12, T)),
            ),
            // Judged from a later switch of its own: covers no earlier one.
            (
                vec![kept(12, T)],
                Some(format!("12@{}^{}", T + 90_000, T + 60_000)),
                Some((12, T)),
            ),
        ];
        for (all, judged, want) in cases {
            let got =
                kept_switch(&all, (judged.as_deref(), None), None).map(|k| (k.version, k.at_ms));
            assert_eq!(got, want, "{all:?} {judged:?}");
        }
    }

    #[test]
    fn a_switch_that_says_the_latest_was_the_default_goes_first() {
        let now = |d: &str, l: &str| Versions {
            default: d.into(),
            latest: l.into(),
        };
        // A switch back to 6 (right) kept before the root switch to 12 and
        // its switch back to 11: (kept, versions found) -> the switch judged
        let all = vec![kept(6, T), kept(12, T + 60_000), kept(11, T + 63_000)];
        let cases = [
            // 11 the default, 12 behind it: the switch to 12, then to 11.
            (all.clone(), now("11", "12"), Some(12)),
            (
                vec![kept(6, T), kept(11, T + 63_000)],
                now("11", "12"),
                Some(11),
            ),
            // Put back since (13): no switch says more than another.
            (all.clone(), now("13", "13"), Some(6)),
            (vec![], now("11", "12"), None),
        ];
        for (kept, found, want) in cases {
            let got = kept_switch(&kept, (None, None), Some(&found)).map(|k| k.version);
            assert_eq!(got, want, "{kept:?} {found:?}");
        }
    }

    #[test]
    fn a_switch_above_the_record_goes_before_one_at_or_below_it() {
        // A switch back to 1 (the recorded version) kept before the root
        // switch to 3: (recorded) -> the switch judged
        let all = vec![kept(1, T), kept(3, T + 60_000)];
        let cases = [
            (Some(1), Some(3)),
            (Some(2), Some(3)),
            (Some(3), Some(1)),
            (Some(0), Some(1)),
            (None, Some(1)),
        ];
        for (recorded, want) in cases {
            let got = kept_switch(&all, (None, recorded), None).map(|k| k.version);
            assert_eq!(got, want, "recorded {recorded:?}");
        }
    }

    /// (the run's event's switch, the row's kept switches, a write
    /// announced, (default, latest) found) -> (taken, judged by its own look)
    type Taking<'a> = (
        Option<&'a str>,
        Vec<Kept>,
        bool,
        (&'a str, &'a str),
        Option<u64>,
        Vec<u64>,
    );

    /// (event's switch, outcome, judged before failing) -> (kept, let go)
    type Recording<'a> = (
        Option<&'a str>,
        RegionOutcome,
        Option<&'a str>,
        Option<u64>,
        Vec<u64>,
    );

    fn event(switched: Option<&str>) -> Trigger {
        let edit = switched.is_some();
        Trigger {
            kind: match edit {
                true => TriggerKind::DocumentChanged,
                false => TriggerKind::Sweep,
            },
            account: Some("200000000001".into()),
            region: Some("eu-west-1".into()),
            actor: edit.then(jane),
            event_id: "e-1".into(),
            source: "test".into(),
            event_name: switched.map(|_| "UpdateDocumentDefaultVersion".into()),
            reason: "test".into(),
            context: Context {
                event_time: switched.map(|_| "2026-09-21T14:13:20Z".into()),
                made_default: switched.map(str::to_string),
                ..Default::default()
            },
        }
    }

    fn slot(action: Action, default: &str, latest: &str) -> RegionOutcome {
        RegionOutcome {
            region: "eu-west-1".into(),
            action,
            versions_before: Some(Versions {
                default: default.into(),
                latest: latest.into(),
            }),
            ..RegionOutcome::default()
        }
    }

    fn row(switches: Vec<Kept>, intent: bool) -> Known {
        Known {
            switches,
            intent,
            ..Known::default()
        }
    }

    #[test]
    fn a_run_takes_a_kept_switch_only_where_its_event_names_none_and_no_write_is_announced() {
        let kept12 = || vec![kept(12, T)];
        // (the run's event's switch, the row's kept switches, a write
        // announced, (default, latest) found) -> (taken, judged by its own look)
        let cases: [Taking; 10] = [
            (None, kept12(), false, ("11", "12"), Some(12), vec![]),
            (None, kept12(), true, ("11", "12"), None, vec![]),
            // Its own switch under another run's write in flight: that write's.
            (Some("12"), kept12(), true, ("11", "12"), None, vec![12]),
            (Some("13"), vec![], true, ("11", "13"), None, vec![13]),
            (None, vec![], false, ("11", "12"), None, vec![]),
            // Its own event's switch first; another kept stays for a run after.
            (Some("13"), kept12(), false, ("13", "13"), None, vec![]),
            // An earlier try of its own event kept it: judged now.
            (Some("12"), kept12(), false, ("11", "12"), None, vec![12]),
            // Another event's earlier switch to the same version is not.
            (
                Some("12"),
                vec![kept(12, T - 60_000)],
                false,
                ("11", "12"),
                None,
                vec![],
            ),
            // To the default found, nothing behind it: its own look judges it.
            (
                None,
                vec![kept(6, T), kept(12, T + 1)],
                false,
                ("6", "6"),
                Some(6),
                vec![6],
            ),
            (
                None,
                vec![kept(12, T + 1), kept(6, T)],
                false,
                ("12", "12"),
                Some(12),
                vec![12],
            ),
        ];
        for (own, switches, intent, (d, l), taken, moot) in cases {
            let o = with_kept(
                &event(own),
                (Some(&row(switches.clone(), intent)), None),
                slot(Action::None, d, l),
            );
            let got = o.kept_switch.map(|k| k.version);
            assert_eq!(
                (got, o.kept_moot),
                (taken, moot),
                "{own:?} {switches:?} {intent} {d}/{l}"
            );
        }
        let none = with_kept(&event(None), (None, None), slot(Action::None, "11", "12"));
        assert!(none.kept_switch.is_none() && none.kept_moot.is_empty());
        // Kept before the account's latest join: another life's, let go.
        let joined = Some(T + 1_000);
        let rejoined = with_kept(
            &event(None),
            (Some(&row(kept12(), false)), joined),
            slot(Action::None, "11", "12"),
        );
        assert_eq!((rejoined.kept_switch, rejoined.kept_moot), (None, vec![12]));
    }

    #[test]
    fn a_taken_switch_its_history_does_not_read_stays_for_the_next_run() {
        let gap = |to_read: Vec<u64>, current: [u64; 2]| Gap {
            to_read,
            current,
            ..Gap::default()
        };
        // (the gap the run reads) -> the switch still taken
        let cases = [
            (Some(gap(vec![12], [11, 12])), true),
            (Some(gap(vec![6], [13, 13])), false),
            (Some(gap(vec![], [12, 12])), true),
            (None, false),
        ];
        for (g, want) in cases {
            let mut o = RegionOutcome {
                kept_switch: Some(kept(12, T)),
                ..RegionOutcome::default()
            };
            judged_by(&mut o, g.as_ref());
            assert_eq!(o.kept_switch.is_some(), want, "{g:?}");
        }
    }

    #[test]
    fn a_failed_run_keeps_its_events_switch_and_a_judging_one_lets_go() {
        let taken = |mut o: RegionOutcome| {
            o.kept_switch = Some(kept(7, T));
            o.kept_moot = vec![6];
            o
        };
        // (event's switch, outcome, judged before failing) -> (kept, let go)
        let cases: [Recording; 10] = [
            (
                Some("12"),
                slot(Action::Failed, "11", "12"),
                None,
                Some(12),
                vec![],
            ),
            // Told before it failed: nothing left to keep.
            (
                Some("12"),
                slot(Action::Failed, "11", "12"),
                Some("12"),
                None,
                vec![],
            ),
            (
                Some("12"),
                slot(Action::Updated, "11", "12"),
                None,
                None,
                vec![],
            ),
            (None, slot(Action::Failed, "11", "12"), None, None, vec![]),
            (
                None,
                taken(slot(Action::None, "6", "6")),
                None,
                None,
                vec![6, 7],
            ),
            // Judged out of policy by this record: any switch kept to it goes,
            // but for its own event's version.
            (
                None,
                slot(Action::None, "13", "13"),
                Some("12,9"),
                None,
                vec![9, 12],
            ),
            (
                Some("12"),
                slot(Action::None, "13", "13"),
                Some("12"),
                None,
                vec![],
            ),
            // Failed under a write in flight: that write judges it.
            (
                Some("12"),
                RegionOutcome {
                    kept_moot: vec![12],
                    ..slot(Action::Failed, "11", "12")
                },
                None,
                None,
                vec![],
            ),
            // Failed: the taken one stays for the next run.
            (
                None,
                taken(slot(Action::Failed, "6", "6")),
                None,
                None,
                vec![],
            ),
            // Its claim left versions to the run after (the row moved on,
            // or another run holds them): the taken one stays too.
            (
                None,
                RegionOutcome {
                    window: crate::domain::window_claim::Claim::new(None, true),
                    ..taken(slot(Action::None, "6", "6"))
                },
                None,
                None,
                vec![],
            ),
        ];
        for (own, o, judged, keep, done) in cases {
            let (k, d) = on_record(&event(own), &o, judged);
            assert_eq!(
                (k.as_ref().map(|k| k.version), d),
                (keep, done),
                "{own:?} {judged:?}"
            );
            if let Some(k) = k {
                assert_eq!(k.editor, Some(jane()), "the event's editor kept with it");
            }
        }
    }

    #[test]
    fn keeping_a_switch_forgets_those_far_below_it() {
        assert!(kept_forgotten(12).is_empty());
        let gone = kept_forgotten(100);
        assert_eq!((gone.first(), gone.last()), (Some(&36), Some(&68)));
        assert!(!gone.contains(&100));
    }
}
