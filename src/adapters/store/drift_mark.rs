//! The audit drift mark on a slot's state item (`drift_seen_by`,
//! `drift_seen_value`): the finding a trigger told, written by the keep of
//! its alert (`Receipts::keep`), so a mark never stands without its alert.
//! The mark goes when the slot is compliant again (the record removes it).

use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::types::Update;

use super::keys::{region_key, state_shard};
use crate::adapters::aws::dynamodb::{s, Table};
use crate::domain::records::DriftMark;

/// Another trigger's mark of the same finding refuses the write; a new
/// value, or this trigger's own mark (a retry whose keep landed with its
/// answer lost), passes. A mark from before values were kept remembered what
/// the item observed.
const NEW: &str = "(attribute_not_exists(drift_seen_value) AND {legacy}) OR drift_seen_value <> :seen OR drift_seen_by = :tid";

/// The slot's drift mark as its item holds it now (`(value, by)`; a mark
/// from before values were kept reads as what the item observed), read
/// consistently: a run's snapshot may predate another run's mark (a
/// sweep's is read once for its whole walk), and a finding decided news on
/// it would have its keep refused on every retry.
pub async fn read(
    table: &Table,
    account: &str,
    slot: &str,
) -> Result<(Option<String>, Option<String>), crate::domain::aws_error::AwsError> {
    let known = super::item::known(&table.item(region_key(account, slot), account).await?);
    Ok((known.drift_seen, known.drift_seen_by))
}

/// The mark's write, for the keep's transaction.
pub(super) fn update(table: &Table, mark: &DriftMark) -> Result<Update, BuildError> {
    let key = region_key(&mark.account, &mark.slot)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let mut u = Update::builder()
        .table_name(&table.name)
        .set_key(Some(key))
        .update_expression(
            "SET drift_seen_by = :tid, drift_seen_value = :seen, state_shard = :shard",
        )
        .expression_attribute_values(":tid", s(&mark.trigger_id))
        .expression_attribute_values(":seen", s(&mark.seen.value))
        .expression_attribute_values(":shard", s(state_shard(&mark.account)));
    let legacy = match (&mark.seen.user, &mark.seen.enabled) {
        (Some(user), Some(enabled)) => {
            u = u
                .expression_attribute_values(":user", s(user))
                .expression_attribute_values(":enabled", s(enabled));
            "(attribute_not_exists(drift_seen_by) OR observed_user <> :user OR observed_run_as_enabled <> :enabled)"
        }
        _ => "attribute_not_exists(drift_seen_by)",
    };
    u.condition_expression(NEW.replace("{legacy}", legacy))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::records::Seen;

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

    fn mark(user: Option<&str>, enabled: Option<&str>) -> DriftMark {
        DriftMark {
            account: "111122223333".into(),
            slot: "eu-west-1".into(),
            trigger_id: "sweep-1".into(),
            seen: Seen {
                value: r#"["true","root"]"#.into(),
                user: user.map(str::to_string),
                enabled: enabled.map(str::to_string),
            },
        }
    }

    /// The slot's item, marked with the finding, refused when another
    /// trigger marked the same one; a legacy mark is judged by what the
    /// item observed only where the finding says it.
    #[test]
    fn a_mark_is_the_slots_and_refused_by_anothers_of_the_same_finding() {
        let with = update(&table(), &mark(Some("root"), Some("true"))).unwrap();
        assert_eq!(with.key()["sk"], s("REGION#eu-west-1"));
        assert_eq!(with.key()["pk"], s("ACCOUNT#111122223333"));
        let cond = with.condition_expression().unwrap();
        assert!(
            cond.contains("drift_seen_value <> :seen OR drift_seen_by = :tid"),
            "{cond}"
        );
        assert!(cond.contains("observed_user <> :user"), "{cond}");
        let values = with.expression_attribute_values().unwrap();
        assert_eq!(values[":seen"], s(r#"["true","root"]"#));
        assert_eq!(values[":tid"], s("sweep-1"));
        let without = update(&table(), &mark(None, Some("true"))).unwrap();
        let cond = without.condition_expression().unwrap();
        assert!(!cond.contains(":user"), "{cond}");
        assert!(!without
            .expression_attribute_values()
            .unwrap()
            .contains_key(":user"));
    }
}
