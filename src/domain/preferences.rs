//! `SSM-SessionManagerRunShell` content: parse, compare, merge. Pure.
//!
//! We own exactly two inputs, `runAsEnabled` and `runAsDefaultUser`. Every
//! other key keeps its value and its position (serde_json `preserve_order`).
//!
//! The SSM agent decodes the document with Go's `encoding/json`: keys match
//! without regard to case, a later member wins, and two objects under
//! spellings of `inputs` merge ([`crate::domain::agent_doc`]). So every key that
//! case-insensitively equals one of ours, in `inputs` or in any spelling of
//! it, is ours too: a `"RunAsDefaultUser": "root"` after our key would be the
//! one the agent honours. A document carrying such a variant is not
//! compliant, and the merge removes it. LZA and the AWS sample read and write
//! only the documented spellings, so what they write is never touched.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::agent_doc::field_matches;
use crate::domain::trigger::type_name;

/// The inputs runas-guard owns, as documented.
const OURS: [&str; 2] = ["runAsEnabled", "runAsDefaultUser"];

/// Whether `key` is read by the agent as one of ours.
fn is_ours(key: &str) -> bool {
    OURS.iter().any(|f| field_matches(key, f))
}

/// Layout 0: the 4-space indentation the Session Manager console writes.
/// Layout `n` > 0: the same text with a marker of whitespace spelling `n` in
/// binary right after the opening brace (see [`Preferences::render`]).
pub type Layout = u64;

/// The RunAs part of a document, as found (raw values, so reports show a
/// string `"false"` as a string). A field found under more than one
/// spelling (`RunAsDefaultUser`, or in a second `Inputs` object) is the
/// object of every spelling found and its value, in document order, which
/// no compliant value equals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, Default)]
pub struct RunAs {
    #[serde(rename = "runAsEnabled")]
    pub enabled: Option<Value>,
    #[serde(rename = "runAsDefaultUser")]
    pub user: Option<Value>,
}

impl RunAs {
    /// Compliant: enabled is `true` (or the string `"true"`, which Session
    /// Manager also honours) and the user is exactly the desired one.
    pub fn is_compliant(&self, desired_user: &str) -> bool {
        let enabled = matches!(&self.enabled, Some(Value::Bool(true)))
            || matches!(&self.enabled, Some(Value::String(s)) if s == "true");
        enabled && matches!(&self.user, Some(Value::String(u)) if u == desired_user)
    }

    pub fn desired(user: &str) -> RunAs {
        RunAs {
            enabled: Some(Value::Bool(true)),
            user: Some(Value::String(user.to_string())),
        }
    }

    /// For logs and alert subjects: `on/ssm-ops`, `off/-`.
    pub fn short(&self) -> String {
        let enabled = match &self.enabled {
            Some(Value::Bool(true)) => "on".to_string(),
            Some(Value::String(s)) if s == "true" => "on".to_string(),
            None => "unset".to_string(),
            Some(Value::Bool(false)) => "off".to_string(),
            Some(other) => format!("off({other})"),
        };
        let user = match &self.user {
            Some(Value::String(u)) if !u.is_empty() => u.clone(),
            Some(Value::String(_)) | None => "-".to_string(),
            Some(other) => other.to_string(),
        };
        format!("{enabled}/{user}")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreferencesError {
    #[error("document content is not JSON: {0}")]
    NotJson(String),
    #[error("document content must be a JSON object, found {0}")]
    NotObject(&'static str),
    #[error("document field `inputs` must be an object, found {0}")]
    InputsNotObject(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    root: Map<String, Value>,
}

impl Preferences {
    pub fn parse(content: &str) -> Result<Preferences, PreferencesError> {
        let value: Value =
            serde_json::from_str(content).map_err(|e| PreferencesError::NotJson(e.to_string()))?;
        let Value::Object(root) = value else {
            return Err(PreferencesError::NotObject(type_name(&value)));
        };
        match root.get("inputs") {
            None | Some(Value::Object(_)) => Ok(Preferences { root }),
            Some(other) => Err(PreferencesError::InputsNotObject(type_name(other))),
        }
    }

    /// What AWS creates when Session Manager preferences are first opened
    /// (Session document schema 1.0), with RunAs set.
    pub fn aws_default(user: &str) -> Preferences {
        let value = serde_json::json!({
            "schemaVersion": "1.0",
            "description": "Document to hold regional settings for Session Manager",
            "sessionType": "Standard_Stream",
            "inputs": {
                "s3BucketName": "",
                "s3KeyPrefix": "",
                "s3EncryptionEnabled": true,
                "cloudWatchLogGroupName": "",
                "cloudWatchEncryptionEnabled": true,
                "cloudWatchStreamingEnabled": false,
                "idleSessionTimeout": "20",
                "maxSessionDuration": "",
                "kmsKeyId": "",
                "runAsEnabled": true,
                "runAsDefaultUser": user,
                "shellProfile": {"windows": "", "linux": ""}
            }
        });
        match value {
            Value::Object(root) => Preferences { root },
            _ => unreachable!("literal object"),
        }
    }

    fn inputs(&self) -> Option<&Map<String, Value>> {
        self.root.get("inputs").and_then(Value::as_object)
    }

    pub fn run_as(&self) -> RunAs {
        RunAs {
            enabled: self.found("runAsEnabled"),
            user: self.found("runAsDefaultUser"),
        }
    }

    /// `field` as found: its value when `inputs.<field>` is its only
    /// spelling; else every spelling the agent reads as it, by path.
    fn found(&self, field: &str) -> Option<Value> {
        let mut all = Map::new();
        for (key, value) in &self.root {
            let Value::Object(inputs) = value else {
                continue;
            };
            if !field_matches(key, "inputs") {
                continue;
            }
            for (k, v) in inputs.iter().filter(|(k, _)| field_matches(k, field)) {
                let path = if key == "inputs" {
                    k.clone()
                } else {
                    format!("{key}.{k}")
                };
                all.insert(path, v.clone());
            }
        }
        match all.len() {
            0 => None,
            1 if all.contains_key(field) => all.remove(field),
            _ => Some(Value::Object(all)),
        }
    }

    /// Our inputs exactly as documented in `inputs` (never a variant).
    fn own_exact(&self, field: &str) -> Option<Value> {
        self.inputs().and_then(|i| i.get(field)).cloned()
    }

    /// The same document with RunAs set; nothing else changes, nothing
    /// moves. Every other spelling of our inputs goes, wherever the agent
    /// would read it.
    pub fn merged(&self, user: &str) -> Preferences {
        let mut root = self.root.clone();
        for (key, value) in root.iter_mut() {
            if key != "inputs" && field_matches(key, "inputs") {
                if let Value::Object(other) = value {
                    other.retain(|k, _| !is_ours(k));
                }
            }
        }
        let inputs = root
            .entry("inputs")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(inputs) = inputs {
            inputs.retain(|k, _| !is_ours(k) || OURS.contains(&k.as_str()));
            inputs.insert("runAsEnabled".into(), Value::Bool(true));
            inputs.insert("runAsDefaultUser".into(), Value::String(user.into()));
        }
        Preferences { root }
    }

    /// Every input except the two RunAs ones: what a document that inherits
    /// from this one must carry.
    fn inherited_inputs(&self) -> Map<String, Value> {
        let mut inputs = self.inputs().cloned().unwrap_or_default();
        inputs.retain(|k, _| !is_ours(k));
        inputs
    }

    /// Whether every input other than RunAs equals `parent`'s (key order
    /// does not matter).
    pub fn follows(&self, parent: &Preferences) -> bool {
        self.inherited_inputs() == parent.inherited_inputs()
    }

    /// This document with `parent`'s inputs (in `parent`'s order) and its
    /// own RunAs; every other top-level key stays.
    pub fn following(&self, parent: &Preferences) -> Preferences {
        let mut inputs = parent.inherited_inputs();
        for key in OURS {
            if let Some(value) = self.own_exact(key) {
                inputs.insert(key.into(), value);
            }
        }
        let mut root = self.root.clone();
        root.insert("inputs".into(), Value::Object(inputs));
        Preferences { root }
    }

    pub fn as_value(&self) -> Value {
        Value::Object(self.root.clone())
    }

    /// One of an unbounded family of byte-different, meaning-identical
    /// renderings.
    ///
    /// SSM refuses an update whose content equals any existing version
    /// (`DuplicateDocumentContent`, compared as text: the same JSON in other
    /// whitespace is new content), so a revert of a revert of a revert needs
    /// a rendering no earlier version holds. Layout 0 is the 4-space
    /// indentation the console writes; layout `n` > 0 inserts, right after
    /// the root object's `{`, the binary digits of `n` (most significant
    /// first, so it always starts with a tab) as tab = 1 and space = 0.
    /// Distinct `n` give distinct text (a binary numeral with a leading 1 is
    /// unique), the marker costs at most 64 bytes (O(log n)), and it sits
    /// inside the JSON, where JSON allows whitespace, not at either end of
    /// the content, where a service could trim it. Every layout parses back
    /// to the same value, keys in the same order.
    pub fn render(&self, layout: Layout) -> String {
        let value = Value::Object(self.root.clone());
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
        value
            .serialize(&mut ser)
            .expect("serialising a JSON value to memory cannot fail");
        let text = String::from_utf8(out).expect("serde_json writes UTF-8");
        if layout == 0 {
            return text;
        }
        // The root is an object: `text` starts with `{`.
        let mut marked = String::with_capacity(text.len() + 64);
        marked.push('{');
        marked.push_str(&layout_marker(layout));
        marked.push_str(&text[1..]);
        marked
    }
}

/// `n` > 0 in binary, most significant digit first: tab = 1, space = 0.
fn layout_marker(n: Layout) -> String {
    let digits = Layout::BITS - n.leading_zeros();
    (0..digits)
        .rev()
        .map(|bit| if n >> bit & 1 == 1 { '\t' } else { ' ' })
        .collect()
}

#[cfg(test)]
#[path = "preferences_tests.rs"]
mod tests;
