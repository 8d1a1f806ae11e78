//! `policy check --org`: each OU and account id the organization lacks, at
//! its place in the file, with the nearest id the organization has (a typo
//! is otherwise silently "no rule matches").

use std::collections::HashSet;

use toml::de::DeTable;
use toml::Spanned;

use super::diagnostic::{Diagnostic, Severity};
use super::ids::{is_ou_or_root, OrgIds, UnknownId};
use super::spans::{array_len, span_of, value_str};

/// Where ids are named: (the key as messages name it, its path).
fn id_places(root: &Spanned<DeTable<'_>>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rules = |label: &str, prefix: &str| {
        for table in ["ou", "account"] {
            for i in 0..array_len(root, &format!("{prefix}{table}")) {
                out.push((
                    format!("{label}{table}.id"),
                    format!("{prefix}{table}[{i}].id"),
                ));
            }
        }
    };
    rules("", "");
    for d in 0..array_len(root, "document") {
        let name = value_str(root, &format!("document[{d}].name")).unwrap_or("?");
        rules(&format!("document[{name}]."), &format!("document[{d}]."));
    }
    for list in [
        "exempt.accounts",
        "exempt.ous",
        "scope.ous",
        "scope.accounts",
    ] {
        for i in 0..array_len(root, list) {
            out.push((list.to_string(), format!("{list}[{i}]")));
        }
    }
    out
}

pub(super) fn unknown_ids(root: &Spanned<DeTable<'_>>, org: &OrgIds) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (key, path) in id_places(root) {
        let Some(id) = value_str(root, &path) else {
            continue;
        };
        let known: &HashSet<String> = if is_ou_or_root(id) {
            &org.ous
        } else {
            &org.accounts
        };
        if known.contains(id) {
            continue;
        }
        let mut candidates: Vec<&str> = known.iter().map(String::as_str).collect();
        // Sorted, so that of two ids equally near the same one is named every run.
        candidates.sort_unstable();
        let unknown = UnknownId {
            key,
            id: id.to_string(),
        };
        out.push(
            Diagnostic::new(
                Severity::Error,
                "unknown-id",
                span_of(root, &path),
                unknown.to_string(),
            )
            .suggest(super::suggest::closest(id, candidates, 2)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_ids_are_located_with_the_nearest_known_one() {
        let text = "[[ou]]\nid = \"r-ab12\"\n[[ou]]\nid = \"ou-ab12-prod0002\"\n[exempt]\naccounts = [\"111122223334\", \"999999999999\"]\n[[document]]\nname = \"SSMRunAs-A\"\n[[document.ou]]\nid = \"ou-zz99-gone0001\"\n";
        let root = DeTable::parse(text).unwrap();
        let org = OrgIds {
            ous: ["r-ab12", "ou-ab12-prod0001"].map(String::from).into(),
            accounts: ["111122223333"].map(String::from).into(),
        };
        let found: Vec<(String, String, Option<String>)> = unknown_ids(&root, &org)
            .into_iter()
            .map(|d| (text[d.span].to_string(), d.message, d.suggestion))
            .collect();
        assert_eq!(found.len(), 4, "{found:#?}");
        assert_eq!(found[0].0, "\"ou-ab12-prod0002\"");
        assert!(found[0]
            .1
            .starts_with("ou.id = \"ou-ab12-prod0002\": the organization has no OU"));
        assert_eq!(found[0].2.as_deref(), Some("ou-ab12-prod0001"));
        assert_eq!(found[1].0, "\"ou-zz99-gone0001\"");
        assert!(
            found[1].1.starts_with("document[SSMRunAs-A].ou.id"),
            "{found:?}"
        );
        assert_eq!(found[2].2.as_deref(), Some("111122223333"));
        assert_eq!(found[3].2, None);
    }
}
