//! Many accounts: the scheduled sweep (run here or fanned out over SQS), one
//! fanned-out account, and the operator's `reconcile`. A sweep always
//! finishes and reports: one account's failure is that account's row, and an
//! alert SNS refuses waits in the outbox instead of aborting the sweep. A
//! sweep says what it found in one `sweep_summary`, and what its forwarding
//! canaries newly found in one alert per cause, never per account-region.

use std::collections::HashSet;
use std::sync::Arc;

use crate::adapters::store::known::{LastSweep, SweepDone};
use crate::domain::alert::Alert;
use crate::domain::aws_error::AwsError;
use crate::domain::degraded::{Degraded, Seen};
use crate::domain::job::Job;
use crate::domain::known::Snapshot;
use crate::domain::outcome::AccountReport;
use crate::domain::summary::Tally;
use crate::domain::trigger::{Trigger, TriggerKind};
use crate::flow::services::Services;

mod accounts;
mod canary;
mod fanned;
mod held;
mod lives;
mod message;
mod operator;
mod run_as_tags;
mod scheduled;
mod session_documents;
mod slots;
mod unreported;

pub use fanned::sweep_one;
pub use message::SweepMessage;
pub use operator::{read_ahead, reconcile_org, Ahead};
pub use scheduled::on_schedule;

/// One account's report, the slots whose drift, or nodes lacking the
/// user, it saw first, and what its forwarding canaries newly said.
struct Swept {
    report: AccountReport,
    news: HashSet<String>,
    canary: Vec<crate::domain::canary::Finding>,
}

impl Swept {
    /// An account with nothing new beside its report.
    fn bare(report: AccountReport) -> Swept {
        Swept {
            report,
            news: HashSet::new(),
            canary: vec![],
        }
    }
}

/// Filters for operator-started reconciles.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
}

/// What an operator's reconcile did, alerts included.
pub struct OrgReport {
    pub reports: Vec<AccountReport>,
    pub alerts_sent: usize,
    /// Not published now; kept in the outbox for the next sweep.
    pub alerts_kept: usize,
    /// Neither published nor kept (logged whole).
    pub alerts_lost: usize,
    /// A whole reconcile that governed none or far fewer accounts than it
    /// should: told (`sweep_degraded`), and the run fails.
    pub degraded: Option<Degraded>,
}

fn sweep_trigger(event_id: String, account: Option<String>, source: &str, reason: &str) -> Trigger {
    Trigger {
        kind: TriggerKind::Sweep,
        account,
        region: None,
        actor: None,
        event_id,
        source: source.into(),
        event_name: None,
        reason: reason.into(),
        context: Default::default(),
    }
}

/// A fanned-out sweep's run of one account, knowing what the table says of
/// it, so it writes only what changed. A table that cannot be read is the
/// hub's failure, reported before the member account is touched: every
/// write needs it (leases live there). A whole sweep reads the whole table
/// ([`whole_table`]) beside its walk.
async fn with_snapshot(
    svc: &Services,
    job: &Job,
    (a, departed): Single<'_>,
) -> Result<Job, AwsError> {
    let snapshot = svc
        .state
        .snapshot_account(a)
        .await?
        .with_departed(departed.map(|d| d.then(|| a.to_string()).into_iter().collect()));
    Ok(knowing(job, snapshot))
}

/// Every account-region the table holds and the departures on record, read
/// at once: a whole sweep reads them beside the organization's walk.
pub async fn whole_table(svc: &Services) -> Result<Snapshot, AwsError> {
    let (rows, departed) = tokio::join!(svc.state.snapshot(), departed(svc));
    Ok(rows?.with_departed(departed))
}

fn knowing(job: &Job, snapshot: Snapshot) -> Job {
    let mut job = job.clone();
    job.known = Some(Arc::new(snapshot));
    job
}

/// One account of a fanned-out sweep, and whether its departure was on
/// record when the sweep began (`None`: not known).
type Single<'a> = (&'a str, Option<bool>);

/// The accounts with a departure on record, read beside the rows; a read
/// that fails leaves it unknown (every governed account without rows is
/// cleared, as before the marks were listed).
async fn departed(svc: &Services) -> Option<std::collections::BTreeSet<String>> {
    svc.state
        .departed_accounts()
        .await
        .inspect_err(|e| tracing::warn!(error_code = %e.code, error = %e, "departures not listed; governed accounts without rows have theirs cleared"))
        .ok()
}

/// The last recorded sweep, as [`checked`] takes it. A sweep reads it
/// beside its accounts, not after them: it records itself only at its end,
/// so the early read sees the same item, and the end saves a round trip.
type Last = Result<Option<LastSweep>, AwsError>;

/// A whole sweep checks itself against the last recorded one
/// ([`crate::domain::degraded`]), then records itself: "last checked" for every
/// account-region it did not write, and what it governed. `Some` is the
/// degraded sweep's one error alert and what it said.
async fn checked(
    svc: &Services,
    trigger: &Trigger,
    tally: &Tally,
    last: Last,
) -> Option<(Degraded, Alert)> {
    let policy = svc.policy.governance_fingerprint();
    let last = match last {
        Ok(last) => last.and_then(|l| l.baseline()),
        Err(e) => {
            tracing::warn!(error_code = %e.code, error = %e, "cannot read the last sweep; checked without it");
            None
        }
    };
    let seen = Seen {
        accounts: tally.accounts,
        governed: tally.governed,
        expected: tally.expected,
        unreadable: tally.unreadable,
    };
    // Accounts that left governance since the last sweep explain a drop.
    let not_governed = Some(tally.out_of_scope + tally.exempt);
    let degraded = crate::domain::degraded::explained(seen, not_governed, &policy, last.as_ref());
    let done = SweepDone {
        account_regions: tally.account_regions,
        out_of_scope: tally.out_of_scope,
        exempt: tally.exempt,
        governed: crate::domain::degraded::recorded(
            seen,
            degraded.is_some(),
            &policy,
            last.as_ref(),
        ),
        policy,
        policy_types: crate::domain::policy_types::fingerprint(&tally.policy_types.unknown),
        failing: tally.failing.key().unwrap_or_default(),
        failing_told: tally
            .failing_told_at(&crate::domain::clock::iso(crate::domain::clock::now())),
    };
    if let Err(e) = svc.state.sweep_done(&trigger.event_id, &done).await {
        tracing::warn!(error_code = %e.code, error = %e, "cannot record the sweep's time");
    }
    let degraded = degraded?;
    tracing::error!(outcome = "sweep_degraded", governed = degraded.governed, expected = degraded.expected, last_governed = ?degraded.last_governed, departed = degraded.departed, said = %degraded.said, "sweep degraded");
    let alert = crate::domain::alert::sweep_degraded(
        &degraded,
        trigger,
        &crate::domain::clock::iso(crate::domain::clock::now()),
    );
    Some((degraded, alert))
}

/// The watch for a native policy: the unknown organization policy types
/// the sweep's walk read (`ListRoots`, no call of its own) join the tally,
/// and its summary tells them when the last whole sweep did not record this
/// same set (`last` unreadable: told; `None`, a run that does not check
/// itself: not told, the next sweep will).
fn watch(
    tally: &mut Tally,
    walked: Option<Vec<crate::domain::policy_types::Enabled>>,
    last: Option<&Last>,
) {
    use crate::domain::policy_types as types;
    tally.policy_types.merge(types::Watch {
        unknown: types::unknown(&walked.unwrap_or_default()),
        news: false,
    });
    let recorded = match last {
        None => return,
        Some(Ok(Some(l))) => l.policy_types.as_deref(),
        Some(_) => None,
    };
    // The same failing set as the last whole sweep: still failing, not a
    // new page (an unreadable last sweep: paged, toward telling).
    // Mailed within the day: quiet. A last sweep from before it recorded
    // the mail had mailed it when it finished.
    let (failing, told) = match last {
        Some(Ok(Some(l))) => (
            l.failing.as_deref(),
            l.failing_told.as_deref().or(Some(&l.at)),
        ),
        _ => (None, None),
    };
    let now_ms = crate::domain::clock::epoch_millis(crate::domain::clock::now());
    tally.repeat_of(failing, told, now_ms);
    if tally.failing_quiet {
        tracing::info!(failing = ?failing, mailed_at = ?tally.failing_told, "the same failing set was mailed within the day: its summary waits for other news or the day's end");
    }
    let unknown = &tally.policy_types.unknown;
    tally.policy_types.news = types::news(unknown, recorded);
    if tally.policy_types.news {
        tracing::warn!(outcome = "policy_type_unknown", types = %types::fingerprint(unknown), "{}", types::warning(unknown));
    }
}

/// The sweep of the accounts a sweep's deadline left unreached.
fn rest_of(sweep_id: &str) -> String {
    format!("{sweep_id}-rest")
}

/// A part of a sweep (its unreached rest): it never checks itself.
fn is_rest(sweep_id: &str) -> bool {
    sweep_id.ends_with("-rest")
}

/// What a sweep says for all its accounts: its one summary, what the
/// policy changed, the accounts a policy change dropped from governance,
/// and what its canaries newly found, one alert per cause (each when there
/// is something to say; never one per account-region).
fn told(svc: &Services, tally: &Tally, trigger: &Trigger) -> Vec<Alert> {
    let at = crate::domain::clock::iso(crate::domain::clock::now());
    let summary = crate::domain::summary::alert(tally, trigger, &at);
    let policy = crate::domain::summary::policy_alert(&tally.policy, trigger, &at);
    let (dropped, total) = (&tally.left_entries, tally.left_governance);
    let left = crate::domain::alert::left_governance_summary(dropped, total, trigger, &at);
    let grace = svc.policy.canary.map(|c| c.grace.as_secs());
    let canary = crate::domain::alert::canary_findings(&tally.canary.told(), grace, trigger, &at);
    summary
        .into_iter()
        .chain(policy)
        .chain(left)
        .chain(canary)
        .collect()
}

fn tally(swept: &[Swept]) -> Tally {
    let mut t = Tally::default();
    for s in swept {
        t.add(&s.report, &s.news);
        let r = &s.report;
        let account = crate::domain::canary::Account {
            id: &r.account,
            name: r.name.as_deref(),
            ou_path: r.ou_path.as_deref(),
        };
        t.canary.add(&account, &s.canary);
    }
    t
}
