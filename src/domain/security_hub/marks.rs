//! What a row keeps of the findings sent for it (`hub_findings`): the
//! same content is not sent again, and a hub found off waits.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::asff::Compliance;
use super::forged;

/// How long an unchanged active finding (a `FAILED` check, or the Run As
/// check's `PASSED` coverage) goes without being sent again: Security Hub
/// CSPM deletes an active finding not updated for 90 days, so one is
/// refreshed (a new `UpdatedAt`) every 30 days from its last send, well
/// inside that.
pub const REFRESH_MS: i64 = 30 * 24 * 3600 * 1000;

/// What a slot's row keeps of the last finding sent for one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    #[serde(rename = "s")]
    pub compliance: Compliance,
    /// The content's fingerprint ([`fingerprint`]): the same content is
    /// not sent again.
    #[serde(rename = "k")]
    pub key: String,
    #[serde(rename = "c")]
    pub created_ms: i64,
    #[serde(rename = "u")]
    pub updated_ms: i64,
    /// Security Hub was not enabled there when it was sent: nothing was
    /// stored, and the next run tries again (the hub may be on by then).
    #[serde(rename = "off", default, skip_serializing_if = "std::ops::Not::not")]
    pub hub_off: bool,
    /// How many times a forged far-future `UpdatedAt` moved the finding to
    /// a successor `Id` ([`forged`]): the `Id` it is sent under and read
    /// back by. One small number whatever a forger does (each step is
    /// bounded by ASFF's `Id` limit), so the row does not grow.
    #[serde(rename = "r", default, skip_serializing_if = "is_zero")]
    pub moved: u8,
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

impl Sent {
    /// The `Id` this check's finding stands under, from its stable `Id`.
    pub fn id(&self, stable: &str) -> String {
        forged::moved(stable, self.moved)
    }
}

/// The row's record (`hub_findings`): the last finding sent per check.
pub type Marks = BTreeMap<String, Sent>;

pub fn marks_from_json(text: &str) -> Marks {
    serde_json::from_str(text).unwrap_or_default()
}

pub fn marks_to_json(marks: &Marks) -> String {
    serde_json::to_string(marks).unwrap_or_else(|_| "{}".into())
}

/// `doctor`'s `security hub` line: the account-regions whose last findings
/// found Security Hub not enabled (`<account> <region>`, sorted), from the
/// rows' marks (`account`, `slot`, the row's `hub_findings`).
pub fn hub_off<'a>(rows: impl Iterator<Item = (&'a str, &'a str, Option<&'a str>)>) -> Vec<String> {
    let mut off: Vec<String> = rows
        .filter(|(_, _, marks)| {
            marks.is_some_and(|m| marks_from_json(m).values().any(|s| s.hub_off))
        })
        .map(|(account, slot, _)| format!("{account} {}", slot.split('#').next().unwrap_or(slot)))
        .collect();
    off.sort();
    off.dedup();
    off
}
