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
    /// When the walk that wrote this message began (epoch milliseconds):
    /// what it carries is trusted only while fresh ([`WALK_FRESH_MS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub walked_ms: Option<i64>,
}

/// How long a walk's view of an account is trusted by a message's worker.
/// An account moved since the walk (its move event lost) would otherwise be
/// written by the walk's old scope: SQS redelivers a message whose worker
/// died after the visibility timeout (an hour and a half as deployed), and
/// an operator's redrive much later. Ten minutes keeps a first delivery of
/// a large sweep (about 11 minutes of queueing at 10,000 accounts) mostly on
/// the walk's view, and any write within 15 minutes of a move.
pub const WALK_FRESH_MS: i64 = 10 * 60 * 1000;

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

    /// Whether the walk's view is still to be trusted at `now_ms`: written
    /// within [`WALK_FRESH_MS`] (either side, for clocks apart). A message
    /// without the walk's time (before 0.7.5) is not.
    pub fn fresh(&self, now_ms: i64) -> bool {
        self.walked_ms
            .is_some_and(|t| now_ms.abs_diff(t) < WALK_FRESH_MS.unsigned_abs())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn walked(walked_ms: Option<i64>) -> SweepMessage {
        SweepMessage::parse(r#"{"sweep_id":"s","account":"123456789012"}"#)
            .map(|m| SweepMessage { walked_ms, ..m })
            .unwrap()
    }

    #[test]
    fn a_walks_view_is_trusted_only_within_its_freshness_either_side() {
        let now = 1_800_000_000_000;
        let cases = [
            (None, false, "before the field: looked up"),
            (Some(now), true, "just walked"),
            (Some(now - WALK_FRESH_MS + 1), true, "inside the bound"),
            (Some(now - WALK_FRESH_MS), false, "at the bound"),
            (
                Some(now - 90 * 60 * 1000),
                false,
                "redelivered after the visibility timeout",
            ),
            (Some(now + 60_000), true, "a clock a minute ahead"),
            (Some(now + WALK_FRESH_MS), false, "far in the future"),
            (Some(i64::MIN), false, "hostile: the far past"),
            (Some(i64::MAX), false, "hostile: the far future"),
        ];
        for (at, fresh, why) in cases {
            assert_eq!(walked(at).fresh(now), fresh, "{why}");
        }
    }

    #[test]
    fn the_walks_time_round_trips_and_a_message_without_it_still_parses() {
        let m = walked(Some(42));
        let body = serde_json::to_string(&m).unwrap();
        assert!(body.contains(r#""walked_ms":42"#), "{body}");
        assert_eq!(SweepMessage::parse(&body).unwrap(), m);
        assert_eq!(walked(None).walked_ms, None);
        let err =
            SweepMessage::parse(r#"{"sweep_id":"s","account":"123456789012","walked_ms":"soon"}"#)
                .unwrap_err();
        assert!(
            err.contains("walked_ms") || err.contains("invalid type"),
            "{err}"
        );
    }
}
