//! runas-guard's tag put on the check's association
//! ([`crate::domain::nodes::MANAGED_TAG_KEY`]): the member role creates and
//! updates only associations that carry it, and the optional SCP keeps
//! everyone else from changing one that does.

use crate::domain::nodes::put_back::{Made, Tagging};
use crate::domain::nodes::{Association, Associations, Readiness};

/// `AddTagsToResource`'s answer for an association that does not exist.
const GONE: &str = "InvalidResourceId";

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

/// Tags `id` as runas-guard's, saying how it went (a refusal is logged).
pub async fn try_tag<A: Associations>(store: &A, id: &str) -> Tagging {
    match store.tag(id).await {
        Ok(()) => Tagging::Tagged,
        Err(e) if e.code == GONE => Tagging::Gone,
        Err(e) => {
            tracing::warn!(account = store.account(), region = store.region(), association = %id, error_code = %e.code, error = %e, "cannot tag the check's association as runas-guard's");
            Tagging::Refused(e.code)
        }
    }
}

/// Tags `id` as runas-guard's: `Some(true)` when it is, `None` when it is
/// gone. A tag that cannot be put on an association kept as it is is not
/// a failed check (it still runs the lookup): the row stays untagged, so
/// the next check tries again (a put-back that cannot tag replaces it:
/// see `super::replace`).
pub async fn tag<A: Associations>(store: &A, id: &str) -> Option<bool> {
    match try_tag(store, id).await {
        Tagging::Tagged => Some(true),
        Tagging::Gone => None,
        Tagging::Refused(_) => Some(false),
    }
}
