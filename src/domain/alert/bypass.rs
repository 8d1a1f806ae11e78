//! `run_as_bypass`: a `Session` document that opens sessions skipping the
//! policy's Run As user (as root, as `ssm-user`, or as another user) was
//! created or changed, re-created, or its default switched back.

use serde_json::{json, Value};

use super::message::{base, short_actor, subject_value};
use super::{Alert, Kind, Severity};
use crate::domain::fact::{told_id, version_fact, Version};
use crate::domain::trigger::Trigger;

/// One version of the document that skips Run As, and on which platforms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elevated {
    pub version: String,
    /// `default`, `latest`, or `default and latest`.
    pub role: &'static str,
    pub platforms: Vec<&'static str>,
    /// Who its sessions run as: `root`, `ssm-user`, or the document's user.
    pub user: String,
    /// The setting that does it: `runAsElevated`, `runAsEnabled`,
    /// `runAsDefaultUser`.
    pub setting: &'static str,
    /// When the version was created: a document deleted and created again
    /// with the same content is a new change.
    pub created: Option<String>,
}

pub fn run_as_bypass(
    account: &str,
    region: &str,
    document: &str,
    versions: &[Elevated],
    trigger: &Trigger,
    at: &str,
) -> Alert {
    let kind = Kind::RunAsBypass;
    let mut m = base(kind, Severity::Critical, account, trigger, at);
    m.insert("region".into(), json!(region));
    m.insert("document".into(), json!(document));
    m.insert(
        "elevated".into(),
        Value::Array(
            versions
                .iter()
                .map(|v| {
                    json!({"version": v.version, "which": v.role, "platforms": v.platforms,
                           "runs_as": v.user, "setting": v.setting})
                })
                .collect(),
        ),
    );
    let mut users: Vec<&str> = versions.iter().map(|v| v.user.as_str()).collect();
    users.dedup();
    m.insert("runs_as".into(), json!(users));
    m.insert("event_name".into(), json!(trigger.event_name));
    m.insert("source_ip".into(), json!(trigger.context.source_ip));
    m.insert("user_agent".into(), json!(trigger.context.user_agent));
    m.insert("event_time".into(), json!(trigger.context.event_time));
    let by = trigger
        .actor
        .as_ref()
        .map(|a| subject_value(&short_actor(&a.arn)))
        .unwrap_or_else(|| "an unknown principal".into());
    let subject = format!(
        "runas-guard CRITICAL: session document {} skips Run As (runs as {}) in {account} {region}, by {by}",
        subject_value(document),
        subject_value(&users.join(", "))
    );
    let mut alert = Alert::new(
        kind,
        Severity::Critical,
        account,
        &subject,
        Value::Object(m),
    );
    let editor = trigger.actor.as_ref().map(|a| a.arn.as_str());
    alert.identify(&identity((account, region, document), versions, editor));
    alert
}

/// `run_as_bypass`'s identity: each version that skips Run As, as what it
/// is (default, latest or both: a latest made the default later is told
/// again) and when AWS says it was made (a document deleted and made again
/// with the same content is a new change), and the editor named. The sweep
/// that finds a bypass and the event of the change that made it name
/// different editors (none, and the caller), so they stay two tellings.
fn identity(
    (account, region, document): (&str, &str, &str),
    versions: &[Elevated],
    editor: Option<&str>,
) -> String {
    let kind = Kind::RunAsBypass.as_str();
    let slot = crate::domain::outcome::slot(region, Some(document));
    let facts: Vec<String> = versions
        .iter()
        .map(|v| {
            let version = format!("{}:{}", v.version, v.role);
            let created = v.created.as_deref();
            version_fact(
                kind,
                (account, &slot),
                Version {
                    version: &version,
                    created,
                },
            )
        })
        .collect();
    told_id(kind, (account, &slot), &facts, editor)
}
