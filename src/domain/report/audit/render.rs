//! The auditor's report as CSV, JSON and HTML (pure), all three from the
//! same [`AuditReport`]: the same facts, whichever an auditor asks for.
//! Editor names, session owners and error texts come from documents and
//! events anyone in a member account can shape: CSV cells a spreadsheet
//! would run are made inert (`report::csv`), HTML is escaped (`html`).

use super::{AuditReport, Place};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    Csv,
    Json,
    Html,
}

pub fn render(report: &AuditReport, format: AuditFormat) -> String {
    match format {
        AuditFormat::Json => {
            serde_json::to_string_pretty(report).expect("plain data serialises") + "\n"
        }
        AuditFormat::Csv => csv(report),
        AuditFormat::Html => super::html::html(report),
    }
}

/// The columns of every CSV line; `record` says what the line is (`meta`,
/// `total`, `place`, `window`, `put_back`, `gap`).
pub const CSV_HEADER: [&str; 14] = [
    "record",
    "account",
    "region",
    "document",
    "status",
    "desired",
    "observed",
    "last_verified",
    "from",
    "until",
    "what",
    "editor",
    "sessions",
    "detail",
];

type Line = [String; 14];

fn line(record: &str, p: Option<&Place>, cells: [&str; 10]) -> Line {
    let (account, region, document) = p.map_or(("", "", ""), |p| {
        (p.account.as_str(), p.region.as_str(), p.document.as_str())
    });
    let mut out: Line = Default::default();
    out[0] = record.into();
    out[1] = account.into();
    out[2] = region.into();
    out[3] = document.into();
    for (i, c) in cells.iter().enumerate() {
        out[4 + i] = c.to_string();
    }
    out
}

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

fn csv(r: &AuditReport) -> String {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut lines: Vec<Line> = Vec::new();
    for (k, v) in meta(r) {
        lines.push(line("meta", None, ["", "", "", "", "", "", k, "", "", &v]));
    }
    for (k, v) in totals(r) {
        lines.push(line("total", None, ["", "", "", "", "", "", k, "", "", &v]));
    }
    for p in &r.places {
        let verified = o(&p.last_verified);
        lines.push(line(
            "place",
            Some(p),
            [
                &p.status,
                &p.desired,
                &p.observed,
                &verified,
                "",
                "",
                "",
                "",
                "",
                "",
            ],
        ));
        for w in &p.windows {
            let what = format!("{} versions {}", w.run_as, w.versions.join(" "));
            let count = (w.sessions.len() as u64 + w.sessions_more).to_string();
            lines.push(line(
                "window",
                Some(p),
                [
                    &w.kind,
                    "",
                    "",
                    "",
                    &o(&w.from),
                    &o(&w.until),
                    what.trim_end(),
                    &o(&w.editor),
                    &count,
                    &sessions_text(w),
                ],
            ));
        }
        for b in &p.put_backs {
            let what = format!("{} -> {}", b.before, b.after);
            let detail = format!("{} version {}", b.trigger_kind, o(&b.version_after));
            lines.push(line(
                "put_back",
                Some(p),
                [
                    &b.status,
                    "",
                    "",
                    "",
                    &b.at,
                    "",
                    &what,
                    &o(&b.editor),
                    "",
                    &detail,
                ],
            ));
        }
        for g in &p.gaps {
            let what = match g.governed {
                true => "not verifiable",
                false => "not governed",
            };
            lines.push(line(
                "gap",
                Some(p),
                [
                    &g.why,
                    "",
                    "",
                    "",
                    &g.from,
                    &o(&g.until),
                    what,
                    "",
                    "",
                    &o(&g.detail),
                ],
            ));
        }
    }
    crate::domain::report::csv(&CSV_HEADER, &lines)
}
