//! The periods an account-region was not governed (its account left
//! governance: exempt, out of scope; an `excluded` item) or governed and
//! not verifiable (`pending`, `failed`), for the auditor's report (pure).
//! A period opens where a told row (an account's departure, a failure to
//! fix) or the item's status says, and closes at the next record that shows
//! the place governed again; one still open when the report was made has no
//! end.

use super::totals::GOVERNED;
use super::{ms, Gap, Period, Record};
use crate::domain::governance::{Departure, Reason};
use crate::domain::rows::StateRow;

/// `why` of a departure's reason, and whether it still counts as governed.
fn departure_why(reason: &str) -> &'static str {
    match reason {
        "out_of_scope" => "out_of_scope",
        _ => "excluded",
    }
}

fn reason_str(r: Reason) -> &'static str {
    match r {
        Reason::ExemptAccount => "exempt_account",
        Reason::ExemptOu => "exempt_ou",
        Reason::OutOfScope => "out_of_scope",
    }
}

fn told_kind(r: &Record) -> Option<&str> {
    r.told.as_ref().map(|t| t.kind.as_str())
}

/// A row that opens a period rather than shows the place governed.
fn opens(r: &Record) -> bool {
    matches!(
        told_kind(r),
        Some("account_left_governance" | "remediation_failed")
    )
}

/// When the place was next seen governed after `from`: its next record
/// that does not open a period, else its item's last change or check
/// where it is governed now; `None`: not seen governed since.
fn resumed(mine: &[&Record], from: &str, state: Option<&StateRow>) -> Option<String> {
    let next = mine
        .iter()
        .filter(|r| !opens(r) && r.entry.at.as_str() > from)
        .map(|r| r.entry.at.clone())
        .min();
    let item = state.filter(|s| GOVERNED.contains(&s.status.as_str()));
    next.or_else(|| {
        let later = |t: &Option<String>| t.clone().filter(|t| t.as_str() > from);
        item.and_then(|s| later(&s.last_changed).or_else(|| later(&s.last_checked)))
    })
}

/// The place's periods not governed or not verifiable that meet `period`.
pub(super) fn gaps(
    (id, mine, account): (&str, &[&Record], &[&Record]),
    state: Option<&StateRow>,
    departures: &[Departure],
    period: Period,
) -> Vec<Gap> {
    let mut out: Vec<Gap> = Vec::new();
    let departed_now = departures.iter().find(|d| d.account == id);
    let told_left: Vec<&&Record> = account
        .iter()
        .filter(|r| told_kind(r) == Some("account_left_governance"))
        .collect();
    for (i, r) in told_left.iter().enumerate() {
        let told = r.told.as_ref().expect("filtered on told");
        let reason = told.reason.clone().unwrap_or_default();
        // The departure on record is the latest one told (its record and
        // its alert are written a moment apart).
        let still = departed_now.is_some() && i + 1 == told_left.len();
        out.push(Gap {
            from: r.entry.at.clone(),
            until: (!still)
                .then(|| resumed(mine, &r.entry.at, state))
                .flatten(),
            why: departure_why(&reason).into(),
            governed: false,
            detail: told.detail.clone().or(Some(reason)),
        });
    }
    if let Some(d) =
        // One no told row says (recorded before told rows were).
        departed_now.filter(|_| !out.iter().any(|g| g.until.is_none()))
    {
        let reason = reason_str(d.reason);
        out.push(Gap {
            from: d.at.clone(),
            until: None,
            why: departure_why(reason).into(),
            governed: false,
            detail: Some(d.reason.describe().into()),
        });
    }
    failures(mine, state, &mut out);
    now_status(state, &mut out);
    out.retain(|g| period.meets(ms(&g.from), g.until.as_deref().and_then(ms)));
    out.sort_by(|a, b| a.from.cmp(&b.from));
    out
}

/// Each failure told for the place, until it was next seen governed.
fn failures(mine: &[&Record], state: Option<&StateRow>, out: &mut Vec<Gap>) {
    let failed: Vec<&&Record> = mine
        .iter()
        .filter(|r| told_kind(r) == Some("remediation_failed"))
        .collect();
    for (i, r) in failed.iter().enumerate() {
        // A failure told again before the place recovered is the same period.
        let until = resumed(mine, &r.entry.at, state);
        let continues = failed[..i]
            .iter()
            .any(|earlier| resumed(mine, &earlier.entry.at, state).is_none_or(|u| u > r.entry.at));
        if continues {
            continue;
        }
        out.push(Gap {
            from: r.entry.at.clone(),
            until,
            why: "failed".into(),
            governed: true,
            detail: r.told.as_ref().and_then(|t| t.detail.clone()),
        });
    }
}

/// The item's status now, where it says the place is not verified and no
/// open period says so already: since its last change.
fn now_status(state: Option<&StateRow>, out: &mut Vec<Gap>) {
    let Some(s) = state else {
        return;
    };
    let why = s.status.as_str();
    if !matches!(why, "pending" | "failed" | "excluded") {
        return;
    }
    if out.iter().any(|g| g.until.is_none() && g.why == why) {
        return;
    }
    let Some(from) = s
        .held_since
        .clone()
        .filter(|_| why == "pending")
        .or_else(|| s.last_changed.clone())
        .or_else(|| s.last_checked.clone())
    else {
        return;
    };
    let detail = match (&s.last_error_code, &s.last_error) {
        (Some(code), Some(e)) => Some(format!("{code}: {e}")),
        (code, e) => code.clone().or(e.clone()).or(s.held.clone()),
    };
    out.push(Gap {
        from,
        until: None,
        why: why.into(),
        governed: why != "excluded",
        detail,
    });
}
