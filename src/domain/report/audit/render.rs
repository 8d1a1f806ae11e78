//! The auditor's report as CSV, JSON and HTML (pure), all three from the
//! same [`AuditReport`]: the same facts, whichever an auditor asks for.
//! Editor names, session owners and error texts come from documents and
//! events anyone in a member account can shape: CSV cells a spreadsheet
//! would run are made inert (`report::csv`), HTML is escaped (`html`).

use super::facts::{meta, sessions_text, totals};
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

fn csv(r: &AuditReport) -> String {
    let mut lines: Vec<Line> = Vec::new();
    for (k, v) in meta(r) {
        lines.push(line("meta", None, ["", "", "", "", "", "", k, "", "", &v]));
    }
    for (k, v) in totals(r) {
        lines.push(line("total", None, ["", "", "", "", "", "", k, "", "", &v]));
    }
    for p in &r.places {
        place_lines(p, &mut lines);
    }
    crate::domain::report::csv(&CSV_HEADER, &lines)
}

/// A place's line, then one per window, change and period.
fn place_lines(p: &Place, lines: &mut Vec<Line>) {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    {
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
        change_lines(p, lines);
    }
}

/// A place's changes and periods, one line each.
fn change_lines(p: &Place, lines: &mut Vec<Line>) {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
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
