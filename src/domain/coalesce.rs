//! A member account that floods the hub with genuine events (one
//! document's `UpdateDocumentDefaultVersion` in a loop, association deletes)
//! costs a bounded amount: per account-region-document, at most one run
//! starts per [`WINDOW`], and an event whose change is older than the start
//! of a run that has *finished* cleanly is answered `coalesced` before any
//! AssumeRole (that run read the document after the change, so it saw it).
//! An event is never dropped: a run still under way (or one that died or
//! failed) covers nothing, so the event waits out the window and runs.

use std::time::Duration;

use crate::domain::outcome::{Action, Handled, Outcome};
use crate::domain::trigger::{Trigger, TriggerKind};

/// At most one run of one account-region-document starts per window.
pub const WINDOW: Duration = Duration::from_secs(5);
/// A run covers a change only when it started this long after the change's
/// time: CloudTrail's `eventTime` has whole seconds, and the clocks of the
/// Lambda host and of AWS may disagree by about one more.
pub const MARGIN_MS: i64 = 2_000;
/// After this many refused claims a waiter runs anyway: a gate that keeps
/// refusing (a clock far off, runs that keep failing) never costs an event.
pub const MAX_TRIES: u32 = 5;

/// What one account-region-document's gate is: the item of the account and
/// the slot under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub account: String,
    /// `<kind>#<region>#<document>`.
    pub slot: String,
}

/// The gate of an event that may be coalesced, and its change's time
/// (epoch milliseconds). `None` for every other event: vends, sweeps, moves
/// and re-attempts are never coalesced, and neither is an event without a
/// readable time (nothing can be known to cover it).
pub fn key(t: &Trigger) -> Option<(Key, i64)> {
    if !matches!(
        t.kind,
        TriggerKind::DocumentChanged | TriggerKind::SessionDocumentChanged
    ) || t.context.attempt > 0
        // Our own write's event is a look, like a sweep: gated, it would
        // cover the events of edits it found, and their editors would
        // never be named.
        || t.context.own_write
    {
        return None;
    }
    let account = t.account.as_deref()?;
    let region = t.region.as_deref()?;
    let document = t.context.document.as_deref().unwrap_or("-");
    let changed = crate::domain::clock::parse_iso(t.context.event_time.as_deref()?)?;
    let slot = format!("{}#{region}#{document}", t.kind.as_str());
    Some((
        Key {
            account: account.to_string(),
            slot,
        },
        changed,
    ))
}

/// What an event does when another run holds the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// A run that began after the change and finished cleanly: it saw it.
    Covered { started_ms: i64 },
    /// Wait until the window passes, then try again.
    Wait(Duration),
    /// The gate's item is gone or unreadable, or tries are used up: run.
    Run,
}

/// What the gate held when our claim was refused (epoch milliseconds).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Held {
    /// The latest run's start.
    pub started: Option<i64>,
    /// The start of the latest run that finished cleanly.
    pub done: Option<i64>,
    /// The default version that run found (and so judged) in this
    /// account-region-document, where its outcome says.
    pub judged: Option<String>,
}

/// The version an `UpdateDocumentDefaultVersion` event made the default:
/// a run that began after the switch covers it only if it found that
/// version the default ([`judged_it`]).
pub fn made_default(t: &Trigger) -> Option<&str> {
    t.context.made_default.as_deref()
}

/// `held` as it covers an event that made `made` the default at
/// `changed_ms`: a finished run that found another default did not judge
/// that version (the default had moved on, back below the table's record,
/// where no gap reads it: seed 500260), so it covers nothing; the event's
/// own run reads it (`domain::version_gap::with_switch_back`). Nor does a
/// run whose own event switched to it later ([`judged_mark`]): the version
/// was replaced in between, and that run's window opened at its own switch
/// (seed 900021). Any other event is covered as before.
pub fn judged_it(held: Held, made: Option<&str>, changed_ms: i64) -> Held {
    let Some(m) = made else {
        return held;
    };
    let judged = held.judged.as_deref().map(|j| match j.split_once('@') {
        Some((v, at)) => (v, at.parse::<i64>().ok()),
        None => (j, None),
    });
    match judged {
        Some((v, opened))
            if v == m && opened.is_none_or(|o| o <= changed_ms.saturating_add(MARGIN_MS)) =>
        {
            held
        }
        _ => Held { done: None, ..held },
    }
}

/// What a finished run's gate keeps of the default it judged
/// ([`judged`]): the version, and, where its own event switched the
/// default to it, `@` the switch's time.
pub fn judged_mark(judged: Option<String>, made: Option<&str>, changed_ms: i64) -> Option<String> {
    judged.map(|v| match made {
        Some(m) if m == v => format!("{v}@{changed_ms}"),
        _ => v,
    })
}

/// The default version a finished run found in the gate's
/// account-region-document (`key`), from its outcome.
pub fn judged(outcome: &Outcome, key: &Key) -> Option<String> {
    outcome
        .accounts
        .iter()
        .filter(|a| a.account == key.account)
        .flat_map(|a| a.regions.iter())
        .find(|r| {
            key.slot
                .ends_with(&format!("#{}#{}", r.region, r.document_name()))
        })
        .and_then(|r| r.versions_before.as_ref())
        .map(|v| v.default.clone())
}

/// The claim was refused: covered, wait, or run; `tries` counts the claims
/// refused so far.
pub fn refused(held: Held, changed_ms: i64, now_ms: i64, tries: u32) -> Refused {
    if let Some(done) = held
        .done
        .filter(|d| *d >= changed_ms.saturating_add(MARGIN_MS))
    {
        return Refused::Covered { started_ms: done };
    }
    let Some(started) = held.started else {
        return Refused::Run;
    };
    if tries >= MAX_TRIES {
        return Refused::Run;
    }
    let window = WINDOW.as_millis() as i64;
    let left = started.saturating_add(window).saturating_sub(now_ms);
    Refused::Wait(Duration::from_millis(left.clamp(0, window) as u64))
}

/// Whether a run that finished, of an event by `done_by` (its actor's ARN),
/// covers a waiting event by `by`: only the same editor's (the flood this
/// gate exists for is one principal looping). A run of another editor's
/// event told what it found in that editor's name, so the waiting event's
/// editor would never be named (simulation seeds 500039, 500296;
/// since 0.7.2). A waiting event with no actor names nobody: any run
/// covers it; a run with none on record covers only such events.
pub fn covers_editor(done_by: Option<&str>, by: Option<&str>) -> bool {
    match by.filter(|b| !b.is_empty()) {
        None => true,
        Some(by) => done_by == Some(by),
    }
}

/// Whether a run's outcome lets it cover the events of changes made before
/// it began: it finished, and it read every account-region it was about
/// (none failed, none awaits its member stack, none was left to a run that
/// may have begun before the change).
pub fn covers(outcome: &Outcome) -> bool {
    outcome.result == Handled::Done
        && outcome
            .accounts
            .iter()
            .flat_map(|a| a.regions.iter())
            .all(|r| read_it(r.action))
}

fn read_it(action: Action) -> bool {
    !matches!(action, Action::Failed | Action::Pending | Action::Deferred)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::trigger::Context;

    const T: i64 = 1_790_000_000_000;

    fn held(started: Option<i64>, done: Option<i64>) -> Held {
        Held {
            started,
            done,
            judged: None,
        }
    }

    #[test]
    fn a_run_keeps_its_own_switch_with_the_default_it_judged() {
        let mark = |judged: Option<&str>, made: Option<&str>| {
            judged_mark(judged.map(str::to_string), made, T)
        };
        assert_eq!(mark(Some("5"), Some("5")), Some(format!("5@{T}")));
        assert_eq!(mark(Some("5"), Some("4")).as_deref(), Some("5"));
        assert_eq!(mark(Some("5"), None).as_deref(), Some("5"));
        assert_eq!(mark(None, Some("5")), None);
    }

    #[test]
    fn a_switch_is_covered_only_by_a_run_that_found_its_version_the_default() {
        let with = |judged: Option<&str>| Held {
            started: Some(T + 9_000),
            done: Some(T + MARGIN_MS),
            judged: judged.map(str::to_string),
        };
        // (what the covering run found, the version the event made the
        // default) -> covered
        for (judged, made, want) in [
            (Some("2"), Some("2"), true),
            // Seed 500260: the default had moved on to 8; 6 was not read.
            (Some("8"), Some("6"), false),
            // Not known what it found (an older gate item): not covered.
            (None, Some("6"), false),
            (Some(""), Some(""), true),
            (Some("6 "), Some("6"), false),
            // Not a switch (an UpdateDocument, a deletion): as before.
            (Some("8"), None, true),
            (None, None, true),
            // Seed 900021: the covering run's own event switched to it
            // later (the version replaced in between): not covered. The same
            // switch (within the margin), or one before this event: covered.
            (Some("2@1790000400000"), Some("2"), false),
            (Some("2@1790000002000"), Some("2"), true),
            (Some("2@1789999000000"), Some("2"), true),
            (Some("2@x"), Some("2"), true),
            (Some("8@1"), Some("2"), false),
        ] {
            let got = refused(judged_it(with(judged), made, T), T, T + 9_500, 1);
            let covered = matches!(got, Refused::Covered { .. });
            assert_eq!(covered, want, "{judged:?} {made:?}");
        }
    }

    #[test]
    fn a_finished_run_covers_only_its_own_editors_events() {
        let admin = "arn:aws:iam::111122223333:role/Admin";
        let exempt = "arn:aws:iam::111122223333:role/AWSAccelerator-CustomizationsRole";
        for (done_by, by, want) in [
            (Some(admin), Some(admin), true),
            (Some(exempt), Some(admin), false),
            (None, Some(admin), false),
            (Some(""), Some(admin), false),
            // Another principal, as IAM spells names: case counts.
            (
                Some("arn:aws:iam::111122223333:role/admin"),
                Some(admin),
                false,
            ),
            (Some(admin), Some(&format!("{admin} ")), false),
            // An event that names nobody is covered by any run.
            (Some(admin), None, true),
            (None, None, true),
            (Some(admin), Some(""), true),
        ] {
            assert_eq!(covers_editor(done_by, by), want, "{done_by:?} {by:?}");
        }
    }

    #[test]
    fn a_refused_claim_is_covered_waits_or_runs() {
        let w = WINDOW.as_millis() as i64;
        let ms = |n: i64| Duration::from_millis(n as u64);
        let covered = |started_ms| Refused::Covered { started_ms };
        for (held, changed, now, tries, want) in [
            // A run began after the change (with the margin) and finished.
            (
                held(Some(T + 9_000), Some(T + MARGIN_MS)),
                T,
                T + 9_500,
                1,
                covered(T + MARGIN_MS),
            ),
            (
                held(Some(T + 60_000), Some(T + 60_000)),
                T,
                T + 61_000,
                MAX_TRIES,
                covered(T + 60_000),
            ),
            // Began after the change but still under way (or died, or
            // failed): covers nothing; wait out its window.
            (
                held(Some(T + 3_000), None),
                T,
                T + 3_500,
                1,
                Refused::Wait(ms(w - 500)),
            ),
            (
                held(Some(T + 3_000), Some(T - 1)),
                T,
                T + 3_500,
                1,
                Refused::Wait(ms(w - 500)),
            ),
            // Finished, but began inside the margin: wait.
            (
                held(Some(T + 1_000), Some(T + MARGIN_MS - 1)),
                T,
                T + 2_500,
                1,
                Refused::Wait(ms(w - 1_500)),
            ),
            // A host clock behind the gate's: never more than one window.
            (held(Some(T), None), T, T - 60_000, 1, Refused::Wait(WINDOW)),
            // A window long past (another run's claim just before ours).
            (
                held(Some(T - 10 * w), None),
                T,
                T,
                1,
                Refused::Wait(Duration::ZERO),
            ),
            // Unreadable, or tries used up: run rather than lose the event.
            (held(None, None), T, T, 1, Refused::Run),
            (held(Some(T - 1), None), T, T, MAX_TRIES, Refused::Run),
            // Hostile times do not overflow.
            (
                held(Some(i64::MAX), Some(i64::MAX)),
                i64::MAX,
                i64::MIN,
                1,
                covered(i64::MAX),
            ),
            (
                held(Some(i64::MIN), Some(i64::MIN)),
                i64::MAX,
                i64::MAX,
                1,
                Refused::Wait(Duration::ZERO),
            ),
        ] {
            assert_eq!(
                refused(held.clone(), changed, now, tries),
                want,
                "{held:?} {changed} {now} {tries}"
            );
        }
    }

    #[test]
    fn coverage_needs_a_finished_run_that_began_after_the_change() {
        // The law: whatever the times, a change is covered only by a run
        // that finished and started at least the margin after it.
        for started in (T - 10_000..T + 10_000).step_by(250) {
            for changed in (T - 10_000..T + 10_000).step_by(750) {
                for done in [None, Some(started)] {
                    let got = refused(held(Some(started), done), changed, T, 1);
                    if let Refused::Covered { started_ms } = got {
                        assert_eq!(Some(started_ms), done);
                        assert!(started_ms >= changed + MARGIN_MS, "{started} {changed}");
                    }
                }
            }
        }
    }

    #[test]
    fn only_a_clean_run_covers() {
        use crate::domain::outcome::{AccountReport, RegionOutcome};
        let done = Outcome::new(serde_json::Value::Null, Handled::Done, "");
        assert!(covers(&done));
        for result in [
            Handled::Failed,
            Handled::InFlight,
            Handled::Ignored,
            Handled::Duplicate,
            Handled::Coalesced,
            Handled::FannedOut,
        ] {
            let o = Outcome {
                result,
                ..done.clone()
            };
            assert!(!covers(&o), "{result:?}");
        }
        for action in Action::ALL {
            let mut o = done.clone();
            o.accounts.push(AccountReport {
                account: "111122223333".into(),
                name: None,
                ou_path: None,
                desired_user: None,
                rule: None,
                role: None,
                packed_policy_size: None,
                mode: None,
                left_governance: None,
                regions: vec![
                    RegionOutcome {
                        region: "us-east-1".into(),
                        action: Action::None,
                        ..RegionOutcome::default()
                    },
                    RegionOutcome {
                        region: "eu-west-1".into(),
                        action,
                        ..RegionOutcome::default()
                    },
                ],
                alerts_lost: 0,
                security_hub: None,
            });
            let want = !matches!(action, Action::Failed | Action::Pending | Action::Deferred);
            assert_eq!(covers(&o), want, "{action:?}");
        }
    }

    fn trigger(kind: TriggerKind) -> Trigger {
        let mut t = crate::domain::trigger::classify(&serde_json::json!({
            "version": "0", "id": "e-1", "detail-type": "Scheduled Event",
            "source": "aws.events", "time": "2026-11-21T10:00:00Z",
            "region": "eu-west-1", "resources": [], "detail": {}
        }))
        .unwrap();
        t.kind = kind;
        t.account = Some("111122223333".into());
        t.region = Some("eu-west-1".into());
        t.context = Context {
            event_time: Some("2026-11-21T10:00:00Z".into()),
            document: Some("SSM-SessionManagerRunShell".into()),
            ..Context::default()
        };
        t
    }

    #[test]
    fn only_edits_with_a_time_are_gated() {
        let (k, changed) = key(&trigger(TriggerKind::DocumentChanged)).unwrap();
        assert_eq!(k.account, "111122223333");
        assert_eq!(
            k.slot,
            "document_changed#eu-west-1#SSM-SessionManagerRunShell"
        );
        assert_eq!(
            Some(changed),
            crate::domain::clock::parse_iso("2026-11-21T10:00:00Z")
        );
        let (k, _) = key(&trigger(TriggerKind::SessionDocumentChanged)).unwrap();
        assert!(k.slot.starts_with("session_document_changed#eu-west-1#"));
        for kind in [
            TriggerKind::AccountVended,
            TriggerKind::AccountMoved,
            TriggerKind::Sweep,
            TriggerKind::MemberStackLanded,
            TriggerKind::BaselineApplied,
            TriggerKind::RunAsOverride,
            TriggerKind::ForwardingCanary,
            TriggerKind::Ignored,
        ] {
            assert_eq!(key(&trigger(kind)), None, "{kind:?}");
        }
        let mut retried = trigger(TriggerKind::DocumentChanged);
        retried.context.attempt = 1;
        assert_eq!(key(&retried), None, "a re-attempt");
        let ours = crate::domain::unnamed::as_own_write(trigger(TriggerKind::DocumentChanged));
        assert_eq!(key(&ours), None, "our own write's event covers nothing");
        for time in [None, Some("yesterday"), Some("")] {
            let mut t = trigger(TriggerKind::DocumentChanged);
            t.context.event_time = time.map(str::to_string);
            assert_eq!(key(&t), None, "{time:?}");
        }
        let mut t = trigger(TriggerKind::DocumentChanged);
        t.region = None;
        assert_eq!(key(&t), None);
    }
}
