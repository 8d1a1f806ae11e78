//! The member StackSet's reads, from the management account or a delegated
//! administrator: a StackSet the caller administers as delegated
//! administrator is found only with `CallAs=DELEGATED_ADMIN`, so a read
//! that finds no StackSet as itself asks again as that.

use aws_config::SdkConfig;
use aws_sdk_cloudformation::types::{CallAs, PermissionModels};

use super::scope::{Instance, Targets};
use crate::domain::aws_error::AwsError;

/// Every stack instance of StackSet `name`, and as whom it was found.
pub(super) async fn instances(
    config: &SdkConfig,
    name: &str,
) -> Result<(Vec<Instance>, CallAs), AwsError> {
    match listed(config, name, CallAs::SelfValue).await {
        Err(e) if e.is("StackSetNotFoundException") => {
            match listed(config, name, CallAs::DelegatedAdmin).await {
                Ok(found) => Ok((found, CallAs::DelegatedAdmin)),
                // Not ours as delegated administrator either (or not one
                // at all): the first answer says it best.
                Err(_) => Err(e),
            }
        }
        other => other.map(|found| (found, CallAs::SelfValue)),
    }
}

async fn listed(
    config: &SdkConfig,
    name: &str,
    call_as: CallAs,
) -> Result<Vec<Instance>, AwsError> {
    let region = crate::adapters::aws::home_region(config);
    let mut pages = aws_sdk_cloudformation::Client::new(config)
        .list_stack_instances()
        .stack_set_name(name)
        .call_as(call_as)
        .into_paginator()
        .send();
    let mut instances = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::new("ListStackInstances", "-", &region, &e))?;
        instances.extend(page.summaries().iter().map(|s| Instance {
            account: s.account().unwrap_or_default().to_string(),
            region: s.region().unwrap_or_default().to_string(),
            ou: s.organizational_unit_id().map(str::to_string),
        }));
    }
    Ok(instances)
}

/// DescribeStackSet: its permission model, OU targets, automatic deployment.
pub(super) async fn described(
    config: &SdkConfig,
    name: &str,
    call_as: CallAs,
) -> Result<Targets, AwsError> {
    let region = crate::adapters::aws::home_region(config);
    let out = aws_sdk_cloudformation::Client::new(config)
        .describe_stack_set()
        .stack_set_name(name)
        .call_as(call_as)
        .send()
        .await
        .map_err(|e| AwsError::new("DescribeStackSet", "-", &region, &e))?;
    let set = out.stack_set();
    Ok(Targets {
        service_managed: set.and_then(|s| s.permission_model())
            == Some(&PermissionModels::ServiceManaged),
        ous: set
            .map(|s| s.organizational_unit_ids().to_vec())
            .unwrap_or_default(),
        auto_deployment: set
            .and_then(|s| s.auto_deployment())
            .and_then(|a| a.enabled()),
    })
}
