//! What one look at the mapping needs and finds: Identity Center and the
//! table as ports, whose turn a drift is, and what the look decided. The
//! sso-admin API has no version or condition on its writes, so "one change,
//! one effect" is decided in the table: the drift a run found is swapped in
//! as *reported* in one conditional write, and only the run that swapped it
//! tells and writes. The flow looks (`flow::workers::identity_center`).

use std::future::Future;

use super::{Change, Mapping, Observed, Plan, Restore};
use crate::domain::aws_error::AwsError;

/// Identity Center's configuration of one instance.
pub trait MappingStore: Sync {
    fn read(&self) -> impl Future<Output = Result<Observed, AwsError>> + Send;
    fn restore(
        &self,
        how: Restore,
        mapping: &Mapping,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// Who tells (and puts back) one drift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Turn {
    /// This run found it first (or is a retry of the run that did): tell,
    /// and put back in enforce. `before` is what was recorded before it.
    Tell { before: Option<String> },
    /// Told by another run that did not finish putting it back in time:
    /// put back, without telling again.
    Finish,
    /// Another run has it.
    Quiet,
}

/// The table's record of what was reported.
pub trait News: Sync {
    /// Swaps `found` (a drift's canonical mapping) in as reported. `read_ms`:
    /// when the read that found it began; a read older than the put-back of
    /// the same mapping saw the old drift, not a new edit.
    fn swap(
        &self,
        found: &str,
        restoring: bool,
        read_ms: i64,
    ) -> impl Future<Output = Result<Turn, AwsError>> + Send;
    /// The declared mapping is in force again: the same edit made again is news.
    fn settle(&self) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// The put-back of `found` landed: it is no longer the drift in force,
    /// so the same edit made again is a new change.
    fn restored(&self, found: &str) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// What one look found, decided and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub found: Observed,
    pub plan: Plan,
    pub turn: Option<Turn>,
    /// This run's to write ([`put_back`]).
    pub pending: Option<Restore>,
    /// Written by this run.
    pub restored: Option<Restore>,
    pub changes: Vec<Change>,
}

impl Kept {
    /// `compliant`, `restored`, `drifted` (told or not).
    pub fn status(&self) -> &'static str {
        match (self.plan, self.restored) {
            (Plan::Keep, _) => "compliant",
            (_, Some(_)) => "restored",
            _ => "drifted",
        }
    }

    /// What was recorded before the drift, when this run tells it.
    pub fn told(&self) -> Option<Option<&str>> {
        match &self.turn {
            Some(Turn::Tell { before }) => Some(before.as_deref()),
            _ => None,
        }
    }
}
