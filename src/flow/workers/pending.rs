//! A vend in progress: `account_configured` said once per account,
//! whichever path got there first, and the next re-attempt scheduled while
//! the account still awaits its member stack (a lost stack-instance event
//! cannot strand it until the next sweep).

use serde::{Deserialize, Serialize};

use crate::domain::clock;
use crate::domain::ids::is_account_id;
use crate::domain::job::Job;
use crate::domain::outcome::{AccountReport, Action};
use crate::domain::trigger::{Trigger, TriggerKind};
use crate::flow::account::activation::RECHECK_SECS;
use crate::flow::account::pending::delay;
use crate::flow::services::Services;

/// A re-attempt's grace past its delay before another run may take the
/// schedule over (the message may be delivered a little late).
const GRACE_MS: i64 = 60_000;

/// One re-attempt of a pending account, as its SQS message says:
/// `{"reattempt": {"account": …, "chain": …, "attempt": N}}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Reattempt {
    pub account: String,
    /// The trigger that began the chain.
    pub chain: String,
    pub attempt: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    reattempt: Reattempt,
}

impl Reattempt {
    /// Whether an SQS body is a re-attempt (rather than a sweep's account).
    pub fn is_one(body: &str) -> bool {
        serde_json::from_str::<serde_json::Value>(body).is_ok_and(|v| v.get("reattempt").is_some())
    }

    pub fn parse(body: &str) -> Result<Reattempt, String> {
        let e: Envelope = serde_json::from_str(body)
            .map_err(|e| format!("re-attempt message is not valid: {e}"))?;
        let r = e.reattempt;
        if !is_account_id(&r.account) {
            return Err(format!(
                "re-attempt message field `account`: expected a 12-digit account id, found {:?}",
                r.account
            ));
        }
        if r.chain.is_empty() || r.chain.len() > 128 {
            return Err("re-attempt message field `chain`: must be 1 to 128 characters".into());
        }
        Ok(r)
    }

    pub fn body(&self) -> String {
        serde_json::to_string(&Envelope {
            reattempt: self.clone(),
        })
        .expect("plain data serialises")
    }

    /// What the vend would have done, under its own id (a redelivered
    /// message is a duplicate). The id names the account: one chain (an
    /// OU's baseline) fans out to many accounts, each its own run.
    pub fn trigger(&self) -> Trigger {
        let mut t = Trigger {
            kind: TriggerKind::AccountVended,
            account: Some(self.account.clone()),
            region: None,
            actor: None,
            event_id: format!("{}#{}#{}", self.chain, self.account, self.attempt),
            source: "runas-guard".into(),
            event_name: Some("Reattempt".into()),
            reason: format!(
                "re-attempt {} of an account awaiting its member stack",
                self.attempt
            ),
            context: Default::default(),
        };
        t.context.chain = Some(self.chain.clone());
        t.context.attempt = self.attempt;
        t
    }
}

/// "awaiting the member stack in eu-west-1, us-east-1 (…)", when it is.
pub fn summary(report: &AccountReport) -> Option<String> {
    let waiting: Vec<&str> = report
        .regions
        .iter()
        .filter(|r| r.action == Action::Pending)
        .map(|r| r.region.as_str())
        .collect();
    let first = report
        .regions
        .iter()
        .find(|r| r.action == Action::Pending)?;
    Some(format!(
        "account {} awaits its member stack in {}: {}",
        report.account,
        waiting.join(", "),
        first.error.as_deref().unwrap_or("")
    ))
}

/// While the account waits, its next re-attempt scheduled. Whether this
/// run is the first to say the account configured is asked when its alerts
/// are kept ([`crate::flow::receipt`]), beside them, not before.
pub async fn follow_up(svc: &Services, job: &Job, report: &AccountReport) {
    if !job.dry_run && report.regions.iter().any(|r| r.action == Action::Pending) {
        let activating = crate::flow::account::activation::awaited(&report.regions);
        schedule(svc, job, &report.account, activating).await;
    }
}

/// Seconds before re-attempt `attempt`: the schedule's, and no more than
/// [`RECHECK_SECS`] while Organizations has not activated the account (it
/// is configured within a minute of becoming `ACTIVE`).
fn seconds(attempt: u32, delays: &[u64], activating: bool) -> u64 {
    let d = delay(attempt, delays);
    match activating {
        true => d.min(RECHECK_SECS),
        false => d,
    }
}

async fn schedule(svc: &Services, job: &Job, account: &str, activating: bool) {
    let Some(queue) = &svc.queue else {
        tracing::info!(
            account,
            "no queue for re-attempts: the next sweep or the member stack's event configures it"
        );
        return;
    };
    let t = &job.trigger;
    let next = Reattempt {
        account: account.to_string(),
        chain: t
            .context
            .chain
            .clone()
            .unwrap_or_else(|| t.event_id.clone()),
        attempt: t.context.attempt + 1,
    };
    let seconds = seconds(next.attempt, &svc.settings.pending_delays, activating);
    let now = clock::epoch_millis(clock::now());
    let due = now + i64::try_from(seconds * 1000).unwrap_or(0) + GRACE_MS;
    match svc.vends.schedule(account, &next.chain, due, now).await {
        Ok(true) => {}
        Ok(false) => return, // another chain's re-attempt is on its way
        Err(e) => {
            tracing::warn!(account, error_code = %e.code, error = %e, "cannot record the re-attempt schedule; the next sweep catches the account");
            return;
        }
    }
    match queue.send_later(&next.body(), seconds).await {
        Ok(()) => tracing::info!(
            account,
            attempt = next.attempt,
            seconds,
            "re-attempt scheduled"
        ),
        Err(e) => {
            tracing::warn!(account, error_code = %e.code, error = %e, "cannot schedule the re-attempt; the next sweep catches the account")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Reattempt;

    #[test]
    fn an_account_awaiting_activation_is_looked_at_again_within_half_a_minute() {
        let d = [30, 60, 120, 240, 480, 900];
        for (attempt, activating, want) in [
            (1, false, 30),
            (3, false, 120),
            (9, false, 900),
            (1, true, 30),
            (3, true, 30),
            (9, true, 30),
        ] {
            assert_eq!(
                super::seconds(attempt, &d, activating),
                want,
                "{attempt} {activating}"
            );
        }
        assert_eq!(super::seconds(4, &[5], true), 5, "a shorter schedule stays");
    }

    #[test]
    fn a_reattempt_message_round_trips_and_hostile_ones_are_refused() {
        let r = Reattempt {
            account: "210987654321".into(),
            chain: "e-1".into(),
            attempt: 3,
        };
        assert!(Reattempt::is_one(&r.body()));
        assert!(Reattempt::is_one(" { \"reattempt\" : {} }"));
        assert!(!Reattempt::is_one(
            r#"{"sweep_id": "s", "account": "210987654321"}"#
        ));
        assert_eq!(Reattempt::parse(&r.body()).unwrap(), r);
        assert_eq!(r.trigger().event_id, "e-1#210987654321#3");
        let other = Reattempt {
            account: "109876543210".into(),
            ..r.clone()
        };
        assert_ne!(
            other.trigger().event_id,
            r.trigger().event_id,
            "one chain fanned out to many accounts: a run each"
        );
        for (body, field) in [
            (
                r#"{"reattempt": {"account": "1", "chain": "c", "attempt": 1}}"#,
                "account",
            ),
            (
                r#"{"reattempt": {"account": "210987654321", "chain": "", "attempt": 1}}"#,
                "chain",
            ),
            (
                r#"{"reattempt": {"account": "210987654321", "chain": "c", "attempt": -1}}"#,
                "not valid",
            ),
            (
                r#"{"reattempt": {"account": "210987654321", "chain": "c", "attempt": 1, "x": 1}}"#,
                "not valid",
            ),
            ("not json", "not valid"),
        ] {
            let err = Reattempt::parse(body).unwrap_err();
            assert!(err.contains(field), "{body}: {err}");
        }
    }
}
