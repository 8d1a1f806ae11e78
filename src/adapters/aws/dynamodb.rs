//! DynamoDB: the hub table's client and the attribute helpers items are
//! built with. What is stored, under which key and with which condition, is
//! `crate::adapters::store`'s, one file per kind of item; nothing here knows a key.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, WriteRequest};

use super::AwsError;

mod transact;
pub(crate) use transact::{Reason, Transacted};

pub type Item = HashMap<String, AttributeValue>;

/// Calls one `BatchWriteItem` gets for what DynamoDB leaves unprocessed.
const BATCH_ATTEMPTS: u32 = 5;

/// A `BatchWriteItem` put of `item` ([`Table::put_all`]).
pub(crate) fn put_request(item: Item) -> WriteRequest {
    let put = aws_sdk_dynamodb::types::PutRequest::builder()
        .set_item(Some(item))
        .build()
        .expect("item is set");
    WriteRequest::builder().put_request(put).build()
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn get_s(item: &Item, key: &str) -> Option<String> {
    item.get(key).and_then(|v| v.as_s().ok()).cloned()
}

pub(crate) fn get_n(item: &Item, key: &str) -> Option<i64> {
    item.get(key)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

/// The hub's table: client, name, and the region errors are reported in.
#[derive(Clone)]
pub struct Table {
    pub(crate) client: aws_sdk_dynamodb::Client,
    pub(crate) name: String,
    pub(crate) region: String,
}

impl Table {
    /// An `UpdateItem` on the item at `key`.
    pub(crate) fn update_at(
        &self,
        key: [(&'static str, AttributeValue); 2],
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        let [(k1, v1), (k2, v2)] = key;
        self.client
            .update_item()
            .table_name(&self.name)
            .key(k1, v1)
            .key(k2, v2)
    }

    pub fn new(config: &aws_config::SdkConfig, name: &str) -> Self {
        Self::with_quota(config, name, &super::retry_quota::RetryQuota::default())
    }

    /// [`Table::new`], its retries drawn from the process's `quota`.
    pub fn with_quota(
        config: &aws_config::SdkConfig,
        name: &str,
        quota: &super::retry_quota::RetryQuota,
    ) -> Self {
        let region = super::home_region(config);
        let conf = aws_sdk_dynamodb::config::Builder::from(config)
            .retry_partition(quota.partition("dynamodb", &region))
            .build();
        Table {
            client: aws_sdk_dynamodb::Client::from_conf(conf),
            name: name.to_string(),
            region,
        }
    }

    /// The error names the table (and the variable that set it): a wrong or
    /// missing table is the hub's problem, not a member account's.
    pub(crate) fn err<E, R>(
        &self,
        op: &'static str,
        account: &str,
        e: &aws_sdk_dynamodb::error::SdkError<E, R>,
    ) -> AwsError
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let mut err = AwsError::new(op, account, &self.region, e);
        err.message = format!("table {} (RUNAS_GUARD_TABLE): {}", self.name, err.message);
        err
    }

    /// One item read consistently (after a conditional write lost, what
    /// the winner wrote); empty when there is none.
    pub(crate) async fn item(
        &self,
        key: [(&'static str, AttributeValue); 2],
        account: &str,
    ) -> Result<Item, AwsError> {
        let [(k1, v1), (k2, v2)] = key;
        let out = self
            .client
            .get_item()
            .table_name(&self.name)
            .key(k1, v1)
            .key(k2, v2)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.err("GetItem", account, &e))?;
        Ok(out.item.unwrap_or_default())
    }

    /// A conditional write's answer: its output when written, `None` when
    /// its condition did not hold (another run got there first).
    pub(crate) fn applied<T, E, R>(
        &self,
        op: &'static str,
        account: &str,
        sent: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
    ) -> Result<Option<T>, AwsError>
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        match sent {
            Ok(out) => Ok(Some(out)),
            Err(e)
                if aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&e)
                    == Some("ConditionalCheckFailedException") =>
            {
                Ok(None)
            }
            Err(e) => Err(self.err(op, account, &e)),
        }
    }

    /// An `UpdateItem`'s answer when it asked for the item on refusal
    /// (`ReturnValuesOnConditionCheckFailure=ALL_OLD`): its output when
    /// written, or the item as the refusal found it (empty when there was
    /// none). Who holds what is in the refusal itself, so no second read
    /// is needed, nor can one fail after the refusal.
    pub(crate) fn updated_or_refused<R>(
        &self,
        account: &str,
        sent: Result<
            aws_sdk_dynamodb::operation::update_item::UpdateItemOutput,
            aws_sdk_dynamodb::error::SdkError<
                aws_sdk_dynamodb::operation::update_item::UpdateItemError,
                R,
            >,
        >,
    ) -> Result<Result<aws_sdk_dynamodb::operation::update_item::UpdateItemOutput, Item>, AwsError>
    where
        R: std::fmt::Debug + 'static,
    {
        use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
        match sent {
            Ok(out) => Ok(Ok(out)),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(refused)) => {
                    Ok(Err(refused.item.clone().unwrap_or_default()))
                }
                _ => Err(self.err("UpdateItem", account, &e)),
            },
        }
    }

    /// Puts every item, 25 per `BatchWriteItem` (its limit), sending again
    /// what DynamoDB leaves unprocessed, with a growing pause. `what` names
    /// the items in the error (`history row(s)`), `account` whose they are.
    pub(crate) async fn put_all(
        &self,
        requests: Vec<WriteRequest>,
        account: &str,
        what: &str,
    ) -> Result<(), AwsError> {
        for chunk in requests.chunks(25) {
            let mut pending = chunk.to_vec();
            for attempt in 0..BATCH_ATTEMPTS {
                if pending.is_empty() {
                    break;
                }
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
                }
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.name, pending)
                    .send()
                    .await
                    .map_err(|e| self.err("BatchWriteItem", account, &e))?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.name))
                    .unwrap_or_default();
            }
            if !pending.is_empty() {
                return Err(AwsError {
                    operation: "BatchWriteItem",
                    account: account.to_string(),
                    region: self.region.clone(),
                    code: "UnprocessedItems".into(),
                    message: format!(
                        "table {}: {} {what} left unwritten after {BATCH_ATTEMPTS} attempts",
                        self.name,
                        pending.len()
                    ),
                });
            }
        }
        Ok(())
    }
}
