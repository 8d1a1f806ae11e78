//! The ledger's items: one per told fact of a slot (a window's version, a
//! naming of its editor), keyed by the fact's token so any run that tells
//! it writes the same item, and expiring (`ttl`) with the history. What a
//! claim on them means is `window_told`'s; this module builds and reads
//! the items.

use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::types::builders::UpdateBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, ReturnValuesOnConditionCheckFailure,
};
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use crate::adapters::aws::dynamodb::{get_s, n, s, Item, Table};
use crate::adapters::store::keys::{account_pk, region_key};
use crate::domain::aws_error::AwsError;
use crate::domain::version_gap::Reach;

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

/// The `seen` of a claim made by a run that could not read the slot's
/// record (its row's read failed): under no record it knows. Versions are
/// numbers: `?` is none. A record is what told one life of the document
/// from another (deleted and made again, its versions numbered from 1
/// again); without one, only when AWS says each version was made does.
/// So a claim under no record and another claim of the same version stand
/// for one fact only where both say when it was made, and alike: then the
/// second is refused, as under one record. Where either does not say,
/// a run that read no record leaves the version to the next run that
/// reads one (its record keeps the version: told late, never lost to
/// another life's claim), and a run that read one claims it (told twice
/// at worst). Until 0.19.0 a run that read no record told its versions
/// unclaimed, beside another run that had told them (simulation seed
/// 900021).
pub const UNREAD: &str = "?";

/// A claim's terms, written with each token's update where the claimer
/// knows when its version was made: never claimed under this record, nor
/// under none ([`UNREAD`]) unless it does not say when made, or this
/// trigger's or run out, and not kept. A claim that says when its version
/// was made is of that version under any record: only [`ANOTHER_LIFE`]
/// frees it. Until 0.19.0 a claim under another record was free, and a
/// retry whose row had moved on told its version again (simulation seed
/// 900340).
pub(super) const CLAIMABLE: &str = "attribute_not_exists(#by) OR (#seen <> :seen_s AND #seen <> :unread AND attribute_not_exists(#made)) OR (#seen = :unread AND attribute_not_exists(#made)) OR (attribute_not_exists(#kept) AND (#by = :tid OR #until < :at))";

/// [`CLAIMABLE`] where the claimer does not know when its version was made
/// (its read failed): a claim under no record cannot be told from another
/// life's, and a claim that says when its version was made (a drift
/// alert's mark, a dated window) cannot be told from this version, under
/// whatever record: refused, it is pending (`window_told::token_is`), and
/// the record keeps the version for a run that dates it. Until 0.19.0 such
/// a claim under another record was written over, and the version, told
/// by a drift alert, was told again as not judged (simulation seed 61).
pub(super) const CLAIMABLE_UNDATED: &str = "attribute_not_exists(#by) OR (#seen <> :seen_s AND attribute_not_exists(#made)) OR (attribute_not_exists(#kept) AND (#by = :tid OR #until < :at))";

/// [`CLAIMABLE`] for a claimer that read no record ([`UNREAD`]): never
/// claimed, or this trigger's or run out, and not kept.
pub(super) const CLAIMABLE_UNREAD: &str =
    "attribute_not_exists(#by) OR (attribute_not_exists(#kept) AND (#by = :tid OR #until < :at))";

/// The further term where the claimer knows when its version was made: a
/// claim of the same number made at another time is another life's of the
/// document (deleted and made again, its versions numbered from 1 again),
/// whatever it says.
const ANOTHER_LIFE: &str = " OR (attribute_exists(#made) AND #made <> :made)";

/// [`ANOTHER_LIFE`] for a claimer whose history found the document made
/// again since its record: every version it tells is the new life's, and
/// an item that does not say when its version was made (a former life's
/// version whose read failed) is the former life's. Until 0.19.0 such an
/// item refused the new life's claim of the same number, its window was
/// left to nobody and the record moved past it (simulation seed 900139).
const FORMER_LIFE: &str = " OR attribute_not_exists(#made) OR #made <> :made";

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
    /// The claimer's history found the document made again since its
    /// record ([`FORMER_LIFE`]).
    pub remade: bool,
}

/// The claim of `token` (kept at once when `kept`: `Some` of how far its
/// told window reached, `fact_cover`), on [`CLAIMABLE`]'s terms, its item
/// returned when refused; `made`: when AWS says the token's version was
/// made, where known, recorded on the item.
pub(super) fn claim_update(
    table: &Table,
    c: &Claiming<'_>,
    (token, made): (&str, Option<&str>),
    kept: Option<Option<Reach>>,
) -> Result<Update, BuildError> {
    let mut set = "SET #by = :tid, #seen = :seen_s, #until = :until, #actor = :actor, #token = :token, #slot = :slot, #ttl = :ttl".to_string();
    let unread = c.seen == UNREAD;
    let condition = terms(c, made.is_some());
    if made.is_some() {
        set.push_str(", #made = :made");
    }
    let reach = kept.flatten();
    if reach.is_some() {
        set.push_str(REACH);
    }
    set.push_str(match kept {
        Some(_) => ", #kept = :tid",
        None => " REMOVE #kept",
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
    if !unread && made.is_some() {
        u = u.expression_attribute_values(":unread", s(UNREAD));
    }
    if made.is_some() || condition.contains("#made") {
        u = u.expression_attribute_names("#made", "made");
    }
    if let Some(made) = made {
        u = u.expression_attribute_values(":made", s(made));
    }
    if let Some(reach) = reach {
        u = with_reach(u, reach);
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

/// A claim's condition: [`CLAIMABLE`] and its variants for the claimer's
/// record and whether it knows when its version was made (`dated`), with
/// the term that frees another life's claim. A run that read no record
/// cannot say its history found the document made again.
fn terms(c: &Claiming<'_>, dated: bool) -> String {
    let unread = c.seen == UNREAD;
    let mut condition = match (unread, dated) {
        (true, _) => CLAIMABLE_UNREAD,
        (false, true) => CLAIMABLE,
        (false, false) => CLAIMABLE_UNDATED,
    }
    .to_string();
    if dated {
        condition.push_str(match c.remade && !unread {
            true => FORMER_LIFE,
            false => ANOTHER_LIFE,
        });
    }
    condition
}

/// The mark of a default a drift alert told (`domain::alert::default_told`),
/// in the transaction that keeps the alert: its version's item told by that
/// alert's trigger where no run claimed it yet (`if_not_exists`: a claim
/// that stands keeps its claimer, and kept), under every record
/// ([`UNREAD`]). Never a condition: the alert is kept whatever the ledger
/// holds.
pub(super) fn mark_update(
    table: &Table,
    told: &crate::domain::alert::default_told::DefaultTold,
    (at_ms, expires): (i64, i64),
) -> Result<Update, BuildError> {
    let mut u = Update::builder().table_name(&table.name).set_key(Some(
        key(&told.account, &told.slot, &told.version)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    ));
    for name in PARTS.iter().chain(&["token", "slot", "ttl", "drift_by"]) {
        u = u.expression_attribute_names(format!("#{name}"), *name);
    }
    let mut set = "SET #by = if_not_exists(#by, :tid), #seen = if_not_exists(#seen, :unread), #until = if_not_exists(#until, :at), #actor = if_not_exists(#actor, :actor), #made = if_not_exists(#made, :made), #kept = if_not_exists(#kept, :tid), #token = :token, #slot = :slot, #ttl = :ttl, #drift_by = :tid".to_string();
    if let Some(reach) = told.reach {
        set.push_str(", #opened = if_not_exists(#opened, :opened), #through = if_not_exists(#through, :through)");
        u = with_reach(u, reach);
    }
    // `drift_by` as `by`: the drift told it (`ledger`'s `drift`), and its
    // put-back's mark names its editor, not a window's follow-up.
    u.update_expression(set)
        .expression_attribute_values(":tid", s(&told.trigger_id))
        .expression_attribute_values(":unread", s(UNREAD))
        .expression_attribute_values(":at", n(at_ms))
        .expression_attribute_values(":actor", s(&told.actor))
        .expression_attribute_values(":made", s(&told.made))
        .expression_attribute_values(":token", s(&told.version))
        .expression_attribute_values(":slot", s(&told.slot))
        .expression_attribute_values(":ttl", n(expires))
        .build()
}

/// What a keep writes of its told window's span (`fact_cover`).
const REACH: &str = ", #opened = :opened, #through = :through";

fn with_reach(u: UpdateBuilder, reach: Reach) -> UpdateBuilder {
    u.expression_attribute_names("#opened", "opened")
        .expression_attribute_names("#through", "through")
        .expression_attribute_values(":opened", n(reach.opened))
        .expression_attribute_values(":through", n(reach.through))
}

/// The mark that `token`'s claim is kept with its alert: only while it is
/// still `trigger_id`'s; with the span its told window covered
/// (`fact_cover`), where it is a window.
pub(super) fn kept_update(
    table: &Table,
    (account, slot): (&str, &str),
    (token, reach): (&str, Option<Reach>),
    trigger_id: &str,
) -> Result<Update, BuildError> {
    let u = Update::builder()
        .table_name(&table.name)
        .set_key(Some(
            key(account, slot, token)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        ))
        .condition_expression("#by = :tid")
        .expression_attribute_names("#kept", "kept")
        .expression_attribute_names("#by", "by")
        .expression_attribute_values(":tid", s(trigger_id));
    match reach {
        Some(reach) => with_reach(u, reach).update_expression(format!("SET #kept = :tid{REACH}")),
        None => u.update_expression("SET #kept = :tid"),
    }
    .build()
}

/// The condition a claim holds on the slot's state item: it still records
/// `seen` (`None`: records no version; [`UNREAD`]: whatever it records)
/// and no other run's write is live there (its intent under an unexpired
/// lease not `owner`'s).
pub(super) fn row_check(
    table: &Table,
    (account, slot): (&str, &str),
    seen: Option<&str>,
    (owner, at_ms): (&str, i64),
) -> Result<TransactWriteItem, BuildError> {
    let recorded = match seen {
        Some(UNREAD) => "",
        Some(_) => "default_version = :seen AND ",
        None => "attribute_not_exists(default_version) AND ",
    };
    let mut c = ConditionCheck::builder()
        .table_name(&table.name)
        .set_key(Some(
            region_key(account, slot)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        ))
        .condition_expression(format!(
            "{recorded}(attribute_not_exists(intent) OR lease_until < :at OR lease_owner = :me)"
        ))
        .expression_attribute_values(":at", n(at_ms))
        .expression_attribute_values(":me", s(owner));
    if let Some(seen) = seen.filter(|s| *s != UNREAD) {
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
        .chain(&["opened", "through"])
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
                drift: get_s(&item, "drift_by").is_some_and(|d| Some(d) == get_s(&item, "by")),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            client: aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::Config::builder()
                    .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
                    .build(),
            ),
            name: "t".into(),
            region: "eu-west-1".into(),
        }
    }

    /// A keep writes the span its told window covered where it knows, as a
    /// keep and as a claim kept at once; every name and value it sends is
    /// used (DynamoDB refuses one that is not).
    #[test]
    fn a_keep_writes_its_windows_reach_where_known() {
        let used = |u: &Update| {
            let all = format!(
                "{} {}",
                u.update_expression(),
                u.condition_expression().unwrap_or("")
            );
            let names = u
                .expression_attribute_names()
                .into_iter()
                .flat_map(|m| m.keys());
            let values = u
                .expression_attribute_values()
                .into_iter()
                .flat_map(|m| m.keys());
            names.chain(values).all(|k| all.contains(k.as_str()))
        };
        let place = ("111122223333", "eu-west-1");
        let span = Reach {
            opened: 1_000,
            through: 9_000,
        };
        for reach in [Some(span), None] {
            let k = kept_update(&table(), place, ("3", reach), "eb-1").unwrap();
            assert!(used(&k), "{reach:?}");
            let values = k.expression_attribute_values().unwrap();
            let got = (
                values.get(":opened").cloned(),
                values.get(":through").cloned(),
            );
            let want = (reach.map(|r| n(r.opened)), reach.map(|r| n(r.through)));
            assert_eq!(got, want, "keep {reach:?}");
            let c = Claiming {
                account: place.0,
                slot: place.1,
                trigger_id: "eb-1",
                seen: "4",
                actor: "",
                until_ms: 2,
                at_ms: 1,
                expires: 3,
                remade: false,
            };
            let claim = claim_update(&table(), &c, ("3", None), Some(reach)).unwrap();
            assert!(used(&claim), "{reach:?}");
            assert!(claim.update_expression().contains("#kept = :tid"));
            let values = claim.expression_attribute_values().unwrap();
            let got = (
                values.get(":opened").cloned(),
                values.get(":through").cloned(),
            );
            assert_eq!(got, want, "claim kept at once {reach:?}");
        }
    }

    /// Each claimer's terms: a run that read no record ([`UNREAD`]) checks
    /// only for a live writer on the row; a claim under no record refuses
    /// a dated claim only dated alike, and an undated claim never. DynamoDB
    /// refuses a value no expression uses: `:unread` and `:seen` appear
    /// only where used.
    #[test]
    fn a_claim_under_no_record_refuses_only_one_dated_alike() {
        let claiming = |seen| Claiming {
            account: "111122223333",
            slot: "eu-west-1",
            trigger_id: "eb-1",
            seen,
            actor: "",
            until_ms: 2,
            at_ms: 1,
            expires: 3,
            remade: false,
        };
        let dated = Some("2026-11-28T10:00:00Z");
        let cases = [
            ("4", None, CLAIMABLE_UNDATED.to_string(), false),
            ("4", dated, format!("{CLAIMABLE}{ANOTHER_LIFE}"), true),
            ("", None, CLAIMABLE_UNDATED.to_string(), false),
            (UNREAD, None, CLAIMABLE_UNREAD.to_string(), false),
            (
                UNREAD,
                dated,
                format!("{CLAIMABLE_UNREAD}{ANOTHER_LIFE}"),
                false,
            ),
            // Hostile: a record that reads `??` is a record.
            ("??", None, CLAIMABLE_UNDATED.to_string(), false),
        ];
        for (seen, made, want, named) in cases {
            let u = claim_update(&table(), &claiming(seen), ("3", made), None).unwrap();
            assert_eq!(u.condition_expression(), Some(want.as_str()), "{seen}");
            let values = u.expression_attribute_values().unwrap();
            assert_eq!(values.contains_key(":unread"), named, "{seen}");
            assert_eq!(values[":seen_s"], s(seen), "{seen}");
        }
        // Known when made: another life's claim is free; in a history that
        // found the document made again, so is one that does not say when.
        let made = "2026-11-28T10:00:00Z";
        let cases = [
            ("4", false, format!("{CLAIMABLE}{ANOTHER_LIFE}")),
            ("4", true, format!("{CLAIMABLE}{FORMER_LIFE}")),
            // A run that read no record cannot say the document was made again.
            (UNREAD, true, format!("{CLAIMABLE_UNREAD}{ANOTHER_LIFE}")),
        ];
        for (seen, remade, want) in cases {
            let c = Claiming {
                remade,
                ..claiming(seen)
            };
            let u = claim_update(&table(), &c, ("3", Some(made)), None).unwrap();
            let cond = u.condition_expression().unwrap();
            assert_eq!(cond, want, "{seen} {remade}");
            assert_eq!(u.expression_attribute_values().unwrap()[":made"], s(made));
        }
        // A default a drift alert told: the same item as a claim of its
        // version, told under every record, never a condition.
        let told = crate::domain::alert::default_told::DefaultTold {
            account: "111122223333".into(),
            slot: "eu-west-1".into(),
            version: "3".into(),
            made: made.into(),
            trigger_id: "eb-2".into(),
            actor: String::new(),
            reach: Some(Reach {
                opened: 1_000,
                through: 2_500,
            }),
        };
        let m = mark_update(&table(), &told, (1, 3)).unwrap();
        let claim = claim_update(&table(), &claiming("4"), ("3", None), None).unwrap();
        assert_eq!(m.key(), claim.key());
        assert_eq!(m.condition_expression(), None);
        let values = m.expression_attribute_values().unwrap();
        assert_eq!(values[":unread"], s(UNREAD));
        assert_eq!(values[":made"], s(made));
        assert_eq!(values[":through"], n(2_500));
        assert_eq!(values[":opened"], n(1_000));
        for name in m.expression_attribute_names().unwrap().keys() {
            assert!(
                m.update_expression().contains(name.as_str()),
                "{name} unused"
            );
        }
        for value in values.keys() {
            assert!(
                m.update_expression().contains(value.as_str()),
                "{value} unused"
            );
        }
        let checks = [
            (Some("4"), "default_version = :seen AND (", true),
            (None, "attribute_not_exists(default_version) AND (", false),
            (Some(UNREAD), "(attribute_not_exists(intent)", false),
        ];
        for (seen, starts, has_seen) in checks {
            let item = row_check(&table(), ("111122223333", "eu-west-1"), seen, ("me", 1)).unwrap();
            let c = item.condition_check().unwrap();
            assert!(
                c.condition_expression().starts_with(starts),
                "{seen:?}: {}",
                c.condition_expression()
            );
            let values = c.expression_attribute_values().unwrap();
            assert_eq!(values.contains_key(":seen"), has_seen, "{seen:?}");
        }
    }
}
