//! Account Management's view of an account's regions: which are enabled.
//! Opt-in regions (`af-south-1`, `me-central-1`, ...) refuse every call
//! until the account enables them, so a governed region that is not enabled
//! is one where nothing can be configured.

use super::AwsError;

/// The most `ListRegions` returns per page.
const PAGE: i32 = 50;

/// One region as `ListRegions` reports it (`RegionOptStatus`: `ENABLED`,
/// `ENABLING`, `DISABLING`, `DISABLED`, `ENABLED_BY_DEFAULT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionOptIn {
    pub region: String,
    pub status: String,
}

#[derive(Clone)]
pub struct AccountRegions {
    client: aws_sdk_account::Client,
    region: String,
}

impl AccountRegions {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        AccountRegions {
            client: aws_sdk_account::Client::new(config),
            region: super::home_region(config),
        }
    }

    /// Every region and its opt-in status, of `account` (a member: needs
    /// Organizations trusted access for Account Management) or, with `None`,
    /// of the caller's own account.
    pub async fn list(&self, account: Option<&str>) -> Result<Vec<RegionOptIn>, AwsError> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_regions()
                .set_account_id(account.map(str::to_string))
                .max_results(PAGE)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    AwsError::new("ListRegions", account.unwrap_or("-"), &self.region, &e)
                })?;
            found.extend(page.regions().iter().map(|r| {
                RegionOptIn {
                    region: r.region_name().unwrap_or_default().to_string(),
                    status: r
                        .region_opt_status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                }
            }));
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(found),
            }
        }
    }
}
