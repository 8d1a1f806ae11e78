//! One account of a sweep: reconciled and recorded as soon as it is done
//! (its leases must not wait for the rest), then its alerts delivered.

use std::sync::Arc;

use tokio::sync::OwnedSemaphorePermit;

use super::canary::Rows;
use super::lives::{configured_anew, this_life};
use super::{run_as_tags, session_documents, Swept};
use crate::adapters::aws::organizations::{AccountInfo, Org};
use crate::adapters::aws::sts::MemberSession;
use crate::domain::alert::Alert;
use crate::domain::aws_error::AwsError;
use crate::domain::job::Job;
use crate::domain::org_state::Treatment;
use crate::domain::outcome::{AccountReport, Action, RegionOutcome};
use crate::domain::policy::Standing;
use crate::domain::security_hub::Imports;
use crate::flow::account;
use crate::flow::outbox::{deliver, keep_first};
use crate::flow::services::Services;

/// An account's slot among the sweep's (`None` for a fanned-out sweep's one
/// account) and its session, when one was made while it waited for it.
pub(super) type Slot = (
    Option<OwnedSemaphorePermit>,
    Option<Result<MemberSession, AwsError>>,
);

/// One account of a sweep: reconciled and recorded at once (its leases
/// must not wait for the whole sweep).
pub(super) async fn sweep_account(
    svc: &Arc<Services>,
    job: &Job,
    org: &Org,
    info: AccountInfo,
    regions: &[String],
    (permit, ahead): Slot,
) -> Result<Swept, AwsError> {
    if let Some(report) = by_state(svc, org, &info, regions).await? {
        return Ok(Swept::bare(report));
    }
    let lived = this_life(job, &info);
    let (job, rejoined) = (lived.as_ref().unwrap_or(job), lived.is_some());
    let ctx = svc.ctx(org);
    let prepared = account::prepare_with(&ctx, job, &info.id, regions, ahead).await?;
    let Some(prepared) = prepared else {
        return Ok(Swept::bare(gone(&info.id, &info.name, regions)));
    };
    let session = prepared.session();
    let standing = ctx.policy.standing(&info.id, &prepared.path);
    // Its departure is judged beside its regions, not before them: a first
    // sweep's departure-mark clearing would lengthen each account's chain.
    let (path, name) = (prepared.path.clone(), Some(info.name.clone()));
    let ((left, archived), mut acct) = tokio::join!(
        async {
            let left = leaving(&ctx, job, &info, &path).await;
            let archived = forget(&ctx, job, (&info.id, session.as_ref()), standing).await;
            (left, archived)
        },
        account::converge(&ctx, job, &info.id, name, prepared, regions)
    );
    let alerts = decided(svc, &ctx, job, &info, (&acct, &left), rejoined).await;
    let mut report = departed_and_archived(acct.report.clone(), left, archived);
    let (kept, alerts, withheld) = kept_first(svc, job, &acct, alerts).await;
    report.alerts_lost = withheld;
    // The records are hub writes, beside the account's last member calls:
    // its slot passes on once those are over, not once its records are (a
    // first sweep records every account-region). A commit logs its failure.
    let governed = standing == Standing::Governed;
    let last = Last {
        session: session.as_ref(),
        governed,
        regions,
    };
    let (committed, (alerts, mut canary)) = tokio::join!(
        recorded((svc, info.joined_ms), job, &acct, kept),
        last_member_calls(svc, &ctx, job, last, (&mut report, alerts), permit)
    );
    acct.report = report;
    // The canaries of regions first recorded now, on the items just made.
    canary.extend(first_canaries(&ctx, job, session.as_ref(), &acct.report, governed).await);
    // A dead run's revert, found at the commit: its alert and its finding.
    let (mut adopted, found) =
        account::alerted::at_commit(&ctx, job, session.as_ref(), committed.adopted).await;
    Imports::join(&mut acct.report.security_hub, found);
    adopted.extend(alerts);
    Ok(delivered(svc, &ctx, job, &info, acct, adopted, canary).await)
}

/// The account's decided alerts kept with what they tell on the ledger,
/// before the records that say they were told (see `recorded`): whether
/// they were, those to send, and how many are withheld
/// (`outbox::withheld_unless_kept`).
async fn kept_first(
    svc: &Services,
    job: &Job,
    acct: &account::Uncommitted,
    alerts: Vec<Alert>,
) -> (bool, Vec<Alert>, usize) {
    let ledgered = crate::flow::outbox::ledger_writes([acct]);
    let kept = job.dry_run
        || keep_first(&svc.receipts, &svc.alerts, &job.owner, (&alerts, &ledgered)).await;
    let (alerts, withheld) = crate::flow::outbox::withheld_unless_kept(alerts, kept, &ledgered);
    (kept, alerts, withheld)
}

/// The account's decided alerts, named: what the run found that is news,
/// its departure, and the `account_configured` of a rejoin only a sweep
/// found or of a vend it finishes.
async fn decided(
    svc: &Services,
    ctx: &account::Ctx<'_>,
    job: &Job,
    info: &AccountInfo,
    (acct, left): (
        &account::Uncommitted,
        &Option<crate::domain::governance::Departure>,
    ),
    rejoined: bool,
) -> Vec<Alert> {
    let mut alerts = super::unreported::news(job, &acct.report, &acct.new_drift, &acct.new_missing);
    alerts.extend(departed(job, left));
    // A life whose configuration this run finishes says so as its vend would.
    let finish = super::lives::finishes_life(svc, job, &info.id, &acct.report, rejoined).await;
    if finish != super::lives::Finish::No && !job.dry_run {
        let at = crate::domain::clock::iso(crate::domain::clock::now());
        let found = super::unreported::life_found(&acct.report, &acct.new_drift, &job.trigger, &at);
        alerts.extend(found);
        let life = (info.joined_ms, finish);
        alerts.extend(configured_anew(svc, job, &acct.report, life).await);
    }
    let (name, path) = (Some(info.name.clone()), acct.report.ou_path.clone());
    account::named::about(ctx, &info.id, name, path, alerts).await
}

/// The canaries of a governed account's regions the snapshot held no item
/// for, written once the record made it ([`Rows::New`]).
async fn first_canaries(
    ctx: &account::Ctx<'_>,
    job: &Job,
    session: Option<&MemberSession>,
    report: &AccountReport,
    governed: bool,
) -> Vec<crate::domain::canary::Finding> {
    match governed {
        true => super::canary::probe(ctx, job, session, report, Rows::New).await,
        false => vec![],
    }
}

/// The account's records, once its decided alerts are kept (a run that dies
/// after its record leaves them to the next run). None when they could not
/// be: its intents and unrecorded versions make the next run decide again.
async fn recorded(
    (svc, joined_ms): (&Services, Option<i64>),
    job: &Job,
    acct: &account::Uncommitted,
    kept: bool,
) -> crate::flow::commit::Committed {
    if !kept {
        tracing::error!(outcome = "record_failed", account = %acct.report.account, "the account's alerts could not be kept: its records are left to the next run");
        return crate::flow::commit::Committed::default();
    }
    let keeper = svc.keeper(&job.owner, account::adopted::Joined::Walked(joined_ms));
    crate::flow::commit::commit(&svc.state, keeper, job, acct).await
}

/// The account's report as recorded, with its departure and the findings
/// its departure archived.
fn departed_and_archived(
    mut report: AccountReport,
    left: Option<crate::domain::governance::Departure>,
    archived: Option<Imports>,
) -> AccountReport {
    report.left_governance = left;
    if let Some(archived) = archived {
        let said = report.security_hub.get_or_insert_with(Default::default);
        said.merge(archived);
    }
    report
}

/// What the account's last member calls need to know.
struct Last<'a> {
    session: Option<&'a MemberSession>,
    governed: bool,
    regions: &'a [String],
}

/// The account's member calls after its regions: documents held past the
/// bound, the canaries, what lies beyond its governed documents, and the
/// sessions of the windows its alerts tell. Then its slot is given back.
async fn last_member_calls(
    svc: &Services,
    ctx: &account::Ctx<'_>,
    job: &Job,
    last: Last<'_>,
    (report, mut alerts): (&mut AccountReport, Vec<Alert>),
    permit: Option<OwnedSemaphorePermit>,
) -> (Vec<Alert>, Vec<crate::domain::canary::Finding>) {
    alerts.extend(super::held::held_too_long(svc, job, report, last.session).await);
    // The canaries' findings are the sweep's to tell, once per cause.
    let mut canary = vec![];
    if last.governed {
        canary = super::canary::probe(ctx, job, last.session, report, Rows::Recorded).await;
        let session = last.session.cloned();
        alerts.extend(beyond_documents(ctx, job, session, report, last.regions).await);
    }
    let alerts = account::sessions::listed(ctx, job, last.session, alerts).await;
    let findings = account::alerted::sent(ctx, job, last.session, &alerts).await;
    crate::domain::security_hub::Imports::join(&mut report.security_hub, findings);
    drop(permit);
    (alerts, canary)
}

/// The account's alerts named, kept and published, and what it hands the
/// sweep: its report, what it saw first, what its canaries newly said.
async fn delivered(
    svc: &Services,
    ctx: &account::Ctx<'_>,
    job: &Job,
    info: &AccountInfo,
    mut acct: account::Uncommitted,
    alerts: Vec<Alert>,
    canary: Vec<crate::domain::canary::Finding>,
) -> Swept {
    let (name, path) = (Some(info.name.clone()), acct.report.ou_path.clone());
    let alerts = account::named::about(ctx, &info.id, name, path, alerts).await;
    let delivered = deliver(&svc.receipts, &svc.alerts, &job.owner, alerts).await;
    acct.report.alerts_lost += delivered.lost.len();
    let news = acct.new_drift.union(&acct.new_missing).cloned().collect();
    Swept {
        report: acct.report,
        news,
        canary,
    }
}

/// An account Organizations does not call ACTIVE, where its standing
/// decides: it waits, is skipped with the state's word, or (unreadable, and
/// governed by the policy) fails and is told. `None`: reconcile it as the
/// policy says (it is active, or the policy does not govern it, whatever
/// its state).
async fn by_state(
    svc: &Services,
    org: &Org,
    info: &AccountInfo,
    regions: &[String],
) -> Result<Option<AccountReport>, AwsError> {
    if info.state.treatment() == Treatment::Error {
        // The walk cached the path: no call.
        let path = account::locate(org, &info.id).await?;
        let governed = path.is_some_and(|p| {
            svc.policy.standing(&info.id, &p) == crate::domain::policy::Standing::Governed
        });
        if !governed {
            return Ok(None);
        }
        tracing::error!(outcome = "remediation_failed", account = %info.id, error_code = crate::domain::org_state::UNREADABLE_CODE, state = %info.state.describe(), "account standing unreadable");
    }
    Ok(crate::domain::org_state::report(
        &info.state,
        &info.id,
        &info.name,
        regions,
    ))
}

/// An account that left the organization since the walk (or the message).
pub(super) fn gone(account: &str, name: &str, regions: &[String]) -> AccountReport {
    AccountReport::uniform(account, name, regions, |r| {
        RegionOutcome::skipped(
            r,
            Action::AccountSuspended,
            Some("account is no longer in the organization".into()),
        )
    })
}

/// The departure this sweep tells, judged against its snapshot's rows.
async fn leaving(
    ctx: &account::Ctx<'_>,
    job: &Job,
    info: &AccountInfo,
    path: &[String],
) -> Option<crate::domain::governance::Departure> {
    let rows = job.known.as_deref()?;
    let name = Some(info.name.clone());
    account::left::departure(ctx, job, &info.id, name, path, rows).await
}

/// An account that moved out of governance is told on its own; one a
/// policy change dropped, in the sweep's one summary (see `summary`).
fn departed(
    job: &Job,
    left: &Option<crate::domain::governance::Departure>,
) -> Option<crate::domain::alert::Alert> {
    let d = left
        .as_ref()
        .filter(|d| !crate::domain::governance::in_summary(d.cause))?;
    let at = crate::domain::clock::iso(crate::domain::clock::now());
    Some(crate::domain::alert::account_left_governance(
        d,
        &job.trigger,
        &at,
    ))
}

/// Items from when the account or a region was governed, gone: all of an
/// account out of scope; a governed account's in regions the policy no
/// longer governs, so a region added back is looked at afresh (not judged
/// against what was recorded before it was dropped). One read of the
/// sweep's snapshot, no query; nothing to do in a steady organization.
/// Their open Security Hub CSPM findings are archived first, saying why; a
/// slot whose finding was not taken stays for the next sweep to try again.
async fn forget(
    ctx: &account::Ctx<'_>,
    job: &Job,
    (account, session): (&str, Option<&MemberSession>),
    standing: Standing,
) -> Option<Imports> {
    let known = job.known.as_ref().filter(|_| !job.dry_run)?;
    let (slots, why, no_longer) = match standing {
        Standing::OutOfScope => (
            known.slots(account),
            "out of scope: its state items are gone",
            "the account is outside the policy's [scope]",
        ),
        Standing::Governed => (
            known.slots_outside(account, &ctx.policy.regions),
            "regions no longer governed: their state items are gone",
            "the policy no longer governs this region",
        ),
        _ => return None,
    };
    if slots.is_empty() {
        return None;
    }
    let rows = (known.as_ref(), slots.as_slice());
    let (archived, slots) =
        account::findings::retired(ctx, job, (account, None), session, rows, no_longer).await;
    if slots.is_empty() {
        return archived;
    }
    match ctx.state.forget_slots(account, &slots).await {
        Ok(()) => tracing::info!(account, items = slots.len(), why),
        Err(e) => {
            tracing::warn!(account, error_code = %e.code, error = %e, why, "state items could not be removed; the next sweep tries again")
        }
    }
    archived
}

/// What a sweep reads in an account besides its governed documents, with
/// the sweep's session: customer Session documents and the Run As tags of
/// its roles and users (each when the policy asks). A read that fails is
/// that account's log line, not the sweep's failure: the next sweep looks
/// again. A region whose Session documents were not all read is a row of
/// the account's report.
async fn beyond_documents(
    ctx: &crate::flow::account::Ctx<'_>,
    job: &Job,
    session: Option<MemberSession>,
    report: &mut AccountReport,
    regions: &[String],
) -> Vec<crate::domain::alert::Alert> {
    let account = report.account.clone();
    let account = account.as_str();
    let mut alerts = Vec::new();
    match session_documents::look(ctx, job, session.clone(), account, regions).await {
        Ok(found) => {
            alerts.extend(found.alerts);
            report.regions.extend(found.rows);
        }
        Err(e) => {
            tracing::warn!(account, error_code = %e.code, error = %e, "session documents not read")
        }
    }
    match run_as_tags::look(ctx, job, session, account).await {
        Ok(found) => alerts.extend(found),
        Err(e) => {
            tracing::warn!(account, error_code = %e.code, error = %e, "Run As tags not read")
        }
    }
    alerts
}
