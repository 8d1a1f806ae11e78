//! The check's association written: created tagged under the creation
//! claim, put back by a version-checked update, or, where no update can
//! land, deleted by id and created anew under the claim. Which way a
//! put-back goes is decided by [`after_tag`] and [`after_refusal`] (pure).

use std::future::Future;

use super::plan::{conforms, not_kept};
use super::tagging::{denied, try_tag, Made, Tagging};
use super::{Association, Associations, Readiness};
use crate::domain::aws_error::AwsError;

/// SSM's answer to an update of an association with 1,000 versions.
const VERSION_LIMIT: &str = "AssociationVersionLimitExceeded";

/// SSM's answer to a tag past the 50 an association may carry.
const TOO_MANY_TAGS: &str = "TooManyTagsError";

/// The check row's hold on the association: the right to create it (two
/// runs that both find none, a delete delivered twice, a sweep beside it,
/// must not both create one) and what the row last recorded.
pub trait CreateClaim: Sync {
    /// False while another run holds it.
    fn claim(&self) -> impl Future<Output = Result<bool, AwsError>> + Send;
    /// Gives it back after a creation failed, so the next attempt creates.
    fn release(&self) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// What the row records of the check (an event run does not know it).
    fn recorded(&self) -> impl Future<Output = Result<Option<Readiness>, AwsError>> + Send;
}

/// Another run holds the creation claim: that run says what it made.
pub struct Busy;

/// Why the check's association is deleted and created anew instead of updated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replaced {
    /// SSM refuses every update of it: its 1,000 versions are used up.
    VersionLimit,
    /// runas-guard's tag cannot be put on it (the code): an editor's tags
    /// fill the 50 it may carry, so the member role may never update it.
    Untaggable(String),
    /// The member role refused the update (`code`): it updates only an
    /// association with runas-guard's tag, which could not be put first
    /// (`tag`: why) or was refused all the same.
    Refused { code: String, tag: Option<String> },
    /// The update left fields an editor set, by their API names.
    FieldsKept(Vec<&'static str>),
}

impl Replaced {
    /// One sentence for the row and the alert.
    pub fn why(&self) -> String {
        match self {
            Replaced::VersionLimit => format!(
                "replaced: SSM refuses every update of it ({VERSION_LIMIT}: its 1,000 versions are used up)"
            ),
            Replaced::Untaggable(code) => format!(
                "replaced: runas-guard's tag could not be put on it ({code}: someone else's tags fill the 50 it may carry), and the member role updates only a tagged association"
            ),
            Replaced::Refused { code, tag: Some(tag) } => format!(
                "replaced: runas-guard's tag could not be put on it ({tag}), and the member role refused the update for want of it ({code})"
            ),
            Replaced::Refused { code, tag: None } => format!(
                "replaced: the member role refused the update ({code})"
            ),
            Replaced::FieldsKept(fields) => format!(
                "replaced: an update left fields someone else set ({})",
                fields.join(", ")
            ),
        }
    }
}

/// After the tag, before any update: a tag SSM refuses for the editor's
/// tags is refused at every retry, and the member role refuses an update
/// of an association without it, so the association is replaced at once
/// (no update attempt the role would refuse).
pub fn after_tag(tagging: &Tagging) -> Option<Replaced> {
    match tagging {
        Tagging::Refused(code) if code == TOO_MANY_TAGS => Some(Replaced::Untaggable(code.clone())),
        _ => None,
    }
}

/// After an update SSM or the member role refused (`code`): replaced when
/// no update can land (the version limit) or the member role refuses it;
/// anything else is the check's error (retried by the next run).
pub fn after_refusal(code: &str, tagging: &Tagging) -> Option<Replaced> {
    match code {
        VERSION_LIMIT => Some(Replaced::VersionLimit),
        c if denied(c) => Some(Replaced::Refused {
            code: c.to_string(),
            tag: match tagging {
                Tagging::Refused(t) => Some(t.clone()),
                Tagging::Tagged | Tagging::Gone => None,
            },
        }),
        _ => None,
    }
}

/// How a put-back ended.
pub enum PutBack {
    /// Updated in place.
    Updated(Made),
    /// Deleted by id and created anew, and why.
    Replaced(Made, Replaced),
    /// Changed or deleted by someone in between: look again.
    Changed,
    /// Another run holds the creation claim.
    Busy,
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: &str) -> Tagging {
        Tagging::Refused(code.into())
    }

    #[test]
    fn a_tag_the_editors_tags_refuse_replaces_at_once() {
        let cases = [
            ("tagged", Tagging::Tagged, None),
            ("gone: looked at again", Tagging::Gone, None),
            (
                "50 tags of an editor's",
                refused("TooManyTagsError"),
                Some(Replaced::Untaggable("TooManyTagsError".into())),
            ),
            // A member role older than the tag's grant still updates untagged ones.
            (
                "no grant for the tag",
                refused("AccessDeniedException"),
                None,
            ),
            (
                "throttled: the update may still land",
                refused("ThrottlingException"),
                None,
            ),
            ("codes are exact", refused("toomanytagserror"), None),
            ("no code", refused(""), None),
        ];
        for (why, tagging, want) in cases {
            assert_eq!(after_tag(&tagging), want, "{why}");
        }
    }

    #[test]
    fn an_update_no_retry_can_land_replaces_anything_else_fails() {
        let r = |code: &str, tag: Option<&str>| Replaced::Refused {
            code: code.into(),
            tag: tag.map(str::to_string),
        };
        let cases = [
            (
                "version limit",
                VERSION_LIMIT,
                Tagging::Tagged,
                Some(Replaced::VersionLimit),
            ),
            (
                "refused for want of the tag it could not get",
                "AccessDeniedException",
                refused("ThrottlingException"),
                Some(r("AccessDeniedException", Some("ThrottlingException"))),
            ),
            (
                "refused although tagged",
                "AccessDenied",
                Tagging::Tagged,
                Some(r("AccessDenied", None)),
            ),
            ("throttled", "ThrottlingException", Tagging::Tagged, None),
            (
                "a server error",
                "InternalServerError",
                refused("InternalServerError"),
                None,
            ),
            ("bad parameters", "InvalidParameters", Tagging::Tagged, None),
            ("no code", "", Tagging::Tagged, None),
            ("codes are exact", "accessdenied", Tagging::Tagged, None),
        ];
        for (why, code, tagging, want) in cases {
            assert_eq!(after_refusal(code, &tagging), want, "{why}");
        }
    }

    #[test]
    fn each_replacement_says_why() {
        let cases = [
            (Replaced::VersionLimit, "1,000 versions"),
            (
                Replaced::Untaggable("TooManyTagsError".into()),
                "TooManyTagsError",
            ),
            (
                Replaced::Refused {
                    code: "AccessDeniedException".into(),
                    tag: Some("TooManyTagsError".into()),
                },
                "for want of it (AccessDeniedException)",
            ),
            (
                Replaced::Refused {
                    code: "AccessDenied".into(),
                    tag: None,
                },
                "refused the update (AccessDenied)",
            ),
            (
                Replaced::FieldsKept(vec!["CalendarNames", "MaxErrors"]),
                "(CalendarNames, MaxErrors)",
            ),
        ];
        for (r, needle) in cases {
            let why = r.why();
            assert!(
                why.starts_with("replaced: ") && why.contains(needle),
                "{why}"
            );
        }
    }
}
