//! A vend that waits for activation: a freshly created account can stay
//! `PENDING_ACTIVATION` in Organizations for minutes (LZA 1.16.3's release
//! notes; `Account.State`, Organizations API Reference). Its vend is
//! `pending`, never failed; its re-attempts come at most 30 s apart and
//! cost a few calls each; it is configured by the first re-attempt after it
//! becomes `ACTIVE`; one that never activates within the pending window is
//! told once. The local AWS answers every account `ACTIVE`: the proxy
//! answers `State` as AWS does while an account activates.

use crate::common;

use std::time::{Duration, Instant};

use common::proxy::*;
use common::stacks::*;
use common::*;
use serde_json::{json, Value};

/// Organizations answers `account` as `PENDING_ACTIVATION` to its next
/// `times` `DescribeAccount`s (and `ListAccountsForParent` pages), then
/// `ACTIVE` again; every other request is counted (`all`).
fn activating(proxy: &Proxy, account: &str, times: Option<u64>) {
    let edit = json!([{"where": {"Id": account}, "set": {"State": "PENDING_ACTIVATION"}}]);
    let mut rules = vec![
        json!({"name": "inactive", "service": "organizations", "action": "DescribeAccount",
            "effect": "rewrite", "edit": edit}),
        json!({"name": "inactive-list", "service": "organizations",
            "action": "ListAccountsForParent", "effect": "rewrite", "edit": edit}),
        json!({"name": "all", "effect": "count"}),
    ];
    if let Some(n) = times {
        rules[0]["times"] = json!(n);
    }
    proxy.faults(Value::Array(rules));
}

/// Requests the proxy saw, every rule's.
fn calls(proxy: &Proxy) -> u64 {
    let hits = proxy.hits();
    ["inactive", "inactive-list", "all"]
        .iter()
        .map(|r| hits[*r]["seen"].as_u64().unwrap_or(0))
        .sum()
}

async fn one_account() -> Deployed {
    Deployed::new(Stage {
        hub_template: shipped("hub.yaml"),
        policy: POLICY,
        accounts: 1,
        member_now: Some(&[]),
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_pending_activation_waits_cheaply_and_is_configured_once_active() {
    let mut d = one_account().await;
    // The schedule's own delays are long: only the activation's recheck
    // brings the re-attempt within the half minute.
    d.w.set_env("RUNAS_GUARD_PENDING_DELAYS_SECONDS", "600");
    let account = d.members[0].clone();
    let proxy = d.w.behind_proxy();
    activating(&proxy, &account, Some(2));

    let (code, out) = d.w.handle(&vend_event(&account));
    assert_eq!(code, 0, "waiting is not failing: {out:#}");
    assert!(actions(&out).iter().all(|a| a == "pending"), "{out:#}");
    assert!(
        out.to_string().contains("PENDING_ACTIVATION"),
        "says what it waits for: {out:#}"
    );
    assert_eq!(proxy.hits()["inactive"]["changed"], 1);
    assert_eq!(statuses(&d.w, &account).await, ["pending", "pending"]);
    assert_eq!(d.w.alert_kinds().await, Vec::<String>::new(), "no page");
    let doc = d.w.document(&account, "us-east-1").await;
    assert!(doc.is_none(), "an account not yet active is not written");

    // The re-attempt comes within the recheck, not the schedule's 600 s,
    // and still finds it activating: a few calls.
    let started = Instant::now();
    let first = queued(&d, Duration::from_secs(45)).await;
    assert_eq!(first.len(), 1, "{first:#?}");
    assert!(started.elapsed() < Duration::from_secs(45));
    let before = calls(&proxy);
    handled(&d.w, first);
    let spent = calls(&proxy) - before;
    assert_eq!(proxy.hits()["inactive"]["changed"], 2);
    assert!(spent <= 12, "a re-attempt while activating: {spent} calls");
    assert_eq!(statuses(&d.w, &account).await, ["pending", "pending"]);

    // Organizations says ACTIVE now: the next re-attempt configures it.
    let second = queued(&d, Duration::from_secs(45)).await;
    assert_eq!(second.len(), 1, "{second:#?}");
    handled(&d.w, second);
    assert_configured(&d.w, &account).await;
    assert_eq!(d.w.alert_kinds().await, ["account_configured"]);
    assert!(
        queued(&d, Duration::from_secs(2)).await.is_empty(),
        "the chain ends"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_that_never_activates_within_the_window_is_told_once() {
    let mut d = one_account().await;
    let account = d.members[0].clone();
    let proxy = d.w.behind_proxy();
    activating(&proxy, &account, None);
    // The window closed before the vend is handled.
    d.w.set_env("RUNAS_GUARD_PENDING_WINDOW_SECONDS", "1");
    std::thread::sleep(Duration::from_millis(2100));

    let (code, out) = d.w.handle(&vend_event(&account));
    assert_ne!(code, 0, "{out:#}");
    assert!(actions(&out).iter().all(|a| a == "failed"), "{out:#}");
    let alerts = d.w.alerts().await;
    let failed = of_kind(&alerts, "remediation_failed");
    assert_eq!(failed.len(), 1, "{alerts:#?}");
    assert!(
        failed[0]["message"]
            .to_string()
            .contains("still PENDING_ACTIVATION"),
        "{:#}",
        failed[0]["message"]
    );
    assert!(
        queued(&d, Duration::from_secs(3)).await.is_empty(),
        "no re-attempt after the window"
    );

    // The sweeps after it wait for the activation without paging again
    // (this organization's management account has no member stack: its
    // own failure is the sweep's, not this account's).
    let (_, out) = d.w.handle(&sweep_event());
    assert!(proxy.hits()["inactive-list"]["changed"].as_u64().unwrap() >= 1);
    let swept = out["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"] == account.as_str())
        .unwrap_or_else(|| panic!("{out:#}"));
    assert!(
        swept.to_string().contains("PENDING_ACTIVATION"),
        "{swept:#}"
    );
    let again: Vec<Value> =
        d.w.alerts()
            .await
            .into_iter()
            .filter(|a| a["message"]["account"] == account.as_str())
            .collect();
    assert!(again.is_empty(), "told once: {again:#?}");
}
