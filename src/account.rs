//! One account: OU path -> desired user -> assume a role -> every governed
//! region at once -> a report; then [`commit`] records it (and releases the
//! account-region leases the run took).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::aws::known::{unchanged, Snapshot};
use crate::aws::lease::{RegionGrant, RegionLease};
use crate::aws::organizations::Org;
use crate::aws::ssm::DocumentStore;
use crate::aws::state::{HistoryRow, Observation, StateStore};
use crate::aws::sts::Sts;
use crate::aws::sts::{session_policy, MemberSession};
use crate::aws::AwsError;
use crate::clock;
use crate::ids::session_name;
use crate::outcome::{AccountReport, Action, RegionOutcome, Status};
use crate::policy::{Desired, Mode, Policy};
use crate::reconcile::reconcile;
use crate::trigger::{Trigger, TriggerKind};

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

    fn document_event(&self) -> bool {
        self.trigger.kind == TriggerKind::DocumentChanged
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

    /// Reverts of each reverted region in the last hour, this one included.
    pub fn reverts_last_hour(&self, run: &Run) -> HashMap<String, usize> {
        let user = self.report.desired_user.as_deref().unwrap_or_default();
        self.report
            .regions
            .iter()
            .filter(|o| Status::of(o, user, run.document_event()) == Status::Reverted)
            .map(|o| {
                let earlier = self
                    .grants
                    .get(&o.region)
                    .map_or(0, |g| g.recent_reverts.len());
                (o.region.clone(), earlier + 1)
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
}

/// `None` when the account is not in the organization.
pub async fn prepare(
    ctx: &Ctx<'_>,
    run: &Run,
    account: &str,
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
            None
        } else {
            Some(ctx.sts.assume(account, &roles, &name, Some(&policy)).await)
        }
    };
    let (path, session) = tokio::join!(locate(ctx.org, account), assume);
    Ok(path?.map(|path| Prepared { path, session }))
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
    let Prepared { path, session } = prepared;
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
    // OU names are for the report: looked up beside the regions, not before.
    let (ou_path, (regions, grants)) = tokio::join!(
        ctx.org.path_names(account, &path),
        reconcile_regions(ctx, run, &session, &user, regions)
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
    let known = |region: &str| run.known.as_ref().and_then(|k| k.get(account, region));
    for o in regions.iter().filter(|o| o.action == Action::WouldChange) {
        if known(&o.region).is_some_and(|k| k.drift_seen) {
            continue;
        }
        match state
            .claim_drift(account, &o.region, &run.trigger.event_id)
            .await
        {
            Ok(true) => {
                first.insert(o.region.clone());
            }
            Ok(false) => {}
            Err(e) => {
                // Better a repeated alert than a silent one.
                tracing::warn!(account, region = %o.region, error_code = %e.code, error = %e, "cannot tell whether this drift is new; treating it as new");
                first.insert(o.region.clone());
            }
        }
    }
    first
}

/// Every region at once, in the order given; the leases the writes took.
async fn reconcile_regions(
    ctx: &Ctx<'_>,
    run: &Run,
    session: &MemberSession,
    user: &str,
    regions: &[String],
) -> (Vec<RegionOutcome>, HashMap<String, RegionGrant>) {
    let mode = run.mode(ctx.policy);
    let account = session.account.as_str();
    let mut tasks = JoinSet::new();
    let mut slots = HashMap::new();
    for (i, region) in regions.iter().enumerate() {
        let docs = DocumentStore::new(session.ssm(region), account, region);
        let lease = RegionLease {
            table: ctx.state.table().clone(),
            account: account.to_string(),
            region: region.clone(),
            owner: run.owner.clone(),
        };
        let user = user.to_string();
        let bound = ctx.region_slots.clone();
        let handle = tasks.spawn(async move {
            let _slot = bound.acquire_owned().await.expect("semaphore never closes");
            reconcile(&docs, &lease, &user, mode).await
        });
        slots.insert(handle.id(), i);
    }
    let mut outcomes: Vec<Option<RegionOutcome>> = vec![None; regions.len()];
    let mut grants = HashMap::new();
    while let Some(joined) = tasks.join_next_with_id().await {
        match joined {
            Ok((id, r)) => {
                let i = slots[&id];
                if let Some(g) = r.grant {
                    grants.insert(regions[i].clone(), g);
                }
                outcomes[i] = Some(r.outcome);
            }
            Err(e) => {
                // A bug, not an AWS answer: still a failed row, never a silent gap.
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
    (outcomes.into_iter().flatten().collect(), grants)
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
            let status = Status::of(o, &user, run.document_event()).as_str();
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
                status,
                desired_user: report.desired_user.clone(),
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

/// State items and history rows, all regions at once; releases the leases.
/// Dry runs record nothing.
pub async fn commit(state: &StateStore, run: &Run, account: &AccountRun) -> Result<(), AwsError> {
    if run.dry_run {
        return Ok(());
    }
    let mut tasks = JoinSet::new();
    let at = clock::now();
    let mut rows = Vec::new();
    for (observation, history) in records(run, &account.report) {
        let grant = account.grants.get(&observation.region).cloned();
        let known = run
            .known
            .as_ref()
            .and_then(|k| k.get(&observation.account, &observation.region));
        if grant.is_none() && history.is_none() && known.is_some_and(|k| unchanged(k, &observation))
        {
            continue;
        }
        // Drift already recorded is history once, not once per sweep.
        let already = observation.action == "would-change" && known.is_some_and(|k| k.drift_seen);
        rows.extend(history.filter(|_| !already));
        let reverted = observation.status == Status::Reverted.as_str();
        let state = state.clone();
        tasks.spawn(async move { state.record(&observation, grant.as_ref(), reverted).await });
    }
    // History beside the state items, not before them: one round trip.
    if !rows.is_empty() {
        let state = state.clone();
        tasks.spawn(async move { state.add_history(&rows, at).await });
    }
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        let result = joined.unwrap_or_else(|e| {
            Err(AwsError {
                operation: "record",
                account: account.report.account.clone(),
                region: "-".into(),
                code: "InternalError".into(),
                message: e.to_string(),
            })
        });
        if let Err(e) = result {
            tracing::error!(outcome = "record_failed", account = %account.report.account, error_code = %e.code, error = %e, "state not recorded");
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}
