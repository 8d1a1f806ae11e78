//! The forwarding canary's marks on an account-region's state item
//! (`canary_*`): which token was written when, when it arrived, and since
//! when the path has been found broken. They ride on the state item so a
//! sweep's snapshot and `status` read them with no extra call; state writes
//! are `UpdateItem`s of other attributes and never clear them.

use aws_sdk_dynamodb::types::ReturnValue;

use crate::adapters::aws::dynamodb::{get_n, get_s, n, s, Item};
use crate::adapters::store::state::StateStore;
use crate::domain::aws_error::AwsError;
use crate::domain::rows::CanaryState;

/// What an arrival found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    pub written_ms: i64,
    /// The path had been told broken: this arrival says it works again.
    pub was_missing: bool,
}

impl StateStore {
    /// A new canary is about to be written: recorded first, so its arrival
    /// (seconds later, maybe sooner than this answer) always finds it. Only
    /// on an item a run has recorded (false otherwise: nothing is written).
    pub async fn canary_written(
        &self,
        account: &str,
        region: &str,
        token: &str,
        now_ms: i64,
    ) -> Result<bool, AwsError> {
        let t = self.table();
        let sent = t
            .update_region(account, region)
            .update_expression("SET canary_token = :t, canary_written_ms = :w REMOVE canary_arrived_ms, canary_error")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":t", s(token))
            .expression_attribute_values(":w", n(now_ms))
            .send()
            .await;
        Ok(t.applied("UpdateItem", account, sent)?.is_some())
    }

    /// The canary `token` could not be written (`code`): it is no canary,
    /// so nothing awaits it; the item says why.
    pub async fn canary_unsent(
        &self,
        account: &str,
        region: &str,
        token: &str,
        code: &str,
    ) -> Result<(), AwsError> {
        let t = self.table();
        let sent = t
            .update_region(account, region)
            .update_expression("SET canary_error = :code REMOVE canary_token, canary_written_ms")
            .condition_expression("canary_token = :t")
            .expression_attribute_values(":t", s(token))
            .expression_attribute_values(":code", s(code))
            .send()
            .await;
        t.applied("UpdateItem", account, sent).map(|_| ())
    }

    /// The canary cannot be written (`code`), and the item said `told`:
    /// true for the one sweep that marks it, once its alert is kept. The
    /// mark stays while the canary stays refused for that reason.
    pub async fn canary_unwritable(
        &self,
        account: &str,
        region: &str,
        told: Option<&str>,
        code: &str,
    ) -> Result<bool, AwsError> {
        let t = self.table();
        let update = t
            .update_region(account, region)
            .update_expression("SET canary_unwritable = :code")
            .expression_attribute_values(":code", s(code));
        let update = match told {
            None => update.condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(canary_unwritable)",
            ),
            Some(told) => update
                .condition_expression("canary_unwritable = :told")
                .expression_attribute_values(":told", s(told)),
        };
        let sent = update.send().await;
        Ok(t.applied("UpdateItem", account, sent)?.is_some())
    }

    /// A canary was written after the refusal `told` was told: the mark
    /// goes, so a later refusal is told again (a newer mark stays).
    pub async fn canary_writable(
        &self,
        account: &str,
        region: &str,
        told: &str,
    ) -> Result<(), AwsError> {
        let t = self.table();
        let sent = t
            .update_region(account, region)
            .update_expression("REMOVE canary_unwritable")
            .condition_expression("canary_unwritable = :told")
            .expression_attribute_values(":told", s(told))
            .send()
            .await;
        t.applied("UpdateItem", account, sent).map(|_| ())
    }

    /// The canary `token` arrived: `None` when it is not the one recorded
    /// (a newer one was written) or it already arrived (a duplicate).
    pub async fn canary_arrived(
        &self,
        account: &str,
        region: &str,
        token: &str,
        now_ms: i64,
    ) -> Result<Option<Arrival>, AwsError> {
        let t = self.table();
        let sent = t
            .update_region(account, region)
            .update_expression("SET canary_arrived_ms = :now REMOVE canary_missing_since_ms")
            .condition_expression("canary_token = :t AND attribute_not_exists(canary_arrived_ms)")
            .expression_attribute_values(":t", s(token))
            .expression_attribute_values(":now", n(now_ms))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        Ok(t.applied("UpdateItem", account, sent)?.map(|out| {
            let old = out.attributes().cloned().unwrap_or_default();
            Arrival {
                written_ms: get_n(&old, "canary_written_ms").unwrap_or(now_ms),
                was_missing: old.contains_key("canary_missing_since_ms"),
            }
        }))
    }

    /// The path is broken since `since_ms`: true for the one sweep that
    /// marks it, once its alert is kept; the mark stays until a canary
    /// arrives.
    pub async fn canary_missing(
        &self,
        account: &str,
        region: &str,
        token: &str,
        since_ms: i64,
    ) -> Result<bool, AwsError> {
        let t = self.table();
        let sent = t
            .update_region(account, region)
            .update_expression("SET canary_missing_since_ms = :since")
            .condition_expression("canary_token = :t AND attribute_not_exists(canary_arrived_ms) AND attribute_not_exists(canary_missing_since_ms)")
            .expression_attribute_values(":t", s(token))
            .expression_attribute_values(":since", n(since_ms))
            .send()
            .await;
        Ok(t.applied("UpdateItem", account, sent)?.is_some())
    }
}

impl CanaryState {
    pub fn of(item: &Item) -> Option<CanaryState> {
        let written = get_n(item, "canary_written_ms");
        let error_code = get_s(item, "canary_error");
        let missing = get_n(item, "canary_missing_since_ms");
        if written.is_none() && error_code.is_none() && missing.is_none() {
            return None;
        }
        let iso = |ms: i64| crate::domain::clock::iso(crate::domain::clock::from_millis(ms));
        Some(CanaryState {
            written_at: written.map(iso),
            arrived_after_ms: get_n(item, "canary_arrived_ms")
                .zip(written)
                .map(|(a, w)| (a - w).max(0)),
            missing_since: missing.map(iso),
            error_code,
        })
    }
}
