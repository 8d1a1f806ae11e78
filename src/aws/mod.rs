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
            SdkError::DispatchFailure(_) => (
                "DispatchFailure".into(),
                format!("cannot reach {}: {}", endpoint(), dispatch_detail(err)),
            ),
            SdkError::TimeoutError(_) => (
                "Timeout".into(),
                format!(
                    "no answer from {} in time (RUNAS_GUARD_*_TIMEOUT_SECONDS)",
                    endpoint()
                ),
            ),
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

/// Where calls went, for errors that never got an AWS answer.
fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL")
        .map(|u| format!("endpoint {u}"))
        .unwrap_or_else(|_| "the AWS endpoint".into())
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
    let timeouts = timeouts_from_env().unwrap_or_else(|e| {
        tracing::error!(error = %e, "using the default AWS timeouts");
        timeouts(DEFAULT_TIMEOUTS)
    });
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .timeout_config(timeouts)
        .load()
        .await
}

/// Seconds: connecting, one attempt, and a whole call with its retries.
/// Every AWS call is bounded; member sessions inherit these.
pub const DEFAULT_TIMEOUTS: [u64; 3] = [3, 10, 30];
const TIMEOUT_VARS: [&str; 3] = [
    "RUNAS_GUARD_CONNECT_TIMEOUT_SECONDS",
    "RUNAS_GUARD_ATTEMPT_TIMEOUT_SECONDS",
    "RUNAS_GUARD_CALL_TIMEOUT_SECONDS",
];

fn timeouts([connect, attempt, call]: [u64; 3]) -> aws_config::timeout::TimeoutConfig {
    use std::time::Duration;
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(connect))
        .operation_attempt_timeout(Duration::from_secs(attempt))
        .operation_timeout(Duration::from_secs(call))
        .build()
}

/// The timeouts, from `RUNAS_GUARD_*_TIMEOUT_SECONDS` where set; an error
/// names the variable.
pub fn timeouts_from_env() -> Result<aws_config::timeout::TimeoutConfig, String> {
    let mut secs = DEFAULT_TIMEOUTS;
    for (i, var) in TIMEOUT_VARS.iter().enumerate() {
        if let Ok(v) = std::env::var(var) {
            secs[i] = match v.trim().parse::<u64>() {
                Ok(n) if n > 0 => n,
                _ => {
                    return Err(format!(
                        "{var} must be a whole number of seconds above 0, found {v:?}"
                    ))
                }
            };
        }
    }
    Ok(timeouts(secs))
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
