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
use crate::domain::policy::Standing;
use crate::domain::security_hub::{self, Imports, Place, Send};

/// How a run's alerts become findings: each alert's, in an account-region.
type Findings = fn(Place<'_>, &Alert, &str, i64) -> Vec<Send>;

/// `alerts`' findings imported; `None` when the policy does not ask for
/// findings, for a dry run, and when no alert is a security event.
pub async fn sent(
    ctx: &Ctx<'_>,
    job: &Job,
    session: Option<&MemberSession>,
    alerts: &[Alert],
) -> Option<Imports> {
    imported_as(ctx, job, session, alerts, security_hub::alerted).await
}

/// A dead run's revert, found at the commit (rare: a run that died between
/// its write and its record), is its own alert, with its window's sessions
/// listed now, and its own finding, from that listing: told once, by the
/// run whose record found it.
pub async fn at_commit(
    ctx: &Ctx<'_>,
    job: &Job,
    session: Option<&MemberSession>,
    adopted: Vec<Alert>,
) -> (Vec<Alert>, Option<Imports>) {
    // An event's record has no session at hand (a sweep's has the
    // account's): one is made for the account the put-backs are about.
    let made = match (session, one_account(&adopted)) {
        (None, Some(account)) if !job.dry_run => Some(super::assume(ctx, job, account).await),
        _ => None,
    };
    let adopted = match &made {
        Some(Err(e)) => {
            tracing::warn!(error_code = %e.code, error = %e, "cannot enter the account to list a put-back's sessions; its alert says they were not read");
            super::sessions::not_read(adopted, &e.code)
        }
        Some(Ok(made)) => super::sessions::listed(ctx, job, Some(made), adopted).await,
        None => super::sessions::listed(ctx, job, session, adopted).await,
    };
    let session = session.or(made.as_ref().and_then(|m| m.as_ref().ok()));
    let found = put_back(ctx, job, session, &adopted).await;
    (adopted, found)
}

/// The one account all of `alerts` are about (none when they are about
/// several, or there are none): a session lists only its own account's.
fn one_account(alerts: &[Alert]) -> Option<&str> {
    let first = alerts.first()?.account.as_str();
    alerts.iter().all(|a| a.account == first).then_some(first)
}

/// The alerts a run's record found of a dead run's write (its put-back,
/// told now): a `drift_reverted` is the `edit` finding that run's row would
/// have made (`security_hub::put_back`), with the sessions its alert
/// listed; any other security alert as [`sent`] makes it.
async fn put_back(
    ctx: &Ctx<'_>,
    job: &Job,
    session: Option<&MemberSession>,
    alerts: &[Alert],
) -> Option<Imports> {
    let findings: Findings =
        |place, alert, home, now| match security_hub::put_back(place, alert, now) {
            Some(edit) => vec![edit],
            None => security_hub::alerted(place, alert, home, now),
        };
    imported_as(ctx, job, session, alerts, findings).await
}

/// The Identity Center mapping's drift (`identity_center_drift`), decided by
/// the mapping's look (on its event or a sweep), as its finding. Where: the
/// alert's account and region, which are the instance's (its owner, else
/// the account the hub runs in, which the deployment requires to be the one
/// administering Identity Center: the management account or its delegated
/// administrator) and Identity Center's region. Security Hub CSPM takes a
/// custom finding only from the account it is about, and the change is that
/// account's own: a security team looks for it where Identity Center lives,
/// not in every member account its permission sets reach. Imported through
/// that account's member role like every other finding, so only where the
/// policy governs it: an exempt or out-of-scope account is never entered
/// (the alert alone tells the drift, and the log says why no finding).
pub async fn identity_center(ctx: &Ctx<'_>, job: &Job, alert: &Alert) -> Option<Imports> {
    if !ctx.policy.security_hub_findings || job.dry_run {
        return None;
    }
    let account = alert.account.as_str();
    match super::standing(ctx, account).await {
        Ok(Some(Standing::Governed)) => {}
        Ok(standing) => {
            tracing::info!(outcome = "finding_not_imported", account, standing = ?standing, "Identity Center's account is not governed: its drift is told by the alert alone");
            return None;
        }
        Err(e) => {
            tracing::warn!(outcome = "finding_not_imported", account, error_code = %e.code, error = %e, "cannot tell whether Identity Center's account is governed: its drift is told by the alert alone");
            return None;
        }
    }
    sent(ctx, job, None, std::slice::from_ref(alert)).await
}

/// `alerts`' findings as `findings` makes them, imported per account.
async fn imported_as(
    ctx: &Ctx<'_>,
    job: &Job,
    session: Option<&MemberSession>,
    alerts: &[Alert],
    findings: Findings,
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
    for alert in alerts {
        let place = Place {
            partition: ctx.sts.partition(),
            account: &alert.account,
            ou_path: alert.body["ou_path"].as_str(),
            runbook: &runbook,
        };
        let sends = findings(place, alert, home, now);
        if !sends.is_empty() {
            by_account.entry(&alert.account).or_default().extend(sends);
        }
    }
    let mut imports = Imports::default();
    for (account, sends) in by_account {
        imports.merge(in_account(ctx, job, session, account, sends).await);
    }
    (!imports.is_empty()).then_some(imports)
}

/// One account's findings imported in its session (the run's, where it is
/// that account's, else one made now).
async fn in_account(
    ctx: &Ctx<'_>,
    job: &Job,
    session: Option<&MemberSession>,
    account: &str,
    sends: Vec<Send>,
) -> Imports {
    let made;
    let session = match session.filter(|s| s.account == account) {
        Some(s) => s,
        None => match super::assume(ctx, job, account).await {
            Ok(s) => {
                made = s;
                &made
            }
            Err(e) => return super::findings::not_entered(account, &sends, &e),
        },
    };
    let mut imports = Imports::default();
    for (region, sends, answer) in super::findings::imported(ctx, session, sends).await {
        let (taken, _) = super::findings::said(&mut imports, &region, &sends, answer);
        for id in taken {
            tracing::info!(outcome = "finding_imported", account, region = %region, finding = %id, "a security alert's finding imported");
        }
    }
    imports
}
