//! A put-back whose editor is not yet named, as its region's item keeps
//! it ([`Mark`]), and the follow-up an edit event's run tells of it
//! ([`Named`]); `domain::unnamed` decides when each is made.

use serde::{Deserialize, Serialize};

use crate::domain::preferences::RunAs;

/// A put-back whose editor is not yet named, as its region's item keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// When it was put back (epoch ms).
    pub at_ms: i64,
    /// The run that put it back: its trigger's kind and id.
    pub found_by: String,
    pub trigger_id: String,
    /// The Run As it replaced (the editor's).
    pub before: Option<RunAs>,
    /// The version it replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The actor of the edit event whose run put it back (its alert named
    /// them, who may not have made the version it replaced): that actor's
    /// own events never take the mark. `None` for a run with no edit event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Only the latest version was out of policy, not the default: the
    /// put-back's alert told `latest:<version>`, a fact of its own. The
    /// version made the default later is another fact, which its own run
    /// tells; a follow-up naming this one's editor keeps this one's
    /// identity (simulation seed 950089: in audit, the follow-up of a
    /// sweep's latest-only finding took the identity of the same
    /// version's window as the default, which was then never told). A mark
    /// written before it has none: read as the default's, as then.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub latest_only: bool,
    /// When AWS says the version it replaced was made (`CreatedDate`),
    /// where the run read it: the follow-up names that version of that
    /// life of the document, as the put-back's alert told it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made: Option<String>,
}

/// The attribute a mark without a version is kept in (and every mark
/// before 0.17.0).
pub const UNVERSIONED: &str = "unnamed_put_back";

/// The attribute the marks of `version` are kept in (`unnamed_v<N>`), where
/// it is a version number.
pub fn of_version(version: &str) -> Option<String> {
    let number = !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit());
    number.then(|| format!("unnamed_v{version}"))
}

/// Whether `name` is an attribute a mark is kept in ([`Mark::attribute`]).
pub fn is_attribute(name: &str) -> bool {
    name == UNVERSIONED
        || name
            .strip_prefix("unnamed_v")
            .and_then(of_version)
            .is_some()
}

impl Mark {
    /// The attribute of the region's item this mark is kept in: one per
    /// version replaced (`unnamed_v<N>`), so a second put-back in the
    /// account-region before the first one's editor is named keeps both
    /// (simulation seed 900363: the second replaced the first, whose editor
    /// was never named).
    pub fn attribute(&self) -> String {
        self.version
            .as_deref()
            .and_then(of_version)
            .unwrap_or_else(|| UNVERSIONED.to_string())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A mark as stored; anything else is no mark (never an error: at
    /// worst a follow-up is not told).
    pub fn parse(s: &str) -> Option<Mark> {
        serde_json::from_str(s).ok()
    }
}

/// A follow-up this run tells: the mark it claimed and the reverts counted
/// in the last hour with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    pub mark: Mark,
    pub reverts_last_hour: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_is_kept_per_version_replaced() {
        let mark = |version: Option<&str>| Mark {
            at_ms: 0,
            found_by: "sweep".into(),
            trigger_id: "sweep-1".into(),
            before: None,
            version: version.map(str::to_string),
            by: None,
            latest_only: false,
            made: None,
        };
        let cases = [
            (Some("4"), "unnamed_v4"),
            (Some("12"), "unnamed_v12"),
            (None, "unnamed_put_back"),
            (Some(""), "unnamed_put_back"),
            (Some("4 "), "unnamed_put_back"),
            (Some("latest:4"), "unnamed_put_back"),
            (Some("#x"), "unnamed_put_back"),
        ];
        for (version, want) in cases {
            assert_eq!(mark(version).attribute(), want, "{version:?}");
            assert!(is_attribute(want));
        }
        for name in [
            "unnamed_v",
            "unnamed_vx",
            "unnamed_put_backs",
            "judged_v4",
            "unnamed_v4 ",
        ] {
            assert!(!is_attribute(name), "{name}");
        }
    }
}
