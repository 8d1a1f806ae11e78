//! Which elevated versions of a Session document were already told:
//! `ACCOUNT#<id>` / `BYPASS#<slot>`, so one change is told once.

use crate::aws::dynamodb::s;
use crate::aws::AwsError;
use crate::store::keys::account_pk;
use crate::store::state::StateStore;

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
