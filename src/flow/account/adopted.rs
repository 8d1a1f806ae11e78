//! The alerts of a dead run's write, adopted by a later run's record: what
//! that run would have told, under its `alert_id`. An edit event's or a
//! vend's run decides them by its trigger's rules
//! ([`Intent::alerts`]); a sweep tells the put-back of an edit it found
//! (not of a policy change) as drift (`flow::sweep::unreported`), so the
//! adoption of its write tells that alert. Until 0.7.12 a dead sweep's write
//! was adopted without an alert: the adopting run's history then told the
//! default the sweep replaced as a window, a second time where the sweep
//! had told it before its record failed (simulation seeds 650005, 650031).
//! A sweep judges only the rows of the account's present life, so its
//! adopted write is too: over a record from before the account last joined
//! the organization it was the rejoin's configuration, told as the dead
//! sweep would have (`account_configured`, once per life), never as drift
//! (until 0.7.16 another life's default put back by a sweep that died was
//! told as `drift_reverted` by the run that adopted it: simulation seeds
//! 826817, 822526).

use crate::adapters::aws::organizations::Org;
use crate::domain::alert::{self, Alert, DriftFacts};
use crate::domain::intent::Intent;
use crate::domain::known::Known;
use crate::domain::life;
use crate::domain::outcome::Change;
use crate::domain::trigger::TriggerKind;

/// What the item recorded before a dead run's write, as that run's trigger
/// would have judged it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Recorded<'a> {
    /// A row of the account's present life (or one nothing says is not).
    ThisLife(&'a Known),
    /// A row from before the account last joined (at `joined_ms`): a sweep
    /// does not judge it.
    AnotherLife { joined_ms: i64 },
}

/// When the account last joined, as the adopting run knows it.
#[derive(Clone, Copy)]
pub enum Joined<'a> {
    /// A sweep's walk said so (`JoinedTimestamp`): nothing to ask.
    Walked(Option<i64>),
    /// Asked of the run's view of Organizations, only when needed (an
    /// event's run described the account already: its view caches it).
    Ask(&'a Org),
}

/// `recorded` as a dead sweep judged it: of another life when the account
/// has joined since it was written (asked only of a sweep's write over a
/// row holding a version, the only one it could judge as drift). A join
/// that cannot be read leaves the row judged as it is: the edit is told,
/// as before.
pub async fn recorded_life<'a>(
    joined: Joined<'_>,
    i: &Intent,
    recorded: &'a Known,
) -> Recorded<'a> {
    let judged = i.trigger().kind == TriggerKind::Sweep && recorded.default_version.is_some();
    if !judged || recorded.last_checked_ms.is_none() {
        return Recorded::ThisLife(recorded);
    }
    let joined = match joined {
        Joined::Walked(joined_ms) => Ok(joined_ms),
        Joined::Ask(org) => org.joined_ms(&i.account).await,
    };
    match joined {
        Ok(Some(joined_ms)) if !life::of_this_life(recorded.last_checked_ms, Some(joined_ms)) => {
            tracing::info!(account = %i.account, region = %i.region, "a dead sweep's write over a record from before the account last joined: the rejoin's configuration, not drift");
            Recorded::AnotherLife { joined_ms }
        }
        Ok(_) => Recorded::ThisLife(recorded),
        Err(e) => {
            tracing::warn!(account = %i.account, error_code = %e.code, error = %e, "cannot tell when the account joined; a dead sweep's write is judged against its record");
            Recorded::ThisLife(recorded)
        }
    }
}

/// The alerts of `i`'s write, found as default `version` (`earlier_reverts`:
/// of the slot in the tamper window), against `recorded`: what the item
/// recorded before that write.
pub fn alerts(
    i: &Intent,
    (version, earlier_reverts): (&str, usize),
    at: &str,
    recorded: Recorded<'_>,
) -> Vec<Alert> {
    let trigger = i.trigger();
    if trigger.kind != TriggerKind::Sweep {
        return i.alerts(version, earlier_reverts, at);
    }
    let recorded = match recorded {
        Recorded::ThisLife(known) => known,
        Recorded::AnotherLife { joined_ms } => {
            let report = i.report(version);
            return alert::configured_anew(&report, &trigger, at, Some(joined_ms), false)
                .into_iter()
                .collect();
        }
    };
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
        // The fact's identity, as the dead sweep would have told it.
        let o = write(sweep.clone(), "root").outcome("4");
        let id = alert::drift(ACCOUNT, "ops", &o, &sweep, "t", Default::default()).alert_id;
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
            let alerts = alerts(
                &write(sweep.clone(), before),
                ("4", 0),
                "t",
                Recorded::ThisLife(&row),
            );
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
        let rows = [recorded("ops", "ops"), Known::default()];
        let lives = rows
            .iter()
            .map(Recorded::ThisLife)
            .chain([Recorded::AnotherLife { joined_ms: 1 }]);
        for row in lives {
            let got = alerts(&event, ("4", 0), "t", row);
            assert_eq!(got, event.alerts("4", 0, "t"), "{row:?}");
            assert_eq!(got.len(), 1);
        }
    }

    #[test]
    fn a_dead_sweeps_put_back_over_another_lifes_record_configures_the_new_life() {
        let sweep = trigger(TriggerKind::Sweep, "sweep-9");
        const JOINED: i64 = 1_764_000_000_000;
        let rows = [write(sweep.clone(), "root").outcome("4")];
        let id = alert::account_configured(ACCOUNT, "ops", &rows, &sweep, "t").alert_id;
        // Set while the account was out, or already right but rewritten
        // (inputs beside Run As): either way the life's first write.
        for before in ["root", "ops"] {
            let told = alerts(
                &write(sweep.clone(), before),
                ("4", 0),
                "t",
                Recorded::AnotherLife { joined_ms: JOINED },
            );
            let kinds: Vec<(alert::Kind, &str)> =
                told.iter().map(|a| (a.kind, a.alert_id.as_str())).collect();
            assert_eq!(
                kinds,
                [(alert::Kind::AccountConfigured, id.as_str())],
                "{before}: the dead sweep's own alert, never drift"
            );
        }
        // The same write over a record of this life is the edit it put back.
        let row = recorded("ops", "ops");
        let drift = alerts(
            &write(sweep.clone(), "root"),
            ("4", 0),
            "t",
            Recorded::ThisLife(&row),
        );
        assert_eq!(drift.len(), 1);
        assert_eq!(drift[0].kind, alert::Kind::DriftReverted);
    }
}
