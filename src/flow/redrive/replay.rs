//! How a message is replayed (the port), in this process or by the
//! deployed function, and what a function's answer means. The message's
//! input is what `dispatch` takes (an EventBridge event, or a one-record
//! SQS batch); the answer is `dispatch`'s, whichever ran it.

use std::future::Future;

use serde_json::{json, Value};

use crate::adapters::aws::lambda::Function;
use crate::domain::trigger::StackSetAdmin;
use crate::flow::dispatch::{dispatch, Answer};
use crate::flow::reactor::Reactor;

/// Hands one message's input to the handler and brings back its answer.
pub trait Replayer {
    fn replay(&self, input: &Value, request_id: &str) -> impl Future<Output = Answer> + Send;
}

/// In this process, with these credentials: the handler `handle` runs
/// (it needs what the function needs, a way into each member account too).
pub struct InProcess<'a>(pub &'a Reactor);

impl InProcess<'_> {
    /// Why this process cannot judge `input` as the function would (`None`:
    /// it can): a stack-instance event needs the member StackSet's
    /// administrator, which the function is given
    /// (`RUNAS_GUARD_STACKSET_ADMIN_ACCOUNT`) and this machine may not
    /// know. Such an event would be answered `ignored` here and deleted,
    /// and the vend it stands for would never run: it stays in its queue.
    pub async fn cannot_judge(&self, input: &Value) -> Option<String> {
        if !crate::domain::trigger::is_stack_instance(input) {
            return None;
        }
        let why = match self.0.stack_set_for(input).await.admin {
            StackSetAdmin::Account(_) => return None,
            StackSetAdmin::Unknown(why) => why,
            StackSetAdmin::Unchecked => "not looked up".into(),
        };
        Some(format!(
            "kept: this process does not know the member StackSet's administrator ({why}), so it would ignore the event; replay it through the function (--stack or --function), or set RUNAS_GUARD_STACKSET_ADMIN_ACCOUNT"
        ))
    }
}

impl Replayer for InProcess<'_> {
    fn replay(&self, input: &Value, request_id: &str) -> impl Future<Output = Answer> + Send {
        dispatch(self.0, input, request_id)
    }
}

/// Lambda's refusal of an operator request over the operator function's
/// reserved concurrency: refused at once, never queued.
pub const BUSY: &str = "refused: the operator function already runs as many operator requests as its reserved concurrency allows (the hub stack's OperatorConcurrency, 3 by default; events run in the events function and are never held up by them): ask again when one has finished";

/// The deployed function, through Lambda `Invoke`: it runs with its own
/// roles, and its answer is read as the handler's.
pub struct Deployed<'a>(pub &'a Function);

impl Replayer for Deployed<'_> {
    async fn replay(&self, input: &Value, _request_id: &str) -> Answer {
        let name = self.0.name();
        match self.0.invoke(input).await {
            Ok(out) => invoked(name, out.function_error.as_deref(), &out.payload),
            Err(e) if e.code == "TooManyRequestsException" => {
                tracing::warn!(function = %name, error_code = %e.code, "the operator function is at its concurrency");
                unreached(name, BUSY)
            }
            Err(e) => {
                tracing::error!(function = %name, error_code = %e.code, error = %e, "cannot invoke the function");
                unreached(name, &e.to_string())
            }
        }
    }
}

/// The function's answer to a RequestResponse invocation, as the handler's:
/// Lambda sets `function_error` when the handler failed (its payload is
/// the runtime's `errorMessage`), and otherwise the payload is the
/// handler's own JSON answer (a rejected event answers without failing).
pub fn invoked(function: &str, function_error: Option<&str>, payload: &[u8]) -> Answer {
    let parsed: Option<Value> = serde_json::from_slice(payload).ok();
    if let Some(kind) = function_error {
        let said = parsed
            .as_ref()
            .and_then(|p| p.get("errorMessage"))
            .and_then(Value::as_str)
            .map_or_else(|| shown_bytes(payload), str::to_string);
        return failed(format!("the function {function} failed ({kind}): {said}"));
    }
    match parsed {
        Some(body) if body.is_object() => {
            let rejected = match body.get("result").and_then(Value::as_str) {
                Some("rejected") => Some(
                    (body.get("reason").and_then(Value::as_str))
                        .unwrap_or("rejected by the function")
                        .to_string(),
                ),
                _ => None,
            };
            Answer {
                body,
                failed: false,
                rejected,
            }
        }
        _ => failed(format!(
            "the function {function} answered something that is not the handler's JSON answer: {}",
            shown_bytes(payload)
        )),
    }
}

/// The invocation itself failed (refused, throttled, not found): the
/// message was not handled.
pub fn unreached(function: &str, error: &str) -> Answer {
    failed(format!("cannot invoke the function {function}: {error}"))
}

fn failed(reason: String) -> Answer {
    Answer {
        body: json!({"result": "failed", "reason": reason}),
        failed: true,
        rejected: None,
    }
}

fn shown_bytes(payload: &[u8]) -> String {
    let text = String::from_utf8_lossy(payload);
    let text = text.trim();
    match text.chars().count() {
        0 => "(nothing)".into(),
        n if n > 200 => format!(
            "{}... ({n} characters)",
            text.chars().take(200).collect::<String>()
        ),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::redrive::{got, Got, Shape};

    const F: &str = "runas-guard";

    #[test]
    fn a_function_answer_reads_as_the_handlers() {
        // (function error, payload, what a replay of an event got, reason has)
        let rows: [(Option<&str>, &[u8], Got, &str); 9] = [
            (None, br#"{"result":"done","trigger":{}}"#, Got::Done, ""),
            (
                None,
                br#"{"result":"duplicate","reason":"seen"}"#,
                Got::Duplicate,
                "seen",
            ),
            (
                None,
                br#"{"result":"ignored","reason":"not ours"}"#,
                Got::Ignored,
                "not ours",
            ),
            (
                None,
                br#"{"result":"rejected","reason":"no detail"}"#,
                Got::Rejected,
                "no detail",
            ),
            (
                Some("Unhandled"),
                br#"{"errorType":"&str","errorMessage":"AccessDenied on AssumeRole"}"#,
                Got::Failed,
                "the function runas-guard failed (Unhandled): AccessDenied on AssumeRole",
            ),
            (Some("Unhandled"), b"", Got::Failed, "(nothing)"),
            (Some("Handled"), b"not json", Got::Failed, "not json"),
            (
                None,
                b"null",
                Got::Failed,
                "not the handler's JSON answer: null",
            ),
            (None, b"[1,2]", Got::Failed, "[1,2]"),
        ];
        for (error, payload, want, reason) in rows {
            let a = invoked(F, error, payload);
            let (result, said) = got(Shape::Event, &a.body, a.failed, a.rejected.as_deref());
            assert_eq!(
                result,
                want,
                "{error:?} {:?}",
                String::from_utf8_lossy(payload)
            );
            assert!(said.contains(reason), "{reason:?} in {said:?}");
        }
    }

    #[test]
    fn a_sweep_queue_message_reads_its_batch_answer() {
        let back = invoked(
            F,
            None,
            br#"{"batchItemFailures":[{"itemIdentifier":"m-1"}]}"#,
        );
        let (result, _) = got(Shape::SweepAccount, &back.body, back.failed, None);
        assert_eq!(result, Got::Failed);
        let done = invoked(F, None, br#"{"batchItemFailures":[]}"#);
        let (result, _) = got(Shape::SweepAccount, &done.body, done.failed, None);
        assert_eq!(result, Got::Done);
    }

    #[test]
    fn a_long_answer_is_cut_and_an_unreachable_function_fails() {
        let long = vec![b'x'; 5000];
        let a = invoked(F, Some("Unhandled"), &long);
        let reason = a.body["reason"].as_str().unwrap();
        assert!(reason.contains("(5000 characters)"), "{reason}");
        assert!(reason.len() < 400);
        let u = unreached(F, "Invoke failed: AccessDeniedException: not allowed");
        assert!(u.failed && u.rejected.is_none());
        assert_eq!(
            u.body["reason"],
            "cannot invoke the function runas-guard: Invoke failed: AccessDeniedException: not allowed"
        );
    }
}
