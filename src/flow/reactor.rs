//! The wrapper around one input: claim it (reading ahead for the account
//! worker meanwhile), hand it to the router ([`crate::flow::route`]), finish it
//! ([`crate::flow::receipt`]), emit its metrics.
//! Read top-down: `handle` → `route::work` → a worker → `Delivery::finish`;
//! nothing calls back up.

use std::sync::Arc;

use serde_json::Value;
use tracing::Instrument;

use crate::adapters::aws::organizations::Org;
use crate::domain::alert;
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::config::Settings;
use crate::domain::job::Job;
use crate::domain::landing_gate;
use crate::domain::metrics;
use crate::domain::outcome::{AccountReport, Handled, Outcome};
use crate::domain::policy::Policy;
use crate::domain::trigger::{MemberStackSet, StackSetAdmin, Trigger, TriggerKind};
use crate::flow::gates;
use crate::flow::outbox;
use crate::flow::receipt::{self, Claimed, Effects};
use crate::flow::route;
use crate::flow::services::Services;
use crate::flow::sweep::{self, OrgReport, Selection, SweepMessage};
use crate::flow::work::Work;
use crate::flow::workers;

/// A claimed event: its delivery, what was read ahead, its first gate claim.
type Claim = (
    receipt::Delivery,
    Option<crate::flow::account::Prepare>,
    Option<gates::First>,
);

/// The event of our own write is taken as a look that names nobody
/// (`domain::unnamed::own_write`): an edit made after our write and found
/// by its run is the editor's, named when their own event comes.
fn own_or_not(trigger: Trigger, policy: &Policy) -> Trigger {
    if !crate::domain::unnamed::own_write(&trigger, &policy.member_role) {
        return trigger;
    }
    tracing::info!(
        actor = trigger
            .actor
            .as_ref()
            .map(|a| a.arn.as_str())
            .unwrap_or("-"),
        "the event of runas-guard's own write: a look that names nobody"
    );
    crate::domain::unnamed::as_own_write(trigger)
}

#[derive(Clone)]
pub struct Reactor {
    svc: Arc<Services>,
}

impl Reactor {
    pub fn new(config: &aws_config::SdkConfig, policy: Policy, settings: Settings) -> Self {
        Reactor {
            svc: Arc::new(Services::new(config, policy, settings)),
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.svc.policy
    }

    /// The member StackSet as configured (to show what a message is).
    pub fn member_stack_set(&self) -> &MemberStackSet {
        &self.svc.stack_set
    }

    /// The member StackSet to handle `input` with, its administrator known:
    /// as configured, else (for a stack-instance event) the management
    /// account, asked of Organizations once per process. When it cannot be
    /// read, no stack-instance event counts; the next one asks again.
    pub async fn stack_set_for(&self, input: &Value) -> MemberStackSet {
        let set = &self.svc.stack_set;
        if set.admin != StackSetAdmin::Unchecked
            || !crate::domain::trigger::is_stack_instance(input)
        {
            return set.clone();
        }
        let org = &self.svc.org;
        let asked = (self.svc.management)
            .get_or_try_init(|| async {
                match org.management_account().await {
                    Ok(Some(a)) => Ok(a),
                    Ok(None) => Err("Organizations named no management account".to_string()),
                    Err(e) => Err(e.to_string()),
                }
            })
            .await;
        let admin = match asked {
            Ok(a) => StackSetAdmin::Account(a.clone()),
            Err(e) => {
                tracing::warn!(error = %e, "the member StackSet's administrator is not known; stack-instance events are ignored");
                StackSetAdmin::Unknown(format!(
                    "RUNAS_GUARD_STACKSET_ADMIN_ACCOUNT is not set and the management account could not be read: {e}"
                ))
            }
        };
        MemberStackSet {
            name: set.name.clone(),
            admin,
        }
    }

    /// The same services, reading member accounts through the operator's
    /// read-only role in dry runs (`reconcile --dry-run` from the CLI).
    pub fn seated(&self, seat: Option<crate::domain::seat::Seat>) -> Reactor {
        let mut svc = (*self.svc).clone();
        svc.seat = seat;
        Reactor { svc: Arc::new(svc) }
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
        let owner = crate::domain::ids::token();
        let delivered =
            outbox::deliver(&self.svc.receipts, &self.svc.alerts, &owner, vec![alert]).await;
        metrics::emit(&metrics::lost(delivered.lost.len()), "policy_rejected");
    }

    /// `Some(line)` naming every OU and account id `policy` names that the
    /// organization does not have (one walk of its tree).
    pub async fn unknown_policy_ids(&self, policy: &Policy) -> Result<Option<String>, AwsError> {
        let known = self.svc.org.fresh().ids().await?;
        let unknown = crate::domain::policy::ids::unknown_ids(policy, &known);
        Ok((!unknown.is_empty()).then(|| crate::domain::policy::ids::describe(&unknown, 10)))
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
        self.handle_measured(trigger).instrument(span).await
    }

    async fn handle_measured(&self, trigger: Trigger) -> Outcome {
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
        let mut job = Job::new(own_or_not(trigger, &self.svc.policy), false);
        // Caches live for this job only: a warm Lambda re-reads the OU tree.
        let org = self.svc.org.fresh();
        let ctx = self.svc.ctx(&org);
        let gate = gates::gate(&self.svc.policy, &job);
        let (delivery, prefetched, first) =
            match self.claimed(&job, &ctx, explained, gate.as_ref()).await {
                Ok(claimed) => claimed,
                Err(answered) => return answered,
            };
        job.retried = delivery.taken_over();
        let fx = self.effects(&org);
        let ran = match &gate {
            None => gates::Ran::Unmarked,
            Some(g) => match gates::pass(&self.svc.table, (g, &job), first).await {
                gates::Pass::Run(marks) => marks,
                gates::Pass::Covered(reason) => {
                    let covered = Outcome {
                        result: Handled::Coalesced,
                        reason,
                        ..outcome
                    };
                    let covered = Work {
                        outcome: covered,
                        ..Work::default()
                    };
                    return delivery.finish(covered, &job, &fx).await;
                }
            },
        };
        if let gates::Ran::Landing(taken) = &ran {
            job.burst = Some(taken.regions.clone());
        }
        // A gated event read nothing ahead: its worker reads now, through the gate.
        let work = route::work(&self.svc, &job, &org, outcome, prefetched).await;
        match &gate {
            None => delivery.finish(work, &job, &fx).await,
            Some(gate) => {
                let run = (&job, &org);
                self.finish_gated(delivery, work, run, gate, &ran).await
            }
        }
    }

    /// A gated run's finish and its gate's mark.
    async fn finish_gated(
        &self,
        delivery: receipt::Delivery,
        work: Work,
        (job, org): (&Job, &Org),
        gate: &gates::Gate,
        ran: &gates::Ran,
    ) -> Outcome {
        let fx = self.effects(org);
        // A landing mark speaks only of what the run read (the finish changes
        // no row), so it goes beside the finish, not after it: the vend from
        // the stack-instance event pays no round trip for it. An edit mark
        // waits for the outcome, as `coalesce::covers` reads it whole.
        if let gates::Ran::Landing(taken) = ran {
            let clean = landing_gate::read_cleanly(&work.outcome, &taken.regions);
            let marked = gates::mark_landing(&self.svc.table, gate, taken, clean);
            let (done, ()) = tokio::join!(delivery.finish(work, job, &fx), marked);
            return done;
        }
        let done = delivery.finish(work, job, &fx).await;
        gates::finished(&self.svc.table, gate, ran, &done).await;
        done
    }

    /// The event's receipt claimed, and beside it: a gated event's first
    /// gate claim (it reads ahead only once through the gate, so a
    /// coalesced one takes no session), any other event's read-ahead. A
    /// delivery the receipt answers gives its gate claim back.
    async fn claimed(
        &self,
        job: &Job,
        ctx: &crate::flow::account::Ctx<'_>,
        explained: Value,
        gate: Option<&gates::Gate>,
    ) -> Result<Claim, Outcome> {
        let table = &self.svc.table;
        let beside = async {
            match gate {
                Some(g) => (None, gates::first(table, g).await),
                None => (
                    workers::account::read_ahead(&self.svc, ctx, job).await,
                    None,
                ),
            }
        };
        let (claimed, (prefetched, first)) =
            tokio::join!(receipt::claim(&self.svc.receipts, job, explained), beside);
        match claimed {
            Claimed::Ours(d) => Ok((d, prefetched, first)),
            Claimed::Answered(o) => {
                if let Some(g) = gate {
                    gates::give_back(table, g, first).await;
                }
                Err(o)
            }
        }
    }

    fn effects<'a>(&'a self, org: &'a Org) -> Effects<'a> {
        Effects {
            receipts: &self.svc.receipts,
            state: &self.svc.state,
            alerts: &self.svc.alerts,
            vends: &self.svc.vends,
            org,
            ctx: self.svc.ctx(org),
        }
    }

    /// One account of a fanned-out sweep (an SQS message).
    pub async fn sweep_one(&self, message: &SweepMessage) -> Result<AccountReport, AwsError> {
        let (report, degraded) = sweep::sweep_one(&self.svc, message).await?;
        let mut outcome = Outcome::new(Value::Null, Handled::Done, "fanned-out sweep");
        outcome.alerts_lost = report.alerts_lost;
        outcome.accounts.push(report.clone());
        outcome.degraded = degraded.map(Box::new);
        let kind = TriggerKind::Sweep;
        metrics::emit(
            &metrics::for_outcome(kind, &outcome, None, None),
            kind.as_str(),
        );
        Ok(report)
    }

    /// Operator-started reconcile (`runas-guard reconcile`): never fans out.
    /// A view of the organization for one operator run: its walk is made
    /// once, whoever asks first.
    pub fn org(&self) -> crate::adapters::aws::organizations::Org {
        self.svc.org.fresh()
    }

    pub async fn reconcile_org(
        &self,
        org: &crate::adapters::aws::organizations::Org,
        selection: &Selection,
        dry_run: bool,
        progress: Option<indicatif::ProgressBar>,
        ahead: sweep::Ahead,
    ) -> Result<OrgReport, AwsError> {
        sweep::reconcile_org(&self.svc, org, selection, dry_run, progress, ahead).await
    }

    /// What a whole reconcile reads before it touches anything (the table,
    /// the outbox), read beside the operator's checks of the organization:
    /// their round trips overlap the walk. `None` for a dry run.
    pub async fn read_ahead(&self, dry_run: bool) -> sweep::Ahead {
        match dry_run {
            true => None,
            false => Some(sweep::read_ahead(&self.svc).await),
        }
    }
}
