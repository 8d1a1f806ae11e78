//! `policy check` reads on past a mistake: the entry a finding points at
//! is taken out of a copy of the file's tree, so the rest is still checked.

use toml::de::{DeTable, DeValue};

/// Takes out of `table` the innermost entry whose key or value holds byte
/// `at` (a finding's start), and returns its key: the rest of the file can
/// then be read on. `None` when no entry holds it.
pub(super) fn prune(table: &mut DeTable<'_>, at: usize) -> Option<String> {
    for (_, value) in table.iter_mut() {
        if let Some(key) = prune_in(value.get_mut(), at) {
            return Some(key);
        }
    }
    let holds = |k: &toml::Spanned<toml::de::DeString<'_>>, v: &toml::Spanned<DeValue<'_>>| {
        k.span().contains(&at) || v.span().contains(&at)
    };
    let key = table
        .iter()
        .find(|(k, v)| holds(k, v))
        .map(|(k, _)| k.get_ref().to_string())?;
    table.remove(key.as_str());
    Some(key)
}

fn prune_in(value: &mut DeValue<'_>, at: usize) -> Option<String> {
    match value {
        DeValue::Table(t) => prune(t, at),
        DeValue::Array(items) => items.iter_mut().find_map(|item| match item.get_mut() {
            DeValue::Table(t) => prune(t, at),
            _ => None,
        }),
        _ => None,
    }
}
