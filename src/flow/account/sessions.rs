//! The sessions started in each window an account's alerts tell
//! (`domain::alert::sessions`): read only when a window is told (never on
//! a quiet run), one page of each `State` per alert, all alerts at once; a
//! read that fails is said in the alert (its code), never the alert lost.

use tokio::task::JoinSet;

use super::Ctx;
use crate::adapters::aws::sessions::SessionHistory;
use crate::adapters::aws::ssm::DocumentStore;
use crate::adapters::aws::sts::MemberSession;
use crate::domain::alert::sessions::{self, Asked, Place, Told};
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
    for (i, mut alert) in alerts.into_iter().enumerate() {
        for (place, asked) in sessions::asks(&alert) {
            // Its finding's read this run: the same sessions, not read again.
            if let Some(told) = ctx.sessions_read.find(&session.account, &asked) {
                alert = sessions::tell_at(alert, place, told);
                continue;
            }
            let (session, slots) = (session.clone(), ctx.region_slots.clone());
            reads.spawn(async move {
                let _slot = slots.acquire_owned().await.expect("semaphore never closes");
                let told = read(&session, &asked).await;
                (i, place, asked, told)
            });
        }
        // Kept as decided until its listings are in: a task that dies
        // leaves the alert without one, never without the alert.
        out.push(alert);
    }
    while let Some(joined) = reads.join_next().await {
        match joined {
            Ok((i, place, asked, told)) => {
                ctx.sessions_read.keep(&session.account, asked, &told);
                out[i] = sessions::tell_at(out[i].clone(), place, told);
            }
            // A bug, not an AWS answer: the alert goes as decided.
            Err(e) => tracing::error!(error = %e, "session listing task died"),
        }
    }
    out
}

/// `alerts` saying their windows' sessions were not read (`code`: why),
/// when the account could not be entered to read them.
pub fn not_read(alerts: Vec<Alert>, code: &str) -> Vec<Alert> {
    alerts
        .into_iter()
        .map(|a| {
            let places: Vec<Place> = sessions::asks(&a).into_iter().map(|(p, _)| p).collect();
            places.into_iter().fold(a, |a, place| {
                sessions::tell_at(a, place, Told::Unread(code.to_string()))
            })
        })
        .collect()
}

/// What one run read of its windows' sessions, so that a window told by
/// both a finding and an alert (an edit's, a past version's) is read once:
/// whichever asks first reads (the finding, imported while the account's
/// regions are judged, before its alerts are decided), and the other takes
/// that answer, the listing or the read's failure. Lives as long as the
/// run's [`Ctx`]; holds only the windows told, which a run has few of.
#[derive(Default)]
pub struct Read(std::sync::Mutex<Vec<(String, Asked, Told)>>);

impl Read {
    /// What was read of `asked`'s windows in `account`, if they were.
    pub(super) fn find(&self, account: &str, asked: &Asked) -> Option<Told> {
        let read = self.0.lock().unwrap_or_else(|p| p.into_inner());
        read.iter()
            .find(|(a, k, _)| a == account && k.same_windows(asked))
            .map(|(_, _, told)| told.clone())
    }

    /// Keeps what a read of `asked`'s windows in `account` came to.
    pub(super) fn keep(&self, account: &str, asked: Asked, told: &Told) {
        let mut read = self.0.lock().unwrap_or_else(|p| p.into_inner());
        read.push((account.to_string(), asked, told.clone()));
    }
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
