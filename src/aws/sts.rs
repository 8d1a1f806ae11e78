//! Member-account sessions: assume `member_role`, then each fallback role.

use std::time::SystemTime;

use aws_config::SdkConfig;
use aws_sdk_ssm::config::{Credentials, Region};

use super::AwsError;
use crate::ids::partition_for;

/// Credentials for one member account, reused across its regions.
#[derive(Clone, Debug)]
pub struct MemberSession {
    pub account: String,
    /// The role that worked (member role or a fallback), for reports.
    pub role: String,
    credentials: Credentials,
    base: SdkConfig,
}

impl MemberSession {
    pub fn ssm(&self, region: &str) -> aws_sdk_ssm::Client {
        let config = aws_sdk_ssm::config::Builder::from(&self.base)
            .credentials_provider(self.credentials.clone())
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_ssm::Client::from_conf(config)
    }
}

#[derive(Clone, Debug)]
pub struct Sts {
    client: aws_sdk_sts::Client,
    base: SdkConfig,
    partition: &'static str,
}

/// Only "this role cannot be assumed" moves on to the next role; throttling,
/// network faults and disabled regions are not a reason to try a broader role.
pub fn falls_back(code: &str) -> bool {
    matches!(
        code,
        "AccessDenied" | "AccessDeniedException" | "NoSuchEntity"
    )
}

fn member_credentials(c: &aws_sdk_sts::types::Credentials) -> Credentials {
    let expiry = SystemTime::try_from(*c.expiration()).ok();
    Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        expiry,
        "runas-guard-member",
    )
}

impl Sts {
    pub fn new(base: &SdkConfig) -> Self {
        let region = super::home_region(base);
        Sts {
            client: aws_sdk_sts::Client::new(base),
            base: base.clone(),
            partition: partition_for(&region),
        }
    }

    /// Tries `roles` in order; returns the first session that works.
    pub async fn assume(
        &self,
        account: &str,
        roles: &[&str],
        session: &str,
    ) -> Result<MemberSession, AwsError> {
        let region = super::home_region(&self.base);
        let mut denied = Vec::new();
        for role in roles {
            let arn = format!("arn:{}:iam::{account}:role/{role}", self.partition);
            let result = self
                .client
                .assume_role()
                .role_arn(&arn)
                .role_session_name(session)
                .duration_seconds(3600)
                .send()
                .await;
            match result {
                Ok(out) => {
                    let Some(c) = out.credentials() else {
                        return Err(AwsError {
                            operation: "AssumeRole",
                            account: account.into(),
                            region,
                            code: "NoCredentials".into(),
                            message: format!("STS returned no credentials for {arn}"),
                        });
                    };
                    return Ok(MemberSession {
                        account: account.into(),
                        role: role.to_string(),
                        credentials: member_credentials(c),
                        base: self.base.clone(),
                    });
                }
                Err(e) => {
                    let err = AwsError::new("AssumeRole", account, &region, &e);
                    if !falls_back(&err.code) {
                        return Err(err);
                    }
                    tracing::info!(account, role, code = %err.code, "role cannot be assumed; trying the next one");
                    denied.push(format!("{role} ({})", err.code));
                }
            }
        }
        Err(AwsError {
            operation: "AssumeRole",
            account: account.into(),
            region,
            code: "AccessDenied".into(),
            message: format!("no role could be assumed: {}", denied.join(", ")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_only_on_denial() {
        assert!(falls_back("AccessDenied"));
        for code in [
            "Throttling",
            "ThrottlingException",
            "RegionDisabledException",
            "DispatchFailure",
            "Timeout",
            "ExpiredToken",
        ] {
            assert!(!falls_back(code), "{code}");
        }
    }
}
