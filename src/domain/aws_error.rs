//! One failed AWS call as the core sees it: which operation, where, AWS's
//! code and message. The adapters make it from an SDK error
//! (`adapters::aws`); everything above decides on its code.

/// One failed AWS call, with everything an operator needs to find it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed {}: {code}: {message}", place(.account, .region))]
pub struct AwsError {
    pub operation: &'static str,
    pub account: String,
    pub region: String,
    /// The AWS error code (`AccessDenied`, `ThrottlingException`, ...) or, for
    /// failures that never reached AWS, the SDK's kind (`DispatchFailure`, ...).
    pub code: String,
    pub message: String,
}

/// Where a call failed, in words: a hub-side call names no account
/// (`-` or empty), and says only its region.
fn place(account: &str, region: &str) -> String {
    match account {
        "" | "-" => format!("in region {region}"),
        _ => format!("in account {account} region {region}"),
    }
}

impl AwsError {
    pub fn is(&self, code: &str) -> bool {
        self.code == code
    }

    /// What to do about an error that is about the caller's credentials or
    /// the way to AWS rather than about the resource; `None` otherwise.
    pub fn fix(&self) -> Option<&'static str> {
        Some(match self.code.as_str() {
            "NoCredentials" => "give runas-guard credentials: AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a role where it runs",
            "UnknownProfile" => "set AWS_PROFILE to a profile defined in ~/.aws/config or ~/.aws/credentials (or unset it)",
            "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" | "CredentialsExpired" => {
                "refresh the credentials (`aws sso login`, or new keys), then retry"
            }
            "DispatchFailure" => "check the endpoint (AWS_ENDPOINT_URL, AWS_REGION) and the network, then retry",
            "InvalidEndpoint" => "set AWS_ENDPOINT_URL to a URL such as http://localhost:5000 (scheme, host, optional port), or unset it",
            "Timeout" => "the endpoint answered too slowly: retry, or raise RUNAS_GUARD_*_TIMEOUT_SECONDS",
            _ => return None,
        })
    }
}

/// Text on one line (AWS messages and SDK chains carry newlines).
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
