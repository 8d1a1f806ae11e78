//! `run_as_window`: versions of a governed document, made since the table
//! last recorded it, held Run As out of policy and were set back before any
//! run looked (a root window an editor the SCPs do not stop opened and
//! closed). The document reads right now; its history says what held
//! meanwhile. One alert per account-region, told by the run that read it.

use std::borrow::Cow;

use serde_json::{json, Value};

use super::message::{base, short_actor, subject_value};
use super::{Alert, Kind, Severity};
use crate::domain::fact::{version_fact, Version};
use crate::domain::outcome::{AccountReport, RegionOutcome};
use crate::domain::trigger::Trigger;

/// What the alert says of versions it could not judge.
pub const UNJUDGED_NOTE: &str = "runas-guard could not read these versions (`unjudged`: which, the read that failed, their span): any of them may have held Run As out of policy; check their content in Systems Manager > Documents and the sessions started in their span in Session Manager > Session history";

/// What the alert says of a document deleted and made again.
pub const RECREATED_NOTE: &str = "the document was deleted and made again since runas-guard last recorded it (`recreated`: the default version it recorded of the former one): while it was gone Session Manager had no preferences document there, and its versions from 1 are a new history, judged here";

/// What the alert says of how long a window lasted.
pub const WINDOW_NOTE: &str = "these versions held Run As out of policy and were replaced before runas-guard looked; a version takes effect only while it is the default, and sessions started meanwhile kept it: `sessions` lists those started in the windows (owner, target), check who edited and who opened them";

/// What a follow-up adds: another run told the versions first (its alert
/// could not name this editor), and this one names who made them.
pub const FOLLOW_UP_NOTE: &str = "another run told these versions first (`follow_up_of`: its trigger, and the editor it named, if any); this is their editor, whose edit's event arrived since: the versions and sessions are as that alert said";

/// One alert per row whose history this run tells.
pub fn run_as_windows(report: &AccountReport, trigger: &Trigger, at: &str) -> Vec<Alert> {
    let user = report.desired_user.as_deref().unwrap_or_default();
    report
        .regions
        .iter()
        .filter(|o| o.history.as_ref().is_some_and(|h| h.is_news()))
        .map(|o| window(&report.account, o.user(user), o, &naming(trigger, o), at))
        .collect()
}

/// The trigger whose editor the alert names: where the run's own trigger
/// edits nothing in this slot (a sweep, an operator's run, another
/// slot's event, our own write's event), a window of a switch kept from another event's failed
/// run names that event's editor (`domain::version_gap::kept`).
fn naming<'a>(trigger: &'a Trigger, o: &RegionOutcome) -> Cow<'a, Trigger> {
    let here = trigger.edits(o.document_name())
        && trigger.region.as_deref() == Some(&o.region)
        && !trigger.context.own_write;
    let Some(k) = o.kept_switch.as_ref().filter(|_| !here) else {
        return Cow::Borrowed(trigger);
    };
    let history = o.history.as_ref();
    let version = k.version.to_string();
    let windows = history.into_iter().flat_map(|h| h.windows.iter());
    let unjudged = history.and_then(|h| h.unjudged.as_ref());
    let unjudged = unjudged.into_iter().flat_map(|u| u.versions.iter());
    let told = windows.map(|w| &w.version).any(|v| *v == version)
        || unjudged
            .into_iter()
            .any(|v| crate::domain::version_gap::judged_numbers(Some(v)).contains(&k.version));
    match (&k.editor, told) {
        (Some(editor), true) => Cow::Owned(Trigger {
            actor: Some(editor.clone()),
            ..trigger.clone()
        }),
        _ => Cow::Borrowed(trigger),
    }
}

fn window(account: &str, user: &str, o: &RegionOutcome, trigger: &Trigger, at: &str) -> Alert {
    let kind = Kind::RunAsWindow;
    let history = o.history.as_ref().expect("filtered on history");
    let by = trigger
        .actor
        .as_ref()
        .map(|a| format!(", last edit by {}", subject_value(&short_actor(&a.arn))))
        .unwrap_or_default();
    let versions: Vec<&str> = history.windows.iter().map(|w| w.version.as_str()).collect();
    let subject = match (history.windows.first(), &history.unjudged) {
        (Some(first), _) => format!(
            "runas-guard: RunAs was {} in {account} {} (version {}) before it was set back{by}",
            subject_value(&first.run_as.short()),
            o.place(),
            subject_value(&versions.join(", ")),
        ),
        (None, _) if history.recreated.is_some() => format!(
            "runas-guard: {} in {account} {} was deleted and made again{by}",
            o.document_name(),
            o.place(),
        ),
        (None, unjudged) => format!(
            "runas-guard: RunAs not known in {account} {} (version {} could not be read){by}",
            o.place(),
            subject_value(
                &unjudged
                    .iter()
                    .flat_map(|u| u.versions.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    };
    let mut m = base(kind, Severity::Warning, account, trigger, at);
    m.insert("alert_id".into(), json!(told_id(account, o, trigger)));
    m.insert("region".into(), json!(o.region));
    m.insert("document".into(), json!(o.document_name()));
    m.insert("desired_user".into(), json!(user));
    m.insert("windows".into(), json!(history.windows));
    m.insert("versions_unread".into(), json!(history.unread));
    m.insert("versions_now".into(), json!(o.versions_before));
    m.insert("event_name".into(), json!(trigger.event_name));
    m.insert("event_time".into(), json!(trigger.context.event_time));
    m.insert("found_by".into(), json!(trigger.kind.as_str()));
    beyond_windows(&mut m, history, (o, trigger, at));
    // A follow-up says so first: another run's alert told these versions.
    let subject = match history.follow_up_of {
        Some(_) => super::message::clean_subject(&subject.replacen(
            "runas-guard",
            "runas-guard follow-up",
            1,
        )),
        None => subject,
    };
    Alert::new(kind, Severity::Warning, account, &subject, Value::Object(m))
}

/// The alert's identity from the facts it tells (`domain::fact`): its
/// windows (version and when AWS says it was made), the versions it could
/// not judge, the document made again, and the editor it names. Every run
/// that tells the same facts sends the same `alert_id`.
fn told_id(account: &str, o: &RegionOutcome, trigger: &Trigger) -> String {
    let kind = Kind::RunAsWindow.as_str();
    let history = o.history.as_ref().expect("filtered on history");
    let place = (account, o.slot());
    let place = (place.0, place.1.as_str());
    let mut facts: Vec<String> = history
        .windows
        .iter()
        .map(|w| {
            // A window a default switch opened is another fact than the
            // same version's told before it was ever the default (seed
            // 500100: both had one id), as its claim is another claim.
            let version = crate::domain::version_gap::window_token(w);
            let v = Version {
                version: &version,
                created: w.created.as_deref(),
            };
            version_fact(kind, place, v)
        })
        .collect();
    if let Some(u) = &history.unjudged {
        for versions in &u.versions {
            // Dated by `from`, the making of the version read below them:
            // their own making is what the failed read did not say, and
            // without a date the same numbers of a document made again are
            // one fact, the later one taken as told (simulation seed 900116).
            let version = format!("unjudged:{versions}");
            let v = Version {
                version: &version,
                created: u.from.as_deref(),
            };
            facts.push(version_fact(kind, place, v));
        }
    }
    if let Some(former) = &history.recreated {
        let version = format!("recreated:{former}");
        let v = Version {
            version: &version,
            created: history.life_made.as_deref(),
        };
        facts.push(version_fact(kind, place, v));
    }
    // The editor the alert names is part of what it tells: the same
    // versions told without an editor and then with one (a follow-up, or
    // another trigger's run that knew it) are two facts, as a reader sees.
    let editor = trigger.actor.as_ref().map(|a| a.arn.as_str());
    crate::domain::fact::told_id(kind, place, &facts, editor)
}

/// What the alert says besides its windows: the versions not judged, a
/// document made again, and the note for all of it.
fn beyond_windows(
    m: &mut serde_json::Map<String, Value>,
    history: &crate::domain::version_gap::History,
    (o, trigger, at): (&RegionOutcome, &Trigger, &str),
) {
    if let Some(u) = &history.unjudged {
        let mut told = json!(u);
        // Their span ends, at most, when this run found the document.
        told["until_at_most"] = json!(at);
        // Who made them, where the trigger says: an edit event of this
        // document names its editor (the last one, at least).
        let makers: Vec<&str> = trigger
            .actor
            .as_ref()
            .filter(|_| trigger.edits(o.document_name()))
            .map(|a| a.arn.as_str())
            .into_iter()
            .collect();
        told["makers"] = json!(makers);
        m.insert("unjudged".into(), told);
    }
    let mut notes: Vec<&str> = Vec::new();
    if !history.windows.is_empty() {
        notes.push(WINDOW_NOTE);
    }
    if history
        .unjudged
        .as_ref()
        .is_some_and(|u| !u.versions.is_empty())
    {
        notes.push(UNJUDGED_NOTE);
    }
    if let Some(former) = &history.recreated {
        m.insert("recreated".into(), json!({"recorded_version": former}));
        notes.push(RECREATED_NOTE);
    }
    if let Some(teller) = &history.follow_up_of {
        m.insert("follow_up_of".into(), json!(teller));
        notes.push(FOLLOW_UP_NOTE);
    }
    let note = match notes.is_empty() {
        true => WINDOW_NOTE.to_string(),
        false => notes.join("; "),
    };
    m.insert("note".into(), json!(note));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kept_switch::Kept;
    use crate::domain::preferences::RunAs;
    use crate::domain::trigger::{Actor, Context, TriggerKind};
    use crate::domain::version_gap::{History, Window};

    fn actor(name: &str) -> Actor {
        Actor {
            arn: format!("arn:aws:iam::200000000001:role/{name}"),
            identity_type: "AssumedRole".into(),
            session_name: None,
        }
    }

    fn trigger(edit_here: bool) -> Trigger {
        Trigger {
            kind: match edit_here {
                true => TriggerKind::DocumentChanged,
                false => TriggerKind::Sweep,
            },
            account: Some("200000000001".into()),
            region: Some("eu-west-1".into()),
            actor: edit_here.then(|| actor("Other")),
            event_id: "e-1".into(),
            source: "test".into(),
            event_name: None,
            reason: "test".into(),
            context: Context::default(),
        }
    }

    fn slot(kept: Option<Option<Actor>>, told: &str) -> RegionOutcome {
        let window = Window {
            version: told.into(),
            run_as: RunAs::desired("root"),
            created: None,
            from: None,
            until_known: None,
            until_at_most: None,
        };
        RegionOutcome {
            region: "eu-west-1".into(),
            history: Some(History {
                windows: vec![window],
                ..History::default()
            }),
            kept_switch: kept.map(|editor| Kept {
                version: 12,
                at_ms: 1_790_000_000_000,
                editor,
            }),
            ..RegionOutcome::default()
        }
    }

    #[test]
    fn a_window_of_a_kept_switch_names_its_editor_where_the_run_knows_none_here() {
        // (the trigger edits this slot, the kept switch and its editor, the
        // version told) -> the editor named
        let cases = [
            (false, Some(Some(actor("Admin"))), "12", Some("Admin")),
            (true, Some(Some(actor("Admin"))), "12", Some("Other")),
            (false, Some(Some(actor("Admin"))), "11", None),
            (false, Some(None), "12", None),
            (false, None, "12", None),
            (true, None, "12", Some("Other")),
        ];
        for (here, kept, told, want) in cases {
            let o = slot(kept.clone(), told);
            let t = trigger(here);
            let named = naming(&t, &o);
            let got = named
                .actor
                .as_ref()
                .map(|a| a.arn.rsplit('/').next().unwrap_or_default().to_string());
            assert_eq!(got.as_deref(), want, "{here} {kept:?} {told}");
        }
        // Our own write's event edits the slot but names nobody: the kept
        // switch's editor is named (seed 900077, `aimed`).
        let own = crate::domain::unnamed::as_own_write(trigger(true));
        for (kept, told, want) in [
            (Some(Some(actor("Admin"))), "12", Some("Admin")),
            (Some(Some(actor("Admin"))), "11", None),
            (None, "12", None),
        ] {
            let o = slot(kept.clone(), told);
            let named = naming(&own, &o);
            let got = named
                .actor
                .as_ref()
                .map(|a| a.arn.rsplit('/').next().unwrap_or_default().to_string());
            assert_eq!(got.as_deref(), want, "own write {kept:?} {told}");
        }
    }
}
