//! Session documents that skip Run As (pure), read the way the SSM agent
//! reads them.
//!
//! A session that names a document (`--document-name`) runs with that
//! document, not `SSM-SessionManagerRunShell`. The agent's shell
//! (amazon-ssm-agent `agent/session/shell/shell_unix.go`) applies Run As only
//! when the shell's properties do not ask to run elevated
//! (`!constants.GetRunAsElevated(shellProps)`, `properties.linux` /
//! `properties.macos`, which only `InteractiveCommands` and
//! `NonInteractiveCommands` sessions have); then with `runAsEnabled` on it
//! runs as the caller's `SSMSessionRunAs` tag or the document's
//! `runAsDefaultUser`, and with it off as `ssm-user`, whom the agent gives
//! passwordless sudo. Run As does not apply on Windows. So a document skips
//! the policy when it is elevated (root), or is a shell (`Standard_Stream`)
//! with Run As off (`ssm-user`) or a default user other than the policy's.
//!
//! Keys are matched as Go's `encoding/json` matches them
//! ([`crate::domain::agent_doc`]): without regard to case, the later member winning.
//! `properties` is decoded into a Go map and re-marshalled
//! (`jsonutil.Remarshal`) before it reaches the shell's struct, and Go
//! marshals a map's keys sorted by bytes: among spellings of `linux` or
//! `runAsElevated` the one that sorts last wins, and two spellings of one
//! platform merge field by field.

use serde_json::{Map, Value};

use crate::domain::agent_doc::{convert_to_bool, field_matches, read_as_agent};

/// Session types whose `properties` the agent's shell reads.
const COMMAND_SESSIONS: [&str; 2] = ["InteractiveCommands", "NonInteractiveCommands"];
/// The platforms Run As applies to, as the document names them.
const RUN_AS_PLATFORMS: [&str; 2] = ["linux", "macos"];
/// Every platform of the shell's properties (a wrong type in any fails the
/// whole decode, so the session).
const PLATFORMS: [&str; 3] = ["windows", "linux", "macos"];
/// The user the agent runs a session as when Run As is off.
pub const SSM_USER: &str = "ssm-user";

/// How a document's sessions skip the policy's user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// `runAsElevated` on these platforms: the shell runs as root.
    Elevated(Vec<&'static str>),
    /// A shell whose Run As is off (or absent, which the agent reads as
    /// off): sessions run as `ssm-user`.
    RunAsOff,
    /// A shell whose default user is not the policy's: callers without an
    /// `SSMSessionRunAs` tag run as it.
    OtherUser(String),
}

impl Skip {
    /// Who the sessions run as.
    pub fn user(&self) -> &str {
        match self {
            Skip::Elevated(_) => "root",
            Skip::RunAsOff => SSM_USER,
            Skip::OtherUser(u) => u,
        }
    }

    /// The setting that does it.
    pub fn setting(&self) -> &'static str {
        match self {
            Skip::Elevated(_) => "runAsElevated",
            Skip::RunAsOff => "runAsEnabled",
            Skip::OtherUser(_) => "runAsDefaultUser",
        }
    }

    pub fn platforms(&self) -> Vec<&'static str> {
        match self {
            Skip::Elevated(p) => p.clone(),
            _ => RUN_AS_PLATFORMS.to_vec(),
        }
    }
}

/// How a session started with `content` (a Session document's text) skips
/// `policy_user`; `None` when it keeps it, or when the agent cannot decode
/// the document (the session fails instead).
pub fn skips(content: &str, policy_user: &str) -> Option<Skip> {
    let view = read_as_agent(content).ok()?;
    if !view.refused.is_empty() {
        return None;
    }
    if COMMAND_SESSIONS.contains(&view.session_type.as_str()) {
        let platforms = elevated_in(&view.properties);
        return (!platforms.is_empty()).then_some(Skip::Elevated(platforms));
    }
    if view.session_type != "Standard_Stream" {
        return None;
    }
    match convert_to_bool(view.run_as_enabled.as_ref()) {
        Err(_) => None,
        Ok(false) => Some(Skip::RunAsOff),
        // A blank default user fails a session without a tag (the agent
        // says "please set the RunAs default user"); a tag's user is the
        // tag's business.
        Ok(true) if view.run_as_default_user.trim().is_empty() => None,
        Ok(true) if view.run_as_default_user == policy_user => None,
        Ok(true) => Some(Skip::OtherUser(view.run_as_default_user)),
    }
}

/// The platforms on which `content` (a Session document, as a plain JSON
/// value) opens a session that skips Run As by running elevated; empty when
/// it cannot.
pub fn elevated_platforms(content: &Value) -> Vec<&'static str> {
    let Value::Object(root) = content else {
        return vec![];
    };
    let last = |field: &str| root.iter().rev().find(|(k, _)| field_matches(k, field));
    let session_type = last("sessionType").and_then(|(_, v)| v.as_str());
    if !session_type.is_some_and(|t| COMMAND_SESSIONS.contains(&t)) {
        return vec![];
    }
    last("properties").map_or(vec![], |(_, p)| elevated_in(p))
}

/// The members of `m` whose key matches `field`, in the order a Go map
/// marshals them (keys sorted by bytes), so the last one is the one a
/// case-insensitive decode keeps.
fn go_sorted<'a>(m: &'a Map<String, Value>, field: &str) -> Vec<&'a Value> {
    let mut found: Vec<(&String, &Value)> =
        m.iter().filter(|(k, _)| field_matches(k, field)).collect();
    found.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    found.into_iter().map(|(_, v)| v).collect()
}

/// `runAsElevated` of each platform as `ShellProperties` decodes it: a
/// `null` leaves the field, a later object sets only the fields it holds,
/// and a member of the wrong type fails the decode (no session, so no
/// elevation).
fn elevated_in(properties: &Value) -> Vec<&'static str> {
    let Value::Object(props) = properties else {
        return vec![];
    };
    let mut elevated = Vec::new();
    for platform in PLATFORMS {
        let mut flag = false;
        for shell in go_sorted(props, platform) {
            let shell = match shell {
                Value::Null => continue,
                Value::Object(s) => s,
                _ => return vec![],
            };
            for v in go_sorted(shell, "runAsElevated") {
                match v {
                    Value::Null => {}
                    Value::Bool(b) => flag = *b,
                    _ => return vec![],
                }
            }
        }
        if flag && RUN_AS_PLATFORMS.contains(&platform) {
            elevated.push(platform);
        }
    }
    elevated
}

/// Name prefixes of AWS's own documents (`AWS-PasswordReset`,
/// `AWS-StartInteractiveCommand`, ...), which AWS reserves: no account can
/// create or change a document so named, so it is never an account's finding
/// (the permission sets deny starting sessions with the elevated ones).
const AWS_PREFIXES: [&str; 6] = [
    "AWS-",
    "AWSEC2-",
    "AWSSupport-",
    "AWSConfigRemediation-",
    "Amazon",
    "amzn",
];

/// Whether `name` is one of AWS's own documents.
pub fn aws_owned(name: &str) -> bool {
    AWS_PREFIXES.iter().any(|p| name.starts_with(p))
}

#[cfg(test)]
#[path = "bypass_tests.rs"]
mod tests;
