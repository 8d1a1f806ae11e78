//! DynamoDB state: one item per account-region, history rows, event receipts.
//! Keys and attributes are DESIGN.md's "State" contract.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;

use super::AwsError;
use crate::clock;

const HISTORY_TTL: Duration = Duration::from_secs(90 * 86_400);
const RECEIPT_TTL: Duration = Duration::from_secs(14 * 86_400);
/// A claim older than this belongs to an invocation that died; a retry may
/// take it over. Longer than any event's work (seconds) and shorter than
/// Lambda's asynchronous retry window, so a crash does not lose the event.
const CLAIM_LEASE: Duration = Duration::from_secs(5 * 60);
const MAX_CONFLICTS: usize = 8;

type Item = HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct StateStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
    region: String,
}

/// What one reconcile of one account-region found and did.
#[derive(Debug, Clone)]
pub struct Observation {
    pub account: String,
    pub region: String,
    /// `compliant`, `remediated`, `reverted`, `noncompliant`, `failed`, `excluded`.
    pub status: &'static str,
    pub desired_user: Option<String>,
    pub observed_user: Option<String>,
    pub observed_enabled: Option<String>,
    pub default_version: Option<String>,
    pub action: &'static str,
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
    pub version: i64,
}

pub enum Claim {
    /// This invocation owns the event now. `pending_alerts` holds alerts an
    /// earlier attempt could not publish (JSON), to be sent first.
    Claimed { pending_alerts: Option<String> },
    /// Already processed: a redelivery; do nothing.
    Done,
    /// Another invocation is working on it right now.
    InFlight,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn get_s(item: &Item, key: &str) -> Option<String> {
    item.get(key).and_then(|v| v.as_s().ok()).cloned()
}

fn get_n(item: &Item, key: &str) -> i64 {
    item.get(key)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn put_opt(item: &mut Item, key: &str, v: &Option<String>) {
    if let Some(v) = v {
        item.insert(key.into(), s(v.clone()));
    }
}

pub fn account_pk(account: &str) -> String {
    format!("ACCOUNT#{account}")
}

impl StateStore {
    pub fn new(config: &aws_config::SdkConfig, table: &str) -> Self {
        StateStore {
            client: aws_sdk_dynamodb::Client::new(config),
            table: table.to_string(),
            region: super::home_region(config),
        }
    }

    fn err<E, R>(
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

    /// Takes ownership of an event id, or says why not. At-least-once
    /// delivery means the same id can arrive twice, even at the same time.
    pub async fn claim_event(&self, event_id: &str, kind: &str) -> Result<Claim, AwsError> {
        let now = clock::now();
        let pk = format!("EVENT#{event_id}");
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(&pk))
            .item("sk", s("EVENT"))
            .item("status", s("in_progress"))
            .item("trigger_kind", s(kind))
            .item("claimed_at", s(clock::iso(now)))
            .item("lease_until", n(clock::epoch_secs(now + CLAIM_LEASE)))
            .item("ttl", n(clock::epoch_secs(now + RECEIPT_TTL)))
            .condition_expression(
                "attribute_not_exists(pk) OR (#st = :in_progress AND lease_until < :now) OR #st = :alerts_pending",
            )
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":in_progress", s("in_progress"))
            .expression_attribute_values(":alerts_pending", s("alerts_pending"))
            .expression_attribute_values(":now", n(clock::epoch_secs(now)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => {
                let old = out.attributes.unwrap_or_default();
                let pending_alerts = match get_s(&old, "status").as_deref() {
                    Some("alerts_pending") => get_s(&old, "pending_alerts"),
                    _ => None,
                };
                Ok(Claim::Claimed { pending_alerts })
            }
            Err(e) => {
                let err = self.err("PutItem", "-", &e);
                if !err.is("ConditionalCheckFailedException") {
                    return Err(err);
                }
                let item = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .key("pk", s(&pk))
                    .key("sk", s("EVENT"))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(|e| self.err("GetItem", "-", &e))?;
                match item.item().and_then(|i| get_s(i, "status")).as_deref() {
                    Some("done") => Ok(Claim::Done),
                    _ => Ok(Claim::InFlight),
                }
            }
        }
    }

    /// Marks the event processed; later deliveries become no-ops.
    pub async fn complete_event(
        &self,
        event_id: &str,
        kind: &str,
        summary: &str,
    ) -> Result<(), AwsError> {
        let at = clock::iso(clock::now());
        self.put_receipt(
            event_id,
            kind,
            "done",
            &[("completed_at", &at), ("summary", summary)],
        )
        .await
    }

    /// The work is done but some alerts were not published: keep them with
    /// the event, so the retry (which finds nothing left to fix) sends them.
    pub async fn hold_alerts(
        &self,
        event_id: &str,
        kind: &str,
        pending_alerts: &str,
    ) -> Result<(), AwsError> {
        self.put_receipt(
            event_id,
            kind,
            "alerts_pending",
            &[("pending_alerts", pending_alerts)],
        )
        .await
    }

    async fn put_receipt(
        &self,
        event_id: &str,
        kind: &str,
        status: &str,
        extra: &[(&str, &str)],
    ) -> Result<(), AwsError> {
        let now = clock::now();
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(format!("EVENT#{event_id}")))
            .item("sk", s("EVENT"))
            .item("status", s(status))
            .item("trigger_kind", s(kind))
            .item("ttl", n(clock::epoch_secs(now + RECEIPT_TTL)));
        for (k, v) in extra {
            put = put.item(*k, s(*v));
        }
        put.send()
            .await
            .map(|_| ())
            .map_err(|e| self.err("PutItem", "-", &e))
    }

    /// A failed run gives the event back so the retry does the work again.
    pub async fn release_event(&self, event_id: &str) -> Result<(), AwsError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(format!("EVENT#{event_id}")))
            .key("sk", s("EVENT"))
            .condition_expression("#st = :in_progress")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":in_progress", s("in_progress"))
            .send()
            .await
            .map(|_| ())
            .or_else(|e| {
                let err = self.err("DeleteItem", "-", &e);
                if err.is("ConditionalCheckFailedException") {
                    Ok(())
                } else {
                    Err(err)
                }
            })
    }

    /// Read-modify-write of the account-region item, guarded by its
    /// `version` attribute so two concurrent invocations never lose an update.
    pub async fn record(&self, o: &Observation) -> Result<(), AwsError> {
        let key = (account_pk(&o.account), format!("REGION#{}", o.region));
        for _ in 0..MAX_CONFLICTS {
            let old = self
                .client
                .get_item()
                .table_name(&self.table)
                .key("pk", s(&key.0))
                .key("sk", s(&key.1))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| self.err("GetItem", &o.account, &e))?
                .item
                .unwrap_or_default();
            let version = get_n(&old, "version");
            let now = clock::iso(clock::now());
            let wrote = matches!(o.action, "created" | "updated" | "default-switched");
            let mut item: Item = HashMap::new();
            item.insert("pk".into(), s(&key.0));
            item.insert("sk".into(), s(&key.1));
            item.insert("account".into(), s(&o.account));
            item.insert("region".into(), s(&o.region));
            item.insert("status".into(), s(o.status));
            item.insert("last_action".into(), s(o.action));
            item.insert("last_trigger_id".into(), s(&o.trigger_id));
            item.insert("last_trigger_kind".into(), s(o.trigger_kind));
            item.insert("last_checked".into(), s(&now));
            item.insert(
                "first_seen".into(),
                s(get_s(&old, "first_seen").unwrap_or_else(|| now.clone())),
            );
            put_opt(&mut item, "desired_user", &o.desired_user);
            put_opt(&mut item, "observed_user", &o.observed_user);
            put_opt(&mut item, "observed_run_as_enabled", &o.observed_enabled);
            put_opt(&mut item, "default_version", &o.default_version);
            put_opt(&mut item, "last_error", &o.error);
            put_opt(&mut item, "last_error_code", &o.error_code);
            // Who last touched it and when we last changed it survive quiet checks.
            let actor = o.actor.clone().or_else(|| get_s(&old, "last_actor"));
            put_opt(&mut item, "last_actor", &actor);
            let changed = if wrote {
                Some(now.clone())
            } else {
                get_s(&old, "last_changed")
            };
            put_opt(&mut item, "last_changed", &changed);
            item.insert("checks".into(), n(get_n(&old, "checks") + 1));
            item.insert(
                "changes".into(),
                n(get_n(&old, "changes") + i64::from(wrote)),
            );
            item.insert(
                "reverts".into(),
                n(get_n(&old, "reverts") + i64::from(o.status == "reverted")),
            );
            item.insert(
                "failures".into(),
                n(get_n(&old, "failures") + i64::from(o.status == "failed")),
            );
            item.insert("version".into(), n(version + 1));
            let mut put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item));
            put = if old.is_empty() {
                put.condition_expression("attribute_not_exists(pk)")
            } else {
                put.condition_expression("version = :v")
                    .expression_attribute_values(":v", n(version))
            };
            match put.send().await {
                Ok(_) => return Ok(()),
                Err(e) => {
                    let err = self.err("PutItem", &o.account, &e);
                    if !err.is("ConditionalCheckFailedException") {
                        return Err(err);
                    }
                    tracing::debug!(account = %o.account, region = %o.region, "state item changed under us; re-reading");
                }
            }
        }
        Err(AwsError {
            operation: "PutItem",
            account: o.account.clone(),
            region: self.region.clone(),
            code: "TooManyConflicts".into(),
            message: format!(
                "state item for {} changed {MAX_CONFLICTS} times while we wrote it",
                o.region
            ),
        })
    }

    pub async fn add_history(&self, row: &HistoryRow) -> Result<(), AwsError> {
        let mut at = clock::now();
        for _ in 0..MAX_CONFLICTS {
            let mut item: Item = HashMap::new();
            item.insert("pk".into(), s(account_pk(&row.account)));
            item.insert(
                "sk".into(),
                s(format!("HISTORY#{}#{}", clock::iso(at), row.region)),
            );
            item.insert("account".into(), s(&row.account));
            item.insert("region".into(), s(&row.region));
            item.insert("status".into(), s(&row.status));
            item.insert("action".into(), s(&row.action));
            item.insert("before".into(), s(row.before.to_string()));
            item.insert("after".into(), s(row.after.to_string()));
            put_opt(&mut item, "actor", &row.actor);
            item.insert("trigger_id".into(), s(&row.trigger_id));
            item.insert("trigger_kind".into(), s(&row.trigger_kind));
            put_opt(&mut item, "versions_before", &row.versions_before);
            put_opt(&mut item, "version_after", &row.version_after);
            item.insert("at".into(), s(clock::iso(at)));
            item.insert("ttl".into(), n(clock::epoch_secs(at + HISTORY_TTL)));
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(sk)")
                .send()
                .await;
            match result {
                Ok(_) => return Ok(()),
                Err(e) => {
                    let err = self.err("PutItem", &row.account, &e);
                    if !err.is("ConditionalCheckFailedException") {
                        return Err(err);
                    }
                    // Same millisecond, same region: keep both rows.
                    at += Duration::from_millis(1);
                }
            }
        }
        Err(AwsError {
            operation: "PutItem",
            account: row.account.clone(),
            region: self.region.clone(),
            code: "TooManyConflicts".into(),
            message: "history key collided repeatedly".into(),
        })
    }

    /// A malformed event, kept for two weeks under `REJECTED#<day>` so an
    /// operator can see what was refused and why.
    pub async fn add_rejection(
        &self,
        request_id: &str,
        reason: &str,
        input: &str,
    ) -> Result<(), AwsError> {
        let now = clock::now();
        let at = clock::iso(now);
        let mut excerpt: String = input.chars().take(2000).collect();
        if excerpt.len() < input.len() {
            excerpt.push_str("...");
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(format!("REJECTED#{}", &at[..10])))
            .item("sk", s(format!("{at}#{request_id}")))
            .item("reason", s(reason))
            .item("excerpt", s(excerpt))
            .item("ttl", n(clock::epoch_secs(now + RECEIPT_TTL)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.err("PutItem", "-", &e))
    }

    /// History rows of one account-region with `status` since `since`.
    pub async fn count_history(
        &self,
        account: &str,
        region: &str,
        status: &str,
        since: SystemTime,
    ) -> Result<usize, AwsError> {
        let mut count = 0;
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .filter_expression("#region = :region AND #st = :status")
            .expression_attribute_names("#region", "region")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":pk", s(account_pk(account)))
            .expression_attribute_values(":from", s(format!("HISTORY#{}", clock::iso(since))))
            .expression_attribute_values(":to", s("HISTORY#~"))
            .expression_attribute_values(":region", s(region))
            .expression_attribute_values(":status", s(status))
            .consistent_read(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            count += page
                .map_err(|e| self.err("Query", account, &e))?
                .items()
                .len();
        }
        Ok(count)
    }

    /// State items, for one account or all (a paginated scan: fine for an
    /// operator command over a few thousand items).
    pub async fn list(&self, account: Option<&str>) -> Result<Vec<StateRow>, AwsError> {
        let mut items = Vec::new();
        match account {
            Some(a) => {
                let mut pages = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("pk = :pk AND begins_with(sk, :region)")
                    .expression_attribute_values(":pk", s(account_pk(a)))
                    .expression_attribute_values(":region", s("REGION#"))
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    items.extend(
                        page.map_err(|e| self.err("Query", a, &e))?
                            .items()
                            .iter()
                            .cloned(),
                    );
                }
            }
            None => {
                let mut pages = self
                    .client
                    .scan()
                    .table_name(&self.table)
                    .filter_expression("begins_with(sk, :region)")
                    .expression_attribute_values(":region", s("REGION#"))
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    items.extend(
                        page.map_err(|e| self.err("Scan", "-", &e))?
                            .items()
                            .iter()
                            .cloned(),
                    );
                }
            }
        }
        let mut rows: Vec<StateRow> = items
            .iter()
            .map(|i| StateRow {
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
                changes: get_n(i, "changes"),
                version: get_n(i, "version"),
            })
            .collect();
        rows.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
        Ok(rows)
    }
}
