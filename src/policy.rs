//! Policy file (TOML) -> validated [`Policy`] -> desired state for an account.
//!
//! Everything is checked at load so that a bad policy stops the function at
//! start with the offending key named, instead of failing account by account.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::trigger::{is_account_id, is_region_name};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Enforce,
    Audit,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    member_role: String,
    #[serde(default = "default_fallbacks")]
    fallback_roles: Vec<String>,
    regions: Vec<String>,
    #[serde(default)]
    mode: Mode,
    #[serde(default)]
    allow_root: bool,
    default: RawRule,
    #[serde(default)]
    ou: Vec<RawScoped>,
    #[serde(default)]
    account: Vec<RawScoped>,
    #[serde(default)]
    exempt: RawExempt,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    run_as_user: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScoped {
    id: String,
    run_as_user: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawExempt {
    #[serde(default)]
    accounts: Vec<String>,
    #[serde(default)]
    principals: Vec<String>,
}

fn default_fallbacks() -> Vec<String> {
    vec![
        "AWSControlTowerExecution".into(),
        "OrganizationAccountAccessRole".into(),
    ]
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub member_role: String,
    pub fallback_roles: Vec<String>,
    pub regions: Vec<String>,
    pub mode: Mode,
    pub default_user: String,
    ou_users: HashMap<String, String>,
    account_users: HashMap<String, String>,
    exempt_accounts: Vec<String>,
    exempt_principals: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("policy {path}: cannot read: {reason}")]
    Read { path: String, reason: String },
    #[error("policy {path}: {reason}")]
    Syntax { path: String, reason: String },
    #[error("policy {path}: `{key}`: {problem}")]
    Invalid {
        path: String,
        key: String,
        problem: String,
    },
}

/// Where the desired user for an account came from (reported, not just logged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Desired {
    Exempt,
    User { user: String, source: String },
}

impl Desired {
    pub fn user(&self) -> Option<&str> {
        match self {
            Desired::Exempt => None,
            Desired::User { user, .. } => Some(user),
        }
    }
}

/// Linux user names Session Manager can run as: what `useradd` accepts by
/// default, minus forms that are almost always a mistake.
pub fn check_user(user: &str, allow_root: bool) -> Result<(), String> {
    let body = user.strip_suffix('$').unwrap_or(user);
    if user.is_empty() || user.len() > 32 {
        return Err(format!("user name {user:?} must be 1 to 32 characters"));
    }
    let mut chars = body.chars();
    let first_ok = matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_');
    if !first_ok
        || !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        return Err(format!(
            "user name {user:?} must match [a-z_][a-z0-9_-]* (optionally ending in $)"
        ));
    }
    if user == "root" && !allow_root {
        return Err("user name \"root\" needs allow_root = true".into());
    }
    Ok(())
}

fn is_role_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

fn is_ou_id(s: &str) -> bool {
    let valid = |p: &str, min: usize| {
        p.len() >= min
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    match s.strip_prefix("ou-").and_then(|r| r.split_once('-')) {
        Some((root, rest)) => valid(root, 4) && valid(rest, 8),
        None => s.strip_prefix("r-").is_some_and(|r| valid(r, 4)),
    }
}

impl Policy {
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::Read {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        Policy::parse(&text, &shown)
    }

    pub fn parse(text: &str, path: &str) -> Result<Policy, PolicyError> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| PolicyError::Syntax {
            path: path.to_string(),
            // toml's message spans several lines with a caret diagram; one line is the contract.
            reason: e
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        })?;
        let invalid = |key: String, problem: String| PolicyError::Invalid {
            path: path.to_string(),
            key,
            problem,
        };
        let allow_root = raw.allow_root;

        if !is_role_name(&raw.member_role) {
            return Err(invalid(
                "member_role".into(),
                format!("{:?} is not an IAM role name", raw.member_role),
            ));
        }
        for (i, r) in raw.fallback_roles.iter().enumerate() {
            if !is_role_name(r) {
                return Err(invalid(
                    format!("fallback_roles[{i}]"),
                    format!("{r:?} is not an IAM role name"),
                ));
            }
        }
        if raw.regions.is_empty() {
            return Err(invalid(
                "regions".into(),
                "must name at least one region".into(),
            ));
        }
        for (i, r) in raw.regions.iter().enumerate() {
            if !is_region_name(r) {
                return Err(invalid(
                    format!("regions[{i}]"),
                    format!("{r:?} is not a region name"),
                ));
            }
            if raw.regions[..i].contains(r) {
                return Err(invalid(
                    format!("regions[{i}]"),
                    format!("{r} is listed twice"),
                ));
            }
        }
        check_user(&raw.default.run_as_user, allow_root)
            .map_err(|p| invalid("default.run_as_user".into(), p))?;

        let mut ou_users = HashMap::new();
        for (i, rule) in raw.ou.iter().enumerate() {
            if !is_ou_id(&rule.id) {
                return Err(invalid(
                    format!("ou[{i}].id"),
                    format!(
                        "{:?} is not an OU id (ou-xxxx-xxxxxxxx) or root id (r-xxxx)",
                        rule.id
                    ),
                ));
            }
            check_user(&rule.run_as_user, allow_root)
                .map_err(|p| invalid(format!("ou[{i}].run_as_user"), p))?;
            if ou_users
                .insert(rule.id.clone(), rule.run_as_user.clone())
                .is_some()
            {
                return Err(invalid(
                    format!("ou[{i}].id"),
                    format!("OU {} has more than one rule", rule.id),
                ));
            }
        }
        let mut account_users = HashMap::new();
        for (i, rule) in raw.account.iter().enumerate() {
            if !is_account_id(&rule.id) {
                return Err(invalid(
                    format!("account[{i}].id"),
                    format!("{:?} is not a 12-digit account id", rule.id),
                ));
            }
            check_user(&rule.run_as_user, allow_root)
                .map_err(|p| invalid(format!("account[{i}].run_as_user"), p))?;
            if account_users
                .insert(rule.id.clone(), rule.run_as_user.clone())
                .is_some()
            {
                return Err(invalid(
                    format!("account[{i}].id"),
                    format!("account {} has more than one rule", rule.id),
                ));
            }
        }
        for (i, a) in raw.exempt.accounts.iter().enumerate() {
            if !is_account_id(a) {
                return Err(invalid(
                    format!("exempt.accounts[{i}]"),
                    format!("{a:?} is not a 12-digit account id"),
                ));
            }
            if raw.exempt.accounts[..i].contains(a) {
                return Err(invalid(
                    format!("exempt.accounts[{i}]"),
                    format!("{a} is listed twice"),
                ));
            }
            if account_users.contains_key(a) {
                return Err(invalid(
                    format!("exempt.accounts[{i}]"),
                    format!(
                        "{a} also has an [[account]] rule; an account is either governed or exempt"
                    ),
                ));
            }
        }
        for (i, p) in raw.exempt.principals.iter().enumerate() {
            if !p.starts_with("arn:") || p.chars().any(char::is_whitespace) {
                return Err(invalid(
                    format!("exempt.principals[{i}]"),
                    format!("{p:?} is not an ARN pattern (arn:..., * wildcards allowed)"),
                ));
            }
        }
        Ok(Policy {
            member_role: raw.member_role,
            fallback_roles: raw.fallback_roles,
            regions: raw.regions,
            mode: raw.mode,
            default_user: raw.default.run_as_user,
            ou_users,
            account_users,
            exempt_accounts: raw.exempt.accounts,
            exempt_principals: raw.exempt.principals,
        })
    }

    /// `ou_path` runs from the root down to the account's parent.
    pub fn desired(&self, account: &str, ou_path: &[String]) -> Desired {
        if self.is_exempt(account) {
            return Desired::Exempt;
        }
        if let Some(user) = self.account_users.get(account) {
            return Desired::User {
                user: user.clone(),
                source: format!("account {account}"),
            };
        }
        for ou in ou_path.iter().rev() {
            if let Some(user) = self.ou_users.get(ou) {
                return Desired::User {
                    user: user.clone(),
                    source: format!("ou {ou}"),
                };
            }
        }
        Desired::User {
            user: self.default_user.clone(),
            source: "default".into(),
        }
    }

    pub fn is_exempt(&self, account: &str) -> bool {
        self.exempt_accounts.iter().any(|a| a == account)
    }

    pub fn governs_region(&self, region: &str) -> bool {
        self.regions.iter().any(|r| r == region)
    }

    /// Expected editors (e.g. the LZA pipeline roles) are not tamperers.
    pub fn is_expected_editor(&self, actor_arn: &str) -> bool {
        self.exempt_principals
            .iter()
            .any(|p| wildcard_match(p, actor_arn))
    }

    /// Roles runas-guard may use in a member account, in the order it tries them.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.member_role.as_str())
            .chain(self.fallback_roles.iter().map(String::as_str))
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
    use super::*;

    const GOOD: &str = r#"
member_role = "RunAsGuardExecution"
fallback_roles = ["AWSControlTowerExecution", "OrganizationAccountAccessRole"]
regions = ["us-east-1", "eu-west-1"]
mode = "enforce"

[default]
run_as_user = "ssm-ops"

[[ou]]
id = "ou-ab12-work0001"
run_as_user = "workuser"

[[ou]]
id = "ou-ab12-prod0001"
run_as_user = "produser"

[[account]]
id = "111122223333"
run_as_user = "dbadmin"

[exempt]
accounts = ["444455556666"]
principals = ["arn:aws:iam::*:role/AWSAccelerator*"]
"#;

    fn path(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn resolution_order() {
        let p = Policy::parse(GOOD, "p.toml").unwrap();
        let user =
            |acct: &str, ous: &[&str]| p.desired(acct, &path(ous)).user().map(str::to_string);
        assert_eq!(
            user("111122223333", &["r-ab12", "ou-ab12-prod0001"]).as_deref(),
            Some("dbadmin")
        );
        // nested: Workloads/Prod -> Prod's rule; Workloads/Dev -> Workloads' rule
        assert_eq!(
            user(
                "210987654321",
                &["r-ab12", "ou-ab12-work0001", "ou-ab12-prod0001"]
            )
            .as_deref(),
            Some("produser")
        );
        assert_eq!(
            user(
                "210987654321",
                &["r-ab12", "ou-ab12-work0001", "ou-ab12-dev00001"]
            )
            .as_deref(),
            Some("workuser")
        );
        assert_eq!(
            user("210987654321", &["r-ab12"]).as_deref(),
            Some("ssm-ops")
        );
        assert_eq!(user("210987654321", &[]).as_deref(), Some("ssm-ops"));
        assert_eq!(
            p.desired("444455556666", &path(&["r-ab12", "ou-ab12-prod0001"])),
            Desired::Exempt
        );
        assert!(p.is_expected_editor(
            "arn:aws:iam::111122223333:role/AWSAccelerator-CustomizationsRole"
        ));
        assert!(!p.is_expected_editor("arn:aws:iam::111122223333:role/Admin"));
        assert_eq!(
            p.roles().collect::<Vec<_>>(),
            [
                "RunAsGuardExecution",
                "AWSControlTowerExecution",
                "OrganizationAccountAccessRole"
            ]
        );
    }

    #[test]
    fn bad_policies_name_the_key() {
        let cases: Vec<(String, &str)> = vec![
            (
                GOOD.replace("mode = \"enforce\"", "mode = \"enforce\"\ncolour = \"red\""),
                "colour",
            ),
            (GOOD.replace("\"eu-west-1\"", "\"eu-west\""), "regions[1]"),
            (GOOD.replace("\"eu-west-1\"", "\"us-east-1\""), "regions[1]"),
            (
                GOOD.replace("regions = [\"us-east-1\", \"eu-west-1\"]", "regions = []"),
                "regions",
            ),
            (
                GOOD.replace("\"ssm-ops\"", "\"SSM-Ops\""),
                "default.run_as_user",
            ),
            (
                GOOD.replace("\"ssm-ops\"", "\"root\""),
                "default.run_as_user",
            ),
            (
                GOOD.replace("\"ssm-ops\"", "\"1234\""),
                "default.run_as_user",
            ),
            (
                GOOD.replace("\"ssm-ops\"", "\"a;rm -rf\""),
                "default.run_as_user",
            ),
            (
                GOOD.replace("\"ssm-ops\"", &format!("\"{}\"", "a".repeat(33))),
                "default.run_as_user",
            ),
            (GOOD.replace("\"produser\"", "\"\""), "ou[1].run_as_user"),
            (
                GOOD.replace("ou-ab12-prod0001", "ou-ab12-work0001"),
                "ou[1].id",
            ),
            (GOOD.replace("ou-ab12-prod0001", "prod"), "ou[1].id"),
            (
                GOOD.replace("id = \"111122223333\"", "id = \"11112222333\""),
                "account[0].id",
            ),
            (
                GOOD.replace("\"444455556666\"", "\"111122223333\""),
                "exempt.accounts[0]",
            ),
            (
                GOOD.replace(
                    "\"arn:aws:iam::*:role/AWSAccelerator*\"",
                    "\"AWSAccelerator*\"",
                ),
                "exempt.principals[0]",
            ),
            (
                GOOD.replace("\"RunAsGuardExecution\"", "\"Run As\""),
                "member_role",
            ),
            (
                GOOD.replace("mode = \"enforce\"", "mode = \"yolo\""),
                "mode",
            ),
            (
                GOOD.replace("[default]\nrun_as_user = \"ssm-ops\"", ""),
                "default",
            ),
            ("member_role = ".into(), "p.toml"),
        ];
        for (text, key) in cases {
            let err = Policy::parse(&text, "p.toml").unwrap_err().to_string();
            assert!(err.contains(key), "want {key:?} in: {err}");
            assert!(!err.contains('\n'), "one line: {err}");
        }
        let dup = format!("{GOOD}\n[[account]]\nid = \"111122223333\"\nrun_as_user = \"x\"\n");
        assert!(Policy::parse(&dup, "p")
            .unwrap_err()
            .to_string()
            .contains("account[1].id"));
    }

    #[test]
    fn root_needs_allow_root() {
        let text = GOOD.replace("\"ssm-ops\"", "\"root\"").replace(
            "mode = \"enforce\"",
            "mode = \"enforce\"\nallow_root = true",
        );
        assert_eq!(Policy::parse(&text, "p").unwrap().default_user, "root");
    }

    #[test]
    fn user_names() {
        for ok in [
            "a",
            "_x",
            "ssm-user",
            "ec2-user",
            "svc$",
            "u1",
            &"a".repeat(32),
        ] {
            assert!(check_user(ok, false).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1",
            "Ab",
            "-a",
            "a b",
            "a;b",
            "a$b",
            "$",
            "ü",
            "a\n",
            &"a".repeat(33),
        ] {
            assert!(check_user(bad, false).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn wildcards() {
        let cases = [
            (
                "arn:aws:iam::*:role/AWSAccelerator*",
                "arn:aws:iam::1:role/AWSAcceleratorX",
                true,
            ),
            (
                "arn:aws:iam::*:role/AWSAccelerator*",
                "arn:aws:iam::1:role/Admin",
                false,
            ),
            ("*", "anything", true),
            ("a*b*c", "abc", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "acb", false),
            ("ab*ba", "aba", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
        ];
        for (p, t, want) in cases {
            assert_eq!(wildcard_match(p, t), want, "{p} ~ {t}");
        }
    }

    #[test]
    fn ou_ids() {
        assert!(is_ou_id("ou-ab12-prod0001"));
        assert!(is_ou_id("r-ab12"));
        assert!(!is_ou_id("ou-ab12"));
        assert!(!is_ou_id("ou-AB12-prod0001"));
        assert!(!is_ou_id("ou-ab12-prod"));
    }
}
