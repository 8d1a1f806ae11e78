//! What a walk of the organization says of its tree, for `policy check
//! --org`: where each rule lands, and which OU a name means.

use std::collections::HashMap;

use super::Org;

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
}
