//! One account: OU path -> desired user -> assume a role -> every governed
//! region at once -> a report; then [`commit`] records it (and releases the
//! account-region leases the run took).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::alert::Alert;
use crate::aws::known::{unchanged, Snapshot};
use crate::aws::lease::{RegionGrant, RegionLease};
use crate::aws::organizations::Org;
use crate::aws::ssm::DocumentStore;
use crate::aws::state::{Orphan, StateStore};
use crate::aws::sts::Sts;
use crate::aws::sts::{session_policy, MemberSession};
use crate::aws::AwsError;
use crate::clock;
use crate::ids::session_name;
use crate::intent::Announce;
use crate::outcome::{slot, AccountReport, Action, RegionOutcome, Status};
use crate::policy::{Desired, Mode, Policy, Target};
use crate::preferences::Preferences;
use crate::reconcile::{look, reconcile, Reconciled, Seen, Want};
use crate::records::{HistoryRow, Observation};
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

/// How a run was asked for: who to blame, whether to write, who owns it.
#[derive(Debug, Clone)]
pub struct Run {
    pub trigger: Trigger,
    /// `--dry-run`: no member writes, no state, no alerts.
    pub dry_run: bool,
    /// This run's token on claims and leases.
    pub owner: String,
    /// A sweep's view of the table at its start: write only what changed.
    pub known: Option<Arc<Snapshot>>,
}

impl Run {
    pub fn new(trigger: Trigger, dry_run: bool) -> Run {
        Run {
            trigger,
            dry_run,
            owner: crate::ids::token(),
            known: None,
        }
    }

    pub fn mode(&self, policy: &Policy) -> Mode {
        if self.dry_run {
            Mode::Audit
        } else {
            policy.mode
        }
    }

    /// A document event about this outcome's document: a write here undid
    /// someone's edit. (An event on `SSM-SessionManagerRunShell` that makes
    /// a `[[document]]` follow it reverts nobody.)
    pub fn edited(&self, o: &RegionOutcome) -> bool {
        self.trigger.edits(o.document_name())
    }
}

/// One account's result, with the leases its writes hold until committed.
pub struct AccountRun {
    pub report: AccountReport,
    grants: HashMap<String, RegionGrant>,
    /// Audit mode: regions whose drift this run saw first.
    pub new_drift: HashSet<String>,
}

impl AccountRun {
    pub fn new(report: AccountReport) -> AccountRun {
        AccountRun {
            report,
            grants: HashMap::new(),
            new_drift: HashSet::new(),
        }
    }

    /// Reverts of each reverted slot in the last hour, this one included.
    pub fn reverts_last_hour(&self, run: &Run) -> HashMap<String, usize> {
        let user = self.report.desired_user.as_deref().unwrap_or_default();
        self.report
            .regions
            .iter()
            .filter(|o| Status::of(o, o.user(user), run.edited(o)) == Status::Reverted)
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
    run: &Run,
    account: &str,
    regions: &[String],
) -> Result<Option<Prepared>, AwsError> {
    let roles: Vec<&str> = ctx.policy.roles().collect();
    let name = session_name(&run.trigger.event_id);
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
    run: &Run,
    account: &str,
    name: Option<String>,
    prepared: Prepared,
    regions: &[String],
) -> AccountRun {
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
        return AccountRun::new(report);
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
            return AccountRun::new(report);
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
        reconcile_regions(ctx, run, &session, targets, regions, &mut seen)
    );
    report.ou_path = Some(ou_path);
    log_outcomes(account, &regions);
    let new_drift = first_seen_drift(ctx.state, run, account, &regions).await;
    report.regions = regions;
    AccountRun {
        report,
        grants,
        new_drift,
    }
}

/// Audit mode: which drifted regions this run saw first (one conditional
/// write per drifted region; none for compliant ones).
async fn first_seen_drift(
    state: &StateStore,
    run: &Run,
    account: &str,
    regions: &[RegionOutcome],
) -> HashSet<String> {
    let mut first = HashSet::new();
    if run.dry_run {
        return first;
    }
    let known = |slot: &str| run.known.as_ref().and_then(|k| k.get(account, slot));
    for o in regions.iter().filter(|o| o.action == Action::WouldChange) {
        let slot = o.slot();
        if known(&slot).is_some_and(|k| k.drift_seen) {
            continue;
        }
        match state
            .claim_drift(account, &slot, &run.trigger.event_id)
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
    run: &Run,
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
            owner: run.owner.clone(),
            mode: run.mode(ctx.policy),
            bound: ctx.region_slots.clone(),
            trigger: run.trigger.clone(),
            account_user: account_user.clone(),
            expected_editor: run
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

fn string_of(v: &Option<Value>) -> Option<String> {
    v.as_ref().map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// What to write for one region: the state item and, for a change made or
/// drift seen, a history row.
fn records(run: &Run, report: &AccountReport) -> Vec<(Observation, Option<HistoryRow>)> {
    let t = &run.trigger;
    let user = report.desired_user.clone().unwrap_or_default();
    report
        .regions
        .iter()
        .map(|o| {
            let status = Status::of(o, o.user(&user), run.edited(o)).as_str();
            // What the document said: in audit mode `after` is only what it
            // would become.
            let seen = if o.action == Action::WouldChange {
                o.before.as_ref()
            } else {
                o.after.as_ref().or(o.before.as_ref())
            };
            let actor = t.actor.as_ref().map(|a| a.arn.clone());
            let observation = Observation {
                account: report.account.clone(),
                region: o.region.clone(),
                document: o.document.clone(),
                status,
                desired_user: o.desired_user.clone().or(report.desired_user.clone()),
                observed_user: seen.and_then(|r| string_of(&r.user)),
                observed_enabled: seen.and_then(|r| string_of(&r.enabled)),
                default_version: o.version_after.clone(),
                action: o.action.as_str(),
                wrote: o.action.wrote(),
                trigger_id: t.event_id.clone(),
                trigger_kind: t.kind.as_str(),
                actor: actor.clone(),
                error: o.error.clone(),
                error_code: o.error_code.clone(),
            };
            let history =
                (o.action.wrote() || o.action == Action::WouldChange).then(|| HistoryRow {
                    account: report.account.clone(),
                    region: o.region.clone(),
                    document: o.document.clone(),
                    status: status.to_string(),
                    action: o.action.as_str().to_string(),
                    before: json!(o.before),
                    after: json!(o.after),
                    actor,
                    trigger_id: t.event_id.clone(),
                    trigger_kind: t.kind.as_str().to_string(),
                    versions_before: o
                        .versions_before
                        .as_ref()
                        .map(|v| format!("default {} latest {}", v.default, v.latest)),
                    version_after: o.version_after.clone(),
                });
            (observation, history)
        })
        .collect()
}

/// What recording an account came to.
#[derive(Default)]
pub struct Committed {
    /// Alerts of dead runs whose writes this record found and adopted: the
    /// caller delivers them like its own.
    pub adopted: Vec<Alert>,
    pub error: Option<AwsError>,
}

/// State items and history rows, all regions at once; releases the leases.
/// Where a record finds the intent of a run that died after its write, the
/// revert is recorded and alerted now ([`crate::intent`]). Dry runs record
/// nothing.
pub async fn commit(state: &StateStore, run: &Run, account: &AccountRun) -> Committed {
    if run.dry_run {
        return Committed::default();
    }
    let mut tasks = JoinSet::new();
    let at = clock::now();
    let mut rows = Vec::new();
    for (observation, history) in records(run, &account.report) {
        let grant = account.grants.get(&observation.slot()).cloned();
        let known = run
            .known
            .as_ref()
            .and_then(|k| k.get(&observation.account, &observation.slot()));
        if grant.is_none() && history.is_none() && known.is_some_and(|k| unchanged(k, &observation))
        {
            continue;
        }
        // Drift already recorded is history once, not once per sweep.
        let already = observation.action == "would-change" && known.is_some_and(|k| k.drift_seen);
        rows.extend(history.filter(|_| !already));
        let reverted = observation.status == Status::Reverted.as_str();
        let state = state.clone();
        tasks.spawn(async move {
            let found = state.record(&observation, grant.as_ref(), reverted).await;
            (Some(observation), found)
        });
    }
    // History beside the state items, not before them: one round trip.
    if !rows.is_empty() {
        let state = state.clone();
        tasks.spawn(async move { (None, state.add_history(&rows, at).await.map(|()| None)) });
    }
    let mut committed = Committed::default();
    let mut orphans = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let result = joined.unwrap_or_else(|e| {
            (
                None,
                Err(AwsError {
                    operation: "record",
                    account: account.report.account.clone(),
                    region: "-".into(),
                    code: "InternalError".into(),
                    message: e.to_string(),
                }),
            )
        });
        match result {
            (Some(o), Ok(Some(orphan))) => orphans.push((o, orphan)),
            (_, Ok(_)) => {}
            (_, Err(e)) => {
                tracing::error!(outcome = "record_failed", account = %account.report.account, error_code = %e.code, error = %e, "state not recorded");
                committed.error.get_or_insert(e);
            }
        }
    }
    for (o, orphan) in orphans {
        match adopt(state, &o, &orphan).await {
            Ok(alerts) => committed.adopted.extend(alerts),
            Err(e) => {
                tracing::error!(outcome = "record_failed", account = %o.account, error_code = %e.code, error = %e, "a dead run's write not recorded");
                committed.error.get_or_insert(e);
            }
        }
    }
    committed
}

/// A dead run's intent found by a quiet record of `o`: when the document
/// shows its write, record it (status, counts, history) and return its
/// alerts; otherwise only remove the intent.
async fn adopt(
    state: &StateStore,
    o: &Observation,
    orphan: &Orphan,
) -> Result<Vec<Alert>, AwsError> {
    let i = &orphan.intent;
    let version = o.default_version.as_deref();
    let compliant = o.status == Status::Compliant.as_str() && !o.wrote;
    let Some(version) = version.filter(|_| i.landed(compliant, version)) else {
        tracing::info!(intent = %crate::intent::describe(i), "a dead run's write did not land; its intent is dropped");
        state.drop_intent(orphan).await?;
        return Ok(vec![]);
    };
    if !state.adopt(orphan, version).await? {
        return Ok(vec![]);
    }
    let now = clock::now();
    state.add_history(&[i.history(version)], now).await?;
    tracing::warn!(outcome = "adopted", intent = %crate::intent::describe(i), version, "recorded and alerted the write of a run that died before recording it");
    Ok(i.alerts(version, orphan.recent_reverts.len(), &clock::iso(now)))
}
