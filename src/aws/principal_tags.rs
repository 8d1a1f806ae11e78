//! The `SSMSessionRunAs` tag of one IAM role or user in a member account,
//! read (never changed): what an event says was set, confirmed.

use aws_sdk_iam::error::ProvideErrorMetadata;

use super::AwsError;
use crate::alert::TagNow;
use crate::trigger::RUN_AS_TAG;

fn err<E, R>(op: &'static str, account: &str, e: &aws_sdk_iam::error::SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    AwsError::new(op, account, "global", e)
}

/// `principal` is `arn:<partition>:iam::<account>:role/<name>` or `…:user/<name>`.
pub async fn run_as_tag(
    client: &aws_sdk_iam::Client,
    account: &str,
    principal: &str,
) -> Result<Option<TagNow>, AwsError> {
    let Some((_, resource)) = principal
        .split_once(":iam::")
        .and_then(|(p, r)| Some((p, r.split_once(':')?.1)))
    else {
        return Ok(None);
    };
    let tags: Vec<(String, String)> = if let Some(role) = resource.strip_prefix("role/") {
        let name = role.rsplit('/').next().unwrap_or(role);
        match client.list_role_tags().role_name(name).send().await {
            Ok(out) => out
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
            Err(e) if e.code() == Some("NoSuchEntity") => return Ok(Some(TagNow::PrincipalGone)),
            Err(e) => return Err(err("ListRoleTags", account, &e)),
        }
    } else if let Some(user) = resource.strip_prefix("user/") {
        let name = user.rsplit('/').next().unwrap_or(user);
        match client.list_user_tags().user_name(name).send().await {
            Ok(out) => out
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
            Err(e) if e.code() == Some("NoSuchEntity") => return Ok(Some(TagNow::PrincipalGone)),
            Err(e) => return Err(err("ListUserTags", account, &e)),
        }
    } else {
        return Ok(None);
    };
    Ok(Some(
        tags.into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(RUN_AS_TAG))
            .map_or(TagNow::Removed, |(_, v)| TagNow::Present(v)),
    ))
}
