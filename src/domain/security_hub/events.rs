//! Security events as findings: an edit a run put back (`edit`) and
//! versions that held Run As out of policy and were set back before any
//! run looked (`window`). Each is its own finding, `FAILED` and `ACTIVE`
//! (Security Hub CSPM sets its workflow `NEW`) from its first import, and
//! stays so until the security team resolves it: runas-guard never sends
//! it again, so it never reopens or re-archives what the team set. A root
//! value is `CRITICAL`, any other `HIGH`. The `Id` is the fact's identity:
//! account, region, document, version(s), kind, whichever run finds it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::seen::{observed, read};
use super::{finding, where_, Check, Compliance, Label, Place, Send};
use crate::domain::outcome::RegionOutcome;
use crate::domain::preferences::RunAs;

/// A root Run As is one step from root sessions: the most urgent.
fn severity<'a>(mut values: impl Iterator<Item = Option<&'a RunAs>>) -> Label {
    let root = |r: Option<&RunAs>| {
        r.and_then(|r| r.user.as_ref())
            .is_some_and(|u| matches!(u, Value::String(s) if s.trim() == "root"))
    };
    match values.any(root) {
        true => Label::Critical,
        false => Label::High,
    }
}

fn event(mut f: super::Finding, severity: Label) -> super::Finding {
    f.compliance = Compliance::Failed;
    f.severity = severity;
    f.archived = false;
    f
}

/// A reverted edit, its own finding: who, which version, put back.
pub(super) fn edit(
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
    let seen = read(o);
    let title = format!(
        "Session Manager Run As set to {} by {editor} in {}",
        observed(seen),
        where_(place, o)
    );
    let description = format!(
        "{editor} set Run As to {} (version {edited}); runas-guard put back on/{} as version {}. Sessions started while it was the default ran under it: review them in Session Manager's session history.",
        observed(seen),
        details.get("expected_run_as_default_user").map_or("?", String::as_str),
        o.version_after.as_deref().unwrap_or("?")
    );
    let mut f = finding(place, o, Check::Edit, (title, description), details, now_ms);
    f.id = format!("{}/{edited}", f.id);
    let f = event(f, severity(std::iter::once(seen.and_then(|s| s.run_as))));
    Send {
        slot: o.slot(),
        finding: f,
        sent: None,
    }
}

/// The versions a run's history found out of policy and already set back
/// (`run_as_window`): their values and spans, and the editor the run's
/// event names.
pub(super) fn window(
    place: Place<'_>,
    o: &RegionOutcome,
    editor: Option<&str>,
    now_ms: i64,
) -> Option<Send> {
    let windows = &o.history.as_ref()?.windows;
    let (first, last) = (windows.first()?, windows.last()?);
    let versions: Vec<&str> = windows.iter().map(|w| w.version.as_str()).collect();
    let editor = editor
        .filter(|e| !e.trim().is_empty())
        .unwrap_or("an editor not yet named");
    let mut details = BTreeMap::new();
    details.insert("editor".into(), editor.to_string());
    details.insert("versions".into(), versions.join(","));
    for w in windows {
        let until = w.until_known.as_deref().or(w.until_at_most.as_deref());
        let span = format!(
            "{} from {} until {}{}",
            w.run_as.short(),
            w.from.as_deref().unwrap_or("?"),
            until.unwrap_or("?"),
            if w.until_known.is_none() {
                " at most"
            } else {
                ""
            }
        );
        details.insert(format!("window_version_{}", w.version), span);
    }
    let title = format!(
        "Session Manager Run As was {} in {} before it was set back",
        first.run_as.short(),
        where_(place, o)
    );
    let description = format!(
        "Versions {} held Run As out of policy while they were the default and were replaced before runas-guard looked; last edit by {editor}. Sessions started meanwhile kept it: review them in Session Manager's session history (the alert lists them).",
        versions.join(", ")
    );
    let mut f = finding(
        place,
        o,
        Check::Window,
        (title, description),
        details,
        now_ms,
    );
    f.id = format!("{}/{}-{}", f.id, first.version, last.version);
    let f = event(f, severity(windows.iter().map(|w| Some(&w.run_as))));
    Some(Send {
        slot: o.slot(),
        finding: f,
        sent: None,
    })
}
