//! One account: OU path -> desired user -> assume a role -> every governed
//! region at once -> a report; then [`commit`] records it (and releases the
//! account-region leases the run took).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::adapters::aws::organizations::Org;
use crate::adapters::aws::sts::MemberSession;
use crate::adapters::aws::sts::Sts;
use crate::adapters::store::lease::RegionGrant;
use crate::adapters::store::state::StateStore;
use crate::domain::aws_error::AwsError;
use crate::domain::ids::session_name;
use crate::domain::job::Job;
use crate::domain::known::Snapshot;
use crate::domain::outcome::{AccountReport, Action, RegionOutcome, Status};
use crate::domain::policy::{Desired, Policy, Standing};
use crate::domain::seat::Seat;
use crate::domain::trigger::TriggerKind;

pub mod change;
mod early;
mod gate;
mod held;
mod landed;
pub mod left;
mod missing;
pub mod named;
pub mod pending;
mod prepare;
mod regions;

use early::Early;
pub use prepare::{prepare, Prepare, Prepared};
use regions::reconcile_regions;

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
    /// How long after joining an unreachable account is `pending`.
    pub pending_window: std::time::Duration,
    /// The member StackSet's name, for what to check when it has not landed.
    pub member_stack_set: &'a str,
    /// The operator's read-only role, which a dry run takes instead of the
    /// policy's roles (`reconcile --dry-run` from the CLI).
    pub seat: Option<&'a Seat>,
}

/// One account's result, with the leases its writes hold until committed.
pub struct Uncommitted {
    pub report: AccountReport,
    pub(crate) grants: HashMap<String, RegionGrant>,
    /// Audit mode: regions whose drift this run saw first.
    pub new_drift: HashSet<String>,
    /// The run-as user check: slots where this run found nodes newly
    /// lacking the user (on-call hears it once).
    pub new_missing: HashSet<String>,
    /// What the table held for the account when a vend's re-attempt began:
    /// its record writes only the rows that changed ([`Job::is_reattempt`]).
    pub(crate) recorded: Option<Snapshot>,
}

impl Uncommitted {
    pub fn new(report: AccountReport) -> Uncommitted {
        Uncommitted {
            report,
            grants: HashMap::new(),
            new_drift: HashSet::new(),
            new_missing: HashSet::new(),
            recorded: None,
        }
    }

    /// The account's rows as a re-attempt found them, for its record.
    fn waited(mut self, job: &Job, recorded: Option<Snapshot>) -> Uncommitted {
        self.recorded = recorded.filter(|_| job.is_reattempt());
        self
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

/// Where the account stands under the policy: from its id when that
/// decides, else from its OU path (one walk up, cached for the run);
/// `None` when the account is not in the organization.
pub async fn standing(ctx: &Ctx<'_>, account: &str) -> Result<Option<Standing>, AwsError> {
    if let Some(s) = ctx.policy.standing_by_id(account) {
        return Ok(Some(s));
    }
    Ok(locate(ctx.org, account)
        .await?
        .map(|path| ctx.policy.standing(account, &path)))
}

/// A session in `account` under the policy's roles, with runas-guard's
/// session policy, named after the trigger (CloudTrail shows it); in a dry
/// run with an operator's seat, the seat's read-only role alone.
pub async fn assume(ctx: &Ctx<'_>, job: &Job, account: &str) -> Result<MemberSession, AwsError> {
    let policy = ctx.policy.session_policy(ctx.sts.partition(), account);
    if let Some(seat) = seated(ctx, job) {
        return ctx.sts.assume_seat(account, seat, Some(&policy)).await;
    }
    let roles: Vec<&str> = ctx.policy.roles().collect();
    let name = session_name(&job.trigger.event_id);
    ctx.sts.assume(account, &roles, &name, Some(&policy)).await
}

/// The seat a run takes: only a dry run's (a read-only role cannot write).
pub(crate) fn seated<'a>(ctx: &Ctx<'a>, job: &Job) -> Option<&'a Seat> {
    ctx.seat.filter(|_| job.dry_run)
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
        recorded,
        narrowed,
    } = prepared;
    let desired = ctx.policy.desired(account, &path);
    let mut report = report_for(account, name, &desired);
    let (Desired::User { user, .. }, Some(session)) = (&desired, session) else {
        report.ou_path = Some(ctx.org.path_names(account, &path).await);
        report.regions = not_governed(&desired, regions);
        return Uncommitted::new(report);
    };
    let user = user.clone();
    let session = match session {
        Ok(s) => s,
        Err(e) => {
            return unreached(ctx, job, (account, &path), report, recorded, &e, regions).await
        }
    };
    report.role = Some(session.role.clone());
    report.packed_policy_size = session.packed_policy_size;
    let targets = ctx.policy.targets(account, &path);
    debug_assert_eq!(targets.first().map(|t| &t.user), Some(&user));
    // Names for the report and a vend's alert: beside the regions, never after.
    let (ou_path, (regions, grants), named) = tokio::join!(
        ctx.org.path_names(account, &path),
        reconcile_regions(ctx, job, &session, targets, regions, &mut seen),
        name_if(
            ctx,
            account,
            report.name.is_none() && vend_like(job, narrowed.is_some())
        )
    );
    report.ou_path = Some(ou_path);
    report.name = report.name.or(named);
    let (regions, new_drift, new_missing) =
        judged_rows(ctx, job, (account, &user), regions, recorded.as_ref()).await;
    report.regions = regions;
    Uncommitted {
        report,
        grants,
        new_drift,
        new_missing,
        recorded: None,
    }
    .waited(job, recorded)
}

/// The rows as the table last knew them: each one's change judged, logged,
/// and the drift and missing users first seen now.
async fn judged_rows(
    ctx: &Ctx<'_>,
    job: &Job,
    (account, user): (&str, &str),
    regions: Vec<RegionOutcome>,
    recorded: Option<&Snapshot>,
) -> (Vec<RegionOutcome>, HashSet<String>, HashSet<String>) {
    let mut regions = held::missing_check_document(ctx, account, regions).await;
    let known = recorded.or(job.known.as_deref());
    judged(known, account, user, &mut regions);
    log_outcomes(account, &regions);
    let (new_drift, new_missing) = tokio::join!(
        first_seen_drift(ctx.state, job, account, known, &regions),
        missing::newly_missing(ctx.state, job, account, &regions)
    );
    (regions, new_drift, new_missing)
}

/// The account's name, when `wanted` (a failed read leaves it to the
/// alert's own lookup, which says so).
async fn name_if(ctx: &Ctx<'_>, account: &str, wanted: bool) -> Option<String> {
    match wanted {
        true => ctx
            .org
            .describe_account(account)
            .await
            .ok()
            .flatten()
            .map(|a| a.name),
        false => None,
    }
}

/// A run that configures an account for the first time (its vend, or the
/// member stack's arrival while it waits) and so tells `account_configured`.
fn vend_like(job: &Job, narrowed: bool) -> bool {
    !job.dry_run
        && match job.trigger.kind {
            TriggerKind::AccountVended => true,
            TriggerKind::MemberStackLanded => !narrowed,
            _ => false,
        }
}

/// No session could be made: every row waits for the member stack, or
/// fails saying why ([`held::no_session`]).
async fn unreached(
    ctx: &Ctx<'_>,
    job: &Job,
    (account, path): (&str, &[String]),
    mut report: AccountReport,
    recorded: Option<Snapshot>,
    e: &AwsError,
    regions: &[String],
) -> Uncommitted {
    report.ou_path = Some(
        match prepare::still_waiting(job, account, recorded.as_ref()) {
            Some(names) => names,
            None => ctx.org.path_names(account, path).await,
        },
    );
    report.regions = held::no_session(ctx, job, account, e, regions).await;
    Uncommitted::new(report).waited(job, recorded)
}

/// Each row's change since the table last recorded it ([`change::judge`]);
/// the check's row says its own (`nodes::plan::change`).
fn judged(recorded: Option<&Snapshot>, account: &str, user: &str, regions: &mut [RegionOutcome]) {
    for o in regions.iter_mut().filter(|o| o.nodes.is_none()) {
        let known = recorded.and_then(|k| k.get(account, &o.slot()));
        o.change = change::judge(known, o, o.user(user));
    }
}

/// The rows of an account no rule governs: exempt or out of scope (never
/// recorded), or in scope with no user to give it (failed, naming the fix).
fn not_governed(desired: &Desired, regions: &[String]) -> Vec<RegionOutcome> {
    regions
        .iter()
        .map(|r| match desired {
            Desired::OutOfScope => RegionOutcome::skipped(r, Action::OutOfScope, Some("out of scope: outside the policy's [scope]".into())),
            Desired::Uncovered => RegionOutcome::failed(r, NO_RULE, "in scope, but no rule names a Run As user for this account and the policy has no [default]: add an [[account]] or [[ou]] rule with run_as_user, or [default]".into()),
            _ => RegionOutcome::skipped(r, Action::Excluded, Some("exempt by policy".into())),
        })
        .collect()
}

/// The error code of an in-scope account no rule gives a user.
pub const NO_RULE: &str = "NoRuleForAccount";

/// The account's report before any region: who it is and which rule decides.
fn report_for(account: &str, name: Option<String>, desired: &Desired) -> AccountReport {
    AccountReport {
        account: account.to_string(),
        name,
        ou_path: None,
        desired_user: desired.user().map(str::to_string),
        rule: Some(match desired {
            Desired::Exempt => "exempt".into(),
            Desired::OutOfScope => "out of scope".into(),
            Desired::Uncovered => "no rule".into(),
            Desired::User { source, .. } => source.clone(),
        }),
        role: None,
        packed_policy_size: None,
        mode: desired.mode(),
        left_governance: None,
        regions: vec![],
        alerts_lost: 0,
    }
}

/// Audit mode: which findings this run saw first (one conditional write per
/// finding not already marked; none for compliant slots). A finding is one
/// observed Run As: the same one is told once, a new one (a noncompliant
/// slot edited again) is news again. The policy's change is not drift.
async fn first_seen_drift(
    state: &StateStore,
    job: &Job,
    account: &str,
    recorded: Option<&Snapshot>,
    regions: &[RegionOutcome],
) -> HashSet<String> {
    let mut first = HashSet::new();
    if job.dry_run {
        return first;
    }
    let marked = |slot: &str| {
        recorded
            .and_then(|k| k.get(account, slot))
            .and_then(|k| k.drift_seen.clone())
    };
    for o in regions.iter().filter(|o| o.action == Action::WouldChange) {
        // The policy's change is marked seen (later runs find it known) but
        // told in the sweep's `policy_applied`, not as drift.
        let policy = matches!(
            o.change,
            Some(crate::domain::outcome::Change::Policy { .. })
        );
        let (slot, seen) = (o.slot(), change::seen(o.before.as_ref()));
        if marked(&slot).as_deref() == Some(seen.value.as_str()) {
            continue;
        }
        match state
            .claim_drift(account, &slot, &job.trigger.event_id, &seen)
            .await
        {
            Ok(true) if !policy => {
                first.insert(slot);
            }
            Ok(_) => {}
            Err(_) if policy => {}
            Err(e) => {
                // Better a repeated alert than a silent one.
                tracing::warn!(account, slot, error_code = %e.code, error = %e, "cannot tell whether this drift is new; treating it as new");
                first.insert(slot);
            }
        }
    }
    first
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
