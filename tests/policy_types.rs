//! The watch for a native policy (docs/design.md, "A native policy for
//! Session Manager preferences"): `doctor` lists the organization's policy
//! types (`ListRoots` → `PolicyTypes`) and warns of one runas-guard does not
//! know, naming it; a sweep's summary tells it once per new set, from the
//! `ListRoots` its walk already makes. moto enables only some known types,
//! so an unknown one comes from the fault proxy rewriting `ListRoots`.

use crate::common;

use common::proxy::*;
use common::*;
use serde_json::{json, Value};

const UNKNOWN: &str = "SSM_SESSION_PREFERENCES_POLICY";

/// A world behind a proxy with one member account, the service control
/// policy type enabled in moto, and (with `unknown`) the root's answer
/// listing an unknown type beside it.
async fn organization(unknown: bool) -> (World, Proxy) {
    let mut w = World::new().await;
    let proxy = w.behind_proxy();
    w.create_account("member", None).await;
    for t in ["SERVICE_CONTROL_POLICY", "TAG_POLICY"] {
        w.org()
            .enable_policy_type()
            .root_id(&w.root)
            .policy_type(t.into())
            .send()
            .await
            .unwrap();
    }
    if unknown {
        let types = json!([
            {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"},
            {"Type": "TAG_POLICY", "Status": "ENABLED"},
            {"Type": UNKNOWN, "Status": "ENABLED"},
        ]);
        proxy.faults(json!([{"name": "types", "service": "organizations", "action": "ListRoots",
            "effect": "rewrite", "edit": [{"where": {"Id": w.root}, "set": {"PolicyTypes": types}}]}]));
    }
    (w, proxy)
}

fn policy_types(w: &World) -> Value {
    let list = w.run(&["doctor", "--format", "json"]).json();
    list["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["scope"] == "hub" && c["item"] == "policy types")
        .unwrap_or_else(|| panic!("no policy types item: {list:#}"))
        .clone()
}

/// Sweeps once and returns the `policy_types` its summaries carried.
async fn swept(w: &World) -> Vec<Value> {
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    of_kind(&alerts, "sweep_summary")
        .into_iter()
        .filter_map(|a| a["message"].get("policy_types").cloned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_policy_type_is_warned_by_doctor_and_told_once_by_the_sweeps() {
    let (w, proxy) = organization(true).await;

    let item = policy_types(&w);
    assert_eq!(item["verdict"], "warn", "{item:#}");
    let detail = item["detail"].as_str().unwrap();
    assert!(detail.contains(&format!("{UNKNOWN} (ENABLED)")), "{item:#}");
    assert!(
        !detail.contains("SERVICE_CONTROL_POLICY"),
        "known types are not warned: {item:#}"
    );
    let fix = item["fix"].as_str().unwrap();
    assert!(
        fix.contains("Session Manager preferences") && fix.contains("docs/design.md"),
        "{item:#}"
    );
    assert!(proxy.hits()["types"]["changed"].as_u64().unwrap() > 0);

    let first = swept(&w).await;
    assert_eq!(first.len(), 1, "told in the summary: {first:#?}");
    assert_eq!(
        first[0]["unknown"],
        json!([{"type": UNKNOWN, "status": "ENABLED"}])
    );
    assert!(
        first[0]["said"].as_str().unwrap().contains(UNKNOWN),
        "{first:#?}"
    );
    let again = swept(&w).await;
    assert!(
        again.is_empty(),
        "the same set is not told again: {again:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_known_policy_types_stay_quiet() {
    let (w, _proxy) = organization(false).await;

    let item = policy_types(&w);
    assert_eq!(item["verdict"], "pass", "{item:#}");
    let detail = item["detail"].as_str().unwrap();
    assert!(
        detail.contains("SERVICE_CONTROL_POLICY (ENABLED)")
            && detail.contains("TAG_POLICY (ENABLED)"),
        "{item:#}"
    );
    assert!(swept(&w).await.is_empty());
    assert!(swept(&w).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fanned_out_sweep_s_summary_carries_the_walk_s_unknown_type() {
    let (mut w, proxy) = organization(true).await;
    w.create_account("second", None).await;
    let queue = w.create_queue("sweep").await;
    w.sweep_fanned_out(&queue);
    assert!(proxy.hits()["types"]["changed"].as_u64().unwrap() > 0);
    let records = w.sqs_records(&queue).await;
    let (code, out) = w.handle(&json!({"Records": records}));
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let summaries = of_kind(&alerts, "sweep_summary");
    assert_eq!(summaries.len(), 1, "{alerts:#?}");
    let told = &summaries[0]["message"]["policy_types"];
    assert_eq!(told["unknown"][0]["type"], UNKNOWN, "{alerts:#?}");
}
