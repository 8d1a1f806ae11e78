//! At-least-once around one input: claim the event (owner token), run the
//! work, keep the decided alerts before anything else can fail, record the
//! results, publish, then complete or release.
//!
//! Alerts are never lost to a later failure: an event's alerts are held on
//! its claim and published by this run or the next delivery; a sweep's
//! (which no redelivery repeats) go to the outbox, which every sweep empties.

use serde_json::Value;

use crate::account::{self, AccountRun, Run};
use crate::alert::Alert;
use crate::aws::alerts::{Alerts, Published};
use crate::aws::receipts::{Claim, Receipts};
use crate::aws::state::StateStore;
use crate::aws::AwsError;
use crate::outcome::{Handled, Outcome};

/// Where alerts this run could not publish wait for the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    /// On the event's claim: Lambda's retry of the event publishes them.
    Claim,
    /// In the outbox: the next sweep publishes them.
    Outbox,
}

/// What a route hands back: decided, not yet recorded or published.
pub struct Work {
    pub outcome: Outcome,
    pub alerts: Vec<Alert>,
    /// Accounts to record once their alerts are kept.
    pub uncommitted: Vec<AccountRun>,
    /// The work itself failed: the event must be retried.
    pub failed: bool,
    pub home: Home,
}

impl Work {
    /// Nothing to record or alert (ignored, fanned out, ...).
    pub fn answered(outcome: Outcome) -> Work {
        Work {
            outcome,
            alerts: vec![],
            uncommitted: vec![],
            failed: false,
            home: Home::Claim,
        }
    }

    /// The work could not start (Organizations unreachable, ...).
    pub fn error(mut outcome: Outcome, e: &AwsError) -> Work {
        tracing::error!(outcome = "failed", error_code = %e.code, error = %e, "work failed");
        outcome.reason = e.to_string();
        Work {
            failed: true,
            ..Work::answered(outcome)
        }
    }
}

/// A claimed event, with alerts an earlier attempt decided.
pub struct Delivery {
    event_id: String,
    owner: String,
    resumed: Vec<Alert>,
}

pub enum Claimed {
    Run(Delivery),
    /// Duplicate, in flight elsewhere, or the claim itself failed.
    Answered(Outcome),
}

pub async fn claim(receipts: &Receipts, run: &Run, trigger: Value) -> Claimed {
    let t = &run.trigger;
    let answer = |result: Handled, reason: String| {
        Claimed::Answered(Outcome::new(trigger.clone(), result, reason))
    };
    match receipts
        .claim(&t.event_id, t.kind.as_str(), &run.owner)
        .await
    {
        Ok(Claim::Claimed { pending_alerts }) => {
            let resumed = pending_alerts
                .map(|json| serde_json::from_str::<Vec<Alert>>(&json))
                .transpose()
                .unwrap_or_else(|e| {
                    tracing::error!(outcome = "alert_lost", error = %e, "held alerts are unreadable");
                    None
                })
                .unwrap_or_default();
            Claimed::Run(Delivery {
                event_id: t.event_id.clone(),
                owner: run.owner.clone(),
                resumed,
            })
        }
        Ok(Claim::Done) => {
            tracing::info!(outcome = "duplicate", "event already processed");
            answer(
                Handled::Duplicate,
                format!("event {} was already processed", t.event_id),
            )
        }
        Ok(Claim::InFlight) => {
            // Fail rather than succeed: if the other run dies, the retry of
            // this delivery (after its short claim lease) finishes the job.
            tracing::warn!(
                outcome = "in_flight",
                "event is being processed by another run"
            );
            answer(
                Handled::InFlight,
                format!(
                    "event {} is being processed by another run; retry later",
                    t.event_id
                ),
            )
        }
        Err(e) => {
            tracing::error!(outcome = "failed", error_code = %e.code, error = %e, "cannot claim event");
            answer(Handled::Failed, e.to_string())
        }
    }
}

/// Earlier attempts' alerts first; one alert per id.
pub fn merge(resumed: Vec<Alert>, decided: Vec<Alert>) -> Vec<Alert> {
    let mut out: Vec<Alert> = Vec::with_capacity(resumed.len() + decided.len());
    for a in resumed.into_iter().chain(decided) {
        if !out.iter().any(|b| b.alert_id == a.alert_id) {
            out.push(a);
        }
    }
    out
}

fn to_json(alerts: &[Alert]) -> String {
    serde_json::to_string(alerts).expect("alerts serialise")
}

/// The services `finish` acts through.
pub struct Effects<'a> {
    pub receipts: &'a Receipts,
    pub state: &'a StateStore,
    pub alerts: &'a Alerts,
}

impl Delivery {
    pub async fn finish(mut self, work: Work, run: &Run, fx: &Effects<'_>) -> Outcome {
        let Work {
            mut outcome,
            alerts,
            uncommitted,
            mut failed,
            home,
        } = work;
        let alerts = merge(std::mem::take(&mut self.resumed), alerts);
        // Keeping the alerts and recording the results do not depend on
        // each other: both go out at once, and the alerts are kept before
        // anything that comes after can fail.
        let hold = async {
            if home == Home::Claim && !alerts.is_empty() {
                let held = fx
                    .receipts
                    .hold(&self.event_id, &self.owner, &to_json(&alerts))
                    .await;
                if let Err(e) = held {
                    // Still published below; only a second failure could lose them.
                    tracing::error!(error_code = %e.code, error = %e, "cannot keep decided alerts with the claim");
                }
            }
        };
        let record = async {
            let mut first_error = None;
            for acct in &uncommitted {
                if let Err(e) = account::commit(fx.state, run, acct).await {
                    first_error.get_or_insert(e);
                }
            }
            first_error
        };
        let ((), record_error) = tokio::join!(hold, record);
        if let Some(e) = record_error {
            failed = true;
            outcome.reason = format!("result not recorded: {e}");
        }
        let Published { sent, unsent } = fx.alerts.publish_all(alerts).await;
        outcome.alerts = sent;
        if let Some((_, e)) = unsent.first() {
            outcome.reason = format!("{} alert(s) not published: {e}", unsent.len());
        }
        let unsent: Vec<Alert> = unsent.into_iter().map(|(a, _)| a).collect();
        failed |= home == Home::Claim && !unsent.is_empty();
        let kept = self.close(fx, home, failed, unsent, &outcome).await;
        if kept > 0 {
            outcome.reason = format!(
                "{}; {kept} alert(s) kept for the next sweep",
                outcome.reason
            );
        }
        if failed {
            outcome.result = Handled::Failed;
            tracing::error!(outcome = "failed", reason = %outcome.reason, "event not fully handled");
        } else {
            tracing::info!(outcome = "done", result = ?outcome.result, "event handled");
        }
        outcome
    }

    /// Completes the claim, or releases it for the retry (with the alerts
    /// still to publish when they live on the claim). Returns how many
    /// alerts went to the outbox instead.
    async fn close(
        &self,
        fx: &Effects<'_>,
        home: Home,
        failed: bool,
        unsent: Vec<Alert>,
        outcome: &Outcome,
    ) -> usize {
        let mut kept = 0;
        let closing = match home {
            Home::Claim if failed => {
                let status = if unsent.is_empty() {
                    "failed"
                } else {
                    "alerts_pending"
                };
                fx.receipts
                    .release(&self.event_id, &self.owner, status, Some(&to_json(&unsent)))
                    .await
            }
            Home::Claim | Home::Outbox => {
                kept = keep_in_outbox(fx.receipts, unsent).await;
                if failed {
                    fx.receipts
                        .release(&self.event_id, &self.owner, "failed", None)
                        .await
                } else {
                    let summary = format!("{:?}: {}", outcome.result, outcome.reason);
                    fx.receipts
                        .complete(&self.event_id, &self.owner, &summary)
                        .await
                }
            }
        };
        if let Err(e) = closing {
            // A failed release is repaired by the claim lease running out.
            tracing::error!(error_code = %e.code, error = %e, "cannot close the event claim; the next delivery takes it after the lease");
        }
        kept
    }
}

/// Alerts no redelivery will carry; returns how many were kept. One that
/// cannot be kept either is logged whole, so it can still be read.
pub async fn keep_in_outbox(receipts: &Receipts, unsent: Vec<Alert>) -> usize {
    let mut kept = 0;
    for a in unsent {
        let json = serde_json::to_string(&a).expect("alert serialises");
        match receipts.to_outbox(&a.alert_id, &json).await {
            Ok(()) => kept += 1,
            Err(e) => {
                tracing::error!(outcome = "alert_lost", error_code = %e.code, error = %e, alert = %json, "alert neither published nor kept")
            }
        }
    }
    kept
}

/// Publishes what earlier sweeps could not; returns how many went out.
pub async fn flush_outbox(receipts: &Receipts, alerts: &Alerts) -> usize {
    let waiting = match receipts.outbox().await {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(error_code = %e.code, error = %e, "cannot read the alert outbox");
            return 0;
        }
    };
    let parsed: Vec<Alert> = waiting
        .iter()
        .filter_map(|(id, json)| match serde_json::from_str(json) {
            Ok(a) => Some(a),
            Err(e) => {
                tracing::error!(outcome = "alert_lost", alert_id = %id, error = %e, "outbox alert is unreadable");
                None
            }
        })
        .collect();
    if parsed.is_empty() {
        return 0;
    }
    let published = alerts.publish_all(parsed).await;
    for a in &published.sent {
        if let Err(e) = receipts.sent_from_outbox(&a.alert_id).await {
            tracing::warn!(alert_id = %a.alert_id, error = %e, "sent alert stays in the outbox; it may be sent again with the same alert_id");
        }
    }
    published.sent.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Kind, Severity};

    fn alert(id: &str, subject: &str) -> Alert {
        Alert {
            alert_id: id.into(),
            kind: Kind::DriftReverted,
            severity: Severity::Warning,
            account: "111122223333".into(),
            subject: subject.into(),
            body: Value::Null,
        }
    }

    #[test]
    fn merge_keeps_the_earlier_decision_once() {
        let merged = merge(
            vec![alert("a", "held"), alert("b", "held")],
            vec![alert("a", "again"), alert("c", "new")],
        );
        let got: Vec<(&str, &str)> = merged
            .iter()
            .map(|a| (a.alert_id.as_str(), a.subject.as_str()))
            .collect();
        assert_eq!(got, [("a", "held"), ("b", "held"), ("c", "new")]);
        assert!(merge(vec![], vec![]).is_empty());
    }

    #[test]
    fn held_alerts_round_trip() {
        let alerts = vec![alert("a", "x\n\"y\"")];
        let back: Vec<Alert> = serde_json::from_str(&to_json(&alerts)).unwrap();
        assert_eq!(back, alerts);
    }
}
