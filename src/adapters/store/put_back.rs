//! The put-back marks as the table holds them now (`domain::unnamed`):
//! read again by an edit event's run whose own read of the rows came before
//! another run's put-back was recorded, and by the coalescing gate.

use super::keys::region_key;
use super::state::StateStore;
use crate::adapters::aws::dynamodb::{get_n, get_s, Item, Table};
use crate::domain::aws_error::AwsError;
use crate::domain::put_back::UNVERSIONED;

/// One account-region's item as an edit event's run looks at it again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutBackNow {
    /// The marks of put-backs whose editor is not named yet, each with its
    /// attribute.
    pub marks: Vec<(String, String)>,
    /// Until when another run holds the item's write lease (its put-back
    /// may be written and not recorded yet); a released lease is stamped
    /// with its release time, so a past time means none is held.
    pub lease_until_ms: Option<i64>,
    pub lease_owner: Option<String>,
}

impl StateStore {
    /// The slot's put-back marks (of `version`, the one the event made,
    /// where it says; else all) and write lease, read consistently.
    pub async fn put_back_now(
        &self,
        account: &str,
        slot: &str,
        version: Option<&str>,
    ) -> Result<PutBackNow, AwsError> {
        let item = read(
            self.table(),
            (account, slot),
            version,
            &["lease_until", "lease_owner"],
        )
        .await?;
        Ok(item.map_or_else(PutBackNow::default, |i| PutBackNow {
            marks: super::item::marks(&i),
            lease_until_ms: get_n(&i, "lease_until"),
            lease_owner: get_s(&i, "lease_owner"),
        }))
    }
}

/// The slot's put-back marks (of `version`, where the event says which it
/// made; else all), read consistently: what the coalescing gate asks before
/// it answers an edit event that may be its editor's.
pub async fn marks(
    table: &Table,
    account: &str,
    slot: &str,
    version: Option<&str>,
) -> Result<Vec<(String, String)>, AwsError> {
    let item = read(table, (account, slot), version, &[]).await?;
    Ok(item.map(|i| super::item::marks(&i)).unwrap_or_default())
}

/// The slot's item, read consistently: the marks of `version` (and those
/// kept without one) and `also`, or the whole item where no version is
/// known (no projection names every mark).
async fn read(
    table: &Table,
    (account, slot): (&str, &str),
    version: Option<&str>,
    also: &[&str],
) -> Result<Option<Item>, AwsError> {
    let mut get = table
        .client
        .get_item()
        .table_name(&table.name)
        .consistent_read(true);
    if let Some(marks) = version.and_then(crate::domain::put_back::of_version) {
        let mut names = vec![marks, UNVERSIONED.to_string()];
        names.extend(also.iter().map(|a| a.to_string()));
        get = get.projection_expression(names.join(", "));
    }
    for (k, v) in region_key(account, slot) {
        get = get.key(k, v);
    }
    let out = get
        .send()
        .await
        .map_err(|e| table.err("GetItem", account, &e))?;
    Ok(out.item)
}
