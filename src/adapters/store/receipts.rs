//! DynamoDB receipts: event claims (with an owner token, so a retried call
//! recognises its own claim), alerts held with the claim until published,
//! and rejected events. The outbox's items are `outbox_items.rs`.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use crate::adapters::aws::dynamodb::{get_s, n, s, Table};
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::heartbeat::{Heartbeat, Keepalive, Renewal};

pub(super) const RECEIPT_TTL: Duration = Duration::from_secs(14 * 86_400);

pub enum Claim {
    /// This run owns the event now. `pending_alerts` holds alerts (JSON) an
    /// earlier attempt decided but may not have published; `taken_over`
    /// says an earlier attempt held the claim (it died, or failed and let
    /// it go): its writes may be done and recorded, its alerts not told.
    Claimed {
        pending_alerts: Option<String>,
        taken_over: bool,
    },
    /// Already processed: a redelivery; do nothing.
    Done,
    /// Another run holds an unexpired claim.
    InFlight,
}

/// One run's hold on one event id.
#[derive(Clone)]
pub struct Receipts {
    pub(super) table: Table,
    /// How long a claim keeps redeliveries away; a crashed run's claim
    /// expires before Lambda's first asynchronous retry (about a minute).
    lease: Duration,
    /// How long told rows are kept: the history's retention.
    pub(super) history_retention: Duration,
}

impl Receipts {
    pub fn new(table: Table, lease: Duration) -> Self {
        Receipts {
            table,
            lease,
            history_retention: super::state::DEFAULT_HISTORY_TTL,
        }
    }

    /// Told rows written from now on are kept for `retention`.
    pub fn with_history_retention(mut self, retention: Duration) -> Self {
        self.history_retention = retention;
        self
    }

    fn key(event_id: &str) -> [(&'static str, AttributeValue); 2] {
        [("pk", s(format!("EVENT#{event_id}"))), ("sk", s("EVENT"))]
    }

    fn update(
        &self,
        event_id: &str,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.table.update_at(Self::key(event_id))
    }

    /// Takes the event for `owner`, or says why not. A lost answer's retry
    /// finds `owner` already there and succeeds; alerts held by an earlier
    /// attempt stay on the item and come back with the claim.
    pub async fn claim(&self, event_id: &str, kind: &str, owner: &str) -> Result<Claim, AwsError> {
        let now = clock::now();
        let result = self
            .update(event_id)
            .update_expression("SET #st = :in_progress, #owner = :me, trigger_kind = :kind, claimed_at = :at, lease_until = :until, #ttl = :ttl")
            .condition_expression("attribute_not_exists(pk) OR #owner = :me OR (#st <> :done AND lease_until < :now)")
            .expression_attribute_names("#st", "status")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":in_progress", s("in_progress"))
            .expression_attribute_values(":done", s("done"))
            .expression_attribute_values(":me", s(owner))
            .expression_attribute_values(":kind", s(kind))
            .expression_attribute_values(":at", s(clock::iso(now)))
            .expression_attribute_values(":until", n(clock::epoch_millis(now + self.lease)))
            .expression_attribute_values(":now", n(clock::epoch_millis(now)))
            .expression_attribute_values(":ttl", n(clock::epoch_secs(now + RECEIPT_TTL)))
            // The item as it was: the held alerts (the claim leaves them)
            // and whose claim this one replaced, in the same call.
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => {
                let old = out.attributes.as_ref();
                Ok(Claim::Claimed {
                    pending_alerts: old.and_then(|a| get_s(a, "pending_alerts")),
                    taken_over: old
                        .and_then(|a| get_s(a, "owner"))
                        .is_some_and(|o| o != owner),
                })
            }
            Err(e) => {
                let err = self.table.err("UpdateItem", "-", &e);
                if !err.is("ConditionalCheckFailedException") {
                    return Err(err);
                }
                let item = self.table.item(Self::key(event_id), "-").await?;
                match get_s(&item, "status").as_deref() {
                    Some("done") => Ok(Claim::Done),
                    _ => Ok(Claim::InFlight),
                }
            }
        }
    }

    /// Sets attributes on our claim; a claim taken over by another run is
    /// theirs now, and that is not an error.
    async fn set(
        &self,
        event_id: &str,
        owner: &str,
        expression: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<(), AwsError> {
        let mut update = self
            .update(event_id)
            .update_expression(expression)
            .condition_expression("#owner = :me")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":me", s(owner));
        if expression.contains("#st") {
            update = update.expression_attribute_names("#st", "status");
        }
        for (k, v) in values {
            update = update.expression_attribute_values(k, v);
        }
        match update.send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let err = self.table.err("UpdateItem", "-", &e);
                if err.is("ConditionalCheckFailedException") {
                    tracing::warn!(event_id, "claim was taken over by another run");
                    Ok(())
                } else {
                    Err(err)
                }
            }
        }
    }

    /// Extends our claim by another lease while the work goes on; `Lost`
    /// once it is done, released or taken over.
    pub async fn renew(&self, event_id: &str, owner: &str) -> Renewal {
        let until = clock::epoch_millis(clock::now() + self.lease);
        let result = self
            .update(event_id)
            .update_expression("SET lease_until = :until")
            .condition_expression("#owner = :me AND #st = :in_progress")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":me", s(owner))
            .expression_attribute_values(":in_progress", s("in_progress"))
            .expression_attribute_values(":until", n(until))
            .send()
            .await;
        match result {
            Ok(_) => Renewal::Held,
            Err(e) => {
                let err = self.table.err("UpdateItem", "-", &e);
                if err.is("ConditionalCheckFailedException") {
                    tracing::warn!(event_id, "event claim was taken over or closed");
                    Renewal::Lost
                } else {
                    tracing::warn!(event_id, error_code = %err.code, error = %err, "cannot renew the event claim; trying again");
                    Renewal::Unknown
                }
            }
        }
    }

    /// Renews the claim every third of its lease until the keepalive goes.
    pub fn keep_claim(&self, event_id: &str, owner: &str) -> Keepalive {
        let (me, event_id, owner) = (self.clone(), event_id.to_string(), owner.to_string());
        Keepalive::new(Heartbeat::start(self.lease / 3, move || {
            let (me, event_id, owner) = (me.clone(), event_id.clone(), owner.clone());
            async move { me.renew(&event_id, &owner).await }
        }))
    }

    /// Done: later deliveries are duplicates.
    pub async fn complete(
        &self,
        event_id: &str,
        owner: &str,
        summary: &str,
    ) -> Result<(), AwsError> {
        self.set(
            event_id,
            owner,
            "SET #st = :done, completed_at = :at, summary = :summary REMOVE pending_alerts",
            vec![
                (":done", s("done")),
                (":at", s(clock::iso(clock::now()))),
                (":summary", s(summary)),
            ],
        )
        .await
    }

    /// The work failed or alerts are unpublished: the next delivery may claim
    /// at once; held alerts stay for it.
    pub async fn release(
        &self,
        event_id: &str,
        owner: &str,
        status: &str,
        alerts: Option<&str>,
    ) -> Result<(), AwsError> {
        let mut values = vec![(":st", s(status)), (":zero", n(0))];
        let expression = match alerts {
            Some(a) => {
                values.push((":alerts", s(a)));
                "SET #st = :st, lease_until = :zero, pending_alerts = :alerts"
            }
            None => "SET #st = :st, lease_until = :zero",
        };
        self.set(event_id, owner, expression, values).await
    }

    /// A malformed event, kept for two weeks under `REJECTED#<day>` so an
    /// operator can see what was refused and why.
    pub async fn reject(
        &self,
        request_id: &str,
        reason: &str,
        input: &str,
    ) -> Result<(), AwsError> {
        let now = clock::now();
        let at = clock::iso(now);
        let mut excerpt: String = input.chars().take(2000).collect();
        if excerpt.len() < input.len() {
            excerpt.push_str("...");
        }
        let item: HashMap<String, AttributeValue> = [
            ("pk", s(format!("REJECTED#{}", &at[..10]))),
            ("sk", s(format!("{at}#{request_id}"))),
            ("reason", s(reason)),
            ("excerpt", s(excerpt)),
            ("ttl", n(clock::epoch_secs(now + RECEIPT_TTL))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        self.table
            .client
            .put_item()
            .table_name(&self.table.name)
            .set_item(Some(item))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.table.err("PutItem", "-", &e))
    }
}
