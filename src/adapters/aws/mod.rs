//! One thin client per AWS service the product calls. Nothing here decides
//! anything or knows what the hub table stores (that is `crate::adapters::store`): it
//! turns SDK calls and errors into the small vocabulary the core speaks.

pub mod associations;
pub mod canary_tag;
pub mod dynamodb;
pub mod identity_center;
pub mod lambda;
pub mod org_accounts;
pub mod organizations;
pub mod policy_object;
pub mod principal_tags;
pub mod queue;
pub mod regions;
pub mod retry_quota;
pub mod security_hub;
pub mod session_documents;
pub mod sessions;
pub mod ssm;
pub mod sts;
pub mod topics;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};

/// The core's form of a failed call; made from an SDK error here.
pub use crate::domain::aws_error::{one_line, AwsError};

/// Code and message of an answer from the service: AWS's own, or, from
/// something that is not an AWS endpoint, its HTTP status.
fn service_answer<E, R>(err: &SdkError<E, R>) -> (String, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match (err.code(), http_status(err.raw_response())) {
        (Some(code), _) => (
            code.to_string(),
            err.message().unwrap_or("no message").to_string(),
        ),
        // Not an AWS error answer (a proxy's or a web server's page):
        // say what came back and from where.
        (None, Some(status)) => (
            format!("HTTP{status}"),
            format!(
                "{} answered HTTP {status} without an AWS error code: is it an AWS endpoint?",
                endpoint()
            ),
        ),
        (None, None) => (
            "Unknown".into(),
            err.message().unwrap_or("no message").to_string(),
        ),
    }
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
            SdkError::ServiceError(_) => service_answer(err),
            SdkError::DispatchFailure(_) => {
                let detail = dispatch_detail(err);
                match credential_problem(&detail).or_else(|| endpoint_problem(&detail)) {
                    Some((code, sentence)) => (code.into(), sentence),
                    None => (
                        "DispatchFailure".into(),
                        format!("cannot reach {}: {detail}", endpoint()),
                    ),
                }
            }
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
}

/// An endpoint that is not a URL (`AWS_ENDPOINT_URL=localhost:5000`): one
/// sentence, instead of the SDK's dump of the request it could not send.
fn endpoint_problem(detail: &str) -> Option<(&'static str, String)> {
    if !detail.contains("failed to apply endpoint") {
        return None;
    }
    let why = detail
        .rsplit("endpoint is not a valid URI: ")
        .next()
        .filter(|w| w.len() < 200)
        .unwrap_or("not a URI");
    Some((
        "InvalidEndpoint",
        format!(
            "{} is not a URL ({why})",
            crate::domain::trigger::bounded(&endpoint())
        ),
    ))
}

/// Credentials that could not be loaded fail as a dispatch failure; each
/// cause gets its own code and sentence instead of "cannot reach the endpoint".
fn credential_problem(detail: &str) -> Option<(&'static str, String)> {
    let about_credentials = [
        "loading credentials",
        "no credentials found",
        "credential provider",
    ]
    .iter()
    .any(|m| detail.contains(m));
    if !about_credentials {
        return None;
    }
    if let Ok(profile) = std::env::var("AWS_PROFILE") {
        if !profile_defined(&profile) {
            return Some((
                "UnknownProfile",
                format!("AWS_PROFILE={profile} names no profile in the AWS config or credentials file: fix the name or unset it"),
            ));
        }
    }
    if detail.contains("expired") {
        return Some((
            "CredentialsExpired",
            "the AWS credentials have expired: refresh them (`aws sso login`, or new keys)".into(),
        ));
    }
    Some((
        "NoCredentials",
        "no AWS credentials found (tried the environment, the profile files, web identity, the container and instance metadata): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into(),
    ))
}

/// Whether `[profile NAME]` (config file) or `[NAME]` (either file) exists.
fn profile_defined(name: &str) -> bool {
    let home = std::env::var("HOME").unwrap_or_default();
    let files = [
        std::env::var("AWS_CONFIG_FILE").unwrap_or_else(|_| format!("{home}/.aws/config")),
        std::env::var("AWS_SHARED_CREDENTIALS_FILE")
            .unwrap_or_else(|_| format!("{home}/.aws/credentials")),
    ];
    let headers = [format!("[profile {name}]"), format!("[{name}]")];
    files.iter().any(|f| {
        std::fs::read_to_string(f).is_ok_and(|text| {
            text.lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .any(|l| headers.contains(&l))
        })
    })
}

/// The HTTP status of an SDK call's raw answer (every AWS SDK client's is
/// the same smithy response type).
fn http_status<R: 'static>(raw: Option<&R>) -> Option<u16> {
    let raw = raw? as &dyn std::any::Any;
    raw.downcast_ref::<aws_sdk_ssm::config::http::HttpResponse>()
        .map(|r| r.status().as_u16())
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

/// The hub's own configuration: the standard chain (env, profile, container
/// and Lambda credentials), so `AWS_ENDPOINT_URL` and friends work as usual.
/// TLS is rustls on ring; see Cargo.toml for why.
pub async fn load_config() -> SdkConfig {
    let timeouts = timeouts_from_env().unwrap_or_else(|e| {
        tracing::error!(error = %e, "using the default AWS timeouts");
        timeouts(DEFAULT_TIMEOUTS)
    });
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .timeout_config(timeouts);
    if let Some((profile, region)) = CHOSEN.get() {
        if let Some(p) = profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
    }
    loader.load().await
}

/// The CLI's `--profile` and `--region`, chosen once for the process.
static CHOSEN: std::sync::OnceLock<(Option<String>, Option<String>)> = std::sync::OnceLock::new();

/// Every client built after this uses `profile` and `region` (when given)
/// over the environment's. The Lambda never calls it.
pub fn choose(profile: Option<String>, region: Option<String>) {
    let _ = CHOSEN.set((profile, region));
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
            // Bounded: see MAX_CALL_TIMEOUT_SECONDS for why.
            let max = crate::domain::config::MAX_CALL_TIMEOUT_SECONDS;
            secs[i] = crate::domain::config::bounded(var, &v, 1, max)?;
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

#[cfg(test)]
mod tests {
    use super::AwsError;

    #[test]
    fn a_hub_call_names_its_region_and_a_member_call_its_account_too() {
        let e = |account: &str| AwsError {
            operation: "Scan",
            account: account.into(),
            region: "us-east-1".into(),
            code: "AccessDeniedException".into(),
            message: "no".into(),
        };
        for (account, want) in [
            (
                "-",
                "Scan failed in region us-east-1: AccessDeniedException: no",
            ),
            (
                "",
                "Scan failed in region us-east-1: AccessDeniedException: no",
            ),
            (
                "111122223333",
                "Scan failed in account 111122223333 region us-east-1: AccessDeniedException: no",
            ),
        ] {
            assert_eq!(e(account).to_string(), want);
        }
    }
}
