//! The span of versions not judged, opened by the trigger's own event
//! (pure): a version whose read failed has no known making, and without a
//! version below it read, no start (its sessions could not be listed). Yet
//! when the event that started the run made it, or made a version below
//! it, none of them can have been the default before that event's time
//! (since 0.7.2).

use super::History;
use crate::domain::trigger::Trigger;

/// The version the trigger's event made of `document` in `region` (an
/// `UpdateDocument`'s or a `CreateDocument`'s answer) and the event's
/// time: CloudTrail cuts it to the second, never later than the call, so
/// no version from that one up was made before it.
pub fn made_by(t: &Trigger, region: &str, document: &str) -> Option<(u64, String)> {
    if !t.edits(document) || t.region.as_deref() != Some(region) {
        return None;
    }
    let version = t.context.made_version.as_deref()?.parse().ok()?;
    let at = t.context.event_time.clone()?;
    crate::domain::clock::parse_iso(&at)?;
    Some((version, at))
}

/// The version an edit's event of `document` in `region` made (its
/// answer's number) or made the default (its request's): what the event
/// is about. `None` where it says none.
pub fn event_version(t: &Trigger, region: &str, document: &str) -> Option<String> {
    if !t.edits(document) || t.region.as_deref() != Some(region) {
        return None;
    }
    t.context
        .made_default
        .clone()
        .or_else(|| t.context.made_version.clone())
}

/// `history` whose versions not judged have no start yet, started at the
/// making `made` says when that version is the first of them or below it
/// (versions are numbered as they are made: none of them is older).
pub fn opened_at_making(mut history: History, made: Option<&(u64, String)>) -> History {
    let Some(u) = history.unjudged.as_mut().filter(|u| u.from.is_none()) else {
        return history;
    };
    let first = u
        .versions
        .first()
        .and_then(|v| v.split('-').next())
        .and_then(|v| v.parse::<u64>().ok());
    if let (Some(first), Some((version, at))) = (first, made) {
        if *version <= first {
            u.from = Some(at.clone());
        }
    }
    history
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::version_gap::Unjudged;

    /// (history, what the trigger made and when, the span's start wanted)
    type Case<'a> = (History, Option<(u64, String)>, Option<&'a str>);

    fn unjudged(versions: &[&str], from: Option<&str>) -> History {
        History {
            unjudged: Some(Unjudged {
                versions: versions.iter().map(|v| v.to_string()).collect(),
                operation: "GetDocument",
                error_code: "ThrottlingException".into(),
                from: from.map(str::to_string),
            }),
            ..History::default()
        }
    }

    #[test]
    fn versions_not_judged_start_at_the_making_the_trigger_says_when_none_below_was_read() {
        let at = "2026-11-21T02:15:05Z";
        let made = |v: u64| Some((v, at.to_string()));
        let cases: &[Case] = &[
            // The trigger made the version not judged: its window opens then.
            (unjudged(&["7"], None), made(7), Some(at)),
            // ...or one below the first of them: none of them is older.
            (unjudged(&["7-9"], None), made(5), Some(at)),
            (unjudged(&["1-5"], None), made(1), Some(at)),
            // A version above the first: the first may be older than the event.
            (unjudged(&["7"], None), made(8), None),
            (unjudged(&["3", "7"], None), made(7), None),
            // No version made by the trigger (a switch, a sweep): unknown.
            (unjudged(&["7"], None), None, None),
            // A version below read already says the start: kept.
            (unjudged(&["7"], Some("t1")), made(7), Some("t1")),
            // Hostile lists: nothing to start.
            (unjudged(&[], None), made(7), None),
            (unjudged(&["x-7"], None), made(7), None),
            (unjudged(&["-7"], None), made(7), None),
        ];
        for (history, made, want) in cases {
            let out = opened_at_making(history.clone(), made.as_ref());
            assert_eq!(
                out.unjudged.and_then(|u| u.from).as_deref(),
                *want,
                "{history:?} made {made:?}"
            );
        }
        // Nothing not judged: nothing changes.
        let none = opened_at_making(History::default(), made(7).as_ref());
        assert_eq!(none, History::default());
    }
}
