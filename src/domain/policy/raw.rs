//! The policy file's shape, as TOML reads it: unchecked, and refusing
//! unknown keys so that a misspelt key is an error rather than ignored.

use serde::Deserialize;

use super::Mode;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    pub member_role: String,
    // Off unless chosen: administrator roles are a choice (hub.yaml FallbackRoles).
    #[serde(default)]
    pub fallback_roles: Vec<String>,
    /// The read-only role the member stack creates for operators
    /// (infra/member.yaml OperatorRoleName): what `why`, `doctor --account`
    /// and `reconcile --dry-run` assume. The function never uses it.
    #[serde(default)]
    pub operator_role: Option<String>,
    pub regions: Vec<String>,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub allow_root: bool,
    /// Directory users (`user@domain`, `DOMAIN\user`, any case) for
    /// SSSD/realmd-joined fleets; off, only Linux names are accepted.
    #[serde(default)]
    pub directory_users: bool,
    /// Optional only with `[scope]`: every in-scope account then needs a rule.
    #[serde(default)]
    pub default: Option<RawRule>,
    #[serde(default)]
    pub scope: Option<RawScope>,
    #[serde(default)]
    pub ou: Vec<RawScoped>,
    #[serde(default)]
    pub account: Vec<RawScoped>,
    #[serde(default)]
    pub exempt: RawExempt,
    #[serde(default)]
    pub document: Vec<RawDocument>,
    #[serde(default)]
    pub nodes: RawNodes,
    #[serde(default)]
    pub session_documents: RawSessionDocuments,
    #[serde(default)]
    pub identity_center: Option<RawIdentityCenter>,
    #[serde(default)]
    pub run_as_tags: RawRunAsTags,
    #[serde(default)]
    pub forwarding_canary: Option<RawCanary>,
    #[serde(default)]
    pub security_hub: RawSecurityHub,
}

/// `[security_hub]`: findings imported into each member account's own
/// Security Hub, off unless asked for.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSecurityHub {
    #[serde(default)]
    pub findings: bool,
}

impl RawPolicy {
    /// The switches that widen the user names the file may set.
    pub fn user_rules(&self) -> super::user_name::UserRules {
        super::user_name::UserRules {
            allow_root: self.allow_root,
            directory_users: self.directory_users,
        }
    }
}

/// `[forwarding_canary]`: prove each account-region's event path.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCanary {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub interval: Option<String>,
    #[serde(default)]
    pub grace: Option<String>,
}

/// Whether sweeps list every role and user for an `SSMSessionRunAs` tag.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRunAsTags {
    #[serde(default)]
    pub sweep: bool,
}

/// The declared IAM Identity Center access-control attribute mapping.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIdentityCenter {
    pub region: String,
    #[serde(default)]
    pub instance_arn: Option<String>,
    #[serde(default)]
    pub mode: crate::domain::identity_center::KeepMode,
    pub attributes: std::collections::BTreeMap<String, String>,
}

/// Whether sweeps list every `Session` document for ones that skip Run As.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSessionDocuments {
    #[serde(default)]
    pub sweep: bool,
}

/// Session readiness: whether the Run As user exists on the managed nodes.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNodes {
    #[serde(default)]
    pub check_user: bool,
    /// The member stack's check document, if it was renamed.
    #[serde(default)]
    pub document: Option<String>,
    /// How long an `enforce-when-ready` document may stay held before a
    /// sweep tells it (`24h`).
    #[serde(default)]
    pub held_alert_after: Option<String>,
}

/// A named Session document (one per permission set), kept like the default one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDocument {
    pub name: String,
    pub run_as_user: String,
    #[serde(default)]
    pub inherit: Option<String>,
    #[serde(default)]
    pub mode: Option<Mode>,
    #[serde(default)]
    pub ou: Vec<RawScoped>,
    #[serde(default)]
    pub account: Vec<RawScoped>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub run_as_user: String,
}

/// An `[[ou]]` or `[[account]]` rule: a user, a mode, or both.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScoped {
    pub id: String,
    #[serde(default)]
    pub run_as_user: Option<String>,
    #[serde(default)]
    pub mode: Option<Mode>,
}

/// What the policy governs: these OUs (and every OU below them) and these
/// accounts; nothing else is read or written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScope {
    #[serde(default)]
    pub ous: Vec<String>,
    #[serde(default)]
    pub accounts: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExempt {
    #[serde(default)]
    pub accounts: Vec<String>,
    #[serde(default)]
    pub ous: Vec<String>,
    #[serde(default)]
    pub principals: Vec<String>,
}
