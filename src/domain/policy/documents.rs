//! `[[document]]` entries: each a Session document of its own, named as SSM
//! allows and AWS does not reserve, listed once, with its user, `inherit`,
//! `mode` and rules checked in file order.

use super::raw::{RawDocument, RawExempt};
use super::user_name::{check_user, UserRules};
use super::validate::{
    account_rules, is_document_name, is_reserved_document_name, ou_rules, shorten, Problem,
};
use super::NamedDocument;
use crate::domain::trigger::DOCUMENT_NAME;

/// `[[document]]` entries in file order; every key of one is checked before
/// the next entry's, and every problem goes to `out`.
pub(super) fn named_documents(
    raw: &[RawDocument],
    exempt: &RawExempt,
    users: UserRules,
    out: &mut Vec<Problem>,
) -> Vec<NamedDocument> {
    let mut documents: Vec<NamedDocument> = Vec::new();
    for (i, d) in raw.iter().enumerate() {
        let prefix = format!("document[{i}].");
        if let Err(p) = check_document_name(&d.name, &documents) {
            out.push((format!("{prefix}name"), p));
        }
        documents.push(named_document(&prefix, d, exempt, users, out));
    }
    documents
}

/// `earlier` holds the entries above this one, for the duplicate check.
fn check_document_name(name: &str, earlier: &[NamedDocument]) -> Result<(), String> {
    if !is_document_name(name) {
        return Err(format!(
            "{} is not an SSM document name (3 to 128 of a-z A-Z 0-9 _ . -)",
            shorten(name)
        ));
    }
    if name == DOCUMENT_NAME {
        return Err(format!("{DOCUMENT_NAME} is always governed (by [default], [[ou]] and [[account]]); name another document"));
    }
    if is_reserved_document_name(name) {
        return Err(format!(
            "{name:?} starts with a prefix AWS reserves (aws, amazon, amzn)"
        ));
    }
    if earlier.iter().any(|o| o.name == name) {
        return Err(format!("{name} is listed twice"));
    }
    Ok(())
}

/// One `[[document]]` entry whose name has passed; `prefix` is `document[i].`.
fn named_document(
    prefix: &str,
    d: &RawDocument,
    exempt: &RawExempt,
    users: UserRules,
    out: &mut Vec<Problem>,
) -> NamedDocument {
    let key = |k: &str| format!("{prefix}{k}");
    if let Err(p) = check_user(&d.run_as_user, users) {
        out.push((key("run_as_user"), p));
    }
    let inherit = inherits(d.inherit.as_deref()).unwrap_or_else(|p| {
        out.push((key("inherit"), p));
        false
    });
    let ou_users = ou_rules(prefix, &d.ou, users, out);
    let account_users = account_rules(prefix, &d.account, users, out);
    for (j, rule) in d.account.iter().enumerate() {
        if exempt.accounts.contains(&rule.id) {
            out.push((
                format!("{prefix}account[{j}].id"),
                format!(
                    "{} is exempt; an account is either governed or exempt",
                    rule.id
                ),
            ));
        }
    }
    NamedDocument {
        name: d.name.clone(),
        default_user: d.run_as_user.clone(),
        inherit,
        mode: d.mode,
        ou_users,
        account_users,
    }
}

/// `inherit` may only name the default document.
fn inherits(inherit: Option<&str>) -> Result<bool, String> {
    match inherit {
        None => Ok(false),
        Some(DOCUMENT_NAME) => Ok(true),
        Some(other) => Err(format!(
            "{} cannot be inherited; only {DOCUMENT_NAME:?} can",
            shorten(other)
        )),
    }
}
