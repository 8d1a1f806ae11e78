//! The attributes 0.9.0 and earlier left on the account's state items
//! (`domain::retired`), removed by the run that reads them: a sweep's rows
//! or an event's. Removing them never decides anything, so a failure is
//! logged and left to the next run that reads the item; it never fails or
//! holds up the run.

use crate::domain::job::Job;
use crate::domain::known::Snapshot;

use super::Ctx;

/// Removes what `rows` name as retired on `account`'s items; nothing for a
/// dry run (the operator's read-only seat writes nothing) or rows without.
pub(super) async fn remove(ctx: &Ctx<'_>, job: &Job, account: &str, rows: Option<&Snapshot>) {
    let Some(rows) = rows.filter(|_| !job.dry_run) else {
        return;
    };
    // The account's own range of the rows: a sweep's hold every account's.
    for slot in rows.slots(account) {
        let Some(k) = rows.get(account, &slot).filter(|k| !k.retired.is_empty()) else {
            continue;
        };
        match ctx.state.remove_retired(account, &slot, &k.retired).await {
            Ok(removed) => tracing::info!(
                account,
                slot = %slot,
                removed,
                "attributes left by 0.9.0 and earlier removed from the state item"
            ),
            Err(e) => tracing::warn!(
                account,
                slot = %slot,
                retired = k.retired.len(),
                error_code = %e.code,
                error = %e,
                "cannot remove the attributes left by 0.9.0 and earlier; the next run that reads the item tries again"
            ),
        }
    }
}
