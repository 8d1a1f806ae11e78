//! A default switch kept on an account-region's record (`switch_v<N>`),
//! as stored: an `UpdateDocumentDefaultVersion` event whose every run
//! failed before judging it. What a run does with it is
//! `domain::version_gap::kept`'s.

use crate::domain::trigger::Actor;

/// The attribute that keeps the switch to version `N` (`switch_v<N>`).
pub const PREFIX: &str = "switch_v";

/// A switch an event named, kept until a run judges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// The version the switch made the default, and when (epoch ms).
    pub version: u64,
    pub at_ms: i64,
    /// Who switched, as the event named them: the window told names them.
    pub editor: Option<Actor>,
}

impl Kept {
    /// The attribute's name.
    pub fn attribute(&self) -> String {
        format!("{PREFIX}{}", self.version)
    }

    /// The attribute's value: `<epoch ms>`, then `|<identity type>|<arn>`
    /// where the event named an editor (an ARN holds no `|`).
    pub fn value(&self) -> String {
        match &self.editor {
            Some(a) => format!("{}|{}|{}", self.at_ms, a.identity_type, a.arn),
            None => self.at_ms.to_string(),
        }
    }

    /// One kept switch as stored; `None` for anything else (another
    /// attribute, a number that is not one, a value not written by
    /// [`Kept::value`]).
    pub fn parse(attribute: &str, value: &str) -> Option<Kept> {
        let version: u64 = attribute.strip_prefix(PREFIX)?.parse().ok()?;
        let mut parts = value.splitn(3, '|');
        let at_ms: i64 = parts.next()?.parse().ok()?;
        let editor = match (parts.next(), parts.next()) {
            (None, None) => None,
            (Some(identity_type), Some(arn)) if !arn.is_empty() => Some(Actor {
                arn: arn.to_string(),
                identity_type: identity_type.to_string(),
                session_name: None,
            }),
            _ => return None,
        };
        (version > 0).then_some(Kept {
            version,
            at_ms,
            editor,
        })
    }
}
