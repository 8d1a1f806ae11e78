//! BatchWriteItem, BatchGetItem and TransactWriteItems: every request is
//! checked before anything is written (AWS refuses a whole batch or
//! transaction for one bad request); a batch leaves unprocessed what the
//! harness's hook says; a transaction is all or nothing.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::expr::{self, Cond, Kind};
use super::ops::{
    accounting, allowed, apply, check_update, condition, enum_param, project, projection,
    str_param, subst, wants_old_on_failure, At,
};
use super::value::{item_from_json, item_to_json, Item};
use super::{unsupported, DdbError, Dynamo, Key, Result};

const BATCH_WRITE_MAX: usize = 25;
const BATCH_GET_MAX: usize = 100;
const TRANSACT_MAX: usize = 100;

/// How long a `TransactWriteItems` client request token is remembered.
const TOKEN_VALID_MS: i64 = 10 * 60 * 1000;
const BATCH_GET_BYTES: usize = 16 * 1024 * 1024;

fn request_items(req: &Value) -> Result<&Map<String, Value>> {
    let m = req.get("RequestItems").ok_or_else(|| {
        DdbError::validation(
            "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null",
        )
    })?;
    m.as_object()
        .ok_or_else(|| DdbError::new("SerializationException", "Unexpected value type in payload"))
}

fn duplicates() -> DdbError {
    DdbError::validation("Provided list of item keys contains duplicates")
}

/// One checked write of a batch.
struct Write {
    table: String,
    key: Key,
    item: Option<Item>,
    raw: Value,
}

/// One checked action of a transaction.
struct Action {
    table: String,
    key: Key,
    cond: Option<Cond>,
    with_item: bool,
    kind: ActionKind,
}

enum ActionKind {
    Check,
    Put(Item),
    Delete,
    Update(expr::Update),
}

impl Dynamo {
    fn unprocessed(&mut self, op: &str, table: &str, index: usize) -> bool {
        match &mut self.unprocessed {
            Some(hook) => hook(op, table, index),
            None => false,
        }
    }

    pub(super) fn batch_write(&mut self, at: At, req: &Value) -> Result<Value> {
        allowed(
            "BatchWriteItem",
            req,
            &[
                "RequestItems",
                "ReturnConsumedCapacity",
                "ReturnItemCollectionMetrics",
            ],
        )?;
        accounting(req)?;
        let items = request_items(req)?;
        let total: usize = items
            .values()
            .map(|v| v.as_array().map_or(0, Vec::len))
            .sum();
        if items.is_empty()
            || total > BATCH_WRITE_MAX
            || items
                .values()
                .any(|v| v.as_array().is_none_or(Vec::is_empty))
        {
            return Err(DdbError::validation(format!(
                "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to {BATCH_WRITE_MAX}, Member must have length greater than or equal to 1]"
            )));
        }
        let mut writes = Vec::new();
        let mut seen = BTreeSet::new();
        for (name, list) in items {
            let table = self.table(at, name)?;
            for raw in list.as_array().expect("checked above") {
                let obj = raw.as_object().ok_or_else(|| {
                    DdbError::new("SerializationException", "Unexpected value type in payload")
                })?;
                let (key, item) = match (obj.get("PutRequest"), obj.get("DeleteRequest"), obj.len()) {
                    (Some(p), None, 1) => {
                        allowed("BatchWriteItem PutRequest", p, &["Item"])?;
                        let item = item_from_json(p.get("Item").unwrap_or(&Value::Null))?;
                        let key = table.item_key(&item)?;
                        table.check_item(&item, false)?;
                        (key, Some(item))
                    }
                    (None, Some(d), 1) => {
                        allowed("BatchWriteItem DeleteRequest", d, &["Key"])?;
                        (table.key(d.get("Key"))?, None)
                    }
                    _ => {
                        return Err(DdbError::validation(
                            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                        ))
                    }
                };
                if !seen.insert((name.clone(), key.clone())) {
                    return Err(duplicates());
                }
                writes.push(Write {
                    table: name.clone(),
                    key,
                    item,
                    raw: raw.clone(),
                });
            }
        }
        let mut left: Map<String, Value> = Map::new();
        for (i, w) in writes.into_iter().enumerate() {
            if self.unprocessed("BatchWriteItem", &w.table, i) {
                left.entry(w.table.clone())
                    .or_insert_with(|| json!([]))
                    .as_array_mut()
                    .expect("an array")
                    .push(w.raw);
                continue;
            }
            self.table_mut(at, &w.table)?.write(&w.key, w.item);
        }
        Ok(json!({ "UnprocessedItems": left }))
    }

    pub(super) fn batch_get(&mut self, at: At, req: &Value) -> Result<Value> {
        allowed(
            "BatchGetItem",
            req,
            &["RequestItems", "ReturnConsumedCapacity"],
        )?;
        accounting(req)?;
        let items = request_items(req)?;
        let mut asks = Vec::new();
        let mut total = 0;
        for (name, spec) in items {
            allowed(
                "BatchGetItem KeysAndAttributes",
                spec,
                &[
                    "Keys",
                    "ProjectionExpression",
                    "ExpressionAttributeNames",
                    "ConsistentRead",
                ],
            )?;
            let table = self.table(at, name)?;
            let keys = spec.get("Keys").and_then(Value::as_array).ok_or_else(|| {
                DdbError::validation(
                    "1 validation error detected: Value null at 'requestItems.keys' failed to satisfy constraint: Member must not be null",
                )
            })?;
            total += keys.len();
            let mut s = subst(spec, &["ProjectionExpression"])?;
            let proj = projection(spec, &mut s)?;
            s.check_unused()?;
            let mut seen = BTreeSet::new();
            for k in keys {
                let key = table.key(Some(k))?;
                if !seen.insert(key.clone()) {
                    return Err(duplicates());
                }
                asks.push((name.clone(), key, k.clone(), proj.clone(), spec.clone()));
            }
        }
        if total == 0 || total > BATCH_GET_MAX {
            return Err(DdbError::validation(
                "Too many items requested for the BatchGetItem call",
            ));
        }
        let mut responses: Map<String, Value> =
            items.keys().map(|k| (k.clone(), json!([]))).collect();
        let mut left: Map<String, Value> = Map::new();
        let mut bytes = 0;
        for (i, (name, key, raw, proj, spec)) in asks.into_iter().enumerate() {
            let table = self.table(at, &name)?;
            let consistent = spec
                .get("ConsistentRead")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let found = table
                .get_at(&key, table.read_at(consistent))
                .map(|i| i.into_owned());
            let size = found.as_ref().map_or(0, super::value::item_size);
            if bytes + size > BATCH_GET_BYTES || self.unprocessed("BatchGetItem", &name, i) {
                let entry = left.entry(name.clone()).or_insert_with(|| {
                    let mut e = spec.as_object().cloned().unwrap_or_default();
                    e.insert("Keys".into(), json!([]));
                    Value::Object(e)
                });
                entry["Keys"].as_array_mut().expect("an array").push(raw);
                continue;
            }
            bytes += size;
            if let Some(item) = found {
                responses[&name]
                    .as_array_mut()
                    .expect("an array")
                    .push(item_to_json(&project(&item, proj.as_deref())));
            }
        }
        Ok(json!({ "Responses": responses, "UnprocessedKeys": left }))
    }

    fn action(&self, at: At, raw: &Value) -> Result<Action> {
        let obj = raw.as_object().ok_or_else(|| {
            DdbError::new("SerializationException", "Unexpected value type in payload")
        })?;
        if obj.len() != 1 {
            return Err(DdbError::validation(
                "TransactItems can only contain one of Check, Put, Update or Delete",
            ));
        }
        let (verb, body) = obj.iter().next().expect("one");
        let common = [
            "TableName",
            "ConditionExpression",
            "ExpressionAttributeNames",
            "ExpressionAttributeValues",
            "ReturnValuesOnConditionCheckFailure",
        ];
        let mut known = common.to_vec();
        match verb.as_str() {
            "ConditionCheck" | "Delete" => known.push("Key"),
            "Put" => known.push("Item"),
            "Update" => known.extend(["Key", "UpdateExpression"]),
            other => {
                return Err(unsupported(format!(
                    "TransactWriteItems: the action {other} is not modelled"
                )))
            }
        }
        allowed(&format!("TransactWriteItems {verb}"), body, &known)?;
        let name = super::ops::table_name(body)?.to_string();
        let table = self.table(at, &name)?;
        let with_item = wants_old_on_failure(body)?;
        let mut s = subst(body, &["UpdateExpression", "ConditionExpression"])?;
        let (key, kind, cond) = match verb.as_str() {
            "Put" => {
                let item = item_from_json(body.get("Item").unwrap_or(&Value::Null))?;
                let key = table.item_key(&item)?;
                table.check_item(&item, false)?;
                (key, ActionKind::Put(item), condition(body, &mut s)?)
            }
            "Update" => {
                let key = table.key(body.get("Key"))?;
                let text = str_param(body, "UpdateExpression")?.ok_or_else(|| {
                    DdbError::validation("1 validation error detected: Value null at 'transactItems.update.updateExpression' failed to satisfy constraint: Member must not be null")
                })?;
                let u = expr::parse_update(text, &mut s)?;
                check_update(table, &u)?;
                (key, ActionKind::Update(u), condition(body, &mut s)?)
            }
            "Delete" => (
                table.key(body.get("Key"))?,
                ActionKind::Delete,
                condition(body, &mut s)?,
            ),
            _ => {
                let key = table.key(body.get("Key"))?;
                let text = str_param(body, "ConditionExpression")?.ok_or_else(|| {
                    DdbError::validation("1 validation error detected: Value null at 'transactItems.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null")
                })?;
                let c = expr::parse_condition(Kind::Condition, text, &mut s)?;
                (key, ActionKind::Check, Some(c))
            }
        };
        s.check_unused()?;
        Ok(Action {
            table: name,
            key,
            cond,
            with_item,
            kind,
        })
    }

    pub(super) fn transact_write(&mut self, at: At, req: &Value) -> Result<Value> {
        allowed(
            "TransactWriteItems",
            req,
            &[
                "TransactItems",
                "ReturnConsumedCapacity",
                "ReturnItemCollectionMetrics",
                "ClientRequestToken",
            ],
        )?;
        // The SDK fills the token in once per call, so its retries carry the
        // same one. The API reference: a token is valid for 10 minutes after
        // the call that used it completes; a call with a token a successful
        // transaction used returns success and changes nothing, and with other
        // parameters fails `IdempotentParameterMismatchException`.
        let token = match req.get("ClientRequestToken") {
            None => None,
            Some(Value::String(t)) if (1..=36).contains(&t.chars().count()) => Some(t.clone()),
            Some(_) => {
                return Err(DdbError::validation(
                    "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36",
                ))
            }
        };
        let now = self.now_ms;
        self.tokens.retain(|_, (t, _)| now - *t <= TOKEN_VALID_MS);
        let body = req.to_string();
        if let Some(t) = &token {
            let k = (at.0.to_string(), at.1.to_string(), t.clone());
            if let Some((_, was)) = self.tokens.get(&k) {
                if *was == body {
                    return Ok(json!({}));
                }
                return Err(DdbError::new(
                    "IdempotentParameterMismatchException",
                    "Request with the same client request token has different parameters",
                ));
            }
        }
        accounting(req)?;
        enum_param(req, "ReturnConsumedCapacity", &super::ops::CAPACITY)?;
        let list = req.get("TransactItems").and_then(Value::as_array).ok_or_else(|| {
            DdbError::validation(
                "1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null",
            )
        })?;
        if list.is_empty() || list.len() > TRANSACT_MAX {
            return Err(DdbError::validation(format!(
                "1 validation error detected at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to {TRANSACT_MAX}."
            )));
        }
        let mut actions = Vec::new();
        let mut seen = BTreeSet::new();
        for raw in list {
            let a = self.action(at, raw)?;
            if !seen.insert((a.table.clone(), a.key.clone())) {
                return Err(DdbError::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            actions.push(a);
        }
        // Every condition and every update on the items as they are; any
        // refusal cancels all.
        let mut reasons = Vec::new();
        let mut writes = Vec::new();
        let mut cancelled = false;
        for a in &actions {
            let table = self.table(at, &a.table)?;
            let old = table.items.get(&a.key).cloned();
            let checked = super::ops::check(a.cond.as_ref(), old.as_ref(), a.with_item);
            let outcome = checked.and_then(|()| match &a.kind {
                ActionKind::Check => Ok(None),
                ActionKind::Put(item) => Ok(Some(Some(item.clone()))),
                ActionKind::Delete => Ok(Some(None)),
                ActionKind::Update(u) => {
                    let base = old.clone().unwrap_or_else(|| table.key_item(&a.key));
                    let applied = apply(u, &base)?;
                    table.check_item(&applied.new, true)?;
                    if super::ops::creates_nothing(old.as_ref(), u, &applied, &base) {
                        return Ok(None);
                    }
                    Ok(Some(Some(applied.new)))
                }
            });
            match outcome {
                Ok(w) => {
                    reasons.push(json!({ "Code": "None" }));
                    if let Some(w) = w {
                        writes.push((a.table.clone(), a.key.clone(), w));
                    }
                }
                Err(e) => {
                    if e.is_unsupported() {
                        return Err(e);
                    }
                    cancelled = true;
                    let mut r = Map::new();
                    let code = if e.code == "ConditionalCheckFailedException" {
                        "ConditionalCheckFailed"
                    } else {
                        "ValidationError"
                    };
                    r.insert("Code".into(), json!(code));
                    r.insert("Message".into(), json!(e.message));
                    if let Some(item) = e.item {
                        r.insert("Item".into(), item);
                    }
                    reasons.push(Value::Object(r));
                }
            }
        }
        if cancelled {
            let codes: Vec<&str> = reasons
                .iter()
                .map(|r| r["Code"].as_str().unwrap_or("None"))
                .collect();
            let mut e = DdbError::new(
                "TransactionCanceledException",
                format!(
                    "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                    codes.join(", ")
                ),
            );
            e.reasons = Some(reasons);
            return Err(e);
        }
        for (name, key, item) in writes {
            self.table_mut(at, &name)?.write(&key, item);
        }
        if let Some(t) = token {
            self.tokens
                .insert((at.0.to_string(), at.1.to_string(), t), (now, body));
        }
        Ok(json!({}))
    }
}
