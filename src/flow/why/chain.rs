//! The chain Session Manager applies, decided from plain facts (pure): the
//! links in order, the first that decides or stops the session, and what the
//! node says about the user it decided.

use super::links::{self, shown, Says, Step};
use super::node::{self, Found};
use super::{Caller, Chain, Facts, Link, Session, State, Verdict};

/// Where the walk over the links ended.
enum End {
    /// A user to look up on the node.
    User(String, &'static str),
    /// Decided by a value runas-guard cannot read: by whom, and what it holds.
    Hidden(&'static str, String),
    /// The session starts without a lookup, as this user.
    Start(Option<String>, &'static str, String),
    Refused(&'static str, String),
    /// A link could not be read: the rest depends on it.
    Blocked(String),
}

pub fn decide(f: &Facts) -> Chain {
    let hint = document_hint(f);
    let (document, doc) = links::document(&f.document, hint);
    let steps = [
        document,
        links::switch(&f.document.name, &doc),
        links::tag(&f.caller, &f.tag),
        links::document_user(&f.document.name, &doc),
    ];
    let (mut chain_links, end) = walk(steps);
    let (node_link, user, decided_by, session) = finish(f, end);
    chain_links.push(Link {
        step: chain_links.len() + 1,
        ..node_link
    });
    Chain {
        account: f.account.clone(),
        region: f.region.clone(),
        caller: caller(&f.caller),
        document: f.document.name.clone(),
        node: f.node.as_ref().map(|n| n.id.clone()),
        links: chain_links,
        user,
        decided_by,
        session,
        policy: f.wanted.as_ref().ok().cloned(),
        policy_error: f
            .wanted
            .as_ref()
            .err()
            .map(|u| format!("{}: {}", u.code, u.message)),
    }
}

fn caller(c: &Caller) -> String {
    match c {
        Caller::Iam { arn, .. } => arn.clone(),
        Caller::IdentityCenter {
            user,
            permission_set,
        } => format!(
            "Identity Center user {}, permission set {}",
            shown(user),
            shown(permission_set)
        ),
    }
}

/// An Identity Center caller naming no document, where the policy keeps
/// per-permission-set documents: their permission set may require one.
fn document_hint(f: &Facts) -> Option<String> {
    let ic = matches!(f.caller, Caller::IdentityCenter { .. });
    (ic && !f.document.named && !f.policy_documents.is_empty()).then(|| {
        format!(
            "the policy keeps per-permission-set documents ({}): a permission set whose policy requires one starts sessions with --document-name; pass it as --document",
            f.policy_documents.join(", ")
        )
    })
}

/// Each link's state, and where the walk ended.
fn walk(steps: [Step; 4]) -> (Vec<Link>, End) {
    let mut end: Option<End> = None;
    let mut out = Vec::new();
    for (i, s) in steps.into_iter().enumerate() {
        let blocked = matches!(end, Some(End::Blocked(_)));
        let state = match (&end, &s.says) {
            (_, Says::CannotRead(_)) => State::CannotRead,
            (Some(_), _) if blocked => State::Unknown,
            (Some(_), _) => State::NotReached,
            (None, Says::Pass) => State::Passed,
            (None, Says::User(_) | Says::Start(..)) => State::Decides,
            (None, Says::Refuse(_)) => State::Refuses,
        };
        let error_code = match &s.says {
            Says::CannotRead(u) => Some(u.code.clone()),
            _ => None,
        };
        let mut note = s.note.clone();
        if end.is_none() {
            end = match s.says {
                Says::Pass => None,
                Says::User(Some(u)) => Some(End::User(u, s.link)),
                Says::User(None) => Some(End::Hidden(
                    s.link,
                    format!("unknown: the {} decides: {}", s.source, s.holds),
                )),
                Says::Start(u, why) => Some(End::Start(u, s.link, why)),
                Says::Refuse(why) => Some(End::Refused(s.link, why)),
                Says::CannotRead(u) => {
                    note = Some(join(note, &u.message));
                    Some(End::Blocked(format!(
                        "unknown: {} could not be read ({})",
                        s.source, u.code
                    )))
                }
            };
        }
        out.push(Link {
            step: i + 1,
            link: s.link,
            source: s.source,
            holds: s.holds,
            state,
            error_code,
            note,
        });
    }
    let end = end.unwrap_or_else(|| End::Blocked("unknown: no link decides".into()));
    (out, end)
}

fn join(note: Option<String>, more: &str) -> String {
    match note {
        Some(n) => format!("{more}; {n}"),
        None => more.to_string(),
    }
}

type Finished = (Link, Option<String>, Option<&'static str>, Session);

/// The node link, the user, who decided it and the verdict.
fn finish(f: &Facts, end: End) -> Finished {
    let source = match &f.node {
        Some(n) => format!("node {}: does the user exist there?", shown(&n.id)),
        None => "the node: does the user exist there?".to_string(),
    };
    let link = |found: &Found| Link {
        step: 0,
        link: "node",
        source: source.clone(),
        holds: found.holds.clone(),
        state: found.state,
        error_code: found.error_code.clone(),
        note: found.note.clone(),
    };
    let skipped = |state: State, holds: &str| Link {
        step: 0,
        link: "node",
        source: source.clone(),
        holds: holds.into(),
        state,
        error_code: None,
        note: None,
    };
    let verdict = |verdict, text: String| Session { verdict, text };
    match end {
        End::User(user, by) => {
            let found = match &f.node {
                Some(n) => node::on_node(&user, n, &f.check),
                None => node::no_node(&user, &f.check),
            };
            (link(&found), Some(user), Some(by), found.session)
        }
        End::Hidden(by, text) => (
            skipped(State::Unknown, "-"),
            None,
            Some(by),
            verdict(Verdict::Unknown, text),
        ),
        End::Start(user, by, why) => {
            let s = verdict(Verdict::WouldStart, why);
            (
                skipped(State::NotReached, "no user lookup"),
                user,
                Some(by),
                s,
            )
        }
        End::Refused(by, why) => {
            let s = verdict(Verdict::WouldBeRefused, refused_text(why));
            (skipped(State::NotReached, "-"), None, Some(by), s)
        }
        End::Blocked(why) => (
            skipped(State::Unknown, "-"),
            None,
            None,
            verdict(Verdict::Unknown, why),
        ),
    }
}

fn refused_text(why: String) -> String {
    match why.starts_with("would be refused") {
        true => why,
        false => format!("would be refused: {why}"),
    }
}
