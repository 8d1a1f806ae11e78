//! Query and Scan: key conditions, filters, projections, `Select`, and
//! paging as AWS pages (`Limit` counts items read before the filter, a page
//! stops once it has read 1 MB of items, `LastEvaluatedKey` whenever it
//! stopped early, even when nothing follows).

use std::borrow::Cow;

use serde_json::{json, Map, Value};

use super::expr::{self, Cmp, Cond, Kind, Operand, Path, Step};
use super::ops::{
    accounting, allowed, bool_param, enum_param, project, projection, str_param, subst, table_name,
    At,
};
use super::value::{item_from_json, item_size, item_to_json, Item, AV};
use super::{DdbError, Dynamo, Gsi, Key, KeyAttr, KeyVal, Result, Table, PAGE_BYTES};

/// An item's place in what is read: the sort value (the table's range
/// key, or the index's), then the table key.
type Pos = (Option<KeyVal>, Key);

#[derive(Debug)]
enum RangeCond {
    Cmp(Cmp, KeyVal),
    Between(KeyVal, KeyVal),
    Begins(AV),
}

impl RangeCond {
    fn holds(&self, v: Option<&KeyVal>) -> bool {
        let Some(v) = v else {
            return false;
        };
        match self {
            RangeCond::Cmp(op, x) => match op {
                Cmp::Eq => v == x,
                Cmp::Lt => v < x,
                Cmp::Le => v <= x,
                Cmp::Gt => v > x,
                Cmp::Ge => v >= x,
                Cmp::Ne => false,
            },
            RangeCond::Between(a, b) => a <= v && v <= b,
            RangeCond::Begins(p) => match (v, p) {
                (KeyVal::S(s), AV::S(p)) => s.starts_with(p.as_str()),
                (KeyVal::B(s), AV::B(p)) => s.starts_with(p),
                _ => false,
            },
        }
    }
}

fn not_supported() -> DdbError {
    DdbError::validation("Query key condition not supported")
}

fn invalid_operator(what: &str) -> DdbError {
    DdbError::validation(format!(
        "Invalid operator used in KeyConditionExpression: {what}"
    ))
}

fn invalid_condition(why: &str) -> DdbError {
    DdbError::validation(format!(
        "Invalid condition in KeyConditionExpression: {why}"
    ))
}

/// One condition of a key condition: the key attribute it names, and what
/// it asks of it (comparisons turned to have the attribute first).
struct KeyPart<'c> {
    name: &'c str,
    op: KeyOp<'c>,
}

enum KeyOp<'c> {
    Cmp(Cmp, &'c AV),
    Between(&'c AV, &'c AV),
    Begins(&'c AV),
}

/// The conditions of a key condition, refused as AWS refuses them (as
/// dynalite measured its messages).
fn key_parts<'c>(c: &'c Cond, out: &mut Vec<KeyPart<'c>>) -> Result<()> {
    let operands: Vec<&Operand> = match c {
        Cond::Paren(inner) => return key_parts(inner, out),
        Cond::And(a, b) => {
            key_parts(a, out)?;
            return key_parts(b, out);
        }
        Cond::Or(..) => return Err(invalid_operator("OR")),
        Cond::Not(..) => return Err(invalid_operator("NOT")),
        Cond::In(..) => return Err(invalid_operator("IN")),
        Cond::Cmp(_, Cmp::Ne, _) => return Err(invalid_operator("<>")),
        Cond::Exists(..) => return Err(invalid_operator("attribute_exists")),
        Cond::NotExists(..) => return Err(invalid_operator("attribute_not_exists")),
        Cond::Type(..) => return Err(invalid_operator("attribute_type")),
        Cond::Contains(..) => return Err(invalid_operator("contains")),
        Cond::Cmp(a, _, b) | Cond::BeginsWith(a, b) => vec![a, b],
        Cond::Between(a, b, d) => vec![a, b, d],
    };
    if operands.iter().any(|o| matches!(o, Operand::Size(_))) {
        return Err(DdbError::validation(
            "KeyConditionExpressions cannot contain nested operations",
        ));
    }
    let first_is_path = matches!(operands[0], Operand::Path(_));
    match c {
        Cond::Between(..) if !first_is_path => {
            return Err(invalid_condition(
                "BETWEEN operator must have the key attribute as its first operand",
            ))
        }
        Cond::BeginsWith(..) if !first_is_path => {
            return Err(invalid_condition(
                "begins_with operator must have the key attribute as its first operand",
            ))
        }
        _ => {}
    }
    let paths: Vec<(usize, &Path)> = operands
        .iter()
        .enumerate()
        .filter_map(|(i, o)| match o {
            Operand::Path(p) => Some((i, p)),
            _ => None,
        })
        .collect();
    let (at, path) = match paths.as_slice() {
        [] => return Err(invalid_condition("No key attribute specified")),
        [one] => *one,
        _ => {
            return Err(invalid_condition(
                "Multiple attribute names used in one condition",
            ))
        }
    };
    let Some(name) = single(path) else {
        return Err(DdbError::validation(
            "KeyConditionExpressions cannot have conditions on nested attributes",
        ));
    };
    if out.iter().any(|p| p.name == name) {
        return Err(DdbError::validation(
            "KeyConditionExpressions must only contain one condition per key",
        ));
    }
    let val = |i: usize| match operands[i] {
        Operand::Val(v) => v,
        _ => unreachable!("one path, the rest values"),
    };
    let op = match c {
        Cond::Cmp(_, op, _) if at == 0 => KeyOp::Cmp(*op, val(1)),
        // `:v < k` is `k > :v`.
        Cond::Cmp(_, op, _) => {
            let flipped = match op {
                Cmp::Lt => Cmp::Gt,
                Cmp::Le => Cmp::Ge,
                Cmp::Gt => Cmp::Lt,
                Cmp::Ge => Cmp::Le,
                other => *other,
            };
            KeyOp::Cmp(flipped, val(0))
        }
        Cond::Between(..) => KeyOp::Between(val(1), val(2)),
        _ => KeyOp::Begins(val(1)),
    };
    out.push(KeyPart { name, op });
    Ok(())
}

fn key_value(attr: &KeyAttr, v: &AV) -> Result<KeyVal> {
    if v.type_name() != attr.ty {
        return Err(DdbError::validation(
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ));
    }
    Ok(KeyVal::of(v).expect("a key type"))
}

fn single(p: &Path) -> Option<&str> {
    match p.as_slice() {
        [Step::Name(n)] => Some(n),
        _ => None,
    }
}

/// The hash key's value and the range key's condition of a key condition.
fn key_condition(
    c: &Cond,
    hash: &KeyAttr,
    range: Option<&KeyAttr>,
) -> Result<(KeyVal, Option<RangeCond>)> {
    let mut parts = Vec::new();
    key_parts(c, &mut parts)?;
    let find = |n: &str| parts.iter().find(|p| p.name == n);
    let missed =
        |n: &str| DdbError::validation(format!("Query condition missed key schema element: {n}"));
    let h = find(&hash.name).ok_or_else(|| missed(&hash.name))?;
    let r = match range {
        Some(r) => match find(&r.name) {
            Some(p) => Some((r, p)),
            None if parts.len() > 1 => return Err(missed(&r.name)),
            None => None,
        },
        None if parts.len() > 1 => return Err(not_supported()),
        None => None,
    };
    if parts.len() > 1 + usize::from(r.is_some()) {
        return Err(not_supported());
    }
    let hash_val = match h.op {
        KeyOp::Cmp(Cmp::Eq, v) => key_value(hash, v)?,
        KeyOp::Cmp(_, v) | KeyOp::Begins(v) | KeyOp::Between(v, _) => {
            key_value(hash, v)?;
            return Err(not_supported());
        }
    };
    let range_cond = match r {
        None => None,
        Some((attr, p)) => Some(match p.op {
            KeyOp::Cmp(op, v) => RangeCond::Cmp(op, key_value(attr, v)?),
            KeyOp::Between(a, b) => RangeCond::Between(key_value(attr, a)?, key_value(attr, b)?),
            KeyOp::Begins(v) => {
                if attr.ty == "N" {
                    return Err(DdbError::validation(
                        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
                    ));
                }
                RangeCond::Begins(key_value(attr, v)?.av())
            }
        }),
    };
    Ok((hash_val, range_cond))
}

/// Every attribute path a condition reads.
fn paths_of(c: &Cond, out: &mut Vec<Path>) {
    let op = |o: &Operand, out: &mut Vec<Path>| match o {
        Operand::Path(p) | Operand::Size(p) => out.push(p.clone()),
        Operand::Val(_) => {}
    };
    match c {
        Cond::Or(a, b) | Cond::And(a, b) => {
            paths_of(a, out);
            paths_of(b, out)
        }
        Cond::Not(a) | Cond::Paren(a) => paths_of(a, out),
        Cond::Cmp(a, _, b) | Cond::BeginsWith(a, b) | Cond::Contains(a, b) => {
            op(a, out);
            op(b, out)
        }
        Cond::Between(a, b, c) => {
            for o in [a, b, c] {
                op(o, out)
            }
        }
        Cond::In(a, list) => {
            op(a, out);
            for o in list {
                op(o, out)
            }
        }
        Cond::Exists(p) | Cond::NotExists(p) => out.push(p.clone()),
        Cond::Type(p, t) => {
            out.push(p.clone());
            op(t, out)
        }
    }
}

/// What a read asked for: its items' attributes, or their count.
struct Shape {
    count_only: bool,
    proj: Option<Vec<Path>>,
}

fn shape(req: &Value, proj: Option<Vec<Path>>, index: bool) -> Result<Shape> {
    let select = enum_param(
        req,
        "Select",
        &[
            "ALL_ATTRIBUTES",
            "ALL_PROJECTED_ATTRIBUTES",
            "SPECIFIC_ATTRIBUTES",
            "COUNT",
        ],
    )?;
    match (select, &proj) {
        (Some("SPECIFIC_ATTRIBUTES"), None) => Err(DdbError::validation(
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
        )),
        (Some(s), Some(_)) if s != "SPECIFIC_ATTRIBUTES" => Err(DdbError::validation(format!(
            "Cannot specify the ProjectionExpression when choosing to get {s}"
        ))),
        (Some("ALL_PROJECTED_ATTRIBUTES"), _) if !index => Err(DdbError::validation(
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
        )),
        _ => Ok(Shape {
            count_only: select == Some("COUNT"),
            proj,
        }),
    }
}

fn limit(req: &Value) -> Result<Option<usize>> {
    match req.get("Limit") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_i64() {
            Some(n) if n >= 1 => Ok(Some(n as usize)),
            Some(n) => Err(DdbError::validation(format!(
                "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
            ))),
            None => Err(DdbError::new("SerializationException", "Unexpected value type for Limit")),
        },
    }
}

fn index<'t>(table: &'t Table, req: &Value) -> Result<Option<&'t Gsi>> {
    let Some(name) = str_param(req, "IndexName")? else {
        return Ok(None);
    };
    let g = table.gsis.iter().find(|g| g.name == name).ok_or_else(|| {
        DdbError::validation(format!(
            "The table does not have the specified index: {name}"
        ))
    })?;
    if bool_param(req, "ConsistentRead")? {
        return Err(DdbError::validation(
            "Consistent reads are not supported on global secondary indexes",
        ));
    }
    Ok(Some(g))
}

/// `ExclusiveStartKey`: the table's key, plus the index's key on an index;
/// answered as (the hash value read, the position).
fn start(table: &Table, g: Option<&Gsi>, req: &Value) -> Result<Option<(KeyVal, Pos)>> {
    let Some(v) = req.get("ExclusiveStartKey") else {
        return Ok(None);
    };
    let invalid = || DdbError::validation("The provided starting key is invalid");
    let item = item_from_json(v)?;
    let mut names: Vec<&str> = vec![&table.hash.name];
    names.extend(table.range.iter().map(|r| r.name.as_str()));
    if let Some(g) = g {
        names.push(&g.hash.name);
        names.extend(g.range.iter().map(|r| r.name.as_str()));
    }
    names.sort();
    names.dedup();
    if item.len() != names.len() || names.iter().any(|n| !item.contains_key(*n)) {
        return Err(invalid());
    }
    let table_part: Item = std::iter::once(&table.hash)
        .chain(table.range.iter())
        .map(|a| (a.name.clone(), item[&a.name].clone()))
        .collect();
    let key = table
        .key(Some(&super::value::item_to_json(&table_part)))
        .map_err(|e| {
            DdbError::validation(format!(
                "The provided starting key is invalid: {}",
                e.message
            ))
        })?;
    match g {
        None => Ok(Some((key.0.clone(), (key.1.clone(), key)))),
        Some(g) => {
            let (hash, range, key) = g.entry(&item, &key).ok_or_else(invalid)?;
            Ok(Some((hash, (range, key))))
        }
    }
}

/// The key a page ends at: the table's key attributes (and the index's).
fn last_key(table: &Table, g: Option<&Gsi>, item: &Item) -> Value {
    let mut names = vec![table.hash.name.clone()];
    names.extend(table.range.iter().map(|r| r.name.clone()));
    if let Some(g) = g {
        names.push(g.hash.name.clone());
        names.extend(g.range.iter().map(|r| r.name.clone()));
    }
    let key: Item = names
        .into_iter()
        .filter_map(|n| item.get(&n).map(|v| (n, v.clone())))
        .collect();
    item_to_json(&key)
}

/// One page over `candidates` (in reading order, after the start key).
fn page<'a>(
    table: &Table,
    g: Option<&Gsi>,
    candidates: impl Iterator<Item = Cow<'a, Item>>,
    filter: Option<&Cond>,
    shape: &Shape,
    limit: Option<usize>,
) -> Result<Value> {
    let (mut scanned, mut bytes, mut items) = (0usize, 0usize, Vec::new());
    let mut last: Option<Cow<'a, Item>> = None;
    let mut stopped = false;
    for item in candidates {
        // As dynalite measured AWS: items are read until the page has read
        // 1 MB (the item that crosses it is in the page) or `Limit` items.
        if limit == Some(scanned) || bytes >= PAGE_BYTES {
            stopped = true;
            break;
        }
        bytes += item_size(&item);
        scanned += 1;
        let keep = match filter {
            Some(f) => expr::eval(f, &item)?,
            None => true,
        };
        if keep {
            items.push(project(&item, shape.proj.as_deref()));
        }
        last = Some(item);
    }
    // A page that stopped at its limit or its size names where it stopped,
    // even when nothing follows (the next page is then empty).
    stopped |= limit == Some(scanned) || bytes >= PAGE_BYTES;
    let mut out = Map::new();
    if !shape.count_only {
        out.insert(
            "Items".into(),
            Value::Array(items.iter().map(item_to_json).collect()),
        );
    }
    out.insert("Count".into(), json!(items.len()));
    out.insert("ScannedCount".into(), json!(scanned));
    if let (true, Some(last)) = (stopped, last) {
        out.insert("LastEvaluatedKey".into(), last_key(table, g, &last));
    }
    Ok(Value::Object(out))
}

const READ_COMMON: [&str; 11] = [
    "TableName",
    "IndexName",
    "FilterExpression",
    "ProjectionExpression",
    "ExpressionAttributeNames",
    "ExpressionAttributeValues",
    "Limit",
    "ExclusiveStartKey",
    "ConsistentRead",
    "Select",
    "ReturnConsumedCapacity",
];

/// A stable segment for a parallel scan (FNV-1a of the hash key).
fn segment_of(k: &KeyVal, total: u64) -> u64 {
    let text = format!("{k:?}");
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h % total
}

impl Dynamo {
    pub(super) fn query(&mut self, at: At, req: &Value) -> Result<Value> {
        let mut known = READ_COMMON.to_vec();
        known.extend(["KeyConditionExpression", "ScanIndexForward"]);
        allowed("Query", req, &known)?;
        accounting(req)?;
        bool_param(req, "ConsistentRead")?;
        let table = self.table(at, table_name(req)?)?;
        let g = index(table, req)?;
        let kce = str_param(req, "KeyConditionExpression")?.ok_or_else(|| {
            DdbError::validation(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
            )
        })?;
        let mut s = subst(
            req,
            &[
                "KeyConditionExpression",
                "FilterExpression",
                "ProjectionExpression",
            ],
        )?;
        let kc = expr::parse_condition(Kind::KeyCondition, kce, &mut s)?;
        let filter = str_param(req, "FilterExpression")?
            .map(|f| expr::parse_condition(Kind::Filter, f, &mut s))
            .transpose()?;
        let proj = projection(req, &mut s)?;
        s.check_unused()?;
        let (hash, range) = match g {
            Some(g) => (&g.hash, g.range.as_ref()),
            None => (&table.hash, table.range.as_ref()),
        };
        let (hash_val, range_cond) = key_condition(&kc, hash, range)?;
        if let Some(f) = &filter {
            let mut paths = Vec::new();
            paths_of(f, &mut paths);
            for p in paths {
                if let Some(Step::Name(n)) = p.first() {
                    if *n == hash.name || range.is_some_and(|r| r.name == *n) {
                        return Err(DdbError::validation(format!(
                            "Filter Expression can only contain non-primary key attributes: Primary key attribute: {n}"
                        )));
                    }
                }
            }
        }
        let shape = shape(req, proj, g.is_some())?;
        let limit = limit(req)?;
        let forward = match req.get("ScanIndexForward") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(DdbError::new(
                    "SerializationException",
                    "Unexpected value type for ScanIndexForward",
                ))
            }
        };
        let esk = start(table, g, req)?;
        // A start key must lie inside the query (as dynalite measured AWS).
        if let Some((given_hash, (given_range, _))) = &esk {
            let refuse = |m: &str| Err(DdbError::validation(m));
            match &range_cond {
                None if *given_hash != hash_val => {
                    return refuse("The provided starting key is outside query boundaries based on provided conditions")
                }
                Some(c) if !c.holds(given_range.as_ref()) => {
                    return refuse("The provided starting key does not match the range key predicate")
                }
                Some(_) if *given_hash != hash_val => {
                    return refuse("The query can return at most one row and cannot be restarted")
                }
                _ => {}
            }
        }
        let read_at = table.read_at(bool_param(req, "ConsistentRead")?);
        let after = esk.as_ref().map(|(_, pos)| pos).filter(|_| forward);
        // Read lazily from the start key on: a page stops at its limit or 1 MB.
        let rows: Box<dyn Iterator<Item = (Pos, Cow<Item>)>> = match g {
            None => Box::new(
                table
                    .rows(Some(&hash_val), after.map(|p| &p.1), read_at)
                    .map(|(k, i)| ((k.1.clone(), k), i)),
            ),
            Some(g) => {
                let from = after.map(|(r, k)| (hash_val.clone(), r.clone(), k.clone()));
                Box::new(
                    g.after(&hash_val, from)
                        .map(|((_, r, k), i)| ((r.clone(), k.clone()), Cow::Borrowed(i))),
                )
            }
        };
        let rows =
            rows.filter(|(pos, _)| range_cond.as_ref().is_none_or(|c| c.holds(pos.0.as_ref())));
        let rows: Box<dyn Iterator<Item = (Pos, Cow<Item>)>> = if forward {
            Box::new(rows)
        } else {
            let mut all: Vec<_> = rows.collect();
            all.reverse();
            if let Some((_, esk)) = &esk {
                all.retain(|(pos, _)| pos < esk);
            }
            Box::new(all.into_iter())
        };
        page(
            table,
            g,
            rows.map(|(_, i)| i),
            filter.as_ref(),
            &shape,
            limit,
        )
    }

    pub(super) fn scan(&mut self, at: At, req: &Value) -> Result<Value> {
        let mut known = READ_COMMON.to_vec();
        known.extend(["Segment", "TotalSegments"]);
        allowed("Scan", req, &known)?;
        accounting(req)?;
        bool_param(req, "ConsistentRead")?;
        let table = self.table(at, table_name(req)?)?;
        let g = index(table, req)?;
        let mut s = subst(req, &["FilterExpression", "ProjectionExpression"])?;
        let filter = str_param(req, "FilterExpression")?
            .map(|f| expr::parse_condition(Kind::Filter, f, &mut s))
            .transpose()?;
        let proj = projection(req, &mut s)?;
        s.check_unused()?;
        let shape = shape(req, proj, g.is_some())?;
        let limit = limit(req)?;
        let segment = match (req.get("Segment"), req.get("TotalSegments")) {
            (None, None) => None,
            (Some(s), Some(t)) => {
                let (s, t) = (s.as_u64().unwrap_or(u64::MAX), t.as_u64().unwrap_or(0));
                if !(1..=1_000_000).contains(&t) {
                    return Err(DdbError::validation(format!(
                        "1 validation error detected: Value '{t}' at 'totalSegments' failed to satisfy constraint: Member must have value greater than or equal to 1"
                    )));
                }
                if s >= t {
                    return Err(DdbError::validation(format!(
                        "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
                    )));
                }
                Some((s, t))
            }
            (Some(_), None) => {
                return Err(DdbError::validation(
                    "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
                ))
            }
            (None, Some(_)) => {
                return Err(DdbError::validation(
                    "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
                ))
            }
        };
        let esk = start(table, g, req)?;
        // A scan reads in (hash, position) order here: AWS's order is its
        // partitions', unspecified; this one is deterministic.
        let read_at = table.read_at(bool_param(req, "ConsistentRead")?);
        // A scan reads in key order here (an index's: hash, range, table
        // key): AWS's order is its partitions', unspecified; this one is
        // deterministic.
        let rows: Box<dyn Iterator<Item = (KeyVal, Cow<Item>)>> = match g {
            None => Box::new(
                table
                    .rows(None, esk.as_ref().map(|(_, (_, k))| k), read_at)
                    .map(|(k, i)| (k.0, i)),
            ),
            Some(g) => Box::new(
                g.scan_after(esk.map(|(h, (r, k))| (h, r, k)))
                    .map(|((_, _, k), i)| (k.0.clone(), Cow::Borrowed(i))),
            ),
        };
        let rows = rows
            .filter(|(hash, _)| segment.is_none_or(|(s, t)| segment_of(hash, t) == s))
            .map(|(_, i)| i);
        page(table, g, rows, filter.as_ref(), &shape, limit)
    }
}
