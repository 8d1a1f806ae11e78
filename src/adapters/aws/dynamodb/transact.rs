//! `TransactWriteItems` with its cancellations told apart. The SDK retries
//! throttling and 5xx, but never a `TransactionCanceledException`: a
//! transaction cancelled only because another request touched one of its
//! items at the same moment (`TransactionConflict`) or because an item was
//! throttled inside it says nothing about the items' conditions, so it is
//! sent again here; a condition that did not hold is an answer, returned
//! with every action's reason for the caller to decide.

use std::time::Duration;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;

use super::{Item, Table};
use crate::domain::aws_error::AwsError;

/// Sends of one transaction while it is cancelled for a transient reason.
pub(crate) const TRANSACT_ATTEMPTS: u32 = 5;

/// Why one action of a cancelled transaction did not apply, in the
/// transaction's order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reason {
    /// `None` for an action that did not fail, else DynamoDB's code
    /// (`ConditionalCheckFailed`, `TransactionConflict`, ...).
    pub code: String,
    /// The item as the refusal found it, where the action asked for it
    /// (`ReturnValuesOnConditionCheckFailure`).
    pub item: Option<Item>,
}

/// What a transaction came to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Transacted {
    Written,
    /// A condition did not hold: nothing was written.
    Refused(Vec<Reason>),
}

/// What a cancellation's reasons call for (pure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cancelled {
    /// An action's condition did not hold: final, whatever else happened.
    Refused,
    /// Only contention (another request on an item at the same time) or an
    /// item's throughput: the same transaction may well go through now.
    Transient,
    /// A request DynamoDB will refuse however often it is sent
    /// (`ValidationError`, an item collection too large, an unknown code).
    Invalid,
}

/// The reasons' verdict: a failed condition decides, then anything not
/// known to pass with time.
pub(crate) fn cancelled(codes: &[&str]) -> Cancelled {
    const TRANSIENT: [&str; 3] = [
        "TransactionConflict",
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
    ];
    if codes.contains(&"ConditionalCheckFailed") {
        return Cancelled::Refused;
    }
    let failing: Vec<&&str> = codes.iter().filter(|c| **c != "None").collect();
    if !failing.is_empty() && failing.iter().all(|c| TRANSIENT.contains(c)) {
        Cancelled::Transient
    } else {
        Cancelled::Invalid
    }
}

/// The pause before send `attempt` (1-based) of a transaction cancelled
/// for contention: short, growing, and bounded far below a run's deadline.
fn pause(attempt: u32) -> Duration {
    Duration::from_millis(20u64 << attempt.min(6))
}

impl Table {
    /// Sends `items` as one transaction, again while it is cancelled only
    /// for contention or throughput (at most [`TRANSACT_ATTEMPTS`] sends).
    /// `account` and `what` name the items in the error.
    pub(crate) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
        account: &str,
        what: &str,
    ) -> Result<Transacted, AwsError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let e = match sent {
                Ok(_) => return Ok(Transacted::Written),
                Err(e) => e,
            };
            let Some(TransactWriteItemsError::TransactionCanceledException(c)) =
                e.as_service_error()
            else {
                return Err(self.err("TransactWriteItems", account, &e));
            };
            let reasons: Vec<Reason> = c
                .cancellation_reasons()
                .iter()
                .map(|r| Reason {
                    code: r.code().unwrap_or("None").to_string(),
                    item: r.item().cloned(),
                })
                .collect();
            let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
            match cancelled(&codes) {
                Cancelled::Refused => return Ok(Transacted::Refused(reasons)),
                Cancelled::Transient if attempt < TRANSACT_ATTEMPTS => {
                    tracing::info!(account, what, attempt, reasons = ?codes, "transaction cancelled by contention; sending it again");
                    tokio::time::sleep(pause(attempt)).await;
                }
                Cancelled::Transient | Cancelled::Invalid => {
                    let mut err = self.err("TransactWriteItems", account, &e);
                    err.code = codes
                        .iter()
                        .find(|c| **c != "None")
                        .map_or("TransactionCanceledException", |c| c)
                        .to_string();
                    err.message = format!("{what}: {} (reasons {codes:?})", err.message);
                    return Err(err);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancellation_is_final_only_where_a_condition_failed_or_the_request_is_bad() {
        use Cancelled::*;
        let cases: &[(&[&str], Cancelled)] = &[
            (&["ConditionalCheckFailed", "None"], Refused),
            (&["None", "ConditionalCheckFailed"], Refused),
            // A condition decides even beside contention on another item.
            (&["TransactionConflict", "ConditionalCheckFailed"], Refused),
            (&["TransactionConflict", "None"], Transient),
            (&["None", "None", "TransactionConflict"], Transient),
            (&["ThrottlingError"], Transient),
            (
                &["ProvisionedThroughputExceeded", "TransactionConflict"],
                Transient,
            ),
            (&["ValidationError", "None"], Invalid),
            (&["TransactionConflict", "ValidationError"], Invalid),
            (&["ItemCollectionSizeLimitExceeded"], Invalid),
            // No reason, or none failing: nothing says a retry would help.
            (&[], Invalid),
            (&["None", "None"], Invalid),
            // Codes are matched exactly, as DynamoDB spells them.
            (&["transactionconflict"], Invalid),
            (&["conditionalcheckfailed"], Invalid),
        ];
        for (codes, want) in cases {
            assert_eq!(cancelled(codes), *want, "{codes:?}");
        }
    }

    #[test]
    fn the_pauses_grow_and_stay_short() {
        let total: Duration = (1..TRANSACT_ATTEMPTS).map(pause).sum();
        assert!(pause(1) < pause(2) && pause(2) < pause(3));
        assert!(total < Duration::from_secs(1), "{total:?}");
        assert_eq!(pause(40), pause(6), "bounded whatever the attempt");
    }
}
