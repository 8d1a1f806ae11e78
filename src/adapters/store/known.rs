//! What the table already says, read once at the start of a sweep (a
//! parallel, projected Scan: a few calls for thousands of items), so a sweep
//! writes only where something changed: a steady-state sweep over a compliant
//! organization writes one item (its own time), not one per account-region.

use aws_sdk_dynamodb::types::AttributeValue;

use super::item::known;
use super::state::StateStore;
use crate::adapters::aws::dynamodb::{get_s, s, Item};
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::known::{Known, Snapshot};

/// Scan segments read at once.
const LAST_SWEEP: (&str, &str) = ("SWEEPS", "LAST");

fn slot_of(i: &Item) -> Option<String> {
    let region = get_s(i, "region")?;
    Some(crate::domain::outcome::slot(
        &region,
        get_s(i, "document").as_deref(),
    ))
}

/// What a sweep compares of each row: until 0.10.x the index's Query
/// projected these, and a sweep's decisions rest on reading no more. The
/// Query now reads whole items (a projection costs the same read units,
/// and DynamoDB has no wildcard to name them by) so that a sweep sees
/// the attributes 0.9.0 left behind (`domain::retired`) and removes them.
const SWEPT: &str = "account region document status desired_user observed_user \
    observed_run_as_enabled default_version last_error_code drift_seen_by drift_seen_value intent \
    lease_until nodes mode held held_since held_told ou_path hub_findings last_checked version_at latest_version looked \
    canary_token canary_written_ms canary_arrived_ms canary_missing_since_ms canary_unwritable";

/// A whole item read as a sweep reads it: the attributes it compares, and
/// the retired names of the whole item.
fn swept(i: &Item) -> Known {
    let compared: Item = i
        .iter()
        .filter(|(k, _)| SWEPT.split_whitespace().any(|n| n == k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // The judged versions and the kept switches too: a sweep is often the
    // first run that can read a document whose switch's every run failed
    // (`domain::version_gap::kept`), and judges it as any run would.
    let whole = known(i);
    Known {
        retired: crate::domain::retired::retired(i.keys()),
        switches: whole.switches,
        judged_default: whole.judged_default,
        ..known(&compared)
    }
}

impl StateStore {
    /// Every account-region item, the attributes `unchanged` compares only.
    pub async fn snapshot(&self) -> Result<Snapshot, AwsError> {
        let mut tasks = tokio::task::JoinSet::new();
        for shard in 0..crate::adapters::store::keys::STATE_SHARDS {
            let me = self.clone();
            tasks.spawn(async move { me.query_shard(shard).await });
        }
        let mut all = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let part = joined.map_err(|e| AwsError {
                operation: "Query",
                account: "-".into(),
                region: "-".into(),
                code: "InternalError".into(),
                message: e.to_string(),
            })??;
            all.extend(part);
        }
        Ok(all.into_iter().collect())
    }

    /// One account's account-region items (one Query), for a fanned-out
    /// sweep's single account.
    pub async fn snapshot_account(&self, account: &str) -> Result<Snapshot, AwsError> {
        let t = self.table();
        let mut out = Vec::new();
        let mut pages = t
            .client
            .query()
            .table_name(&t.name)
            .key_condition_expression("pk = :pk AND begins_with(sk, :region)")
            .expression_attribute_values(
                ":pk",
                s(crate::adapters::store::keys::account_pk(account)),
            )
            .expression_attribute_values(":region", s("REGION#"))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| t.err("Query", account, &e))?;
            for i in page.items() {
                if let Some(slot) = slot_of(i) {
                    out.push((account.to_string(), slot, known(i)));
                }
            }
        }
        Ok(out.into_iter().collect())
    }

    /// One slot's item alone (one consistent `GetItem`), as the account's
    /// rows would hold it: `None` when the table does not record the slot.
    /// A run whose Query of the rows failed reads its slots' records so.
    pub async fn slot_record(&self, account: &str, slot: &str) -> Result<Option<Known>, AwsError> {
        let t = self.table();
        let key = crate::adapters::store::keys::region_key(account, slot);
        let item = t.item(key, account).await?;
        Ok(slot_of(&item).map(|_| known(&item)))
    }

    /// One partition of the state index: state items only, never history.
    async fn query_shard(&self, shard: u32) -> Result<Vec<(String, String, Known)>, AwsError> {
        let t = self.table();
        let mut out = Vec::new();
        let mut pages = t
            .client
            .query()
            .table_name(&t.name)
            .index_name(crate::adapters::store::keys::STATE_INDEX)
            .key_condition_expression("state_shard = :shard")
            .expression_attribute_values(":shard", s(format!("STATE#{shard}")))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| t.err("Query", "-", &e))?;
            for i in page.items() {
                if let (Some(a), Some(slot)) = (get_s(i, "account"), slot_of(i)) {
                    out.push((a, slot, swept(i)));
                }
            }
        }
        Ok(out)
    }

    /// A whole-organization sweep's time, once: "last checked" of every
    /// account-region it did not need to write; and what it governed, under
    /// which policy, for the next sweep's check of itself.
    pub async fn sweep_done(&self, trigger_id: &str, done: &SweepDone) -> Result<(), AwsError> {
        let t = self.table();
        let count = |n: usize| AttributeValue::N(n.to_string());
        // The unknown policy types it saw, and its failing set, only when
        // there are some.
        let seen = (!done.policy_types.is_empty()).then(|| s(&done.policy_types));
        let failing = (!done.failing.is_empty()).then(|| s(&done.failing));
        let told = done.failing_told.as_deref().map(s);
        t.client
            .put_item()
            .table_name(&t.name)
            .set_item(Some(
                (seen.map(|v| ("policy_types".to_string(), v)).into_iter())
                    .chain(failing.map(|v| ("failing".to_string(), v)))
                    .chain(told.map(|v| ("failing_told".to_string(), v)))
                    .collect(),
            ))
            .item("pk", s(LAST_SWEEP.0))
            .item("sk", s(LAST_SWEEP.1))
            .item("at", s(clock::iso(clock::now())))
            .item("trigger_id", s(trigger_id))
            .item("account_regions", count(done.account_regions))
            .item("out_of_scope", count(done.out_of_scope))
            .item("exempt", count(done.exempt))
            .item("governed", count(done.governed))
            .item("policy", s(&done.policy))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| t.err("PutItem", "-", &e))
    }

    /// The last whole-organization sweep, if one has finished.
    pub async fn last_sweep(&self) -> Result<Option<LastSweep>, AwsError> {
        let t = self.table();
        let out = t
            .client
            .get_item()
            .table_name(&t.name)
            .key("pk", s(LAST_SWEEP.0))
            .key("sk", s(LAST_SWEEP.1))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| t.err("GetItem", "-", &e))?;
        let count = |i: &Item, k: &str| {
            crate::adapters::aws::dynamodb::get_n(i, k).and_then(|n| usize::try_from(n).ok())
        };
        Ok(out.item().and_then(|i| {
            Some(LastSweep {
                at: get_s(i, "at")?,
                out_of_scope: count(i, "out_of_scope"),
                exempt: count(i, "exempt"),
                governed: count(i, "governed"),
                policy: get_s(i, "policy"),
                policy_types: get_s(i, "policy_types"),
                failing: get_s(i, "failing"),
                failing_told: get_s(i, "failing_told"),
            })
        }))
    }
}

impl StateStore {
    /// An account that left the policy's `[scope]`: its state items would
    /// keep showing it governed (`status`, `readiness`), so they go. Its
    /// history stays, and nothing in the account is touched.
    pub async fn forget_slots(&self, account: &str, slots: &[String]) -> Result<(), AwsError> {
        let t = self.table();
        for slot in slots {
            let mut delete = t.client.delete_item().table_name(&t.name);
            for (k, v) in crate::adapters::store::keys::region_key(account, slot) {
                delete = delete.key(k, v);
            }
            delete
                .send()
                .await
                .map_err(|e| t.err("DeleteItem", account, &e))?;
        }
        Ok(())
    }
}

/// When the last whole sweep finished, and how many accounts it found
/// outside the policy's `[scope]` (they have no state items to show).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastSweep {
    pub at: String,
    /// `None` from a sweep older than scopes.
    pub out_of_scope: Option<usize>,
    /// Accounts the policy exempts; `None` from a sweep older than this count.
    pub exempt: Option<usize>,
    /// Accounts it governed and the policy's governance fingerprint; `None`
    /// from a sweep older than the sweep's check of itself.
    pub governed: Option<usize>,
    pub policy: Option<String>,
    /// The unknown organization policy types it saw
    /// ([`crate::domain::policy_types::fingerprint`]); `None` for none, or
    /// from a sweep older than the watch.
    pub policy_types: Option<String>,
    /// Its failing set's key ([`crate::domain::summary::Failing::key`]);
    /// `None` when nothing failed, or from a sweep older than the key.
    pub failing: Option<String>,
    /// When that failing set was last mailed; `None` from a sweep older
    /// than the once-a-day mail (it mailed every repeat).
    pub failing_told: Option<String>,
}

impl LastSweep {
    /// What a sweep compares itself with, when this one recorded it.
    pub fn baseline(&self) -> Option<crate::domain::degraded::Baseline> {
        Some(crate::domain::degraded::Baseline {
            governed: self.governed?,
            policy: self.policy.clone()?,
            at: self.at.clone(),
            not_governed: self
                .out_of_scope
                .zip(self.exempt)
                .map(|(o, e)| o.saturating_add(e)),
        })
    }
}

/// What a whole sweep records of itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepDone {
    pub account_regions: usize,
    pub out_of_scope: usize,
    /// Accounts the policy exempts (`[exempt]`): with `out_of_scope`, the
    /// accounts it does not govern, whose growth explains a drop in those
    /// governed (see [`crate::domain::degraded::departed`]).
    pub exempt: usize,
    /// Accounts governed, as the next sweep compares (see
    /// [`crate::domain::degraded::recorded`]).
    pub governed: usize,
    pub policy: String,
    /// The unknown organization policy types it saw, as the next sweep
    /// compares ([`crate::domain::policy_types::news`]); empty for none.
    pub policy_types: String,
    /// Its failing set's key; empty when nothing failed.
    pub failing: String,
    /// When that failing set was last mailed; `None` when nothing failed.
    pub failing_told: Option<String>,
}
