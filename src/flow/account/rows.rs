//! What the table recorded of an account, read beside its preparation:
//! the rows of its present life only.

use crate::domain::aws_error::AwsError;
use crate::domain::job::Job;
use crate::domain::known::Snapshot;
use crate::domain::trigger::TriggerKind;

use super::Ctx;

/// The rows of the account's present life: a rejoined account's rows from
/// before it last joined are not judged as if it had been governed
/// meanwhile. The join time is the `DescribeAccount` its OU path asked.
pub(super) async fn this_life(ctx: &Ctx<'_>, account: &str, rows: Snapshot) -> Snapshot {
    if rows.is_empty() {
        return rows;
    }
    let joined = match ctx.org.joined_ms(account).await {
        Ok(joined) => joined,
        Err(e) => {
            tracing::warn!(account, error_code = %e.code, error = %e, "cannot tell when the account joined; judging by all its rows");
            None
        }
    };
    let (rows, gone) = rows.of_life(joined);
    if gone > 0 {
        tracing::info!(
            account,
            rows = gone,
            "rows from before the account last joined the organization: another life's, not judged"
        );
    }
    rows
}

/// The account's recorded rows: one query beside the rest, never on the
/// critical path. A run that finds changes without an edit event of its own
/// (a member-stack update, a baseline, a vend's re-attempt) tells someone's
/// change by them; an edit event tells by them whether the put-back undid
/// the editor's Run As or only applied a policy change the editor did not
/// touch. A sweep already holds them.
pub(super) async fn recorded(
    ctx: &Ctx<'_>,
    job: &Job,
    account: &str,
) -> Result<Option<Snapshot>, AwsError> {
    let wanted = job.known.is_none() && !job.dry_run && job.trigger.kind != TriggerKind::Sweep;
    if !wanted {
        return Ok(None);
    }
    ctx.state.snapshot_account(account).await.map(Some).map_err(|e| {
        tracing::warn!(account, error_code = %e.code, error = %e, "the account's recorded rows could not be read");
        e
    })
}
