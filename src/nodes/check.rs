//! One account-region's check: keep exactly one association running the
//! lookup of the account's user on every node, and read what it found.

use std::future::Future;

use super::plan::{choose, plan, Plan};
use super::{Association, Associations, Readiness, ASSOCIATION_NAME, MAX_NODE_IDS};
use crate::aws::AwsError;
use crate::outcome::{Action, RegionOutcome};
use crate::ports::Versions;
use crate::preferences::RunAs;

/// Reads and writes before a check that keeps meeting someone else's
/// change gives up (each lost race is one version-checked update).
const ATTEMPTS: usize = 3;

/// The right to create the association: two runs that both find none (a
/// delete delivered twice, a sweep beside it) must not both create one.
pub trait CreateClaim: Sync {
    /// False while another run holds it.
    fn claim(&self) -> impl Future<Output = Result<bool, AwsError>> + Send;
    /// Gives it back after a creation failed, so the next attempt creates.
    fn release(&self) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// What one check wants.
pub struct Want<'a> {
    pub document: &'a str,
    pub user: &'a str,
    /// False for a dry run only: audit mode keeps the association too (it
    /// changes nothing about sessions, and readiness is what audit is for).
    pub write: bool,
    /// What the table last recorded here (a sweep knows it; an event does not).
    pub recorded: Option<&'a Readiness>,
    /// The recorded association as already read (`DescribeAssociation`
    /// beside the account's document reads): the first look costs nothing.
    pub described: Option<Option<Association>>,
}

/// The check's row: `document` is the check document, `nodes` what it found.
pub type Checked = RegionOutcome;

pub async fn check<A: Associations, C: CreateClaim>(
    store: &A,
    claim: &C,
    want: &Want<'_>,
) -> Checked {
    let row = match converge(store, claim, want).await {
        Ok(row) => row,
        Err(e) => {
            tracing::error!(account = store.account(), region = store.region(), error_code = %e.code, error = %e, "run-as user check not kept");
            RegionOutcome::failed(store.region(), &e.code, e.to_string())
        }
    };
    row.for_document(want.document, want.user)
}

async fn converge<A: Associations, C: CreateClaim>(
    store: &A,
    claim: &C,
    want: &Want<'_>,
) -> Result<RegionOutcome, AwsError> {
    let recorded_id = want.recorded.map(|r| r.association_id.as_str());
    let mut described = want.described.clone();
    for _ in 0..ATTEMPTS {
        let found = observe(store, want.document, recorded_id, described.take()).await?;
        let (kept, extras) = choose(&found, recorded_id);
        if want.write {
            delete_extras(store, &extras).await?;
        }
        let seen = Seen::of(store.region(), kept, want.user);
        let plan = plan(kept, want.document, want.user);
        if !want.write && !matches!(plan, Plan::Keep(_)) {
            return Ok(seen.row(Action::WouldChange, None, None));
        }
        match plan {
            Plan::Keep(a) => {
                let nodes = readiness(store, &a, want).await?;
                return Ok(seen.row(Action::None, Some(&a), Some(nodes)));
            }
            Plan::Create => {
                if !claim.claim().await? {
                    // Another run is creating it right now: that run says so.
                    return Ok(RegionOutcome {
                        error: Some("another run is creating the check's association".into()),
                        ..seen.row(Action::None, None, None)
                    });
                }
                let made = create(store, claim, want.user).await?;
                let a = store.describe(&made.id).await?.unwrap_or(made);
                let nodes = readiness(store, &a, want).await?;
                return Ok(seen.row(Action::Created, Some(&a), Some(nodes)));
            }
            Plan::Update(old) => {
                // Version-checked: someone who changed it in between wins
                // this round, and we look again.
                if let Some(made) = store.update(&old.id, &old.version, want.user).await? {
                    let a = store.describe(&made.id).await?.unwrap_or(made);
                    let nodes = readiness(store, &a, want).await?;
                    // The user was right and something else was not: news
                    // only when the event was an edit of it (as `inherit`).
                    return Ok(RegionOutcome {
                        followed: old.user.as_deref() == Some(want.user),
                        ..seen.row(Action::Updated, Some(&a), Some(nodes))
                    });
                }
            }
        }
    }
    Err(kept_changing(store))
}

/// A creation that failed gives its claim back, so the next attempt (the
/// check document landing, a re-attempt) creates it.
async fn create<A: Associations, C: CreateClaim>(
    store: &A,
    claim: &C,
    user: &str,
) -> Result<Association, AwsError> {
    let made = store.create(user).await;
    if made.is_err() {
        if let Err(r) = claim.release().await {
            tracing::warn!(error_code = %r.code, error = %r, "cannot release the check's creation claim; it lapses on its own");
        }
    }
    made
}

fn kept_changing<A: Associations>(store: &A) -> AwsError {
    AwsError {
        operation: "UpdateAssociation",
        account: store.account().to_string(),
        region: store.region().to_string(),
        code: "AssociationKeptChanging".into(),
        message: format!(
            "{ASSOCIATION_NAME} changed under every one of {ATTEMPTS} attempts to put it back"
        ),
    }
}

/// A copy of ours (a run that died before recording it, or one made by
/// hand): one association runs the check, not two.
async fn delete_extras<A: Associations>(
    store: &A,
    extras: &[&Association],
) -> Result<(), AwsError> {
    for x in extras {
        if store.delete(&x.id).await? {
            tracing::warn!(account = store.account(), region = store.region(), association = %x.id, "deleted a second association of the check");
        }
    }
    Ok(())
}

/// What the association was before this run, for the row.
struct Seen {
    region: String,
    before: Option<RunAs>,
    versions_before: Option<Versions>,
    after: RunAs,
}

impl Seen {
    fn of(region: &str, kept: Option<&Association>, user: &str) -> Seen {
        Seen {
            region: region.to_string(),
            before: kept.map(run_as),
            versions_before: kept.map(versions),
            after: RunAs::desired(user),
        }
    }

    fn row(
        &self,
        action: Action,
        now: Option<&Association>,
        nodes: Option<Readiness>,
    ) -> RegionOutcome {
        RegionOutcome {
            region: self.region.clone(),
            action,
            before: self.before.clone(),
            after: Some(self.after.clone()),
            versions_before: self.versions_before.clone(),
            version_after: now.map(|a| a.version.clone()),
            nodes,
            ..RegionOutcome::default()
        }
    }
}

/// What SSM holds: the recorded association alone when it is still ours
/// (one read), else every association that carries our name.
async fn observe<A: Associations>(
    store: &A,
    document: &str,
    recorded: Option<&str>,
    described: Option<Option<Association>>,
) -> Result<Vec<Association>, AwsError> {
    if let Some(id) = recorded {
        let read = match described {
            Some(read) => read,
            None => store.describe(id).await?,
        };
        if let Some(a) = read {
            if a.name.as_deref() == Some(ASSOCIATION_NAME) && a.document == document {
                return Ok(vec![a]);
            }
        }
    }
    store.find().await
}

/// The association's per-node outcome. Node ids are read only when nodes
/// fail and the failures differ from what was recorded: a steady check costs
/// the one `DescribeAssociation`.
async fn readiness<A: Associations>(
    store: &A,
    a: &Association,
    want: &Want<'_>,
) -> Result<Readiness, AwsError> {
    let mut now = Readiness {
        association_id: a.id.clone(),
        association_version: a.version.clone(),
        user: want.user.to_string(),
        checked: a.counts.total(),
        missing: a.counts.failed,
        missing_nodes: vec![],
        linux_or_macos: None,
    };
    if now.checked == 0 {
        now.linux_or_macos = platform_nodes(store, want, &now).await;
    }
    if now.missing == 0 {
        return Ok(now);
    }
    let same = want.recorded.filter(|r| {
        r.association_id == now.association_id
            && r.association_version == now.association_version
            && r.user == now.user
            && r.checked == now.checked
            && r.missing == now.missing
    });
    now.missing_nodes = match same {
        Some(r) => r.missing_nodes.clone(),
        None => {
            let mut ids = store.failed_nodes(&a.id, MAX_NODE_IDS).await?;
            ids.sort();
            ids.dedup();
            ids.truncate(MAX_NODE_IDS);
            ids
        }
    };
    Ok(now)
}

/// Whether there is a managed Linux or macOS node, asked only when no node
/// has a result. A node that joins runs the check at once: until something
/// has run, "none" found before stays true without a read. A member stack
/// older than this read's permission gets `None` ("no result yet"), never a
/// failed check.
async fn platform_nodes<A: Associations>(
    store: &A,
    want: &Want<'_>,
    now: &Readiness,
) -> Option<bool> {
    let none_before = want.recorded.is_some_and(|r| {
        r.association_id == now.association_id && r.checked == 0 && r.linux_or_macos == Some(false)
    });
    if none_before {
        return Some(false);
    }
    match store.any_linux_or_macos_node().await {
        Ok(any) => Some(any),
        Err(e) => {
            tracing::warn!(account = store.account(), region = store.region(), error_code = %e.code, error = %e, "cannot tell whether there are Linux or macOS nodes");
            None
        }
    }
}

fn run_as(a: &Association) -> RunAs {
    RunAs {
        enabled: Some(serde_json::Value::Bool(true)),
        user: a.user.clone().map(serde_json::Value::String),
    }
}

fn versions(a: &Association) -> Versions {
    Versions {
        default: a.version.clone(),
        latest: a.version.clone(),
    }
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
