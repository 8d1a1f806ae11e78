//! What the policy changed in the check's association is not drift (pure):
//! a check row whose write is the policy's change (`Change::Policy`: the
//! desired user moved, and the association was what runas-guard wrote for
//! the old one; `crate::domain::nodes::plan::change`) is the sweep summary's to
//! count, never a per-account-region alert blaming an actor or the
//! forwarding. A document's row is the document rule's
//! (`crate::flow::account::change`).

use super::{Alert, Kind};
use crate::domain::outcome::{AccountReport, Change};

/// `alerts` without the drift alerts about the check's rows the policy
/// changed.
pub fn not_drift(report: &AccountReport, alerts: Vec<Alert>) -> Vec<Alert> {
    let changed: Vec<(&str, &str)> = report
        .regions
        .iter()
        .filter(|r| r.nodes.is_some() && matches!(r.change, Some(Change::Policy { .. })))
        .map(|r| (r.region.as_str(), r.document_name()))
        .collect();
    if changed.is_empty() {
        return alerts;
    }
    alerts
        .into_iter()
        .filter(|a| {
            let drift = matches!(
                a.kind,
                Kind::DriftReverted | Kind::DriftDetected | Kind::TamperRepeated
            );
            let place = (
                a.body["region"].as_str().unwrap_or_default(),
                a.body["document"].as_str().unwrap_or_default(),
            );
            !(drift && changed.contains(&place))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::alert::{drift, DriftFacts};
    use crate::domain::outcome::{Action, RegionOutcome};
    use crate::domain::preferences::RunAs;
    use crate::domain::trigger::{Trigger, TriggerKind};

    const CHECK: &str = "RunAsGuard-CheckRunAsUser";

    fn policy() -> Option<Change> {
        Some(Change::Policy {
            from_user: Some("olduser".into()),
            to_user: "ops".into(),
            from_mode: None,
            to_mode: None,
        })
    }

    fn row(region: &str, check: bool, change: Option<Change>) -> RegionOutcome {
        RegionOutcome {
            before: Some(RunAs::desired("olduser")),
            after: Some(RunAs::desired("ops")),
            nodes: check.then(Default::default),
            change,
            ..RegionOutcome::skipped(region, Action::Updated, None)
        }
        .for_document(
            if check {
                CHECK
            } else {
                crate::domain::trigger::DOCUMENT_NAME
            },
            "ops",
        )
    }

    #[test]
    fn only_drift_about_a_check_row_the_policy_changed_goes() {
        let t = Trigger {
            kind: TriggerKind::DocumentChanged,
            account: None,
            region: None,
            actor: None,
            event_id: "e-1".into(),
            source: "aws.ssm".into(),
            event_name: None,
            reason: "edit".into(),
            context: Default::default(),
        };
        let rows = vec![
            row("eu-west-1", true, policy()),               // the policy's: goes
            row("eu-west-1", false, policy()),              // a document: its own rule's, stays
            row("us-east-1", true, Some(Change::Document)), // edited: stays
            row("ap-south-1", true, None),                  // not compared: stays
        ];
        let mut report = AccountReport::uniform("111122223333", "n", &[], |r| {
            RegionOutcome::skipped(r, Action::None, None)
        });
        report.desired_user = Some("ops".into());
        report.regions = rows.clone();
        let facts = DriftFacts::default();
        let mut alerts: Vec<Alert> = rows
            .iter()
            .map(|o| drift("111122223333", "ops", o, &t, "now", facts))
            .collect();
        let mut found = crate::domain::canary::Findings::default();
        let account = crate::domain::canary::Account {
            id: "111122223333",
            name: None,
            ou_path: None,
        };
        let refused = crate::domain::canary::Finding {
            region: "eu-west-1".into(),
            cause: crate::domain::canary::Cause::Unwritable("X".into()),
            detail: String::new(),
            mark: crate::domain::canary::Mark::Unwritable {
                told: None,
                code: "X".into(),
            },
        };
        found.add(&account, &[refused]);
        alerts.extend(crate::domain::alert::canary_findings(
            &found.told(),
            None,
            &t,
            "now",
        ));
        let kept: Vec<(String, String, Kind)> = not_drift(&report, alerts)
            .iter()
            .map(|a| {
                (
                    a.body["region"].as_str().unwrap().to_string(),
                    a.body["document"].as_str().unwrap().to_string(),
                    a.kind,
                )
            })
            .collect();
        let doc = crate::domain::trigger::DOCUMENT_NAME.to_string();
        assert_eq!(
            kept,
            [
                ("eu-west-1".into(), doc.clone(), Kind::DriftReverted),
                ("us-east-1".into(), CHECK.into(), Kind::DriftReverted),
                ("ap-south-1".into(), CHECK.into(), Kind::DriftReverted),
                // Not drift: never filtered, whatever its place.
                ("eu-west-1".into(), doc, Kind::CanaryUnwritable),
            ]
        );
    }
}
