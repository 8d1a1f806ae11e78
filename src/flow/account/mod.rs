//! One account: OU path -> desired user -> assume a role -> every governed
//! region at once -> a report; then [`commit`] records it (and releases the
//! account-region leases the run took).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::adapters::aws::organizations::Org;
use crate::adapters::aws::sts::Sts;
use crate::adapters::store::lease::RegionGrant;
use crate::adapters::store::state::StateStore;
use crate::domain::job::Job;
use crate::domain::known::Snapshot;
use crate::domain::outcome::{AccountReport, Status};
use crate::domain::policy::Policy;
use crate::domain::seat::Seat;

mod accepted;
mod access;
pub mod activation;
mod admit;
pub mod adopted;
pub mod alerted;
pub mod change;
mod converge;
mod early;
mod finding_sessions;
pub mod findings;
mod gate;
mod held;
mod history;
mod history_start;
mod judge;
mod landed;
pub mod left;
mod life_default;
mod life_start;
mod missing;
pub mod named;
mod own_naming;
pub mod pending;
mod prepare;
mod regions;
mod retired;
mod rows;
pub mod sessions;
mod tamper;
mod unnamed;

pub(crate) use access::seated;
pub use access::{assume, locate, standing};
pub use admit::{admit, out_of_scope, Refused};
pub use converge::{converge, NO_RULE};
pub use prepare::{prepare, prepare_with, Prepare, Prepared};

/// What every account of one run shares.
pub struct Ctx<'a> {
    pub policy: &'a Policy,
    pub sts: &'a Sts,
    /// A view with caches for this run only.
    pub org: &'a Org,
    pub state: &'a StateStore,
    /// Per account: its vend's schedule, who said it configured, and its
    /// enrolment.
    pub vends: &'a crate::adapters::store::vend::Vends,
    /// Region reconciles in flight across the process (each makes at most
    /// two AWS calls at once): the hard bound on requests in flight.
    pub region_slots: &'a Arc<Semaphore>,
    /// How long after joining an unreachable account is `pending`.
    pub pending_window: std::time::Duration,
    /// The member StackSet's name, for what to check when it has not landed.
    pub member_stack_set: &'a str,
    /// The operator's read-only role, which a dry run takes instead of the
    /// policy's roles (`reconcile --dry-run` from the CLI).
    pub seat: Option<&'a Seat>,
    /// The windows' sessions this run read (each window read once).
    pub sessions_read: sessions::Read,
}

/// One account's result, with the leases its writes hold until committed.
pub struct Uncommitted {
    pub report: AccountReport,
    pub(crate) grants: HashMap<String, RegionGrant>,
    /// Audit mode: regions whose drift this run saw first.
    pub new_drift: HashSet<String>,
    /// Their marks (and the policy's), written by the keep of its alerts.
    pub drift_marks: Vec<crate::domain::records::DriftMark>,
    /// The run-as user check: slots where this run found nodes newly
    /// lacking the user (on-call hears it once).
    pub new_missing: HashSet<String>,
    /// What the table held for the account when a vend's re-attempt began:
    /// its record writes only the rows that changed ([`Job::is_reattempt`]).
    pub(crate) recorded: Option<Snapshot>,
}

impl Uncommitted {
    pub fn new(report: AccountReport) -> Uncommitted {
        Uncommitted {
            report,
            grants: HashMap::new(),
            new_drift: HashSet::new(),
            drift_marks: vec![],
            new_missing: HashSet::new(),
            recorded: None,
        }
    }

    /// The account's rows as a re-attempt found them, for its record.
    fn waited(mut self, job: &Job, recorded: Option<Snapshot>) -> Uncommitted {
        self.recorded = recorded.filter(|_| job.is_reattempt());
        self
    }

    /// Reverts of each reverted slot in the last hour, this one included.
    pub fn reverts_last_hour(&self, job: &Job) -> HashMap<String, usize> {
        let user = self.report.desired_user.as_deref().unwrap_or_default();
        self.report
            .regions
            .iter()
            .filter(|o| Status::of(o, o.user(user), job.edited(o)) == Status::Reverted)
            .map(|o| {
                let earlier = self
                    .grants
                    .get(&o.slot())
                    .map_or(0, |g| g.recent_reverts.len());
                (o.slot(), earlier + 1)
            })
            .collect()
    }
}
