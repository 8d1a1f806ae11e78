//! At-least-once around one input: claim the event (owner token), run the
//! work, keep the decided alerts before anything else can fail, record the
//! results, publish, then complete or release.
//!
//! Alerts outlive outages: every decided alert is kept in the outbox (one
//! item per destination) before anything else can fail, published, and
//! removed once its topic took it. Any run that claims work first publishes
//! what earlier runs left there, so an alert waits for the first run after
//! SNS is back, however long it was away; its `alert_id` never changes.

use serde_json::Value;

use crate::account::{self, AccountRun, Run};
use crate::alert::Alert;
use crate::aws::alerts::{Alerts, Attempt, Dest};
use crate::aws::receipts::{Claim, Receipts};
use crate::aws::state::StateStore;
use crate::aws::AwsError;
use crate::clock;
use crate::heartbeat::Keepalive;
use crate::outcome::{AlertSent, Handled, Outcome};

/// Whether an alert the topic refused fails the input. Either way it waits
/// in the outbox for the next run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    /// An event: it fails, so Lambda's retry (a minute later) publishes it.
    Claim,
    /// A sweep (which no redelivery repeats): it does not fail for that.
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
    /// Keeps the claim for as long as the work runs (a sweep: minutes), so
    /// a second delivery meanwhile answers `in_flight` instead of running
    /// the same work beside this one.
    keepalive: Keepalive,
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
                keepalive: receipts.keep_claim(&t.event_id, &run.owner),
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
        // Alerts are kept in the outbox before the results are recorded
        // (both at once), so neither a failed record nor a crash loses them.
        let keep = keep_first(fx.receipts, fx.alerts, &run.owner, &alerts);
        let record = async {
            let mut first_error = None;
            let mut adopted = Vec::new();
            for acct in &uncommitted {
                let committed = account::commit(fx.state, run, acct).await;
                adopted.extend(committed.adopted);
                if let Some(e) = committed.error {
                    first_error.get_or_insert(e);
                }
            }
            (first_error, adopted)
        };
        let (kept, (record_error, adopted)) = tokio::join!(keep, record);
        if let Some(e) = record_error {
            failed = true;
            outcome.reason = format!("result not recorded: {e}");
        }
        // What earlier runs left in the outbox first: then our own unsent
        // copies, freed below, wait for the next run rather than this one.
        let flushed = flush_outbox(fx.receipts, fx.alerts, &run.owner).await;
        let mut delivered = publish_kept(fx.receipts, fx.alerts, &run.owner, alerts, kept).await;
        // A dead run's alerts, found while recording: its failure to send
        // them is not this event's.
        delivered.absorb(deliver(fx.receipts, fx.alerts, &run.owner, adopted).await);
        outcome.alerts = delivered.sent;
        if let Some(e) = &delivered.first_error {
            outcome.reason = format!("{} alert(s) not published: {e}", delivered.unsent);
        }
        if delivered.chat_unsent > 0 {
            tracing::warn!(
                count = delivered.chat_unsent,
                "chat copies not published; kept in the outbox"
            );
        }
        if flushed > 0 {
            tracing::info!(count = flushed, "alerts left by earlier runs published");
        }
        failed |= home == Home::Claim && delivered.unsent > 0;
        // The claim stops renewing before it is closed.
        let keepalive = std::mem::take(&mut self.keepalive);
        if keepalive.lost() {
            tracing::warn!(event_id = %self.event_id, "the event claim was taken over while this run worked");
        }
        drop(keepalive);
        self.close(fx, home, failed, delivered.lost, &outcome).await;
        if delivered.kept > 0 {
            outcome.reason = format!(
                "{}; {} alert(s) kept in the outbox for the next run",
                outcome.reason, delivered.kept
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

    /// Completes the claim, or releases it for the retry, with the alerts
    /// that neither SNS nor the outbox took (the retry publishes them).
    async fn close(
        &self,
        fx: &Effects<'_>,
        home: Home,
        failed: bool,
        lost: Vec<Alert>,
        outcome: &Outcome,
    ) {
        let closing = if failed && home == Home::Claim {
            let (status, alerts) = if lost.is_empty() {
                ("failed", None)
            } else {
                ("alerts_pending", Some(to_json(&lost)))
            };
            fx.receipts
                .release(&self.event_id, &self.owner, status, alerts.as_deref())
                .await
        } else {
            for a in &lost {
                let json = serde_json::to_string(a).expect("alert serialises");
                tracing::error!(outcome = "alert_lost", alert_id = %a.alert_id, alert = %json, "alert neither published nor kept");
            }
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
        };
        if let Err(e) = closing {
            // A failed release is repaired by the claim lease running out.
            tracing::error!(error_code = %e.code, error = %e, "cannot close the event claim; the next delivery takes it after the lease");
        }
    }
}

/// What delivering a run's alerts came to.
#[derive(Default)]
pub struct Delivered {
    /// Copies the alert topic took.
    pub sent: Vec<AlertSent>,
    /// Alerts the alert topic refused (kept or lost).
    pub unsent: usize,
    /// Of those, kept in the outbox: the next run publishes them.
    pub kept: usize,
    /// Refused and not kept either: the caller's last resort (a claim).
    pub lost: Vec<Alert>,
    /// Chat copies refused (kept in the outbox when it could).
    pub chat_unsent: usize,
    pub first_error: Option<AwsError>,
}

impl Delivered {
    /// Another delivery's copies sent, counted as sent; what it could not
    /// send waits in the outbox without failing this one.
    fn absorb(&mut self, other: Delivered) {
        if other.unsent + other.chat_unsent > 0 {
            tracing::warn!(
                unsent = other.unsent,
                chat_unsent = other.chat_unsent,
                "alerts of a dead run not published yet; they wait in the outbox"
            );
        }
        self.sent.extend(other.sent);
        self.kept += other.kept;
        self.lost.extend(other.lost);
    }
}

fn copies(alerts: &Alerts, decided: &[Alert]) -> Vec<(Alert, Dest)> {
    decided
        .iter()
        .flat_map(|a| alerts.dests().iter().map(move |d| (a.clone(), *d)))
        .collect()
}

/// Every copy of `decided` into the outbox, leased to us; true when kept.
async fn keep_first(receipts: &Receipts, alerts: &Alerts, owner: &str, decided: &[Alert]) -> bool {
    if decided.is_empty() {
        return true;
    }
    let entries: Vec<(String, &str, String)> = copies(alerts, decided)
        .iter()
        .map(|(a, d)| {
            let json = serde_json::to_string(a).expect("alert serialises");
            (d.key(&a.alert_id), d.as_str(), json)
        })
        .collect();
    match receipts.keep(&entries, owner).await {
        Ok(()) => true,
        Err(e) => {
            // Still published below; only a second failure could lose them.
            tracing::error!(error_code = %e.code, error = %e, "cannot keep decided alerts in the outbox");
            false
        }
    }
}

/// Publishes copies already kept (or not: `kept` false), removes what went
/// out, gives the rest back to the outbox for the next run.
async fn publish_kept(
    receipts: &Receipts,
    alerts: &Alerts,
    owner: &str,
    decided: Vec<Alert>,
    kept: bool,
) -> Delivered {
    let attempts = alerts.publish_copies(copies(alerts, &decided)).await;
    let mut out = Delivered::default();
    for Attempt {
        alert,
        dest,
        result,
    } in attempts
    {
        let key = dest.key(&alert.alert_id);
        match result {
            Ok(()) => {
                if dest == Dest::Main {
                    out.sent.push(Alerts::sent(&alert));
                }
                if kept {
                    if let Err(e) = receipts.sent_from_outbox(&key).await {
                        tracing::warn!(alert_id = %alert.alert_id, error = %e, "sent alert stays in the outbox; it may be sent again with the same alert_id");
                    }
                }
            }
            Err(e) => {
                let saved = if kept {
                    receipts.free_in_outbox(&key, owner).await.map(|_| true)
                } else {
                    let json = serde_json::to_string(&alert).expect("alert serialises");
                    let free = receipts
                        .keep(&[(key.clone(), dest.as_str(), json)], owner)
                        .await;
                    match free {
                        Ok(()) => receipts.free_in_outbox(&key, owner).await.map(|_| true),
                        Err(e) => Err(e),
                    }
                };
                let saved = saved.unwrap_or_else(|e| {
                    // Kept but still leased: it waits out the lease instead.
                    tracing::warn!(alert_id = %alert.alert_id, error = %e, "cannot free an unsent alert in the outbox");
                    kept
                });
                match dest {
                    Dest::Chat => out.chat_unsent += 1,
                    Dest::Main => {
                        out.unsent += 1;
                        if saved {
                            out.kept += 1;
                        } else {
                            out.lost.push(alert);
                        }
                        out.first_error.get_or_insert(e);
                    }
                }
            }
        }
    }
    out
}

/// Kept first, then published: alerts no redelivery will carry (a sweep's
/// summary, a rejected policy) are never lost to an outage or a crash.
pub async fn deliver(
    receipts: &Receipts,
    alerts: &Alerts,
    owner: &str,
    decided: Vec<Alert>,
) -> Delivered {
    let kept = keep_first(receipts, alerts, owner, &decided).await;
    let delivered = publish_kept(receipts, alerts, owner, decided, kept).await;
    for a in &delivered.lost {
        let json = serde_json::to_string(a).expect("alert serialises");
        tracing::error!(outcome = "alert_lost", alert_id = %a.alert_id, alert = %json, "alert neither published nor kept");
    }
    delivered
}

/// Publishes what earlier runs could not (their lease on each copy over);
/// returns how many copies went out. Every run that claimed work calls it,
/// so an alert waits for the first run after SNS is back, however long it
/// was away.
pub async fn flush_outbox(receipts: &Receipts, alerts: &Alerts, owner: &str) -> usize {
    let waiting = match receipts.outbox().await {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(error_code = %e.code, error = %e, "cannot read the alert outbox");
            return 0;
        }
    };
    let now = clock::epoch_millis(clock::now());
    let mut sent = 0;
    for entry in waiting.into_iter().filter(|e| e.lease_until < now) {
        let (alert, dest) = match (
            serde_json::from_str::<Alert>(&entry.alert),
            Dest::parse(&entry.dest),
        ) {
            (Ok(a), Some(d)) => (a, d),
            (Err(e), _) => {
                tracing::error!(outcome = "alert_lost", key = %entry.key, error = %e, "outbox alert is unreadable");
                continue;
            }
            (_, None) => {
                tracing::error!(outcome = "alert_lost", key = %entry.key, dest = %entry.dest, "outbox alert has an unknown destination");
                continue;
            }
        };
        match receipts.take_from_outbox(&entry.key, owner).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(key = %entry.key, error = %e, "cannot take an outbox alert");
                continue;
            }
        }
        match alerts.publish(&alert, dest).await {
            Ok(()) => {
                sent += 1;
                tracing::info!(alert = alert.kind.as_str(), alert_id = %alert.alert_id, dest = dest.as_str(), "alert from the outbox sent");
                if let Err(e) = receipts.sent_from_outbox(&entry.key).await {
                    tracing::warn!(alert_id = %alert.alert_id, error = %e, "sent alert stays in the outbox; it may be sent again with the same alert_id");
                }
            }
            Err(e) => {
                tracing::warn!(alert_id = %alert.alert_id, dest = dest.as_str(), error_code = %e.code, error = %e, "outbox alert still not published");
                let _ = receipts.free_in_outbox(&entry.key, owner).await;
            }
        }
    }
    sent
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
