//! One account's regions, all at once, and each region's governed documents
//! (those that inherit after `SSM-SessionManagerRunShell`, the others beside
//! it): every document reconcile under the account's session and the
//! process-wide bound on requests in flight.

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::gate::{self, check_row, with_modes, CheckRun};
use super::Ctx;
use crate::adapters::aws::associations::AssociationStore;
use crate::adapters::aws::ssm::DocumentStore;
use crate::adapters::aws::sts::MemberSession;
use crate::adapters::store::check_claim::CheckClaim;
use crate::adapters::store::lease::{RegionGrant, RegionLease};
use crate::domain::intent::Announce;
use crate::domain::job::Job;
use crate::domain::nodes::{self, Readiness};
use crate::domain::outcome::{slot, Action, RegionOutcome};
use crate::domain::policy::{Mode, Target};
use crate::domain::preferences::Preferences;
use crate::domain::trigger::{Trigger, DOCUMENT_NAME};
use crate::flow::reconcile::{reconcile, Reconciled, Seen, Want};
use crate::flow::user_check;

/// What every document reconcile of one account shares.
#[derive(Clone)]
struct DocEnv {
    ssm: aws_sdk_ssm::Client,
    account: String,
    table: crate::adapters::aws::dynamodb::Table,
    owner: String,
    /// `--dry-run`: nothing is written, whatever the rules' modes.
    dry_run: bool,
    bound: Arc<Semaphore>,
    /// Who this run is, for the intent each lease take records.
    trigger: Trigger,
    account_user: String,
    expected_editor: bool,
    /// The run-as user check's document, when the policy turns it on.
    check_document: Option<String>,
    /// What the table last recorded of the check here (sweeps know it).
    recorded: Option<Readiness>,
    /// Whether `recorded` is the table's (a sweep's snapshot); else the check reads its row.
    known: bool,
    /// The recorded association as read early (see `early.rs`).
    described: Option<Option<nodes::Association>>,
    /// Write leases this run holds in the account, across its regions.
    held: Arc<AtomicUsize>,
}

impl DocEnv {
    fn new(
        ctx: &Ctx<'_>,
        job: &Job,
        session: &MemberSession,
        region: &str,
        account_user: &str,
    ) -> DocEnv {
        DocEnv {
            ssm: session.ssm(region),
            account: session.account.clone(),
            table: ctx.state.table().clone(),
            owner: job.owner.clone(),
            dry_run: job.dry_run,
            bound: ctx.region_slots.clone(),
            trigger: job.trigger.clone(),
            account_user: account_user.to_string(),
            expected_editor: job
                .trigger
                .actor
                .as_ref()
                .is_some_and(|a| ctx.policy.is_expected_editor(&a.arn)),
            check_document: ctx.policy.check_document.clone(),
            held: Arc::default(),
            recorded: ctx.policy.check_document.as_deref().and_then(|d| {
                let known = job
                    .known
                    .as_ref()?
                    .get(&session.account, &slot(region, Some(d)))?;
                Readiness::from_json(known.nodes.as_deref()?)
            }),
            known: job.known.is_some(),
            described: None,
        }
    }

    /// The run-as user check of one region: its association, kept like a
    /// document (version-checked, created once), and what it found.
    async fn check_nodes(&self, region: &str, document: &str) -> RegionOutcome {
        let store = AssociationStore::new(self.ssm.clone(), &self.account, region, document);
        let claim = CheckClaim {
            table: self.table.clone(),
            account: self.account.clone(),
            slot: slot(region, Some(document)),
            owner: self.owner.clone(),
        };
        let want = user_check::Want {
            document,
            user: &self.account_user,
            write: !self.dry_run,
            recorded: self.recorded.as_ref(),
            known: self.known,
            event: self.trigger.event_name.as_deref(),
            described: self.described.clone(),
        };
        let _slot = self.bound.acquire().await.expect("semaphore never closes");
        user_check::check(&store, &claim, &want).await
    }

    /// What this run does to `target` here: its rules' mode, with an
    /// `enforce-when-ready` decided on what the check found in this region
    /// (`Err`: held, and why).
    /// A dry run writes nothing, but says a held document is held, as the
    /// sweep and `why` do.
    fn mode(&self, target: &Target, found: Option<&Readiness>) -> (Mode, Option<String>) {
        let (mode, held) = match target.mode {
            Mode::EnforceWhenReady => match nodes::gate(found, &target.user) {
                Ok(()) => (Mode::Enforce, None),
                Err(why) => (Mode::Audit, Some(why)),
            },
            m => (m, None),
        };
        match self.dry_run {
            true => (Mode::Audit, held),
            false => (mode, held),
        }
    }

    /// The check of `region`, started beside the documents (when on).
    fn start_check(&self, region: &str) -> Option<CheckRun> {
        let document = self.check_document.clone()?;
        let (env, region) = (self.clone(), region.to_string());
        Some(CheckRun::spawn(async move {
            env.check_nodes(&region, &document).await
        }))
    }

    async fn reconcile(
        &self,
        region: &str,
        target: &Target,
        mode: Mode,
        parent: Option<&Preferences>,
        seen: Option<Seen>,
    ) -> Reconciled<RegionGrant> {
        let docs = DocumentStore::named(self.ssm.clone(), &self.account, region, target.name());
        let lease = RegionLease {
            table: self.table.clone(),
            account: self.account.clone(),
            slot: slot(region, target.document.as_deref()),
            owner: self.owner.clone(),
            held: self.held.clone(),
            announce: Some(Announce {
                account: self.account.clone(),
                region: region.to_string(),
                document: target.document.clone(),
                user: target.user.clone(),
                account_user: self.account_user.clone(),
                trigger: self.trigger.clone(),
                expected_editor: self.expected_editor,
            }),
        };
        let want = Want {
            user: &target.user,
            parent,
        };
        let _slot = self.bound.acquire().await.expect("semaphore never closes");
        reconcile(&docs, &lease, &want, mode, seen).await
    }
}

/// Every governed document of one region, in `targets` order. Documents that
/// inherit wait for `SSM-SessionManagerRunShell` (the first target); the
/// others run beside it.
/// `seen[i]`: `targets[i]`'s observation made in [`prepare`], if any.
async fn reconcile_region(
    env: DocEnv,
    region: String,
    targets: Arc<Vec<Target>>,
    mut seen: Vec<Option<Seen>>,
) -> Vec<(RegionOutcome, Option<RegionGrant>)> {
    let mut results: Vec<Option<(RegionOutcome, Option<RegionGrant>)>> = vec![None; targets.len()];
    let gated = targets.iter().any(|t| t.mode == Mode::EnforceWhenReady);
    let (check, found) = gate::settle(env.start_check(&region), &region, gated).await;
    let modes: Arc<Vec<_>> = Arc::new(
        targets
            .iter()
            .map(|t| env.mode(t, found.as_ref()))
            .collect(),
    );
    let mut tasks = JoinSet::new();
    let spawn =
        |tasks: &mut JoinSet<_>, i: usize, parent: Option<Preferences>, seen: Option<Seen>| {
            let (env, region, targets, modes) =
                (env.clone(), region.clone(), targets.clone(), modes.clone());
            tasks.spawn(async move {
                let r = env
                    .reconcile(&region, &targets[i], modes[i].0, parent.as_ref(), seen)
                    .await;
                (i, r)
            });
        };
    for i in (1..targets.len()).filter(|&i| !targets[i].inherit) {
        spawn(&mut tasks, i, None, seen[i].take());
    }
    let first = env
        .reconcile(&region, &targets[0], modes[0].0, None, seen[0].take())
        .await;
    for i in (1..targets.len()).filter(|&i| targets[i].inherit) {
        match &first.content {
            Some(parent) => spawn(&mut tasks, i, Some(parent.clone()), seen[i].take()),
            None => results[i] = Some((inherit_unavailable(&targets[i], &first.outcome), None)),
        }
    }
    results[0] = Some((first.outcome, first.grant));
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((i, r)) => results[i] = Some((r.outcome, r.grant)),
            // A bug, not an AWS answer: reported below as a failed row.
            Err(e) => {
                tracing::error!(account = %env.account, region, error = %e, "document task died")
            }
        }
    }
    let mut rows = with_modes(fill_gaps(results, &targets, &region), &targets, &modes);
    if let (Some(run), Some(document)) = (check, env.check_document.as_deref()) {
        let row = run.row(&region).await;
        rows.push((
            check_row(row, &rows[0].0, document, &env.account_user),
            None,
        ));
    }
    rows
}

/// A task that died leaves a failed row, never a gap.
fn fill_gaps(
    results: Vec<Option<(RegionOutcome, Option<RegionGrant>)>>,
    targets: &[Target],
    region: &str,
) -> Vec<(RegionOutcome, Option<RegionGrant>)> {
    results
        .into_iter()
        .zip(targets.iter())
        .map(|(r, t)| {
            r.unwrap_or_else(|| {
                let o = RegionOutcome::failed(region, "InternalError", "document task died".into());
                (o.for_document(t.name(), &t.user), None)
            })
        })
        .collect()
}

/// A document that inherits cannot be judged without its parent's content.
fn inherit_unavailable(target: &Target, parent: &RegionOutcome) -> RegionOutcome {
    let o = if parent.action == Action::RegionDisabled {
        parent.clone()
    } else {
        RegionOutcome::failed(
            &parent.region,
            "InheritUnavailable",
            format!(
                "{} inherits from {DOCUMENT_NAME}, which could not be read: {}",
                target.name(),
                parent.error.as_deref().unwrap_or("no content")
            ),
        )
    };
    RegionOutcome {
        document: None,
        desired_user: None,
        ..o
    }
    .for_document(target.name(), &target.user)
}

/// Every region at once, in the order given (each region's documents in
/// policy order); the leases the writes took, by slot.
pub(super) async fn reconcile_regions(
    ctx: &Ctx<'_>,
    job: &Job,
    session: &MemberSession,
    targets: Vec<Target>,
    regions: &[String],
    seen: &mut super::early::Early,
) -> (Vec<RegionOutcome>, HashMap<String, RegionGrant>) {
    let account = session.account.as_str();
    let account_user = targets.first().map(|t| t.user.clone()).unwrap_or_default();
    let targets = Arc::new(targets);
    let mut tasks = JoinSet::new();
    let (mut slots, held) = (HashMap::new(), Arc::new(AtomicUsize::new(0)));
    for (i, region) in regions.iter().enumerate() {
        let env = DocEnv {
            described: seen.checks.remove(region),
            held: held.clone(),
            ..DocEnv::new(ctx, job, session, region, &account_user)
        };
        let early = targets
            .iter()
            .map(|t| seen.documents.remove(&slot(region, t.document.as_deref())))
            .collect();
        let handle = tasks.spawn(reconcile_region(
            env,
            region.clone(),
            targets.clone(),
            early,
        ));
        slots.insert(handle.id(), i);
    }
    let mut per_region: Vec<Vec<(RegionOutcome, Option<RegionGrant>)>> =
        vec![vec![]; regions.len()];
    while let Some(joined) = tasks.join_next_with_id().await {
        match joined {
            Ok((id, r)) => per_region[slots[&id]] = r,
            Err(e) => {
                // A bug, not an AWS answer: still failed rows, never a silent gap.
                let i = slots[&e.id()];
                tracing::error!(account, region = %regions[i], error = %e, "region task died");
                per_region[i] = targets
                    .iter()
                    .map(|t| {
                        let o = RegionOutcome::failed(&regions[i], "InternalError", e.to_string());
                        (o.for_document(t.name(), &t.user), None)
                    })
                    .collect();
            }
        }
    }
    let mut grants = HashMap::new();
    let mut outcomes = Vec::new();
    for (o, grant) in per_region.into_iter().flatten() {
        if let Some(g) = grant {
            grants.insert(o.slot(), g);
        }
        outcomes.push(o);
    }
    (outcomes, grants)
}
