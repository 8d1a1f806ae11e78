//! Policy file (TOML) -> validated [`Policy`] -> desired state for an account.
//!
//! Everything is checked at load so that a bad policy stops the function at
//! start with the offending key named, instead of failing account by account.
//! The model lives here; `raw` is the file's shape, `load` turns it into a
//! `Policy` through the checks in `validate` and `regions`, and
//! `resolve` answers what an account should have. `check` is what `policy
//! check` reports: the same checks, each finding located in the file
//! (`spans`, `diagnostic`), with what was probably meant (`suggest`).

mod canary;
pub mod check;
pub mod diagnostic;
mod documents;
mod findings;
mod held;
pub mod ids;
mod load;
mod never_applies;
mod org_check;
mod prune;
mod raw;
mod regions;
mod resolve;
mod schema;
mod scope;
mod shown;
mod spans;
mod suggest;
pub mod summary;
pub mod user_name;
mod users;
mod validate;

use std::collections::HashMap;

use serde::Deserialize;

use crate::domain::trigger::DOCUMENT_NAME;

pub use regions::{ungoverned_filter, KNOWN_REGIONS};
pub use resolve::wildcard_match;
pub use user_name::{check_user, UserRules};
pub use validate::{is_ou_id, is_role_name};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    #[default]
    Enforce,
    Audit,
    /// Audit until the run-as user check reports every checked node has
    /// the user (or there are no Linux or macOS nodes), then enforce.
    EnforceWhenReady,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Audit => "audit",
            Mode::EnforceWhenReady => "enforce-when-ready",
        }
    }
}

/// What one `[[ou]]` or `[[account]]` rule sets (at least one of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub user: Option<String>,
    pub mode: Option<Mode>,
}

/// `[scope]`: the OUs (with every OU below them) and accounts the policy
/// governs. Without it, the whole organization.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    pub ous: Vec<String>,
    pub accounts: Vec<String>,
}

/// Where an account stands under the policy, before any user is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Governed,
    Exempt,
    OutOfScope,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub member_role: String,
    pub fallback_roles: Vec<String>,
    /// `operator_role`: the member stack's read-only role for operators,
    /// taken by the CLI's read-only commands (never by the function).
    pub operator_role: Option<String>,
    pub regions: Vec<String>,
    pub mode: Mode,
    /// `[default]`; optional only with a scope.
    pub default_user: Option<String>,
    /// `directory_users = true`: Run As users may be directory names
    /// (`user@domain`, `DOMAIN\user`, any case), see [`user_name`].
    pub directory_users: bool,
    ou_users: HashMap<String, Rule>,
    account_users: HashMap<String, Rule>,
    pub scope: Option<Scope>,
    exempt_accounts: Vec<String>,
    exempt_ous: Vec<String>,
    exempt_principals: Vec<String>,
    /// `[[document]]` entries, in file order.
    pub documents: Vec<NamedDocument>,
    /// `[nodes] check_user`: the check document whose association
    /// runas-guard keeps in every governed account-region; `None` when off.
    pub check_document: Option<String>,
    /// `[nodes] held_alert_after`: how long an `enforce-when-ready`
    /// document may stay held before a sweep tells it.
    pub held_alert_after: std::time::Duration,
    /// `[session_documents] sweep`: sweeps list every customer `Session`
    /// document for ones that skip Run As (events always look).
    pub sweep_session_documents: bool,
    /// `[run_as_tags] sweep`: sweeps list every role and user of each
    /// account for an `SSMSessionRunAs` tag (events always look).
    pub sweep_run_as_tags: bool,
    /// `[security_hub] findings`: each governed account-region's findings
    /// imported into its own Security Hub (`domain::security_hub`).
    pub security_hub_findings: bool,
    /// `[identity_center]`: the declared access-control attribute mapping.
    pub identity_center: Option<crate::domain::identity_center::Declared>,
    /// `[forwarding_canary]` when enabled.
    pub canary: Option<crate::domain::canary::Settings>,
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
    /// Its own `mode`, over the account's.
    pub mode: Option<Mode>,
    ou_users: HashMap<String, Rule>,
    account_users: HashMap<String, Rule>,
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
    /// As the rules say (an `enforce-when-ready` is decided per region).
    pub mode: Mode,
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
    /// Outside `[scope]`: never read, written or reported as failed.
    OutOfScope,
    /// In scope, yet no rule names a user and there is no `[default]`.
    Uncovered,
    User {
        user: String,
        source: String,
        mode: Mode,
    },
}

impl Desired {
    pub fn user(&self) -> Option<&str> {
        match self {
            Desired::User { user, .. } => Some(user),
            _ => None,
        }
    }

    pub fn mode(&self) -> Option<Mode> {
        match self {
            Desired::User { mode, .. } => Some(*mode),
            _ => None,
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

    /// Exempt by its id (an `[exempt] ous` exemption needs the OU path:
    /// see [`Policy::standing`]).
    pub fn is_exempt(&self, account: &str) -> bool {
        self.exempt_accounts.iter().any(|a| a == account)
    }

    pub fn exempt_ou_ids(&self) -> impl Iterator<Item = &String> {
        self.exempt_ous.iter()
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
        use crate::domain::identity_center::sources::{run_as_source_warning, RUN_AS_KEY};
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
        if ic.mode == crate::domain::identity_center::KeepMode::Enforce
            && self.mode != Mode::Enforce
        {
            out.push(format!("`identity_center.mode`: enforce, but the policy's mode is {}, which never writes Identity Center: drift is alerted, not put back", self.mode.as_str()));
        }
        out
    }

    /// What runas-guard does about Identity Center drift: audit mode never writes.
    pub fn identity_center_mode(&self) -> crate::domain::identity_center::KeepMode {
        match (self.mode, self.identity_center.as_ref().map(|ic| ic.mode)) {
            (Mode::Enforce, Some(m)) => m,
            _ => crate::domain::identity_center::KeepMode::Alert,
        }
    }

    /// Run As users that validate but cannot work on a node (`ssm-user`) or
    /// should not (`root`), each with where the policy names it.
    /// `policy check` and `doctor` (`policy users`) show them.
    pub fn user_warnings(&self) -> Vec<String> {
        users::user_warnings(self)
    }

    /// The session policy every member session carries (what runas-guard
    /// may touch in `account`): one place for the run, `doctor` and `why`.
    pub fn session_policy(&self, partition: &str, account: &str) -> String {
        crate::domain::session_policy::session_policy(
            partition,
            account,
            &self.regions,
            &self.document_names(),
            self.check_document.as_deref(),
            crate::domain::session_policy::Extras {
                list_principals: self.sweep_run_as_tags,
                canary: self.canary.is_some(),
                findings: self.security_hub_findings,
            },
        )
    }

    /// Roles runas-guard may use in a member account, in the order it tries them.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.member_role.as_str())
            .chain(self.fallback_roles.iter().map(String::as_str))
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
#[path = "scope_tests.rs"]
mod scope_tests;
