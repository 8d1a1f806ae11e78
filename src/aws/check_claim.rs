//! The right to create an account-region's check association: a conditional
//! write on the check's state item, so of two runs that both find none, one
//! creates it. Released when the creation is recorded; a run that died
//! holding it lets go after [`HOLD`].

use std::time::Duration;

use super::table::{account_pk, get_s, n, s, Table};
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

/// Whether this run is the one to tell on-call about a finding (what the
/// check found in one account-region, which principals of an account carry
/// the Run As tag): what was reported before is swapped for `now` in one
/// conditional write, so of two runs that find the same, one decides; a
/// retry of the same trigger (a lost answer) finds its own report and
/// decides the same again.
pub struct Reported {
    pub table: Table,
    pub account: String,
    /// The item's sort key (`REGION#<slot>`, `RUNAS_TAGS`).
    pub sk: String,
    /// The attributes' prefix (`nodes`, `tags`): `<field>_reported`,
    /// `<field>_prev`, `<field>_by`.
    pub field: &'static str,
    pub trigger_id: String,
}

impl Reported {
    /// The run-as user check's finding in one account-region (`slot`).
    pub fn nodes(table: Table, account: &str, slot: &str, trigger_id: &str) -> Reported {
        Reported {
            table,
            account: account.to_string(),
            sk: format!("REGION#{slot}"),
            field: "nodes",
            trigger_id: trigger_id.to_string(),
        }
    }

    fn key(&self) -> [(&'static str, aws_sdk_dynamodb::types::AttributeValue); 2] {
        [("pk", s(account_pk(&self.account))), ("sk", s(&self.sk))]
    }

    /// What was reported before `now` when this run reported it; `None` when
    /// another run already reported exactly `now`.
    pub async fn swap(&self, now: &str) -> Result<Option<Option<String>>, AwsError> {
        let f = self.field;
        let sent = self
            .table
            .update_at(self.key())
            .update_expression(format!(
                "SET {f}_prev = if_not_exists({f}_reported, :none), {f}_reported = :now, {f}_by = :tid"
            ))
            .condition_expression(format!(
                "attribute_not_exists({f}_reported) OR {f}_reported <> :now"
            ))
            .expression_attribute_values(":none", s(""))
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":tid", s(&self.trigger_id))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await;
        let Some(out) = self.table.applied("UpdateItem", &self.account, sent)? else {
            return self.ours_already().await;
        };
        let prev = out
            .attributes
            .as_ref()
            .and_then(|a| get_s(a, &format!("{f}_prev")));
        Ok(Some(prev.filter(|p| !p.is_empty())))
    }

    /// `now` is what the item says: reported by this trigger (a retry after
    /// a lost answer), or by another run.
    async fn ours_already(&self) -> Result<Option<Option<String>>, AwsError> {
        let f = self.field;
        let item = self.table.item(self.key(), &self.account).await?;
        if get_s(&item, &format!("{f}_by")).as_deref() != Some(self.trigger_id.as_str()) {
            return Ok(None);
        }
        Ok(Some(
            get_s(&item, &format!("{f}_prev")).filter(|p| !p.is_empty()),
        ))
    }
}
