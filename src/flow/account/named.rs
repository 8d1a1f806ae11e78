//! Who an alert is about, as on-call asks first: the account's name and
//! its OU path by names. Read only when a run has something to say, and
//! from what the run already knows when it can (a sweep's walk, the path
//! the run located). A new account's `account_configured` also says when
//! it joined (the life it is told in).

use super::{locate, Ctx};
use crate::domain::alert::{Alert, Kind};

/// `alerts` with the account's name and OU path. `known_name` and
/// `known_path` are what the run has; the rest is read (one
/// `DescribeAccount`, the path's `ListParents` and OU names, all cached for
/// the run). A read that fails leaves the field out, never the alert.
pub async fn about(
    ctx: &Ctx<'_>,
    account: &str,
    known_name: Option<String>,
    known_path: Option<String>,
    alerts: Vec<Alert>,
) -> Vec<Alert> {
    if alerts.is_empty() || account.is_empty() {
        return alerts;
    }
    let name = match known_name {
        Some(n) => Some(n),
        None => match ctx.org.describe_account(account).await {
            Ok(info) => info.map(|i| i.name),
            Err(e) => {
                tracing::warn!(account, error_code = %e.code, error = %e, "alert without the account's name");
                None
            }
        },
    };
    let path = match known_path {
        Some(p) => Some(p),
        None => match locate(ctx.org, account).await {
            Ok(Some(path)) => Some(ctx.org.path_names(account, &path).await),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(account, error_code = %e.code, error = %e, "alert without the account's OU path");
                None
            }
        },
    };
    let joined = match alerts.iter().any(|a| a.kind == Kind::AccountConfigured) {
        true => ctx.org.joined_ms(account).await.ok().flatten(),
        false => None,
    };
    alerts
        .into_iter()
        .map(|a| a.about(name.as_deref(), path.as_deref()).joined(joined))
        .collect()
}

/// Who each account of the organization is, as a run's report says it:
/// its name and OU path by names, from one walk of the tree (whose caches
/// make every path and OU name free). `status` shows them beside state
/// items, which carry no name.
pub async fn directory(
    org: &crate::adapters::aws::organizations::Org,
) -> Result<Vec<Who>, crate::domain::aws_error::AwsError> {
    let mut out = Vec::new();
    for a in org.walk().await? {
        let path = locate(org, &a.id).await?.unwrap_or_default();
        let ou_path = org.path_names(&a.id, &path).await;
        out.push(Who {
            account: a.id,
            name: a.name,
            ou_path,
        });
    }
    Ok(out)
}

/// An account's name and OU path by names (`Root/Workloads/Prod`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub account: String,
    pub name: String,
    pub ou_path: String,
}
