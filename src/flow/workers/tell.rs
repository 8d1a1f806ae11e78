//! The account worker's last step: its account's alerts decided (a
//! departure beside them), its re-attempt scheduled, the alerts named, and
//! the work handed back for the wrapper to record and publish.

use crate::adapters::aws::sts::MemberSession;
use crate::domain::alert::{self, Facts, Per};
use crate::domain::clock;
use crate::domain::governance::Departure;
use crate::domain::job::Job;
use crate::domain::outcome::{failure_summary, Outcome};
use crate::flow::account::{self, Ctx};
use crate::flow::services::Services;
use crate::flow::work::{Home, Work};
use crate::flow::workers::pending;

/// The account's alerts decided (a departure beside them), its re-attempt
/// scheduled, the alerts named (the sessions of the windows they tell
/// read in the account's `session`), and the work handed back.
pub(super) async fn told(
    svc: &Services,
    ctx: &Ctx<'_>,
    job: &Job,
    (per, left, session): (Per, Option<Departure>, Option<&MemberSession>),
    mut acct: account::Uncommitted,
) -> Work {
    let at = clock::iso(clock::now());
    let reverts = acct.reverts_last_hour(job);
    let facts = Facts {
        trigger: &job.trigger,
        expected_editor: job
            .trigger
            .actor
            .as_ref()
            .is_some_and(|a| svc.policy.is_expected_editor(&a.arn)),
        reverts_last_hour: &reverts,
        new_drift: &acct.new_drift,
        new_missing: &acct.new_missing,
        resumed: job.retried,
        at: &at,
    };
    // What the policy changed is the sweep summary's, not drift.
    let mut alerts = alert::not_drift(&acct.report, alert::decide(&acct.report, per, &facts));
    alerts.extend(
        left.as_ref()
            .map(|d| alert::account_left_governance(d, &job.trigger, &at)),
    );
    acct.report.left_governance = left;
    pending::follow_up(svc, job, &acct.report).await;
    let (name, path) = (acct.report.name.clone(), acct.report.ou_path.clone());
    let alerts = account::sessions::listed(ctx, job, session, alerts).await;
    let findings = account::alerted::sent(ctx, job, session, &alerts).await;
    crate::domain::security_hub::Imports::join(&mut acct.report.security_hub, findings);
    let alerts = account::named::about(ctx, &acct.report.account, name, path, alerts).await;
    let unnamed = unnamed_reason(&acct.report);
    let failed = acct.report.failed() || unnamed.is_some();
    let reason = match (acct.report.failed(), unnamed) {
        (true, _) => failure_summary(std::slice::from_ref(&acct.report)),
        (false, Some(why)) => why,
        (false, None) => pending::summary(&acct.report).unwrap_or_default(),
    };
    Work {
        outcome: Outcome {
            reason,
            accounts: vec![acct.report.clone()],
            ..Outcome::default()
        },
        alerts,
        uncommitted: vec![acct],
        failed,
        home: Home::Claim,
    }
}

/// A row whose own event's editor could not be named (who told its
/// versions unread, `own_naming`): the work fails, so the event's retry
/// names them, and says why.
fn unnamed_reason(report: &crate::domain::outcome::AccountReport) -> Option<String> {
    let (region, code) = report
        .regions
        .iter()
        .find_map(|o| Some((&o.region, o.naming_unread.as_ref()?)))?;
    Some(format!(
        "who told this event's versions in {region} could not be read ({code}): retried, to name its editor"
    ))
}
