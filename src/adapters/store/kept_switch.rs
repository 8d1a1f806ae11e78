//! A failed run's default switch, kept on its slot's item before the run's
//! alerts are (`domain::kept_switch`): the record that keeps it comes
//! after the keep, and a run that dies between the two (every attempt of
//! the switch's event, where an admin makes the guard's calls fail) would
//! leave the switch to nobody.

use super::state::StateStore;
use crate::adapters::aws::dynamodb::s;
use crate::domain::aws_error::AwsError;
use crate::domain::kept_switch::Kept;

impl StateStore {
    /// Keeps `kept` on the slot's item where a record exists (the earliest
    /// kept stays, as the record's own write keeps it); a slot never
    /// recorded is left to the run's record, which makes its item.
    pub async fn keep_switch(
        &self,
        account: &str,
        slot: &str,
        kept: &Kept,
    ) -> Result<(), AwsError> {
        let sent = self
            .table()
            .update_region(account, slot)
            .update_expression("SET #switch = if_not_exists(#switch, :switch)")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#switch", kept.attribute())
            .expression_attribute_values(":switch", s(kept.value()))
            .send()
            .await;
        self.table()
            .applied("UpdateItem", account, sent)
            .map(|_| ())
    }
}
