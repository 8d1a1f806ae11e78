//! Converge one account-region: observe, plan (pure), act, and decide again
//! whenever AWS says the world moved.
//!
//! Invariant after a successful enforce-mode run: the default version is
//! compliant and is also the latest version. Writes never rest on a stale read:
//! `UpdateDocument` names the latest version we read, so a peer's write in
//! between makes AWS refuse ours (`Stale`) and we plan again on top of theirs.
//! Before the first write we take the account-region's [`Lease`], so
//! concurrent runs for one change make one version, not two.

use std::time::SystemTime;

use crate::domain::outcome::{Action, Read, RegionOutcome};
use crate::domain::policy::Mode;
use crate::domain::ports::{Documents, Got, Lease, Observed, Version, DEFERRED};

mod error;
mod write;

use crate::domain::preferences::{Preferences, RunAs};
pub use error::ReconcileError;
use write::act;
pub use write::{layouts, oldest_deletable};

/// Observe-plan-act rounds before we call a region "not converging".
const MAX_ROUNDS: usize = 5;

/// Unpredictable layouts a write tries after the keyed one turned out to be
/// taken (see [`layouts`]).
const UNPREDICTABLE_LAYOUTS: usize = 3;

/// Versions a write may delete to get under SSM's version limit.
const MAX_PRUNES: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    Nothing,
    Create(Preferences),
    Promote(String),
    /// Write on top of the latest version (named, for the version check).
    Write {
        prefs: Preferences,
        on_top_of: String,
    },
}

/// What one governed document must say.
#[derive(Debug, Clone, Copy)]
pub struct Want<'a> {
    pub user: &'a str,
    /// `inherit`: the parent's latest content, whose inputs (all but RunAs)
    /// this document must carry.
    pub parent: Option<&'a Preferences>,
}

impl<'a> Want<'a> {
    /// RunAs only: every other input is the account's own business.
    pub fn user(user: &'a str) -> Want<'a> {
        Want { user, parent: None }
    }

    fn is_met_by(&self, prefs: &Preferences) -> bool {
        prefs.run_as().is_compliant(self.user) && self.parent.is_none_or(|p| prefs.follows(p))
    }

    /// `prefs` made right, changing nothing else.
    fn applied_to(&self, prefs: &Preferences) -> Preferences {
        match self.parent {
            Some(parent) => prefs.following(parent).merged(self.user),
            None => prefs.merged(self.user),
        }
    }
}

/// The one place that decides what to do with a document.
pub fn plan(observed: &Observed, want: &Want<'_>) -> Plan {
    match observed {
        Observed::Missing => Plan::Create(want.applied_to(&Preferences::aws_default(want.user))),
        Observed::Present { default, latest } => {
            let latest_ok = want.is_met_by(&latest.prefs);
            if default.number == latest.number && latest_ok {
                Plan::Nothing
            } else if latest_ok {
                // LZA updates without switching the default: adopt its version.
                Plan::Promote(latest.number.clone())
            } else {
                // The latest version is the freshest intent for inputs we do not own.
                Plan::Write {
                    prefs: want.applied_to(&latest.prefs),
                    on_top_of: latest.number.clone(),
                }
            }
        }
    }
}

async fn read<D: Documents>(docs: &D, got: Got) -> Result<Version, ReconcileError> {
    let Got {
        number,
        content,
        made,
    } = got;
    let prefs = Preferences::parse(&content).map_err(|source| ReconcileError::Content {
        account: docs.account().to_string(),
        region: docs.region().to_string(),
        document: docs.document().to_string(),
        version: number.clone(),
        source,
    })?;
    Ok(Version {
        number,
        prefs,
        made,
    })
}

/// DescribeDocument and GetDocument (default) at once; a third call only when
/// the latest is not the default or the two answers disagree.
pub async fn observe<D: Documents>(docs: &D) -> Result<Observed, ReconcileError> {
    let (versions, default) = tokio::join!(docs.versions(), docs.content(None));
    // A document deleted between two calls reads as missing, not as an error.
    let Some(versions) = versions? else {
        return Ok(Observed::Missing);
    };
    let default = match default? {
        Some(got) if got.number == versions.default => Some(got),
        _ => docs.content(Some(&versions.default)).await?,
    };
    let Some(got) = default else {
        return Ok(Observed::Missing);
    };
    let default = read(docs, got).await?;
    let latest = if versions.latest == default.number {
        default.clone()
    } else {
        match docs.content(Some(&versions.latest)).await? {
            Some(got) => read(docs, got).await?,
            None => return Ok(Observed::Missing),
        }
    };
    Ok(Observed::Present { default, latest })
}

/// An observation made ahead of the plan (a vend reads the documents while
/// the account's OU path, and so its user, is still being looked up), with
/// the time it began: the lease judges freshness from then.
pub struct Seen {
    pub since: SystemTime,
    pub observed: Result<Observed, ReconcileError>,
}

pub async fn look<D: Documents>(docs: &D) -> Seen {
    let since = crate::domain::clock::now();
    Seen {
        since,
        observed: observe(docs).await,
    }
}

/// What one step of a round did.
#[allow(clippy::large_enum_variant)] // one per step, as `Observed`
enum Step {
    /// Done: the document is now as observed here.
    Converged(Observed),
    /// AWS says the world moved: observe again and plan again.
    Moved,
}

/// The run's story: what was there, what it did, what is there now.
struct Converged {
    before: Observed,
    action: Action,
    after: Observed,
}

impl Converged {
    fn with(before: Observed, action: Action, after: Observed) -> Converged {
        Converged {
            before,
            action,
            after,
        }
    }
}

impl Plan {
    /// What carrying out this step is called.
    fn action(&self) -> Action {
        match self {
            Plan::Nothing => Action::None,
            Plan::Create(_) => Action::Created,
            Plan::Promote(_) => Action::DefaultSwitched,
            Plan::Write { .. } => Action::Updated,
        }
    }
}

async fn converge<D: Documents, L: Lease>(
    docs: &D,
    lease: &L,
    want: &Want<'_>,
    mode: Mode,
    grant: &mut Option<L::Grant>,
    seen: Option<Seen>,
    read: &mut Option<Observed>,
) -> Result<Converged, ReconcileError> {
    let Seen { since, observed } = match seen {
        Some(seen) => seen,
        None => look(docs).await,
    };
    let mut current = observed?;
    *read = Some(current.clone());
    // The run's story starts from its last read: a write refused as stale
    // (someone wrote meanwhile) reads again, and the default first read,
    // replaced since, is history (read back from the record and told as a
    // window). Until 0.7.4 it stayed the run's "before": a run that then
    // had nothing to do told it nowhere (simulation seed 610025).
    for _ in 0..MAX_ROUNDS {
        let step = plan(&current, want);
        if step == Plan::Nothing {
            return Ok(Converged::with(current.clone(), Action::None, current));
        }
        if mode == Mode::Audit {
            return Ok(Converged::with(
                current.clone(),
                Action::WouldChange,
                current,
            ));
        }
        if grant.is_none() {
            let Some((g, fresh)) = take(lease, since, &current).await? else {
                return Ok(Converged::with(current.clone(), Action::Deferred, current));
            };
            *grant = Some(g);
            if !fresh {
                // Another run wrote (or is done writing) since we looked.
                current = reread(docs, read).await?;
                continue;
            }
        }
        if grant.as_ref().is_some_and(|g| !lease.still_held(g)) {
            return Err(ReconcileError::lease_lost(docs));
        }
        let this = step.action();
        match act(docs, step, &current).await? {
            Step::Converged(after) => return Ok(Converged::with(current, this, after)),
            Step::Moved => current = reread(docs, read).await?,
        }
    }
    Err(ReconcileError::not_converged(docs))
}

/// The default still holds the desired Run As and the latest does not:
/// what is wrong is the latest version alone (not in effect until it
/// becomes the default; `before` then says the latest's Run As).
fn pending(before: &Observed, user: &str) -> bool {
    match before {
        Observed::Present { default, latest } => {
            default.prefs.run_as().is_compliant(user) && !latest.prefs.run_as().is_compliant(user)
        }
        Observed::Missing => false,
    }
}

/// The document observed again, kept as what the run read last (a failure
/// after it still says what was read).
async fn reread<D: Documents>(
    docs: &D,
    read: &mut Option<Observed>,
) -> Result<Observed, ReconcileError> {
    let current = observe(docs).await?;
    *read = Some(current.clone());
    Ok(current)
}

/// The lease, or `None` when this run leaves the account-region to the
/// run that holds it (see [`Action::Deferred`]).
async fn take<L: Lease>(
    lease: &L,
    since: SystemTime,
    current: &Observed,
) -> Result<Option<(L::Grant, bool)>, ReconcileError> {
    match lease.acquire(since, current).await {
        Err(e) if e.code == DEFERRED => {
            tracing::info!(account = %e.account, slot = %e.region, "another run holds this account-region while this run holds others; left to it");
            Ok(None)
        }
        taken => Ok(Some(taken?)),
    }
}

/// A region's outcome and, when the run wrote, the lease it holds (to be
/// released by recording the result).
pub struct Reconciled<G> {
    pub outcome: RegionOutcome,
    pub grant: Option<G>,
    /// The latest content after the run (what it would be, in audit mode):
    /// what a document that inherits from this one follows. `None` when the
    /// document could not be read.
    pub content: Option<Preferences>,
}

/// Converges one account-region and says what it did. Never panics, never
/// returns without an outcome: errors become a `failed` outcome. `seen`: an
/// observation already made (else it observes first).
pub async fn reconcile<D: Documents, L: Lease>(
    docs: &D,
    lease: &L,
    want: &Want<'_>,
    mode: Mode,
    seen: Option<Seen>,
) -> Reconciled<L::Grant> {
    let mut grant = None;
    let region = docs.region();
    let user = want.user;
    let mut content = None;
    let mut read = None;
    let outcome = match converge(docs, lease, want, mode, &mut grant, seen, &mut read).await {
        Ok(c) => {
            content = Some(match &c.after {
                Observed::Present { latest, .. } => latest.prefs.clone(),
                Observed::Missing => want.applied_to(&Preferences::aws_default(user)),
            });
            converged_outcome(region, want, c)
        }
        Err(ReconcileError::Aws(e)) if is_region_disabled(&e.code) => RegionOutcome {
            error_code: Some(e.code.clone()),
            ..RegionOutcome::skipped(region, Action::RegionDisabled, Some(e.to_string()))
        },
        Err(e) => failed(region, &e, read, user),
    };
    Reconciled {
        outcome: outcome.for_document(docs.document(), user),
        grant,
        content,
    }
}

/// What a converged round says of its region.
fn converged_outcome(region: &str, want: &Want<'_>, c: Converged) -> RegionOutcome {
    let Converged {
        before,
        action,
        after,
    } = c;
    let user = want.user;
    // The inherited inputs were put back (RunAs aside): said apart,
    // since a run that only follows its parent reverts nobody.
    let followed = action.wrote()
        && want.parent.is_some_and(|p| match &before {
            Observed::Present { default, .. } => !default.prefs.follows(p),
            Observed::Missing => false,
        });
    let pending = pending(&before, user);
    RegionOutcome {
        region: region.to_string(),
        action,
        before: before.run_as(user),
        // In audit mode "after" is what it would become.
        after: if action == Action::WouldChange {
            Some(RunAs::desired(user))
        } else {
            after.run_as(user)
        },
        versions_before: before.versions(),
        version_after: after.versions().map(|v| v.default),
        error_code: None,
        error: None,
        followed,
        pending,
        made_before: before.made(pending),
        ..RegionOutcome::default()
    }
}

/// A failed run's outcome, with what it read (a finding says it).
fn failed(region: &str, e: &ReconcileError, read: Option<Observed>, user: &str) -> RegionOutcome {
    RegionOutcome {
        read: read.map(|r| Read {
            run_as: r.run_as(user),
            versions: r.versions(),
        }),
        ..RegionOutcome::failed(region, e.code(), e.to_string())
    }
}

/// Credentials valid elsewhere are refused in a region the account has not
/// opted into; AWS says so with these codes.
pub fn is_region_disabled(code: &str) -> bool {
    matches!(code, "UnrecognizedClientException" | "InvalidClientTokenId")
}

#[cfg(test)]
mod tests;
