//! `[forwarding_canary]` in a sweep: in each account-region the sweep
//! reached, what the last canary says (marked once when it never arrived)
//! and, when one is due, a new one. Decided by [`crate::domain::canary::plan`]
//! from the sweep's snapshot; a canary that cannot be written is marked once
//! per code (decided by [`crate::domain::canary::unwritable`]), never the
//! sweep's failure. What an account-region newly says is a [`Finding`] for
//! the sweep's tally, told once per cause for the whole sweep
//! ([`crate::domain::alert::canary_findings`]), never one alert per
//! account-region. Its item is not marked here: the finding carries its
//! [`Mark`], and the sweep writes the marks only once the alerts that tell
//! them are kept in the outbox ([`kept_then_marked`]). A sweep that dies
//! before leaves them unset, so the next one finds and tells them again.

use std::sync::Arc;

use tokio::task::JoinSet;

use crate::adapters::aws::canary_tag;
use crate::adapters::aws::sts::MemberSession;
use crate::domain::alert::{Alert, Kind};
use crate::domain::aws_error::AwsError;
use crate::domain::canary::{self, Cause, Finding, Last, Mark, ToMark, Unwritable, Verdict};
use crate::domain::clock;
use crate::domain::job::Job;
use crate::domain::outcome::{AccountReport, Action, RegionOutcome};
use crate::flow::account::Ctx;
use crate::flow::outbox::keep_first;
use crate::flow::services::Services;

/// Which of an account's reached regions a probe looks at. A canary is
/// recorded on the region's state item before it is written, and only on
/// an item that exists: a region the snapshot holds no item for (a first
/// sweep there) is probed once the sweep's record has made it, never
/// beside that record (on a loaded machine the canary's write could come
/// first, be refused, and leave the region without a canary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rows {
    /// Regions whose item the snapshot holds: beside the record.
    Recorded,
    /// Regions with no item yet: after the record.
    New,
}

pub(super) async fn probe(
    ctx: &Ctx<'_>,
    job: &Job,
    session: Option<&MemberSession>,
    report: &AccountReport,
    rows: Rows,
) -> Vec<Finding> {
    let (Some(settings), Some(known), Some(session)) =
        (ctx.policy.canary, job.known.as_ref(), session)
    else {
        return vec![];
    };
    if job.dry_run {
        return vec![];
    }
    let account = report.account.as_str();
    let now = clock::epoch_millis(clock::now());
    let mut found = Vec::new();
    let which = |region: &str| (known.get(account, region).is_some()) == (rows == Rows::Recorded);
    for row in report
        .regions
        .iter()
        .filter(|r| reached(r) && which(&r.region))
    {
        let region = row.region.as_str();
        let last = known.get(account, region).and_then(|k| k.canary.clone());
        let plan = canary::plan(last.as_ref(), now, &settings);
        if let (true, Some(l), Verdict::Missing { since_ms }) =
            (plan.tell_missing, &last, plan.verdict)
        {
            found.push(missing(account, region, l, since_ms));
        }
        if plan.write_new {
            let told = known
                .get(account, region)
                .and_then(|k| k.canary_unwritable.clone());
            let slot = Slot {
                account,
                region,
                told: told.as_deref(),
            };
            found.extend(write(ctx, session, &slot, now).await);
        }
    }
    found
}

/// The sweep reached the default document there, and it exists.
fn reached(r: &RegionOutcome) -> bool {
    r.document.is_none()
        && r.nodes.is_none()
        && r.version_after.is_some()
        && matches!(
            r.action,
            Action::None
                | Action::Created
                | Action::Updated
                | Action::DefaultSwitched
                | Action::WouldChange
        )
}

/// Not marked yet: the sweep marks it once its alert is kept.
fn missing(account: &str, region: &str, last: &Last, since_ms: i64) -> Finding {
    tracing::warn!(outcome = "forwarding_missing", account, region, token = %last.token, "forwarding canary did not arrive");
    Finding {
        region: region.to_string(),
        cause: Cause::Missing,
        detail: clock::iso(clock::from_millis(last.written_ms)),
        mark: Mark::Missing {
            token: last.token.clone(),
            since_ms,
        },
    }
}

/// Where a canary is written, and the refusal the item says was told there.
struct Slot<'a> {
    account: &'a str,
    region: &'a str,
    told: Option<&'a str>,
}

/// Recorded first, then written: its arrival always finds the record. A
/// write SSM refuses is no canary (the record says why, for `status`); a
/// refusal a retry does not meet is told once, until one is written again.
async fn write(
    ctx: &Ctx<'_>,
    session: &MemberSession,
    slot: &Slot<'_>,
    now: i64,
) -> Option<Finding> {
    let (account, region) = (slot.account, slot.region);
    let token = crate::domain::ids::token();
    match ctx.state.canary_written(account, region, &token, now).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(account, region, "forwarding canary not written: the account-region has no state item (its record failed); the next sweep writes it");
            return None;
        }
        Err(e) => {
            tracing::warn!(account, region, error_code = %e.code, error = %e, "forwarding canary not recorded, so not written");
            return None;
        }
    }
    let put = canary_tag::put(&session.ssm(region), account, region, &token).await;
    if let Err(e) = &put {
        unsent(ctx, account, region, &token, e).await;
    }
    let code = put.as_ref().map(|_| ()).map_err(|e| e.code.as_str());
    match canary::unwritable(slot.told, code) {
        Unwritable::Steady => None,
        Unwritable::Clear => {
            let told = slot.told.unwrap_or_default();
            if let Err(e) = ctx.state.canary_writable(account, region, told).await {
                tracing::warn!(account, region, error_code = %e.code, error = %e, "forwarding canary written again, but its refusal's mark stays; the next canary clears it");
            }
            None
        }
        Unwritable::Tell(code) => {
            let message = put.err().map(|e| e.message).unwrap_or_default();
            Some(unwritable(slot, &code, &message))
        }
    }
}

/// Never sent, so never missing: the record says why instead (`status`),
/// and the next sweep tries again.
async fn unsent(ctx: &Ctx<'_>, account: &str, region: &str, token: &str, e: &AwsError) {
    tracing::warn!(account, region, error_code = %e.code, error = %e, "forwarding canary not written");
    if let Err(store) = ctx
        .state
        .canary_unsent(account, region, token, &e.code)
        .await
    {
        tracing::warn!(account, region, error_code = %store.code, error = %store, "forwarding canary: cannot record that it was not written");
    }
}

/// The canary is newly refused (`code`): not marked yet, the sweep marks
/// it once its alert is kept.
fn unwritable(slot: &Slot<'_>, code: &str, message: &str) -> Finding {
    let (account, region) = (slot.account, slot.region);
    tracing::warn!(outcome = "canary_unwritable", account, region, error_code = %code, "forwarding canary cannot be written");
    Finding {
        region: region.to_string(),
        cause: Cause::Unwritable(code.to_string()),
        detail: message.to_string(),
        mark: Mark::Unwritable {
            told: slot.told.map(str::to_string),
            code: code.to_string(),
        },
    }
}

/// Marks written at once.
const MARKING: usize = 16;

/// The sweep's canary alerts (`forwarding_missing`, `canary_unwritable`)
/// kept in the outbox, then the marks that record their findings told. Not
/// kept: no mark is written, and the next sweep finds and tells them again
/// (the sweep's delivery still tries to publish them: told twice at worst,
/// never lost). Kept here before the sweep's own delivery keeps every alert
/// again (the same items, the same owner): a sweep that dies between the two
/// leaves them to the next run's flush. Only a sweep with new findings pays
/// the extra write.
pub(super) async fn kept_then_marked(
    svc: &Arc<Services>,
    owner: &str,
    alerts: &[Alert],
    marks: &[ToMark],
) {
    if marks.is_empty() {
        return;
    }
    let ours: Vec<Alert> = alerts
        .iter()
        .filter(|a| matches!(a.kind, Kind::ForwardingMissing | Kind::CanaryUnwritable))
        .cloned()
        .collect();
    if ours.is_empty()
        || !keep_first(
            &svc.receipts,
            &svc.alerts,
            owner,
            (&ours, &Default::default()),
        )
        .await
    {
        tracing::warn!(
            marks = marks.len(),
            "canary findings not kept in the outbox; left unmarked, the next sweep tells them again"
        );
        return;
    }
    let mut tasks = JoinSet::new();
    for (i, m) in marks.iter().cloned().enumerate() {
        if i >= MARKING {
            tasks.join_next().await;
        }
        let svc = Arc::clone(svc);
        tasks.spawn(async move { marked(&svc, &m).await });
    }
    while tasks.join_next().await.is_some() {}
}

/// One finding recorded told: the one sweep whose condition holds marks it;
/// one that cannot leaves it for the next sweep to tell again.
async fn marked(svc: &Services, m: &ToMark) {
    let (account, region) = (m.account.as_str(), m.region.as_str());
    let written = match &m.mark {
        Mark::Missing { token, since_ms } => {
            svc.state
                .canary_missing(account, region, token, *since_ms)
                .await
        }
        Mark::Unwritable { told, code } => {
            svc.state
                .canary_unwritable(account, region, told.as_deref(), code)
                .await
        }
    };
    match written {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!(account, region, mark = ?m.mark, "canary finding not marked: the item changed since (it arrived, another sweep marked it)")
        }
        Err(e) => {
            tracing::warn!(account, region, error_code = %e.code, error = %e, "canary finding told but not marked; the next sweep tells it again")
        }
    }
}
