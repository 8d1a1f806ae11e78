//! `runas-guard why`: "why did my session run as X, or why was it refused?"
//!
//! Session Manager and the SSM agent decide a Linux or macOS session's OS
//! user in a fixed order (AWS Systems Manager User Guide, "Turn on Run As
//! support for Linux and macOS managed nodes"; amazon-ssm-agent
//! `agent/framework/docparser/docparser.go` and
//! `agent/session/shell/shell_unix.go`):
//!
//! 1. the session document: the one the caller named (`--document-name`),
//!    else the account-region's `SSM-SessionManagerRunShell`; its default
//!    version. A named document that is missing, or is not a `Session`
//!    document, starts no session; a missing `SSM-SessionManagerRunShell`
//!    leaves Session Manager's defaults (Run As off). A command session
//!    whose `runAsElevated` is true runs as root; a port session opens no shell;
//! 2. that document's `runAsEnabled`: off, the session runs as `ssm-user`
//!    (the agent creates it), whatever any tag says;
//! 3. the `SSMSessionRunAs` tag of the calling IAM role or user, or the
//!    session tag IAM Identity Center passes from its attributes for access
//!    control: a value that is not blank decides;
//! 4. else the document's `runAsDefaultUser`; blank, the agent refuses;
//! 5. the agent refuses the session when that user does not exist on the
//!    node (`id <user>`); here, what the run-as user check last found there.
//!
//! `agent` reads a document as the agent decodes it, `chain` decides the
//! links from plain [`Facts`] (pure), `render` prints them; `read` gathers
//! the facts with the grants runas-guard already has.

use serde::Serialize;

use crate::domain::identity_center::{Mapping, Observed};
use crate::domain::nodes::Readiness;

pub mod agent;
pub mod chain;
mod links;
mod node;
pub mod read;
pub mod render;

pub use chain::decide;

/// The user a session runs as when Run As is off (the agent creates it).
pub const SSM_USER: &str = "ssm-user";

/// Who starts the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// An IAM role (`arn:…:role/[path/]name`) or user (`…:user/…`).
    Iam {
        arn: String,
        kind: IamKind,
        name: String,
    },
    /// A person signed in through IAM Identity Center with a permission set.
    IdentityCenter {
        user: String,
        permission_set: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IamKind {
    Role,
    User,
}

impl IamKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IamKind::Role => "role",
            IamKind::User => "user",
        }
    }
}

/// `--principal`: a role or user ARN, or an assumed-role session's ARN
/// (read as its role: sessions of a role carry the role's tags). Returns
/// the caller and its account; `Err` says what is wrong.
pub fn principal(arn: &str) -> Result<(Caller, String), String> {
    let bad = || {
        format!(
            "--principal {:?} is not a role or user ARN (arn:aws:iam::111122223333:role/NAME or :user/NAME)",
            arn.chars().take(80).collect::<String>()
        )
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, "", account, resource] = parts[..] else {
        return Err(bad());
    };
    let partition_ok = partition.starts_with("aws")
        && partition
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '-');
    if prefix != "arn" || !partition_ok || !crate::domain::trigger::is_account_id(account) {
        return Err(bad());
    }
    let segments: Vec<&str> = resource.split('/').collect();
    let (kind, name) = match (service, segments.as_slice()) {
        ("iam", ["role", .., name]) if segments.len() >= 2 => (IamKind::Role, *name),
        ("iam", ["user", .., name]) if segments.len() >= 2 => (IamKind::User, *name),
        ("sts", ["assumed-role", role, _session]) => (IamKind::Role, *role),
        _ => return Err(bad()),
    };
    let name_ok = |n: &str| {
        (1..=64).contains(&n.len())
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
    };
    if !segments[1..].iter().all(|s| name_ok(s)) {
        return Err(bad());
    }
    let arn = match service {
        "sts" => format!("arn:{partition}:iam::{account}:role/{name}"),
        _ => arn.to_string(),
    };
    let caller = Caller::Iam {
        arn,
        kind,
        name: name.to_string(),
    };
    Ok((caller, account.to_string()))
}

/// A read that failed: the AWS error code, and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    pub code: String,
    pub message: String,
}

impl Unread {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Unread {
        Unread {
            code: code.into(),
            message: message.into(),
        }
    }
}

/// One document's default version as SSM returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub version: String,
    /// `DocumentType` (`Session`, `Command`, ...).
    pub doc_type: String,
    /// As JSON, whatever format it is stored in.
    pub content: String,
}

/// The session document the session would use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentFacts {
    pub name: String,
    /// The caller named it; else it is the account-region's default.
    pub named: bool,
    /// `Ok(None)`: no such document here.
    pub read: Result<Option<Document>, Unread>,
}

/// The `SSMSessionRunAs` tag of an IAM role or user, as IAM holds it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IamTag {
    Present(String),
    Absent,
    /// No such role or user.
    PrincipalGone,
}

/// Where a session tag could come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagFacts {
    Iam(Result<IamTag, Unread>),
    IdentityCenter {
        /// The policy's `[identity_center.attributes]`; `None` when it declares none.
        declared: Option<Mapping>,
        /// What Identity Center holds.
        found: Result<Observed, Unread>,
    },
}

/// What the run-as user check recorded for the account-region (state table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRecord {
    pub readiness: Readiness,
    pub last_checked: Option<String>,
}

/// The node's outcome in one of the check's runs, read from State Manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRun {
    /// The association's status on the node (`Success`, `Failed`, ...).
    pub status: String,
    /// SSM's detailed status (`TimedOut`, `Undeliverable`, ...).
    pub detailed: Option<String>,
    /// The agent's execution summary: a failed step's stderr, where the
    /// check script's verdict is.
    pub summary: Option<String>,
    pub at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFacts {
    pub id: String,
    /// The node in the check's newest runs; `None` when not read (no
    /// association recorded). `Ok(None)`: no run has a result for it.
    pub live: Option<Result<Option<NodeRun>, Unread>>,
}

/// Everything the decision needs, read beforehand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub account: String,
    pub region: String,
    pub caller: Caller,
    pub document: DocumentFacts,
    pub tag: TagFacts,
    /// The check's row for the account-region; `Ok(None)`: none (the
    /// check is off, or has not run here).
    pub check: Result<Option<CheckRecord>, Unread>,
    pub node: Option<NodeFacts>,
    /// The policy's `[[document]]` names (a hint when none is named).
    pub policy_documents: Vec<String>,
    /// What the policy wants here, and whether enforce-when-ready holds it.
    pub wanted: Result<Wanted, Unread>,
}

/// What the policy wants for the account-region, shown beside what decides
/// the session: "why not `app`?" is answered in the same place.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Wanted {
    /// The user the policy's rules give the account (`None`: exempt, out of
    /// scope, or no rule names one).
    pub user: Option<String>,
    /// What decides it: the rule (`account:…`, `ou:…`, `default`), or
    /// `exempt`, `out of scope`, `no rule`.
    pub rule: String,
    /// `enforce`, `audit`, `enforce-when-ready`.
    pub mode: Option<&'static str>,
    /// Why `enforce-when-ready` holds Run As off here, and since when, as
    /// the last run recorded it.
    pub held: Option<String>,
    pub held_since: Option<String>,
}

impl Wanted {
    /// One line: `ops (ou:ou-ab12, enforce-when-ready; held since …: why)`.
    pub fn line(&self) -> String {
        let user = self
            .user
            .as_deref()
            .map_or("no user".to_string(), links::shown);
        let mut said = format!("{user} ({}", self.rule);
        if let Some(mode) = self.mode {
            said.push_str(&format!(", {mode}"));
        }
        match (&self.held, &self.held_since) {
            (Some(why), Some(since)) => said.push_str(&format!("; held since {since}: {why}")),
            (Some(why), None) => said.push_str(&format!("; held: {why}")),
            _ => {}
        }
        said.push(')');
        said
    }
}

/// How a link fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Looked at; it holds nothing that decides: the next link.
    Passed,
    /// This link decides the user.
    Decides,
    /// This link stops the session.
    Refuses,
    /// An earlier link decided or stopped the session.
    NotReached,
    /// Reached only if an earlier link that could not be read passes.
    Unknown,
    /// Could not be read (`error_code`).
    CannotRead,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Passed => "passed",
            State::Decides => "DECIDES",
            State::Refuses => "REFUSES",
            State::NotReached => "not reached",
            State::Unknown => "unknown",
            State::CannotRead => "cannot read",
        }
    }
}

/// One link of the chain, as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub step: usize,
    /// `session_document`, `run_as_enabled`, `principal_tag`,
    /// `identity_center_session_tag`, `document_user`, `node`.
    pub link: &'static str,
    /// Where Session Manager looks.
    pub source: String,
    /// What that place holds now.
    pub holds: String,
    pub state: State,
    pub error_code: Option<String>,
    pub note: Option<String>,
}

/// Would the session start?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    WouldStart,
    WouldBeRefused,
    Unknown,
    /// The user is no user name: the agent's unquoted shell lookup decides.
    Unpredictable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    pub verdict: Verdict,
    pub text: String,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chain {
    pub account: String,
    pub region: String,
    /// `role/Ops`, `user/alice`, `Identity Center user alice (permission set Admin)`.
    pub caller: String,
    pub document: String,
    pub node: Option<String>,
    pub links: Vec<Link>,
    /// The OS user, when it is known.
    pub user: Option<String>,
    /// The link that decides: `run_as_enabled`, `principal_tag`, ...
    pub decided_by: Option<&'static str>,
    pub session: Session,
    /// What the policy wants here (`None` when it could not be read: see
    /// `policy_error`).
    pub policy: Option<Wanted>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_error: Option<String>,
}

#[cfg(test)]
mod tests;
