//! `status` as table, JSON or CSV (pure): one state item per row.

use super::{csv, place, short_time, table, Format};
use crate::store::status::StateRow;

/// `status`: a compact table (what the document said, what is wanted,
/// the last change and who made it); every field in JSON and CSV.
pub fn render_status(rows: &[StateRow], format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(rows).expect("rows serialise"),
        Format::Csv => status_csv(rows),
        Format::Table => status_table(rows),
    }
}

/// Every stored field; new ones are added at the end, so readers by
/// position keep working.
const CSV_HEADER: [&str; 22] = [
    "account",
    "region",
    "status",
    "run_as",
    "desired_user",
    "observed_user",
    "observed_run_as_enabled",
    "default_version",
    "last_action",
    "last_changed",
    "last_checked",
    "last_actor",
    "last_trigger_kind",
    "last_trigger_id",
    "last_error_code",
    "last_error",
    "changes",
    "document",
    "nodes",
    "mode",
    "held",
    "ou_path",
];

fn status_csv(rows: &[StateRow]) -> String {
    let body: Vec<[String; 22]> = rows.iter().map(csv_row).collect();
    csv(&CSV_HEADER, &body)
}

fn csv_row(r: &StateRow) -> [String; 22] {
    let e = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        r.account.clone(),
        r.region.clone(),
        r.status.clone(),
        r.observed_short(),
        e(&r.desired_user),
        e(&r.observed_user),
        r.observed_run_as_enabled
            .as_ref()
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default(),
        e(&r.default_version),
        e(&r.last_action),
        e(&r.last_changed),
        e(&r.last_checked),
        e(&r.last_actor),
        e(&r.last_trigger_kind),
        e(&r.last_trigger_id),
        e(&r.last_error_code),
        e(&r.last_error),
        r.changes.to_string(),
        r.document.clone(),
        r.nodes_short().unwrap_or_default(),
        e(&r.mode),
        e(&r.held),
        e(&r.ou_path),
    ]
}

fn status_table(rows: &[StateRow]) -> String {
    let o = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    if rows.is_empty() {
        return "no state recorded\n".into();
    }
    let header = [
        "ACCOUNT",
        "REGION",
        "STATUS",
        "MODE",
        "RUNAS",
        "WANT",
        "LAST CHANGE",
        "LAST ACTOR",
        "ERROR CODE",
    ];
    let body: Vec<[String; 9]> = rows
        .iter()
        .map(|r| {
            [
                r.account.clone(),
                place(&r.region, Some(&r.document)),
                r.status.clone(),
                o(&r.mode),
                match r.nodes_short() {
                    Some(n) => format!("{} ({n})", r.observed_short()),
                    None => r.observed_short(),
                },
                o(&r.desired_user),
                r.last_changed.as_deref().map_or("-".into(), short_time),
                r.last_actor
                    .as_deref()
                    .map_or("-".into(), crate::alert::short_actor),
                o(&r.last_error_code),
            ]
        })
        .collect();
    let mut out = table(&header, &body);
    out.push_str(&notes(rows));
    out
}

/// Under the table: a new account's rows waiting for its member stack
/// (since when, for what), and `enforce-when-ready` rows the check's
/// verdict keeps in audit (why).
fn notes(rows: &[StateRow]) -> String {
    let mut out = String::new();
    for r in rows.iter().filter(|r| r.status == "pending") {
        out.push_str(&format!(
            "pending {} {}: {}\n",
            r.account,
            place(&r.region, Some(&r.document)),
            r.last_error
                .as_deref()
                .unwrap_or("awaiting the member stack")
        ));
    }
    for r in rows {
        if let Some(held) = &r.held {
            out.push_str(&format!(
                "held {} {}: {held}\n",
                r.account,
                place(&r.region, Some(&r.document))
            ));
        }
    }
    out.push_str(&canary_notes(rows));
    out
}

/// `[forwarding_canary]`: one line for the whole table, then one per
/// account-region whose event path is broken or whose canary could not be
/// written.
fn canary_notes(rows: &[StateRow]) -> String {
    use crate::store::canary::CanaryState;
    let canaries: Vec<(&StateRow, &CanaryState)> = rows
        .iter()
        .filter_map(|r| r.canary.as_ref().map(|c| (r, c)))
        .collect();
    if canaries.is_empty() {
        return String::new();
    }
    // A broken path stays missing while its re-probe is in flight.
    let class = |c: &CanaryState| match (c.arrived_after_ms, &c.missing_since, &c.written_at) {
        (Some(_), _, _) => 0,
        (None, Some(_), _) => 2,
        (None, None, Some(_)) => 1,
        (None, None, None) => 3,
    };
    let mut counts = [0usize; 4];
    for (_, c) in &canaries {
        counts[class(c)] += 1;
    }
    let slowest = canaries
        .iter()
        .filter_map(|(_, c)| c.arrived_after_ms)
        .max()
        .map_or(String::new(), |ms| {
            format!(" (slowest {:.1}s)", ms as f64 / 1000.0)
        });
    let mut out = format!(
        "forwarding canary: {} arrived{slowest}, {} awaiting, {} MISSING, {} not written\n",
        counts[0], counts[1], counts[2], counts[3]
    );
    for (r, c) in &canaries {
        if let (2, Some(since)) = (class(c), &c.missing_since) {
            out.push_str(&format!(
                "forwarding MISSING {} {}: no canary has arrived since one written {since}; edits there reach runas-guard only through sweeps\n",
                r.account, r.region
            ));
        }
        if let Some(code) = &c.error_code {
            out.push_str(&format!(
                "forwarding canary not written {} {}: {code} (check the member role's runas-guard-forwarding-canary policy)\n",
                r.account, r.region
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trigger::DOCUMENT_NAME;

    #[test]
    fn status_table_is_compact_and_csv_complete() {
        let row = StateRow {
            account: "111122223333".into(),
            region: "eu-west-1".into(),
            document: DOCUMENT_NAME.into(),
            status: "reverted".into(),
            desired_user: Some("ops".into()),
            observed_user: Some("ops".into()),
            observed_run_as_enabled: Some(serde_json::Value::Bool(true)),
            default_version: Some("3".into()),
            last_action: Some("updated".into()),
            last_trigger_kind: Some("document_changed".into()),
            last_trigger_id: Some("a8fddbb7-47a3-4aca-b05f-fe4510966ed3".into()),
            last_actor: Some("arn:aws:iam::111122223333:role/Admin".into()),
            last_error_code: None,
            last_error: None,
            last_checked: Some("2026-11-22T05:41:34.186Z".into()),
            last_changed: Some("2026-11-22T05:41:33.471Z".into()),
            changes: 2,
            nodes: None,
            mode: None,
            held: None,
            ou_path: None,
            canary: None,
        };
        let t = render_status(std::slice::from_ref(&row), Format::Table);
        let line = t.lines().nth(1).unwrap();
        assert!(
            line.contains("on/ops")
                && line.contains("role/Admin")
                && line.contains("2026-11-22 05:41:33Z"),
            "{t}"
        );
        assert!(t.lines().all(|l| l.chars().count() < 100), "{t}");
        let csv = render_status(std::slice::from_ref(&row), Format::Csv);
        assert!(csv.contains(",true,"), "{csv}");
        assert!(csv.contains("a8fddbb7"), "{csv}");
        assert_eq!(
            short_time("2026-11-22T05:41:33.471Z"),
            "2026-11-22 05:41:33Z"
        );
        assert_eq!(short_time("garbage"), "garbage");
        // A `[[document]]` is named beside its region; CSV ends with the
        // document, what the check found, the mode, why held, the OU path.
        let named = StateRow {
            document: "SSMRunAs-Admin".into(),
            mode: Some("enforce-when-ready".into()),
            held: Some("held until ready: no result yet".into()),
            ou_path: Some("Root/Sandbox".into()),
            canary: None,
            ..row.clone()
        };
        let t = render_status(std::slice::from_ref(&named), Format::Table);
        assert!(t.contains("eu-west-1 SSMRunAs-Admin"), "{t}");
        let csv = render_status(std::slice::from_ref(&named), Format::Csv);
        assert!(
            csv.lines().nth(1).unwrap().ends_with(
                ",SSMRunAs-Admin,,enforce-when-ready,held until ready: no result yet,Root/Sandbox"
            ),
            "{csv}"
        );
        assert!(t.contains("enforce-when-ready"), "{t}");
        assert!(
            t.contains("held 111122223333 eu-west-1 SSMRunAs-Admin: held until ready"),
            "{t}"
        );
        // The run-as user check's row says what it found on the nodes.
        let check = StateRow {
            document: "RunAsGuard-CheckRunAsUser".into(),
            nodes: Some(crate::nodes::Readiness {
                association_id: "a-1".into(),
                association_version: "2".into(),
                user: "ops".into(),
                checked: 40,
                missing: 3,
                missing_nodes: vec!["i-0123456789abcdef0".into()],
                linux_or_macos: None,
            }),
            ..named
        };
        let t = render_status(std::slice::from_ref(&check), Format::Table);
        assert!(t.contains("on/ops (MISSING on 3 of 40 nodes)"), "{t}");
        let csv = render_status(std::slice::from_ref(&check), Format::Csv);
        assert!(csv.contains(",MISSING on 3 of 40 nodes,"), "{csv}");
        let json = render_status(std::slice::from_ref(&check), Format::Json);
        assert!(json.contains("i-0123456789abcdef0"), "{json}");
        // A new account's row awaiting its member stack says since when and
        // for what, under the table; other rows add no line.
        let waiting = StateRow {
            status: "pending".into(),
            document: DOCUMENT_NAME.into(),
            nodes: None,
            mode: None,
            held: None,
            ou_path: None,
            canary: None,
            last_error_code: Some("AwaitingMemberStack".into()),
            last_error: Some("awaiting the member stack since 2026-11-22T05:41:33Z (the account joined then): the member role RunAsGuardExecution is not there yet".into()),
            ..check
        };
        let t = render_status(&[row, waiting], Format::Table);
        let under: Vec<&str> = t.lines().filter(|l| l.starts_with("pending ")).collect();
        assert_eq!(under.len(), 1, "{t}");
        assert!(
            under[0].starts_with(
                "pending 111122223333 eu-west-1: awaiting the member stack since 2026-11-22"
            ),
            "{t}"
        );
    }

    fn with_canary(region: &str, canary: Option<CanaryState>) -> StateRow {
        StateRow {
            account: "111122223333".into(),
            region: region.into(),
            document: DOCUMENT_NAME.into(),
            status: "compliant".into(),
            desired_user: None,
            observed_user: None,
            observed_run_as_enabled: None,
            default_version: None,
            last_action: None,
            last_trigger_kind: None,
            last_trigger_id: None,
            last_actor: None,
            last_error_code: None,
            last_error: None,
            last_checked: None,
            last_changed: None,
            changes: 0,
            nodes: None,
            mode: None,
            held: None,
            ou_path: None,
            canary,
        }
    }

    use crate::store::canary::CanaryState;

    #[test]
    fn the_canary_line_counts_each_state_and_names_the_broken_paths() {
        let c = |written: Option<&str>,
                 after: Option<i64>,
                 missing: Option<&str>,
                 code: Option<&str>| {
            Some(CanaryState {
                written_at: written.map(str::to_string),
                arrived_after_ms: after,
                missing_since: missing.map(str::to_string),
                error_code: code.map(str::to_string),
            })
        };
        let at = Some("2026-11-23T06:00:00.000Z");
        let rows = [
            with_canary("us-east-1", c(at, Some(1_500), None, None)),
            with_canary("us-east-2", c(at, Some(42_000), None, None)),
            with_canary("eu-west-1", c(at, None, None, None)),
            // A re-probe in flight on a broken path is still missing.
            with_canary(
                "eu-west-2",
                c(at, None, Some("2026-11-22T06:00:00.000Z"), None),
            ),
            with_canary(
                "eu-west-3",
                c(None, None, None, Some("AccessDeniedException")),
            ),
            with_canary("eu-north-1", None),
        ];
        let t = render_status(&rows, Format::Table);
        assert!(
            t.contains("forwarding canary: 2 arrived (slowest 42.0s), 1 awaiting, 1 MISSING, 1 not written\n"),
            "{t}"
        );
        assert!(t.contains("forwarding MISSING 111122223333 eu-west-2: no canary has arrived since one written 2026-11-22T06:00:00.000Z"), "{t}");
        assert!(
            t.contains(
                "forwarding canary not written 111122223333 eu-west-3: AccessDeniedException"
            ),
            "{t}"
        );
        assert_eq!(
            t.lines().filter(|l| l.starts_with("forwarding")).count(),
            3,
            "{t}"
        );
        let quiet = render_status(&[with_canary("eu-north-1", None)], Format::Table);
        assert!(!quiet.contains("forwarding"), "no canary, no line: {quiet}");
    }
}
