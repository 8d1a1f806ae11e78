//! `enforcement_held` told once per verdict: the claim on the held
//! document's state item (`held_told`, `held_told_at`, `held_told_by`).

use crate::adapters::aws::dynamodb::{get_s, s};
use crate::adapters::store::keys::region_key;
use crate::adapters::store::state::StateStore;
use crate::domain::aws_error::AwsError;
use crate::domain::clock;

impl StateStore {
    /// Whether this run tells the hold of `slot` that began at `since`
    /// with the verdict `fingerprint`: one conditional write, so of two
    /// runs that find it, one tells; a retry of the same trigger (a lost
    /// answer) finds its own claim and tells the same again. False when the
    /// hold is another (released since, or begun anew) or already told so.
    pub async fn claim_held(
        &self,
        account: &str,
        slot: &str,
        since: &str,
        fingerprint: &str,
        trigger_id: &str,
    ) -> Result<bool, AwsError> {
        let t = self.table();
        let sent = t
            .update_region(account, slot)
            .update_expression("SET held_told = :fp, held_told_at = :at, held_told_by = :tid")
            .condition_expression(
                "held_since = :since AND (attribute_not_exists(held_told) OR held_told <> :fp)",
            )
            .expression_attribute_values(":fp", s(fingerprint))
            .expression_attribute_values(":at", s(clock::iso(clock::now())))
            .expression_attribute_values(":tid", s(trigger_id))
            .expression_attribute_values(":since", s(since))
            .send()
            .await;
        if t.applied("UpdateItem", account, sent)?.is_some() {
            return Ok(true);
        }
        let item = t.item(region_key(account, slot), account).await?;
        Ok(get_s(&item, "held_told_by").as_deref() == Some(trigger_id)
            && get_s(&item, "held_told").as_deref() == Some(fingerprint)
            && get_s(&item, "held_since").as_deref() == Some(since))
    }
}
