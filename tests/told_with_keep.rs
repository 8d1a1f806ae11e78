//! What a run tells goes out only with the keep of its alert, which writes
//! what it tells on the ledger; a keep that did not land sends nothing.
//!
//! Audit: a finding's drift mark is written by the keep of the alert that
//! tells it, in one transaction, conditional on no other trigger's mark of
//! the same finding. A mark never stands without its alert: a sweep whose
//! keep fails leaves no mark, tells nothing, and the next sweep tells the
//! finding once (simulation seed 900206: the mark was claimed on its own
//! before, the keep failed, and every later run kept quiet about a finding
//! no one told). Two runs that both find it first race at their keeps: one
//! tells it, the other's keep is refused and it sends nothing.
//!
//! A window's claim whose keep did not land is given back: the next run
//! tells the window at once, not after the claim's 15-minute lease.

use crate::common;

use common::proxy::Proxy;
use common::*;
use serde_json::{json, Value};

const R: &str = "eu-west-1";

/// An audit organization whose `account` has Run As `root` in `R`, its
/// event lost, behind the proxy.
async fn root_unseen() -> (World, Proxy, String) {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    w.write_policy("mode = \"audit\"");
    let proxy = w.behind_proxy();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    w.console_edit(&account, R, "root").await;
    (w, proxy, account)
}

fn findings(alerts: &[Value]) -> Vec<Value> {
    of_kind(alerts, "drift_detected")
        .into_iter()
        .map(|a| a["message"].clone())
        .collect()
}

async fn mark(w: &World, account: &str) -> Option<String> {
    w.state(account, R).await?.get("drift_seen_value").cloned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_finding_whose_keep_failed_leaves_no_mark_and_the_next_sweep_tells_it_once() {
    let (w, proxy, account) = root_unseen().await;
    proxy.faults(
        json!([{"name": "keep", "service": "dynamodb", "action": "TransactWriteItems",
        "contains": "drift_seen_value", "code": "AccessDeniedException"}]),
    );
    let (code, out) = w.handle(&sweep_event());
    assert_ne!(code, 0, "an alert not sent is a failed sweep: {out:#}");
    assert!(
        proxy.hits()["keep"]["hits"].as_u64().unwrap_or(0) >= 1,
        "{}",
        proxy.hits()
    );
    let told = w.alerts().await;
    assert!(
        findings(&told).is_empty(),
        "nothing sent without its keep: {told:#?}"
    );
    assert_eq!(mark(&w, &account).await, None, "no mark without its alert");

    proxy.faults(json!([]));
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let told = findings(&w.alerts().await);
    assert_eq!(told.len(), 1, "{told:#?}");
    assert_eq!(told[0]["before"]["runAsDefaultUser"], "root");
    assert_eq!(told[0]["found_by"], "sweep");
    assert!(mark(&w, &account).await.is_some());

    // Control: the same finding again is quiet.
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let again = findings(&w.alerts().await);
    assert!(again.is_empty(), "{again:#?}");
}

/// The race made to happen: the sweep's keep is held; the editor's event
/// (delivered late) is handled meanwhile and tells the finding, marking
/// it; the held keep then arrives and is refused. One `drift_detected`, the
/// event's; the sweep fails for the account and sends nothing of it.
#[tokio::test(flavor = "multi_thread")]
async fn two_runs_that_find_it_first_tell_it_once() {
    let (w, proxy, account) = root_unseen().await;
    proxy.faults(
        json!([{"name": "keep", "service": "dynamodb", "action": "TransactWriteItems",
        "contains": "drift_seen_value", "effect": "hold", "times": 1, "hold_timeout": 120}]),
    );
    let mut sweep = w
        .command(&["handle", w.write_event(&sweep_event()).to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert!(proxy.wait("keep", "held", 1, 90), "{}", proxy.hits());
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    let by_event = mark(&w, &account).await;
    assert!(by_event.is_some(), "the event's keep marked it");

    proxy.faults(json!([]));
    let status = sweep.wait().unwrap();
    assert!(!status.success(), "the sweep's keep was refused: it fails");
    let told = findings(&w.alerts().await);
    assert_eq!(told.len(), 1, "{told:#?}");
    assert_eq!(told[0]["found_by"], "document_changed", "{:#}", told[0]);
    assert_eq!(mark(&w, &account).await, by_event);

    // Control: the next sweep is quiet about it.
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let again = findings(&w.alerts().await);
    assert!(again.is_empty(), "{again:#?}");
}

/// An editor's event's run claims root's window, its keep refused: it
/// sends nothing and gives the claim back. The sweep right after tells the
/// window once (with the claim held, it left it to the failed trigger for
/// 15 minutes; simulation seed 900228), and the next one is quiet.
#[tokio::test(flavor = "multi_thread")]
async fn a_window_whose_keep_failed_is_told_by_the_next_run() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let root = w.console_edit(&account, R, "root").await;
    w.console_edit(&account, R, "ssm-ops").await;
    proxy.faults(
        json!([{"name": "keep", "service": "dynamodb", "action": "TransactWriteItems",
        "contains": "OUTBOX", "code": "AccessDeniedException"}]),
    );
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_ne!(code, 0, "{out:#}");
    assert!(
        proxy.hits()["keep"]["hits"].as_u64().unwrap_or(0) >= 1,
        "{}",
        proxy.hits()
    );
    let told = w.alerts().await;
    assert!(of_kind(&told, "run_as_window").is_empty(), "{told:#?}");

    proxy.faults(json!([]));
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let told = w.alerts().await;
    let windows = of_kind(&told, "run_as_window");
    assert_eq!(windows.len(), 1, "{told:#?}");
    assert_eq!(
        windows[0]["message"]["windows"][0]["version"],
        root.as_str()
    );

    // Control: told once.
    assert_eq!(w.handle(&sweep_event()).0, 0);
    assert!(of_kind(&w.alerts().await, "run_as_window").is_empty());
}

/// A sweep whose rows were read before another run marked the same
/// finding: its read of the slot's document is held while the editor's
/// event is handled and tells the finding; released, the sweep reads the
/// slot's mark again before it tells, finds it, and is quiet. With the
/// snapshot's mark alone it decided news, and its keep was refused on
/// every retry: the account failed in every sweep (simulation seed 900088).
#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_whose_rows_predate_anothers_mark_is_quiet_and_succeeds() {
    let (w, proxy, account) = root_unseen().await;
    proxy.faults(
        json!([{"name": "read", "service": "ssm", "action": "GetDocument",
        "region": R, "account": account, "effect": "hold", "times": 1, "hold_timeout": 120}]),
    );
    let sweep = w.handle_in_background(&sweep_event());
    assert!(proxy.wait("read", "held", 1, 90), "{}", proxy.hits());
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    let told = findings(&w.alerts().await);
    assert_eq!(
        told.len(),
        1,
        "the event told it while the sweep waited: {told:#?}"
    );
    assert_eq!(told[0]["found_by"], "document_changed", "{:#}", told[0]);
    assert!(mark(&w, &account).await.is_some());

    proxy.faults(json!([]));
    let run = sweep.join().unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let again = findings(&w.alerts().await);
    assert!(again.is_empty(), "{again:#?}");
}
