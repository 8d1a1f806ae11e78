//! An account's OU path from an answer in hand: `Account.Paths` of its
//! `DescribeAccount` (asked once per account per view, and shared by its
//! path, its name and when it joined) or of a `ListAccountsForParent` page.
//! Where `Paths` is absent or unreadable (`domain::org_path` says which), the
//! caller walks with `ListParents` as before.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_organizations::types::Account;
use tokio::sync::OnceCell;

use super::{info, AccountInfo, Org};
use crate::adapters::aws::AwsError;
use crate::domain::org_path::{account_path, PathsRead};

/// One account as its `DescribeAccount` answered (what a run asks of it).
#[derive(Debug, Clone)]
pub struct Described {
    pub info: AccountInfo,
    /// When it joined the organization (epoch milliseconds).
    pub joined_ms: Option<i64>,
}

/// Each account's `DescribeAccount`, asked at most once per view: `None`
/// inside when Organizations does not know the account. A failed call is
/// not kept (the next asker asks again).
pub(super) type DescribedCache = Arc<Mutex<HashMap<String, Arc<OnceCell<Option<Described>>>>>>;

impl Org {
    /// `account` as Organizations describes it, once per view; what its
    /// answer's `Paths` say of its OU path is learned on the way.
    pub async fn described(&self, account: &str) -> Result<Option<Described>, AwsError> {
        let cell = self
            .described
            .lock()
            .expect("cache lock")
            .entry(account.to_string())
            .or_default()
            .clone();
        cell.get_or_try_init(|| self.describe_now(account))
            .await
            .cloned()
    }

    async fn describe_now(&self, account: &str) -> Result<Option<Described>, AwsError> {
        let out = match self
            .client
            .describe_account()
            .account_id(account)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let err = AwsError::new("DescribeAccount", account, &self.region, &e);
                if err.is("AccountNotFoundException") {
                    return Ok(None);
                }
                return Err(err);
            }
        };
        Ok(out.account().map(|a| {
            self.learn(a);
            Described {
                info: info(a),
                joined_ms: a.joined_timestamp().and_then(|t| t.to_millis().ok()),
            }
        }))
    }

    /// Teaches this view `a`'s OU path from its `Paths`, where they read:
    /// [`Org::path`] then answers without `ListParents`. Ids only: OU names
    /// are read when a report or an alert wants them.
    pub(super) fn learn(&self, a: &Account) {
        let Some(id) = a.id() else {
            return;
        };
        let root = self.known_root();
        match account_path(a.paths.as_deref(), id, root.as_deref()) {
            PathsRead::Path(path) => {
                let mut parents = self.parents.lock().expect("cache lock");
                let mut child = id.to_string();
                for (i, ou) in path.iter().enumerate().rev() {
                    parents.insert(child, (ou.clone(), i == 0));
                    child = ou.clone();
                }
            }
            PathsRead::Absent => {}
            PathsRead::Unreadable(why) => {
                tracing::warn!(
                    account = id,
                    why,
                    "Account.Paths unreadable: walking with ListParents"
                );
            }
        }
    }

    /// The organization's root, where this view has met it (remembered
    /// once found: a page of accounts asks for each of them).
    fn known_root(&self) -> Option<String> {
        let mut memo = self.root_seen.lock().expect("cache lock");
        if memo.is_none() {
            let parents = self.parents.lock().expect("cache lock");
            *memo = parents
                .values()
                .find(|(_, is_root)| *is_root)
                .map(|(root, _)| root.clone());
        }
        memo.clone()
    }

    /// Whether this view already knows `child`'s parent (from a walk, a
    /// message, or an answer's `Paths`).
    pub(super) fn knows_parent(&self, child: &str) -> bool {
        self.parents.lock().expect("cache lock").contains_key(child)
    }

    /// Before a `ListParents` walk up from an account this view has not met:
    /// its `DescribeAccount` (which the run wants anyway for its name or
    /// standing), whose `Paths` make the walk free. `false`: the account is
    /// not in the organization. A failed describe leaves the walk to decide.
    pub(super) async fn met(&self, account: &str) -> bool {
        match self.described(account).await {
            Ok(found) => found.is_some(),
            Err(e) => {
                tracing::warn!(account, error_code = %e.code, error = %e, "DescribeAccount failed: walking with ListParents");
                true
            }
        }
    }
}
