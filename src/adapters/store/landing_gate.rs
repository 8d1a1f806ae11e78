//! The gate of one account's stack-instance events ([`crate::domain::landing_gate`]):
//! one item, `GATE#<account>` / `member_stack_landed`, holding the ticket
//! counter `seq`, the `waiting` regions, when the latest run claimed
//! (`started`) and, per region, the take of the latest run that read it
//! cleanly (`seen_<region>`). It expires a day after its last event.

use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use crate::adapters::aws::dynamodb::{get_n, n, s, Item, Table};
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::coalesce::WINDOW;
use crate::domain::landing_gate::{Held, Key, Taken};

const GATE_TTL: Duration = Duration::from_secs(24 * 3600);
const SLOT: &str = "member_stack_landed";

fn gate_key(account: &str) -> [(&'static str, AttributeValue); 2] {
    [("pk", s(format!("GATE#{account}"))), ("sk", s(SLOT))]
}

fn seen_name(region: &str) -> String {
    format!("seen_{region}")
}

fn held(item: &Item, region: &str) -> Held {
    Held {
        started: get_n(item, "started"),
        seen: get_n(item, &seen_name(region)),
    }
}

fn ttl(now: SystemTime) -> AttributeValue {
    n(clock::epoch_secs(now + GATE_TTL))
}

/// Starts a run of the account at `now` unless one started within the
/// window, taking the waiting regions. `Ok(None)` when refused.
pub async fn claim(table: &Table, key: &Key, now: SystemTime) -> Result<Option<Taken>, AwsError> {
    let now_ms = clock::epoch_millis(now);
    let sent = table
        .update_at(gate_key(&key.account))
        .update_expression("SET started = :now, #ttl = :ttl ADD seq :one REMOVE waiting")
        .condition_expression("attribute_not_exists(started) OR started <= :open")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":now", n(now_ms))
        .expression_attribute_values(":open", n(now_ms - WINDOW.as_millis() as i64))
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":ttl", ttl(now))
        .return_values(ReturnValue::AllOld)
        .send()
        .await;
    let Some(out) = table.applied("UpdateItem", &key.account, sent)? else {
        return Ok(None);
    };
    let old = out.attributes.unwrap_or_default();
    let waiting = old
        .get("waiting")
        .and_then(|v| v.as_ss().ok())
        .cloned()
        .unwrap_or_default();
    let take = get_n(&old, "seq").unwrap_or(0).saturating_add(1);
    Ok(Some(Taken::new(take, &key.region, waiting, now_ms)))
}

/// Gives back a claim this run cannot use (its delivery was a duplicate):
/// the regions it took wait again, and the window is open, unless another
/// run has claimed since.
pub async fn give_back(table: &Table, key: &Key, taken: &Taken) -> Result<(), AwsError> {
    let sent = table
        .update_at(gate_key(&key.account))
        .update_expression("REMOVE started ADD waiting :regions")
        .condition_expression("started = :ours")
        .expression_attribute_values(":ours", n(taken.started))
        .expression_attribute_values(":regions", AttributeValue::Ss(taken.regions.clone()))
        .send()
        .await;
    table.applied("UpdateItem", &key.account, sent).map(|_| ())
}

/// Takes a ticket and leaves the event's region waiting: the ticket, and
/// what the gate holds for the region.
pub async fn register(table: &Table, key: &Key, now: SystemTime) -> Result<(i64, Held), AwsError> {
    let out = table
        .update_at(gate_key(&key.account))
        .update_expression("SET #ttl = :ttl ADD seq :one, waiting :region")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":region", AttributeValue::Ss(vec![key.region.clone()]))
        .expression_attribute_values(":ttl", ttl(now))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .map_err(|e| table.err("UpdateItem", &key.account, &e))?;
    let item = out.attributes.unwrap_or_default();
    let ticket = get_n(&item, "seq").ok_or_else(|| AwsError {
        operation: "UpdateItem",
        account: key.account.clone(),
        region: table.region.clone(),
        code: "NoTicket".into(),
        message: format!(
            "table {}: the member-stack gate answered without its ticket counter `seq`",
            table.name
        ),
    })?;
    Ok((ticket, held(&item, &key.region)))
}

/// What the gate holds for the event's region now.
pub async fn read(table: &Table, key: &Key) -> Result<Held, AwsError> {
    let item = table.item(gate_key(&key.account), &key.account).await?;
    Ok(held(&item, &key.region))
}

/// The run of `take` read `clean` cleanly: later events of those regions
/// with older tickets are covered. `unclean` wait again, for the next run.
pub async fn finished(
    table: &Table,
    account: &str,
    take: i64,
    clean: &[String],
    unclean: &[String],
) -> Result<(), AwsError> {
    let mut update = table.update_at(gate_key(account));
    let mut clauses = vec![];
    if !clean.is_empty() {
        let sets: Vec<String> = (0..clean.len()).map(|i| format!("#s{i} = :take")).collect();
        clauses.push(format!("SET {}", sets.join(", ")));
        update = update.expression_attribute_values(":take", n(take));
        for (i, region) in clean.iter().enumerate() {
            update = update.expression_attribute_names(format!("#s{i}"), seen_name(region));
        }
    }
    if !unclean.is_empty() {
        clauses.push("ADD waiting :unclean".into());
        update =
            update.expression_attribute_values(":unclean", AttributeValue::Ss(unclean.to_vec()));
    }
    if clauses.is_empty() {
        return Ok(());
    }
    update
        .update_expression(clauses.join(" "))
        .send()
        .await
        .map_err(|e| table.err("UpdateItem", account, &e))?;
    Ok(())
}
