//! At-least-once around one input: claim the event (owner token), let the
//! worker work, keep the decided alerts before anything else can fail
//! (`outbox`), record the results (`commit`), publish, then complete or
//! release the claim.

use std::collections::HashSet;

use serde_json::Value;

use crate::adapters::store::receipts::{Claim, Receipts};
use crate::adapters::store::state::StateStore;
use crate::adapters::store::vend::Vends;
use crate::domain::alert::{self, Alert};
use crate::domain::heartbeat::Keepalive;
use crate::domain::job::Job;
use crate::domain::outcome::{Handled, Outcome};
use crate::domain::records::{record_step, RecordStep};
use crate::domain::security_hub::Imports;
use crate::flow::commit::commit_all;
use crate::flow::configured;
use crate::flow::outbox::{all_sent, keep_first, publish_after, tidy, Delivered};
use crate::flow::publish::Alerts;
use crate::flow::work::{Home, Work};

/// A claimed event, with alerts an earlier attempt decided.
pub struct Delivery {
    event_id: String,
    owner: String,
    resumed: Vec<Alert>,
    /// An earlier attempt held the claim ([`Claim::Claimed`]).
    taken_over: bool,
    /// Keeps the claim for as long as the work runs (a sweep: minutes), so
    /// a second delivery meanwhile answers `in_flight` (a success) instead
    /// of running the same work beside this one.
    keepalive: Keepalive,
}

pub enum Claimed {
    Ours(Delivery),
    /// Duplicate, in flight elsewhere, or the claim itself failed.
    Answered(Outcome),
}

pub async fn claim(receipts: &Receipts, job: &Job, trigger: Value) -> Claimed {
    let t = &job.trigger;
    let answer = |result: Handled, reason: String| {
        Claimed::Answered(Outcome::new(trigger.clone(), result, reason))
    };
    match receipts
        .claim(&t.event_id, t.kind.as_str(), &job.owner)
        .await
    {
        Ok(Claim::Claimed {
            pending_alerts,
            taken_over,
        }) => {
            let resumed = pending_alerts
                .map(|json| serde_json::from_str::<Vec<Alert>>(&json))
                .transpose()
                .unwrap_or_else(|e| {
                    tracing::error!(outcome = "alert_lost", error = %e, "held alerts are unreadable");
                    None
                })
                .unwrap_or_default();
            Claimed::Ours(Delivery {
                event_id: t.event_id.clone(),
                owner: job.owner.clone(),
                resumed,
                taken_over,
                keepalive: receipts.keep_claim(&t.event_id, &job.owner),
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
            // Succeed: nothing is lost by it. The holder renews its claim
            // while it works; if it dies or fails, its own delivery comes
            // back (Lambda's retry, the on-failure queue, the sweep queue)
            // and takes the claim over once the lease runs out. Failing
            // here would page (`function-errors`) for a duplicate.
            tracing::info!(
                outcome = "in_flight",
                "event is being processed by another run"
            );
            answer(
                Handled::InFlight,
                format!(
                    "event {} is being processed by another run: that run finishes it, or its own delivery is retried",
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
    pub vends: &'a Vends,
    /// The run's view of Organizations (its caches).
    pub org: &'a crate::adapters::aws::organizations::Org,
    /// What a dead run's put-back found at the record needs to list its
    /// window's sessions and send its finding, as a sweep's record does.
    pub ctx: crate::flow::account::Ctx<'a>,
}

impl Delivery {
    /// Keeps the work's alerts, records its accounts, publishes, then
    /// completes or releases the claim.
    pub async fn finish(mut self, work: Work, job: &Job, fx: &Effects<'_>) -> Outcome {
        let Work {
            mut outcome,
            alerts,
            uncommitted,
            mut failed,
            home,
        } = work;
        let alerts = merge(std::mem::take(&mut self.resumed), alerts);
        let (once, alerts): (Vec<Alert>, Vec<Alert>) = alerts
            .into_iter()
            .partition(|a| alert::told_once(a, job.trigger.kind));
        // Kept in the outbox before published and before recorded: neither a
        // failed record nor a crash loses them, and a retry alone publishes
        // them. Kept, then recorded, not at once: a record landing while the
        // keep is retried is a record past a window nobody told, lost with a
        // run that dies then. What is told once is not kept first: [`configured`].
        let ((kept, committed, alerts), waiting, once) = tokio::join!(
            keep_then_record(fx, job, alerts, &uncommitted),
            fx.receipts.outbox(),
            configured::told_first(fx.vends, &job.trigger.event_id, once)
        );
        let unkept: HashSet<String> = once.iter().map(|a| a.alert_id.clone()).collect();
        let ours = [alerts, once].concat();
        let early: &[Alert] = committed.as_ref().map_or(&[], |c| &c.1);
        let attempts =
            publish_after(fx.receipts, fx.alerts, &job.owner, waiting, &ours, early).await;
        let (record_error, adopted, found) =
            recorded_found(fx, job, &uncommitted, committed, &attempts).await;
        if let Some(report) = outcome.accounts.first_mut() {
            Imports::join(&mut report.security_hub, found);
        }
        if let Some(e) = record_error {
            failed = true;
            outcome.reason = format!("result not recorded: {e}");
        }
        let known = all_sent(&attempts).filter(|_| adopted.is_empty());
        let kept = |a: &Alert| kept && !unkept.contains(&a.alert_id);
        let tidy = tidy(fx.receipts, fx.alerts, &job.owner, attempts, &kept, adopted);
        let (outcome, failed) = match known {
            // Every copy went out: the claim closes beside the outbox's
            // tidying (nothing there can change the outcome; a copy whose
            // removal does not land is sent again with its alert_id, as
            // when a run dies between publishing and removing it).
            Some(delivered) => {
                let (outcome, failed, lost) = conclude(outcome, failed, home, delivered);
                self.stop_renewing();
                let ((), _) = tokio::join!(self.close(fx, home, failed, lost, &outcome), tidy);
                (outcome, failed)
            }
            None => {
                let (outcome, failed, lost) = conclude(outcome, failed, home, tidy.await);
                self.stop_renewing();
                self.close(fx, home, failed, lost, &outcome).await;
                (outcome, failed)
            }
        };
        finished(outcome, failed)
    }

    /// Whether an earlier attempt of this event held its claim: a retry.
    pub fn taken_over(&self) -> bool {
        self.taken_over
    }

    /// The claim stops renewing before it is closed.
    fn stop_renewing(&mut self) {
        let keepalive = std::mem::take(&mut self.keepalive);
        if keepalive.lost() {
            tracing::warn!(event_id = %self.event_id, "the event claim was taken over while this run worked");
        }
    }

    /// Completes the claim, or releases it for the retry, with the alerts
    /// that neither SNS nor the outbox took (the retry publishes them; they
    /// are in the log whole as well, in case the claim cannot take them).
    async fn close(
        &self,
        fx: &Effects<'_>,
        home: Home,
        failed: bool,
        lost: Vec<Alert>,
        outcome: &Outcome,
    ) {
        for a in &lost {
            let json = serde_json::to_string(a).expect("alert serialises");
            tracing::error!(outcome = "alert_lost", alert_id = %a.alert_id, alert = %json, "alert neither published nor kept");
        }
        let closing = if failed && (home == Home::Claim || !lost.is_empty()) {
            let (status, alerts) = if lost.is_empty() {
                ("failed", None)
            } else {
                ("alerts_pending", Some(to_json(&lost)))
            };
            fx.receipts
                .release(&self.event_id, &self.owner, status, alerts.as_deref())
                .await
        } else if failed {
            fx.receipts
                .release(&self.event_id, &self.owner, "failed", None)
                .await
        } else if outcome.result == Handled::Ignored {
            // Nothing was done: the id is not used up, so the event put
            // right (or delivered again) under it is handled anew.
            fx.receipts
                .release(&self.event_id, &self.owner, "ignored", None)
                .await
        } else {
            let summary = format!("{:?}: {}", outcome.result, outcome.reason);
            fx.receipts
                .complete(&self.event_id, &self.owner, &summary)
                .await
        };
        if let Err(e) = closing {
            // A failed release is repaired by the claim lease running out.
            tracing::error!(error_code = %e.code, error = %e, "cannot close the event claim; the next delivery takes it after the lease");
        }
    }
}

/// What recording came to: its first error, and the alerts of dead runs
/// whose writes it adopted.
type Committed = (Option<String>, Vec<Alert>);

/// `alerts` kept in the outbox, then the accounts recorded; not recorded
/// yet (`None`) where the keep failed ([`record_step`]). Alerts that tell
/// facts on the ledger and were not kept are withheld (`tells_facts`), and
/// the run fails unrecorded: the third value is what it sends.
async fn keep_then_record(
    fx: &Effects<'_>,
    job: &Job,
    alerts: Vec<Alert>,
    uncommitted: &[crate::flow::account::Uncommitted],
) -> (bool, Option<Committed>, Vec<Alert>) {
    crate::flow::switch_kept::keep_switches(fx.state, job, uncommitted).await;
    let ledgered = crate::flow::outbox::ledger_writes(uncommitted);
    let kept = keep_first(fx.receipts, fx.alerts, &job.owner, (&alerts, &ledgered)).await;
    if !kept && crate::flow::outbox::tells_facts(&alerts, &ledgered) {
        let why = "alerts telling versions on the ledger could not be kept with it: not sent, the retry tells them";
        return (kept, Some((Some(why.into()), vec![])), vec![]);
    }
    match record_step(!alerts.is_empty(), kept, None) {
        RecordStep::Record => {
            let (error, adopted) = commit_all(fx.state, keeper(fx, job), job, uncommitted).await;
            (kept, Some((error.map(|e| e.to_string()), adopted)), alerts)
        }
        RecordStep::AfterPublishing | RecordStep::NotRecorded => (kept, None, alerts),
    }
}

/// Where a record keeps a dead run's alerts before it adopts that run's
/// write: the outbox, leased to this run. Until 0.7.4 an event's run kept
/// them only after the adoption had landed (removing the intent), so a run
/// that died in between lost them for good (simulation seed 35). This
/// run's own publishing leaves them out of its flush of the outbox
/// (`publish_after`), and `tidy` publishes and frees them once.
fn keeper<'a>(fx: &Effects<'a>, job: &'a Job) -> crate::flow::commit::Keeper<'a> {
    crate::flow::commit::Keeper {
        receipts: fx.receipts,
        alerts: fx.alerts,
        vends: fx.vends,
        owner: &job.owner,
        joined: crate::flow::account::adopted::Joined::Ask(fx.org),
    }
}

/// The record ([`recorded_after`]), and a dead run's put-back it found: its
/// alert lists its window's sessions and it is its `edit` finding, as a
/// sweep's record makes them.
async fn recorded_found(
    fx: &Effects<'_>,
    job: &Job,
    uncommitted: &[crate::flow::account::Uncommitted],
    committed: Option<Committed>,
    attempts: &[crate::flow::publish::Attempt],
) -> (Option<String>, Vec<Alert>, Option<Imports>) {
    let (error, adopted) = recorded_after(fx, job, uncommitted, committed, attempts).await;
    if adopted.is_empty() {
        return (error, adopted, None);
    }
    // Boxed: a rare path, whose future would otherwise swell every event's.
    let found = crate::flow::account::alerted::at_commit(&fx.ctx, job, None, adopted);
    let (adopted, found) = Box::pin(found).await;
    (error, adopted, found)
}

/// The record a failed keep held back, once the publishing is known
/// ([`record_step`]): made when every copy went out, else left to the retry.
async fn recorded_after(
    fx: &Effects<'_>,
    job: &Job,
    uncommitted: &[crate::flow::account::Uncommitted],
    committed: Option<Committed>,
    attempts: &[crate::flow::publish::Attempt],
) -> Committed {
    if let Some(done) = committed {
        return done;
    }
    match record_step(true, false, Some(all_sent(attempts).is_some())) {
        RecordStep::Record => {
            tracing::warn!("alerts not kept but published: recorded after them");
            let (error, adopted) = commit_all(fx.state, keeper(fx, job), job, uncommitted).await;
            (error.map(|e| e.to_string()), adopted)
        }
        RecordStep::AfterPublishing | RecordStep::NotRecorded => (
            Some("alerts neither kept in the outbox nor all published; the retry records".into()),
            vec![],
        ),
    }
}

/// The outcome as the delivery leaves it: whether the run failed, and the
/// alerts neither published nor kept.
fn conclude(
    mut outcome: Outcome,
    mut failed: bool,
    home: Home,
    delivered: Delivered,
) -> (Outcome, bool, Vec<Alert>) {
    outcome.alerts = delivered.sent.clone();
    if let Some(e) = &delivered.first_error {
        outcome.reason = format!("{} alert(s) not published: {e}", delivered.unsent);
    }
    failed |= home == Home::Claim && delivered.unsent > 0;
    // An alert neither published nor kept is never a quiet success: the
    // run fails (the CLI exits 1, Lambda retries the event, whose claim
    // carries the alert) and `AlertsLost` counts it.
    let accounts: usize = outcome.accounts.iter().map(|a| a.alerts_lost).sum();
    outcome.alerts_lost = delivered.lost.len() + accounts;
    if outcome.alerts_lost > 0 {
        failed = true;
        outcome.reason = format!(
            "{}; {} alert(s) neither published nor kept in the outbox",
            outcome.reason, outcome.alerts_lost
        );
    }
    if delivered.kept > 0 {
        outcome.reason = format!(
            "{}; {} alert(s) kept in the outbox for the next run",
            outcome.reason, delivered.kept
        );
    }
    (outcome, failed, delivered.lost)
}

fn finished(mut outcome: Outcome, failed: bool) -> Outcome {
    if failed {
        outcome.result = Handled::Failed;
        tracing::error!(outcome = "failed", reason = %outcome.reason, "event not fully handled");
    } else {
        tracing::info!(outcome = "done", result = ?outcome.result, "event handled");
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::alert::sample as alert;

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
