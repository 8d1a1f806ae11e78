//! An account's lives: a join (its first, or again after it left the
//! organization) and an enrolment (a Control Tower baseline applied to it,
//! or a move that may bring it into the member StackSet's targets) each
//! start one. Rows recorded before the account's latest join belong to
//! another life and are not judged as if it had been governed meanwhile;
//! the member stack is awaited from the later of join and enrolment.

use std::time::Duration;

use crate::domain::clock;
use crate::domain::trigger::{Trigger, TriggerKind};

/// What started the life a pending row waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    Joined,
    /// Enrolled by this kind of trigger (a baseline, a move).
    Enrolled,
}

/// Since when an account awaits its member stack, and why then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Since {
    pub at_ms: i64,
    pub cause: Cause,
}

impl Since {
    /// "2026-11-24T10:00:00.000Z (the account joined then)".
    pub fn describe(&self) -> String {
        let why = match self.cause {
            Cause::Joined => "the account joined then",
            Cause::Enrolled => "the account was enrolled then: a baseline or a move",
        };
        format!("{} ({why})", iso(self.at_ms))
    }
}

/// When `trigger` enrols its account: a baseline applied or a move, at its
/// event's time, never later than `now_ms` (a clock ahead of ours must not
/// stretch the wait). `None` for every other trigger, or without a time.
pub fn enrolment(trigger: &Trigger, now_ms: i64) -> Option<i64> {
    if !matches!(
        trigger.kind,
        TriggerKind::BaselineApplied | TriggerKind::AccountMoved
    ) {
        return None;
    }
    let at = clock::parse_iso(trigger.context.event_time.as_deref()?)?;
    Some(at.min(now_ms))
}

/// The later of join and enrolment: where the pending window starts. An
/// enrolment before the join belongs to another life.
pub fn window_start(joined_ms: Option<i64>, enrolled_ms: Option<i64>) -> Option<Since> {
    let joined = joined_ms.map(|at_ms| Since {
        at_ms,
        cause: Cause::Joined,
    });
    let enrolled = enrolled_ms.map(|at_ms| Since {
        at_ms,
        cause: Cause::Enrolled,
    });
    match (joined, enrolled) {
        (Some(j), Some(e)) if e.at_ms > j.at_ms => Some(e),
        (Some(j), _) => Some(j),
        (None, e) => e,
    }
}

/// Whether a wait that began at `since` is still within `window` at `now_ms`.
/// An unknown start is not recent: better a page than a silence that never
/// ends.
pub fn waits(since: Option<Since>, now_ms: i64, window: Duration) -> bool {
    let window = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    since.is_some_and(|s| now_ms.saturating_sub(s.at_ms) <= window)
}

/// Whether a row last written at `last_checked_ms` is of this life, the
/// one that began when the account joined at `joined_ms`. A row without a
/// time, or a join not known, is kept: the rows decide as before.
pub fn of_this_life(last_checked_ms: Option<i64>, joined_ms: Option<i64>) -> bool {
    match (last_checked_ms, joined_ms) {
        (Some(checked), Some(joined)) => checked >= joined,
        _ => true,
    }
}

/// Whether a run that configured an account finishes a vend left
/// unfinished, and tells `account_configured` (once per life) as the vend's
/// last re-attempt would have: a row of this life recorded `pending`
/// (awaiting the member stack; exactly as the table writes it), or a
/// re-attempt of the vend still on record as due (`reattempt_due`: `None`
/// when not read). A vend's re-attempt chain ends when its `VEND` write is
/// refused or a re-attempt fails, leaving the account to a sweep
/// (simulation seeds 500023, 9; since 0.7.2).
pub fn vend_unfinished<'a>(
    statuses: impl IntoIterator<Item = Option<&'a str>>,
    reattempt_due: Option<bool>,
) -> bool {
    reattempt_due == Some(true) || statuses.into_iter().any(|s| s == Some("pending"))
}

/// What the table recorded of a slot in the account's present life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// No version: nothing, or a row that read none (`pending`, `failed`
    /// before any read).
    NoVersion,
    /// A version a run judged (a dead run's write may be announced over
    /// it: its intent).
    Version,
    /// A version a failed record kept from the record before it: a
    /// rejoined account's first failed run keeps its former life's.
    KeptByFailure,
}

/// Whether a put-back may be the configuration of the account's present
/// life rather than someone's change, so that the default it found is
/// asked its creation time ([`made_before_join`]): a document event's
/// first look at a slot (nothing of this life recorded there; the event of
/// our own write too, whose run finishes a dead run's write: 632346), or any run's
/// put-back judged someone's change only against a version a failure kept
/// (simulation seed 630014: a sweep's). Never when the event itself made
/// that version the default (a switch in this life: its editor is told).
pub fn put_back_may_configure(
    trigger: &Trigger,
    o: &crate::domain::outcome::RegionOutcome,
    user: &str,
    recorded: Recorded,
) -> bool {
    let found = o.versions_before.as_ref().map(|v| v.default.as_str());
    let looked = match recorded {
        Recorded::NoVersion => trigger.kind == crate::domain::trigger::TriggerKind::DocumentChanged,
        Recorded::KeptByFailure => {
            o.change == Some(crate::domain::outcome::Change::Document) || trigger.names_editor()
        }
        Recorded::Version => false,
    };
    looked
        && o.nodes.is_none()
        && o.action.wrote()
        && o.was_noncompliant(user)
        && found.is_some()
        && trigger.context.made_default.as_deref() != found
}

/// Whether a default made at `created_ms` is another life's: made before
/// the account last joined the organization at `joined_ms` (set while it
/// was out, or before it first joined). Unknown either way: not shown to
/// be, so the editor is told as before (a page never lost to a guess).
pub fn made_before_join(created_ms: Option<i64>, joined_ms: Option<i64>) -> bool {
    matches!((created_ms, joined_ms), (Some(made), Some(joined)) if made < joined)
}

fn iso(ms: i64) -> String {
    clock::iso(clock::from_millis(ms.max(0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::trigger::Context;

    const H: i64 = 3_600_000;

    fn trigger(kind: TriggerKind, time: Option<&str>) -> Trigger {
        Trigger {
            kind,
            account: Some("111122223333".into()),
            region: None,
            actor: None,
            event_id: "e".into(),
            source: "aws.controltower".into(),
            event_name: None,
            reason: String::new(),
            context: Context {
                event_time: time.map(str::to_string),
                ..Default::default()
            },
        }
    }

    #[test]
    fn a_default_made_before_the_join_is_another_lifes_and_unknown_is_not() {
        let j = clock::parse_iso("2026-11-25T12:00:00Z").unwrap();
        let cases: [(Option<i64>, Option<i64>, bool); 7] = [
            (Some(j - 1), Some(j), true),
            (Some(j - 30 * 24 * H), Some(j), true),
            // Made at the join or after: this life's.
            (Some(j), Some(j), false),
            (Some(j + 1), Some(j), false),
            // Either unknown: not shown, the editor is told.
            (None, Some(j), false),
            (Some(j), None, false),
            (Some(i64::MIN), Some(i64::MAX), true),
        ];
        for (made, joined, want) in cases {
            assert_eq!(made_before_join(made, joined), want, "{made:?} {joined:?}");
        }
    }

    #[test]
    fn a_first_look_or_a_change_past_a_kept_version_asks_when_the_default_was_made() {
        use crate::domain::outcome::{Action, RegionOutcome};
        use crate::domain::ports::Versions;
        use crate::domain::preferences::RunAs;
        use crate::domain::trigger::Actor;
        let edit = |made_default: Option<&str>, own_write: bool| Trigger {
            kind: TriggerKind::DocumentChanged,
            actor: Some(Actor {
                arn: "arn:aws:iam::111122223333:role/Admin".into(),
                ..Default::default()
            }),
            context: Context {
                made_default: made_default.map(str::to_string),
                own_write,
                ..Default::default()
            },
            ..trigger(TriggerKind::DocumentChanged, None)
        };
        let put_back = |user: &str, action: Action, default: Option<&str>| RegionOutcome {
            before: Some(RunAs::desired(user)),
            versions_before: default.map(|d| Versions {
                default: d.into(),
                latest: d.into(),
            }),
            ..RegionOutcome::skipped("eu-west-1", action, None)
        };
        let root = put_back("root", Action::Updated, Some("7"));
        let changed = RegionOutcome {
            change: Some(crate::domain::outcome::Change::Document),
            ..root.clone()
        };
        let (right, audit) = (
            put_back("ops", Action::Updated, Some("7")),
            put_back("root", Action::WouldChange, Some("7")),
        );
        let made = put_back("root", Action::Created, None);
        let (ed, own, sw) = (
            edit(None, false),
            edit(None, true),
            trigger(TriggerKind::Sweep, None),
        );
        use Recorded::{KeptByFailure as Kept, NoVersion as No, Version as Ver};
        let cases: [(&str, &Trigger, &RegionOutcome, Recorded, bool); 14] = [
            ("first put-back", &ed, &root, No, true),
            ("recorded in this life", &ed, &root, Ver, false),
            (
                "the event made it the default",
                &edit(Some("7"), false),
                &root,
                No,
                false,
            ),
            (
                "another version made the default",
                &edit(Some("6"), false),
                &root,
                No,
                true,
            ),
            // It finishes a dead run's write (its intent): a vend's, in a
            // slot where this life recorded no version (632346).
            ("our own write's event", &own, &root, No, true),
            ("our own write's event, recorded", &own, &root, Ver, false),
            ("found right", &ed, &right, No, false),
            ("nothing written", &ed, &audit, No, false),
            ("no document found", &ed, &made, No, false),
            (
                "an edit past a version a failure kept",
                &ed,
                &root,
                Kept,
                true,
            ),
            ("a sweep's first look", &sw, &root, No, false),
            (
                "a sweep's change past a kept version",
                &sw,
                &changed,
                Kept,
                true,
            ),
            (
                "a sweep's change past a judged version",
                &sw,
                &changed,
                Ver,
                false,
            ),
            (
                "a sweep's put-back judged no change",
                &sw,
                &root,
                Kept,
                false,
            ),
        ];
        for (what, t, o, recorded, want) in cases {
            assert_eq!(
                put_back_may_configure(t, o, "ops", recorded),
                want,
                "{what}"
            );
        }
    }

    #[test]
    fn only_a_baseline_or_a_move_enrols_and_never_later_than_now() {
        let now = clock::parse_iso("2026-11-25T12:00:00Z").unwrap();
        let cases: [(TriggerKind, Option<&str>, Option<i64>); 9] = [
            (
                TriggerKind::BaselineApplied,
                Some("2026-11-25T11:00:00Z"),
                Some(now - H),
            ),
            (
                TriggerKind::AccountMoved,
                Some("2026-11-25T11:00:00.500Z"),
                Some(now - H + 500),
            ),
            // A clock ahead of ours, or a forged time: the wait starts now.
            (
                TriggerKind::BaselineApplied,
                Some("2099-01-01T00:00:00Z"),
                Some(now),
            ),
            (TriggerKind::BaselineApplied, None, None),
            (TriggerKind::BaselineApplied, Some("yesterday"), None),
            (TriggerKind::BaselineApplied, Some(""), None),
            (
                TriggerKind::AccountVended,
                Some("2026-11-25T11:00:00Z"),
                None,
            ),
            (TriggerKind::Sweep, Some("2026-11-25T11:00:00Z"), None),
            (
                TriggerKind::MemberStackLanded,
                Some("2026-11-25T11:00:00Z"),
                None,
            ),
        ];
        for (kind, time, want) in cases {
            assert_eq!(
                enrolment(&trigger(kind, time), now),
                want,
                "{kind:?} {time:?}"
            );
        }
    }

    #[test]
    fn the_window_starts_at_the_later_of_join_and_enrolment() {
        let joined = |at_ms| Since {
            at_ms,
            cause: Cause::Joined,
        };
        let enrolled = |at_ms| Since {
            at_ms,
            cause: Cause::Enrolled,
        };
        let cases = [
            (Some(10 * H), None, Some(joined(10 * H))),
            (None, Some(10 * H), Some(enrolled(10 * H))),
            (Some(H), Some(10 * H), Some(enrolled(10 * H))),
            // An enrolment before the join was another life's.
            (Some(10 * H), Some(H), Some(joined(10 * H))),
            (Some(H), Some(H), Some(joined(H))),
            (None, None, None),
            (Some(i64::MIN), Some(i64::MAX), Some(enrolled(i64::MAX))),
        ];
        for (j, e, want) in cases {
            assert_eq!(window_start(j, e), want, "{j:?} {e:?}");
        }
    }

    #[test]
    fn a_wait_lasts_the_window_from_its_start_and_an_unknown_start_never_waits() {
        let w = Duration::from_secs(2 * 3600);
        let at = |at_ms| {
            Some(Since {
                at_ms,
                cause: Cause::Enrolled,
            })
        };
        let now = 100 * H;
        let cases = [
            (at(now), true),
            (at(now - 2 * H), true),
            (at(now - 2 * H - 1), false),
            // Started in the future (clock skew): still waiting.
            (at(now + H), true),
            (at(i64::MIN), false),
            (None, false),
        ];
        for (since, want) in cases {
            assert_eq!(waits(since, now, w), want, "{since:?}");
        }
        assert!(waits(at(0), 0, Duration::MAX));
    }

    #[test]
    fn rows_from_before_the_latest_join_are_another_lifes() {
        let cases = [
            (Some(5 * H), Some(4 * H), true),
            (Some(4 * H), Some(4 * H), true),
            (Some(3 * H), Some(4 * H), false),
            (None, Some(4 * H), true),
            (Some(3 * H), None, true),
            (None, None, true),
            (Some(i64::MIN), Some(i64::MAX), false),
        ];
        for (checked, joined, want) in cases {
            assert_eq!(
                of_this_life(checked, joined),
                want,
                "{checked:?} {joined:?}"
            );
        }
    }

    #[test]
    fn a_pending_row_or_a_reattempt_due_leaves_a_vend_unfinished() {
        type Case<'a> = (&'a [Option<&'a str>], Option<bool>, bool);
        let cases: [Case; 13] = [
            (&[Some("pending")], None, true),
            (&[Some("compliant"), Some("pending")], Some(false), true),
            (&[None, Some("pending")], None, true),
            // The chain's last re-attempt failed: its row says `failed`.
            (&[Some("failed")], Some(true), true),
            (&[], Some(true), true),
            (&[], None, false),
            (&[None], Some(false), false),
            (&[Some("compliant"), Some("failed")], None, false),
            (&[Some("compliant"), Some("failed")], Some(false), false),
            // Only the table's own spelling.
            (
                &[Some("PENDING"), Some(" pending"), Some("pending ")],
                None,
                false,
            ),
            (&[Some(""), Some("pending_activation")], Some(false), false),
            (&[Some("remediated")], None, false),
            (&[Some("remediated")], Some(true), true),
        ];
        for (statuses, due, want) in cases {
            assert_eq!(
                vend_unfinished(statuses.iter().copied(), due),
                want,
                "{statuses:?} {due:?}"
            );
        }
    }

    #[test]
    fn a_start_says_when_and_why() {
        let s = Since {
            at_ms: clock::parse_iso("2026-11-24T10:00:00Z").unwrap(),
            cause: Cause::Joined,
        };
        assert_eq!(
            s.describe(),
            "2026-11-24T10:00:00.000Z (the account joined then)"
        );
        let e = Since {
            cause: Cause::Enrolled,
            ..s
        };
        assert!(e.describe().contains("enrolled then"), "{}", e.describe());
    }
}
