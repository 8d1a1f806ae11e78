//! A failed run's default switch, kept on its slot's item before the run's
//! alerts are (`domain::kept_switch`): the record that keeps it comes after
//! the keep ([`crate::flow::receipt`]), and a run that dies between the two
//! would leave the switch to nobody.

use crate::adapters::store::state::StateStore;
use crate::domain::job::Job;
use crate::domain::kept_switch::Kept;
use crate::domain::outcome::{AccountReport, Action, Status};
use crate::flow::account::Uncommitted;
use crate::flow::commit::observation;

/// The switches the records of `report`'s failed rows will keep
/// ([`Observation::keeps_switch`]), by slot: kept on the items before the
/// run's alerts are ([`keep_switches`]).
fn kept_switches(job: &Job, report: &AccountReport) -> Vec<(String, Kept)> {
    let user = report.desired_user.clone().unwrap_or_default();
    let failed = report.regions.iter().filter(|o| o.action == Action::Failed);
    failed
        .filter_map(|o| {
            let status = Status::of(o, o.user(&user), job.edited(o)).as_str();
            Some((o.slot(), observation(job, report, o, status).keeps_switch?))
        })
        .collect()
}

/// The switches failed rows' records will keep, kept first: a run that
/// dies after keeping its alerts and before its record (every attempt of
/// the switch's event, where an admin makes the guard's calls fail) would
/// leave the switch to nobody (simulation seed 900024: root's window,
/// opened by a switch whose runs all died so, never told). A keep that
/// fails is logged: the record keeps it still.
pub async fn keep_switches(state: &StateStore, job: &Job, accounts: &[Uncommitted]) {
    if job.dry_run {
        return;
    }
    for u in accounts {
        let account = &u.report.account;
        for (slot, kept) in kept_switches(job, &u.report) {
            if let Err(e) = state.keep_switch(account, &slot, &kept).await {
                tracing::warn!(account, slot, error_code = %e.code, error = %e, "cannot keep the switch before the alerts; the record keeps it");
            }
        }
    }
}
