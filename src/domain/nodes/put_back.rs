//! How the check's association is put back (pure): which way a put-back
//! goes ([`after_tag`], [`after_refusal`]), how it ended, and how tagging
//! it as runas-guard's went. The flow does it (`flow::user_check`).

use super::Association;

/// SSM's answer to an update of an association with 1,000 versions.
const VERSION_LIMIT: &str = "AssociationVersionLimitExceeded";

/// SSM's answer to a tag past the 50 an association may carry.
const TOO_MANY_TAGS: &str = "TooManyTagsError";

/// The association this run keeps, and whether it carries runas-guard's tag.
pub struct Made {
    pub association: Association,
    pub tagged: bool,
}

/// SSM's answer to a call the member role (or the session policy) does not allow.
pub fn denied(code: &str) -> bool {
    matches!(code, "AccessDeniedException" | "AccessDenied")
}

/// How tagging an association as runas-guard's went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tagging {
    Tagged,
    /// SSM says there is no such association (deleted since it was read).
    Gone,
    /// Refused, with the AWS code (`TooManyTagsError` when an editor's tags
    /// fill its 50; `AccessDenied` from a member role older than the grant).
    Refused(String),
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
