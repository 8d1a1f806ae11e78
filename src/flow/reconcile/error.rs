//! Why one account-region could not be converged, with its short code.

use super::{MAX_ROUNDS, UNPREDICTABLE_LAYOUTS};
use crate::domain::aws_error::AwsError;
use crate::domain::ports::Documents;
use crate::domain::preferences::PreferencesError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("{document} in account {account} region {region}: version {version} cannot be merged: {source}")]
    Content {
        account: String,
        region: String,
        document: String,
        version: String,
        source: PreferencesError,
    },
    #[error("{document} in account {account} region {region}: {tried} equivalent layouts of the compliant content (the one keyed on the next version number and {UNPREDICTABLE_LAYOUTS} unpredictable ones) all exist as versions")]
    NoFreeLayout {
        account: String,
        region: String,
        document: String,
        tried: usize,
    },
    #[error("{document} in account {account} region {region}: SSM's version limit is reached and no version other than the default ({default}) and the latest ({latest}) can be deleted")]
    VersionLimit {
        account: String,
        region: String,
        document: String,
        default: String,
        latest: String,
    },
    #[error("{document} in account {account} region {region}: still not compliant after {MAX_ROUNDS} rounds (another writer keeps changing it)")]
    NotConverged {
        account: String,
        region: String,
        document: String,
    },
    #[error("{document} in account {account} region {region}: another run took over the write lease; this run stopped before writing")]
    LeaseLost {
        account: String,
        region: String,
        document: String,
    },
}

impl ReconcileError {
    pub(super) fn lease_lost<D: Documents>(docs: &D) -> Self {
        ReconcileError::LeaseLost {
            account: docs.account().to_string(),
            region: docs.region().to_string(),
            document: docs.document().to_string(),
        }
    }

    pub(super) fn not_converged<D: Documents>(docs: &D) -> Self {
        ReconcileError::NotConverged {
            account: docs.account().to_string(),
            region: docs.region().to_string(),
            document: docs.document().to_string(),
        }
    }

    /// The short code reports and alerts carry.
    pub fn code(&self) -> &str {
        match self {
            ReconcileError::Aws(e) => &e.code,
            ReconcileError::Content { .. } => "UnmergeableDocument",
            ReconcileError::NoFreeLayout { .. } => "DuplicateDocumentContent",
            ReconcileError::VersionLimit { .. } => "DocumentVersionLimitExceeded",
            ReconcileError::NotConverged { .. } => "NotConverged",
            ReconcileError::LeaseLost { .. } => "LeaseLost",
        }
    }
}
