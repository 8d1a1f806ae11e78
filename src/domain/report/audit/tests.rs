//! A scripted month (March 2026) of one organization's records, and what
//! the auditor's report makes of it: accounts joining and leaving (one
//! coming back), two windows (a past version's and an edit put back), a
//! failed region that recovered, a region out of governance, a pending one,
//! rows outside the period, a retried row.

use serde_json::{json, Value};

use super::render::{render, AuditFormat};
use super::told::{Told, ToldSession, ToldWindow};
use super::*;
use crate::domain::governance::{Cause, LeftInPlace, Reason};

pub(super) const HOSTILE: &str =
    "arn:aws:iam::111111111111:role/=HYPERLINK(\"x\")<script>alert(1)</script>";

fn at(iso: &str) -> i64 {
    clock::parse_iso(iso).unwrap()
}

pub(super) fn state(account: &str, region: &str, status: &str, checked: &str) -> StateRow {
    StateRow {
        account: account.into(),
        region: region.into(),
        document: "SSM-SessionManagerRunShell".into(),
        status: status.into(),
        desired_user: Some("ssm-ops".into()),
        observed_user: Some("ssm-ops".into()),
        observed_run_as_enabled: Some(Value::Bool(true)),
        default_version: Some("3".into()),
        last_action: None,
        last_trigger_kind: None,
        last_trigger_id: None,
        last_actor: None,
        last_error_code: None,
        last_error: None,
        last_checked: Some(checked.into()),
        last_changed: None,
        changes: 0,
        nodes: None,
        mode: None,
        held: None,
        held_since: None,
        held_told_at: None,
        ou_path: None,
        canary: None,
    }
}

fn run_as(user: &str) -> Value {
    json!({"runAsEnabled": true, "runAsDefaultUser": user})
}

/// A history row: `status` `remediated`, `reverted`, `noncompliant`, or
/// `told` (then `told` says what).
pub(super) fn row(account: &str, region: &str, when: &str, status: &str, trigger: &str) -> Record {
    Record {
        entry: HistoryEntry {
            at: when.into(),
            account: account.into(),
            region: region.into(),
            document: match region {
                "" => String::new(),
                _ => "SSM-SessionManagerRunShell".into(),
            },
            status: status.into(),
            action: "updated".into(),
            before: run_as("root"),
            after: run_as("ssm-ops"),
            actor: None,
            trigger_id: trigger.into(),
            trigger_kind: "sweep".into(),
            versions_before: None,
            version_after: Some("4".into()),
        },
        told: None,
        expires: clock::parse_iso(when).map(|ms| ms / 1000 + 400 * 86_400),
    }
}

pub(super) fn told(mut r: Record, kind: &str, alert_id: &str, edit: Told) -> Record {
    r.entry.status = "told".into();
    r.entry.action = kind.into();
    r.told = Some(Told {
        kind: kind.into(),
        alert_id: alert_id.into(),
        severity: "warning".into(),
        ..edit
    });
    r
}

fn departure(account: &str, when: &str) -> Departure {
    Departure {
        account: account.into(),
        name: None,
        reason: Reason::OutOfScope,
        cause: Cause::PolicyChanged,
        found_by: "sweep".into(),
        trigger_id: "t-left".into(),
        at: when.into(),
        from_path: None,
        to_path: None,
        from_ou: None,
        to_ou: None,
        exempt_ou: None,
        actor: None,
        left_in_place: LeftInPlace::default(),
    }
}

const A: &str = "111111111111";
const B: &str = "222222222222";
const C: &str = "333333333333";
const D: &str = "444444444444";
const E: &str = "555555555555";

/// The month's records, as the table would hold them.
pub(super) fn month() -> Input {
    let window = Told {
        windows: vec![ToldWindow {
            from: Some("2026-03-09T10:00:00.000Z".into()),
            until: Some("2026-03-09T10:20:00.000Z".into()),
            run_as: "on/root".into(),
            versions: vec!["4".into()],
        }],
        sessions: vec![
            ToldSession {
                session_id: "s-0a1".into(),
                owner: "arn:aws:sts::111111111111:assumed-role/Dev/alice".into(),
                target: "i-0abc".into(),
                started: "2026-03-09T10:05:00Z".into(),
            },
            ToldSession {
                session_id: "s-0a2".into(),
                owner: "arn:aws:sts::111111111111:assumed-role/Dev/bob".into(),
                target: "i-0def".into(),
                started: "2026-03-09T10:07:00Z".into(),
            },
        ],
        sessions_more: 1,
        ..Told::default()
    };
    let mut window_row = told(
        row(A, "eu-west-1", "2026-03-10T06:00:00.000Z", "", "t-sweep-10"),
        "run_as_window",
        "al-window",
        window,
    );
    window_row.entry.actor = Some("arn:aws:iam::111111111111:role/Admin".into());
    let edit = Told {
        windows: vec![ToldWindow {
            from: Some("2026-03-15T08:00:00Z".into()),
            until: Some("2026-03-15T08:00:05.000Z".into()),
            run_as: "on/root".into(),
            versions: vec!["5".into()],
        }],
        ..Told::default()
    };
    let mut put_back = row(
        A,
        "eu-west-1",
        "2026-03-15T08:00:05.000Z",
        "reverted",
        "t-edit-15",
    );
    put_back.entry.actor = Some(HOSTILE.into());
    let mut reverted = told(put_back.clone(), "drift_reverted", "al-edit", edit);
    reverted.entry.trigger_kind = "document_changed".into();
    let failed = |when: &str, id: &str| {
        let f = Told {
            reason: Some("failed".into()),
            detail: Some("AccessDenied: not authorized".into()),
            ..Told::default()
        };
        told(
            row(A, "us-east-1", when, "", id),
            "remediation_failed",
            &format!("al-{id}"),
            f,
        )
    };
    let left = |account: &str, when: &str, reason: &str| {
        let l = Told {
            reason: Some(reason.into()),
            detail: Some(format!("left: {reason}")),
            ..Told::default()
        };
        told(
            row(account, "", when, "", &format!("t-left-{account}")),
            "account_left_governance",
            &format!("al-left-{account}"),
            l,
        )
    };
    let mut old_window = told(
        row(D, "eu-west-1", "2026-02-10T06:00:00.000Z", "", "t-feb"),
        "run_as_window",
        "al-feb",
        Told {
            windows: vec![ToldWindow {
                from: Some("2026-02-09T00:00:00Z".into()),
                until: Some("2026-02-09T01:00:00Z".into()),
                run_as: "off/-".into(),
                versions: vec![],
            }],
            ..Told::default()
        },
    );
    old_window.expires = None;
    let records = vec![
        row(
            D,
            "eu-west-1",
            "2026-01-20T00:00:00.000Z",
            "remediated",
            "t-jan",
        ),
        old_window,
        row(
            A,
            "eu-west-1",
            "2026-03-02T09:00:00.000Z",
            "remediated",
            "t-vend-a",
        ),
        row(
            A,
            "us-east-1",
            "2026-03-02T09:00:00.000Z",
            "remediated",
            "t-vend-a",
        ),
        row(
            B,
            "eu-west-1",
            "2026-03-03T09:00:00.000Z",
            "remediated",
            "t-vend-b",
        ),
        failed("2026-03-05T00:00:00.000Z", "t-fail-1"),
        failed("2026-03-06T00:00:00.000Z", "t-fail-2"),
        row(
            A,
            "us-east-1",
            "2026-03-07T12:00:00.000Z",
            "remediated",
            "t-fixed",
        ),
        left(E, "2026-03-08T00:00:00.000Z", "exempt_ou"),
        window_row.clone(),
        // The same alert's row kept again by a retried run.
        window_row,
        row(
            E,
            "eu-west-1",
            "2026-03-12T00:00:00.000Z",
            "remediated",
            "t-back-e",
        ),
        put_back,
        reverted,
        left(B, "2026-03-20T00:00:00.000Z", "out_of_scope"),
    ];
    let mut pending = state(C, "eu-west-1", "pending", "2026-03-30T00:00:00.000Z");
    pending.held_since = Some("2026-03-28T00:00:00.000Z".into());
    pending.last_error_code = Some("AccessDenied".into());
    pending.last_error = Some("member role not there yet".into());
    let mut e = state(E, "eu-west-1", "compliant", "2026-03-30T00:00:00.000Z");
    e.last_changed = Some("2026-03-12T00:00:00.000Z".into());
    Input {
        period: Period {
            since: at("2026-03-01T00:00:00Z"),
            until: at("2026-04-01T00:00:00Z"),
        },
        generated_at: "2026-04-02T00:00:00.000Z".into(),
        guard_version: "9.9.9".into(),
        retention_setting_days: None,
        states: vec![
            state(A, "eu-west-1", "compliant", "2026-03-30T00:00:00.000Z"),
            state(A, "us-east-1", "compliant", "2026-03-30T00:00:00.000Z"),
            state(B, "eu-west-1", "compliant", "2026-03-19T00:00:00.000Z"),
            pending,
            state(D, "eu-west-1", "compliant", "2026-02-27T00:00:00.000Z"),
            e,
        ],
        records,
        departures: vec![departure(B, "2026-03-20T00:00:00.000Z")],
    }
}

type Gaps<'a> = &'a [(&'a str, &'a str, Option<&'a str>, bool)];

#[test]
fn a_scripted_month_gives_each_account_region_its_facts() {
    let report = build(month());
    // (account, region, status, windows, put-backs and configured, gaps: why, from, until, governed)
    let cases: &[(&str, &str, &str, usize, usize, Gaps)] = &[
        (A, "eu-west-1", "compliant", 2, 2, &[]),
        (
            A,
            "us-east-1",
            "compliant",
            0,
            2,
            &[(
                "failed",
                "2026-03-05T00:00:00.000Z",
                Some("2026-03-07T12:00:00.000Z"),
                true,
            )],
        ),
        (
            B,
            "eu-west-1",
            "compliant",
            0,
            1,
            &[("out_of_scope", "2026-03-20T00:00:00.000Z", None, false)],
        ),
        (
            C,
            "eu-west-1",
            "pending",
            0,
            0,
            &[("pending", "2026-03-28T00:00:00.000Z", None, true)],
        ),
        (D, "eu-west-1", "compliant", 0, 0, &[]),
        (
            E,
            "eu-west-1",
            "compliant",
            0,
            1,
            &[(
                "excluded",
                "2026-03-08T00:00:00.000Z",
                Some("2026-03-12T00:00:00.000Z"),
                false,
            )],
        ),
    ];
    assert_eq!(report.places.len(), cases.len());
    for (account, region, status, windows, put_backs, gaps) in cases {
        let p = report
            .places
            .iter()
            .find(|p| p.account == *account && p.region == *region)
            .unwrap_or_else(|| panic!("{account} {region}"));
        assert_eq!(p.status, *status, "{account} {region}");
        assert_eq!(
            p.windows.len(),
            *windows,
            "{account} {region} {:?}",
            p.windows
        );
        assert_eq!(
            p.put_backs.len(),
            *put_backs,
            "{account} {region} {:?}",
            p.put_backs
        );
        let got: Vec<(&str, &str, Option<&str>, bool)> = p
            .gaps
            .iter()
            .map(|g| {
                (
                    g.why.as_str(),
                    g.from.as_str(),
                    g.until.as_deref(),
                    g.governed,
                )
            })
            .collect();
        assert_eq!(got, gaps.to_vec(), "{account} {region}");
    }
    let a = &report.places[0];
    let w = &a.windows[0];
    assert_eq!(
        (w.kind.as_str(), w.run_as.as_str()),
        ("run_as_window", "on/root")
    );
    assert_eq!(w.from.as_deref(), Some("2026-03-09T10:00:00.000Z"));
    assert_eq!(w.until.as_deref(), Some("2026-03-09T10:20:00.000Z"));
    assert_eq!(
        w.editor.as_deref(),
        Some("arn:aws:iam::111111111111:role/Admin")
    );
    assert_eq!((w.sessions.len(), w.sessions_more), (2, 1));
    let edit = &a.windows[1];
    assert_eq!(
        (edit.kind.as_str(), edit.editor.as_deref()),
        ("drift_reverted", Some(HOSTILE))
    );
    assert_eq!(a.put_backs[1].status, "reverted");
    assert_eq!(a.put_backs[1].editor.as_deref(), Some(HOSTILE));
    assert_eq!(
        a.put_backs[0].editor, None,
        "a configuration names no editor"
    );
    let t = &report.totals;
    assert_eq!(
        (t.account_regions, t.governed_now, t.verified_in_period),
        (6, 4, 5),
        "{t:?}"
    );
    assert_eq!((t.windows, t.windows_with_sessions, t.sessions), (2, 1, 3));
    assert_eq!((t.put_backs, t.configured), (1, 5));
    assert_eq!((t.not_governed_periods, t.not_verifiable_periods), (2, 2));
    assert_eq!(t.editors.len(), 2);
    assert_eq!(
        report.data.oldest_row.as_deref(),
        Some("2026-01-20T00:00:00.000Z")
    );
    assert_eq!(
        (report.data.retention_days, report.data.retention_from),
        (400, "rows")
    );
    assert!(!report.data.period_before_data);
    assert_eq!(
        (report.since.as_str(), report.until.as_str()),
        ("2026-03-01T00:00:00.000Z", "2026-04-01T00:00:00.000Z")
    );
}

/// Where the data begins: the oldest row; the retention from the newest
/// row's expiry, else the reader's setting, else the default; a period
/// that starts before the oldest row says so.
#[test]
fn the_report_says_where_its_data_begins() {
    // (rows, the setting, oldest row, retention days, from, period before data)
    type Case<'a> = (
        Vec<Record>,
        Option<u64>,
        Option<&'a str>,
        u64,
        &'a str,
        bool,
    );
    let cases: &[Case] = &[
        (vec![], None, None, 90, "default", true),
        (vec![], Some(730), None, 730, "setting", true),
        (
            vec![row(
                A,
                "eu-west-1",
                "2026-03-05T00:00:00.000Z",
                "remediated",
                "t",
            )],
            Some(730),
            Some("2026-03-05T00:00:00.000Z"),
            400,
            "rows",
            true,
        ),
        (
            vec![row(
                A,
                "eu-west-1",
                "2026-02-05T00:00:00.000Z",
                "remediated",
                "t",
            )],
            None,
            Some("2026-02-05T00:00:00.000Z"),
            400,
            "rows",
            false,
        ),
    ];
    for (records, setting, oldest, days, from, before) in cases {
        let mut input = month();
        input.records = records.clone();
        input.retention_setting_days = *setting;
        let d = build(input).data;
        assert_eq!(d.oldest_row.as_deref(), *oldest);
        assert_eq!(
            (d.retention_days, d.retention_from, d.period_before_data),
            (*days, *from, *before),
            "{records:?}"
        );
    }
}

/// A period that excludes the month's events shows the places without them.
#[test]
fn facts_outside_the_period_are_left_out() {
    let mut input = month();
    input.period = Period {
        since: at("2026-03-21T00:00:00Z"),
        until: at("2026-03-27T00:00:00Z"),
    };
    let report = build(input);
    assert_eq!(report.totals.windows, 0);
    assert_eq!(report.totals.put_backs + report.totals.configured, 0);
    let gaps: Vec<&str> = report
        .places
        .iter()
        .flat_map(|p| p.gaps.iter().map(|g| g.why.as_str()))
        .collect();
    assert_eq!(
        gaps,
        vec!["out_of_scope"],
        "B is still out; C's pending began later"
    );
}

/// The same facts in each format, editor text made inert in each.
#[test]
fn csv_json_and_html_carry_the_same_facts() {
    let report = build(month());
    let csv = render(&report, AuditFormat::Csv);
    let json: Value = serde_json::from_str(&render(&report, AuditFormat::Json)).unwrap();
    let html = render(&report, AuditFormat::Html);
    for fact in [
        "s-0a1",
        "s-0a2",
        "i-0def",
        "role/Admin",
        "out_of_scope",
        "excluded",
        "pending",
        "AccessDenied",
        "9.9.9",
        "2026-01-20T00:00:00.000Z",
        "2026-03-09T10:20:00.000Z",
        "on/root",
    ] {
        assert!(csv.contains(fact), "csv lacks {fact}");
        assert!(json.to_string().contains(fact), "json lacks {fact}");
        assert!(html.contains(fact), "html lacks {fact}");
    }
    assert_eq!(json["places"][0]["windows"][1]["editor"], HOSTILE);
    assert_eq!(json["totals"]["windows"], 2);
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("=HYPERLINK(&quot;x&quot;)"));
    assert!(csv.contains("role/=HYPERLINK(\"\"x\"\")<script>"), "{csv}");
    // One CSV line per fact: 8 meta, 11 totals, 6 places, 2 windows, 6 changes, 4 gaps.
    let count = |record: &str| {
        csv.lines()
            .filter(|l| l.starts_with(&format!("{record},")))
            .count()
    };
    assert_eq!(
        [
            count("meta"),
            count("total"),
            count("place"),
            count("window"),
            count("put_back"),
            count("gap")
        ],
        [8, 11, 6, 2, 6, 4]
    );
    assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href="));
    assert!(html.contains("@media print"));
}

/// A cell a spreadsheet would run gets a leading apostrophe.
#[test]
fn an_editor_that_reads_as_a_formula_is_inert_in_csv() {
    let mut input = month();
    for r in input
        .records
        .iter_mut()
        .filter(|r| r.entry.actor.as_deref() == Some(HOSTILE))
    {
        r.entry.actor = Some("=cmd|' /C calc'!A0".into());
    }
    let csv = render(&build(input), AuditFormat::Csv);
    assert!(csv.contains(",'=cmd|' /C calc'!A0,"), "{csv}");
    assert!(!csv.contains(",=cmd"), "{csv}");
}
