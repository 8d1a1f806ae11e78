//! What a published security alert told, kept as history rows for the
//! auditor's report (`domain::report::audit::told`): a Run As window with
//! its sessions, an edit put back or seen, a repeated tamper, a failure to
//! fix, an account leaving governance. Written once the alert topic took
//! the alert (so a row says what was told, sessions included); the row's
//! key is the alert's, so a copy published again is the same row.

use crate::adapters::store::receipts::Receipts;
use crate::domain::alert::Alert;
use crate::domain::report::audit::told::{told_rows, ToldRow};

/// Keeps the told rows of `published`; a failure is logged (the report
/// then misses them) and never holds back the alerts themselves.
pub async fn keep(receipts: &Receipts, published: &[Alert]) {
    let rows: Vec<ToldRow> = published.iter().flat_map(told_rows).collect();
    if rows.is_empty() {
        return;
    }
    if let Err(e) = receipts.add_told(&rows).await {
        tracing::error!(rows = rows.len(), error_code = %e.code, error = %e, "cannot keep what these alerts told in the history: the auditor's report will miss them");
    }
}
