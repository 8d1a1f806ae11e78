//! Security alerts as findings, both sides: each security event becomes one
//! finding per account-region it is about (FAILED, ACTIVE, its alert's
//! identity in its `Id`), and every alert that is not one stays quiet.

use serde_json::{json, Value};

use super::*;
use crate::domain::alert::{Alert, Kind, Severity};

use super::tests::NOW;

const ACCOUNT: &str = "111122223333";

fn place() -> Place<'static> {
    Place {
        partition: "aws",
        account: ACCOUNT,
        ou_path: Some("Root/Workloads"),
        runbook: "https://wiki.example.com/runas-guard/README.md",
    }
}

fn alert(kind: Kind, severity: Severity, body: Value) -> Alert {
    let mut body = body;
    body["actor"] = json!(format!("arn:aws:iam::{ACCOUNT}:role/Breakglass"));
    Alert {
        alert_id: format!("id-{}", kind.as_str()),
        kind,
        severity,
        account: ACCOUNT.into(),
        subject: format!("runas-guard: {}", kind.as_str()),
        body,
    }
}

fn root() -> Value {
    json!({"runAsEnabled": true, "runAsDefaultUser": "root"})
}

#[test]
fn each_security_alert_is_one_failed_active_finding_per_place_with_its_alerts_identity() {
    type Case = (&'static str, Alert, Vec<(Check, &'static str, Label)>);
    let cases: Vec<Case> = vec![
        (
            "tamper_repeated",
            alert(
                Kind::TamperRepeated,
                Severity::Critical,
                json!({"region": "eu-west-1", "document": "SSM-SessionManagerRunShell", "before": root(), "reverts_last_hour": 3}),
            ),
            vec![(Check::TamperRepeated, "eu-west-1", Label::Critical)],
        ),
        (
            "drift_detected, one region, not root",
            alert(
                Kind::DriftDetected,
                Severity::Warning,
                json!({"region": "eu-west-1", "document": "SSM-SessionManagerRunShell", "before": {"runAsEnabled": false}}),
            ),
            vec![(Check::DriftDetected, "eu-west-1", Label::High)],
        ),
        (
            "drift_detected, an audit summary of two regions",
            alert(
                Kind::DriftDetected,
                Severity::Warning,
                json!({"regions": [
                {"region": "eu-west-1", "document": "SSM-SessionManagerRunShell", "before": root()},
                {"region": "us-east-1", "document": "SSM-SessionManagerRunShell", "before": {"runAsEnabled": false}}]}),
            ),
            vec![
                (Check::DriftDetected, "eu-west-1", Label::Critical),
                (Check::DriftDetected, "us-east-1", Label::High),
            ],
        ),
        (
            "run_as_bypass",
            alert(
                Kind::RunAsBypass,
                Severity::Critical,
                json!({"region": "us-east-1", "document": "Elevated-Shell", "runs_as": ["root"]}),
            ),
            vec![(Check::Bypass, "us-east-1", Label::Critical)],
        ),
        (
            "run_as_override, no region: the home region",
            alert(
                Kind::RunAsOverride,
                Severity::Warning,
                json!({"region": null, "principal": format!("arn:aws:iam::{ACCOUNT}:role/Dev"), "value": "root"}),
            ),
            vec![(Check::Override, "eu-central-1", Label::Medium)],
        ),
        (
            "identity_center_drift",
            alert(
                Kind::IdentityCenterDrift,
                Severity::Warning,
                json!({"region": "eu-west-1", "instance": "arn:aws:sso:::instance/ssoins-1", "changes": [{"key": "SSMSessionRunAs"}]}),
            ),
            vec![(Check::IdentityCenterDrift, "eu-west-1", Label::Medium)],
        ),
    ];
    for (what, a, want) in cases {
        let out = alerted(place(), &a, "eu-central-1", NOW);
        let got: Vec<_> = out
            .iter()
            .map(|s| {
                (
                    s.finding.check,
                    s.finding.region.as_str(),
                    s.finding.severity,
                )
            })
            .collect();
        assert_eq!(got, want, "{what}");
        for s in &out {
            let f = &s.finding;
            assert_eq!(
                (f.compliance, f.archived),
                (Compliance::Failed, false),
                "{what}: never passed, never archived"
            );
            assert!(
                s.sent.is_none(),
                "{what}: told once, never marked nor re-sent"
            );
            assert_eq!(
                f.id,
                format!(
                    "runas-guard/{ACCOUNT}/{}/{}/{}",
                    f.region,
                    f.check.as_str(),
                    a.alert_id
                ),
                "{what}"
            );
            assert_eq!(
                f.details["alert_id"], a.alert_id,
                "{what}: the alert and the finding share it"
            );
            assert!(f.details["editor"].ends_with(":role/Breakglass"), "{what}");
            assert!(
                !f.check.types().is_empty() && !f.check.requirements().is_empty(),
                "{what}"
            );
            assert!(
                f.runbook
                    .ends_with("docs/operate.md#what-each-finding-means"),
                "{what}: {}",
                f.runbook
            );
            assert!(
                f.title.contains(ACCOUNT) && f.title.contains(&f.region),
                "{what}: {}",
                f.title
            );
            assert!(
                f.details
                    .values()
                    .all(|v| !v.trim().is_empty() && v.chars().count() <= MAX_DETAIL),
                "{what}"
            );
            assert_eq!(
                Check::marked(f.check.as_str()),
                None,
                "{what}: never read back as a mark"
            );
        }
    }
}

#[test]
fn an_alert_that_is_no_security_event_stays_quiet() {
    let quiet = [
        (
            "an expected editor's tag",
            alert(
                Kind::RunAsOverride,
                Severity::Info,
                json!({"principal": "arn:aws:iam::111122223333:role/Dev"}),
            ),
        ),
        // Told as the `edit` finding already.
        (
            "a revert",
            alert(
                Kind::DriftReverted,
                Severity::Warning,
                json!({"region": "eu-west-1"}),
            ),
        ),
        (
            "a window",
            alert(
                Kind::RunAsWindow,
                Severity::Critical,
                json!({"region": "eu-west-1"}),
            ),
        ),
        (
            "a configured account",
            alert(Kind::AccountConfigured, Severity::Info, json!({})),
        ),
        (
            "a sweep's summary",
            alert(Kind::SweepSummary, Severity::Warning, json!({})),
        ),
        (
            "a tampered finding",
            alert(
                Kind::FindingTampered,
                Severity::Error,
                json!({"region": "eu-west-1"}),
            ),
        ),
        (
            "a failed write",
            alert(
                Kind::RemediationFailed,
                Severity::Error,
                json!({"region": "eu-west-1"}),
            ),
        ),
    ];
    for (what, a) in quiet {
        assert!(
            alerted(place(), &a, "eu-central-1", NOW).is_empty(),
            "{what}"
        );
    }
}

#[test]
fn an_alerts_window_sessions_are_named_in_its_finding() {
    let mut a = alert(
        Kind::TamperRepeated,
        Severity::Critical,
        json!({"region": "eu-west-1", "before": root()}),
    );
    a.body["sessions"] = json!([{"session_id": "mallory-1", "owner": "arn:aws:sts::111122223333:assumed-role/Admin/mallory", "target": "i-0123456789abcdef0", "started": "2026-11-28T10:01:00Z", "status": "Connected"}]);
    a.body["sessions_more"] = json!(2);
    let f = &alerted(place(), &a, "eu-central-1", NOW)[0].finding;
    assert_eq!(f.details["sessions_count"], "3");
    assert!(f.details["session_1"].contains("mallory-1"));
    let mut unread = a.clone();
    unread.body = json!({"region": "eu-west-1", "sessions_unread": "AccessDeniedException"});
    let f = &alerted(place(), &unread, "eu-central-1", NOW)[0].finding;
    assert_eq!(f.details["sessions_unread"], "AccessDeniedException");
}
