//! The ids a policy names, held against the organization: a typo in an OU or
//! account id is otherwise silently "no rule matches" (the default user, or
//! an account meant to be exempt being written). Pure; the organization's
//! ids come from one walk of its tree.

use std::collections::HashSet;

use super::Policy;

/// One id the policy names that the organization does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownId {
    /// Where the policy names it: `ou.id`, `account.id`, `exempt.accounts`,
    /// `document[SSMRunAs-Admin].ou.id`, ...
    pub key: String,
    pub id: String,
}

impl std::fmt::Display for UnknownId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if is_ou_or_root(&self.id) {
            "OU"
        } else {
            "account"
        };
        write!(
            f,
            "{} = {:?}: the organization has no {what} {}",
            self.key, self.id, self.id
        )
    }
}

/// What the organization has: OU ids (and the root) and account ids.
#[derive(Debug, Default, Clone)]
pub struct OrgIds {
    pub ous: HashSet<String>,
    pub accounts: HashSet<String>,
}

/// Every OU and account id the policy names, with its key, in a stable order.
pub fn named_ids(policy: &Policy) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut sorted = |key: String, ids: Vec<&String>| {
        let mut ids: Vec<&String> = ids;
        ids.sort();
        out.extend(ids.into_iter().map(|id| (key.clone(), id.clone())));
    };
    sorted("ou.id".into(), policy.ou_ids().collect());
    sorted("account.id".into(), policy.account_ids().collect());
    sorted(
        "exempt.accounts".into(),
        policy.exempt_account_ids().collect(),
    );
    sorted("exempt.ous".into(), policy.exempt_ou_ids().collect());
    if let Some(scope) = &policy.scope {
        sorted("scope.ous".into(), scope.ous.iter().collect());
        sorted("scope.accounts".into(), scope.accounts.iter().collect());
    }
    for d in &policy.documents {
        sorted(format!("document[{}].ou.id", d.name), d.ou_ids().collect());
        sorted(
            format!("document[{}].account.id", d.name),
            d.account_ids().collect(),
        );
    }
    out
}

/// The ids the policy names that the organization does not have.
pub fn unknown_ids(policy: &Policy, org: &OrgIds) -> Vec<UnknownId> {
    named_ids(policy)
        .into_iter()
        .filter(|(_, id)| {
            if is_ou_or_root(id) {
                !org.ous.contains(id)
            } else {
                !org.accounts.contains(id)
            }
        })
        .map(|(key, id)| UnknownId { key, id })
        .collect()
}

/// The root's id is `r-…`: an OU to the policy, never an account.
pub(super) fn is_ou_or_root(id: &str) -> bool {
    id.starts_with("ou-") || id.starts_with("r-")
}

/// In-scope accounts no rule gives a user (only possible without
/// `[default]`), each with its root-first OU path: every run would report
/// them `failed` with "no rule", so `policy check --org` refuses them first.
pub fn uncovered<'a>(
    policy: &Policy,
    accounts: impl IntoIterator<Item = (&'a str, &'a [String])>,
) -> Vec<String> {
    let mut out: Vec<String> = accounts
        .into_iter()
        .filter(|(id, path)| policy.desired(id, path) == super::Desired::Uncovered)
        .map(|(id, _)| id.to_string())
        .collect();
    out.sort();
    out
}

/// One line naming every unknown id (at most `shown`, then a count).
pub fn describe(unknown: &[UnknownId], shown: usize) -> String {
    let mut parts: Vec<String> = unknown.iter().take(shown).map(|u| u.to_string()).collect();
    if unknown.len() > shown {
        parts.push(format!("and {} more", unknown.len() - shown));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::parse(
            r#"
member_role = "RunAsGuardExecution"
regions = ["us-east-1"]
[default]
run_as_user = "ops"
[[ou]]
id = "ou-ab12-prod0001"
run_as_user = "produser"
[[ou]]
id = "ou-1xhx-zzzzzzzz"
run_as_user = "typo"
[[account]]
id = "111122223333"
run_as_user = "dbadmin"
[exempt]
accounts = ["444455556666", "999999999999"]
[[document]]
name = "SSMRunAs-Admin"
run_as_user = "admin"
[[document.ou]]
id = "ou-ab12-gone0001"
run_as_user = "x"
"#,
            "test.toml",
        )
        .unwrap()
    }

    #[test]
    fn names_every_id_the_organization_lacks_with_its_key() {
        let org = OrgIds {
            ous: ["r-ab12", "ou-ab12-prod0001"].map(String::from).into(),
            accounts: ["111122223333", "444455556666"].map(String::from).into(),
        };
        let got: Vec<(String, String)> = unknown_ids(&policy(), &org)
            .into_iter()
            .map(|u| (u.key, u.id))
            .collect();
        assert_eq!(
            got,
            [
                ("ou.id", "ou-1xhx-zzzzzzzz"),
                ("exempt.accounts", "999999999999"),
                ("document[SSMRunAs-Admin].ou.id", "ou-ab12-gone0001"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        let line = describe(&unknown_ids(&policy(), &org), 2);
        assert!(line.contains("ou.id = \"ou-1xhx-zzzzzzzz\": the organization has no OU"));
        assert!(line.ends_with("and 1 more"), "{line}");
        let everything = OrgIds {
            ous: named_ids(&policy()).into_iter().map(|(_, id)| id).collect(),
            accounts: named_ids(&policy()).into_iter().map(|(_, id)| id).collect(),
        };
        assert!(unknown_ids(&policy(), &everything).is_empty());
        assert_eq!(unknown_ids(&policy(), &OrgIds::default()).len(), 6);
    }
}
