use super::*;
use crate::domain::nodes::CHECK_DOCUMENT;
use crate::domain::report::Format;
use proptest::prelude::*;

const SHELL: &str = DOCUMENT_NAME;

fn state(account: &str, region: &str, document: &str, status: &str) -> StateRow {
    StateRow {
        account: account.into(),
        region: region.into(),
        document: document.into(),
        status: status.into(),
        desired_user: Some("ops".into()),
        observed_user: None,
        observed_run_as_enabled: None,
        default_version: None,
        last_action: None,
        last_trigger_kind: None,
        last_trigger_id: None,
        last_actor: None,
        last_error_code: None,
        last_error: None,
        last_checked: Some("2026-11-22T05:00:00Z".into()),
        last_changed: None,
        changes: 0,
        nodes: None,
        mode: Some("audit".into()),
        held: None,
        held_since: None,
        held_told_at: None,
        ou_path: Some("Root/Workloads/Sandbox".into()),
        canary: None,
    }
}

fn shell(account: &str, region: &str, ou: Option<&str>) -> StateRow {
    StateRow {
        ou_path: ou.map(str::to_string),
        canary: None,
        ..state(account, region, SHELL, "compliant")
    }
}

fn found(user: &str, checked: u64, missing: u64, lom: Option<bool>) -> Readiness {
    Readiness {
        association_id: "a-1".into(),
        association_version: "1".into(),
        user: user.into(),
        checked,
        missing,
        missing_nodes: (0..missing.min(25)).map(|i| format!("i-{i:02}")).collect(),
        linux_or_macos: lom,
        ..Readiness::default()
    }
}

fn check(account: &str, region: &str, nodes: Option<Readiness>) -> StateRow {
    StateRow {
        nodes,
        ..state(account, region, CHECK_DOCUMENT, "compliant")
    }
}

fn report(rows: &[StateRow]) -> Report {
    build(rows, CHECK_DOCUMENT, &Filter::default())
}

const A: &str = "111122223333";

/// What, the check row, verdict, note contains, checked, missing.
type Case = (
    &'static str,
    Option<StateRow>,
    &'static str,
    &'static str,
    Option<u64>,
    Option<u64>,
);

#[test]
fn each_account_region_gets_the_verdict_its_check_row_supports() {
    let failed = StateRow {
        last_error: Some("AccessDenied: not\nallowed".into()),
        ..state(A, "eu-west-1", CHECK_DOCUMENT, "failed")
    };
    let pending = state(A, "eu-west-1", CHECK_DOCUMENT, "pending");
    let unreadable = StateRow {
        nodes: Readiness::from_json("{\"checked\": \"many\""),
        ..check(A, "eu-west-1", None)
    };
    let renamed = StateRow {
        document: "Org-Check".into(),
        ..check(A, "eu-west-1", Some(found("ops", 5, 0, None)))
    };
    let cases: Vec<Case> = vec![
        ("no check row", None, "no_result_yet", NO_CHECK, None, None),
        (
            "check row without nodes",
            Some(check(A, "eu-west-1", None)),
            "no_result_yet",
            NO_RESULT,
            None,
            None,
        ),
        (
            "unreadable nodes JSON",
            Some(unreadable),
            "no_result_yet",
            NO_RESULT,
            None,
            None,
        ),
        (
            "failed check",
            Some(failed),
            "no_result_yet",
            "AccessDenied: not allowed",
            None,
            None,
        ),
        (
            "pending, no error",
            Some(pending),
            "no_result_yet",
            "the check is pending (no error recorded)",
            None,
            None,
        ),
        (
            "ready",
            Some(check(A, "eu-west-1", Some(found("ops", 40, 0, None)))),
            "ready",
            "",
            Some(40),
            Some(0),
        ),
        (
            "refusing",
            Some(check(A, "eu-west-1", Some(found("ops", 40, 3, None)))),
            "would_refuse",
            "",
            Some(40),
            Some(3),
        ),
        (
            "not run yet",
            Some(check(A, "eu-west-1", Some(found("ops", 0, 0, Some(true))))),
            "no_result_yet",
            "",
            Some(0),
            Some(0),
        ),
        (
            "windows only",
            Some(check(A, "eu-west-1", Some(found("ops", 0, 0, Some(false))))),
            "no_linux_or_macos_nodes",
            "",
            Some(0),
            Some(0),
        ),
        (
            "another user looked up",
            Some(check(A, "eu-west-1", Some(found("admin", 40, 0, None)))),
            "no_result_yet",
            "not the wanted user \"ops\"",
            None,
            None,
        ),
        (
            "renamed check document",
            Some(renamed),
            "ready",
            "",
            Some(5),
            Some(0),
        ),
    ];
    for (what, check_row, verdict, note, checked, missing) in cases {
        let mut rows = vec![shell(A, "eu-west-1", Some("Root"))];
        rows.extend(check_row);
        let r = report(&rows);
        assert_eq!(r.rows.len(), 1, "{what}");
        let row = &r.rows[0];
        assert_eq!(row.verdict, verdict, "{what}");
        assert_eq!(row.verdict_text, row.kind.describe(), "{what}");
        match note {
            "" => assert_eq!(row.note, None, "{what}"),
            n => assert!(
                row.note.as_deref().unwrap_or_default().contains(n),
                "{what}: {:?}",
                row.note
            ),
        }
        assert_eq!((row.checked, row.missing), (checked, missing), "{what}");
    }
}

#[test]
fn only_governed_account_regions_are_rows() {
    let rows = vec![
        StateRow {
            status: "excluded".into(),
            ..shell(A, "us-east-1", None)
        },
        check(A, "us-east-1", Some(found("ops", 1, 0, None))),
        // A check row alone (its document row not recorded) is no row.
        check(A, "eu-west-1", Some(found("ops", 1, 0, None))),
        // Without an account or region it is no place at all.
        shell("", "eu-west-1", None),
        shell(A, "", None),
        shell(A, "ap-south-1", None),
    ];
    let r = report(&rows);
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.rows[0].region, "ap-south-1");
    assert_eq!(r.left_out, 2);
    assert!(r
        .render(Format::Table)
        .contains("2 state item(s) without an account or region left out"));
}

#[test]
fn duplicates_keep_the_newest_item() {
    let old = StateRow {
        last_checked: Some("2026-01-01T00:00:00Z".into()),
        ..check(A, "eu-west-1", Some(found("ops", 9, 9, None)))
    };
    let new = check(A, "eu-west-1", Some(found("ops", 10, 0, None)));
    for rows in [
        vec![
            shell(A, "eu-west-1", None),
            old.clone(),
            new.clone(),
            shell(A, "eu-west-1", None),
        ],
        vec![new.clone(), shell(A, "eu-west-1", None), old.clone()],
    ] {
        let r = report(&rows);
        assert_eq!(r.rows.len(), 1);
        assert_eq!(r.rows[0].verdict, "ready");
        assert_eq!(r.organization.account_regions, 1);
    }
}

#[test]
fn mode_user_and_held_notes_come_from_the_documents_rows() {
    let rows = vec![
        StateRow {
            mode: Some("enforce-when-ready".into()),
            held: Some("held until ready:\nno result yet".into()),
            ..shell(A, "eu-west-1", Some("Root"))
        },
        StateRow {
            held: Some("held until ready: x".into()),
            ..state(A, "eu-west-1", "SSMRunAs-Admin", "noncompliant")
        },
        StateRow {
            mode: None,
            desired_user: None,
            ..check(A, "eu-west-1", Some(found("ops", 2, 1, None)))
        },
    ];
    let r = report(&rows);
    let row = &r.rows[0];
    assert_eq!(row.mode.as_deref(), Some("enforce-when-ready"));
    assert_eq!(row.user.as_deref(), Some("ops"));
    assert_eq!(
        row.held.as_deref(),
        Some("held until ready: no result yet; SSMRunAs-Admin: held until ready: x")
    );
    // No check: the wanted user; the check row's mode when the document's is absent.
    let r = report(&[StateRow {
        mode: None,
        ..shell(A, "eu-west-1", None)
    }]);
    assert_eq!(
        (r.rows[0].user.as_deref(), r.rows[0].mode.as_deref()),
        (Some("ops"), None)
    );
}

#[test]
fn more_than_twenty_missing_nodes_are_bounded_and_counted() {
    let r = report(&[
        shell(A, "eu-west-1", Some("Root")),
        check(A, "eu-west-1", Some(found("ops", 100, 30, None))),
    ]);
    let row = &r.rows[0];
    assert_eq!(row.missing_nodes.len(), MAX_NODE_IDS);
    assert_eq!(row.missing, Some(30));
    let table = r.render(Format::Table);
    assert!(table.contains("i-00, i-01, i-02 +27 more"), "{table}");
    assert!(
        table.contains("would refuse sessions on 30 nodes"),
        "{table}"
    );
    let csv = r.render(Format::Csv);
    assert_eq!(
        csv.lines().nth(1).unwrap().matches("i-").count(),
        MAX_NODE_IDS
    );
    // Fewer ids than the count (not all read): the rest are still "more".
    let mut few = found("ops", 10, 5, None);
    few.missing_nodes.truncate(1);
    let r = report(&[
        shell(A, "eu-west-1", None),
        check(A, "eu-west-1", Some(few)),
    ]);
    assert!(r.render(Format::Table).contains("i-00 +4 more"));
}

#[test]
fn ou_filter_matches_whole_segments() {
    let path = Some("Root/Workloads/Sandbox");
    let cases = [
        (path, "Sandbox", true),
        (path, "Workloads/Sandbox", true),
        (path, "Root/Workloads", true),
        (path, "/Workloads/", true),
        (path, "Work", false),
        (path, "Sandbox/Workloads", false),
        (path, "sandbox", false),
        (path, "", false),
        (path, "/", false),
        (None, "Root", false),
        (Some("Root//Workloads/"), "Root/Workloads", true),
        (Some("Root/ou-ab12-abcdefgh"), "ou-ab12-abcdefgh", true),
    ];
    for (have, want, matches) in cases {
        assert_eq!(under_ou(have, want), matches, "{have:?} {want:?}");
    }
    let rows = [
        shell(A, "eu-west-1", path),
        shell("444455556666", "eu-west-1", Some("Root/Prod")),
    ];
    let filter = Filter {
        ous: vec!["Sandbox".into()],
        ..Filter::default()
    };
    let r = build(&rows, CHECK_DOCUMENT, &filter);
    assert_eq!(
        r.rows
            .iter()
            .map(|r| r.account.as_str())
            .collect::<Vec<_>>(),
        [A]
    );
    let filter = Filter {
        regions: vec!["us-east-1".into()],
        ..Filter::default()
    };
    assert!(build(&rows, CHECK_DOCUMENT, &filter).rows.is_empty());
}

/// RFC 4180, as a spreadsheet reads it: records of fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    records
}

#[test]
fn csv_quotes_commas_quotes_and_newlines() {
    let hostile = "Root/Ops, \"East\"\nTeam";
    let mut odd = found("ops", 3, 1, None);
    odd.missing_nodes = vec!["i-1,\"x\"".into()];
    let r = report(&[
        StateRow {
            held: Some("a, \"b\"".into()),
            ..shell(A, "eu-west-1", Some(hostile))
        },
        check(A, "eu-west-1", Some(odd)),
    ]);
    let records = parse_csv(&r.render(Format::Csv));
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[0].len(), 14);
    assert_eq!(records[0][0], "account");
    assert_eq!(records[1].len(), 14);
    assert_eq!(records[1][1], hostile);
    assert_eq!(records[1][7], "i-1,\"x\"");
    assert_eq!(records[1][8], "would_refuse");
    assert_eq!(records[1][11], "a, \"b\"");
    // The table keeps each row on one line.
    let table = r.render(Format::Table);
    assert_eq!(
        table.lines().filter(|l| l.starts_with(A)).count(),
        1,
        "{table}"
    );
}

#[test]
fn the_table_has_rows_then_ou_totals_then_the_organization() {
    let rows = [
        shell(A, "eu-west-1", Some("Root/Workloads/Sandbox")),
        check(A, "eu-west-1", Some(found("ops", 40, 3, None))),
        shell(A, "us-east-1", Some("Root/Workloads/Sandbox")),
        check(A, "us-east-1", Some(found("ops", 10, 0, None))),
        shell("444455556666", "eu-west-1", None),
    ];
    let r = report(&rows);
    let ous: Vec<(Option<&str>, usize, u64)> = r
        .ous
        .iter()
        .map(|o| (o.ou.as_deref(), o.depth, o.totals.account_regions))
        .collect();
    assert_eq!(
        ous,
        [
            (Some("Root"), 1, 2),
            (Some("Root/Workloads"), 2, 2),
            (Some("Root/Workloads/Sandbox"), 3, 2),
            (None, 1, 1)
        ]
    );
    let t = r.render(Format::Table);
    let at = |s: &str| t.find(s).unwrap_or_else(|| panic!("{s} in {t}"));
    assert!(at("ACCOUNT") < at("OU totals") && at("OU totals") < at("Organization:"));
    assert!(t.contains(NO_OU_PATH) && t.contains(NO_CHECK), "{t}");
    assert!(t.trim_end().ends_with(
        "Organization: 3 account-regions: 1 ready, 1 would refuse sessions, 1 no result yet, 0 no managed Linux or macOS nodes; 50 nodes checked, 3 lacking the user"
    ), "{t}");
    let empty = report(&[]).render(Format::Table);
    assert!(
        empty.starts_with("no governed account-region recorded\n"),
        "{empty}"
    );
}

#[test]
fn json_keys_are_stable() {
    let rows = [
        shell(A, "eu-west-1", Some("Root")),
        check(A, "eu-west-1", Some(found("ops", 4, 1, None))),
    ];
    let v: serde_json::Value = serde_json::from_str(&report(&rows).render(Format::Json)).unwrap();
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&v), ["rows", "ous", "organization", "left_out"]);
    assert_eq!(
        keys(&v["rows"][0]),
        [
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
            "could_not_run_reasons"
        ]
    );
    let totals = [
        "account_regions",
        "ready",
        "would_refuse",
        "no_result_yet",
        "no_linux_or_macos_nodes",
        "nodes_checked",
        "nodes_missing",
        "check_could_not_run",
        "nodes_could_not_run",
    ];
    assert_eq!(keys(&v["organization"]), totals);
    assert_eq!(keys(&v["ous"][0])[..2], ["ou", "depth"]);
    assert_eq!(keys(&v["ous"][0])[2..], totals);
    assert_eq!(v["rows"][0]["missing_nodes"], serde_json::json!(["i-00"]));
}

fn sum(ts: impl Iterator<Item = Totals>) -> Totals {
    ts.fold(Totals::default(), |a, b| Totals {
        account_regions: a.account_regions + b.account_regions,
        ready: a.ready + b.ready,
        would_refuse: a.would_refuse + b.would_refuse,
        no_result_yet: a.no_result_yet + b.no_result_yet,
        no_linux_or_macos_nodes: a.no_linux_or_macos_nodes + b.no_linux_or_macos_nodes,
        nodes_checked: a.nodes_checked + b.nodes_checked,
        nodes_missing: a.nodes_missing + b.nodes_missing,
        check_could_not_run: a.check_could_not_run + b.check_could_not_run,
        nodes_could_not_run: a.nodes_could_not_run + b.nodes_could_not_run,
    })
}

const PATHS: [Option<&str>; 7] = [
    None,
    Some(""),
    Some("Root"),
    Some("Root/Workloads"),
    Some("Root/Workloads/Sandbox"),
    Some("Root//Prod/"),
    Some("Other/Workloads"),
];

/// One generated state item: account, region, path, and what kind of row.
fn arb_item() -> impl Strategy<Value = StateRow> {
    (
        0..4usize,
        0..3usize,
        0..PATHS.len(),
        0..6u8,
        0..50u64,
        0..5u64,
        0..3u8,
    )
        .prop_map(|(a, r, p, kind, checked, missing, lom)| {
            let (account, region) = (format!("11112222333{a}"), ["us-east-1", "eu-west-1", ""][r]);
            let lom = [None, Some(true), Some(false)][lom as usize];
            match kind {
                0 | 1 => shell(&account, region, PATHS[p]),
                2 => StateRow {
                    status: "excluded".into(),
                    ..shell(&account, region, PATHS[p])
                },
                3 => state(&account, region, CHECK_DOCUMENT, "failed"),
                4 => check(&account, region, None),
                _ => check(&account, region, Some(found("ops", checked, missing, lom))),
            }
        })
}

proptest! {
    #[test]
    fn organization_totals_are_the_sum_over_top_level_ous(items in prop::collection::vec(arb_item(), 0..40)) {
        let r = report(&items);
        let org = r.organization;
        prop_assert_eq!(org, sum(r.ous.iter().filter(|o| o.depth == 1).map(|o| o.totals)));
        prop_assert_eq!(org.account_regions, r.rows.len() as u64);
        prop_assert_eq!(org.account_regions, org.ready + org.would_refuse + org.no_result_yet + org.no_linux_or_macos_nodes);
        // Every OU counts exactly the rows at or below it.
        for o in &r.ous {
            let below = r.rows.iter().filter(|row| match &o.ou {
                Some(ou) => segments(row.ou_path.as_deref().unwrap_or_default())
                    .starts_with(&segments(ou)),
                None => row.ou_path.is_none(),
            });
            prop_assert_eq!(o.totals.account_regions, below.count() as u64);
        }
        for fmt in [Format::Table, Format::Json, Format::Csv] {
            prop_assert!(!r.render(fmt).is_empty());
        }
        prop_assert_eq!(parse_csv(&r.render(Format::Csv)).len(), r.rows.len() + 1);
    }
}

#[test]
fn a_check_that_could_not_run_is_its_own_verdict_and_count_never_missing() {
    use crate::domain::nodes::Reason;
    let mut timed = found("ops", 5, 0, None);
    timed.not_run.add(Reason::TimedOut, 1);
    timed.not_run.add(Reason::Undeliverable, 1);
    let mut both = found("ops", 5, 1, None);
    both.not_run.add(Reason::NoUserPassed, 2);
    let r = report(&[
        shell(A, "eu-west-1", Some("Root/Ops")),
        check(A, "eu-west-1", Some(timed)),
        shell(A, "us-east-1", Some("Root/Ops")),
        check(A, "us-east-1", Some(both)),
    ]);
    let row = |region: &str| r.rows.iter().find(|x| x.region == region).unwrap();
    let only = row("eu-west-1");
    assert_eq!(only.verdict, "check_could_not_run");
    assert_eq!(only.verdict_text, "check could not run on 2 nodes");
    assert_eq!((only.missing, only.could_not_run), (Some(0), Some(2)));
    assert_eq!(
        only.could_not_run_reasons.as_deref(),
        Some("check could not run on 2 nodes (timed out: 1, not delivered to the node: 1)")
    );
    // A missing user decides the verdict; the nodes not run are still told.
    let mixed = row("us-east-1");
    assert_eq!(mixed.verdict, "would_refuse");
    assert_eq!((mixed.missing, mixed.could_not_run), (Some(1), Some(2)));
    let t = r.organization;
    assert_eq!((t.would_refuse, t.check_could_not_run, t.ready), (1, 1, 0));
    assert_eq!((t.nodes_missing, t.nodes_could_not_run), (1, 4));
    let table = r.render(Format::Table);
    assert!(
        table.contains("check could not run on 2 nodes (timed out: 1"),
        "{table}"
    );
    assert!(
        table
            .contains("; check could not run on 4 nodes (1 account-regions with no other verdict)"),
        "{table}"
    );
}

/// `readiness --format csv` (documented for a change request): an OU path
/// and, in audit, the user the document says are the editors' text; a cell
/// a spreadsheet would run starts with `'`, and parses back to that.
#[test]
fn csv_cells_a_spreadsheet_would_run_start_with_a_quote() {
    let link = "=HYPERLINK(\"https://evil.example/re-auth\",\"Re-auth\")";
    for (hostile, inert) in [
        (link, format!("'{link}")),
        ("@SUM(1+1)", "'@SUM(1+1)".to_string()),
        ("+1+cmd", "'+1+cmd".to_string()),
        ("-1+cmd", "'-1+cmd".to_string()),
        ("\t=1", "'\t=1".to_string()),
        ("\r=1", "'\r=1".to_string()),
        ("Root/Prod", "Root/Prod".to_string()),
    ] {
        let r = report(&[
            shell(A, "eu-west-1", Some(hostile)),
            check(A, "eu-west-1", Some(found(hostile, 3, 1, None))),
        ]);
        let records = parse_csv(&r.render(Format::Csv));
        assert_eq!(records.len(), 2, "{records:?}");
        assert_eq!(records[1][1], inert, "ou_path of {hostile:?}");
        assert_eq!(records[1][4], inert, "user {hostile:?}");
    }
}
