//! What a sweep found changed that no event brought (pure): a document
//! that differs from what the table last recorded, under the same desired
//! user and mode ([`crate::flow::account::change::judge`]). Each such
//! account-region is told as drift (`found_by: "sweep"`, warning) beside the
//! sweep's summary, because it means that account-region's forwarding may be
//! broken, not only that something was fixed. In audit, a new finding where
//! the slot was already noncompliant is news too (once: `new_drift` holds
//! the findings this run marked first). What the policy changed is its
//! summary's, never a per-slot warning.

use crate::domain::alert::{self, Alert, DriftFacts};
use crate::domain::outcome::{AccountReport, Action, Change};
use crate::domain::trigger::Trigger;

pub(super) fn drift_found(
    report: &AccountReport,
    new_drift: &std::collections::HashSet<String>,
    trigger: &Trigger,
    at: &str,
) -> Vec<Alert> {
    let Some(user) = report.desired_user.as_deref() else {
        return vec![];
    };
    let mut alerts = Vec::new();
    for o in &report.regions {
        let user = o.user(user);
        // Another life's default put back configures the account's new
        // life: its `account_configured` is told instead (`lives`).
        if o.change != Some(Change::Document) || o.another_life {
            continue;
        }
        let audit = o.action == Action::WouldChange;
        let told = if audit {
            new_drift.contains(&o.slot())
        } else {
            o.action.wrote() && o.was_noncompliant(user)
        };
        if !told {
            continue;
        }
        let facts = DriftFacts {
            expected_editor: false,
            audit,
            reverts_last_hour: 0,
        };
        alerts.push(alert::drift(&report.account, user, o, trigger, at, facts));
    }
    alerts
}

/// The audit findings of a life this sweep finds anew (a rejoin only it
/// found, a vend whose chain ended awaiting the member stack): told as that
/// life's vend would have told them, one `drift_detected` listing each
/// region, since this sweep's record makes them old news to the vend's
/// next run. A first look has no change to judge (`change` is none), so
/// [`drift_found`] leaves it to the summary; a new life's finding is news
/// (simulation seed 900009: a rejoin in audit found only by a sweep, its
/// root default told in the summary alone, and an admin's later root
/// version taken for that finding, never told).
pub(super) fn life_found(
    report: &AccountReport,
    new_drift: &std::collections::HashSet<String>,
    trigger: &Trigger,
    at: &str,
) -> Option<Alert> {
    let user = report.desired_user.as_deref()?;
    let rows: Vec<&crate::domain::outcome::RegionOutcome> = report
        .regions
        .iter()
        .filter(|o| o.action == Action::WouldChange && o.change.is_none() && !o.another_life)
        .filter(|o| new_drift.contains(&o.slot()))
        .collect();
    alert::audit_findings(&report.account, user, &rows, trigger, at)
}

/// What the run found that is news besides its writes: drift no event
/// brought (where the table last said right), nodes newly lacking the
/// user (one alert per account, at most), and Run As windows in the
/// versions made since the last run.
pub(super) fn news(
    job: &crate::domain::job::Job,
    report: &AccountReport,
    new_drift: &std::collections::HashSet<String>,
    new_missing: &std::collections::HashSet<String>,
) -> Vec<crate::domain::alert::Alert> {
    let at = crate::domain::clock::iso(crate::domain::clock::now());
    let mut alerts = match job.dry_run {
        false => drift_found(report, new_drift, &job.trigger, &at),
        true => vec![],
    };
    use crate::domain::alert::{finding_tampered, run_as_windows, user_missing};
    let t = &job.trigger;
    alerts.extend(user_missing(report, new_missing, t, &at));
    // Versions set out of policy and back; findings someone else changed.
    alerts.extend(run_as_windows(report, t, &at));
    alerts.extend(finding_tampered(report, t, &at));
    alerts
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::domain::outcome::RegionOutcome;
    use crate::domain::preferences::RunAs;

    fn row(
        region: &str,
        action: Action,
        before_user: &str,
        change: Option<Change>,
    ) -> RegionOutcome {
        let mut r = RegionOutcome::skipped(region, action, None);
        r.before = Some(RunAs {
            enabled: Some(serde_json::Value::Bool(true)),
            user: Some(serde_json::Value::String(before_user.into())),
        });
        r.change = change;
        r
    }

    fn policy_change() -> Option<Change> {
        Some(Change::Policy {
            from_user: Some("ops".into()),
            to_user: "app".into(),
            from_mode: None,
            to_mode: None,
        })
    }

    fn payments() -> AccountReport {
        AccountReport::uniform("111122223333", "payments", &[], |r| {
            RegionOutcome::skipped(r, Action::None, None)
        })
    }

    #[test]
    fn only_a_change_under_the_same_policy_is_told_and_audit_once_per_finding() {
        let doc = Some(Change::Document);
        let policy = policy_change();
        let mut report = payments();
        report.desired_user = Some("ops".into());
        report.regions = vec![
            row("us-east-1", Action::Updated, "root", doc.clone()), // put back: news
            row("eu-west-1", Action::DefaultSwitched, "x", doc.clone()), // news
            row("eu-west-2", Action::Updated, "x", None),           // first look: the summary's
            row("eu-north-1", Action::None, "ops", None),           // still right
            row("ap-south-1", Action::WouldChange, "x", doc.clone()), // audit, marked first: news
            row("ap-east-1", Action::WouldChange, "y", doc.clone()), // audit, marked by another run
            row("sa-east-1", Action::Updated, "ops", policy.clone()), // the policy's: its summary
            row("me-south-1", Action::WouldChange, "ops", policy),  // the policy's, in audit
        ];
        let new_drift: HashSet<String> = ["ap-south-1".to_string()].into();
        let t =
            crate::flow::sweep::sweep_trigger("sweep-1".into(), None, "aws.events", "scheduled");
        let alerts = drift_found(&report, &new_drift, &t, "2026-11-23T06:00:00.000Z");
        let got: Vec<(&str, &str)> = alerts
            .iter()
            .map(|a| (a.body["region"].as_str().unwrap(), a.kind.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("us-east-1", "drift_reverted"),
                ("eu-west-1", "drift_reverted"),
                ("ap-south-1", "drift_detected")
            ]
        );
        for a in &alerts {
            assert_eq!(
                (a.body["found_by"].as_str(), a.severity.as_str()),
                (Some("sweep"), "warning")
            );
            assert!(a.body["note"].as_str().unwrap().contains("forwarding"));
        }
    }

    #[test]
    fn a_new_lifes_audit_first_looks_are_one_finding_and_nothing_else_is() {
        let doc = Some(Change::Document);
        let policy = policy_change();
        let mut other_life = row("ca-central-1", Action::WouldChange, "root", None);
        other_life.another_life = true;
        let mut report = payments();
        report.desired_user = Some("ops".into());
        report.regions = vec![
            row("us-east-1", Action::WouldChange, "root", None), // first look, marked: told
            row("eu-west-1", Action::WouldChange, "x", None),    // first look, marked: told
            row("eu-west-2", Action::WouldChange, "y", None),    // marked by another run
            row("ap-south-1", Action::WouldChange, "z", doc),    // a change: drift_found's
            row("sa-east-1", Action::WouldChange, "w", policy),  // the policy's summary
            row("eu-north-1", Action::Updated, "v", None),       // enforce: its configuration
            row("ap-east-1", Action::None, "ops", None),         // right
            other_life,                                          // another life's
        ];
        let marked = [
            "us-east-1",
            "eu-west-1",
            "ap-south-1",
            "sa-east-1",
            "eu-north-1",
            "ap-east-1",
            "ca-central-1",
        ];
        let new_drift: HashSet<String> = marked.iter().map(|r| r.to_string()).collect();
        let t =
            crate::flow::sweep::sweep_trigger("sweep-1".into(), None, "aws.events", "scheduled");
        let at = "2026-11-23T06:00:00.000Z";
        let a = life_found(&report, &new_drift, &t, at).expect("one finding");
        assert_eq!(a.kind.as_str(), "drift_detected");
        let regions: Vec<&str> = a.body["regions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["region"].as_str().unwrap())
            .collect();
        assert_eq!(regions, ["us-east-1", "eu-west-1"], "{:#}", a.body);
        // Nothing marked first, or no desired user: nothing told.
        assert!(life_found(&report, &HashSet::new(), &t, at).is_none());
        report.desired_user = None;
        assert!(life_found(&report, &new_drift, &t, at).is_none());
    }
}
