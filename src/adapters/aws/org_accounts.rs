//! Organizations, about one account or one OU's accounts: what a vend in
//! progress and a baseline on an OU ask, how an account record reads; and which account is the
//! management account (the member StackSet's administrator by default).

use super::organizations::{AccountInfo, Org};
use super::AwsError;

impl Org {
    /// When the account joined the organization (epoch milliseconds);
    /// `None` when Organizations does not say or does not know the account.
    /// From the view's one `DescribeAccount` of it.
    pub async fn joined_ms(&self, account: &str) -> Result<Option<i64>, AwsError> {
        Ok(self.described(account).await?.and_then(|d| d.joined_ms))
    }

    /// The organization's management account (DescribeOrganization's
    /// `MasterAccountId`); `None` when Organizations does not say.
    pub async fn management_account(&self) -> Result<Option<String>, AwsError> {
        let out = self
            .client
            .describe_organization()
            .send()
            .await
            .map_err(|e| AwsError::new("DescribeOrganization", "-", &self.region, &e))?;
        let organization = out.organization();
        Ok(organization
            .and_then(|o| o.master_account_id())
            .map(str::to_string))
    }

    /// The accounts directly under `parent` (an OU's own accounts, as a
    /// Control Tower baseline on it covers them).
    pub async fn accounts_of(&self, parent: &str) -> Result<Vec<AccountInfo>, AwsError> {
        self.accounts_under(parent).await
    }

    /// One account as Organizations describes it; `None` when it is not in
    /// the organization. Asked once per view: the account's OU path (its
    /// `Paths`), its name and when it joined come from the same answer.
    pub async fn describe_account(&self, account: &str) -> Result<Option<AccountInfo>, AwsError> {
        Ok(self.described(account).await?.map(|d| d.info))
    }
}
