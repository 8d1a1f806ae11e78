//! A forged far-future `UpdatedAt`, for the read-back of every finding of
//! the guard (the checks' in `tamper`, the events' in `event_tamper`).
//!
//! Security Hub CSPM applies an update only when its `UpdatedAt` is later
//! than the held one's ("Determining whether to create or update a
//! finding",
//! <https://docs.aws.amazon.com/securityhub/latest/userguide/finding-update-batchimportfindings.html#batchimportfindings-create-or-update>),
//! so a finding someone imported with an `UpdatedAt` past the guard's clock
//! cannot be put back in place: any put-back would be ignored for as long
//! as the forger chose. Sending one later still would make the guard's own
//! `UpdatedAt` a lie and stop its refresh until then, and nothing beats the
//! latest time ASFF can write. The guard's finding is sent under a successor `Id`
//! instead (the original's plus [`SUCCESSOR`]), and the forged one is left
//! as the forger left it.

use std::collections::BTreeMap;

use super::asff::{asff_string, MAX_DETAIL};
use crate::domain::clock;

/// How far a held `UpdatedAt` may run ahead of the guard's clock before it
/// is taken as forged: clocks differ by seconds, never by minutes.
pub const SKEW_MS: i64 = 5 * 60 * 1000;

/// What a successor's `Id` adds to the one it replaces.
pub const SUCCESSOR: &str = "/restored";

/// ASFF's `Id` is at most 512 characters.
const MAX_ID: usize = 512;

/// Why a finding held with `updated_at` cannot be put back in place at
/// `now_ms`: its `UpdatedAt` is past any the guard can send (or not a time
/// the guard can compare).
pub fn not_in_place(updated_at: &str, now_ms: i64) -> Option<String> {
    match clock::parse_iso(updated_at) {
        Some(at) if at <= now_ms + SKEW_MS => None,
        Some(_) => Some(format!(
            "its UpdatedAt {updated_at} is later than now: Security Hub CSPM ignores any update that is not later, so runas-guard's finding is sent under a new Id"
        )),
        None => Some(format!(
            "its UpdatedAt {updated_at:?} is not a time runas-guard can send a later one than: its finding is sent under a new Id"
        )),
    }
}

/// What a forged `UpdatedAt` adds to the list of what was changed.
pub fn forged_line(updated_at: &str) -> String {
    format!("UpdatedAt {updated_at} (later than any update runas-guard can make)")
}

/// The successor of the finding `id`: `None` where it would pass ASFF's
/// limit (nothing left to send it under).
pub fn successor(id: &str) -> Option<String> {
    Some(format!("{id}{SUCCESSOR}")).filter(|s| s.len() <= MAX_ID)
}

/// The `Id` a check's finding stands under after `moved` successors of its
/// stable `Id`.
pub fn moved(stable: &str, moved: u8) -> String {
    format!("{stable}{}", SUCCESSOR.repeat(moved.into()))
}

/// What a successor's resource details say of the finding it replaces
/// (`replaced`), forged at `updated_at` where the run that found it knows.
pub fn replacing(details: &mut BTreeMap<String, String>, replaced: &str, updated_at: Option<&str>) {
    let at = updated_at.map_or("an UpdatedAt".into(), |at| format!("UpdatedAt {at}"));
    let why = format!("the finding replaced was imported by someone else with {at}, later than any update runas-guard can send, which keeps runas-guard from putting it back");
    details.insert("replaces".into(), asff_string(replaced, MAX_DETAIL));
    details.insert("replaced_because".into(), asff_string(&why, MAX_DETAIL));
}
