//! The CLI's tables against moto: `sweep` prints reconcile's table unless
//! asked for JSON; `status` names each account and its OU path, totals
//! its rows per status, takes `--account` more than once, and lists rows
//! in the order `reconcile` does.

use crate::common;

use common::*;

/// (account, region) of each CSV row, the columns found by the header.
fn places(csv: &str) -> Vec<(String, String)> {
    let header: Vec<&str> = csv.lines().next().unwrap_or_default().split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (account, region) = (at("account"), at("region"));
    csv.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[account].to_string(), f[region].to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn sweep_prints_reconciles_table_by_default_and_the_outcome_as_json_on_request() {
    let w = World::new().await;
    let ou = w.create_ou(&w.root, "Workloads").await;
    let member = w.create_account("table-member", Some(&ou)).await;
    let run = w.run(&["sweep"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let header = run.stdout.lines().next().unwrap_or_default();
    for column in ["ACCOUNT", "NAME", "OU PATH", "REGION", "ACTION"] {
        assert!(
            header.contains(column),
            "{column} in {header:?}\n{}",
            run.stdout
        );
    }
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with(&member))
        .unwrap_or_else(|| panic!("a row for {member}: {}", run.stdout));
    assert!(
        row.contains("table-member") && row.contains("Root/Workloads"),
        "{row}"
    );
    assert!(
        run.stdout.contains(" account-regions: ") && run.stdout.contains("\nsweep manual-"),
        "the totals and the sweep's line: {}",
        run.stdout
    );
    assert!(serde_json::from_str::<serde_json::Value>(&run.stdout).is_err());
    assert!(
        run.stdout.lines().count() < 40,
        "a table, not the outcome: {}",
        run.stdout
    );
    let json = w.run(&["sweep", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let outcome = json.json();
    assert_eq!(outcome["result"], "done", "{outcome:#}");
    assert_eq!(outcome["trigger"]["trigger"], "sweep");
    let help = w.run(&["sweep", "--help"]);
    assert!(
        help.stdout.contains("table (default), json or csv") && help.stdout.contains("reconcile"),
        "{}",
        help.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn status_names_accounts_totals_statuses_and_takes_account_more_than_once() {
    let w = World::new().await;
    let prod = w.create_ou(&w.root, "Prod").await;
    let a = w.create_account("alpha-payments", Some(&prod)).await;
    let b = w.create_account("bravo-data", None).await;
    let c = w.create_account("charlie-left-out", None).await;
    let run = w.run(&["reconcile"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // Audit mode on one account: its drift is seen, not put back.
    w.write_policy(&format!(
        "[[account]]\nid = \"{b}\"\nrun_as_user = \"ssm-ops\"\nmode = \"audit\"\n"
    ));
    w.console_edit(&b, "eu-west-1", "drifty").await;
    let run = w.run(&["reconcile", "--account", &b]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);

    // Given twice, in the reverse of their order, and one of them twice.
    let run = w.run(&["status", "--account", &b, "--account", &a, "--account", &b]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let t = &run.stdout;
    let header = t.lines().next().unwrap();
    assert!(
        header
            .split_whitespace()
            .take(4)
            .eq(["ACCOUNT", "NAME", "OU", "PATH"]),
        "{t}"
    );
    let rows: Vec<&str> = t
        .lines()
        .filter(|l| {
            l.get(..12)
                .is_some_and(|id| id.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    assert_eq!(rows.len(), 4, "two accounts, two regions each: {t}");
    assert!(!t.contains(&c), "only the accounts asked for: {t}");
    let (first, second) = if a < b { (&a, &b) } else { (&b, &a) };
    assert!(
        rows[0].starts_with(first.as_str()) && rows[3].starts_with(second.as_str()),
        "{t}"
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with(&a) && r.contains("alpha-payments") && r.contains("Root/Prod")),
        "{t}"
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with(&b) && r.contains("bravo-data") && r.contains("  Root  ")),
        "{t}"
    );
    assert!(
        t.contains("\n2 accounts, 4 account-regions: ") && t.contains("noncompliant 1"),
        "totals per status: {t}"
    );
    let json = w
        .run(&["status", "--account", &a, "--format", "json"])
        .json();
    assert!(
        json.as_array()
            .unwrap()
            .iter()
            .all(|r| r["name"] == "alpha-payments"),
        "{json:#}"
    );

    // The same order as reconcile's report.
    let status = w.run(&["status", "--format", "csv"]);
    let reconcile = w.run(&["reconcile", "--dry-run", "--format", "csv"]);
    assert_eq!(reconcile.code, 0, "{}", reconcile.stderr);
    let ours: Vec<_> = places(&status.stdout)
        .into_iter()
        .filter(|(acct, _)| [&a, &b, &c].contains(&acct))
        .collect();
    let theirs: Vec<_> = places(&reconcile.stdout)
        .into_iter()
        .filter(|(acct, _)| [&a, &b, &c].contains(&acct))
        .collect();
    assert_eq!(
        ours, theirs,
        "status:\n{}\nreconcile:\n{}",
        status.stdout, reconcile.stdout
    );
    assert_eq!(ours.len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_without_organizations_access_still_lists_and_says_what_is_missing() {
    let (w, proxy, account) = common::proxy::world_behind_proxy().await;
    let run = w.run(&["reconcile"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    proxy.faults(
        serde_json::json!([{"service": "organizations", "status": 400,
        "code": "AccessDeniedException", "message": "not allowed"}]),
    );
    let run = w.run(&["status", "--account", &account]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with(&account))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cells[1..3],
        ["-", "Root"],
        "no name, the recorded path: {row}"
    );
    assert!(
        run.stdout
            .contains("names: the organization cannot be read with these credentials")
            && run.stdout.contains("AccessDeniedException"),
        "{}",
        run.stdout
    );
    let json = w.run(&["status", "--account", &account, "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert!(json.json().is_array());
    assert!(json.stderr.contains("NAME shows -"), "{}", json.stderr);
}

#[test]
fn explain_with_a_policy_says_what_handle_would_do_and_without_one_says_nothing_of_it() {
    let dir = std::env::temp_dir().join(format!("explain-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("policy.toml");
    std::fs::write(
        &policy,
        "member_role = \"RunAsGuardExecution\"\nregions = [\"eu-west-1\"]\nmode = \"enforce\"\n[default]\nrun_as_user = \"ssm-ops\"\n",
    )
    .unwrap();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("events/document_changed.ssm-update-document.json");
    let mut moved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sample).unwrap()).unwrap();
    moved["region"] = "ap-south-1".into();
    moved["detail"]["awsRegion"] = "ap-south-1".into();
    let elsewhere = dir.join("elsewhere.json");
    std::fs::write(&elsewhere, moved.to_string()).unwrap();
    let explain = |args: &[&std::path::Path]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_runas-guard"))
            .env_remove("AWS_LAMBDA_RUNTIME_API")
            .arg("explain")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let p = std::path::Path::new("--policy");
    // (arguments, the plan)
    let cases: [(Vec<&std::path::Path>, Option<&str>); 3] = [
        (
            vec![p, &policy, &sample],
            Some("would reconcile 111122223333 eu-west-1 (governed, mode enforce, user ssm-ops from default)"),
        ),
        (
            vec![p, &policy, &elsewhere],
            Some("would ignore: region ap-south-1 is not governed by the policy"),
        ),
        (vec![&sample], None),
    ];
    for (args, plan) in cases {
        let said = explain(&args);
        assert_eq!(said["plan"].as_str(), plan, "{said}");
        assert_eq!(said["trigger"], "document_changed", "{said}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// CSV fields as a spreadsheet reads them (RFC 4180 quoting).
fn csv_records(text: &str) -> Vec<Vec<String>> {
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

/// What a spreadsheet would run: a field that starts with = + - @, a tab or
/// a carriage return, unless it is a plain number or a lone `-`.
fn runs_in_a_spreadsheet(field: &str) -> bool {
    let number = field
        .trim_start_matches(['+', '-'])
        .split('.')
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    field.starts_with(['=', '+', '-', '@', '\t', '\r']) && field != "-" && !number
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_reports_make_editor_text_inert_for_a_spreadsheet() {
    let w = World::new().await;
    let link = "=HYPERLINK(\"https://evil.example/re-auth\",\"Re-auth\")";
    let ou = w.create_ou(&w.root, "@SUM(1+1)").await;
    let a = w.create_account(link, Some(&ou)).await;
    w.write_policy(&format!(
        "[[account]]\nid = \"{a}\"\nrun_as_user = \"ssm-ops\"\nmode = \"audit\"\n"
    ));
    w.admin_write(&a, "eu-west-1", &lza_document(&a), true)
        .await;
    let run = w.run(&["reconcile", "--account", &a]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // In audit the document's user is reported as it is: an editor's text.
    w.console_edit(&a, "eu-west-1", "-2+3+cmd|' /C calc'!A0")
        .await;
    let run = w.run(&["reconcile", "--account", &a]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);

    for args in [
        &["status", "--account", &a, "--format", "csv"][..],
        &["reconcile", "--dry-run", "--account", &a, "--format", "csv"][..],
        &["readiness", "--account", &a, "--format", "csv"][..],
    ] {
        let run = w.run(args);
        assert_eq!(run.code, 0, "{args:?}: {}\n{}", run.stdout, run.stderr);
        let records = csv_records(&run.stdout);
        assert!(records.len() >= 2, "{args:?}: {}", run.stdout);
        let fields: Vec<&String> = records.iter().flatten().collect();
        let live: Vec<&&String> = fields.iter().filter(|f| runs_in_a_spreadsheet(f)).collect();
        assert!(live.is_empty(), "{args:?}: {live:?}\n{}", run.stdout);
        // The OU path starts with `Root/`: nothing to do there.
        assert!(
            fields.iter().any(|f| *f == "Root/@SUM(1+1)"),
            "{args:?}: {}",
            run.stdout
        );
    }
    let status = csv_records(
        &w.run(&["status", "--account", &a, "--format", "csv"])
            .stdout,
    );
    let name = status[0].iter().position(|h| h == "name").unwrap();
    let user = status[0].iter().position(|h| h == "observed_user").unwrap();
    assert!(
        status[1..].iter().all(|r| r[name] == format!("'{link}")),
        "{status:?}"
    );
    assert!(
        status[1..]
            .iter()
            .any(|r| r[user] == "'-2+3+cmd|' /C calc'!A0"),
        "{status:?}"
    );
}
