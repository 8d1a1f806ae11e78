//! Organizations, about one account or one OU's accounts: what a vend in
//! progress and a baseline on an OU ask, and how an account record reads.

use super::organizations::{info, AccountInfo, Org};
use super::AwsError;

impl Org {
    /// When the account joined the organization (epoch milliseconds);
    /// `None` when Organizations does not say or does not know the account.
    pub async fn joined_ms(&self, account: &str) -> Result<Option<i64>, AwsError> {
        let out = self
            .client
            .describe_account()
            .account_id(account)
            .send()
            .await
            .map_err(|e| AwsError::new("DescribeAccount", account, &self.region, &e))?;
        Ok(out
            .account()
            .and_then(|a| a.joined_timestamp())
            .and_then(|t| t.to_millis().ok()))
    }

    /// The accounts directly under `parent` (an OU's own accounts, as a
    /// Control Tower baseline on it covers them).
    pub async fn accounts_of(&self, parent: &str) -> Result<Vec<AccountInfo>, AwsError> {
        Ok(self.children(parent).await?.1)
    }

    /// One account as Organizations describes it; `None` when it is not in
    /// the organization.
    pub async fn describe_account(&self, account: &str) -> Result<Option<AccountInfo>, AwsError> {
        match self
            .client
            .describe_account()
            .account_id(account)
            .send()
            .await
        {
            Ok(out) => Ok(out.account().map(info)),
            Err(e) => {
                let err = AwsError::new("DescribeAccount", account, &self.region, &e);
                if err.is("AccountNotFoundException") {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }
}
