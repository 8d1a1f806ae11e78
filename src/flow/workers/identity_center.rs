//! The declared Identity Center mapping (`[identity_center]`), looked at on
//! an `aws.sso` access-control event about its instance and on every sweep:
//! recorded, told once per change (`identity_center_drift`, before/after),
//! and in enforce put back once. With the hub's own credentials: the hub
//! runs where Identity Center is administered. One look reads and decides
//! (`domain::identity_center`, pure), tells, then puts back: the alert is
//! kept before the write, so a crash after it cannot lose the alert.

use serde_json::{json, Value};

use crate::adapters::aws::identity_center::{discover, AttributeMapping, Instance};
use crate::adapters::store::identity_center::{before_json, Look, MappingState};
use crate::domain::alert::{self, Alert, IdentityCenterDrift};
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::identity_center::{
    changes, plan, Declared, KeepMode, Kept, Mapping, MappingStore, News, Plan, Turn,
};
use crate::domain::job::Job;
use crate::domain::records::HistoryRow;
use crate::flow::account::{alerted, Ctx};
use crate::flow::outbox::keep_first;
use crate::flow::services::Services;

/// What one look came to, for the outcome, the sweep's summary and the log.
pub struct Looked {
    pub instance: String,
    pub kept: Kept,
    pub alert: Option<Alert>,
    /// What Security Hub CSPM answered the alert's finding (none where
    /// findings are off, nothing was told, or the account is not governed).
    pub findings: Option<crate::domain::security_hub::Imports>,
}

impl Looked {
    pub fn reason(&self) -> String {
        let keys: Vec<&str> = self.kept.changes.iter().map(|c| c.key.as_str()).collect();
        match self.kept.status() {
            "compliant" => format!(
                "Identity Center {} holds the declared mapping",
                self.instance
            ),
            status => format!(
                "Identity Center {} differs from the declared mapping ({}): {status}{}",
                self.instance,
                keys.join(", "),
                if self.alert.is_some() {
                    ", alerted"
                } else {
                    ", already told"
                }
            ),
        }
    }

    pub fn json(&self) -> Value {
        json!({
            "instance": self.instance,
            "status": self.kept.status(),
            "found": self.kept.found.json(),
            "changes": self.kept.changes,
            "restored": self.kept.restored.is_some(),
            "alerted": self.alert.is_some(),
            "security_hub": self.findings,
        })
    }
}

/// What the outcome and the sweep's summary say of a look that failed.
pub fn failed_json(e: &AwsError) -> Value {
    json!({"status": "failed", "error_code": e.code, "error": e.to_string()})
}

/// Looks at the mapping; `event_instance` is an event's instance: `None`
/// back when it is another instance than the declared one.
async fn look_at(
    svc: &Services,
    job: &Job,
    declared: &Declared,
    event_instance: Option<&str>,
) -> Result<Option<Looked>, AwsError> {
    let client = svc.sts.identity_center(&declared.region);
    let instance = match &declared.instance_arn {
        Some(arn) => Instance {
            arn: arn.clone(),
            owner: None,
        },
        None => discover(&client, &declared.region).await?,
    };
    if event_instance.is_some_and(|e| e != instance.arn) {
        return Ok(None);
    }
    let t = &job.trigger;
    let store = AttributeMapping {
        client,
        region: declared.region.clone(),
        instance: instance.arn.clone(),
        account: instance
            .owner
            .clone()
            .or(t.account.clone())
            .unwrap_or("-".into()),
    };
    let news = MappingState {
        table: svc.table.clone(),
        instance: instance.arn.clone(),
        trigger_id: t.event_id.clone(),
    };
    let mode = svc.policy.identity_center_mode();
    let kept = look(&store, &news, &declared.attributes, mode, job.dry_run).await?;
    if job.dry_run {
        return Ok(Some(Looked {
            instance: instance.arn,
            kept,
            alert: None,
            findings: None,
        }));
    }
    let alert = match kept.told() {
        Some(before) => Some(told(svc, job, declared, &instance, &kept, before).await?),
        None => None,
    };
    let kept = put_back(&store, &news, &declared.attributes, kept).await?;
    let looked = Looked {
        instance: instance.arn,
        kept,
        alert,
        findings: None,
    };
    record(job, declared, &news, &looked).await?;
    Ok(Some(looked))
}

/// Reads and decides: whether this run tells the drift, and whether it is
/// this run's to put back. Writes nothing to Identity Center; the caller
/// keeps its alert durably, then calls [`put_back`], so a crash after the
/// write cannot lose the alert.
pub async fn look<S: MappingStore, N: News>(
    store: &S,
    news: &N,
    declared: &Mapping,
    mode: KeepMode,
    dry_run: bool,
) -> Result<Kept, AwsError> {
    let read_ms = crate::domain::clock::epoch_millis(crate::domain::clock::now());
    let found = store.read().await?;
    let plan = plan(declared, &found, mode);
    let mut kept = Kept {
        changes: changes(declared, &found),
        found,
        plan,
        turn: None,
        pending: None,
        restored: None,
    };
    if dry_run {
        return Ok(kept);
    }
    let restore = match plan {
        Plan::Keep => {
            news.settle().await?;
            return Ok(kept);
        }
        Plan::Drift(restore) => restore,
    };
    let turn = news
        .swap(&kept.found.canonical(), restore.is_some(), read_ms)
        .await?;
    kept.pending = restore.filter(|_| turn != Turn::Quiet);
    kept.turn = Some(turn);
    Ok(kept)
}

/// Writes the declared mapping back when [`look`] made it this run's.
pub async fn put_back<S: MappingStore, N: News>(
    store: &S,
    news: &N,
    declared: &Mapping,
    mut kept: Kept,
) -> Result<Kept, AwsError> {
    let Some(how) = kept.pending.take() else {
        return Ok(kept);
    };
    store.restore(how, declared).await?;
    kept.restored = Some(how);
    if let Err(e) = news.restored(&kept.found.canonical()).await {
        // The mapping is back; the next look settles the record.
        tracing::warn!(error_code = %e.code, error = %e, "cannot record that the mapping was put back");
    }
    Ok(kept)
}

/// The drift's alert, kept in the outbox before anything is written (a
/// crash after the write must not lose it), with its history row.
async fn told(
    svc: &Services,
    job: &Job,
    declared: &Declared,
    instance: &Instance,
    kept: &Kept,
    before: Option<&str>,
) -> Result<Alert, AwsError> {
    let t = &job.trigger;
    let account = match instance.owner.clone().or(t.account.clone()) {
        Some(a) => a,
        None => svc.sts.caller_account().await?,
    };
    let at = clock::now();
    let alert = alert::identity_center_drift(
        &IdentityCenterDrift {
            account: &account,
            region: &declared.region,
            instance: &instance.arn,
            before: before_json(before),
            after: kept.found.json(),
            declared: json!(declared.attributes),
            changes: &kept.changes,
            put_back: kept.pending.is_some(),
        },
        t,
        &clock::iso(at),
    );
    let row = history_row(&account, declared, instance, kept, before, t);
    tracing::warn!(outcome = "identity_center_drift", instance = %instance.arn, changes = kept.changes.len(), put_back = kept.pending.is_some(), "Identity Center mapping differs from the declaration");
    if !keep_first(
        &svc.receipts,
        &svc.alerts,
        &job.owner,
        (std::slice::from_ref(&alert), &Default::default()),
    )
    .await
        && kept.pending.is_some()
    {
        return Err(AwsError {
            operation: "PutItem",
            account,
            region: svc.table.region.clone(),
            code: "OutboxUnavailable".into(),
            message:
                "the drift's alert could not be kept; the mapping is not put back before it is"
                    .into(),
        });
    }
    svc.state.add_history(&[row], at).await?;
    Ok(alert)
}

fn history_row(
    account: &str,
    declared: &Declared,
    instance: &Instance,
    kept: &Kept,
    before: Option<&str>,
    t: &crate::domain::trigger::Trigger,
) -> HistoryRow {
    let id = instance.arn.rsplit('/').next().unwrap_or_default();
    HistoryRow {
        account: account.to_string(),
        region: declared.region.clone(),
        document: Some(format!("IdentityCenter:{id}")),
        status: if kept.pending.is_some() {
            "reverted"
        } else {
            "noncompliant"
        }
        .into(),
        action: t.event_name.clone().unwrap_or_else(|| "sweep".into()),
        before: before_json(before),
        after: kept.found.json(),
        actor: t.actor.as_ref().map(|a| a.arn.clone()),
        trigger_id: t.event_id.clone(),
        trigger_kind: t.kind.as_str().into(),
        versions_before: None,
        version_after: None,
    }
}

async fn record(
    job: &Job,
    declared: &Declared,
    news: &MappingState,
    looked: &Looked,
) -> Result<(), AwsError> {
    let t = &job.trigger;
    let look = Look {
        status: looked.kept.status(),
        observed: looked.kept.found.canonical(),
        declared: declared.attributes.canonical(),
        trigger_id: &t.event_id,
        trigger_kind: t.kind.as_str(),
        actor: t.actor.as_ref().map(|a| a.arn.as_str()),
        error: None,
    };
    news.record(&look, clock::now()).await
}

/// [`look_at`], and what its result says of a failing spell: its end
/// logged once, or the failure told once per transition (`Err`: the error,
/// and the alert when it is news). A drift this look told is a finding
/// too, sent by this look alone (`account::alerted::identity_center`):
/// whichever found it, its event or a sweep, only the look that decided the
/// alert has it.
pub async fn look_told(
    svc: &Services,
    ctx: &Ctx<'_>,
    job: &Job,
    declared: &Declared,
    event_instance: Option<&str>,
) -> Result<Option<Looked>, (AwsError, Option<Alert>)> {
    match look_at(svc, job, declared, event_instance).await {
        Ok(mut looked) => {
            look_ran(svc, job).await;
            if let Some(l) = looked.as_mut() {
                if let Some(alert) = &l.alert {
                    l.findings = alerted::identity_center(ctx, job, alert).await;
                }
            }
            Ok(looked)
        }
        Err(e) => {
            let told = look_failed(svc, job, declared, &e).await;
            Err((e, told))
        }
    }
}

/// A look that could not run: told once per transition (another code is a
/// new one); the run's own outcome still says it failed.
async fn look_failed(
    svc: &Services,
    job: &Job,
    declared: &Declared,
    e: &AwsError,
) -> Option<Alert> {
    tracing::error!(outcome = "identity_center_failed", error_code = %e.code, error = %e, "cannot look at the Identity Center mapping");
    if job.dry_run {
        return None;
    }
    match crate::adapters::store::identity_center_look::failed(&svc.table, &e.code).await {
        Ok(true) => {}
        Ok(false) => return None,
        Err(store) => {
            tracing::warn!(error_code = %store.code, error = %store, "cannot record the failed look; telling it anyway");
        }
    }
    let account = match job.trigger.account.clone() {
        Some(a) => a,
        None => svc
            .sts
            .caller_account()
            .await
            .unwrap_or_else(|_| "-".into()),
    };
    let at = clock::iso(clock::now());
    Some(alert::identity_center_failed(
        &account,
        &declared.region,
        &e.code,
        &e.to_string(),
        &job.trigger,
        &at,
    ))
}

/// A look that ran: the end of a failing spell is logged once.
async fn look_ran(svc: &Services, job: &Job) {
    if job.dry_run {
        return;
    }
    match crate::adapters::store::identity_center_look::ran(&svc.table).await {
        Ok(true) => tracing::info!(
            outcome = "identity_center_recovered",
            "the Identity Center mapping can be looked at again"
        ),
        Ok(false) => {}
        Err(e) => {
            tracing::warn!(error_code = %e.code, error = %e, "cannot record that the look ran")
        }
    }
}

#[cfg(test)]
#[path = "identity_center_tests.rs"]
mod tests;
