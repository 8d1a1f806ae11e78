//! The sessions started in each window an account's alerts tell
//! (`domain::alert::sessions`): read only when a window is told (never on
//! a quiet run), one page of each `State` per alert, all alerts at once; a
//! read that fails is said in the alert (its code), never the alert lost.

use tokio::task::JoinSet;

use super::Ctx;
use crate::adapters::aws::sessions::SessionHistory;
use crate::adapters::aws::ssm::DocumentStore;
use crate::adapters::aws::sts::MemberSession;
use crate::domain::alert::sessions::{self, Asked, Told};
use crate::domain::alert::Alert;
use crate::domain::job::Job;

/// `alerts` with the sessions started in their windows, read in the
/// account's `session`. A dry run reads none (the operator's seat is not
/// granted the history, and nothing is told).
pub async fn listed(
    ctx: &Ctx<'_>,
    job: &Job,
    session: Option<&MemberSession>,
    alerts: Vec<Alert>,
) -> Vec<Alert> {
    let Some(session) = session.filter(|_| !job.dry_run) else {
        return alerts;
    };
    let mut reads = JoinSet::new();
    let mut out: Vec<Alert> = Vec::with_capacity(alerts.len());
    for (i, alert) in alerts.into_iter().enumerate() {
        let Some(asked) = sessions::asked(&alert) else {
            out.push(alert);
            continue;
        };
        // Kept as decided until its listing is in: a task that dies
        // leaves the alert without one, never without the alert.
        out.push(alert.clone());
        let (session, slots) = (session.clone(), ctx.region_slots.clone());
        reads.spawn(async move {
            let _slot = slots.acquire_owned().await.expect("semaphore never closes");
            let told = read(&session, &asked).await;
            (i, sessions::tell(alert, told))
        });
    }
    while let Some(joined) = reads.join_next().await {
        match joined {
            Ok((i, alert)) => out[i] = alert,
            // A bug, not an AWS answer: the alert goes as decided.
            Err(e) => tracing::error!(error = %e, "session listing task died"),
        }
    }
    out
}

/// The windows' sessions (an alert's, or an event finding's: the same
/// windows asked the same way): the making of the version found first, when the
/// window opens there; then one page of each state.
pub(super) async fn read(session: &MemberSession, asked: &Asked) -> Told {
    let (account, region) = (session.account.as_str(), asked.region.as_str());
    let made_at = match &asked.made {
        Some(version) => {
            let docs = DocumentStore::named(session.ssm(region), account, region, &asked.document);
            match docs.past(version).await {
                Ok(found) => found.and_then(|(_, created)| created),
                Err(e) => return unread(account, region, &e),
            }
        }
        None => None,
    };
    let spans = match asked.spans(made_at.as_deref()) {
        Ok(spans) => spans,
        Err(code) => {
            tracing::warn!(account, region, error_code = %code, "the window's opening is not known: its sessions are not listed");
            return Told::Unread(code);
        }
    };
    let history = SessionHistory::new(session.ssm(region), account, region);
    match history.started(&spans.ask()).await {
        Ok(read) => Told::Listed(spans.clone(), crate::domain::sessions::select(&spans, read)),
        Err(e) => unread(account, region, &e),
    }
}

fn unread(account: &str, region: &str, e: &crate::domain::aws_error::AwsError) -> Told {
    tracing::warn!(account, region, operation = e.operation, error_code = %e.code, error = %e, "the sessions of a told window could not be read; the alert says so");
    Told::Unread(e.code.clone())
}
