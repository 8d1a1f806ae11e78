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
/// The resource type every finding names (`Resources[0]`): the document.
pub const RESOURCE_TYPE: &str = "AwsSsmDocument";

/// Which check a finding reports (its `GeneratorId` and `Id` suffix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    RunAs,
    Readiness,
    Edit,
}

impl Check {
    /// The check a row's mark names (`run-as`, `readiness`); an edit's
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
        }
    }

    fn types(self) -> &'static str {
        match self {
            Check::RunAs => "Software and Configuration Checks/AWS Security Best Practices/Session Manager Run As",
            Check::Readiness => "Software and Configuration Checks/AWS Security Best Practices/Session Manager Run As user on nodes",
            Check::Edit => "Unusual Behaviors/User/Session Manager Run As edited",
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
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Informational => "INFORMATIONAL",
            Label::Low => "LOW",
            Label::Medium => "MEDIUM",
            Label::High => "HIGH",
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

    pub fn types(&self) -> &'static str {
        self.check.types()
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
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |s: &str| {
        for b in s.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for part in [
        f.id.as_str(),
        f.compliance.as_str(),
        f.title.as_str(),
        f.description.as_str(),
        f.severity.as_str(),
        if f.archived { "A" } else { "a" },
    ] {
        eat(part);
    }
    for (k, v) in &f.details {
        eat(k);
        eat(v);
    }
    format!("{h:016x}")
}
