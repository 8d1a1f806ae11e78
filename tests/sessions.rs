//! Every window the guard tells lists the Session Manager sessions started
//! in it (DescribeSessions, Active and History), with owner and target, and
//! not one started before it: a root window closed before any run looked,
//! an edit a sweep found and put back. A history AWS refuses to read still
//! gives the alert, saying why its sessions are missing; a quiet sweep reads
//! none. Sessions are started through the tests' local AWS
//! (tests/moto_ssm_sessions.py), as an operator would start them.

use crate::common;

use common::proxy::Proxy;
use common::*;
use serde_json::{json, Value};

const R: &str = "eu-west-1";
const NODE: &str = "i-0123456789abcdef0";

impl World {
    /// A session started now in `account`/`region` by the `Admin` role as
    /// `who` (its session name); the session's id.
    pub(crate) async fn start_session(&self, account: &str, region: &str, who: &str) -> String {
        let session = runas_guard::adapters::aws::sts::Sts::new(&self.cfg)
            .assume(account, &["Admin"], who, None)
            .await
            .unwrap();
        let started = session
            .ssm(region)
            .start_session()
            .target(NODE)
            .send()
            .await
            .unwrap();
        started.session_id().unwrap().to_string()
    }

    /// The sessions' emulated calls so far (the local AWS counts them).
    pub(crate) fn session_calls(&self) -> Value {
        http(self.moto.port(), "GET", "/_emulated/sessions/calls", "").1
    }
}

/// Clock ticks between steps: session start times and version creation
/// times are to the millisecond; a pause keeps "before" before.
pub(crate) async fn tick() {
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
}

fn ids(m: &Value) -> Vec<&str> {
    m["sessions"]
        .as_array()
        .unwrap_or_else(|| panic!("no sessions listed: {m:#}"))
        .iter()
        .map(|s| s["session_id"].as_str().unwrap())
        .collect()
}

/// A configured account where a session started, then root was made the
/// default, then another session started: the account, the session
/// before, root's version and the session during its window.
async fn root_between_two_sessions(w: &World) -> (String, String, String, String) {
    let account = w.configured_and_swept().await;
    let before = w.start_session(&account, R, "early-bird").await;
    tick().await;
    let root = w.console_edit(&account, R, "root").await;
    tick().await;
    let during = w.start_session(&account, R, "mallory").await;
    (account, before, root, during)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_root_window_lists_the_sessions_started_in_it_and_not_before() {
    let w = World::new().await;
    let (account, before, root, during) = root_between_two_sessions(&w).await;
    tick().await;
    w.console_edit(&account, R, "ssm-ops").await;
    // Every event of both edits arrives after the second.
    for name in ["UpdateDocument", "UpdateDocumentDefaultVersion"] {
        let e = doc_event_as(name, &account, R, "Breakglass", "mallory");
        let (code, out) = w.handle(&e);
        assert_eq!(code, 0, "{out:#}");
    }
    let alerts = w.alerts().await;
    let windows = of_kind(&alerts, "run_as_window");
    assert_eq!(windows.len(), 1, "told once: {alerts:#?}");
    let m = &windows[0]["message"];
    assert_eq!(m["windows"][0]["version"], root);
    assert!(m["actor"].as_str().unwrap().ends_with(":role/Breakglass"));
    assert_eq!(ids(m), [during.as_str()], "not {before}: {m:#}");
    let s = &m["sessions"][0];
    assert_eq!(
        s["owner"],
        format!("arn:aws:sts::{account}:assumed-role/Admin/mallory")
    );
    assert_eq!(
        (s["target"].as_str(), s["status"].as_str()),
        (Some(NODE), Some("Connected"))
    );
    assert!(m.get("sessions_unread").is_none(), "{m:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_found_edit_lists_the_sessions_started_since_it_and_a_quiet_sweep_reads_none() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    let before = w.start_session(&account, R, "early-bird").await;
    tick().await;
    w.console_edit(&account, R, "root").await;
    tick().await;
    let during = w.start_session(&account, R, "mallory").await;
    // The account's configuration read its own (since 0.16.0: the sessions
    // under each default it put back); counted from here.
    let configured = w.session_calls()["DescribeSessions"].as_u64().unwrap_or(0);
    // No edit event reaches the hub: the sweep finds and puts it back.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let reverted = of_kind(&alerts, "drift_reverted");
    assert_eq!(reverted.len(), 1, "{alerts:#?}");
    let m = &reverted[0]["message"];
    assert_eq!(
        (m["found_by"].as_str(), m["region"].as_str()),
        (Some("sweep"), Some(R))
    );
    assert_eq!(ids(m), [during.as_str()], "not {before}: {m:#}");
    assert!(m["sessions"][0]["owner"]
        .as_str()
        .unwrap()
        .ends_with("/Admin/mallory"));
    assert!(m["sessions_from"].as_str() <= m["sessions"][0]["started"].as_str());
    // A steady sweep tells nothing and reads no session history.
    let read = w.session_calls()["DescribeSessions"].as_u64().unwrap();
    assert_eq!(
        read - configured,
        2,
        "one page of each state for the one alert"
    );
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert!(w.alerts().await.is_empty());
    assert_eq!(
        w.session_calls()["DescribeSessions"],
        read,
        "a quiet sweep reads none"
    );
}

/// Seed 900216: root made the default, its events lost; the editor then
/// makes a newer latest (not the default), and that edit's event is the
/// first to come. Its run finds root the default: root's window opened at
/// root's making, not at this event, so a session started between is
/// listed (the event made another version; `event_version` says which).
#[tokio::test(flavor = "multi_thread")]
async fn an_event_that_made_another_version_lists_the_sessions_since_the_default_found_was_made() {
    let w = World::new().await;
    let (account, before, root, during) = root_between_two_sessions(&w).await;
    // The next edit a second later: CloudTrail's eventTime is cut to the
    // second, and the session must lie before the event's.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let mut doc = w.document(&account, R).await.unwrap().0;
    doc["inputs"]["runAsDefaultUser"] = json!("alice");
    let latest = w.admin_write(&account, R, &doc, false).await;
    let mut e = doc_event("UpdateDocument", &account, R, "Admin");
    e["detail"]["responseElements"]["documentDescription"]["documentVersion"] = json!(latest);
    let (code, out) = w.handle(&e);
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let reverted = of_kind(&alerts, "drift_reverted");
    assert_eq!(reverted.len(), 1, "{alerts:#?}");
    let m = &reverted[0]["message"];
    assert_eq!(m["versions_before"]["default"], root, "{m:#}");
    assert_eq!(m["event_version"], latest, "{m:#}");
    assert_eq!(ids(m), [during.as_str()], "not {before}: {m:#}");
    assert!(
        m["sessions_from"].as_str() <= m["sessions"][0]["started"].as_str(),
        "from root's making, before the event: {m:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_history_aws_refuses_still_gives_the_alert_saying_why_its_sessions_are_missing() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy: Proxy = w.behind_proxy();
    proxy.faults(
        json!([{"name": "refused", "service": "ssm", "action": "DescribeSessions",
        "status": 400, "code": "AccessDeniedException",
        "message": "User is not authorized to perform: ssm:DescribeSessions"}]),
    );
    w.console_edit(&account, R, "root").await;
    let (code, out) = w.handle(&doc_event_as(
        "UpdateDocumentDefaultVersion",
        &account,
        R,
        "Breakglass",
        "mallory",
    ));
    assert_eq!(code, 0, "{out:#}");
    assert!(
        proxy.hits()["refused"]["hits"].as_u64().unwrap() >= 1,
        "the fault fired: {}",
        proxy.hits()
    );
    let alerts = w.alerts().await;
    let reverted = of_kind(&alerts, "drift_reverted");
    assert_eq!(reverted.len(), 1, "the alert is not lost: {alerts:#?}");
    let m = &reverted[0]["message"];
    assert_eq!(m["sessions_unread"], "AccessDeniedException", "{m:#}");
    assert!(m.get("sessions").is_none(), "{m:#}");
    let (doc, _, _) = w.document(&account, R).await.unwrap();
    assert_eq!(
        run_as(&doc),
        (json!(true), json!("ssm-ops")),
        "put back all the same"
    );
}

/// A window lasts while the version is the default, not until the next
/// version is made: root left the default after the next version existed
/// (making a version and making it the default are two calls). A session
/// started in that time is listed; one started before root, and one after
/// the switch the event says, are not. The window's end is the switch's
/// time, said as known (`until_known`).
#[tokio::test(flavor = "multi_thread")]
async fn a_window_lasts_while_root_is_the_default_not_until_the_next_version_is_made() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    let before = w.start_session(&account, R, "early-bird").await;
    tick().await;
    let root = w.console_edit(&account, R, "root").await;
    tick().await;
    // The next version made, root still the default.
    let mut doc = w.document(&account, R).await.unwrap().0;
    doc["inputs"]["runAsDefaultUser"] = json!("ssm-ops");
    let next = w.admin_write(&account, R, &doc, false).await;
    let (_, default, _) = w.document(&account, R).await.unwrap();
    assert_eq!(default, root, "root is still the default");
    tick().await;
    let during = w.start_session(&account, R, "mallory").await;
    tick().await;
    w.admin_ssm(&account, R)
        .await
        .update_document_default_version()
        .name("SSM-SessionManagerRunShell")
        .document_version(&next)
        .send()
        .await
        .unwrap();
    let mut switch = doc_event_as(
        "UpdateDocumentDefaultVersion",
        &account,
        R,
        "Breakglass",
        "mallory",
    );
    switch["detail"]["requestParameters"]["documentVersion"] = json!(next);
    // CloudTrail's time is cut to the second: a session a second later is
    // after the switch.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let after = w.start_session(&account, R, "late").await;
    let (code, out) = w.handle(&switch);
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let windows = of_kind(&alerts, "run_as_window");
    assert_eq!(windows.len(), 1, "told once: {alerts:#?}");
    let m = &windows[0]["message"];
    let window = &m["windows"][0];
    assert_eq!(window["version"], root, "{m:#}");
    assert_eq!(
        ids(m),
        [during.as_str()],
        "not {before}, not {after}: {m:#}"
    );
    let event_time = switch["detail"]["eventTime"].as_str().unwrap();
    let until = window["until_known"]
        .as_str()
        .unwrap_or_else(|| panic!("{m:#}"));
    assert!(until.starts_with(&event_time[..19]), "{until} {event_time}");
    assert!(window.get("until_at_most").is_none(), "{m:#}");
    // The control: nothing more to tell.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert!(w.alerts().await.is_empty());
}

/// A bad version made but never the default (the latest alone): the
/// put-back says so (`latest_only`, since 0.7.9) and its next steps say the
/// sessions listed ran as the default said; they are listed all the same
/// (since 0.7.10: someone may make that version the default while it is put
/// back). The control: another user made the default is told without
/// `latest_only`, the session started while it was the default listed.
#[tokio::test(flavor = "multi_thread")]
async fn a_bad_latest_never_the_default_says_it_was_the_latest_only() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    let (mut doc, default, _) = w.document(&account, R).await.unwrap();
    doc["inputs"]["runAsDefaultUser"] = json!("root");
    w.admin_write(&account, R, &doc, false).await;
    assert_eq!(
        w.document(&account, R).await.unwrap().1,
        default,
        "root is not the default"
    );
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let reverted = of_kind(&alerts, "drift_reverted");
    assert_eq!(reverted.len(), 1, "told once: {alerts:#?}");
    let m = &reverted[0]["message"];
    assert_eq!(m["latest_only"], true, "{m:#}");
    assert_eq!(m["before"]["runAsDefaultUser"], "root", "{m:#}");
    assert!(
        m.get("sessions_from").is_some(),
        "the edit's window is listed: {m:#}"
    );
    let steps = m["next_steps"].to_string();
    assert!(
        steps.contains("not the default when runas-guard read it")
            && !steps.contains("kept that Run As"),
        "{m:#}"
    );
    let (doc_now, _, _) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc_now), (json!(true), json!("ssm-ops")));

    // The control: another user made the default (root's content is taken),
    // a session started while it was.
    // The event carries the edit's time, whenever it arrives.
    let edit = doc_event("UpdateDocumentDefaultVersion", &account, R, "Admin");
    w.console_edit(&account, R, "ec2-user").await;
    tick().await;
    let during = w.start_session(&account, R, "mallory").await;
    let (code, out) = w.handle(&edit);
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let reverted = of_kind(&alerts, "drift_reverted");
    assert_eq!(reverted.len(), 1, "told once: {alerts:#?}");
    let m = &reverted[0]["message"];
    assert!(m.get("latest_only").is_none(), "{m:#}");
    assert!(ids(m).contains(&during.as_str()), "{m:#}");
    assert!(
        m["next_steps"].to_string().contains("kept that Run As"),
        "{m:#}"
    );
}
