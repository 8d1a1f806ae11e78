//! What the policy changed, told once per sweep (pure): account-regions
//! whose desired user or mode differs from what the table last recorded,
//! counted per OU and per change, the first [`super::MAX_ENTRIES`] named.
//! Never a per-account-region warning and never forwarding blame: the
//! platform team changed the policy on purpose (a reviewed change request).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::alert::{alert_id, Alert, Kind, Severity};
use crate::domain::outcome::{AccountReport, Change, RegionOutcome};
use crate::domain::trigger::Trigger;

/// One account-region the policy's change reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyEntry {
    pub account: String,
    pub name: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// `updated`, `created`, `default-switched` (enforce) or `would-change` (audit).
    pub action: String,
    /// `ops -> app`, `audit -> enforce`, or both.
    pub change: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyTally {
    /// Rows (each account-region's default document, its `[[document]]`s
    /// and the check's association) written (enforce) or found to differ
    /// (audit) because the policy now wants another user or mode.
    pub count: usize,
    /// The account-regions those rows are in, each counted once, as the
    /// sweep summary counts them (unreleased: `account_regions` used to be
    /// the rows).
    #[serde(default)]
    pub account_regions: usize,
    /// Of them, written.
    pub written: usize,
    /// Per OU path (by name; the account id where the path is unknown).
    pub by_ou: BTreeMap<String, usize>,
    /// Per change (`ops -> app`, `audit -> enforce`).
    pub changes: BTreeMap<String, usize>,
    pub entries: Vec<PolicyEntry>,
}

impl PolicyTally {
    /// Counts `o` when the policy changed it; false otherwise.
    pub fn add(&mut self, report: &AccountReport, o: &RegionOutcome) -> bool {
        let Some(Change::Policy {
            from_user,
            to_user,
            from_mode,
            to_mode,
        }) = &o.change
        else {
            return false;
        };
        let mut words = Vec::new();
        if from_user.as_deref() != Some(to_user.as_str()) {
            words.push(format!(
                "{} -> {to_user}",
                from_user.as_deref().unwrap_or("none")
            ));
        }
        if let (Some(a), Some(b)) = (from_mode, to_mode) {
            words.push(format!("{a} -> {b}"));
        }
        let change = words.join(", ");
        self.count += 1;
        self.account_regions += usize::from(first_in_region(report, o));
        self.written += usize::from(o.action.wrote());
        let ou = report
            .ou_path
            .clone()
            .unwrap_or_else(|| report.account.clone());
        *self.by_ou.entry(ou).or_default() += 1;
        *self.changes.entry(change.clone()).or_default() += 1;
        self.entries.push(PolicyEntry {
            account: report.account.clone(),
            name: report.name.clone().unwrap_or_default(),
            region: o.region.clone(),
            document: o.document.clone(),
            action: o.action.as_str().to_string(),
            change,
        });
        self.trim();
        true
    }

    pub fn merge(&mut self, other: PolicyTally) {
        self.count += other.count;
        self.account_regions += other.account_regions;
        self.written += other.written;
        for (k, v) in other.by_ou {
            *self.by_ou.entry(k).or_default() += v;
        }
        for (k, v) in other.changes {
            *self.changes.entry(k).or_default() += v;
        }
        self.entries.extend(other.entries);
        self.trim();
    }

    /// The same entries whatever order accounts finished in.
    fn trim(&mut self) {
        self.entries.sort_by(|a, b| {
            (&a.account, &a.region, &a.document).cmp(&(&b.account, &b.region, &b.document))
        });
        self.entries.truncate(super::MAX_ENTRIES);
    }
}

/// Whether `o` is the first row of its region in `report` that the policy
/// changed: an account is in one report, so counting those counts each
/// account-region once, whatever part of a sweep tallied it.
fn first_in_region(report: &AccountReport, o: &RegionOutcome) -> bool {
    let policy = |r: &&RegionOutcome| {
        r.region == o.region && matches!(r.change, Some(Change::Policy { .. }))
    };
    report
        .regions
        .iter()
        .find(policy)
        .is_none_or(|first| std::ptr::eq(first, o))
}

/// The sweep's one `policy_applied`, or nothing when the policy changed
/// nothing it reached.
pub fn alert(p: &PolicyTally, trigger: &Trigger, at: &str) -> Option<Alert> {
    if p.count == 0 {
        return None;
    }
    let kind = Kind::PolicyApplied;
    let changes: Vec<String> = p.changes.iter().map(|(c, n)| format!("{c}: {n}")).collect();
    let verb = if p.written == p.count {
        "applied to"
    } else {
        "reached"
    };
    // The account-regions, as the sweep summary counts them; the changes
    // count rows, said so where an account-region has more than one.
    let rows = match p.count == p.account_regions {
        true => String::new(),
        false => format!(", {} documents and associations", p.count),
    };
    let subject = format!(
        "runas-guard: policy change {verb} {} account-regions{rows} ({})",
        p.account_regions,
        changes.join("; ")
    );
    let body = json!({
        "alert_id": alert_id(trigger, kind, "-", None),
        "kind": kind,
        "severity": Severity::Info,
        "account": null,
        "region": null,
        "actor": null,
        "before": null,
        "after": null,
        "trigger_id": trigger.event_id,
        "trigger_kind": trigger.kind.as_str(),
        "at": at,
        "account_regions": p.account_regions,
        "rows": p.count,
        "written": p.written,
        "found_in_audit": p.count - p.written,
        "changes": p.changes,
        "by_ou": p.by_ou,
        "entries": p.entries,
        "more": p.count - p.entries.len(),
    });
    Some(Alert::new(kind, Severity::Info, "-", &subject, body))
}
