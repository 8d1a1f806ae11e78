//! Accounts that left governance (`ACCOUNT#<id>` / `GOVERNANCE`): the
//! once-only claim of telling it (a conditional put: of a move event, its
//! duplicates and the sweep after it, one tells), and the record `status`
//! shows until the account is governed again (then it goes).

use aws_sdk_dynamodb::types::AttributeValue;

use crate::aws::dynamodb::{get_s, s};
use crate::aws::AwsError;
use crate::governance::Departure;
use crate::store::keys::account_pk;
use crate::store::state::StateStore;

const SK: &str = "GOVERNANCE";

fn key(account: &str) -> [(&'static str, AttributeValue); 2] {
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
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        if t.applied("PutItem", &d.account, sent)?.is_some() {
            return Ok(true);
        }
        let item = t.item(key(&d.account), &d.account).await?;
        Ok(get_s(&item, "trigger_id").as_deref() == Some(d.trigger_id.as_str()))
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

    /// Recorded departures: of these accounts, or all (a scan, as `status`
    /// reads every state item).
    pub async fn departures(&self, accounts: &[String]) -> Result<Vec<Departure>, AwsError> {
        let t = self.table();
        let mut items = Vec::new();
        if accounts.is_empty() {
            let mut pages = t
                .client
                .scan()
                .table_name(&t.name)
                .filter_expression("sk = :sk")
                .expression_attribute_values(":sk", s(SK))
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                items.extend(page.map_err(|e| t.err("Scan", "-", &e))?.items().to_vec());
            }
        }
        for a in accounts {
            items.push(t.item(key(a), a).await?);
        }
        let mut out: Vec<Departure> = items
            .iter()
            .filter_map(|i| serde_json::from_str(&get_s(i, "departure")?).ok())
            .collect();
        out.sort_by(|a, b| a.account.cmp(&b.account));
        Ok(out)
    }
}
