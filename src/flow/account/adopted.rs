//! The alerts of a dead run's write, adopted by a later run's record: what
//! that run would have told, under its `alert_id`. An edit event's or a
//! vend's run decides them by its trigger's rules
//! ([`Intent::alerts`]); a sweep tells the put-back of an edit it found
//! (not of a policy change) as drift (`flow::sweep::unreported`), so the
//! adoption of its write tells that alert. Until 0.7.12 a dead sweep's write
//! was adopted without an alert: the adopting run's history then told the
//! default the sweep replaced as a window, a second time where the sweep
//! had told it before its record failed (simulation seeds 650005, 650031).

use crate::domain::alert::{self, Alert, DriftFacts};
use crate::domain::intent::Intent;
use crate::domain::known::Known;
use crate::domain::outcome::Change;
use crate::domain::trigger::TriggerKind;

/// The alerts of `i`'s write, found as default `version` (`earlier_reverts`:
/// of the slot in the tamper window), against `recorded`: what the item
/// recorded before that write.
pub fn alerts(
    i: &Intent,
    (version, earlier_reverts): (&str, usize),
    at: &str,
    recorded: &Known,
) -> Vec<Alert> {
    let trigger = i.trigger();
    if trigger.kind != TriggerKind::Sweep {
        return i.alerts(version, earlier_reverts, at);
    }
    let mut o = i.outcome(version);
    o.change = super::change::judge(Some(recorded), &o, &i.user);
    if o.change != Some(Change::Document) || !o.was_noncompliant(&i.user) {
        return vec![];
    }
    // As the sweep decided it: no editor, no tamper count.
    let facts = DriftFacts {
        expected_editor: false,
        audit: false,
        reverts_last_hour: 0,
    };
    vec![alert::drift(&i.account, &i.user, &o, &trigger, at, facts)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::trigger::Trigger;

    const ACCOUNT: &str = "111122223333";

    fn trigger(kind: TriggerKind, event_id: &str) -> Trigger {
        Trigger {
            kind,
            account: None,
            region: None,
            actor: None,
            event_id: event_id.into(),
            source: "aws.events".into(),
            event_name: None,
            reason: "test".into(),
            context: Default::default(),
        }
    }

    fn write(trigger: Trigger, before: &str) -> Intent {
        crate::domain::intent::sample(trigger, before)
    }

    fn recorded(observed: &str, desired: &str) -> Known {
        Known {
            status: Some("compliant".into()),
            desired_user: Some(desired.into()),
            observed_user: Some(observed.into()),
            observed_enabled: Some("true".into()),
            default_version: Some("2".into()),
            ..Known::default()
        }
    }

    #[test]
    fn a_dead_sweeps_put_back_of_an_edit_tells_the_sweeps_own_drift_alert() {
        let sweep = trigger(TriggerKind::Sweep, "sweep-7");
        let id = alert::alert_id(
            &sweep,
            alert::Kind::DriftReverted,
            ACCOUNT,
            Some("eu-west-1"),
        );
        // (before, what the item recorded before the write) -> told
        let cases = [
            // Someone set root over a right record: an edit found, told.
            ("root", recorded("ops", "ops"), Some(id.as_str())),
            // The document as recorded, the policy now wants another user:
            // the policy's change, the sweep's summary only.
            ("app", recorded("app", "app"), None),
            // Nothing recorded to compare with: the sweep told nothing.
            ("root", Known::default(), None),
            // A right document (the write changed inputs beside Run As).
            ("ops", recorded("root", "ops"), None),
        ];
        for (before, row, want) in cases {
            let alerts = alerts(&write(sweep.clone(), before), ("4", 0), "t", &row);
            let got: Vec<&str> = alerts.iter().map(|a| a.alert_id.as_str()).collect();
            assert_eq!(
                got,
                want.into_iter().collect::<Vec<_>>(),
                "{before} over {row:?}"
            );
            assert!(alerts.iter().all(|a| a.kind == alert::Kind::DriftReverted));
        }
    }

    #[test]
    fn an_edit_events_write_is_told_by_its_triggers_rules_whatever_was_recorded() {
        let event = write(trigger(TriggerKind::DocumentChanged, "e-1"), "root");
        for row in [recorded("ops", "ops"), Known::default()] {
            let got = alerts(&event, ("4", 0), "t", &row);
            assert_eq!(got, event.alerts("4", 0, "t"), "{row:?}");
            assert_eq!(got.len(), 1);
        }
    }
}
