//! One governed document (`SSM-SessionManagerRunShell` or a `[[document]]`)
//! of a member account in one region: the real [`Documents`] port.

use aws_sdk_ssm::types::{DocumentFormat, DocumentType};

use super::AwsError;
use crate::reconcile::Documents;
use crate::trigger::DOCUMENT_NAME;

pub struct DocumentStore {
    client: aws_sdk_ssm::Client,
    pub account: String,
    pub region: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Versions {
    pub default: String,
    pub latest: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    Version(String),
    /// AWS already holds this exact content as some version.
    Duplicate,
    /// Someone created the document between our read and our create.
    AlreadyExists,
    /// The version we wrote on top of is no longer the latest
    /// (`InvalidDocumentVersion`): someone wrote in between.
    Stale,
}

impl DocumentStore {
    /// `SSM-SessionManagerRunShell`; see [`DocumentStore::named`].
    pub fn new(client: aws_sdk_ssm::Client, account: &str, region: &str) -> Self {
        DocumentStore::named(client, account, region, DOCUMENT_NAME)
    }

    pub fn named(client: aws_sdk_ssm::Client, account: &str, region: &str, name: &str) -> Self {
        DocumentStore {
            client,
            account: account.into(),
            region: region.into(),
            name: name.into(),
        }
    }

    fn err<E, R>(&self, op: &'static str, e: &aws_sdk_ssm::error::SdkError<E, R>) -> AwsError
    where
        E: aws_sdk_ssm::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let mut err = AwsError::new(op, &self.account, &self.region, e);
        if self.name != DOCUMENT_NAME {
            err.message = format!("{}: {}", self.name, err.message);
        }
        err
    }

    fn incomplete(&self, op: &'static str, message: &str) -> AwsError {
        AwsError {
            operation: op,
            account: self.account.clone(),
            region: self.region.clone(),
            code: "IncompleteResponse".into(),
            message: message.into(),
        }
    }
}

impl Documents for DocumentStore {
    fn account(&self) -> &str {
        &self.account
    }

    fn region(&self) -> &str {
        &self.region
    }

    fn document(&self) -> &str {
        &self.name
    }

    /// `None` when the document does not exist (`InvalidDocument`).
    async fn versions(&self) -> Result<Option<Versions>, AwsError> {
        match self
            .client
            .describe_document()
            .name(&self.name)
            .send()
            .await
        {
            Ok(out) => {
                let d = out.document();
                let get = |v: Option<&str>, what: &str| {
                    v.map(str::to_string).ok_or_else(|| {
                        self.incomplete(
                            "DescribeDocument",
                            &format!("no {what} version in the response"),
                        )
                    })
                };
                Ok(Some(Versions {
                    default: get(d.and_then(|d| d.default_version()), "default")?,
                    latest: get(d.and_then(|d| d.latest_version()), "latest")?,
                }))
            }
            Err(e) => {
                let err = self.err("DescribeDocument", &e);
                if err.is("InvalidDocument") {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }

    /// Content of one version (the default when `None`), as JSON whatever
    /// format it was stored in. `None` when the document vanished.
    async fn content(&self, version: Option<&str>) -> Result<Option<(String, String)>, AwsError> {
        let result = self
            .client
            .get_document()
            .name(&self.name)
            .set_document_version(version.map(str::to_string))
            .document_format(DocumentFormat::Json)
            .send()
            .await;
        match result {
            Ok(out) => {
                let Some(number) = out.document_version() else {
                    return Err(
                        self.incomplete("GetDocument", "no document version in the response")
                    );
                };
                Ok(Some((
                    number.to_string(),
                    out.content().unwrap_or_default().to_string(),
                )))
            }
            Err(e) => {
                let err = self.err("GetDocument", &e);
                if err.is("InvalidDocument") {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }

    async fn create(&self, content: &str) -> Result<Written, AwsError> {
        let result = self
            .client
            .create_document()
            .name(&self.name)
            .content(content)
            .document_type(DocumentType::Session)
            .document_format(DocumentFormat::Json)
            .send()
            .await;
        match result {
            Ok(out) => Ok(Written::Version(
                out.document_description()
                    .and_then(|d| d.document_version())
                    .unwrap_or("1")
                    .to_string(),
            )),
            Err(e) => {
                let err = self.err("CreateDocument", &e);
                if err.is("DocumentAlreadyExists") {
                    Ok(Written::AlreadyExists)
                } else {
                    Err(err)
                }
            }
        }
    }

    /// Names the version read as latest, never `$LATEST`: a write in
    /// between makes AWS refuse ours instead of losing theirs.
    async fn update(&self, content: &str, latest: &str) -> Result<Written, AwsError> {
        let result = self
            .client
            .update_document()
            .name(&self.name)
            .content(content)
            .document_version(latest)
            .document_format(DocumentFormat::Json)
            .send()
            .await;
        match result {
            Ok(out) => match out
                .document_description()
                .and_then(|d| d.document_version())
            {
                Some(v) => Ok(Written::Version(v.to_string())),
                None => {
                    Err(self.incomplete("UpdateDocument", "no document version in the response"))
                }
            },
            Err(e) => {
                let err = self.err("UpdateDocument", &e);
                match err.code.as_str() {
                    "DuplicateDocumentContent" => Ok(Written::Duplicate),
                    "InvalidDocumentVersion" => Ok(Written::Stale),
                    _ => Err(err),
                }
            }
        }
    }

    async fn set_default(&self, version: &str) -> Result<(), AwsError> {
        self.client
            .update_document_default_version()
            .name(&self.name)
            .document_version(version)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.err("UpdateDocumentDefaultVersion", &e))
    }
}
