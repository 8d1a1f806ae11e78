//! DynamoDB state: one item per account-region (which also carries the
//! write lease, see `lease.rs`), and history rows. Keys and attributes are
//! DESIGN.md's "State" contract. Every write is safe to repeat: the SDK
//! retries calls whose answers were lost.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;

use super::lease::RegionGrant;
use super::AwsError;
use crate::clock;

const HISTORY_TTL: Duration = Duration::from_secs(90 * 86_400);
const HISTORY_COLLISIONS: usize = 8;

pub type Item = HashMap<String, AttributeValue>;

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

pub fn account_pk(account: &str) -> String {
    format!("ACCOUNT#{account}")
}

pub(crate) fn region_key(account: &str, region: &str) -> [(&'static str, AttributeValue); 2] {
    [
        ("pk", s(account_pk(account))),
        ("sk", s(format!("REGION#{region}"))),
    ]
}

/// The hub's table: client, name, and the region errors are reported in.
#[derive(Clone)]
pub struct Table {
    pub(crate) client: aws_sdk_dynamodb::Client,
    pub(crate) name: String,
    region: String,
}

impl Table {
    pub fn new(config: &aws_config::SdkConfig, name: &str) -> Self {
        Table {
            client: aws_sdk_dynamodb::Client::new(config),
            name: name.to_string(),
            region: super::home_region(config),
        }
    }

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
        AwsError::new(op, account, &self.region, e)
    }
}

/// What one reconcile of one account-region found and did.
#[derive(Debug, Clone)]
pub struct Observation {
    pub account: String,
    pub region: String,
    pub status: &'static str,
    pub desired_user: Option<String>,
    pub observed_user: Option<String>,
    pub observed_enabled: Option<String>,
    pub default_version: Option<String>,
    pub action: &'static str,
    pub wrote: bool,
    pub trigger_id: String,
    pub trigger_kind: &'static str,
    pub actor: Option<String>,
    pub error: Option<String>,
    pub error_code: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryRow {
    pub account: String,
    pub region: String,
    /// `remediated`, `reverted`, `noncompliant` (drift seen in audit mode).
    pub status: String,
    pub action: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub actor: Option<String>,
    pub trigger_id: String,
    pub trigger_kind: String,
    pub versions_before: Option<String>,
    pub version_after: Option<String>,
}

/// One state item as `runas-guard status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct StateRow {
    pub account: String,
    pub region: String,
    pub status: String,
    pub desired_user: Option<String>,
    pub observed_user: Option<String>,
    pub observed_run_as_enabled: Option<String>,
    pub default_version: Option<String>,
    pub last_action: Option<String>,
    pub last_trigger_kind: Option<String>,
    pub last_trigger_id: Option<String>,
    pub last_actor: Option<String>,
    pub last_error: Option<String>,
    pub last_checked: Option<String>,
    pub last_changed: Option<String>,
    pub changes: i64,
}

/// One `UpdateItem`'s expression, values and condition.
#[derive(Debug)]
pub struct Update {
    pub expression: String,
    pub values: Vec<(&'static str, AttributeValue)>,
    pub condition: Option<&'static str>,
}

/// The state write for one observation (pure). Fields the observation lacks
/// are removed: the item says what is there now. With the lease: release it
/// (stamping the release time), count a change once, remember reverts.
pub fn record_update(
    o: &Observation,
    grant: Option<&RegionGrant>,
    reverted: bool,
    now: SystemTime,
) -> Update {
    let mut set: Vec<String> = [
        "account = :account",
        "#region = :region",
        "#st = :status",
        "last_action = :action",
        "last_trigger_id = :tid",
        "last_trigger_kind = :tkind",
        "last_checked = :now",
        "first_seen = if_not_exists(first_seen, :now)",
    ]
    .map(String::from)
    .to_vec();
    let mut values: Vec<(&'static str, AttributeValue)> = vec![
        (":account", s(&o.account)),
        (":region", s(&o.region)),
        (":status", s(o.status)),
        (":action", s(o.action)),
        (":tid", s(&o.trigger_id)),
        (":tkind", s(o.trigger_kind)),
        (":now", s(clock::iso(now))),
    ];
    let mut remove = vec![];
    let optional = [
        ("desired_user", ":desired", &o.desired_user),
        ("observed_user", ":ouser", &o.observed_user),
        ("observed_run_as_enabled", ":oenabled", &o.observed_enabled),
        ("default_version", ":dversion", &o.default_version),
        ("last_error", ":error", &o.error),
        ("last_error_code", ":ecode", &o.error_code),
    ];
    for (attr, placeholder, value) in optional {
        match value {
            Some(v) => {
                set.push(format!("{attr} = {placeholder}"));
                values.push((placeholder, s(v)));
            }
            None => remove.push(attr),
        }
    }
    // Compliant again: the next drift is news again.
    if matches!(o.status, "compliant" | "remediated" | "reverted") {
        remove.push("drift_seen_by");
    }
    // Who last touched it survives quiet checks.
    if let Some(actor) = &o.actor {
        set.push("last_actor = :actor".into());
        values.push((":actor", s(actor)));
    }
    let mut condition = None;
    if let Some(g) = grant {
        set.push("lease_until = :released".into());
        values.push((":released", n(clock::epoch_millis(now))));
        values.push((":me", s(&g.owner)));
        condition = Some("lease_owner = :me");
        if o.wrote {
            set.push("last_changed = :now".into());
            set.push("changes = if_not_exists(changes, :zero) + :one".into());
            values.push((":zero", n(0)));
            values.push((":one", n(1)));
            // A lost answer's retry finds the lease already released at this
            // instant and changes nothing: the change is counted once.
            condition = Some("lease_owner = :me AND lease_until <> :released");
        }
        if reverted {
            let mut times = g.recent_reverts.clone();
            times.push(clock::epoch_secs(now));
            set.push("reverts_at = :reverts".into());
            values.push((
                ":reverts",
                AttributeValue::L(times.into_iter().map(n).collect()),
            ));
        }
    }
    let mut expression = format!("SET {}", set.join(", "));
    if !remove.is_empty() {
        expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
    }
    Update {
        expression,
        values,
        condition,
    }
}

fn row(i: &Item) -> StateRow {
    StateRow {
        account: get_s(i, "account").unwrap_or_default(),
        region: get_s(i, "region").unwrap_or_default(),
        status: get_s(i, "status").unwrap_or_default(),
        desired_user: get_s(i, "desired_user"),
        observed_user: get_s(i, "observed_user"),
        observed_run_as_enabled: get_s(i, "observed_run_as_enabled"),
        default_version: get_s(i, "default_version"),
        last_action: get_s(i, "last_action"),
        last_trigger_kind: get_s(i, "last_trigger_kind"),
        last_trigger_id: get_s(i, "last_trigger_id"),
        last_actor: get_s(i, "last_actor"),
        last_error: get_s(i, "last_error"),
        last_checked: get_s(i, "last_checked"),
        last_changed: get_s(i, "last_changed"),
        changes: get_n(i, "changes").unwrap_or(0),
    }
}

/// Per-account-region state items and history.
#[derive(Clone)]
pub struct StateStore {
    table: Table,
}

impl StateStore {
    pub fn new(table: Table) -> Self {
        StateStore { table }
    }

    pub fn table(&self) -> &Table {
        &self.table
    }

    /// Records one observation in one call, without reading first; releases
    /// the lease when `grant` is ours. Repeating it (a lost answer) changes nothing.
    pub async fn record(
        &self,
        o: &Observation,
        grant: Option<&RegionGrant>,
        reverted: bool,
    ) -> Result<(), AwsError> {
        let u = record_update(o, grant, reverted, clock::now());
        let [(k1, v1), (k2, v2)] = region_key(&o.account, &o.region);
        let mut update = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .key(k1, v1)
            .key(k2, v2)
            .update_expression(u.expression)
            .set_condition_expression(u.condition.map(str::to_string))
            .expression_attribute_names("#st", "status")
            .expression_attribute_names("#region", "region");
        for (k, v) in u.values {
            update = update.expression_attribute_values(k, v);
        }
        match update.send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let err = self.table.err("UpdateItem", &o.account, &e);
                if err.is("ConditionalCheckFailedException") {
                    // Recorded already (our retried call), or the lease expired
                    // and another run owns the item now and will record it.
                    tracing::debug!(account = %o.account, region = %o.region, "state already recorded or lease taken over");
                    Ok(())
                } else {
                    Err(err)
                }
            }
        }
    }

    /// Audit mode: marks the account-region's drift as seen by `trigger_id`
    /// unless an earlier run already saw it (the mark goes when it is
    /// compliant again). True when this trigger saw it first, which a retry
    /// of the same trigger still is: `drift_detected` on the transition only.
    pub async fn claim_drift(
        &self,
        account: &str,
        region: &str,
        trigger_id: &str,
    ) -> Result<bool, AwsError> {
        let [(k1, v1), (k2, v2)] = region_key(account, region);
        let out = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .key(k1, v1)
            .key(k2, v2)
            .update_expression("SET drift_seen_by = if_not_exists(drift_seen_by, :tid)")
            .expression_attribute_values(":tid", s(trigger_id))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| self.table.err("UpdateItem", account, &e))?;
        let seen_by = out
            .attributes
            .as_ref()
            .and_then(|a| get_s(a, "drift_seen_by"));
        Ok(seen_by.as_deref() == Some(trigger_id))
    }

    /// One row per change made or drift seen. Keyed by time; the same
    /// trigger's row written twice (a lost answer) stays one row.
    pub async fn add_history(&self, row: &HistoryRow, at: SystemTime) -> Result<(), AwsError> {
        let mut at = at;
        for _ in 0..HISTORY_COLLISIONS {
            let mut item: Item = HashMap::new();
            let mut put = |k: &str, v: AttributeValue| {
                item.insert(k.to_string(), v);
            };
            put("pk", s(account_pk(&row.account)));
            put(
                "sk",
                s(format!("HISTORY#{}#{}", clock::iso(at), row.region)),
            );
            put("account", s(&row.account));
            put("region", s(&row.region));
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
            put("ttl", n(clock::epoch_secs(at + HISTORY_TTL)));
            let result = self
                .table
                .client
                .put_item()
                .table_name(&self.table.name)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(sk) OR trigger_id = :tid")
                .expression_attribute_values(":tid", s(&row.trigger_id))
                .send()
                .await;
            match result {
                Ok(_) => return Ok(()),
                Err(e) => {
                    let err = self.table.err("PutItem", &row.account, &e);
                    if !err.is("ConditionalCheckFailedException") {
                        return Err(err);
                    }
                    // Another trigger's row in the same millisecond: keep both.
                    at += Duration::from_millis(1);
                }
            }
        }
        Err(AwsError {
            operation: "PutItem",
            account: row.account.clone(),
            region: row.region.clone(),
            code: "TooManyConflicts".into(),
            message: "history key collided repeatedly".into(),
        })
    }

    /// State items, for one account or all (a paginated scan: fine for an
    /// operator command over a few thousand items).
    pub async fn list(&self, account: Option<&str>) -> Result<Vec<StateRow>, AwsError> {
        let t = &self.table;
        let mut items = Vec::new();
        match account {
            Some(a) => {
                let mut pages = t
                    .client
                    .query()
                    .table_name(&t.name)
                    .key_condition_expression("pk = :pk AND begins_with(sk, :region)")
                    .expression_attribute_values(":pk", s(account_pk(a)))
                    .expression_attribute_values(":region", s("REGION#"))
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    items.extend(
                        page.map_err(|e| t.err("Query", a, &e))?
                            .items()
                            .iter()
                            .cloned(),
                    );
                }
            }
            None => {
                let mut pages = t
                    .client
                    .scan()
                    .table_name(&t.name)
                    .filter_expression("begins_with(sk, :region)")
                    .expression_attribute_values(":region", s("REGION#"))
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    items.extend(
                        page.map_err(|e| t.err("Scan", "-", &e))?
                            .items()
                            .iter()
                            .cloned(),
                    );
                }
            }
        }
        let mut rows: Vec<StateRow> = items
            .iter()
            // An item holding only a lease was never recorded.
            .filter(|i| i.contains_key("status"))
            .map(row)
            .collect();
        rows.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observation(wrote: bool) -> Observation {
        Observation {
            account: "111122223333".into(),
            region: "eu-west-1".into(),
            status: if wrote { "reverted" } else { "compliant" },
            desired_user: Some("ops".into()),
            observed_user: Some("ops".into()),
            observed_enabled: Some("true".into()),
            default_version: Some("4".into()),
            action: if wrote { "updated" } else { "none" },
            wrote,
            trigger_id: "e-1".into(),
            trigger_kind: "document_changed",
            actor: None,
            error: None,
            error_code: None,
        }
    }

    #[test]
    fn a_quiet_check_takes_no_lease_and_clears_old_errors() {
        let u = record_update(&observation(false), None, false, std::time::UNIX_EPOCH);
        assert_eq!(u.condition, None);
        assert!(
            u.expression
                .ends_with(" REMOVE last_error, last_error_code, drift_seen_by"),
            "{}",
            u.expression
        );
        assert!(!u.expression.contains("changes") && !u.expression.contains("lease"));
        assert!(
            !u.expression.contains("last_actor"),
            "the last actor survives"
        );
    }

    #[test]
    fn a_change_under_the_lease_counts_once_and_remembers_the_revert() {
        let grant = RegionGrant {
            owner: "me".into(),
            recent_reverts: vec![100],
        };
        let now = std::time::UNIX_EPOCH + Duration::from_secs(200);
        let u = record_update(&observation(true), Some(&grant), true, now);
        assert_eq!(
            u.condition,
            Some("lease_owner = :me AND lease_until <> :released")
        );
        assert!(u
            .expression
            .contains("changes = if_not_exists(changes, :zero) + :one"));
        let reverts = u.values.iter().find(|(k, _)| *k == ":reverts").unwrap();
        assert_eq!(reverts.1, AttributeValue::L(vec![n(100), n(200)]));
        let released = u.values.iter().find(|(k, _)| *k == ":released").unwrap();
        assert_eq!(released.1, n(200_000));
        // Every placeholder used is given a value, and no value goes unused.
        let text = format!("{} {}", u.expression, u.condition.unwrap());
        for (k, _) in &u.values {
            assert!(text.contains(k), "{k} unused");
        }
    }
}
