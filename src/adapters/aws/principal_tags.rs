//! The `SSMSessionRunAs` tag of IAM roles and users in a member account,
//! read (never changed): what an event says was set, confirmed; and, when
//! the policy asks, every role and user that carries one.

use std::sync::Arc;

use aws_sdk_iam::error::ProvideErrorMetadata;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::AwsError;
use crate::domain::alert::TagNow;
use crate::domain::trigger::RUN_AS_TAG;

/// Tag reads in flight per account: IAM's request quota is the account's.
const TAG_READS: usize = 4;

fn err<E, R>(op: &'static str, account: &str, e: &aws_sdk_iam::error::SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    AwsError::new(op, account, "global", e)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Role,
    User,
}

/// The principal's tags; `None` when it no longer exists.
async fn tags_of(
    client: &aws_sdk_iam::Client,
    account: &str,
    kind: Kind,
    name: &str,
) -> Result<Option<Vec<(String, String)>>, AwsError> {
    let pairs = |tags: &[aws_sdk_iam::types::Tag]| {
        tags.iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()
    };
    let gone = |code: Option<&str>| code == Some("NoSuchEntity");
    match kind {
        Kind::Role => match client.list_role_tags().role_name(name).send().await {
            Ok(out) => Ok(Some(pairs(out.tags()))),
            Err(e) if gone(e.code()) => Ok(None),
            Err(e) => Err(err("ListRoleTags", account, &e)),
        },
        Kind::User => match client.list_user_tags().user_name(name).send().await {
            Ok(out) => Ok(Some(pairs(out.tags()))),
            Err(e) if gone(e.code()) => Ok(None),
            Err(e) => Err(err("ListUserTags", account, &e)),
        },
    }
}

/// The tag's value (IAM keys are unique case-insensitively, as Session
/// Manager reads them).
fn run_as_value(tags: Vec<(String, String)>) -> Option<String> {
    tags.into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(RUN_AS_TAG))
        .map(|(_, v)| v)
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
    let (kind, path) = match (
        resource.strip_prefix("role/"),
        resource.strip_prefix("user/"),
    ) {
        (Some(role), _) => (Kind::Role, role),
        (_, Some(user)) => (Kind::User, user),
        _ => return Ok(None),
    };
    let name = path.rsplit('/').next().unwrap_or(path);
    Ok(Some(match tags_of(client, account, kind, name).await? {
        None => TagNow::PrincipalGone,
        Some(tags) => run_as_value(tags).map_or(TagNow::Removed, TagNow::Present),
    }))
}

/// Every role and user of the account: `(kind, name, ARN)`.
async fn principals(
    client: &aws_sdk_iam::Client,
    account: &str,
) -> Result<Vec<(Kind, String, String)>, AwsError> {
    let mut out = Vec::new();
    let mut roles = client.list_roles().max_items(1000).into_paginator().send();
    while let Some(page) = roles.next().await {
        let page = page.map_err(|e| err("ListRoles", account, &e))?;
        out.extend(
            page.roles()
                .iter()
                .map(|r| (Kind::Role, r.role_name().to_string(), r.arn().to_string())),
        );
    }
    let mut users = client.list_users().max_items(1000).into_paginator().send();
    while let Some(page) = users.next().await {
        let page = page.map_err(|e| err("ListUsers", account, &e))?;
        out.extend(
            page.users()
                .iter()
                .map(|u| (Kind::User, u.user_name().to_string(), u.arn().to_string())),
        );
    }
    Ok(out)
}

/// Every role and user carrying an `SSMSessionRunAs` tag: `(ARN, value)`,
/// in ARN order. ListRoles and ListUsers do not return tags, so each
/// principal's are read (a few at a time); one that vanished in between is
/// skipped.
pub async fn tagged_principals(
    client: &aws_sdk_iam::Client,
    account: &str,
) -> Result<Vec<(String, String)>, AwsError> {
    let limit = Arc::new(Semaphore::new(TAG_READS));
    let mut tasks = JoinSet::new();
    for (kind, name, arn) in principals(client, account).await? {
        let (client, account, limit) = (client.clone(), account.to_string(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("semaphore never closes");
            let tags = tags_of(&client, &account, kind, &name).await?;
            Ok::<_, AwsError>(tags.and_then(run_as_value).map(|v| (arn, v)))
        });
    }
    let mut found = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let read = joined.map_err(|e| AwsError {
            operation: "ListRoleTags",
            account: account.into(),
            region: "global".into(),
            code: "InternalError".into(),
            message: e.to_string(),
        })?;
        found.extend(read?);
    }
    found.sort();
    Ok(found)
}
