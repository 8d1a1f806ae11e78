//! One piece of work as it was asked for: the trigger (who to blame), whether
//! to write, the owner token its claims and leases carry, and a sweep's view
//! of the table. Handed down from the wrapper to every worker.

use std::sync::Arc;

use crate::domain::known::Snapshot;
use crate::domain::outcome::RegionOutcome;
use crate::domain::trigger::Trigger;

/// How a run was asked for: who to blame, whether to write, who owns it.
#[derive(Debug, Clone)]
pub struct Job {
    pub trigger: Trigger,
    /// `--dry-run`: no member writes, no state, no alerts.
    pub dry_run: bool,
    /// This run's token on claims and leases.
    pub owner: String,
    /// A sweep's view of the table at its start: write only what changed.
    pub known: Option<Arc<Snapshot>>,
    /// The regions of the stack-instance events this run answers for, when
    /// it took a burst's ([`crate::domain::landing_gate`]); else the trigger's.
    pub burst: Option<Vec<String>>,
    /// An earlier attempt of this event held its claim and did not finish
    /// (it died, or failed): what it wrote and recorded, this attempt
    /// finds done, and says what it configured.
    pub retried: bool,
}

impl Job {
    pub fn new(trigger: Trigger, dry_run: bool) -> Job {
        Job {
            trigger,
            dry_run,
            owner: crate::domain::ids::token(),
            known: None,
            burst: None,
            retried: false,
        }
    }

    /// The regions whose member stack landed, as this run's events name them.
    pub fn landed(&self) -> Vec<String> {
        match &self.burst {
            Some(regions) => regions.clone(),
            None => self.trigger.region.iter().cloned().collect(),
        }
    }

    /// A vend's re-attempt of an account awaiting its member stack
    /// (`workers::pending::Reattempt`): it writes only what changed, so
    /// waiting costs little.
    pub fn is_reattempt(&self) -> bool {
        self.trigger.context.attempt > 0
            && self.trigger.kind == crate::domain::trigger::TriggerKind::AccountVended
    }

    /// A document event about this outcome's document: a write here undid
    /// someone's edit. (An event on `SSM-SessionManagerRunShell` that makes
    /// a `[[document]]` follow it reverts nobody; neither does the event of
    /// our own write, whose put-back the editor's event counts, as a
    /// sweep's.)
    pub fn edited(&self, o: &RegionOutcome) -> bool {
        self.trigger.names_editor() && self.trigger.edits(o.document_name())
    }
}
