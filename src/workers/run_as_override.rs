//! Run As decided outside the document (an `SSMSessionRunAs` tag or
//! Identity Center attribute): recorded in the account's history and
//! alerted. Nothing to reconcile: the tag or attribute is not runas-guard's
//! to remove (the optional SCP prevents it).

use serde_json::Value;

use crate::account::{self, Ctx};
use crate::alert::{self, TagNow};
use crate::aws::principal_tags::run_as_tag;
use crate::clock;
use crate::job::Job;
use crate::outcome::Outcome;
use crate::records::HistoryRow;
use crate::services::Services;
use crate::trigger::RUN_AS_TAG;
use crate::work::Work;

pub async fn on_override(svc: &Services, ctx: &Ctx<'_>, job: &Job, mut outcome: Outcome) -> Work {
    let t = &job.trigger;
    let account = t.account.clone().unwrap_or_default();
    let expected = t
        .actor
        .as_ref()
        .is_some_and(|a| svc.policy.is_expected_editor(&a.arn));
    let now = confirm(ctx, job, &account).await;
    let at = clock::now();
    let alert = alert::run_as_override(&account, t, expected, now.as_ref(), &clock::iso(at));
    let row = HistoryRow {
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
    };
    if let Err(e) = svc.state.add_history(&[row], at).await {
        return Work::error(outcome, &e);
    }
    outcome.reason = match &now {
        Some(TagNow::Removed) => format!("{} (the tag was already removed)", t.reason),
        Some(TagNow::PrincipalGone) => format!("{} (the principal no longer exists)", t.reason),
        Some(TagNow::Present(v)) => format!("{} (confirmed: {RUN_AS_TAG}={v:?})", t.reason),
        _ => t.reason.clone(),
    };
    Work {
        alerts: vec![alert],
        ..Work::answered(outcome)
    }
}

/// An IAM tag event's principal, read now: events arrive late and out of
/// order, and the tag may be gone. A read that fails is said, never fatal:
/// the alert goes out either way. `None` for Identity Center events and
/// exempt accounts.
async fn confirm(ctx: &Ctx<'_>, job: &Job, account: &str) -> Option<TagNow> {
    let t = &job.trigger;
    if t.source != "aws.iam" || ctx.policy.is_exempt(account) {
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
