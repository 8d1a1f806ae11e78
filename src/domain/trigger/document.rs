//! The document a CloudTrail SSM call names: a bare name or a document ARN.
//!
//! SSM's API model gives the write operations (`CreateDocument`,
//! `UpdateDocument`, `UpdateDocumentDefaultVersion`, `DeleteDocument`) a
//! `Name` of `^[a-zA-Z0-9_\-.]{3,128}$`, a bare name, while the reads
//! (`GetDocument`, `DescribeDocument`) and `CreateAssociation`, `SendCommand`,
//! `StartSession` take `^[a-zA-Z0-9_\-.:/]{3,128}$`: a name or, for a document
//! shared from another account, its ARN. AWS enforces those patterns
//! (`ValidationException`, which CloudTrail records with an `errorCode`, so
//! no rule routes it), and it has widened them before (`CreateAssociation`
//! once took bare names only). An edit recorded with an ARN is therefore
//! recognised too, for the account and region the ARN itself names only: an
//! ARN naming another account's (or region's) document is not an edit of
//! this account-region's own.

use crate::domain::ids::is_account_id;

/// What `requestParameters.name` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentRef<'a> {
    Name(&'a str),
    /// `arn:<partition>:ssm:<region>:<account>:document/<name>`; `account`
    /// is empty for AWS-owned documents.
    Arn {
        partition: &'a str,
        region: &'a str,
        account: &'a str,
        name: &'a str,
    },
    /// Starts like an ARN but is not an SSM document ARN.
    NotADocumentArn,
}

impl DocumentRef<'_> {
    /// The document's name, whichever way it was given.
    pub fn name(&self) -> Option<&str> {
        match self {
            DocumentRef::Name(n) | DocumentRef::Arn { name: n, .. } => Some(n),
            DocumentRef::NotADocumentArn => None,
        }
    }
}

pub fn document_ref(value: &str) -> DocumentRef<'_> {
    let Some(rest) = value.strip_prefix("arn:") else {
        return DocumentRef::Name(value);
    };
    let mut parts = rest.splitn(5, ':');
    let (Some(partition), Some("ssm"), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return DocumentRef::NotADocumentArn;
    };
    let Some(name) = resource.strip_prefix("document/") else {
        return DocumentRef::NotADocumentArn;
    };
    let partition_ok = partition == "aws"
        || partition.strip_prefix("aws-").is_some_and(|p| {
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        });
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if !partition_ok || !name_ok || (!account.is_empty() && !is_account_id(account)) {
        return DocumentRef::NotADocumentArn;
    }
    DocumentRef::Arn {
        partition,
        region,
        account,
        name,
    }
}
