//! The editor named is the maker of the version found: another editor's
//! event whose run finds a version it did not make leaves that version's
//! put-back (or audit finding) to be named by the maker's own event, and
//! the maker's event is not answered `coalesced` while such a mark waits
//! for it (simulation seeds 900079, 900085 and 900271).

use crate::common;

use common::*;
use serde_json::{json, Value};

const R: &str = "eu-west-1";

/// `name`'s event by role `role` at `at`, saying it made `version` (an
/// `UpdateDocument`'s answer) or made it the default (a switch's request).
fn event(
    name: &str,
    account: &str,
    (role, session): (&str, &str),
    at: &str,
    version: &str,
) -> Value {
    let mut e = doc_event_as(name, account, R, role, session);
    e["detail"]["eventTime"] = json!(at);
    making(e, version)
}

/// Mallory's (`Breakglass`) `UpdateDocument` at `at` that made `version`.
fn mallorys_edit(account: &str, at: &str, version: &str) -> Value {
    event(
        "UpdateDocument",
        account,
        ("Breakglass", "mallory"),
        at,
        version,
    )
}

fn actor(m: &Value) -> &str {
    m["actor"].as_str().unwrap_or_default()
}

/// Audit, and the maker's root version made the default: the account, the
/// default before it, root's version and when it was made.
async fn audit_root_default(w: &World) -> (String, String, String, String) {
    let account = w.configured_and_swept().await;
    w.write_policy("mode = \"audit\"");
    let (mut doc, older, _) = w.document(&account, R).await.unwrap();
    doc["inputs"]["runAsDefaultUser"] = json!("root");
    let v = w.admin_write(&account, R, &doc, true).await;
    (account, older, v, cloudtrail_now())
}

/// The run of `e` tells one `drift_detected` naming `role`.
async fn told_by(w: &World, e: &Value, role: &str) -> Value {
    let (code, out) = w.handle(e);
    assert_eq!(code, 0, "{out:#}");
    let first = w.alerts().await;
    let found = of_kind(&first, "drift_detected");
    assert_eq!(found.len(), 1, "{first:#?}");
    let m = found[0]["message"].clone();
    assert!(actor(&m).ends_with(&format!(":role/{role}")), "{m:#}");
    m
}

/// Audit: a pipeline's switch to an older version finds the maker's root
/// version the default and tells it in the pipeline's name; the maker's
/// own edit event, arriving after (twice), names the maker once.
#[tokio::test(flavor = "multi_thread")]
async fn an_audit_finding_another_editors_switch_told_is_named_by_the_makers_event() {
    let w = World::new().await;
    let (account, older, v, made_at) = audit_root_default(&w).await;
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let switch = event(
        "UpdateDocumentDefaultVersion",
        &account,
        ("Pipeline", "ci"),
        &cloudtrail_now(),
        &older,
    );
    let found = told_by(&w, &switch, "Pipeline").await;
    assert_eq!(found["event_version"], older);

    let maker = mallorys_edit(&account, &made_at, &v);
    for _ in 0..2 {
        let (code, out) = w.handle(&maker);
        assert_eq!(code, 0, "{out:#}");
    }
    let named = w.alerts().await;
    assert_eq!(named.len(), 1, "named once: {named:#?}");
    let m = &named[0]["message"];
    assert_eq!(m["kind"], "drift_detected");
    assert!(actor(m).ends_with(":role/Breakglass"), "{m:#}");
    assert_eq!(m["follow_up_of"]["version_replaced"], v, "{m:#}");
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let after = w.alerts().await;
    assert!(of_kind(&after, "drift_detected").is_empty(), "{after:#?}");
}

/// The other side: the switch's run finds the very version its event made
/// the default; it tells it in its own name and leaves nothing to name.
#[tokio::test(flavor = "multi_thread")]
async fn an_audit_finding_of_the_events_own_version_names_it_and_nobody_else() {
    let w = World::new().await;
    let (account, _, v, at) = audit_root_default(&w).await;
    let own = event(
        "UpdateDocumentDefaultVersion",
        &account,
        ("Pipeline", "ci"),
        &at,
        &v,
    );
    told_by(&w, &own, "Pipeline").await;
    // Another editor's event of the same time says it made that version: it
    // is not taken for the maker, who was named.
    let other = mallorys_edit(&account, &at, &v);
    let (code, out) = w.handle(&other);
    assert_eq!(code, 0, "{out:#}");
    assert!(w.alerts().await.is_empty());
}

/// Enforce: a sweep puts the maker's root version back; the maker's later
/// edit's run finds the document right and covers the coalescing gate; the
/// maker's first event, late, is run anyway (the sweep's mark waits for
/// it) and names the maker once. Without the mark it would be `coalesced`.
#[tokio::test(flavor = "multi_thread")]
async fn a_makers_event_a_later_run_covered_still_names_the_maker_of_a_put_back() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    let (right, _, _) = w.document(&account, R).await.unwrap();
    let mut doc = right.clone();
    doc["inputs"]["runAsDefaultUser"] = json!("root");
    let v = w.admin_write(&account, R, &doc, true).await;
    let made_at = cloudtrail_now();
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let swept = w.alerts().await;
    assert_eq!(of_kind(&swept, "drift_reverted").len(), 1, "{swept:#?}");
    // Past the gate's margin, the maker writes a right version: its run
    // finds the document right and marks the gate covered from its start.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let later = w.admin_write(&account, R, &right, true).await;
    let later_event = mallorys_edit(&account, &cloudtrail_now(), &later);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let (code, out) = w.handle(&later_event);
    assert_eq!(code, 0, "{out:#}");
    assert!(w.alerts().await.is_empty());

    let maker = mallorys_edit(&account, &made_at, &v);
    let (code, out) = w.handle(&maker);
    assert_eq!(code, 0, "{out:#}");
    assert_ne!(out["result"], "coalesced", "{out:#}");
    let named = w.alerts().await;
    assert_eq!(named.len(), 1, "{named:#?}");
    let m = &named[0]["message"];
    assert_eq!(m["kind"], "drift_reverted");
    assert!(actor(m).ends_with(":role/Breakglass"), "{m:#}");
    assert_eq!(m["follow_up_of"]["version_replaced"], v, "{m:#}");
}
