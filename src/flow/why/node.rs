//! The last link (pure): does the decided user exist on the node? From what
//! the run-as user check found there: the node's outcome in the check's
//! newest runs when it could be read, else the check's recorded result
//! (the nodes it found lacking the user, 20 at most).

use super::links::shown;
use super::{CheckRecord, NodeFacts, NodeRun, Session, State, Unread, Verdict};
use crate::domain::nodes::node_result::{classify, NodeVerdict};
use crate::domain::nodes::readiness::{all_nodes, nodes};
use crate::domain::nodes::NodeResult;
use crate::domain::policy::user_name::{agent_lookup, AgentLookup};

/// The node link's parts, and what it makes of the session.
pub(super) struct Found {
    pub holds: String,
    pub state: State,
    pub error_code: Option<String>,
    pub note: Option<String>,
    pub session: Session,
}

fn session(verdict: Verdict, text: String) -> Session {
    Session { verdict, text }
}

const NO_RESULT: &str = "unknown: no check result for this node";

/// What the check found in the account-region, in one clause.
fn region_summary(r: &CheckRecord) -> String {
    let found = &r.readiness;
    let when = r
        .last_checked
        .as_deref()
        .map_or(String::new(), |t| format!(", recorded {t}"));
    match (found.checked, found.missing) {
        (0, 0) => format!("the check has no node result here yet{when}"),
        (c, 0) => format!(
            "the check found {} present on {}{when}",
            shown(&found.user),
            all_nodes(c)
        ),
        (c, m) => format!(
            "the check found {} missing on {m} of {}{when}",
            shown(&found.user),
            nodes(c)
        ),
    }
}

/// Without `--node`: what the region's check says, and no verdict.
pub(super) fn no_node(user: &str, check: &Result<Option<CheckRecord>, Unread>) -> Found {
    let note = match check {
        Ok(Some(r)) => Some(region_summary(r)),
        Ok(None) => None,
        Err(u) => Some(format!("the check's record could not be read: {}", u.code)),
    };
    Found {
        holds: "no --node given".into(),
        state: State::Unknown,
        error_code: None,
        note,
        session: session(
            Verdict::Unknown,
            format!(
                "unknown: name a node (--node) to see whether {} exists there",
                shown(user)
            ),
        ),
    }
}

pub(super) fn on_node(
    user: &str,
    node: &NodeFacts,
    check: &Result<Option<CheckRecord>, Unread>,
) -> Found {
    let mut found = look(user, node, check);
    // The agent runs `sh -c "id <user>"` unquoted (amazon-ssm-agent
    // agent/session/utility/utility_unix.go): the shell's reading of the
    // name is the name the session gets.
    match agent_lookup(user) {
        AgentLookup::AsWritten => {}
        AgentLookup::Collapsed(asked) => {
            found.session.text = format!(
                "{}; the agent asks the name service for {}, not {}: its `sh -c \"id <user>\"` is unquoted, so the shell drops the backslash",
                found.session.text,
                shown(&asked),
                shown(user)
            );
        }
        AgentLookup::Unpredictable => {
            found.session = session(
                Verdict::Unpredictable,
                format!("unpredictable: {} is no user name; the agent looks the user up with `sh -c \"id <user>\"`, unquoted, so the shell decides whether (and as whom) the session starts", shown(user)),
            );
        }
    }
    found
}

fn look(user: &str, node: &NodeFacts, check: &Result<Option<CheckRecord>, Unread>) -> Found {
    let id = shown(&node.id);
    let unknown = |holds: String, note: Option<String>, code: Option<String>| Found {
        holds,
        state: if code.is_some() {
            State::CannotRead
        } else {
            State::Unknown
        },
        error_code: code,
        note,
        session: session(Verdict::Unknown, NO_RESULT.into()),
    };
    let record = match check {
        Err(u) => return unknown("-".into(), Some(u.message.clone()), Some(u.code.clone())),
        Ok(None) => {
            let note = "the run-as user check keeps no result in this account-region: is [nodes] check_user on, and the member stack's check document here?";
            return unknown("no check result".into(), Some(note.into()), None);
        }
        Ok(Some(r)) => r,
    };
    if record.readiness.user != user {
        let holds = format!(
            "the check here looks up {}, not {}",
            shown(&record.readiness.user),
            shown(user)
        );
        return unknown(holds, Some(region_summary(record)), None);
    }
    let mut live_code = None;
    match &node.live {
        Some(Ok(Some(run))) => {
            if let Some(f) = from_run(user, &id, run) {
                return f;
            }
        }
        Some(Err(u)) => live_code = Some(u.code.clone()),
        _ => {}
    }
    if record.readiness.missing_nodes.contains(&node.id) {
        let when = record.last_checked.as_deref().unwrap_or("at its last look");
        return refused(user, &id, format!("recorded {when}"), live_code);
    }
    let note = format!(
        "{}; {id} is not among the nodes it recorded lacking the user",
        region_summary(record)
    );
    unknown("no check result".into(), Some(note), live_code)
}

fn refused(user: &str, id: &str, when: String, code: Option<String>) -> Found {
    Found {
        holds: format!("lacks {} (the run-as user check, {when})", shown(user)),
        state: State::Refuses,
        error_code: code,
        note: None,
        session: session(
            Verdict::WouldBeRefused,
            format!(
                "would be refused: {id} lacks {} (the run-as user check, {when})",
                shown(user)
            ),
        ),
    }
}

/// The node's outcome in its latest run of the check, judged as the sweep
/// judges it (missing only on the script's own line); `None` when it says
/// nothing yet.
fn from_run(user: &str, id: &str, run: &NodeRun) -> Option<Found> {
    let when = format!(
        "its latest run{}",
        run.at
            .as_deref()
            .map_or(String::new(), |t| format!(" at {t}"))
    );
    let result = NodeResult {
        node: id.to_string(),
        status: run.status.clone(),
        detailed: run.detailed.clone(),
        summary: run.summary.clone(),
    };
    match classify(&result, user) {
        NodeVerdict::Present => Some(Found {
            holds: format!("has {} (the run-as user check, {when})", shown(user)),
            state: State::Passed,
            error_code: None,
            note: None,
            session: session(
                Verdict::WouldStart,
                format!("would start as {} on {id}", shown(user)),
            ),
        }),
        NodeVerdict::Missing => Some(refused(user, id, when, None)),
        NodeVerdict::Running => None,
        NodeVerdict::CouldNotRun(reason) => Some(Found {
            holds: format!(
                "check could not run on {id} ({when}): {}",
                reason.describe()
            ),
            state: State::Unknown,
            error_code: None,
            note: Some(format!(
                "no verdict on {}: only the check script's own line says a user is missing",
                shown(user)
            )),
            session: session(
                Verdict::Unknown,
                format!(
                    "unknown: the check could not run on {id} ({})",
                    reason.describe()
                ),
            ),
        }),
    }
}
