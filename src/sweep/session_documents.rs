//! `[session_documents] sweep`: every customer `Session` document of an
//! account's governed regions, read for ones that skip Run As; each one not
//! yet told is alerted (`run_as_bypass`, the same mark as the event's, so an
//! event and a sweep tell one change once).

use crate::account::{self, Ctx};
use crate::alert::{self, Alert};
use crate::aws::session_documents::SessionDocuments;
use crate::aws::sts::MemberSession;
use crate::aws::AwsError;
use crate::clock;
use crate::job::Job;
use crate::workers::session_document::{elevated_in, fingerprint};

/// What one account's documents came to: the alerts to deliver.
#[derive(Default)]
pub(super) struct Found {
    pub alerts: Vec<Alert>,
}

pub(super) async fn look(
    ctx: &Ctx<'_>,
    job: &Job,
    session: Option<MemberSession>,
    account: &str,
    regions: &[String],
) -> Result<Found, AwsError> {
    let mut found = Found::default();
    if !ctx.policy.sweep_session_documents || job.dry_run {
        return Ok(found);
    }
    // The sweep's session in the account, when it has one.
    let session = match session {
        Some(s) => s,
        None => account::assume(ctx, job, account).await?,
    };
    let governed = ctx.policy.document_names();
    for region in regions {
        let docs = SessionDocuments::new(session.ssm(region), account, region);
        for name in docs.list_session().await? {
            if governed.contains(&name.as_str()) {
                continue;
            }
            let Some(versions) = elevated_in(&docs, &name).await?.filter(|v| !v.is_empty()) else {
                continue;
            };
            let slot = format!("{region}#{name}");
            let t = &job.trigger;
            if ctx
                .state
                .claim_bypass(account, &slot, &fingerprint(&versions), &t.event_id)
                .await?
            {
                let at = clock::iso(clock::now());
                found.alerts.push(alert::run_as_bypass(
                    account, region, &name, &versions, t, &at,
                ));
            }
        }
    }
    Ok(found)
}
