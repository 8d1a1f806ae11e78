//! A vend in progress, per account: `ACCOUNT#<id>` / `VEND`. Which chain of
//! re-attempts is scheduled (one at a time, whoever schedules first), and
//! who told on-call the account was configured (once per account, whichever
//! path got there first).

use crate::adapters::aws::dynamodb::{get_n, n, s, Table};
use crate::adapters::store::keys::account_pk;
use crate::domain::aws_error::AwsError;

fn key(account: &str) -> [(&'static str, aws_sdk_dynamodb::types::AttributeValue); 2] {
    [("pk", s(account_pk(account))), ("sk", s("VEND"))]
}

#[derive(Clone)]
pub struct Vends {
    table: Table,
}

impl Vends {
    pub fn new(table: Table) -> Self {
        Vends { table }
    }

    /// True when `chain` is the one to schedule the account's next
    /// re-attempt, due at `due_ms`: no re-attempt is scheduled, the one
    /// scheduled is overdue (its message was lost), or it is this chain's.
    pub async fn schedule(
        &self,
        account: &str,
        chain: &str,
        due_ms: i64,
        now_ms: i64,
    ) -> Result<bool, AwsError> {
        let sent = self
            .table
            .update_at(key(account))
            .update_expression(
                "SET chain = :c, due = :d, pending_since = if_not_exists(pending_since, :now)",
            )
            .condition_expression("attribute_not_exists(due) OR due < :now OR chain = :c")
            .expression_attribute_values(":c", s(chain))
            .expression_attribute_values(":d", n(due_ms))
            .expression_attribute_values(":now", n(now_ms))
            .send()
            .await;
        Ok(self.table.applied("UpdateItem", account, sent)?.is_some())
    }

    /// True when this trigger is the one to say the account is configured:
    /// nobody said it yet in this life of the account (`life_ms`: when it
    /// joined, if known), or this same trigger did (a retry). A mark from
    /// before lives were kept is this life's: no account is told twice.
    pub async fn tell_configured(
        &self,
        account: &str,
        trigger_id: &str,
        life_ms: Option<i64>,
    ) -> Result<bool, AwsError> {
        let mut update = self
            .table
            .update_at(key(account))
            .expression_attribute_values(":t", s(trigger_id));
        update = match life_ms {
            Some(life) => update
                .update_expression("SET configured_by = :t, configured_life = :life REMOVE due")
                .condition_expression(
                    "attribute_not_exists(configured_by) OR configured_by = :t OR configured_life < :life",
                )
                .expression_attribute_values(":life", n(life)),
            // A life not known (its join unread): the mark says it was told
            // in the life that holds now, so a path that knows the join
            // (earlier than now) does not tell it again.
            None => update
                .update_expression("SET configured_by = :t, configured_life = :now REMOVE due")
                .condition_expression("attribute_not_exists(configured_by) OR configured_by = :t")
                .expression_attribute_values(
                    ":now",
                    n(crate::domain::clock::epoch_millis(crate::domain::clock::now())),
                ),
        };
        let sent = update.send().await;
        Ok(self.table.applied("UpdateItem", account, sent)?.is_some())
    }

    /// Keeps `at_ms` as the account's enrolment (a baseline applied, a
    /// move), unless a later one is kept already.
    pub async fn enrolled_at(&self, account: &str, at_ms: i64) -> Result<(), AwsError> {
        let sent = self
            .table
            .update_at(key(account))
            .update_expression("SET enrolled_ms = :at")
            .condition_expression("attribute_not_exists(enrolled_ms) OR enrolled_ms < :at")
            .expression_attribute_values(":at", n(at_ms))
            .send()
            .await;
        self.table.applied("UpdateItem", account, sent)?;
        Ok(())
    }

    /// Whether a re-attempt of the account's vend was scheduled and no path
    /// has said it configured since ([`Vends::tell_configured`] removes
    /// `due`): its chain may have ended unfinished (a re-attempt's failure,
    /// its schedule's write refused).
    pub async fn reattempt_due(&self, account: &str) -> Result<bool, AwsError> {
        let item = self.table.item(key(account), account).await?;
        Ok(get_n(&item, "due").is_some())
    }

    /// The account's latest enrolment kept by [`Vends::enrolled_at`].
    pub async fn enrolment(&self, account: &str) -> Result<Option<i64>, AwsError> {
        let item = self.table.item(key(account), account).await?;
        Ok(get_n(&item, "enrolled_ms"))
    }
}
