//! Another `Session` document was written in a governed account-region:
//! read it (CloudTrail never shows content) and alert `run_as_bypass` when
//! its default or latest version opens sessions that skip Run As. Detection
//! only: the document is the account's, never deleted or changed.

use crate::account::{self, Ctx};
use crate::alert::{self, Elevated};
use crate::aws::session_documents::{Described, SessionDocuments};
use crate::aws::AwsError;
use crate::bypass::elevated_platforms;
use crate::clock;
use crate::job::Job;
use crate::outcome::Outcome;
use crate::policy::Standing;
use crate::services::Services;
use crate::work::Work;

pub async fn on_session_document(
    svc: &Services,
    ctx: &Ctx<'_>,
    job: &Job,
    mut outcome: Outcome,
) -> Work {
    let t = &job.trigger;
    let (account, region, document) = (
        t.account.clone().unwrap_or_default(),
        t.region.clone().unwrap_or_default(),
        t.context.document.clone().unwrap_or_default(),
    );
    match not_ours(svc, ctx, &account, &region).await {
        Ok(Some(why)) => return Work::ignored(outcome, why),
        Ok(None) => {}
        Err(e) => return Work::error(outcome, &e),
    }
    let found = match elevated_versions(ctx, job, &account, &region, &document).await {
        Ok(found) => found,
        Err(e) => return Work::error(outcome, &e),
    };
    let Some(versions) = found.filter(|v| !v.is_empty()) else {
        outcome.reason = format!("{document} in {account} {region} cannot skip Run As");
        return Work::answered(outcome);
    };
    // One change can come as several events (update, then default): the
    // same elevated versions are told once.
    let fingerprint = fingerprint(&versions);
    let slot = format!("{region}#{document}");
    match svc
        .state
        .claim_bypass(&account, &slot, &fingerprint, &t.event_id)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            outcome.reason = format!("{document} skips Run As; already alerted for these versions");
            return Work::answered(outcome);
        }
        Err(e) => return Work::error(outcome, &e),
    }
    tracing::warn!(
        outcome = "run_as_bypass",
        account,
        region,
        document,
        "a session document skips Run As"
    );
    outcome.reason = format!("{document} in {account} {region} opens sessions that skip Run As");
    let at = clock::iso(clock::now());
    let told = alert::run_as_bypass(&account, &region, &document, &versions, t, &at);
    Work {
        alerts: account::named::about(ctx, &account, None, None, vec![told]).await,
        ..Work::answered(outcome)
    }
}

/// Which versions skip Run As on what: the same set is the same news.
pub fn fingerprint(versions: &[Elevated]) -> String {
    versions
        .iter()
        .map(|v| format!("{}:{}", v.version, v.platforms.join("+")))
        .collect::<Vec<_>>()
        .join(",")
}

/// Why this account-region is not looked at, if it is not.
async fn not_ours(
    svc: &Services,
    ctx: &Ctx<'_>,
    account: &str,
    region: &str,
) -> Result<Option<String>, AwsError> {
    if !svc.policy.governs_region(region) {
        return Ok(Some(format!(
            "region {region} is not governed by the policy"
        )));
    }
    Ok(match account::standing(ctx, account).await? {
        Some(Standing::Governed) => None,
        Some(Standing::Exempt) => Some(format!("account {account} is exempt")),
        Some(Standing::OutOfScope) => Some(format!(
            "account {account} is out of scope: outside the policy's [scope]"
        )),
        None => Some(format!("account {account} is not in this organization")),
    })
}

/// The default and latest versions that skip Run As; `None` when the
/// document is gone or is not a `Session` document.
async fn elevated_versions(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    region: &str,
    document: &str,
) -> Result<Option<Vec<Elevated>>, AwsError> {
    let session = account::assume(ctx, job, account).await?;
    let docs = SessionDocuments::new(session.ssm(region), account, region);
    elevated_in(&docs, document).await
}

/// [`elevated_versions`] with a reader already in the account-region.
pub async fn elevated_in(
    docs: &SessionDocuments,
    document: &str,
) -> Result<Option<Vec<Elevated>>, AwsError> {
    let Some(Described {
        document_type,
        default,
        latest,
    }) = docs.describe(document).await?
    else {
        return Ok(None);
    };
    if document_type != "Session" {
        return Ok(None);
    }
    let mut out = Vec::new();
    let wanted: Vec<(&str, &'static str)> = if default == latest {
        vec![(default.as_str(), "default and latest")]
    } else {
        vec![(default.as_str(), "default"), (latest.as_str(), "latest")]
    };
    for (version, role) in wanted {
        let Some(content) = docs.content(document, version).await? else {
            continue;
        };
        let platforms = elevated_platforms(&content);
        if !platforms.is_empty() {
            out.push(Elevated {
                version: version.to_string(),
                role,
                platforms,
            });
        }
    }
    Ok(Some(out))
}
