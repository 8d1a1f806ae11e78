//! Another `Session` document was written in a governed account-region:
//! read it (CloudTrail never shows content) and alert `run_as_bypass` when
//! its default or latest version opens sessions that skip the policy's Run
//! As user (elevated, Run As off, another default user). Detection only:
//! the document is the account's, never deleted or changed.

use crate::adapters::aws::session_documents::{Described, SessionDocuments};
use crate::domain::alert::{self, Elevated};
use crate::domain::aws_error::AwsError;
use crate::domain::bypass::{aws_owned, skips};
use crate::domain::clock;
use crate::domain::job::Job;
use crate::domain::outcome::Outcome;
use crate::domain::policy::{Desired, Policy};
use crate::flow::account::{self, Ctx};
use crate::flow::services::Services;
use crate::flow::work::{Stop, Work, Worked};

pub async fn on_session_document(svc: &Services, ctx: &Ctx<'_>, job: &Job) -> Worked {
    let t = &job.trigger;
    let (account, region, document) = (
        t.account.clone().unwrap_or_default(),
        t.region.clone().unwrap_or_default(),
        t.context.document.clone().unwrap_or_default(),
    );
    if let Some(why) = not_looked_at(&svc.policy, &region, &document) {
        return Err(Stop::Ignored(why, vec![]));
    }
    let user = account_user(ctx, &account)
        .await?
        .map_err(|why| Stop::Ignored(why, vec![]))?;
    let found = bypassing_versions(ctx, job, &account, &region, &document, &user).await?;
    let slot = format!("{region}#{document}");
    let Some(versions) = found.filter(|v| !v.is_empty()) else {
        // What was told no longer holds: the next bypass is news again.
        svc.state.clear_bypass(&account, &slot).await?;
        return Ok(said(format!(
            "{document} in {account} {region} cannot skip Run As"
        )));
    };
    // One change can come as several events (update, then default): the
    // same versions saying the same are told once.
    let fingerprint = fingerprint(&versions);
    if !svc
        .state
        .claim_bypass(&account, &slot, &fingerprint, &t.event_id)
        .await?
    {
        return Ok(said(format!(
            "{document} skips Run As; already alerted for these versions"
        )));
    }
    let alerts = tell(ctx, job, (&account, &region, &document), &versions).await;
    Ok(Work {
        alerts,
        ..said(format!(
            "{document} in {account} {region} opens sessions that skip Run As"
        ))
    })
}

/// A work that says `reason` and tells nothing.
fn said(reason: String) -> Work {
    Work {
        outcome: Outcome {
            reason,
            ..Outcome::default()
        },
        ..Work::default()
    }
}

/// Why an event's document is not looked at, if it is not. Pure: `explain
/// --policy` says what it decides.
pub fn not_looked_at(policy: &Policy, region: &str, document: &str) -> Option<String> {
    if !policy.governs_region(region) {
        return Some(format!("region {region} is not governed by the policy"));
    }
    aws_owned(document)
        .then(|| format!("{document} is one of AWS's own documents, which no account can change"))
}

/// The alert for a bypass this event is the one to tell, named for on-call.
async fn tell(
    ctx: &Ctx<'_>,
    job: &Job,
    (account, region, document): (&str, &str, &str),
    versions: &[Elevated],
) -> Vec<alert::Alert> {
    tracing::warn!(
        outcome = "run_as_bypass",
        account,
        region,
        document,
        runs_as = %versions[0].user,
        "a session document skips Run As"
    );
    let at = clock::iso(clock::now());
    let told = alert::run_as_bypass(account, region, document, versions, &job.trigger, &at);
    let told = account::named::about(ctx, account, None, None, vec![told]).await;
    // Its finding in the member account (logged where not taken).
    account::alerted::sent(ctx, job, None, &told).await;
    told
}

/// What the versions say, each with when it was created: the same set is
/// the same news; a version re-created, or one that now says otherwise, is
/// not.
pub fn fingerprint(versions: &[Elevated]) -> String {
    let mut parts: Vec<String> = versions
        .iter()
        .map(|v| {
            format!(
                "{}@{}:{}/{}/{}",
                v.version,
                v.created.as_deref().unwrap_or("-"),
                v.user,
                v.setting,
                v.platforms.join("+")
            )
        })
        .collect();
    parts.sort();
    parts.join(",")
}

/// The account's Run As user, or why the account is not looked at.
pub async fn account_user(
    ctx: &Ctx<'_>,
    account: &str,
) -> Result<Result<String, String>, AwsError> {
    let Some(path) = account::locate(ctx.org, account).await? else {
        return Ok(Err(format!(
            "account {account} is not in this organization"
        )));
    };
    Ok(match ctx.policy.desired(account, &path) {
        Desired::User { user, .. } => Ok(user),
        Desired::Exempt => Err(format!("account {account} is exempt")),
        Desired::OutOfScope => Err(format!(
            "account {account} is out of scope: outside the policy's [scope]"
        )),
        Desired::Uncovered => Err(format!(
            "account {account} has no Run As user in the policy"
        )),
    })
}

/// The default and latest versions that skip `user`; `None` when the
/// document is gone or is not a `Session` document.
async fn bypassing_versions(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
    region: &str,
    document: &str,
    user: &str,
) -> Result<Option<Vec<Elevated>>, AwsError> {
    let session = account::assume(ctx, job, account).await?;
    let docs = SessionDocuments::new(session.ssm(region), account, region);
    bypassing(&docs, document, user).await
}

/// [`bypassing_versions`] with a reader already in the account-region.
pub async fn bypassing(
    docs: &SessionDocuments,
    document: &str,
    user: &str,
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
        let Some(text) = docs.text(document, version).await? else {
            continue;
        };
        if let Some(skip) = skips(&text, user) {
            out.push(Elevated {
                version: version.to_string(),
                role,
                platforms: skip.platforms(),
                user: skip.user().to_string(),
                setting: skip.setting(),
                created: docs.created(document, version).await?,
            });
        }
    }
    Ok(Some(out))
}
