//! The reads that name nodes: what the check's association found, made a
//! verdict by `domain::nodes::found` (pure).

use crate::domain::aws_error::AwsError;
use crate::domain::nodes::found::{
    reread_after, reuse, same_run, tally, verdict_of, version_of_read_run, Kept,
};
use crate::domain::nodes::{Association, Associations, Readiness, MAX_NODE_IDS};

/// The association's per-node outcome. Nodes are read only when nodes
/// fail and the failures are not the ones recorded ([`same_run`]): a steady
/// check costs the one `DescribeAssociation`, failing nodes or not (the
/// check document's `DescribeDocument` only once a new run is to be read:
/// [`version_of_read_run`]).
pub async fn readiness<A: Associations>(
    store: &A,
    a: &Association,
    user: &str,
    recorded: Option<&Readiness>,
) -> Result<Readiness, AwsError> {
    let (mut now, kept) = verdict_of(a, user, recorded);
    if kept == Kept::Recorded {
        return Ok(now);
    }
    if now.checked == 0 {
        now.linux_or_macos = platform_nodes(store, recorded, &now).await;
    }
    if now.failed == 0 {
        return Ok(now);
    }
    now.document_version = Some(match version_of_read_run(recorded, &now) {
        Some(v) => v,
        None => document_version(store, a, recorded).await,
    });
    now.read_run = now.last_run;
    if let Some(r) = recorded.filter(|r| same_run(r, &now)) {
        return Ok(reuse(now, r));
    }
    now.reread_after = reread_after(recorded, &now);
    let read = store.failed_nodes(&a.id, MAX_NODE_IDS).await?;
    Ok(tally(now, read))
}

/// The check document's version the association runs. One that cannot be
/// read is taken as unchanged (said in the log): a read that fails must
/// not make every look read the nodes.
async fn document_version<A: Associations>(
    store: &A,
    a: &Association,
    recorded: Option<&Readiness>,
) -> String {
    let pinned = a.rest.document_version.as_deref();
    match store.document_versions().await {
        Ok(Some(v)) => v.run_by(pinned),
        Ok(None) => "gone".into(),
        Err(e) => {
            tracing::warn!(account = store.account(), region = store.region(), error_code = %e.code, error = %e, "cannot read the check document's version; taking it as unchanged");
            recorded
                .and_then(|r| r.document_version.clone())
                .unwrap_or_else(|| pinned.unwrap_or("$DEFAULT").to_string())
        }
    }
}

/// Whether there is a managed Linux or macOS node, asked only when no node
/// has a result. A node that joins runs the check at once: until something
/// has run, "none" found before stays true without a read. A member stack
/// older than this read's permission gets `None` ("no result yet"), never a
/// failed check.
async fn platform_nodes<A: Associations>(
    store: &A,
    recorded: Option<&Readiness>,
    now: &Readiness,
) -> Option<bool> {
    let none_before = recorded.is_some_and(|r| {
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

#[cfg(test)]
#[path = "found_tests.rs"]
mod tests;
