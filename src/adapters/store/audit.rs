//! The auditor's evidence in the hub table: told rows (what a security
//! alert told, `domain::report::audit::told`), written beside the history
//! rows (`ACCOUNT#<id>` / `TOLD#<time>#<region>#<id>`, status `told`,
//! action the alert's kind) with the history's TTL, in the same write that
//! keeps the alert for publishing (`outbox::keep`): an alert kept is an
//! alert the report shows. `audit_read` reads them back for
//! `runas-guard report`.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::WriteRequest;

use crate::adapters::aws::dynamodb::{n, put_request, s, Item};
use crate::adapters::store::keys::account_pk;
use crate::domain::clock;
use crate::domain::report::audit::told::ToldRow;

/// One told row's item (pure). Its key holds the alert's id, so the same
/// alert kept again (a retried keep) is the same row.
pub(super) fn told_item(row: &ToldRow, retention: Duration) -> Item {
    let doc = row.document.as_deref().unwrap_or_default();
    let id = crate::domain::ids::stable_id(&[&row.told.alert_id, &row.region, doc]);
    let at_ms = clock::parse_iso(&row.at).unwrap_or_else(|| clock::epoch_millis(clock::now()));
    let at = clock::iso(clock::from_millis(at_ms));
    let mut item: Item = HashMap::new();
    let mut put = |k: &str, v| {
        item.insert(k.to_string(), v);
    };
    put("pk", s(account_pk(&row.account)));
    put("sk", s(format!("TOLD#{at}#{}#{}", row.region, &id[..8])));
    put("account", s(&row.account));
    put("region", s(&row.region));
    if let Some(d) = &row.document {
        put("document", s(d));
    }
    put("status", s("told"));
    put("action", s(&row.told.kind));
    put("before", s(row.before.to_string()));
    put("after", s(row.after.to_string()));
    if let Some(a) = &row.actor {
        put("actor", s(a));
    }
    put("trigger_id", s(&row.trigger_id));
    put("trigger_kind", s(&row.trigger_kind));
    put("at", s(&at));
    put(
        "told",
        s(serde_json::to_string(&row.told).expect("plain data serialises")),
    );
    let expires = clock::from_millis(at_ms) + retention;
    put("ttl", n(clock::epoch_secs(expires)));
    item
}

pub(super) fn told_put(row: &ToldRow, retention: Duration) -> WriteRequest {
    put_request(told_item(row, retention))
}
