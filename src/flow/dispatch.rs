//! One Lambda input -> one JSON answer. Shared by the Lambda runtime and
//! `runas-guard handle`, so the CLI does exactly what the function does.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use serde_json::{json, Value};

use crate::domain::outcome::{Handled, Outcome};
use crate::domain::trigger;
use crate::flow::reactor::Reactor;
use crate::flow::sweep::SweepMessage;
use crate::flow::workers::pending::Reattempt;

pub struct Answer {
    pub body: Value,
    /// The invocation must fail (so Lambda retries) / the CLI exits 1.
    pub failed: bool,
    /// The input itself was unusable: CLI exit 2, Lambda answers without retry.
    pub rejected: Option<String>,
}

pub fn is_sqs_batch(input: &Value) -> bool {
    input
        .get("Records")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
        .and_then(|r| r.get("eventSource"))
        .and_then(Value::as_str)
        == Some("aws:sqs")
}

/// `request_id` names this delivery (the Lambda request id, or one the CLI
/// makes up) so a rejected event can be found again.
pub async fn dispatch(reactor: &Reactor, input: &Value, request_id: &str) -> Answer {
    if is_sqs_batch(input) {
        return sqs_batch(reactor, input).await;
    }
    let policy = reactor.policy();
    let check = policy.check_document.as_deref();
    let stack_set = reactor.stack_set_for(input).await;
    let trigger = match trigger::classify_governed(
        input,
        &policy.document_names(),
        check,
        &stack_set,
    ) {
        Ok(t) => t,
        Err(e) => {
            // A malformed event never succeeds on retry: answer, log, count
            // (metric filter on `outcome`), store, done.
            tracing::error!(outcome = "rejected", error = %e, "event rejected");
            if let Err(store) = reactor
                .record_rejection(request_id, &e.to_string(), input)
                .await
            {
                tracing::warn!(error_code = %store.code, error = %store, "cannot store the rejection");
            }
            return Answer {
                body: json!({"result": "rejected", "reason": e.to_string()}),
                failed: false,
                rejected: Some(e.to_string()),
            };
        }
    };
    let outcome = reactor.handle(trigger).await;
    Answer {
        // A degraded sweep completed its claim (a retry is a duplicate, so
        // it is told once) but is never a quiet success.
        failed: fails_invocation(outcome.result) || outcome.degraded.is_some(),
        body: serde_json::to_value(&outcome)
            .unwrap_or_else(|e| json!({"result": "failed", "reason": e.to_string()})),
        rejected: None,
    }
}

/// Whether the invocation fails (Lambda retries it and the `function-errors`
/// alarm counts it; the CLI exits 1): only when the work failed. A second
/// delivery of an event another run holds (`in_flight`) is no failure and
/// needs no retry of its own: the holder renews its claim while it works,
/// and if it dies or fails, its own delivery comes back (Lambda's retry of
/// an asynchronous invocation, then the on-failure queue; the sweep queue's
/// redelivery) and takes the claim over once the lease has run out.
pub fn fails_invocation(result: Handled) -> bool {
    result == Handled::Failed
}

/// One re-attempt of an account awaiting its member stack: handled as the
/// vend would be, under its own id. False when it must be redelivered.
async fn reattempt(reactor: &Reactor, id: &str, body: &str) -> bool {
    match Reattempt::parse(body) {
        Ok(r) => !redeliver(&reactor.handle(r.trigger()).await),
        Err(reason) => {
            tracing::error!(outcome = "rejected", message_id = %id, error = %reason, "re-attempt message rejected");
            false
        }
    }
}

/// Whether a re-attempt's message must come back: another run holds the
/// account (in flight), or the run failed before reaching it. A run that
/// reached the account and failed there (the window closed) has told
/// on-call once; the sweeps keep trying, and a redelivery would only repeat
/// the alert into the dead-letter queue.
fn redeliver(outcome: &Outcome) -> bool {
    match outcome.result {
        Handled::InFlight => true,
        Handled::Failed => outcome.accounts.is_empty(),
        _ => false,
    }
}

/// Fanned-out sweep: one account per message; a bad or failed message is
/// reported alone so the rest of the batch is not redelivered.
async fn sqs_batch(reactor: &Reactor, input: &Value) -> Answer {
    let event: SqsEvent = match serde_json::from_value(input.clone()) {
        Ok(e) => e,
        Err(e) => {
            let reason = format!("SQS event is not valid: {e}");
            tracing::error!(outcome = "rejected", error = %reason, "event rejected");
            return Answer {
                body: json!({"result": "rejected", "reason": reason}),
                failed: false,
                rejected: Some(reason),
            };
        }
    };
    let mut response = SqsBatchResponse::default();
    for record in &event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let body = record.body.as_deref().unwrap_or_default();
        if Reattempt::is_one(body) {
            if !reattempt(reactor, &id, body).await {
                response.add_failure(id);
            }
            continue;
        }
        let parsed = SweepMessage::parse(body);
        let message = match parsed {
            Ok(m) => m,
            Err(reason) => {
                tracing::error!(outcome = "rejected", message_id = %id, error = %reason, "sweep message rejected");
                response.add_failure(id);
                continue;
            }
        };
        // Failed regions are in the account's part of the summary and the
        // next sweep retries them: redelivering the message would only repeat
        // them into the dead-letter queue.
        match reactor.sweep_one(&message).await {
            // Never a quiet success: the message fails (and is counted).
            Ok(report) if report.alerts_lost > 0 => {
                tracing::error!(outcome = "alert_lost", message_id = %id, account = %message.account, lost = report.alerts_lost, "sweep message's alerts neither published nor kept");
                response.add_failure(id);
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(outcome = "remediation_failed", account = %message.account, error_code = %e.code, error = %e, "sweep message failed");
                response.add_failure(id);
            }
        }
    }
    // Exactly the shape Lambda's event source mapping reads, nothing more.
    let body = serde_json::to_value(&response).unwrap_or(Value::Null);
    Answer {
        body,
        failed: false,
        rejected: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::outcome::AccountReport;

    #[test]
    fn only_a_failed_run_fails_the_invocation() {
        for (result, fails) in [
            (Handled::Done, false),
            (Handled::Ignored, false),
            (Handled::Duplicate, false),
            (Handled::Coalesced, false),
            (Handled::InFlight, false),
            (Handled::FannedOut, false),
            (Handled::Failed, true),
        ] {
            assert_eq!(fails_invocation(result), fails, "{result:?}");
        }
    }

    #[test]
    fn a_reattempt_comes_back_only_when_it_did_not_reach_the_account() {
        let reached = AccountReport {
            account: "210987654321".into(),
            name: None,
            ou_path: None,
            desired_user: None,
            rule: None,
            role: None,
            packed_policy_size: None,
            mode: None,
            left_governance: None,
            regions: vec![],
            alerts_lost: 0,
            security_hub: None,
        };
        for (result, accounts, back) in [
            (Handled::Done, false, false),
            (Handled::Duplicate, false, false),
            (Handled::Coalesced, false, false),
            (Handled::Ignored, false, false),
            (Handled::FannedOut, false, false),
            (Handled::InFlight, false, true),
            (Handled::InFlight, true, true),
            (Handled::Failed, false, true),
            (Handled::Failed, true, false),
        ] {
            let mut o = Outcome::new(Value::Null, result, "");
            if accounts {
                o.accounts.push(reached.clone());
            }
            assert_eq!(redeliver(&o), back, "{result:?}, reached: {accounts}");
        }
    }
}
