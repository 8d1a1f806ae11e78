//! The rows judged against what the table recorded: each one's change, the
//! drift and the missing users this run saw first. What the run records and
//! tells is decided from them.

use std::collections::HashSet;

use crate::adapters::aws::sts::MemberSession;
use crate::adapters::store::drift_mark;
use crate::adapters::store::state::StateStore;
use crate::domain::aws_error::AwsError;
use crate::domain::job::Job;
use crate::domain::known::Snapshot;
use crate::domain::outcome::RegionOutcome;
use crate::domain::records::DriftMark;

use super::{change, held, missing, Ctx};

/// The findings this run tells first (slots) and the marks its keep writes.
pub(crate) type Drift = (HashSet<String>, Vec<DriftMark>);

/// The rows read against what the table recorded: the versions made since
/// (their Run As windows), each row's change, the drift and missing users
/// first seen now, and the put-backs whose editors are named or still to be.
pub(super) async fn judge(
    ctx: &Ctx<'_>,
    job: &Job,
    (account, user): (&str, &str),
    (session, recorded, rows_unread): (&MemberSession, Option<&Snapshot>, Option<&AwsError>),
    regions: Vec<RegionOutcome>,
) -> (Vec<RegionOutcome>, Drift, HashSet<String>) {
    let known = recorded.or(job.known.as_deref());
    let (regions, slot_items) = super::history::with_history(
        ctx,
        job,
        session,
        (account, user),
        regions,
        (known, rows_unread),
    )
    .await;
    let (regions, new_drift, new_missing) =
        judged_rows(ctx, job, (account, user), regions, recorded).await;
    let regions =
        super::unnamed::marked_and_named(ctx, job, (account, user), regions, recorded).await;
    let records = (recorded, slot_items.as_ref());
    let regions =
        super::life_default::marked(ctx, job, session, (account, user), regions, records).await;
    (regions, new_drift, new_missing)
}

/// The rows as the table last knew them: each one's change judged, logged,
/// and the drift and missing users first seen now.
pub(super) async fn judged_rows(
    ctx: &Ctx<'_>,
    job: &Job,
    (account, user): (&str, &str),
    regions: Vec<RegionOutcome>,
    recorded: Option<&Snapshot>,
) -> (Vec<RegionOutcome>, Drift, HashSet<String>) {
    let mut regions = held::missing_check_document(ctx, job, account, regions).await;
    let known = recorded.or(job.known.as_deref());
    judged(known, account, user, &mut regions);
    if !job.dry_run {
        relaxed(known, account, user, &mut regions);
    }
    log_outcomes(account, &regions);
    let new_drift = first_seen_drift(ctx.state, job, (account, user), known, &regions).await;
    let new_missing = missing::newly_missing(ctx.state, job, account, &regions).await;
    (regions, new_drift, new_missing)
}

/// Each row's change since the table last recorded it ([`change::judge`]);
/// the check's row says its own (`nodes::plan::change`).
fn judged(recorded: Option<&Snapshot>, account: &str, user: &str, regions: &mut [RegionOutcome]) {
    for o in regions.iter_mut().filter(|o| o.nodes.is_none()) {
        let known = recorded.and_then(|k| k.get(account, &o.slot()));
        o.change = change::judge(known, o, o.user(user));
    }
}

/// The rows found right whose mode the policy relaxed to audit
/// ([`change::relaxed`]), where no other change was judged.
fn relaxed(recorded: Option<&Snapshot>, account: &str, user: &str, regions: &mut [RegionOutcome]) {
    for o in regions.iter_mut().filter(|o| o.change.is_none()) {
        let known = recorded.and_then(|k| k.get(account, &o.slot()));
        o.change = change::relaxed(known, o, o.user(user));
    }
}

/// Audit mode: which findings this run tells first, and the marks its keep
/// writes for them ([`DriftMark`]; none for compliant slots). A finding is
/// one observed Run As: the same one is told once, a new one (a
/// noncompliant slot edited again) is news again. The policy's change is
/// marked, not told as drift. Decided on the marks read (news on the
/// snapshot is read again from the slot's item): two runs that read none
/// both decide it, and the keep of one of them is refused; its retry reads
/// the other's mark.
async fn first_seen_drift(
    state: &StateStore,
    job: &Job,
    (account, user): (&str, &str),
    recorded: Option<&Snapshot>,
    regions: &[RegionOutcome],
) -> (HashSet<String>, Vec<DriftMark>) {
    let (mut first, mut marks) = (HashSet::new(), vec![]);
    if job.dry_run {
        return (first, marks);
    }
    let marked = |slot: &str| {
        let k = recorded.and_then(|k| k.get(account, slot));
        (
            k.and_then(|k| k.drift_seen.clone()),
            k.and_then(|k| k.drift_seen_by.clone()),
        )
    };
    for o in regions
        .iter()
        .filter(|o| change::is_finding(o, o.user(user)))
    {
        // The policy's change is marked seen (later runs find it known) but
        // told in the sweep's `policy_applied`, not as drift.
        let policy = matches!(
            o.change,
            Some(crate::domain::outcome::Change::Policy { .. })
        );
        let (slot, seen) = (o.slot(), change::seen(o.before.as_ref(), o.pending));
        let tells = |(mark, by): &(Option<String>, Option<String>)| {
            let mark = (mark.as_deref(), by.as_deref());
            change::tells(mark, &job.trigger.event_id, o.before.as_ref(), o.pending)
        };
        if !tells(&marked(&slot)) {
            continue;
        }
        // A mark the read cannot see is left to the keep's condition.
        match drift_mark::read(state.table(), account, &slot).await {
            Ok(now) if !tells(&now) => continue,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(account, slot, error_code = %e.code, error = %e, "cannot read the slot's drift mark; its keep's condition decides")
            }
        }
        if !policy {
            first.insert(slot.clone());
        }
        marks.push(DriftMark {
            account: account.to_string(),
            slot,
            trigger_id: job.trigger.event_id.clone(),
            seen,
        });
    }
    (first, marks)
}

/// Each row as it ended, once its pending rows are known: ERROR for a
/// failure only ([`crate::domain::outcome::Action::logs_as_error`]).
fn log_outcomes(account: &str, regions: &[RegionOutcome]) {
    for o in regions {
        if o.action.logs_as_error() {
            tracing::error!(outcome = "remediation_failed", account, region = %o.region,
                error_code = o.error_code.as_deref().unwrap_or("-"), error = o.error.as_deref().unwrap_or("-"), "account-region not fixed");
        } else {
            tracing::info!(account, region = %o.region, action = o.action.as_str(), "account-region reconciled");
        }
    }
}
