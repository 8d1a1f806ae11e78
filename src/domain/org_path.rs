//! An account's OU path from Organizations' `Account.Paths` (pure).
//!
//! Organizations answers `Paths` on an account (`DescribeAccount`,
//! `ListAccounts`, `ListAccountsForParent`; API model of 2026-03-31): a list
//! of strings `o-<org>/r-<root>/ou-…/…/<account>/`, the whole path in the
//! answer a run already holds. Older answers (and moto) leave it out; then
//! the path is walked with `ListParents`, one call per level.
//!
//! AWS documents a list without saying when it holds more than one entry.
//! The rule ([`account_path`]): an entry is *usable* when it has AWS's shape
//! (organization, root, at most five OUs each under that root, a trailing
//! `/`), ends in this account's id, and starts at the organization's root
//! (the root the caller knows, when it knows one). The path is taken when
//! there are usable entries and they all name the same organization, root
//! and OUs; otherwise (none usable, or two that disagree) nothing is taken
//! and the walk decides: `ListParents` names the one parent an account has.

/// Organizations nests OUs at most five levels under the root.
pub const MAX_OU_DEPTH: usize = 5;
/// More entries than this is not an answer about one account.
pub const MAX_ENTRIES: usize = 32;
/// Longer than any well-formed entry (ids at their longest, five OUs).
const MAX_ENTRY_LEN: usize = 512;

/// What an account's `Paths` say of where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathsRead {
    /// Root-first: the root, then each OU down to the account's parent
    /// (what the `ListParents` walk returns).
    Path(Vec<String>),
    /// The answer had no `Paths` (an older answer): walk.
    Absent,
    /// `Paths` were there, but no path could be taken from them: walk.
    /// Says why, for the log.
    Unreadable(String),
}

/// One entry, read: `o-…/r-…/ou-…/…/<leaf>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry<'a> {
    org: &'a str,
    root: &'a str,
    ous: Vec<&'a str>,
    leaf: &'a str,
}

/// The account's root-first OU path from `paths` (the answer's `Paths`,
/// `None` when it had none), by the rule in this module's doc. `root`: the
/// organization's root id where the caller knows it (an entry under
/// another root is not usable).
pub fn account_path(paths: Option<&[String]>, account: &str, root: Option<&str>) -> PathsRead {
    let Some(paths) = paths else {
        return PathsRead::Absent;
    };
    if paths.is_empty() {
        return PathsRead::Unreadable("Paths is empty".into());
    }
    if paths.len() > MAX_ENTRIES {
        return PathsRead::Unreadable(format!(
            "Paths has {} entries (more than {MAX_ENTRIES})",
            paths.len()
        ));
    }
    let mut usable: Vec<Entry> = Vec::new();
    let mut first_refusal = None;
    for p in paths {
        match entry(p).and_then(|e| usable_for(e, account, root)) {
            Ok(e) => usable.push(e),
            Err(why) => {
                first_refusal.get_or_insert(why);
            }
        }
    }
    let Some(first) = usable.first() else {
        return PathsRead::Unreadable(first_refusal.unwrap_or_default());
    };
    if let Some(other) = usable
        .iter()
        .find(|e| (e.org, e.root, &e.ous) != (first.org, first.root, &first.ous))
    {
        return PathsRead::Unreadable(format!(
            "Paths disagree: {} and {}",
            said(first),
            said(other)
        ));
    }
    let mut path = vec![first.root.to_string()];
    path.extend(first.ous.iter().map(|o| o.to_string()));
    PathsRead::Path(path)
}

/// An entry that reads, if it is about `account` under `root`.
fn usable_for<'a>(e: Entry<'a>, account: &str, root: Option<&str>) -> Result<Entry<'a>, String> {
    if e.leaf != account {
        return Err(format!("an entry ends in {}, not {account}", e.leaf));
    }
    if let Some(root) = root.filter(|r| *r != e.root) {
        return Err(format!("an entry starts at root {}, not {root}", e.root));
    }
    Ok(e)
}

/// An entry's parts, or why it does not have AWS's shape.
fn entry(s: &str) -> Result<Entry<'_>, String> {
    if s.len() > MAX_ENTRY_LEN {
        return Err(format!("an entry is {} bytes long", s.len()));
    }
    let quoted = || s.chars().take(80).collect::<String>();
    let body = s
        .strip_suffix('/')
        .ok_or_else(|| format!("entry {:?} does not end in '/'", quoted()))?;
    let parts: Vec<&str> = body.split('/').collect();
    let bad = |what: &str| format!("entry {:?}: {what}", quoted());
    let [org, root, middle @ .., leaf] = parts.as_slice() else {
        return Err(bad("fewer than three parts"));
    };
    if !is_org_id(org) {
        return Err(bad("no organization id first"));
    }
    let Some(root_tail) = root.strip_prefix("r-").filter(|t| lower_alnum(t, 4)) else {
        return Err(bad("no root id second"));
    };
    if middle.len() > MAX_OU_DEPTH {
        return Err(bad("more than five OUs"));
    }
    if let Some(ou) = middle.iter().find(|o| !is_ou_under(o, root_tail)) {
        return Err(bad(&format!("{ou:?} is not an OU id under {root}")));
    }
    if !crate::domain::ids::is_account_id(leaf) {
        return Err(bad("no account id last"));
    }
    Ok(Entry {
        org,
        root,
        ous: middle.to_vec(),
        leaf,
    })
}

/// `o-[a-z0-9]{10,32}`.
fn is_org_id(s: &str) -> bool {
    s.strip_prefix("o-").is_some_and(|t| lower_alnum(t, 10))
}

/// `ou-<root's tail>-[a-z0-9]{8,32}`: an OU id names its root.
fn is_ou_under(s: &str, root_tail: &str) -> bool {
    s.strip_prefix("ou-")
        .and_then(|t| t.split_once('-'))
        .is_some_and(|(r, rest)| r == root_tail && lower_alnum(rest, 8))
}

/// `[a-z0-9]{min,32}`.
fn lower_alnum(s: &str, min: usize) -> bool {
    (min..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn said(e: &Entry) -> String {
    let mut parts = vec![e.org, e.root];
    parts.extend(&e.ous);
    parts.push(e.leaf);
    format!("{}/", parts.join("/"))
}

#[cfg(test)]
#[path = "org_path_tests.rs"]
mod tests;
