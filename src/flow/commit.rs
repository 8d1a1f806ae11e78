//! Recording what one account's convergence did: its state items, history
//! rows and released leases, all regions at once, and the writes of runs
//! that died before recording them (adopted, with their alerts).

use serde_json::json;
use tokio::task::JoinSet;

use crate::adapters::store::state::{Orphan, StateStore};
use crate::domain::alert::Alert;
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::job::Job;
use crate::domain::known::unchanged;
use crate::domain::outcome::{AccountReport, Action, RegionOutcome, Status};
use crate::domain::records::{HistoryRow, Observation};
use crate::flow::account::{adopted, Uncommitted};

/// What to write for one region: the state item and, for a change made or
/// drift seen, a history row.
/// Each row's audit finding as its drift mark writes it
/// ([`crate::flow::account::change::seen`]): history is written once per finding.
fn records(job: &Job, report: &AccountReport) -> Vec<(Observation, Option<HistoryRow>, String)> {
    let t = &job.trigger;
    let user = report.desired_user.clone().unwrap_or_default();
    report
        .regions
        .iter()
        // A deferred row is the lease holder's to record: ours would be
        // what we saw before its write.
        // An account outside the scope leaves no trace in the table.
        .filter(|o| !matches!(o.action, Action::Deferred | Action::OutOfScope))
        .map(|o| {
            let status = Status::of(o, o.user(&user), job.edited(o)).as_str();
            let observation = observation(job, report, o, status);
            let history =
                (o.action.wrote() || o.action == Action::WouldChange).then(|| HistoryRow {
                    account: report.account.clone(),
                    region: o.region.clone(),
                    document: o.document.clone(),
                    status: status.to_string(),
                    action: o.action.as_str().to_string(),
                    before: json!(o.before),
                    after: json!(o.after),
                    actor: observation.actor.clone(),
                    trigger_id: t.event_id.clone(),
                    trigger_kind: t.kind.as_str().to_string(),
                    versions_before: o
                        .versions_before
                        .as_ref()
                        .map(|v| format!("default {} latest {}", v.default, v.latest)),
                    version_after: o.version_after.clone(),
                });
            let seen = crate::flow::account::change::seen(o.before.as_ref(), o.pending).value;
            (observation, history, seen)
        })
        .collect()
}

/// The default judged out of policy whose window the run's own event
/// opened: that event switched the default to it (`Observation::judged_opened`).
fn opened_by(
    t: &crate::domain::trigger::Trigger,
    o: &RegionOutcome,
    default_bad: Option<&str>,
) -> Option<(u64, i64)> {
    crate::domain::version_gap::kept::run_switch(t, o)
        .filter(|s| default_bad.is_some_and(|d| d == s.version.to_string()))
        .map(|s| (s.version, s.at_ms))
}

/// The state item of one row, as `status` will show it.
pub(crate) fn observation(
    job: &Job,
    report: &AccountReport,
    o: &RegionOutcome,
    status: &'static str,
) -> Observation {
    let t = &job.trigger;
    // What the document said: in audit mode `after` is only what it would become.
    let seen = if o.action == Action::WouldChange {
        o.before.as_ref()
    } else {
        o.after.as_ref().or(o.before.as_ref())
    };
    let (observed_user, observed_enabled) = crate::flow::account::change::observed(seen);
    let user = o.user(report.desired_user.as_deref().unwrap_or_default());
    let default_bad = default_bad(o, user);
    let judged_default = crate::domain::version_gap::judged_value(default_bad, o.history.as_ref());
    let (keeps_switch, switch_done) =
        crate::domain::version_gap::kept::on_record(t, o, judged_default.as_deref());
    Observation {
        account: report.account.clone(),
        region: o.region.clone(),
        document: o.document.clone(),
        status,
        desired_user: o.desired_user.clone().or(report.desired_user.clone()),
        observed_user,
        observed_enabled,
        default_version: version_on_record(o).0,
        // A window another run claimed, or left to an adoption (`window_claim`).
        keeps_version: version_on_record(o).1,
        action: o.action.as_str(),
        wrote: o.action.wrote(),
        trigger_id: t.event_id.clone(),
        trigger_kind: t.kind.as_str(),
        actor: t.actor.as_ref().map(|a| a.arn.clone()),
        error: o.error.clone(),
        error_code: o.error_code.clone(),
        nodes: o
            .nodes
            .as_ref()
            .map(crate::domain::nodes::Readiness::to_json),
        mode: o
            .mode
            .or(report.mode)
            .map(crate::domain::policy::Mode::as_str),
        held: o.held.clone(),
        judged_default,
        judged_opened: opened_by(t, o, default_bad),
        latest_version: latest_version(o),
        ou_path: report.ou_path.clone(),
        keeps_switch,
        switch_done,
    }
}

/// The default version a row's record writes, and whether it keeps the
/// one on the item instead: a window another run claimed or left to an
/// adoption (`window_claim`), or a failed run's (`VersionRecord::Keep`);
/// where the item's version is a former life's (`keeps_none`), neither.
fn version_on_record(o: &RegionOutcome) -> (Option<String>, bool) {
    use crate::domain::records::{version_record, VersionRecord};
    if o.window.keeps_none {
        return (None, false);
    }
    let failed = version_record(o.action, o.version_after.as_deref()) == VersionRecord::Keep;
    (o.version_after.clone(), o.window.keeps_version || failed)
}

/// The default version found out of policy, judged by this run.
fn default_bad<'a>(o: &'a RegionOutcome, user: &str) -> Option<&'a str> {
    o.versions_before
        .as_ref()
        .filter(|_| !o.pending && o.before.as_ref().is_some_and(|r| !r.is_compliant(user)))
        .map(|v| v.default.as_str())
}

/// The latest version the record keeps: its own write, or the latest found.
fn latest_version(o: &RegionOutcome) -> Option<String> {
    match o.action.wrote() {
        true => o.version_after.clone(),
        false => o.versions_before.as_ref().map(|v| v.latest.clone()),
    }
    .filter(|_| o.version_after.is_some())
}

/// What recording an account came to.
#[derive(Default)]
pub struct Committed {
    /// Alerts of dead runs whose writes this record found and adopted: the
    /// caller delivers them like its own.
    pub adopted: Vec<Alert>,
    pub error: Option<AwsError>,
}

/// Where a record keeps the alerts of a dead run's write it adopts, before
/// it records the adoption: the outbox, leased to this run (a run that dies
/// after the adoption leaves them to the next run's flush). Sweeps and
/// event runs both pass it (an event's run since 0.7.4: `receipt::keeper`).
#[derive(Clone, Copy)]
pub struct Keeper<'a> {
    pub receipts: &'a crate::adapters::store::receipts::Receipts,
    pub alerts: &'a crate::flow::publish::Alerts,
    pub vends: &'a crate::adapters::store::vend::Vends,
    pub owner: &'a str,
    /// When the account last joined, needed only to judge a dead sweep's
    /// write ([`adopted::recorded_life`]).
    pub joined: adopted::Joined<'a>,
}

/// Every account's results recorded; the first error, and the alerts of
/// dead runs whose writes the records adopted.
pub async fn commit_all(
    state: &StateStore,
    keeper: Keeper<'_>,
    job: &Job,
    uncommitted: &[Uncommitted],
) -> (Option<AwsError>, Vec<Alert>) {
    let mut first_error = None;
    let mut adopted = Vec::new();
    for acct in uncommitted {
        let committed = commit(state, keeper, job, acct).await;
        adopted.extend(committed.adopted);
        if let Some(e) = committed.error {
            first_error.get_or_insert(e);
        }
    }
    (first_error, adopted)
}

/// State items and history rows, all regions at once; releases the leases.
/// Where a record finds the intent of a run that died after its write, the
/// revert is recorded and alerted now ([`crate::domain::intent`]). Dry runs record
/// nothing.
pub async fn commit(
    state: &StateStore,
    keeper: Keeper<'_>,
    job: &Job,
    account: &Uncommitted,
) -> Committed {
    if job.dry_run {
        return Committed::default();
    }
    let tasks = spawn_records(state, job, account);
    let (mut committed, orphans) = joined(tasks, &account.report.account).await;
    for (o, orphan) in orphans {
        match adopt(state, keeper, &o, &orphan).await {
            Ok(alerts) => committed.adopted.extend(alerts),
            Err(e) => {
                tracing::error!(outcome = "record_failed", account = %o.account, error_code = %e.code, error = %e, "a dead run's write not recorded");
                committed.error.get_or_insert(e);
            }
        }
    }
    committed
}

/// One record task per account-region that needs one (a sweep skips what
/// its snapshot shows unchanged), and one for the history rows.
fn spawn_records(state: &StateStore, job: &Job, account: &Uncommitted) -> JoinSet<RecordTask> {
    let mut tasks = JoinSet::new();
    let at = clock::now();
    let mut rows = Vec::new();
    for (observation, history, seen) in records(job, &account.report) {
        let grant = account.grants.get(&observation.slot()).cloned();
        // A sweep's snapshot, or the rows a re-attempt read: an unchanged
        // row is not written again.
        let known = job
            .known
            .as_deref()
            .or(account.recorded.as_ref())
            .and_then(|k| k.get(&observation.account, &observation.slot()));
        if grant.is_none() && history.is_none() && known.is_some_and(|k| unchanged(k, &observation))
        {
            continue;
        }
        // Drift already recorded is history once, not once per sweep.
        let already = observation.action == "would-change"
            && known.is_some_and(|k| k.drift_seen.as_deref() == Some(seen.as_str()));
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
    tasks
}

/// A record task's observation (none for history) and what the record found.
type RecordTask = (Option<Observation>, Result<Option<Orphan>, AwsError>);

/// Every record's result: the first error, and the dead runs' intents found.
async fn joined(
    mut tasks: JoinSet<RecordTask>,
    account: &str,
) -> (Committed, Vec<(Observation, Orphan)>) {
    let mut committed = Committed::default();
    let mut orphans = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let result = joined.unwrap_or_else(|e| {
            (
                None,
                Err(AwsError {
                    operation: "record",
                    account: account.to_string(),
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
                tracing::error!(outcome = "record_failed", account, error_code = %e.code, error = %e, "state not recorded");
                committed.error.get_or_insert(e);
            }
        }
    }
    (committed, orphans)
}

/// Whether `o` records what the document said (its default version read).
fn observed(o: &Observation) -> bool {
    let read = [
        Status::Compliant,
        Status::Noncompliant,
        Status::Remediated,
        Status::Reverted,
    ];
    read.iter().any(|s| s.as_str() == o.status) && o.default_version.is_some()
}

/// A dead run's intent found by a quiet record of `o`: when the document
/// shows its write, keep its alerts, then record it (status, counts,
/// history) and return them; otherwise only remove the intent. Alerts that
/// cannot be kept leave the intent for the next run to adopt, and fail the
/// record.
async fn adopt(
    state: &StateStore,
    keeper: Keeper<'_>,
    o: &Observation,
    orphan: &Orphan,
) -> Result<Vec<Alert>, AwsError> {
    let i = &orphan.intent;
    // A record that read no document (its read failed, the account is
    // pending) cannot say the write did not land: the intent stays for a
    // run that reads it. Until 0.7.12 such a record dropped it, and the
    // next run told the default the write had replaced as a window, beside
    // the dead run's own telling (simulation seed 650005).
    if !observed(o) {
        tracing::info!(intent = %crate::domain::intent::describe(i), status = o.status, "the document was not read; a dead run's intent stays for the next run");
        return Ok(vec![]);
    }
    let version = o.default_version.as_deref();
    let compliant = o.status == Status::Compliant.as_str() && !o.wrote;
    let Some(version) = version.filter(|_| i.landed(compliant, version)) else {
        tracing::info!(intent = %crate::domain::intent::describe(i), "a dead run's write did not land; its intent is dropped");
        state.drop_intent(orphan).await?;
        return Ok(vec![]);
    };
    let now = clock::now();
    let recorded = adopted::recorded_life(keeper.joined, i, &orphan.recorded).await;
    let alerts = adopted::alerts(
        i,
        (version, orphan.recent_reverts.len()),
        &clock::iso(now),
        recorded,
    );
    // What is told once per life (a dead vend's `account_configured`) is
    // told by whichever path says it first, the dead run's adopted alert
    // too: its trigger's own retry, finding the write done, says it as well
    // (simulation 640771).
    let kind = i.trigger().kind;
    let (once, alerts): (Vec<Alert>, Vec<Alert>) = alerts
        .into_iter()
        .partition(|a| crate::domain::alert::told_once(a, kind));
    let once = crate::flow::configured::told_first(keeper.vends, &i.trigger_id, once).await;
    let alerts = [alerts, once].concat();
    let kept = crate::flow::outbox::keep_first(
        keeper.receipts,
        keeper.alerts,
        keeper.owner,
        (&alerts, &Default::default()),
    )
    .await;
    if !kept {
        return Err(unkept(i));
    }
    if !state.adopt(orphan, version).await? {
        return Ok(vec![]);
    }
    state.add_history(&[i.history(version)], now).await?;
    tracing::warn!(outcome = "adopted", intent = %crate::domain::intent::describe(i), version, "recorded and alerted the write of a run that died before recording it");
    Ok(alerts)
}

/// A dead run's write whose alerts could not be kept: a failure, not a
/// quiet record. The run that found it says it could not tell it (an
/// event's run fails and is retried); the intent stays for the next run.
fn unkept(i: &crate::domain::intent::Intent) -> AwsError {
    AwsError {
        operation: "TransactWriteItems",
        account: i.account.clone(),
        region: i.region.clone(),
        code: "OutboxKeepFailed".into(),
        message: format!(
            "the alerts of a dead run's write could not be kept ({}): its intent stays for the next run to adopt",
            crate::domain::intent::describe(i)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::window_claim::Claim;

    #[test]
    fn a_record_keeps_the_items_version_only_where_it_is_this_lifes() {
        let row = |action: Action, after: Option<&str>, window: Claim| RegionOutcome {
            version_after: after.map(str::to_string),
            window,
            ..RegionOutcome::skipped("eu-west-1", action, None)
        };
        let pending = Claim {
            keeps_version: true,
            ..Claim::default()
        };
        let former = Claim {
            keeps_none: true,
            ..Claim::default()
        };
        let v = |s: &str| Some(s.to_string());
        let cases = [
            (
                "written",
                row(Action::Updated, Some("4"), Claim::default()),
                (v("4"), false),
            ),
            (
                "right",
                row(Action::None, Some("3"), Claim::default()),
                (v("3"), false),
            ),
            (
                "another run's claim pending",
                row(Action::Updated, Some("4"), pending.clone()),
                (v("4"), true),
            ),
            (
                "failed",
                row(Action::Failed, None, Claim::default()),
                (None, true),
            ),
            // The item's version is a former life's: none kept, none written.
            (
                "former life, pending",
                row(Action::Updated, Some("4"), former.clone()),
                (None, false),
            ),
            (
                "former life, failed",
                row(Action::Failed, None, former),
                (None, false),
            ),
        ];
        for (why, o, want) in cases {
            assert_eq!(version_on_record(&o), want, "{why}");
        }
    }
}
