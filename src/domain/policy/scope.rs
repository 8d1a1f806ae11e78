//! The checks of what a policy governs: `[scope]`, `[exempt] ous`, a
//! `[default]` that only a scope makes optional, and modes that need the
//! run-as user check.

use super::raw::{RawPolicy, RawScope, RawScoped};
use super::validate::{is_ou_id, shorten, Problem};
use super::{Mode, Scope};
use crate::domain::trigger::is_account_id;

/// `[scope]`: well-formed ids, each once, and at least one. Every problem
/// goes to `out`.
pub(super) fn check_scope(raw: Option<&RawScope>, out: &mut Vec<Problem>) -> Option<Scope> {
    let raw = raw?;
    check_ids("scope.ous", &raw.ous, is_ou_id, OU_EXPECTED, out);
    check_ids(
        "scope.accounts",
        &raw.accounts,
        is_account_id,
        ACCOUNT_EXPECTED,
        out,
    );
    if raw.ous.is_empty() && raw.accounts.is_empty() {
        out.push((
            "scope".into(),
            "names no OU and no account, so it governs nothing; list `ous` or `accounts`, or remove [scope] to govern the whole organization".into(),
        ));
    }
    Some(Scope {
        ous: raw.ous.clone(),
        accounts: raw.accounts.clone(),
    })
}

/// `[exempt] ous`: well-formed, each once, none also in `[scope] ous`.
pub(super) fn check_exempt_ous(ous: &[String], scope: Option<&Scope>, out: &mut Vec<Problem>) {
    check_ids("exempt.ous", ous, is_ou_id, OU_EXPECTED, out);
    for (i, ou) in ous.iter().enumerate() {
        if scope.is_some_and(|s| s.ous.contains(ou)) {
            out.push((
                format!("exempt.ous[{i}]"),
                format!("{ou} is also in scope.ous; an OU is either governed or exempt"),
            ));
        }
    }
}

/// Without `[default]`, only a scope says which accounts need a rule.
pub(super) fn check_default(raw: &RawPolicy) -> Result<(), Problem> {
    if raw.default.is_none() && raw.scope.is_none() {
        return Err((
            "default".into(),
            "missing: [default] run_as_user is required unless [scope] limits what the policy governs".into(),
        ));
    }
    Ok(())
}

/// `enforce-when-ready` waits for the run-as user check's verdict, so it
/// needs the check.
pub(super) fn check_gate(raw: &RawPolicy, out: &mut Vec<Problem>) {
    if raw.nodes.check_user {
        return;
    }
    let mut keys = Vec::new();
    if raw.mode == Mode::EnforceWhenReady {
        keys.push("mode".to_string());
    }
    keys.extend(gated("", "ou", &raw.ou));
    keys.extend(gated("", "account", &raw.account));
    for (i, d) in raw.document.iter().enumerate() {
        let prefix = format!("document[{i}].");
        if d.mode == Some(Mode::EnforceWhenReady) {
            keys.push(format!("{prefix}mode"));
        }
        keys.extend(gated(&prefix, "ou", &d.ou));
        keys.extend(gated(&prefix, "account", &d.account));
    }
    out.extend(keys.into_iter().map(|key| {
        (
            key,
            "enforce-when-ready needs [nodes] check_user = true: the check is what says a region's nodes are ready".into(),
        )
    }));
}

/// The keys of `enforce-when-ready` among one table of rules.
fn gated(prefix: &str, table: &str, rules: &[RawScoped]) -> Vec<String> {
    rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.mode == Some(Mode::EnforceWhenReady))
        .map(|(i, _)| format!("{prefix}{table}[{i}].mode"))
        .collect()
}

const OU_EXPECTED: &str =
    "an OU id (ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}) or root id (r-[0-9a-z]{4,32})";
const ACCOUNT_EXPECTED: &str = "a 12-digit account id";

fn check_ids(
    key: &str,
    ids: &[String],
    valid: fn(&str) -> bool,
    expected: &str,
    out: &mut Vec<Problem>,
) {
    for (i, id) in ids.iter().enumerate() {
        if !valid(id) {
            out.push((
                format!("{key}[{i}]"),
                format!("{} is not {expected}", shorten(id)),
            ));
        } else if ids[..i].contains(id) {
            out.push((format!("{key}[{i}]"), format!("{id} is listed twice")));
        }
    }
}
