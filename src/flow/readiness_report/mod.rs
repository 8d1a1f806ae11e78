//! `runas-guard readiness`: "if we enforced now, would any session be
//! refused?", per governed account-region, from the state table's rows
//! alone (the run-as user check's row joined to the account-region's
//! `SSM-SessionManagerRunShell` row), with totals per OU (every level of each
//! path) and for the organization; rendered as table, JSON or CSV. Pure.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::nodes::{Readiness, Verdict, MAX_NODE_IDS};
use crate::domain::rows::StateRow;
use crate::domain::trigger::DOCUMENT_NAME;

mod render;

/// The note of an account-region that has no check row at all.
pub const NO_CHECK: &str = "check not kept here: is [nodes] check_user on?";
/// The note of a check row whose result is absent or unreadable.
pub const NO_RESULT: &str = "no readable check result recorded";
/// How an account-region whose OU path was never recorded is totalled.
pub const NO_OU_PATH: &str = "(no OU path recorded)";

/// Which account-regions to report; an empty list lets every one through.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    /// OU names or runs of whole path segments (`Sandbox`, `Workloads/Sandbox`).
    pub ous: Vec<String>,
}

/// One governed account-region's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub account: String,
    pub ou_path: Option<String>,
    pub region: String,
    pub mode: Option<String>,
    /// The user the check looks up (else the account-region's wanted user).
    pub user: Option<String>,
    /// Nodes checked and lacking the user, as behind the verdict (absent
    /// when the verdict does not rest on a check result).
    pub checked: Option<u64>,
    pub missing: Option<u64>,
    /// At most [`MAX_NODE_IDS`] of the nodes lacking the user.
    pub missing_nodes: Vec<String>,
    /// `ready`, `would_refuse`, `check_could_not_run`, `no_result_yet`,
    /// `no_linux_or_macos_nodes`.
    pub verdict: &'static str,
    /// The verdict in words (`would refuse sessions on 3 nodes`).
    pub verdict_text: String,
    pub note: Option<String>,
    /// Why an `enforce-when-ready` document was not enforced.
    pub held: Option<String>,
    /// Nodes where the check could not run (timed out, not delivered, no
    /// user name reached it...): counted apart, never as missing.
    pub could_not_run: Option<u64>,
    /// The verdict's phrase with its reasons (`check could not run on 3
    /// nodes (timed out: 2, not delivered to the node: 1)`).
    pub could_not_run_reasons: Option<String>,
    #[serde(skip)]
    pub kind: Verdict,
}

/// Account-regions by verdict and node counts, for one OU or all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub account_regions: u64,
    pub ready: u64,
    pub would_refuse: u64,
    pub no_result_yet: u64,
    pub no_linux_or_macos_nodes: u64,
    pub nodes_checked: u64,
    pub nodes_missing: u64,
    /// Account-regions whose verdict is "check could not run", and nodes
    /// the check could not run on (in every account-region).
    pub check_could_not_run: u64,
    pub nodes_could_not_run: u64,
}

/// One OU's totals: every account-region at or below it.
#[derive(Debug, Clone, Serialize)]
pub struct OuTotals {
    /// The path by names (`Root/Workloads`); null for account-regions whose
    /// OU path was never recorded (totalled as one top-level group).
    pub ou: Option<String>,
    /// 1 for a top level (`Root`), 2 below it, and so on.
    pub depth: usize,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub rows: Vec<Row>,
    pub ous: Vec<OuTotals>,
    pub organization: Totals,
    /// State items without an account or region: reported nowhere.
    pub left_out: usize,
}

/// What one account-region holds in the table.
#[derive(Default)]
struct Place<'a> {
    shell: Option<&'a StateRow>,
    check: Option<&'a StateRow>,
    /// `[[document]]` name -> why it was held.
    held: BTreeMap<&'a str, &'a str>,
}

/// The verdict key, as `Verdict` serialises its tag.
pub fn verdict_key(v: Verdict) -> &'static str {
    match v {
        Verdict::Ready => "ready",
        Verdict::WouldRefuse { .. } => "would_refuse",
        Verdict::CouldNotRun { .. } => "check_could_not_run",
        Verdict::NoResultYet => "no_result_yet",
        Verdict::NoLinuxOrMacosNodes => "no_linux_or_macos_nodes",
    }
}

/// The path's segments; empty ones (`Root//X`, a trailing `/`) dropped.
fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// Whether `ou_path` has `wanted`'s segments as a run of whole segments.
pub fn under_ou(ou_path: Option<&str>, wanted: &str) -> bool {
    let want = segments(wanted);
    let have = segments(ou_path.unwrap_or_default());
    !want.is_empty() && have.windows(want.len()).any(|w| w == want.as_slice())
}

impl Filter {
    fn admits(&self, r: &Row) -> bool {
        (self.accounts.is_empty() || self.accounts.contains(&r.account))
            && (self.regions.is_empty() || self.regions.contains(&r.region))
            && (self.ous.is_empty() || self.ous.iter().any(|o| under_ou(r.ou_path.as_deref(), o)))
    }
}

/// Of two items for the same place, the one checked last (the first on a tie).
fn newer<'a>(kept: Option<&'a StateRow>, other: &'a StateRow) -> &'a StateRow {
    match kept {
        Some(k) if k.last_checked >= other.last_checked => k,
        _ => other,
    }
}

/// The check's row: the named document, or any other document's row that
/// carries a check result (a renamed check document still counts).
fn is_check(r: &StateRow, check_document: &str) -> bool {
    r.document == check_document || (r.document != DOCUMENT_NAME && r.nodes.is_some())
}

/// Groups the state rows by account-region; duplicates keep the newest.
fn places<'a>(
    rows: &'a [StateRow],
    check_document: &str,
) -> (BTreeMap<(&'a str, &'a str), Place<'a>>, usize) {
    let mut places: BTreeMap<(&str, &str), Place> = BTreeMap::new();
    let mut left_out = 0;
    for r in rows {
        if r.account.is_empty() || r.region.is_empty() {
            left_out += 1;
            continue;
        }
        let p = places.entry((&r.account, &r.region)).or_default();
        if r.document == DOCUMENT_NAME {
            p.shell = Some(newer(p.shell, r));
        } else if is_check(r, check_document) {
            p.check = Some(newer(p.check, r));
        } else if let Some(h) = r.held.as_deref() {
            p.held.insert(&r.document, h);
        }
    }
    (places, left_out)
}

/// The verdict, the note that explains it, and the result it rests on.
fn judge<'a>(
    shell: &StateRow,
    check: Option<&'a StateRow>,
) -> (Verdict, Option<String>, Option<&'a Readiness>) {
    let Some(c) = check else {
        return (Verdict::NoResultYet, Some(NO_CHECK.into()), None);
    };
    if matches!(c.status.as_str(), "failed" | "pending") {
        let why = c
            .last_error
            .as_deref()
            .or(c.last_error_code.as_deref())
            .map(crate::domain::aws_error::one_line)
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| format!("the check is {} (no error recorded)", c.status));
        return (Verdict::NoResultYet, Some(why), None);
    }
    let Some(found) = c.nodes.as_ref() else {
        return (Verdict::NoResultYet, Some(NO_RESULT.into()), None);
    };
    if let Some(want) = shell.desired_user.as_deref().filter(|w| *w != found.user) {
        let note = format!(
            "the check looks up {:?}, not the wanted user {want:?}: no result for {want:?} yet",
            found.user
        );
        return (Verdict::NoResultYet, Some(note), None);
    }
    (Verdict::of(Some(found)), None, Some(found))
}

/// The account-region's row; `None` when it is not governed (no
/// `SSM-SessionManagerRunShell` row, or an excluded one).
fn row(p: &Place) -> Option<Row> {
    let shell = p.shell.filter(|s| s.status != "excluded")?;
    let (kind, note, found) = judge(shell, p.check);
    let held: Vec<String> = shell
        .held
        .iter()
        .map(|h| crate::domain::aws_error::one_line(h))
        .chain(
            p.held
                .iter()
                .map(|(d, h)| format!("{d}: {}", crate::domain::aws_error::one_line(h))),
        )
        .collect();
    let looked_up = p
        .check
        .and_then(|c| c.nodes.as_ref())
        .map(|n| n.user.clone());
    Some(Row {
        account: shell.account.clone(),
        ou_path: shell
            .ou_path
            .clone()
            .or_else(|| p.check.and_then(|c| c.ou_path.clone()))
            .filter(|o| !segments(o).is_empty()),
        region: shell.region.clone(),
        mode: shell
            .mode
            .clone()
            .or_else(|| p.check.and_then(|c| c.mode.clone())),
        user: looked_up
            .filter(|u| !u.is_empty())
            .or_else(|| shell.desired_user.clone()),
        checked: found.map(|f| f.checked),
        missing: found.map(|f| f.missing),
        missing_nodes: found
            .map(|f| f.missing_nodes.iter().take(MAX_NODE_IDS).cloned().collect())
            .unwrap_or_default(),
        verdict: verdict_key(kind),
        verdict_text: kind.describe(),
        note,
        held: (!held.is_empty()).then(|| held.join("; ")),
        could_not_run: found.map(|f| f.not_run.nodes).filter(|n| *n > 0),
        could_not_run_reasons: found
            .filter(|f| !f.not_run.is_empty())
            .map(|f| f.not_run.describe()),
        kind,
    })
}

impl Totals {
    fn add(&mut self, r: &Row) {
        self.account_regions += 1;
        let n = match r.kind {
            Verdict::Ready => &mut self.ready,
            Verdict::WouldRefuse { .. } => &mut self.would_refuse,
            Verdict::CouldNotRun { .. } => &mut self.check_could_not_run,
            Verdict::NoResultYet => &mut self.no_result_yet,
            Verdict::NoLinuxOrMacosNodes => &mut self.no_linux_or_macos_nodes,
        };
        *n += 1;
        self.nodes_checked = self.nodes_checked.saturating_add(r.checked.unwrap_or(0));
        self.nodes_missing = self.nodes_missing.saturating_add(r.missing.unwrap_or(0));
        self.nodes_could_not_run = self
            .nodes_could_not_run
            .saturating_add(r.could_not_run.unwrap_or(0));
    }
}

/// Totals at every level of every OU path (tree order), then the group of
/// account-regions without one.
fn ou_totals(rows: &[Row]) -> Vec<OuTotals> {
    let mut known: BTreeMap<Vec<&str>, Totals> = BTreeMap::new();
    let mut unknown: Option<Totals> = None;
    for r in rows {
        let segs = segments(r.ou_path.as_deref().unwrap_or_default());
        if segs.is_empty() {
            unknown.get_or_insert_with(Totals::default).add(r);
        }
        for depth in 1..=segs.len() {
            known.entry(segs[..depth].to_vec()).or_default().add(r);
        }
    }
    let known = known.into_iter().map(|(path, totals)| OuTotals {
        ou: Some(path.join("/")),
        depth: path.len(),
        totals,
    });
    let unknown = unknown.map(|totals| OuTotals {
        ou: None,
        depth: 1,
        totals,
    });
    known.chain(unknown).collect()
}

/// The report over `rows` (every state item `status` would list), with the
/// check's rows recognised by `check_document`.
pub fn build(rows: &[StateRow], check_document: &str, filter: &Filter) -> Report {
    let (places, left_out) = places(rows, check_document);
    let mut rows: Vec<Row> = places
        .values()
        .filter_map(row)
        .filter(|r| filter.admits(r))
        .collect();
    // By OU path (none last), then account and region.
    rows.sort_by(|a, b| {
        (a.ou_path.is_none(), &a.ou_path, &a.account, &a.region).cmp(&(
            b.ou_path.is_none(),
            &b.ou_path,
            &b.account,
            &b.region,
        ))
    });
    let mut organization = Totals::default();
    rows.iter().for_each(|r| organization.add(r));
    Report {
        ous: ou_totals(&rows),
        organization,
        left_out,
        rows,
    }
}

#[cfg(test)]
mod tests;
