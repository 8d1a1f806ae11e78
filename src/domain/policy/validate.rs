//! The checks a policy passes at load. Each returns the key it refuses (as
//! written in the file: `ou[1].id`, `document[0].inherit`) with what is wrong.

use std::collections::HashMap;

use crate::domain::trigger::{is_account_id, DOCUMENT_NAME};

use super::raw::RawIdentityCenter;
use super::raw::{RawExempt, RawNodes, RawScoped};
pub(super) use super::shown::shorten;
use super::user_name::{check_user, UserRules};
use super::{NamedDocument, Rule};

/// A bad key and what is wrong with it; [`super::Policy::parse`] adds the file.
pub(super) type Problem = (String, String);

pub fn is_role_name(s: &str) -> bool {
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

/// SSM's pattern for document names: `[a-zA-Z0-9_.-]{3,128}`.
pub fn is_document_name(s: &str) -> bool {
    (3..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

/// Names AWS keeps for its own documents (any case).
pub(super) fn is_reserved_document_name(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    ["aws", "amazon", "amzn"]
        .iter()
        .any(|p| lower.starts_with(p))
}

pub(super) fn check_roles(member_role: &str, fallback_roles: &[String]) -> Result<(), Problem> {
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

/// `operator_role`: a role name, and not one of the roles runas-guard
/// writes with: a read-only seat that is the member role would be no seat.
pub(super) fn check_operator_role(
    role: Option<&str>,
    member_role: &str,
    fallback_roles: &[String],
) -> Result<(), Problem> {
    let Some(role) = role else { return Ok(()) };
    let problem = |p: String| Err(("operator_role".to_string(), p));
    if !is_role_name(role) {
        return problem(format!(
            "{role:?} is not an IAM role name (1-64 of A-Z a-z 0-9 + = , . @ _ -): name the member stack's OperatorRoleName, such as \"RunAsGuardOperatorRead\""
        ));
    }
    if role == member_role || fallback_roles.iter().any(|f| f == role) {
        return problem(format!(
            "{role:?} is a role runas-guard writes with (member_role or fallback_roles): name the member stack's read-only OperatorRoleName, such as \"RunAsGuardOperatorRead\""
        ));
    }
    Ok(())
}

/// How one kind of scoped rule is keyed: the table's name in the policy,
/// what its rules are called in messages, and what a valid id is.
struct RuleKind {
    table: &'static str,
    noun: &'static str,
    valid: fn(&str) -> bool,
    expected: &'static str,
}

const OU_RULES: RuleKind = RuleKind {
    table: "ou",
    noun: "OU",
    valid: is_ou_id,
    expected: "an OU id (ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}) or root id (r-[0-9a-z]{4,32})",
};

const ACCOUNT_RULES: RuleKind = RuleKind {
    table: "account",
    noun: "account",
    valid: is_account_id,
    expected: "a 12-digit account id",
};

pub(super) fn ou_rules(
    prefix: &str,
    rules: &[RawScoped],
    users: UserRules,
    out: &mut Vec<Problem>,
) -> HashMap<String, Rule> {
    scoped_rules(&OU_RULES, prefix, rules, users, out)
}

pub(super) fn account_rules(
    prefix: &str,
    rules: &[RawScoped],
    users: UserRules,
    out: &mut Vec<Problem>,
) -> HashMap<String, Rule> {
    scoped_rules(&ACCOUNT_RULES, prefix, rules, users, out)
}

/// Each rule's id well-formed and used once, setting a valid user, a mode
/// or both: id -> rule. Every problem of every rule goes to `out`.
fn scoped_rules(
    kind: &RuleKind,
    prefix: &str,
    rules: &[RawScoped],
    names: UserRules,
    out: &mut Vec<Problem>,
) -> HashMap<String, Rule> {
    let mut users = HashMap::new();
    for (i, rule) in rules.iter().enumerate() {
        let key = |field: &str| format!("{prefix}{}[{i}].{field}", kind.table);
        if !(kind.valid)(&rule.id) {
            out.push((
                key("id"),
                format!("{} is not {}", shorten(&rule.id), kind.expected),
            ));
        }
        match (&rule.run_as_user, rule.mode) {
            (Some(user), _) => {
                if let Err(p) = check_user(user, names) {
                    out.push((key("run_as_user"), p));
                }
            }
            (None, Some(_)) => {}
            (None, None) => out.push((
                format!("{prefix}{}[{i}]", kind.table),
                format!(
                    "the rule for {} sets neither run_as_user nor mode",
                    shorten(&rule.id)
                ),
            )),
        }
        let set = Rule {
            user: rule.run_as_user.clone(),
            mode: rule.mode,
        };
        if users.insert(rule.id.clone(), set).is_some() {
            out.push((
                key("id"),
                format!("{} {} has more than one rule", kind.noun, shorten(&rule.id)),
            ));
        }
    }
    users
}

pub(super) fn check_exempt(
    exempt: &RawExempt,
    account_users: &HashMap<String, Rule>,
    out: &mut Vec<Problem>,
) {
    for (i, a) in exempt.accounts.iter().enumerate() {
        let key = || format!("exempt.accounts[{i}]");
        if !is_account_id(a) {
            out.push((
                key(),
                format!("{} is not a 12-digit account id", shorten(a)),
            ));
        } else if exempt.accounts[..i].contains(a) {
            out.push((key(), format!("{a} is listed twice")));
        } else if account_users.contains_key(a) {
            out.push((
                key(),
                format!(
                    "{a} also has an [[account]] rule; an account is either governed or exempt"
                ),
            ));
        }
    }
    for (i, p) in exempt.principals.iter().enumerate() {
        if !p.starts_with("arn:") || p.chars().any(char::is_whitespace) {
            out.push((
                format!("exempt.principals[{i}]"),
                format!("{p:?} is not an ARN pattern (arn:..., * wildcards allowed)"),
            ));
        }
    }
}

/// AWS caps a session policy at 2,048 characters; the member session's
/// names every governed document, so too many (or too long) names would
/// make every AssumeRole fail. Checked with the longest partition name.
/// `[nodes]`: the check document when the check is on. Its name is a
/// document name of its own, never a governed Session document's.
pub(super) fn check_nodes(
    raw: &RawNodes,
    documents: &[NamedDocument],
) -> Result<Option<String>, Problem> {
    let name = raw
        .document
        .clone()
        .unwrap_or_else(|| crate::domain::trigger::CHECK_DOCUMENT.to_string());
    if !is_document_name(&name) {
        return Err((
            "nodes.document".into(),
            format!("{name:?} is not a document name (3-128 of A-Z a-z 0-9 _ - .)"),
        ));
    }
    if name == DOCUMENT_NAME || documents.iter().any(|d| d.name == name) {
        return Err((
            "nodes.document".into(),
            format!(
                "{name:?} is a governed Session document; the check needs its own Command document"
            ),
        ));
    }
    Ok(raw.check_user.then_some(name))
}

pub(super) fn check_session_policy(
    regions: &[String],
    documents: &[NamedDocument],
    check_document: Option<&str>,
    extras: crate::domain::session_policy::Extras,
) -> Result<(), Problem> {
    let names: Vec<&str> = std::iter::once(DOCUMENT_NAME)
        .chain(documents.iter().map(|d| d.name.as_str()))
        .collect();
    let length = crate::domain::session_policy::session_policy(
        "aws-iso-b",
        "000000000000",
        regions,
        &names,
        check_document,
        extras,
    )
    .chars()
    .count();
    if length > crate::domain::session_policy::SESSION_POLICY_LIMIT {
        return Err((
            "document".into(),
            format!(
                "{} documents in {} regions make a {length}-character session policy; AWS allows {}: govern fewer documents or regions, or use shorter names",
                names.len(),
                regions.len(),
                crate::domain::session_policy::SESSION_POLICY_LIMIT
            ),
        ));
    }
    Ok(())
}

/// `[identity_center]`: the API model's limits, so a declaration enforce
/// could never write is refused at load, naming the key.
pub(super) fn check_identity_center(
    raw: Option<RawIdentityCenter>,
) -> Result<Option<crate::domain::identity_center::Declared>, Problem> {
    use crate::domain::identity_center::sources::{
        check_instance_arn, check_key, check_source, MAX_ATTRIBUTES,
    };
    let Some(raw) = raw else { return Ok(None) };
    if !crate::domain::ids::is_region_name(&raw.region) {
        return Err((
            "identity_center.region".into(),
            format!(
                "{} is not a region name (Identity Center's home region)",
                shorten(&raw.region)
            ),
        ));
    }
    if let Some(arn) = &raw.instance_arn {
        check_instance_arn(arn).map_err(|p| ("identity_center.instance_arn".to_string(), p))?;
    }
    if raw.attributes.len() > MAX_ATTRIBUTES {
        return Err((
            "identity_center.attributes".into(),
            format!(
                "{} attributes; Identity Center allows {MAX_ATTRIBUTES}",
                raw.attributes.len()
            ),
        ));
    }
    for (key, source) in &raw.attributes {
        // As TOML names it: bare when it can be, quoted otherwise.
        let bare = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        let shown = if bare { key.clone() } else { shorten(key) };
        let place = format!("identity_center.attributes.{shown}");
        check_key(key).map_err(|p| (place.clone(), p))?;
        check_source(source).map_err(|p| (place, p))?;
    }
    Ok(Some(crate::domain::identity_center::Declared {
        region: raw.region,
        instance_arn: raw.instance_arn,
        mode: raw.mode,
        attributes: crate::domain::identity_center::Mapping(raw.attributes),
    }))
}
