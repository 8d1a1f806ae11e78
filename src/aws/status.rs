//! State items as `runas-guard status` shows them.

use super::state::{account_pk, get_n, get_s, s, Item, StateStore};
use super::AwsError;
use serde::Serialize;

/// One state item as `runas-guard status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct StateRow {
    pub account: String,
    pub region: String,
    pub status: String,
    pub desired_user: Option<String>,
    pub observed_user: Option<String>,
    pub observed_run_as_enabled: Option<String>,
    pub default_version: Option<String>,
    pub last_action: Option<String>,
    pub last_trigger_kind: Option<String>,
    pub last_trigger_id: Option<String>,
    pub last_actor: Option<String>,
    pub last_error: Option<String>,
    pub last_checked: Option<String>,
    pub last_changed: Option<String>,
    pub changes: i64,
}

fn row(i: &Item) -> StateRow {
    StateRow {
        account: get_s(i, "account").unwrap_or_default(),
        region: get_s(i, "region").unwrap_or_default(),
        status: get_s(i, "status").unwrap_or_default(),
        desired_user: get_s(i, "desired_user"),
        observed_user: get_s(i, "observed_user"),
        observed_run_as_enabled: get_s(i, "observed_run_as_enabled"),
        default_version: get_s(i, "default_version"),
        last_action: get_s(i, "last_action"),
        last_trigger_kind: get_s(i, "last_trigger_kind"),
        last_trigger_id: get_s(i, "last_trigger_id"),
        last_actor: get_s(i, "last_actor"),
        last_error: get_s(i, "last_error"),
        last_checked: get_s(i, "last_checked"),
        last_changed: get_s(i, "last_changed"),
        changes: get_n(i, "changes").unwrap_or(0),
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
        rows.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
        // A sweep writes only what changed; what it left alone was checked then.
        if let Some(swept) = self.last_sweep().await? {
            for r in &mut rows {
                if r.last_checked.as_ref().is_none_or(|c| *c < swept) {
                    r.last_checked = Some(swept.clone());
                }
            }
        }
        Ok(rows)
    }
}
