//! DynamoDB state: one item per account-region (which also carries the
//! write lease, see `lease.rs`), and history rows. Keys and attributes are
//! docs/design.md's "State" contract. Every write is safe to repeat: the SDK
//! retries calls whose answers were lost.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use super::lease::RegionGrant;
pub use super::orphan::{orphan_in, Orphan};
use super::update::{changed_nothing, quiet_update_keeping_status, record_update, Update};
use crate::adapters::aws::dynamodb::{n, s, Item, Table};
use crate::adapters::store::keys::{account_pk, state_shard};
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::put_back::Mark;
use crate::domain::records::{HistoryRow, Observation};
use aws_sdk_dynamodb::types::{AttributeValue, WriteRequest};

/// How long a history row is kept when nobody says otherwise
/// (`RUNAS_GUARD_HISTORY_RETENTION_DAYS`, `domain::config`).
pub const DEFAULT_HISTORY_TTL: Duration =
    Duration::from_secs(crate::domain::config::DEFAULT_HISTORY_RETENTION_DAYS * 86_400);

fn history_put(row: &HistoryRow, at: SystemTime, retention: Duration) -> WriteRequest {
    let mut item: Item = HashMap::new();
    let mut put = |k: &str, v: AttributeValue| {
        item.insert(k.to_string(), v);
    };
    // Two documents changed by one trigger in one region are two rows.
    let hash = match &row.document {
        None => crate::domain::ids::stable_id(&[&row.trigger_id]),
        Some(d) => crate::domain::ids::stable_id(&[&row.trigger_id, d]),
    };
    let trigger = &hash[..8];
    put("pk", s(account_pk(&row.account)));
    put(
        "sk",
        s(format!(
            "HISTORY#{}#{}#{trigger}",
            clock::iso(at),
            row.region
        )),
    );
    put("account", s(&row.account));
    put("region", s(&row.region));
    if let Some(d) = &row.document {
        put("document", s(d));
    }
    put("status", s(&row.status));
    put("action", s(&row.action));
    put("before", s(row.before.to_string()));
    put("after", s(row.after.to_string()));
    if let Some(a) = &row.actor {
        put("actor", s(a));
    }
    put("trigger_id", s(&row.trigger_id));
    put("trigger_kind", s(&row.trigger_kind));
    if let Some(v) = &row.versions_before {
        put("versions_before", s(v));
    }
    if let Some(v) = &row.version_after {
        put("version_after", s(v));
    }
    put("at", s(clock::iso(at)));
    put("ttl", n(clock::epoch_secs(at + retention)));
    crate::adapters::aws::dynamodb::put_request(item)
}

/// Per-account-region state items and history.
#[derive(Clone)]
pub struct StateStore {
    table: Table,
    /// How long history rows are kept (their TTL).
    retention: Duration,
}

impl StateStore {
    pub fn new(table: Table) -> Self {
        StateStore {
            table,
            retention: DEFAULT_HISTORY_TTL,
        }
    }

    /// History rows written from now on are kept for `retention`.
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    pub fn retention(&self) -> Duration {
        self.retention
    }

    pub fn table(&self) -> &Table {
        &self.table
    }

    /// Records one observation in one call, without reading first; releases
    /// the lease when `grant` is ours. Repeating it (a lost answer) changes
    /// nothing. Returns the intent of a run that died before recording its
    /// write here (found on the item as it was, or put back by this record
    /// where our take wrote over it), for [`Self::adopt`].
    pub async fn record(
        &self,
        o: &Observation,
        grant: Option<&RegionGrant>,
        reverted: bool,
    ) -> Result<Option<Orphan>, AwsError> {
        let now = clock::now();
        let mut result = self.send(o, record_update(o, grant, reverted, now)).await;
        if changed_nothing(o)
            && result
                .as_ref()
                .is_err_and(|e| e.is("ConditionalCheckFailedException"))
        {
            result = self
                .send(o, quiet_update_keeping_status(o, grant, now))
                .await;
        }
        match result {
            // The dead intent our take wrote over is back on the item.
            Ok(old) => Ok(orphan_in(&old, grant.map(|g| g.owner.as_str()), now)
                .or_else(|| grant.and_then(|g| g.dead.clone()))),
            Err(err) => {
                if err.is("ConditionalCheckFailedException") {
                    if grant.is_some_and(|g| g.keepalive.lost()) {
                        // Its renewals failed for a whole lease: the run that
                        // took over records the account-region; ours must not.
                        tracing::error!(outcome = "lease_lost", account = %o.account, region = %o.region, "the write lease was taken over before this run recorded its result");
                    } else {
                        // Our own retried call recorded it already.
                        tracing::debug!(account = %o.account, region = %o.region, "state already recorded");
                    }
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }

    /// Records the revert a dead run made (its intent, the document now at `version_after`):
    /// status, change count, tamper count, the default it replaced judged. Once: the intent is
    /// removed in the same conditional write, so of two runs that find it, one adopts. False when
    /// another run adopted it first.
    pub async fn adopt(&self, orphan: &Orphan, version_after: &str) -> Result<bool, AwsError> {
        let i = &orphan.intent;
        let now = clock::now();
        let mut update = self
            .table
            .update_region(&i.account, &i.slot())
            .condition_expression("intent = :intent")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":intent", s(&orphan.json))
            .expression_attribute_values(":st", s(i.status()))
            .expression_attribute_values(":action", s(i.outcome(version_after).action.as_str()))
            .expression_attribute_values(":version", s(version_after))
            .expression_attribute_values(
                ":version_at",
                s(format!("{version_after}@{}", clock::epoch_millis(now))),
            )
            .expression_attribute_values(":at", s(clock::iso(now)))
            .expression_attribute_values(":tid", s(&i.trigger_id))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1));
        update = update.expression_attribute_values(":shard", s(state_shard(&i.account)));
        // `version_at` with the version: a later run reads a recorded
        // version made after its record as another life's.
        let mut expression = "SET #st = :st, state_shard = :shard, last_action = :action, default_version = :version, version_at = :version_at, last_changed = :at, last_checked = :at, last_trigger_id = :tid, changes = if_not_exists(changes, :zero) + :one".to_string();
        if i.edited {
            let mut times = orphan.recent_reverts.clone();
            times.push(clock::epoch_secs(now));
            expression.push_str(", reverts_at = :reverts");
            update = update.expression_attribute_values(
                ":reverts",
                AttributeValue::L(times.into_iter().map(n).collect()),
            );
        }
        if let Some(actor) = &i.actor {
            expression.push_str(", last_actor = :actor");
            update = update.expression_attribute_values(":actor", s(actor));
        }
        // As the dead run's record would have (since 0.7.4: a switch's run told it again).
        if let Some(v) = i.replaced_out_of_policy() {
            expression.push_str(&format!(", judged_v{v} = :judged"));
            update = update.expression_attribute_values(":judged", n(clock::epoch_millis(now)));
        }
        expression.push_str(" REMOVE intent");
        match update.update_expression(expression).send().await {
            Ok(_) => Ok(true),
            Err(e) => {
                let err = self.table.err("UpdateItem", &i.account, &e);
                if err.is("ConditionalCheckFailedException") {
                    Ok(false)
                } else {
                    Err(err)
                }
            }
        }
    }

    /// An intent whose write did not land (or was overwritten since): there
    /// is nothing to adopt, only the note to remove.
    pub async fn drop_intent(&self, orphan: &Orphan) -> Result<(), AwsError> {
        let i = &orphan.intent;
        let result = self
            .table
            .update_region(&i.account, &i.slot())
            .update_expression("REMOVE intent")
            .condition_expression("intent = :intent")
            .expression_attribute_values(":intent", s(&orphan.json))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let err = self.table.err("UpdateItem", &i.account, &e);
                if err.is("ConditionalCheckFailedException") {
                    Ok(())
                } else {
                    Err(err)
                }
            }
        }
    }

    async fn send(&self, o: &Observation, u: Update) -> Result<Item, AwsError> {
        let mut update = self
            .table
            .update_region(&o.account, &o.slot())
            .update_expression(&u.expression)
            .set_condition_expression(u.condition.map(str::to_string))
            .expression_attribute_names("#region", "region");
        if u.expression.contains("#st") || u.condition.is_some_and(|c| c.contains("#st")) {
            update = update.expression_attribute_names("#st", "status");
        }
        // MODE is a DynamoDB reserved word.
        if u.expression.contains("#mode") {
            update = update.expression_attribute_names("#mode", "mode");
        }
        for (k, v) in u.values {
            update = update.expression_attribute_values(k, v);
        }
        update
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map(|out| out.attributes.unwrap_or_default())
            .map_err(|e| self.table.err("UpdateItem", &o.account, &e))
    }

    /// Keeps on the slot's item what was last sent to Security Hub for it
    /// (`domain::security_hub::Marks`, as JSON); the record leaves it be.
    pub async fn mark_findings(
        &self,
        account: &str,
        slot: &str,
        marks: &str,
    ) -> Result<(), AwsError> {
        let sent = self
            .table
            .update_region(account, slot)
            .update_expression("SET hub_findings = :marks, state_shard = :shard")
            .expression_attribute_values(":marks", s(marks))
            .expression_attribute_values(":shard", s(state_shard(account)))
            .send()
            .await;
        sent.map(|_| ())
            .map_err(|e| self.table.err("UpdateItem", account, &e))
    }

    /// Keeps on the slot's item a put-back whose editor is not yet named
    /// (`domain::unnamed::Mark`, as JSON), one per version replaced; a
    /// later one of the same version replaces it, and those of versions far
    /// below it go (no editor's event is that late), so the item stays
    /// bounded.
    pub async fn mark_unnamed(
        &self,
        account: &str,
        slot: &str,
        mark: &Mark,
    ) -> Result<(), AwsError> {
        let mut update = self
            .table
            .update_region(account, slot)
            .expression_attribute_names("#mark", mark.attribute())
            .expression_attribute_values(":mark", s(mark.to_json()));
        let below: Vec<u64> = mark
            .version
            .as_deref()
            .and_then(|v| v.parse::<u64>().ok())
            .map(|v| crate::domain::version_gap::judged_forgotten(&[v]))
            .unwrap_or_default();
        let mut expression = "SET #mark = :mark".to_string();
        for (i, v) in below.iter().enumerate() {
            expression.push_str(if i == 0 { " REMOVE " } else { ", " });
            expression.push_str(&format!("#old{i}"));
            update = update.expression_attribute_names(format!("#old{i}"), format!("unnamed_v{v}"));
        }
        let sent = update.update_expression(expression).send().await;
        sent.map(|_| ())
            .map_err(|e| self.table.err("UpdateItem", account, &e))
    }

    /// Takes the mark `stored` off the slot's item (its attribute and JSON,
    /// as the item held them), counting the edit as a revert (`reverts_at`,
    /// as an edit event's own put-back counts it): the reverts' times within
    /// the tamper window after it, or `None` when another run took it.
    pub async fn claim_unnamed(
        &self,
        account: &str,
        slot: &str,
        (attribute, stored): (&str, &str),
        now: SystemTime,
    ) -> Result<Option<Vec<i64>>, AwsError> {
        let sent = self
            .table
            .update_region(account, slot)
            .update_expression(
                "SET reverts_at = list_append(if_not_exists(reverts_at, :none), :now) REMOVE #mark",
            )
            .condition_expression("#mark = :mark")
            .expression_attribute_names("#mark", attribute)
            .expression_attribute_values(":mark", s(stored))
            .expression_attribute_values(":none", AttributeValue::L(vec![]))
            .expression_attribute_values(":now", AttributeValue::L(vec![n(clock::epoch_secs(now))]))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await;
        let Some(out) = self.table.applied("UpdateItem", account, sent)? else {
            return Ok(None);
        };
        let times = out
            .attributes
            .as_ref()
            .map(|item| super::item::recent_reverts(item, now))
            .unwrap_or_default();
        Ok(Some(times))
    }

    /// One row per change made or drift seen, all of one account's in one
    /// `BatchWriteItem` (25 at most per call; what DynamoDB leaves
    /// unprocessed is sent again). The key is time, region and the trigger:
    /// two triggers never share a row, and the same trigger's row written
    /// twice (a lost answer) is the same row.
    pub async fn add_history(&self, rows: &[HistoryRow], at: SystemTime) -> Result<(), AwsError> {
        let Some(first) = rows.first() else {
            return Ok(());
        };
        let puts = rows
            .iter()
            .map(|r| history_put(r, at, self.retention))
            .collect();
        self.table
            .put_all(puts, &first.account, "history row(s)")
            .await
    }
}
