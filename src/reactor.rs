//! Trigger -> account-regions -> reconcile -> record -> alert.
//!
//! Every trigger ends in the same per-account path ([`Reactor::converge_account`]);
//! triggers differ only in which account-regions they name and which alerts
//! their outcome deserves.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::alert::{self, Alert, DriftFacts};
use crate::aws::alerts::Alerts;
use crate::aws::organizations::{AccountInfo, Org};
use crate::aws::queue::SweepQueue;
use crate::aws::ssm::DocumentStore;
use crate::aws::state::{Claim, HistoryRow, Observation, StateStore};
use crate::aws::sts::{session_name, Sts};
use crate::aws::AwsError;
use crate::clock;
use crate::policy::{Desired, Mode, Policy};
use crate::reconcile::{reconcile, Action, RegionOutcome};
use crate::trigger::{is_account_id, role_name, Trigger, TriggerKind};

const TAMPER_WINDOW: Duration = Duration::from_secs(3600);
/// Regions of one account reconciled at once.
const REGION_CONCURRENCY: usize = 8;

#[derive(Debug, Clone)]
pub struct Settings {
    pub table: String,
    pub topic_arn: String,
    pub sweep_queue_url: Option<String>,
    /// Above this many accounts a sweep fans out over the queue.
    pub fanout_threshold: usize,
    /// Accounts reconciled at once.
    pub concurrency: usize,
}

#[derive(Clone)]
pub struct Reactor {
    policy: Arc<Policy>,
    settings: Arc<Settings>,
    sts: Sts,
    org: Org,
    state: StateStore,
    alerts: Alerts,
    queue: Option<SweepQueue>,
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
    pub regions: Vec<RegionOutcome>,
}

impl AccountReport {
    /// Every region with the same outcome (skipped, excluded, or failed before
    /// any region could be looked at).
    fn uniform(
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
            regions: regions.iter().map(|r| outcome(r)).collect(),
        }
    }

    pub fn failed(&self) -> bool {
        self.regions.iter().any(|r| r.action == Action::Failed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Result_ {
    Done,
    Ignored,
    Duplicate,
    InFlight,
    FannedOut,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertSent {
    pub kind: &'static str,
    pub severity: &'static str,
    pub subject: String,
}

/// What `handle` prints and the Lambda returns.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub trigger: Value,
    pub result: Result_,
    pub reason: String,
    pub accounts: Vec<AccountReport>,
    pub alerts: Vec<AlertSent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fanned_out: Option<usize>,
}

/// How the run was asked for: who to blame, how to alert, whether to write.
#[derive(Debug, Clone)]
struct Run {
    trigger: Trigger,
    /// `--dry-run`: no member writes, no state, no alerts.
    dry_run: bool,
}

impl Run {
    fn mode(&self, policy: &Policy) -> Mode {
        if self.dry_run {
            Mode::Audit
        } else {
            policy.mode
        }
    }
}

/// One account per SQS message when a sweep fans out.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SweepMessage {
    pub sweep_id: String,
    pub account: String,
}

impl SweepMessage {
    pub fn parse(body: &str) -> Result<SweepMessage, String> {
        let m: SweepMessage =
            serde_json::from_str(body).map_err(|e| format!("sweep message is not valid: {e}"))?;
        if !is_account_id(&m.account) {
            return Err(format!(
                "sweep message field `account`: expected a 12-digit account id, found {:?}",
                m.account
            ));
        }
        if m.sweep_id.is_empty() || m.sweep_id.len() > 128 {
            return Err("sweep message field `sweep_id`: must be 1 to 128 characters".into());
        }
        Ok(m)
    }
}

struct SendFailure {
    sent: Vec<AlertSent>,
    unsent: Vec<Alert>,
    error: AwsError,
}

/// How an outcome is alerted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AlertScope {
    /// Vend or move: one summary per account; `summary` sends it even when
    /// nothing had to change.
    Account { summary: bool },
    /// A document edit: one alert per reverted region, tampering counted.
    Region,
    /// A sweep: one alert per region found wrong; nobody to blame.
    Sweep,
}

/// Filters for operator-started reconciles.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
}

fn status_for(kind: TriggerKind, o: &RegionOutcome, user: &str) -> &'static str {
    match o.action {
        Action::None => "compliant",
        Action::WouldChange => "noncompliant",
        Action::Failed => "failed",
        Action::Excluded | Action::RegionDisabled | Action::AccountSuspended => "excluded",
        Action::Created | Action::Updated | Action::DefaultSwitched => {
            if kind == TriggerKind::DocumentChanged && o.was_noncompliant(user) {
                "reverted"
            } else {
                "remediated"
            }
        }
    }
}

fn string_of(v: &Option<Value>) -> Option<String> {
    v.as_ref().map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

impl Reactor {
    pub fn new(config: &aws_config::SdkConfig, policy: Policy, settings: Settings) -> Self {
        let queue = settings
            .sweep_queue_url
            .as_deref()
            .filter(|u| !u.is_empty())
            .map(|u| SweepQueue::new(config, u));
        Reactor {
            policy: Arc::new(policy),
            sts: Sts::new(config),
            org: Org::new(config),
            state: StateStore::new(config, &settings.table),
            alerts: Alerts::new(config, &settings.topic_arn),
            queue,
            settings: Arc::new(settings),
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub async fn record_rejection(
        &self,
        request_id: &str,
        reason: &str,
        input: &Value,
    ) -> Result<(), AwsError> {
        self.state
            .add_rejection(request_id, reason, &input.to_string())
            .await
    }

    /// The whole life of one EventBridge event, receipts included.
    pub async fn handle(&self, trigger: Trigger) -> Outcome {
        let span = tracing::info_span!("event", trigger_id = %trigger.event_id, trigger = trigger.kind.as_str(),
            account = trigger.account.as_deref().unwrap_or("-"), region = trigger.region.as_deref().unwrap_or("-"));
        self.handle_inner(trigger).instrument(span).await
    }

    async fn handle_inner(&self, trigger: Trigger) -> Outcome {
        let mut outcome = Outcome {
            trigger: serde_json::to_value(trigger.explain()).unwrap_or(Value::Null),
            result: Result_::Done,
            reason: trigger.reason.clone(),
            accounts: vec![],
            alerts: vec![],
            fanned_out: None,
        };
        if trigger.kind == TriggerKind::Ignored {
            tracing::info!(outcome = "ignored", reason = %trigger.reason, "event ignored");
            outcome.result = Result_::Ignored;
            return outcome;
        }
        let resumed: Vec<Alert> = match self
            .state
            .claim_event(&trigger.event_id, trigger.kind.as_str())
            .await
        {
            Ok(Claim::Claimed { pending_alerts }) => pending_alerts
                .map(|json| serde_json::from_str::<Vec<Alert>>(&json))
                .transpose()
                .unwrap_or_else(|e| {
                    tracing::error!(outcome = "alert_lost", error = %e, "held alerts are unreadable");
                    None
                })
                .unwrap_or_default(),
            Ok(Claim::Done) => {
                tracing::info!(outcome = "duplicate", "event already processed");
                outcome.result = Result_::Duplicate;
                outcome.reason = format!("event {} was already processed", trigger.event_id);
                return outcome;
            }
            Ok(Claim::InFlight) => {
                // Fail rather than succeed: if the other invocation dies, only
                // a retry of this delivery (after the lease) finishes the job.
                tracing::warn!(
                    outcome = "in_flight",
                    "event is being processed by another invocation"
                );
                outcome.result = Result_::InFlight;
                outcome.reason = format!(
                    "event {} is being processed by another invocation; retry later",
                    trigger.event_id
                );
                return outcome;
            }
            Err(e) => {
                tracing::error!(outcome = "failed", error_code = %e.code, error = %e, "cannot claim event");
                outcome.result = Result_::Failed;
                outcome.reason = e.to_string();
                return outcome;
            }
        };
        let run = Run {
            trigger: trigger.clone(),
            dry_run: false,
        };
        // Alerts an earlier attempt could not publish go out first.
        let mut alerts = resumed;
        let result = match trigger.kind {
            TriggerKind::AccountVended | TriggerKind::AccountMoved => {
                self.on_account(&run, &mut outcome, &mut alerts).await
            }
            TriggerKind::DocumentChanged => self.on_document(&run, &mut outcome, &mut alerts).await,
            TriggerKind::Sweep => self.on_sweep(&run, &mut outcome, &mut alerts).await,
            TriggerKind::Ignored => unreachable!("returned above"),
        };
        let mut failed = match result {
            Err(e) => {
                outcome.reason = e.to_string();
                true
            }
            // A sweep's failed account-regions are alerted, recorded and
            // retried by the next sweep; re-running a whole-organization sweep
            // for one broken account would multiply the load by Lambda's retries.
            Ok(()) if trigger.kind == TriggerKind::Sweep => false,
            Ok(()) => outcome.accounts.iter().any(AccountReport::failed),
        };
        if failed && outcome.accounts.iter().any(AccountReport::failed) {
            outcome.reason = failure_summary(&outcome.accounts);
        }
        // Failures are alerted too, so alerts go out whether or not the work succeeded.
        let unsent = match self.send(alerts).await {
            Ok(sent) => {
                outcome.alerts.extend(sent);
                vec![]
            }
            Err(f) => {
                outcome.alerts.extend(f.sent);
                outcome.reason = format!("{} alert(s) not published: {}", f.unsent.len(), f.error);
                failed = true;
                f.unsent
            }
        };
        let id = &trigger.event_id;
        if !unsent.is_empty() {
            // The retry will find the documents fixed; without this, the alert
            // saying who changed them would be lost.
            let held = serde_json::to_string(&unsent).expect("alerts serialise");
            if let Err(e) = self
                .state
                .hold_alerts(id, trigger.kind.as_str(), &held)
                .await
            {
                tracing::error!(outcome = "alert_lost", error_code = %e.code, error = %e, alerts = %held, "cannot keep unsent alerts");
                let _ = self.state.release_event(id).await;
            }
        } else if failed {
            // No receipt: the retry must do the rest of the job.
            if let Err(e) = self.state.release_event(id).await {
                tracing::error!(error_code = %e.code, error = %e, "cannot release event claim; a retry waits for the lease");
            }
        } else {
            let summary = format!("{:?}: {}", outcome.result, outcome.reason);
            if let Err(e) = self
                .state
                .complete_event(id, trigger.kind.as_str(), &summary)
                .await
            {
                // The work is done and idempotent; a redelivery will find nothing to do.
                tracing::warn!(error_code = %e.code, error = %e, "cannot write event receipt");
            }
        }
        if failed {
            outcome.result = Result_::Failed;
            tracing::error!(outcome = "failed", reason = %outcome.reason, "event not fully handled");
        } else {
            tracing::info!(outcome = "done", result = ?outcome.result, "event handled");
        }
        outcome
    }

    async fn on_account(
        &self,
        run: &Run,
        outcome: &mut Outcome,
        alerts: &mut Vec<Alert>,
    ) -> Result<(), AwsError> {
        let account = run.trigger.account.clone().unwrap_or_default();
        // Control Tower names the OU; MoveAccount names the new parent.
        let hint = run.trigger.context.ou_id.clone();
        let Some(path) = self.ou_path(&account, hint.as_deref()).await? else {
            outcome.result = Result_::Ignored;
            outcome.reason = format!("account {account} is not in this organization");
            return Ok(());
        };
        let report = self
            .converge_account(run, &account, None, path, &self.policy.regions)
            .await?;
        // A vend always gets its confirmation; a move only when it changed something.
        let summary = run.trigger.kind == TriggerKind::AccountVended
            || report.regions.iter().any(|r| r.action.wrote());
        alerts.extend(
            self.alerts(run, &report, AlertScope::Account { summary })
                .await?,
        );
        outcome.accounts.push(report);
        Ok(())
    }

    async fn on_document(
        &self,
        run: &Run,
        outcome: &mut Outcome,
        alerts: &mut Vec<Alert>,
    ) -> Result<(), AwsError> {
        let t = &run.trigger;
        let account = t.account.clone().unwrap_or_default();
        let region = t.region.clone().unwrap_or_default();
        if !self.policy.governs_region(&region) {
            outcome.result = Result_::Ignored;
            outcome.reason = format!("region {region} is not governed by the policy");
            return Ok(());
        }
        if let Some(actor) = &t.actor {
            if self.is_own_write(&account, actor) {
                outcome.result = Result_::Ignored;
                outcome.reason = format!("runas-guard's own write ({})", actor.arn);
                return Ok(());
            }
        }
        let Some(path) = self.ou_path(&account, None).await? else {
            outcome.result = Result_::Ignored;
            outcome.reason = format!("account {account} is not in this organization");
            return Ok(());
        };
        let report = self
            .converge_account(run, &account, None, path, std::slice::from_ref(&region))
            .await?;
        alerts.extend(self.alerts(run, &report, AlertScope::Region).await?);
        outcome.accounts.push(report);
        Ok(())
    }

    async fn on_sweep(
        &self,
        run: &Run,
        outcome: &mut Outcome,
        alerts: &mut Vec<Alert>,
    ) -> Result<(), AwsError> {
        let accounts = self.org.list_accounts().await?;
        if let Some(queue) = &self.queue {
            if accounts.len() > self.settings.fanout_threshold {
                let bodies: Vec<String> = accounts
                    .iter()
                    .map(|a| {
                        serde_json::to_string(&SweepMessage {
                            sweep_id: run.trigger.event_id.clone(),
                            account: a.id.clone(),
                        })
                        .expect("plain struct serialises")
                    })
                    .collect();
                let sent = queue.send_all(&bodies).await?;
                outcome.result = Result_::FannedOut;
                outcome.fanned_out = Some(sent);
                outcome.reason = format!(
                    "{sent} accounts queued for reconcile (more than {})",
                    self.settings.fanout_threshold
                );
                return Ok(());
            }
        }
        let reports = self
            .sweep_accounts(run, accounts, &Scope::default(), None)
            .await;
        outcome.reason = sweep_summary(&reports);
        for report in &reports {
            alerts.extend(self.alerts(run, report, AlertScope::Sweep).await?);
        }
        outcome.accounts = reports;
        Ok(())
    }

    /// One account of a fanned-out sweep (an SQS message).
    pub async fn sweep_one(&self, message: &SweepMessage) -> Result<AccountReport, AwsError> {
        let trigger = Trigger {
            kind: TriggerKind::Sweep,
            account: Some(message.account.clone()),
            region: None,
            actor: None,
            event_id: message.sweep_id.clone(),
            source: "aws.sqs".into(),
            event_name: None,
            reason: "fanned-out sweep".into(),
            context: Default::default(),
        };
        let run = Run {
            trigger,
            dry_run: false,
        };
        let info = self
            .org
            .describe_account(&message.account)
            .await?
            .unwrap_or(AccountInfo {
                id: message.account.clone(),
                name: String::new(),
                status: "NOT_IN_ORGANIZATION".into(),
            });
        let report = self.sweep_account(&run, info, &self.policy.regions).await?;
        self.send(self.alerts(&run, &report, AlertScope::Sweep).await?)
            .await
            .map_err(|f| f.error)?;
        Ok(report)
    }

    /// Operator-started reconcile (`runas-guard reconcile`): never fans out.
    pub async fn reconcile_org(
        &self,
        scope: &Scope,
        dry_run: bool,
        progress: Option<indicatif::ProgressBar>,
    ) -> Result<Vec<AccountReport>, AwsError> {
        let trigger = Trigger {
            kind: TriggerKind::Sweep,
            account: None,
            region: None,
            actor: None,
            event_id: format!("cli-{}", clock::epoch_secs(clock::now())),
            source: "runas-guard.cli".into(),
            event_name: None,
            reason: "operator reconcile".into(),
            context: Default::default(),
        };
        let run = Run { trigger, dry_run };
        let mut accounts = self.org.list_accounts().await?;
        if !scope.accounts.is_empty() {
            accounts.retain(|a| scope.accounts.contains(&a.id));
        }
        if let Some(p) = &progress {
            p.set_length(accounts.len() as u64);
        }
        let reports = self.sweep_accounts(&run, accounts, scope, progress).await;
        if !dry_run {
            for report in &reports {
                self.send(self.alerts(&run, report, AlertScope::Sweep).await?)
                    .await
                    .map_err(|f| f.error)?;
            }
        }
        Ok(reports)
    }

    async fn sweep_accounts(
        &self,
        run: &Run,
        accounts: Vec<AccountInfo>,
        scope: &Scope,
        progress: Option<indicatif::ProgressBar>,
    ) -> Vec<AccountReport> {
        let regions: Vec<String> = if scope.regions.is_empty() {
            self.policy.regions.clone()
        } else {
            self.policy
                .regions
                .iter()
                .filter(|r| scope.regions.contains(r))
                .cloned()
                .collect()
        };
        let limit = Arc::new(Semaphore::new(self.settings.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        let mut names = HashMap::new();
        for info in accounts {
            let (me, run, regions, limit) =
                (self.clone(), run.clone(), regions.clone(), limit.clone());
            let account = (info.id.clone(), info.name.clone());
            let handle = tasks.spawn(async move {
                let _permit = limit.acquire_owned().await.expect("semaphore never closes");
                let (id, name) = (info.id.clone(), info.name.clone());
                me.sweep_account(&run, info, &regions)
                    .await
                    .unwrap_or_else(|e| {
                        AccountReport::uniform(&id, &name, &regions, |r| {
                            RegionOutcome::failed(r, &e.code, e.to_string())
                        })
                    })
            });
            names.insert(handle.id(), account);
        }
        let mut reports = Vec::new();
        while let Some(joined) = tasks.join_next_with_id().await {
            match joined {
                Ok((_, report)) => reports.push(report),
                Err(e) => {
                    // A bug, not an AWS answer: still one failed row per region, never a silent gap.
                    let (id, name) = names.remove(&e.id()).unwrap_or_default();
                    tracing::error!(outcome = "remediation_failed", account = %id, error = %e, "account task died");
                    reports.push(AccountReport::uniform(&id, &name, &regions, |r| {
                        RegionOutcome::failed(r, "InternalError", e.to_string())
                    }));
                }
            }
            if let Some(p) = &progress {
                p.inc(1);
            }
        }
        reports.sort_by(|a, b| a.account.cmp(&b.account));
        reports
    }

    async fn sweep_account(
        &self,
        run: &Run,
        info: AccountInfo,
        regions: &[String],
    ) -> Result<AccountReport, AwsError> {
        let skipped = |action: Action, why: String| {
            AccountReport::uniform(&info.id, &info.name, regions, |r| {
                RegionOutcome::skipped(r, action, Some(why.clone()))
            })
        };
        if !info.is_active() {
            return Ok(skipped(
                Action::AccountSuspended,
                format!("account status {}", info.status),
            ));
        }
        let Some(path) = self.ou_path(&info.id, None).await? else {
            return Ok(skipped(
                Action::AccountSuspended,
                "account is no longer in the organization".into(),
            ));
        };
        self.converge_account(run, &info.id, Some(info.name.clone()), path, regions)
            .await
    }

    /// Root-first OU path; `None` when the account is not in the organization.
    async fn ou_path(
        &self,
        account: &str,
        hint: Option<&str>,
    ) -> Result<Option<Vec<String>>, AwsError> {
        if let Some(ou) = hint {
            if let Some(path) = self.org.path(account, ou, true).await? {
                return Ok(Some(path));
            }
        }
        self.org.path(account, account, false).await
    }

    fn is_own_write(&self, account: &str, actor: &crate::trigger::Actor) -> bool {
        let in_account = actor.arn.split(':').nth(4) == Some(account);
        let Some(role) = role_name(&actor.arn) else {
            return false;
        };
        if !in_account {
            return false;
        }
        if role == self.policy.member_role {
            return true;
        }
        // Fallback roles are shared with humans and pipelines: only sessions
        // we named ourselves are ours.
        self.policy.fallback_roles.iter().any(|r| r == role)
            && actor
                .session_name
                .as_deref()
                .is_some_and(|s| s.starts_with("runas-guard-"))
    }

    /// Assume, reconcile each region, record. The one path every trigger takes.
    async fn converge_account(
        &self,
        run: &Run,
        account: &str,
        name: Option<String>,
        path: Vec<String>,
        regions: &[String],
    ) -> Result<AccountReport, AwsError> {
        let desired = self.policy.desired(account, &path);
        let mut report = AccountReport {
            account: account.to_string(),
            name,
            ou_path: Some(self.org.path_names(account, &path).await),
            desired_user: desired.user().map(str::to_string),
            rule: match &desired {
                Desired::Exempt => Some("exempt".into()),
                Desired::User { source, .. } => Some(source.clone()),
            },
            role: None,
            regions: vec![],
        };
        let Desired::User { user, .. } = desired else {
            report.regions = regions
                .iter()
                .map(|r| {
                    RegionOutcome::skipped(r, Action::Excluded, Some("exempt by policy".into()))
                })
                .collect();
            self.record(run, &report).await?;
            return Ok(report);
        };
        let roles: Vec<&str> = self.policy.roles().collect();
        let session = match self
            .sts
            .assume(account, &roles, &session_name(&run.trigger.event_id))
            .await
        {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(outcome = "remediation_failed", account, error_code = %e.code, error = %e, "cannot assume any role");
                report.regions = regions
                    .iter()
                    .map(|r| RegionOutcome::failed(r, &e.code, e.to_string()))
                    .collect();
                self.record(run, &report).await?;
                return Ok(report);
            }
        };
        report.role = Some(session.role.clone());
        let mode = run.mode(&self.policy);
        let limit = Arc::new(Semaphore::new(REGION_CONCURRENCY));
        let mut tasks = JoinSet::new();
        let mut slots = HashMap::new();
        for (i, region) in regions.iter().enumerate() {
            let store = DocumentStore::new(session.ssm(region), account, region);
            let (user, limit) = (user.clone(), limit.clone());
            let handle = tasks.spawn(async move {
                let _permit = limit.acquire_owned().await.expect("semaphore never closes");
                reconcile(&store, &user, mode).await
            });
            slots.insert(handle.id(), i);
        }
        let mut outcomes: Vec<Option<RegionOutcome>> = vec![None; regions.len()];
        while let Some(joined) = tasks.join_next_with_id().await {
            match joined {
                Ok((id, o)) => outcomes[slots[&id]] = Some(o),
                Err(e) => {
                    let i = slots[&e.id()];
                    tracing::error!(account, region = %regions[i], error = %e, "region task died");
                    outcomes[i] = Some(RegionOutcome::failed(
                        &regions[i],
                        "InternalError",
                        e.to_string(),
                    ));
                }
            }
        }
        report.regions = outcomes.into_iter().flatten().collect();
        for o in &report.regions {
            if o.action == Action::Failed {
                tracing::error!(outcome = "remediation_failed", account, region = %o.region,
                    error_code = o.error_code.as_deref().unwrap_or("-"), error = o.error.as_deref().unwrap_or("-"), "account-region not fixed");
            } else {
                tracing::info!(account, region = %o.region, action = o.action.as_str(), "account-region reconciled");
            }
        }
        self.record(run, &report).await?;
        Ok(report)
    }

    /// State items and history rows. Dry runs record nothing.
    async fn record(&self, run: &Run, report: &AccountReport) -> Result<(), AwsError> {
        if run.dry_run {
            return Ok(());
        }
        let t = &run.trigger;
        let user = report.desired_user.clone().unwrap_or_default();
        for o in &report.regions {
            let status = status_for(t.kind, o, &user);
            let seen = o.after.as_ref().or(o.before.as_ref());
            self.state
                .record(&Observation {
                    account: report.account.clone(),
                    region: o.region.clone(),
                    status,
                    desired_user: report.desired_user.clone(),
                    observed_user: seen.and_then(|r| string_of(&r.user)),
                    observed_enabled: seen.and_then(|r| string_of(&r.enabled)),
                    default_version: o.version_after.clone(),
                    action: o.action.as_str(),
                    trigger_id: t.event_id.clone(),
                    trigger_kind: t.kind.as_str(),
                    actor: t.actor.as_ref().map(|a| a.arn.clone()),
                    error: o.error.clone(),
                    error_code: o.error_code.clone(),
                })
                .await?;
            if o.action.wrote() || o.action == Action::WouldChange {
                self.state
                    .add_history(&HistoryRow {
                        account: report.account.clone(),
                        region: o.region.clone(),
                        status: status.to_string(),
                        action: o.action.as_str().to_string(),
                        before: json!(o.before),
                        after: json!(o.after),
                        actor: t.actor.as_ref().map(|a| a.arn.clone()),
                        trigger_id: t.event_id.clone(),
                        trigger_kind: t.kind.as_str().to_string(),
                        versions_before: o
                            .versions_before
                            .as_ref()
                            .map(|v| format!("default {} latest {}", v.default, v.latest)),
                        version_after: o.version_after.clone(),
                    })
                    .await?;
            }
        }
        Ok(())
    }

    /// Which alerts an account's outcome deserves. Failures always win; an
    /// account-level trigger (vend, move) sends one summary, a document edit
    /// or a sweep one alert per drifted region.
    async fn alerts(
        &self,
        run: &Run,
        report: &AccountReport,
        scope: AlertScope,
    ) -> Result<Vec<Alert>, AwsError> {
        let at = clock::iso(clock::now());
        let t = &run.trigger;
        if report.failed() {
            return Ok(vec![alert::remediation_failed(
                &report.account,
                report.desired_user.as_deref(),
                &report.regions,
                t,
                &at,
            )]);
        }
        let Some(user) = report.desired_user.as_deref() else {
            return Ok(vec![]);
        };
        let expected_editor = t
            .actor
            .as_ref()
            .is_some_and(|a| self.policy.is_expected_editor(&a.arn));
        let mut alerts = Vec::new();
        for o in &report.regions {
            let audit = o.action == Action::WouldChange;
            let reverted = o.action.wrote() && o.was_noncompliant(user);
            let per_region = !matches!(scope, AlertScope::Account { .. });
            if !(audit || (reverted && per_region)) {
                continue;
            }
            // Tampering is counted from history rows only for edits someone made.
            let reverts_last_hour = if reverted && scope == AlertScope::Region && !expected_editor {
                self.state
                    .count_history(
                        &report.account,
                        &o.region,
                        "reverted",
                        clock::now() - TAMPER_WINDOW,
                    )
                    .await?
            } else {
                0
            };
            let facts = DriftFacts {
                expected_editor,
                audit,
                reverts_last_hour,
            };
            alerts.push(alert::drift(&report.account, user, o, t, &at, facts));
        }
        if alerts.is_empty()
            && scope == (AlertScope::Account { summary: true })
            && self.policy.mode == Mode::Enforce
        {
            alerts.push(alert::account_configured(
                &report.account,
                user,
                &report.regions,
                t,
                &at,
            ));
        }
        Ok(alerts)
    }

    /// Publishes each alert in order; on the first failure, says what was
    /// sent and hands back the rest.
    async fn send(&self, alerts: Vec<Alert>) -> Result<Vec<AlertSent>, SendFailure> {
        let mut sent = Vec::with_capacity(alerts.len());
        let mut queue = alerts.into_iter();
        while let Some(a) = queue.next() {
            if let Err(error) = self.alerts.publish(&a).await {
                tracing::error!(alert = a.kind.as_str(), account = %a.account, error_code = %error.code, error = %error, "alert not published");
                let mut unsent = vec![a];
                unsent.extend(queue);
                return Err(SendFailure {
                    sent,
                    unsent,
                    error,
                });
            }
            tracing::info!(alert = a.kind.as_str(), severity = a.severity.as_str(), account = %a.account, subject = %a.subject, "alert sent");
            sent.push(AlertSent {
                kind: a.kind.as_str(),
                severity: a.severity.as_str(),
                subject: a.subject,
            });
        }
        Ok(sent)
    }
}

fn failure_summary(accounts: &[AccountReport]) -> String {
    let failed: Vec<String> = accounts
        .iter()
        .flat_map(|a| {
            a.regions
                .iter()
                .filter(|r| r.action == Action::Failed)
                .map(move |r| {
                    format!(
                        "{} {} ({})",
                        a.account,
                        r.region,
                        r.error_code.as_deref().unwrap_or("?")
                    )
                })
        })
        .collect();
    format!(
        "{} account-region(s) failed: {}",
        failed.len(),
        failed.join(", ")
    )
}

fn sweep_summary(reports: &[AccountReport]) -> String {
    let regions: usize = reports.iter().map(|r| r.regions.len()).sum();
    format!(
        "swept {} accounts, {regions} account-regions",
        reports.len()
    )
}
