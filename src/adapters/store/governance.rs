//! Accounts that left governance (`ACCOUNT#<id>` / `GOVERNANCE`): the
//! once-only claim of telling it (a conditional put: of a move event, its
//! duplicates and the sweep after it, one tells), and the record `status`
//! shows until the account is governed again (then it goes). Marks sit in
//! the state index's `DEPARTED` partition, so a sweep lists them in one
//! Query and clears only those that exist.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::adapters::aws::dynamodb::{get_s, s};
use crate::adapters::store::keys::{account_pk, DEPARTED_SHARD, STATE_INDEX};
use crate::adapters::store::state::StateStore;
use crate::domain::aws_error::AwsError;
use crate::domain::governance::Departure;

pub(super) const SK: &str = "GOVERNANCE";

pub(super) fn key(account: &str) -> [(&'static str, AttributeValue); 2] {
    [("pk", s(account_pk(account))), ("sk", s(SK))]
}

impl StateStore {
    /// Whether this run tells `d`: true when its put found no departure
    /// recorded, or found its own (a retry of the same trigger after a lost
    /// answer); false when another run recorded the account's departure.
    pub async fn claim_departure(&self, d: &Departure) -> Result<bool, AwsError> {
        let t = self.table();
        let json = serde_json::to_string(d).expect("plain data serialises");
        let [(k1, v1), (k2, v2)] = key(&d.account);
        let sent = t
            .client
            .put_item()
            .table_name(&t.name)
            .item(k1, v1)
            .item(k2, v2)
            .item("account", s(&d.account))
            .item("departure", s(json))
            .item("trigger_id", s(&d.trigger_id))
            .item("left_at", s(&d.at))
            .item("state_shard", s(DEPARTED_SHARD))
            // A mark written before marks were indexed is not listed, so no sweep
            // clears it when its account comes back: a new departure
            // replaces it (told once more at worst, never silenced).
            .condition_expression("attribute_not_exists(pk) OR attribute_not_exists(state_shard)")
            .send()
            .await;
        if t.applied("PutItem", &d.account, sent)?.is_some() {
            return Ok(true);
        }
        let item = t.item(key(&d.account), &d.account).await?;
        Ok(get_s(&item, "trigger_id").as_deref() == Some(d.trigger_id.as_str()))
    }

    /// The accounts whose departure is on record (one Query of the index's
    /// `DEPARTED` partition; a mark written before marks were indexed is
    /// not listed).
    pub async fn departed_accounts(&self) -> Result<BTreeSet<String>, AwsError> {
        let t = self.table();
        let mut out = BTreeSet::new();
        let mut pages = t
            .client
            .query()
            .table_name(&t.name)
            .index_name(STATE_INDEX)
            .key_condition_expression("state_shard = :shard")
            .expression_attribute_values(":shard", s(DEPARTED_SHARD))
            .projection_expression("account")
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| t.err("Query", "-", &e))?;
            out.extend(page.items().iter().filter_map(|i| get_s(i, "account")));
        }
        Ok(out)
    }

    /// The account is governed again: its departure is no longer news, and
    /// the next one is told again.
    pub async fn governed_again(&self, account: &str) -> Result<(), AwsError> {
        let t = self.table();
        let [(k1, v1), (k2, v2)] = key(account);
        t.client
            .delete_item()
            .table_name(&t.name)
            .key(k1, v1)
            .key(k2, v2)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| t.err("DeleteItem", account, &e))
    }
}
