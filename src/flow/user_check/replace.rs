//! The check's association written: created tagged under the creation
//! claim, put back by a version-checked update, or, where no update can
//! land, deleted by id and created anew under the claim. Which way a
//! put-back goes is decided in `domain::nodes::put_back` (pure).

use super::tagging::try_tag;
use crate::domain::aws_error::AwsError;
use crate::domain::nodes::plan::{conforms, not_kept};
use crate::domain::nodes::put_back::{
    after_refusal, after_tag, denied, Busy, Made, PutBack, Replaced, Tagging,
};
use crate::domain::nodes::{Association, Associations, CreateClaim};

/// Puts `old` back on top of the version read, tagged first: the member
/// role updates only an association with runas-guard's tag, which an
/// editor may have taken off (or 0.3.0 never put on). An association no
/// update can put back (see [`after_tag`], [`after_refusal`]), or that an
/// update leaves other than runas-guard wrote it (a field SSM kept that the
/// request left out), is deleted and created anew under the creation claim.
pub async fn put_back<A: Associations, C: CreateClaim>(
    store: &A,
    claim: &C,
    document: &str,
    user: &str,
    old: &Association,
) -> Result<PutBack, AwsError> {
    let tagging = try_tag(store, &old.id).await;
    if tagging == Tagging::Gone {
        return Ok(PutBack::Changed);
    }
    if let Some(why) = after_tag(&tagging) {
        return replaced(store, claim, user, &old.id, why).await;
    }
    let made = match store.update(&old.id, &old.version, user).await {
        Ok(None) => return Ok(PutBack::Changed),
        Ok(Some(made)) => store.describe(&made.id).await?.unwrap_or(made),
        Err(e) => match after_refusal(&e.code, &tagging) {
            Some(why) => return replaced(store, claim, user, &old.id, why).await,
            None => return Err(e),
        },
    };
    if conforms(&made, document, user) {
        let tagged = tagging == Tagging::Tagged;
        return Ok(PutBack::Updated(Made {
            association: made,
            tagged,
        }));
    }
    let why = Replaced::FieldsKept(not_kept(&made.rest));
    replaced(store, claim, user, &made.id, why).await
}

async fn replaced<A: Associations, C: CreateClaim>(
    store: &A,
    claim: &C,
    user: &str,
    id: &str,
    why: Replaced,
) -> Result<PutBack, AwsError> {
    tracing::warn!(account = store.account(), region = store.region(), association = %id, why = %why.why(), "the check's association cannot be put back by an update: replacing it");
    Ok(match replace(store, claim, user, id).await? {
        Ok(made) => PutBack::Replaced(made, why),
        Err(Busy) => PutBack::Busy,
    })
}

/// Deletes `id` and creates the association again, both under the creation
/// claim (a peer that finds none meanwhile stands aside).
async fn replace<A: Associations, C: CreateClaim>(
    store: &A,
    claim: &C,
    user: &str,
    id: &str,
) -> Result<Result<Made, Busy>, AwsError> {
    if !claim.claim().await? {
        return Ok(Err(Busy));
    }
    if let Err(e) = store.delete(id).await {
        release(claim).await;
        return Err(e);
    }
    let made = create(store, claim, user).await?;
    read_back(store, made).await.map(Ok)
}

/// What SSM made, as it now describes it.
pub async fn read_back<A: Associations>(store: &A, made: Made) -> Result<Made, AwsError> {
    let association = store.describe(&made.association.id).await?;
    Ok(Made {
        association: association.unwrap_or(made.association),
        ..made
    })
}

/// Creates the association tagged as runas-guard's. A member stack from
/// before the tag's grant refuses the tag (tagging at creation needs
/// `ssm:AddTagsToResource`): then it is created untagged, and tagged by the
/// first check after the stack is updated. A creation that failed gives its
/// claim back, so the next attempt (the check document landing, a
/// re-attempt) creates it.
pub async fn create<A: Associations, C: CreateClaim>(
    store: &A,
    claim: &C,
    user: &str,
) -> Result<Made, AwsError> {
    let made = match store.create(user, true).await {
        Err(e) if denied(&e.code) => {
            tracing::warn!(account = store.account(), region = store.region(), error_code = %e.code, error = %e, "the member role refuses the tag at creation: creating the check's association untagged");
            store.create(user, false).await.map(|association| Made {
                association,
                tagged: false,
            })
        }
        made => made.map(|association| Made {
            association,
            tagged: true,
        }),
    };
    if made.is_err() {
        release(claim).await;
    }
    made
}

async fn release<C: CreateClaim>(claim: &C) {
    if let Err(r) = claim.release().await {
        tracing::warn!(error_code = %r.code, error = %r, "cannot release the check's creation claim; it lapses on its own");
    }
}
