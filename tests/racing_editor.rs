//! The racing editor is named: an edit event whose run starts while a
//! sweep holds the put-back of that edit (its rows read before the sweep's
//! mark existed, its document read after the put-back) reads the region's
//! item again once the sweep's write is recorded, and names the editor in
//! one follow-up counted toward `tamper_repeated`. The race is made to
//! happen at the fault proxy: the sweep's mark is held until the event's
//! run has found the document right.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

const R: &str = "eu-west-1";

/// An edit event of `account`'s document by role Breakglass, made at `at`.
fn edit_event(account: &str, at: &str) -> Value {
    let mut e = doc_event_as("UpdateDocument", account, R, "Breakglass", "mallory");
    e["detail"]["eventTime"] = json!(at);
    e
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edit_event_beside_the_sweep_that_puts_it_back_names_the_editor_once() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let made = w.console_edit(&account, R, "root").await;
    let edited_at = cloudtrail_now();
    let (_, edited, _) = w.document(&account, R).await.unwrap();
    proxy.faults(json!([
        // The sweep has put the edit back and holds its lease; its mark waits.
        {"name": "mark", "service": "dynamodb", "action": "UpdateItem",
         "contains": "SET #mark", "effect": "hold", "times": 1, "hold_timeout": 120},
        // The event's run reading the item again.
        {"name": "again", "service": "dynamodb", "action": "GetItem",
         "contains": "unnamed_v", "effect": "count"}
    ]));
    let sweep = w.handle_in_background(&sweep_event());
    assert!(
        proxy.wait("mark", "held", 1, 90),
        "the sweep never reached its mark: {}",
        proxy.hits()
    );
    let (fixed, put_back, _) = w.document(&account, R).await.unwrap();
    assert_eq!(
        run_as(&fixed).1,
        json!("ssm-ops"),
        "put back before the mark"
    );
    assert_ne!(put_back, edited);

    // The edit's event arrives now: its run reads the rows (no mark yet)
    // and finds the document already right.
    let event = w.handle_in_background(&making(edit_event(&account, &edited_at), &made));
    let started = Instant::now();
    while !event.is_finished()
        && proxy.hits()["again"]["hits"].as_u64().unwrap_or(0) == 0
        && started.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    proxy.release("mark");
    let (sweep, event) = (sweep.join().unwrap(), event.join().unwrap());
    assert_eq!(sweep.code, 0, "{}\n{}", sweep.stdout, sweep.stderr);
    assert_eq!(event.code, 0, "{}\n{}", event.stdout, event.stderr);
    assert!(proxy.hits()["mark"]["hits"].as_u64() >= Some(1));

    let alerts = w.alerts().await;
    let drift = of_kind(&alerts, "drift_reverted");
    let (named, unnamed): (Vec<&&Value>, Vec<&&Value>) = drift
        .iter()
        .partition(|a| a["message"]["actor"].is_string());
    // The sweep's own alert names no one (the control: told once).
    assert_eq!(unnamed.len(), 1, "{alerts:#?}");
    assert_eq!(unnamed[0]["message"]["found_by"], "sweep");
    // The event names the editor, once.
    assert_eq!(
        named.len(),
        1,
        "the racing editor is named once: {alerts:#?}"
    );
    let m = &named[0]["message"];
    assert!(
        m["actor"].as_str().unwrap().ends_with(":role/Breakglass"),
        "{m:#}"
    );
    assert_eq!(m["before"]["runAsDefaultUser"], "root");
    assert_eq!(m["follow_up_of"]["found_by"], "sweep");
    assert_eq!(m["reverts_last_hour"], 1, "counted toward tamper_repeated");
    assert!(!m["note"].as_str().unwrap().contains("check that"), "{m:#}");
    let state = w.state(&account, R).await.unwrap();
    assert!(
        !state.keys().any(|k| k.starts_with("unnamed_")),
        "{state:#?}"
    );
    assert!(state.contains_key("reverts_at"), "{state:#?}");
    // Nothing written again.
    assert_eq!(w.document(&account, R).await.unwrap().1, put_back);

    // The next sweep and the event delivered again stay quiet.
    drop(proxy);
    w.set_env("AWS_ENDPOINT_URL", &w.moto.url.clone());
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let after = w.alerts().await;
    assert!(of_kind(&after, "drift_reverted").is_empty(), "{after:#?}");
}

/// Simulation seed 900363: two editors' versions, each put back by a sweep
/// before its editor's events arrive. Each put-back keeps its own mark (one
/// per version replaced), so each editor's late event names them, once.
/// Before, the second mark replaced the first, and the first editor was
/// never named.
#[tokio::test(flavor = "multi_thread")]
async fn two_put_backs_before_their_editors_events_name_each_editor_once() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    let mut edits = Vec::new();
    for (user, role, session) in [("root", "Admin", "jane"), ("alice", "Breakglass", "bob")] {
        let version = w.console_edit(&account, R, user).await;
        edits.push((version, cloudtrail_now(), role, session));
        let (code, out) = w.handle(&sweep_event());
        assert_eq!(code, 0, "{out:#}");
        let swept = w.alerts().await;
        let reverted = of_kind(&swept, "drift_reverted");
        assert_eq!(reverted.len(), 1, "{swept:#?}");
        assert!(reverted[0]["message"]["actor"].is_null());
    }
    let state = w.state(&account, R).await.unwrap();
    for (version, ..) in &edits {
        assert!(
            state.contains_key(&format!("unnamed_v{version}")),
            "{state:#?}"
        );
    }
    for (version, at, role, session) in &edits {
        let mut e = doc_event_as("UpdateDocument", &account, R, role, session);
        e["detail"]["eventTime"] = json!(at);
        let event = making(e, version);
        for _ in 0..2 {
            let (code, out) = w.handle(&event);
            assert_eq!(code, 0, "{out:#}");
        }
        let named = w.alerts().await;
        assert_eq!(named.len(), 1, "{role} named once: {named:#?}");
        let m = &named[0]["message"];
        let actor = m["actor"].as_str().unwrap();
        assert!(actor.ends_with(&format!(":role/{role}")), "{m:#}");
        assert_eq!(m["follow_up_of"]["version_replaced"], version.as_str());
    }
    let state = w.state(&account, R).await.unwrap();
    assert!(
        !state.keys().any(|k| k.starts_with("unnamed_")),
        "{state:#?}"
    );
}
