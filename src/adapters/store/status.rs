//! State items and history rows as `runas-guard status` and `runas-guard
//! history` show them.

use super::state::StateStore;
use crate::adapters::aws::dynamodb::{get_n, get_s, s, Item};
use crate::adapters::store::keys::account_pk;
use crate::domain::aws_error::AwsError;
use crate::domain::governance::Departure;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

use crate::domain::rows::{HistoryEntry, StateRow};

/// A stored value as JSON: a boolean attribute, or a string that says
/// `true`/`false`, becomes a JSON boolean; other strings stay strings.
fn json_value(item: &Item, key: &str) -> Option<Value> {
    match item.get(key)? {
        AttributeValue::Bool(b) => Some(Value::Bool(*b)),
        AttributeValue::S(v) => Some(match v.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => Value::String(other.to_string()),
        }),
        AttributeValue::N(n) => Some(serde_json::from_str(n).unwrap_or(Value::String(n.clone()))),
        AttributeValue::Null(_) => Some(Value::Null),
        _ => None,
    }
}

/// Items written before `[[document]]` existed, and the default document's,
/// carry no `document` attribute.
fn document(i: &Item) -> String {
    get_s(i, "document").unwrap_or_else(|| crate::domain::trigger::DOCUMENT_NAME.into())
}

fn row(i: &Item) -> StateRow {
    StateRow {
        account: get_s(i, "account").unwrap_or_default(),
        region: get_s(i, "region").unwrap_or_default(),
        document: document(i),
        status: get_s(i, "status").unwrap_or_default(),
        desired_user: get_s(i, "desired_user"),
        observed_user: get_s(i, "observed_user"),
        observed_run_as_enabled: json_value(i, "observed_run_as_enabled"),
        default_version: get_s(i, "default_version"),
        last_action: get_s(i, "last_action"),
        last_trigger_kind: get_s(i, "last_trigger_kind"),
        last_trigger_id: get_s(i, "last_trigger_id"),
        last_actor: get_s(i, "last_actor"),
        last_error_code: get_s(i, "last_error_code"),
        last_error: get_s(i, "last_error"),
        last_checked: get_s(i, "last_checked"),
        last_changed: get_s(i, "last_changed"),
        changes: get_n(i, "changes").unwrap_or(0),
        nodes: get_s(i, "nodes").and_then(|n| crate::domain::nodes::Readiness::from_json(&n)),
        mode: get_s(i, "mode"),
        held: get_s(i, "held"),
        held_since: get_s(i, "held_since"),
        held_told_at: get_s(i, "held_told_at"),
        ou_path: get_s(i, "ou_path"),
        canary: crate::domain::rows::CanaryState::of(i),
    }
}

pub(super) fn history_entry(i: &Item) -> HistoryEntry {
    let json = |k: &str| {
        get_s(i, k)
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null)
    };
    let sk = get_s(i, "sk").unwrap_or_default();
    HistoryEntry {
        at: get_s(i, "at").unwrap_or_else(|| {
            sk.trim_start_matches("HISTORY#")
                .split('#')
                .next()
                .unwrap_or_default()
                .to_string()
        }),
        account: get_s(i, "account").unwrap_or_default(),
        region: get_s(i, "region").unwrap_or_default(),
        document: document(i),
        status: get_s(i, "status").unwrap_or_default(),
        action: get_s(i, "action").unwrap_or_default(),
        before: json("before"),
        after: json("after"),
        actor: get_s(i, "actor"),
        trigger_id: get_s(i, "trigger_id").unwrap_or_default(),
        trigger_kind: get_s(i, "trigger_kind").unwrap_or_default(),
        versions_before: get_s(i, "versions_before"),
        version_after: get_s(i, "version_after"),
    }
}

impl StateStore {
    /// State items, for one account or all (a paginated scan: fine for an
    /// operator command over a few thousand items).
    pub async fn list(&self, account: Option<&str>) -> Result<Vec<StateRow>, AwsError> {
        let t = self.table();
        let mut items = Vec::new();
        match account {
            Some(a) => {
                let mut pages = t
                    .client
                    .query()
                    .table_name(&t.name)
                    .key_condition_expression("pk = :pk AND begins_with(sk, :region)")
                    .expression_attribute_values(":pk", s(account_pk(a)))
                    .expression_attribute_values(":region", s("REGION#"))
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    items.extend(
                        page.map_err(|e| t.err("Query", a, &e))?
                            .items()
                            .iter()
                            .cloned(),
                    );
                }
            }
            None => {
                let mut pages = t
                    .client
                    .scan()
                    .table_name(&t.name)
                    .filter_expression("begins_with(sk, :region)")
                    .expression_attribute_values(":region", s("REGION#"))
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    items.extend(
                        page.map_err(|e| t.err("Scan", "-", &e))?
                            .items()
                            .iter()
                            .cloned(),
                    );
                }
            }
        }
        let mut rows: Vec<StateRow> = items
            .iter()
            // An item holding only a lease was never recorded.
            .filter(|i| i.contains_key("status"))
            .map(row)
            .collect();
        crate::domain::report::order::sort_by_place(&mut rows, crate::domain::report::place_of);
        // A sweep writes only what changed; what it left alone was checked then.
        if let Some(swept) = self.last_sweep().await?.map(|s| s.at) {
            for r in &mut rows {
                if r.last_checked.as_ref().is_none_or(|c| *c < swept) {
                    r.last_checked = Some(swept.clone());
                }
            }
        }
        Ok(rows)
    }

    /// One account's history rows at or after `since` (an ISO time, or the
    /// beginning), oldest first: one query on the account's partition.
    pub async fn history(
        &self,
        account: &str,
        since: Option<&str>,
    ) -> Result<Vec<HistoryEntry>, AwsError> {
        let t = self.table();
        // `$` sorts right after `#`: every `HISTORY#...` key is below it.
        let from = format!("HISTORY#{}", since.unwrap_or_default());
        let mut pages = t
            .client
            .query()
            .table_name(&t.name)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(account_pk(account)))
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":to", s("HISTORY$"))
            .into_paginator()
            .send();
        let mut rows = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| t.err("Query", account, &e))?;
            rows.extend(page.items().iter().map(history_entry));
        }
        Ok(rows)
    }
}

impl StateStore {
    /// Recorded departures: of these accounts, or all (a scan, as `status`
    /// reads every state item).
    pub async fn departures(&self, accounts: &[String]) -> Result<Vec<Departure>, AwsError> {
        let t = self.table();
        let mut items = Vec::new();
        if accounts.is_empty() {
            let mut pages = t
                .client
                .scan()
                .table_name(&t.name)
                .filter_expression("sk = :sk")
                .expression_attribute_values(":sk", s(super::governance::SK))
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                items.extend(page.map_err(|e| t.err("Scan", "-", &e))?.items().to_vec());
            }
        }
        for a in accounts {
            items.push(t.item(super::governance::key(a), a).await?);
        }
        let mut out: Vec<Departure> = items
            .iter()
            .filter_map(|i| serde_json::from_str(&get_s(i, "departure")?).ok())
            .collect();
        out.sort_by(|a, b| a.account.cmp(&b.account));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rows::run_as_short;

    #[test]
    fn observed_enabled_is_typed_and_rendered_like_everywhere_else() {
        let mut item = Item::new();
        item.insert("observed_run_as_enabled".into(), s("true"));
        item.insert("observed_user".into(), s("ops"));
        item.insert("status".into(), s("compliant"));
        let r = row(&item);
        assert_eq!(r.observed_run_as_enabled, Some(Value::Bool(true)));
        assert_eq!(r.observed_short(), "on/ops");
        item.insert("observed_run_as_enabled".into(), s("false"));
        assert_eq!(row(&item).observed_short(), "off/ops");
        item.insert("observed_run_as_enabled".into(), s("yes"));
        assert_eq!(row(&item).observed_short(), "off(\"yes\")/ops");
        item.insert("observed_run_as_enabled".into(), AttributeValue::Bool(true));
        assert_eq!(row(&item).observed_run_as_enabled, Some(Value::Bool(true)));
        let empty = row(&Item::new());
        assert_eq!(empty.observed_short(), "-");
    }

    #[test]
    fn stored_run_as_renders_short() {
        let v: Value =
            serde_json::from_str(r#"{"runAsEnabled": "false", "runAsDefaultUser": "x"}"#).unwrap();
        assert_eq!(run_as_short(&v), "off(\"false\")/x");
        assert_eq!(run_as_short(&Value::Null), "no document");
    }
}
