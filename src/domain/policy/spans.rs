//! Where a key the checks name (`ou[1].id`, `regions[2]`,
//! `document[0].ou[0].run_as_user`) sits in the file, from the spans the
//! TOML parser keeps, and how to name it for a person: one-based, or by the
//! rule's own id (`ou[ou-ab12-prod0001].id`), never `ou[1]` for the second.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// `document[0].ou[1].id` -> document, 0, ou, 1, id. A segment that does not
/// parse ends the path: the caller then points at what was found.
fn steps(path: &str) -> Vec<Step> {
    let mut out = Vec::new();
    for segment in path.split('.') {
        let (name, mut rest) = segment.split_once('[').unwrap_or((segment, ""));
        if !name.is_empty() {
            out.push(Step::Key(name.to_string()));
        }
        while let Some((index, after)) = rest.split_once(']') {
            match index.parse() {
                Ok(i) => out.push(Step::Index(i)),
                Err(_) => return out,
            }
            rest = after.strip_prefix('[').unwrap_or(after);
        }
    }
    out
}

/// The span of what `path` names (its value, or for a key a table lacks,
/// the nearest table that is there); the start of the file when nothing is.
pub(super) fn span_of(root: &Spanned<DeTable<'_>>, path: &str) -> Range<usize> {
    let mut span = 0..0;
    let mut table: Option<&DeTable<'_>> = Some(root.get_ref());
    let mut value: Option<&Spanned<DeValue<'_>>> = None;
    for step in steps(path) {
        let next = match (&step, table, value.map(|v| v.get_ref())) {
            (Step::Key(k), Some(t), _) => t.get(k.as_str()),
            (Step::Index(i), _, Some(DeValue::Array(a))) => a.get(*i),
            _ => None,
        };
        let Some(next) = next else { break };
        span = next.span();
        value = Some(next);
        table = next.get_ref().as_table();
    }
    span
}

/// Where each key of the table at exactly `path` starts (none when `path`
/// names no table): what says a finding lies inside that table.
pub(super) fn key_starts(root: &Spanned<DeTable<'_>>, path: &str) -> Vec<usize> {
    let table = match path {
        "" => Some(root.get_ref()),
        _ => value_at(root, path).and_then(DeValue::as_table),
    };
    table
        .map(|t| t.keys().map(|k| k.span().start).collect())
        .unwrap_or_default()
}

/// The string at exactly `path`, if there is one.
pub(super) fn value_str<'a>(root: &'a Spanned<DeTable<'_>>, path: &str) -> Option<&'a str> {
    value_at(root, path)?.as_str()
}

/// How many elements the array at exactly `path` has (0 when none is there).
pub(super) fn array_len(root: &Spanned<DeTable<'_>>, path: &str) -> usize {
    value_at(root, path)
        .and_then(DeValue::as_array)
        .map_or(0, |a| a.len())
}

/// The value at exactly `path`, if there is one.
fn value_at<'a, 'i>(root: &'a Spanned<DeTable<'i>>, path: &str) -> Option<&'a DeValue<'i>> {
    let mut value: Option<&'a DeValue<'_>> = None;
    let mut table: Option<&'a DeTable<'_>> = Some(root.get_ref());
    for step in steps(path) {
        let next = match (&step, table, value) {
            (Step::Key(k), Some(t), _) => t.get(k.as_str()),
            (Step::Index(i), _, Some(DeValue::Array(a))) => a.get(*i),
            _ => None,
        }?;
        value = Some(next.get_ref());
        table = next.get_ref().as_table();
    }
    value
}

/// How a person reads `path`: an element of an array of tables by its `id`
/// or `name` (`ou[ou-ab12-prod0001]`) or one-based (`ou[#2]`); an element of
/// a plain array by its array's key alone (the position and value say which).
pub(super) fn place(root: &Spanned<DeTable<'_>>, path: &str) -> String {
    let mut out = String::new();
    let mut table: Option<&DeTable<'_>> = Some(root.get_ref());
    let mut value: Option<&DeValue<'_>> = None;
    for step in steps(path) {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                let next = table.and_then(|t| t.get(k.as_str()));
                out.push_str(&k);
                value = next.map(|v| v.get_ref());
                table = value.and_then(DeValue::as_table);
            }
            Step::Index(i) => {
                let element = match value {
                    Some(DeValue::Array(a)) => a.get(i).map(|v| v.get_ref()),
                    _ => None,
                };
                if let Some(DeValue::Table(t)) = element {
                    out.push_str(&format!(
                        "[{}]",
                        rule_name(t).unwrap_or(format!("#{}", i + 1))
                    ));
                }
                value = element;
                table = element.and_then(DeValue::as_table);
            }
        }
    }
    out
}

/// A rule's `id` or `name`, when it is short and plain enough to name it.
fn rule_name(t: &DeTable<'_>) -> Option<String> {
    ["id", "name"]
        .iter()
        .filter_map(|k| t.get(*k)?.get_ref().as_str())
        .find(|v| {
            !v.is_empty()
                && v.len() <= 40
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        })
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "regions = [\"us-east-1\", \"eu-wset-1\"]\n[[ou]]\nid = \"ou-ab12-prod0001\"\nrun_as_user = \"a\"\n[[ou]]\nid = \"x y\"\n[[document]]\nname = \"SSMRunAs-Admin\"\n[[document.ou]]\nid = \"ou-ab12-gone0001\"\nrun_as_user = \"B\"\n";

    #[test]
    fn key_paths_find_their_values() {
        let root = DeTable::parse(TEXT).unwrap();
        let at = |path: &str| &TEXT[span_of(&root, path)];
        assert_eq!(at("regions[1]"), "\"eu-wset-1\"");
        assert_eq!(at("ou[0].id"), "\"ou-ab12-prod0001\"");
        assert_eq!(at("ou[1].id"), "\"x y\"");
        assert_eq!(at("document[0].ou[0].run_as_user"), "\"B\"");
        // Missing keys point at the nearest thing that is there.
        assert_eq!(span_of(&root, "regions[7]"), span_of(&root, "regions"));
        assert_eq!(span_of(&root, "default.run_as_user"), 0..0);
        assert_eq!(span_of(&root, "ou[x].id"), span_of(&root, "ou"));
        assert_eq!(span_of(&root, ""), 0..0);
        assert_eq!(value_str(&root, "regions[1]"), Some("eu-wset-1"));
        assert_eq!(value_str(&root, "regions[2]"), None);
        assert_eq!(value_str(&root, "ou[0]"), None);
    }

    #[test]
    fn places_are_named_by_id_or_one_based() {
        let root = DeTable::parse(TEXT).unwrap();
        for (path, want) in [
            ("regions[1]", "regions"),
            ("ou[0].id", "ou[ou-ab12-prod0001].id"),
            ("ou[1]", "ou[#2]"),
            (
                "document[0].ou[0].run_as_user",
                "document[SSMRunAs-Admin].ou[ou-ab12-gone0001].run_as_user",
            ),
            ("default.run_as_user", "default.run_as_user"),
        ] {
            assert_eq!(place(&root, path), want, "{path}");
        }
    }
}
