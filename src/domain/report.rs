//! Sweep reports and status listings as table, JSON or CSV. Pure.

pub mod audit;
mod cell;
pub mod order;
mod status;

pub use status::{place_of, render_departures, render_status, shown_status, Names, STATUSES};

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::outcome::{AccountReport, Action};
use crate::domain::trigger::DOCUMENT_NAME;

/// `eu-west-1`, or `eu-west-1 SSMRunAs-Admin` for a `[[document]]`.
pub fn place(region: &str, document: Option<&str>) -> String {
    match document {
        Some(d) if d != DOCUMENT_NAME => format!("{region} {d}"),
        _ => region.to_string(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub account: String,
    pub name: String,
    pub ou_path: String,
    pub region: String,
    /// A `[[document]]` name; absent for `SSM-SessionManagerRunShell`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    pub desired_user: String,
    pub run_as_before: String,
    pub action: &'static str,
    /// The document's mode as the policy's rules give it (`-`: none governs it).
    pub mode: &'static str,
    /// `enforce-when-ready` held back by the check's verdict: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
    /// The member role runas-guard's session used (`-`: none was assumed).
    pub role: String,
    pub error: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub dry_run: bool,
    pub accounts: usize,
    pub rows: Vec<Row>,
    /// Count of rows per action, every action listed.
    pub totals: BTreeMap<&'static str, usize>,
    /// Failed rows.
    pub failed: usize,
    /// The account-regions those rows are in, each once (unreleased).
    pub failed_account_regions: usize,
    pub alerts: AlertCounts,
}

/// What became of the alerts a run decided.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AlertCounts {
    pub sent: usize,
    /// Not published; kept for the next sweep.
    pub kept: usize,
    /// Neither published nor kept (the log has them).
    pub lost: usize,
}

impl Report {
    pub fn new(reports: &[AccountReport], dry_run: bool) -> Report {
        let mut totals: BTreeMap<&'static str, usize> =
            Action::ALL.iter().map(|a| (a.as_str(), 0)).collect();
        let mut rows = Vec::new();
        for a in reports {
            for r in &a.regions {
                *totals.entry(r.action.as_str()).or_default() += 1;
                rows.push(Row {
                    account: a.account.clone(),
                    name: a.name.clone().unwrap_or_default(),
                    ou_path: a.ou_path.clone().unwrap_or_default(),
                    region: r.region.clone(),
                    document: r.document.clone(),
                    desired_user: r
                        .desired_user
                        .clone()
                        .or(a.desired_user.clone())
                        .unwrap_or_else(|| "-".into()),
                    run_as_before: match (&r.before, r.action) {
                        (Some(b), _) => b.short(),
                        (None, _) if r.nodes.is_some() => "no association".into(),
                        (None, Action::Created | Action::WouldChange | Action::None) => {
                            "no document".into()
                        }
                        (None, _) => "-".into(),
                    },
                    action: r.action.as_str(),
                    mode: r
                        .mode
                        .or(a.mode)
                        .map_or("-", crate::domain::policy::Mode::as_str),
                    held: r.held.clone(),
                    role: a.role.clone().unwrap_or_else(|| "-".into()),
                    error: crate::domain::aws_error::one_line(
                        r.error.as_deref().unwrap_or_default(),
                    ),
                });
            }
        }
        order::sort_by_place(&mut rows, |r: &Row| {
            (&r.account, &r.region, r.document.as_deref())
        });
        let failed = totals.get("failed").copied().unwrap_or(0);
        let failed_account_regions = super::outcome::failed_account_regions(
            rows.iter()
                .filter(|r| r.action == "failed")
                .map(|r| (r.account.as_str(), r.region.as_str())),
        );
        Report {
            dry_run,
            accounts: reports.len(),
            rows,
            totals,
            failed,
            failed_account_regions,
            alerts: AlertCounts::default(),
        }
    }

    pub fn with_alerts(self, sent: usize, kept: usize, lost: usize) -> Report {
        Report {
            alerts: AlertCounts { sent, kept, lost },
            ..self
        }
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => serde_json::to_string_pretty(self).expect("report serialises"),
            Format::Csv => self.render_csv(),
            Format::Table => self.render_table(),
        }
    }

    fn render_csv(&self) -> String {
        let mut out = String::from(
            "account,name,ou_path,region,desired_user,run_as_before,action,role,error,document,mode,held\n",
        );
        for r in &self.rows {
            let fields = [
                &r.account,
                &r.name,
                &r.ou_path,
                &r.region,
                &r.desired_user,
                &r.run_as_before,
                r.action,
                &r.role,
                &r.error,
                r.document.as_deref().unwrap_or(DOCUMENT_NAME),
                r.mode,
                r.held.as_deref().unwrap_or_default(),
            ];
            out.push_str(
                &fields
                    .iter()
                    .map(|f| csv_field(f))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            out.push('\n');
        }
        out
    }

    fn render_table(&self) -> String {
        let header = [
            "ACCOUNT",
            "NAME",
            "OU PATH",
            "REGION",
            "USER",
            "RUNAS BEFORE",
            "MODE",
            "ACTION",
            "ROLE",
            "ERROR",
        ];
        let rows: Vec<[String; 10]> = self
            .rows
            .iter()
            .map(|r| {
                [
                    r.account.clone(),
                    cell::fit(&r.name, cell::NAME_WIDTH),
                    cell::fit_path(&r.ou_path, cell::PATH_WIDTH),
                    place(&r.region, r.document.as_deref()),
                    r.desired_user.clone(),
                    r.run_as_before.clone(),
                    r.mode.to_string(),
                    r.action.to_string(),
                    r.role.clone(),
                    match &r.held {
                        Some(h) if r.error.is_empty() => h.clone(),
                        _ => r.error.clone(),
                    },
                ]
            })
            .collect();
        let mut out = table(&header, &rows);
        out.push_str(&self.summary_line());
        out.push_str(&self.alerts_line());
        out
    }

    fn summary_line(&self) -> String {
        let totals: Vec<String> = self
            .totals
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        // Account-regions each once, as `status` and the sweep summary
        // count them; the rows the totals count said too when more.
        let places: std::collections::BTreeSet<(&str, &str)> = (self.rows.iter())
            .map(|r| (r.account.as_str(), r.region.as_str()))
            .collect();
        let rows = match places.len() == self.rows.len() {
            true => String::new(),
            false => format!(", {}", crate::domain::words::count(self.rows.len(), "row")),
        };
        format!(
            "\n{}{}, {}{rows}: {}\n",
            if self.dry_run {
                "DRY RUN (nothing written): "
            } else {
                ""
            },
            crate::domain::words::count(self.accounts, "account"),
            crate::domain::words::count(places.len(), "account-region"),
            if totals.is_empty() {
                "nothing to do".into()
            } else {
                totals.join(", ")
            }
        )
    }

    /// Empty when every alert went out; undelivered ones must not pass unnoticed.
    fn alerts_line(&self) -> String {
        let a = &self.alerts;
        if a.kept + a.lost == 0 {
            return String::new();
        }
        format!(
            "alerts: {} sent, {} NOT DELIVERED ({} kept for the next sweep, {} only in the log)\n",
            a.sent,
            a.kept + a.lost,
            a.kept,
            a.lost
        )
    }
}

fn csv_field(f: &str) -> String {
    let f = inert_cell(f);
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.into_owned()
    }
}

/// A CSV cell a spreadsheet would run as a formula gets a leading `'`
/// (OWASP, "CSV Injection"): one that starts with `=`, `+`, `-`, `@`, a tab
/// or a carriage return. Account and OU names, users and actors come from
/// people who may choose `=HYPERLINK(…)`. Two kinds stay as they are, as no
/// spreadsheet runs them: a plain number (`-3`, `+1.5`: the sign is
/// arithmetic, and a quote would make the number text) and a lone `-` (an
/// empty field).
pub fn inert_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if !risky || cell == "-" || plain_number(cell) {
        std::borrow::Cow::Borrowed(cell)
    } else {
        std::borrow::Cow::Owned(format!("'{cell}"))
    }
}

/// `-3`, `+1.5`, `42`: a sign, digits, and at most one `.` between digits.
fn plain_number(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    match unsigned.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(unsigned),
    }
}

/// Left-aligned columns, two spaces apart; cells are kept to one line of
/// plain text.
pub fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let clean = cell::clean;
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(clean(cell).chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{:w$}", c, w = widths[i]))
            .collect::<Vec<_>>()
            .join("  ");
        s.truncate(s.trim_end().len());
        s.push('\n');
        s
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        out.push_str(&line(row.iter().map(|c| clean(c)).collect()));
    }
    out
}

/// `2026-11-21T23:01:02.345Z` -> `2026-11-21 23:01:02Z` (a table cell).
pub fn short_time(iso: &str) -> String {
    match (iso.get(..10), iso.get(11..19)) {
        (Some(day), Some(time)) if iso.len() >= 20 && iso.as_bytes()[10] == b'T' => {
            format!("{day} {time}Z")
        }
        _ => iso.to_string(),
    }
}

/// A header line and one line per row, every field quoted as CSV needs.
pub fn csv<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut out = header.join(",") + "\n";
    for r in rows {
        out.push_str(&r.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::outcome::RegionOutcome;

    #[test]
    fn cells_a_spreadsheet_would_run_are_made_inert() {
        // (cell, what the CSV field is)
        let cases = [
            // OWASP's list: = + - @ tab carriage return, first.
            (
                "=HYPERLINK(\"https://evil.example/\",\"Re-auth\")",
                "\"'=HYPERLINK(\"\"https://evil.example/\"\",\"\"Re-auth\"\")\"",
            ),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(1+1)*cmd|'/C calc'!A0", "'@SUM(1+1)*cmd|'/C calc'!A0"),
            ("\t=1+1", "'\t=1+1"),
            ("\r=1+1", "\"'\r=1+1\""),
            ("=1\n+1", "\"'=1\n+1\""),
            ("-", "-"),
            ("--", "'--"),
            ("-x", "'-x"),
            ("+", "'+"),
            ("=", "'="),
            // Plain numbers are read as numbers: no quote.
            ("-3", "-3"),
            ("+1.5", "+1.5"),
            ("42", "42"),
            ("-1.", "'-1."),
            ("-.5", "'-.5"),
            ("-1e5", "'-1e5"),
            ("-1,2", "\"'-1,2\""),
            // Not first: nothing to do beyond CSV quoting.
            ("a=1", "a=1"),
            (" =1+1", " =1+1"),
            ("Root/=Prod", "Root/=Prod"),
            ("prod, \"main\"", "\"prod, \"\"main\"\"\""),
            ("", ""),
            ("ssm-ops", "ssm-ops"),
            (
                "arn:aws:iam::111122223333:role/Admin",
                "arn:aws:iam::111122223333:role/Admin",
            ),
        ];
        for (cell, field) in cases {
            assert_eq!(csv_field(cell), field, "{cell:?}");
        }
        let out = csv(&["a", "b"], &[["=1+1".to_string(), "-7".to_string()]]);
        assert_eq!(out, "a,b\n'=1+1,-7\n");
    }

    fn report() -> Vec<AccountReport> {
        vec![AccountReport {
            account: "111122223333".into(),
            name: Some("prod, \"main\"".into()),
            ou_path: Some("Root/Workloads".into()),
            desired_user: Some("ops".into()),
            rule: None,
            role: None,
            packed_policy_size: None,
            mode: None,
            left_governance: None,
            regions: vec![
                RegionOutcome::skipped("us-east-1", Action::None, None),
                RegionOutcome::failed("eu-west-1", "AccessDenied", "denied\nby SCP".into()),
            ],
            alerts_lost: 0,
            security_hub: None,
        }]
    }

    #[test]
    fn totals_and_formats() {
        let r = Report::new(&report(), false);
        assert_eq!(r.totals["none"], 1);
        assert_eq!(r.totals["failed"], 1);
        assert_eq!(r.totals["created"], 0);
        assert_eq!(r.failed, 1);
        let csv = r.render(Format::Csv);
        assert!(csv.contains("\"prod, \"\"main\"\"\""), "{csv}");
        assert_eq!(
            csv.lines().count(),
            3,
            "newline inside a field is quoted: {csv}"
        );
        let table = r.render(Format::Table);
        assert!(
            table.contains("none 1, failed 1") || table.contains("failed 1, none 1"),
            "{table}"
        );
        let json: serde_json::Value = serde_json::from_str(&r.render(Format::Json)).unwrap();
        // Rows in the one order (region by name), not the regions' order.
        assert_eq!(json["rows"][0]["region"], "eu-west-1");
        assert_eq!(json["rows"][0]["action"], "failed");
        assert_eq!(json["rows"][0]["role"], "-");
        assert!(table.lines().next().unwrap().contains("ROLE"), "{table}");
    }
}
