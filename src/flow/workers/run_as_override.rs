//! Run As decided outside the document (an `SSMSessionRunAs` tag or
//! Identity Center attribute): recorded in the account's history and
//! alerted. Nothing to reconcile: the tag is not runas-guard's to remove
//! (the optional SCP prevents it). An Identity Center event about the
//! instance of a declared mapping (`[identity_center]`) is that mapping's
//! look instead: told once per change, put back in enforce.

use serde_json::Value;

use crate::adapters::aws::principal_tags::run_as_tag;
use crate::domain::alert::{self, TagNow};
use crate::domain::clock;
use crate::domain::job::Job;
use crate::domain::outcome::Outcome;
use crate::domain::policy::Standing;
use crate::domain::records::HistoryRow;
use crate::domain::trigger::RUN_AS_TAG;
use crate::flow::account::{self, Ctx};
use crate::flow::services::Services;
use crate::flow::work::{Stop, Work, Worked};
use crate::flow::workers::identity_center::{failed_json, look_told};

pub async fn on_override(svc: &Services, ctx: &Ctx<'_>, job: &Job) -> Worked {
    let t = &job.trigger;
    let account = t.account.clone().unwrap_or_default();
    if let Some(why) = out_of_scope(ctx, t, &account).await? {
        return Err(Stop::Ignored(why, vec![]));
    }
    let declared = svc
        .policy
        .identity_center
        .as_ref()
        .filter(|_| t.source == "aws.sso");
    let looked = match declared {
        Some(d) => match looked_at(svc, ctx, job, d).await {
            Ok(looked) => looked,
            Err(work) => return Ok(*work),
        },
        None => None,
    };
    let expected = t
        .actor
        .as_ref()
        .is_some_and(|a| svc.policy.is_expected_editor(&a.arn));
    let now = confirm(ctx, job, &account).await;
    let at = clock::now();
    // The declared mapping's own look tells (once per change) instead, and
    // sent its drift's finding.
    let alerts = match &looked {
        Some(l) => l.alert.iter().cloned().collect(),
        None => {
            let told = alert::run_as_override(&account, t, expected, now.as_ref(), &clock::iso(at));
            tag_told(ctx, job, &account, told).await
        }
    };
    let row = history_row(t, account);
    svc.state.add_history(&[row], at).await?;
    let outcome = match &looked {
        Some(l) => Outcome {
            reason: format!("{}: {}", t.reason, l.reason()),
            identity_center: Some(l.json()),
            ..Outcome::default()
        },
        None => Outcome {
            reason: match &now {
                Some(TagNow::Removed) => format!("{} (the tag was already removed)", t.reason),
                Some(TagNow::PrincipalGone) => {
                    format!("{} (the principal no longer exists)", t.reason)
                }
                Some(TagNow::Present(v)) => format!("{} (confirmed: {RUN_AS_TAG}={v:?})", t.reason),
                _ => t.reason.clone(),
            },
            ..Outcome::default()
        },
    };
    Ok(Work {
        outcome,
        alerts,
        ..Work::default()
    })
}

/// A tag's alert, named, and its finding in the member account (logged
/// where not taken).
async fn tag_told(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    told: alert::Alert,
) -> Vec<alert::Alert> {
    let alerts = account::named::about(ctx, account, None, None, vec![told]).await;
    account::alerted::sent(ctx, job, None, &alerts).await;
    alerts
}

/// The declared mapping's look for an `aws.sso` event about its instance. A
/// look that cannot run fails the event (retried) and is told once per
/// transition: that work (`Err`) is the event's.
async fn looked_at(
    svc: &Services,
    ctx: &Ctx<'_>,
    job: &Job,
    declared: &crate::domain::identity_center::Declared,
) -> Result<Option<crate::flow::workers::identity_center::Looked>, Box<Work>> {
    let t = &job.trigger;
    look_told(svc, ctx, job, declared, t.context.principal.as_deref())
        .await
        .map_err(|(e, told)| {
            let mut work = Work::failed(&e);
            work.outcome.identity_center = Some(failed_json(&e));
            work.alerts = told.into_iter().collect();
            Box::new(work)
        })
}

/// Every override event is history, an Identity Center one too (an edit
/// that a put-back overwrote before its own event came is there).
fn history_row(t: &crate::domain::trigger::Trigger, account: String) -> HistoryRow {
    HistoryRow {
        account,
        region: "-".into(),
        document: None,
        status: "run_as_override".into(),
        action: t.event_name.clone().unwrap_or_default(),
        before: Value::Null,
        after: Value::String(t.context.run_as_value.clone().unwrap_or_default()),
        actor: t.actor.as_ref().map(|a| a.arn.clone()),
        trigger_id: t.event_id.clone(),
        trigger_kind: t.kind.as_str().into(),
        versions_before: t.context.principal.clone(),
        version_after: None,
    }
}

/// Why an IAM tag event is not looked at: its account is outside the
/// policy's `[scope]`. (Identity Center's events are the organization's.)
async fn out_of_scope(
    ctx: &Ctx<'_>,
    t: &crate::domain::trigger::Trigger,
    account: &str,
) -> Result<Option<String>, crate::domain::aws_error::AwsError> {
    if t.source != "aws.iam" {
        return Ok(None);
    }
    Ok(match account::standing(ctx, account).await? {
        Some(Standing::OutOfScope) => Some(format!(
            "account {account} is out of scope: outside the policy's [scope]"
        )),
        _ => None,
    })
}

/// An IAM tag event's principal, read now: events arrive late and out of
/// order, and the tag may be gone. A read that fails is said, never fatal:
/// the alert goes out either way. `None` for Identity Center events and
/// exempt accounts.
async fn confirm(ctx: &Ctx<'_>, job: &Job, account: &str) -> Option<TagNow> {
    let t = &job.trigger;
    if t.source != "aws.iam" {
        return None;
    }
    // Its standing was read above (cached for the run): exempt accounts,
    // by id or OU, are never entered.
    if !matches!(
        account::standing(ctx, account).await,
        Ok(Some(Standing::Governed))
    ) {
        return None;
    }
    let principal = t.context.principal.as_deref()?;
    let read = match account::assume(ctx, job, account).await {
        Ok(session) => run_as_tag(&session.iam(), account, principal).await,
        Err(e) => Err(e),
    };
    match read {
        Ok(now) => now,
        Err(e) => {
            tracing::warn!(account, principal, error_code = %e.code, error = %e, "cannot confirm the Run As tag");
            Some(TagNow::Unread(e.code))
        }
    }
}
