//! `status` renderings, one state item at a time and together.
use super::super::short_time;
use super::totals::totals;
use super::*;
use crate::domain::trigger::DOCUMENT_NAME;

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
        held_since: None,
        held_told_at: None,
        ou_path: None,
        canary: None,
    };
    let t = render_status(std::slice::from_ref(&row), &Names::new(), Format::Table);
    let line = t.lines().nth(1).unwrap();
    assert!(
        line.contains("on/ops")
            && line.contains("role/Admin")
            && line.contains("2026-11-22 05:41:33Z"),
        "{t}"
    );
    assert!(t.lines().all(|l| l.chars().count() < 130), "{t}");
    let csv = render_status(std::slice::from_ref(&row), &Names::new(), Format::Csv);
    assert!(csv.contains(",true,"), "{csv}");
    assert!(csv.contains("a8fddbb7"), "{csv}");
    assert_eq!(
        short_time("2026-11-22T05:41:33.471Z"),
        "2026-11-22 05:41:33Z"
    );
    assert_eq!(short_time("garbage"), "garbage");
    // A `[[document]]` is named beside its region; CSV ends with the
    // document, what the check found, the mode, why held, the OU path,
    // the account's name.
    let named = StateRow {
        document: "SSMRunAs-Admin".into(),
        mode: Some("enforce-when-ready".into()),
        held: Some("held until ready: no result yet".into()),
        ou_path: Some("Root/Sandbox".into()),
        canary: None,
        ..row.clone()
    };
    let t = render_status(std::slice::from_ref(&named), &Names::new(), Format::Table);
    assert!(t.contains("eu-west-1 SSMRunAs-Admin"), "{t}");
    let csv = render_status(std::slice::from_ref(&named), &Names::new(), Format::Csv);
    assert!(
        csv.lines().nth(1).unwrap().ends_with(
            ",SSMRunAs-Admin,,enforce-when-ready,held until ready: no result yet,Root/Sandbox,"
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
        // Whatever else a Readiness carries (whether the nodes run Linux
        // or macOS, ...) keeps its default.
        nodes: Some(crate::domain::nodes::Readiness {
            association_id: "a-1".into(),
            association_version: "2".into(),
            user: "ops".into(),
            checked: 40,
            missing: 3,
            missing_nodes: vec!["i-0123456789abcdef0".into()],
            ..Default::default()
        }),
        ..named
    };
    let t = render_status(std::slice::from_ref(&check), &Names::new(), Format::Table);
    assert!(t.contains("on/ops (MISSING on 3 of 40 nodes)"), "{t}");
    let csv = render_status(std::slice::from_ref(&check), &Names::new(), Format::Csv);
    assert!(csv.contains(",MISSING on 3 of 40 nodes,"), "{csv}");
    let json = render_status(std::slice::from_ref(&check), &Names::new(), Format::Json);
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
    let t = render_status(&[row, waiting], &Names::new(), Format::Table);
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
        held_since: None,
        held_told_at: None,
        ou_path: None,
        canary,
    }
}

use crate::domain::rows::CanaryState;

#[test]
fn the_canary_line_counts_each_state_and_names_the_broken_paths() {
    let c =
        |written: Option<&str>, after: Option<i64>, missing: Option<&str>, code: Option<&str>| {
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
    let t = render_status(&rows, &Names::new(), Format::Table);
    assert!(
        t.contains(
            "forwarding canary: 2 arrived (slowest 42.0s), 1 awaiting, 1 MISSING, 1 not written\n"
        ),
        "{t}"
    );
    assert!(t.contains("forwarding MISSING 111122223333 eu-west-2: no canary has arrived since one written 2026-11-22T06:00:00.000Z"), "{t}");
    assert!(
        t.contains("forwarding canary not written 111122223333 eu-west-3: AccessDeniedException"),
        "{t}"
    );
    assert_eq!(
        t.lines().filter(|l| l.starts_with("forwarding")).count(),
        3,
        "{t}"
    );
    let quiet = render_status(
        &[with_canary("eu-north-1", None)],
        &Names::new(),
        Format::Table,
    );
    assert!(!quiet.contains("forwarding"), "no canary, no line: {quiet}");
}

fn item(account: &str, region: &str, document: &str, status: &str) -> StateRow {
    StateRow {
        account: account.into(),
        document: document.into(),
        status: status.into(),
        ..with_canary(region, None)
    }
}

fn names(pairs: &[(&str, &str)]) -> Names {
    pairs
        .iter()
        .map(|(a, n)| (a.to_string(), n.to_string()))
        .collect()
}

#[test]
fn rows_come_in_reconciles_order_whatever_order_they_were_read_in() {
    let rows = [
        item("222222222222", "us-east-1", DOCUMENT_NAME, "compliant"),
        item("111111111111", "us-east-1", "SSMRunAs-Admin", "compliant"),
        item("111111111111", "us-east-1", DOCUMENT_NAME, "reverted"),
        item("111111111111", "eu-west-1", DOCUMENT_NAME, "failed"),
    ];
    let want = [
        ("111111111111", "eu-west-1", DOCUMENT_NAME),
        ("111111111111", "us-east-1", DOCUMENT_NAME),
        ("111111111111", "us-east-1", "SSMRunAs-Admin"),
        ("222222222222", "us-east-1", DOCUMENT_NAME),
    ];
    let json: serde_json::Value =
        serde_json::from_str(&render_status(&rows, &Names::new(), Format::Json)).unwrap();
    let got: Vec<(&str, &str, &str)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let f = |k: &str| r[k].as_str().unwrap();
            (f("account"), f("region"), f("document"))
        })
        .collect();
    assert_eq!(got, want, "json");
    let csv = render_status(&rows, &Names::new(), Format::Csv);
    let got: Vec<(&str, &str, &str)> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0], f[1], f[17])
        })
        .collect();
    assert_eq!(got, want, "{csv}");
    let t = render_status(&rows, &Names::new(), Format::Table);
    let lines: Vec<&str> = t.lines().skip(1).take(4).collect();
    for (line, (account, region, document)) in lines.iter().zip(want) {
        let place = crate::domain::report::place(region, Some(document));
        assert!(
            line.starts_with(account) && line.contains(&format!("  {place}  ")),
            "{line:?} is not {place}: {t}"
        );
    }
    // reconcile's report sorts its rows with the same function.
    let mut places = vec![
        ("b", "x", None),
        ("a", "y", Some("SSMRunAs-Z")),
        ("a", "y", None),
    ];
    crate::domain::report::order::sort_by_place(&mut places, |p| *p);
    assert_eq!(
        places,
        [
            ("a", "y", None),
            ("a", "y", Some("SSMRunAs-Z")),
            ("b", "x", None)
        ]
    );
}

#[test]
fn totals_count_each_status_in_the_usual_order() {
    // (statuses of the rows, the totals, the line under the table)
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, usize)], &'a str);
    let cases: &[Case] = &[
        (
            &["compliant"],
            &[("compliant", 1)],
            "1 account, 1 account-region: compliant 1",
        ),
        (
            &["failed", "compliant", "reverted", "compliant"],
            &[("compliant", 2), ("reverted", 1), ("failed", 1)],
            "1 account, 4 account-regions: compliant 2, reverted 1, failed 1",
        ),
        (
            &["excluded", "pending", "noncompliant", "remediated"],
            &[
                ("remediated", 1),
                ("noncompliant", 1),
                ("pending", 1),
                ("excluded", 1),
            ],
            "1 account, 4 account-regions: remediated 1, noncompliant 1, pending 1, excluded 1",
        ),
        // A status from a newer writer, and one with a control character, still count.
        (
            &["zz-new", "compliant", "a\u{1b}b"],
            &[("compliant", 1), ("a\u{1b}b", 1), ("zz-new", 1)],
            "1 account, 3 account-regions: compliant 1, a b 1, zz-new 1",
        ),
    ];
    for (statuses, want, line) in cases {
        let rows: Vec<StateRow> = statuses
            .iter()
            .enumerate()
            .map(|(i, s)| item("111111111111", &format!("region-{i}"), DOCUMENT_NAME, s))
            .collect();
        let refs: Vec<&StateRow> = rows.iter().collect();
        let counted = totals(&refs);
        let got: Vec<(&str, usize)> = counted.iter().map(|(s, n)| (s.as_str(), *n)).collect();
        assert_eq!(got, *want, "{statuses:?}");
        let t = render_status(&rows, &Names::new(), Format::Table);
        assert!(t.contains(&format!("\n\n{line}\n")), "{statuses:?}: {t}");
    }
    let two = [
        item("111111111111", "us-east-1", DOCUMENT_NAME, "compliant"),
        item("222222222222", "us-east-1", DOCUMENT_NAME, "compliant"),
    ];
    let t = render_status(&two, &Names::new(), Format::Table);
    assert!(
        t.contains("2 accounts, 2 account-regions: compliant 2"),
        "{t}"
    );
    assert!(!render_status(&two, &Names::new(), Format::Csv).contains("accounts,"));
    // A `[[document]]`'s row and the check's are more rows of the same
    // account-region: counted once, as the sweep summary counts them, and
    // the rows the statuses count said beside.
    let docs = [
        item("111111111111", "us-east-1", DOCUMENT_NAME, "compliant"),
        item("111111111111", "us-east-1", "SSMRunAs-Admin", "compliant"),
        item(
            "111111111111",
            "us-east-1",
            "RunAsGuard-CheckRunAsUser",
            "failed",
        ),
        item("111111111111", "eu-west-1", DOCUMENT_NAME, "compliant"),
        item("222222222222", "us-east-1", DOCUMENT_NAME, "compliant"),
    ];
    let t = render_status(&docs, &Names::new(), Format::Table);
    assert!(
        t.contains("\n\n2 accounts, 3 account-regions, 5 rows: compliant 4, failed 1\n"),
        "{t}"
    );
}

#[test]
fn names_and_ou_paths_are_shown_plain_and_bounded() {
    let long_path = format!("Root/{}/Prod/Payments", "Workloads-".repeat(8));
    // (name, OU path, what the NAME cell shows, what the OU PATH cell shows)
    let cases: &[(&str, Option<&str>, &str, &str)] = &[
        (
            "prod-payments",
            Some("Root/Workloads/Prod"),
            "prod-payments",
            "Root/Workloads/Prod",
        ),
        ("", None, "-", "-"),
        (
            "\u{1b}]0;pwned\u{7}evil",
            Some("Root/\u{1b}[2JOU"),
            " ]0;pwned evil",
            "Root/ [2JOU",
        ),
        (
            "multi\nline\rname",
            Some("Root/A\tB"),
            "multi line name",
            "Root/A B",
        ),
        (
            "flip\u{202e}txt",
            Some("Root/Sandbox"),
            "flip txt",
            "Root/Sandbox",
        ),
        (
            "a-very-long-account-name-that-goes-on-and-on",
            Some(long_path.as_str()),
            "a-very-long-account-name-that-g…",
            "…/Prod/Payments",
        ),
    ];
    for (name, path, name_cell, path_cell) in cases {
        let row = StateRow {
            ou_path: path.map(str::to_string),
            ..item("111111111111", "eu-west-1", DOCUMENT_NAME, "compliant")
        };
        let t = render_status(
            std::slice::from_ref(&row),
            &names(&[("111111111111", name)]),
            Format::Table,
        );
        let line = t.lines().nth(1).unwrap();
        assert!(
            line.starts_with(&format!("111111111111  {name_cell}")),
            "{name:?}: {t}"
        );
        assert!(line.contains(path_cell), "{path:?}: {t}");
        assert!(
            !t.chars().any(|c| c.is_control() && c != '\n'),
            "{name:?}: {t:?}"
        );
        assert!(!t.contains('\u{202e}'), "{t}");
        assert!(line.chars().count() < 160, "{t}");
        assert_eq!(
            t.lines().filter(|l| l.starts_with("111111111111")).count(),
            1,
            "{t}"
        );
        // JSON and CSV carry the whole name, escaped for their medium.
        let json: serde_json::Value = serde_json::from_str(&render_status(
            std::slice::from_ref(&row),
            &names(&[("111111111111", name)]),
            Format::Json,
        ))
        .unwrap();
        assert_eq!(json[0]["name"], *name, "{json}");
        let csv = render_status(
            std::slice::from_ref(&row),
            &names(&[("111111111111", name)]),
            Format::Csv,
        );
        assert!(
            csv.starts_with("account,") && csv.lines().next().unwrap().ends_with(",ou_path,name"),
            "{csv}"
        );
    }
    // An account Organizations did not name has no name in JSON.
    let row = item("111111111111", "eu-west-1", DOCUMENT_NAME, "compliant");
    let json: serde_json::Value =
        serde_json::from_str(&render_status(&[row], &Names::new(), Format::Json)).unwrap();
    assert!(json[0]["name"].is_null(), "{json}");
}

/// Account names (a member may rename its own account), OU paths, users
/// read from a document in audit mode and actors reach `status --format
/// csv` whole: each cell a spreadsheet would run starts with `'`.
#[test]
fn csv_cells_a_spreadsheet_would_run_start_with_a_quote() {
    let link = "=HYPERLINK(\"https://evil.example/re-auth\",\"Re-auth\")";
    // (hostile value, its CSV field)
    let cases = [
        (
            link,
            "\"'=HYPERLINK(\"\"https://evil.example/re-auth\"\",\"\"Re-auth\"\")\"",
        ),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "\"'\r=1+1\""),
        ("=1+1\n=2+2", "\"'=1+1\n=2+2\""),
        ("prod-payments", "prod-payments"),
    ];
    for (hostile, field) in cases {
        let row = StateRow {
            observed_user: Some(hostile.into()),
            last_actor: Some(hostile.into()),
            ou_path: Some(hostile.into()),
            ..item("111111111111", "eu-west-1", DOCUMENT_NAME, "noncompliant")
        };
        let csv = render_status(
            std::slice::from_ref(&row),
            &names(&[("111111111111", hostile)]),
            Format::Csv,
        );
        // The row ends with the OU path and the name.
        assert!(
            csv.ends_with(&format!(",{field},{field}\n")),
            "{hostile:?}: {csv}"
        );
        if field != hostile {
            // The observed user, the actor, the path, the name; `run_as`
            // (`unset/<user>`) starts with a letter.
            assert_eq!(csv.matches(field).count(), 4, "{csv}");
        }
        // Counts stay numbers.
        assert!(csv.contains(",0,"), "{csv}");
    }
}

#[test]
fn a_check_row_whose_nodes_lack_the_user_shows_would_refuse() {
    let nodes = |missing: u64| {
        Some(crate::domain::nodes::Readiness {
            association_id: "a-1".into(),
            user: "ops".into(),
            checked: 4,
            missing,
            ..Default::default()
        })
    };
    // (recorded status, nodes, shown)
    let cases = [
        ("remediated", nodes(2), "would-refuse"),
        ("compliant", nodes(1), "would-refuse"),
        ("compliant", nodes(0), "compliant"),
        ("remediated", None, "remediated"),
        // What the row says of itself is more than the nodes' verdict.
        ("failed", nodes(2), "failed"),
        ("noncompliant", nodes(2), "noncompliant"),
        ("pending", nodes(2), "pending"),
        ("", nodes(2), ""),
    ];
    for (status, nodes, want) in cases {
        let row = StateRow {
            nodes,
            ..item(
                "111122223333",
                "eu-west-1",
                "RunAsGuard-CheckRunAsUser",
                status,
            )
        };
        assert_eq!(shown_status(&row), want, "{status}");
        assert!(want.is_empty() || STATUSES.contains(&want), "{want}");
    }
    // A shown row is a CSV row a change request can filter on.
    let row = StateRow {
        status: WOULD_REFUSE.into(),
        nodes: nodes(2),
        ..item("111122223333", "eu-west-1", "RunAsGuard-CheckRunAsUser", "")
    };
    let csv = render_status(std::slice::from_ref(&row), &Names::new(), Format::Csv);
    assert!(csv.contains(",would-refuse,"), "{csv}");
    let t = render_status(std::slice::from_ref(&row), &Names::new(), Format::Table);
    assert!(t.contains("would-refuse 1"), "totals name it: {t}");
}
