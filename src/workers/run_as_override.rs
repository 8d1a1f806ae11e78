//! Run As decided outside the document (an `SSMSessionRunAs` tag or
//! Identity Center attribute): recorded in the account's history and
//! alerted. Nothing to reconcile: the tag or attribute is not runas-guard's
//! to remove (the optional SCP prevents it).

use serde_json::Value;

use crate::alert;
use crate::clock;
use crate::job::Job;
use crate::outcome::Outcome;
use crate::records::HistoryRow;
use crate::services::Services;
use crate::work::Work;

pub async fn on_override(svc: &Services, job: &Job, mut outcome: Outcome) -> Work {
    let t = &job.trigger;
    let account = t.account.clone().unwrap_or_default();
    let expected = t
        .actor
        .as_ref()
        .is_some_and(|a| svc.policy.is_expected_editor(&a.arn));
    let at = clock::now();
    let alert = alert::run_as_override(&account, t, expected, &clock::iso(at));
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
    outcome.reason = t.reason.clone();
    Work {
        alerts: vec![alert],
        ..Work::answered(outcome)
    }
}
