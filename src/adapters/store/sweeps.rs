//! A fanned-out sweep's bookkeeping, so it still sends one summary: the
//! sweep item knows how many accounts were queued; each account's message
//! stores its part and adds its id to the sweep's `finished` set (a set, so
//! a redelivered message counts once); whoever completes the set claims the
//! summary once and builds it from every part.

use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use crate::adapters::aws::dynamodb::{get_n, get_s, n, s, Table};
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

    /// Stores one account's part, then marks it finished. True when every
    /// queued account has finished (this one may be the last).
    pub async fn finish(
        &self,
        sweep_id: &str,
        account: &str,
        part: &str,
    ) -> Result<bool, AwsError> {
        self.put_part(sweep_id, account, part).await?;
        let out = self
            .update(sweep_id)
            .update_expression("ADD finished :me")
            .expression_attribute_values(":me", AttributeValue::Ss(vec![account.to_string()]))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| self.table.err("UpdateItem", account, &e))?;
        let item = out.attributes.unwrap_or_default();
        let finished = item
            .get("finished")
            .and_then(|v| v.as_ss().ok())
            .map_or(0, Vec::len);
        // No `expected`: the sweep was started by another version or its
        // item expired; never summarise on a guess.
        Ok(get_n(&item, "expected").is_some_and(|e| finished as i64 >= e))
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
