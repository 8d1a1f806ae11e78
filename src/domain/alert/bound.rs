//! Every alert fits its channel (pure). Lists in a body are bounded when the
//! alert is made ([`bound_lists`]): at most [`LIST_MAX`] items each, the
//! rest counted in `<name>_more`, so a policy naming 5,000 ids the
//! organization lacks says 50 of them and `unknown_ids_more: 4950`. Before a
//! copy is kept or published, its whole message is measured as SNS measures
//! it ([`publish_bytes`]) against [`SNS_MESSAGE_MAX`]; one that is still too
//! large is trimmed further ([`fit`]): shorter lists, then shorter values,
//! then only what names the alert, and says so in `trimmed`. A trimmed
//! alert is published; an alert too large to publish would be too large to
//! keep for the next run as well (a DynamoDB item holds 400 KB).

use serde_json::{json, Map, Value};

use super::Alert;

/// Items one list of an alert body holds (an array, or an object keyed by
/// region or name); the rest are counted in `<name>_more`.
pub const LIST_MAX: usize = 50;

/// SNS's limit on one published message, in bytes: "messages must be UTF-8
/// encoded strings and at most 256 KB in size (262,144 bytes, not 262,144
/// characters)", and every message attribute's name, type and value counts
/// toward it (Amazon SNS API Reference: `Publish`, `Message`;
/// `MessageAttributeValue`). Above it SNS answers `InvalidParameter`
/// ("Invalid parameter: Message too long").
pub const SNS_MESSAGE_MAX: usize = 262_144;

/// The data type of every attribute runas-guard sends.
pub const ATTRIBUTE_TYPE: &str = "String";

/// What every published copy carries as message attributes (subscription
/// filters read them): `(name, value)`, sent with [`ATTRIBUTE_TYPE`].
pub fn attributes(alert: &Alert) -> [(&'static str, &str); 4] {
    [
        ("alert_id", alert.alert_id.as_str()),
        ("kind", alert.kind.as_str()),
        ("severity", alert.severity.as_str()),
        ("account", alert.account.as_str()),
    ]
}

/// The bytes SNS counts for one publish: the message and every attribute's
/// name, data type and value, as UTF-8 (bytes, not characters). The subject
/// is counted too: AWS bounds it apart (under 100 characters) and does not
/// say whether it counts, so it is counted to be safe.
pub fn publish_bytes(subject: &str, message: &str, attributes: &[(&str, &str)]) -> usize {
    let attrs: usize = attributes
        .iter()
        .map(|(name, value)| name.len() + ATTRIBUTE_TYPE.len() + value.len())
        .sum();
    subject.len() + message.len() + attrs
}

/// Whether a publish of `bytes` (see [`publish_bytes`]) is within SNS's limit.
pub fn fits(bytes: usize) -> bool {
    bytes <= SNS_MESSAGE_MAX
}

/// Caps every list nested in `body` (not the body itself) at `max` items,
/// adding what was cut to `<name>_more` beside it. Objects used as maps
/// (more than [`LIST_MAX`] keys) are capped at [`LIST_MAX`]; smaller ones
/// are records and keep every field.
pub fn bound_lists(body: &mut Value, max: usize) {
    if let Value::Object(map) = body {
        bound_fields(map, max);
    }
}

fn bound_fields(map: &mut Map<String, Value>, max: usize) {
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        let cut = map.get_mut(&key).map_or(0, |v| bound_value(v, max));
        if cut > 0 {
            let more = format!("{key}_more");
            let before = map.get(&more).and_then(Value::as_u64).unwrap_or(0);
            map.insert(more, json!(before + cut as u64));
        }
    }
}

/// Bounds `v` in place; how many of its own items were cut (items cut from
/// lists directly inside it count too: there is no name to count them by).
fn bound_value(v: &mut Value, max: usize) -> usize {
    match v {
        Value::Array(items) => {
            let mut cut = items.len().saturating_sub(max);
            items.truncate(max);
            for item in items.iter_mut() {
                match item {
                    Value::Array(_) => cut += bound_value(item, max),
                    Value::Object(inner) => bound_fields(inner, max),
                    _ => {}
                }
            }
            cut
        }
        Value::Object(inner) => {
            let cut = inner.len().saturating_sub(LIST_MAX);
            if cut > 0 {
                let keep: Vec<String> = inner.keys().take(LIST_MAX).cloned().collect();
                inner.retain(|k, _| keep.contains(k));
            }
            bound_fields(inner, max);
            cut
        }
        _ => 0,
    }
}

/// Cuts every string value in `v` longer than `max` characters, saying how
/// much was left out.
fn cut_strings(v: &mut Value, max: usize) {
    match v {
        Value::String(s) => {
            let total = s.chars().count();
            if total > max {
                let kept: String = s.chars().take(max).collect();
                *s = format!("{kept}… ({} more characters)", total - max);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| cut_strings(i, max)),
        Value::Object(map) => map.values_mut().for_each(|i| cut_strings(i, max)),
        _ => {}
    }
}

/// Trimming steps, mildest first: (items per list, characters per value).
const STEPS: [(usize, usize); 8] = [
    (25, usize::MAX),
    (10, usize::MAX),
    (5, usize::MAX),
    (1, usize::MAX),
    (1, 4096),
    (1, 1024),
    (0, 256),
    (0, 64),
];

/// What names an alert: kept when nothing else fits.
const NAMING: [&str; 9] = [
    "alert_id",
    "kind",
    "severity",
    "account",
    "region",
    "document",
    "trigger_id",
    "trigger_kind",
    "at",
];

/// Said in a trimmed body's `trimmed`.
pub const TRIMMED: &str = "cut to fit SNS's 256 KB message limit: lists are shorter (see the *_more counts) or values cut; runas-guard status and the function's log have the whole";

/// `alert` as it fits: unchanged when `measure` (the bytes of its publish
/// as every destination renders it) is within [`SNS_MESSAGE_MAX`], else
/// trimmed by the first step that fits, else reduced to what names it (a
/// subject and four attributes are far under the limit, so that fits; were
/// it not to, SNS refuses it and it is counted as any refused publish).
pub fn fit(alert: Alert, measure: impl Fn(&Alert) -> usize) -> Fitted {
    let bytes = measure(&alert);
    if fits(bytes) {
        return Fitted {
            alert,
            bytes,
            trimmed_from: None,
        };
    }
    let trimmed = |body: Value| Alert {
        body,
        ..alert.clone()
    };
    for (items, chars) in STEPS {
        let mut body = alert.body.clone();
        bound_lists(&mut body, items);
        if chars != usize::MAX {
            cut_strings(&mut body, chars);
        }
        body["trimmed"] = json!(TRIMMED);
        let candidate = trimmed(body);
        let after = measure(&candidate);
        if fits(after) {
            return Fitted {
                alert: candidate,
                bytes: after,
                trimmed_from: Some(bytes),
            };
        }
    }
    let mut naming: Map<String, Value> = NAMING
        .iter()
        .filter_map(|k| Some((k.to_string(), alert.body.get(*k)?.clone())))
        .collect();
    naming.insert("trimmed".into(), json!(TRIMMED));
    let mut body = Value::Object(naming);
    cut_strings(&mut body, 256);
    let candidate = trimmed(body);
    let after = measure(&candidate);
    Fitted {
        alert: candidate,
        bytes: after,
        trimmed_from: Some(bytes),
    }
}

/// An alert made to fit, and what it measured.
#[derive(Debug, Clone)]
pub struct Fitted {
    pub alert: Alert,
    /// The bytes SNS counts for it now.
    pub bytes: usize,
    /// Its size before trimming, when it had to be trimmed.
    pub trimmed_from: Option<usize>,
}

#[cfg(test)]
#[path = "bound_tests.rs"]
mod tests;
