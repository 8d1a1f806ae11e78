//! Reading a policy file and turning it into a [`Policy`]: TOML into the raw
//! shapes, then every check in file order, the first failure naming its key.

use std::path::Path;

use super::canary::check_canary;
use super::documents::named_documents;
use super::held::check_held_alert_after;
use super::raw::RawPolicy;
use super::regions::check_regions;
use super::scope::{check_default, check_exempt_ous, check_gate, check_scope};
use super::validate::{
    account_rules, check_exempt, check_identity_center, check_nodes, check_operator_role,
    check_roles, check_session_policy, check_user, ou_rules, Problem,
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
        from_raw(raw).map_err(|(key, problem)| PolicyError::Invalid {
            path: path.to_string(),
            key,
            problem,
        })
    }
}

/// The checks run in this order, so the key an error names is the first bad
/// one a reader meets going down the file's sections.
pub(super) fn from_raw(raw: RawPolicy) -> Result<Policy, Problem> {
    let allow_root = raw.allow_root;
    check_roles(&raw.member_role, &raw.fallback_roles)?;
    check_operator_role(
        raw.operator_role.as_deref(),
        &raw.member_role,
        &raw.fallback_roles,
    )?;
    check_regions(&raw.regions)?;
    let scope = check_scope(raw.scope.as_ref())?;
    check_default(&raw)?;
    if let Some(default) = &raw.default {
        check_user(&default.run_as_user, allow_root)
            .map_err(|p| ("default.run_as_user".to_string(), p))?;
    }
    let ou_users = ou_rules("", &raw.ou, allow_root)?;
    let account_users = account_rules("", &raw.account, allow_root)?;
    check_exempt(&raw.exempt, &account_users)?;
    check_exempt_ous(&raw.exempt.ous, scope.as_ref())?;
    let documents = named_documents(&raw.document, &raw.exempt, allow_root)?;
    let check_document = check_nodes(&raw.nodes, &documents)?;
    let held_alert_after = check_held_alert_after(&raw.nodes)?;
    check_gate(&raw)?;
    check_session_policy(
        &raw.regions,
        &documents,
        check_document.as_deref(),
        raw.run_as_tags.sweep,
        raw.forwarding_canary.as_ref().is_some_and(|c| c.enabled),
    )?;
    let identity_center = check_identity_center(raw.identity_center)?;
    let canary = check_canary(raw.forwarding_canary.as_ref())?;
    Ok(Policy {
        member_role: raw.member_role,
        fallback_roles: raw.fallback_roles,
        operator_role: raw.operator_role,
        regions: raw.regions,
        mode: raw.mode,
        default_user: raw.default.map(|d| d.run_as_user),
        ou_users,
        account_users,
        scope,
        exempt_accounts: raw.exempt.accounts,
        exempt_ous: raw.exempt.ous,
        exempt_principals: raw.exempt.principals,
        documents,
        check_document,
        held_alert_after,
        sweep_session_documents: raw.session_documents.sweep,
        identity_center,
        sweep_run_as_tags: raw.run_as_tags.sweep,
        canary,
    })
}
