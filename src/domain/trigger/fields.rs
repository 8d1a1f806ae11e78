//! Typed reads of event fields. Every error names the dotted path of the
//! field, so a malformed event says what is wrong instead of panicking.

use serde_json::{Map, Value};

use super::{is_account_id, type_name, EventError};

pub(super) fn field_error(field: &str, problem: impl Into<String>) -> EventError {
    EventError::Field {
        field: bounded(field),
        problem: bounded(&problem.into()),
    }
}

/// The most of an event's own text an error repeats: enough to recognise a
/// value, never a megabyte of it in a log line, a rejection record or an
/// alert.
pub const ECHO_MAX: usize = 300;

/// `s` cut to [`ECHO_MAX`] characters, saying how much was left out.
pub fn bounded(s: &str) -> String {
    bounded_to(s, ECHO_MAX)
}

pub fn bounded_to(s: &str, max: usize) -> String {
    let total = s.chars().count();
    if total <= max {
        return s.to_string();
    }
    let kept: String = s.chars().take(max).collect();
    format!("{kept}… ({} more characters)", total - max)
}

/// A JSON object plus the dotted path it sits at, so errors name the field.
#[derive(Clone, Copy)]
pub(super) struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Obj<'a> {
    pub(super) fn root(map: &'a Map<String, Value>) -> Obj<'a> {
        Obj { map, path: "" }
    }

    fn full(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{}", self.path, key)
        }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    pub(super) fn opt_str(&self, key: &str) -> Result<Option<&'a str>, EventError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(field_error(
                &self.full(key),
                format!("expected a string, found {}", type_name(other)),
            )),
        }
    }

    pub(super) fn str(&self, key: &str) -> Result<&'a str, EventError> {
        self.opt_str(key)?
            .ok_or_else(|| field_error(&self.full(key), "missing"))
    }

    pub(super) fn opt_array(&self, key: &str) -> Result<Option<&'a Vec<Value>>, EventError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(other) => Err(field_error(
                &self.full(key),
                format!("expected an array, found {}", type_name(other)),
            )),
        }
    }

    /// A value nested below this object, if every step is there.
    pub(super) fn value_at(&self, keys: &[&str]) -> Option<&'a Value> {
        let (first, rest) = keys.split_first()?;
        let mut v = self.get(first)?;
        for k in rest {
            v = v.get(k)?;
        }
        Some(v)
    }

    fn opt_obj(&self, key: &str) -> Result<Option<&'a Map<String, Value>>, EventError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(other) => Err(field_error(
                &self.full(key),
                format!("expected an object, found {}", type_name(other)),
            )),
        }
    }
}

/// Reads a nested object; the path string must outlive the `Obj`.
pub(super) fn child<'a>(
    parent: &Obj<'a>,
    key: &str,
    path: &'a str,
) -> Result<Option<Obj<'a>>, EventError> {
    Ok(parent.opt_obj(key)?.map(|map| Obj { map, path }))
}

/// [`child`] for objects the event cannot do without.
pub(super) fn required<'a>(
    parent: &Obj<'a>,
    key: &str,
    path: &'a str,
) -> Result<Obj<'a>, EventError> {
    child(parent, key, path)?.ok_or_else(|| field_error(path, "missing"))
}

pub(super) fn account_field(obj: &Obj<'_>, key: &str) -> Result<String, EventError> {
    let v = obj.str(key)?;
    if is_account_id(v) {
        Ok(v.to_string())
    } else {
        Err(field_error(
            &obj.full(key),
            format!("expected a 12-digit account id, found {v:?}"),
        ))
    }
}
