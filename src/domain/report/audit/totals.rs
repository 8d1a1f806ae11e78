//! The report's totals and where its data begins (pure).

use std::collections::BTreeSet;

use super::{ms, DataBegins, Period, Place, Record, Totals};

pub(super) fn data_begins(records: &[Record], period: Period, setting: Option<u64>) -> DataBegins {
    let oldest_row = records.iter().map(|r| r.entry.at.clone()).min();
    let newest = records
        .iter()
        .filter_map(|r| Some((ms(&r.entry.at)?, r.expires?)))
        .max_by_key(|(at, _)| *at);
    let (retention_days, retention_from) = match (newest, setting) {
        (Some((at, expires)), _) => (
            ((expires * 1000 - at) as f64 / 86_400_000.0)
                .round()
                .max(0.0) as u64,
            "rows",
        ),
        (None, Some(days)) => (days, "setting"),
        (None, None) => (
            crate::domain::config::DEFAULT_HISTORY_RETENTION_DAYS,
            "default",
        ),
    };
    let period_before_data = oldest_row
        .as_deref()
        .and_then(ms)
        .is_none_or(|oldest| period.since < oldest);
    DataBegins {
        oldest_row,
        retention_days,
        retention_from,
        period_before_data,
    }
}

/// The statuses of an account-region runas-guard governs and could verify.
pub const GOVERNED: [&str; 4] = ["compliant", "remediated", "reverted", "noncompliant"];

pub(super) fn totals(places: &[Place], period: Period) -> Totals {
    let mut t = Totals {
        account_regions: places.len(),
        ..Totals::default()
    };
    let mut editors = BTreeSet::new();
    for p in places {
        // An account that left governance keeps its items as they were.
        let left = p.gaps.iter().any(|g| !g.governed && g.until.is_none());
        t.governed_now += usize::from(GOVERNED.contains(&p.status.as_str()) && !left);
        let verified = p.last_verified.as_deref().and_then(ms);
        t.verified_in_period +=
            usize::from(verified.is_some_and(|v| period.meets(Some(v), Some(v))));
        t.windows += p.windows.len();
        for w in &p.windows {
            t.windows_with_sessions += usize::from(!w.sessions.is_empty() || w.sessions_more > 0);
            t.sessions += w.sessions.len() as u64 + w.sessions_more;
            editors.extend(w.editor.clone());
        }
        for b in &p.put_backs {
            match b.status.as_str() {
                "reverted" => t.put_backs += 1,
                _ => t.configured += 1,
            }
            editors.extend(b.editor.clone());
        }
        for g in &p.gaps {
            match g.governed {
                false => t.not_governed_periods += 1,
                true => t.not_verifiable_periods += 1,
            }
        }
    }
    t.editors = editors.into_iter().collect();
    t
}
