//! The ASFF side of a finding: its vocabulary (check, compliance,
//! severity), the finding as runas-guard sends it, and the limits it keeps
//! (`Title` 256 characters and so on) and its fingerprint.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: &str = "2018-10-08";
/// `BatchImportFindings` takes at most 100 findings a call.
pub const MAX_PER_CALL: usize = 100;
/// ASFF's limits: `Title` 256 characters, `Description` 1,024, each value
/// of a resource's `Details.Other` 1,024 (a finding's whole JSON 240 KB,
/// which these bounds keep far from).
pub const MAX_TITLE: usize = 256;
pub const MAX_DESCRIPTION: usize = 1024;
pub const MAX_DETAIL: usize = 1024;
/// The `Details.Other` key saying when a run reached the verdict a finding
/// carries. Left out of the fingerprint: an unchanged verdict is not news.
pub const VERIFIED_AT: &str = "verified_at";
/// The resource type every finding names (`Resources[0]`): the document.
pub const RESOURCE_TYPE: &str = "AwsSsmDocument";

/// The controls every Run As finding evidences (`Compliance.RelatedRequirements`,
/// as Security Hub CSPM's own controls name NIST SP 800-53 Rev. 5): least
/// privilege (AC-6: a session runs as the OS user the policy names, not
/// `ssm-user` with sudo or root) and account management (AC-2: which OS
/// account a session uses is assigned and kept).
pub const LEAST_PRIVILEGE: &str = "NIST.800-53.r5 AC-6";
pub const ACCOUNT_MANAGEMENT: &str = "NIST.800-53.r5 AC-2";

/// `ProductFields` keys: which runas-guard sent it, and the fact's identity.
pub const FIELD_VERSION: &str = "runas-guard/Version";
pub const FIELD_FACT: &str = "runas-guard/FactId";
pub const FIELD_CHECK: &str = "runas-guard/Check";

/// Which check a finding reports (its `GeneratorId` and `Id` suffix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    RunAs,
    Readiness,
    /// An edit of Run As that a run put back: a security event.
    Edit,
    /// Versions that held Run As out of policy and were set back before
    /// any run looked (`run_as_window`): a security event.
    Window,
    /// Run As edited again and again within the hour (`tamper_repeated`).
    TamperRepeated,
    /// Run As found out of policy in audit mode (`drift_detected`).
    DriftDetected,
    /// A session document that skips Run As (`run_as_bypass`).
    Bypass,
    /// Run As set outside the document: an IAM tag (`run_as_override`).
    Override,
    /// Identity Center's access-control attributes changed
    /// (`identity_center_drift`).
    IdentityCenterDrift,
}

impl Check {
    /// The check a row's mark names (`run-as`, `readiness`); an event's
    /// finding is never marked.
    pub fn marked(name: &str) -> Option<Check> {
        match name {
            "run-as" => Some(Check::RunAs),
            "readiness" => Some(Check::Readiness),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Check::RunAs => "run-as",
            Check::Readiness => "readiness",
            Check::Edit => "edit",
            Check::Window => "window",
            Check::TamperRepeated => "tamper-repeated",
            Check::DriftDetected => "drift-detected",
            Check::Bypass => "bypass",
            Check::Override => "override",
            Check::IdentityCenterDrift => "identity-center-drift",
        }
    }

    /// `Types`, from the ASFF taxonomy (namespace/category/classifier).
    pub fn types(self) -> &'static [&'static str] {
        match self {
            Check::RunAs => &["Software and Configuration Checks/AWS Security Best Practices/Session Manager Run As"],
            Check::Readiness => &["Software and Configuration Checks/AWS Security Best Practices/Session Manager Run As user on nodes"],
            Check::Edit | Check::Window | Check::TamperRepeated | Check::DriftDetected => &[
                "Unusual Behaviors/User/Session Manager Run As edited",
                "TTPs/Privilege Escalation/Session Manager Run As edited",
            ],
            Check::Bypass => &[
                "Unusual Behaviors/User/Session document skips Run As",
                "TTPs/Privilege Escalation/Session document skips Run As",
            ],
            Check::Override | Check::IdentityCenterDrift => &[
                "Unusual Behaviors/User/Session Manager Run As set outside the document",
                "TTPs/Privilege Escalation/Session Manager Run As set outside the document",
            ],
        }
    }

    /// `Compliance.RelatedRequirements`.
    pub fn requirements(self) -> &'static [&'static str] {
        match self {
            Check::Readiness => &[ACCOUNT_MANAGEMENT],
            _ => &[LEAST_PRIVILEGE, ACCOUNT_MANAGEMENT],
        }
    }

    /// `Remediation.Recommendation.Text`.
    pub fn remediation(self) -> &'static str {
        match self {
            Check::RunAs => "Keep runAsEnabled true and runAsDefaultUser the policy's user in the account-region's Session Manager preferences document; runas-guard puts it back in enforce mode. In audit mode, or where it could not, correct the document or move the account to enforce.",
            Check::Readiness => "Create the Run As user on the managed nodes listed, or change the policy's user: Session Manager refuses sessions on nodes without it.",
            Check::Edit | Check::Window => "Find who changed Run As (the editor named) and which sessions ran while it was out of policy; review those sessions' logs, and restrict ssm:UpdateDocument on the preferences document (an SCP). Set the workflow to RESOLVED when done.",
            Check::TamperRepeated => "Someone keeps setting Run As out of policy: find the editor named and stop them (revoke the access, an SCP denying ssm:UpdateDocument on the preferences document); review the sessions started meanwhile. Set the workflow to RESOLVED when done.",
            Check::DriftDetected => "Run As is out of policy and runas-guard is in audit mode: put the document right (or move the account to enforce), find the editor named and review the sessions started meanwhile. Set the workflow to RESOLVED when done.",
            Check::Bypass => "Delete or correct the session document that skips Run As (runAsElevated, or its own Run As user), find who made it, review its sessions, and restrict ssm:CreateDocument/UpdateDocument on Session documents. Set the workflow to RESOLVED when done.",
            Check::Override => "Check the SSMSessionRunAs tag on the principal named: remove it unless it is approved, and restrict iam:TagRole/TagUser for that key. Set the workflow to RESOLVED when done.",
            Check::IdentityCenterDrift => "Check the IAM Identity Center access-control attributes changed against the declared mapping and who changed them; restrict sso:UpdateInstanceAccessControlAttributeConfiguration. Set the workflow to RESOLVED when done.",
        }
    }

    /// The README section a security team reads for the check.
    pub fn anchor(self) -> &'static str {
        match self {
            Check::Readiness => "security-hub-cspm-findings-security_hub",
            _ => "what-each-finding-means",
        }
    }

    /// `Resources[0].Type`: the document, else what the finding is about
    /// (a principal's tag, an Identity Center instance).
    pub fn resource_type(self) -> &'static str {
        match self {
            Check::Override | Check::IdentityCenterDrift => "Other",
            _ => RESOURCE_TYPE,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compliance {
    Passed,
    Failed,
    /// No longer checked: the account-region left governance (exempt,
    /// out of scope, a region dropped). Archived with it.
    NotAvailable,
}

impl Compliance {
    pub fn as_str(self) -> &'static str {
        match self {
            Compliance::Passed => "PASSED",
            Compliance::Failed => "FAILED",
            Compliance::NotAvailable => "NOT_AVAILABLE",
        }
    }
}

/// `Severity.Label`: what a security team should do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Informational => "INFORMATIONAL",
            Label::Low => "LOW",
            Label::Medium => "MEDIUM",
            Label::High => "HIGH",
            Label::Critical => "CRITICAL",
        }
    }
}

/// One ASFF finding as runas-guard sends it (the adapter writes the wire
/// form). Never carries `Workflow`, `Note` or `UserDefinedFields`: those are
/// the customer's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: String,
    pub check: Check,
    pub partition: String,
    pub account: String,
    pub region: String,
    pub title: String,
    pub description: String,
    pub severity: Label,
    pub compliance: Compliance,
    /// `RecordState` `ARCHIVED`: resolved.
    pub archived: bool,
    /// RFC 3339, as ASFF's timestamps.
    pub created_at: String,
    pub updated_at: String,
    /// The document's ARN (`Resources[0].Id`).
    pub resource: String,
    /// `Resources[0].Details.Other`.
    pub details: BTreeMap<String, String>,
    /// `Remediation.Recommendation.Url`: the runbook, at the check's section.
    pub runbook: String,
}

impl Finding {
    /// `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`:
    /// the only product a member account may import its own findings as.
    pub fn product_arn(&self) -> String {
        format!(
            "arn:{}:securityhub:{}:{}:product/{}/default",
            self.partition, self.region, self.account, self.account
        )
    }

    pub fn generator_id(&self) -> String {
        format!("runas-guard/{}", self.check.as_str())
    }

    pub fn types(&self) -> &'static [&'static str] {
        self.check.types()
    }

    /// `ProductFields`: the guard's version and the fact's identity (the
    /// finding's `Id` is derived from it), so a reader can tell which
    /// runas-guard sent it and what it is about.
    pub fn product_fields(&self) -> [(&'static str, String); 3] {
        [
            (FIELD_VERSION, env!("CARGO_PKG_VERSION").to_string()),
            (FIELD_FACT, self.id.clone()),
            (FIELD_CHECK, self.check.as_str().to_string()),
        ]
    }
}

/// What a blank value is sent as: ASFF's strings are `NonEmptyString`
/// (pattern `.*\S.*`; titles, descriptions, every `Details.Other` value), and
/// Security Hub CSPM refuses a finding with an empty or blank one
/// (`FailedFindings` `InvalidInput`). AWS's own default preferences
/// document has `"runAsDefaultUser": ""`.
pub const EMPTY: &str = "(empty)";
/// A value of spaces only, said as what it is.
pub const BLANK: &str = "(blank)";

/// A string ASFF takes: at most `max` characters ([`bounded`]), and an
/// empty or blank one said as [`EMPTY`] / [`BLANK`].
pub fn asff_string(s: &str, max: usize) -> String {
    if s.is_empty() {
        return EMPTY.into();
    }
    if s.trim().is_empty() {
        return BLANK.into();
    }
    bounded(s, max)
}

/// At most `max` characters, cut with an ellipsis.
pub fn bounded(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// FNV-1a over what a reader sees (not the times): stable across builds
/// and processes, unlike std's hasher.
pub fn fingerprint(f: &Finding) -> String {
    let seen = Seen {
        id: &f.id,
        compliance: f.compliance.as_str(),
        title: &f.title,
        description: &f.description,
        severity: f.severity.as_str(),
        archived: f.archived,
    };
    digest(&seen, &f.details)
}

/// The parts of a finding its fingerprint covers, as sent or as Security
/// Hub CSPM holds it (a finding read back is compared by the same digest).
pub struct Seen<'a> {
    pub id: &'a str,
    pub compliance: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub severity: &'a str,
    pub archived: bool,
}

/// The fingerprint of `seen` and its resource's `details` (but
/// [`VERIFIED_AT`]).
pub fn digest(seen: &Seen<'_>, details: &BTreeMap<String, String>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |s: &str| {
        for b in s.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for part in [
        seen.id,
        seen.compliance,
        seen.title,
        seen.description,
        seen.severity,
        if seen.archived { "A" } else { "a" },
    ] {
        eat(part);
    }
    for (k, v) in details.iter().filter(|(k, _)| k.as_str() != VERIFIED_AT) {
        eat(k);
        eat(v);
    }
    format!("{h:016x}")
}
