//! The right to create an account-region's check association: a conditional
//! write on the check's state item, so of two runs that both find none, one
//! creates it. Released when the creation is recorded, or at once when it
//! failed; a run that died holding it lets go after [`HOLD`]. Also what the
//! row records of the check, for a run that did not read it in a snapshot.

use std::time::Duration;

use crate::adapters::aws::dynamodb::{get_s, n, s, Table};
use crate::adapters::store::keys::region_key;
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::nodes::CreateClaim;
use crate::domain::nodes::Readiness;

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

    /// One consistent `GetItem` of the row's `nodes` (a row this build did
    /// not write reads as none).
    async fn recorded(&self) -> Result<Option<Readiness>, AwsError> {
        let [(k1, v1), (k2, v2)] = region_key(&self.account, &self.slot);
        let got = self
            .table
            .client
            .get_item()
            .table_name(&self.table.name)
            .key(k1, v1)
            .key(k2, v2)
            .consistent_read(true)
            .projection_expression("nodes")
            .send()
            .await
            .map_err(|e| self.table.err("GetItem", &self.account, &e))?;
        Ok(got
            .item()
            .and_then(|item| get_s(item, "nodes"))
            .and_then(|text| Readiness::from_json(&text)))
    }

    async fn release(&self) -> Result<(), AwsError> {
        let sent = self
            .table
            .update_region(&self.account, &self.slot)
            .update_expression("REMOVE creating_by, creating_until")
            .condition_expression("creating_by = :me")
            .expression_attribute_values(":me", s(&self.owner))
            .send()
            .await;
        self.table.applied("UpdateItem", &self.account, sent)?;
        Ok(())
    }
}
