//! Policy file (TOML) -> validated [`Policy`] -> desired state for an account.
//!
//! Everything is checked at load so that a bad policy stops the function at
//! start with the offending key named, instead of failing account by account.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::trigger::{is_account_id, is_region_name, DOCUMENT_NAME};

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
    // Off unless chosen: administrator roles are a choice (hub.yaml FallbackRoles).
    #[serde(default)]
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
    #[serde(default)]
    document: Vec<RawDocument>,
}

/// A named Session document (one per permission set), kept like the default one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    name: String,
    run_as_user: String,
    #[serde(default)]
    inherit: Option<String>,
    #[serde(default)]
    ou: Vec<RawScoped>,
    #[serde(default)]
    account: Vec<RawScoped>,
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
    /// `[[document]]` entries, in file order.
    pub documents: Vec<NamedDocument>,
}

/// A named Session document runas-guard creates and keeps in every governed
/// account-region, with its own Run As user (resolved like the default
/// document's: account rule, nearest OU, its own default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedDocument {
    pub name: String,
    pub default_user: String,
    /// Every input other than RunAs follows `SSM-SessionManagerRunShell`'s
    /// latest version in the same account-region.
    pub inherit: bool,
    ou_users: HashMap<String, String>,
    account_users: HashMap<String, String>,
}

impl NamedDocument {
    pub fn ou_ids(&self) -> impl Iterator<Item = &String> {
        self.ou_users.keys()
    }

    pub fn account_ids(&self) -> impl Iterator<Item = &String> {
        self.account_users.keys()
    }

    /// How many OU and account rules choose another user than its own.
    pub fn overrides(&self) -> usize {
        self.ou_users.len() + self.account_users.len()
    }
}

/// One governed document in one account: what its RunAs should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `None` for `SSM-SessionManagerRunShell`.
    pub document: Option<String>,
    pub user: String,
    /// Which rule chose the user.
    pub source: String,
    pub inherit: bool,
}

impl Target {
    pub fn name(&self) -> &str {
        self.document.as_deref().unwrap_or(DOCUMENT_NAME)
    }
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

/// AWS's patterns: `ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}` and the root's
/// `r-[0-9a-z]{4,32}`.
pub fn is_ou_id(s: &str) -> bool {
    let valid = |p: &str, min: usize| {
        (min..=32).contains(&p.len())
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    match s.strip_prefix("ou-").and_then(|r| r.split_once('-')) {
        Some((root, rest)) => valid(root, 4) && valid(rest, 8),
        None => s.strip_prefix("r-").is_some_and(|r| valid(r, 4)),
    }
}

/// Every AWS region name runas-guard knows: the commercial partition, AWS
/// GovCloud (US), China, the European Sovereign Cloud and the isolated
/// partitions. A region AWS opens later needs a new entry here.
pub const KNOWN_REGIONS: &[&str] = &[
    // aws
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    // aws-us-gov
    "us-gov-east-1",
    "us-gov-west-1",
    // aws-cn
    "cn-north-1",
    "cn-northwest-1",
    // aws-eusc
    "eusc-de-east-1",
    // isolated partitions
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isof-east-1",
    "us-isof-south-1",
    "eu-isoe-west-1",
];

/// A real AWS region name (see [`KNOWN_REGIONS`]).
pub fn is_known_region(s: &str) -> bool {
    KNOWN_REGIONS.contains(&s)
}

/// A value quoted for an error message, cut to 40 characters (with its
/// length) so that a huge value still gives one short line.
fn shorten(value: &str) -> String {
    const SHOWN: usize = 40;
    let count = value.chars().count();
    if count <= SHOWN {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(SHOWN).collect();
        format!("{head:?}... ({count} characters)")
    }
}

/// A bad key and what is wrong with it; [`Policy::parse`] adds the file.
type Problem = (String, String);

fn check_roles(member_role: &str, fallback_roles: &[String]) -> Result<(), Problem> {
    if !is_role_name(member_role) {
        return Err((
            "member_role".into(),
            format!("{member_role:?} is not an IAM role name"),
        ));
    }
    for (i, r) in fallback_roles.iter().enumerate() {
        if !is_role_name(r) {
            return Err((
                format!("fallback_roles[{i}]"),
                format!("{r:?} is not an IAM role name"),
            ));
        }
    }
    Ok(())
}

fn check_regions(regions: &[String]) -> Result<(), Problem> {
    if regions.is_empty() {
        return Err(("regions".into(), "must name at least one region".into()));
    }
    for (i, r) in regions.iter().enumerate() {
        if !is_region_name(r) {
            return Err((
                format!("regions[{i}]"),
                format!("{} is not a region name", shorten(r)),
            ));
        }
        // A well-formed name this build does not know is a region AWS opened
        // since: accepted, with a warning (see `Policy::warnings`).
        if regions[..i].contains(r) {
            return Err((format!("regions[{i}]"), format!("{r} is listed twice")));
        }
    }
    Ok(())
}

fn ou_rules(
    prefix: &str,
    rules: &[RawScoped],
    allow_root: bool,
) -> Result<HashMap<String, String>, Problem> {
    let mut users = HashMap::new();
    for (i, rule) in rules.iter().enumerate() {
        if !is_ou_id(&rule.id) {
            return Err((
                format!("{prefix}ou[{i}].id"),
                format!(
                    "{} is not an OU id (ou-[0-9a-z]{{4,32}}-[a-z0-9]{{8,32}}) or root id (r-[0-9a-z]{{4,32}})",
                    shorten(&rule.id)
                ),
            ));
        }
        check_user(&rule.run_as_user, allow_root)
            .map_err(|p| (format!("{prefix}ou[{i}].run_as_user"), p))?;
        if users
            .insert(rule.id.clone(), rule.run_as_user.clone())
            .is_some()
        {
            return Err((
                format!("{prefix}ou[{i}].id"),
                format!("OU {} has more than one rule", rule.id),
            ));
        }
    }
    Ok(users)
}

fn account_rules(
    prefix: &str,
    rules: &[RawScoped],
    allow_root: bool,
) -> Result<HashMap<String, String>, Problem> {
    let mut users = HashMap::new();
    for (i, rule) in rules.iter().enumerate() {
        if !is_account_id(&rule.id) {
            return Err((
                format!("{prefix}account[{i}].id"),
                format!("{} is not a 12-digit account id", shorten(&rule.id)),
            ));
        }
        check_user(&rule.run_as_user, allow_root)
            .map_err(|p| (format!("{prefix}account[{i}].run_as_user"), p))?;
        if users
            .insert(rule.id.clone(), rule.run_as_user.clone())
            .is_some()
        {
            return Err((
                format!("{prefix}account[{i}].id"),
                format!("account {} has more than one rule", rule.id),
            ));
        }
    }
    Ok(users)
}

fn check_exempt(
    exempt: &RawExempt,
    account_users: &HashMap<String, String>,
) -> Result<(), Problem> {
    for (i, a) in exempt.accounts.iter().enumerate() {
        let key = || format!("exempt.accounts[{i}]");
        if !is_account_id(a) {
            return Err((
                key(),
                format!("{} is not a 12-digit account id", shorten(a)),
            ));
        }
        if exempt.accounts[..i].contains(a) {
            return Err((key(), format!("{a} is listed twice")));
        }
        if account_users.contains_key(a) {
            return Err((
                key(),
                format!(
                    "{a} also has an [[account]] rule; an account is either governed or exempt"
                ),
            ));
        }
    }
    for (i, p) in exempt.principals.iter().enumerate() {
        if !p.starts_with("arn:") || p.chars().any(char::is_whitespace) {
            return Err((
                format!("exempt.principals[{i}]"),
                format!("{p:?} is not an ARN pattern (arn:..., * wildcards allowed)"),
            ));
        }
    }
    Ok(())
}

/// SSM's pattern for document names: `[a-zA-Z0-9_.-]{3,128}`.
pub fn is_document_name(s: &str) -> bool {
    (3..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

/// Names AWS keeps for its own documents (any case).
fn is_reserved_document_name(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    ["aws", "amazon", "amzn"]
        .iter()
        .any(|p| lower.starts_with(p))
}

fn named_documents(
    raw: &[RawDocument],
    exempt: &RawExempt,
    allow_root: bool,
) -> Result<Vec<NamedDocument>, Problem> {
    let mut documents: Vec<NamedDocument> = Vec::new();
    for (i, d) in raw.iter().enumerate() {
        let key = |k: &str| format!("document[{i}].{k}");
        if !is_document_name(&d.name) {
            return Err((
                key("name"),
                format!(
                    "{} is not an SSM document name (3 to 128 of a-z A-Z 0-9 _ . -)",
                    shorten(&d.name)
                ),
            ));
        }
        if d.name == DOCUMENT_NAME {
            return Err((
                key("name"),
                format!("{DOCUMENT_NAME} is always governed (by [default], [[ou]] and [[account]]); name another document"),
            ));
        }
        if is_reserved_document_name(&d.name) {
            return Err((
                key("name"),
                format!(
                    "{:?} starts with a prefix AWS reserves (aws, amazon, amzn)",
                    d.name
                ),
            ));
        }
        if documents.iter().any(|o| o.name == d.name) {
            return Err((key("name"), format!("{} is listed twice", d.name)));
        }
        check_user(&d.run_as_user, allow_root).map_err(|p| (key("run_as_user"), p))?;
        let inherit = match d.inherit.as_deref() {
            None => false,
            Some(DOCUMENT_NAME) => true,
            Some(other) => {
                return Err((
                    key("inherit"),
                    format!(
                        "{} cannot be inherited; only {DOCUMENT_NAME:?} can",
                        shorten(other)
                    ),
                ))
            }
        };
        let prefix = format!("document[{i}].");
        let ou_users = ou_rules(&prefix, &d.ou, allow_root)?;
        let account_users = account_rules(&prefix, &d.account, allow_root)?;
        for (j, rule) in d.account.iter().enumerate() {
            if exempt.accounts.contains(&rule.id) {
                return Err((
                    format!("{prefix}account[{j}].id"),
                    format!(
                        "{} is exempt; an account is either governed or exempt",
                        rule.id
                    ),
                ));
            }
        }
        documents.push(NamedDocument {
            name: d.name.clone(),
            default_user: d.run_as_user.clone(),
            inherit,
            ou_users,
            account_users,
        });
    }
    Ok(documents)
}

/// AWS caps a session policy at 2,048 characters; the member session's
/// names every governed document, so too many (or too long) names would
/// make every AssumeRole fail. Checked with the longest partition name.
fn check_session_policy(regions: &[String], documents: &[NamedDocument]) -> Result<(), Problem> {
    let names: Vec<&str> = std::iter::once(DOCUMENT_NAME)
        .chain(documents.iter().map(|d| d.name.as_str()))
        .collect();
    let length = crate::aws::sts::session_policy("aws-iso-b", "000000000000", regions, &names)
        .chars()
        .count();
    if length > crate::aws::sts::SESSION_POLICY_LIMIT {
        return Err((
            "document".into(),
            format!(
                "{} documents in {} regions make a {length}-character session policy; AWS allows {}: govern fewer documents or regions, or use shorter names",
                names.len(),
                regions.len(),
                crate::aws::sts::SESSION_POLICY_LIMIT
            ),
        ));
    }
    Ok(())
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
        let invalid = |(key, problem): Problem| PolicyError::Invalid {
            path: path.to_string(),
            key,
            problem,
        };
        let allow_root = raw.allow_root;
        check_roles(&raw.member_role, &raw.fallback_roles).map_err(invalid)?;
        check_regions(&raw.regions).map_err(invalid)?;
        check_user(&raw.default.run_as_user, allow_root)
            .map_err(|p| invalid(("default.run_as_user".into(), p)))?;
        let ou_users = ou_rules("", &raw.ou, allow_root).map_err(invalid)?;
        let account_users = account_rules("", &raw.account, allow_root).map_err(invalid)?;
        check_exempt(&raw.exempt, &account_users).map_err(invalid)?;
        let documents = named_documents(&raw.document, &raw.exempt, allow_root).map_err(invalid)?;
        check_session_policy(&raw.regions, &documents).map_err(invalid)?;
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
            documents,
        })
    }

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

    /// `SSM-SessionManagerRunShell` and every `[[document]]` name.
    pub fn document_names(&self) -> Vec<&str> {
        std::iter::once(DOCUMENT_NAME)
            .chain(self.documents.iter().map(|d| d.name.as_str()))
            .collect()
    }

    pub fn governs_document(&self, name: &str) -> bool {
        self.document_names().contains(&name)
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

    /// OU ids with a rule of their own.
    pub fn ou_ids(&self) -> impl Iterator<Item = &String> {
        self.ou_users.keys()
    }

    /// Account ids with a rule of their own.
    pub fn account_ids(&self) -> impl Iterator<Item = &String> {
        self.account_users.keys()
    }

    pub fn exempt_account_ids(&self) -> impl Iterator<Item = &String> {
        self.exempt_accounts.iter()
    }

    /// What is accepted but worth saying: governed regions this build does
    /// not know (a region AWS opened since it was built, or a typo of one
    /// that is well-formed). `policy check`, `doctor` and the function's log
    /// show them.
    pub fn warnings(&self) -> Vec<String> {
        self.regions
            .iter()
            .enumerate()
            .filter(|(_, r)| !is_known_region(r))
            .map(|(i, r)| {
                format!("`regions[{i}]`: {r} is not a region this build knows; governed as given (check the spelling, and that the region is enabled: runas-guard doctor)")
            })
            .collect()
    }

    /// Roles runas-guard may use in a member account, in the order it tries them.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.member_role.as_str())
            .chain(self.fallback_roles.iter().map(String::as_str))
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

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
