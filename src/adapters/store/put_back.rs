//! The put-back mark as the table holds it now (`domain::unnamed`): read
//! again by an edit event's run whose own read of the rows came before
//! another run's put-back was recorded.

use super::keys::region_key;
use super::state::StateStore;
use crate::adapters::aws::dynamodb::{get_n, get_s, Table};
use crate::domain::aws_error::AwsError;

/// One account-region's item as an edit event's run looks at it again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutBackNow {
    /// The mark of a put-back whose editor is not named yet.
    pub mark: Option<String>,
    /// Until when another run holds the item's write lease (its put-back
    /// may be written and not recorded yet); a released lease is stamped
    /// with its release time, so a past time means none is held.
    pub lease_until_ms: Option<i64>,
    pub lease_owner: Option<String>,
}

impl StateStore {
    /// The slot's put-back mark and write lease, read consistently.
    pub async fn put_back_now(&self, account: &str, slot: &str) -> Result<PutBackNow, AwsError> {
        let item = read(
            self.table(),
            (account, slot),
            "unnamed_put_back, lease_until, lease_owner",
        )
        .await?;
        Ok(item.map_or_else(PutBackNow::default, |i| PutBackNow {
            mark: get_s(&i, "unnamed_put_back"),
            lease_until_ms: get_n(&i, "lease_until"),
            lease_owner: get_s(&i, "lease_owner"),
        }))
    }
}

/// The slot's put-back mark alone, read consistently: what the coalescing
/// gate asks before it answers an edit event that may be its editor's.
pub async fn mark(table: &Table, account: &str, slot: &str) -> Result<Option<String>, AwsError> {
    let item = read(table, (account, slot), "unnamed_put_back").await?;
    Ok(item.and_then(|i| get_s(&i, "unnamed_put_back")))
}

/// The slot's item as `projection` names it, read consistently.
async fn read(
    table: &Table,
    (account, slot): (&str, &str),
    projection: &str,
) -> Result<Option<crate::adapters::aws::dynamodb::Item>, AwsError> {
    let mut get = table
        .client
        .get_item()
        .table_name(&table.name)
        .consistent_read(true)
        .projection_expression(projection);
    for (k, v) in region_key(account, slot) {
        get = get.key(k, v);
    }
    let out = get
        .send()
        .await
        .map_err(|e| table.err("GetItem", account, &e))?;
    Ok(out.item)
}
