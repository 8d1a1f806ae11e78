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

use crate::aws::AwsError;
use crate::outcome::{Action, RegionOutcome};
use crate::policy::Mode;
use crate::ports::{Documents, Lease, Listed, Observed, Version, Versions, Written};
use crate::preferences::{Layout, Preferences, PreferencesError, RunAs};

/// Observe-plan-act rounds before we call a region "not converging".
const MAX_ROUNDS: usize = 5;

/// Unpredictable layouts a write tries after the keyed one turned out to be
/// taken (see [`layouts`]).
const UNPREDICTABLE_LAYOUTS: usize = 3;

/// Versions a write may delete to get under SSM's version limit.
const MAX_PRUNES: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("{document} in account {account} region {region}: version {version} cannot be merged: {source}")]
    Content {
        account: String,
        region: String,
        document: String,
        version: String,
        source: PreferencesError,
    },
    #[error("{document} in account {account} region {region}: {tried} equivalent layouts of the compliant content (the one keyed on the next version number and {UNPREDICTABLE_LAYOUTS} unpredictable ones) all exist as versions")]
    NoFreeLayout {
        account: String,
        region: String,
        document: String,
        tried: usize,
    },
    #[error("{document} in account {account} region {region}: SSM's version limit is reached and no version other than the default ({default}) and the latest ({latest}) can be deleted")]
    VersionLimit {
        account: String,
        region: String,
        document: String,
        default: String,
        latest: String,
    },
    #[error("{document} in account {account} region {region}: still not compliant after {MAX_ROUNDS} rounds (another writer keeps changing it)")]
    NotConverged {
        account: String,
        region: String,
        document: String,
    },
    #[error("{document} in account {account} region {region}: another run took over the write lease; this run stopped before writing")]
    LeaseLost {
        account: String,
        region: String,
        document: String,
    },
}

impl ReconcileError {
    /// The short code reports and alerts carry.
    pub fn code(&self) -> &str {
        match self {
            ReconcileError::Aws(e) => &e.code,
            ReconcileError::Content { .. } => "UnmergeableDocument",
            ReconcileError::NoFreeLayout { .. } => "DuplicateDocumentContent",
            ReconcileError::VersionLimit { .. } => "DocumentVersionLimitExceeded",
            ReconcileError::NotConverged { .. } => "NotConverged",
            ReconcileError::LeaseLost { .. } => "LeaseLost",
        }
    }
}

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

async fn read<D: Documents>(
    docs: &D,
    number: String,
    content: String,
) -> Result<Version, ReconcileError> {
    let prefs = Preferences::parse(&content).map_err(|source| ReconcileError::Content {
        account: docs.account().to_string(),
        region: docs.region().to_string(),
        document: docs.document().to_string(),
        version: number.clone(),
        source,
    })?;
    Ok(Version { number, prefs })
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
        Some((number, content)) if number == versions.default => Some((number, content)),
        _ => docs.content(Some(&versions.default)).await?,
    };
    let Some((number, content)) = default else {
        return Ok(Observed::Missing);
    };
    let default = read(docs, number, content).await?;
    let latest = if versions.latest == default.number {
        default.clone()
    } else {
        match docs.content(Some(&versions.latest)).await? {
            Some((number, content)) => read(docs, number, content).await?,
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
    let since = SystemTime::now();
    Seen {
        since,
        observed: observe(docs).await,
    }
}

/// What one step of a round did.
enum Step {
    /// Done: the document is now as observed here.
    Converged(Observed),
    /// AWS says the world moved: observe again and plan again.
    Moved,
}

/// The layouts one write tries, in order.
///
/// First the layout keyed on the version number the write will create
/// (`on_top_of` + 1): every earlier revert used the number of the version it
/// created, all below that, so a run of reverts, however long, succeeds at
/// the first try. An editor who knows this can pre-write the compliant
/// content in the layouts of future numbers (as older versions, under later
/// edits); then the keyed layout is a genuine duplicate and the write moves
/// on to layouts drawn from `unpredictable`, in [2^62, 2^63): never a
/// version number, and one of 2^62 the editor cannot guess. Each costs 63
/// bytes of whitespace.
pub fn layouts(
    on_top_of: &str,
    mut unpredictable: impl FnMut() -> u64,
) -> impl Iterator<Item = Layout> {
    let keyed = on_top_of
        .parse::<Layout>()
        .ok()
        .and_then(|n| n.checked_add(1));
    keyed.into_iter().chain(
        std::iter::repeat_with(move || (unpredictable() >> 2) | 1 << 62)
            .take(UNPREDICTABLE_LAYOUTS),
    )
}

/// The version to delete at SSM's version limit: the oldest that is neither
/// the default nor the latest (by the listing and by what we observed), so
/// the newest history (the edits being reverted, the reverts) stays.
pub fn oldest_deletable(listed: &[Listed], default: &str, latest: &str) -> Option<String> {
    let newest = listed
        .iter()
        .filter_map(|v| v.number.parse::<u64>().ok())
        .max();
    listed
        .iter()
        .filter(|v| !v.is_default && v.number != default && v.number != latest)
        .filter_map(|v| v.number.parse::<u64>().ok().map(|n| (n, v)))
        .filter(|(n, _)| Some(*n) != newest)
        .min_by_key(|(n, _)| *n)
        .map(|(_, v)| v.number.clone())
}

/// At the version limit: delete the oldest deletable version.
async fn make_room<D: Documents>(docs: &D, seen: &Observed) -> Result<(), ReconcileError> {
    let Some(Versions { default, latest }) = seen.versions() else {
        return Ok(());
    };
    let listed = docs.list_versions().await?;
    let Some(victim) = oldest_deletable(&listed, &default, &latest) else {
        return Err(ReconcileError::VersionLimit {
            account: docs.account().to_string(),
            region: docs.region().to_string(),
            document: docs.document().to_string(),
            default,
            latest,
        });
    };
    let deleted = docs.delete_version(&victim).await?;
    tracing::warn!(
        account = docs.account(),
        region = docs.region(),
        document = docs.document(),
        version = %victim,
        deleted,
        versions = listed.len(),
        "document version limit reached: deleted the oldest version that is neither default nor latest"
    );
    Ok(())
}

async fn write_on_top<D: Documents>(
    docs: &D,
    prefs: &Preferences,
    on_top_of: &str,
    seen: &Observed,
) -> Result<Step, ReconcileError> {
    let mut prunes = 0;
    let mut tried = 0;
    for layout in layouts(on_top_of, crate::ids::unpredictable) {
        tried += 1;
        let content = prefs.render(layout);
        loop {
            match docs.update(&content, on_top_of).await? {
                Written::Version(v) => {
                    docs.set_default(&v).await?;
                    return Ok(Step::Converged(Observed::only(v, prefs.clone())));
                }
                Written::Stale | Written::AlreadyExists => return Ok(Step::Moved),
                Written::LimitReached if prunes < MAX_PRUNES => {
                    prunes += 1;
                    make_room(docs, seen).await?;
                }
                Written::LimitReached => {
                    let Versions { default, latest } = seen.versions().unwrap_or(Versions {
                        default: String::new(),
                        latest: on_top_of.to_string(),
                    });
                    return Err(ReconcileError::VersionLimit {
                        account: docs.account().to_string(),
                        region: docs.region().to_string(),
                        document: docs.document().to_string(),
                        default,
                        latest,
                    });
                }
                Written::Duplicate => {
                    // Our own earlier attempt may have landed (its answer lost
                    // and the call retried): only a genuine duplicate moves
                    // to another layout.
                    if observe(docs).await?.versions() != seen.versions() {
                        return Ok(Step::Moved);
                    }
                    // The keyed layout is new unless someone planted it:
                    // worth a warning.
                    tracing::warn!(
                        account = docs.account(),
                        region = docs.region(),
                        document = docs.document(),
                        layout,
                        "this layout of the compliant content exists as an older version; trying another"
                    );
                    break;
                }
            }
        }
    }
    Err(ReconcileError::NoFreeLayout {
        account: docs.account().to_string(),
        region: docs.region().to_string(),
        document: docs.document().to_string(),
        tried,
    })
}

async fn act<D: Documents>(docs: &D, step: Plan, seen: &Observed) -> Result<Step, ReconcileError> {
    match step {
        Plan::Nothing => Ok(Step::Converged(seen.clone())),
        Plan::Create(prefs) => match docs.create(&prefs.render(0)).await? {
            // CreateDocument makes version 1 both latest and default.
            Written::Version(v) => Ok(Step::Converged(Observed::only(v, prefs))),
            Written::AlreadyExists
            | Written::Duplicate
            | Written::Stale
            | Written::LimitReached => Ok(Step::Moved),
        },
        Plan::Promote(version) => {
            docs.set_default(&version).await?;
            let Observed::Present { latest, .. } = seen else {
                return Ok(Step::Moved);
            };
            Ok(Step::Converged(Observed::Present {
                default: latest.clone(),
                latest: latest.clone(),
            }))
        }
        Plan::Write { prefs, on_top_of } => write_on_top(docs, &prefs, &on_top_of, seen).await,
    }
}

/// The run's story: what was there, what it did, what is there now.
struct Converged {
    before: Observed,
    action: Action,
    after: Observed,
}

async fn converge<D: Documents, L: Lease>(
    docs: &D,
    lease: &L,
    want: &Want<'_>,
    mode: Mode,
    grant: &mut Option<L::Grant>,
    seen: Option<Seen>,
) -> Result<Converged, ReconcileError> {
    let Seen { since, observed } = match seen {
        Some(seen) => seen,
        None => look(docs).await,
    };
    let mut current = observed?;
    let mut before = current.clone();
    let mut action = Action::None;
    for _ in 0..MAX_ROUNDS {
        let step = plan(&current, want);
        if step == Plan::Nothing {
            return Ok(Converged {
                before,
                action,
                after: current,
            });
        }
        if mode == Mode::Audit {
            return Ok(Converged {
                before: current.clone(),
                action: Action::WouldChange,
                after: current,
            });
        }
        if grant.is_none() {
            let (g, fresh) = lease.acquire(since, &current).await?;
            *grant = Some(g);
            if !fresh {
                // Another run wrote (or is done writing) since we looked.
                current = observe(docs).await?;
                before = current.clone();
                continue;
            }
        }
        if grant.as_ref().is_some_and(|g| !lease.still_held(g)) {
            return Err(ReconcileError::LeaseLost {
                account: docs.account().to_string(),
                region: docs.region().to_string(),
                document: docs.document().to_string(),
            });
        }
        let this = match &step {
            Plan::Create(_) => Action::Created,
            Plan::Promote(_) => Action::DefaultSwitched,
            _ => Action::Updated,
        };
        match act(docs, step, &current).await? {
            Step::Converged(after) => {
                // The first write names the run; later rounds only finish the job.
                if action == Action::None {
                    before = current;
                    action = this;
                }
                return Ok(Converged {
                    before,
                    action,
                    after,
                });
            }
            Step::Moved => current = observe(docs).await?,
        }
    }
    Err(ReconcileError::NotConverged {
        account: docs.account().to_string(),
        region: docs.region().to_string(),
        document: docs.document().to_string(),
    })
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
    let outcome = match converge(docs, lease, want, mode, &mut grant, seen).await {
        Ok(Converged {
            before,
            action,
            after,
        }) => {
            // The inherited inputs were put back (RunAs aside): said apart,
            // since a run that only follows its parent reverts nobody.
            let followed = action.wrote()
                && want.parent.is_some_and(|p| match &before {
                    Observed::Present { default, .. } => !default.prefs.follows(p),
                    Observed::Missing => false,
                });
            content = Some(match &after {
                Observed::Present { latest, .. } => latest.prefs.clone(),
                Observed::Missing => want.applied_to(&Preferences::aws_default(user)),
            });
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
                ..RegionOutcome::default()
            }
        }
        Err(ReconcileError::Aws(e)) if is_region_disabled(&e.code) => RegionOutcome {
            error_code: Some(e.code.clone()),
            ..RegionOutcome::skipped(region, Action::RegionDisabled, Some(e.to_string()))
        },
        Err(e) => RegionOutcome::failed(region, e.code(), e.to_string()),
    };
    Reconciled {
        outcome: outcome.for_document(docs.document(), user),
        grant,
        content,
    }
}

/// Credentials valid elsewhere are refused in a region the account has not
/// opted into; AWS says so with these codes.
pub fn is_region_disabled(code: &str) -> bool {
    matches!(code, "UnrecognizedClientException" | "InvalidClientTokenId")
}

#[cfg(test)]
#[path = "reconcile_tests.rs"]
mod tests;
