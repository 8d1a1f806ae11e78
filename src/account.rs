//! One account: OU path -> desired user -> assume a role -> every governed
//! region at once -> a report; then [`commit`] records it (and releases the
//! account-region leases the run took).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::aws::lease::{RegionGrant, RegionLease};
use crate::aws::organizations::Org;
use crate::aws::ssm::DocumentStore;
use crate::aws::state::StateStore;
use crate::aws::sts::Sts;
use crate::aws::sts::{session_policy, MemberSession};
use crate::aws::AwsError;
use crate::ids::session_name;
use crate::intent::Announce;
use crate::job::Job;
use crate::outcome::{slot, AccountReport, Action, RegionOutcome, Status};
use crate::policy::{Desired, Mode, Policy, Target};
use crate::preferences::Preferences;
use crate::reconcile::{look, reconcile, Reconciled, Seen, Want};

use crate::trigger::{Trigger, DOCUMENT_NAME};

/// What every account of one run shares.
pub struct Ctx<'a> {
    pub policy: &'a Policy,
    pub sts: &'a Sts,
    /// A view with caches for this run only.
    pub org: &'a Org,
    pub state: &'a StateStore,
    /// Region reconciles in flight across the process (each makes at most
    /// two AWS calls at once): the hard bound on requests in flight.
    pub region_slots: &'a Arc<Semaphore>,
}

/// One account's result, with the leases its writes hold until committed.
pub struct Uncommitted {
    pub report: AccountReport,
    pub(crate) grants: HashMap<String, RegionGrant>,
    /// Audit mode: regions whose drift this run saw first.
    pub new_drift: HashSet<String>,
}

impl Uncommitted {
    pub fn new(report: AccountReport) -> Uncommitted {
        Uncommitted {
            report,
            grants: HashMap::new(),
            new_drift: HashSet::new(),
        }
    }

    /// Reverts of each reverted slot in the last hour, this one included.
    pub fn reverts_last_hour(&self, job: &Job) -> HashMap<String, usize> {
        let user = self.report.desired_user.as_deref().unwrap_or_default();
        self.report
            .regions
            .iter()
            .filter(|o| Status::of(o, o.user(user), job.edited(o)) == Status::Reverted)
            .map(|o| {
                let earlier = self
                    .grants
                    .get(&o.slot())
                    .map_or(0, |g| g.recent_reverts.len());
                (o.slot(), earlier + 1)
            })
            .collect()
    }
}

/// Root-first OU path, read from Organizations now (an event's OU is only a
/// hint and may be stale); `None` when the account is not in the organization.
pub async fn locate(org: &Org, account: &str) -> Result<Option<Vec<String>>, AwsError> {
    org.path(account, account, false).await
}

/// Where an account stands before any region is looked at: its OU path and,
/// unless it is exempt, a session in it. Read at once, and needing no claim.
pub struct Prepared {
    pub path: Vec<String>,
    session: Option<Result<MemberSession, AwsError>>,
    /// Every governed document of `regions`, already observed, by slot.
    seen: HashMap<String, Seen>,
}

/// `None` when the account is not in the organization. The documents of
/// `regions` are observed as soon as the session exists: reading them needs
/// no user, so a nested account's OU path costs no extra round trips.
pub async fn prepare(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    regions: &[String],
) -> Result<Option<Prepared>, AwsError> {
    let roles: Vec<&str> = ctx.policy.roles().collect();
    let name = session_name(&job.trigger.event_id);
    let policy = session_policy(
        ctx.sts.partition(),
        account,
        &ctx.policy.regions,
        &ctx.policy.document_names(),
    );
    let assume = async {
        // An account rule can exempt it before its OU is known.
        if ctx.policy.is_exempt(account) {
            return (None, HashMap::new());
        }
        let session = ctx.sts.assume(account, &roles, &name, Some(&policy)).await;
        let seen = match &session {
            Ok(s) => look_all(ctx, s, regions).await,
            Err(_) => HashMap::new(),
        };
        (Some(session), seen)
    };
    let (path, (session, seen)) = tokio::join!(locate(ctx.org, account), assume);
    Ok(path?.map(|path| Prepared {
        path,
        session,
        seen,
    }))
}

/// Every governed document in every region of `regions`, observed at once.
async fn look_all(
    ctx: &Ctx<'_>,
    session: &MemberSession,
    regions: &[String],
) -> HashMap<String, Seen> {
    let mut tasks = JoinSet::new();
    for region in regions {
        for name in ctx.policy.document_names() {
            let docs = DocumentStore::named(session.ssm(region), &session.account, region, name);
            let key = slot(region, Some(name));
            let bound = ctx.region_slots.clone();
            tasks.spawn(async move {
                let _slot = bound.acquire_owned().await.expect("semaphore never closes");
                (key, look(&docs).await)
            });
        }
    }
    let mut seen = HashMap::new();
    // A task that died leaves its document to be observed again later.
    while let Some(Ok((key, s))) = tasks.join_next().await {
        seen.insert(key, s);
    }
    seen
}

/// Reconcile every region at once. The one path every trigger takes.
pub async fn converge(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    name: Option<String>,
    prepared: Prepared,
    regions: &[String],
) -> Uncommitted {
    let Prepared {
        path,
        session,
        mut seen,
    } = prepared;
    let desired = ctx.policy.desired(account, &path);
    let mut report = AccountReport {
        account: account.to_string(),
        name,
        ou_path: None,
        desired_user: desired.user().map(str::to_string),
        rule: match &desired {
            Desired::Exempt => Some("exempt".into()),
            Desired::User { source, .. } => Some(source.clone()),
        },
        role: None,
        regions: vec![],
    };
    let (Desired::User { user, .. }, Some(session)) = (desired, session) else {
        report.ou_path = Some(ctx.org.path_names(account, &path).await);
        report.regions = regions
            .iter()
            .map(|r| RegionOutcome::skipped(r, Action::Excluded, Some("exempt by policy".into())))
            .collect();
        return Uncommitted::new(report);
    };
    let session = match session {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(outcome = "remediation_failed", account, error_code = %e.code, error = %e, "cannot assume any role");
            report.ou_path = Some(ctx.org.path_names(account, &path).await);
            report.regions = regions
                .iter()
                .map(|r| RegionOutcome::failed(r, &e.code, e.to_string()))
                .collect();
            return Uncommitted::new(report);
        }
    };
    report.role = Some(session.role.clone());
    let targets = ctx.policy.targets(account, &path);
    debug_assert_eq!(
        targets.first().map(|t| t.user.as_str()),
        Some(user.as_str())
    );
    // OU names are for the report: looked up beside the regions, not before.
    let (ou_path, (regions, grants)) = tokio::join!(
        ctx.org.path_names(account, &path),
        reconcile_regions(ctx, job, &session, targets, regions, &mut seen)
    );
    report.ou_path = Some(ou_path);
    log_outcomes(account, &regions);
    let new_drift = first_seen_drift(ctx.state, job, account, &regions).await;
    report.regions = regions;
    Uncommitted {
        report,
        grants,
        new_drift,
    }
}

/// Audit mode: which drifted regions this run saw first (one conditional
/// write per drifted region; none for compliant ones).
async fn first_seen_drift(
    state: &StateStore,
    job: &Job,
    account: &str,
    regions: &[RegionOutcome],
) -> HashSet<String> {
    let mut first = HashSet::new();
    if job.dry_run {
        return first;
    }
    let known = |slot: &str| job.known.as_ref().and_then(|k| k.get(account, slot));
    for o in regions.iter().filter(|o| o.action == Action::WouldChange) {
        let slot = o.slot();
        if known(&slot).is_some_and(|k| k.drift_seen) {
            continue;
        }
        match state
            .claim_drift(account, &slot, &job.trigger.event_id)
            .await
        {
            Ok(true) => {
                first.insert(slot);
            }
            Ok(false) => {}
            Err(e) => {
                // Better a repeated alert than a silent one.
                tracing::warn!(account, slot, error_code = %e.code, error = %e, "cannot tell whether this drift is new; treating it as new");
                first.insert(slot);
            }
        }
    }
    first
}

/// What every document reconcile of one account shares.
#[derive(Clone)]
struct DocEnv {
    ssm: aws_sdk_ssm::Client,
    account: String,
    table: crate::aws::table::Table,
    owner: String,
    mode: Mode,
    bound: Arc<Semaphore>,
    /// Who this run is, for the intent each lease take records.
    trigger: Trigger,
    account_user: String,
    expected_editor: bool,
}

impl DocEnv {
    async fn reconcile(
        &self,
        region: &str,
        target: &Target,
        parent: Option<&Preferences>,
        seen: Option<Seen>,
    ) -> Reconciled<RegionGrant> {
        let docs = DocumentStore::named(self.ssm.clone(), &self.account, region, target.name());
        let lease = RegionLease {
            table: self.table.clone(),
            account: self.account.clone(),
            slot: slot(region, target.document.as_deref()),
            owner: self.owner.clone(),
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
        reconcile(&docs, &lease, &want, self.mode, seen).await
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
    let mut tasks = JoinSet::new();
    let spawn =
        |tasks: &mut JoinSet<_>, i: usize, parent: Option<Preferences>, seen: Option<Seen>| {
            let (env, region, targets) = (env.clone(), region.clone(), targets.clone());
            tasks.spawn(async move {
                let r = env
                    .reconcile(&region, &targets[i], parent.as_ref(), seen)
                    .await;
                (i, r)
            });
        };
    for i in (1..targets.len()).filter(|&i| !targets[i].inherit) {
        spawn(&mut tasks, i, None, seen[i].take());
    }
    let first = env
        .reconcile(&region, &targets[0], None, seen[0].take())
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
    results
        .into_iter()
        .zip(targets.iter())
        .map(|(r, t)| {
            r.unwrap_or_else(|| {
                let o =
                    RegionOutcome::failed(&region, "InternalError", "document task died".into());
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
async fn reconcile_regions(
    ctx: &Ctx<'_>,
    job: &Job,
    session: &MemberSession,
    targets: Vec<Target>,
    regions: &[String],
    seen: &mut HashMap<String, Seen>,
) -> (Vec<RegionOutcome>, HashMap<String, RegionGrant>) {
    let account = session.account.as_str();
    let account_user = targets.first().map(|t| t.user.clone()).unwrap_or_default();
    let targets = Arc::new(targets);
    let mut tasks = JoinSet::new();
    let mut slots = HashMap::new();
    for (i, region) in regions.iter().enumerate() {
        let env = DocEnv {
            ssm: session.ssm(region),
            account: account.to_string(),
            table: ctx.state.table().clone(),
            owner: job.owner.clone(),
            mode: job.mode(ctx.policy),
            bound: ctx.region_slots.clone(),
            trigger: job.trigger.clone(),
            account_user: account_user.clone(),
            expected_editor: job
                .trigger
                .actor
                .as_ref()
                .is_some_and(|a| ctx.policy.is_expected_editor(&a.arn)),
        };
        let early = targets
            .iter()
            .map(|t| seen.remove(&slot(region, t.document.as_deref())))
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

fn log_outcomes(account: &str, regions: &[RegionOutcome]) {
    for o in regions {
        if o.action == Action::Failed {
            tracing::error!(outcome = "remediation_failed", account, region = %o.region,
                error_code = o.error_code.as_deref().unwrap_or("-"), error = o.error.as_deref().unwrap_or("-"), "account-region not fixed");
        } else {
            tracing::info!(account, region = %o.region, action = o.action.as_str(), "account-region reconciled");
        }
    }
}
