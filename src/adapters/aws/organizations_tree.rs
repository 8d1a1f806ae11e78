//! What a walk of the organization says of its tree, for `policy check
//! --org`: where each rule lands, and which OU a name means.

use std::collections::HashMap;

use super::{AccountInfo, AwsError, Org};

impl Org {
    /// Child -> parent for every OU and account this view's [`Org::walk`]
    /// found: where each rule of a policy lands in the tree.
    pub fn walked_parents(&self) -> HashMap<String, String> {
        let parents = self.parents.lock().expect("cache lock");
        parents
            .iter()
            .map(|(child, (parent, _))| (child.clone(), parent.clone()))
            .collect()
    }

    /// Every OU this view's [`Org::walk`] found, `(id, name)`, sorted by id:
    /// what answers a policy naming an OU by its name.
    pub fn walked_ou_names(&self) -> Vec<(String, String)> {
        let names = self.names.lock().expect("cache lock");
        let mut out: Vec<(String, String)> = names
            .iter()
            .filter(|(id, _)| id.starts_with("ou-"))
            .map(|(id, name)| (id.clone(), name.clone()))
            .collect();
        out.sort();
        out
    }

    /// The organization's OU and account ids, from one walk of its tree.
    pub async fn ids(&self) -> Result<crate::domain::policy::ids::OrgIds, AwsError> {
        let accounts = self.walk().await?;
        Ok(self.ids_walked(&accounts))
    }

    /// The ids this view's [`Org::walk`] found; `None` when it has not walked
    /// (or the walk failed: then nothing can be said to be missing).
    pub fn walked_ids(&self) -> Option<crate::domain::policy::ids::OrgIds> {
        let parents = self.parents.lock().expect("cache lock");
        let names = self.names.lock().expect("cache lock");
        // The root has no cached name ("Root" is fixed): it is a parent.
        let roots = parents
            .values()
            .map(|(p, _)| p)
            .filter(|p| p.starts_with("r-"));
        let ous: std::collections::HashSet<String> = names
            .keys()
            .filter(|id| id.starts_with("ou-"))
            .chain(roots)
            .cloned()
            .collect();
        let accounts: std::collections::HashSet<String> = parents
            .keys()
            .filter(|id| crate::domain::trigger::is_account_id(id))
            .cloned()
            .collect();
        (!accounts.is_empty()).then_some(crate::domain::policy::ids::OrgIds { ous, accounts })
    }

    /// The ids a [`Org::walk`] of this view found (`accounts` is what it returned).
    pub fn ids_walked(&self, accounts: &[AccountInfo]) -> crate::domain::policy::ids::OrgIds {
        crate::domain::policy::ids::OrgIds {
            ous: self.walked_ids().map(|ids| ids.ous).unwrap_or_default(),
            accounts: accounts.iter().map(|a| a.id.clone()).collect(),
        }
    }
}
