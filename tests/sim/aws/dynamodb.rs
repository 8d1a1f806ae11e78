//! The simulated DynamoDB of the deterministic simulation: an in-memory
//! model, strict like AWS (never kinder than moto or AWS), of the API
//! surface runas-guard uses (`src/adapters/aws/dynamodb.rs`,
//! `src/adapters/store/*.rs`). It knows nothing of HTTP or the SDK: the
//! harness turns awsJson1_0 requests (`X-Amz-Target` operation + JSON body)
//! into [`Dynamo::handle`] calls and its answers (or [`DdbError::to_body`])
//! back into responses.
//!
//! Deterministic: items live in `BTreeMap`s, nothing reads a clock (time
//! comes in as `now_ms`) and nothing is random. What AWS leaves to chance
//! is the harness's to decide from its seed:
//! - [`Dynamo::set_unprocessed_hook`]: which requests of a `BatchWriteItem`
//!   (keys of a `BatchGetItem`) come back unprocessed;
//! - [`Dynamo::set_index_lag_ms`]: how late the `state` index sees writes
//!   (in order); [`Dynamo::settle_indexes`] catches it up;
//! - [`Dynamo::set_stale_read_ms`]: how far back an eventually consistent
//!   read (no `ConsistentRead`) sees the table;
//! - [`Dynamo::expire_before`]: when TTL's background deletion runs.
//!
//! Whatever the model does not know (a parameter, an operation, a
//! function, a nested update path) answers `SimUnsupportedExpression`
//! ([`DdbError::is_unsupported`]), never a guess.
//!
//! Files: `dynamodb/value.rs` (attribute values, exact numbers, sizes),
//! `expr.rs` (the expression language), `reserved.rs`, `ops.rs` (single
//! items and what all operations share), `read.rs` (Query, Scan, paging),
//! `batch.rs` (batches, transactions), `consistency.rs` (index lag, stale
//! reads), `tests.rs`.
//!
//! Sources: the DynamoDB API reference (GetItem, PutItem, UpdateItem,
//! DeleteItem, Query, Scan, BatchWriteItem, BatchGetItem,
//! TransactWriteItems, and the common errors), the botocore service model
//! `dynamodb/2012-08-10/service-2.json` for shapes and enum values, the
//! developer guide (expressions, reserved words, item sizes, TTL, paging,
//! read consistency, service quotas), and where AWS's exact behaviour or
//! wording is not documented, what dynalite and ScyllaDB's alternator
//! tests measured against AWS, and moto's messages.

// The error's shape (code, message, reasons, item) is the harness's
// interface; every call answers it, boxing it would only add noise.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

#[path = "dynamodb/expr.rs"]
pub mod expr;
#[path = "dynamodb/reserved.rs"]
mod reserved;
#[path = "dynamodb/value.rs"]
pub mod value;

use value::{item_to_json, Item, Num, AV};

/// One refusal, as AWS words it.
#[derive(Clone, Debug, PartialEq)]
pub struct DdbError {
    pub code: String,
    pub message: String,
    /// `CancellationReasons` of a `TransactionCanceledException`.
    pub reasons: Option<Vec<Value>>,
    /// The item a `ConditionalCheckFailedException` carries when the
    /// request asked `ReturnValuesOnConditionCheckFailure=ALL_OLD`.
    pub item: Option<Value>,
}

impl DdbError {
    pub fn new(code: &str, message: impl Into<String>) -> DdbError {
        DdbError {
            code: code.to_string(),
            message: message.into(),
            reasons: None,
            item: None,
        }
    }

    pub fn validation(message: impl Into<String>) -> DdbError {
        DdbError::new("ValidationException", message)
    }

    /// The awsJson1_0 error body. AWS's ValidationException and
    /// SerializationException come from its coral framework, the others
    /// from the DynamoDB namespace (the SDK reads the code after `#`).
    pub fn to_body(&self) -> Value {
        let namespace = match self.code.as_str() {
            "ValidationException" => "com.amazon.coral.validate",
            "SerializationException" => "com.amazon.coral.service",
            _ => "com.amazonaws.dynamodb.v20120810",
        };
        let mut body = Map::new();
        body.insert("__type".into(), json!(format!("{namespace}#{}", self.code)));
        if let Some(reasons) = &self.reasons {
            body.insert("Message".into(), json!(self.message));
            body.insert("CancellationReasons".into(), Value::Array(reasons.clone()));
        } else {
            body.insert("message".into(), json!(self.message));
        }
        if let Some(item) = &self.item {
            body.insert("Item".into(), item.clone());
        }
        Value::Object(body)
    }

    /// The simulation met something it does not model: the schedule
    /// fails, nothing is guessed.
    pub fn is_unsupported(&self) -> bool {
        self.code == "SimUnsupportedExpression"
    }
}

type Result<T> = std::result::Result<T, DdbError>;

fn unsupported(msg: impl Into<String>) -> DdbError {
    expr::unsupported(msg)
}

/// A key attribute's value: the scalar types a key may have.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum KeyVal {
    S(String),
    N(Num),
    B(Vec<u8>),
}

impl KeyVal {
    fn of(v: &AV) -> Option<KeyVal> {
        match v {
            AV::S(s) => Some(KeyVal::S(s.clone())),
            AV::N(n) => Some(KeyVal::N(*n)),
            AV::B(b) => Some(KeyVal::B(b.clone())),
            _ => None,
        }
    }

    fn av(&self) -> AV {
        match self {
            KeyVal::S(s) => AV::S(s.clone()),
            KeyVal::N(n) => AV::N(*n),
            KeyVal::B(b) => AV::B(b.clone()),
        }
    }
}

type Key = (KeyVal, Option<KeyVal>);

/// A key attribute: its name and type (`S`, `N` or `B`).
#[derive(Clone, Debug, Default)]
struct KeyAttr {
    name: String,
    ty: &'static str,
}

/// An index entry's place: (index hash, index range, table key).
type Entry = (KeyVal, Option<KeyVal>, Key);

/// A global secondary index (projection ALL, as the hub's `state` index).
/// Its copies of the items lag the table when the harness asks
/// ([`Dynamo::set_index_lag_ms`]): AWS propagates GSI updates
/// asynchronously, in the order they were written.
#[derive(Clone, Debug, Default)]
struct Gsi {
    name: String,
    hash: KeyAttr,
    range: Option<KeyAttr>,
    /// Every item the index holds, as the index last saw it.
    entries: BTreeMap<Entry, Item>,
    /// Where each table key sits in `entries`.
    by_key: BTreeMap<Key, (KeyVal, Option<KeyVal>)>,
    /// Table writes not yet propagated: (due at, key, item or deletion).
    pending: std::collections::VecDeque<(i64, Key, Option<Item>)>,
}

#[derive(Clone, Debug, Default)]
struct Table {
    hash: KeyAttr,
    range: Option<KeyAttr>,
    gsis: Vec<Gsi>,
    /// TTL's attribute (epoch seconds); expired items stay until
    /// [`Dynamo::expire_before`].
    ttl: Option<String>,
    items: BTreeMap<Key, Item>,
    /// Earlier versions of recently written items, for eventually
    /// consistent reads: (written at, the item before that write).
    recent: BTreeMap<Key, Vec<(i64, Option<Item>)>>,
    /// The request's time and the harness's lags, set on every call.
    now_ms: i64,
    index_lag_ms: i64,
    stale_ms: i64,
}

/// Decides, per request of a batch, whether it comes back unprocessed:
/// `(operation, table, index of the request in the batch)`.
pub type UnprocessedHook = Box<dyn FnMut(&str, &str, usize) -> bool + Send>;

/// The simulated DynamoDB of every account and region.
#[derive(Default)]
pub struct Dynamo {
    tables: BTreeMap<(String, String, String), Table>,
    unprocessed: Option<UnprocessedHook>,
    index_lag_ms: i64,
    stale_ms: i64,
    /// `TransactWriteItems`' client request tokens of transactions that
    /// succeeded, per account and region: when, and the request's body.
    tokens: BTreeMap<(String, String, String), (i64, String)>,
    now_ms: i64,
}

/// The hub's index over account-region state items (infra/hub.yaml).
pub const HUB_INDEX: &str = "state";
pub const HUB_INDEX_HASH: &str = "state_shard";
pub const HUB_TTL: &str = "ttl";

/// Bytes a Query or Scan reads before it answers a page.
const PAGE_BYTES: usize = 1024 * 1024;

fn key_attr(name: &str) -> KeyAttr {
    KeyAttr {
        name: name.to_string(),
        ty: "S",
    }
}

impl Dynamo {
    pub fn new() -> Self {
        Dynamo::default()
    }

    /// A table as the hub stack makes it (infra/hub.yaml `StateTable`):
    /// string keys `pk`/`sk`, the sparse GSI `state` (hash `state_shard`,
    /// range the table's hash key, projection ALL) and TTL on `ttl`.
    pub fn create_table(
        &mut self,
        account: &str,
        region: &str,
        name: &str,
        pk: &str,
        sk: Option<&str>,
    ) {
        let table = Table {
            hash: key_attr(pk),
            range: sk.map(key_attr),
            gsis: vec![Gsi {
                name: HUB_INDEX.into(),
                hash: key_attr(HUB_INDEX_HASH),
                range: Some(key_attr(pk)),
                ..Gsi::default()
            }],
            ttl: Some(HUB_TTL.into()),
            ..Table::default()
        };
        self.tables
            .insert((account.into(), region.into(), name.into()), table);
    }

    /// Makes the harness decide which requests of a `BatchWriteItem` or
    /// keys of a `BatchGetItem` come back unprocessed (from its seed).
    pub fn set_unprocessed_hook(&mut self, hook: UnprocessedHook) {
        self.unprocessed = Some(hook);
    }

    pub fn clear_unprocessed_hook(&mut self) {
        self.unprocessed = None;
    }

    /// How many items a table holds (0 for an unknown table).
    pub fn len(&self, account: &str, region: &str, table: &str) -> usize {
        self.tables
            .get(&(account.into(), region.into(), table.into()))
            .map_or(0, |t| t.items.len())
    }

    /// Every item of a table, in key order (empty for an unknown table).
    pub fn items(&self, account: &str, region: &str, table: &str) -> Vec<Value> {
        self.tables
            .get(&(account.into(), region.into(), table.into()))
            .map(|t| t.items.values().map(item_to_json).collect())
            .unwrap_or_default()
    }

    /// TTL's deletion, which AWS does in the background "within a few
    /// days" of expiry: deletes every item whose TTL attribute (epoch
    /// seconds, a number) is before `cutoff_ms`, except one more than five
    /// years before it (AWS never expires those). Until the harness calls
    /// this, reads return expired items, as AWS's do. How many went.
    pub fn expire_before(&mut self, cutoff_ms: i64) -> usize {
        const FIVE_YEARS_S: i64 = 5 * 365 * 86_400;
        let cutoff_s = cutoff_ms.div_euclid(1000);
        let (cutoff, oldest) = (
            Num::from_i64(cutoff_s),
            Num::from_i64(cutoff_s.saturating_sub(FIVE_YEARS_S)),
        );
        let mut gone = 0;
        for table in self.tables.values_mut() {
            let Some(attr) = table.ttl.clone() else {
                continue;
            };
            let expired: Vec<Key> = table
                .items
                .iter()
                .filter(
                    |(_, i)| matches!(i.get(&attr), Some(AV::N(t)) if *t < cutoff && *t >= oldest),
                )
                .map(|(k, _)| k.clone())
                .collect();
            for k in expired {
                table.write(&k, None);
                gone += 1;
            }
        }
        gone
    }

    /// One request: `op` is the `X-Amz-Target` operation, `req` its body.
    pub fn handle(
        &mut self,
        account: &str,
        region: &str,
        op: &str,
        req: &Value,
        now_ms: i64,
    ) -> Result<Value> {
        // Time moves the lags along (TTL is lazy: it never hides an item).
        for t in self.tables.values_mut() {
            t.now_ms = now_ms;
            t.index_lag_ms = self.index_lag_ms;
            t.stale_ms = self.stale_ms;
            t.settle(Some(now_ms));
        }
        if !req.is_object() {
            return Err(DdbError::new(
                "SerializationException",
                "Start of structure or map found where not expected",
            ));
        }
        self.now_ms = now_ms;
        let at = (account, region);
        // The operation alone, or the whole `X-Amz-Target`.
        let op = op.strip_prefix("DynamoDB_20120810.").unwrap_or(op);
        match op {
            "GetItem" => self.get_item(at, req),
            "PutItem" => self.put_item(at, req),
            "UpdateItem" => self.update_item(at, req),
            "DeleteItem" => self.delete_item(at, req),
            "Query" => self.query(at, req),
            "Scan" => self.scan(at, req),
            "BatchWriteItem" => self.batch_write(at, req),
            "BatchGetItem" => self.batch_get(at, req),
            "TransactWriteItems" => self.transact_write(at, req),
            other => Err(unsupported(format!(
                "the simulated DynamoDB does not model the operation {other}"
            ))),
        }
    }
}

#[path = "dynamodb/batch.rs"]
mod batch;
#[path = "dynamodb/consistency.rs"]
mod consistency;
#[path = "dynamodb/ops.rs"]
mod ops;
#[path = "dynamodb/read.rs"]
mod read;

#[cfg(test)]
#[path = "dynamodb/tests.rs"]
mod tests;
