//! `enforcement_held` in a sweep: each `enforce-when-ready` document still
//! held is judged against what the snapshot recorded of its hold (since
//! when, what was told), told through one conditional write per document
//! that is news, and said in one alert per account. Only sweeps tell it:
//! a hold is measured in hours, and the sweep has the table's snapshot.

use crate::adapters::aws::associations::AssociationStore;
use crate::adapters::aws::sts::MemberSession;
use crate::domain::alert::{enforcement_held, Alert, Held};
use crate::domain::clock;
use crate::domain::job::Job;
use crate::domain::nodes::held::{past_bound, tell, Blocking, Recorded, MAX_BLOCKING};
use crate::domain::outcome::{AccountReport, RegionOutcome};
use crate::flow::services::Services;

/// Marks each held row whose hold, as the snapshot recorded it, has lasted
/// at least the policy's bound, told or not: what the `<fn>-held` alarm
/// counts (a hold shorter than that is a rollout's expected state).
fn mark_held_too_long(svc: &Services, job: &Job, report: &mut AccountReport) {
    let Some(known) = job.known.as_deref().filter(|_| !job.dry_run) else {
        return;
    };
    let now_ms = clock::epoch_millis(clock::now());
    for o in report.regions.iter_mut().filter(|o| o.held.is_some()) {
        let since = known
            .get(&report.account, &o.slot())
            .and_then(|k| k.held_since.as_deref())
            .and_then(clock::parse_iso);
        let recorded = Recorded {
            since_ms: since,
            told: None,
        };
        o.held_too_long = past_bound(&recorded, now_ms, svc.policy.held_alert_after);
    }
}

/// The alert for the account's documents held past the policy's bound, if
/// any; each row held that long is marked so ([`mark_held_too_long`]).
pub(super) async fn held_too_long(
    svc: &Services,
    job: &Job,
    report: &mut AccountReport,
    session: Option<&MemberSession>,
) -> Option<Alert> {
    mark_held_too_long(svc, job, report);
    let report = &*report;
    let known = job.known.as_deref().filter(|_| !job.dry_run)?;
    let account_user = report.desired_user.as_deref()?;
    let bound = svc.policy.held_alert_after;
    let now_ms = clock::epoch_millis(clock::now());
    let mut told = Vec::new();
    for o in report.regions.iter().filter(|o| o.held.is_some()) {
        let slot = o.slot();
        let Some(k) = known.get(&report.account, &slot) else {
            continue;
        };
        let Some(since) = k.held_since.clone() else {
            continue;
        };
        let recorded = Recorded {
            since_ms: clock::parse_iso(&since),
            told: k.held_told.clone(),
        };
        if !past_bound(&recorded, now_ms, bound) {
            continue;
        }
        let check = check_row(report, &o.region);
        let user = o.user(account_user);
        let verdict = Blocking::of(check.and_then(|c| c.nodes.as_ref()), user);
        // Whether it is news needs no node named; the alert names them.
        if !tell(&recorded, Some(&verdict), now_ms, bound)
            || !claimed(svc, job, report, &slot, &since, &verdict).await
        {
            continue;
        }
        let blocking = named(svc, session, report, check, verdict).await;
        tracing::warn!(outcome = "enforcement_held", account = %report.account, slot, since, verdict = blocking.verdict, "held past the bound");
        told.push(Held {
            row: o,
            user,
            held_for_ms: now_ms.saturating_sub(recorded.since_ms.unwrap_or(now_ms)),
            since,
            association: check
                .and_then(|c| c.nodes.as_ref())
                .map(|n| n.association_id.as_str()),
            blocking,
        });
    }
    let at = clock::iso(clock::now());
    let bound_ms = i64::try_from(bound.as_millis()).unwrap_or(i64::MAX);
    enforcement_held(&report.account, &told, bound_ms, &job.trigger, &at)
}

/// A hold this run tells, each node named: those the check only counted
/// (timed out, not delivered) are read by id. Nodes that cannot be read by
/// id stay counted: which nodes block is not part of the verdict
/// ([`Blocking::fingerprint`]), so a hold already told is never read again.
async fn named(
    svc: &Services,
    session: Option<&MemberSession>,
    report: &AccountReport,
    check: Option<&RegionOutcome>,
    blocking: Blocking,
) -> Blocking {
    let (Some(session), Some(check), Some(document), true) = (
        session,
        check,
        svc.policy.check_document.as_deref(),
        blocking.unnamed(),
    ) else {
        return blocking;
    };
    let (Some(found), region) = (check.nodes.as_ref(), &check.region) else {
        return blocking;
    };
    let store = AssociationStore::new(session.ssm(region), &report.account, region, document);
    match store
        .not_run_nodes(&found.association_id, MAX_BLOCKING)
        .await
    {
        Ok(read) => blocking.named(&read),
        Err(e) => {
            tracing::warn!(account = %report.account, region, error_code = %e.code, error = %e, "the nodes the check could not run on are not named");
            blocking
        }
    }
}

/// Whether this run tells the hold (one conditional write on its item).
async fn claimed(
    svc: &Services,
    job: &Job,
    report: &AccountReport,
    slot: &str,
    since: &str,
    blocking: &Blocking,
) -> bool {
    let (account, fingerprint) = (&report.account, blocking.fingerprint());
    match svc
        .state
        .claim_held(account, slot, since, &fingerprint, &job.trigger.event_id)
        .await
    {
        Ok(ours) => ours,
        Err(e) => {
            // Better a repeated alert than a silent one.
            tracing::warn!(account, slot, error_code = %e.code, error = %e, "cannot tell whether this hold was told; telling it");
            true
        }
    }
}

/// The run-as user check's row of `region`: what the gate saw there.
fn check_row<'a>(report: &'a AccountReport, region: &str) -> Option<&'a RegionOutcome> {
    report
        .regions
        .iter()
        .find(|r| r.region == region && r.nodes.is_some())
}
