//! The first four links, each from its own facts (pure): the session
//! document, its Run As switch, the principal's (or Identity Center's)
//! session tag, and the document's default user.

use super::agent::{convert_to_bool, read_as_agent, AgentView};
use super::{Caller, DocumentFacts, IamKind, IamTag, TagFacts, Unread, SSM_USER};
use crate::domain::identity_center::{changes, Mapping, Observed};
use crate::domain::trigger::RUN_AS_TAG;

/// What one link says on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Says {
    /// Nothing that decides here: on to the next link.
    Pass,
    /// The user is this; `None`: decided here, by a value runas-guard cannot read.
    User(Option<String>),
    /// The session stops here.
    Refuse(String),
    /// The session starts without looking a user up: as whom, and why.
    Start(Option<String>, String),
    CannotRead(Unread),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Step {
    pub link: &'static str,
    pub source: String,
    pub holds: String,
    pub note: Option<String>,
    pub says: Says,
}

/// The session document as the agent would use it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Doc {
    Usable(Box<AgentView>),
    /// No `SSM-SessionManagerRunShell` here: Session Manager's defaults.
    Defaults,
    /// Unread, or the session stops at the document.
    Unusable,
}

/// Editor text as a person should see it: plain, or quoted with escapes.
pub(super) fn shown(v: &str) -> String {
    let plain = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@$/:+=,".contains(c));
    if plain {
        v.to_string()
    } else {
        format!("{:?}", v.chars().take(200).collect::<String>())
    }
}

fn joined(notes: Vec<String>) -> Option<String> {
    (!notes.is_empty()).then(|| notes.join("; "))
}

pub(super) fn document(f: &DocumentFacts, hint: Option<String>) -> (Step, Doc) {
    let source = match f.named {
        true => format!("{} (named with --document-name)", f.name),
        false => format!("{} (no document named)", f.name),
    };
    let step = |holds: String, says: Says| Step {
        link: "session_document",
        source: source.clone(),
        holds,
        note: hint.clone(),
        says,
    };
    let d = match &f.read {
        Err(u) => return (step("-".into(), Says::CannotRead(u.clone())), Doc::Unusable),
        Ok(None) if f.named => {
            let why = format!(
                "there is no document {} here: Session Manager starts no session with it",
                f.name
            );
            return (
                step("no such document".into(), Says::Refuse(why)),
                Doc::Unusable,
            );
        }
        Ok(None) => {
            let holds = "none here: Session Manager's defaults apply".to_string();
            return (step(holds, Says::Pass), Doc::Defaults);
        }
        Ok(Some(d)) => d,
    };
    let holds = format!("{} document, default version {}", d.doc_type, d.version);
    if d.doc_type != "Session" {
        let why = format!("{} is a {} document, not a Session document: Session Manager starts no session with it", f.name, d.doc_type);
        return (step(holds, Says::Refuse(why)), Doc::Unusable);
    }
    let view = match read_as_agent(&d.content) {
        Ok(v) if v.refused.is_empty() => v,
        Ok(v) => {
            let why = format!(
                "the agent cannot decode {}: {}",
                f.name,
                v.refused.join(", ")
            );
            return (step(holds, Says::Refuse(why)), Doc::Unusable);
        }
        Err(e) => {
            let why = format!("the agent cannot decode {}: {e}", f.name);
            return (step(holds, Says::Refuse(why)), Doc::Unusable);
        }
    };
    let holds = format!("{holds}, {}", shown(&view.session_type));
    let says = session_type(&f.name, &view);
    let doc = match says {
        Says::Pass => Doc::Usable(Box::new(view)),
        _ => Doc::Unusable,
    };
    (step(holds, says), doc)
}

/// What the document's session type makes of Run As.
fn session_type(name: &str, view: &AgentView) -> Says {
    match view.session_type.as_str() {
        "Standard_Stream" | "InteractiveCommands" | "NonInteractiveCommands" => {
            let elevated = crate::domain::bypass::elevated_platforms(&view.plain);
            if elevated.is_empty() {
                return Says::Pass;
            }
            Says::Start(
                Some("root".into()),
                format!("would start as root on {} nodes: {name} asks to run elevated (runAsElevated), which skips Run As", elevated.join(" and ")),
            )
        }
        "Port" => Says::Start(
            None,
            format!("would start a port session: {name} opens no shell, so Run As does not apply"),
        ),
        "" => Says::Refuse(format!(
            "{name} has no sessionType: the agent has no session to start"
        )),
        other => Says::Refuse(format!(
            "{name}'s sessionType {} is none the agent runs",
            shown(other)
        )),
    }
}

fn spelling(view: &AgentView, field: &str) -> Option<String> {
    view.spelt
        .iter()
        .find(|s| s.starts_with(&format!("{field} ")))
        .map(|s| format!("the agent reads {s}: keys match without case, the last one wins"))
}

pub(super) fn switch(name: &str, doc: &Doc) -> Step {
    let mut step = Step {
        link: "run_as_enabled",
        source: format!("runAsEnabled of {name}"),
        holds: "-".into(),
        note: None,
        says: Says::Pass,
    };
    let off = |why: &str| {
        Says::Start(
            Some(SSM_USER.into()),
            format!("would start as {SSM_USER}: {why}, so no tag and no default user apply (the agent creates {SSM_USER} where it is missing)"),
        )
    };
    let view = match doc {
        Doc::Unusable => return step,
        Doc::Defaults => {
            step.holds = "off (Session Manager's default)".into();
            step.says = off(&format!(
                "there is no {name} here, and Run As is off by default"
            ));
            return step;
        }
        Doc::Usable(view) => view,
    };
    let raw = view
        .run_as_enabled
        .as_ref()
        .map_or("absent".to_string(), |v| v.to_string());
    step.note = spelling(view, "runAsEnabled");
    match convert_to_bool(view.run_as_enabled.as_ref()) {
        Err(e) => {
            step.holds = raw;
            step.says = Says::Refuse(format!("the agent cannot read runAsEnabled of {name}: {e}"));
        }
        Ok(on) => {
            step.holds = format!("{} ({raw})", if on { "on" } else { "off" });
            if !on {
                step.says = off(&format!("Run As is off in {name}"));
            }
        }
    }
    step
}

pub(super) fn document_user(name: &str, doc: &Doc) -> Step {
    let mut step = Step {
        link: "document_user",
        source: format!("runAsDefaultUser of {name}"),
        holds: "-".into(),
        note: None,
        says: Says::Pass,
    };
    let Doc::Usable(view) = doc else {
        return step;
    };
    let user = &view.run_as_default_user;
    step.holds = if user.is_empty() {
        "none".into()
    } else {
        shown(user)
    };
    step.note = spelling(view, "runAsDefaultUser");
    step.says = match user.trim().is_empty() {
        true => Says::Refuse(format!("would be refused: Run As is on and {name} names no user (the agent: \"please set the RunAs default user\")")),
        false => Says::User(Some(user.clone())),
    };
    step
}

pub(super) fn tag(caller: &Caller, facts: &TagFacts) -> Step {
    match (caller, facts) {
        (Caller::Iam { arn, kind, name }, TagFacts::Iam(read)) => iam_tag(arn, *kind, name, read),
        (
            Caller::IdentityCenter {
                user,
                permission_set,
            },
            TagFacts::IdentityCenter { declared, found },
        ) => identity_center_tag(user, permission_set, declared.as_ref(), found),
        _ => Step {
            link: "principal_tag",
            source: "-".into(),
            holds: "-".into(),
            note: None,
            says: Says::CannotRead(Unread::new(
                "Internal",
                "the tag read does not fit the caller",
            )),
        },
    }
}

fn iam_tag(arn: &str, kind: IamKind, name: &str, read: &Result<IamTag, Unread>) -> Step {
    let mut step = Step {
        link: "principal_tag",
        source: format!("{RUN_AS_TAG} tag on {}/{name}", kind.as_str()),
        holds: "-".into(),
        note: (kind == IamKind::Role).then(|| "a session tag passed when the role is assumed (sts:TagSession) would come first; it cannot be read afterwards".to_string()),
        says: Says::Pass,
    };
    match read {
        Err(u) => step.says = Says::CannotRead(u.clone()),
        Ok(IamTag::Absent) => step.holds = "no tag".into(),
        Ok(IamTag::PrincipalGone) => {
            step.holds = format!("no such {}", kind.as_str());
            step.says = Says::Refuse(format!(
                "would be refused: {arn} does not exist, so it cannot start a session"
            ));
        }
        Ok(IamTag::Present(v)) if v.trim().is_empty() => {
            step.holds = format!("{} (blank)", shown(v));
            step.note = Some("a blank value does not decide: the agent ignores it".into());
        }
        Ok(IamTag::Present(v)) => {
            step.holds = shown(v);
            step.says = Says::User(Some(v.clone()));
        }
    }
    step
}

/// The `SSMSessionRunAs` attribute, exactly spelt if there is one, else in any case.
fn run_as_attribute(m: &Mapping) -> Option<(&String, &String)> {
    m.0.get_key_value(RUN_AS_TAG)
        .or_else(|| m.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(RUN_AS_TAG)))
}

fn identity_center_tag(
    user: &str,
    permission_set: &str,
    declared: Option<&Mapping>,
    found: &Result<Observed, Unread>,
) -> Step {
    let mut notes = vec![format!("Identity Center's role for permission set {} (AWSReservedSSO_{}_*) carries no tag of its own", shown(permission_set), shown(permission_set))];
    let mut step = Step {
        link: "identity_center_session_tag",
        source: format!("Identity Center session tag {RUN_AS_TAG}"),
        holds: "-".into(),
        note: None,
        says: Says::Pass,
    };
    let observed = match found {
        Err(u) => {
            step.says = Says::CannotRead(u.clone());
            notes.extend(declared_source(declared));
            step.note = joined(notes);
            return step;
        }
        Ok(o) => o,
    };
    notes.extend(against_declaration(declared, observed));
    let mapping = match observed {
        Observed::Absent => {
            step.holds = "attributes for access control off: no session tag".into();
            step.note = joined(notes);
            return step;
        }
        Observed::Configured { status, mapping } => {
            if status != "ENABLED" {
                notes.push(format!("the configuration's status is {}", shown(status)));
            }
            mapping
        }
    };
    let Some((key, source)) = run_as_attribute(mapping) else {
        step.holds = format!("no {RUN_AS_TAG} attribute: no session tag");
        step.note = joined(notes);
        return step;
    };
    if key != RUN_AS_TAG {
        notes.push(format!(
            "the attribute is spelt {key:?}; tag keys match without case"
        ));
    }
    (step.holds, step.says) = tag_value(user, source);
    step.note = joined(notes);
    step
}

/// What a source gives the session tag, as far as runas-guard can tell.
fn tag_value(user: &str, source: &str) -> (String, Says) {
    match source {
        "${path:userName}" if !user.trim().is_empty() => (
            format!("${{path:userName}} = {} (the user's user name)", shown(user)),
            Says::User(Some(user.to_string())),
        ),
        "" => ("an empty source: the identity provider's SAML attribute AccessControl:SSMSessionRunAs, not readable here".into(), Says::User(None)),
        other => (
            format!("{}: the user's value in the identity store, not read (runas-guard has no identity store grant)", shown(other)),
            Says::User(None),
        ),
    }
}

fn declared_source(declared: Option<&Mapping>) -> Option<String> {
    let source = run_as_attribute(declared?).map(|(_, s)| s.as_str());
    Some(format!(
        "the policy declares {RUN_AS_TAG} = {}",
        source.map_or("nothing".to_string(), shown)
    ))
}

fn against_declaration(declared: Option<&Mapping>, found: &Observed) -> Option<String> {
    let Some(d) = declared else {
        return Some("the policy declares no [identity_center] mapping to compare with".into());
    };
    let differ: Vec<String> = changes(d, found)
        .into_iter()
        .map(|c| shown(&c.key))
        .collect();
    match differ.is_empty() {
        true => Some("as the policy declares".into()),
        false => Some(format!(
            "drifted from the policy ({} differ): {}",
            differ.join(", "),
            declared_source(Some(d)).unwrap_or_default()
        )),
    }
}
