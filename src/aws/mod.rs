//! Thin adapters over the AWS SDK. Nothing here decides anything; it turns
//! SDK calls and errors into the small vocabulary the core speaks.

pub mod alerts;
pub mod known;
pub mod lease;
pub mod organizations;
pub mod queue;
pub mod receipts;
pub mod ssm;
pub mod state;
pub mod status;
pub mod sts;
pub mod sweeps;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};

/// One failed AWS call, with everything an operator needs to find it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed in account {account} region {region}: {code}: {message}")]
pub struct AwsError {
    pub operation: &'static str,
    pub account: String,
    pub region: String,
    /// The AWS error code (`AccessDenied`, `ThrottlingException`, ...) or, for
    /// failures that never reached AWS, the SDK's kind (`DispatchFailure`, ...).
    pub code: String,
    pub message: String,
}

impl AwsError {
    pub fn new<E, R>(
        operation: &'static str,
        account: &str,
        region: &str,
        err: &SdkError<E, R>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let (code, message) = match err {
            SdkError::ServiceError(_) => (
                err.code().unwrap_or("Unknown").to_string(),
                err.message().unwrap_or("no message").to_string(),
            ),
            SdkError::DispatchFailure(_) => ("DispatchFailure".into(), dispatch_detail(err)),
            SdkError::TimeoutError(_) => ("Timeout".into(), "the request timed out".into()),
            SdkError::ResponseError(_) => ("ResponseError".into(), dispatch_detail(err)),
            SdkError::ConstructionFailure(_) => {
                ("ConstructionFailure".into(), dispatch_detail(err))
            }
            _ => ("Unknown".into(), dispatch_detail(err)),
        };
        AwsError {
            operation,
            account: account.to_string(),
            region: region.to_string(),
            code,
            message: one_line(&message),
        }
    }

    pub fn is(&self, code: &str) -> bool {
        self.code == code
    }
}

fn dispatch_detail(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}

pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The hub's own configuration: the standard chain (env, profile, container
/// and Lambda credentials), so `AWS_ENDPOINT_URL` and friends work as usual.
/// TLS is rustls on ring; see Cargo.toml for why.
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .load()
        .await
}

/// HTTPS (and plain HTTP, for local endpoints) on rustls + ring.
pub fn http_client() -> aws_sdk_ssm::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The region the hub runs in (for hub-side resources and error context).
pub fn home_region(config: &SdkConfig) -> String {
    config
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "us-east-1".to_string())
}
