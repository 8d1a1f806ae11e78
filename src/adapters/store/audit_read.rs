//! Every history and told row read back, with its expiry, for
//! `runas-guard report`: an operator's command, run with the operator's
//! credentials (a `Scan`, which the function's role is never granted).

use super::state::StateStore;
use crate::adapters::aws::dynamodb::{get_n, get_s, s, Item};
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::report::audit::told::Told;
use crate::domain::report::audit::Record;

fn record(item: &Item) -> Record {
    Record {
        entry: super::status::history_entry(item),
        told: get_s(item, "told").and_then(|t| serde_json::from_str::<Told>(&t).ok()),
        expires: get_n(item, "ttl"),
    }
}

impl StateStore {
    /// Every history row in the table, told or not (a paginated scan, as
    /// `status` reads every state item: an operator's command). Rows past
    /// their TTL that DynamoDB has not removed yet are left out.
    pub async fn audit_records(&self) -> Result<Vec<Record>, AwsError> {
        let t = self.table();
        let now = clock::epoch_secs(clock::now());
        let mut pages = t
            .client
            .scan()
            .table_name(&t.name)
            .filter_expression("begins_with(sk, :history) OR begins_with(sk, :told)")
            .expression_attribute_values(":told", s("TOLD#"))
            .expression_attribute_values(":history", s("HISTORY#"))
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| t.err("Scan", "-", &e))?;
            out.extend(
                page.items()
                    .iter()
                    .map(record)
                    .filter(|r| r.expires.is_none_or(|x| x > now)),
            );
        }
        Ok(out)
    }
}
