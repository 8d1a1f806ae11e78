//! Whether the declared Identity Center mapping could be looked at
//! (`IDENTITY_CENTER_LOOK` / `LAST`): a look that cannot run (wrong region,
//! `IdentityCenterAccess=None`, AccessDenied) is told once per transition,
//! not once per sweep, and its end is noticed.

use crate::adapters::aws::dynamodb::{s, Table};
use crate::domain::aws_error::AwsError;
use crate::domain::clock;

fn key() -> [(&'static str, aws_sdk_dynamodb::types::AttributeValue); 2] {
    [("pk", s("IDENTITY_CENTER_LOOK")), ("sk", s("LAST"))]
}

/// The look failed with `code`: true for the run that records the change
/// (first failure, or another code than the last), which tells it.
pub async fn failed(table: &Table, code: &str) -> Result<bool, AwsError> {
    let sent = table
        .update_at(key())
        .update_expression("SET failing = :code, failing_since = :now")
        .condition_expression("attribute_not_exists(failing) OR failing <> :code")
        .expression_attribute_values(":code", s(code))
        .expression_attribute_values(":now", s(clock::iso(clock::now())))
        .send()
        .await;
    Ok(table.applied("UpdateItem", "-", sent)?.is_some())
}

/// The look ran: true when it had been failing (it works again).
pub async fn ran(table: &Table) -> Result<bool, AwsError> {
    let sent = table
        .update_at(key())
        .update_expression("REMOVE failing, failing_since")
        .condition_expression("attribute_exists(failing)")
        .send()
        .await;
    Ok(table.applied("UpdateItem", "-", sent)?.is_some())
}
