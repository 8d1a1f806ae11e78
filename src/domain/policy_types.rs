//! The organization's policy types (`ListRoots` → `Root.PolicyTypes`), and
//! the watch for a native one over Session Manager preferences (pure).
//!
//! AWS keeps adding service-specific organization policy types. None governs
//! Systems Manager's Session Manager preferences today; if one ships,
//! runas-guard and that policy would fight over the same document. Every
//! type this build knows is in [`KNOWN`] with why it does not touch those
//! preferences; any other type enabled at the root is told (doctor's
//! `policy types` item, and the sweep summary once per new set), naming it.

use serde::{Deserialize, Serialize};

/// The section of docs/design.md that says what runas-guard does when a
/// policy type governs Session Manager preferences.
pub const DESIGN_SECTION: &str =
    "docs/design.md, \"A native policy for Session Manager preferences\"";

/// Every policy type of the Organizations API model (`PolicyType`, botocore
/// and aws-sdk-organizations 1.137), with why it leaves Session Manager
/// preferences alone.
pub const KNOWN: &[(&str, &str)] = &[
    ("SERVICE_CONTROL_POLICY", "limits what principals may call; never writes a document (the shipped SCPs protect ours)"),
    ("RESOURCE_CONTROL_POLICY", "limits what may be done to resources; never writes a document"),
    ("TAG_POLICY", "standardises tags; the preferences document's content is not a tag"),
    ("BACKUP_POLICY", "AWS Backup plans"),
    ("AISERVICES_OPT_OUT_POLICY", "AI services' use of content"),
    ("CHATBOT_POLICY", "Amazon Q Developer in chat applications (Chatbot) access"),
    ("DECLARATIVE_POLICY_EC2", "EC2 account attributes (serial console, image block public access, IMDS defaults, ...), not SSM documents"),
    ("SECURITYHUB_POLICY", "Security Hub's configuration (standards, controls)"),
    ("GUARDDUTY_POLICY", "GuardDuty's detector and protection plans"),
    ("INSPECTOR_POLICY", "Amazon Inspector's scanning"),
    ("UPGRADE_ROLLOUT_POLICY", "the order in which accounts take managed upgrades"),
    ("BEDROCK_POLICY", "Amazon Bedrock guardrails"),
    ("S3_POLICY", "S3's account-level settings"),
    ("NETWORK_SECURITY_DIRECTOR_POLICY", "AWS Security Hub's network security director"),
];

/// One type as the root lists it: its name and status (`ENABLED`,
/// `PENDING_ENABLE`, `PENDING_DISABLE`, or whatever AWS sends).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Enabled {
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
}

/// Why a known type leaves Session Manager preferences alone; `None` for a
/// type this build does not know.
pub fn why_not(kind: &str) -> Option<&'static str> {
    KNOWN.iter().find(|(k, _)| *k == kind).map(|(_, why)| *why)
}

/// The types this build does not know, sorted, each once.
pub fn unknown(types: &[Enabled]) -> Vec<Enabled> {
    let mut out: Vec<Enabled> = types
        .iter()
        .filter(|t| why_not(&t.kind).is_none())
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `TYPE (STATUS), ...`
fn named(types: &[Enabled]) -> String {
    types
        .iter()
        .map(|t| format!("{} ({})", t.kind, t.status))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The warning for unknown types (never called with none): names each
/// with its status and says what to check.
pub fn warning(unknown: &[Enabled]) -> String {
    format!(
        "the organization has {} runas-guard does not know: {}",
        crate::domain::words::count(unknown.len(), "policy type"),
        named(unknown)
    )
}

/// What on-call checks about an unknown type.
pub fn what_to_check() -> String {
    format!("check whether it governs Systems Manager or Session Manager preferences (the SSM-SessionManagerRunShell document, Run As); if it does, see {DESIGN_SECTION}: stop runas-guard's writes where that policy applies, keep its reports and readiness checks")
}

/// The known types enabled, for doctor's quiet verdict.
pub fn all_known(types: &[Enabled]) -> String {
    if types.is_empty() {
        return "no policy type enabled at the root; none governs Session Manager preferences"
            .into();
    }
    format!("{}: none governs Session Manager preferences", named(types))
}

/// What a sweep records of the unknown types it saw (compared with the
/// next sweep's): `TYPE:STATUS` sorted, comma-joined; empty for none.
pub fn fingerprint(unknown: &[Enabled]) -> String {
    let mut parts: Vec<String> = unknown
        .iter()
        .map(|t| format!("{}:{}", t.kind, t.status))
        .collect();
    parts.sort();
    parts.dedup();
    parts.join(",")
}

/// Whether a sweep's summary tells these unknown types: when there are
/// some and the last recorded sweep did not see this same set (`recorded`
/// `None`: no record, an older sweep, or the record unreadable: told).
pub fn news(unknown: &[Enabled], recorded: Option<&str>) -> bool {
    !unknown.is_empty() && recorded != Some(fingerprint(unknown).as_str())
}

/// The summary's `policy_types` part: the unknown types, the warning and
/// what to check.
pub fn summary_json(unknown: &[Enabled]) -> serde_json::Value {
    serde_json::json!({
        "unknown": unknown,
        "said": warning(unknown),
        "check": what_to_check(),
    })
}

/// What a sweep's summary carries of the watch: the unknown types the
/// walk's `ListRoots` read (for a fanned-out sweep, the part the walking
/// invocation stored), and whether the summary tells them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watch {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<Enabled>,
    #[serde(default)]
    pub news: bool,
}

impl Watch {
    pub fn merge(&mut self, other: Watch) {
        self.unknown.extend(other.unknown);
        self.unknown.sort();
        self.unknown.dedup();
        self.news |= other.news;
    }

    /// The types only (`TYPE, TYPE`), for a subject line.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.unknown.iter().map(|t| t.kind.as_str()).collect();
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(kind: &str, status: &str) -> Enabled {
        Enabled {
            kind: kind.into(),
            status: status.into(),
        }
    }

    #[test]
    fn every_type_of_the_api_model_is_known_with_a_reason() {
        for kind in [
            "SERVICE_CONTROL_POLICY",
            "RESOURCE_CONTROL_POLICY",
            "TAG_POLICY",
            "BACKUP_POLICY",
            "AISERVICES_OPT_OUT_POLICY",
            "CHATBOT_POLICY",
            "DECLARATIVE_POLICY_EC2",
            "SECURITYHUB_POLICY",
            "GUARDDUTY_POLICY",
            "INSPECTOR_POLICY",
            "UPGRADE_ROLLOUT_POLICY",
            "BEDROCK_POLICY",
            "S3_POLICY",
            "NETWORK_SECURITY_DIRECTOR_POLICY",
        ] {
            assert!(why_not(kind).is_some_and(|w| !w.is_empty()), "{kind}");
        }
        assert_eq!(KNOWN.len(), 14);
    }

    #[test]
    fn only_types_outside_the_table_are_unknown_sorted_once() {
        let types = [
            t("TAG_POLICY", "ENABLED"),
            t("SSM_POLICY", "PENDING_ENABLE"),
            t("SERVICE_CONTROL_POLICY", "ENABLED"),
            t("A_NEW_POLICY", "ENABLED"),
            t("SSM_POLICY", "PENDING_ENABLE"),
        ];
        let u = unknown(&types);
        assert_eq!(
            u,
            vec![
                t("A_NEW_POLICY", "ENABLED"),
                t("SSM_POLICY", "PENDING_ENABLE")
            ]
        );
        let said = warning(&u);
        assert!(said.contains("2 policy types"), "{said}");
        assert!(
            said.contains("A_NEW_POLICY (ENABLED), SSM_POLICY (PENDING_ENABLE)"),
            "{said}"
        );
        assert!(what_to_check().contains(DESIGN_SECTION));
        assert!(unknown(&types[..1]).is_empty());
    }

    #[test]
    fn a_set_is_news_once_and_again_when_it_changes() {
        let one = [t("SSM_POLICY", "ENABLED")];
        assert!(!news(&[], None));
        assert!(news(&one, None));
        assert!(news(&one, Some("")));
        assert!(!news(&one, Some("SSM_POLICY:ENABLED")));
        let two = [t("SSM_POLICY", "ENABLED"), t("B_POLICY", "ENABLED")];
        assert!(news(&two, Some("SSM_POLICY:ENABLED")));
        assert_eq!(fingerprint(&two), "B_POLICY:ENABLED,SSM_POLICY:ENABLED");
        assert!(!news(&[], Some("SSM_POLICY:ENABLED")));
    }

    #[test]
    fn the_quiet_verdict_lists_the_known_types() {
        let said = all_known(&[t("SERVICE_CONTROL_POLICY", "ENABLED")]);
        assert!(
            said.starts_with("SERVICE_CONTROL_POLICY (ENABLED): none"),
            "{said}"
        );
        assert!(all_known(&[]).starts_with("no policy type"));
    }
}
