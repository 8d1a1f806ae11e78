//! The sessions of an event finding's window (pure): an `edit` or
//! `window` finding lists the Session Manager sessions started while the
//! out-of-policy value was the default, as the `drift_reverted` and
//! `run_as_window` alerts list them (the same windows, asked the same way:
//! `alert::sessions`), or names why they could not be read. A security
//! team triages from the finding alone; the alert is not where it looks.

use super::asff::{asff_string, MAX_DETAIL};
use super::{Check, Finding};
use crate::domain::alert::sessions::{Asked, Told};
use crate::domain::outcome::RegionOutcome;

/// Sessions a finding names one by one (`session_<n>`); the rest counted
/// in `sessions_count`. Each is its own `Details.Other` value (1,024
/// characters at most), so a long list never cuts a session in half.
pub const MAX_NAMED: usize = 20;

/// The windows whose sessions `f` lists, for the run that left `o`: a
/// window finding's versions, each from its making to its replacement (or
/// the latest it can have been the default); an edit's, from its event
/// (`edit_from`, when the run's trigger is the edit's event and says when)
/// or else from the making of the version found, to `now` (the put-back).
/// `None` for a finding of no window.
pub fn asked(f: &Finding, o: &RegionOutcome, edit_from: Option<&str>, now: &str) -> Option<Asked> {
    let (windows, made) = match f.check {
        Check::Window => {
            let windows = &o.history.as_ref()?.windows;
            let spans = windows
                .iter()
                .map(|w| {
                    let until = w.until_known.as_deref().or(w.until_at_most.as_deref());
                    (w.from.clone(), until.unwrap_or(now).to_string())
                })
                .collect();
            (spans, None)
        }
        Check::Edit => match edit_from {
            Some(from) => (vec![(Some(from.to_string()), now.to_string())], None),
            None => {
                let made = o.versions_before.as_ref().map(|v| v.default.clone());
                (vec![(None, now.to_string())], made)
            }
        },
        _ => return None,
    };
    Some(Asked {
        region: o.region.clone(),
        document: o.document_name().to_string(),
        windows,
        made,
    })
}

/// `f` with what the read of its window's sessions came to: how many were
/// started (`sessions_count`, "or more" where AWS held more than was
/// read), where it looked (`sessions_from`, `sessions_until`) and the
/// first [`MAX_NAMED`] (`session_<n>`: when, who, on which node, its id);
/// or the read's failure (`sessions_unread`: the AWS error code).
pub fn listed(mut f: Finding, told: &Told) -> Finding {
    let d = &mut f.details;
    match told {
        Told::Listed(spans, l) => {
            let (from, until) = spans.bounds();
            let count = l.listed.len() + l.more;
            let more = if l.truncated { " or more" } else { "" };
            d.insert("sessions_count".into(), format!("{count}{more}"));
            d.insert("sessions_from".into(), from);
            d.insert("sessions_until".into(), until);
            for (n, s) in l.listed.iter().take(MAX_NAMED).enumerate() {
                let line = format!(
                    "{} by {} on {} ({}, {})",
                    s.started, s.owner, s.target, s.status, s.session_id
                );
                d.insert(format!("session_{}", n + 1), asff_string(&line, MAX_DETAIL));
            }
        }
        Told::Unread(code) => {
            d.insert("sessions_unread".into(), asff_string(code, MAX_DETAIL));
        }
    }
    f
}
