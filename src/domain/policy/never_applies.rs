//! Rules that can never apply, as far as the file alone decides: an OU
//! rule for an exempt OU, and an account rule outside a `[scope]` that
//! names accounts only. Each is a warning at the rule's id: it loads and
//! does no harm, but the reviewer who reads it reads something untrue.

use std::collections::HashMap;

use toml::de::DeTable;
use toml::Spanned;

use super::diagnostic::{Diagnostic, Severity};
use super::spans::{array_len, place, span_of, value_str};
use super::Policy;

pub(super) fn never_applies(root: &Spanned<DeTable<'_>>, policy: &Policy) -> Vec<Diagnostic> {
    rules_never_applying(root, |table, id| why_never(policy, table, id))
}

/// With the organization's tree (`--org`): what the file alone could not
/// decide, an OU or account rule under an exempt OU, or outside a scope by
/// OU (neither in it, nor above a scoped OU or account). Ids the
/// organization lacks are left to their own error.
pub(super) fn never_applies_in(
    root: &Spanned<DeTable<'_>>,
    policy: &Policy,
    parents: &Parents,
) -> Vec<Diagnostic> {
    rules_never_applying(root, |table, id| {
        if why_never(policy, table, id).is_some() || !parents.contains_key(id) {
            return None;
        }
        why_never_in(policy, id, parents)
    })
}

/// Child -> parent for every OU and account of the organization.
pub type Parents = HashMap<String, String>;

/// `id`'s ancestors, nearest first (the root last); bounded against a cycle.
fn ancestors<'a>(parents: &'a Parents, id: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut current = id;
    while let Some(parent) = parents.get(current) {
        if out.len() > 8 {
            break;
        }
        out.push(parent.as_str());
        current = parent;
    }
    out
}

fn why_never_in(policy: &Policy, id: &str, parents: &Parents) -> Option<String> {
    let up = ancestors(parents, id);
    if let Some(exempt) = up
        .iter()
        .find(|a| policy.exempt_ous.iter().any(|o| o == *a))
    {
        return Some(format!(
            "{id} is under {exempt}, which is in [exempt] ous, so no account there is governed"
        ));
    }
    let scope = policy.scope.as_ref()?;
    let scoped =
        |x: &str| scope.ous.iter().any(|o| o == x) || scope.accounts.iter().any(|a| a == x);
    let inside = scoped(id) || up.iter().any(|a| scope.ous.iter().any(|o| o == a));
    // An OU rule above a scoped OU or account still reaches it.
    let above = scope
        .ous
        .iter()
        .chain(&scope.accounts)
        .any(|s| ancestors(parents, s).contains(&id));
    (!inside && !above).then(|| {
        format!("{id} is outside [scope] in the organization: no scoped OU or account is in it, above it or below it")
    })
}

fn rules_never_applying(
    root: &Spanned<DeTable<'_>>,
    why: impl Fn(&str, &str) -> Option<String>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut prefixes = vec![String::new()];
    prefixes.extend((0..array_len(root, "document")).map(|d| format!("document[{d}].")));
    for prefix in &prefixes {
        for table in ["ou", "account"] {
            for i in 0..array_len(root, &format!("{prefix}{table}")) {
                let path = format!("{prefix}{table}[{i}].id");
                let Some(id) = value_str(root, &path) else {
                    continue;
                };
                if let Some(why) = why(table, id) {
                    out.push(Diagnostic::new(
                        Severity::Warning,
                        "rule-never-applies",
                        span_of(root, &path),
                        format!("`{}`: this rule never applies: {why}", place(root, &path)),
                    ));
                }
            }
        }
    }
    out
}

/// Why a rule for `id` (an `ou` or `account` rule) can never apply, when
/// the file alone says so. An OU rule outside an OU scope may still reach
/// a scoped OU below it or a scoped account in it: only the organization
/// decides that, so it is not said here.
fn why_never(policy: &Policy, table: &str, id: &str) -> Option<String> {
    if table == "ou" && policy.exempt_ous.iter().any(|o| o == id) {
        return Some(format!(
            "{id} is in [exempt] ous, so no account under it is governed"
        ));
    }
    let scope = policy.scope.as_ref()?;
    if table == "account" && scope.ous.is_empty() && !scope.accounts.iter().any(|a| a == id) {
        return Some(format!(
            "{id} is outside [scope], which names accounts only and not this one: add it to scope.accounts or remove the rule"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "member_role = \"R\"\nregions = [\"us-east-1\"]\n";

    #[test]
    fn rules_that_never_apply_are_warned_at_their_id_and_others_stay_quiet() {
        // (what, the file after BASE, (line, start of message) of each warning)
        type Case = (&'static str, &'static str, &'static [(usize, &'static str)]);
        let cases: &[Case] = &[
            (
                "an OU rule for an exempt OU",
                "[default]\nrun_as_user = \"ops\"\n[[ou]]\nid = \"ou-ab12-lab00001\"\nrun_as_user = \"lab\"\n[exempt]\nous = [\"ou-ab12-lab00001\"]\n",
                &[(6, "`ou[ou-ab12-lab00001].id`: this rule never applies: ou-ab12-lab00001 is in [exempt] ous")],
            ),
            (
                "an account rule outside an accounts-only scope, top level and in a document",
                "[scope]\naccounts = [\"111122223333\"]\n[[account]]\nid = \"444455556666\"\nrun_as_user = \"app\"\n\
                 [[account]]\nid = \"111122223333\"\nrun_as_user = \"app\"\n\
                 [[document]]\nname = \"SSMRunAs-A\"\nrun_as_user = \"a\"\n[[document.account]]\nid = \"777788889999\"\nrun_as_user = \"b\"\n",
                &[
                    (6, "`account[444455556666].id`: this rule never applies: 444455556666 is outside [scope]"),
                    (15, "`document[SSMRunAs-A].account[777788889999].id`: this rule never applies"),
                ],
            ),
            (
                "an account rule with a scope by OU: the organization decides",
                "[scope]\nous = [\"ou-ab12-prod0001\"]\n[[account]]\nid = \"444455556666\"\nrun_as_user = \"app\"\n[[ou]]\nid = \"ou-ab12-else0001\"\nrun_as_user = \"x\"\n",
                &[],
            ),
            (
                "no scope, no exemption",
                "[default]\nrun_as_user = \"ops\"\n[[ou]]\nid = \"ou-ab12-lab00001\"\nrun_as_user = \"lab\"\n[[account]]\nid = \"444455556666\"\nrun_as_user = \"app\"\n",
                &[],
            ),
        ];
        for (what, body, wants) in cases {
            let text = format!("{BASE}{body}");
            let checked = crate::domain::policy::check::check(&text);
            assert!(
                checked.policy.is_some(),
                "{what}: {:#?}",
                checked.diagnostics
            );
            let got: Vec<(usize, String)> = checked
                .located("p.toml")
                .into_iter()
                .filter(|l| l.code == "rule-never-applies")
                .map(|l| {
                    assert_eq!(l.severity, Severity::Warning, "{what}");
                    (l.line, l.message)
                })
                .collect();
            assert_eq!(got.len(), wants.len(), "{what}: {got:#?}");
            for ((line, message), (want_line, says)) in got.iter().zip(*wants) {
                assert!(
                    line == want_line && message.starts_with(says),
                    "{what}: {line} {message}"
                );
            }
        }
    }

    /// Root r-ab12: Workloads (work) > Sandbox (sand) > Team (team, holds
    /// 111122223333); Security (secu, holds 444455556666).
    fn tree() -> Parents {
        [
            ("ou-ab12-work0001", "r-ab12"),
            ("ou-ab12-sand0001", "ou-ab12-work0001"),
            ("ou-ab12-team0001", "ou-ab12-sand0001"),
            ("ou-ab12-secu0001", "r-ab12"),
            ("111122223333", "ou-ab12-team0001"),
            ("444455556666", "ou-ab12-secu0001"),
        ]
        .iter()
        .map(|(c, p)| (c.to_string(), p.to_string()))
        .collect()
    }

    #[test]
    fn the_organization_decides_what_the_file_cannot_both_ways() {
        let rule =
            |table: &str, id: &str| format!("[[{table}]]\nid = \"{id}\"\nrun_as_user = \"x\"\n");
        let scoped = "[scope]\nous = [\"ou-ab12-sand0001\"]\n";
        let exempt = "[default]\nrun_as_user = \"ops\"\n[exempt]\nous = [\"ou-ab12-sand0001\"]\n";
        let cases: Vec<(String, Option<&str>)> = vec![
            (format!("{scoped}{}", rule("ou", "ou-ab12-team0001")), None),
            (format!("{scoped}{}", rule("ou", "ou-ab12-work0001")), None),
            (format!("{scoped}{}", rule("account", "111122223333")), None),
            (
                format!("{scoped}{}", rule("ou", "ou-ab12-secu0001")),
                Some("ou-ab12-secu0001 is outside [scope] in the organization"),
            ),
            (
                format!("{scoped}{}", rule("account", "444455556666")),
                Some("444455556666 is outside [scope] in the organization"),
            ),
            (format!("{scoped}{}", rule("ou", "ou-ab12-gone0001")), None),
            (
                format!("{exempt}{}", rule("ou", "ou-ab12-team0001")),
                Some("ou-ab12-team0001 is under ou-ab12-sand0001, which is in [exempt] ous"),
            ),
            (
                format!("{exempt}{}", rule("account", "111122223333")),
                Some("111122223333 is under ou-ab12-sand0001, which is in [exempt] ous"),
            ),
            (format!("{exempt}{}", rule("ou", "ou-ab12-work0001")), None),
            (format!("{exempt}{}", rule("ou", "ou-ab12-secu0001")), None),
        ];
        for (body, says) in cases {
            let text = format!("{BASE}{body}");
            let id_line = 1 + text.lines().position(|l| l.starts_with("id = ")).unwrap();
            let mut checked = crate::domain::policy::check::check(&text);
            assert!(
                checked.policy.is_some(),
                "{body}: {:#?}",
                checked.diagnostics
            );
            checked.never_applies_in(&tree());
            let got: Vec<_> = checked
                .located("p.toml")
                .into_iter()
                .filter(|l| l.code == "rule-never-applies")
                .collect();
            match says {
                None => assert!(got.is_empty(), "{body}: {got:#?}"),
                Some(says) => {
                    assert_eq!(got.len(), 1, "{body}: {got:#?}");
                    assert!(got[0].message.contains(says), "{body}: {}", got[0].message);
                    assert_eq!(
                        (got[0].line, got[0].severity),
                        (id_line, Severity::Warning),
                        "{body}"
                    );
                }
            }
        }
    }
}
