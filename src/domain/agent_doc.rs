//! A Session document as the SSM agent decodes it (pure). The agent
//! unmarshals the document into Go structs with `encoding/json`
//! (amazon-ssm-agent `agent/contracts/model.go`, `SessionDocumentContent`
//! and `SessionInputs`): object keys match field names without regard to
//! case (Go's `EqualFold`, where `ſ` folds to `s` and the Kelvin sign to
//! `k`), a later member sets a field again (so of two spellings the later
//! wins, and two `inputs` objects merge), `null` leaves a string or bool
//! field as it was, and a member of the wrong JSON type fails the decode, so
//! the session fails. Then `ConvertToBool` reads `runAsEnabled`
//! (`agent/framework/docparser/parameters/parameters.go`).

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// A JSON value whose objects keep every member in document order,
/// duplicates included (what `serde_json::Value` cannot).
#[derive(Debug, Clone, PartialEq)]
enum Ordered {
    Object(Vec<(String, Ordered)>),
    Array(Vec<Ordered>),
    Scalar(Value),
}

struct OrderedVisitor;

impl<'de> Visitor<'de> for OrderedVisitor {
    type Value = Ordered;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::String(v.to_string())))
    }
    fn visit_unit<E>(self) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Ordered::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
        let mut members = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Ordered>()? {
            members.push((k, v));
        }
        Ok(Ordered::Object(members))
    }
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Ordered, D::Error> {
        d.deserialize_any(OrderedVisitor)
    }
}

impl Ordered {
    fn kind(&self) -> &'static str {
        match self {
            Ordered::Object(_) => "an object",
            Ordered::Array(_) => "an array",
            Ordered::Scalar(v) => crate::domain::trigger::type_name(v),
        }
    }

    /// As a plain value (a later duplicate member wins, as in Go's maps).
    fn plain(&self) -> Value {
        match self {
            Ordered::Scalar(v) => v.clone(),
            Ordered::Array(a) => Value::Array(a.iter().map(Ordered::plain).collect()),
            Ordered::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), v.plain()))
                    .collect::<serde_json::Map<_, _>>(),
            ),
        }
    }
}

/// Go's `EqualFold` of a key against an ASCII field name.
pub fn field_matches(key: &str, field: &str) -> bool {
    let fold = |c: char| match c {
        '\u{17F}' => 's',
        '\u{212A}' => 'k',
        c => c.to_ascii_lowercase(),
    };
    key.chars().count() == field.chars().count()
        && key
            .chars()
            .zip(field.chars())
            .all(|(k, f)| fold(k) == f.to_ascii_lowercase())
}

/// What the agent holds after decoding: the fields Run As depends on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgentView {
    /// `sessionType` (a string field: empty when absent).
    pub session_type: String,
    /// `inputs.runAsEnabled` (`interface{}`: `None` is Go's nil).
    pub run_as_enabled: Option<Value>,
    /// `inputs.runAsDefaultUser` (a string field).
    pub run_as_default_user: String,
    /// The key each was last set from, when it is not spelt as documented.
    pub spelt: Vec<String>,
    /// Members the decode refuses (wrong JSON type): the session fails.
    pub refused: Vec<String>,
    /// The document as a plain value.
    pub plain: Value,
    /// `properties` (an `interface{}` field: the last member whose key
    /// matches sets it, `null` included), as a plain value; `Null` when absent.
    pub properties: Value,
}

/// String fields of `SessionDocumentContent`, and of its `inputs`.
const ROOT_STRINGS: [&str; 3] = ["schemaVersion", "description", "sessionType"];
const INPUT_STRINGS: [&str; 5] = [
    "s3BucketName",
    "s3KeyPrefix",
    "cloudWatchLogGroupName",
    "kmsKeyId",
    "runAsDefaultUser",
];
/// `interface{}` fields the agent then reads with `ConvertToBool`.
const INPUT_CONVERTED: [&str; 3] = [
    "runAsEnabled",
    "s3EncryptionEnabled",
    "cloudWatchEncryptionEnabled",
];

/// `content` as the agent decodes it; `Err` when it is not JSON at all.
pub fn read_as_agent(content: &str) -> Result<AgentView, String> {
    let doc: Ordered = serde_json::from_str(content).map_err(|e| e.to_string())?;
    let mut view = AgentView {
        plain: doc.plain(),
        ..AgentView::default()
    };
    let members = match &doc {
        Ordered::Object(m) => m,
        Ordered::Scalar(Value::Null) => return Ok(view),
        other => {
            view.refused
                .push(format!("the document is {}", other.kind()));
            return Ok(view);
        }
    };
    for (key, value) in members {
        if let Some(field) = ROOT_STRINGS.iter().find(|f| field_matches(key, f)) {
            if let Some(s) = string_field(&mut view, key, value) {
                if *field == "sessionType" {
                    view.session_type = s;
                }
            }
        } else if field_matches(key, "properties") {
            view.properties = value.plain();
        } else if field_matches(key, "inputs") {
            match value {
                Ordered::Object(inputs) => read_inputs(&mut view, inputs),
                Ordered::Scalar(Value::Null) => {}
                other => view.refused.push(format!("{key} is {}", other.kind())),
            }
        }
    }
    Ok(view)
}

/// A Go string field: a string sets it, null leaves it, anything else fails.
fn string_field(view: &mut AgentView, key: &str, value: &Ordered) -> Option<String> {
    match value {
        Ordered::Scalar(Value::String(s)) => Some(s.clone()),
        Ordered::Scalar(Value::Null) => None,
        other => {
            view.refused.push(format!("{key} is {}", other.kind()));
            None
        }
    }
}

fn read_inputs(view: &mut AgentView, inputs: &[(String, Ordered)]) {
    for (key, value) in inputs {
        let shown = format!("inputs.{key}");
        if let Some(field) = INPUT_STRINGS.iter().find(|f| field_matches(key, f)) {
            let Some(s) = string_field(view, &shown, value) else {
                continue;
            };
            if *field == "runAsDefaultUser" {
                view.run_as_default_user = s;
                note_spelling(view, key, field);
            }
        } else if let Some(field) = INPUT_CONVERTED.iter().find(|f| field_matches(key, f)) {
            let plain = value.plain();
            if *field == "runAsEnabled" {
                view.run_as_enabled = (!plain.is_null()).then_some(plain);
                note_spelling(view, key, field);
            } else if let Err(e) = convert_to_bool(Some(&plain)) {
                view.refused.push(format!("{shown} ({e})"));
            }
        } else if field_matches(key, "cloudWatchStreamingEnabled")
            && !matches!(value, Ordered::Scalar(Value::Bool(_) | Value::Null))
        {
            // A Go bool field.
            view.refused.push(format!("{shown} is {}", value.kind()));
        }
    }
}

fn note_spelling(view: &mut AgentView, key: &str, field: &str) {
    view.spelt.retain(|s| !s.starts_with(&format!("{field} ")));
    if key != field {
        view.spelt.push(format!("{field} as {key:?}"));
    }
}

/// The agent's `ConvertToBool`: nil and "" are false; Go's `ParseBool`
/// strings; anything else is an error that fails the session.
pub fn convert_to_bool(v: Option<&Value>) -> Result<bool, String> {
    match v {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) => match s.as_str() {
            "" | "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
            "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
            _ => Err(format!("{s:?} is not a boolean the agent reads")),
        },
        Some(other) => Err(format!(
            "{} is not a boolean the agent reads",
            crate::domain::trigger::type_name(other)
        )),
    }
}
