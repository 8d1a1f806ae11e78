//! What imports came to: an account's (its report's `security_hub`) and a
//! sweep's in all (its summary's). Depends on nothing else of the module,
//! so the outcome vocabulary can carry it.

use serde::{Deserialize, Serialize};

/// A finding Security Hub did not take: refused (`FailedFindings`), or its
/// call failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub region: String,
    /// The finding; `None` when the whole call failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub code: String,
    pub message: String,
}

/// One of the guard's findings that someone else changed in Security Hub
/// CSPM (an import under the account's default product), found by a
/// sweep's read-back and sent again as the guard last sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tampered {
    pub region: String,
    /// The finding's `Id`.
    pub id: String,
    /// Its check (`run-as`, `readiness`).
    pub check: String,
    /// What differs from what the guard sent, one line each
    /// (`Compliance.Status FAILED -> PASSED`).
    pub changed: Vec<String>,
    /// When it was changed: the finding's `UpdatedAt` as found.
    pub updated_at: String,
    /// Whether Security Hub took the finding sent again.
    pub put_back: bool,
    /// Why it cannot be put back in place (a forged `UpdatedAt` later than
    /// any the guard can send); `None` when it can.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_in_place: Option<String>,
    /// The `Id` the guard's finding was sent under instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successor: Option<String>,
}

impl Tampered {
    /// The `Id` the guard's finding was sent under: its successor's, else
    /// its own (put back in place).
    pub fn sent_as(&self) -> &str {
        self.successor.as_deref().unwrap_or(&self.id)
    }
}

/// What one account's imports came to (its report's `security_hub`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imports {
    pub imported: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<Failure>,
    /// Regions found without Security Hub enabled (their findings wait).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hub_off: Vec<String>,
    /// Findings someone else changed, sent again (`finding_tampered`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tampered: Vec<Tampered>,
}

impl Imports {
    pub fn is_empty(&self) -> bool {
        self.imported == 0
            && self.failed.is_empty()
            && self.hub_off.is_empty()
            && self.tampered.is_empty()
    }

    /// `more` into a report's `security_hub` (either may be absent).
    pub fn join(into: &mut Option<Imports>, more: Option<Imports>) {
        match (into.as_mut(), more) {
            (Some(i), Some(m)) => i.merge(m),
            (None, m) => *into = m,
            (Some(_), None) => {}
        }
    }

    /// Another part of the same account's run (its rows no longer governed).
    pub fn merge(&mut self, other: Imports) {
        self.imported += other.imported;
        self.failed.extend(other.failed);
        self.hub_off.extend(other.hub_off);
        self.tampered.extend(other.tampered);
        self.hub_off.sort();
        self.hub_off.dedup();
    }
}

/// A sweep's findings in all: what its summary says of Security Hub.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub imported: usize,
    /// Findings Security Hub CSPM did not take: all counted, the first
    /// [`MAX_LISTED`] named (`<account> <region> <AWS code>`, sorted).
    pub failed: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_listed: Vec<String>,
    /// Account-regions newly found without Security Hub: all counted, the
    /// first [`MAX_LISTED`] named (`<account> <region>`).
    pub hub_off: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hub_off_listed: Vec<String>,
}

pub const MAX_LISTED: usize = 50;

impl Tally {
    pub fn add(&mut self, account: &str, imports: Option<&Imports>) {
        let Some(i) = imports else { return };
        self.imported += i.imported;
        self.failed += i.failed.len();
        self.failed_listed.extend(
            i.failed
                .iter()
                .map(|f| format!("{account} {} {}", f.region, f.code)),
        );
        self.hub_off += i.hub_off.len();
        self.hub_off_listed
            .extend(i.hub_off.iter().map(|r| format!("{account} {r}")));
        self.trim();
    }

    pub fn merge(&mut self, other: Tally) {
        self.imported += other.imported;
        self.failed += other.failed;
        self.failed_listed.extend(other.failed_listed);
        self.hub_off += other.hub_off;
        self.hub_off_listed.extend(other.hub_off_listed);
        self.trim();
    }

    fn trim(&mut self) {
        for listed in [&mut self.hub_off_listed, &mut self.failed_listed] {
            listed.sort();
            listed.truncate(MAX_LISTED);
        }
    }

    /// Worth the summary's words: a failure, or a hub newly found off.
    pub fn news(&self) -> bool {
        self.failed > 0 || self.hub_off > 0
    }
}
