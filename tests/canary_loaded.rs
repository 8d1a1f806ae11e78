//! The forwarding canary is written in every governed account-region on
//! every sweep that writes canaries, on a loaded machine too: a canary is
//! recorded on the region's state item, which a first sweep there makes
//! with its record, so the canary waits for that record instead of racing
//! it. The load is made at the fault proxy: the sweep's records are held
//! (as a busy table answers late) while its other calls go on, in an
//! account whose documents are right already (the sweep writes nothing
//! there, so no lease made the item first).

use crate::common;

use common::proxy::*;
use common::*;

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

#[tokio::test(flavor = "multi_thread")]
async fn a_first_sweep_whose_records_answer_late_still_writes_every_canary() {
    let (w, proxy, account) = world_behind_proxy().await;
    w.write_policy(POLICY);
    // The member's documents are right already: the sweep writes nothing
    // there (no lease, so no item before its record).
    for region in REGIONS {
        let mut doc = lza_document(&account);
        doc["inputs"]["runAsEnabled"] = serde_json::json!(true);
        doc["inputs"]["runAsDefaultUser"] = serde_json::json!("ssm-ops");
        w.admin_write(&account, region, &doc, true).await;
    }
    proxy.faults(serde_json::json!([
        // The table answers the sweep's records late.
        {"name": "records", "service": "dynamodb", "action": "UpdateItem",
         "contains": "last_trigger_id", "effect": "hold", "hold_timeout": 120},
        {"name": "canaries", "service": "dynamodb", "action": "UpdateItem",
         "contains": "canary_token = :t", "effect": "count"}
    ]));
    let sweep = w.handle_in_background(&sweep_event());
    assert!(
        proxy.wait("records", "held", 1, 90),
        "the sweep never recorded: {}",
        proxy.hits()
    );
    // Everything else of the sweep goes on meanwhile (a canary racing the
    // record would be written now); then the table answers.
    proxy.wait("canaries", "seen", 1, 10);
    proxy.release("records");
    let run = sweep.join().unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(proxy.hits()["records"]["hits"].as_u64() >= Some(1));

    for a in ["123456789012", account.as_str()] {
        for region in REGIONS {
            let item = w.state(a, region).await.unwrap();
            let token = tag_on(&w, a, region).await;
            assert!(token.is_some(), "no canary in {a} {region}: {item:#?}");
            assert_eq!(token.as_ref(), item.get("canary_token"), "{a} {region}");
        }
    }
    // Control: one canary per account-region, as without load.
    assert_eq!(proxy.hits()["canaries"]["hits"], 4, "{}", proxy.hits());
}
