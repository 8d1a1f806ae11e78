//! Lives on every path: an account that left the organization and joined
//! again, with both Organizations events lost, is found by a sweep, which
//! judges only the rows of its new life (the walk's `JoinedTimestamp`) and
//! says `account_configured` once, not drift put back with a forwarding
//! note. The local AWS cannot remove and re-invite an account: its
//! Organizations answers (tests/moto_org_paths.py) give the rejoined account
//! its new `JoinedTimestamp` in `DescribeAccount`, `ListAccounts` and
//! `ListAccountsForParent` alike, as AWS does.

use crate::common;

use std::time::Duration;

use common::proxy::*;
use common::*;
use serde_json::{json, Value};

/// The account left and joined again now, as Organizations then answers.
fn rejoined_now(w: &World, account: &str) -> f64 {
    let (status, out) = http(
        w.moto.port(),
        "POST",
        "/_emulated/organizations/rejoin",
        &json!({"account": account}).to_string(),
    );
    assert_eq!(status, 200, "{out}");
    out["joined"].as_f64().unwrap()
}

fn about<'a>(alerts: &'a [Value], kind: &str, account: &str) -> Vec<&'a Value> {
    of_kind(alerts, kind)
        .into_iter()
        .filter(|a| a["message"]["account"] == account)
        .collect()
}

fn sweep(w: &World) {
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejoin_with_both_events_lost_is_told_by_the_sweep_as_account_configured_once() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;

    // The control, in its first life: an edit no event brought, found by a
    // sweep, is drift put back, and the account is not configured again.
    w.console_edit(&account, "eu-west-1", "ec2-user").await;
    sweep(&w);
    let alerts = w.alerts().await;
    assert_eq!(
        about(&alerts, "drift_reverted", &account).len(),
        1,
        "{alerts:#?}"
    );
    assert!(about(&alerts, "account_configured", &account).is_empty());

    // It leaves the organization; meanwhile its documents change (nobody
    // governs them); it joins again. Neither event arrives.
    for region in REGIONS {
        w.console_edit(&account, region, "admin").await;
    }
    std::thread::sleep(Duration::from_millis(1100));
    let joined = rejoined_now(&w, &account);
    // Organizations says so in every answer the sweep's walk may read.
    let org = w.org();
    let listed = org.list_accounts().send().await.unwrap();
    let by_parent = org
        .list_accounts_for_parent()
        .parent_id(&w.root)
        .send()
        .await
        .unwrap();
    let described = org
        .describe_account()
        .account_id(&account)
        .send()
        .await
        .unwrap();
    let secs = |t: Option<&aws_sdk_organizations::primitives::DateTime>| {
        t.map(|t| t.secs()).unwrap_or_default()
    };
    let find = |accounts: &[aws_sdk_organizations::types::Account]| {
        secs(
            accounts
                .iter()
                .find(|a| a.id() == Some(account.as_str()))
                .and_then(|a| a.joined_timestamp()),
        )
    };
    assert_eq!(find(listed.accounts()), joined as i64);
    assert_eq!(find(by_parent.accounts()), joined as i64);
    assert_eq!(
        secs(described.account().unwrap().joined_timestamp()),
        joined as i64
    );

    sweep(&w);
    let alerts = w.alerts().await;
    let told = about(&alerts, "account_configured", &account);
    assert_eq!(told.len(), 1, "told as a new life: {alerts:#?}");
    let at = told[0]["message"]["joined"].as_str().unwrap();
    assert!(at.starts_with(&iso_secs(joined as i64)), "{at} {joined}");
    assert!(
        about(&alerts, "drift_reverted", &account).is_empty(),
        "not its first life's drift: {alerts:#?}"
    );
    for region in REGIONS {
        let (doc, default, latest) = w.document(&account, region).await.unwrap();
        assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")), "{region}");
        assert_eq!(default, latest);
    }

    // Once per life: the next sweep says nothing of it.
    sweep(&w);
    let alerts = w.alerts().await;
    assert!(
        about(&alerts, "account_configured", &account).is_empty(),
        "{alerts:#?}"
    );
    assert!(
        about(&alerts, "drift_reverted", &account).is_empty(),
        "{alerts:#?}"
    );
}

/// A sweep that found the rejoin, put its documents right and died before
/// it kept its alerts leaves its writes announced (their intents) over the
/// records of the account's former life. The run that adopts those writes
/// judges them as the dead sweep did, against this life's rows only: the
/// rejoin's configuration, told `account_configured` once, not drift put
/// back (until 0.7.16 each put-back was told `drift_reverted`, a setting
/// made while the account was out of the organization blamed on nobody,
/// and the life never said configured: simulation seeds 822526, the next
/// sweep adopting, and 826817, an edit event's run).
async fn rejoin_swept_by_a_dead_sweep() -> (World, String) {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    w.alerts().await;
    // Out of the organization its documents change; it joins again, both
    // events lost.
    for region in REGIONS {
        w.console_edit(&account, region, "admin").await;
    }
    std::thread::sleep(Duration::from_millis(1100));
    rejoined_now(&w, &account);

    // The sweep puts every region right and dies at the keep of its alerts.
    let proxy = w.behind_proxy();
    proxy.faults(
        json!([{"name": "keep", "service": "dynamodb", "action": "BatchWriteItem",
        "contains": "OUTBOX", "effect": "hold", "hold_timeout": 120}]),
    );
    let wrote = killed_at_hold(&w, &proxy, &sweep_event(), "keep");
    drop(proxy);
    w.set_env("AWS_ENDPOINT_URL", &w.moto.url.clone());
    for region in REGIONS {
        let (doc, default, latest) = w.document(&account, region).await.unwrap();
        assert_eq!(
            run_as(&doc).1,
            json!("ssm-ops"),
            "{region}: the put-back landed"
        );
        assert_eq!(default, latest);
        let state = w.state(&account, region).await.unwrap();
        assert!(state.contains_key("intent"), "{region}: {state:#?}");
    }
    assert!(w.alerts().await.is_empty(), "the dead sweep told nothing");
    // The writes' leases run out.
    std::thread::sleep(Duration::from_secs(32).saturating_sub(wrote.elapsed()));
    (w, account)
}

/// What the adopting run told: no drift, the life configured once.
async fn told_configured_not_drift(w: &World, account: &str, adopted: &[&str]) {
    let alerts = w.alerts().await;
    for region in adopted {
        let state = w.state(account, region).await.unwrap();
        assert!(
            !state.contains_key("intent"),
            "{region} adopted: {state:#?}"
        );
    }
    assert!(
        about(&alerts, "drift_reverted", account).is_empty(),
        "another life's setting is no one's drift: {alerts:#?}"
    );
    // Each adopted region is told configured once (an adoption may tell
    // its regions in one alert or one each: each alert's id is its regions'
    // facts, so copies of one share it).
    let told = about(&alerts, "account_configured", account);
    let mut by_id = std::collections::BTreeMap::new();
    for a in &told {
        let regions: Vec<String> = a["message"]["regions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["region"].as_str().map(str::to_string))
            .collect();
        by_id.insert(
            a["message"]["alert_id"].as_str().unwrap_or_default(),
            regions,
        );
    }
    let mut regions: Vec<String> = by_id.into_values().flatten().collect();
    regions.sort();
    let mut want: Vec<String> = adopted.iter().map(|r| r.to_string()).collect();
    want.sort();
    assert_eq!(
        regions, want,
        "the new life told configured once per region: {alerts:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejoin_whose_sweep_died_after_its_put_backs_is_told_configured_not_drift() {
    let (w, account) = rejoin_swept_by_a_dead_sweep().await;
    // The next sweep adopts the writes (its walk says when the account joined).
    sweep(&w);
    told_configured_not_drift(&w, &account, &REGIONS).await;

    // Control: the next sweep says nothing more of it.
    sweep(&w);
    let alerts = w.alerts().await;
    assert!(
        about(&alerts, "account_configured", &account).is_empty()
            && about(&alerts, "drift_reverted", &account).is_empty(),
        "{alerts:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edit_events_run_adopting_a_dead_rejoin_sweeps_write_tells_it_configured() {
    let (w, account) = rejoin_swept_by_a_dead_sweep().await;
    // An edit event in one region (its run describes the account: when it
    // joined) reaches the slot first and adopts the sweep's write there.
    let region = REGIONS[0];
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, region, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    told_configured_not_drift(&w, &account, &[region]).await;
}

/// `2026-11-26T09:07:15` of epoch seconds (UTC), as alerts begin their times.
fn iso_secs(secs: i64) -> String {
    let t = aws_sdk_organizations::primitives::DateTime::from_secs(secs);
    t.fmt(aws_sdk_organizations::primitives::DateTimeFormat::DateTime)
        .unwrap()
        .trim_end_matches('Z')
        .to_string()
}

/// Simulation seed 900009: in audit, a rejoin only a sweep found. The
/// vend's next run finds the sweep's record and nothing new, so the sweep
/// tells the new life's finding as the vend would have (`drift_detected`),
/// not in its summary alone; an admin's later version of the same value is
/// that finding, quiet. Before, the finding was never told and the admin's
/// root version went untold with it.
#[tokio::test(flavor = "multi_thread")]
async fn a_rejoin_in_audit_found_by_a_sweep_tells_its_finding_once() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    w.write_policy("mode = \"audit\"");
    sweep(&w);
    w.alerts().await;
    // Out of the organization, root is made the default in one region.
    w.console_edit(&account, "eu-west-1", "root").await;
    std::thread::sleep(Duration::from_millis(1100));
    rejoined_now(&w, &account);

    sweep(&w);
    let alerts = w.alerts().await;
    let found = about(&alerts, "drift_detected", &account);
    assert_eq!(found.len(), 1, "the life's finding: {alerts:#?}");
    let m = &found[0]["message"];
    assert_eq!(m["region"], "eu-west-1", "{m:#}");
    assert_eq!(m["found_by"], "sweep", "{m:#}");
    assert_eq!(m["before"]["runAsDefaultUser"], "root", "{m:#}");
    assert!(about(&alerts, "account_configured", &account).is_empty());
    let (doc, _, _) = w.document(&account, "eu-west-1").await.unwrap();
    assert_eq!(run_as(&doc).1, json!("root"), "audit writes nothing");

    // The other side: the same finding seen again is quiet, and so is an
    // admin's new version of the same value, with its event.
    sweep(&w);
    let (mut doc, _, _) = w.document(&account, "eu-west-1").await.unwrap();
    doc["inputs"]["idleSessionTimeout"] = json!("19");
    w.admin_write(&account, "eu-west-1", &doc, true).await;
    let event = doc_event("UpdateDocument", &account, "eu-west-1", "Admin");
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    let after = w.alerts().await;
    assert!(
        about(&after, "drift_detected", &account).is_empty(),
        "{after:#?}"
    );
}
