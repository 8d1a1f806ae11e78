//! Reading a policy file and turning it into a [`Policy`]: TOML into the raw
//! shapes, then every check in file order, the first failure naming its key.

use std::path::Path;

use super::canary::check_canary;
use super::documents::named_documents;
use super::held::check_held_alert_after;
use super::raw::RawPolicy;
use super::regions::check_regions;
use super::scope::{check_default, check_exempt_ous, check_gate, check_scope};
use super::user_name::check_user;
use super::validate::{
    account_rules, check_exempt, check_identity_center, check_nodes, check_operator_role,
    check_roles, check_session_policy, ou_rules, Problem,
};
use super::{Policy, PolicyError};

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
        from_raw(raw).map_err(|problems| {
            let more = match problems.len() {
                1 => String::new(),
                // The path may be an S3 URL: the command takes a local copy.
                n => format!(
                    " (and {} more: `runas-guard policy check` on the file lists every one)",
                    n - 1
                ),
            };
            let (key, problem) = problems.into_iter().next().expect("one at least");
            PolicyError::Invalid {
                path: path.to_string(),
                key,
                problem: problem + &more,
            }
        })
    }
}

/// Every check runs, each pushing what it refuses, so one pass finds every
/// problem; they come in this order, so the first is the first bad key a
/// reader meets going down the file's sections (the one a load names).
pub(super) fn from_raw(mut raw: RawPolicy) -> Result<Policy, Vec<Problem>> {
    let users = raw.user_rules();
    let mut out = Vec::new();
    keep(&mut out, check_roles(&raw.member_role, &raw.fallback_roles));
    keep(
        &mut out,
        check_operator_role(
            raw.operator_role.as_deref(),
            &raw.member_role,
            &raw.fallback_roles,
        ),
    );
    check_regions(&raw.regions, &mut out);
    let scope = check_scope(raw.scope.as_ref(), &mut out);
    keep(&mut out, check_default(&raw));
    if let Some(default) = &raw.default {
        if let Err(p) = check_user(&default.run_as_user, users) {
            out.push(("default.run_as_user".to_string(), p));
        }
    }
    let ou_users = ou_rules("", &raw.ou, users, &mut out);
    let account_users = account_rules("", &raw.account, users, &mut out);
    check_exempt(&raw.exempt, &account_users, &mut out);
    check_exempt_ous(&raw.exempt.ous, scope.as_ref(), &mut out);
    let documents = named_documents(&raw.document, &raw.exempt, users, &mut out);
    let check_document = keep(&mut out, check_nodes(&raw.nodes, &documents));
    let held_alert_after = keep(&mut out, check_held_alert_after(&raw.nodes));
    check_gate(&raw, &mut out);
    keep(
        &mut out,
        check_session_policy(
            &raw.regions,
            &documents,
            check_document.as_ref().and_then(|d| d.as_deref()),
            extras(&raw),
        ),
    );
    let identity_center = keep(&mut out, check_identity_center(raw.identity_center.take()));
    let canary = keep(&mut out, check_canary(raw.forwarding_canary.as_ref()));
    match (check_document, held_alert_after, canary, identity_center) {
        (Some(check_document), Some(held_alert_after), Some(canary), Some(identity_center))
            if out.is_empty() =>
        {
            let parts = Checked {
                scope,
                ou_users,
                account_users,
                documents,
                check_document,
                held_alert_after,
                identity_center,
                canary,
            };
            Ok(assemble(raw, parts))
        }
        _ => Err(out),
    }
}

/// What the file turns on beyond the documents and the check, as the
/// session policy grants it.
fn extras(raw: &RawPolicy) -> crate::domain::session_policy::Extras {
    crate::domain::session_policy::Extras {
        list_principals: raw.run_as_tags.sweep,
        canary: raw.forwarding_canary.as_ref().is_some_and(|c| c.enabled),
        findings: raw.security_hub.findings,
    }
}

/// A check's result kept, its problem pushed.
fn keep<T>(out: &mut Vec<Problem>, result: Result<T, Problem>) -> Option<T> {
    result.map_err(|p| out.push(p)).ok()
}

/// What the checks made of the raw file, for [`assemble`].
struct Checked {
    scope: Option<super::Scope>,
    ou_users: std::collections::HashMap<String, super::Rule>,
    account_users: std::collections::HashMap<String, super::Rule>,
    documents: Vec<super::NamedDocument>,
    check_document: Option<String>,
    held_alert_after: std::time::Duration,
    identity_center: Option<crate::domain::identity_center::Declared>,
    canary: Option<crate::domain::canary::Settings>,
}

fn assemble(raw: RawPolicy, c: Checked) -> Policy {
    Policy {
        member_role: raw.member_role,
        fallback_roles: raw.fallback_roles,
        operator_role: raw.operator_role,
        regions: raw.regions,
        mode: raw.mode,
        default_user: raw.default.map(|d| d.run_as_user),
        directory_users: raw.directory_users,
        ou_users: c.ou_users,
        account_users: c.account_users,
        scope: c.scope,
        exempt_accounts: raw.exempt.accounts,
        exempt_ous: raw.exempt.ous,
        exempt_principals: raw.exempt.principals,
        documents: c.documents,
        check_document: c.check_document,
        held_alert_after: c.held_alert_after,
        sweep_session_documents: raw.session_documents.sweep,
        identity_center: c.identity_center,
        sweep_run_as_tags: raw.run_as_tags.sweep,
        security_hub_findings: raw.security_hub.findings,
        canary: c.canary,
    }
}
