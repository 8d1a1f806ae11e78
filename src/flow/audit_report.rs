//! `runas-guard report`'s work: the hub table read (every state item, every
//! history row with what it told, the departures on record) and handed to
//! the pure report (`domain::report::audit`). Reads only.

use crate::adapters::store::state::StateStore;
use crate::domain::aws_error::AwsError;
use crate::domain::report::audit::{build, AuditReport, Input, Period};

/// The report over `period`; `retention_setting_days`: the
/// `RUNAS_GUARD_HISTORY_RETENTION_DAYS` the reader's environment has, said
/// where no row says its own.
pub async fn report(
    state: &StateStore,
    period: Period,
    retention_setting_days: Option<u64>,
) -> Result<AuditReport, AwsError> {
    let (states, records, departures) = tokio::try_join!(
        state.list(None),
        state.audit_records(),
        state.departures(&[])
    )?;
    let now = crate::domain::clock::now();
    Ok(build(Input {
        period,
        generated_at: crate::domain::clock::iso(now),
        guard_version: env!("CARGO_PKG_VERSION").to_string(),
        retention_setting_days,
        states,
        records,
        departures,
    }))
}
