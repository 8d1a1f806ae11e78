//! The sessions started in a told window (pure): which alerts list them
//! ([`asked`]: `run_as_window`, and a reverted or detected edit of one
//! account-region), over which windows (a past version's, from its making
//! to its replacement; an edit's, from its event, or from the making of the
//! version found, to the put-back or to now), and the listing written into
//! the alert ([`tell`]); a read that failed is said with its error code,
//! never the alert lost.

use serde_json::{json, Value};

use super::{Alert, Kind, Severity};
use crate::domain::sessions::{Listing, Spans};
use crate::domain::trigger::DOCUMENT_NAME;

/// What an alert asks of the account-region's session history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub region: String,
    pub document: String,
    /// Each window's `(from, until)`; `from` absent: the making of `made`.
    pub windows: Vec<(Option<String>, String)>,
    /// The version whose making opened the edit's window, when no edit
    /// event says when (a sweep's find, a member-stack update's).
    pub made: Option<String>,
}

/// The code an alert carries when its window's opening is not known (the
/// version found was not readable, the document was gone).
pub const OPENING_UNKNOWN: &str = "WindowOpeningUnknown";

/// What the read of the session history came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Told {
    Listed(Spans, Listing),
    /// The AWS error code (or [`OPENING_UNKNOWN`]).
    Unread(String),
}

fn text(b: &Value, k: &str) -> Option<String> {
    b[k].as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// The windows an alert tells, when it is about one account-region.
pub fn asked(alert: &Alert) -> Option<Asked> {
    let b = &alert.body;
    let region = text(b, "region")?;
    let document = text(b, "document")?;
    let at = text(b, "at")?;
    let (windows, made) = match alert.kind {
        Kind::RunAsWindow => {
            let w = b["windows"].as_array()?;
            let mut windows: Vec<_> = w
                .iter()
                .map(|w| {
                    let until = text(w, "until_known").or_else(|| text(w, "until_at_most"));
                    (text(w, "from"), until.unwrap_or(at.clone()))
                })
                .collect();
            // Versions not judged: their span, where its start is known.
            let u = &b["unjudged"];
            if let Some(from) =
                text(u, "from").filter(|_| u["versions"].as_array().is_some_and(|v| !v.is_empty()))
            {
                windows.push((Some(from), text(u, "until_at_most").unwrap_or(at.clone())));
            }
            (windows, None)
        }
        Kind::DriftReverted | Kind::TamperRepeated => edit_window(b, at, true)?,
        Kind::DriftDetected => edit_window(b, at, false)?,
        _ => return None,
    };
    Some(Asked {
        region,
        document,
        windows,
        made,
    })
}

type Windows = (Vec<(Option<String>, String)>, Option<String>);

/// Whether an edit's event made the version found (`found`), or made it
/// the default: only then does its window open at the event. Its own
/// events lost, a version found the default through another edit's event
/// (which made a newer latest) held since its own making (seed 900216: a
/// session started before the event went unlisted). An event that names
/// no version is taken at its word.
pub fn event_made(event_version: Option<&str>, found: Option<&str>) -> bool {
    match (event_version, found) {
        (Some(event), Some(found)) => event == found,
        _ => true,
    }
}

/// An edit's window: from its event (to the put-back a follow-up names, or
/// to now) where the event made the version found, else from the making
/// of the version found to now. In audit (`put_back` false) nothing was
/// put back: a follow-up's window runs to now, not to the finding it
/// follows (seed 900252: a session started between the two, the version
/// still the default, went unlisted).
fn edit_window(b: &Value, at: String, put_back: bool) -> Option<Windows> {
    if b["regions"].is_array() {
        return None; // several findings: each region's own alert would say
    }
    // A follow-up's edit made the version the put-back replaced.
    let found = match (b["follow_up_of"].is_object(), b["latest_only"] == true) {
        (true, _) => text(&b["follow_up_of"], "version_replaced"),
        (false, true) => text(&b["versions_before"], "latest"),
        (false, false) => text(&b["versions_before"], "default"),
    };
    let event = text(b, "event_time").filter(|_| b["found_by"] == "document_changed");
    let made_it = event_made(text(b, "event_version").as_deref(), found.as_deref());
    match event {
        Some(from) if made_it => {
            let until = text(&b["follow_up_of"], "put_back_at")
                .filter(|_| put_back)
                .unwrap_or(at);
            Some((vec![(Some(from), until)], None))
        }
        // The event made another version: from the making of the one found.
        Some(_) => Some((vec![(None, at)], found)),
        None => Some((vec![(None, at)], text(&b["versions_before"], "default"))),
    }
}

impl Asked {
    /// Whether `other` asks for the same windows: the same account-region's
    /// document, each window opening at the same moment (or at the making of
    /// the same version). Where each ends is not compared: an edit's window
    /// ends "now", which its finding and its alert say a moment apart, and a
    /// past window's end is read from the same record by both.
    pub fn same_windows(&self, other: &Asked) -> bool {
        let froms = |a: &Asked| a.windows.iter().map(|(f, _)| f.clone()).collect::<Vec<_>>();
        self.region == other.region
            && self.document == other.document
            && self.made == other.made
            && froms(self) == froms(other)
    }

    /// The windows in time, once the making of [`Asked::made`] is read
    /// (`made_at`); `Err` when no window's opening is known.
    pub fn spans(&self, made_at: Option<&str>) -> Result<Spans, String> {
        let windows: Vec<(&str, &str)> = self
            .windows
            .iter()
            .filter_map(|(from, until)| Some((from.as_deref().or(made_at)?, until.as_str())))
            .collect();
        Spans::of(&windows).ok_or_else(|| OPENING_UNKNOWN.to_string())
    }
}

/// Where an alert's listing goes: its body, or one entry of its `regions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Alert,
    Region(usize),
}

/// Every window an alert tells, with where its listing goes: an alert about
/// one account-region ([`asked`]), or an `account_configured`'s regions
/// whose default held Run As out of policy until the configuration put it
/// back (`versions_before`), each from the making of that default to the
/// configuration: a window of the account's vend, told by its one alert.
pub fn asks(alert: &Alert) -> Vec<(Place, Asked)> {
    if let Some(a) = asked(alert) {
        return vec![(Place::Alert, a)];
    }
    let b = &alert.body;
    let Some(at) = text(b, "at").filter(|_| alert.kind == Kind::AccountConfigured) else {
        return vec![];
    };
    let entries = b["regions"].as_array().map_or(&[][..], Vec::as_slice);
    entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let made = text(&e["versions_before"], "default")?;
            let document = text(e, "document").unwrap_or(DOCUMENT_NAME.to_string());
            let asked = Asked {
                region: text(e, "region")?,
                document,
                windows: vec![(None, at.clone())],
                made: Some(made),
            };
            Some((Place::Region(i), asked))
        })
        .collect()
}

/// `alert` with what was read at `place` ([`tell`] for [`Place::Alert`]).
/// A configuration whose window lists a session is a `warning`: a session
/// ran out of policy before the guard could reach the account.
pub fn tell_at(mut alert: Alert, place: Place, told: Told) -> Alert {
    let i = match place {
        Place::Alert => return tell(alert, told),
        Place::Region(i) => i,
    };
    let ran = matches!(&told, Told::Listed(_, l) if !l.listed.is_empty() || l.more > 0);
    let Some(e) = alert.body["regions"]
        .get_mut(i)
        .and_then(Value::as_object_mut)
    else {
        return alert;
    };
    write(e, told);
    if ran {
        alert.severity = Severity::Warning;
        alert.body["severity"] = json!(Severity::Warning.as_str());
    }
    alert
}

/// `alert` with what was read: `sessions` (oldest first), `sessions_more`
/// and `sessions_truncated` where there are more, `sessions_from` /
/// `sessions_until` (where it looked); or `sessions_unread` (the code).
pub fn tell(mut alert: Alert, told: Told) -> Alert {
    if let Some(b) = alert.body.as_object_mut() {
        write(b, told);
    }
    alert
}

fn write(b: &mut serde_json::Map<String, Value>, told: Told) {
    match told {
        Told::Listed(spans, l) => {
            let (from, until) = spans.bounds();
            b.insert("sessions".into(), json!(l.listed));
            b.insert("sessions_from".into(), json!(from));
            b.insert("sessions_until".into(), json!(until));
            if l.more > 0 {
                b.insert("sessions_more".into(), json!(l.more));
            }
            if l.truncated {
                b.insert("sessions_truncated".into(), json!(true));
            }
        }
        Told::Unread(code) => {
            b.insert("sessions_unread".into(), json!(code));
        }
    }
}

/// The listing as e-mail text: one line per session, or why none could be
/// read; nothing for an alert that lists none.
pub fn text_lines(b: &Value) -> Vec<String> {
    if let Some(code) = b["sessions_unread"].as_str() {
        return vec![format!(
            "Sessions started in the window: could not be read ({code}); look in Session Manager's session history"
        )];
    }
    let Some(listed) = b["sessions"].as_array() else {
        return vec![];
    };
    let (from, until) = (b["sessions_from"].as_str(), b["sessions_until"].as_str());
    let mut out = vec![format!(
        "Sessions started in the window ({} to {}): {}{}",
        from.unwrap_or("?"),
        until.unwrap_or("?"),
        listed.len() + b["sessions_more"].as_u64().unwrap_or(0) as usize,
        if b["sessions_truncated"] == true {
            " or more"
        } else {
            ""
        }
    )];
    for s in listed {
        out.push(format!(
            "- {} by {} on {} ({}, {})",
            s["started"].as_str().unwrap_or("?"),
            s["owner"].as_str().unwrap_or("?"),
            s["target"].as_str().unwrap_or("?"),
            s["status"].as_str().unwrap_or("?"),
            s["session_id"].as_str().unwrap_or("?"),
        ));
    }
    if let Some(more) = b["sessions_more"].as_u64().filter(|n| *n > 0) {
        out.push(format!("- ...and {more} more"));
    }
    out
}

#[cfg(test)]
#[path = "sessions_tests.rs"]
mod tests;
