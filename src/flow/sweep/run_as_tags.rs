//! `[run_as_tags] sweep`: every role and user of an account, read for an
//! `SSMSessionRunAs` tag (it decides the OS user before any document). What
//! an account carries is recorded; principals not carrying it at the last
//! report are told once, in one `run_as_override` per account.

use crate::adapters::aws::principal_tags::tagged_principals;
use crate::adapters::aws::sts::MemberSession;
use crate::adapters::store::tag_inventory;
use crate::domain::alert::{run_as_tags_found, Alert};
use crate::domain::aws_error::AwsError;
use crate::domain::clock;
use crate::domain::job::Job;
use crate::flow::account::{self, Ctx};

pub(super) async fn look(
    ctx: &Ctx<'_>,
    job: &Job,
    session: Option<MemberSession>,
    account: &str,
) -> Result<Option<Alert>, AwsError> {
    if !ctx.policy.sweep_run_as_tags || job.dry_run || ctx.policy.is_exempt(account) {
        return Ok(None);
    }
    let session = match session {
        Some(s) => s,
        None => account::assume(ctx, job, account).await?,
    };
    let carrying = tagged_principals(&session.iam(), account).await?;
    let now = serde_json::to_string(&carrying).unwrap_or_default();
    let reported =
        tag_inventory::reported(ctx.state.table().clone(), account, &job.trigger.event_id);
    // The same set as last reported is no news, and costs one failed
    // conditional write.
    let Some(before) = reported.swap(&now).await? else {
        return Ok(None);
    };
    let before: Vec<(String, String)> = before
        .and_then(|b| serde_json::from_str(&b).ok())
        .unwrap_or_default();
    let new = news(&before, &carrying);
    if new.is_empty() {
        return Ok(None);
    }
    tracing::warn!(
        outcome = "run_as_tags_found",
        account,
        new = new.len(),
        carrying = carrying.len(),
        "roles or users carry SSMSessionRunAs"
    );
    let at = clock::iso(clock::now());
    Ok(Some(run_as_tags_found(
        account,
        &new,
        carrying.len(),
        &job.trigger,
        &at,
    )))
}

/// Principals (with their value) not in `before`: a new tag, or a changed
/// value. Removals are no alert: Run As goes back to the documents.
fn news(before: &[(String, String)], now: &[(String, String)]) -> Vec<(String, String)> {
    now.iter()
        .filter(|p| !before.contains(p))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::news;

    #[test]
    fn news_is_a_new_principal_or_a_new_value_never_a_removal() {
        let p = |a: &str, v: &str| (a.to_string(), v.to_string());
        let before = vec![p("arn:r/a", "ops"), p("arn:r/b", "dev")];
        let cases = [
            (vec![p("arn:r/a", "ops"), p("arn:r/b", "dev")], vec![]),
            (vec![p("arn:r/a", "ops")], vec![]),
            (vec![], vec![]),
            (
                vec![p("arn:r/a", "root"), p("arn:r/b", "dev")],
                vec![p("arn:r/a", "root")],
            ),
            (
                vec![p("arn:r/a", "ops"), p("arn:r/b", "dev"), p("arn:u/c", "x")],
                vec![p("arn:u/c", "x")],
            ),
        ];
        for (now, want) in cases {
            assert_eq!(news(&before, &now), want, "{now:?}");
        }
        assert_eq!(news(&[], &before), before);
    }
}
