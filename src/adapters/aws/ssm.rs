//! One governed document (`SSM-SessionManagerRunShell` or a `[[document]]`)
//! of a member account in one region: the real [`Documents`] port.

use aws_sdk_ssm::types::{DocumentFormat, DocumentType};

use super::AwsError;
use crate::domain::ports::{Documents, Got, Listed, Versions, Written};
use crate::domain::trigger::DOCUMENT_NAME;

pub struct DocumentStore {
    client: aws_sdk_ssm::Client,
    pub account: String,
    pub region: String,
    pub name: String,
}

impl DocumentStore {
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

impl DocumentStore {
    /// One past version's content (JSON) and creation time (RFC 3339);
    /// `None` when that version, or the document, is gone.
    pub async fn past(&self, version: &str) -> Result<Option<(String, Option<String>)>, AwsError> {
        let result = self
            .client
            .get_document()
            .name(&self.name)
            .document_version(version)
            .document_format(DocumentFormat::Json)
            .send()
            .await;
        match result {
            Ok(out) => Ok(Some((
                out.content().unwrap_or_default().to_string(),
                made(out.created_date()),
            ))),
            Err(e) => {
                let err = self.err("GetDocument", &e);
                if err.is("InvalidDocument") || err.is("InvalidDocumentVersion") {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
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
    async fn content(&self, version: Option<&str>) -> Result<Option<Got>, AwsError> {
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
                Ok(Some(Got {
                    number: number.to_string(),
                    content: out.content().unwrap_or_default().to_string(),
                    made: made(out.created_date()),
                }))
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
                    "DocumentVersionLimitExceeded" => Ok(Written::LimitReached),
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

    /// Every version, in pages of 50 (the most `ListDocumentVersions` gives).
    async fn list_versions(&self) -> Result<Vec<Listed>, AwsError> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .client
                .list_document_versions()
                .name(&self.name)
                .max_results(50)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| self.err("ListDocumentVersions", &e))?;
            for v in out.document_versions() {
                let Some(number) = v.document_version() else {
                    return Err(
                        self.incomplete("ListDocumentVersions", "a listed version has no number")
                    );
                };
                found.push(Listed {
                    number: number.to_string(),
                    is_default: v.is_default_version(),
                });
            }
            match out.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(found),
            }
        }
    }

    /// Deletes exactly one version. `DeleteDocument` without a version
    /// deletes the whole document, so a number is checked here, before
    /// anything is sent. `Ok(false)` when that version is already gone.
    async fn delete_version(&self, version: &str) -> Result<bool, AwsError> {
        if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AwsError {
                operation: "DeleteDocument",
                account: self.account.clone(),
                region: self.region.clone(),
                code: "InvalidDocumentVersion".into(),
                message: format!("refusing to delete {:?}: not a version number", version),
            });
        }
        match self
            .client
            .delete_document()
            .name(&self.name)
            .document_version(version)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => {
                let err = self.err("DeleteDocument", &e);
                if err.is("InvalidDocument") || err.is("InvalidDocumentVersion") {
                    Ok(false)
                } else {
                    Err(err)
                }
            }
        }
    }
}

/// A `CreatedDate` as RFC 3339.
fn made(d: Option<&aws_sdk_ssm::primitives::DateTime>) -> Option<String> {
    d.and_then(|d| {
        d.fmt(aws_sdk_ssm::primitives::DateTimeFormat::DateTime)
            .ok()
    })
}
