//! DynamoDB's attribute values as the simulated table keeps them: parsed
//! from (and written back to) the awsJson1_0 shape, numbers as exact
//! decimals (38 significant digits, AWS's range), sets kept sorted (AWS
//! answers them in no fixed order; sorted is one of its orders and
//! deterministic), and AWS's item-size rules.
//! Sources: the DynamoDB API reference `AttributeValue`, the developer
//! guide's "Supported data types" and "Item sizes and formats".

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::DdbError;

pub type Item = BTreeMap<String, AV>;

/// An item's size limit (400 KB, counted as AWS counts).
pub const ITEM_LIMIT: usize = 400 * 1024;

#[derive(Clone, Debug, PartialEq)]
pub enum AV {
    S(String),
    N(Num),
    B(Vec<u8>),
    Bool(bool),
    Null,
    M(BTreeMap<String, AV>),
    L(Vec<AV>),
    SS(Vec<String>),
    NS(Vec<Num>),
    BS(Vec<Vec<u8>>),
}

/// An exact decimal `m × 10^e`, normalised (no trailing zeros in `m`;
/// zero is `0 × 10^0`), so equal numbers are equal values ("1.0" = "1").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Num {
    m: i128,
    e: i32,
}

const MAX_DIGITS: usize = 38;

/// AWS's range (1E-130 to 9.9…E+125, checked first) and precision (38
/// significant digits) for `digits` significant digits times `10^e`.
fn check_range(digits: usize, e: i64) -> Result<(), DdbError> {
    let lead = digits as i64 + e - 1;
    if lead > 125 {
        return Err(DdbError::validation(
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ));
    }
    if lead < -130 {
        return Err(DdbError::validation(
            "Number underflow. Attempting to store a number with magnitude smaller than supported range",
        ));
    }
    if digits > MAX_DIGITS {
        return Err(DdbError::validation(
            "Attempting to store more than 38 significant digits in a Number",
        ));
    }
    Ok(())
}

fn digits_of(m: i128) -> usize {
    m.unsigned_abs().to_string().len()
}

impl Num {
    pub fn from_i64(v: i64) -> Num {
        Num::normal(i128::from(v), 0).expect("an i64 fits")
    }

    fn normal(mut m: i128, mut e: i32) -> Result<Num, DdbError> {
        if m == 0 {
            return Ok(Num { m: 0, e: 0 });
        }
        while m % 10 == 0 {
            m /= 10;
            e += 1;
        }
        check_range(digits_of(m), i64::from(e))?;
        Ok(Num { m, e })
    }

    /// Parses DynamoDB's number text: an optional minus, digits with an
    /// optional point, an optional exponent (no plus sign, no spaces).
    pub fn parse(text: &str) -> Result<Num, DdbError> {
        if text.is_empty() {
            return Err(DdbError::validation(
                "The parameter cannot be converted to a numeric value",
            ));
        }
        let bad = || {
            DdbError::validation(format!(
                "The parameter cannot be converted to a numeric value: {text}"
            ))
        };
        let (neg, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exp) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (int, frac) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.len() + frac.len() == 0 || !all_digits(int) || !all_digits(frac) {
            return Err(bad());
        }
        let exp: i64 = match exp {
            None => 0,
            Some(x) => {
                let body = x.strip_prefix(['+', '-']).unwrap_or(x);
                if body.is_empty() || body.len() > 6 || !all_digits(body) {
                    return Err(bad());
                }
                x.parse().map_err(|_| bad())?
            }
        };
        let joined = format!("{int}{frac}");
        let trimmed = joined.trim_start_matches('0');
        let kept = trimmed.trim_end_matches('0');
        if kept.is_empty() {
            return Ok(Num { m: 0, e: 0 });
        }
        let e = exp - frac.len() as i64 + (trimmed.len() - kept.len()) as i64;
        check_range(kept.len(), e)?;
        let m: i128 = kept.parse().map_err(|_| bad())?;
        let e = i32::try_from(e).map_err(|_| bad())?;
        Num::normal(if neg { -m } else { m }, e)
    }

    /// Exact sum; a result AWS could not store is its ValidationException.
    pub fn plus(self, other: Num) -> Result<Num, DdbError> {
        let overflow = || {
            DdbError::validation(
                "Number overflow. Attempting to store a number with magnitude larger than supported range",
            )
        };
        let e = self.e.min(other.e);
        let scale = |n: Num| -> Option<i128> {
            let k = u32::try_from(n.e - e).ok()?;
            n.m.checked_mul(10i128.checked_pow(k)?)
        };
        let (a, b) = (
            scale(self).ok_or_else(overflow)?,
            scale(other).ok_or_else(overflow)?,
        );
        Num::normal(a.checked_add(b).ok_or_else(overflow)?, e)
    }

    pub fn negated(self) -> Num {
        Num {
            m: -self.m,
            e: self.e,
        }
    }

    /// The text DynamoDB answers: plain decimal, no exponent, no
    /// superfluous zeros.
    pub fn text(&self) -> String {
        if self.m == 0 {
            return "0".into();
        }
        let sign = if self.m < 0 { "-" } else { "" };
        let digits = self.m.unsigned_abs().to_string();
        if self.e >= 0 {
            return format!("{sign}{digits}{}", "0".repeat(self.e as usize));
        }
        let point = digits.len() as i64 + i64::from(self.e);
        if point > 0 {
            let (a, b) = digits.split_at(point as usize);
            format!("{sign}{a}.{b}")
        } else {
            format!("{sign}0.{}{digits}", "0".repeat((-point) as usize))
        }
    }

    /// Bytes AWS counts for a number: about one per two significant digits
    /// plus one (the developer guide); exactly, as dynalite measured AWS:
    /// one more when the digits and the leading digit's exponent are both
    /// even, and one more for a negative number.
    fn size(&self) -> usize {
        if self.m == 0 {
            return 1;
        }
        let d = digits_of(self.m);
        let lead = d as i64 + i64::from(self.e) - 1;
        let even = d.is_multiple_of(2) && lead % 2 == 0;
        1 + d.div_ceil(2) + usize::from(even) + usize::from(self.m < 0)
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Num) -> Ordering {
        let sign = |n: &Num| n.m.signum();
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal => {}
            o => return o,
        }
        if self.m == 0 {
            return Ordering::Equal;
        }
        let lead = |n: &Num| digits_of(n.m) as i64 + i64::from(n.e);
        let (da, db) = (
            self.m.unsigned_abs().to_string(),
            other.m.unsigned_abs().to_string(),
        );
        let magnitude = lead(self).cmp(&lead(other)).then_with(|| da.cmp(&db));
        if self.m < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Num) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn b64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::new();
    let body = text.trim_end_matches('=');
    if text.len() - body.len() > 2 {
        return None;
    }
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in body.bytes() {
        let v = B64.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn serialization(msg: &str) -> DdbError {
    DdbError::new("SerializationException", msg)
}

fn dupes<T: Ord + Clone>(mut v: Vec<T>, show: impl Fn(&[T]) -> String) -> Result<Vec<T>, DdbError> {
    let shown = show(&v);
    v.sort();
    if v.windows(2).any(|w| w[0] == w[1]) {
        return Err(DdbError::validation(format!(
            "One or more parameter values were invalid: Input collection {shown} contains duplicates."
        )));
    }
    Ok(v)
}

impl AV {
    /// One `AttributeValue` from its JSON, refused as AWS refuses it.
    pub fn from_json(v: &Value) -> Result<AV, DdbError> {
        AV::nested(v, 0)
    }

    /// A value `depth` lists or maps deep: AWS nests 32 levels at most.
    fn nested(v: &Value, depth: usize) -> Result<AV, DdbError> {
        if depth > 32 {
            return Err(DdbError::validation(
                "Nesting Levels have exceeded supported limits",
            ));
        }
        let obj = v
            .as_object()
            .ok_or_else(|| serialization("Start of structure or map found where not expected"))?;
        let known: Vec<(&String, &Value)> = obj
            .iter()
            .filter(|(k, _)| {
                ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"].contains(&k.as_str())
            })
            .collect();
        match known.len() {
            0 => {
                return Err(DdbError::validation(
                    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
                ))
            }
            1 => {}
            _ => {
                return Err(DdbError::validation(
                    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                ))
            }
        }
        let (k, v) = known[0];
        let string = |v: &Value| -> Result<String, DdbError> {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| serialization("NUMBER_VALUE cannot be converted to String"))
        };
        let list = |v: &Value| -> Result<Vec<Value>, DdbError> {
            v.as_array()
                .cloned()
                .ok_or_else(|| serialization("Unexpected value type in payload"))
        };
        let binary = |v: &Value| -> Result<Vec<u8>, DdbError> {
            b64_decode(&string(v)?).ok_or_else(|| {
                serialization(
                    "Base64 encoded length is expected a multiple of 4 bytes but found: 1",
                )
            })
        };
        Ok(match k.as_str() {
            "S" => AV::S(string(v)?),
            "N" => AV::N(Num::parse(&string(v)?)?),
            "B" => AV::B(binary(v)?),
            "BOOL" => AV::Bool(
                v.as_bool()
                    .ok_or_else(|| serialization("Unexpected value type in payload"))?,
            ),
            "NULL" => {
                if v.as_bool() != Some(true) {
                    return Err(DdbError::validation(
                        "One or more parameter values were invalid: Null attribute value types must have the value of true",
                    ));
                }
                AV::Null
            }
            "M" => {
                let m = v
                    .as_object()
                    .ok_or_else(|| serialization("Unexpected value type in payload"))?;
                let mut out = BTreeMap::new();
                for (k, v) in m {
                    out.insert(k.clone(), AV::nested(v, depth + 1)?);
                }
                AV::M(out)
            }
            "L" => AV::L(
                list(v)?
                    .iter()
                    .map(|x| AV::nested(x, depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            "SS" => {
                let items: Vec<String> = list(v)?.iter().map(string).collect::<Result<_, _>>()?;
                if items.is_empty() {
                    return Err(DdbError::validation(
                        "One or more parameter values were invalid: An string set  may not be empty",
                    ));
                }
                AV::SS(dupes(items, |v| format!("[{}]", v.join(", ")))?)
            }
            "NS" => {
                let items: Vec<Num> = list(v)?
                    .iter()
                    .map(|x| Num::parse(&string(x)?))
                    .collect::<Result<_, _>>()?;
                if items.is_empty() {
                    return Err(DdbError::validation(
                        "One or more parameter values were invalid: An number set  may not be empty",
                    ));
                }
                AV::NS(dupes(items, |v| {
                    format!(
                        "[{}]",
                        v.iter().map(Num::text).collect::<Vec<_>>().join(", ")
                    )
                })?)
            }
            "BS" => {
                let items: Vec<Vec<u8>> = list(v)?.iter().map(binary).collect::<Result<_, _>>()?;
                if items.is_empty() {
                    return Err(DdbError::validation(
                        "One or more parameter values were invalid: Binary sets should not be empty",
                    ));
                }
                AV::BS(dupes(items, |v| {
                    let shown: Vec<String> = v.iter().map(|b| b64_encode(b)).collect();
                    format!("[{}]of type BS", shown.join(", "))
                })?)
            }
            _ => unreachable!("filtered above"),
        })
    }

    pub fn to_json(&self) -> Value {
        match self {
            AV::S(s) => json!({ "S": s }),
            AV::N(n) => json!({ "N": n.text() }),
            AV::B(b) => json!({ "B": b64_encode(b) }),
            AV::Bool(b) => json!({ "BOOL": b }),
            AV::Null => json!({ "NULL": true }),
            AV::M(m) => {
                let inner: Map<String, Value> =
                    m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
                json!({ "M": inner })
            }
            AV::L(l) => json!({ "L": l.iter().map(AV::to_json).collect::<Vec<_>>() }),
            AV::SS(v) => json!({ "SS": v }),
            AV::NS(v) => json!({ "NS": v.iter().map(Num::text).collect::<Vec<_>>() }),
            AV::BS(v) => json!({ "BS": v.iter().map(|b| b64_encode(b)).collect::<Vec<_>>() }),
        }
    }

    /// The type's name in AWS's messages and `attribute_type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            AV::S(_) => "S",
            AV::N(_) => "N",
            AV::B(_) => "B",
            AV::Bool(_) => "BOOL",
            AV::Null => "NULL",
            AV::M(_) => "M",
            AV::L(_) => "L",
            AV::SS(_) => "SS",
            AV::NS(_) => "NS",
            AV::BS(_) => "BS",
        }
    }

    /// Bytes AWS counts for the value (without its name): strings and
    /// binaries their length, numbers per two digits, 1 for BOOL and NULL,
    /// 3 for a list or map plus 1 per element.
    pub fn size(&self) -> usize {
        match self {
            AV::S(s) => s.len(),
            AV::N(n) => n.size(),
            AV::B(b) => b.len(),
            AV::Bool(_) | AV::Null => 1,
            AV::M(m) => 3 + m.iter().map(|(k, v)| 1 + k.len() + v.size()).sum::<usize>(),
            AV::L(l) => 3 + l.iter().map(|v| 1 + v.size()).sum::<usize>(),
            AV::SS(v) => v.iter().map(String::len).sum(),
            AV::NS(v) => v.iter().map(Num::size).sum(),
            AV::BS(v) => v.iter().map(Vec::len).sum(),
        }
    }

    /// Order of the scalar types `<`, `BETWEEN` and sort keys compare;
    /// `None` across types or for other types (a false comparison).
    pub fn compare(&self, other: &AV) -> Option<Ordering> {
        match (self, other) {
            (AV::S(a), AV::S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            (AV::N(a), AV::N(b)) => Some(a.cmp(b)),
            (AV::B(a), AV::B(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

pub fn item_from_json(v: &Value) -> Result<Item, DdbError> {
    let obj = v
        .as_object()
        .ok_or_else(|| serialization("Start of structure or map found where not expected"))?;
    let mut out = Item::new();
    for (k, v) in obj {
        if k.is_empty() {
            return Err(DdbError::validation(
                "One or more parameter values were invalid: An attribute name may not be empty",
            ));
        }
        out.insert(k.clone(), AV::from_json(v)?);
    }
    Ok(out)
}

pub fn item_to_json(item: &Item) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

/// An item's size as AWS counts it: names' UTF-8 length plus values.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}
