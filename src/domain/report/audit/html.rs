//! The auditor's report as one self-contained HTML file (pure): inline CSS
//! with print rules, no scripts, no external resources, every text escaped,
//! so it opens offline in any browser and prints as it reads.

use super::facts::{meta, sessions_text, totals};
use super::{AuditReport, Place};

/// `s` safe as HTML text and inside a quoted attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters have no place in a printed report.
            c if c.is_control() && c != '\n' && c != '\t' => {
                out.push_str("&#xFFFD;");
            }
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em;color:#111}\
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.5em;border-bottom:1px solid #999}\
h3{font-size:1em;margin:1em 0 .3em}\
table{border-collapse:collapse;margin:.3em 0 1em;font-size:.9em}\
th,td{border:1px solid #bbb;padding:.2em .5em;text-align:left;vertical-align:top}\
th{background:#eee}td.none{color:#666}\
.place{page-break-inside:avoid;break-inside:avoid}\
@media print{body{margin:1cm;font-size:10pt}h2{page-break-after:avoid;break-after:avoid}\
thead{display:table-header-group}tr{page-break-inside:avoid;break-inside:avoid}a{color:inherit}}";

fn cell(s: &str) -> String {
    match s.is_empty() {
        true => "<td class=\"none\">-</td>".into(),
        false => format!("<td>{}</td>", escape(s)),
    }
}

fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table><thead><tr>");
    for h in head {
        out.push_str(&format!("<th>{}</th>", escape(h)));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            out.push_str(&cell(c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
    out
}

fn pairs(p: Vec<(&'static str, String)>) -> Vec<Vec<String>> {
    p.into_iter().map(|(k, v)| vec![k.to_string(), v]).collect()
}

pub fn html(r: &AuditReport) -> String {
    let mut out = String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str(&format!(
        "<title>runas-guard report {} to {}</title><style>{STYLE}</style></head><body>\n",
        escape(&r.since),
        escape(&r.until)
    ));
    out.push_str(&format!(
        "<h1>runas-guard: Session Manager Run As, {} to {}</h1>\n",
        escape(&r.since),
        escape(&r.until)
    ));
    let begins = match (&r.data.oldest_row, r.data.period_before_data) {
        (Some(oldest), true) => format!("The history begins at {oldest}, after the period's start: what happened before it is not in the table (history is kept {} days).", r.data.retention_days),
        (Some(oldest), false) => format!("The history read begins at {oldest}; it covers the whole period (history is kept {} days).", r.data.retention_days),
        (None, _) => format!("No history row was found: the report shows the account-regions as they are now (history is kept {} days).", r.data.retention_days),
    };
    out.push_str(&format!("<p>{}</p>\n", escape(&begins)));
    out.push_str("<h2>Report</h2>\n");
    out.push_str(&table(&["fact", "value"], &pairs(meta(r))));
    out.push_str("<h2>Totals</h2>\n");
    out.push_str(&table(&["total", "value"], &pairs(totals(r))));
    out.push_str("<h2>Account-regions</h2>\n");
    let rows: Vec<Vec<String>> = r
        .places
        .iter()
        .map(|p| {
            vec![
                p.account.clone(),
                p.region.clone(),
                p.document.clone(),
                p.status.clone(),
                p.desired.clone(),
                p.observed.clone(),
                p.last_verified.clone().unwrap_or_default(),
                (p.windows.len() + p.put_backs.len() + p.gaps.len()).to_string(),
            ]
        })
        .collect();
    let head = [
        "account",
        "region",
        "document",
        "status",
        "desired",
        "observed",
        "last verified",
        "events",
    ];
    out.push_str(&table(&head, &rows));
    for p in r
        .places
        .iter()
        .filter(|p| !(p.windows.is_empty() && p.put_backs.is_empty() && p.gaps.is_empty()))
    {
        out.push_str(&place(p));
    }
    out.push_str("</body></html>\n");
    out
}

fn place(p: &Place) -> String {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut out = format!(
        "<section class=\"place\"><h2>{} {} {}</h2>\n",
        escape(&p.account),
        escape(&p.region),
        escape(&p.document)
    );
    out.push_str(&windows_table(p));
    if !p.put_backs.is_empty() {
        out.push_str("<h3>Put back and configured</h3>\n");
        let rows: Vec<Vec<String>> = p
            .put_backs
            .iter()
            .map(|b| {
                vec![
                    b.at.clone(),
                    b.status.clone(),
                    b.before.clone(),
                    b.after.clone(),
                    o(&b.editor),
                    b.trigger_kind.clone(),
                    o(&b.version_after),
                ]
            })
            .collect();
        let head = [
            "at", "status", "before", "after", "editor", "trigger", "version",
        ];
        out.push_str(&table(&head, &rows));
    }
    if !p.gaps.is_empty() {
        out.push_str("<h3>Not governed or not verifiable</h3>\n");
        let rows: Vec<Vec<String>> = p
            .gaps
            .iter()
            .map(|g| {
                let what = if g.governed {
                    "not verifiable"
                } else {
                    "not governed"
                };
                let until = g.until.clone().unwrap_or_else(|| "still".into());
                vec![
                    g.from.clone(),
                    until,
                    g.why.clone(),
                    what.into(),
                    o(&g.detail),
                ]
            })
            .collect();
        out.push_str(&table(&["from", "until", "why", "what", "detail"], &rows));
    }
    out.push_str("</section>\n");
    out
}

/// A place's windows, each with its sessions.
fn windows_table(p: &Place) -> String {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut out = String::new();
    if !p.windows.is_empty() {
        out.push_str("<h3>Windows</h3>\n");
        let rows: Vec<Vec<String>> = p
            .windows
            .iter()
            .map(|w| {
                vec![
                    w.kind.clone(),
                    o(&w.from),
                    o(&w.until),
                    w.run_as.clone(),
                    w.versions.join(" "),
                    o(&w.editor),
                    w.found_by.clone(),
                    sessions_text(w),
                ]
            })
            .collect();
        let head = [
            "kind", "from", "until", "Run As", "versions", "editor", "found by", "sessions",
        ];
        out.push_str(&table(&head, &rows));
    }
    out
}
