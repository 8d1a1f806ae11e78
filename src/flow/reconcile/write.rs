//! How a correction is written: in a layout of the compliant content that no
//! version holds yet (SSM refuses content equal to any version), making room
//! under SSM's version limit when it is reached.

use super::{observe, Plan, ReconcileError, Step, MAX_PRUNES, UNPREDICTABLE_LAYOUTS};
use crate::domain::ports::{Documents, Listed, Observed, Versions, Written};
use crate::domain::preferences::{Layout, Preferences};

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

/// SSM's version limit, with nothing left to delete.
fn limit_reached<D: Documents>(docs: &D, seen: &Observed, on_top_of: &str) -> ReconcileError {
    let Versions { default, latest } = seen.versions().unwrap_or(Versions {
        default: String::new(),
        latest: on_top_of.to_string(),
    });
    ReconcileError::VersionLimit {
        account: docs.account().to_string(),
        region: docs.region().to_string(),
        document: docs.document().to_string(),
        default,
        latest,
    }
}

/// The merged content on top of `on_top_of`, in the first layout no version
/// holds yet, deleting old versions at SSM's limit.
async fn write_on_top<D: Documents>(
    docs: &D,
    prefs: &Preferences,
    on_top_of: &str,
    seen: &Observed,
) -> Result<Step, ReconcileError> {
    let mut prunes = 0;
    let mut tried = 0;
    for layout in layouts(on_top_of, crate::domain::ids::unpredictable) {
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
                Written::LimitReached => return Err(limit_reached(docs, seen, on_top_of)),
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

pub(super) async fn act<D: Documents>(
    docs: &D,
    step: Plan,
    seen: &Observed,
) -> Result<Step, ReconcileError> {
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
