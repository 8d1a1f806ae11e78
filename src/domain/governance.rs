//! An account leaving governance (pure): whether a run that finds an
//! account exempt or out of scope is the transition from governed (the
//! table's rows for it still name a desired user), why (an exempt account,
//! an exempt OU, outside the scope) and how (a move, a policy change), and
//! precisely what runas-guard leaves in place there. The once-only claim
//! and the alert are the callers'; coming back is told as any run tells it.

use serde::{Deserialize, Serialize};

use crate::domain::policy::{Policy, Standing};

/// Documents, associations and canaries a departure lists; the rest are counted.
pub const MAX_LISTED: usize = 50;

/// Why runas-guard no longer governs the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// `[exempt] accounts` names it.
    ExemptAccount,
    /// It is in (or under) an `[exempt] ous` OU.
    ExemptOu,
    /// Outside the policy's `[scope]`.
    OutOfScope,
}

impl Reason {
    pub fn describe(self) -> &'static str {
        match self {
            Reason::ExemptAccount => "exempt account ([exempt] accounts)",
            Reason::ExemptOu => "in an exempt OU ([exempt] ous)",
            Reason::OutOfScope => "outside the policy's [scope]",
        }
    }
}

/// How it came to leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// A `MoveAccount` (its event, or a sweep that finds it in another OU
    /// than the table recorded).
    Moved,
    /// In the OU it was recorded in: the policy no longer governs it.
    PolicyChanged,
    /// The table recorded no OU path to compare with.
    Unknown,
}

/// Where the account stands now, as the policy and Organizations say.
pub struct Now<'a> {
    pub standing: Standing,
    /// Its OU path by names.
    pub path_names: Option<&'a str>,
    /// The run is the move's own event.
    pub moved_by_event: bool,
}

/// Why it is not governed, and the exempt OU on its path when that is why;
/// `None` for a governed account.
pub fn reason(policy: &Policy, account: &str, path: &[String]) -> Option<(Reason, Option<String>)> {
    if policy.is_exempt(account) {
        return Some((Reason::ExemptAccount, None));
    }
    if let Some(ou) = path
        .iter()
        .find(|o| policy.exempt_ou_ids().any(|e| e == *o))
    {
        return Some((Reason::ExemptOu, Some(ou.clone())));
    }
    (policy.standing(account, path) == Standing::OutOfScope).then_some((Reason::OutOfScope, None))
}

/// Whether this is the account leaving, and how. `was_governed`: a row the
/// table holds for it names a desired user (an exempt account's rows name
/// none, an out-of-scope account's are gone or say so), so a run that finds
/// an account already gone says nothing. `recorded_path`: the OU path (by
/// names) those rows recorded.
pub fn cause(was_governed: bool, recorded_path: Option<&str>, now: &Now<'_>) -> Option<Cause> {
    if !was_governed || now.standing == Standing::Governed {
        return None;
    }
    Some(match (now.moved_by_event, recorded_path, now.path_names) {
        (true, _, _) => Cause::Moved,
        (false, Some(then), Some(path)) if then == path => Cause::PolicyChanged,
        (false, Some(_), Some(_)) => Cause::Moved,
        (false, _, _) => Cause::Unknown,
    })
}

/// A policy change that drops accounts is told in one summary per sweep;
/// an account that moved (or may have) is told on its own.
pub fn in_summary(cause: Cause) -> bool {
    cause == Cause::PolicyChanged
}

/// One state row of the account as recorded while governed (the part that
/// says what stays there).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordedRow {
    pub region: String,
    pub document: String,
    /// `on/ssm-ops` as the document said when last looked at.
    pub run_as: Option<String>,
    /// The run-as user check's association there (its row only).
    pub association_id: Option<String>,
    /// A forwarding canary tag was written there.
    pub canary: bool,
    pub desired_user: Option<String>,
    pub ou_path: Option<String>,
}

/// What runas-guard leaves as it is in the account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftInPlace {
    /// Each governed document with its Run As as last recorded.
    pub documents: Vec<LeftDocument>,
    /// The check's association per region, where one was recorded.
    pub check_associations: Vec<LeftAssociation>,
    /// Regions whose `SSM-SessionManagerRunShell` carries a canary tag.
    pub canary_tags: Vec<String>,
    /// Entries beyond those listed.
    pub more: usize,
    /// The same in one paragraph.
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftAssociation {
    pub region: String,
    pub association_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftDocument {
    pub region: String,
    pub document: String,
    pub run_as: String,
}

/// What stays, from the rows the table recorded. `check_document`: the
/// check's document name (its row is the association, not a document).
pub fn left_in_place(
    rows: &[RecordedRow],
    check_document: Option<&str>,
    reason: Reason,
) -> LeftInPlace {
    let mut out = LeftInPlace::default();
    let mut listed = 0usize;
    let mut list = |out: &mut LeftInPlace| {
        listed += 1;
        let keep = listed <= MAX_LISTED;
        out.more += usize::from(!keep);
        keep
    };
    for r in rows {
        let check = r.association_id.is_some() || Some(r.document.as_str()) == check_document;
        match &r.association_id {
            Some(id) if list(&mut out) => out.check_associations.push(LeftAssociation {
                region: r.region.clone(),
                association_id: id.clone(),
            }),
            None if !check && list(&mut out) => out.documents.push(LeftDocument {
                region: r.region.clone(),
                document: r.document.clone(),
                run_as: r.run_as.clone().unwrap_or_else(|| "-".into()),
            }),
            _ => {}
        }
        if r.canary && list(&mut out) {
            out.canary_tags.push(r.region.clone());
        }
    }
    out.note = note(&out, reason);
    out
}

fn note(left: &LeftInPlace, reason: Reason) -> String {
    let mut s = String::from(
        "runas-guard no longer reads or writes this account. Left as they are: each governed Session document with Run As as last recorded (sessions keep running as that user until someone changes it; a later edit is neither put back nor told)",
    );
    if !left.check_associations.is_empty() {
        s.push_str("; the run-as user check's association runas-guard-check-run-as-user, which State Manager keeps running daily on the nodes (delete it if it is not wanted)");
    }
    if !left.canary_tags.is_empty() {
        s.push_str(
            "; the forwarding canary's tag runas-guard:canary on SSM-SessionManagerRunShell",
        );
    }
    s.push_str(". The member stack (role, check document, forwarding rule) is the StackSet's and stays unless the StackSet's targets drop the account. ");
    s.push_str(match reason {
        Reason::OutOfScope => "Its state items go at the next sweep; this departure stays on record (runas-guard status) until it is governed again.",
        Reason::ExemptAccount | Reason::ExemptOu => "Its state items say excluded; this departure stays on record (runas-guard status) until it is governed again.",
    });
    s
}

/// The table's OU path for the account: the main document's rows first.
pub fn recorded_path(rows: &[RecordedRow]) -> Option<&str> {
    rows.iter()
        .filter(|r| r.desired_user.is_some())
        .find_map(|r| r.ou_path.as_deref())
}

/// Whether the rows say the account was governed.
pub fn was_governed(rows: &[RecordedRow]) -> bool {
    rows.iter().any(|r| r.desired_user.is_some())
}

/// One account that left, as told and kept (`status` shows it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Departure {
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub reason: Reason,
    pub cause: Cause,
    /// The trigger kind that found it (`account_moved`, `sweep`, ...).
    pub found_by: String,
    pub trigger_id: String,
    pub at: String,
    /// OU paths by names: as the table recorded it, and now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_path: Option<String>,
    /// OU (or root) ids: where a move event says it came from, and its parent now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_ou: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_ou: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exempt_ou: Option<String>,
    /// Who moved it, where an event says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    pub left_in_place: LeftInPlace,
}

impl Departure {
    /// `moved from Root/Prod to Root/Exempt by role/Admin: in an exempt OU
    /// ([exempt] ous)`, for `status` and subjects.
    pub fn describe(&self) -> String {
        let path = |p: &Option<String>, id: &Option<String>| {
            p.clone()
                .or_else(|| id.clone())
                .unwrap_or_else(|| "?".into())
        };
        let how = match self.cause {
            Cause::Moved => format!(
                "moved from {} to {}",
                path(&self.from_path, &self.from_ou),
                path(&self.to_path, &self.to_ou)
            ),
            Cause::PolicyChanged => format!(
                "the policy changed (still in {})",
                path(&self.to_path, &self.to_ou)
            ),
            Cause::Unknown => format!("now in {}", path(&self.to_path, &self.to_ou)),
        };
        let by = self
            .actor
            .as_deref()
            .map(|a| format!(" by {a}"))
            .unwrap_or_default();
        format!("{how}{by}: {}", self.reason.describe())
    }
}

/// One account a policy change dropped, as a sweep's summary lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dropped {
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub reason: Reason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ou_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exempt_ou: Option<String>,
}

impl From<&Departure> for Dropped {
    fn from(d: &Departure) -> Dropped {
        Dropped {
            account: d.account.clone(),
            name: d.name.clone(),
            reason: d.reason,
            ou_path: d.to_path.clone(),
            exempt_ou: d.exempt_ou.clone(),
        }
    }
}

#[cfg(test)]
#[path = "governance_tests.rs"]
mod tests;
