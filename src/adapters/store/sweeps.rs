//! A fanned-out sweep's bookkeeping, so it still sends one summary: the
//! sweep item knows how many accounts were queued; each account's message
//! puts its part, only if the account has none yet, and adds one to the
//! sweep's `finished_count` in the same transaction (so a redelivered message
//! counts once); whoever completes the count claims the summary once and
//! builds it from every part.
//!
//! The count replaced a `finished` string set of account ids (before
//! 0.7.2): every account's `ADD` rewrote, and returned, an item that
//! grew with the organization, 130 KB at 10,000 accounts, so a sweep's write
//! units grew with the square of its accounts (the simulation's 10,000 x 17
//! sweep found it). A set an earlier version wrote is still counted.

use std::time::Duration;

use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};

use crate::adapters::aws::dynamodb::{get_n, get_s, n, s, Table, Transacted};
use crate::domain::aws_error::AwsError;
use crate::domain::clock;

const SWEEP_TTL: Duration = Duration::from_secs(14 * 86_400);

#[derive(Clone)]
pub struct Sweeps {
    table: Table,
}

fn pk(sweep_id: &str) -> AttributeValue {
    s(format!("SWEEP#{sweep_id}"))
}

impl Sweeps {
    pub fn new(table: Table) -> Self {
        Sweeps { table }
    }

    fn update(
        &self,
        sweep_id: &str,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.table
            .update_at([("pk", pk(sweep_id)), ("sk", s("SWEEP"))])
    }

    /// Before the messages go out: how many accounts will report.
    pub async fn start(&self, sweep_id: &str, expected: usize) -> Result<(), AwsError> {
        let now = clock::now();
        self.update(sweep_id)
            .update_expression("SET expected = :n, started_at = :at, #ttl = :ttl")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":n", n(expected as i64))
            .expression_attribute_values(":at", s(clock::iso(now)))
            .expression_attribute_values(":ttl", n(clock::epoch_secs(now + SWEEP_TTL)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.table.err("UpdateItem", "-", &e))
    }

    /// Stores one account's part and counts it finished, once: a
    /// redelivered message finds its part there and counts nothing. True
    /// when every queued account has finished (this one may be the last; a
    /// redelivery of the last asks again, as its first delivery may have
    /// died before the summary was claimed).
    pub async fn finish(
        &self,
        sweep_id: &str,
        account: &str,
        part: &str,
    ) -> Result<bool, AwsError> {
        let now = clock::now();
        let put = Put::builder()
            .table_name(&self.table.name)
            .item("pk", pk(sweep_id))
            .item("sk", s(format!("PART#{account}")))
            .item("part", s(part))
            .item("ttl", n(clock::epoch_secs(now + SWEEP_TTL)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| built(&self.table, "Put", account, e))?;
        let count = Update::builder()
            .table_name(&self.table.name)
            .key("pk", pk(sweep_id))
            .key("sk", s("SWEEP"))
            .update_expression("ADD finished_count :one")
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(|e| built(&self.table, "Update", account, e))?;
        self.count_once(sweep_id, account, put, count).await?;
        let item = self
            .table
            .item([("pk", pk(sweep_id)), ("sk", s("SWEEP"))], account)
            .await?;
        let legacy = item
            .get("finished")
            .and_then(|v| v.as_ss().ok())
            .map_or(0, Vec::len) as i64;
        let finished = get_n(&item, "finished_count").unwrap_or(0) + legacy;
        // No `expected`: the sweep was started by another version or its
        // item expired; never summarise on a guess.
        Ok(get_n(&item, "expected").is_some_and(|e| finished >= e))
    }

    /// The part's put and the count's add in one transaction. Every
    /// account's transaction adds to the one sweep item: at scale they
    /// conflict, and `transact` sends a conflicted one again. Refused only
    /// because the part is there: an earlier delivery counted it.
    async fn count_once(
        &self,
        sweep_id: &str,
        account: &str,
        put: Put,
        count: Update,
    ) -> Result<(), AwsError> {
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().update(count).build(),
        ];
        let Transacted::Refused(reasons) =
            self.table.transact(items, account, "sweep part").await?
        else {
            return Ok(());
        };
        let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
        if !counted_by_codes(&codes) {
            return Err(AwsError {
                operation: "TransactWriteItems",
                account: account.to_string(),
                region: self.table.region.clone(),
                code: "ConditionalCheckFailed".into(),
                message: format!(
                    "table {}: the sweep's count refused ({codes:?})",
                    self.table.name
                ),
            });
        }
        tracing::debug!(
            sweep = sweep_id,
            account,
            "a redelivered account: its part was counted before"
        );
        Ok(())
    }

    /// Stores a part of the summary under `key` (an account id, or a
    /// part the walking invocation adds), without counting it finished.
    pub async fn put_part(&self, sweep_id: &str, key: &str, part: &str) -> Result<(), AwsError> {
        let now = clock::now();
        self.table
            .client
            .put_item()
            .table_name(&self.table.name)
            .item("pk", pk(sweep_id))
            .item("sk", s(format!("PART#{key}")))
            .item("part", s(part))
            .item("ttl", n(clock::epoch_secs(now + SWEEP_TTL)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.table.err("PutItem", key, &e))
    }

    /// The right to publish the summary, once per sweep (a retried call of
    /// the same owner succeeds again).
    pub async fn claim_summary(&self, sweep_id: &str, owner: &str) -> Result<bool, AwsError> {
        let result = self
            .update(sweep_id)
            .update_expression("SET summarized_by = :me")
            .condition_expression("attribute_not_exists(summarized_by) OR summarized_by = :me")
            .expression_attribute_values(":me", s(owner))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) => {
                let err = self.table.err("UpdateItem", "-", &e);
                if err.is("ConditionalCheckFailedException") {
                    Ok(false)
                } else {
                    Err(err)
                }
            }
        }
    }

    /// Every stored part of the sweep.
    pub async fn parts(&self, sweep_id: &str) -> Result<Vec<String>, AwsError> {
        let mut parts = Vec::new();
        let mut pages = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .key_condition_expression("pk = :pk AND begins_with(sk, :part)")
            .expression_attribute_values(":pk", pk(sweep_id))
            .expression_attribute_values(":part", s("PART#"))
            .consistent_read(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.table.err("Query", "-", &e))?;
            parts.extend(page.items().iter().filter_map(|i| get_s(i, "part")));
        }
        Ok(parts)
    }
}

/// The cancellation reasons, in the transaction's order (the part's put,
/// then the count): only the put's condition refused.
fn counted_by_codes(codes: &[&str]) -> bool {
    matches!(codes, ["ConditionalCheckFailed", "None"])
}

/// A request the SDK would not build (a required member missing): never
/// sent, so said as the SDK's kind.
fn built(table: &Table, what: &str, account: &str, e: BuildError) -> AwsError {
    AwsError {
        operation: "TransactWriteItems",
        account: account.to_string(),
        region: table.region.clone(),
        code: "BuildError".into(),
        message: format!(
            "table {}: the sweep's {what} was not built: {e}",
            table.name
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::counted_by_codes;

    #[test]
    fn only_the_parts_condition_means_counted_before() {
        for (codes, want) in [
            (&["ConditionalCheckFailed", "None"][..], true),
            (&["None", "ConditionalCheckFailed"][..], false),
            (
                &["ConditionalCheckFailed", "ConditionalCheckFailed"][..],
                false,
            ),
            (&["ThrottlingError", "None"][..], false),
            (&["TransactionConflict", "None"][..], false),
            (&["None", "ValidationError"][..], false),
            (&["ConditionalCheckFailed"][..], false),
            (&[][..], false),
            (&["conditionalcheckfailed", "None"][..], false),
        ] {
            assert_eq!(counted_by_codes(codes), want, "{codes:?}");
        }
    }
}
