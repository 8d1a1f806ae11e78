//! The key layout every item of the hub table shares: an account's items
//! live under `ACCOUNT#<id>`, its account-region state under
//! `REGION#<slot>`, and the state items also carry a shard of the sparse
//! index a sweep reads.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::adapters::aws::dynamodb::{s, Table};

/// The sparse index that holds account-region state items only: a sweep
/// reads it instead of scanning the table, so its read is O(account-regions)
/// however many history rows, receipts and outbox items the table holds.
pub const STATE_INDEX: &str = "state";
/// Partitions of [`STATE_INDEX`], read at once by a sweep.
pub const STATE_SHARDS: u32 = 4;

/// `STATE#<n>`: the index partition of an account's state items (set on
/// every state item write; history rows never carry it).
pub fn state_shard(account: &str) -> String {
    let n = account.bytes().map(u32::from).sum::<u32>() % STATE_SHARDS;
    format!("STATE#{n}")
}

/// The index partition of departure marks (`GOVERNANCE` items): a sweep
/// lists them with one Query beside its state shards.
pub const DEPARTED_SHARD: &str = "DEPARTED";

pub fn account_pk(account: &str) -> String {
    format!("ACCOUNT#{account}")
}

pub(crate) fn region_key(account: &str, region: &str) -> [(&'static str, AttributeValue); 2] {
    [
        ("pk", s(account_pk(account))),
        ("sk", s(format!("REGION#{region}"))),
    ]
}

impl Table {
    /// An `UpdateItem` on one account-region's state item; `region` is the
    /// slot (`<region>#DOCUMENT#<name>` for a `[[document]]`).
    pub(crate) fn update_region(
        &self,
        account: &str,
        region: &str,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.update_at(region_key(account, region))
    }
}
