//! The walk of the whole tree: every parent's child OUs and accounts, each
//! listing started as soon as its parent is known, never waiting for the
//! rest of its level.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{info, AccountInfo, AwsError, Org};

/// Listings (a parent's OUs, or its accounts) under way at once.
/// Organizations' request quotas are low (a few per second per operation,
/// with bursts): this is the walk's bound since it listed four parents at a
/// time, both listings each; a slot now passes to the next listing as soon
/// as one ends, where a parent's slot used to wait for its longer listing.
const WALK_REQUESTS: usize = 8;
/// Organizations nests at most five OU levels; the bound guards a cycle.
const MAX_DEPTH: usize = 8;

/// A parent's place in the walk: its id, whether it is the root, its depth.
#[derive(Clone)]
struct Parent {
    id: String,
    is_root: bool,
    depth: usize,
}

/// What one listing found.
enum Listed {
    Ous(Parent, Vec<(String, String)>),
    Accounts(Parent, Vec<AccountInfo>),
}

impl Org {
    /// Walks the whole tree once (root, then each parent's OUs and accounts),
    /// filling this view's caches so every account's OU path and OU names
    /// cost nothing more. One walk per sweep instead of a ListParents chain
    /// per account. A parent's child OUs are listed as soon as its own OU
    /// listing ends: a parent with many pages of accounts holds up no level.
    pub async fn walk(&self) -> Result<Vec<AccountInfo>, AwsError> {
        if let Some(walked) = self.walked.lock().expect("cache lock").clone() {
            return Ok(walked);
        }
        let root = Parent {
            id: self.root().await?,
            is_root: true,
            depth: 0,
        };
        let limit = Arc::new(Semaphore::new(WALK_REQUESTS));
        let mut tasks = JoinSet::new();
        self.list(&mut tasks, &limit, root);
        let mut accounts = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined.map_err(|e| self.unknown("ListChildren", &e))?? {
                Listed::Ous(parent, ous) => {
                    for (id, name) in ous {
                        self.found(&id, &parent);
                        self.names
                            .lock()
                            .expect("cache lock")
                            .insert(id.clone(), name);
                        if parent.depth + 1 < MAX_DEPTH {
                            let depth = parent.depth + 1;
                            let is_root = false;
                            self.list(&mut tasks, &limit, Parent { id, is_root, depth });
                        }
                    }
                }
                Listed::Accounts(parent, found) => {
                    found.iter().for_each(|a| self.found(&a.id, &parent));
                    accounts.extend(found);
                }
            }
        }
        accounts.sort_by(|a, b| a.id.cmp(&b.id));
        *self.walked.lock().expect("cache lock") = Some(accounts.clone());
        Ok(accounts)
    }

    fn found(&self, child: &str, parent: &Parent) {
        let entry = (parent.id.clone(), parent.is_root);
        self.parents
            .lock()
            .expect("cache lock")
            .insert(child.to_string(), entry);
    }

    /// Both listings of `parent`, each waiting for a slot of its own.
    fn list(
        &self,
        tasks: &mut JoinSet<Result<Listed, AwsError>>,
        limit: &Arc<Semaphore>,
        parent: Parent,
    ) {
        let (me, slot, p) = (self.clone(), limit.clone(), parent.clone());
        tasks.spawn(async move {
            let _slot = slot.acquire_owned().await.expect("semaphore never closes");
            Ok(Listed::Ous(p.clone(), me.ous_of(&p.id).await?))
        });
        let (me, slot) = (self.clone(), limit.clone());
        tasks.spawn(async move {
            let _slot = slot.acquire_owned().await.expect("semaphore never closes");
            Ok(Listed::Accounts(
                parent.clone(),
                me.accounts_under(&parent.id).await?,
            ))
        });
    }

    /// One parent's child OUs `(id, name)`, every page.
    async fn ous_of(&self, parent: &str) -> Result<Vec<(String, String)>, AwsError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_organizational_units_for_parent()
            .parent_id(parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                AwsError::new("ListOrganizationalUnitsForParent", "-", &self.region, &e)
            })?;
            out.extend(page.organizational_units().iter().map(|o| {
                let id = o.id().unwrap_or_default().to_string();
                (id.clone(), o.name().map_or(id, str::to_string))
            }));
        }
        Ok(out)
    }

    /// One parent's own accounts, every page (each learnt: its `Paths`).
    pub(in crate::adapters::aws) async fn accounts_under(
        &self,
        parent: &str,
    ) -> Result<Vec<AccountInfo>, AwsError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_accounts_for_parent()
            .parent_id(parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| AwsError::new("ListAccountsForParent", "-", &self.region, &e))?;
            page.accounts().iter().for_each(|a| self.learn(a));
            out.extend(page.accounts().iter().map(info));
        }
        Ok(out)
    }
}
