//! The SQS message of one account of a fanned-out sweep, and its bounds.

use serde::{Deserialize, Serialize};

use crate::adapters::aws::organizations::AccountInfo;
use crate::domain::ids::is_account_id;
use crate::domain::org_state::OrgState;

/// One account per SQS message when a sweep fans out. It carries what the
/// sweep's one walk of the organization learned (name, status, OU path), so
/// the worker asks Organizations nothing. Messages from before these fields
/// existed still work: the worker then looks the account up.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SweepMessage {
    pub sweep_id: String,
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The account's `State` word as the walk read it (`ACTIVE`, ...);
    /// absent when it could not be read, so the worker reads it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Root-first `(id, name)` of the root and every OU above the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<(String, String)>>,
    /// Whether the account's departure was on record when the sweep began
    /// (absent: not known, so the worker clears any it finds governed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departed: Option<bool>,
    /// When the account last joined, as the walk read it (epoch
    /// milliseconds): the worker judges only the rows of that life.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joined_ms: Option<i64>,
}

/// Organizations nests five OU levels below the root: a longer path is not real.
const MAX_PATH: usize = 6;
/// OU names are at most 128 characters; ids at most 68; account names 50.
const MAX_NAME: usize = 128;

impl SweepMessage {
    pub fn parse(body: &str) -> Result<SweepMessage, String> {
        let m: SweepMessage =
            serde_json::from_str(body).map_err(|e| format!("sweep message is not valid: {e}"))?;
        if !is_account_id(&m.account) {
            return Err(format!(
                "sweep message field `account`: expected a 12-digit account id, found {:?}",
                m.account
            ));
        }
        if m.sweep_id.is_empty() || m.sweep_id.len() > 128 {
            return Err("sweep message field `sweep_id`: must be 1 to 128 characters".into());
        }
        let too_long = |s: &Option<String>| s.as_ref().is_some_and(|s| s.len() > MAX_NAME);
        if too_long(&m.name) || too_long(&m.status) {
            return Err(format!(
                "sweep message fields `name` and `status`: at most {MAX_NAME} characters"
            ));
        }
        if let Some(path) = &m.path {
            let well_formed = |i: usize, id: &str| {
                (if i == 0 {
                    id.starts_with("r-")
                } else {
                    crate::domain::policy::is_ou_id(id)
                }) && id.len() <= 68
            };
            if path.is_empty()
                || path.len() > MAX_PATH
                || path
                    .iter()
                    .enumerate()
                    .any(|(i, (id, name))| !well_formed(i, id) || name.len() > MAX_NAME)
            {
                return Err(format!(
                    "sweep message field `path`: expected the root and at most {} OUs, root first, as [id, name] pairs",
                    MAX_PATH - 1
                ));
            }
        }
        Ok(m)
    }

    /// The account as the sweep's walk saw it, when the message says (an
    /// older message's `UNKNOWN`, or none: the worker asks again).
    pub(super) fn info(&self) -> Option<AccountInfo> {
        Some(AccountInfo {
            id: self.account.clone(),
            name: self.name.clone()?,
            state: OrgState::word(self.status.as_deref()?)?,
            joined_ms: self.joined_ms,
        })
    }

    /// The word a message carries for `state`: none when unreadable.
    pub(super) fn status_of(state: &OrgState) -> Option<String> {
        match state {
            OrgState::Unreadable(_) => None,
            readable => Some(readable.as_str().to_string()),
        }
    }
}
