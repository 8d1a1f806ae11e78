//! Security Hub findings (`[security_hub] findings = true`): what each
//! governed account-region's checks say as ASFF findings, and whether that
//! is news worth an import. Pure: the flow imports what this decides, from
//! the member account and region each finding is about (Security Hub takes
//! a custom finding only from that account, with its default product ARN).
//!
//! One finding per check, with a stable `Id` updated in place: the Session
//! document's Run As (`run-as`), the nodes that would refuse its sessions
//! (`readiness`), and each reverted edit (`edit`, its own finding). A check
//! that never failed makes none; one that failed is `FAILED`/`ACTIVE` while
//! it does and `PASSED`/`ARCHIVED` once it is resolved. The row keeps what
//! was sent last ([`Sent`]): an unchanged finding is not sent again, so a
//! steady sweep imports nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::clock;
use crate::domain::outcome::{RegionOutcome, Status};
use crate::domain::preferences::RunAs;

pub const SCHEMA_VERSION: &str = "2018-10-08";
/// `BatchImportFindings` takes at most 100 findings a call.
pub const MAX_PER_CALL: usize = 100;
/// ASFF's limits: `Title` 256 characters, `Description` 1,024, each value
/// of a resource's `Details.Other` 1,024 (a finding's whole JSON 240 KB,
/// which these bounds keep far from).
pub const MAX_TITLE: usize = 256;
pub const MAX_DESCRIPTION: usize = 1024;
pub const MAX_DETAIL: usize = 1024;
/// How long a finding Security Hub could not take (not enabled there) waits
/// before it is tried again unchanged.
pub const RETRY_HUB_OFF_MS: i64 = 24 * 3600 * 1000;
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

/// What a slot's row keeps of the last finding sent for one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    #[serde(rename = "s")]
    pub compliance: Compliance,
    /// The content's fingerprint ([`fingerprint`]): the same content is
    /// not sent again.
    #[serde(rename = "k")]
    pub key: String,
    #[serde(rename = "c")]
    pub created_ms: i64,
    #[serde(rename = "u")]
    pub updated_ms: i64,
    /// Security Hub was not enabled there when it was sent: nothing was
    /// stored, and it is tried again when the content changes.
    #[serde(rename = "off", default, skip_serializing_if = "std::ops::Not::not")]
    pub hub_off: bool,
}

/// The row's record (`hub_findings`): the last finding sent per check.
pub type Marks = BTreeMap<String, Sent>;

pub fn marks_from_json(text: &str) -> Marks {
    serde_json::from_str(text).unwrap_or_default()
}

pub fn marks_to_json(marks: &Marks) -> String {
    serde_json::to_string(marks).unwrap_or_else(|_| "{}".into())
}

/// A finding to import and what the row keeps once it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Send {
    pub slot: String,
    pub finding: Finding,
    /// What the slot's row keeps once it is in; `None` for a finding told
    /// once (a reverted edit).
    pub sent: Option<Sent>,
}

/// Who and where, shared by one account's findings.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub partition: &'a str,
    pub account: &'a str,
    pub name: Option<&'a str>,
    pub ou_path: Option<&'a str>,
}

/// One slot as a run left it, with what its row recorded as sent.
pub struct Slot<'a> {
    pub outcome: &'a RegionOutcome,
    pub status: Status,
    /// The account's (or the `[[document]]`'s) Run As user.
    pub user: &'a str,
    pub marks: &'a Marks,
    /// The editor a document event names, for a reverted edit.
    pub editor: Option<&'a str>,
}

/// Every finding of one slot that is news at `now_ms`.
pub fn decide(place: Place<'_>, slot: &Slot<'_>, now_ms: i64) -> Vec<Send> {
    let o = slot.outcome;
    let mut out = Vec::new();
    if let Some(readiness) = &o.nodes {
        let verdict = match readiness.missing {
            0 => (
                Compliance::Passed,
                Label::Informational,
                "every node that ran the check has the Run As user".to_string(),
            ),
            _ => (
                Compliance::Failed,
                Label::Low,
                format!("sessions would be refused: {}", readiness.summary()),
            ),
        };
        let mut details = BTreeMap::new();
        details.insert("run_as_user".into(), readiness.user.clone());
        details.insert("nodes_checked".into(), readiness.checked.to_string());
        details.insert("nodes_missing_user".into(), readiness.missing.to_string());
        if !readiness.missing_nodes.is_empty() {
            details.insert("missing_nodes".into(), readiness.missing_nodes.join(","));
        }
        out.extend(news(
            place,
            o,
            Check::Readiness,
            slot.marks,
            verdict,
            details,
            now_ms,
        ));
        return out;
    }
    let mut details = run_as_details(o, slot.user);
    if let Some(verdict) = run_as_verdict(o, slot.status, slot.user) {
        out.extend(news(
            place,
            o,
            Check::RunAs,
            slot.marks,
            verdict,
            details.clone(),
            now_ms,
        ));
    }
    if slot.status == Status::Reverted {
        let editor = slot.editor.unwrap_or("an editor not yet named");
        details.insert("editor".into(), editor.into());
        if let Some(v) = &o.version_after {
            details.insert("put_back_version".into(), v.clone());
        }
        out.push(edit(place, o, editor, details, now_ms));
    }
    out
}

/// The Run As check's verdict: out of policy while audit leaves it so, a
/// hold keeps it so or runas-guard failed to put it right; in policy once
/// it is right; nothing to say where nothing was judged (excluded, pending).
fn run_as_verdict(
    o: &RegionOutcome,
    status: Status,
    user: &str,
) -> Option<(Compliance, Label, String)> {
    let observed = observed(o);
    if let Some(why) = &o.held {
        return Some((
            Compliance::Failed,
            Label::Low,
            format!("Run As is {observed}, the policy wants on/{user}; enforcement is held: {why}"),
        ));
    }
    match status {
        Status::Noncompliant => Some((Compliance::Failed, Label::Medium, format!("Run As is {observed}, the policy wants on/{user} (audit mode: runas-guard reports and does not write)"))),
        Status::Failed if o.was_noncompliant(user) => Some((Compliance::Failed, Label::High, format!(
            "Run As is {observed}, the policy wants on/{user}, and runas-guard could not put it right: {}",
            o.error_code.as_deref().unwrap_or("an error")
        ))),
        Status::Compliant | Status::Remediated | Status::Reverted => Some((Compliance::Passed, Label::Informational, format!("Run As is on/{user}, as the policy wants"))),
        Status::Failed | Status::Excluded | Status::Pending => None,
    }
}

fn observed(o: &RegionOutcome) -> String {
    o.before
        .as_ref()
        .map(RunAs::short)
        .unwrap_or_else(|| "absent (no document)".into())
}

fn run_as_details(o: &RegionOutcome, user: &str) -> BTreeMap<String, String> {
    let mut d = BTreeMap::new();
    let value = |v: &Option<serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "-".into(),
    };
    if let Some(before) = &o.before {
        d.insert("run_as_enabled".into(), value(&before.enabled));
        d.insert("run_as_default_user".into(), value(&before.user));
    }
    d.insert("expected_run_as_enabled".into(), "true".into());
    d.insert("expected_run_as_default_user".into(), user.into());
    if let Some(mode) = o.mode {
        d.insert("mode".into(), mode.as_str().into());
    }
    if let Some(v) = &o.versions_before {
        d.insert("default_version".into(), v.default.clone());
        d.insert("latest_version".into(), v.latest.clone());
    }
    d
}

/// A check's finding when it differs from what was sent last: a check that
/// never failed says nothing, and one already told as it stands neither.
fn news(
    place: Place<'_>,
    o: &RegionOutcome,
    check: Check,
    marks: &Marks,
    (compliance, severity, description): (Compliance, Label, String),
    details: BTreeMap<String, String>,
    now_ms: i64,
) -> Option<Send> {
    let last = marks.get(check.as_str());
    if compliance == Compliance::Passed
        && last.is_none_or(|l| l.compliance == Compliance::Passed && !l.hub_off)
    {
        return None;
    }
    let title = match (check, compliance) {
        (Check::Readiness, Compliance::Failed) => format!(
            "Session Manager would refuse sessions on nodes without Run As user in {}",
            where_(place, o)
        ),
        (Check::Readiness, Compliance::Passed) => format!(
            "Session Manager Run As user present on nodes in {}",
            where_(place, o)
        ),
        (_, Compliance::Failed) => format!(
            "Session Manager Run As out of policy in {}",
            where_(place, o)
        ),
        (_, Compliance::Passed) => format!(
            "Session Manager Run As back in policy in {}",
            where_(place, o)
        ),
    };
    let mut finding = finding(place, o, check, (title, description), details, now_ms);
    finding.compliance = compliance;
    finding.severity = severity;
    finding.archived = compliance == Compliance::Passed;
    let key = fingerprint(&finding);
    // Where the hub was off, the same content is tried again a day later
    // (the hub may have been enabled since), not on every sweep.
    let stale_off = |l: &Sent| l.hub_off && now_ms - l.updated_ms >= RETRY_HUB_OFF_MS;
    if last.is_some_and(|l| l.key == key && !stale_off(l)) {
        return None;
    }
    if let Some(l) = last {
        finding.created_at = clock::iso(clock::from_millis(l.created_ms));
        // `UpdatedAt` only grows: Security Hub keeps the later one.
        let updated = now_ms.max(l.updated_ms + 1);
        finding.updated_at = clock::iso(clock::from_millis(updated));
    }
    let sent = Sent {
        compliance,
        key,
        created_ms: last.map_or(now_ms, |l| l.created_ms),
        updated_ms: last.map_or(now_ms, |l| now_ms.max(l.updated_ms + 1)),
        hub_off: false,
    };
    Some(Send {
        slot: o.slot(),
        finding,
        sent: Some(sent),
    })
}

/// A reverted edit, its own finding: who, which versions, put back.
fn edit(
    place: Place<'_>,
    o: &RegionOutcome,
    editor: &str,
    details: BTreeMap<String, String>,
    now_ms: i64,
) -> Send {
    let edited = o
        .versions_before
        .as_ref()
        .map_or("?", |v| v.default.as_str());
    let title = format!(
        "Session Manager Run As edited by {editor} in {}, put back",
        where_(place, o)
    );
    let description =
        format!(
        "{editor} set Run As to {} (version {edited}); runas-guard put back on/{} as version {}",
        observed(o),
        details.get("expected_run_as_default_user").map_or("?", String::as_str),
        o.version_after.as_deref().unwrap_or("?")
    );
    let mut finding = finding(place, o, Check::Edit, (title, description), details, now_ms);
    finding.id = format!("{}/{edited}", finding.id);
    finding.compliance = Compliance::Passed;
    finding.severity = Label::Medium;
    finding.archived = true;
    Send {
        slot: o.slot(),
        finding,
        sent: None,
    }
}

fn where_(place: Place<'_>, o: &RegionOutcome) -> String {
    let name = place.name.map(|n| format!(" ({n})")).unwrap_or_default();
    format!("account {}{name} {}", place.account, o.place())
}

fn finding(
    place: Place<'_>,
    o: &RegionOutcome,
    check: Check,
    (title, description): (String, String),
    mut details: BTreeMap<String, String>,
    now_ms: i64,
) -> Finding {
    if let Some(path) = place.ou_path {
        details.insert("ou_path".into(), path.into());
    }
    let now = clock::iso(clock::from_millis(now_ms));
    Finding {
        id: format!(
            "runas-guard/{}/{}/{}/{}",
            place.account,
            o.region,
            o.document_name(),
            check.as_str()
        ),
        check,
        partition: place.partition.into(),
        account: place.account.into(),
        region: o.region.clone(),
        title: bounded(&title, MAX_TITLE),
        description: bounded(&description, MAX_DESCRIPTION),
        severity: Label::Informational,
        compliance: Compliance::Passed,
        archived: false,
        created_at: now.clone(),
        updated_at: now,
        resource: format!(
            "arn:{}:ssm:{}:{}:document/{}",
            place.partition,
            o.region,
            place.account,
            o.document_name()
        ),
        details: details
            .into_iter()
            .map(|(k, v)| (k, bounded(&v, MAX_DETAIL)))
            .collect(),
    }
}

/// A finding Security Hub did not take: refused (`FailedFindings`), or its
/// call failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub region: String,
    /// The finding; `None` when the whole call failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub code: String,
    pub message: String,
}

/// What one account's imports came to (its report's `security_hub`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imports {
    pub imported: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<Failure>,
    /// Regions found without Security Hub enabled (their findings wait).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hub_off: Vec<String>,
}

impl Imports {
    pub fn is_empty(&self) -> bool {
        self.imported == 0 && self.failed.is_empty() && self.hub_off.is_empty()
    }
}

/// A sweep's findings in all: what its summary says of Security Hub.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub imported: usize,
    pub failed: usize,
    /// Account-regions newly found without Security Hub: all counted, the
    /// first [`MAX_LISTED`] named (`<account> <region>`).
    pub hub_off: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hub_off_listed: Vec<String>,
}

pub const MAX_LISTED: usize = 50;

impl Tally {
    pub fn add(&mut self, account: &str, imports: Option<&Imports>) {
        let Some(i) = imports else { return };
        self.imported += i.imported;
        self.failed += i.failed.len();
        self.hub_off += i.hub_off.len();
        self.hub_off_listed
            .extend(i.hub_off.iter().map(|r| format!("{account} {r}")));
        self.trim();
    }

    pub fn merge(&mut self, other: Tally) {
        self.imported += other.imported;
        self.failed += other.failed;
        self.hub_off += other.hub_off;
        self.hub_off_listed.extend(other.hub_off_listed);
        self.trim();
    }

    fn trim(&mut self) {
        self.hub_off_listed.sort();
        self.hub_off_listed.truncate(MAX_LISTED);
    }

    /// Worth the summary's words: a failure, or a hub newly found off.
    pub fn news(&self) -> bool {
        self.failed > 0 || self.hub_off > 0
    }
}

/// `doctor`'s `security hub` line: the account-regions whose last findings
/// found Security Hub not enabled (`<account> <region>`, sorted), from the
/// rows' marks (`account`, `slot`, the row's `hub_findings`).
pub fn hub_off<'a>(rows: impl Iterator<Item = (&'a str, &'a str, Option<&'a str>)>) -> Vec<String> {
    let mut off: Vec<String> = rows
        .filter(|(_, _, marks)| {
            marks.is_some_and(|m| marks_from_json(m).values().any(|s| s.hub_off))
        })
        .map(|(account, slot, _)| format!("{account} {}", slot.split('#').next().unwrap_or(slot)))
        .collect();
    off.sort();
    off.dedup();
    off
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
    let compliance = match f.compliance {
        Compliance::Passed => "PASSED",
        Compliance::Failed => "FAILED",
    };
    for part in [
        f.id.as_str(),
        compliance,
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

#[cfg(test)]
#[path = "security_hub_tests.rs"]
mod tests;
