//! What the table already says, read once at the start of a sweep (a
//! parallel, projected Scan: a few calls for thousands of items), so a sweep
//! writes only where something changed: a steady-state sweep over a compliant
//! organization writes one item (its own time), not one per account-region.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::state::StateStore;
use crate::adapters::aws::dynamodb::{get_s, s, Item};
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::records::Observation;

/// Scan segments read at once.
const LAST_SWEEP: (&str, &str) = ("SWEEPS", "LAST");

/// One account-region as the table last recorded it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    pub status: Option<String>,
    pub desired_user: Option<String>,
    pub observed_user: Option<String>,
    pub observed_enabled: Option<String>,
    pub default_version: Option<String>,
    pub error_code: Option<String>,
    /// Audit mode: the finding already reported here (one observed Run As,
    /// as [`crate::flow::account::change::seen_value`] writes it).
    pub drift_seen: Option<String>,
    /// A run announced a write here and has not recorded it (yet, or ever:
    /// it died); the record must be sent so the intent is looked at.
    pub intent: bool,
    /// The run-as user check's row: what its association last found.
    pub nodes: Option<String>,
    pub mode: Option<String>,
    pub held: Option<String>,
    /// Since when an `enforce-when-ready` document is held, and the
    /// verdict told of it (see `nodes::held`).
    pub held_since: Option<String>,
    pub held_told: Option<String>,
    pub ou_path: Option<String>,
    /// A pending row's error (what it awaits, since when), where the read
    /// holds it (an account's own rows; a sweep's projection leaves it out).
    pub pending_error: Option<String>,
    /// The forwarding canary's last write and arrival.
    pub canary: Option<crate::domain::canary::Last>,
    /// The code of a canary refusal already told (`canary_unwritable`).
    pub canary_unwritable: Option<String>,
}

/// Known account-regions by `account/slot` (the region, or
/// `<region>#DOCUMENT#<name>` for a `[[document]]`).
#[derive(Debug, Default)]
pub struct Snapshot(HashMap<String, Known>);

impl Snapshot {
    pub fn get(&self, account: &str, slot: &str) -> Option<&Known> {
        self.0.get(&format!("{account}/{slot}"))
    }

    /// The slots recorded for `account`.
    pub fn slots(&self, account: &str) -> Vec<String> {
        let prefix = format!("{account}/");
        self.0
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix).map(str::to_string))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, String, Known)> for Snapshot {
    fn from_iter<I: IntoIterator<Item = (String, String, Known)>>(iter: I) -> Self {
        Snapshot(
            iter.into_iter()
                .map(|(a, r, k)| (format!("{a}/{r}"), k))
                .collect(),
        )
    }
}

/// Nothing worth a write: same status, same desired and observed RunAs,
/// same default version, same error. A compliant check does not overwrite
/// the `remediated`/`reverted` that says what last happened there. (A quiet
/// check's time is the sweep's.)
pub fn unchanged(known: &Known, o: &Observation) -> bool {
    let same_status = match (known.status.as_deref(), o.status) {
        (Some("remediated" | "reverted"), "compliant") => true,
        (k, now) => k == Some(now),
    };
    same_status
        && known.desired_user == o.desired_user
        && known.observed_user == o.observed_user
        && known.observed_enabled == o.observed_enabled
        && known.default_version == o.default_version
        && known.error_code == o.error_code
        && !known.intent
        && known.nodes == o.nodes
        && known.mode.as_deref() == o.mode
        && known.held == o.held
        // A hold recorded before `held_since` existed gets one.
        && (o.held.is_none() || known.held_since.is_some())
        && known.ou_path == o.ou_path
        // What a pending row awaits may change under the same code (the
        // role, then a region's check document).
        && (known.pending_error.is_none() || known.pending_error == o.error)
        && !o.wrote
}

/// The finding a drift mark remembers. A mark from before findings were
/// kept (no value) remembered what the item observed.
fn drift_seen(i: &Item) -> Option<String> {
    if !i.contains_key("drift_seen_by") {
        return None;
    }
    get_s(i, "drift_seen_value").or_else(|| {
        let (user, enabled) = (
            get_s(i, "observed_user"),
            get_s(i, "observed_run_as_enabled"),
        );
        Some(serde_json::json!([enabled, user]).to_string())
    })
}

fn known(i: &Item) -> Known {
    Known {
        status: get_s(i, "status"),
        desired_user: get_s(i, "desired_user"),
        observed_user: get_s(i, "observed_user"),
        observed_enabled: get_s(i, "observed_run_as_enabled"),
        default_version: get_s(i, "default_version"),
        error_code: get_s(i, "last_error_code"),
        drift_seen: drift_seen(i),
        intent: i.contains_key("intent"),
        nodes: get_s(i, "nodes"),
        mode: get_s(i, "mode"),
        held: get_s(i, "held"),
        held_since: get_s(i, "held_since"),
        held_told: get_s(i, "held_told"),
        ou_path: get_s(i, "ou_path"),
        pending_error: get_s(i, "last_error")
            .filter(|_| get_s(i, "status").as_deref() == Some("pending")),
        canary: super::canary::last_of(i),
        canary_unwritable: super::canary::unwritable_of(i),
    }
}

fn slot_of(i: &Item) -> Option<String> {
    let region = get_s(i, "region")?;
    Some(crate::domain::outcome::slot(
        &region,
        get_s(i, "document").as_deref(),
    ))
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
            .projection_expression(format!("account, #region, document, #st, desired_user, observed_user, observed_run_as_enabled, default_version, last_error_code, drift_seen_by, drift_seen_value, intent, nodes, #mode, held, held_since, held_told, ou_path, {}", super::canary::PROJECTED))
            .expression_attribute_names("#region", "region")
            .expression_attribute_names("#st", "status")
            .expression_attribute_names("#mode", "mode")
            .expression_attribute_values(":shard", s(format!("STATE#{shard}")))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| t.err("Query", "-", &e))?;
            for i in page.items() {
                if let (Some(a), Some(slot)) = (get_s(i, "account"), slot_of(i)) {
                    out.push((a, slot, known(i)));
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
        t.client
            .put_item()
            .table_name(&t.name)
            .item("pk", s(LAST_SWEEP.0))
            .item("sk", s(LAST_SWEEP.1))
            .item("at", s(clock::iso(clock::now())))
            .item("trigger_id", s(trigger_id))
            .item("account_regions", count(done.account_regions))
            .item("out_of_scope", count(done.out_of_scope))
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
                governed: count(i, "governed"),
                policy: get_s(i, "policy"),
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
    /// Accounts it governed and the policy's governance fingerprint; `None`
    /// from a sweep older than the sweep's check of itself.
    pub governed: Option<usize>,
    pub policy: Option<String>,
}

impl LastSweep {
    /// What a sweep compares itself with, when this one recorded it.
    pub fn baseline(&self) -> Option<crate::domain::degraded::Baseline> {
        Some(crate::domain::degraded::Baseline {
            governed: self.governed?,
            policy: self.policy.clone()?,
            at: self.at.clone(),
        })
    }
}

/// What a whole sweep records of itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepDone {
    pub account_regions: usize,
    pub out_of_scope: usize,
    /// Accounts governed, as the next sweep compares (see
    /// [`crate::domain::degraded::recorded`]).
    pub governed: usize,
    pub policy: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observation(status: &'static str, user: &str, wrote: bool) -> Observation {
        Observation {
            document: None,
            account: "111122223333".into(),
            region: "eu-west-1".into(),
            status,
            desired_user: Some("ops".into()),
            observed_user: Some(user.into()),
            observed_enabled: Some("true".into()),
            default_version: Some("2".into()),
            action: if wrote { "updated" } else { "none" },
            wrote,
            trigger_id: "sweep-2".into(),
            trigger_kind: "sweep",
            actor: None,
            error: None,
            error_code: None,
            nodes: None,
            mode: None,
            held: None,
            ou_path: None,
        }
    }

    #[test]
    fn only_news_is_written() {
        let stored = Known {
            status: Some("compliant".into()),
            desired_user: Some("ops".into()),
            observed_user: Some("ops".into()),
            observed_enabled: Some("true".into()),
            default_version: Some("2".into()),
            error_code: None,
            drift_seen: None,
            intent: false,
            nodes: None,
            mode: None,
            held: None,
            held_since: None,
            held_told: None,
            ou_path: None,
            pending_error: None,
            canary: None,
            canary_unwritable: None,
        };
        assert!(unchanged(&stored, &observation("compliant", "ops", false)));
        let reverted = Known {
            status: Some("reverted".into()),
            ..stored.clone()
        };
        assert!(
            unchanged(&reverted, &observation("compliant", "ops", false)),
            "what last happened stays"
        );
        let cases = [
            (
                "it was failing",
                Known {
                    status: Some("failed".into()),
                    ..stored.clone()
                },
            ),
            (
                "another desired user (the account moved)",
                Known {
                    desired_user: Some("x".into()),
                    ..stored.clone()
                },
            ),
            (
                "another default version",
                Known {
                    default_version: Some("1".into()),
                    ..stored.clone()
                },
            ),
            (
                "an old error to clear",
                Known {
                    error_code: Some("AccessDenied".into()),
                    ..stored.clone()
                },
            ),
            (
                "the user check found other nodes",
                Known {
                    nodes: Some("{}".into()),
                    ..stored.clone()
                },
            ),
            ("never recorded", Known::default()),
        ];
        for (why, k) in cases {
            assert!(
                !unchanged(&k, &observation("compliant", "ops", false)),
                "{why}"
            );
        }
        assert!(
            !unchanged(&stored, &observation("remediated", "ops", true)),
            "a write is always recorded"
        );
        let snapshot: Snapshot = [("1".to_string(), "r".to_string(), stored.clone())]
            .into_iter()
            .collect();
        assert_eq!(snapshot.get("1", "r"), Some(&stored));
        assert_eq!((snapshot.get("1", "x"), snapshot.len()), (None, 1));
    }

    /// A waiting row is written again only when what it awaits changed;
    /// a read without the error (a sweep's projection) compares the rest.
    #[test]
    fn a_pending_row_is_news_when_what_it_awaits_changes() {
        let awaits = |what: &str| {
            Some(format!("awaiting the member stack since 2026-11-24T10:00:00Z (the account joined then): {what} is not there yet"))
        };
        let pending = |error: Option<String>| Observation {
            status: "pending",
            observed_user: None,
            observed_enabled: None,
            default_version: None,
            action: "pending",
            error,
            error_code: Some("AwaitingMemberStack".into()),
            ..observation("pending", "-", false)
        };
        let stored = Known {
            status: Some("pending".into()),
            desired_user: Some("ops".into()),
            error_code: Some("AwaitingMemberStack".into()),
            pending_error: awaits("the member role RunAsGuardExecution"),
            ..Known::default()
        };
        for (why, known, now, same) in [
            (
                "still the role",
                &stored,
                awaits("the member role RunAsGuardExecution"),
                true,
            ),
            (
                "now the check document",
                &stored,
                awaits("the check document"),
                false,
            ),
            (
                "a sweep's projection has no error",
                &Known {
                    pending_error: None,
                    ..stored.clone()
                },
                awaits("the check document"),
                true,
            ),
        ] {
            assert_eq!(unchanged(known, &pending(now)), same, "{why}");
        }
    }
}
