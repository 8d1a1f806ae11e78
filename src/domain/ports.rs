//! What the core needs from AWS for one account-region (its governed
//! document, and the lease on writing it), and the values those calls answer
//! with. The adapters in `aws/` implement these ports; tests implement them
//! with doubles that count, fail and race.

use std::future::Future;
use std::time::SystemTime;

use crate::domain::aws_error::AwsError;
use crate::domain::preferences::{Preferences, RunAs};
use crate::domain::trigger::DOCUMENT_NAME;

/// The narrow documents port: one account-region's governed document.
pub trait Documents: Sync {
    fn account(&self) -> &str;
    fn region(&self) -> &str;
    fn document(&self) -> &str {
        DOCUMENT_NAME
    }
    /// Default and latest version numbers; `None` when there is no document.
    fn versions(&self) -> impl Future<Output = Result<Option<Versions>, AwsError>> + Send;
    /// `version`, or the default when `None`, as `GetDocument` answers;
    /// `None` when the document (or that version) does not exist.
    fn content(
        &self,
        version: Option<&str>,
    ) -> impl Future<Output = Result<Option<Got>, AwsError>> + Send;
    fn create(&self, content: &str) -> impl Future<Output = Result<Written, AwsError>> + Send;
    /// A new version on top of `latest`; [`Written::Stale`] when `latest` is
    /// no longer the latest version.
    fn update(
        &self,
        content: &str,
        latest: &str,
    ) -> impl Future<Output = Result<Written, AwsError>> + Send;
    fn set_default(&self, version: &str) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// Every version (`ListDocumentVersions`); read only at the version limit.
    fn list_versions(&self) -> impl Future<Output = Result<Vec<Listed>, AwsError>> + Send;
    /// Deletes exactly one version, never the document; `false` when that
    /// version was already gone.
    fn delete_version(&self, version: &str) -> impl Future<Output = Result<bool, AwsError>> + Send;
}

/// The right to write one account-region, held from the first write until
/// the run's result is recorded.
/// The code of [`Lease::acquire`]'s answer when the run leaves the
/// account-region to the run that holds it (see `store::lease`).
pub const DEFERRED: &str = "LeaseDeferred";

pub trait Lease: Sync {
    type Grant: Send;
    /// Waits for the lease. `fresh` is false when another run held or
    /// released it at or after `since` (when we began observing): what we
    /// saw may predate their write, so look again. `seen` is what the run is
    /// about to correct: the lease records it as the run's intent, so a run
    /// that dies after its write still ends in its alert and history.
    fn acquire(
        &self,
        since: SystemTime,
        seen: &Observed,
    ) -> impl Future<Output = Result<(Self::Grant, bool), AwsError>> + Send;
    /// The fence: false once a renewal found the lease in another run's
    /// hands. A holder that lost it never writes again.
    fn still_held(&self, grant: &Self::Grant) -> bool;
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// The document holds as many versions as SSM allows
    /// (`DocumentVersionLimitExceeded`: "Delete one or more document versions
    /// and try again").
    LimitReached,
}

/// One version as `ListDocumentVersions` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub number: String,
    pub is_default: bool,
}

/// One version as `GetDocument` answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Got {
    pub number: String,
    pub content: String,
    /// Its `CreatedDate` (RFC 3339), where AWS says it.
    pub made: Option<String>,
}

/// What one version holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub number: String,
    pub prefs: Preferences,
    /// When AWS says this version was made (`GetDocument`'s `CreatedDate`,
    /// RFC 3339), where it said: a document deleted and made again numbers
    /// its versions from 1 again, and only this tells its version 1 from the
    /// former one's.
    pub made: Option<String>,
}

// One per read, never held in bulk: boxing `Present` would cost an
// allocation per read to save the size of `Missing`, which is rare.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    Missing,
    Present { default: Version, latest: Version },
}

impl Observed {
    /// The RunAs a reader would have seen: the wrong one, if any is wrong.
    pub fn run_as(&self, user: &str) -> Option<RunAs> {
        match self {
            Observed::Missing => None,
            Observed::Present { default, latest } => {
                let d = default.prefs.run_as();
                if !d.is_compliant(user) {
                    Some(d)
                } else {
                    Some(latest.prefs.run_as())
                }
            }
        }
    }

    pub fn versions(&self) -> Option<Versions> {
        match self {
            Observed::Missing => None,
            Observed::Present { default, latest } => Some(Versions {
                default: default.number.clone(),
                latest: latest.number.clone(),
            }),
        }
    }

    /// When the default (or, `latest`, the latest) was made, as AWS said.
    pub fn made(&self, latest: bool) -> Option<String> {
        match self {
            Observed::Missing => None,
            Observed::Present { latest: l, .. } if latest => l.made.clone(),
            Observed::Present { default, .. } => default.made.clone(),
        }
    }

    /// A document whose default and latest are both `version`.
    pub(crate) fn only(number: String, prefs: Preferences) -> Observed {
        let v = Version {
            number,
            prefs,
            made: None,
        };
        Observed::Present {
            default: v.clone(),
            latest: v,
        }
    }
}
