//! Run As users that pass validation but can never (or should never) work on
//! a node: the SSM agent checks the user with `id <user>` before it opens a
//! session and refuses the session when the user is missing.

use std::collections::HashMap;

use super::user_name::{agent_lookup, AgentLookup};
use super::{Policy, Rule};

/// Where a user is named in the policy, and the user.
fn named_users(policy: &Policy) -> Vec<(String, &str)> {
    let mut found: Vec<(String, &str)> = policy
        .default_user
        .iter()
        .map(|u| ("default.run_as_user".to_string(), u.as_str()))
        .collect();
    let mut scoped = users(&policy.ou_users, "OU");
    scoped.extend(users(&policy.account_users, "account"));
    for d in &policy.documents {
        scoped.push((format!("[[document]] {}", d.name), d.default_user.as_str()));
        let (ou, account) = (
            format!("[[document]] {} OU", d.name),
            format!("[[document]] {} account", d.name),
        );
        scoped.extend(users(&d.ou_users, &ou));
        scoped.extend(users(&d.account_users, &account));
    }
    scoped.sort();
    found.extend(scoped);
    found
}

/// The rules that name a user, as `<what> <id>`.
fn users<'a>(rules: &'a HashMap<String, Rule>, what: &str) -> Vec<(String, &'a str)> {
    rules
        .iter()
        .filter_map(|(id, r)| Some((format!("{what} {id}"), r.user.as_deref()?)))
        .collect()
}

/// Why `user` cannot work (or is a risk) as a Run As user, if it is one of
/// those (pure).
pub fn user_warning(user: &str) -> Option<String> {
    match user {
        "ssm-user" => Some("the SSM agent creates ssm-user only for a session without Run As, so a node that never had one lacks it, and with Run As on the agent refuses every session there (`id ssm-user` fails)".into()),
        "root" => Some("every session runs as root: full control of every node, with no record of which engineer did what on it".into()),
        _ => match agent_lookup(user) {
            AgentLookup::Collapsed(asked) => Some(format!(
                "the SSM agent looks the user up with `sh -c \"id <user>\"`, unquoted, so the shell drops the backslash and asks the name service for {asked}; sessions start only on nodes that resolve that name (write the user as NAME@DOMAIN instead)"
            )),
            _ => None,
        },
    }
}

pub(super) fn user_warnings(policy: &Policy) -> Vec<String> {
    named_users(policy)
        .into_iter()
        .filter_map(|(place, user)| user_warning(user).map(|why| format!("{place}: {user}: {why}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_that_cannot_work_on_a_node_are_named() {
        for (user, warned) in [
            ("ssm-user", true),
            ("root", true),
            ("ssm-ops", false),
            ("ssm_user", false),
            ("ec2-user", false),
            ("", false),
            ("alice@corp.example.com", false),
            ("Alice", false),
            ("CORP\\alice", true),
        ] {
            assert_eq!(user_warning(user).is_some(), warned, "{user:?}");
        }
    }

    #[test]
    fn every_place_a_user_is_named_is_checked() {
        let policy = Policy::parse(
            r#"
member_role = "RunAsGuardExecution"
regions = ["eu-west-1"]
allow_root = true
[default]
run_as_user = "ssm-user"
[[ou]]
id = "ou-abcd-12345678"
run_as_user = "root"
[[account]]
id = "111122223333"
run_as_user = "ops"
"#,
            "test",
        )
        .expect("valid policy");
        let warnings = user_warnings(&policy);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].starts_with("default.run_as_user: ssm-user:"),
            "{warnings:?}"
        );
        assert!(
            warnings[1].starts_with("OU ou-abcd-12345678: root:"),
            "{warnings:?}"
        );
    }
}
