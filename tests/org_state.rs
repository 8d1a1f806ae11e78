//! An account's standing read as AWS answers today: Organizations sends
//! `State` and no longer `Status` (retired 2026-09-09). moto still sends
//! both, so these tests answer Organizations through the fault proxy's
//! `rewrite`, which drops `Status` as AWS does now (and, where a test says,
//! sets or drops `State`), beside controls that keep both fields.

use crate::common;

use common::proxy::Proxy;
use common::*;
use serde_json::{json, Value};

/// Organizations answers as AWS does today: no `Status`, plus `edits`.
fn today(proxy: &Proxy, edits: Value) {
    proxy.faults(
        json!([{"name": "today", "service": "organizations", "effect": "rewrite",
        "drop": ["Status"], "edit": edits}]),
    );
}

/// The rewrite fired: some Organizations answer lost its `Status`.
fn rewrote(proxy: &Proxy) -> u64 {
    proxy.hits()["today"]["changed"].as_u64().unwrap_or(0)
}

/// `State` set to `state` on `account`'s record (and `Status` still dropped).
fn state_of(account: &str, state: &str) -> Value {
    json!({"where": {"Id": account}, "set": {"State": state}})
}

fn rows_of<'a>(outcome: &'a Value, account: &str) -> Vec<&'a Value> {
    outcome["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["account"] == account)
        .flat_map(|a| a["regions"].as_array().unwrap())
        .collect()
}

fn sweep(w: &World) -> (i32, Value, String) {
    let run = w.run(&["sweep", "--format", "json"]);
    (run.code, run.json(), run.stderr)
}

fn organization_check(w: &World, account: &str) -> Value {
    let run = w.run(&["doctor", "--account", account, "--format", "json"]);
    let list = run.json();
    list["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["item"] == "organization" && c["scope"] == format!("account {account}"))
        .cloned()
        .unwrap_or_else(|| panic!("no organization check: {list:#}"))
}

async fn configured(w: &World, account: &str) {
    assert_configured(w, account).await;
    for region in REGIONS {
        let (_, default, latest) = w.document(account, region).await.unwrap();
        assert_eq!(default, latest);
        let state = w.state(account, region).await.expect("state item");
        assert_eq!(
            state["status"], "remediated",
            "{account} {region}: {state:?}"
        );
    }
}

/// A sweep, a vend, a baseline on an OU and `doctor --account`, each on
/// accounts Organizations calls ACTIVE; with `Status` dropped or kept.
async fn active_accounts_are_governed(drop_status: bool) {
    let mut w = World::new().await;
    let proxy = w.behind_proxy();
    match drop_status {
        true => today(&proxy, json!([])),
        false => {
            proxy.faults(json!([{"name": "both", "service": "organizations", "effect": "count"}]))
        }
    }
    let a = w.create_account("a", None).await;
    let b = w.create_account("b", None).await;

    let (code, out, stderr) = sweep(&w);
    assert_eq!(code, 0, "{stderr}\n{out:#}");
    for account in [&a, &b] {
        let rows = rows_of(&out, account);
        assert!(
            rows.iter().all(|r| r["action"] == "created"),
            "{account}: {rows:#?}"
        );
        configured(&w, account).await;
    }
    let kinds = w.alert_kinds().await;
    assert_eq!(kinds, ["sweep_summary"], "{kinds:?}");

    // A vend: the new account is configured at once.
    let vended = w.create_account("vended", None).await;
    let (code, out) = w.handle(&vend_event(&vended));
    assert_eq!((code, out["result"].as_str()), (0, Some("done")), "{out:#}");
    configured(&w, &vended).await;

    // Control Tower's ResetEnabledBaseline on an OU: its accounts are reconciled.
    let org = w.org().describe_organization().send().await.unwrap();
    let org = org.organization().unwrap().id().unwrap().to_string();
    let ou = w.create_ou(&w.root, "Sandbox").await;
    let c = w.create_account("c", Some(&ou)).await;
    let d = w.create_account("d", Some(&ou)).await;
    let (code, out) = w.handle(&baseline_applied(&ou, &org, "baseline-ou"));
    assert_eq!((code, out["result"].as_str()), (0, Some("done")), "{out:#}");
    assert!(
        out["reason"]
            .as_str()
            .unwrap()
            .contains("2 accounts reconciled"),
        "{out:#}"
    );
    configured(&w, &c).await;
    configured(&w, &d).await;
    let mut kinds = w.alert_kinds().await;
    kinds.sort();
    assert_eq!(kinds, ["account_configured"; 3], "{kinds:?}");

    let check = organization_check(&w, &a);
    assert_eq!(check["verdict"], "pass", "{check:#}");
    assert!(
        check["detail"].as_str().unwrap().contains("state ACTIVE"),
        "{check:#}"
    );

    match drop_status {
        true => assert!(rewrote(&proxy) > 0, "Status was never dropped"),
        false => assert!(proxy.hits()["both"]["hits"].as_u64().unwrap() > 0),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_status_active_accounts_are_swept_vended_baselined_and_doctored() {
    active_accounts_are_governed(true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_both_fields_the_same() {
    active_accounts_are_governed(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn suspended_closing_and_closed_accounts_are_skipped_with_that_word() {
    let mut w = World::new().await;
    let proxy = w.behind_proxy();
    let active = w.create_account("active", None).await;
    let suspended = w.create_account("suspended", None).await;
    let closing = w.create_account("closing", None).await;
    let closed = w.create_account("closed", None).await;
    let activating = w.create_account("activating", None).await;
    today(
        &proxy,
        json!([
            state_of(&suspended, "SUSPENDED"),
            state_of(&closing, "PENDING_CLOSURE"),
            state_of(&closed, "CLOSED"),
            state_of(&activating, "PENDING_ACTIVATION"),
        ]),
    );

    let (code, out, stderr) = sweep(&w);
    assert_eq!(code, 0, "{stderr}\n{out:#}");
    assert!(rewrote(&proxy) > 0);
    for (account, action, word) in [
        (&suspended, "account-suspended", "SUSPENDED"),
        (&closing, "account-pending-closure", "PENDING_CLOSURE"),
        (&closed, "account-closed", "CLOSED"),
        (&activating, "pending", "PENDING_ACTIVATION"),
    ] {
        let rows = rows_of(&out, account);
        assert_eq!(rows.len(), 2, "{out:#}");
        for r in rows {
            assert_eq!(r["action"], action, "{account}: {r:#}");
            assert!(r["error"].as_str().unwrap().contains(word), "{r:#}");
        }
        for region in REGIONS {
            assert!(
                w.document(account, region).await.is_none(),
                "{account} untouched"
            );
        }
        let check = organization_check(&w, account);
        assert_eq!(check["verdict"], "skip", "{check:#}");
        assert!(
            check["detail"].as_str().unwrap().contains(word),
            "{check:#}"
        );
    }
    for r in rows_of(&out, &activating) {
        assert_eq!(r["error_code"], "AccountPendingActivation", "{r:#}");
    }
    configured(&w, &active).await;
    let alerts = w.alerts().await;
    assert_eq!(of_kind(&alerts, "sweep_summary").len(), 1, "{alerts:#?}");
    assert_eq!(alerts.len(), 1, "no error, nothing degraded: {alerts:#?}");
    let summary = &alerts[0]["message"];
    assert_eq!(summary["severity"], "info");
    assert_eq!(summary["counts"]["account-closed"], 2, "{summary:#}");
    assert_eq!(summary["pending"], 2, "{summary:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_answered_with_neither_field_is_an_error_row_and_an_alert() {
    let mut w = World::new().await;
    let proxy = w.behind_proxy();
    let fine = w.create_account("fine", None).await;
    let ou = w.create_ou(&w.root, "Sandbox").await;
    let blank = w.create_account("blank", Some(&ou)).await;
    today(&proxy, json!([{"where": {"Id": blank}, "drop": ["State"]}]));

    let (code, out, stderr) = sweep(&w);
    assert_eq!(code, 1, "{stderr}\n{out:#}");
    assert!(stderr.contains("account-region(s) failed"), "{stderr}");
    let rows = rows_of(&out, &blank);
    assert_eq!(rows.len(), 2);
    for r in &rows {
        assert_eq!(r["action"], "failed", "{r:#}");
        assert_eq!(r["error_code"], "AccountStateUnreadable", "{r:#}");
        assert!(
            r["error"]
                .as_str()
                .unwrap()
                .contains("neither State nor Status"),
            "{r:#}"
        );
    }
    for region in REGIONS {
        assert!(w.document(&blank, region).await.is_none(), "never written");
    }
    configured(&w, &fine).await;
    let alerts = w.alerts().await;
    let kinds: Vec<&str> = alerts
        .iter()
        .map(|a| a["message"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["sweep_summary"],
        "one error alert, not degraded: {alerts:#?}"
    );
    let summary = &alerts[0]["message"];
    assert_eq!(summary["severity"], "error", "{summary:#}");
    assert_eq!(summary["failed"], 2, "{summary:#}");
    let named: Vec<&Value> = summary["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["account"] == blank.as_str())
        .collect();
    assert_eq!(named.len(), 2, "{summary:#}");
    assert!(named
        .iter()
        .all(|e| e["error_code"] == "AccountStateUnreadable"));

    let check = organization_check(&w, &blank);
    assert_eq!(check["verdict"], "fail", "{check:#}");
    assert!(
        check["detail"].as_str().unwrap().contains("cannot be read"),
        "{check:#}"
    );

    // A baseline on its OU tells it too: a failed row, remediation_failed, a failed run.
    let org = w.org().describe_organization().send().await.unwrap();
    let org = org.organization().unwrap().id().unwrap().to_string();
    let (code, out) = w.handle(&baseline_applied(&ou, &org, "baseline-blank"));
    assert_eq!(code, 1, "{out:#}");
    let rows = rows_of(&out, &blank);
    assert!(
        rows.iter()
            .all(|r| r["error_code"] == "AccountStateUnreadable"),
        "{out:#}"
    );
    let alerts = w.alerts().await;
    assert_eq!(
        of_kind(&alerts, "remediation_failed").len(),
        1,
        "{alerts:#?}"
    );
    assert_eq!(alerts[0]["message"]["account"], blank.as_str());
    assert!(rewrote(&proxy) > 0);
}
