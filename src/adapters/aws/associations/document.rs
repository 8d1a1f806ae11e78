//! The check document's versions (`DescribeDocument`), read only where nodes
//! failed: which version the association runs says whether the failures
//! recorded are still the check's verdict.

use aws_sdk_ssm::error::ProvideErrorMetadata;

use super::AssociationStore;
use crate::adapters::aws::AwsError;
use crate::domain::nodes::DocumentVersions;

impl AssociationStore {
    pub(super) async fn versions(&self) -> Result<Option<DocumentVersions>, AwsError> {
        let out = match self
            .client
            .describe_document()
            .name(&self.document)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.code() == Some("InvalidDocument") => return Ok(None),
            Err(e) => return Err(self.err("DescribeDocument", &e)),
        };
        Ok(out.document().map(|d| DocumentVersions {
            default: d.default_version().unwrap_or_default().to_string(),
            latest: d.latest_version().unwrap_or_default().to_string(),
        }))
    }
}
