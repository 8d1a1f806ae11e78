//! Every governed region of one account at once, in a session prepared
//! before (`prepare`): the report's rows as this run left them, with the
//! leases its writes hold; an account it could not enter waits or fails.

use std::collections::HashSet;

use crate::adapters::aws::sts::MemberSession;
use crate::domain::aws_error::AwsError;
use crate::domain::job::Job;
use crate::domain::known::{Known, Snapshot};
use crate::domain::outcome::{AccountReport, Action, RegionOutcome};
use crate::domain::policy::Desired;
use crate::domain::trigger::TriggerKind;

use super::regions::reconcile_regions;
use super::{activation, findings, held, history, judge, unnamed, Ctx, Prepared, Uncommitted};

/// The rows read against what the table recorded: the versions made since
/// (their Run As windows), each row's change, the drift and missing users
/// first seen now, and the put-backs whose editors are named or still to be.
async fn judged(
    ctx: &Ctx<'_>,
    job: &Job,
    (account, user): (&str, &str),
    (session, recorded): (&MemberSession, Option<&Snapshot>),
    regions: Vec<RegionOutcome>,
) -> (Vec<RegionOutcome>, HashSet<String>, HashSet<String>) {
    let known = recorded.or(job.known.as_deref());
    let regions = history::with_history(ctx, job, session, (account, user), regions, known).await;
    let (regions, new_drift, new_missing) =
        judge::judged_rows(ctx, job, (account, user), regions, recorded).await;
    let regions = unnamed::marked_and_named(ctx, job, (account, user), regions, recorded).await;
    (regions, new_drift, new_missing)
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
        ..
    } = prepared;
    let desired = ctx.policy.desired(account, &path);
    let mut report = report_for(account, name, &desired);
    if let Some(rows) = activation::waits(ctx, job, account, &desired, regions).await {
        return activating(ctx, job, (account, &path), report, recorded, rows).await;
    }
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
    let named = report.name.is_none() && vend_like(job, narrowed.is_some());
    let (ou_path, (regions, grants), named) = tokio::join!(
        ctx.org.path_names(account, &path),
        reconcile_regions(ctx, job, &session, targets, regions, &mut seen),
        name_if(ctx, account, named)
    );
    report.ou_path = Some(ou_path);
    report.name = report.name.or(named);
    let read = (&session, recorded.as_ref());
    let (regions, new_drift, new_missing) = judged(ctx, job, (account, &user), read, regions).await;
    report.regions = regions;
    let known = recorded.as_ref().or(job.known.as_deref());
    report.security_hub = findings::sent(ctx, job, &session, &report, known).await;
    Uncommitted {
        report,
        grants,
        new_drift,
        new_missing,
        recorded: None,
    }
    .waited(job, recorded)
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
    report.ou_path = Some(names(ctx, job, (account, path), recorded.as_ref()).await);
    report.regions = held::no_session(ctx, job, account, e, regions).await;
    Uncommitted::new(report).waited(job, recorded)
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
        security_hub: None,
    }
}

/// An account Organizations has not activated yet: its rows wait
/// ([`activation`]).
async fn activating(
    ctx: &Ctx<'_>,
    job: &Job,
    (account, path): (&str, &[String]),
    mut report: AccountReport,
    recorded: Option<Snapshot>,
    rows: Vec<RegionOutcome>,
) -> Uncommitted {
    report.ou_path = Some(names(ctx, job, (account, path), recorded.as_ref()).await);
    report.regions = rows;
    Uncommitted::new(report).waited(job, recorded)
}

/// The OU path by names of an account that waits: as its rows recorded it
/// ([`still_waiting`]), else read.
async fn names(
    ctx: &Ctx<'_>,
    job: &Job,
    (account, path): (&str, &[String]),
    recorded: Option<&Snapshot>,
) -> String {
    match still_waiting(job, account, recorded) {
        Some(names) => names,
        None => ctx.org.path_names(account, path).await,
    }
}

/// A re-attempt that still finds no role: the OU names its rows recorded,
/// when every row waits under the same ones (a move is its own event and
/// run; a sweep names the path afresh), so waiting reads no OU names.
pub(super) fn still_waiting(
    job: &Job,
    account: &str,
    recorded: Option<&Snapshot>,
) -> Option<String> {
    let recorded = recorded.filter(|_| job.is_reattempt())?;
    let slots = recorded.slots(account);
    let rows: Vec<&Known> = slots
        .iter()
        .filter_map(|s| recorded.get(account, s))
        .collect();
    let first = rows.first()?.ou_path.as_deref()?;
    rows.iter()
        .all(|k| k.status.as_deref() == Some("pending") && k.ou_path.as_deref() == Some(first))
        .then(|| first.to_string())
}
