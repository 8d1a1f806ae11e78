//! Policy file (TOML) -> validated [`Policy`] -> desired state for an account.
//!
//! Everything is checked at load so that a bad policy stops the function at
//! start with the offending key named, instead of failing account by account.
//! The model lives here; `raw` is the file's shape, `load` turns it into a
//! `Policy` through the checks in `validate` and `regions`, and
//! `resolve` answers what an account should have.

pub mod ids;
mod load;
mod raw;
mod regions;
mod resolve;
mod users;
mod validate;

use std::collections::HashMap;

use serde::Deserialize;

use crate::trigger::DOCUMENT_NAME;

pub use regions::{is_known_region, KNOWN_REGIONS};
pub use resolve::wildcard_match;
pub use validate::{check_user, is_document_name, is_ou_id};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Enforce,
    Audit,
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
    /// `[nodes] check_user`: the check document whose association
    /// runas-guard keeps in every governed account-region; `None` when off.
    pub check_document: Option<String>,
    /// `[session_documents] sweep`: sweeps list every customer `Session`
    /// document for ones that skip Run As (events always look).
    pub sweep_session_documents: bool,
    /// `[run_as_tags] sweep`: sweeps list every role and user of each
    /// account for an `SSMSessionRunAs` tag (events always look).
    pub sweep_run_as_tags: bool,
    /// `[identity_center]`: the declared access-control attribute mapping.
    pub identity_center: Option<crate::identity_center::Declared>,
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

impl Policy {
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
        let mut out = regions::unknown_region_warnings(&self.regions);
        out.extend(self.identity_center_warnings());
        out
    }

    /// An `SSMSessionRunAs` source that cannot give each user one value of
    /// their own, and an enforce that audit mode keeps from writing.
    fn identity_center_warnings(&self) -> Vec<String> {
        use crate::identity_center::sources::{run_as_source_warning, RUN_AS_KEY};
        let Some(ic) = &self.identity_center else {
            return vec![];
        };
        let mut out: Vec<String> = ic
            .attributes
            .0
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(RUN_AS_KEY))
            .filter_map(|(k, v)| {
                run_as_source_warning(v).map(|w| format!("`identity_center.attributes.{k}`: {w}"))
            })
            .collect();
        if ic.mode == crate::identity_center::KeepMode::Enforce && self.mode == Mode::Audit {
            out.push("`identity_center.mode`: enforce, but the policy's mode is audit, which never writes: drift is alerted, not put back".into());
        }
        out
    }

    /// What runas-guard does about Identity Center drift: audit mode never writes.
    pub fn identity_center_mode(&self) -> crate::identity_center::KeepMode {
        match (self.mode, self.identity_center.as_ref().map(|ic| ic.mode)) {
            (Mode::Enforce, Some(m)) => m,
            _ => crate::identity_center::KeepMode::Alert,
        }
    }

    /// Run As users that validate but cannot work on a node (`ssm-user`) or
    /// should not (`root`), each with where the policy names it.
    /// `policy check` and `doctor` (`policy users`) show them.
    pub fn user_warnings(&self) -> Vec<String> {
        users::user_warnings(self)
    }

    /// Roles runas-guard may use in a member account, in the order it tries them.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.member_role.as_str())
            .chain(self.fallback_roles.iter().map(String::as_str))
    }
}

#[cfg(test)]
mod tests;
