//! A vend that dies after its record and before its alerts (the Lambda's
//! deadline, out of memory): its retry finds the account configured by the
//! dead attempt, writes nothing, and says `account_configured` once
//! (found by the simulation, seed 630872: a rejoined account's join run
//! killed so was never said configured). The death is made to happen at
//! the fault proxy (a held publish, then the process killed), and the test
//! asserts that it fired.

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
    let path = w.write_event(&event);
    let mut run = w
        .command(&["handle", path_str(&path)])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert!(
        proxy.wait("publish", "held", 1, 90),
        "the vend never reached its publish: {}",
        proxy.hits()
    );
    run.kill().unwrap();
    run.wait().unwrap();
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
