//! A vend left unfinished is still said configured once. One that dies
//! after its record and before its alerts (the Lambda's deadline, out of
//! memory): its retry finds the account configured by the dead attempt,
//! writes nothing, and says `account_configured` (found by the simulation,
//! seed 630872: a rejoined account's join run killed so was never said
//! configured). One whose last re-attempt fails in a region after
//! configuring the rest: the sweep that finds every region right says it
//! (seed 631389). One no re-attempt follows (no queue, or the join's event
//! lost), whose first sweep after the member stack fails: the sweep that
//! then configures it says it (seed 633912). Each fault is made at the
//! fault proxy, and each test asserts that it fired.

use crate::common;

use std::time::Duration;

use common::proxy::*;
use common::*;
use serde_json::json;

fn configured(alerts: &[serde_json::Value], account: &str) -> usize {
    of_kind(alerts, "account_configured")
        .into_iter()
        .filter(|a| a["message"]["account"] == account)
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vend_killed_after_its_record_is_said_configured_by_its_retry() {
    let (mut w, proxy, account) = world_behind_proxy().await;
    w.set_env("RUNAS_GUARD_CLAIM_LEASE_SECONDS", "2");
    // Every region's record goes through; the first publish never answers.
    proxy.faults(json!([
        {"name": "record", "service": "dynamodb", "action": "UpdateItem",
         "contains": "last_trigger_id", "effect": "count"},
        {"name": "publish", "service": "sns", "action": "Publish",
         "effect": "hold", "hold_timeout": 120}
    ]));
    let event = vend_event(&account);
    killed_at_hold(&w, &proxy, &event, "publish");
    let records = proxy.hits()["record"]["hits"].as_u64().unwrap_or(0);
    assert!(records >= REGIONS.len() as u64, "{}", proxy.hits());
    drop(proxy);
    w.set_env("AWS_ENDPOINT_URL", &w.moto.url.clone());

    // What the dead run left: every region configured and recorded, nothing told.
    let mut versions = Vec::new();
    for region in REGIONS {
        let (doc, default, latest) = w.document(&account, region).await.unwrap();
        assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")), "{region}");
        assert_eq!(default, latest, "{region}");
        let state = w.state(&account, region).await.unwrap();
        assert_eq!(state.get("default_version"), Some(&default), "{state:#?}");
        versions.push(default);
    }
    assert!(w.alerts().await.is_empty());

    // Lambda's retry, once the dead run's claim has run out: nothing left
    // to write, and the account said configured once.
    std::thread::sleep(Duration::from_secs(3));
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    assert_eq!(configured(&alerts, &account), 1, "{alerts:#?}");
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    for (region, before) in REGIONS.iter().zip(&versions) {
        let (_, default, _) = w.document(&account, region).await.unwrap();
        assert_eq!(&default, before, "the retry wrote nothing in {region}");
    }

    // Control: the same event again, and a sweep, say nothing more.
    assert_eq!(w.handle(&event).0, 0);
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let alerts = w.alerts().await;
    assert_eq!(configured(&alerts, &account), 0, "{alerts:#?}");
}

/// The vend, before the member stack: its rows wait (`pending`).
async fn vend_awaiting_its_stack(w: &World, proxy: &Proxy, account: &str) {
    proxy.faults(json!([member_role_refused()]));
    let (code, out) = w.handle(&vend_event(account));
    assert_eq!(code, 0, "{out:#}");
    assert!(proxy.hits()["no-role"]["hits"].as_u64() >= Some(1));
    assert_eq!(
        w.state(account, "eu-west-1").await.unwrap()["status"],
        "pending"
    );
}

/// The re-attempt the last run scheduled, as Lambda's SQS record.
async fn next_reattempt(w: &World, queue: &str) -> serde_json::Value {
    for _ in 0..150 {
        if let Some(r) = w.sqs_records(queue).await.into_iter().next() {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no re-attempt was scheduled");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vend_whose_last_reattempt_failed_is_said_configured_by_the_sweep_that_finds_it_right() {
    let (mut w, proxy, account) = world_behind_proxy().await;
    let queue = w.create_queue("reattempts").await;
    w.set_env("RUNAS_GUARD_SWEEP_QUEUE_URL", &queue);
    w.set_env("RUNAS_GUARD_PENDING_DELAYS_SECONDS", "1");
    // us-east-1 already runs sessions as the policy's user (set before the
    // vend, as an org-wide customization may).
    let mut right = lza_document(&account);
    right["inputs"]["runAsEnabled"] = json!(true);
    right["inputs"]["runAsDefaultUser"] = json!("ssm-ops");
    w.admin_write(&account, "us-east-1", &right, true).await;
    vend_awaiting_its_stack(&w, &proxy, &account).await;
    let record = next_reattempt(&w, &queue).await;
    // The stack has landed; the re-attempt's read of us-east-1 is refused.
    proxy.faults(json!([
        {"name": "read", "service": "ssm", "region": "us-east-1", "action": "DescribeDocument",
         "status": 400, "code": "AccessDeniedException", "protocol": "json",
         "message": "User is not authorized to perform: ssm:DescribeDocument"}
    ]));
    let (code, out) = w.handle(&json!({ "Records": [record] }));
    assert_eq!(code, 0, "{out:#}");
    assert!(
        proxy.hits()["read"]["hits"].as_u64() >= Some(1),
        "{}",
        proxy.hits()
    );
    assert_eq!(w.alert_kinds().await, ["remediation_failed"]);
    assert_eq!(
        w.state(&account, "us-east-1").await.unwrap()["status"],
        "failed"
    );
    let (doc, _, _) = w.document(&account, "eu-west-1").await.unwrap();
    assert_eq!(
        run_as(&doc),
        (json!(true), json!("ssm-ops")),
        "eu-west-1 configured"
    );
    assert!(w.sqs_records(&queue).await.is_empty(), "the chain ended");

    // The next sweep finds both regions right and writes nothing: the vend
    // it finishes is said configured, once.
    proxy.faults(json!([]));
    let before = w.document(&account, "us-east-1").await.unwrap().1;
    assert_eq!(w.handle(&sweep_event()).0, 0);
    assert_eq!(w.document(&account, "us-east-1").await.unwrap().1, before);
    let alerts = w.alerts().await;
    assert_eq!(configured(&alerts, &account), 1, "{alerts:#?}");
    // Control: the next sweep says nothing of it.
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let alerts = w.alerts().await;
    assert_eq!(configured(&alerts, &account), 0, "{alerts:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vend_no_reattempt_follows_is_said_configured_by_the_sweep_that_configures_it() {
    // No queue: the vend's wait is the sweeps' to end.
    let (w, proxy, account) = world_behind_proxy().await;
    let mut right = lza_document(&account);
    right["inputs"]["runAsEnabled"] = json!(true);
    right["inputs"]["runAsDefaultUser"] = json!("ssm-ops");
    w.admin_write(&account, "eu-west-1", &right, true).await;
    w.admin_write(&account, "us-east-1", &lza_document(&account), true)
        .await;
    vend_awaiting_its_stack(&w, &proxy, &account).await;
    // The stack has landed; the first sweep finds eu-west-1 right and its
    // write in us-east-1 is refused: nothing configured, the rows no
    // longer `pending`.
    proxy.faults(json!([
        {"name": "write", "service": "ssm", "region": "us-east-1", "action": "UpdateDocument",
         "status": 400, "code": "AccessDeniedException", "protocol": "json",
         "message": "User is not authorized to perform: ssm:UpdateDocument"}
    ]));
    assert_eq!(w.handle(&sweep_event()).0, 0);
    assert!(
        proxy.hits()["write"]["hits"].as_u64() >= Some(1),
        "{}",
        proxy.hits()
    );
    assert_eq!(
        w.state(&account, "us-east-1").await.unwrap()["status"],
        "failed"
    );
    assert_eq!(
        w.state(&account, "eu-west-1").await.unwrap()["status"],
        "compliant"
    );
    let alerts = w.alerts().await;
    assert_eq!(configured(&alerts, &account), 0, "{alerts:#?}");

    // The next sweep writes us-east-1 and says the account configured, once.
    proxy.faults(json!([]));
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let (doc, _, _) = w.document(&account, "us-east-1").await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));
    let alerts = w.alerts().await;
    assert_eq!(configured(&alerts, &account), 1, "{alerts:#?}");
    // Control: the next sweep says nothing of it.
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let alerts = w.alerts().await;
    assert_eq!(configured(&alerts, &account), 0, "{alerts:#?}");
}
