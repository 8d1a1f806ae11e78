//! Trigger -> account | sweep -> Outcome. Routing only: what each trigger
//! means is in `account`, `sweep` and `alert`; at-least-once is `receipt`'s.

use std::sync::Arc;

use tokio::sync::Semaphore;

use serde_json::Value;
use tracing::Instrument;

use crate::account::{self, Ctx, Prepared, Run};

/// What preparing an account came to (see [`account::prepare`]).
type Prepare = Result<Option<Prepared>, AwsError>;
use crate::alert::{self, Facts, Scope as AlertScope};
use crate::aws::alerts::Alerts;
use crate::aws::organizations::Org;
use crate::aws::queue::SweepQueue;
use crate::aws::receipts::Receipts;
use crate::aws::state::StateStore;
use crate::aws::sts::Sts;
use crate::aws::sweeps::Sweeps;
use crate::aws::table::Table;
use crate::aws::AwsError;
use crate::clock;
use crate::config::Settings;
use crate::metrics;
use crate::outcome::{failure_summary, AccountReport, Handled, Outcome};
use crate::policy::Policy;
use crate::receipt::{self, Claimed, Effects, Work};
use crate::records::HistoryRow;
use crate::sweep::{self, OrgRun, Scope, SweepMessage};
use crate::trigger::{Trigger, TriggerKind};

/// Every client and setting a run needs; built once per process (and
/// copied, sharing its clients, when a new policy comes into force).
#[derive(Clone)]
pub struct Services {
    pub policy: Policy,
    pub settings: Settings,
    pub sts: Sts,
    /// Holds no state between runs: each takes [`Org::fresh`].
    pub org: Org,
    pub table: Table,
    pub state: StateStore,
    pub receipts: Receipts,
    pub sweeps: Sweeps,
    pub alerts: Alerts,
    pub queue: Option<SweepQueue>,
    pub region_slots: Arc<Semaphore>,
}

impl Services {
    pub fn ctx<'a>(&'a self, org: &'a Org) -> Ctx<'a> {
        Ctx {
            policy: &self.policy,
            sts: &self.sts,
            org,
            state: &self.state,
            region_slots: &self.region_slots,
        }
    }
}

#[derive(Clone)]
pub struct Reactor {
    svc: Arc<Services>,
}

impl Reactor {
    pub fn new(config: &aws_config::SdkConfig, policy: Policy, settings: Settings) -> Self {
        let table = Table::new(config, &settings.table);
        let queue = settings
            .sweep_queue_url
            .as_deref()
            .filter(|u| !u.is_empty())
            .map(|u| SweepQueue::new(config, u));
        let svc = Services {
            policy,
            sts: Sts::new(config),
            org: Org::new(config),
            state: StateStore::new(table.clone()),
            receipts: Receipts::new(table.clone(), settings.claim_lease),
            sweeps: Sweeps::new(table.clone()),
            alerts: Alerts::new(
                config,
                &settings.topic_arn,
                settings.chat_topic_arn.as_deref(),
            ),
            table,
            queue,
            region_slots: Arc::new(Semaphore::new((settings.max_in_flight / 2).max(1))),
            settings,
        };
        Reactor { svc: Arc::new(svc) }
    }

    pub fn policy(&self) -> &Policy {
        &self.svc.policy
    }

    /// The same services under another policy (a new one from S3).
    pub fn with_policy(&self, policy: Policy) -> Reactor {
        let mut svc = (*self.svc).clone();
        svc.policy = policy;
        Reactor { svc: Arc::new(svc) }
    }

    /// A new policy version failed validation: say so (the last good one
    /// stays in force). Kept in the outbox if SNS refuses it.
    pub async fn policy_rejected(&self, source: &str, version: &str, error: &str) {
        let alert = alert::policy_rejected(source, version, error, &clock::iso(clock::now()));
        let owner = crate::ids::token();
        receipt::deliver(&self.svc.receipts, &self.svc.alerts, &owner, vec![alert]).await;
    }

    /// `Some(line)` naming every OU and account id `policy` names that the
    /// organization does not have (one walk of its tree).
    pub async fn unknown_policy_ids(&self, policy: &Policy) -> Result<Option<String>, AwsError> {
        let known = self.svc.org.fresh().ids().await?;
        let unknown = crate::policy_ids::unknown_ids(policy, &known);
        Ok((!unknown.is_empty()).then(|| crate::policy_ids::describe(&unknown, 10)))
    }

    pub async fn record_rejection(
        &self,
        request_id: &str,
        reason: &str,
        input: &Value,
    ) -> Result<(), AwsError> {
        self.svc
            .receipts
            .reject(request_id, reason, &input.to_string())
            .await
    }

    /// The whole life of one EventBridge event, receipts included.
    pub async fn handle(&self, trigger: Trigger) -> Outcome {
        let span = tracing::info_span!("event", trigger_id = %trigger.event_id, trigger = trigger.kind.as_str(),
            account = trigger.account.as_deref().unwrap_or("-"), region = trigger.region.as_deref().unwrap_or("-"));
        self.handle_inner(trigger).instrument(span).await
    }

    async fn handle_inner(&self, trigger: Trigger) -> Outcome {
        let started = std::time::Instant::now();
        let kind = trigger.kind;
        let event_time = trigger.context.event_time.clone();
        let outcome = self.handle_claimed(trigger).await;
        let since_event =
            event_time.and_then(|t| metrics::seconds_since(&t, clock::epoch_millis(clock::now())));
        let sweep_seconds = (kind == TriggerKind::Sweep && outcome.fanned_out.is_none())
            .then(|| started.elapsed().as_secs_f64());
        metrics::emit(
            &metrics::for_outcome(kind, &outcome, since_event, sweep_seconds),
            kind.as_str(),
        );
        outcome
    }

    async fn handle_claimed(&self, trigger: Trigger) -> Outcome {
        let explained = serde_json::to_value(trigger.explain()).unwrap_or(Value::Null);
        let outcome = Outcome::new(explained.clone(), Handled::Done, trigger.reason.clone());
        if trigger.kind == TriggerKind::Ignored {
            tracing::info!(outcome = "ignored", reason = %trigger.reason, "event ignored");
            return Outcome {
                result: Handled::Ignored,
                ..outcome
            };
        }
        let run = Run::new(trigger, false);
        // Caches live for this run only: a warm Lambda re-reads the OU tree.
        let org = self.svc.org.fresh();
        let ctx = self.svc.ctx(&org);
        // Reads need no claim: the account's OU path and a session in it are
        // fetched while the event is claimed (a vend's critical path).
        let (claimed, prefetched) = tokio::join!(
            receipt::claim(&self.svc.receipts, &run, explained),
            self.prefetch(&ctx, &run)
        );
        let delivery = match claimed {
            Claimed::Run(d) => d,
            Claimed::Answered(o) => return o,
        };
        let regions = &self.svc.policy.regions;
        let work = match run.trigger.kind {
            TriggerKind::AccountVended | TriggerKind::AccountMoved => {
                self.converged(
                    &ctx,
                    &run,
                    outcome,
                    prefetched,
                    regions,
                    AlertScope::Account,
                )
                .await
            }
            TriggerKind::DocumentChanged => self.on_document(&ctx, &run, outcome, prefetched).await,
            TriggerKind::Sweep => {
                let mut work = sweep::on_schedule(&self.svc, &run, &org, outcome).await;
                work.alerts.extend(self.unknown_ids(&run, &org));
                work
            }
            TriggerKind::RunAsOverride => self.on_override(&run, outcome).await,
            TriggerKind::Ignored => unreachable!("returned above"),
        };
        let fx = Effects {
            receipts: &self.svc.receipts,
            state: &self.svc.state,
            alerts: &self.svc.alerts,
        };
        delivery.finish(work, &run, &fx).await
    }

    /// The sweep walked the organization: any OU or account id the policy
    /// names that it does not have (a typo, an OU deleted since) is alerted,
    /// never silently re-resolved to another rule.
    fn unknown_ids(&self, run: &Run, org: &Org) -> Option<alert::Alert> {
        let known = org.walked_ids()?;
        let unknown = crate::policy_ids::unknown_ids(&self.svc.policy, &known);
        if unknown.is_empty() {
            return None;
        }
        tracing::error!(outcome = "policy_ids_unknown", ids = %crate::policy_ids::describe(&unknown, 10), "the policy names ids the organization does not have");
        Some(alert::policy_ids_unknown(
            &unknown,
            &run.trigger.event_id,
            &clock::iso(clock::now()),
        ))
    }

    /// A document event's region; every governed region otherwise.
    fn regions_for(&self, t: &Trigger) -> Vec<String> {
        match (&t.kind, &t.region) {
            (TriggerKind::DocumentChanged, Some(r)) => vec![r.clone()],
            _ => self.svc.policy.regions.clone(),
        }
    }

    /// The account a vend, move or governed document event names, prepared.
    async fn prefetch(&self, ctx: &Ctx<'_>, run: &Run) -> Option<Prepare> {
        let t = &run.trigger;
        let wanted = match t.kind {
            TriggerKind::AccountVended | TriggerKind::AccountMoved => true,
            TriggerKind::DocumentChanged => self
                .svc
                .policy
                .governs_region(t.region.as_deref().unwrap_or_default()),
            TriggerKind::Sweep | TriggerKind::RunAsOverride | TriggerKind::Ignored => false,
        };
        let account = t.account.as_deref()?;
        if !wanted {
            return None;
        }
        Some(account::prepare(ctx, run, account, &self.regions_for(t)).await)
    }

    /// Converge one account's regions and decide its alerts; recording and
    /// publishing are `receipt`'s, after the alerts are kept.
    async fn converged(
        &self,
        ctx: &Ctx<'_>,
        run: &Run,
        mut outcome: Outcome,
        prepared: Option<Prepare>,
        regions: &[String],
        scope: AlertScope,
    ) -> Work {
        let account = run.trigger.account.clone().unwrap_or_default();
        let prepared = match prepared {
            Some(p) => p,
            None => account::prepare(ctx, run, &account, regions).await,
        };
        let prepared = match prepared {
            Ok(Some(p)) => p,
            Ok(None) => {
                outcome.result = Handled::Ignored;
                outcome.reason = format!("account {account} is not in this organization");
                return Work::answered(outcome);
            }
            Err(e) => return Work::error(outcome, &e),
        };
        let acct = account::converge(ctx, run, &account, None, prepared, regions).await;
        let at = clock::iso(clock::now());
        let reverts = acct.reverts_last_hour(run);
        let facts = Facts {
            trigger: &run.trigger,
            mode: self.svc.policy.mode,
            expected_editor: run
                .trigger
                .actor
                .as_ref()
                .is_some_and(|a| self.svc.policy.is_expected_editor(&a.arn)),
            reverts_last_hour: &reverts,
            new_drift: &acct.new_drift,
            at: &at,
        };
        let alerts = alert::decide(&acct.report, scope, &facts);
        let failed = acct.report.failed();
        if failed {
            outcome.reason = failure_summary(std::slice::from_ref(&acct.report));
        }
        outcome.accounts.push(acct.report.clone());
        Work {
            outcome,
            alerts,
            uncommitted: vec![acct],
            failed,
            home: receipt::Home::Claim,
        }
    }

    /// Run As decided outside the document: recorded in the account's
    /// history and alerted. Nothing to reconcile: the tag or attribute is
    /// not runas-guard's to remove (the optional SCP prevents it).
    async fn on_override(&self, run: &Run, mut outcome: Outcome) -> Work {
        let t = &run.trigger;
        let account = t.account.clone().unwrap_or_default();
        let expected = t
            .actor
            .as_ref()
            .is_some_and(|a| self.svc.policy.is_expected_editor(&a.arn));
        let at = clock::now();
        let alert = alert::run_as_override(&account, t, expected, &clock::iso(at));
        let row = HistoryRow {
            account,
            region: "-".into(),
            document: None,
            status: "run_as_override".into(),
            action: t.event_name.clone().unwrap_or_default(),
            before: Value::Null,
            after: Value::String(t.context.run_as_value.clone().unwrap_or_default()),
            actor: t.actor.as_ref().map(|a| a.arn.clone()),
            trigger_id: t.event_id.clone(),
            trigger_kind: t.kind.as_str().into(),
            versions_before: t.context.principal.clone(),
            version_after: None,
        };
        if let Err(e) = self.svc.state.add_history(&[row], at).await {
            return Work::error(outcome, &e);
        }
        outcome.reason = t.reason.clone();
        Work {
            alerts: vec![alert],
            ..Work::answered(outcome)
        }
    }

    /// A document event: that account-region, whoever wrote (our own writes
    /// included: they find the document right and stay silent).
    async fn on_document(
        &self,
        ctx: &Ctx<'_>,
        run: &Run,
        mut outcome: Outcome,
        prepared: Option<Prepare>,
    ) -> Work {
        let region = run.trigger.region.clone().unwrap_or_default();
        if !self.svc.policy.governs_region(&region) {
            outcome.result = Handled::Ignored;
            outcome.reason = format!("region {region} is not governed by the policy");
            return Work::answered(outcome);
        }
        let regions = std::slice::from_ref(&region);
        self.converged(ctx, run, outcome, prepared, regions, AlertScope::Region)
            .await
    }

    /// One account of a fanned-out sweep (an SQS message).
    pub async fn sweep_one(&self, message: &SweepMessage) -> Result<AccountReport, AwsError> {
        let report = sweep::sweep_one(&self.svc, message).await?;
        let mut outcome = Outcome::new(Value::Null, Handled::Done, "fanned-out sweep");
        outcome.accounts.push(report.clone());
        let kind = TriggerKind::Sweep;
        metrics::emit(
            &metrics::for_outcome(kind, &outcome, None, None),
            kind.as_str(),
        );
        Ok(report)
    }

    /// Operator-started reconcile (`runas-guard reconcile`): never fans out.
    pub async fn reconcile_org(
        &self,
        scope: &Scope,
        dry_run: bool,
        progress: Option<indicatif::ProgressBar>,
    ) -> Result<OrgRun, AwsError> {
        sweep::reconcile_org(&self.svc, scope, dry_run, progress).await
    }
}
