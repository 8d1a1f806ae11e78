//! `[session_documents] sweep`: every customer `Session` document of an
//! account's governed regions, read for ones that skip Run As; each one not
//! yet told is alerted (`run_as_bypass`, the same mark as the event's, so an
//! event and a sweep tell one change once), and the mark of one found gone
//! or keeping Run As is cleared, so its next bypass is news. AWS's own
//! documents are never findings.

use crate::account::{self, Ctx};
use crate::alert::{self, Alert};
use crate::aws::session_documents::SessionDocuments;
use crate::aws::sts::MemberSession;
use crate::aws::AwsError;
use crate::bypass::aws_owned;
use crate::clock;
use crate::job::Job;
use crate::workers::session_document::{account_user, bypassing, fingerprint};

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
    let Ok(user) = account_user(ctx, account).await? else {
        return Ok(found);
    };
    // The sweep's session in the account, when it has one.
    let session = match session {
        Some(s) => s,
        None => account::assume(ctx, job, account).await?,
    };
    let governed = ctx.policy.document_names();
    let marks = ctx.state.bypass_marks(account).await?;
    let mut seen = Vec::new();
    for region in regions {
        let docs = SessionDocuments::new(session.ssm(region), account, region);
        for name in docs.list_session().await? {
            if governed.contains(&name.as_str()) || aws_owned(&name) {
                continue;
            }
            let Some(versions) = bypassing(&docs, &name, &user)
                .await?
                .filter(|v| !v.is_empty())
            else {
                continue;
            };
            let slot = format!("{region}#{name}");
            seen.push(slot.clone());
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
    // Told documents now gone or keeping Run As: their next bypass is news.
    for slot in marks.iter().filter(|m| !seen.contains(m)) {
        ctx.state.clear_bypass(account, slot).await?;
    }
    Ok(found)
}
