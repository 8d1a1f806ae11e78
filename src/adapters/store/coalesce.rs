//! The coalescing gate of one account-region-document ([`crate::domain::coalesce`]):
//! one item, `GATE#<account>` / `<kind>#<region>#<document>`, holding when
//! the latest run began. Its own partition, so no read of an account's
//! items ever meets it; it expires a day after its last run.

use std::time::{Duration, SystemTime};

use crate::adapters::aws::dynamodb::{get_n, get_s, n, s, Table};
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::coalesce::{Held, Key, MARGIN_MS, WINDOW};

const GATE_TTL: Duration = Duration::from_secs(24 * 3600);

fn gate_key(key: &Key) -> [(&'static str, aws_sdk_dynamodb::types::AttributeValue); 2] {
    [
        ("pk", s(format!("GATE#{}", key.account))),
        ("sk", s(key.slot.clone())),
    ]
}

/// Starts a run at `now` unless another began within [`WINDOW`] or a
/// finished one already covers a change made at `changed_ms`. `Ok(None)`
/// when started; `Ok(Some(held))` with what the gate held otherwise (empty
/// when the item vanished between the two calls).
/// `made`: the version the event made the default, where it is a switch;
/// a finished run covers it only if it found that version the default
/// (`judged`, see [`crate::domain::coalesce::judged_it`]).
pub async fn claim(
    table: &Table,
    key: &Key,
    (changed_ms, made): (i64, Option<&str>),
    now: SystemTime,
) -> Result<Option<Held>, AwsError> {
    let now_ms = clock::epoch_millis(now);
    let not_covered = match made {
        Some(_) => "(attribute_not_exists(done) OR done < :covering OR attribute_not_exists(judged) OR judged <> :made)",
        None => "(attribute_not_exists(done) OR done < :covering)",
    };
    let mut update = table
        .update_at(gate_key(key))
        .update_expression("SET started = :now, #ttl = :ttl")
        .condition_expression(format!(
            "(attribute_not_exists(started) OR started <= :open) AND {not_covered}"
        ))
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":now", n(now_ms))
        .expression_attribute_values(":open", n(now_ms - WINDOW.as_millis() as i64))
        .expression_attribute_values(":covering", n(changed_ms.saturating_add(MARGIN_MS)))
        .expression_attribute_values(":ttl", n(clock::epoch_secs(now + GATE_TTL)));
    if let Some(m) = made {
        update = update.expression_attribute_values(":made", s(m));
    }
    let sent = update.send().await;
    if table.applied("UpdateItem", &key.account, sent)?.is_some() {
        return Ok(None);
    }
    let item = table.item(gate_key(key), &key.account).await?;
    Ok(Some(Held {
        started: get_n(&item, "started"),
        done: get_n(&item, "done"),
        judged: get_s(&item, "judged"),
    }))
}

/// The run that began at `started_ms` finished cleanly: it covers the
/// changes made before it began (a switch only to the default it found,
/// `judged`). Never moves `done` back (a slower, older run finishing last).
pub async fn finished(
    table: &Table,
    key: &Key,
    started_ms: i64,
    judged: Option<&str>,
) -> Result<(), AwsError> {
    let expression = match judged {
        Some(_) => "SET done = :s, judged = :j",
        None => "SET done = :s REMOVE judged",
    };
    let mut update = table
        .update_at(gate_key(key))
        .update_expression(expression)
        .condition_expression(
            "attribute_exists(started) AND (attribute_not_exists(done) OR done < :s)",
        )
        .expression_attribute_values(":s", n(started_ms));
    if let Some(j) = judged {
        update = update.expression_attribute_values(":j", s(j));
    }
    let sent = update.send().await;
    table.applied("UpdateItem", &key.account, sent).map(|_| ())
}
