//! `[security_hub] findings`: each row's findings that are news
//! (`domain::security_hub`), imported in the account's own session (one
//! call per region, the regions at once), and what was sent kept on the
//! row, so the next run sends only what changed. A finding Security Hub
//! refuses is a failure the report, the metric and the log say, and it is
//! sent again next time; a region without Security Hub keeps its findings
//! waiting, is said once, and the next run tries again (what waited goes
//! out as soon as the hub is on).

use std::collections::BTreeMap;

use tokio::task::JoinSet;

use super::Ctx;
use crate::adapters::aws::security_hub::{FindingsHub, Imported, FINDING_HUB_OFF, HUB_OFF};
use crate::adapters::aws::sts::MemberSession;
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::job::Job;
use crate::domain::known::Snapshot;
use crate::domain::outcome::{AccountReport, Status};
use crate::domain::security_hub::{self, Failure, Imports, Marks, Place, Send, Slot};
use crate::domain::trigger::TriggerKind;

/// The account's findings sent, and what that came to; `None` when the
/// policy does not ask for them, for a dry run, and when nothing was news.
pub(super) async fn sent(
    ctx: &Ctx<'_>,
    job: &Job,
    session: &MemberSession,
    report: &AccountReport,
    recorded: Option<&Snapshot>,
) -> Option<Imports> {
    if !ctx.policy.security_hub_findings || job.dry_run {
        return None;
    }
    let account = report.account.as_str();
    let marks = |slot: &str| marks_of(recorded, account, slot);
    // A hub found off waits marked only by a sweep, whose summary names it
    // once: an event's run leaves it for the next sweep to find and say.
    // A sweep reads back what it sent before it decides (tamper detection).
    let sweep = job.trigger.kind == TriggerKind::Sweep;
    let (sends, mut imports) = read_and_decided(ctx, job, session, report, &marks).await;
    if sends.is_empty() {
        return (!imports.is_empty()).then_some(imports);
    }
    let mut kept: BTreeMap<String, Marks> = BTreeMap::new();
    for (region, sends, answer) in imported(ctx, session, sends).await {
        let all_off = answer.as_ref().is_err_and(|e| e.is(HUB_OFF));
        // Found off again where it was off: tried, not news.
        let waited = sends.iter().all(|s| {
            marks(&s.slot)
                .get(s.finding.check.as_str())
                .is_some_and(|m| m.hub_off)
        });
        let (taken, off_ids) = said(&mut imports, &region, &sends, answer);
        if waited {
            imports.hub_off.retain(|r| *r != region);
        }
        events_put_back(&mut imports, &sends, &taken);
        for s in sends {
            let Some(mut sent) = s.sent else { continue };
            let off = all_off || off_ids.contains(&s.finding.id);
            if !((off && sweep) || taken.contains(&s.finding.id)) {
                continue; // sent again next time
            }
            sent.hub_off = off;
            let slot = kept.entry(s.slot.clone()).or_insert_with(|| marks(&s.slot));
            slot.insert(s.finding.check.as_str().to_string(), sent);
            for t in imports
                .tampered
                .iter_mut()
                .filter(|t| t.sent_as() == s.finding.id)
            {
                t.put_back = !off;
            }
        }
    }
    keep(ctx, account, kept).await;
    imports.hub_off.sort();
    // A hub still off, tried again: nothing to say.
    (!imports.is_empty()).then_some(imports)
}

/// The event findings Security Hub took again (each put back in place, or
/// its successor): their `finding_tampered` says so.
fn events_put_back(imports: &mut Imports, sends: &[Send], taken: &[String]) {
    let back = |id: &str| {
        taken.iter().any(|t| t == id)
            && sends.iter().any(|s| s.sent.is_none() && s.finding.id == id)
    };
    for t in imports.tampered.iter_mut() {
        if back(t.sent_as()) {
            t.put_back = true;
        }
    }
}

/// A sweep's read-back first (findings someone else changed or that are
/// gone are due again, the changed ones told), then every row's findings
/// that are news.
async fn read_and_decided(
    ctx: &Ctx<'_>,
    job: &Job,
    session: &MemberSession,
    report: &AccountReport,
    marks: &(dyn Fn(&str) -> Marks + Sync),
) -> (Vec<Send>, Imports) {
    let back = match job.trigger.kind == TriggerKind::Sweep {
        true => super::tamper::read_back(ctx, session, report, marks, &runbook()).await,
        false => Default::default(),
    };
    let due = |slot: &str| {
        back.retold
            .get(slot)
            .cloned()
            .unwrap_or_else(|| marks(slot))
    };
    let sends = decided(ctx, job, report, &due);
    let mut sends = super::finding_sessions::listed(ctx, job, session, report, sends).await;
    sends.extend(back.restores);
    let imports = Imports {
        tampered: back.tampered,
        ..Imports::default()
    };
    (sends, imports)
}

/// The runbook's base the alerts link (`RUNAS_GUARD_RUNBOOK_URL`, checked
/// when the process starts), for each finding's remediation link.
pub(super) fn runbook() -> String {
    crate::domain::config::alert_format_checked()
        .map(|f| f.runbook_base)
        .unwrap_or_default()
}

/// What the row recorded as sent for `slot`.
fn marks_of(rows: Option<&Snapshot>, account: &str, slot: &str) -> Marks {
    rows.and_then(|k| k.get(account, slot))
        .and_then(|k| k.hub_findings.as_deref())
        .map(security_hub::marks_from_json)
        .unwrap_or_default()
}

/// What was sent kept on each slot's row.
async fn keep(ctx: &Ctx<'_>, account: &str, kept: BTreeMap<String, Marks>) {
    for (slot, marks) in kept {
        if let Err(e) = ctx
            .state
            .mark_findings(account, &slot, &security_hub::marks_to_json(&marks))
            .await
        {
            // The finding is in; unmarked, the next run sends it again
            // (updated in place, no harm).
            tracing::warn!(account, slot, error_code = %e.code, error = %e, "what was sent to Security Hub CSPM could not be kept");
        }
    }
}

/// The open findings of `slots` (rows from when the account-region was
/// governed), archived saying `why` ([`security_hub::retire`]), in the
/// account's `session` (else one made now, only when there is something to
/// archive); `None` when the policy does not ask for findings, for a dry run
/// and when nothing was open. Also the slots left with nothing open: a
/// finding not taken stays open, sent again next time.
pub async fn retired(
    ctx: &Ctx<'_>,
    job: &Job,
    (account, ou_path): (&str, Option<&str>),
    session: Option<&MemberSession>,
    (rows, slots): (&Snapshot, &[String]),
    why: &str,
) -> (Option<Imports>, Vec<String>) {
    let marks = |slot: &str| marks_of(Some(rows), account, slot);
    let (open, mut closed): (Vec<String>, Vec<String>) = slots
        .iter()
        .cloned()
        .partition(|slot| security_hub::open(&marks(slot)));
    if !ctx.policy.security_hub_findings || job.dry_run || open.is_empty() {
        return (None, slots.to_vec());
    }
    let runbook = runbook();
    let place = Place {
        partition: ctx.sts.partition(),
        account,
        ou_path,
        runbook: &runbook,
    };
    let now = clock::epoch_millis(clock::now());
    let sends: Vec<Send> = open
        .iter()
        .flat_map(|slot| security_hub::retire(place, slot, &marks(slot), why, now))
        .collect();
    let made;
    let session = match session {
        Some(s) => s,
        None => match super::assume(ctx, job, account).await {
            Ok(s) => {
                made = s;
                &made
            }
            Err(e) => return (Some(not_entered(account, &sends, &e)), closed),
        },
    };
    let (imports, kept, still_open) = archived(ctx, session, sends, why, &marks).await;
    keep(ctx, account, kept).await;
    closed.extend(open.into_iter().filter(|s| !still_open.contains(s)));
    (Some(imports), closed)
}

/// An account that could not be entered to archive its findings: told, and
/// tried again by the next run (the rows stay).
pub(super) fn not_entered(account: &str, sends: &[Send], e: &AwsError) -> Imports {
    tracing::error!(outcome = "findings_failed", account, error_code = %e.code, error = %e, "findings of an account-region no longer governed not archived");
    Imports {
        failed: sends
            .iter()
            .map(|s| Failure {
                region: s.finding.region.clone(),
                id: Some(s.finding.id.clone()),
                code: e.code.clone(),
                message: e.message.clone(),
            })
            .collect(),
        ..Imports::default()
    }
}

/// The archives imported: what that came to, the marks to keep, and the
/// slots whose finding was not taken (still open).
async fn archived(
    ctx: &Ctx<'_>,
    session: &MemberSession,
    sends: Vec<Send>,
    why: &str,
    marks: &(dyn Fn(&str) -> Marks + Sync),
) -> (Imports, BTreeMap<String, Marks>, Vec<String>) {
    let mut imports = Imports::default();
    let mut kept: BTreeMap<String, Marks> = BTreeMap::new();
    let mut still_open: Vec<String> = vec![];
    for (region, sends, answer) in imported(ctx, session, sends).await {
        let (taken, _) = said(&mut imports, &region, &sends, answer);
        for s in sends {
            let Some(sent) = s.sent else { continue };
            if !taken.contains(&s.finding.id) {
                still_open.push(s.slot.clone());
                continue;
            }
            tracing::info!(outcome = "finding_archived", account = %session.account, slot = %s.slot, finding = %s.finding.id, why, "a finding of an account-region no longer governed archived");
            let slot = kept.entry(s.slot.clone()).or_insert_with(|| marks(&s.slot));
            slot.insert(s.finding.check.as_str().to_string(), sent);
        }
    }
    (imports, kept, still_open)
}

/// Every row's findings that are news now.
fn decided(
    ctx: &Ctx<'_>,
    job: &Job,
    report: &AccountReport,
    marks: &dyn Fn(&str) -> Marks,
) -> Vec<Send> {
    let user = report.desired_user.as_deref().unwrap_or_default();
    let runbook = runbook();
    let place = Place {
        partition: ctx.sts.partition(),
        account: &report.account,
        ou_path: report.ou_path.as_deref(),
        runbook: &runbook,
    };
    let now = clock::epoch_millis(clock::now());
    let editor = job.trigger.actor.as_ref().map(|a| a.arn.as_str());
    report
        .regions
        .iter()
        .flat_map(|o| {
            let edited = job.edited(o);
            let status = Status::of(o, o.user(user), edited);
            let marks = marks(&o.slot());
            let slot = Slot {
                outcome: o,
                status,
                user: o.user(user),
                marks: &marks,
                editor: editor.filter(|_| edited),
            };
            security_hub::decide(place, &slot, now)
        })
        .collect()
}

type Answer = (String, Vec<Send>, Result<Imported, AwsError>);

/// One import per region, the regions at once (each holds a region slot).
pub(super) async fn imported(
    ctx: &Ctx<'_>,
    session: &MemberSession,
    sends: Vec<Send>,
) -> Vec<Answer> {
    let mut by_region: BTreeMap<String, Vec<Send>> = BTreeMap::new();
    for s in sends {
        by_region
            .entry(s.finding.region.clone())
            .or_default()
            .push(s);
    }
    let mut calls = JoinSet::new();
    for (region, sends) in by_region {
        let hub = FindingsHub::new(session.security_hub(&region), &session.account, &region);
        let slots = ctx.region_slots.clone();
        calls.spawn(async move {
            let _slot = slots.acquire_owned().await.expect("semaphore never closes");
            let findings: Vec<_> = sends.iter().map(|s| s.finding.clone()).collect();
            let answer = hub.import(&findings).await;
            (region, sends, answer)
        });
    }
    let mut out = Vec::new();
    while let Some(joined) = calls.join_next().await {
        match joined {
            Ok(answer) => out.push(answer),
            // A bug, not an AWS answer: unmarked, they go again next run.
            Err(e) => tracing::error!(error = %e, "Security Hub import task died"),
        }
    }
    out
}

/// The region's answer in the account's `imports`, logged; the ids taken,
/// and those refused because Security Hub CSPM is not enabled there.
pub(super) fn said(
    imports: &mut Imports,
    region: &str,
    sends: &[Send],
    answer: Result<Imported, AwsError>,
) -> (Vec<String>, Vec<String>) {
    match answer {
        Ok(imported) => {
            // The user guide's form of a hub not enabled: the findings in
            // `FailedFindings` with `InvalidAccess` (the API's is the whole
            // call's `InvalidAccessException`); either way they wait.
            let (off, refused): (Vec<_>, Vec<_>) = imported
                .refused
                .into_iter()
                .partition(|(_, code, _)| code == FINDING_HUB_OFF);
            if !off.is_empty() {
                tracing::warn!(account = %sends[0].finding.account, region, findings = off.len(), "Security Hub CSPM is not enabled here: its findings wait");
                imports.hub_off.push(region.into());
            }
            for (id, code, message) in refused {
                tracing::error!(outcome = "findings_failed", account = %sends[0].finding.account, region, finding = %id, error_code = %code, error = %message, "Security Hub refused a finding");
                imports.failed.push(Failure {
                    region: region.into(),
                    id: Some(id),
                    code,
                    message,
                });
            }
            imports.imported += imported.taken.len();
            (imported.taken, off.into_iter().map(|(id, ..)| id).collect())
        }
        Err(e) if e.is(HUB_OFF) => {
            tracing::warn!(account = %e.account, region, error = %e, "Security Hub is not enabled here: its findings wait");
            imports.hub_off.push(region.into());
            (vec![], vec![])
        }
        Err(e) => {
            tracing::error!(outcome = "findings_failed", account = %e.account, region, error_code = %e.code, error = %e, "findings not imported");
            imports.failed.extend(sends.iter().map(|s| Failure {
                region: region.into(),
                id: Some(s.finding.id.clone()),
                code: e.code.clone(),
                message: e.message.clone(),
            }));
            (vec![], vec![])
        }
    }
}
