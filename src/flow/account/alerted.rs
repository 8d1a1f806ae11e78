//! The security alerts a run decided, imported as findings
//! (`domain::security_hub::alerted`) in the member account each is about,
//! in that account's session (the run's own where it has one, else one
//! made now, only when there is something to import). Sent once, by the
//! run that decides the alert: never re-sent, so the security team's
//! workflow stands. A finding not taken is logged and in the run's report;
//! the alert itself is told whatever Security Hub answers.

use super::Ctx;
use crate::adapters::aws::sts::MemberSession;
use crate::domain::alert::Alert;
use crate::domain::clock;
use crate::domain::job::Job;
use crate::domain::security_hub::{self, Imports, Place, Send};

/// `alerts`' findings imported; `None` when the policy does not ask for
/// findings, for a dry run, and when no alert is a security event.
pub async fn sent(
    ctx: &Ctx<'_>,
    job: &Job,
    session: Option<&MemberSession>,
    alerts: &[Alert],
) -> Option<Imports> {
    if !ctx.policy.security_hub_findings || job.dry_run {
        return None;
    }
    let now = clock::epoch_millis(clock::now());
    let runbook = super::findings::runbook();
    // An alert about no region (an IAM tag) is imported in the policy's
    // first region, where the member's hub is expected on.
    let home = ctx
        .policy
        .regions
        .first()
        .map_or("us-east-1", String::as_str);
    let mut by_account: std::collections::BTreeMap<&str, Vec<Send>> = Default::default();
    for alert in alerts
        .iter()
        .filter(|a| security_hub::check_of(a).is_some())
    {
        let place = Place {
            partition: ctx.sts.partition(),
            account: &alert.account,
            ou_path: alert.body["ou_path"].as_str(),
            runbook: &runbook,
        };
        let sends = security_hub::alerted(place, alert, home, now);
        by_account.entry(&alert.account).or_default().extend(sends);
    }
    let mut imports = Imports::default();
    for (account, sends) in by_account {
        let made;
        let session = match session.filter(|s| s.account == account) {
            Some(s) => s,
            None => match super::assume(ctx, job, account).await {
                Ok(s) => {
                    made = s;
                    &made
                }
                Err(e) => {
                    imports.merge(super::findings::not_entered(account, &sends, &e));
                    continue;
                }
            },
        };
        for (region, sends, answer) in super::findings::imported(ctx, session, sends).await {
            let (taken, _) = super::findings::said(&mut imports, &region, &sends, answer);
            for id in taken {
                tracing::info!(outcome = "finding_imported", account, region = %region, finding = %id, "a security alert's finding imported");
            }
        }
    }
    (!imports.is_empty()).then_some(imports)
}
