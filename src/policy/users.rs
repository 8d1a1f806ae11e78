//! Run As users that pass validation but can never (or should never) work on
//! a node: the SSM agent checks the user with `id <user>` before it opens a
//! session and refuses the session when the user is missing.

use super::Policy;

/// Where a user is named in the policy, and the user.
fn named_users(policy: &Policy) -> Vec<(String, &str)> {
    let mut found = vec![(
        "default.run_as_user".to_string(),
        policy.default_user.as_str(),
    )];
    let mut scoped: Vec<(String, &str)> = policy
        .ou_users
        .iter()
        .map(|(id, user)| (format!("OU {id}"), user.as_str()))
        .chain(
            policy
                .account_users
                .iter()
                .map(|(id, user)| (format!("account {id}"), user.as_str())),
        )
        .collect();
    for d in &policy.documents {
        scoped.push((format!("[[document]] {}", d.name), d.default_user.as_str()));
        scoped.extend(
            d.ou_users
                .iter()
                .map(|(id, u)| (format!("[[document]] {} OU {id}", d.name), u.as_str())),
        );
        scoped.extend(
            d.account_users
                .iter()
                .map(|(id, u)| (format!("[[document]] {} account {id}", d.name), u.as_str())),
        );
    }
    scoped.sort();
    found.extend(scoped);
    found
}

/// Why `user` cannot work (or is a risk) as a Run As user, if it is one of
/// those (pure).
pub fn user_warning(user: &str) -> Option<&'static str> {
    match user {
        "ssm-user" => Some("the SSM agent creates ssm-user only for a session without Run As, so a node that never had one lacks it, and with Run As on the agent refuses every session there (`id ssm-user` fails)"),
        "root" => Some("every session runs as root: full control of every node, with no record of which engineer did what on it"),
        _ => None,
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
