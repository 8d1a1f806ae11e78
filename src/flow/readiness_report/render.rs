//! The readiness report as a table (rows, OU totals, the organization's
//! line), JSON (`rows`, `ous`, `organization`) or CSV (one line per
//! account-region). Pure.

use super::{Report, Row, Totals, NO_OU_PATH};
use crate::domain::report::{csv, table, Format};

/// Missing node ids a table cell shows before "+N more".
const SHOWN: usize = 3;

fn count(n: Option<u64>) -> String {
    n.map_or_else(|| "-".into(), |n| n.to_string())
}

/// `i-1, i-2, i-3 +17 more` (the count beyond what is shown, recorded or not).
fn nodes_cell(r: &Row) -> String {
    let total = r.missing.unwrap_or(0).max(r.missing_nodes.len() as u64);
    let shown: Vec<&str> = r
        .missing_nodes
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect();
    let more = total.saturating_sub(shown.len() as u64);
    match (shown.is_empty(), more) {
        (true, _) => "-".into(),
        (false, 0) => shown.join(", "),
        (false, m) => format!("{} +{m} more", shown.join(", ")),
    }
}

impl Report {
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => serde_json::to_string_pretty(self).expect("report serialises"),
            Format::Csv => self.render_csv(),
            Format::Table => self.render_table(),
        }
    }

    fn render_csv(&self) -> String {
        let header = [
            "account",
            "ou_path",
            "region",
            "mode",
            "user",
            "checked",
            "missing",
            "missing_nodes",
            "verdict",
            "verdict_text",
            "note",
            "held",
            "could_not_run",
            "could_not_run_reasons",
        ];
        let body: Vec<[String; 14]> = self
            .rows
            .iter()
            .map(|r| {
                let e = |v: &Option<String>| v.clone().unwrap_or_default();
                let n = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
                [
                    r.account.clone(),
                    e(&r.ou_path),
                    r.region.clone(),
                    e(&r.mode),
                    e(&r.user),
                    n(r.checked),
                    n(r.missing),
                    r.missing_nodes.join(" "),
                    r.verdict.into(),
                    r.verdict_text.clone(),
                    e(&r.note),
                    e(&r.held),
                    n(r.could_not_run),
                    e(&r.could_not_run_reasons),
                ]
            })
            .collect();
        csv(&header, &body)
    }

    fn render_table(&self) -> String {
        let mut out = if self.rows.is_empty() {
            "no governed account-region recorded\n".to_string()
        } else {
            self.rows_table()
        };
        if !self.ous.is_empty() {
            out.push_str("\nOU totals\n");
            out.push_str(&self.ous_table());
        }
        out.push_str(&format!(
            "\nOrganization: {}\n",
            organization_line(&self.organization)
        ));
        if self.left_out > 0 {
            out.push_str(&format!(
                "{} state item(s) without an account or region left out\n",
                self.left_out
            ));
        }
        out
    }

    fn rows_table(&self) -> String {
        let header = [
            "ACCOUNT",
            "OU PATH",
            "REGION",
            "MODE",
            "USER",
            "CHECKED",
            "MISSING",
            "NODES MISSING THE USER",
            "VERDICT",
            "NOTE",
        ];
        let o = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let body: Vec<[String; 10]> = self
            .rows
            .iter()
            .map(|r| {
                let notes: Vec<String> = r
                    .note
                    .iter()
                    .chain(&r.could_not_run_reasons)
                    .chain(&r.held)
                    .cloned()
                    .collect();
                [
                    r.account.clone(),
                    o(&r.ou_path),
                    r.region.clone(),
                    o(&r.mode),
                    o(&r.user),
                    count(r.checked),
                    count(r.missing),
                    nodes_cell(r),
                    r.verdict_text.clone(),
                    if notes.is_empty() {
                        "-".into()
                    } else {
                        notes.join("; ")
                    },
                ]
            })
            .collect();
        table(&header, &body)
    }

    fn ous_table(&self) -> String {
        let header = [
            "OU",
            "ACCOUNT-REGIONS",
            "READY",
            "WOULD REFUSE",
            "NO RESULT YET",
            "NO LINUX/MACOS",
            "NODES CHECKED",
            "NODES MISSING",
            "CHECK COULD NOT RUN",
        ];
        let body: Vec<[String; 9]> = self
            .ous
            .iter()
            .map(|o| {
                let t = &o.totals;
                [
                    o.ou.clone().unwrap_or_else(|| NO_OU_PATH.into()),
                    t.account_regions.to_string(),
                    t.ready.to_string(),
                    t.would_refuse.to_string(),
                    t.no_result_yet.to_string(),
                    t.no_linux_or_macos_nodes.to_string(),
                    t.nodes_checked.to_string(),
                    t.nodes_missing.to_string(),
                    format!(
                        "{} ({} nodes)",
                        t.check_could_not_run, t.nodes_could_not_run
                    ),
                ]
            })
            .collect();
        table(&header, &body)
    }
}

/// `12 account-regions: 8 ready, 2 would refuse sessions, ...; 480 nodes
/// checked, 5 lacking the user`, then where the check could not run.
pub fn organization_line(t: &Totals) -> String {
    let line = format!(
        "{} account-regions: {} ready, {} would refuse sessions, {} no result yet, {} no managed Linux or macOS nodes; {} nodes checked, {} lacking the user",
        t.account_regions,
        t.ready,
        t.would_refuse,
        t.no_result_yet,
        t.no_linux_or_macos_nodes,
        t.nodes_checked,
        t.nodes_missing
    );
    match t.nodes_could_not_run {
        0 => line,
        n => format!(
            "{line}; check could not run on {} ({} account-regions with no other verdict)",
            crate::domain::nodes::readiness::nodes(n),
            t.check_could_not_run
        ),
    }
}
