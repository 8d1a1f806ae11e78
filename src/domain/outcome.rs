//! The shared vocabulary of results: what one account-region run did
//! ([`Action`], [`RegionOutcome`]), how an account stands ([`AccountReport`]),
//! the recorded [`Status`], and what one input got ([`Outcome`]).

use serde::Serialize;
use serde_json::Value;

use crate::domain::ports::Versions;
use crate::domain::preferences::RunAs;
use crate::domain::trigger::DOCUMENT_NAME;

mod action;
mod failures;
mod status;
pub use action::Action;
pub use failures::{failed_account_regions, failure_summary, Failing};
pub use status::Status;

/// `<region>` for `SSM-SessionManagerRunShell`, `<region>#DOCUMENT#<name>`
/// for a `[[document]]`: one state item, lease and drift mark each.
pub fn slot(region: &str, document: Option<&str>) -> String {
    match document {
        Some(d) if d != DOCUMENT_NAME => format!("{region}#DOCUMENT#{d}"),
        _ => region.to_string(),
    }
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct RegionOutcome {
    pub region: String,
    /// A `[[document]]` name; absent for `SSM-SessionManagerRunShell`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// A `[[document]]`'s own Run As user (the account's is in the report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_user: Option<String>,
    pub action: Action,
    /// `null` when the document did not exist.
    pub before: Option<RunAs>,
    pub after: Option<RunAs>,
    pub versions_before: Option<Versions>,
    /// Default (= latest) version after the run.
    pub version_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `inherit`: the write brought the inputs other than RunAs back in line
    /// with `SSM-SessionManagerRunShell`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub followed: bool,
    /// The run-as user check's row: what its association found on the nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<crate::domain::nodes::readiness::Readiness>,
    /// A governed document's mode as the policy's rules give it (absent on
    /// the check's row and on accounts no rule governs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<crate::domain::policy::Mode>,
    /// `enforce-when-ready` and the check not ready: why it was not enforced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
    /// Held at least the policy's `[nodes] held_alert_after` (as the table
    /// recorded it): no longer a rollout's expected state (the held alarm).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub held_too_long: bool,
    /// What changed since the table last recorded this slot, when it is
    /// news ([`Change`]); absent on a first look and where nothing changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// The check's association was deleted and created anew, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced: Option<String>,
    /// Versions made since the table last recorded this slot that held Run
    /// As out of policy (and those not judged), when this run tells them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<crate::domain::version_gap::History>,
    /// Its windows' claim ([`crate::domain::window_claim::Claim`]).
    #[serde(skip)]
    pub window: crate::domain::window_claim::Claim,
    /// An edit put back earlier by a run with no edit event, whose editor
    /// this edit event's run names (`domain::unnamed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub named: Option<crate::domain::put_back::Named>,
    /// What a run that failed after reading the document had read (`before`
    /// stays `None`, "not known"): a finding says what the run read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<Read>,
    /// What was out of policy was the latest version alone: the default held the
    /// desired Run As (no session had it yet); `before` is the latest's. In audit
    /// its window opens when it becomes the default ([`crate::flow::account::change::seen`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
    /// An edit event's first look in this life at a default made before the
    /// account last joined: its put-back configures the new life, not drift.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub another_life: bool,
    /// When AWS made the version `before` is of (`CreatedDate`), where read:
    /// part of a drift alert's fact (`alert::identity::drift_version`).
    #[serde(skip)]
    pub made_before: Option<String>,
    /// A switch a failed run of another event kept on the slot's record,
    /// judged by this run as its own event's would be
    /// (`domain::version_gap::kept`).
    #[serde(skip)]
    pub kept_switch: Option<crate::domain::kept_switch::Kept>,
    /// Kept switches this run's own look judges (to the default it found,
    /// no version behind it), or a write in flight there: let go, never kept.
    #[serde(skip)]
    pub kept_moot: Vec<u64>,
    /// Who told this run's own event's versions could not be read (the
    /// AWS code): its editor is not named yet, so the run fails and its
    /// retry names them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub naming_unread: Option<String>,
}

/// A document as a run read it before failing: its default version's Run As
/// (`None`: no document) and its versions.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Read {
    pub run_as: Option<RunAs>,
    pub versions: Option<Versions>,
}

/// Why a run found a slot other than the table last recorded it: the
/// document moved under the same desired user and mode (someone's change:
/// told once, whoever found it), or the policy now wants another user or
/// mode (the policy's change: summarised, never blamed on anyone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    Document,
    Policy {
        from_user: Option<String>,
        to_user: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        from_mode: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        to_mode: Option<String>,
    },
}

impl RegionOutcome {
    /// Names a `[[document]]` (and its user) on the outcome; the default
    /// document's outcomes stay as they always were.
    pub fn for_document(mut self, document: &str, user: &str) -> Self {
        if document != DOCUMENT_NAME {
            self.document = Some(document.to_string());
            self.desired_user = Some(user.to_string());
        }
        self
    }

    pub fn document_name(&self) -> &str {
        self.document.as_deref().unwrap_or(DOCUMENT_NAME)
    }

    /// The account-region-document this outcome is about, as the state
    /// item's sort key names it after `REGION#`: the region alone for
    /// `SSM-SessionManagerRunShell`.
    pub fn slot(&self) -> String {
        slot(&self.region, self.document.as_deref())
    }

    /// The user this document should run as: its own, or the account's.
    pub fn user<'a>(&'a self, account_user: &'a str) -> &'a str {
        self.desired_user.as_deref().unwrap_or(account_user)
    }

    /// `us-east-1 SSMRunAs-Admin`, or just the region for the default document.
    pub fn place(&self) -> String {
        match &self.document {
            Some(d) => format!("{} {d}", self.region),
            None => self.region.clone(),
        }
    }

    pub fn skipped(region: &str, action: Action, why: Option<String>) -> Self {
        RegionOutcome {
            region: region.into(),
            action,
            error: why,
            ..RegionOutcome::default()
        }
    }

    pub fn failed(region: &str, code: &str, error: String) -> Self {
        RegionOutcome {
            error_code: Some(code.into()),
            ..RegionOutcome::skipped(region, Action::Failed, Some(error))
        }
    }

    /// Whether the RunAs a reader saw before this run was wrong.
    pub fn was_noncompliant(&self, user: &str) -> bool {
        self.before.as_ref().is_none_or(|b| !b.is_compliant(user))
    }
}

/// How one account stands after a run.
#[derive(Debug, Clone, Serialize)]
pub struct AccountReport {
    pub account: String,
    pub name: Option<String>,
    pub ou_path: Option<String>,
    pub desired_user: Option<String>,
    /// Which policy rule chose the user.
    pub rule: Option<String>,
    /// The role that was assumed (member role or a fallback).
    pub role: Option<String>,
    /// `PackedPolicySize` of the session that worked, when AWS said it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packed_policy_size: Option<i32>,
    /// The account's mode as the policy's rules give it (a `[[document]]`
    /// may have its own: see each row's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<crate::domain::policy::Mode>,
    pub regions: Vec<RegionOutcome>,
    /// This run found the account leaving governance, and is the one that
    /// tells it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_governance: Option<crate::domain::governance::Departure>,
    /// A sweep publishes each account's alerts as it goes: those SNS
    /// refused and the outbox could not keep, and those not sent because
    /// their keep, which writes the versions they tell on the ledger, did
    /// not land (the next run tells them). The run's `alerts_lost` counts
    /// them, and fails.
    #[serde(skip_serializing_if = "is_zero")]
    pub alerts_lost: usize,
    /// `[security_hub] findings`: what this run's imports came to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_hub: Option<crate::domain::security_hub::told::Imports>,
}

impl AccountReport {
    /// Every region with the same outcome (skipped, excluded, or failed before
    /// any region could be looked at).
    pub fn uniform(
        account: &str,
        name: &str,
        regions: &[String],
        outcome: impl Fn(&str) -> RegionOutcome,
    ) -> Self {
        AccountReport {
            account: account.to_string(),
            name: Some(name.to_string()),
            ou_path: None,
            desired_user: None,
            rule: None,
            role: None,
            packed_policy_size: None,
            mode: None,
            regions: regions.iter().map(|r| outcome(r)).collect(),
            left_governance: None,
            alerts_lost: 0,
            security_hub: None,
        }
    }

    pub fn failed(&self) -> bool {
        self.regions.iter().any(|r| r.action == Action::Failed)
    }
}

/// What became of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Handled {
    #[default]
    Done,
    Ignored,
    Duplicate,
    /// A run that began after this event's change saw it (a flood's later
    /// events, [`crate::domain::coalesce`]).
    Coalesced,
    InFlight,
    FannedOut,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertSent {
    pub alert_id: String,
    pub kind: &'static str,
    pub severity: &'static str,
    pub subject: String,
}

/// What `handle` prints and the Lambda returns.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Outcome {
    pub trigger: Value,
    pub result: Handled,
    pub reason: String,
    pub accounts: Vec<AccountReport>,
    pub alerts: Vec<AlertSent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fanned_out: Option<usize>,
    /// A sweep cut short by the invocation's deadline: the accounts it did
    /// not reach (queued, or left for the next sweep; `reason` says which).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreached: Option<Vec<String>>,
    /// The declared Identity Center mapping, when this run looked at it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_center: Option<Value>,
    /// A whole sweep that governed none or far fewer accounts than it
    /// should: told once, and the invocation fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub degraded: Option<Box<crate::domain::degraded::Degraded>>,
    /// Alerts this run decided that SNS refused and the outbox could not
    /// keep either: the run fails (and they wait on the event's claim for
    /// its retry), and the `AlertsLost` metric counts them.
    #[serde(skip_serializing_if = "is_zero")]
    pub alerts_lost: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Outcome {
    pub fn new(trigger: Value, result: Handled, reason: impl Into<String>) -> Outcome {
        Outcome {
            trigger,
            result,
            reason: reason.into(),
            accounts: vec![],
            alerts: vec![],
            fanned_out: None,
            unreached: None,
            identity_center: None,
            degraded: None,
            alerts_lost: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(action: Action, before_user: Option<&str>) -> RegionOutcome {
        RegionOutcome {
            before: before_user.map(|u| RunAs {
                enabled: Some(Value::Bool(true)),
                user: Some(Value::String(u.into())),
            }),
            ..RegionOutcome::skipped("eu-west-1", action, None)
        }
    }

    #[test]
    fn only_a_failure_logs_at_error() {
        for action in Action::ALL {
            let error = action.logs_as_error();
            assert_eq!(error, action == Action::Failed, "{action:?}");
        }
        // A vend in progress is expected, whatever it waits for.
        assert!(!Action::Pending.logs_as_error());
        assert!(!Action::Deferred.logs_as_error());
    }

    #[test]
    fn statuses() {
        let cases = [
            (Action::None, Some("ops"), true, Status::Compliant),
            (Action::WouldChange, Some("x"), true, Status::Noncompliant),
            (Action::Failed, None, true, Status::Failed),
            (Action::RegionDisabled, None, false, Status::Excluded),
            (Action::AccountSuspended, None, false, Status::Excluded),
            (Action::AccountPendingClosure, None, false, Status::Excluded),
            (Action::AccountClosed, None, false, Status::Excluded),
            (Action::Excluded, None, true, Status::Excluded),
            (Action::Updated, Some("root"), true, Status::Reverted),
            (Action::Updated, Some("root"), false, Status::Remediated),
            (Action::Created, None, true, Status::Reverted),
            (Action::Created, None, false, Status::Remediated),
            // LZA wrote a compliant latest; promoting it undoes nobody's edit
            (
                Action::DefaultSwitched,
                Some("ops"),
                true,
                Status::Remediated,
            ),
        ];
        for (action, before, doc_event, want) in cases {
            assert_eq!(
                Status::of(&outcome(action, before), "ops", doc_event),
                want,
                "{action:?} {before:?} {doc_event}"
            );
        }
        // An edit that left Run As as recorded, put back under a changed
        // policy: the policy's change reached the slot, nobody's reverted.
        let policy = Change::Policy {
            from_user: Some("ssm-ops".into()),
            to_user: "ops".into(),
            from_mode: None,
            to_mode: None,
        };
        for (change, want) in [
            (Some(policy), Status::Remediated),
            (Some(Change::Document), Status::Reverted),
            (None, Status::Reverted),
        ] {
            let o = RegionOutcome {
                change: change.clone(),
                ..outcome(Action::Updated, Some("ssm-ops"))
            };
            assert_eq!(Status::of(&o, "ops", true), want, "{change:?}");
        }
    }

    #[test]
    fn action_names() {
        assert_eq!(
            serde_json::to_value(Action::DefaultSwitched).unwrap(),
            "default-switched"
        );
        assert_eq!(Action::AccountSuspended.as_str(), "account-suspended");
        for a in Action::ALL {
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str(), "{a:?}");
        }
        assert!(Action::Created.wrote() && !Action::WouldChange.wrote());
    }
}
