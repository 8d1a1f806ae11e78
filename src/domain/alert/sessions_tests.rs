use super::*;
use crate::domain::alert::Severity;
use crate::domain::sessions::{Read, Session};

const AT: &str = "2026-11-25T10:30:00.000Z";

fn alert(kind: Kind, body: Value) -> Alert {
    let mut b = json!({"region": "eu-west-1", "document": "SSM-SessionManagerRunShell", "at": AT});
    for (k, v) in body.as_object().unwrap() {
        b[k] = v.clone();
    }
    Alert {
        alert_id: "a1".into(),
        kind,
        severity: Severity::Warning,
        account: "111122223333".into(),
        subject: "s".into(),
        body: b,
    }
}

#[test]
fn a_windows_alert_asks_for_each_window_open_ones_to_now() {
    let a = alert(
        Kind::RunAsWindow,
        json!({"windows": [
            {"version": "2", "from": "2026-11-25T10:00:00.000Z", "until_known": "2026-11-25T10:05:00.000Z"},
            {"version": "4", "from": "2026-11-25T10:10:00.000Z"},
            {"version": "5", "from": "2026-11-25T10:11:00.000Z", "until_at_most": "2026-11-25T10:12:00.000Z"},
            {"version": "6"}
        ]}),
    );
    let asked = asked(&a).unwrap();
    assert_eq!(asked.made, None);
    assert_eq!(
        asked.windows[0].1, "2026-11-25T10:05:00.000Z",
        "the switch an event says"
    );
    assert_eq!(asked.windows[1].1, AT, "no end said: to now");
    assert_eq!(
        asked.windows[2].1, "2026-11-25T10:12:00.000Z",
        "the latest it can have held"
    );
    let spans = asked.spans(None).unwrap();
    assert_eq!(
        spans.bounds(),
        ("2026-11-25T10:00:00.000Z".into(), AT.into()),
        "a window with no known opening is left out"
    );
}

#[test]
fn an_edit_is_asked_from_its_event_or_from_the_version_found() {
    let event = alert(
        Kind::DriftReverted,
        json!({"found_by": "document_changed", "event_time": "2026-11-25T10:20:00Z",
               "versions_before": {"default": "5", "latest": "5"}}),
    );
    let a = asked(&event).unwrap();
    assert_eq!(
        (a.windows.clone(), a.made),
        (vec![(Some("2026-11-25T10:20:00Z".into()), AT.into())], None)
    );
    // A follow-up: to the put-back that came first.
    let follow_up = alert(
        Kind::TamperRepeated,
        json!({"found_by": "document_changed", "event_time": "2026-11-25T10:20:00Z",
               "follow_up_of": {"put_back_at": "2026-11-25T10:21:00.000Z"}}),
    );
    assert_eq!(
        asked(&follow_up).unwrap().windows[0].1,
        "2026-11-25T10:21:00.000Z"
    );
    // In audit nothing was put back: the version may still be the default,
    // so a follow-up's window runs to the follow-up (seed 900252).
    let audit_follow_up = alert(
        Kind::DriftDetected,
        json!({"found_by": "document_changed", "event_time": "2026-11-25T10:20:00Z",
               "follow_up_of": {"put_back_at": "2026-11-25T10:21:00.000Z"}}),
    );
    assert_eq!(asked(&audit_follow_up).unwrap().windows[0].1, AT);
    // A sweep's find: from the making of the version it found.
    let sweep = alert(
        Kind::DriftDetected,
        json!({"found_by": "sweep", "event_time": null,
               "versions_before": {"default": "5", "latest": "6"}}),
    );
    let a = asked(&sweep).unwrap();
    assert_eq!(a.made.as_deref(), Some("5"));
    assert_eq!(a.spans(None), Err(OPENING_UNKNOWN.to_string()));
    let spans = a.spans(Some("2026-11-25T10:10:00.000Z")).unwrap();
    assert_eq!(spans.bounds().0, "2026-11-25T10:10:00.000Z");
}

/// An edit's window opens at its event only where the event made the
/// version found (or made it the default); otherwise at the making of the
/// version found (seed 900216: the default's own events lost, another
/// edit's event that made a newer latest brought the run).
#[test]
fn an_edits_window_opens_at_its_event_only_where_the_event_made_the_version_found() {
    const EVENT: &str = "2026-11-25T10:20:00Z";
    type Case<'a> = (&'a str, Value, Option<&'a str>);
    let cases: &[Case] = &[
        (
            "the event made the default found",
            json!({"event_version": "5", "versions_before": {"default": "5", "latest": "5"}}),
            None,
        ),
        (
            "the event made a newer latest; the default found is older",
            json!({"event_version": "6", "versions_before": {"default": "5", "latest": "6"}}),
            Some("5"),
        ),
        (
            "a switch to another version than the default found",
            json!({"event_version": "3", "versions_before": {"default": "5", "latest": "5"}}),
            Some("5"),
        ),
        (
            "the latest alone found, made by the event",
            json!({"event_version": "6", "latest_only": true,
                   "versions_before": {"default": "5", "latest": "6"}}),
            None,
        ),
        (
            "a follow-up: the event made the version the put-back replaced",
            json!({"event_version": "6", "follow_up_of": {"version_replaced": "6"},
                   "versions_before": {"default": "7", "latest": "7"}}),
            None,
        ),
        (
            "a follow-up whose put-back named no version: the event's word",
            json!({"event_version": "6", "follow_up_of": {"version_replaced": null},
                   "versions_before": {"default": "7", "latest": "7"}}),
            None,
        ),
        (
            "the latest alone found, made by another edit than the event's",
            json!({"event_version": "4", "latest_only": true,
                   "versions_before": {"default": "5", "latest": "6"}}),
            Some("6"),
        ),
        (
            "a follow-up whose event made another version than the one put back",
            json!({"event_version": "5", "follow_up_of": {"version_replaced": "6"},
                   "versions_before": {"default": "7", "latest": "7"}}),
            Some("6"),
        ),
        (
            "an event that names no version: its word",
            json!({"versions_before": {"default": "5", "latest": "6"}}),
            None,
        ),
        (
            "hostile: a number that is no version",
            json!({"event_version": "", "versions_before": {"default": "5", "latest": "5"}}),
            None,
        ),
    ];
    for (why, extra, made) in cases {
        let mut body = json!({"found_by": "document_changed", "event_time": EVENT});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let a = asked(&alert(Kind::DriftReverted, body)).unwrap();
        let from_event = made.is_none().then(|| EVENT.to_string());
        assert_eq!(
            (a.windows[0].0.clone(), a.made.as_deref()),
            (from_event, *made),
            "{why}"
        );
    }
    assert!(event_made(Some("5"), Some("5")));
    assert!(!event_made(Some("6"), Some("5")));
    assert!(event_made(None, Some("5")) && event_made(Some("5"), None));
}

#[test]
fn other_alerts_and_several_regions_ask_nothing() {
    let summary = alert(Kind::SweepSummary, json!({}));
    assert_eq!(asked(&summary), None);
    let findings = alert(Kind::DriftDetected, json!({"regions": []}));
    assert_eq!(asked(&findings), None);
    let no_region = alert(Kind::DriftReverted, json!({"region": null}));
    assert_eq!(asked(&no_region), None);
}

#[test]
fn a_put_back_of_the_latest_alone_is_asked_as_any_edit() {
    // The default may move to the latest while it is put back: the
    // sessions of the edit's window are listed all the same (simulation 50).
    let body = |latest_only: Value| {
        json!({"found_by": "document_changed", "event_time": "2026-11-25T10:20:00Z",
               "versions_before": {"default": "5", "latest": "6"}, "latest_only": latest_only})
    };
    for kind in [
        Kind::DriftReverted,
        Kind::DriftDetected,
        Kind::TamperRepeated,
    ] {
        let with = asked(&alert(kind, body(json!(true)))).unwrap();
        let without = asked(&alert(kind, body(Value::Null))).unwrap();
        assert_eq!(with.windows, without.windows, "{kind:?}");
    }
}

/// A session of mallory's, started at 10:01 on the node.
fn mallorys(id: &str) -> Session {
    Session {
        session_id: id.into(),
        owner: "arn:aws:sts::111122223333:assumed-role/Admin/mallory".into(),
        target: "i-0123456789abcdef0".into(),
        started: "2026-11-25T10:01:00.000Z".into(),
        ended: None,
        status: "Connected".into(),
        document: None,
    }
}

#[test]
fn the_listing_is_data_and_text_and_a_failed_read_is_said() {
    let spans = Spans::of(&[("2026-11-25T10:00:00.000Z", AT)]).unwrap();
    let read = Read {
        sessions: vec![mallorys("mallory-0123")],
        truncated: true,
    };
    let listing = crate::domain::sessions::select(&spans, read);
    let a = tell(
        alert(Kind::RunAsWindow, json!({})),
        Told::Listed(spans, listing),
    );
    assert_eq!(
        a.body["sessions"][0]["owner"],
        "arn:aws:sts::111122223333:assumed-role/Admin/mallory"
    );
    assert_eq!(a.body["sessions_from"], "2026-11-25T10:00:00.000Z");
    assert_eq!(a.body["sessions_truncated"], true);
    assert!(a.body.get("sessions_more").is_none());
    let lines = text_lines(&a.body);
    assert!(lines[0].ends_with(": 1 or more"), "{lines:?}");
    assert!(lines[1].contains("assumed-role/Admin/mallory on i-0123456789abcdef0"));
    let unread = tell(
        alert(Kind::DriftReverted, json!({})),
        Told::Unread("AccessDeniedException".into()),
    );
    assert_eq!(unread.body["sessions_unread"], "AccessDeniedException");
    assert!(unread.body.get("sessions").is_none());
    assert!(text_lines(&unread.body)[0].contains("could not be read (AccessDeniedException)"));
    assert!(text_lines(&json!({})).is_empty());
}

#[test]
fn a_finding_and_an_alert_ask_for_the_same_windows_whatever_now_each_says() {
    let asked = |region: &str, windows: &[(Option<&str>, &str)], made: Option<&str>| Asked {
        region: region.into(),
        document: "SSM-SessionManagerRunShell".into(),
        windows: windows
            .iter()
            .map(|(f, u)| (f.map(String::from), u.to_string()))
            .collect(),
        made: made.map(String::from),
    };
    let from = Some("2026-11-25T10:00:00.000Z");
    let edit = asked("eu-west-1", &[(from, "2026-11-25T10:30:00.000Z")], None);
    // (why, the other's ask, the same windows)
    let cases = [
        (
            "its alert, a moment later",
            asked("eu-west-1", &[(from, "2026-11-25T10:30:00.250Z")], None),
            true,
        ),
        (
            "another region",
            asked("us-east-1", &[(from, "2026-11-25T10:30:00.000Z")], None),
            false,
        ),
        (
            "opened at another moment",
            asked("eu-west-1", &[(Some("2026-11-25T10:01:00.000Z"), AT)], None),
            false,
        ),
        (
            "opened by a version's making",
            asked("eu-west-1", &[(None, AT)], Some("3")),
            false,
        ),
        (
            "one window more",
            asked("eu-west-1", &[(from, AT), (Some(AT), AT)], None),
            false,
        ),
    ];
    for (why, other, same) in cases {
        assert_eq!(edit.same_windows(&other), same, "{why}");
        assert_eq!(other.same_windows(&edit), same, "{why}: both ways");
    }
    let mut doc = edit.clone();
    doc.document = "Team-Shell".into();
    assert!(!edit.same_windows(&doc), "another document");
}

#[test]
fn a_configuration_asks_for_each_region_whose_out_of_policy_default_it_put_back() {
    let configured = |regions: Value| {
        let mut a = alert(Kind::AccountConfigured, json!({ "regions": regions }));
        a.body.as_object_mut().unwrap().remove("region");
        a.body.as_object_mut().unwrap().remove("document");
        a
    };
    let put_back =
        json!({"region": "eu-west-1", "versions_before": {"default": "3", "latest": "4"}});
    let doc = json!({"region": "us-east-1", "document": "Custom-Shell", "versions_before": {"default": "1", "latest": "1"}});
    // (regions, what is asked: (index, region, document, version made))
    type Want<'a> = Vec<(usize, &'a str, &'a str, &'a str)>;
    let cases: Vec<(Value, Want)> = vec![
        (
            json!([put_back]),
            vec![(0, "eu-west-1", "SSM-SessionManagerRunShell", "3")],
        ),
        (
            json!([{"region": "us-east-1"}, put_back, doc]),
            vec![
                (1, "eu-west-1", "SSM-SessionManagerRunShell", "3"),
                (2, "us-east-1", "Custom-Shell", "1"),
            ],
        ),
        // Nothing put back (right already, created, latest only): no window.
        (
            json!([{"region": "eu-west-1", "action": "created"}]),
            vec![],
        ),
        (
            json!([{"region": "eu-west-1", "versions_before": {"latest": "2"}}]),
            vec![],
        ),
        (
            json!([{"versions_before": {"default": "2", "latest": "2"}}]),
            vec![],
        ),
        (
            json!([{"region": "", "versions_before": {"default": "2"}}]),
            vec![],
        ),
        (json!("not a list"), vec![]),
        (json!([]), vec![]),
    ];
    for (regions, want) in cases {
        let got: Vec<_> = asks(&configured(regions.clone()))
            .into_iter()
            .map(|(place, a)| {
                assert_eq!(a.windows, vec![(None, AT.to_string())], "{regions}");
                (place, a.region, a.document, a.made.unwrap())
            })
            .collect();
        let want: Vec<_> = want
            .into_iter()
            .map(|(i, r, d, v)| {
                (
                    Place::Region(i),
                    r.to_string(),
                    d.to_string(),
                    v.to_string(),
                )
            })
            .collect();
        assert_eq!(got, want, "{regions}");
    }
    // Another kind with regions asks nothing per region.
    let failed = alert(Kind::RemediationFailed, json!({"regions": [put_back]}));
    let mut failed = failed;
    failed.body.as_object_mut().unwrap().remove("region");
    assert!(asks(&failed).is_empty());
    // An alert of one region asks for its own windows, as before.
    let edit = alert(
        Kind::DriftDetected,
        json!({"versions_before": {"default": "5", "latest": "5"}}),
    );
    assert_eq!(asks(&edit)[0].0, Place::Alert);
}

#[test]
fn a_configuration_lists_sessions_in_their_region_and_is_a_warning_only_where_one_ran() {
    let spans = Spans::of(&[("2026-11-25T10:00:00.000Z", AT)]).unwrap();
    let read = |ids: &[&str]| Read {
        sessions: ids.iter().map(|id| mallorys(id)).collect(),
        truncated: false,
    };
    let configured = || {
        let mut a = alert(
            Kind::AccountConfigured,
            json!({"severity": "info", "regions": [{"region": "us-east-1"}, {"region": "eu-west-1"}]}),
        );
        a.severity = Severity::Info;
        a
    };
    let listing = |ids: &[&str]| {
        Told::Listed(
            spans.clone(),
            crate::domain::sessions::select(&spans, read(ids)),
        )
    };
    let ran = tell_at(configured(), Place::Region(1), listing(&["mallory-1"]));
    assert_eq!(
        ran.body["regions"][1]["sessions"][0]["session_id"],
        "mallory-1"
    );
    assert!(ran.body["regions"][0].get("sessions").is_none());
    assert!(
        ran.body.get("sessions").is_none(),
        "said in its region, not the alert's"
    );
    assert_eq!(
        (ran.severity, ran.body["severity"].as_str()),
        (Severity::Warning, Some("warning"))
    );
    let quiet = tell_at(configured(), Place::Region(0), listing(&[]));
    assert_eq!(quiet.body["regions"][0]["sessions"], json!([]));
    assert_eq!(
        (quiet.severity, quiet.body["severity"].as_str()),
        (Severity::Info, Some("info"))
    );
    let unread = tell_at(
        configured(),
        Place::Region(1),
        Told::Unread("ThrottlingException".into()),
    );
    assert_eq!(
        unread.body["regions"][1]["sessions_unread"],
        "ThrottlingException"
    );
    assert_eq!(unread.severity, Severity::Info);
    // A place past the regions changes nothing.
    let beyond = tell_at(configured(), Place::Region(7), listing(&["mallory-1"]));
    assert!(beyond.body["regions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e.get("sessions").is_none()));
    let lines = super::super::guidance::plain_text(&ran);
    assert!(
        lines.contains("In eu-west-1:\nSessions started in the window"),
        "{lines}"
    );
}
