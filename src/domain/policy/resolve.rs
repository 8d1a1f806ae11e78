//! What a policy asks of one account: whether it is governed at all (scope,
//! exemptions), then for every governed document its user and its mode,
//! each from the account rule, else the nearest OU on its root-first path
//! that sets it, else what is above (the document's own, the default, the
//! global mode); and whose edits are expected rather than tampering.

use std::collections::HashMap;

use super::{Desired, Mode, Policy, Rule, Standing, Target};

impl Policy {
    /// What decides which accounts the policy governs (its scope, its
    /// exempt accounts and OUs, whether it has a `[default]`, the ids its
    /// rules name), as a short stable id: a sweep that governs far fewer
    /// accounts than the last one is degraded only when this is unchanged.
    /// Users, modes and regions do not change it.
    pub fn governance_fingerprint(&self) -> String {
        let sorted = |ids: Vec<&String>| {
            let mut ids: Vec<&str> = ids.into_iter().map(String::as_str).collect();
            ids.sort_unstable();
            ids.join(",")
        };
        let scope = self.scope.as_ref();
        let parts = [
            scope.map_or("-".into(), |s| sorted(s.ous.iter().collect())),
            scope.map_or("-".into(), |s| sorted(s.accounts.iter().collect())),
            sorted(self.exempt_accounts.iter().collect()),
            sorted(self.exempt_ous.iter().collect()),
            self.default_user.is_some().to_string(),
            sorted(self.ou_users.keys().collect()),
            sorted(self.account_users.keys().collect()),
        ];
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        crate::domain::ids::stable_id(&refs)
    }

    /// Where the account stands, when its id alone says so: `None` when its
    /// OU path decides (an `[exempt] ous` list, or a scope by OU that does
    /// not name the account). A run makes no session before it knows.
    pub fn standing_by_id(&self, account: &str) -> Option<Standing> {
        if self.is_exempt(account) {
            return Some(Standing::Exempt);
        }
        if !self.exempt_ous.is_empty() {
            return None;
        }
        match &self.scope {
            None => Some(Standing::Governed),
            Some(s) if s.accounts.iter().any(|a| a == account) => Some(Standing::Governed),
            Some(s) if s.ous.is_empty() => Some(Standing::OutOfScope),
            Some(_) => None,
        }
    }

    /// `ou_path` runs from the root down to the account's parent; a nested
    /// OU is inside every OU above it.
    pub fn standing(&self, account: &str, ou_path: &[String]) -> Standing {
        let under = |ous: &[String]| ou_path.iter().any(|o| ous.contains(o));
        if self.is_exempt(account) || under(&self.exempt_ous) {
            return Standing::Exempt;
        }
        match &self.scope {
            Some(s) if !s.accounts.iter().any(|a| a == account) && !under(&s.ous) => {
                Standing::OutOfScope
            }
            _ => Standing::Governed,
        }
    }

    /// `ou_path` runs from the root down to the account's parent.
    pub fn desired(&self, account: &str, ou_path: &[String]) -> Desired {
        match self.standing(account, ou_path) {
            Standing::Exempt => return Desired::Exempt,
            Standing::OutOfScope => return Desired::OutOfScope,
            Standing::Governed => {}
        }
        let rules = Rules {
            accounts: &self.account_users,
            ous: &self.ou_users,
        };
        let Some((user, source)) = rules
            .user(account, ou_path)
            .or_else(|| Some((self.default_user.clone()?, "default".into())))
        else {
            return Desired::Uncovered;
        };
        let mode = rules.mode(account, ou_path).unwrap_or(self.mode);
        Desired::User { user, source, mode }
    }

    /// Every governed document of a governed account, `SSM-SessionManagerRunShell`
    /// first; empty for an account with no user (exempt, out of scope, uncovered).
    pub fn targets(&self, account: &str, ou_path: &[String]) -> Vec<Target> {
        let Desired::User { user, source, mode } = self.desired(account, ou_path) else {
            return vec![];
        };
        let named = self.documents.iter().map(|d| {
            let rules = Rules {
                accounts: &d.account_users,
                ous: &d.ou_users,
            };
            let (user, source) = rules
                .user(account, ou_path)
                .unwrap_or_else(|| (d.default_user.clone(), "default".into()));
            Target {
                document: Some(d.name.clone()),
                user,
                source,
                inherit: d.inherit,
                mode: rules.mode(account, ou_path).or(d.mode).unwrap_or(mode),
            }
        });
        std::iter::once(Target {
            document: None,
            user,
            source,
            inherit: false,
            mode,
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

/// One set of account and OU rules (the policy's, or a `[[document]]`'s).
struct Rules<'a> {
    accounts: &'a HashMap<String, Rule>,
    ous: &'a HashMap<String, Rule>,
}

impl Rules<'_> {
    /// The account rule's user, then the nearest OU's that names one.
    fn user(&self, account: &str, ou_path: &[String]) -> Option<(String, String)> {
        if let Some(user) = self.accounts.get(account).and_then(|r| r.user.clone()) {
            return Some((user, format!("account {account}")));
        }
        ou_path.iter().rev().find_map(|ou| {
            let user = self.ous.get(ou)?.user.clone()?;
            Some((user, format!("ou {ou}")))
        })
    }

    /// The account rule's mode, then the nearest OU's that sets one.
    fn mode(&self, account: &str, ou_path: &[String]) -> Option<Mode> {
        self.accounts.get(account).and_then(|r| r.mode).or_else(|| {
            ou_path
                .iter()
                .rev()
                .find_map(|ou| self.ous.get(ou).and_then(|r| r.mode))
        })
    }
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

#[cfg(test)]
mod tests {
    use super::Policy;

    const BASE: &str = "member_role = \"R\"\nregions = [\"us-east-1\"]\n";

    fn fingerprint(extra: &str) -> String {
        Policy::parse(&format!("{BASE}{extra}"), "p.toml")
            .unwrap()
            .governance_fingerprint()
    }

    #[test]
    fn the_fingerprint_moves_with_what_decides_governance_only() {
        let default = "[default]\nrun_as_user = \"ops\"\n";
        let base = fingerprint(default);
        assert_eq!(base, fingerprint(default), "stable");
        let same = [
            "[default]\nrun_as_user = \"other\"\n",
            "mode = \"audit\"\n[default]\nrun_as_user = \"ops\"\n",
        ];
        for extra in same {
            assert_eq!(fingerprint(extra), base, "{extra}");
        }
        let scope = "[scope]\naccounts = [\"111122223333\", \"444455556666\"]\n";
        let swapped = "[scope]\naccounts = [\"444455556666\", \"111122223333\"]\n";
        assert_eq!(
            fingerprint(&format!("{scope}{default}")),
            fingerprint(&format!("{swapped}{default}")),
            "order does not matter"
        );
        let moved = [
            scope.to_string(),
            format!("[scope]\naccounts = [\"111122223333\"]\n{default}"),
            format!("[exempt]\naccounts = [\"111122223333\"]\n{default}"),
            format!("[exempt]\nous = [\"ou-ab12-prod0001\"]\n{default}"),
            format!("[[account]]\nid = \"111122223333\"\nrun_as_user = \"db\"\n{default}"),
            format!("[[ou]]\nid = \"ou-ab12-prod0001\"\nrun_as_user = \"db\"\n{default}"),
        ];
        let mut seen = vec![base];
        for extra in moved {
            let f = fingerprint(&extra);
            assert!(!seen.contains(&f), "{extra}");
            seen.push(f);
        }
    }
}
