//! Accounts that left governance (`ACCOUNT#<id>` / `GOVERNANCE`): the
//! once-only claim of telling it (a conditional put: of a move event, its
//! duplicates and the sweep after it, one tells), and the record `status`
//! shows until the account is governed again (then it goes).

use aws_sdk_dynamodb::types::AttributeValue;

use crate::adapters::aws::dynamodb::{get_s, s};
use crate::adapters::store::keys::account_pk;
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
}
