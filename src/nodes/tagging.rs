//! runas-guard's tag on the check's association ([`super::MANAGED_TAG_KEY`]):
//! the member role creates and updates only associations that carry it, and
//! the optional SCP keeps everyone else from changing one that does.

use super::{Association, Associations, Readiness};

/// The association this run keeps, and whether it carries runas-guard's tag.
pub struct Made {
    pub association: Association,
    pub tagged: bool,
}

/// `AddTagsToResource`'s answer for an association that does not exist.
const GONE: &str = "InvalidResourceId";

/// SSM's answer to a call the member role (or the session policy) does not allow.
pub fn denied(code: &str) -> bool {
    matches!(code, "AccessDeniedException" | "AccessDenied")
}

/// The association kept as it is, with whether it carries runas-guard's
/// tag: as the row recorded for this very association, else tagged now
/// (once: one 0.3.0 made, or one the row does not know). A dry run writes
/// nothing.
pub async fn keep<A: Associations>(
    store: &A,
    a: Association,
    recorded: Option<&Readiness>,
    write: bool,
) -> Made {
    let tagged = recorded.is_some_and(|r| r.tagged && r.association_id == a.id)
        || (write && tag(store, &a.id).await == Some(true));
    Made {
        association: a,
        tagged,
    }
}

/// Tags `id` as runas-guard's: `Some(true)` when it is, `None` when SSM
/// says there is no such association (deleted since it was read). A tag
/// that cannot be put is not a failed check (the association still runs
/// the lookup): the row stays untagged, so the next check tries again, and
/// an update the member role then refuses fails on its own.
pub async fn tag<A: Associations>(store: &A, id: &str) -> Option<bool> {
    match store.tag(id).await {
        Ok(()) => Some(true),
        Err(e) if e.code == GONE => None,
        Err(e) => {
            tracing::warn!(account = store.account(), region = store.region(), association = %id, error_code = %e.code, error = %e, "cannot tag the check's association as runas-guard's");
            Some(false)
        }
    }
}
