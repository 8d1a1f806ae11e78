//! The Identity Center mapping's item in the hub's table
//! (`IDENTITY_CENTER#<instance>` / `MAPPING`): what was last seen, its
//! status, and which drift was reported by whom, so one change is told and
//! put back once whatever runs see it.

use std::time::{Duration, SystemTime};

use crate::adapters::aws::dynamodb::{get_n, get_s, n, s, Item, Table};
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::identity_center::keep::{News, Turn};
use crate::domain::identity_center::ABSENT;

/// How long the run that told a drift has to put it back before another
/// run may finish the job (longer than a read, a write and a record take).
const RESTORE_HOLD: Duration = Duration::from_secs(120);

/// One partition for every instance's item: `status` reads it without
/// knowing the policy.
const PK: &str = "IDENTITY_CENTER";

pub fn key(instance: &str) -> [(&'static str, aws_sdk_dynamodb::types::AttributeValue); 2] {
    let id = instance.rsplit('/').next().unwrap_or(instance);
    [("pk", s(PK)), ("sk", s(format!("MAPPING#{id}")))]
}

/// Every instance's recorded look (`status`), every page: a Query answers
/// at most 1 MB and says where to go on.
pub async fn recorded_all(table: &Table) -> Result<Vec<Recorded>, AwsError> {
    let mut pages = table
        .client
        .query()
        .table_name(&table.name)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", s(PK))
        .into_paginator()
        .send();
    let mut all = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| table.err("Query", "-", &e))?;
        all.extend(page.items().iter().map(recorded));
    }
    Ok(all)
}

fn recorded(item: &Item) -> Recorded {
    let some = |k: &str| get_s(item, k).filter(|v| !v.is_empty());
    Recorded {
        instance: get_s(item, "sk")
            .and_then(|k| k.strip_prefix("MAPPING#").map(str::to_string))
            .unwrap_or_default(),
        status: get_s(item, "status").unwrap_or_default(),
        observed: some("observed"),
        declared: some("declared"),
        actor: some("actor"),
        last_checked: some("checked_at"),
        last_changed: some("changed_at"),
        error: some("error"),
    }
}

/// What one look recorded.
#[derive(Debug, Clone)]
pub struct Look<'a> {
    pub status: &'static str,
    pub observed: String,
    pub declared: String,
    pub trigger_id: &'a str,
    pub trigger_kind: &'a str,
    pub actor: Option<&'a str>,
    pub error: Option<String>,
}

/// The item as `status` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Recorded {
    pub instance: String,
    pub status: String,
    pub observed: Option<String>,
    pub declared: Option<String>,
    pub actor: Option<String>,
    pub last_checked: Option<String>,
    pub last_changed: Option<String>,
    pub error: Option<String>,
}

pub struct MappingState {
    pub table: Table,
    pub instance: String,
    pub trigger_id: String,
}

impl MappingState {
    fn update(
        &self,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.table.update_at(key(&self.instance))
    }

    async fn item(&self) -> Result<Item, AwsError> {
        self.table.item(key(&self.instance), "-").await
    }

    /// Records a look where something differs from the item (a steady sweep's
    /// condition fails: nothing to write).
    pub async fn record(&self, look: &Look<'_>, at: SystemTime) -> Result<(), AwsError> {
        let at = clock::iso(at);
        let sent = self
            .update()
            .update_expression(
                "SET #st = :st, observed = :obs, declared = :dec, checked_at = :at, trigger_id = :tid, trigger_kind = :tk, actor = :actor, #err = :err, changed_at = :at",
            )
            .condition_expression(
                "attribute_not_exists(#st) OR #st <> :st OR observed <> :obs OR declared <> :dec OR #err <> :err",
            )
            .expression_attribute_names("#st", "status")
            .expression_attribute_names("#err", "error")
            .expression_attribute_values(":st", s(look.status))
            .expression_attribute_values(":obs", s(&look.observed))
            .expression_attribute_values(":dec", s(&look.declared))
            .expression_attribute_values(":at", s(&at))
            .expression_attribute_values(":tid", s(look.trigger_id))
            .expression_attribute_values(":tk", s(look.trigger_kind))
            .expression_attribute_values(":actor", s(look.actor.unwrap_or("")))
            .expression_attribute_values(":err", s(look.error.clone().unwrap_or_default()))
            .send()
            .await;
        self.table.applied("UpdateItem", "-", sent)?;
        Ok(())
    }
}

impl News for MappingState {
    async fn swap(&self, found: &str, restoring: bool, read_ms: i64) -> Result<Turn, AwsError> {
        let now = clock::epoch_millis(clock::now());
        let until = now + i64::try_from(RESTORE_HOLD.as_millis()).unwrap_or(i64::MAX);
        let sent = self
            .update()
            .update_expression(
                "SET reported_prev = if_not_exists(observed, :none), reported = :found, reported_by = :tid, restore_until = :until",
            )
            // Not the drift already told; and not a read that began before
            // this same mapping was put back (it saw the old drift).
            .condition_expression("(attribute_not_exists(reported) OR reported <> :found) AND NOT (restored_found = :found AND restored_at > :read)")
            .expression_attribute_values(":read", n(read_ms))
            .expression_attribute_values(":none", s(""))
            .expression_attribute_values(":found", s(found))
            .expression_attribute_values(":tid", s(&self.trigger_id))
            .expression_attribute_values(":until", n(if restoring { until } else { 0 }))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await;
        if let Some(out) = self.table.applied("UpdateItem", "-", sent)? {
            let before = out
                .attributes
                .as_ref()
                .and_then(|a| get_s(a, "reported_prev"));
            return Ok(Turn::Tell {
                before: before.filter(|b| !b.is_empty()),
            });
        }
        let item = self.item().await?;
        if get_s(&item, "reported_by").as_deref() == Some(self.trigger_id.as_str()) {
            // A retry of the run that told it (its answer was lost).
            let before = get_s(&item, "reported_prev").filter(|b| !b.is_empty());
            return Ok(Turn::Tell { before });
        }
        // Told and not put back: by a teller that did not finish in time, or
        // in alert mode (`restore_until` 0) before the policy said enforce.
        // A read older than the put-back, or a drift no longer reported,
        // leaves nothing to take over.
        let Some(pending) = get_n(&item, "restore_until") else {
            return Ok(Turn::Quiet);
        };
        if !restoring || pending >= now || get_s(&item, "reported").as_deref() != Some(found) {
            return Ok(Turn::Quiet);
        }
        // Take the job over, once.
        let taken = self
            .update()
            .update_expression("SET restore_until = :until")
            .condition_expression("restore_until = :seen AND reported = :found")
            .expression_attribute_values(":until", n(until))
            .expression_attribute_values(":seen", n(pending))
            .expression_attribute_values(":found", s(found))
            .send()
            .await;
        Ok(match self.table.applied("UpdateItem", "-", taken)? {
            Some(_) => Turn::Finish,
            None => Turn::Quiet,
        })
    }

    async fn settle(&self) -> Result<(), AwsError> {
        let sent = self
            .update()
            .update_expression("REMOVE reported, reported_by, reported_prev, restore_until")
            .condition_expression("attribute_exists(reported)")
            .send()
            .await;
        self.table.applied("UpdateItem", "-", sent)?;
        Ok(())
    }

    async fn restored(&self, found: &str) -> Result<(), AwsError> {
        let now = clock::epoch_millis(clock::now());
        let sent = self
            .update()
            .update_expression("SET restored_found = :found, restored_at = :now REMOVE reported, reported_by, reported_prev, restore_until")
            .condition_expression("reported = :found")
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":found", s(found))
            .send()
            .await;
        self.table.applied("UpdateItem", "-", sent)?;
        Ok(())
    }
}

/// The recorded mapping as JSON for an alert's `before` (`null` when absent
/// or never recorded).
pub fn before_json(recorded: Option<&str>) -> serde_json::Value {
    match recorded {
        None | Some(ABSENT) => serde_json::Value::Null,
        Some(m) => crate::domain::identity_center::recorded_json(m),
    }
}
