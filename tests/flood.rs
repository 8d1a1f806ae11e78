//! A member account that floods the hub with genuine events costs a bounded
//! amount: events of one account-region-document whose change a run already
//! saw are answered `coalesced` before any AssumeRole, at most one run starts
//! per window, and no change is lost (a change made after a run began still
//! runs, once the window has passed).

use crate::common;

use common::proxy::{world_behind_proxy, Proxy};
use common::*;
use serde_json::{json, Value};

const R: &str = "eu-west-1";

fn sessions(proxy: &Proxy) -> u64 {
    proxy.hits()["sessions"]["hits"].as_u64().unwrap_or(0)
}

async fn configured() -> (World, Proxy, String) {
    let (w, proxy, account) = world_behind_proxy().await;
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    w.alerts().await;
    proxy.faults(json!([
        {"name": "sessions", "service": "sts", "action": "AssumeRole", "effect": "count"}
    ]));
    (w, proxy, account)
}

/// `UpdateDocumentDefaultVersion` of the governed document as CloudTrail
/// recorded it at `event_time`.
fn default_switch(account: &str, event_time: &str) -> Value {
    let mut e = doc_event("UpdateDocumentDefaultVersion", account, R, "Admin");
    e["detail"]["eventTime"] = json!(event_time);
    e
}

#[tokio::test(flavor = "multi_thread")]
async fn events_of_changes_a_run_already_saw_cost_no_session() {
    let (w, proxy, account) = configured().await;
    // The editor's loop: ten default switches within the same second; their
    // events reach the hub one after another.
    let changed_at = cloudtrail_now();
    let edited = w.console_edit(&account, R, "mallory").await;
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    let (code, first) = w.handle(&default_switch(&account, &changed_at));
    assert_eq!(code, 0, "{first:#}");
    assert_eq!(first["result"], "done", "{first:#}");
    assert_eq!(first["accounts"][0]["regions"][0]["action"], "updated");
    assert_eq!(sessions(&proxy), 1, "the first event's run");

    for _ in 0..10 {
        let (code, out) = w.handle(&default_switch(&account, &changed_at));
        assert_eq!(code, 0, "{out:#}");
        assert_eq!(out["result"], "coalesced", "{out:#}");
        assert!(
            out["reason"].as_str().unwrap().contains(&account),
            "{out:#}"
        );
    }
    assert_eq!(sessions(&proxy), 1, "no session for a coalesced event");
    let (doc, default, latest) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc).1, json!("ssm-ops"));
    assert_eq!(default, latest);
    assert_eq!(
        latest.parse::<u32>().unwrap(),
        edited.parse::<u32>().unwrap() + 1,
        "one corrective version"
    );
    assert_eq!(w.alert_kinds().await, ["drift_reverted"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_runs_at_most_twice_and_a_change_after_a_run_is_never_lost() {
    let (w, proxy, account) = configured().await;
    w.console_edit(&account, R, "mallory").await;
    // Twelve events of changes made now, all at once: the first runs; the
    // rest wait out the window, then one runs and the others find it began
    // after their change.
    let burst: Vec<_> = (0..12)
        .map(|_| w.handle_in_background(&doc_event("UpdateDocument", &account, R, "Admin")))
        .collect();
    let mut results = Vec::new();
    for run in burst {
        let run = run.join().unwrap();
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        let out: Value = serde_json::from_str(&run.stdout).unwrap();
        results.push(out["result"].as_str().unwrap().to_string());
    }
    let ran = results.iter().filter(|r| *r == "done").count();
    let coalesced = results.iter().filter(|r| *r == "coalesced").count();
    assert_eq!(ran + coalesced, 12, "{results:?}");
    assert!((1..=2).contains(&ran), "{results:?}");
    assert_eq!(sessions(&proxy), ran as u64, "{results:?}");
    assert_eq!(
        run_as(&w.document(&account, R).await.unwrap().0).1,
        json!("ssm-ops")
    );

    // An edit made right after a run began is not covered by it: its event
    // waits out the window and runs, so the edit is put back.
    let before = sessions(&proxy);
    w.console_edit(&account, R, "mallory2").await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["result"], "done", "{out:#}");
    assert_eq!(
        out["accounts"][0]["regions"][0]["action"], "updated",
        "{out:#}"
    );
    assert_eq!(sessions(&proxy), before + 1);
    assert_eq!(
        run_as(&w.document(&account, R).await.unwrap().0).1,
        json!("ssm-ops")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gate_is_per_document_and_never_blocks_when_unreachable() {
    let (w, proxy, account) = configured().await;
    // A gate that cannot be written (DynamoDB refuses its item) runs the
    // event as before: the change is put back.
    proxy.faults(json!([
        {"name": "sessions", "service": "sts", "action": "AssumeRole", "effect": "count"},
        {"name": "gate", "service": "dynamodb", "action": "UpdateItem", "contains": "GATE#",
         "code": "AccessDeniedException"}
    ]));
    w.console_edit(&account, R, "mallory").await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        out["accounts"][0]["regions"][0]["action"], "updated",
        "{out:#}"
    );
    assert!(
        proxy.hits()["gate"]["hits"].as_u64() >= Some(1),
        "the fault fired"
    );
    // Another region's document has its own gate: a run in one region does
    // not cover a change in another made before it began.
    proxy.faults(json!([]));
    let other = "us-east-1";
    let changed_at = cloudtrail_now();
    let mut doc = w.document(&account, other).await.unwrap().0;
    doc["inputs"]["runAsDefaultUser"] = json!("mallory");
    w.admin_write(&account, other, &doc, true).await;
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    w.console_edit(&account, R, "mallory3").await;
    let (code, out) = w.handle(&default_switch(&account, &changed_at));
    assert_eq!((code, out["result"].as_str()), (0, Some("done")), "{out:#}");
    let mut there = default_switch(&account, &changed_at);
    there["region"] = json!(other);
    there["detail"]["awsRegion"] = json!(other);
    let (code, out) = w.handle(&there);
    assert_eq!((code, out["result"].as_str()), (0, Some("done")), "{out:#}");
    assert_eq!(
        out["accounts"][0]["regions"][0]["action"], "updated",
        "{out:#}"
    );
    assert_eq!(
        run_as(&w.document(&account, other).await.unwrap().0).1,
        json!("ssm-ops")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_failed_covers_nothing() {
    let (w, proxy, account) = configured().await;
    let changed_at = cloudtrail_now();
    w.console_edit(&account, R, "mallory").await;
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    // The first event's run cannot reach the account.
    proxy.faults(json!([
        {"name": "denied", "service": "sts", "action": "AssumeRole", "times": 1,
         "status": 403, "code": "AccessDenied", "protocol": "query"}
    ]));
    let (_, first) = w.handle(&default_switch(&account, &changed_at));
    assert_ne!(first["result"], "coalesced", "{first:#}");
    assert!(
        proxy.hits()["denied"]["hits"].as_u64() >= Some(1),
        "the fault fired"
    );
    assert_eq!(
        run_as(&w.document(&account, R).await.unwrap().0).1,
        json!("mallory")
    );
    // The next event of the same change began before that run, yet runs:
    // the failed run saw nothing it could fix.
    let (code, out) = w.handle(&default_switch(&account, &changed_at));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["result"], "done", "{out:#}");
    assert_eq!(
        out["accounts"][0]["regions"][0]["action"], "updated",
        "{out:#}"
    );
    assert_eq!(
        run_as(&w.document(&account, R).await.unwrap().0).1,
        json!("ssm-ops")
    );
}
