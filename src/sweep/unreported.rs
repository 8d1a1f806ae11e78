//! Drift a sweep found where the table last said the account-region was
//! right: an edit was made and no event brought it (pure). Each such
//! account-region is told as drift (`found_by: "sweep"`, warning) beside the
//! sweep's summary, because it means that account-region's forwarding may be
//! broken, not only that something was fixed.

use serde_json::json;

use crate::alert::{self, Alert, DriftFacts};
use crate::outcome::{AccountReport, Action};
use crate::store::known::Snapshot;
use crate::trigger::Trigger;

/// What the item says when runas-guard last saw the account-region right.
const WAS_RIGHT: [&str; 3] = ["compliant", "remediated", "reverted"];

pub(super) fn drift_found(
    known: &Snapshot,
    report: &AccountReport,
    trigger: &Trigger,
    at: &str,
) -> Vec<Alert> {
    let Some(user) = report.desired_user.as_deref() else {
        return vec![];
    };
    let mut alerts = Vec::new();
    for o in &report.regions {
        let user = o.user(user);
        let was_right = known
            .get(&report.account, &o.slot())
            .and_then(|k| k.status.as_deref())
            .is_some_and(|s| WAS_RIGHT.contains(&s));
        let changed =
            (o.action.wrote() && o.was_noncompliant(user)) || o.action == Action::WouldChange;
        if !(was_right && changed) {
            continue;
        }
        let facts = DriftFacts {
            expected_editor: false,
            audit: o.action == Action::WouldChange,
            reverts_last_hour: 0,
        };
        let mut a = alert::drift(&report.account, user, o, trigger, at, facts);
        if let serde_json::Value::Object(b) = &mut a.body {
            b.insert("found_by".into(), json!("sweep"));
            b.insert(
                "note".into(),
                json!("no event arrived for this change: check that account-region's forwarding (doctor --account, the forwarding canary)"),
            );
        }
        alerts.push(a);
    }
    alerts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::RegionOutcome;
    use crate::preferences::RunAs;
    use crate::store::known::Known;

    fn row(region: &str, action: Action, before_user: &str) -> RegionOutcome {
        let mut r = RegionOutcome::skipped(region, action, None);
        r.before = Some(RunAs {
            enabled: Some(serde_json::Value::Bool(true)),
            user: Some(serde_json::Value::String(before_user.into())),
        });
        r
    }

    #[test]
    fn only_what_the_table_saw_right_is_news() {
        let known: Snapshot = [
            ("111122223333", "us-east-1", "compliant"),
            ("111122223333", "eu-west-1", "reverted"),
            ("111122223333", "eu-west-2", "noncompliant"),
            ("111122223333", "eu-north-1", "compliant"),
            ("111122223333", "ap-south-1", "compliant"),
        ]
        .into_iter()
        .map(|(a, r, s)| {
            let k = Known {
                status: Some(s.into()),
                ..Known::default()
            };
            (a.to_string(), r.to_string(), k)
        })
        .collect();
        let mut report = AccountReport::uniform("111122223333", "payments", &[], |r| {
            RegionOutcome::skipped(r, Action::None, None)
        });
        report.desired_user = Some("ops".into());
        report.regions = vec![
            row("us-east-1", Action::Updated, "root"), // right before: news
            row("eu-west-1", Action::DefaultSwitched, "x"), // reverted before: news
            row("eu-west-2", Action::Updated, "x"),    // known wrong: the summary's
            row("eu-north-1", Action::None, "ops"),    // still right
            row("ap-south-1", Action::WouldChange, "x"), // audit: seen, news
            row("sa-east-1", Action::Created, "x"),    // never recorded: a first run
        ];
        let t = crate::sweep::sweep_trigger("sweep-1".into(), None, "aws.events", "scheduled");
        let alerts = drift_found(&known, &report, &t, "2026-11-23T06:00:00.000Z");
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
}
