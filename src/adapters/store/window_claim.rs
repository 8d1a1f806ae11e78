//! The claim of a Run As window: which run tells the versions it read.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;

use super::reported::Reported;
use crate::adapters::aws::dynamodb::{get_s, n, s, Item};
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::version_gap::Claimable;

/// What one window claim got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowClaim {
    /// This run tells it (or told it: a retry after a lost answer).
    Ours,
    /// Of the versions claimed one by one, these another run told: the
    /// rest is claimed again without them.
    ToldBy(BTreeSet<String>),
    /// Not this run's: the record moved past `seen`, another run's write
    /// is live there, or the same history was claimed already.
    Theirs,
}

/// What a window claim holds against besides its versions.
#[derive(Debug, Clone, Copy)]
pub enum Against<'a> {
    /// The default version the run read recorded (`None`: none recorded).
    Recorded(Option<&'a str>),
    /// The account's rows could not be read: only the versions are
    /// checked (before 0.7.6 such a history was told unclaimed, and a
    /// window told before was told again, back to the bound).
    Unread,
}

/// The attribute that says who told version `v` of the slot's document.
fn told_attr(v: &str) -> String {
    format!("told_v{v}")
}

impl Reported {
    /// [`Reported::swap`] for a Run As window, made only while the slot's
    /// row still records `seen` as its default version: a run that recorded
    /// a newer one since this run read the rows looked at these versions
    /// itself (a put-back tells the version it replaced), so the window is
    /// theirs. `seen` `None`: the row recorded no version (a life's history,
    /// `domain::version_gap::from_life`), and the claim holds while it still
    /// records none.
    ///
    /// Nor while another run's write is live there (its intent under an
    /// unexpired lease not `owner`'s, since 0.7.4): that run read the same
    /// gap and tells it with what it replaced; a run reading beside it told
    /// the same version a second time (simulation seed 72). A writer that
    /// dies leaves its intent to expire, and the next run reads the gap.
    ///
    /// `versions` (`domain::version_gap::claimable`) are claimed one by one
    /// besides (`told_v<N>`, since 0.7.6): two runs whose histories differ
    /// around a version (one read more, or one read failed) both held a
    /// claim of the whole value and told it twice. A refusal answers with
    /// the item, so the caller learns which versions another run told.
    pub async fn claim_window(
        &self,
        now: &str,
        versions: &[Claimable],
        (seen, owner): (Against<'_>, &str),
    ) -> Result<WindowClaim, AwsError> {
        let (condition, set) = self.conditions(seen, versions);
        let mut update = self.report_setting(now, &set);
        for c in versions {
            let v = &c.version;
            update = update
                .expression_attribute_values(format!(":made_v{v}"), s(made(c)))
                .expression_attribute_values(format!(":mark_v{v}"), s(self.mark(c)));
        }
        if let Against::Recorded(seen) = seen {
            if let Some(seen) = seen {
                update = update.expression_attribute_values(":seen", s(seen));
            }
            update = update
                .expression_attribute_values(":at", n(clock::epoch_millis(clock::now())))
                .expression_attribute_values(":me", s(owner));
        }
        if !condition.is_empty() {
            update = update
                .condition_expression(condition.join(" AND "))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
        }
        let refused = match update.send().await {
            Ok(_) => return Ok(WindowClaim::Ours),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(c)) => {
                    c.item().cloned().unwrap_or_default()
                }
                _ => return Err(self.table.err("UpdateItem", &self.account, &e)),
            },
        };
        let told = self.told_by_others(&refused, versions);
        if !told.is_empty() {
            return Ok(WindowClaim::ToldBy(told));
        }
        // Unread, only versions were checked: those marked were this trigger's.
        if matches!(seen, Against::Unread) || self.ours_already().await?.is_some() {
            return Ok(WindowClaim::Ours);
        }
        Ok(WindowClaim::Theirs)
    }

    /// The claim's condition, and what it sets besides the report: a mark
    /// is `<made>|<trigger>`, and only a mark of the same making is this
    /// version's (a document made again reuses the numbers).
    fn conditions(&self, seen: Against<'_>, versions: &[Claimable]) -> (Vec<String>, String) {
        let f = self.field;
        let mut condition = match seen {
            Against::Recorded(seen) => vec![
                format!("(attribute_not_exists({f}_reported) OR {f}_reported <> :now)"),
                match seen {
                    Some(_) => "default_version = :seen".to_string(),
                    None => "attribute_not_exists(default_version)".to_string(),
                },
                "(attribute_not_exists(intent) OR lease_until < :at OR lease_owner = :me)"
                    .to_string(),
            ],
            Against::Unread => vec![],
        };
        let mut set = String::new();
        for c in versions {
            let (a, v) = (told_attr(&c.version), c.version.as_str());
            condition.push(format!(
                "(attribute_not_exists({a}) OR NOT begins_with({a}, :made_v{v}))"
            ));
            set.push_str(&format!(", {a} = :mark_v{v}"));
        }
        (condition, set)
    }

    /// Of `versions`, those the refused item says another trigger told.
    fn told_by_others(&self, refused: &Item, versions: &[Claimable]) -> BTreeSet<String> {
        versions
            .iter()
            .filter(|c| {
                get_s(refused, &told_attr(&c.version))
                    .is_some_and(|m| m.starts_with(&made(c)) && m != self.mark(c))
            })
            .map(|c| c.version.clone())
            .collect()
    }

    fn mark(&self, c: &Claimable) -> String {
        format!("{}{}", made(c), self.trigger_id)
    }
}

/// A mark's prefix: the version's making and the separator.
fn made(c: &Claimable) -> String {
    format!("{}|", c.made)
}
