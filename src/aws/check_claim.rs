//! The right to create an account-region's check association: a conditional
//! write on the check's state item, so of two runs that both find none, one
//! creates it. Released when the creation is recorded; a run that died
//! holding it lets go after [`HOLD`].

use std::time::Duration;

use super::table::{get_s, n, region_key, s, Table};
use super::AwsError;
use crate::clock;
use crate::nodes::check::CreateClaim;

/// Longer than a create and its record take; short enough that a run that
/// died does not keep the association missing past the next sweep.
const HOLD: Duration = Duration::from_secs(120);

pub struct CheckClaim {
    pub table: Table,
    pub account: String,
    /// The check row's slot (`<region>#DOCUMENT#<check document>`).
    pub slot: String,
    pub owner: String,
}

impl CreateClaim for CheckClaim {
    async fn claim(&self) -> Result<bool, AwsError> {
        let now = clock::epoch_millis(clock::now());
        let until = now + i64::try_from(HOLD.as_millis()).unwrap_or(i64::MAX);
        let sent = self
            .table
            .update_region(&self.account, &self.slot)
            .update_expression("SET creating_by = :me, creating_until = :until")
            // Our own retried claim (a lost answer) finds itself.
            .condition_expression(
                "attribute_not_exists(creating_until) OR creating_until < :now OR creating_by = :me",
            )
            .expression_attribute_values(":me", s(&self.owner))
            .expression_attribute_values(":until", n(until))
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        Ok(self
            .table
            .applied("UpdateItem", &self.account, sent)?
            .is_some())
    }
}

/// Whether this run is the one to tell on-call about what the check found in
/// one account-region: what was reported before is swapped for `now` in one
/// conditional write, so of two runs that find the same nodes, one decides;
/// a retry of the same trigger (a lost answer) finds its own report and
/// decides the same again.
pub struct Reported {
    pub table: Table,
    pub account: String,
    pub slot: String,
    pub trigger_id: String,
}

impl Reported {
    /// What was reported before `now` when this run reported it; `None` when
    /// another run already reported exactly `now`.
    pub async fn swap(&self, now: &str) -> Result<Option<Option<String>>, AwsError> {
        let sent = self
            .table
            .update_region(&self.account, &self.slot)
            .update_expression(
                "SET nodes_prev = if_not_exists(nodes_reported, :none), nodes_reported = :now, nodes_by = :tid",
            )
            .condition_expression("attribute_not_exists(nodes_reported) OR nodes_reported <> :now")
            .expression_attribute_values(":none", s(""))
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":tid", s(&self.trigger_id))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await;
        let Some(out) = self.table.applied("UpdateItem", &self.account, sent)? else {
            return self.ours_already().await;
        };
        let prev = out.attributes.as_ref().and_then(|a| get_s(a, "nodes_prev"));
        Ok(Some(prev.filter(|p| !p.is_empty())))
    }

    /// `now` is what the item says: reported by this trigger (a retry after
    /// a lost answer), or by another run.
    async fn ours_already(&self) -> Result<Option<Option<String>>, AwsError> {
        let item = self
            .table
            .item(region_key(&self.account, &self.slot), &self.account)
            .await?;
        if get_s(&item, "nodes_by").as_deref() != Some(self.trigger_id.as_str()) {
            return Ok(None);
        }
        Ok(Some(get_s(&item, "nodes_prev").filter(|p| !p.is_empty())))
    }
}
