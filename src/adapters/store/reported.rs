//! A finding told once: what was reported is swapped for what is found now
//! in one conditional write, on the item the finding belongs to.

use crate::adapters::aws::dynamodb::{get_s, s, Table};
use crate::adapters::store::keys::account_pk;
use crate::domain::aws_error::AwsError;

/// Whether this run is the one to tell on-call about a finding (what the
/// check found in one account-region, which principals of an account carry
/// the Run As tag): what was reported before is swapped for `now` in one
/// conditional write, so of two runs that find the same, one decides; a
/// retry of the same trigger (a lost answer) finds its own report and
/// decides the same again.
pub struct Reported {
    pub(super) table: Table,
    pub account: String,
    /// The item's sort key (`REGION#<slot>`, `RUNAS_TAGS`).
    pub(super) sk: String,
    /// The attributes' prefix (`nodes`, `tags`): `<field>_reported`,
    /// `<field>_prev`, `<field>_by`.
    pub(super) field: &'static str,
    pub(super) trigger_id: String,
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

    /// The write that reports `now` (keeping what was reported before, and
    /// by whom), its condition left to the caller.
    fn report(
        &self,
        now: &str,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        let f = self.field;
        self.table
            .update_at(self.key())
            .update_expression(format!(
                "SET {f}_prev = if_not_exists({f}_reported, :none), {f}_reported = :now, {f}_by = :tid"
            ))
            .expression_attribute_values(":none", s(""))
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":tid", s(&self.trigger_id))
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            )
    }

    /// What was reported before `now` when this run reported it; `None` when
    /// another run already reported exactly `now`.
    pub async fn swap(&self, now: &str) -> Result<Option<Option<String>>, AwsError> {
        let f = self.field;
        let sent = self
            .report(now)
            .condition_expression(format!(
                "attribute_not_exists({f}_reported) OR {f}_reported <> :now"
            ))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await;
        let out = match self.table.updated_or_refused(&self.account, sent)? {
            Ok(out) => out,
            Err(item) => return Ok(self.ours_already(&item)),
        };
        let prev = out
            .attributes
            .as_ref()
            .and_then(|a| get_s(a, &format!("{f}_prev")));
        Ok(Some(prev.filter(|p| !p.is_empty())))
    }

    /// The refused write's item says `now` was reported by this trigger (a
    /// retry after a lost answer: what was reported before it), or by
    /// another run (`None`). The refusal carries the item
    /// ([`Table::updated_or_refused`]): a second read that failed after a
    /// refusal once told a window twice (simulation seed 650037).
    fn ours_already(&self, item: &crate::adapters::aws::dynamodb::Item) -> Option<Option<String>> {
        let f = self.field;
        if get_s(item, &format!("{f}_by")).as_deref() != Some(self.trigger_id.as_str()) {
            return None;
        }
        Some(get_s(item, &format!("{f}_prev")).filter(|p| !p.is_empty()))
    }
}
