//! The sessions of the windows an account's event findings tell (`edit`,
//! `window`), read in the account's own session before they are imported
//! (`domain::security_hub::sessions`): the regions at once, only where such
//! a finding is news (never on a quiet run). A read that fails is named in
//! the finding, never the finding lost. What was read is kept for the run
//! (`sessions::Read`): the alert of the same window takes it, so a run
//! lists each window's sessions once, and the alert and the finding of one
//! fact name the same sessions.

use tokio::task::JoinSet;

use super::Ctx;
use crate::adapters::aws::sts::MemberSession;
use crate::domain::alert::sessions::event_made;
use crate::domain::clock;
use crate::domain::job::Job;
use crate::domain::outcome::AccountReport;
use crate::domain::security_hub::{sessions, Send};
use crate::domain::version_gap;

/// `sends` with each event finding's sessions listed.
pub(super) async fn listed(
    ctx: &Ctx<'_>,
    job: &Job,
    session: &MemberSession,
    report: &AccountReport,
    mut sends: Vec<Send>,
) -> Vec<Send> {
    let now = clock::iso(clock::now());
    // The edit's own event says when its window opened, where it says.
    let edit_from = job
        .trigger
        .context
        .event_time
        .as_deref()
        .filter(|_| job.trigger.names_editor());
    let (mut reads, mut known) = (JoinSet::new(), vec![]);
    for (i, s) in sends.iter().enumerate() {
        let Some(o) = report.regions.iter().find(|o| o.slot() == s.slot) else {
            continue;
        };
        // As the alert asks (`alert::sessions::event_made`).
        let event = version_gap::event_version(&job.trigger, &o.region, o.document_name());
        let found = match (&o.named, &o.versions_before) {
            (Some(named), _) => named.mark.version.as_deref(),
            (None, Some(v)) if o.pending => Some(v.latest.as_str()),
            (None, v) => v.as_ref().map(|v| v.default.as_str()),
        };
        let from = edit_from.filter(|_| event_made(event.as_deref(), found));
        let Some(asked) = sessions::asked(&s.finding, o, from, &now) else {
            continue;
        };
        if let Some(told) = ctx.sessions_read.find(&session.account, &asked) {
            known.push((i, told));
            continue;
        }
        let (session, slots) = (session.clone(), ctx.region_slots.clone());
        reads.spawn(async move {
            let _slot = slots.acquire_owned().await.expect("semaphore never closes");
            let told = super::sessions::read(&session, &asked).await;
            (i, asked, told)
        });
    }
    for (i, told) in known {
        let f = sends[i].finding.clone();
        sends[i].finding = sessions::listed(f, &told);
    }
    while let Some(joined) = reads.join_next().await {
        match joined {
            Ok((i, asked, told)) => {
                ctx.sessions_read.keep(&session.account, asked, &told);
                let f = sends[i].finding.clone();
                sends[i].finding = sessions::listed(f, &told);
            }
            // A bug, not an AWS answer: the finding goes without its list.
            Err(e) => tracing::error!(error = %e, "finding session listing task died"),
        }
    }
    sends
}
