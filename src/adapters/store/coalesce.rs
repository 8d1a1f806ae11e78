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
/// finished one already covers a change made at `changed_ms` by `by` (the
/// event's actor: a run of another editor's event covers it not,
/// [`crate::domain::coalesce::covers_editor`]). `Ok(None)` when started;
/// `Ok(Some((held, done_by)))` with what the gate held otherwise (empty
/// when the item vanished between the two calls).
/// `made`: the version the event made the default, where it is a switch;
/// a finished run covers it only if it found that version the default
/// (`judged`, see [`crate::domain::coalesce::judged_it`]).
pub async fn claim(
    table: &Table,
    key: &Key,
    (changed_ms, by, made): (i64, Option<&str>, Option<&str>),
    now: SystemTime,
) -> Result<Option<(Held, Option<String>)>, AwsError> {
    let now_ms = clock::epoch_millis(now);
    let by = by.filter(|b| !b.is_empty());
    let mut uncovered = vec!["attribute_not_exists(done)", "done < :covering"];
    if by.is_some() {
        uncovered.extend(["attribute_not_exists(done_by)", "done_by <> :by"]);
    }
    if made.is_some() {
        uncovered.extend(["attribute_not_exists(judged)", "judged <> :made"]);
    }
    let uncovered = uncovered.join(" OR ");
    let mut update = table
        .update_at(gate_key(key))
        .update_expression("SET started = :now, #ttl = :ttl")
        .condition_expression(format!(
            "(attribute_not_exists(started) OR started <= :open) AND ({uncovered})"
        ))
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":now", n(now_ms))
        .expression_attribute_values(":open", n(now_ms - WINDOW.as_millis() as i64))
        .expression_attribute_values(":covering", n(changed_ms.saturating_add(MARGIN_MS)))
        .expression_attribute_values(":ttl", n(clock::epoch_secs(now + GATE_TTL)));
    if let Some(by) = by {
        update = update.expression_attribute_values(":by", s(by));
    }
    if let Some(m) = made {
        update = update.expression_attribute_values(":made", s(m));
    }
    if table
        .applied("UpdateItem", &key.account, update.send().await)?
        .is_some()
    {
        return Ok(None);
    }
    let item = table.item(gate_key(key), &key.account).await?;
    let held = Held {
        started: get_n(&item, "started"),
        done: get_n(&item, "done"),
        judged: get_s(&item, "judged"),
    };
    Ok(Some((held, get_s(&item, "done_by"))))
}

/// The run that began at `started_ms`, of an event by `by`, finished
/// cleanly: it covers the changes made before it began by the same editor
/// (a switch only to the default it found, `judged`). Never moves `done`
/// back (a slower, older run finishing last).
pub async fn finished(
    table: &Table,
    key: &Key,
    started_ms: i64,
    (by, judged): (Option<&str>, Option<&str>),
) -> Result<(), AwsError> {
    let by = by.filter(|b| !b.is_empty());
    let expression = match (by, judged) {
        (Some(_), Some(_)) => "SET done = :s, done_by = :by, judged = :j",
        (Some(_), None) => "SET done = :s, done_by = :by REMOVE judged",
        (None, Some(_)) => "SET done = :s, judged = :j REMOVE done_by",
        (None, None) => "SET done = :s REMOVE done_by, judged",
    };
    let mut update = table
        .update_at(gate_key(key))
        .update_expression(expression)
        .condition_expression(
            "attribute_exists(started) AND (attribute_not_exists(done) OR done < :s)",
        )
        .expression_attribute_values(":s", n(started_ms));
    if let Some(by) = by {
        update = update.expression_attribute_values(":by", s(by));
    }
    if let Some(j) = judged {
        update = update.expression_attribute_values(":j", s(j));
    }
    table
        .applied("UpdateItem", &key.account, update.send().await)
        .map(|_| ())
}
