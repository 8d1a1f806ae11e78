//! An account leaving governance, found by any run (its move event, any
//! event that finds it exempt, a sweep): judged against the rows the table
//! recorded for it (`crate::domain::governance` decides), claimed once in the table
//! (`store::governance`), and kept as the departure `status` shows. An
//! account governed again loses its departure, so the next one is told.

use serde_json::Value;

use super::Ctx;
use crate::domain::governance::{self, Departure, Now, RecordedRow};
use crate::domain::job::Job;
use crate::domain::known::{Known, Snapshot};
use crate::domain::nodes::Readiness;
use crate::domain::policy::Standing;
use crate::domain::preferences::RunAs;
use crate::domain::trigger::{TriggerKind, DOCUMENT_NAME};

/// The account's rows, as [`governance`] reads them.
pub fn recorded_rows(rows: &Snapshot, account: &str) -> Vec<RecordedRow> {
    let mut slots = rows.slots(account);
    slots.sort();
    slots
        .iter()
        .filter_map(|slot| Some(recorded_row(slot, rows.get(account, slot)?)))
        .collect()
}

fn recorded_row(slot: &str, k: &Known) -> RecordedRow {
    let (region, document) = match slot.split_once("#DOCUMENT#") {
        Some((r, d)) => (r.to_string(), d.to_string()),
        None => (slot.to_string(), DOCUMENT_NAME.to_string()),
    };
    let enabled = k.observed_enabled.as_deref().map(|e| match e {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        other => Value::String(other.to_string()),
    });
    let seen = k.observed_user.is_some() || enabled.is_some();
    let nodes = k.nodes.as_deref().and_then(Readiness::from_json);
    RecordedRow {
        region,
        document,
        run_as: seen.then(|| {
            RunAs {
                enabled,
                user: k.observed_user.clone().map(Value::String),
            }
            .short()
        }),
        association_id: nodes.map(|n| n.association_id).filter(|id| !id.is_empty()),
        canary: k.canary.is_some(),
        desired_user: k.desired_user.clone(),
        ou_path: k.ou_path.clone(),
    }
}

/// The departure this run tells, if it is the one: the account is no
/// longer governed, its rows say it was, and no other run recorded its
/// departure first. An account governed now whose rows say it was not
/// (coming back, or new) has its departure removed. `path`: its OU ids,
/// root first; `rows`: what the table recorded of it.
pub async fn departure(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    name: Option<String>,
    path: &[String],
    rows: &Snapshot,
) -> Option<Departure> {
    if job.dry_run {
        return None;
    }
    let recorded = recorded_rows(rows, account);
    if ctx.policy.standing(account, path) == Standing::Governed {
        if !governance::was_governed(&recorded) && rows.may_have_departed(account) {
            if let Err(e) = ctx.state.governed_again(account).await {
                tracing::warn!(account, error_code = %e.code, error = %e, "a departure not cleared; the account's next departure may go untold");
            }
        }
        return None;
    }
    let names = ctx.org.path_names(account, path).await;
    let d = judged(ctx, job, account, name, path, &names, &recorded)?;
    match ctx.state.claim_departure(&d).await {
        Ok(true) => {
            tracing::warn!(outcome = "account_left_governance", account, why = %d.describe(), "an account left governance");
            Some(d)
        }
        Ok(false) => None,
        Err(e) => {
            // Better a repeated alert than a silent one.
            tracing::warn!(account, error_code = %e.code, error = %e, "cannot tell whether this departure was told; telling it");
            Some(d)
        }
    }
}

/// The departure, when this is one (no AWS call: what the run read).
fn judged(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    name: Option<String>,
    path: &[String],
    names: &str,
    recorded: &[RecordedRow],
) -> Option<Departure> {
    let t = &job.trigger;
    let moved = t.kind == TriggerKind::AccountMoved;
    let now = Now {
        standing: ctx.policy.standing(account, path),
        path_names: Some(names).filter(|n| !n.is_empty()),
        moved_by_event: moved,
    };
    let from = governance::recorded_path(recorded);
    let cause = governance::cause(governance::was_governed(recorded), from, &now)?;
    let (reason, exempt_ou) = governance::reason(ctx.policy, account, path)?;
    let check = ctx.policy.check_document.as_deref();
    Some(Departure {
        account: account.to_string(),
        name,
        reason,
        cause,
        found_by: t.kind.as_str().to_string(),
        trigger_id: t.event_id.clone(),
        at: crate::domain::clock::iso(crate::domain::clock::now()),
        from_path: from.map(str::to_string),
        to_path: now.path_names.map(str::to_string),
        from_ou: t.context.from_ou.clone().filter(|_| moved),
        to_ou: path.last().cloned(),
        exempt_ou,
        actor: t.actor.as_ref().map(|a| a.arn.clone()).filter(|_| moved),
        left_in_place: governance::left_in_place(recorded, check, reason),
    })
}
