//! The forwarding canary on the local AWS: a sweep tags each governed
//! account-region's `SSM-SessionManagerRunShell`; what CloudTrail would
//! record of that write comes back through the forwarding, except from the
//! one account-region whose forwarder was deleted, and only that one is
//! told missing, once.
//!
//! moto has no CloudTrail feeding EventBridge, so the forwarding is the
//! test's: it reads the tag the sweep really wrote on each document (what
//! CloudTrail records in `requestParameters.tags`) and hands the hub the
//! event the member rule would deliver, from the role the sweep used.

use crate::common;

use common::*;
use serde_json::{json, Value};

const TAG: &str = "runas-guard:canary";
const POLICY: &str = "[forwarding_canary]\nenabled = true\ninterval = \"0s\"\ngrace = \"2s\"\n";

/// The canary tag on the document, as the member account has it now.
async fn tag_on(w: &World, account: &str, region: &str) -> Option<String> {
    let tags = w
        .admin_ssm(account, region)
        .await
        .list_tags_for_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Document)
        .resource_id("SSM-SessionManagerRunShell")
        .send()
        .await
        .unwrap();
    tags.tag_list()
        .iter()
        .find(|t| t.key() == TAG)
        .map(|t| t.value().to_string())
}

/// The event the member's document rule forwards for that tag write.
fn canary_event(account: &str, region: &str, token: &str, role: &str) -> Value {
    let mut e = sample("forwarding_canary.ssm-add-tags-to-resource.json");
    e["id"] = json!(format!("canary-{account}-{region}-{token}-{role}"));
    e["account"] = json!(account);
    e["region"] = json!(region);
    let d = &mut e["detail"];
    d["awsRegion"] = json!(region);
    d["recipientAccountId"] = json!(account);
    d["requestParameters"]["tags"] = json!([{"key": TAG, "value": token}]);
    d["userIdentity"]["accountId"] = json!(account);
    d["userIdentity"]["arn"] = json!(format!(
        "arn:aws:sts::{account}:assumed-role/{role}/runas-guard"
    ));
    d["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] =
        json!(format!("arn:aws:iam::{account}:role/{role}"));
    e
}

/// Delivers every account-region's current canary except `broken`'s.
async fn forward(w: &World, slots: &[(String, &str)], broken: Option<(&str, &str)>) -> usize {
    let mut delivered = 0;
    for (account, region) in slots {
        if broken == Some((account.as_str(), region)) {
            continue;
        }
        let token = tag_on(w, account, region)
            .await
            .expect("the sweep wrote a canary");
        let (code, out) = w.handle(&canary_event(
            account,
            region,
            &token,
            "RunAsGuardExecution",
        ));
        assert_eq!((code, out["result"].as_str()), (0, Some("done")), "{out:#}");
        assert!(
            out["reason"].as_str().unwrap().contains("arrived"),
            "{out:#}"
        );
        delivered += 1;
    }
    delivered
}

fn sweep(w: &World) {
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
}

#[tokio::test]
async fn the_canary_proves_each_path_and_a_deleted_forwarder_is_told_once() {
    let w = World::new().await;
    let a = w.create_account("canary-a", None).await;
    let b = w.create_account("canary-b", None).await;
    w.write_policy(POLICY);
    sweep(&w);
    let mut slots = Vec::new();
    for account in ["123456789012".to_string(), a.clone(), b.clone()] {
        for region in REGIONS {
            let item = w.state(&account, region).await.unwrap();
            let token = tag_on(&w, &account, region).await;
            assert_eq!(
                token.as_ref(),
                item.get("canary_token"),
                "{account} {region}"
            );
            slots.push((account.clone(), region));
        }
    }
    let broken = (b.as_str(), "eu-west-1");
    assert_eq!(forward(&w, &slots, Some(broken)).await, 5);
    let arrived = w.state(&a, "us-east-1").await.unwrap();
    assert!(arrived.contains_key("canary_arrived_ms"), "{arrived:?}");
    assert!(!w
        .state(&b, "eu-west-1")
        .await
        .unwrap()
        .contains_key("canary_arrived_ms"));
    assert!(of_kind(&w.alerts().await, "forwarding_missing").is_empty());

    // Past the grace: the broken path is told, once, with what to do.
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    sweep(&w);
    let alerts = w.alerts().await;
    let missing = of_kind(&alerts, "forwarding_missing");
    assert_eq!(missing.len(), 1, "{alerts:#?}");
    let m = &missing[0]["message"];
    assert_eq!(
        (m["account"].as_str(), m["region"].as_str()),
        (Some(b.as_str()), Some("eu-west-1"))
    );
    assert_eq!(m["account_name"], "canary-b", "{m:#}");
    assert!(
        m["next_steps"].as_array().is_some_and(|s| !s.is_empty()),
        "{m:#}"
    );
    assert!(m["runbook"]
        .as_str()
        .unwrap()
        .ends_with("docs/operate.md#forwarding_missing"));
    let status = w.run(&["status"]);
    assert!(
        status
            .stdout
            .contains(&format!("forwarding MISSING {b} eu-west-1")),
        "{}",
        status.stdout
    );

    // Still broken at the next probes: not told again.
    assert_eq!(forward(&w, &slots, Some(broken)).await, 5);
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    sweep(&w);
    assert!(of_kind(&w.alerts().await, "forwarding_missing").is_empty());

    // The forwarder is back: its canary arrives and the path is whole again.
    let token = tag_on(&w, &b, "eu-west-1").await.unwrap();
    let (_, out) = w.handle(&canary_event(
        &b,
        "eu-west-1",
        &token,
        "RunAsGuardExecution",
    ));
    assert!(
        out["reason"].as_str().unwrap().contains("works again"),
        "{out:#}"
    );
    let item = w.state(&b, "eu-west-1").await.unwrap();
    assert!(!item.contains_key("canary_missing_since_ms"), "{item:?}");
    let status = w.run(&["status"]);
    assert!(
        !status.stdout.contains("forwarding MISSING"),
        "{}",
        status.stdout
    );
    assert!(status.stdout.contains("0 MISSING"), "{}", status.stdout);
}

/// Issue 51: one hub-side cause (the hub bus's policy narrowed, the
/// forwarder role changed) loses every canary at once. The sweep that finds
/// them missing tells it once for all of them, counted per OU and region,
/// while each account-region's mark is still recorded; the next sweep with
/// the same findings is quiet. Once the path is repaired, one account-region
/// whose forwarder is deleted while the rest are fine is told on its own.
#[tokio::test]
async fn every_canary_lost_to_one_cause_is_one_alert_and_a_lone_new_one_is_still_told() {
    let w = World::new().await;
    let prod = w.create_ou(&w.root, "Prod").await;
    let a = w.create_account("storm-a", Some(&prod)).await;
    let b = w.create_account("storm-b", Some(&prod)).await;
    let c = w.create_account("storm-c", None).await;
    w.write_policy(POLICY);
    sweep(&w);
    let mut slots = Vec::new();
    for account in ["123456789012".to_string(), a.clone(), b.clone(), c.clone()] {
        for region in REGIONS {
            slots.push((account.clone(), region));
        }
    }
    let _ = w.alerts().await;

    // Nothing arrives from anywhere: past the grace, one alert for all eight.
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    sweep(&w);
    let alerts = w.alerts().await;
    let missing = of_kind(&alerts, "forwarding_missing");
    assert_eq!(missing.len(), 1, "one cause, one alert: {alerts:#?}");
    let m = &missing[0]["message"];
    assert_eq!(m["cause"], "no canary arrived");
    assert_eq!(
        (m["account_regions"].as_u64(), m["accounts"].as_u64()),
        (Some(8), Some(4)),
        "{m:#}"
    );
    assert_eq!(m["by_region"], json!({"eu-west-1": 4, "us-east-1": 4}));
    assert_eq!(m["by_ou"]["Root/Prod"], 4, "{m:#}");
    assert_eq!(m["entries"].as_array().unwrap().len(), 8);
    assert_eq!(m["more"], 0);
    assert!(m["account"].is_null() && m["region"].is_null(), "{m:#}");
    assert_eq!(m["grace_seconds"], 2);
    assert_eq!(missing[0]["attributes"]["account"]["Value"], "-");
    assert!(m["runbook"]
        .as_str()
        .unwrap()
        .ends_with("docs/operate.md#forwarding_missing"));
    // Each account-region's transition is recorded all the same.
    for (account, region) in &slots {
        let item = w.state(account, region).await.unwrap();
        assert!(
            item.contains_key("canary_missing_since_ms"),
            "{account} {region}: {item:?}"
        );
    }
    let status = w.run(&["status"]);
    assert!(status.stdout.contains("8 MISSING"), "{}", status.stdout);

    // The same findings at the next probes: quiet.
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    sweep(&w);
    assert!(of_kind(&w.alerts().await, "forwarding_missing").is_empty());

    // Repaired: every canary arrives, and the marks go.
    assert_eq!(forward(&w, &slots, None).await, 8);
    sweep(&w);
    // Then one forwarder is deleted while the rest are fine: told on its own.
    let broken = (b.as_str(), "us-east-1");
    assert_eq!(forward(&w, &slots, Some(broken)).await, 7);
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    sweep(&w);
    let alerts = w.alerts().await;
    let missing = of_kind(&alerts, "forwarding_missing");
    assert_eq!(missing.len(), 1, "{alerts:#?}");
    let m = &missing[0]["message"];
    assert_eq!(
        (m["account"].as_str(), m["region"].as_str()),
        (Some(b.as_str()), Some("us-east-1"))
    );
    assert_eq!(
        (m["account_regions"].as_u64(), m["account_name"].as_str()),
        (Some(1), Some("storm-b"))
    );
    assert!(m["canary_written_at"].is_string(), "{m:#}");
}

/// A decided alert is not lost by a later failure: the sweep that finds a
/// canary missing can neither keep its alert in the outbox (the
/// `BatchWriteItem` is refused) nor publish it (SNS refuses it too). Its
/// finding is marked only once its alert is kept, so nothing is marked and
/// the canary that never came is not probed over: the next sweep, with both
/// back, tells it exactly once, and the one after is quiet.
#[tokio::test]
async fn a_canary_alert_neither_kept_nor_published_is_told_by_the_next_sweep() {
    let mut w = World::new().await;
    let a = w.create_account("unkept", None).await;
    w.write_policy(POLICY);
    let proxy = w.behind_proxy();
    sweep(&w);
    let mut slots = Vec::new();
    for account in ["123456789012".to_string(), a.clone()] {
        for region in REGIONS {
            slots.push((account.clone(), region));
        }
    }
    let broken = (a.as_str(), "eu-west-1");
    assert_eq!(forward(&w, &slots, Some(broken)).await, 3);
    let lost_token = w.state(&a, "eu-west-1").await.unwrap()["canary_token"].clone();
    let _ = w.alerts().await;

    std::thread::sleep(std::time::Duration::from_millis(2_100));
    proxy.faults(json!([
        {"name": "unkept", "service": "dynamodb", "action": "BatchWriteItem",
         "contains": "forwarding_missing", "code": "InternalServerError"},
        {"name": "refused", "service": "sns", "action": "Publish", "contains": "forwarding_missing",
         "status": 500, "code": "InternalError", "protocol": "query"}
    ]));
    let (code, out) = w.handle(&sweep_event());
    let hits = proxy.hits();
    assert!(hits["unkept"]["hits"].as_u64() >= Some(1), "{hits}");
    assert!(hits["refused"]["hits"].as_u64() >= Some(1), "{hits}");
    assert_ne!(
        code, 0,
        "an alert neither published nor kept fails the sweep: {out:#}"
    );
    assert_eq!(out["alerts_lost"], 1, "{out:#}");
    let alerts = w.alerts().await;
    assert!(
        of_kind(&alerts, "forwarding_missing").is_empty(),
        "{alerts:#?}"
    );
    let item = w.state(&a, "eu-west-1").await.unwrap();
    assert!(
        !item.contains_key("canary_missing_since_ms"),
        "unmarked: {item:?}"
    );
    assert_eq!(
        item["canary_token"], lost_token,
        "not probed over: {item:?}"
    );

    // Both back: the next sweep finds it again and tells it, once (the
    // others' new canaries arrived first, so it is alone).
    proxy.faults(json!([]));
    assert_eq!(forward(&w, &slots, Some(broken)).await, 3);
    sweep(&w);
    let alerts = w.alerts().await;
    let missing = of_kind(&alerts, "forwarding_missing");
    assert_eq!(missing.len(), 1, "{alerts:#?}");
    let m = &missing[0]["message"];
    assert_eq!(
        (m["account"].as_str(), m["region"].as_str()),
        (Some(a.as_str()), Some("eu-west-1")),
        "{m:#}"
    );
    let item = w.state(&a, "eu-west-1").await.unwrap();
    assert!(item.contains_key("canary_missing_since_ms"), "{item:?}");

    // Marked now: the re-probes that follow do not tell it again.
    assert_eq!(forward(&w, &slots, Some(broken)).await, 3);
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    sweep(&w);
    assert!(of_kind(&w.alerts().await, "forwarding_missing").is_empty());
    assert_ne!(
        w.state(&a, "eu-west-1").await.unwrap()["canary_token"],
        lost_token,
        "re-probed once told"
    );
}

#[tokio::test]
async fn an_arrival_counts_once_and_only_from_our_role_with_the_current_token() {
    let w = World::new().await;
    let a = w.create_account("canary-c", None).await;
    w.write_policy(POLICY);
    sweep(&w);
    let token = tag_on(&w, &a, "us-east-1").await.unwrap();
    // Someone else writing the canary's tag proves nothing about our path.
    let (_, out) = w.handle(&canary_event(&a, "us-east-1", &token, "Admin"));
    assert_eq!(out["result"], "ignored", "{out:#}");
    assert!(
        out["reason"].as_str().unwrap().contains("role/Admin"),
        "{out:#}"
    );
    // A stale token (an older canary arriving late) is not this one.
    let (_, out) = w.handle(&canary_event(
        &a,
        "us-east-1",
        "stale-token",
        "RunAsGuardExecution",
    ));
    assert_eq!(out["result"], "ignored", "{out:#}");
    let item = w.state(&a, "us-east-1").await.unwrap();
    assert!(!item.contains_key("canary_arrived_ms"), "{item:?}");
    // The real one, then the same event again: recorded once.
    let event = canary_event(&a, "us-east-1", &token, "RunAsGuardExecution");
    let (_, first) = w.handle(&event);
    assert_eq!(first["result"], "done", "{first:#}");
    let arrived = w.state(&a, "us-east-1").await.unwrap()["canary_arrived_ms"].clone();
    let (_, again) = w.handle(&event);
    assert_eq!(again["result"], "duplicate", "{again:#}");
    assert_eq!(
        w.state(&a, "us-east-1").await.unwrap()["canary_arrived_ms"],
        arrived
    );
    // In flight (the grace not over): the next sweep writes no new canary
    // over it, and the one that arrived (interval 0s) gets a new one.
    let in_flight = tag_on(&w, &a, "eu-west-1").await;
    sweep(&w);
    assert_eq!(tag_on(&w, &a, "eu-west-1").await, in_flight);
    assert_ne!(
        tag_on(&w, &a, "us-east-1").await.as_deref(),
        Some(token.as_str())
    );
    // Off in the policy: a sweep writes none.
    w.write_policy("");
    let before = tag_on(&w, &a, "us-east-1").await;
    sweep(&w);
    assert_eq!(tag_on(&w, &a, "us-east-1").await, before);
}

#[tokio::test]
async fn a_sweep_that_finds_an_edit_no_event_brought_tells_it_once() {
    let w = World::new().await;
    let a = w.create_account("lost-event", None).await;
    sweep(&w);
    let _ = w.alerts().await;
    // An edit whose event is lost: only the sweep can find it.
    w.console_edit(&a, "eu-west-1", "root").await;
    sweep(&w);
    let alerts = w.alerts().await;
    let drift = of_kind(&alerts, "drift_reverted");
    assert_eq!(drift.len(), 1, "{alerts:#?}");
    let m = &drift[0]["message"];
    assert_eq!(
        (m["account"].as_str(), m["region"].as_str()),
        (Some(a.as_str()), Some("eu-west-1"))
    );
    assert_eq!(
        (m["found_by"].as_str(), m["severity"].as_str()),
        (Some("sweep"), Some("warning"))
    );
    assert!(m["note"].as_str().unwrap().contains("forwarding"), "{m:#}");
    assert_eq!(
        of_kind(&alerts, "sweep_summary").len(),
        1,
        "the summary still comes"
    );
    sweep(&w);
    assert!(
        of_kind(&w.alerts().await, "drift_reverted").is_empty(),
        "fixed: no news"
    );

    // Audit mode: seen, told once, not again while it stays wrong.
    w.write_policy("mode = \"audit\"\n");
    w.console_edit(&a, "us-east-1", "root").await;
    sweep(&w);
    let alerts = w.alerts().await;
    let seen = of_kind(&alerts, "drift_detected");
    assert_eq!(seen.len(), 1, "{alerts:#?}");
    assert_eq!(seen[0]["message"]["found_by"], "sweep");
    sweep(&w);
    assert!(of_kind(&w.alerts().await, "drift_detected").is_empty());
}

#[tokio::test]
async fn an_ignored_event_does_not_use_up_its_id() {
    let w = World::new().await;
    let a = w.create_account("canary-id", None).await;
    w.write_policy(POLICY);
    sweep(&w);
    let token = tag_on(&w, &a, "us-east-1").await.unwrap();
    let mut wrong = canary_event(&a, "us-east-1", &token, "Admin");
    wrong["id"] = json!("one-id");
    assert_eq!(w.handle(&wrong).1["result"], "ignored");
    // The same id, put right: handled, not a duplicate.
    let mut right = canary_event(&a, "us-east-1", &token, "RunAsGuardExecution");
    right["id"] = json!("one-id");
    let (_, out) = w.handle(&right);
    assert_eq!(out["result"], "done", "{out:#}");
    assert_eq!(w.handle(&right).1["result"], "duplicate", "done is done");
}

/// An editor's own tags on the document, `n` of them (`AddTagsToResource`
/// as the console sends it), after taking the canary's tag off.
async fn crowd(w: &World, account: &str, region: &str, n: usize) {
    let ssm = w.admin_ssm(account, region).await;
    ssm.remove_tags_from_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Document)
        .resource_id("SSM-SessionManagerRunShell")
        .tag_keys(TAG)
        .send()
        .await
        .unwrap();
    let tags = (0..n).map(|i| {
        aws_sdk_ssm::types::Tag::builder()
            .key(format!("team-{i:02}"))
            .value("payments")
            .build()
            .unwrap()
    });
    ssm.add_tags_to_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Document)
        .resource_id("SSM-SessionManagerRunShell")
        .set_tags(Some(tags.collect()))
        .send()
        .await
        .unwrap();
}

async fn uncrowd(w: &World, account: &str, region: &str) {
    w.admin_ssm(account, region)
        .await
        .remove_tags_from_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Document)
        .resource_id("SSM-SessionManagerRunShell")
        .set_tag_keys(Some((0..50).map(|i| format!("team-{i:02}")).collect()))
        .send()
        .await
        .unwrap();
}

/// A world whose SSM keeps AWS's tag limit (tests/moto_ssm_versions.py),
/// a member account named `name`, and a first canary forwarded from each of
/// the four account-regions.
async fn forwarded_with_ssm_limits(name: &str) -> (World, String, Vec<(String, &'static str)>) {
    let w = World::on(Moto::start_emulating("moto_ssm_versions.py", &[])).await;
    let a = w.create_account(name, None).await;
    w.write_policy(POLICY);
    sweep(&w);
    let mut slots = Vec::new();
    for account in ["123456789012".to_string(), a.clone()] {
        for region in REGIONS {
            slots.push((account.clone(), region));
        }
    }
    assert_eq!(forward(&w, &slots, None).await, 4);
    (w, a, slots)
}

/// Issue 42 item 6: with 50 tags of an editor's own on the document, every
/// canary write there is refused `TooManyTagsError` (AWS: "Most resources
/// can have a maximum of 50 tags", the SSM API reference of
/// `AddTagsToResource`; moto has no such limit, so the tests' SSM is
/// tests/moto_ssm_versions.py, which keeps AWS's). That is told once as
/// `canary_unwritable`, not again while it stays refused, and never as a
/// missing canary; every other account-region's canary is written and tells
/// nothing. Once the tags are gone the canary is written again, and a later
/// refusal is told again.
#[tokio::test]
async fn a_canary_refused_for_an_editors_fifty_tags_is_told_once_per_transition() {
    let (w, a, slots) = forwarded_with_ssm_limits("crowded").await;
    let _ = w.alerts().await;
    let crowded = (a.as_str(), "eu-west-1");
    crowd(&w, &a, "eu-west-1", 50).await;

    // Refused: told once, with the code and what to do.
    sweep(&w);
    let alerts = w.alerts().await;
    let told = of_kind(&alerts, "canary_unwritable");
    assert_eq!(told.len(), 1, "{alerts:#?}");
    let m = &told[0]["message"];
    assert_eq!(
        (m["account"].as_str(), m["region"].as_str()),
        (Some(a.as_str()), Some("eu-west-1"))
    );
    assert_eq!(
        (m["error_code"].as_str(), m["severity"].as_str()),
        (Some("TooManyTagsError"), Some("warning"))
    );
    assert_eq!(m["account_name"], "crowded", "{m:#}");
    assert!(
        m["what_to_do"].as_str().unwrap().contains("50 tags"),
        "{m:#}"
    );
    assert!(m["runbook"]
        .as_str()
        .unwrap()
        .ends_with("docs/operate.md#canary_unwritable"));
    assert!(of_kind(&alerts, "forwarding_missing").is_empty());
    assert_eq!(tag_on(&w, &a, "eu-west-1").await, None, "nothing written");
    let item = w.state(&a, "eu-west-1").await.unwrap();
    assert_eq!(
        item.get("canary_unwritable").map(String::as_str),
        Some("TooManyTagsError")
    );
    let status = w.run(&["status"]);
    assert!(
        status.stdout.contains(&format!(
            "forwarding canary not written {a} eu-west-1: TooManyTagsError (the document carries 50 tags"
        )),
        "{}",
        status.stdout
    );
    // The control: every other path's canary was written, none is told.
    let others: Vec<_> = slots
        .iter()
        .filter(|(acc, r)| (acc.as_str(), *r) != crowded)
        .cloned()
        .collect();
    assert_eq!(forward(&w, &others, None).await, 3);

    // Still refused at the next sweep (past the grace): silent.
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    sweep(&w);
    let alerts = w.alerts().await;
    assert!(
        of_kind(&alerts, "canary_unwritable").is_empty()
            && of_kind(&alerts, "forwarding_missing").is_empty(),
        "{alerts:#?}"
    );
    assert_eq!(forward(&w, &others, None).await, 3);

    // The tags are gone: the canary is written again, and the mark with it.
    uncrowd(&w, &a, "eu-west-1").await;
    sweep(&w);
    assert!(of_kind(&w.alerts().await, "canary_unwritable").is_empty());
    let token = tag_on(&w, &a, "eu-west-1").await.expect("written again");
    let item = w.state(&a, "eu-west-1").await.unwrap();
    assert_eq!(item.get("canary_token"), Some(&token));
    assert!(!item.contains_key("canary_unwritable"), "{item:?}");
    assert!(!item.contains_key("canary_error"), "{item:?}");
    assert_eq!(forward(&w, &slots, None).await, 4);

    // Crowded again later: a new transition, told again.
    crowd(&w, &a, "eu-west-1", 50).await;
    sweep(&w);
    let alerts = w.alerts().await;
    let again = of_kind(&alerts, "canary_unwritable");
    assert_eq!(again.len(), 1, "{again:#?}");
    assert_eq!(again[0]["message"]["region"], "eu-west-1");
}

/// Issue 51: a refusal with one cause everywhere (here 50 tags of an
/// editor's own on every document; an SCP that denies the tag org-wide reads
/// the same) is one `canary_unwritable` for the sweep, naming the code and
/// counting the account-regions; each one's refusal is still marked, and the
/// next sweep, refused the same, is quiet.
#[tokio::test]
async fn a_refusal_everywhere_is_one_alert_for_its_code() {
    let (w, _, slots) = forwarded_with_ssm_limits("crowded-all").await;
    for (account, region) in &slots {
        crowd(&w, account, region, 50).await;
    }
    let _ = w.alerts().await;

    sweep(&w);
    let alerts = w.alerts().await;
    let told = of_kind(&alerts, "canary_unwritable");
    assert_eq!(told.len(), 1, "one cause, one alert: {alerts:#?}");
    let m = &told[0]["message"];
    assert_eq!(
        (m["error_code"].as_str(), m["account_regions"].as_u64()),
        (Some("TooManyTagsError"), Some(4)),
        "{m:#}"
    );
    assert_eq!(m["accounts"], 2);
    assert_eq!(m["codes"], json!({"TooManyTagsError": 4}));
    assert_eq!(m["by_region"], json!({"eu-west-1": 2, "us-east-1": 2}));
    assert!(
        m["what_to_do"].as_str().unwrap().contains("50 tags"),
        "{m:#}"
    );
    assert!(m["account"].is_null(), "{m:#}");
    for (account, region) in &slots {
        let item = w.state(account, region).await.unwrap();
        assert_eq!(
            item.get("canary_unwritable").map(String::as_str),
            Some("TooManyTagsError"),
            "{account} {region}"
        );
    }
    sweep(&w);
    assert!(of_kind(&w.alerts().await, "canary_unwritable").is_empty());
}
