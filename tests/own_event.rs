//! The event of runas-guard's own write names nobody (simulation seed 3):
//! an edit that lands between our write and our write's CloudTrail event is
//! found by that event's run, which puts it back and tells it without an
//! editor (never as runas-guard's own role, never counted as tampering),
//! leaving a mark; the editor's own event, arriving after, names them once
//! in a follow-up. The edit is made to land at the fault proxy: the put-back
//! run's publish is held after its write landed, and the edit is made then.

use crate::common;

use common::*;
use serde_json::{json, Value};

const R: &str = "eu-west-1";
const OURS: &str = "RunAsGuardExecution";

/// A document event of `account`'s document by `role`, made at `at`.
fn event_by(role: &str, session: &str, name: &str, account: &str, at: &str) -> Value {
    let mut e = doc_event_as(name, account, R, role, session);
    e["detail"]["eventTime"] = json!(at);
    e
}

/// Whether any alert names the member role (as its actor, or anywhere).
fn names_us(alerts: &[Value]) -> bool {
    alerts.iter().any(|a| a.to_string().contains(OURS))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edit_found_by_our_own_writes_event_is_named_by_its_editors_event_once() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    // Editor A's edit, put back by its event's run: runas-guard's own write.
    w.console_edit(&account, R, "alice").await;
    let a_at = cloudtrail_now();
    proxy.faults(json!([
        // The put-back has landed and is recorded; its alert's publish waits.
        {"name": "told", "service": "sns", "action": "Publish", "effect": "hold",
         "times": 1, "hold_timeout": 120},
        {"name": "write", "service": "ssm", "action": "UpdateDocument", "effect": "count"}
    ]));
    let first = w.handle_in_background(&event_by(
        "Admin",
        "jane",
        "UpdateDocument",
        &account,
        &a_at,
    ));
    assert!(
        proxy.wait("told", "held", 1, 90),
        "the put-back never reached its publish: {}",
        proxy.hits()
    );
    assert!(
        proxy.hits()["write"]["hits"].as_u64() >= Some(1),
        "{}",
        proxy.hits()
    );
    let (fixed, ours_version, _) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&fixed).1, json!("ssm-ops"), "our write landed");
    let ours_at = cloudtrail_now();
    // Editor B's edit lands while our write's event is on its way.
    let b_version = w.console_edit(&account, R, "root").await;
    let b_at = cloudtrail_now();
    proxy.release("told");
    let first = first.join().unwrap();
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert!(alerts[0]["message"]["actor"]
        .as_str()
        .is_some_and(|a| a.ends_with(":role/Admin")));

    // Our write's two events arrive: the first one's run finds B's edit.
    for name in ["UpdateDocument", "UpdateDocumentDefaultVersion"] {
        let own = event_by(OURS, "runas-guard-eb-1", name, &account, &ours_at);
        let (code, out) = w.handle(&own);
        assert_eq!(code, 0, "{out:#}");
    }
    let (doc, put_back, latest) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc).1, json!("ssm-ops"));
    assert_eq!(put_back, latest);
    assert_ne!(put_back, ours_version, "B's edit was put back");
    let found = w.alerts().await;
    assert!(
        !names_us(&found),
        "runas-guard named as the editor: {found:#?}"
    );
    assert!(of_kind(&found, "tamper_repeated").is_empty(), "{found:#?}");
    let drift = of_kind(&found, "drift_reverted");
    assert_eq!(drift.len(), 1, "{found:#?}");
    let m = &drift[0]["message"];
    assert!(m["actor"].is_null(), "nobody named: {m:#}");
    assert_eq!(m["own_write"], true, "{m:#}");
    assert_eq!(m["before"]["runAsDefaultUser"], "root");
    assert!(
        m["note"].as_str().unwrap().contains("follow-up"),
        "the editor's event is awaited: {m:#}"
    );
    let state = w.state(&account, R).await.unwrap();
    let mark = format!("unnamed_v{b_version}");
    assert!(
        state.contains_key(&mark),
        "a mark of B's version: {state:#?}"
    );

    // B's two events arrive, one of them twice: B is named, once.
    let b = |name| {
        making(
            event_by("Breakglass", "mallory", name, &account, &b_at),
            &b_version,
        )
    };
    let events = [b("UpdateDocument"), b("UpdateDocumentDefaultVersion")];
    for e in events.iter().chain([&events[0]]) {
        let (code, out) = w.handle(e);
        assert_eq!(code, 0, "{out:#}");
    }
    assert_eq!(
        w.document(&account, R).await.unwrap().1,
        put_back,
        "nothing written again"
    );
    let named = w.alerts().await;
    assert!(!names_us(&named), "{named:#?}");
    assert_eq!(named.len(), 1, "the editor named once: {named:#?}");
    let m = &named[0]["message"];
    assert_eq!(m["kind"], "drift_reverted");
    assert!(
        m["actor"].as_str().unwrap().ends_with(":role/Breakglass"),
        "{m:#}"
    );
    assert_eq!(m["before"]["runAsDefaultUser"], "root");
    assert_eq!(m["follow_up_of"]["found_by"], "document_changed");
    // B's mark is taken; the Admin's put-back keeps its own (a mark per
    // version replaced), for another editor of that version to take.
    let state = w.state(&account, R).await.unwrap();
    assert!(!state.contains_key(&mark), "{state:#?}");

    // The next sweep stays quiet.
    drop(proxy);
    w.set_env("AWS_ENDPOINT_URL", &w.moto.url.clone());
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let after = w.alerts().await;
    assert!(of_kind(&after, "drift_reverted").is_empty(), "{after:#?}");
}

/// The control: our own write's events with no edit after the write find
/// the document right and stay quiet, leaving no mark.
#[tokio::test(flavor = "multi_thread")]
async fn our_own_writes_event_with_no_edit_after_it_is_quiet() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    w.console_edit(&account, R, "alice").await;
    let a_at = cloudtrail_now();
    let (code, out) = w.handle(&event_by(
        "Admin",
        "jane",
        "UpdateDocument",
        &account,
        &a_at,
    ));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(of_kind(&w.alerts().await, "drift_reverted").len(), 1);
    let (_, ours, _) = w.document(&account, R).await.unwrap();
    let ours_at = cloudtrail_now();
    for name in ["UpdateDocument", "UpdateDocumentDefaultVersion"] {
        let (code, out) = w.handle(&event_by(
            OURS,
            "runas-guard-eb-2",
            name,
            &account,
            &ours_at,
        ));
        assert_eq!(code, 0, "{out:#}");
    }
    assert_eq!(
        w.document(&account, R).await.unwrap().1,
        ours,
        "nothing written"
    );
    let quiet = w.alerts().await;
    assert!(quiet.is_empty(), "{quiet:#?}");
    // The only mark is Admin's put-back's (its own actor's, for another
    // editor's event to take: unreleased); our own write's events left none.
    let state = w.state(&account, R).await.unwrap();
    let marks: Vec<&String> = state
        .iter()
        .filter(|(k, _)| k.starts_with("unnamed_"))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(marks.len(), 1, "{state:#?}");
    let mark: Value = serde_json::from_str(marks[0]).unwrap();
    assert!(
        mark["by"].as_str().unwrap().ends_with(":role/Admin"),
        "{state:#?}"
    );
    assert_eq!(mark["found_by"], "document_changed", "{state:#?}");
}
