//! CloudWatch metrics as Embedded Metric Format lines on stdout (namespace
//! `RunAsGuard`): Lambda's log pipeline turns them into metrics, with no
//! PutMetricData call on the hot path. Only the Lambda emits them; the CLI's
//! stdout is for its report.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{json, Map, Value};

use crate::domain::nodes::refusal::enforcing;
use crate::domain::outcome::{AccountReport, Action, Handled, Outcome, RegionOutcome};
use crate::domain::trigger::TriggerKind;

pub const NAMESPACE: &str = "RunAsGuard";

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Called once by the Lambda entry point.
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub name: &'static str,
    pub value: f64,
    pub unit: &'static str,
}

fn count(name: &'static str, n: usize) -> Metric {
    Metric {
        name,
        value: n as f64,
        unit: "Count",
    }
}

/// One EMF document: the `_aws` block declares every metric, and each
/// metric's value (and the `Trigger` dimension) sits at the root. Two
/// dimension sets: per trigger, and none (the totals alarms watch).
pub fn emf(metrics: &[Metric], trigger: &str, timestamp_ms: i64) -> String {
    let mut root = Map::new();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Trigger"], []],
                "Metrics": metrics.iter().map(|m| json!({"Name": m.name, "Unit": m.unit})).collect::<Vec<_>>(),
            }]
        }),
    );
    root.insert("Trigger".into(), Value::String(trigger.into()));
    for m in metrics {
        root.insert(m.name.into(), json!(m.value));
    }
    Value::Object(root).to_string()
}

/// A document event: reverts, and how long from the edit to the fix.
fn document_metrics(
    outcome: &Outcome,
    wrote: usize,
    seconds_since_event: Option<f64>,
) -> Vec<Metric> {
    let mut out = Vec::new();
    let reverted = alerts_of(outcome, &["drift_reverted", "tamper_repeated"]);
    out.push(count("Reverts", reverted));
    if let (true, Some(s)) = (wrote > 0, seconds_since_event) {
        out.push(Metric {
            name: "SecondsToFix",
            value: s.max(0.0),
            unit: "Seconds",
        });
    }
    out
}

/// With `[identity_center]`: drifts told, and whether the look could run
/// (an alarm watches the failures).
fn identity_center_metrics(outcome: &Outcome) -> Vec<Metric> {
    let Some(looked) = &outcome.identity_center else {
        return vec![];
    };
    let failed = looked["status"] == "failed";
    vec![
        count(
            "IdentityCenterDrifts",
            alerts_of(outcome, &["identity_center_drift"]),
        ),
        count("IdentityCenterLookFailures", usize::from(failed)),
    ]
}

/// What one handled input is worth counting. `seconds_since_event` is the
/// time from the event's `eventTime` to now, when it had one;
/// `sweep_seconds` a whole sweep's duration (none for one fanned-out account).
pub fn for_outcome(
    kind: TriggerKind,
    outcome: &Outcome,
    seconds_since_event: Option<f64>,
    sweep_seconds: Option<f64>,
) -> Vec<Metric> {
    if outcome.result == Handled::Coalesced {
        // A flood shows here before it shows anywhere else.
        return vec![count("EventsCoalesced", 1)];
    }
    if !matches!(outcome.result, Handled::Done | Handled::Failed) {
        return vec![];
    }
    let regions = || outcome.accounts.iter().flat_map(|a| a.regions.iter());
    let wrote = regions().filter(|r| r.action.wrote()).count();
    let of = |a: Action| regions().filter(|r| r.action == a).count();
    let mut out = vec![
        count("RemediationFailures", of(Action::Failed)),
        count("AccountRegionsPending", of(Action::Pending)),
    ];
    out.extend(packed_policy_size(outcome));
    out.extend(findings(outcome));
    match kind {
        TriggerKind::DocumentChanged => {
            out.extend(document_metrics(outcome, wrote, seconds_since_event))
        }
        TriggerKind::AccountVended
        | TriggerKind::AccountMoved
        | TriggerKind::MemberStackLanded
        | TriggerKind::BaselineApplied => {
            out.push(count(
                "AccountsConfigured",
                alerts_of(outcome, &["account_configured"]),
            ));
        }
        TriggerKind::Sweep => {
            out.extend(sweep_metrics(outcome, wrote, sweep_seconds));
            out.extend(identity_center_metrics(outcome));
        }
        TriggerKind::RunAsOverride => {
            out.push(count(
                "RunAsOverrides",
                alerts_of(outcome, &["run_as_override"]),
            ));
            out.extend(identity_center_metrics(outcome));
        }
        TriggerKind::SessionDocumentChanged => {
            out.push(count(
                "RunAsBypasses",
                alerts_of(outcome, &["run_as_bypass"]),
            ));
        }
        // The canary's worker says how long its arrival took.
        TriggerKind::ForwardingCanary | TriggerKind::Ignored => return lost(outcome.alerts_lost),
    }
    out.extend(lost(outcome.alerts_lost));
    out
}

/// `[security_hub] findings`: what was imported and what Security Hub did
/// not take (`FindingsFailed`, the `<fn>-findings-failed` alarm); nothing
/// where the run sent none.
fn findings(outcome: &Outcome) -> Vec<Metric> {
    let imports: Vec<_> = outcome
        .accounts
        .iter()
        .filter_map(|a| a.security_hub.as_ref())
        .collect();
    if imports.is_empty() {
        return vec![];
    }
    vec![
        count("FindingsImported", imports.iter().map(|i| i.imported).sum()),
        count(
            "FindingsFailed",
            imports.iter().map(|i| i.failed.len()).sum(),
        ),
    ]
}

/// The fullest packed session policy of the run's sessions, in percent of
/// AWS's limit (an alarm watches it near 100); nothing when AWS said none.
fn packed_policy_size(outcome: &Outcome) -> Option<Metric> {
    let fullest = outcome
        .accounts
        .iter()
        .filter_map(|a| a.packed_policy_size)
        .max()?;
    Some(Metric {
        name: "PackedPolicySize",
        value: f64::from(fullest),
        unit: "Percent",
    })
}

/// Alerts SNS refused that the outbox could not keep either (an alarm
/// watches them); nothing when there are none.
pub fn lost(n: usize) -> Vec<Metric> {
    match n {
        0 => vec![],
        n => vec![count("AlertsLost", n)],
    }
}

/// Alerts of these kinds this run decided.
fn alerts_of(outcome: &Outcome, kinds: &[&str]) -> usize {
    outcome
        .alerts
        .iter()
        .filter(|a| kinds.contains(&a.kind))
        .count()
}

/// Prints the metrics as one EMF line, in Lambda only.
pub fn emit(metrics: &[Metric], trigger: &str) {
    if metrics.is_empty() || !ENABLED.load(Ordering::Relaxed) {
        return;
    }
    println!(
        "{}",
        emf(
            metrics,
            trigger,
            crate::domain::clock::epoch_millis(crate::domain::clock::now())
        )
    );
}

/// Seconds from an ISO-8601 `eventTime` (`2026-11-21T10:00:00Z`) to `now_ms`.
pub fn seconds_since(event_time: &str, now_ms: i64) -> Option<f64> {
    let t = crate::domain::clock::parse_iso(event_time)?;
    Some((now_ms - t) as f64 / 1000.0)
}

/// What a sweep adds: account-regions checked, fixed, still wrong, and how
/// long the whole sweep took.
fn sweep_metrics(outcome: &Outcome, wrote: usize, sweep_seconds: Option<f64>) -> Vec<Metric> {
    let regions = || outcome.accounts.iter().flat_map(|a| a.regions.iter());
    // Still wrong after the sweep: seen in audit mode, or not fixed.
    let still_wrong = regions()
        .filter(|r| matches!(r.action, Action::WouldChange | Action::Failed))
        .count();
    let mut out = vec![
        count("AccountRegionsChecked", regions().count()),
        count("AccountRegionsFixed", wrote),
        count("NoncompliantAccountRegions", still_wrong),
        // The alarm's: wrong where the policy enforces Run As now. Audit
        // findings and held regions are a rollout's, expected until it
        // ends; a failure there is `RemediationFailures`'.
        count(
            "NoncompliantEnforcedAccountRegions",
            account_regions(outcome, noncompliant_enforced),
        ),
        // A whole sweep that governed none or far fewer accounts than it
        // should (an alarm watches it).
        count("SweepDegraded", usize::from(outcome.degraded.is_some())),
    ];
    out.extend(mode_metrics(outcome));
    // The run-as user check, where it is on: nodes where every session
    // would be refused, and the account-regions they are in.
    let checks: Vec<_> = regions().filter_map(|r| r.nodes.as_ref()).collect();
    if !checks.is_empty() {
        let missing: u64 = checks.iter().map(|n| n.missing).sum();
        out.push(Metric {
            name: "NodesMissingRunAsUser",
            value: missing as f64,
            unit: "Count",
        });
        out.push(count(
            "AccountRegionsMissingRunAsUser",
            checks.iter().filter(|n| n.missing > 0).count(),
        ));
    }
    if let Some(s) = sweep_seconds {
        out.push(Metric {
            name: "SweepDurationSeconds",
            value: s,
            unit: "Seconds",
        });
    }
    out
}

/// Distinct account-regions with a row that `pick` takes.
fn account_regions(outcome: &Outcome, pick: fn(&AccountReport, &RegionOutcome) -> bool) -> usize {
    let mut seen = HashSet::new();
    for a in &outcome.accounts {
        for r in a.regions.iter().filter(|r| pick(a, r)) {
            seen.insert((a.account.as_str(), r.region.as_str()));
        }
    }
    seen.len()
}

/// A governed document's row (not the check's: the region runs carry each
/// document's mode; an account that could not be reached has one row per
/// region without a document name) left wrong where the policy enforces
/// Run As now (a row's own mode, else the account's; none: enforced).
fn noncompliant_enforced(a: &AccountReport, r: &RegionOutcome) -> bool {
    let document = r.mode.is_some() || r.document.is_none();
    document
        && matches!(r.action, Action::WouldChange | Action::Failed)
        && enforcing(r.mode.or(a.mode), r.held.is_some())
}

/// A staged rollout's progress: account-regions per mode (of
/// `SSM-SessionManagerRunShell`), those an `enforce-when-ready` rule still
/// holds, and accounts outside the scope.
fn mode_metrics(outcome: &Outcome) -> Vec<Metric> {
    use crate::domain::policy::Mode;
    let rows = || {
        outcome
            .accounts
            .iter()
            .flat_map(|a| a.regions.iter())
            .filter(|r| r.document.is_none())
    };
    let of = |m: Mode| rows().filter(|r| r.mode == Some(m)).count();
    vec![
        count("AccountRegionsEnforce", of(Mode::Enforce)),
        count("AccountRegionsAudit", of(Mode::Audit)),
        count("AccountRegionsEnforceWhenReady", of(Mode::EnforceWhenReady)),
        count(
            "AccountRegionsHeld",
            rows().filter(|r| r.held.is_some()).count(),
        ),
        // The alarm's: held at least `[nodes] held_alert_after`, no longer
        // a rollout's expected wait (any governed document of the region).
        count(
            "AccountRegionsHeldTooLong",
            account_regions(outcome, |_, r| r.held_too_long),
        ),
        count(
            "AccountsOutOfScope",
            outcome
                .accounts
                .iter()
                .filter(|a| a.regions.iter().any(|r| r.action == Action::OutOfScope))
                .count(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::outcome::AlertSent;

    /// The EMF specification's checks, on one emitted line.
    fn assert_emf(line: &str) -> Value {
        let v: Value = serde_json::from_str(line).expect("one JSON object per line");
        let aws = &v["_aws"];
        assert!(aws["Timestamp"].is_i64(), "Timestamp is epoch milliseconds");
        let directives = aws["CloudWatchMetrics"].as_array().unwrap();
        for d in directives {
            assert_eq!(d["Namespace"], NAMESPACE);
            for set in d["Dimensions"].as_array().unwrap() {
                for key in set.as_array().unwrap() {
                    assert!(
                        v[key.as_str().unwrap()].is_string(),
                        "dimension {key} at the root"
                    );
                }
            }
            for m in d["Metrics"].as_array().unwrap() {
                let name = m["Name"].as_str().unwrap();
                assert!(v[name].is_number(), "metric {name} at the root");
                assert!(["Count", "Seconds", "Percent"].contains(&m["Unit"].as_str().unwrap()));
            }
        }
        v
    }

    fn outcome(actions: &[Action], alerts: &[&'static str]) -> Outcome {
        let mut o = Outcome::new(Value::Null, Handled::Done, "");
        o.accounts.push(AccountReport {
            regions: actions
                .iter()
                .map(|a| RegionOutcome::skipped("r", *a, None))
                .collect(),
            ..AccountReport::uniform("111122223333", "n", &[], |_| unreachable!())
        });
        o.alerts = alerts
            .iter()
            .map(|k| AlertSent {
                alert_id: "a".into(),
                kind: k,
                severity: "info",
                subject: "s".into(),
            })
            .collect();
        o
    }

    #[test]
    fn each_trigger_counts_what_on_call_watches() {
        let revert = outcome(&[Action::Updated], &["drift_reverted"]);
        let m = for_outcome(TriggerKind::DocumentChanged, &revert, Some(4.5), None);
        let names: Vec<&str> = m.iter().map(|m| m.name).collect();
        assert_eq!(
            names,
            [
                "RemediationFailures",
                "AccountRegionsPending",
                "Reverts",
                "SecondsToFix"
            ]
        );
        assert_eq!(m[3].value, 4.5);
        let quiet = outcome(&[Action::None], &[]);
        assert_eq!(
            for_outcome(TriggerKind::DocumentChanged, &quiet, Some(4.5), None).len(),
            3,
            "no fix, no latency"
        );
        let vend = outcome(&[Action::Created, Action::Failed], &["remediation_failed"]);
        let m = for_outcome(TriggerKind::AccountVended, &vend, None, None);
        assert_eq!((m[0].name, m[0].value), ("RemediationFailures", 1.0));
        assert_eq!((m[1].name, m[1].value), ("AccountRegionsPending", 0.0));
        assert_eq!((m[2].name, m[2].value), ("AccountsConfigured", 0.0));
        let mut sweep = outcome(
            &[
                Action::None,
                Action::Created,
                Action::WouldChange,
                Action::Failed,
                Action::Pending,
            ],
            &[],
        );
        use crate::domain::policy::Mode;
        let rows = &mut sweep.accounts[0].regions;
        rows[0].mode = Some(Mode::Enforce);
        rows[1].mode = Some(Mode::EnforceWhenReady);
        rows[2].mode = Some(Mode::EnforceWhenReady);
        rows[2].held = Some("held until ready: no result yet".into());
        rows[3].mode = Some(Mode::Audit);
        // A [[document]]'s row is not an account-region of its own.
        rows[4].mode = Some(Mode::Audit);
        rows[4].document = Some("SSMRunAs-Admin".into());
        let m = for_outcome(TriggerKind::Sweep, &sweep, None, Some(12.0));
        let got: Vec<(&str, f64)> = m.iter().map(|m| (m.name, m.value)).collect();
        assert_eq!(
            got,
            [
                ("RemediationFailures", 1.0),
                ("AccountRegionsPending", 1.0),
                ("AccountRegionsChecked", 5.0),
                ("AccountRegionsFixed", 1.0),
                ("NoncompliantAccountRegions", 2.0),
                ("NoncompliantEnforcedAccountRegions", 0.0),
                ("SweepDegraded", 0.0),
                ("AccountRegionsEnforce", 1.0),
                ("AccountRegionsAudit", 1.0),
                ("AccountRegionsEnforceWhenReady", 2.0),
                ("AccountRegionsHeld", 1.0),
                ("AccountRegionsHeldTooLong", 0.0),
                ("AccountsOutOfScope", 0.0),
                ("SweepDurationSeconds", 12.0)
            ]
        );
        // A degraded sweep is 1, for the alarm.
        sweep.degraded = crate::domain::degraded::explained(
            crate::domain::degraded::Seen {
                accounts: 1,
                governed: 0,
                expected: 1,
                unreadable: 1,
            },
            None,
            "p",
            None,
        )
        .map(Box::new);
        let m = for_outcome(TriggerKind::Sweep, &sweep, None, None);
        assert!(m.contains(&count("SweepDegraded", 1)), "{m:?}");
        let mut dup = quiet.clone();
        dup.result = Handled::Duplicate;
        assert!(for_outcome(TriggerKind::DocumentChanged, &dup, None, None).is_empty());
        let mut coalesced = quiet.clone();
        coalesced.result = Handled::Coalesced;
        let got: Vec<_> = for_outcome(TriggerKind::DocumentChanged, &coalesced, Some(3.0), None)
            .iter()
            .map(|m| (m.name, m.value))
            .collect();
        assert_eq!(got, [("EventsCoalesced", 1.0)]);
    }

    /// The metrics infra/hub.yaml's alarms watch with "> 0" (the sweep's),
    /// and those that are above it in `m`.
    fn alarmed(m: &[Metric]) -> Vec<&'static str> {
        const WATCHED: [&str; 4] = [
            "RemediationFailures",
            "NoncompliantEnforcedAccountRegions",
            "AccountRegionsHeldTooLong",
            "SweepDegraded",
        ];
        for name in WATCHED {
            assert!(m.iter().any(|x| x.name == name), "{name} is emitted: {m:?}");
        }
        m.iter()
            .filter(|x| WATCHED.contains(&x.name) && x.value > 0.0)
            .map(|x| x.name)
            .collect()
    }

    /// One account's rows in two regions: the default document's (in
    /// `mode`, held or not) and the check's, whose nodes lack the user.
    fn rolled_out(account: &str, action: Action, mode: Mode, held: bool) -> AccountReport {
        let rows = ["eu-west-1", "us-east-1"].into_iter().flat_map(|region| {
            let document = RegionOutcome {
                mode: Some(mode),
                held: held.then(|| "held until ready: user ops missing on 1 of 2 nodes".into()),
                ..RegionOutcome::skipped(region, action, None)
            };
            let check = RegionOutcome {
                nodes: Some(crate::domain::nodes::Readiness {
                    user: "ops".into(),
                    checked: 2,
                    missing: 1,
                    ..Default::default()
                }),
                ..RegionOutcome::skipped(region, Action::Created, None)
            }
            .for_document(crate::domain::nodes::CHECK_DOCUMENT, "ops");
            [document, check]
        });
        AccountReport {
            desired_user: Some("ops".into()),
            mode: Some(mode),
            regions: rows.collect(),
            ..AccountReport::uniform(account, "n", &[], |_| unreachable!())
        }
    }

    fn swept(accounts: Vec<AccountReport>) -> Vec<Metric> {
        let mut o = Outcome::new(Value::Null, Handled::Done, "");
        o.accounts = accounts;
        for_outcome(TriggerKind::Sweep, &o, None, Some(1.0))
    }

    fn value(m: &[Metric], name: &str) -> f64 {
        m.iter().find(|x| x.name == name).map_or(-1.0, |x| x.value)
    }

    use crate::domain::policy::Mode;

    #[test]
    fn a_rollout_leaves_every_alarm_ok_and_a_failure_in_it_still_moves_one() {
        // Audit everywhere, enforce-when-ready holding a day or less: nodes
        // lack the user, documents are wrong, nothing is unexpected.
        let audit = rolled_out("111111111111", Action::WouldChange, Mode::Audit, false);
        let held = rolled_out(
            "222222222222",
            Action::WouldChange,
            Mode::EnforceWhenReady,
            true,
        );
        let m = swept(vec![audit.clone(), held.clone()]);
        assert_eq!(alarmed(&m), Vec::<&str>::new(), "{m:?}");
        // The rollout's progress is still counted, for the dashboard.
        assert_eq!(value(&m, "NoncompliantAccountRegions"), 4.0);
        assert_eq!(value(&m, "AccountRegionsHeld"), 2.0);
        assert_eq!(value(&m, "AccountRegionsMissingRunAsUser"), 4.0);
        // ... and the alerts it decides page nobody at error.
        for report in [&audit, &held] {
            let news = report
                .regions
                .iter()
                .filter(|o| o.nodes.is_some())
                .map(|o| o.slot())
                .collect();
            let t = crate::domain::trigger::Trigger {
                kind: TriggerKind::Sweep,
                account: None,
                region: None,
                actor: None,
                event_id: "s".into(),
                source: "aws.events".into(),
                event_name: None,
                reason: "r".into(),
                context: Default::default(),
            };
            let a = crate::domain::alert::user_missing(report, &news, &t, "now").unwrap();
            assert_eq!(a.severity, crate::domain::alert::Severity::Warning);
        }

        // A remediation failure in the same sweep, in an audit region:
        // the failures alarm moves, the noncompliant one does not.
        let mut failing = audit.clone();
        failing.regions[0].action = Action::Failed;
        failing.regions[0].error_code = Some("AccessDeniedException".into());
        let m = swept(vec![failing, held.clone()]);
        assert_eq!(alarmed(&m), ["RemediationFailures"], "{m:?}");

        // A hold past [nodes] held_alert_after: the held alarm.
        let mut long = held.clone();
        long.regions[0].held_too_long = true;
        let m = swept(vec![audit.clone(), long]);
        assert_eq!(alarmed(&m), ["AccountRegionsHeldTooLong"], "{m:?}");
        assert_eq!(value(&m, "AccountRegionsHeldTooLong"), 1.0);
    }

    #[test]
    fn noncompliant_enforced_counts_what_the_policy_enforces_and_a_sweep_left_wrong() {
        let wrong = |action: Action, mode: Option<Mode>, held: bool, account_mode: Option<Mode>| {
            let mut a = rolled_out("111111111111", action, Mode::Enforce, held);
            a.mode = account_mode;
            for r in a.regions.iter_mut().filter(|r| r.nodes.is_none()) {
                r.mode = mode;
            }
            value(&swept(vec![a]), "NoncompliantEnforcedAccountRegions")
        };
        use Mode::*;
        // (action, the row's mode, held, the account's mode, account-regions counted)
        let cases = [
            (Action::Failed, Some(Enforce), false, Some(Enforce), 2.0),
            (
                Action::WouldChange,
                Some(Enforce),
                false,
                Some(Enforce),
                2.0,
            ),
            (
                Action::Failed,
                Some(EnforceWhenReady),
                false,
                Some(Enforce),
                2.0,
            ),
            (
                Action::Failed,
                Some(EnforceWhenReady),
                true,
                Some(Enforce),
                0.0,
            ),
            (Action::WouldChange, Some(Audit), false, Some(Enforce), 0.0),
            (Action::Failed, Some(Audit), false, Some(Audit), 0.0),
            (Action::Pending, Some(Enforce), false, Some(Enforce), 0.0),
            (Action::Updated, Some(Enforce), false, Some(Enforce), 0.0),
            (Action::None, Some(Audit), false, Some(Audit), 0.0),
            // An account that could not be reached: rows without a mode,
            // judged by the account's (none: enforced).
            (Action::Failed, None, false, Some(Audit), 0.0),
            (Action::Failed, None, false, Some(Enforce), 2.0),
            (Action::Failed, None, false, None, 2.0),
        ];
        for (action, mode, held, account, want) in cases {
            assert_eq!(
                wrong(action, mode, held, account),
                want,
                "{action:?} {mode:?} {held} {account:?}"
            );
        }
        // The check's own failed row is no document: a failure, not noncompliance.
        let mut a = rolled_out("111111111111", Action::None, Enforce, false);
        for r in a.regions.iter_mut().filter(|r| r.nodes.is_some()) {
            r.nodes = None;
            r.action = Action::Failed;
        }
        let m = swept(vec![a]);
        assert_eq!(value(&m, "NoncompliantEnforcedAccountRegions"), 0.0);
        assert_eq!(value(&m, "RemediationFailures"), 2.0);
    }

    #[test]
    fn alerts_lost_are_counted_whatever_the_trigger_and_only_when_there_are_any() {
        let mut failed = outcome(&[Action::Created], &[]);
        failed.result = Handled::Failed;
        failed.alerts_lost = 2;
        for kind in [
            TriggerKind::Sweep,
            TriggerKind::DocumentChanged,
            TriggerKind::AccountVended,
            TriggerKind::ForwardingCanary,
            TriggerKind::Ignored,
        ] {
            let m = for_outcome(kind, &failed, None, None);
            let lost: Vec<f64> = m
                .iter()
                .filter(|m| m.name == "AlertsLost")
                .map(|m| m.value)
                .collect();
            assert_eq!(lost, [2.0], "{kind:?}");
        }
        let quiet = outcome(&[Action::Created], &[]);
        for kind in [TriggerKind::Sweep, TriggerKind::ForwardingCanary] {
            assert!(for_outcome(kind, &quiet, None, None)
                .iter()
                .all(|m| m.name != "AlertsLost"));
        }
        assert_eq!(lost(0), []);
        assert_eq!(lost(1), [count("AlertsLost", 1)]);
        assert_emf(&emf(&lost(1), "policy_rejected", 1_800_000_000_000));
    }

    #[test]
    fn findings_security_hub_did_not_take_are_counted_and_a_run_that_sent_none_says_nothing() {
        use crate::domain::security_hub::{Failure, Imports};
        let refused = Failure {
            region: "r".into(),
            id: Some("f".into()),
            code: "InvalidInput".into(),
            message: "m".into(),
        };
        for (imports, want) in [
            (None, None),
            (
                Some(Imports {
                    imported: 2,
                    ..Imports::default()
                }),
                Some((2.0, 0.0)),
            ),
            (
                Some(Imports {
                    imported: 1,
                    failed: vec![refused.clone(), refused],
                    ..Imports::default()
                }),
                Some((1.0, 2.0)),
            ),
            // A hub found off is the summary's news, not a failure.
            (
                Some(Imports {
                    hub_off: vec!["r".into()],
                    ..Imports::default()
                }),
                Some((0.0, 0.0)),
            ),
        ] {
            let mut o = outcome(&[Action::None], &[]);
            o.accounts[0].security_hub = imports.clone();
            let m = for_outcome(TriggerKind::Sweep, &o, None, Some(1.0));
            let got = m
                .iter()
                .any(|x| x.name == "FindingsFailed")
                .then(|| (value(&m, "FindingsImported"), value(&m, "FindingsFailed")));
            assert_eq!(got, want, "{imports:?}");
        }
    }

    #[test]
    fn lines_are_valid_emf() {
        let sweep = outcome(&[Action::None, Action::Created], &[]);
        let line = emf(
            &for_outcome(TriggerKind::Sweep, &sweep, None, Some(3.0)),
            "sweep",
            1_800_000_000_000,
        );
        let v = assert_emf(&line);
        assert_eq!(v["Trigger"], "sweep");
        assert_eq!(v["AccountRegionsChecked"], 2.0);
        assert!(!line.contains('\n'));
    }

    #[test]
    fn event_time_to_fix() {
        let now = crate::domain::clock::parse_iso("2026-11-21T10:00:07Z").unwrap();
        assert_eq!(seconds_since("2026-11-21T10:00:00Z", now), Some(7.0));
        assert_eq!(seconds_since("not a time", now), None);
    }

    #[test]
    fn the_fullest_packed_session_policy_is_the_runs_packed_policy_size() {
        let packed = |sizes: &[Option<i32>]| {
            let mut o = outcome(&[Action::None], &[]);
            let one = o.accounts[0].clone();
            o.accounts = sizes
                .iter()
                .map(|s| AccountReport {
                    packed_policy_size: *s,
                    ..one.clone()
                })
                .collect();
            for_outcome(TriggerKind::Sweep, &o, None, Some(1.0))
                .into_iter()
                .find(|m| m.name == "PackedPolicySize")
        };
        let m = packed(&[Some(41), None, Some(93), Some(7)]).expect("told");
        assert_eq!((m.value, m.unit), (93.0, "Percent"));
        assert!(m.value > f64::from(crate::domain::session_policy::PACKED_WARN_PERCENT));
        // moto never says it, nor a session without a policy: no metric,
        // not a zero that would hide the real one.
        assert_eq!(packed(&[None, None]), None);
        assert_eq!(packed(&[]), None);
        assert_eq!(packed(&[Some(0)]).map(|m| m.value), Some(0.0));
        let line = emf(&[packed(&[Some(100)]).unwrap()], "sweep", 1);
        assert_eq!(assert_emf(&line)["PackedPolicySize"], 100.0);
    }
}
