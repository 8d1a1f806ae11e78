//! The Session Manager sessions started while Run As was out of policy
//! (pure): a window says when Run As was wrong in an account-region; the
//! sessions started then ran as that wrong user (a session keeps the Run
//! As it started with). What to ask `DescribeSessions` for ([`Spans::ask`]:
//! one page of each `State`, filtered to the windows' whole seconds), and
//! which of the answers to list ([`select`]: started inside a window,
//! oldest first, at most [`MAX_LISTED`], the rest counted).

use serde::Serialize;

use crate::domain::clock;

/// Sessions listed at most per alert; the rest are counted.
pub const MAX_LISTED: usize = 50;

/// `MaxResults` of each `DescribeSessions` call (the API's maximum): one
/// page per `State` (`Active`, `History`) and window, never more.
pub const PAGE: i32 = 200;

/// One session as an alert lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    pub session_id: String,
    /// Who started it (the ARN Session Manager records).
    pub owner: String,
    /// The managed node it connected to.
    pub target: String,
    pub started: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    pub status: String,
    /// The session document it ran (`SSM-SessionManagerRunShell` for a shell).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
}

/// What the two pages answered: their sessions, and whether AWS held more
/// than a page (a `NextToken` not followed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Read {
    pub sessions: Vec<Session>,
    pub truncated: bool,
}

/// The sessions an alert lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listing {
    pub listed: Vec<Session>,
    /// Started in a window, read, and not listed (beyond [`MAX_LISTED`]).
    pub more: usize,
    /// AWS held more sessions of these windows than one page of each
    /// state: `more` is then a lower bound.
    pub truncated: bool,
}

/// Windows in epoch milliseconds: from (inclusive) to until (inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spans(Vec<(i64, i64)>);

/// The filters of the `DescribeSessions` calls: `InvokedAfter` and
/// `InvokedBefore` as AWS documents them (`2024-08-29T00:00:00Z`, whole
/// seconds), around every window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub after: String,
    pub before: String,
}

impl Spans {
    /// The windows given as `(from, until)` times (`YYYY-MM-DDTHH:MM:SS[.fff]Z`);
    /// `None` when a time is not one (nothing is asked then).
    pub fn of(windows: &[(&str, &str)]) -> Option<Spans> {
        let spans = windows
            .iter()
            .map(|(f, u)| Some((clock::parse_iso(f)?, clock::parse_iso(u)?)))
            .collect::<Option<Vec<_>>>()?;
        (!spans.is_empty()).then_some(Spans(spans))
    }

    /// The first window's start and the last one's end, as an alert says
    /// where it looked.
    pub fn bounds(&self) -> (String, String) {
        let from = self.0.iter().map(|s| s.0).min().unwrap_or_default();
        let until = self.0.iter().map(|s| s.1).max().unwrap_or_default();
        (iso(from), iso(until))
    }

    /// The whole seconds around every window: `InvokedAfter` the first
    /// start's second, `InvokedBefore` (started before) the second after
    /// the last end.
    pub fn ask(&self) -> Ask {
        let from = self.0.iter().map(|s| s.0).min().unwrap_or_default();
        let until = self.0.iter().map(|s| s.1).max().unwrap_or_default();
        let second = |ms: i64| ms.div_euclid(1000) * 1000;
        Ask {
            after: whole_second(second(from)),
            before: whole_second(second(until) + 1000),
        }
    }

    fn holds(&self, ms: i64) -> bool {
        self.0
            .iter()
            .any(|(from, until)| *from <= ms && ms <= *until)
    }
}

fn iso(ms: i64) -> String {
    clock::iso(clock::from_millis(ms))
}

/// `2024-08-29T00:00:00Z`: the form AWS documents for the time filters.
fn whole_second(ms: i64) -> String {
    let t = iso(ms);
    format!("{}Z", &t[..19])
}

/// The sessions of `read` started inside a window (the filters are whole
/// seconds; the windows are not), each once (a session that ended between
/// the two calls is in both), oldest first, at most [`MAX_LISTED`].
pub fn select(spans: &Spans, read: Read) -> Listing {
    let mut seen = std::collections::HashSet::new();
    let mut inside: Vec<(i64, Session)> = read
        .sessions
        .into_iter()
        .filter_map(|s| Some((clock::parse_iso(&s.started)?, s)))
        .filter(|(ms, _)| spans.holds(*ms))
        .filter(|(_, s)| seen.insert(s.session_id.clone()))
        .collect();
    inside.sort_by(|a, b| (a.0, &a.1.session_id).cmp(&(b.0, &b.1.session_id)));
    let more = inside.len().saturating_sub(MAX_LISTED);
    Listing {
        listed: inside
            .into_iter()
            .take(MAX_LISTED)
            .map(|(_, s)| s)
            .collect(),
        more,
        truncated: read.truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str, started: &str) -> Session {
        Session {
            session_id: id.into(),
            owner: "arn:aws:sts::111122223333:assumed-role/Admin/mallory".into(),
            target: "i-0123456789abcdef0".into(),
            started: started.into(),
            ended: None,
            status: "Connected".into(),
            document: Some("SSM-SessionManagerRunShell".into()),
        }
    }

    fn at(minute: u32, ms: u32) -> String {
        format!("2026-11-25T10:{minute:02}:00.{ms:03}Z")
    }

    #[test]
    fn the_ask_covers_every_window_in_whole_seconds() {
        let spans = Spans::of(&[
            ("2026-11-25T10:05:00.500Z", "2026-11-25T10:06:00.250Z"),
            ("2026-11-25T10:01:30.999Z", "2026-11-25T10:02:00.000Z"),
        ])
        .unwrap();
        assert_eq!(
            spans.ask(),
            Ask {
                after: "2026-11-25T10:01:30Z".into(),
                before: "2026-11-25T10:06:01Z".into(),
            }
        );
        assert_eq!(
            spans.bounds(),
            (
                "2026-11-25T10:01:30.999Z".to_string(),
                "2026-11-25T10:06:00.250Z".to_string()
            )
        );
        assert_eq!(Spans::of(&[("2026-11-25T10:05:00Z", "now")]), None);
        assert_eq!(Spans::of(&[]), None);
    }

    #[test]
    fn only_sessions_started_inside_a_window_are_listed_oldest_first_once() {
        let spans = Spans::of(&[(&at(5, 500), &at(10, 0)), (&at(20, 0), &at(21, 0))]).unwrap();
        let read = Read {
            sessions: vec![
                session("in-late", &at(20, 0)),
                session("before", &at(5, 499)),
                session("in-first", &at(5, 500)),
                session("between", &at(15, 0)),
                session("after", &at(21, 1)),
                session("in-end", &at(10, 0)),
                // Ended between the Active and the History call: in both.
                session("in-first", &at(5, 500)),
                session("unreadable", "yesterday"),
            ],
            truncated: false,
        };
        let l = select(&spans, read);
        let ids: Vec<&str> = l.listed.iter().map(|s| s.session_id.as_str()).collect();
        assert_eq!(ids, ["in-first", "in-end", "in-late"]);
        assert_eq!((l.more, l.truncated), (0, false));
    }

    #[test]
    fn beyond_the_bound_the_rest_is_counted_and_a_truncated_read_said() {
        let spans = Spans::of(&[(&at(0, 0), &at(59, 0))]).unwrap();
        let sessions = (0..MAX_LISTED + 7)
            .map(|i| session(&format!("s{i:03}"), &at((i % 59) as u32, i as u32)))
            .collect();
        let l = select(
            &spans,
            Read {
                sessions,
                truncated: true,
            },
        );
        assert_eq!(l.listed.len(), MAX_LISTED);
        assert_eq!((l.more, l.truncated), (7, true));
        let started: Vec<i64> = l
            .listed
            .iter()
            .map(|s| clock::parse_iso(&s.started).unwrap())
            .collect();
        assert!(started.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    }
}
