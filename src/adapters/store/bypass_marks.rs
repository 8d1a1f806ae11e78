//! Which elevated versions of a Session document were already told:
//! `ACCOUNT#<id>` / `BYPASS#<slot>`, so one change is told once.

use crate::adapters::aws::dynamodb::{get_s, s};
use crate::adapters::store::keys::account_pk;
use crate::adapters::store::state::StateStore;
use crate::domain::aws_error::AwsError;

impl StateStore {
    /// Marks `fingerprint` (a document's elevated versions) as told for this
    /// account-region-document. True when this trigger is the one to tell:
    /// nobody told it yet, or this same trigger did (a retry after a lost
    /// answer). Another event of the same change finds it told.
    pub async fn claim_bypass(
        &self,
        account: &str,
        slot: &str,
        fingerprint: &str,
        trigger_id: &str,
    ) -> Result<bool, AwsError> {
        let t = self.table();
        let sent = t
            .update_at([
                ("pk", s(account_pk(account))),
                ("sk", s(format!("BYPASS#{slot}"))),
            ])
            .update_expression("SET told = :fp, told_by = :tid")
            .condition_expression("attribute_not_exists(told) OR told <> :fp OR told_by = :tid")
            .expression_attribute_values(":fp", s(fingerprint))
            .expression_attribute_values(":tid", s(trigger_id))
            .send()
            .await;
        Ok(t.applied("UpdateItem", account, sent)?.is_some())
    }
}

impl StateStore {
    /// Forgets what was told about this account-region-document: a look
    /// found it gone or keeping Run As, so the next time it skips Run As
    /// (re-created, its default switched back) is news again.
    pub async fn clear_bypass(&self, account: &str, slot: &str) -> Result<(), AwsError> {
        let t = self.table();
        t.client
            .delete_item()
            .table_name(&t.name)
            .key("pk", s(account_pk(account)))
            .key("sk", s(format!("BYPASS#{slot}")))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| t.err("DeleteItem", account, &e))
    }

    /// The account's told documents (`<region>#<name>` slots), one Query:
    /// a sweep clears those it finds gone or keeping Run As.
    pub async fn bypass_marks(&self, account: &str) -> Result<Vec<String>, AwsError> {
        let t = self.table();
        let mut pages = t
            .client
            .query()
            .table_name(&t.name)
            .key_condition_expression("pk = :pk AND begins_with(sk, :marks)")
            .expression_attribute_values(":pk", s(account_pk(account)))
            .expression_attribute_values(":marks", s("BYPASS#"))
            .into_paginator()
            .send();
        let mut slots = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| t.err("Query", account, &e))?;
            slots.extend(page.items().iter().filter_map(|i| {
                get_s(i, "sk").and_then(|k| k.strip_prefix("BYPASS#").map(str::to_string))
            }));
        }
        Ok(slots)
    }
}
