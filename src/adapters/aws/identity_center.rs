//! IAM Identity Center's access-control attribute configuration of one
//! instance: the real [`MappingStore`] over sso-admin, with the hub's own
//! credentials, in Identity Center's home region.

use aws_sdk_ssoadmin::types::{
    AccessControlAttribute, AccessControlAttributeValue,
    InstanceAccessControlAttributeConfiguration,
};

use super::AwsError;
use crate::domain::identity_center::{Mapping, MappingStore, Observed, Restore};

/// The instance, and the account that owns it when Identity Center said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub arn: String,
    pub owner: Option<String>,
}

/// The one instance `ListInstances` names in the region. Two or none is an
/// error naming them: which one the policy means is the operator's choice.
pub async fn discover(
    client: &aws_sdk_ssoadmin::Client,
    region: &str,
) -> Result<Instance, AwsError> {
    let mut found = Vec::new();
    let mut pages = client.list_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::new("ListInstances", "-", region, &e))?;
        for i in page.instances() {
            if let Some(arn) = i.instance_arn() {
                found.push(Instance {
                    arn: arn.to_string(),
                    owner: i.owner_account_id().map(str::to_string),
                });
            }
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        n => Err(AwsError {
            operation: "ListInstances",
            account: "-".into(),
            region: region.into(),
            code: if n == 0 { "NoInstance" } else { "SeveralInstances" }.into(),
            message: format!(
                "{n} Identity Center instances here ({}): set identity_center.instance_arn, and identity_center.region to Identity Center's home region",
                found.iter().map(|i| i.arn.as_str()).collect::<Vec<_>>().join(", ")
            ),
        }),
    }
}

pub struct AttributeMapping {
    pub client: aws_sdk_ssoadmin::Client,
    pub region: String,
    pub instance: String,
    /// For errors: the account that administers Identity Center, if known.
    pub account: String,
}

impl AttributeMapping {
    fn err<E, R>(&self, op: &'static str, e: &aws_sdk_ssoadmin::error::SdkError<E, R>) -> AwsError
    where
        E: aws_sdk_ssoadmin::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let mut err = AwsError::new(op, &self.account, &self.region, e);
        err.message = format!("{}: {}", self.instance, err.message);
        err
    }
}

fn to_api(mapping: &Mapping) -> Result<InstanceAccessControlAttributeConfiguration, String> {
    let attributes = mapping
        .0
        .iter()
        .map(|(key, source)| {
            let value = AccessControlAttributeValue::builder()
                .source(source)
                .build()
                .map_err(|e| e.to_string())?;
            AccessControlAttribute::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    InstanceAccessControlAttributeConfiguration::builder()
        .set_access_control_attributes(Some(attributes))
        .build()
        .map_err(|e| e.to_string())
}

fn from_api(config: Option<&InstanceAccessControlAttributeConfiguration>) -> Mapping {
    Mapping::from_pairs(
        config
            .map(|c| c.access_control_attributes())
            .unwrap_or_default()
            .iter()
            // The model allows exactly one source per key.
            .map(|a| {
                (
                    a.key(),
                    a.value().map(|v| v.source().join("")).unwrap_or_default(),
                )
            }),
    )
}

impl MappingStore for AttributeMapping {
    async fn read(&self) -> Result<Observed, AwsError> {
        let sent = self
            .client
            .describe_instance_access_control_attribute_configuration()
            .instance_arn(&self.instance)
            .send()
            .await;
        match sent {
            Ok(out) => Ok(Observed::Configured {
                status: out
                    .status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                mapping: from_api(out.instance_access_control_attribute_configuration()),
            }),
            // No configuration: attributes for access control were never
            // enabled, or were disabled (deleted).
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(Observed::Absent)
            }
            Err(e) => Err(self.err("DescribeInstanceAccessControlAttributeConfiguration", &e)),
        }
    }

    async fn restore(&self, how: Restore, mapping: &Mapping) -> Result<(), AwsError> {
        let config = to_api(mapping).map_err(|message| AwsError {
            operation: "UpdateInstanceAccessControlAttributeConfiguration",
            account: self.account.clone(),
            region: self.region.clone(),
            code: "InvalidMapping".into(),
            message,
        })?;
        // ConflictException: "a previous successful write did not have time to
        // propagate" (the edit being put back, seconds ago); the model says
        // retry with backoff, which the SDK's standard retry does not.
        let mut pause = CONFLICT_PAUSE;
        loop {
            match self.write(how, config.clone()).await {
                Err(e) if e.is("ConflictException") && pause <= CONFLICT_PAUSE * 4 => {
                    tracing::info!(instance = %self.instance, pause_ms = pause.as_millis() as u64, "Identity Center answered ConflictException; writing again");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                done => return done,
            }
        }
    }
}

/// The first pause after a `ConflictException` (then 2x, 4x: three retries).
const CONFLICT_PAUSE: std::time::Duration = std::time::Duration::from_millis(500);

impl AttributeMapping {
    async fn write(
        &self,
        how: Restore,
        config: InstanceAccessControlAttributeConfiguration,
    ) -> Result<(), AwsError> {
        match how {
            Restore::Create => self
                .client
                .create_instance_access_control_attribute_configuration()
                .instance_arn(&self.instance)
                .instance_access_control_attribute_configuration(config)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.err("CreateInstanceAccessControlAttributeConfiguration", &e)),
            Restore::Update => self
                .client
                .update_instance_access_control_attribute_configuration()
                .instance_arn(&self.instance)
                .instance_access_control_attribute_configuration(config)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.err("UpdateInstanceAccessControlAttributeConfiguration", &e)),
        }
    }
}
