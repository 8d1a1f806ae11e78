//! What a worker hands back to the wrapper: what it says of its trigger,
//! the alerts it decided and the accounts still to record; or why it
//! stopped. Decided, not yet recorded or published. A worker returns it as
//! a value; the route alone turns it into the trigger's outcome
//! ([`Work::of`]), as a reconciler returns its result and one error policy
//! answers for every worker.

use crate::domain::alert::Alert;
use crate::domain::aws_error::AwsError;
use crate::domain::outcome::{Handled, Outcome};
use crate::flow::account::{Refused, Uncommitted};

/// Whether an alert the topic refused fails the input. Either way it waits
/// in the outbox for the next run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Home {
    /// An event: it fails, so Lambda's retry (a minute later) publishes it.
    #[default]
    Claim,
    /// A sweep (which no redelivery repeats): it does not fail for that.
    Outbox,
}

/// What a worker did: decided, not yet recorded or published.
#[derive(Default)]
pub struct Work {
    /// What the worker says of its trigger. An empty `reason` leaves the
    /// classifier's; `trigger` is the route's to fill.
    pub outcome: Outcome,
    pub alerts: Vec<Alert>,
    /// Accounts to record once their alerts are kept.
    pub uncommitted: Vec<Uncommitted>,
    /// The work itself failed: the event must be retried.
    pub failed: bool,
    pub home: Home,
}

/// Why a worker stopped before its work.
#[derive(Debug)]
pub enum Stop {
    /// Not this run's business, and why (answered `ignored`), with what it
    /// found to tell all the same (a departure from governance).
    Ignored(String, Vec<Alert>),
    /// The work could not start or go on (Organizations unreachable, a
    /// write refused): the event is retried.
    Failed(AwsError),
}

impl From<AwsError> for Stop {
    fn from(e: AwsError) -> Stop {
        Stop::Failed(e)
    }
}

impl From<Refused> for Stop {
    fn from(r: Refused) -> Stop {
        match r {
            Refused::Ignored(why, alerts) => Stop::Ignored(why, alerts),
            Refused::Failed(e) => Stop::Failed(e),
        }
    }
}

/// A worker's answer.
pub type Worked = Result<Work, Stop>;

impl Work {
    /// The trigger's outcome as the classifier left it (`classified`), with
    /// what the worker did: its reason where it has one, its accounts,
    /// alerts and records.
    pub fn of(classified: Outcome, worked: Worked) -> Work {
        match worked {
            Ok(mut work) => {
                let said = std::mem::take(&mut work.outcome);
                work.outcome = Outcome {
                    trigger: classified.trigger,
                    reason: match said.reason.is_empty() {
                        true => classified.reason,
                        false => said.reason,
                    },
                    ..said
                };
                work
            }
            Err(Stop::Ignored(why, alerts)) => Work {
                outcome: Outcome {
                    result: Handled::Ignored,
                    reason: why,
                    ..classified
                },
                alerts,
                ..Work::default()
            },
            Err(Stop::Failed(e)) => {
                let work = Work::failed(&e);
                Work {
                    outcome: Outcome {
                        reason: work.outcome.reason,
                        ..classified
                    },
                    ..work
                }
            }
        }
    }

    /// A work that could not go on: logged, its reason the error, retried.
    pub fn failed(e: &AwsError) -> Work {
        Work {
            outcome: Outcome {
                reason: failed(e),
                ..Outcome::default()
            },
            failed: true,
            ..Work::default()
        }
    }
}

/// A failed work's log line, and its reason.
pub fn failed(e: &AwsError) -> String {
    tracing::error!(outcome = "failed", error_code = %e.code, error = %e, "work failed");
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn classified() -> Outcome {
        Outcome::new(json!({"kind": "account_vended"}), Handled::Done, "vended")
    }

    #[test]
    fn the_route_fills_what_the_worker_left() {
        let said = |reason: &str, result| Work {
            outcome: Outcome {
                reason: reason.into(),
                result,
                ..Outcome::default()
            },
            ..Work::default()
        };
        for (worked, result, reason, failed) in [
            (Ok(Work::default()), Handled::Done, "vended", false),
            (Ok(said("", Handled::Done)), Handled::Done, "vended", false),
            (
                Ok(said("swept 3", Handled::Done)),
                Handled::Done,
                "swept 3",
                false,
            ),
            (
                Ok(said("queued", Handled::FannedOut)),
                Handled::FannedOut,
                "queued",
                false,
            ),
            (
                Err(Stop::Ignored("out of scope".into(), vec![])),
                Handled::Ignored,
                "out of scope",
                false,
            ),
            (
                Err(Stop::from(AwsError {
                    operation: "ListParents",
                    account: "-".into(),
                    region: "us-east-1".into(),
                    code: "Throttling".into(),
                    message: "slow down".into(),
                })),
                Handled::Done,
                "Throttling: slow down",
                true,
            ),
        ] {
            let w = Work::of(classified(), worked);
            assert_eq!(w.outcome.trigger, json!({"kind": "account_vended"}));
            assert_eq!((w.outcome.result, w.failed), (result, failed), "{reason}");
            assert!(
                w.outcome.reason.contains(reason),
                "{} / {reason}",
                w.outcome.reason
            );
        }
    }
}
