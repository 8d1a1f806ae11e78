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
    /// Rows the change moved from enforcing to audit only: protection
    /// stops there (a slip in the file, or a planned step worth a look).
    #[serde(default)]
    pub to_audit: usize,
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
        self.to_audit += usize::from(stops_enforcing(from_mode, to_mode));
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
        self.to_audit += other.to_audit;
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

/// A mode change from enforcing (`enforce`, `enforce-when-ready`) to
/// `audit`: nothing is put back there any more.
fn stops_enforcing(from: &Option<String>, to: &Option<String>) -> bool {
    matches!((from.as_deref(), to.as_deref()), (Some(f), Some("audit")) if f.starts_with("enforce"))
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
    // Enforcement stopping somewhere is a warning ("severity says what to
    // do now": look whether that was meant); other policy changes are info.
    let severity = match p.to_audit {
        0 => Severity::Info,
        _ => Severity::Warning,
    };
    let body = json!({
        "alert_id": alert_id(trigger, kind, "-", None),
        "kind": kind,
        "severity": severity,
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
        "to_audit": p.to_audit,
        "by_ou": p.by_ou,
        "entries": p.entries,
        "more": p.count - p.entries.len(),
    });
    Some(Alert::new(kind, severity, "-", &subject, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::outcome::Action;
    use crate::domain::trigger::TriggerKind;

    /// Both sides: a change that stops enforcing anywhere is a warning;
    /// one that starts enforcing, changes a user, or keeps enforcing is info.
    #[test]
    fn enforce_to_audit_is_told_at_warning() {
        let modes = |f: Option<&str>, t: Option<&str>| Change::Policy {
            from_user: Some("ops".into()),
            to_user: "ops".into(),
            from_mode: f.map(str::to_string),
            to_mode: t.map(str::to_string),
        };
        let cases = [
            (
                vec![modes(Some("enforce"), Some("audit"))],
                Severity::Warning,
                1,
            ),
            (
                vec![modes(Some("enforce-when-ready"), Some("audit"))],
                Severity::Warning,
                1,
            ),
            (
                vec![
                    modes(Some("audit"), Some("enforce")),
                    modes(Some("enforce"), Some("audit")),
                ],
                Severity::Warning,
                1,
            ),
            (
                vec![modes(Some("audit"), Some("enforce"))],
                Severity::Info,
                0,
            ),
            (
                vec![modes(Some("enforce"), Some("enforce-when-ready"))],
                Severity::Info,
                0,
            ),
            (vec![modes(None, None)], Severity::Info, 0),
        ];
        let trigger = Trigger {
            kind: TriggerKind::Sweep,
            account: None,
            region: None,
            actor: None,
            event_id: "sweep-1".into(),
            source: "aws.events".into(),
            event_name: None,
            reason: "scheduled".into(),
            context: Default::default(),
        };
        for (changes, want, to_audit) in cases {
            let regions: Vec<RegionOutcome> = changes
                .iter()
                .enumerate()
                .map(|(i, c)| RegionOutcome {
                    region: format!("eu-west-{i}"),
                    action: Action::WouldChange,
                    change: Some(c.clone()),
                    ..RegionOutcome::default()
                })
                .collect();
            let report = AccountReport {
                account: "111122223333".into(),
                name: None,
                ou_path: None,
                desired_user: Some("ops".into()),
                rule: None,
                role: None,
                packed_policy_size: None,
                mode: None,
                left_governance: None,
                regions,
                alerts_lost: 0,
                security_hub: None,
            };
            let mut t = PolicyTally::default();
            for o in &report.regions {
                t.add(&report, o);
            }
            let a = alert(&t, &trigger, "now").unwrap();
            assert_eq!(a.severity, want, "{changes:?}");
            assert_eq!(a.body["severity"], serde_json::json!(want), "{changes:?}");
            assert_eq!(a.body["to_audit"], to_audit, "{changes:?}");
        }
    }
}
