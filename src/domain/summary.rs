//! What a sweep tells on-call (pure): a [`Tally`] of every account-region it
//! looked at, mergeable so fanned-out accounts can each contribute theirs, and
//! the one `sweep_summary` alert it deserves, if any. Nothing is said when
//! the organization was already compliant (or its drift was already known).

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::alert::{alert_id, Alert, Kind};
use crate::domain::outcome::{AccountReport, Action};
use crate::domain::trigger::Trigger;

mod failing;
mod policy;
mod rows;
mod subject;
use failing::fixes;
pub use failing::Failing;
pub use policy::{alert as policy_alert, PolicyTally};
use rows::{counted_as, entry, governed};
use subject::subject;

/// Account-regions a summary names; the rest are in the report and `status`.
pub const MAX_ENTRIES: usize = 50;

/// One account-region worth naming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub account: String,
    pub name: String,
    pub region: String,
    /// A `[[document]]` name; absent for `SSM-SessionManagerRunShell`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    pub action: String,
    /// RunAs before -> after, short form (`on/root`, `no document`).
    pub before: String,
    pub after: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// A pending row: since when and what it awaits; a held one: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The document's mode as the policy's rules give it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub accounts: usize,
    pub account_regions: usize,
    /// Account-regions per action (`none`, `created`, `failed`, ...).
    pub counts: BTreeMap<String, usize>,
    /// Audit mode: drift first seen by this sweep.
    pub newly_noncompliant: usize,
    /// The run-as user check: account-regions with nodes lacking the user,
    /// those this sweep found first, and the nodes in all.
    #[serde(default)]
    pub user_missing: usize,
    #[serde(default)]
    pub newly_user_missing: usize,
    #[serde(default)]
    pub nodes_missing: u64,
    /// Changed, failed or newly noncompliant, in total.
    pub notable: usize,
    /// The first [`MAX_ENTRIES`] of them, failures first.
    pub entries: Vec<Entry>,
    /// New accounts' rows awaiting their member stack (the first
    /// [`MAX_ENTRIES`]): named, but not news on their own.
    #[serde(default)]
    pub pending: Vec<Entry>,
    /// Account-regions per mode (of `SSM-SessionManagerRunShell`'s rows).
    #[serde(default)]
    pub modes: BTreeMap<String, usize>,
    /// Accounts outside the policy's `[scope]` (never entered).
    #[serde(default)]
    pub out_of_scope: usize,
    /// Accounts the policy exempts (`[exempt]`: never entered).
    #[serde(default)]
    pub exempt: usize,
    /// `enforce-when-ready` rows the check's verdict kept in audit.
    #[serde(default)]
    pub held: usize,
    /// What the policy changed: its own alert (`policy_applied`), not this
    /// summary's news.
    #[serde(default)]
    pub policy: PolicyTally,
    /// Accounts the sweep governed: it looked at their documents (a row
    /// that is neither failed, waiting, skipped nor excluded).
    #[serde(default)]
    pub governed: usize,
    /// Accounts it should have governed: those governed, and those whose
    /// every row failed (unreachable, or their standing unreadable).
    #[serde(default)]
    pub expected: usize,
    /// Accounts whose standing in Organizations could not be read.
    #[serde(default)]
    pub unreadable: usize,
    /// Accounts a policy change dropped from governance in this sweep (told
    /// in one `account_left_governance` beside the summary): all counted,
    /// the first [`crate::domain::governance::MAX_LISTED`] listed.
    #[serde(default)]
    pub left_governance: usize,
    #[serde(default)]
    pub left_entries: Vec<crate::domain::governance::Dropped>,
    /// What the forwarding canaries newly found, per cause: told in one
    /// alert per cause beside the summary, not in it.
    #[serde(default)]
    pub canary: crate::domain::canary::Findings,
    /// Organization policy types this build does not know (the walk's
    /// `ListRoots`), told in this summary when they are news.
    #[serde(default)]
    pub policy_types: crate::domain::policy_types::Watch,
    /// `[security_hub] findings`: what the sweep imported, what Security
    /// Hub did not take, and where it was found not enabled (told once:
    /// those findings then wait until they change).
    #[serde(default)]
    pub security_hub: crate::domain::security_hub::told::Tally,
    /// The failing set: every failed row's cause, folded (mergeable).
    #[serde(default)]
    pub failing: Failing,
    /// The last whole sweep recorded this same failing set: the summary
    /// says "still failing", below the pager's severity, under the same
    /// `dedup_key` (set by the sweep that read the last one).
    #[serde(default)]
    pub failing_repeat: bool,
    /// When that same failing set was last mailed (a summary sent), as the
    /// last whole sweep recorded it; `None` when it is not a repeat.
    #[serde(default)]
    pub failing_told: Option<String>,
    /// The repeat was mailed within the last day: unless something else
    /// is news, this sweep's summary stays quiet (the page is already one
    /// per cause; a mail every six hours was noise).
    #[serde(default)]
    pub failing_quiet: bool,
}

impl Tally {
    /// Adds one account; `news` names its slots whose drift, or whose
    /// nodes lacking the user, this sweep saw first.
    pub fn add(&mut self, report: &AccountReport, news: &HashSet<String>) {
        let new_drift = news;
        self.accounts += 1;
        self.count_governed(report);
        let any = |a: Action| report.regions.iter().any(|o| o.action == a);
        self.out_of_scope += usize::from(any(Action::OutOfScope));
        self.exempt += usize::from(any(Action::Excluded));
        self.add_departure(report);
        self.security_hub
            .add(&report.account, report.security_hub.as_ref());
        for o in &report.regions {
            // One per account-region: a `[[document]]`'s row and the
            // check's are more rows of the same account-region.
            self.account_regions += usize::from(o.document.is_none());
            if let Some(m) = o.mode.filter(|_| o.document.is_none()) {
                *self.modes.entry(m.as_str().to_string()).or_default() += 1;
            }
            self.held += usize::from(o.held.is_some());
            if let Some(n) = o.nodes.as_ref().filter(|n| n.missing > 0) {
                let newly = news.contains(&o.slot());
                self.user_missing += 1;
                self.nodes_missing += n.missing;
                self.newly_user_missing += usize::from(newly);
                if newly {
                    self.notable += 1;
                    self.entries.push(Entry {
                        account: report.account.clone(),
                        name: report.name.clone().unwrap_or_default(),
                        region: o.region.clone(),
                        document: o.document.clone(),
                        action: "user-missing".into(),
                        before: String::new(),
                        after: n.summary(),
                        error_code: None,
                        detail: None,
                        mode: report.mode.map(|m| m.as_str().to_string()),
                    });
                }
            }
            *self.counts.entry(counted_as(o)).or_default() += 1;
            if self.policy.add(report, o) {
                continue;
            }
            if o.action == Action::Pending {
                self.pending.push(entry(report, o));
                continue;
            }
            let newly = o.action == Action::WouldChange && new_drift.contains(&o.slot());
            self.newly_noncompliant += usize::from(newly);
            self.failing.add_row(&report.account, o);
            if !(o.action.wrote() || o.action == Action::Failed || newly) {
                continue;
            }
            self.notable += 1;
            self.entries.push(entry(report, o));
        }
        self.trim();
    }

    /// Whether the account was governed, should have been, or could not
    /// be read (the sweep's check of itself, [`crate::domain::degraded`]).
    fn count_governed(&mut self, report: &AccountReport) {
        let (governed, expected) = governed(report);
        self.governed += usize::from(governed);
        self.expected += usize::from(expected);
        self.unreadable +=
            usize::from(report.regions.iter().any(|o| {
                o.error_code.as_deref() == Some(crate::domain::org_state::UNREADABLE_CODE)
            }));
    }

    /// An account a policy change dropped: its summary's, not its own alert.
    fn add_departure(&mut self, report: &AccountReport) {
        let dropped = report.left_governance.as_ref();
        if let Some(d) = dropped.filter(|d| crate::domain::governance::in_summary(d.cause)) {
            self.left_governance += 1;
            self.left_entries.push(d.into());
        }
    }

    pub fn merge(&mut self, other: Tally) {
        self.accounts += other.accounts;
        self.account_regions += other.account_regions;
        for (k, v) in other.counts {
            *self.counts.entry(k).or_default() += v;
        }
        self.newly_noncompliant += other.newly_noncompliant;
        self.user_missing += other.user_missing;
        self.newly_user_missing += other.newly_user_missing;
        self.nodes_missing += other.nodes_missing;
        for (k, v) in other.modes {
            *self.modes.entry(k).or_default() += v;
        }
        self.out_of_scope += other.out_of_scope;
        self.exempt += other.exempt;
        self.held += other.held;
        self.policy.merge(other.policy);
        self.governed += other.governed;
        self.expected += other.expected;
        self.unreadable += other.unreadable;
        self.left_governance += other.left_governance;
        self.left_entries.extend(other.left_entries);
        self.canary.merge(other.canary);
        self.policy_types.merge(other.policy_types);
        self.security_hub.merge(other.security_hub);
        self.failing.merge(other.failing);
        self.notable += other.notable;
        self.entries.extend(other.entries);
        self.pending.extend(other.pending);
        self.trim();
    }

    /// Failures first, then by account and region: the same entries whatever
    /// order accounts finished in.
    fn trim(&mut self) {
        self.entries.sort_by(|a, b| {
            (a.action != "failed", &a.account, &a.region).cmp(&(
                b.action != "failed",
                &b.account,
                &b.region,
            ))
        });
        self.entries.truncate(MAX_ENTRIES);
        self.pending
            .sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
        self.pending.truncate(MAX_ENTRIES);
        self.left_entries.sort_by(|a, b| a.account.cmp(&b.account));
        self.left_entries
            .truncate(crate::domain::governance::MAX_LISTED);
    }

    /// Rows counted in `counts`: one per account-region and per
    /// `[[document]]` and check row there.
    pub fn rows(&self) -> usize {
        self.counts.values().sum()
    }

    pub fn count(&self, action: Action) -> usize {
        self.counts.get(action.as_str()).copied().unwrap_or(0)
    }

    pub fn fixed(&self) -> usize {
        [Action::Created, Action::Updated, Action::DefaultSwitched]
            .iter()
            .map(|a| self.count(*a))
            .sum()
    }
}

/// The sweep's one alert, or nothing when nothing changed, failed or newly drifted.
/// An unknown policy type that is news is said once, beside the rest. The
/// same failing set as the last whole sweep recorded (`repeat`): paged then,
/// told again as still failing, below the pager's severity, at most once a
/// day (`Tally::quiet`).
pub fn alert(tally: &Tally, trigger: &Trigger, at: &str) -> Option<Alert> {
    let watch = &tally.policy_types;
    let native = watch.news && !watch.unknown.is_empty();
    let hub = &tally.security_hub;
    if (tally.notable == 0 && !native && !hub.news()) || tally.quiet() {
        return None;
    }
    let failed = tally.count(Action::Failed);
    let repeat = failed > 0 && tally.failing_repeat;
    let severity = subject::severity(failed, repeat, native || hub.failed > 0);
    let kind = Kind::SweepSummary;
    let id = alert_id(trigger, kind, "-", None);
    // One key per cause: the failing set's while anything fails (PagerDuty's
    // `dedup_key`, an Alertmanager group), else this sweep's own.
    let dedup_key = tally.failing.key().unwrap_or_else(|| id.clone());
    let subject = subject(tally, failed, native, repeat);
    let mut body = json!({
        "alert_id": id,
        "dedup_key": dedup_key,
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
        "accounts": tally.accounts,
        "account_regions": tally.account_regions,
        "rows": tally.rows(),
        "counts": tally.counts,
        "fixed": tally.fixed(),
        "failed": failed,
        "still_failing": repeat,
        "fixes": fixes(&tally.entries),
        "newly_noncompliant": tally.newly_noncompliant,
        "user_missing": tally.user_missing,
        "newly_user_missing": tally.newly_user_missing,
        "nodes_missing": tally.nodes_missing,
        "entries": tally.entries,
        "pending": tally.count(Action::Pending),
        "pending_entries": tally.pending,
        "modes": tally.modes,
        "out_of_scope": tally.out_of_scope,
        "held": tally.held,
        "more": tally.notable - tally.entries.len(),
    });
    if let (true, serde_json::Value::Object(b)) = (native, &mut body) {
        let said = crate::domain::policy_types::summary_json(&watch.unknown);
        b.insert("policy_types".into(), said);
    }
    if let (true, serde_json::Value::Object(b)) = (hub.news(), &mut body) {
        b.insert("security_hub".into(), json!(hub));
    }
    Some(Alert::new(kind, severity, "-", &subject, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::alert::Severity;
    use crate::domain::outcome::RegionOutcome;
    use crate::domain::preferences::RunAs;
    use crate::domain::trigger::TriggerKind;
    use serde_json::Value;

    fn region(r: &str, action: Action, before: Option<&str>) -> RegionOutcome {
        let run_as = |u: &str| RunAs {
            enabled: Some(Value::Bool(true)),
            user: Some(Value::String(u.into())),
        };
        RegionOutcome {
            before: before.map(run_as),
            after: Some(run_as("ops")),
            error_code: (action == Action::Failed).then(|| "AccessDenied".to_string()),
            ..RegionOutcome::skipped(r, action, None)
        }
    }

    fn account(id: &str, regions: Vec<RegionOutcome>) -> AccountReport {
        AccountReport {
            account: id.into(),
            name: Some(format!("name-{id}")),
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
        }
    }

    fn trigger() -> Trigger {
        Trigger {
            kind: TriggerKind::Sweep,
            account: None,
            region: None,
            actor: None,
            event_id: "sweep-1".into(),
            source: "aws.events".into(),
            event_name: None,
            reason: "scheduled".into(),
            context: Default::default(),
        }
    }

    fn none() -> HashSet<String> {
        HashSet::new()
    }

    #[test]
    fn what_a_sweep_governed_and_should_have() {
        let unreadable = || RegionOutcome {
            error_code: Some(crate::domain::org_state::UNREADABLE_CODE.into()),
            ..region("a", Action::Failed, None)
        };
        // (rows of one account, governed, expected, unreadable)
        let cases: Vec<(&str, Vec<RegionOutcome>, usize, usize, usize)> = vec![
            (
                "compliant",
                vec![region("a", Action::None, Some("ops"))],
                1,
                1,
                0,
            ),
            ("fixed", vec![region("a", Action::Created, None)], 1, 1, 0),
            (
                "audit",
                vec![region("a", Action::WouldChange, Some("x"))],
                1,
                1,
                0,
            ),
            (
                "one region failed",
                vec![
                    region("a", Action::Updated, Some("x")),
                    region("b", Action::Failed, None),
                ],
                1,
                1,
                0,
            ),
            (
                "every region off",
                vec![region("a", Action::RegionDisabled, None)],
                1,
                1,
                0,
            ),
            (
                "every row failed",
                vec![
                    region("a", Action::Failed, None),
                    region("b", Action::Failed, None),
                ],
                0,
                1,
                0,
            ),
            (
                "standing unreadable",
                vec![unreadable(), unreadable()],
                0,
                1,
                1,
            ),
            (
                "awaiting its member stack",
                vec![region("a", Action::Pending, None)],
                0,
                0,
                0,
            ),
            (
                "suspended",
                vec![region("a", Action::AccountSuspended, None)],
                0,
                0,
                0,
            ),
            (
                "closing",
                vec![region("a", Action::AccountPendingClosure, None)],
                0,
                0,
                0,
            ),
            (
                "closed",
                vec![region("a", Action::AccountClosed, None)],
                0,
                0,
                0,
            ),
            ("exempt", vec![region("a", Action::Excluded, None)], 0, 0, 0),
            (
                "out of scope",
                vec![region("a", Action::OutOfScope, None)],
                0,
                0,
                0,
            ),
            ("no region at all", vec![], 0, 0, 0),
        ];
        let mut whole = Tally::default();
        for (name, rows, governed, expected, unreadable) in cases {
            let mut t = Tally::default();
            t.add(&account("1", rows), &none());
            assert_eq!(
                (t.governed, t.expected, t.unreadable),
                (governed, expected, unreadable),
                "{name}"
            );
            whole.merge(t);
        }
        assert_eq!(
            (whole.governed, whole.expected, whole.unreadable),
            (5, 7, 1)
        );
    }

    #[test]
    fn a_compliant_organization_gets_no_summary() {
        let mut t = Tally::default();
        t.add(
            &account("1", vec![region("a", Action::None, Some("ops"))]),
            &none(),
        );
        t.add(
            &account(
                "2",
                vec![
                    region("a", Action::Excluded, None),
                    region("b", Action::RegionDisabled, None),
                ],
            ),
            &none(),
        );
        // Drift an earlier sweep already reported is not news.
        t.add(
            &account("3", vec![region("a", Action::WouldChange, Some("x"))]),
            &none(),
        );
        assert_eq!((t.accounts, t.account_regions, t.notable), (3, 4, 0));
        assert!(alert(&t, &trigger(), "now").is_none());
    }

    #[test]
    fn security_hub_speaks_for_a_hub_found_off_or_a_finding_refused_and_not_for_imports() {
        use crate::domain::security_hub::{Failure, Imports};
        let with = |imports: Imports| {
            let mut a = account("1", vec![region("a", Action::None, Some("ops"))]);
            a.security_hub = Some(imports);
            let mut t = Tally::default();
            t.add(&a, &none());
            // A fanned-out sweep's parts merge to the same.
            let mut whole = Tally::default();
            whole.merge(serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap());
            assert_eq!(whole, t);
            alert(&t, &trigger(), "now")
        };
        assert!(
            with(Imports {
                imported: 3,
                ..Imports::default()
            })
            .is_none(),
            "imports alone are not news"
        );
        let off = with(Imports {
            hub_off: vec!["a".into()],
            ..Imports::default()
        })
        .expect("told");
        assert_eq!(off.severity, Severity::Info);
        assert_eq!(off.body["security_hub"]["hub_off_listed"], json!(["1 a"]));
        assert!(
            off.subject
                .contains("Security Hub CSPM not enabled in 1 account-region"),
            "{}",
            off.subject
        );
        let refused = Failure {
            region: "a".into(),
            id: Some("f".into()),
            code: "InvalidInput".into(),
            message: "m".into(),
        };
        let failed = with(Imports {
            failed: vec![refused],
            ..Imports::default()
        })
        .expect("told");
        assert_eq!(failed.severity, Severity::Warning);
        assert!(
            failed
                .subject
                .contains("1 Security Hub CSPM findings not imported"),
            "{}",
            failed.subject
        );
        // Each refused finding named: account, region, AWS code.
        assert_eq!(
            failed.body["security_hub"]["failed_listed"],
            json!(["1 a InvalidInput"])
        );
        assert!(off.body["security_hub"].get("failed_listed").is_none());
    }

    #[test]
    fn pending_rows_are_named_with_what_they_await_but_are_not_news_alone() {
        let waiting = |r: &str| RegionOutcome {
            error_code: Some("AwaitingMemberStack".into()),
            error: Some("awaiting the member stack since 2026-11-23T10:00:00Z".into()),
            ..RegionOutcome::skipped(r, Action::Pending, None)
        };
        let mut quiet = Tally::default();
        quiet.add(&account("9", vec![waiting("a"), waiting("b")]), &none());
        assert_eq!(quiet.count(Action::Pending), 2);
        assert_eq!(quiet.notable, 0);
        assert!(
            alert(&quiet, &trigger(), "now").is_none(),
            "a vend in progress pages nobody"
        );

        let mut loud = Tally::default();
        loud.add(
            &account("1", vec![region("a", Action::Failed, None)]),
            &none(),
        );
        let mut part = Tally::default();
        part.add(&account("9", vec![waiting("b"), waiting("a")]), &none());
        loud.merge(part);
        let a = alert(&loud, &trigger(), "now").expect("the failure is news");
        assert!(
            a.subject.contains("1 FAILED") && a.subject.contains("2 awaiting their member stack"),
            "{}",
            a.subject
        );
        let body = &a.body;
        assert_eq!(body["pending"], 2, "{body:#}");
        assert_eq!(body["failed"], 1, "{body:#}");
        let entries = body["pending_entries"].as_array().unwrap();
        assert_eq!(
            entries
                .iter()
                .map(|e| e["region"].as_str().unwrap())
                .collect::<Vec<_>>(),
            ["a", "b"],
            "sorted whatever order they came in"
        );
        assert!(entries[0]["detail"]
            .as_str()
            .unwrap()
            .contains("since 2026-11-23"));
        assert_eq!(
            body["entries"].as_array().unwrap().len(),
            1,
            "only the failure"
        );
    }

    #[test]
    fn an_audit_sweep_that_only_kept_check_associations_fixed_nothing() {
        let mut t = Tally::default();
        let check = RegionOutcome {
            document: Some("RunAsGuard-CheckRunAsUser".into()),
            nodes: Some(crate::domain::nodes::Readiness::default()),
            ..region("a", Action::Created, None)
        };
        let named = RegionOutcome {
            document: Some("SSMRunAs-Admin".into()),
            ..region("a", Action::WouldChange, Some("x"))
        };
        t.add(
            &account(
                "1",
                vec![region("a", Action::WouldChange, Some("x")), named, check],
            ),
            &none(),
        );
        assert_eq!(t.account_regions, 1, "one account-region, three rows");
        let a = alert(&t, &trigger(), "now").unwrap();
        assert_eq!(a.body["fixed"], 0);
        assert_eq!(a.body["counts"]["check-created"], 1);
        assert!(
            a.subject.contains("1 run-as user check associations kept"),
            "{}",
            a.subject
        );
        assert!(!a.subject.contains("fixed"), "{}", a.subject);
    }

    /// One sweep's summary of `failing` accounts (region `a`, AccessDenied),
    /// knowing whether the last whole sweep recorded the same failing set.
    fn swept(event: &str, failing: &[&str], last: Option<&str>) -> (Alert, Option<String>) {
        let mut t = Tally::default();
        for id in failing {
            t.add(
                &account(id, vec![region("a", Action::Failed, None)]),
                &none(),
            );
        }
        t.add(
            &account("9", vec![region("a", Action::None, Some("ops"))]),
            &none(),
        );
        let key = t.failing.key();
        t.failing_repeat = last.is_some() && last == key.as_deref();
        let trigger = Trigger {
            event_id: event.into(),
            ..trigger()
        };
        (alert(&t, &trigger, "now").unwrap(), key)
    }

    #[test]
    fn one_misconfiguration_over_three_sweeps_pages_once_under_one_key() {
        let (first, key) = swept("sweep-1", &["1", "2"], None);
        assert_eq!(first.severity, Severity::Error, "the first finding pages");
        let (second, _) = swept("sweep-2", &["1", "2"], key.as_deref());
        let (third, _) = swept(
            "manual-1764147600-0123456789abcdef",
            &["1", "2"],
            key.as_deref(),
        );
        for (a, n) in [(&second, 2), (&third, 3)] {
            assert_eq!(
                a.severity,
                Severity::Warning,
                "sweep {n}: below the pager's severity"
            );
            assert_eq!(a.body["still_failing"], true);
            assert!(a.subject.contains("2 still failing"), "{}", a.subject);
            assert!(!a.subject.contains("FAILED"), "{}", a.subject);
        }
        let keys: HashSet<&str> = [&first, &second, &third]
            .iter()
            .map(|a| a.body["dedup_key"].as_str().unwrap())
            .collect();
        assert_eq!(keys.len(), 1, "one dedup key: {keys:?}");
        let ids: HashSet<&str> = [&first, &second, &third]
            .iter()
            .map(|a| a.alert_id.as_str())
            .collect();
        assert_eq!(ids.len(), 3, "each sweep keeps its own alert_id");
        assert!(first.body["fixes"]["AccessDenied"]
            .as_str()
            .unwrap()
            .contains("runas-guard doctor --account 1"));

        // Another failing set is another cause: it pages, under a new key.
        let (changed, _) = swept("sweep-4", &["1", "2", "3"], key.as_deref());
        assert_eq!(changed.severity, Severity::Error);
        assert_eq!(changed.body["still_failing"], false);
        assert_ne!(changed.body["dedup_key"], first.body["dedup_key"]);
        // An unreadable last sweep (no key known) pages: toward telling.
        let (unknown, _) = swept("sweep-5", &["1", "2"], None);
        assert_eq!(unknown.severity, Severity::Error);
    }

    /// A sweep over several accounts, regions and documents: the numbers
    /// an operator reads add up and say what they count (rows beside
    /// account-regions, in the alert and the printed table alike), and a
    /// failed eu-west-1 row of an account that could not be entered names
    /// eu-west-1, not the region its AssumeRole was called in.
    #[test]
    fn the_counts_add_up_and_a_failed_row_names_its_own_region() {
        let doc = |r: &str, action: Action, document: &str| RegionOutcome {
            document: Some(document.into()),
            ..region(r, action, Some("ops"))
        };
        let check = |r: &str| RegionOutcome {
            document: Some("RunAsGuard-CheckRunAsUser".into()),
            nodes: Some(crate::domain::nodes::Readiness::default()),
            ..region(r, Action::Created, None)
        };
        let assume = crate::domain::aws_error::AwsError {
            operation: "AssumeRole",
            account: "3".into(),
            region: "us-east-1".into(),
            code: "AccessDenied".into(),
            message: "not authorized".into(),
        };
        let refused = |r: &str| RegionOutcome::failed(r, &assume.code, assume.for_row(r));
        let reports = vec![
            account(
                "1",
                vec![
                    region("us-east-1", Action::None, Some("ops")),
                    doc("us-east-1", Action::Updated, "SSMRunAs-Admin"),
                    check("us-east-1"),
                    region("eu-west-1", Action::Updated, Some("root")),
                    doc("eu-west-1", Action::None, "SSMRunAs-Admin"),
                ],
            ),
            account("2", vec![region("us-east-1", Action::Created, None)]),
            account("3", vec![refused("us-east-1"), refused("eu-west-1")]),
        ];
        let mut t = Tally::default();
        for r in &reports {
            t.add(r, &none());
        }
        assert_eq!((t.accounts, t.account_regions, t.rows()), (3, 5, 8));
        assert_eq!(t.counts.values().sum::<usize>(), t.rows(), "{:?}", t.counts);
        let a = alert(&t, &trigger(), "now").expect("told");
        assert_eq!(a.body["rows"], 8, "{}", a.body);
        assert_eq!(a.body["account_regions"], 5);
        assert_eq!(a.body["failed"], 2);
        // The subject as made (SNS cuts it at 100 characters).
        let said = subject(&t, 2, false, false);
        assert_eq!(said, "runas-guard sweep: 3 fixed, 2 FAILED, 1 run-as user check associations kept of 8 rows (5 account-regions) in 3 accounts");
        assert!(a.subject.starts_with(&said[..90]), "{}", a.subject);
        // One row per account-region: no rows to name.
        let mut one = Tally::default();
        one.add(&reports[1], &none());
        let a = alert(&one, &trigger(), "now").expect("told");
        assert!(
            a.subject
                .ends_with("1 fixed of 1 account-region in 1 account"),
            "{}",
            a.subject
        );
        // The printed table ends as `status` does: account-regions once,
        // the rows beside them.
        let table = crate::domain::report::Report::new(&reports, false)
            .render(crate::domain::report::Format::Table);
        assert!(
            table.contains("\n3 accounts, 5 account-regions, 8 rows: "),
            "{table}"
        );
        let west = reports[2].regions[1].error.clone().unwrap();
        assert!(
            west.contains("eu-west-1")
                && west.starts_with(
                    "AssumeRole failed for account 3 (every region; called in us-east-1)"
                ),
            "{west}"
        );
        assert_eq!(
            reports[2].regions[0].error.as_deref(),
            Some(assume.to_string().as_str())
        );
    }

    /// A persisting failing set is mailed at most once a day: the changed
    /// set is told (and pages), the same set mailed within the day stays
    /// quiet unless something else is news, and after a day it is told
    /// again as still failing. What the sweep records carries the time.
    #[test]
    fn a_persisting_failing_set_is_mailed_at_most_once_a_day() {
        let now = "2026-11-28T12:00:00.000Z";
        let now_ms = crate::domain::clock::parse_iso(now).unwrap();
        let ago = |h: i64, m: i64| {
            let ms = now_ms - (h * 3600 + m * 60) * 1000;
            crate::domain::clock::iso(crate::domain::clock::from_millis(ms))
        };
        let key_of = |failing: &[&str]| {
            let mut t = Tally::default();
            for id in failing {
                t.add(
                    &account(id, vec![region("a", Action::Failed, None)]),
                    &none(),
                );
            }
            t.failing.key()
        };
        let same = key_of(&["1", "2"]);
        let other = key_of(&["1"]);
        // (case, last failing set, when it was mailed, also a fix, told?, severity)
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            Option<String>,
            bool,
            Option<Severity>,
        );
        let cases: [Case; 8] = [
            ("first seen", None, None, false, Some(Severity::Error)),
            (
                "changed set",
                other.as_deref(),
                Some(ago(1, 0)),
                false,
                Some(Severity::Error),
            ),
            (
                "same, mailed 6 h ago",
                same.as_deref(),
                Some(ago(6, 0)),
                false,
                None,
            ),
            (
                "same, mailed 23 h 59 ago",
                same.as_deref(),
                Some(ago(23, 59)),
                false,
                None,
            ),
            (
                "same, mailed a day ago",
                same.as_deref(),
                Some(ago(24, 0)),
                false,
                Some(Severity::Warning),
            ),
            (
                "same, mailed 2 days ago",
                same.as_deref(),
                Some(ago(48, 0)),
                false,
                Some(Severity::Warning),
            ),
            (
                "same, unreadable time",
                same.as_deref(),
                Some("yesterday".into()),
                false,
                Some(Severity::Warning),
            ),
            (
                "same within the day, and a fix",
                same.as_deref(),
                Some(ago(1, 0)),
                true,
                Some(Severity::Warning),
            ),
        ];
        for (case, last, told, fix, want) in cases {
            let mut t = Tally::default();
            for id in ["1", "2"] {
                t.add(
                    &account(id, vec![region("a", Action::Failed, None)]),
                    &none(),
                );
            }
            let fixed = match fix {
                true => Action::Updated,
                false => Action::None,
            };
            t.add(
                &account("9", vec![region("a", fixed, Some("ops"))]),
                &none(),
            );
            t.repeat_of(last, told.as_deref(), now_ms);
            let a = alert(&t, &trigger(), now);
            assert_eq!(a.as_ref().map(|a| a.severity), want, "{case}");
            let recorded = t.failing_told_at(now);
            match a {
                Some(a) => {
                    assert_eq!(a.body["dedup_key"].as_str(), same.as_deref(), "{case}");
                    assert_eq!(recorded.as_deref(), Some(now), "{case}: mailed now");
                }
                None => assert_eq!(recorded, told, "{case}: the last mail's time carried"),
            }
        }
        // Nothing failing: nothing to record, nothing quiet.
        let mut t = Tally::default();
        t.add(
            &account("9", vec![region("a", Action::Updated, Some("ops"))]),
            &none(),
        );
        t.repeat_of(None, Some(&ago(1, 0)), now_ms);
        assert_eq!(t.failing_told_at(now), None);
        assert!(alert(&t, &trigger(), now).is_some(), "a fix is told");
    }

    #[test]
    fn changes_failures_and_new_drift_are_named_failures_first() {
        let mut t = Tally::default();
        t.add(
            &account(
                "1",
                vec![
                    region("a", Action::Created, None),
                    region("b", Action::Updated, Some("root")),
                ],
            ),
            &none(),
        );
        t.add(
            &account("0", vec![region("a", Action::Failed, Some("x"))]),
            &none(),
        );
        let newly: HashSet<String> = ["a".to_string()].into();
        t.add(
            &account("2", vec![region("a", Action::WouldChange, Some("x"))]),
            &newly,
        );
        let a = alert(&t, &trigger(), "now").unwrap();
        assert_eq!(a.kind, Kind::SweepSummary);
        assert_eq!(a.severity, Severity::Error, "a failure makes it an error");
        assert_eq!(a.body["fixed"], 2);
        assert_eq!(a.body["failed"], 1);
        assert_eq!(a.body["newly_noncompliant"], 1);
        let entries = a.body["entries"].as_array().unwrap();
        assert_eq!(entries[0]["action"], "failed");
        assert_eq!(entries[0]["error_code"], "AccessDenied");
        assert_eq!(entries[1]["before"], "no document");
        assert_eq!(entries[2]["before"], "on/root");
        assert_eq!(a.body["more"], 0);
        assert!(
            a.subject
                .contains("2 fixed, 1 FAILED, 1 newly noncompliant"),
            "{}",
            a.subject
        );
        assert!(a.subject.len() < 100);
        assert_eq!(
            a.alert_id,
            alert(&t, &trigger(), "later").unwrap().alert_id,
            "stable id"
        );
    }

    #[test]
    fn entries_stop_at_fifty_and_merging_parts_equals_one_tally() {
        let reports: Vec<AccountReport> = (0..40)
            .map(|i| {
                account(
                    &format!("{i:012}"),
                    vec![
                        region("a", Action::Created, None),
                        region("b", Action::None, Some("ops")),
                    ],
                )
            })
            .collect();
        let mut whole = Tally::default();
        let mut parts = Tally::default();
        for (i, r) in reports.iter().enumerate().rev() {
            whole.add(r, &none());
            let mut part = Tally::default();
            part.add(r, &none());
            if i % 2 == 0 {
                parts.merge(part);
            } else {
                let mut p = Tally::default();
                p.merge(part);
                parts.merge(p);
            }
        }
        assert_eq!(whole.entries.len(), MAX_ENTRIES.min(40));
        assert_eq!(whole, parts, "merge order does not matter");
        let mut big = whole.clone();
        big.merge(whole.clone());
        assert_eq!(big.entries.len(), MAX_ENTRIES);
        assert_eq!(big.notable, 80);
        assert_eq!(alert(&big, &trigger(), "now").unwrap().body["more"], 30);
    }

    #[test]
    fn an_unknown_policy_type_is_told_once_as_a_warning_naming_it() {
        use crate::domain::policy_types::{Enabled, Watch};
        let mut t = Tally::default();
        t.add(
            &account("1", vec![region("a", Action::None, Some("ops"))]),
            &none(),
        );
        let unknown = vec![Enabled {
            kind: "SSM_POLICY".into(),
            status: "ENABLED".into(),
        }];
        t.policy_types = Watch {
            unknown: unknown.clone(),
            news: false,
        };
        assert!(alert(&t, &trigger(), "now").is_none(), "not news: quiet");
        let org = Tally {
            policy_types: Watch {
                unknown,
                news: true,
            },
            ..Tally::default()
        };
        t.merge(org);
        let a = alert(&t, &trigger(), "now").expect("told");
        assert_eq!(a.severity, Severity::Warning);
        assert!(
            a.subject.ends_with("runas-guard: SSM_POLICY"),
            "{}",
            a.subject
        );
        let said = &a.body["policy_types"];
        assert_eq!(said["unknown"][0]["type"], "SSM_POLICY", "{said:#}");
        assert!(said["said"]
            .as_str()
            .unwrap()
            .contains("SSM_POLICY (ENABLED)"));
        assert!(said["check"].as_str().unwrap().contains("docs/design.md"));
        t.add(
            &account("2", vec![region("a", Action::Failed, Some("x"))]),
            &none(),
        );
        let a = alert(&t, &trigger(), "now").expect("told");
        assert_eq!(a.severity, Severity::Error, "a failure still rules");
        assert!(
            a.subject.contains("1 FAILED") && a.subject.contains("; organization policy type"),
            "{}",
            a.subject
        );
    }

    /// A policy change counts account-regions as the sweep summary does
    /// (a `[[document]]`'s row and the check's are the same
    /// account-region) and its rows apart: the two alerts agree.
    #[test]
    fn a_policy_change_counts_account_regions_as_the_summary_does() {
        let policy = || {
            Some(crate::domain::outcome::Change::Policy {
                from_user: Some("ssm-ops".into()),
                to_user: "ops".into(),
                from_mode: None,
                to_mode: None,
            })
        };
        let changed = |r: &str, document: Option<&str>, check: bool| RegionOutcome {
            document: document.map(str::to_string),
            nodes: check.then(crate::domain::nodes::Readiness::default),
            change: policy(),
            ..region(r, Action::Updated, Some("ssm-ops"))
        };
        let rows = |r: &str| {
            vec![
                changed(r, None, false),
                changed(r, Some("SSMRunAs-Admin"), false),
                changed(r, Some("RunAsGuard-CheckRunAsUser"), true),
            ]
        };
        let mut parts = [Tally::default(), Tally::default()];
        let mut one = rows("us-east-1");
        one.extend(rows("eu-west-1"));
        parts[0].add(&account("1", one), &none());
        // Only a named document's row changed in this account-region.
        parts[1].add(
            &account(
                "2",
                vec![
                    region("eu-west-1", Action::None, Some("ops")),
                    changed("eu-west-1", Some("SSMRunAs-Admin"), false),
                ],
            ),
            &none(),
        );
        parts[1].add(
            &account("3", vec![region("eu-west-1", Action::None, None)]),
            &none(),
        );
        let [mut t, other] = parts;
        t.merge(other);
        assert_eq!(t.account_regions, 4);
        let a = policy_alert(&t.policy, &trigger(), "now").unwrap();
        assert_eq!(a.body["account_regions"], 3, "{}", a.body);
        assert_eq!(a.body["rows"], 7);
        assert_eq!(a.body["written"], 7);
        assert!(
            a.subject
                .contains("applied to 3 account-regions, 7 documents and associations"),
            "{}",
            a.subject
        );
        // One row per account-region: nothing more to say.
        let mut t = Tally::default();
        t.add(
            &account("1", vec![changed("eu-west-1", None, false)]),
            &none(),
        );
        let a = policy_alert(&t.policy, &trigger(), "now").unwrap();
        assert_eq!(
            (a.body["account_regions"].as_u64(), a.body["rows"].as_u64()),
            (Some(1), Some(1))
        );
        assert!(
            a.subject.contains("applied to 1 account-regions ("),
            "{}",
            a.subject
        );
    }
}
