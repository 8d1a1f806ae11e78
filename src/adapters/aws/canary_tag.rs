//! The forwarding canary's one write: its tag on the account-region's
//! `SSM-SessionManagerRunShell` (`AddTagsToResource` overwrites a tag of
//! the same key, so the document carries one canary tag, the latest).

use aws_sdk_ssm::types::{ResourceTypeForTagging, Tag};

use super::AwsError;
use crate::domain::canary::TAG_KEY;
use crate::domain::trigger::DOCUMENT_NAME;

pub async fn put(
    client: &aws_sdk_ssm::Client,
    account: &str,
    region: &str,
    token: &str,
) -> Result<(), AwsError> {
    let tag = Tag::builder()
        .key(TAG_KEY)
        .value(token)
        .build()
        .map_err(|e| AwsError {
            operation: "AddTagsToResource",
            account: account.into(),
            region: region.into(),
            code: "InvalidParameter".into(),
            message: e.to_string(),
        })?;
    client
        .add_tags_to_resource()
        .resource_type(ResourceTypeForTagging::Document)
        .resource_id(DOCUMENT_NAME)
        .tags(tag)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            let mut err = AwsError::new("AddTagsToResource", account, region, &e);
            err.message = format!("{DOCUMENT_NAME}: {}", err.message);
            err
        })
}
