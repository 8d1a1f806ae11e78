//! Member-account sessions: assume `member_role`, then each fallback role.

use std::time::SystemTime;

use aws_config::SdkConfig;
use aws_sdk_ssm::config::{Credentials, Region};

use super::retry_quota::RetryQuota;
use super::AwsError;
use crate::domain::ids::partition_for;
use crate::domain::seat::Seat;
use crate::domain::session_policy::{falls_back, packed_too_large, PACKED_TOO_LARGE};

/// Credentials for one member account, reused across its regions.
#[derive(Clone, Debug)]
pub struct MemberSession {
    pub account: String,
    /// The role that worked (member role or a fallback), for reports.
    pub role: String,
    /// How full AWS's packed form of the session policy is, in percent
    /// (`PackedPolicySize`; AWS refuses it over 100). `None` when no policy
    /// was passed or the answer did not say (moto never does).
    pub packed_policy_size: Option<i32>,
    credentials: Credentials,
    base: SdkConfig,
    /// The hub process's retry quota: every account's clients of one
    /// service and region draw on one bucket, as the SDK's default does.
    quota: RetryQuota,
}

impl MemberSession {
    pub fn ssm(&self, region: &str) -> aws_sdk_ssm::Client {
        let config = aws_sdk_ssm::config::Builder::from(&self.base)
            .credentials_provider(self.credentials.clone())
            .region(Region::new(region.to_string()))
            .retry_partition(self.quota.partition("ssm", region))
            .build();
        aws_sdk_ssm::Client::from_conf(config)
    }

    /// The account's document `name` in `region`, read and written as this
    /// session.
    pub fn documents(&self, region: &str, name: &str) -> crate::adapters::aws::ssm::DocumentStore {
        crate::adapters::aws::ssm::DocumentStore::named(
            self.ssm(region),
            &self.account,
            region,
            name,
        )
    }

    /// Security Hub in one region: where this account's own findings go.
    pub fn security_hub(&self, region: &str) -> aws_sdk_securityhub::Client {
        let config = aws_sdk_securityhub::config::Builder::from(&self.base)
            .credentials_provider(self.credentials.clone())
            .region(Region::new(region.to_string()))
            .retry_partition(self.quota.partition("securityhub", region))
            .build();
        aws_sdk_securityhub::Client::from_conf(config)
    }

    /// IAM is global: its calls go to the SDK's default endpoint for the
    /// hub's region (the partition's IAM endpoint).
    pub fn iam(&self) -> aws_sdk_iam::Client {
        let config = aws_sdk_iam::config::Builder::from(&self.base)
            .credentials_provider(self.credentials.clone())
            .retry_partition(self.quota.partition("iam", &super::home_region(&self.base)))
            .build();
        aws_sdk_iam::Client::from_conf(config)
    }
}

#[derive(Clone, Debug)]
pub struct Sts {
    client: aws_sdk_sts::Client,
    base: SdkConfig,
    partition: &'static str,
    quota: RetryQuota,
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
        Self::with_quota(base, &RetryQuota::default())
    }

    /// [`Sts::new`], its retries and its member sessions' drawn from the
    /// process's `quota`.
    pub fn with_quota(base: &SdkConfig, quota: &RetryQuota) -> Self {
        let region = super::home_region(base);
        let conf = aws_sdk_sts::config::Builder::from(base)
            .retry_partition(quota.partition("sts", &region))
            .build();
        Sts {
            client: aws_sdk_sts::Client::from_conf(conf),
            base: base.clone(),
            partition: partition_for(&region),
            quota: quota.clone(),
        }
    }

    /// IAM Identity Center's admin API in its home region, with the hub's
    /// own credentials (the hub runs where Identity Center is administered).
    pub fn identity_center(&self, region: &str) -> aws_sdk_ssoadmin::Client {
        let config = aws_sdk_ssoadmin::config::Builder::from(&self.base)
            .region(Region::new(region.to_string()))
            .retry_partition(self.quota.partition("sso", region))
            .build();
        aws_sdk_ssoadmin::Client::from_conf(config)
    }

    /// The hub's own account (`GetCallerIdentity` needs no permission).
    pub async fn caller_account(&self) -> Result<String, AwsError> {
        let region = super::home_region(&self.base);
        let out = self
            .client
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| AwsError::new("GetCallerIdentity", "-", &region, &e))?;
        Ok(out.account().unwrap_or("-").to_string())
    }

    /// Tries `roles` in order; returns the first session that works.
    pub fn partition(&self) -> &'static str {
        self.partition
    }

    /// `policy`, when given, is the inline session policy: the session can
    /// do at most what it allows, whatever the role itself may do.
    pub async fn assume(
        &self,
        account: &str,
        roles: &[&str],
        session: &str,
        policy: Option<&str>,
    ) -> Result<MemberSession, AwsError> {
        let region = super::home_region(&self.base);
        let mut denied = Vec::new();
        for role in roles {
            match self.assume_one(account, role, session, policy).await {
                Ok(s) => return Ok(s),
                Err(err) if falls_back(&err.code) => {
                    tracing::info!(account, role, code = %err.code, "role cannot be assumed; trying the next one");
                    denied.push(format!("{role} ({})", err.code));
                }
                Err(err) => return Err(err),
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

    /// The operator's read-only role, alone (no fallback): a refusal says
    /// which role was tried, by whom, and what to check.
    pub async fn assume_seat(
        &self,
        account: &str,
        seat: &Seat,
        policy: Option<&str>,
    ) -> Result<MemberSession, AwsError> {
        self.assume_one(account, &seat.role, &seat.session, policy)
            .await
            .map_err(|mut e| {
                e.message = seat.refused(self.partition, account, &e.code, &e.message);
                e
            })
    }

    /// The caller's own ARN (`GetCallerIdentity` needs no permission).
    pub async fn caller_arn(&self) -> Result<String, AwsError> {
        let region = super::home_region(&self.base);
        let out = self
            .client
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| AwsError::new("GetCallerIdentity", "-", &region, &e))?;
        Ok(out.arn().unwrap_or("-").to_string())
    }

    async fn assume_one(
        &self,
        account: &str,
        role: &str,
        session: &str,
        policy: Option<&str>,
    ) -> Result<MemberSession, AwsError> {
        let region = super::home_region(&self.base);
        let arn = format!("arn:{}:iam::{account}:role/{role}", self.partition);
        let out = self
            .client
            .assume_role()
            .role_arn(&arn)
            .role_session_name(session)
            .set_policy(policy.map(str::to_string))
            .duration_seconds(3600)
            .send()
            .await
            .map_err(|e| {
                let mut e = AwsError::new("AssumeRole", account, &region, &e);
                if e.is(PACKED_TOO_LARGE) {
                    e.message = packed_too_large(&e.message);
                }
                e
            })?;
        // The SDK marks it deprecated for SessionTokenUtilization (the whole
        // token), but AWS still answers it and it is what PackedPolicyTooLarge
        // is measured against.
        #[allow(deprecated)]
        let packed_policy_size = out.packed_policy_size();
        tracing::info!(account, role, packed_policy_size, "assumed");
        let Some(c) = out.credentials() else {
            return Err(AwsError {
                operation: "AssumeRole",
                account: account.into(),
                region,
                code: "NoCredentials".into(),
                message: format!("STS returned no credentials for {arn}"),
            });
        };
        Ok(MemberSession {
            account: account.into(),
            role: role.to_string(),
            packed_policy_size,
            credentials: member_credentials(c),
            base: self.base.clone(),
            quota: self.quota.clone(),
        })
    }
}
