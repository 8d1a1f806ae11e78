//! Every governed region of one account at once, in a session prepared
//! before (`prepare`): the report's rows as this run left them, judged
//! against the table, with the leases its writes hold; an account it could
//! not enter waits or fails ([`held`]).

use crate::adapters::aws::sts::MemberSession;
use crate::domain::aws_error::AwsError;
use crate::domain::job::Job;
use crate::domain::outcome::{AccountReport, Action, RegionOutcome};
use crate::domain::policy::Desired;
use crate::domain::trigger::TriggerKind;

use super::regions::reconcile_regions;
use super::{activation, findings, held, judge, Ctx, Prepared, Uncommitted};

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
        rows_unread,
        ..
    } = prepared;
    let desired = ctx.policy.desired(account, &path);
    let mut report = report_for(account, name, &desired);
    if let Some(rows) = not_entered(ctx, job, account, (&desired, &session), regions).await {
        return held::account(ctx, job, (account, &path), report, recorded, rows).await;
    }
    let (Desired::User { user, .. }, Some(Ok(session))) = (&desired, session) else {
        report.ou_path = Some(ctx.org.path_names(account, &path).await);
        report.regions = not_governed(&desired, regions);
        if desired == Desired::Exempt {
            let known = recorded.as_ref().or(job.known.as_deref());
            report.security_hub = exempt_findings(ctx, job, &report, known, &path).await;
        }
        return Uncommitted::new(report);
    };
    report.role = Some(session.role.clone());
    report.packed_policy_size = session.packed_policy_size;
    let targets = ctx.policy.targets(account, &path);
    debug_assert_eq!(targets.first().map(|t| &t.user), Some(user));
    // Names for the report and a vend's alert: beside the regions, never after.
    let named = report.name.is_none() && vend_like(job, narrowed.is_some());
    let (ou_path, (regions, grants), named) = tokio::join!(
        ctx.org.path_names(account, &path),
        reconcile_regions(ctx, job, &session, targets, regions, &mut seen),
        name_if(ctx, account, named)
    );
    report.ou_path = Some(ou_path);
    report.name = report.name.or(named);
    let read = (&session, recorded.as_ref(), rows_unread.as_ref());
    let (regions, (new_drift, drift_marks), new_missing) =
        judge::judge(ctx, job, (account, user), read, regions).await;
    report.regions = regions;
    let known = recorded.as_ref().or(job.known.as_deref());
    report.security_hub = findings::sent(ctx, job, &session, &report, known).await;
    Uncommitted {
        report,
        grants,
        new_drift,
        drift_marks,
        new_missing,
        recorded: None,
    }
    .waited(job, recorded)
}

/// The rows of a governed account not yet active, or that no session could
/// enter: it waits (or fails saying why), and no region is looked at.
async fn not_entered(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    (desired, session): (&Desired, &Option<Result<MemberSession, AwsError>>),
    regions: &[String],
) -> Option<Vec<RegionOutcome>> {
    if let Some(rows) = activation::waits(ctx, job, account, desired, regions).await {
        return Some(rows);
    }
    match (desired, session) {
        (Desired::User { .. }, Some(Err(e))) => {
            Some(held::no_session(ctx, job, account, e, regions).await)
        }
        _ => None,
    }
}

/// An exempt account's findings still open, archived saying why (its rows
/// stay, so the next run finds nothing open). An account out of scope has
/// its rows and findings seen to by the sweep that removes the rows.
async fn exempt_findings(
    ctx: &Ctx<'_>,
    job: &Job,
    report: &AccountReport,
    known: Option<&crate::domain::known::Snapshot>,
    path: &[String],
) -> Option<crate::domain::security_hub::Imports> {
    let rows = known?;
    let account = report.account.as_str();
    let why = crate::domain::governance::reason(ctx.policy, account, path)
        .map_or("exempt by policy", |(r, _)| r.describe());
    let slots = rows.slots(account);
    let place = (account, report.ou_path.as_deref());
    findings::retired(ctx, job, place, None, (rows, &slots), why)
        .await
        .0
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
