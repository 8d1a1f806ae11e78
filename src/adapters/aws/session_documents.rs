//! Any `Session` document of a member account-region, read (never
//! written): does it open sessions that skip Run As?

use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::DocumentFormat;

use super::AwsError;

pub struct SessionDocuments {
    client: aws_sdk_ssm::Client,
    pub account: String,
    pub region: String,
}

/// What `DescribeDocument` says of one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub document_type: String,
    pub default: String,
    pub latest: String,
}

impl SessionDocuments {
    pub fn new(client: aws_sdk_ssm::Client, account: &str, region: &str) -> Self {
        SessionDocuments {
            client,
            account: account.into(),
            region: region.into(),
        }
    }

    fn err<E, R>(
        &self,
        op: &'static str,
        name: &str,
        e: &aws_sdk_ssm::error::SdkError<E, R>,
    ) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let mut err = AwsError::new(op, &self.account, &self.region, e);
        err.message = format!("{name}: {}", err.message);
        err
    }

    /// `None` when the document is gone (`InvalidDocument`).
    pub async fn describe(&self, name: &str) -> Result<Option<Described>, AwsError> {
        let out = match self.client.describe_document().name(name).send().await {
            Ok(out) => out,
            Err(e) if e.code() == Some("InvalidDocument") => return Ok(None),
            Err(e) => return Err(self.err("DescribeDocument", name, &e)),
        };
        let Some(d) = out.document() else {
            return Ok(None);
        };
        Ok(Some(Described {
            document_type: d
                .document_type()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            default: d.default_version().unwrap_or_default().to_string(),
            latest: d.latest_version().unwrap_or_default().to_string(),
        }))
    }

    /// The account's own `Session` documents in this region, by name.
    pub async fn list_session(&self) -> Result<Vec<String>, AwsError> {
        use aws_sdk_ssm::types::DocumentKeyValuesFilter;
        let filter = |k: &str, v: &str| DocumentKeyValuesFilter::builder().key(k).values(v).build();
        let mut names = Vec::new();
        let mut pages = self
            .client
            .list_documents()
            .filters(filter("DocumentType", "Session"))
            .filters(filter("Owner", "Self"))
            .max_results(50)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.err("ListDocuments", "-", &e))?;
            // `Owner=Self` keeps AWS's own documents out; an identifier
            // that names another owner is never the account's anyway.
            names.extend(
                page.document_identifiers()
                    .iter()
                    .filter(|d| d.owner().is_none_or(|o| o == self.account))
                    .filter_map(|d| d.name().map(str::to_string)),
            );
        }
        Ok(names)
    }

    /// When one version was created, as DescribeDocument tells it (a
    /// document deleted and created again has new dates); `None` when it is
    /// gone or the answer has none.
    pub async fn created(&self, name: &str, version: &str) -> Result<Option<String>, AwsError> {
        let out = match self
            .client
            .describe_document()
            .name(name)
            .document_version(version)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if matches!(e.code(), Some("InvalidDocument" | "InvalidDocumentVersion")) => {
                return Ok(None)
            }
            Err(e) => return Err(self.err("DescribeDocument", name, &e)),
        };
        Ok(out
            .document()
            .and_then(|d| d.created_date())
            .map(|t| format!("{}.{:09}", t.secs(), t.subsec_nanos())))
    }

    /// One version's text, in JSON (SSM converts a YAML document); `None`
    /// when it is gone.
    pub async fn text(&self, name: &str, version: &str) -> Result<Option<String>, AwsError> {
        let out = match self
            .client
            .get_document()
            .name(name)
            .document_version(version)
            .document_format(DocumentFormat::Json)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if matches!(e.code(), Some("InvalidDocument" | "InvalidDocumentVersion")) => {
                return Ok(None)
            }
            Err(e) => return Err(self.err("GetDocument", name, &e)),
        };
        Ok(out.content().map(str::to_string))
    }
}
