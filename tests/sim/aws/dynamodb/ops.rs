//! Single-item operations (GetItem, PutItem, UpdateItem, DeleteItem) and
//! what every operation shares: parameters, keys, substitutions, item checks.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::expr::{self, Cond, Kind, Operand, Path, SetVal, Step, Subst, Update};
use super::value::{item_from_json, item_size, item_to_json, Item, AV, ITEM_LIMIT};
use super::{unsupported, DdbError, Dynamo, Gsi, Key, KeyAttr, KeyVal, Result, Table};

pub(super) type At<'a> = (&'a str, &'a str);

/// Refuses a parameter the model does not know (a legacy parameter such as
/// `Expected` or `AttributeUpdates`, or anything newer): never ignored.
pub(super) fn allowed(op: &str, req: &Value, known: &[&str]) -> Result<()> {
    for k in req.as_object().into_iter().flat_map(|o| o.keys()) {
        if !known.contains(&k.as_str()) {
            return Err(unsupported(format!(
                "{op}: the parameter {k} is not modelled by the simulated DynamoDB"
            )));
        }
    }
    Ok(())
}

pub(super) fn str_param<'a>(req: &'a Value, name: &str) -> Result<Option<&'a str>> {
    match req.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(DdbError::new(
            "SerializationException",
            format!("NUMBER_VALUE cannot be converted to String ({name})"),
        )),
    }
}

pub(super) fn bool_param(req: &Value, name: &str) -> Result<bool> {
    match req.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(DdbError::new(
            "SerializationException",
            format!("Unexpected value type for {name}"),
        )),
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// An enum parameter, checked against its values (botocore's model).
pub(super) fn enum_param<'a>(
    req: &'a Value,
    name: &str,
    values: &[&str],
) -> Result<Option<&'a str>> {
    let Some(v) = str_param(req, name)? else {
        return Ok(None);
    };
    if !values.contains(&v) {
        return Err(DdbError::validation(format!(
            "1 validation error detected: Value '{v}' at '{}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            lower_first(name),
            values.join(", ")
        )));
    }
    Ok(Some(v))
}

pub(super) const CAPACITY: [&str; 3] = ["INDEXES", "TOTAL", "NONE"];
pub(super) const METRICS: [&str; 2] = ["SIZE", "NONE"];

/// `ReturnConsumedCapacity` and `ReturnItemCollectionMetrics` are checked
/// and otherwise ignored (the product reads neither).
pub(super) fn accounting(req: &Value) -> Result<()> {
    enum_param(req, "ReturnConsumedCapacity", &CAPACITY)?;
    enum_param(req, "ReturnItemCollectionMetrics", &METRICS)?;
    Ok(())
}

pub(super) fn table_name(req: &Value) -> Result<&str> {
    let name = str_param(req, "TableName")?.ok_or_else(|| {
        DdbError::validation(
            "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null",
        )
    })?;
    // botocore's model: 3 to 255 characters of [a-zA-Z0-9_.-].
    let constraint = if name.len() < 3 {
        "Member must have length greater than or equal to 3"
    } else if name.len() > 255 {
        "Member must have length less than or equal to 255"
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    {
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    } else {
        return Ok(name);
    };
    Err(DdbError::validation(format!(
        "1 validation error detected: Value '{name}' at 'tableName' failed to satisfy constraint: {constraint}"
    )))
}

fn not_found() -> DdbError {
    DdbError::new("ResourceNotFoundException", "Requested resource not found")
}

impl Dynamo {
    pub(super) fn table(&self, at: At, name: &str) -> Result<&Table> {
        self.tables
            .get(&(at.0.into(), at.1.into(), name.into()))
            .ok_or_else(not_found)
    }

    pub(super) fn table_mut(&mut self, at: At, name: &str) -> Result<&mut Table> {
        self.tables
            .get_mut(&(at.0.into(), at.1.into(), name.into()))
            .ok_or_else(not_found)
    }
}

/// `ExpressionAttributeNames` and `ExpressionAttributeValues`, checked as
/// AWS checks them before any expression is read; `exprs` are the
/// operation's expression parameters (names may serve any of them, values
/// any but `ProjectionExpression`).
pub(super) fn subst(req: &Value, exprs: &[&str]) -> Result<Subst> {
    let present = |e: &&str| req.get(*e).is_some_and(|v| !v.is_null());
    let any_expression = exprs.iter().any(present);
    let value_exprs: Vec<&str> = exprs
        .iter()
        .copied()
        .filter(|e| *e != "ProjectionExpression")
        .collect();
    let any_value_expression = value_exprs.iter().any(present);
    let mut names = BTreeMap::new();
    let mut values = BTreeMap::new();
    if let Some(n) = req.get("ExpressionAttributeNames") {
        let obj = n.as_object().ok_or_else(|| {
            DdbError::new("SerializationException", "Unexpected value type in payload")
        })?;
        if obj.is_empty() {
            return Err(DdbError::validation(
                "ExpressionAttributeNames must not be empty",
            ));
        }
        if !any_expression {
            return Err(DdbError::validation(
                "ExpressionAttributeNames can only be specified when using expressions",
            ));
        }
        for (k, v) in obj {
            let ok = k.len() > 1
                && k.starts_with('#')
                && k[1..]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                return Err(DdbError::validation(format!(
                    "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{k}\""
                )));
            }
            let v = v.as_str().ok_or_else(|| {
                DdbError::new("SerializationException", "Unexpected value type in payload")
            })?;
            if v.is_empty() {
                return Err(DdbError::validation(format!(
                    "ExpressionAttributeNames contains invalid value: Empty attribute name for key {k}"
                )));
            }
            names.insert(k.clone(), v.to_string());
        }
    }
    if let Some(n) = req.get("ExpressionAttributeValues") {
        let obj = n.as_object().ok_or_else(|| {
            DdbError::new("SerializationException", "Unexpected value type in payload")
        })?;
        if obj.is_empty() {
            return Err(DdbError::validation(
                "ExpressionAttributeValues must not be empty",
            ));
        }
        if !any_value_expression {
            return Err(DdbError::validation(format!(
                "ExpressionAttributeValues can only be specified when using expressions: {} {} null",
                value_exprs.join(" and "),
                if value_exprs.len() > 1 { "are" } else { "is" }
            )));
        }
        for (k, v) in obj {
            let ok = k.len() > 1
                && k.starts_with(':')
                && k[1..]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                return Err(DdbError::validation(format!(
                    "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{k}\""
                )));
            }
            let v = AV::from_json(v).map_err(|e| match e.code.as_str() {
                "ValidationException" => DdbError::validation(format!(
                    "ExpressionAttributeValues contains invalid value: {} for key {k}",
                    e.message
                )),
                _ => e,
            })?;
            values.insert(k.clone(), v);
        }
    }
    Ok(Subst::new(names, values))
}

fn empty_key(name: &str) -> DdbError {
    DdbError::validation(format!(
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: {name}"
    ))
}

fn key_part(attr: &KeyAttr, v: &AV, limit: usize, which: &str) -> Result<KeyVal> {
    if v.type_name() != attr.ty {
        return Err(DdbError::validation(format!(
            "One or more parameter values were invalid: Type mismatch for key {} expected: {} actual: {}",
            attr.name,
            attr.ty,
            v.type_name()
        )));
    }
    if v.size() == 0 {
        return Err(empty_key(&attr.name));
    }
    if v.size() > limit {
        return Err(DdbError::validation(format!(
            "One or more parameter values were invalid: {which} has exceeded the maximum size limit of {limit} bytes"
        )));
    }
    Ok(KeyVal::of(v).expect("a key type"))
}

impl Table {
    /// The key a `Key` parameter names: exactly the key's attributes.
    pub(super) fn key(&self, v: Option<&Value>) -> Result<Key> {
        let schema = || DdbError::validation("The provided key element does not match the schema");
        let v = v.ok_or_else(|| {
            DdbError::validation(
                "1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null",
            )
        })?;
        let item = item_from_json(v)?;
        let want = 1 + usize::from(self.range.is_some());
        if item.len() != want {
            return Err(schema());
        }
        let hash = item.get(&self.hash.name).ok_or_else(schema)?;
        if hash.type_name() != self.hash.ty {
            return Err(schema());
        }
        let hash = key_part(&self.hash, hash, 2048, "Size of hashkey")?;
        let range = match &self.range {
            None => None,
            Some(r) => {
                let v = item.get(&r.name).ok_or_else(schema)?;
                if v.type_name() != r.ty {
                    return Err(schema());
                }
                Some(key_part(r, v, 1024, "Aggregated size of all range keys")?)
            }
        };
        Ok((hash, range))
    }

    /// The key of a whole item (PutItem), its attributes required.
    pub(super) fn item_key(&self, item: &Item) -> Result<Key> {
        let missing = |n: &str| {
            DdbError::validation(format!(
                "One or more parameter values were invalid: Missing the key {n} in the item"
            ))
        };
        let hash = item
            .get(&self.hash.name)
            .ok_or_else(|| missing(&self.hash.name))?;
        let hash = key_part(&self.hash, hash, 2048, "Size of hashkey")?;
        let range = match &self.range {
            None => None,
            Some(r) => {
                let v = item.get(&r.name).ok_or_else(|| missing(&r.name))?;
                Some(key_part(r, v, 1024, "Aggregated size of all range keys")?)
            }
        };
        Ok((hash, range))
    }

    pub(super) fn key_item(&self, key: &Key) -> Item {
        let mut item = Item::new();
        item.insert(self.hash.name.clone(), key.0.av());
        if let (Some(r), Some(v)) = (&self.range, &key.1) {
            item.insert(r.name.clone(), v.av());
        }
        item
    }

    pub(super) fn is_key_attr(&self, name: &str) -> bool {
        name == self.hash.name || self.range.as_ref().is_some_and(|r| r.name == name)
    }

    /// An item about to be written: its size, and its index keys' types
    /// (a wrong type or an empty string is refused, as AWS refuses it).
    pub(super) fn check_item(&self, item: &Item, update: bool) -> Result<()> {
        if item_size(item) > ITEM_LIMIT {
            return Err(DdbError::validation(if update {
                "Item size to update has exceeded the maximum allowed size"
            } else {
                "Item size has exceeded the maximum allowed size"
            }));
        }
        for g in &self.gsis {
            for attr in std::iter::once(&g.hash).chain(g.range.iter()) {
                let Some(v) = item.get(&attr.name) else {
                    continue;
                };
                if v.type_name() != attr.ty {
                    return Err(DdbError::validation(format!(
                        "One or more parameter values were invalid: Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                        attr.name,
                        attr.ty,
                        v.type_name(),
                        g.name
                    )));
                }
                if v.size() == 0 {
                    return Err(DdbError::validation(if update {
                        "One or more parameter values are not valid. The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty string value.".to_string()
                    } else {
                        format!(
                            "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: {}, IndexKey: {}",
                            g.name, attr.name
                        )
                    }));
                }
            }
        }
        Ok(())
    }
}

impl Gsi {
    /// The item's place in the index; none when it lacks a key attribute
    /// (a sparse index).
    pub(super) fn entry(&self, item: &Item, key: &Key) -> Option<(KeyVal, Option<KeyVal>, Key)> {
        let hash = KeyVal::of(item.get(&self.hash.name)?)?;
        let range = match &self.range {
            None => None,
            Some(r) => Some(KeyVal::of(item.get(&r.name)?)?),
        };
        Some((hash, range, key.clone()))
    }
}

pub(super) fn condition(req: &Value, subst: &mut Subst) -> Result<Option<Cond>> {
    str_param(req, "ConditionExpression")?
        .map(|c| expr::parse_condition(Kind::Condition, c, subst))
        .transpose()
}

pub(super) fn projection(req: &Value, subst: &mut Subst) -> Result<Option<Vec<Path>>> {
    let Some(p) = str_param(req, "ProjectionExpression")? else {
        return Ok(None);
    };
    let paths = expr::parse_projection(p, subst)?;
    if paths.iter().any(|p| p.len() > 1) {
        return Err(unsupported(
            "ProjectionExpression: nested document paths are not modelled",
        ));
    }
    Ok(Some(paths))
}

pub(super) fn project(item: &Item, paths: Option<&[Path]>) -> Item {
    match paths {
        None => item.clone(),
        Some(paths) => paths
            .iter()
            .filter_map(|p| match p.first() {
                Some(Step::Name(n)) => item.get(n).map(|v| (n.clone(), v.clone())),
                _ => None,
            })
            .collect(),
    }
}

/// `ReturnValuesOnConditionCheckFailure`: whether the refusal carries the item.
pub(super) fn wants_old_on_failure(req: &Value) -> Result<bool> {
    Ok(enum_param(
        req,
        "ReturnValuesOnConditionCheckFailure",
        &["ALL_OLD", "NONE"],
    )? == Some("ALL_OLD"))
}

/// The condition on the item as it is (an absent item is empty).
pub(super) fn check(cond: Option<&Cond>, old: Option<&Item>, with_item: bool) -> Result<()> {
    let Some(c) = cond else {
        return Ok(());
    };
    let empty = Item::new();
    if expr::eval(c, old.unwrap_or(&empty))? {
        return Ok(());
    }
    let mut e = DdbError::new(
        "ConditionalCheckFailedException",
        "The conditional request failed",
    );
    if with_item {
        e.item = old.map(item_to_json);
    }
    Err(e)
}

/// `ReturnValues` of PutItem and DeleteItem: NONE or ALL_OLD only.
fn old_only(req: &Value) -> Result<bool> {
    let rv = enum_param(
        req,
        "ReturnValues",
        &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"],
    )?;
    match rv {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(_) => Err(DdbError::validation("Return values set to invalid value")),
    }
}

fn attributes(out: &mut Map<String, Value>, item: Option<&Item>) {
    if let Some(i) = item.filter(|i| !i.is_empty()) {
        out.insert("Attributes".into(), item_to_json(i));
    }
}

const WRITE_COMMON: [&str; 8] = [
    "TableName",
    "ConditionExpression",
    "ExpressionAttributeNames",
    "ExpressionAttributeValues",
    "ReturnValues",
    "ReturnValuesOnConditionCheckFailure",
    "ReturnConsumedCapacity",
    "ReturnItemCollectionMetrics",
];

/// An update computed on an item, with what it touched.
pub(super) struct Applied {
    pub new: Item,
    pub touched: Vec<String>,
}

/// Static checks of an update: no key attribute, top-level paths only.
pub(super) fn check_update(table: &Table, u: &Update) -> Result<()> {
    let mut paths: Vec<&Path> = u.set.iter().map(|(p, _)| p).collect();
    paths.extend(u.remove.iter());
    paths.extend(u.add.iter().map(|(p, _)| p));
    paths.extend(u.delete.iter().map(|(p, _)| p));
    for p in paths {
        if let Some(Step::Name(n)) = p.first() {
            if table.is_key_attr(n) {
                return Err(DdbError::validation(format!(
                    "One or more parameter values were invalid: Cannot update attribute {n}. This attribute is part of the key"
                )));
            }
        }
        if p.len() > 1 {
            return Err(unsupported(format!(
                "UpdateExpression: the nested document path {} is not modelled",
                expr::show_path(p)
            )));
        }
    }
    Ok(())
}

fn incorrect_type() -> DdbError {
    DdbError::validation("An operand in the update expression has an incorrect data type")
}

fn set_value(v: &SetVal, base: &Item) -> Result<AV> {
    let missing = || {
        DdbError::validation(
            "The provided expression refers to an attribute that does not exist in the item",
        )
    };
    match v {
        SetVal::Operand(Operand::Val(v)) => Ok(v.clone()),
        SetVal::Operand(Operand::Path(p)) => expr::get(base, p).cloned().ok_or_else(missing),
        SetVal::Operand(Operand::Size(_)) => Err(unsupported("size() in an update expression")),
        SetVal::IfNotExists(p, default) => match expr::get(base, p) {
            Some(v) => Ok(v.clone()),
            None => set_value(default, base),
        },
        SetVal::ListAppend(a, b) => match (set_value(a, base)?, set_value(b, base)?) {
            (AV::L(mut a), AV::L(b)) => {
                a.extend(b);
                Ok(AV::L(a))
            }
            _ => Err(incorrect_type()),
        },
        SetVal::Plus(a, b) | SetVal::Minus(a, b) => {
            match (set_value(a, base)?, set_value(b, base)?) {
                (AV::N(a), AV::N(b)) => {
                    let b = if matches!(v, SetVal::Minus(..)) {
                        b.negated()
                    } else {
                        b
                    };
                    Ok(AV::N(a.plus(b)?))
                }
                _ => Err(incorrect_type()),
            }
        }
    }
}

fn top(p: &Path) -> String {
    match p.first() {
        Some(Step::Name(n)) => n.clone(),
        _ => String::new(),
    }
}

/// An update of an absent item that only removes (REMOVE, or DELETE from
/// sets it does not have) leaves it absent: DynamoDB creates no item of its
/// key alone then (ScyllaDB's alternator tests, checked against AWS).
pub(super) fn creates_nothing(
    old: Option<&Item>,
    u: &Update,
    applied: &Applied,
    base: &Item,
) -> bool {
    let actions = u.set.len() + u.remove.len() + u.add.len() + u.delete.len();
    old.is_none() && actions > 0 && applied.new == *base
}

/// Applies an update to `base` (the item, or its key alone when absent).
/// Every right-hand side reads the item as it was before the update.
pub(super) fn apply(u: &Update, base: &Item) -> Result<Applied> {
    let mut new = base.clone();
    let mut touched = Vec::new();
    let mut sets = Vec::new();
    for (p, v) in &u.set {
        sets.push((top(p), set_value(v, base)?));
    }
    for (name, v) in sets {
        touched.push(name.clone());
        new.insert(name, v);
    }
    for p in &u.remove {
        touched.push(top(p));
        new.remove(&top(p));
    }
    for (p, v) in &u.add {
        let name = top(p);
        let merged = match (base.get(&name), v) {
            (None, v) => v.clone(),
            (Some(AV::N(a)), AV::N(b)) => AV::N(a.plus(*b)?),
            (Some(AV::SS(a)), AV::SS(b)) => AV::SS(union(a, b)),
            (Some(AV::NS(a)), AV::NS(b)) => AV::NS(union(a, b)),
            (Some(AV::BS(a)), AV::BS(b)) => AV::BS(union(a, b)),
            _ => return Err(incorrect_type()),
        };
        touched.push(name.clone());
        new.insert(name, merged);
    }
    for (p, v) in &u.delete {
        let name = top(p);
        touched.push(name.clone());
        let left = match (base.get(&name), v) {
            (None, _) => continue,
            (Some(AV::SS(a)), AV::SS(b)) => minus(a, b).map(AV::SS),
            (Some(AV::NS(a)), AV::NS(b)) => minus(a, b).map(AV::NS),
            (Some(AV::BS(a)), AV::BS(b)) => minus(a, b).map(AV::BS),
            _ => return Err(incorrect_type()),
        };
        match left {
            Some(v) => new.insert(name, v),
            None => new.remove(&name),
        };
    }
    Ok(Applied { new, touched })
}

fn union<T: Ord + Clone>(a: &[T], b: &[T]) -> Vec<T> {
    let set: std::collections::BTreeSet<T> = a.iter().chain(b).cloned().collect();
    set.into_iter().collect()
}

/// A set without some members; `None` when none is left (AWS removes it).
fn minus<T: Ord + Clone>(a: &[T], b: &[T]) -> Option<Vec<T>> {
    let left: Vec<T> = a.iter().filter(|x| !b.contains(x)).cloned().collect();
    (!left.is_empty()).then_some(left)
}

impl Dynamo {
    pub(super) fn get_item(&mut self, at: At, req: &Value) -> Result<Value> {
        allowed(
            "GetItem",
            req,
            &[
                "TableName",
                "Key",
                "ProjectionExpression",
                "ExpressionAttributeNames",
                "ConsistentRead",
                "ReturnConsumedCapacity",
            ],
        )?;
        accounting(req)?;
        bool_param(req, "ConsistentRead")?;
        let table = self.table(at, table_name(req)?)?;
        let key = table.key(req.get("Key"))?;
        let mut s = subst(req, &["ProjectionExpression"])?;
        let proj = projection(req, &mut s)?;
        s.check_unused()?;
        let mut out = Map::new();
        let at = table.read_at(bool_param(req, "ConsistentRead")?);
        if let Some(item) = table.get_at(&key, at) {
            out.insert(
                "Item".into(),
                item_to_json(&project(&item, proj.as_deref())),
            );
        }
        Ok(Value::Object(out))
    }

    pub(super) fn put_item(&mut self, at: At, req: &Value) -> Result<Value> {
        let mut known = WRITE_COMMON.to_vec();
        known.push("Item");
        allowed("PutItem", req, &known)?;
        accounting(req)?;
        let return_old = old_only(req)?;
        let with_item = wants_old_on_failure(req)?;
        let table = self.table_mut(at, table_name(req)?)?;
        let item = item_from_json(req.get("Item").ok_or_else(|| {
            DdbError::validation(
                "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null",
            )
        })?)?;
        let key = table.item_key(&item)?;
        let mut s = subst(req, &["ConditionExpression"])?;
        let cond = condition(req, &mut s)?;
        s.check_unused()?;
        table.check_item(&item, false)?;
        let old = table.items.get(&key).cloned();
        check(cond.as_ref(), old.as_ref(), with_item)?;
        table.write(&key, Some(item));
        let mut out = Map::new();
        if return_old {
            attributes(&mut out, old.as_ref());
        }
        Ok(Value::Object(out))
    }

    pub(super) fn delete_item(&mut self, at: At, req: &Value) -> Result<Value> {
        let mut known = WRITE_COMMON.to_vec();
        known.push("Key");
        allowed("DeleteItem", req, &known)?;
        accounting(req)?;
        let return_old = old_only(req)?;
        let with_item = wants_old_on_failure(req)?;
        let table = self.table_mut(at, table_name(req)?)?;
        let key = table.key(req.get("Key"))?;
        let mut s = subst(req, &["ConditionExpression"])?;
        let cond = condition(req, &mut s)?;
        s.check_unused()?;
        let old = table.items.get(&key).cloned();
        check(cond.as_ref(), old.as_ref(), with_item)?;
        table.write(&key, None);
        let mut out = Map::new();
        if return_old {
            attributes(&mut out, old.as_ref());
        }
        Ok(Value::Object(out))
    }

    pub(super) fn update_item(&mut self, at: At, req: &Value) -> Result<Value> {
        let mut known = WRITE_COMMON.to_vec();
        known.extend(["Key", "UpdateExpression"]);
        allowed("UpdateItem", req, &known)?;
        accounting(req)?;
        let rv = enum_param(
            req,
            "ReturnValues",
            &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"],
        )?
        .unwrap_or("NONE");
        let with_item = wants_old_on_failure(req)?;
        let table = self.table_mut(at, table_name(req)?)?;
        let key = table.key(req.get("Key"))?;
        let mut s = subst(req, &["UpdateExpression", "ConditionExpression"])?;
        let update = str_param(req, "UpdateExpression")?
            .map(|u| expr::parse_update(u, &mut s))
            .transpose()?
            .unwrap_or_default();
        let cond = condition(req, &mut s)?;
        s.check_unused()?;
        check_update(table, &update)?;
        let old = table.items.get(&key).cloned();
        check(cond.as_ref(), old.as_ref(), with_item)?;
        let base = old.clone().unwrap_or_else(|| table.key_item(&key));
        let applied = apply(&update, &base)?;
        table.check_item(&applied.new, true)?;
        if !creates_nothing(old.as_ref(), &update, &applied, &base) {
            table.write(&key, Some(applied.new.clone()));
        } else {
            return Ok(Value::Object(Map::new()));
        }
        let pick = |item: &Item| -> Item {
            applied
                .touched
                .iter()
                .filter_map(|n| item.get(n).map(|v| (n.clone(), v.clone())))
                .collect()
        };
        let mut out = Map::new();
        match rv {
            "ALL_OLD" => attributes(&mut out, old.as_ref()),
            "ALL_NEW" => attributes(&mut out, Some(&applied.new)),
            "UPDATED_OLD" => attributes(&mut out, old.as_ref().map(pick).as_ref()),
            "UPDATED_NEW" => attributes(&mut out, Some(&pick(&applied.new))),
            _ => {}
        }
        Ok(Value::Object(out))
    }
}
