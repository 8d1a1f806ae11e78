//! One look at the mapping: read it, decide, and (when this run is the one
//! to) tell and put it back. The sso-admin API has no version or condition
//! on its writes, so "one change, one effect" is decided in the table: the
//! drift this run found is swapped in as *reported* in one conditional
//! write, and only the run that swapped it tells and writes.

use std::future::Future;

use super::{changes, plan, Change, KeepMode, Mapping, Observed, Plan, Restore};
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

/// Reads and decides: whether this run tells the drift, and whether it is
/// this run's to put back. Writes nothing to Identity Center; the caller
/// keeps its alert durably, then calls [`put_back`], so a crash after the
/// write cannot lose the alert.
pub async fn look<S: MappingStore, N: News>(
    store: &S,
    news: &N,
    declared: &Mapping,
    mode: KeepMode,
    dry_run: bool,
) -> Result<Kept, AwsError> {
    let read_ms = crate::domain::clock::epoch_millis(crate::domain::clock::now());
    let found = store.read().await?;
    let plan = plan(declared, &found, mode);
    let mut kept = Kept {
        changes: changes(declared, &found),
        found,
        plan,
        turn: None,
        pending: None,
        restored: None,
    };
    if dry_run {
        return Ok(kept);
    }
    let restore = match plan {
        Plan::Keep => {
            news.settle().await?;
            return Ok(kept);
        }
        Plan::Drift(restore) => restore,
    };
    let turn = news
        .swap(&kept.found.canonical(), restore.is_some(), read_ms)
        .await?;
    kept.pending = restore.filter(|_| turn != Turn::Quiet);
    kept.turn = Some(turn);
    Ok(kept)
}

/// Writes the declared mapping back when [`look`] made it this run's.
pub async fn put_back<S: MappingStore, N: News>(
    store: &S,
    news: &N,
    declared: &Mapping,
    mut kept: Kept,
) -> Result<Kept, AwsError> {
    let Some(how) = kept.pending.take() else {
        return Ok(kept);
    };
    store.restore(how, declared).await?;
    kept.restored = Some(how);
    if let Err(e) = news.restored(&kept.found.canonical()).await {
        // The mapping is back; the next look settles the record.
        tracing::warn!(error_code = %e.code, error = %e, "cannot record that the mapping was put back");
    }
    Ok(kept)
}
