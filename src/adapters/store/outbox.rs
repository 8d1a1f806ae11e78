//! The outbox's items: alert copies kept before they are published, leased
//! to the run that keeps them, taken by whoever runs next when that run
//! could not publish (see `crate::flow::outbox`).

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

use super::audit::{told_item, told_put};
use super::receipts::{Receipts, RECEIPT_TTL};
use crate::adapters::aws::dynamodb::{get_s, n, put_request, s, Transacted};
use crate::domain::alert::default_told::DefaultTold;
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::records::DriftMark;
use crate::domain::report::audit::told::ToldRow;
use crate::domain::window_claim::WindowClaim;

/// About what a told row takes in a transaction (its sessions dominate).
fn told_size(row: &ToldRow) -> usize {
    serde_json::to_string(&row.told).map_or(0, |t| t.len()) + 400
}

const OUTBOX_PK: &str = "OUTBOX";
/// `TransactWriteItems` takes at most this many actions.
const TRANSACT_MAX: usize = 100;
/// ... and at most 4 MB in all (kept well under it).
const TRANSACT_BYTES: usize = 3_500_000;
/// How long the run that keeps an alert has to publish it before any other
/// run's flush may: far longer than a publish takes.
pub(crate) const OUTBOX_LEASE: Duration = Duration::from_secs(60);

/// One alert copy waiting in the outbox for one destination.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    /// `<alert_id>` (the alert topic) or `<alert_id>#<destination>`.
    pub key: String,
    pub alert: String,
    /// `main` or `chat`.
    pub dest: String,
    /// Epoch milliseconds; 0 when free.
    pub lease_until: i64,
}

impl Receipts {
    /// Puts alert copies in the outbox, leased to `owner` for
    /// [`OUTBOX_LEASE`]: kept before they are published, so a crash or an
    /// SNS outage leaves them for whoever runs next; other runs' flushes
    /// leave them alone until the lease ends. `(key, destination, alert JSON)`.
    ///
    /// `claims`: the window claims the alerts tell, marked kept in the same
    /// transaction (`window_kept::kept`), so a claim never stands kept
    /// without its alert, and one whose claimer died before keeping runs
    /// out for the next run to tell. A claim whose write failed is made
    /// there (`window_kept::kept`; one too long for a write is left out). A
    /// claim no longer this run's (it ran out and another run took it, or
    /// another run claimed a version whose claim failed) cancels the
    /// transaction, and nothing is kept: another run tells that version,
    /// and the alerts that tell it are not this run's to send (its retry
    /// reads who told what). Until 0.19.0 they were kept anyway, and the
    /// version went out under two identities (simulation seed 900033).
    ///
    /// `marks`: the defaults the alerts' drift tells, marked told on the
    /// ledger in the same transaction (`fact_items::mark_update`; never a
    /// condition of it).
    ///
    /// `drift`: the audit findings the alerts tell first, marked on their
    /// slots' items in the same transaction (`drift_mark::update`): another
    /// trigger's mark of the same finding refuses it, as a claim does.
    ///
    /// `told`: the report's rows of what the alerts tell, written in the
    /// same write as their copies (`audit::told_item`).
    pub async fn keep(
        &self,
        entries: &[(String, &str, String)],
        owner: &str,
        (claims, marks, drift): (&[WindowClaim], &[DefaultTold], &[DriftMark]),
        told: &[ToldRow],
    ) -> Result<(), AwsError> {
        let now = clock::now();
        let claims: Vec<WindowClaim> = claims
            .iter()
            .filter(|c| super::window_kept::keepable(c))
            .cloned()
            .collect();
        if !claims.is_empty() || !marks.is_empty() || !drift.is_empty() {
            let bytes: usize = entries
                .iter()
                .map(|(k, _, a)| k.len() + a.len() + 200)
                .sum();
            let told_bytes: usize = told.iter().map(told_size).sum();
            let tokens: usize = claims.iter().map(|c| c.tokens.len()).sum();
            let actions = entries.len() + tokens + marks.len() + drift.len() + told.len();
            if actions <= TRANSACT_MAX && bytes + told_bytes < TRANSACT_BYTES {
                return match self
                    .keep_claimed((entries, told), owner, (&claims, marks, drift), now)
                    .await?
                {
                    true => Ok(()),
                    false => Err(AwsError {
                        operation: "TransactWriteItems",
                        account: claims.first().map_or("-".into(), |c| c.account.clone()),
                        region: self.table.region.clone(),
                        code: "TransactionCanceledException".into(),
                        message: "a version these alerts tell is another run's to tell: not kept"
                            .into(),
                    }),
                };
            } else {
                tracing::warn!(
                    claims = claims.len(),
                    alerts = entries.len(),
                    "too many to keep in one transaction; the window claims stay unkept"
                );
            }
        }
        if entries.is_empty() {
            return Ok(());
        }
        let puts = entries
            .iter()
            .map(|(key, dest, alert)| put_request(outbox_item(key, dest, alert, owner, now)))
            .chain(told.iter().map(|r| told_put(r, self.history_retention)))
            .collect();
        self.table.put_all(puts, "-", "outbox item(s)").await
    }

    /// The copies, the claims' keeps and the defaults' marks in one
    /// `TransactWriteItems`; false when a claim's condition refused it.
    async fn keep_claimed(
        &self,
        (entries, told): (&[(String, &str, String)], &[ToldRow]),
        owner: &str,
        (claims, marks, drift): (&[WindowClaim], &[DefaultTold], &[DriftMark]),
        now: SystemTime,
    ) -> Result<bool, AwsError> {
        let built = |e: aws_sdk_dynamodb::error::BuildError| AwsError {
            operation: "TransactWriteItems",
            account: "-".into(),
            region: self.table.region.clone(),
            code: "BuildError".into(),
            message: e.to_string(),
        };
        let mut items = Vec::new();
        for (key, dest, alert) in entries {
            let put = Put::builder()
                .table_name(&self.table.name)
                .set_item(Some(outbox_item(key, dest, alert, owner, now)))
                .build()
                .map_err(built)?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        for row in told {
            let put = Put::builder()
                .table_name(&self.table.name)
                .set_item(Some(told_item(row, self.history_retention)))
                .build()
                .map_err(built)?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        let expires = clock::epoch_secs(now + self.history_retention);
        for claim in claims {
            for update in super::window_kept::kept(&self.table, claim, expires).map_err(built)? {
                items.push(TransactWriteItem::builder().update(update).build());
            }
        }
        let at = (clock::epoch_millis(now), expires);
        for mark in marks {
            let update = super::fact_items::mark_update(&self.table, mark, at).map_err(built)?;
            items.push(TransactWriteItem::builder().update(update).build());
        }
        for mark in drift {
            let update = super::drift_mark::update(&self.table, mark).map_err(built)?;
            items.push(TransactWriteItem::builder().update(update).build());
        }
        // A conflict with another request is sent again by `transact`:
        // read as "the claim is no longer ours" it told the window twice.
        match self.table.transact(items, "-", "outbox keep").await? {
            Transacted::Written => Ok(true),
            Transacted::Refused(_) => Ok(false),
        }
    }

    /// The window claims of a keep that did not land, given back for the
    /// next run to tell (`window_kept::give_back`).
    pub async fn give_back(&self, claims: &[WindowClaim]) {
        super::window_kept::give_back(&self.table, claims).await;
    }

    /// Everything in the outbox.
    pub async fn outbox(&self) -> Result<Vec<OutboxEntry>, AwsError> {
        let mut out = Vec::new();
        let mut pages = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(OUTBOX_PK))
            .consistent_read(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for item in page.map_err(|e| self.table.err("Query", "-", &e))?.items() {
                if let (Some(key), Some(alert)) = (get_s(item, "sk"), get_s(item, "alert")) {
                    out.push(OutboxEntry {
                        key,
                        alert,
                        // Items kept before destinations existed were for the alert topic.
                        dest: get_s(item, "dest").unwrap_or_else(|| "main".into()),
                        lease_until: crate::adapters::aws::dynamodb::get_n(item, "lease_until")
                            .unwrap_or(0),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Takes an outbox entry whose lease ran out (its keeper crashed or could
    /// not publish); false when another run holds it.
    pub async fn take_from_outbox(&self, key: &str, owner: &str) -> Result<bool, AwsError> {
        let now = clock::now();
        let result = self
            .table
            .update_at([("pk", s(OUTBOX_PK)), ("sk", s(key))])
            .update_expression("SET #owner = :me, lease_until = :until")
            .condition_expression("attribute_exists(pk) AND (attribute_not_exists(lease_until) OR lease_until < :now OR #owner = :me)")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":me", s(owner))
            .expression_attribute_values(":until", n(clock::epoch_millis(now + OUTBOX_LEASE)))
            .expression_attribute_values(":now", n(clock::epoch_millis(now)))
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

    /// Gives an entry we could not publish back at once, so the next run
    /// (a redelivery a second later) need not wait for the lease.
    pub async fn free_in_outbox(&self, key: &str, owner: &str) -> Result<(), AwsError> {
        let result = self
            .table
            .update_at([("pk", s(OUTBOX_PK)), ("sk", s(key))])
            .update_expression("SET lease_until = :zero")
            .condition_expression("#owner = :me")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":me", s(owner))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let err = self.table.err("UpdateItem", "-", &e);
                if err.is("ConditionalCheckFailedException") {
                    Ok(())
                } else {
                    Err(err)
                }
            }
        }
    }

    pub async fn sent_from_outbox(&self, key: &str) -> Result<(), AwsError> {
        self.table
            .client
            .delete_item()
            .table_name(&self.table.name)
            .key("pk", s(OUTBOX_PK))
            .key("sk", s(key))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.table.err("DeleteItem", "-", &e))
    }
}

/// One outbox copy, leased to `owner`.
fn outbox_item(
    key: &str,
    dest: &str,
    alert: &str,
    owner: &str,
    now: SystemTime,
) -> HashMap<String, AttributeValue> {
    [
        ("pk", s(OUTBOX_PK)),
        ("sk", s(key)),
        ("alert", s(alert)),
        ("dest", s(dest)),
        ("owner", s(owner)),
        ("lease_until", n(clock::epoch_millis(now + OUTBOX_LEASE))),
        ("at", s(clock::iso(now))),
        ("ttl", n(clock::epoch_secs(now + RECEIPT_TTL))),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}
