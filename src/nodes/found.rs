//! What the check's association found on the nodes: its counts, made a
//! verdict (pure, in [`verdict_of`]), and the few reads that name nodes.

use super::{Association, Associations, Counts, Readiness, MAX_NODE_IDS};
use crate::aws::AwsError;

/// The verdict the counts give, before any node is named. While a run is
/// under way (nodes `Pending` / `InProgress`) the counts mix this run's
/// answers with nodes not yet asked: the last finished verdict of the same
/// association and user stands (so nodes are neither cleared nor told
/// twice), its version brought up to date. Without one, only failures are
/// a finding: nodes that answered fine do not make the run a pass.
pub fn verdict_of(a: &Association, user: &str, recorded: Option<&Readiness>) -> (Readiness, Kept) {
    let Counts {
        success,
        failed,
        running,
        other,
    } = a.counts;
    let now = Readiness {
        association_id: a.id.clone(),
        association_version: a.version.clone(),
        user: user.to_string(),
        checked: success + failed + other,
        missing: failed,
        missing_nodes: vec![],
        linux_or_macos: None,
    };
    if running == 0 {
        return (now, Kept::No);
    }
    if let Some(r) = recorded.filter(|r| r.association_id == a.id && r.user == user) {
        return (
            Readiness {
                association_version: a.version.clone(),
                ..r.clone()
            },
            Kept::Recorded,
        );
    }
    let checked = if failed > 0 { now.checked } else { 0 };
    (Readiness { checked, ..now }, Kept::No)
}

/// Whether [`verdict_of`] kept the recorded verdict (nothing more to read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    Recorded,
    No,
}

/// The association's per-node outcome. Node ids are read only when nodes
/// fail and the failures differ from what was recorded: a steady check costs
/// the one `DescribeAssociation`.
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
    if now.checked == 0 && now.missing == 0 {
        now.linux_or_macos = platform_nodes(store, recorded, &now).await;
    }
    if now.missing == 0 {
        return Ok(now);
    }
    let same = recorded.filter(|r| {
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
mod tests {
    use super::*;

    fn assoc(id: &str, version: &str, counts: Counts) -> Association {
        Association {
            id: id.into(),
            version: version.into(),
            counts,
            ..Association::default()
        }
    }

    fn counts(success: u64, failed: u64, running: u64) -> Counts {
        Counts {
            success,
            failed,
            running,
            other: 0,
        }
    }

    fn told(id: &str, user: &str, missing: &[&str]) -> Readiness {
        Readiness {
            association_id: id.into(),
            association_version: "1".into(),
            user: user.into(),
            checked: 3,
            missing: missing.len() as u64,
            missing_nodes: missing.iter().map(|m| m.to_string()).collect(),
            linux_or_macos: None,
        }
    }

    #[test]
    fn a_run_under_way_keeps_the_last_finished_verdict() {
        let before = told("a", "ops", &["i-1", "i-2"]);
        // (what, association, recorded, kept?, checked, missing)
        let cases = [
            (
                "finished",
                assoc("a", "1", counts(1, 2, 0)),
                Some(&before),
                Kept::No,
                3,
                2,
            ),
            (
                "under way: kept",
                assoc("a", "1", counts(1, 0, 2)),
                Some(&before),
                Kept::Recorded,
                3,
                2,
            ),
            (
                "under way after our update",
                assoc("a", "2", counts(0, 0, 3)),
                Some(&before),
                Kept::Recorded,
                3,
                2,
            ),
            (
                "another association",
                assoc("b", "1", counts(1, 0, 2)),
                Some(&before),
                Kept::No,
                0,
                0,
            ),
            (
                "nothing recorded, no failure yet",
                assoc("a", "1", counts(2, 0, 1)),
                None,
                Kept::No,
                0,
                0,
            ),
            (
                "nothing recorded, a failure",
                assoc("a", "1", counts(1, 1, 1)),
                None,
                Kept::No,
                2,
                1,
            ),
        ];
        for (what, a, recorded, kept, checked, missing) in cases {
            let (r, k) = verdict_of(&a, "ops", recorded);
            assert_eq!(
                (k, r.checked, r.missing),
                (kept, checked, missing),
                "{what}"
            );
            assert_eq!(r.association_version, a.version, "{what}");
            if k == Kept::Recorded {
                assert_eq!(r.missing_nodes, before.missing_nodes, "{what}");
            }
        }
        // Another user's verdict is not this one's.
        let (_, k) = verdict_of(&assoc("a", "1", counts(0, 0, 3)), "admin", Some(&before));
        assert_eq!(k, Kept::No);
    }
}
