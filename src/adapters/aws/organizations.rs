//! Organizations: who is in the organization, and where (OU path).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_organizations::types::ParentType;

use super::AwsError;
use crate::domain::org_state::OrgState;

#[path = "organizations_tree.rs"]
mod tree;

#[path = "organizations_paths.rs"]
mod paths;

#[path = "organizations_walk.rs"]
mod walk;

#[path = "organizations_policy_types.rs"]
mod policy_types;
use crate::domain::policy_types::Enabled as PolicyTypeEnabled;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    pub id: String,
    pub name: String,
    /// Read from `State` (`Status` only where `State` is absent).
    pub state: OrgState,
    /// When it last joined the organization (`JoinedTimestamp`, epoch
    /// milliseconds; every listing carries it): rows recorded before are
    /// another life's ([`crate::domain::life`]).
    pub joined_ms: Option<i64>,
}

impl AccountInfo {
    pub fn is_active(&self) -> bool {
        self.state.is_active()
    }
}

/// Parent and name lookups are cached for the life of the value; the reactor
/// takes a [`Org::fresh`] one per invocation or sweep, so a warm Lambda never
/// answers from before an account moved.
#[derive(Clone)]
pub struct Org {
    pub(super) client: aws_sdk_organizations::Client,
    pub(super) region: String,
    parents: Arc<Mutex<HashMap<String, (String, bool)>>>,
    names: Arc<Mutex<HashMap<String, String>>>,
    /// This view's walk: the operator's id check and reconcile share it.
    walked: Arc<Mutex<Option<Vec<AccountInfo>>>>,
    described: paths::DescribedCache,
    root_seen: Arc<Mutex<Option<String>>>,
    /// The root's policy types, as this view's `ListRoots` answered.
    policy_types: Arc<Mutex<Option<Vec<PolicyTypeEnabled>>>>,
}

impl Org {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self::with_quota(config, &super::retry_quota::RetryQuota::default())
    }

    /// [`Org::new`], its retries drawn from the process's `quota`.
    pub fn with_quota(
        config: &aws_config::SdkConfig,
        quota: &super::retry_quota::RetryQuota,
    ) -> Self {
        let region = super::home_region(config);
        let conf = aws_sdk_organizations::config::Builder::from(config)
            .retry_partition(quota.partition("organizations", &region))
            .build();
        Org {
            client: aws_sdk_organizations::Client::from_conf(conf),
            region,
            parents: Arc::default(),
            names: Arc::default(),
            walked: Arc::default(),
            described: Arc::default(),
            root_seen: Arc::default(),
            policy_types: Arc::default(),
        }
    }

    /// The same client with empty caches.
    pub fn fresh(&self) -> Org {
        Org {
            client: self.client.clone(),
            region: self.region.clone(),
            parents: Arc::default(),
            names: Arc::default(),
            walked: Arc::default(),
            described: Arc::default(),
            root_seen: Arc::default(),
            policy_types: Arc::default(),
        }
    }

    /// (parent id, parent is the root)
    async fn parent(&self, account: &str, child: &str) -> Result<Option<(String, bool)>, AwsError> {
        if let Some(hit) = self.parents.lock().expect("cache lock").get(child) {
            return Ok(Some(hit.clone()));
        }
        let out = match self.client.list_parents().child_id(child).send().await {
            Ok(out) => out,
            Err(e) => {
                let err = AwsError::new("ListParents", account, &self.region, &e);
                if matches!(
                    err.code.as_str(),
                    "ChildNotFoundException" | "AccountNotFoundException"
                ) {
                    return Ok(None);
                }
                return Err(err);
            }
        };
        let Some(p) = out.parents().first() else {
            return Ok(None);
        };
        let entry = (
            p.id().unwrap_or_default().to_string(),
            p.r#type() == Some(&ParentType::Root),
        );
        self.parents
            .lock()
            .expect("cache lock")
            .insert(child.to_string(), entry.clone());
        Ok(Some(entry))
    }

    /// Root-first path of the OUs above `child` (an account or an OU),
    /// including the root and, for an OU, the OU itself when `include_self`.
    /// `None` when the child is not in this organization. An account this
    /// view has not met is described first: its `Paths` answer without
    /// `ListParents`; the walk is the fallback where they are absent.
    pub async fn path(
        &self,
        account: &str,
        child: &str,
        include_self: bool,
    ) -> Result<Option<Vec<String>>, AwsError> {
        let an_account = crate::domain::ids::is_account_id(child);
        if an_account && !self.knows_parent(child) && !self.met(child).await {
            return Ok(None);
        }
        let mut path = if include_self {
            vec![child.to_string()]
        } else {
            vec![]
        };
        let mut current = child.to_string();
        // Organizations nests at most five OU levels; the bound guards a cycle.
        for _ in 0..8 {
            match self.parent(account, &current).await? {
                None => return Ok(None),
                Some((id, is_root)) => {
                    path.push(id.clone());
                    if is_root {
                        path.reverse();
                        return Ok(Some(path));
                    }
                    current = id;
                }
            }
        }
        Err(AwsError {
            operation: "ListParents",
            account: account.into(),
            region: self.region.clone(),
            code: "PathTooDeep".into(),
            message: format!("no root found above {child}"),
        })
    }

    /// What this view knows of `account` after a walk: its root-first OU
    /// path as `(id, name)` pairs (the root included), for a fanned-out
    /// worker that must not ask Organizations again. `None` if not walked.
    pub fn walked_path(&self, account: &str) -> Option<Vec<(String, String)>> {
        let parents = self.parents.lock().expect("cache lock");
        let names = self.names.lock().expect("cache lock");
        let mut path = Vec::new();
        let mut current = account.to_string();
        for _ in 0..8 {
            let (id, is_root) = parents.get(&current)?.clone();
            let name = names.get(&id).cloned().unwrap_or_else(|| {
                if is_root {
                    "Root".into()
                } else {
                    id.clone()
                }
            });
            path.push((id.clone(), name));
            if is_root {
                path.reverse();
                return Some(path);
            }
            current = id;
        }
        None
    }

    /// Teaches this view an account's OU path (as [`Org::walked_path`] gave
    /// it), so [`Org::path`] and [`Org::path_names`] answer without a call.
    pub fn seed_path(&self, account: &str, path: &[(String, String)]) {
        let mut parents = self.parents.lock().expect("cache lock");
        let mut names = self.names.lock().expect("cache lock");
        let mut child = account.to_string();
        for (i, (id, name)) in path.iter().enumerate().rev() {
            parents.insert(child.clone(), (id.clone(), i == 0));
            names.insert(id.clone(), name.clone());
            child = id.clone();
        }
    }

    /// OU path for display: names joined by `/` (ids where a name is unknown).
    pub async fn path_names(&self, account: &str, path: &[String]) -> String {
        // Every OU at once: one round trip however deep the account sits (a
        // vend's alert waits for these names beside its regions).
        let mut tasks = tokio::task::JoinSet::new();
        for (i, id) in path.iter().enumerate() {
            let (org, account, id) = (self.clone(), account.to_string(), id.clone());
            tasks.spawn(async move { (i, org.name(&account, &id).await) });
        }
        // A name is cosmetic: a lookup that did not finish leaves the id.
        let mut names = path.to_vec();
        while let Some(joined) = tasks.join_next().await {
            if let Ok((i, name)) = joined {
                names[i] = name;
            }
        }
        names.join("/")
    }

    async fn name(&self, account: &str, id: &str) -> String {
        if id.starts_with("r-") {
            return "Root".into();
        }
        if let Some(n) = self.names.lock().expect("cache lock").get(id) {
            return n.clone();
        }
        let name = match self
            .client
            .describe_organizational_unit()
            .organizational_unit_id(id)
            .send()
            .await
        {
            Ok(out) => out
                .organizational_unit()
                .and_then(|o| o.name())
                .unwrap_or(id)
                .to_string(),
            Err(e) => {
                // A name is cosmetic: report with the id rather than fail the row.
                let err = AwsError::new("DescribeOrganizationalUnit", account, &self.region, &e);
                tracing::warn!(ou = id, code = %err.code, "cannot name OU");
                id.to_string()
            }
        };
        self.names
            .lock()
            .expect("cache lock")
            .insert(id.into(), name.clone());
        name
    }

    fn unknown(&self, operation: &'static str, e: &dyn std::fmt::Display) -> AwsError {
        AwsError {
            operation,
            account: "-".into(),
            region: self.region.clone(),
            code: "Unknown".into(),
            message: e.to_string(),
        }
    }

    async fn root(&self) -> Result<String, AwsError> {
        let roots = self
            .client
            .list_roots()
            .send()
            .await
            .map_err(|e| AwsError::new("ListRoots", "-", &self.region, &e))?;
        let root = roots.roots().first();
        *self.policy_types.lock().expect("cache lock") = root.map(policy_types::of);
        root.and_then(|r| r.id())
            .map(str::to_string)
            .ok_or_else(|| self.unknown("ListRoots", &"the organization has no root"))
    }
}

/// An account record (`DescribeAccount`, `ListAccountsForParent`): its
/// standing from `State`, and from the retired `Status` only where `State`
/// is absent.
pub(super) fn info(a: &aws_sdk_organizations::types::Account) -> AccountInfo {
    #[allow(deprecated)]
    let status = a.status().map(|s| s.as_str());
    AccountInfo {
        id: a.id().unwrap_or_default().to_string(),
        name: a.name().unwrap_or_default().to_string(),
        state: OrgState::read(a.state().map(|s| s.as_str()), status),
        joined_ms: a.joined_timestamp().and_then(|t| t.to_millis().ok()),
    }
}
