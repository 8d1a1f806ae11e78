//! Rules that can never apply, as far as the file alone decides: an OU
//! rule for an exempt OU, and an account rule outside a `[scope]` that
//! names accounts only. Each is a warning at the rule's id: it loads and
//! does no harm, but the reviewer who reads it reads something untrue.

use toml::de::DeTable;
use toml::Spanned;

use super::diagnostic::{Diagnostic, Severity};
use super::spans::{array_len, place, span_of, value_str};
use super::Policy;

pub(super) fn never_applies(root: &Spanned<DeTable<'_>>, policy: &Policy) -> Vec<Diagnostic> {
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
                if let Some(why) = why_never(policy, table, id) {
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
            let checked = crate::policy::check::check(&text);
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
}
