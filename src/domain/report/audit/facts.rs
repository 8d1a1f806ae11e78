//! The report's head, totals and a window's sessions as text: the same
//! words in every format (pure).

use super::AuditReport;

/// `name value` pairs of the report's head, in every format's order.
pub fn meta(r: &AuditReport) -> Vec<(&'static str, String)> {
    vec![
        ("guard_version", r.guard_version.clone()),
        ("generated_at", r.generated_at.clone()),
        ("since", r.since.clone()),
        ("until", r.until.clone()),
        (
            "oldest_row",
            r.data.oldest_row.clone().unwrap_or_else(|| "none".into()),
        ),
        ("retention_days", r.data.retention_days.to_string()),
        ("retention_from", r.data.retention_from.to_string()),
        ("period_before_data", r.data.period_before_data.to_string()),
    ]
}

/// `name value` pairs of the totals, in every format's order.
pub fn totals(r: &AuditReport) -> Vec<(&'static str, String)> {
    let t = &r.totals;
    vec![
        ("account_regions", t.account_regions.to_string()),
        ("governed_now", t.governed_now.to_string()),
        ("verified_in_period", t.verified_in_period.to_string()),
        ("windows", t.windows.to_string()),
        ("windows_with_sessions", t.windows_with_sessions.to_string()),
        ("sessions", t.sessions.to_string()),
        ("put_backs", t.put_backs.to_string()),
        ("configured", t.configured.to_string()),
        ("not_governed_periods", t.not_governed_periods.to_string()),
        (
            "not_verifiable_periods",
            t.not_verifiable_periods.to_string(),
        ),
        ("editors", t.editors.join(" ")),
    ]
}

/// A window's sessions in one cell: each `owner target started`, then how
/// many more, or why none could be read.
pub fn sessions_text(w: &super::Window) -> String {
    let mut parts: Vec<String> = w
        .sessions
        .iter()
        .map(|s| format!("{} {} {} {}", s.session_id, s.owner, s.target, s.started))
        .collect();
    if w.sessions_more > 0 {
        parts.push(format!("and {} more", w.sessions_more));
    }
    if let Some(code) = &w.sessions_unread {
        parts.push(format!("not read: {code}"));
    }
    parts.join("; ")
}
