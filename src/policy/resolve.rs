//! What a policy asks of one account: its account rule, else the nearest OU
//! on its root-first path, else the default, for every governed document;
//! and whose edits are expected rather than tampering.

use std::collections::HashMap;

use super::{Desired, Policy, Target};

impl Policy {
    /// `ou_path` runs from the root down to the account's parent.
    pub fn desired(&self, account: &str, ou_path: &[String]) -> Desired {
        if self.is_exempt(account) {
            return Desired::Exempt;
        }
        let (user, source) = resolve(
            account,
            ou_path,
            &self.account_users,
            &self.ou_users,
            &self.default_user,
        );
        Desired::User { user, source }
    }

    /// Every governed document of a governed account, `SSM-SessionManagerRunShell`
    /// first; empty for an exempt account.
    pub fn targets(&self, account: &str, ou_path: &[String]) -> Vec<Target> {
        let Desired::User { user, source } = self.desired(account, ou_path) else {
            return vec![];
        };
        let named = self.documents.iter().map(|d| {
            let (user, source) = resolve(
                account,
                ou_path,
                &d.account_users,
                &d.ou_users,
                &d.default_user,
            );
            Target {
                document: Some(d.name.clone()),
                user,
                source,
                inherit: d.inherit,
            }
        });
        std::iter::once(Target {
            document: None,
            user,
            source,
            inherit: false,
        })
        .chain(named)
        .collect()
    }

    /// Expected editors (e.g. the LZA pipeline roles) are not tamperers.
    pub fn is_expected_editor(&self, actor_arn: &str) -> bool {
        self.exempt_principals
            .iter()
            .any(|p| wildcard_match(p, actor_arn))
    }
}

/// Account rule, then the nearest OU on the root-first path, then the default.
fn resolve(
    account: &str,
    ou_path: &[String],
    account_users: &HashMap<String, String>,
    ou_users: &HashMap<String, String>,
    default: &str,
) -> (String, String) {
    if let Some(user) = account_users.get(account) {
        return (user.clone(), format!("account {account}"));
    }
    for ou in ou_path.iter().rev() {
        if let Some(user) = ou_users.get(ou) {
            return (user.clone(), format!("ou {ou}"));
        }
    }
    (default.to_string(), "default".into())
}

/// `*` matches any run of characters (including none); everything else is literal.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}
