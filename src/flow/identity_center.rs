//! One look at IAM Identity Center's access-control attribute mapping:
//! read it, decide (`domain::identity_center`, pure), and, when this run is
//! the one to, tell and put it back.

use crate::domain::aws_error::AwsError;
use crate::domain::identity_center::{
    changes, plan, KeepMode, Kept, Mapping, MappingStore, News, Plan, Turn,
};

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

#[cfg(test)]
#[path = "identity_center_tests.rs"]
mod tests;
