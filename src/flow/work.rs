//! What a worker hands back to the wrapper: the outcome, the alerts it
//! decided and the accounts still to record. Decided, not yet recorded or
//! published.

use crate::domain::alert::Alert;
use crate::domain::aws_error::AwsError;
use crate::domain::outcome::Outcome;
use crate::flow::account::Uncommitted;

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
    pub uncommitted: Vec<Uncommitted>,
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
    /// Not this run's business, and why (answered `ignored`).
    pub fn ignored(mut outcome: Outcome, why: String) -> Work {
        outcome.result = crate::domain::outcome::Handled::Ignored;
        outcome.reason = why;
        Work::answered(outcome)
    }

    pub fn error(mut outcome: Outcome, e: &AwsError) -> Work {
        tracing::error!(outcome = "failed", error_code = %e.code, error = %e, "work failed");
        outcome.reason = e.to_string();
        Work {
            failed: true,
            ..Work::answered(outcome)
        }
    }
}
