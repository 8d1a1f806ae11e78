//! What principals of an account carry the `SSMSessionRunAs` tag, as last
//! told: `ACCOUNT#<id>` / `RUNAS_TAGS`, attributes `tags_*`.

use crate::adapters::aws::dynamodb::Table;
use crate::adapters::store::reported::Reported;

/// The item that records what the account carries.
const SK: &str = "RUNAS_TAGS";

/// The account's inventory as a finding told once per change.
pub fn reported(table: Table, account: &str, trigger_id: &str) -> Reported {
    Reported {
        table,
        account: account.to_string(),
        sk: SK.into(),
        field: "tags",
        trigger_id: trigger_id.to_string(),
    }
}
