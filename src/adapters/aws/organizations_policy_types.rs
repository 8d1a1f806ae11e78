//! The root's policy types (`Root.PolicyTypes`), read from the `ListRoots`
//! answer a walk already has, or from one `ListRoots` of their own.

use super::{AwsError, Org, PolicyTypeEnabled};

/// A root's policy types as the API names them: a type or status this SDK
/// does not model keeps the name AWS sent.
pub(super) fn of(root: &aws_sdk_organizations::types::Root) -> Vec<PolicyTypeEnabled> {
    root.policy_types()
        .iter()
        .map(|t| PolicyTypeEnabled {
            kind: t.r#type().map_or("-", |k| k.as_str()).to_string(),
            status: t.status().map_or("-", |s| s.as_str()).to_string(),
        })
        .collect()
}

impl Org {
    /// The root's policy types as this view's [`Org::walk`] read them (no
    /// call of its own); `None` when it has not walked.
    pub fn walked_policy_types(&self) -> Option<Vec<PolicyTypeEnabled>> {
        self.policy_types.lock().expect("cache lock").clone()
    }

    /// The root's policy types: one `ListRoots` (none when this view has
    /// already read it).
    pub async fn policy_types(&self) -> Result<Vec<PolicyTypeEnabled>, AwsError> {
        if let Some(known) = self.walked_policy_types() {
            return Ok(known);
        }
        self.root().await?;
        Ok(self.walked_policy_types().unwrap_or_default())
    }
}
