//! The ledger's items: one per told fact of a slot (a window's version, a
//! naming of its editor), keyed by the fact's token so any run that tells
//! it writes the same item, and expiring (`ttl`) with the history. What a
//! claim on them means is `window_told`'s; this module builds and reads
//! the items.

use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, ReturnValuesOnConditionCheckFailure,
};
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use crate::adapters::aws::dynamodb::{get_s, n, s, Item, Table};
use crate::adapters::store::keys::{account_pk, region_key};
use crate::domain::aws_error::AwsError;

/// The attributes of a fact's item, as [`attribute`] names them on the
/// merged item the sorting reads.
pub(super) const PARTS: [&str; 6] = ["by", "seen", "until", "kept", "actor", "made"];

/// The name of `token`'s `what` (`by`, `seen`, `until`, `kept`, `actor`)
/// on the merged item `window_told`'s sorting reads: `told <t> <what>`.
pub fn attribute(token: &str, what: &str) -> String {
    format!("told {token} {what}")
}

/// The key of `token`'s item on `slot`. The token is hashed: a naming's
/// token holds the editor's ARN, which may be longer than a sort key.
pub(super) fn key(account: &str, slot: &str, token: &str) -> [(&'static str, AttributeValue); 2] {
    let id = crate::domain::ids::stable_id(&["fact", slot, token]);
    [
        ("pk", s(account_pk(account))),
        ("sk", s(format!("{}{id}", prefix(slot)))),
    ]
}

fn prefix(slot: &str) -> String {
    format!("FACT#{slot}#")
}

/// A claim's terms, written with each token's update: never claimed under
/// this record, or this trigger's or run out, and not kept.
pub(super) const CLAIMABLE: &str = "attribute_not_exists(#by) OR #seen <> :seen_s OR (attribute_not_exists(#kept) AND (#by = :tid OR #until < :at))";

/// [`CLAIMABLE`]'s further term where the claimer knows when its version
/// was made: a claim of the same number made at another time is another
/// life's of the document (deleted and made again, its versions numbered
/// from 1 again), whatever it says.
const ANOTHER_LIFE: &str = " OR (attribute_exists(#made) AND #made <> :made)";

/// What a claim writes on a token's item.
pub(super) struct Claiming<'a> {
    pub account: &'a str,
    pub slot: &'a str,
    pub trigger_id: &'a str,
    pub seen: &'a str,
    pub actor: &'a str,
    pub until_ms: i64,
    pub at_ms: i64,
    /// Epoch seconds the item expires at.
    pub expires: i64,
}

/// The claim of `token` (kept at once when `kept`), on [`CLAIMABLE`]'s
/// terms, its item returned when refused; `made`: when AWS says the
/// token's version was made, where known, recorded on the item.
pub(super) fn claim_update(
    table: &Table,
    c: &Claiming<'_>,
    (token, made): (&str, Option<&str>),
    kept: bool,
) -> Result<Update, BuildError> {
    let mut set = "SET #by = :tid, #seen = :seen_s, #until = :until, #actor = :actor, #token = :token, #slot = :slot, #ttl = :ttl".to_string();
    let mut condition = CLAIMABLE.to_string();
    if made.is_some() {
        set.push_str(", #made = :made");
        condition.push_str(ANOTHER_LIFE);
    }
    set.push_str(match kept {
        true => ", #kept = :tid",
        false => " REMOVE #kept",
    });
    let mut u = Update::builder().table_name(&table.name).set_key(Some(
        key(c.account, c.slot, token)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    ));
    // `#made` only where it is written: DynamoDB refuses a name the
    // expressions do not use.
    for name in PARTS
        .iter()
        .filter(|p| **p != "made")
        .chain(&["token", "slot", "ttl"])
    {
        u = u.expression_attribute_names(format!("#{name}"), *name);
    }
    if let Some(made) = made {
        u = u
            .expression_attribute_names("#made", "made")
            .expression_attribute_values(":made", s(made));
    }
    u.update_expression(set)
        .condition_expression(condition)
        .expression_attribute_values(":tid", s(c.trigger_id))
        .expression_attribute_values(":seen_s", s(c.seen))
        .expression_attribute_values(":until", n(c.until_ms))
        .expression_attribute_values(":actor", s(c.actor))
        .expression_attribute_values(":token", s(token))
        .expression_attribute_values(":slot", s(c.slot))
        .expression_attribute_values(":ttl", n(c.expires))
        .expression_attribute_values(":at", n(c.at_ms))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
}

/// The mark that `token`'s claim is kept with its alert: only while it is
/// still `trigger_id`'s.
pub(super) fn kept_update(
    table: &Table,
    (account, slot): (&str, &str),
    token: &str,
    trigger_id: &str,
) -> Result<Update, BuildError> {
    Update::builder()
        .table_name(&table.name)
        .set_key(Some(
            key(account, slot, token)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        ))
        .update_expression("SET #kept = :tid")
        .condition_expression("#by = :tid")
        .expression_attribute_names("#kept", "kept")
        .expression_attribute_names("#by", "by")
        .expression_attribute_values(":tid", s(trigger_id))
        .build()
}

/// The condition a claim holds on the slot's state item: it still records
/// `seen` (`None`: records no version) and no other run's write is live
/// there (its intent under an unexpired lease not `owner`'s).
pub(super) fn row_check(
    table: &Table,
    (account, slot): (&str, &str),
    seen: Option<&str>,
    (owner, at_ms): (&str, i64),
) -> Result<TransactWriteItem, BuildError> {
    let recorded = match seen {
        Some(_) => "default_version = :seen",
        None => "attribute_not_exists(default_version)",
    };
    let mut c = ConditionCheck::builder()
        .table_name(&table.name)
        .set_key(Some(region_key(account, slot).into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
        .condition_expression(format!(
            "{recorded} AND (attribute_not_exists(intent) OR lease_until < :at OR lease_owner = :me)"
        ))
        .expression_attribute_values(":at", n(at_ms))
        .expression_attribute_values(":me", s(owner));
    if let Some(seen) = seen {
        c = c.expression_attribute_values(":seen", s(seen));
    }
    Ok(TransactWriteItem::builder()
        .condition_check(c.build()?)
        .build())
}

/// `token`'s item's attributes as the merged item names them
/// (`told <t> <what>`).
pub(super) fn flattened(token: &str, item: &Item) -> Vec<(String, AttributeValue)> {
    PARTS
        .iter()
        .filter_map(|what| {
            let v = item.get(*what)?.clone();
            Some((attribute(token, what), v))
        })
        .collect()
}

/// The slot's ledger as a run that did not read a version sees it: each
/// item by its token (`domain::version_gap::to_name` decides).
pub async fn ledger(
    table: &Table,
    account: &str,
    slot: &str,
) -> Result<std::collections::BTreeMap<String, crate::domain::version_gap::Ledgered>, AwsError> {
    use crate::domain::version_gap::Ledgered;
    use crate::domain::window_claim::Teller;
    Ok(of_slot(table, account, slot)
        .await?
        .into_iter()
        .map(|(token, item)| {
            let told = Ledgered {
                teller: Teller {
                    trigger_id: get_s(&item, "by").unwrap_or_default(),
                    actor: get_s(&item, "actor").filter(|a| !a.is_empty()),
                },
                kept: item.contains_key("kept"),
                made: get_s(&item, "made"),
            };
            (token, told)
        })
        .collect())
}

/// Every fact item of `slot`, read consistently: `(token, item)`.
pub(super) async fn of_slot(
    table: &Table,
    account: &str,
    slot: &str,
) -> Result<Vec<(String, Item)>, AwsError> {
    let mut pages = table
        .client
        .query()
        .table_name(&table.name)
        .key_condition_expression("pk = :pk AND begins_with(sk, :facts)")
        .expression_attribute_values(":pk", s(account_pk(account)))
        .expression_attribute_values(":facts", s(prefix(slot)))
        .consistent_read(true)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| table.err("Query", account, &e))?;
        // A region's prefix is also a document slot's (`<region>#DOCUMENT#..`).
        out.extend(
            page.items()
                .iter()
                .filter(|i| get_s(i, "slot").as_deref() == Some(slot))
                .filter_map(|i| Some((get_s(i, "token")?, i.clone()))),
        );
    }
    Ok(out)
}
