//! Told rows from alerts: each kind the report reads.
use super::*;
use crate::domain::alert::{sample, Severity};
use serde_json::json;

fn alert(kind: Kind, body: Value) -> Alert {
    Alert {
        kind,
        severity: Severity::Critical,
        body,
        ..sample("al-1", "subject")
    }
}

/// Each kind the report reads leaves its rows: a window's spans and
/// sessions, an edit's span (open while only seen), a failure per
/// region, a departure for the account; other kinds leave none.
#[test]
fn each_told_kind_leaves_its_rows() {
    let base = json!({"at": "2026-03-10T06:00:00.000Z", "actor": "arn:aws:iam::111122223333:role/Admin",
        "trigger_id": "t-1", "trigger_kind": "document_changed", "region": "eu-west-1",
        "document": "SSM-SessionManagerRunShell", "found_by": "document_changed",
        "event_time": "2026-03-10T05:59:00Z",
        "before": {"runAsEnabled": true, "runAsDefaultUser": "root"},
        "versions_before": {"default": "4", "latest": "4"},
        "sessions": [{"session_id": "s-1", "owner": "o", "target": "i-1", "started": "2026-03-10T05:59:30Z"}],
        "sessions_more": 2});
    let with = |extra: Value| {
        let mut b = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let window = with(json!({"windows": [
        {"version": "3", "run_as": {"runAsEnabled": true, "runAsDefaultUser": "root"}, "from": "2026-03-09T10:00:00Z", "until_known": "2026-03-09T10:20:00Z"},
        {"version": "5", "run_as": {"runAsEnabled": false}, "from": "2026-03-09T11:00:00Z", "until_at_most": "2026-03-10T06:00:00.000Z"}]}));
    let failed = with(
        json!({"region": null, "failed_regions": ["us-east-1", "eu-west-1 SSMRunAs-Admin"],
        "errors": {"us-east-1": {"code": "AccessDenied", "message": "no"}}}),
    );
    let left = with(json!({"region": null, "reason": "exempt_ou", "why": "in an exempt OU"}));
    // (kind, body, rows: region, document, windows (from, until, run_as), reason, detail)
    type Want<'a> = Vec<(
        &'a str,
        Option<&'a str>,
        Vec<(Option<&'a str>, Option<&'a str>, &'a str)>,
        Option<&'a str>,
        Option<&'a str>,
    )>;
    let doc = Some("SSM-SessionManagerRunShell");
    let cases: Vec<(Kind, Value, Want)> = vec![
        (
            Kind::RunAsWindow,
            window,
            vec![(
                "eu-west-1",
                doc,
                vec![
                    (
                        Some("2026-03-09T10:00:00Z"),
                        Some("2026-03-09T10:20:00Z"),
                        "on/root",
                    ),
                    (
                        Some("2026-03-09T11:00:00Z"),
                        Some("2026-03-10T06:00:00.000Z"),
                        "off/-",
                    ),
                ],
                None,
                None,
            )],
        ),
        (
            Kind::DriftReverted,
            base.clone(),
            vec![(
                "eu-west-1",
                doc,
                vec![(
                    Some("2026-03-10T05:59:00Z"),
                    Some("2026-03-10T06:00:00.000Z"),
                    "on/root",
                )],
                None,
                None,
            )],
        ),
        (
            Kind::DriftDetected,
            base.clone(),
            vec![(
                "eu-west-1",
                doc,
                vec![(Some("2026-03-10T05:59:00Z"), None, "on/root")],
                None,
                None,
            )],
        ),
        (
            Kind::DriftReverted,
            with(json!({"found_by": "sweep"})),
            vec![(
                "eu-west-1",
                doc,
                vec![(None, Some("2026-03-10T06:00:00.000Z"), "on/root")],
                None,
                None,
            )],
        ),
        (
            Kind::RemediationFailed,
            failed,
            vec![
                (
                    "us-east-1",
                    None,
                    vec![],
                    Some("failed"),
                    Some("AccessDenied: no"),
                ),
                (
                    "eu-west-1",
                    Some("SSMRunAs-Admin"),
                    vec![],
                    Some("failed"),
                    None,
                ),
            ],
        ),
        (
            Kind::AccountLeftGovernance,
            left,
            vec![("", None, vec![], Some("exempt_ou"), Some("in an exempt OU"))],
        ),
        (Kind::SweepSummary, base.clone(), vec![]),
        (Kind::RunAsBypass, base.clone(), vec![]),
    ];
    for (kind, body, want) in cases {
        let rows = told_rows(&alert(kind, body));
        let got: Want = rows
            .iter()
            .map(|r| {
                let spans = r
                    .told
                    .windows
                    .iter()
                    .map(|w| (w.from.as_deref(), w.until.as_deref(), w.run_as.as_str()))
                    .collect();
                (
                    r.region.as_str(),
                    r.document.as_deref(),
                    spans,
                    r.told.reason.as_deref(),
                    r.told.detail.as_deref(),
                )
            })
            .collect();
        assert_eq!(got, want, "{kind:?}");
        for r in &rows {
            assert_eq!(
                (
                    r.told.kind.as_str(),
                    r.told.alert_id.as_str(),
                    r.told.severity.as_str()
                ),
                (kind.as_str(), "al-1", "critical")
            );
            assert_eq!(
                (r.at.as_str(), r.trigger_id.as_str()),
                ("2026-03-10T06:00:00.000Z", "t-1")
            );
            assert_eq!(
                r.actor.as_deref(),
                Some("arn:aws:iam::111122223333:role/Admin")
            );
            assert_eq!((r.told.sessions.len(), r.told.sessions_more), (1, 2));
        }
    }
}

#[test]
fn kept_sessions_are_bounded_and_counted() {
    let sessions: Vec<Value> = (0..MAX_KEPT_SESSIONS + 7)
        .map(|i| json!({"session_id": format!("s-{i}")}))
        .collect();
    let body = json!({"region": "eu-west-1", "at": "2026-03-10T06:00:00.000Z", "sessions": sessions, "sessions_more": 3, "before": null});
    let rows = told_rows(&alert(Kind::DriftReverted, body));
    assert_eq!(
        (rows[0].told.sessions.len(), rows[0].told.sessions_more),
        (MAX_KEPT_SESSIONS, 10)
    );
    let back: Told = serde_json::from_str(&serde_json::to_string(&rows[0].told).unwrap()).unwrap();
    assert_eq!(back, rows[0].told, "a told row reads back as written");
}
