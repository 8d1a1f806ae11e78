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
    /// What a row of `region` says when this call was for the whole
    /// account (no session, the account unreadable): the call was made in
    /// its own region (STS's, the hub's), which need not be the row's, so
    /// the row names its own region and says where the call was made.
    pub fn for_row(&self, region: &str) -> String {
        match self.region == region {
            true => self.to_string(),
            false => format!(
                "{} failed for account {} (every region; called in {}), so {region} was not reached: {}: {}",
                self.operation, self.account, self.region, self.code, self.message
            ),
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    /// A row of a call for the whole account names its own region; the
    /// call's region is said as where it was made, never as the row's.
    #[test]
    fn a_row_names_its_own_region() {
        let e = |account: &str, region: &str| AwsError {
            operation: "AssumeRole",
            account: account.into(),
            region: region.into(),
            code: "AccessDenied".into(),
            message: "no".into(),
        };
        let cases = [
            (e("111122223333", "us-east-1"), "us-east-1", "AssumeRole failed in account 111122223333 region us-east-1: AccessDenied: no"),
            (e("111122223333", "us-east-1"), "eu-west-1", "AssumeRole failed for account 111122223333 (every region; called in us-east-1), so eu-west-1 was not reached: AccessDenied: no"),
            (e("-", "eu-west-1"), "eu-west-1", "AssumeRole failed in region eu-west-1: AccessDenied: no"),
        ];
        for (error, row, said) in cases {
            assert_eq!(error.for_row(row), said, "{row}");
            assert!(
                !error
                    .for_row(row)
                    .contains(&format!("region {}", error.region))
                    || error.region == row
            );
        }
    }
}
