//! One fact, one kind: in an LZA organization LZA creates the session
//! document in a new account (Run As off), runas-guard configures it on the
//! vend, and LZA's `CreateDocument` event reaches the hub after. The
//! document's first version is the vend's starting state, already told by
//! `account_configured` (its `before`); the late event's run must not tell
//! it again as a Run As window (it did as `recreated`, per region, for every
//! vended account).

use crate::common;

use common::*;
use serde_json::json;

const LZA_ROLE: &str = "cdk-accel-cfn-exec-role-111122223333-us-east-1";

#[tokio::test(flavor = "multi_thread")]
async fn lzas_late_create_event_after_the_vend_tells_nothing_more() {
    let w = World::new().await;
    let account = w.create_account("lza-vended", None).await;
    let lza = lza_document(&account);
    // CloudTrail's eventTime of LZA's creation: before the vend's run.
    let created_at = cloudtrail_now();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for region in REGIONS {
        assert_eq!(w.admin_write(&account, region, &lza, true).await, "1");
    }
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!((code, &out["result"]), (0, &json!("done")), "{out:#}");
    for region in REGIONS {
        // LZA's own event of the creation, delivered after the vend's run.
        let mut late = doc_event("CreateDocument", &account, region, LZA_ROLE);
        late["detail"]["eventTime"] = json!(created_at);
        let (code, out) = w.handle(&late);
        assert_eq!(code, 0, "{region}: {out:#}");
        let (doc, default, latest) = w.document(&account, region).await.unwrap();
        assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")), "{region}");
        assert_eq!((default.as_str(), latest.as_str()), ("2", "2"), "{region}");
    }
    let alerts = only_configured(&w.alerts().await);
    for region in REGIONS {
        assert_eq!(
            alerts[0]["message"]["before"][region]["runAsEnabled"],
            json!(false),
            "the starting state is the configured alert's before: {:#}",
            alerts[0]
        );
    }
    // Both sides: the document deleted and made again later is a new life,
    // and its out-of-policy first version is told.
    let region = REGIONS[0];
    let ssm = w.admin_ssm(&account, region).await;
    ssm.delete_document().name(DOC).send().await.unwrap();
    w.admin_write(&account, region, &lza, true).await;
    let remade = doc_event("CreateDocument", &account, region, "Admin");
    let (code, out) = w.handle(&remade);
    assert_eq!(code, 0, "{out:#}");
    let told = w.alerts().await;
    assert!(
        told.iter().any(
            |a| a["message"]["region"] == region && a["message"]["account"] == account.as_str()
        ),
        "a new life's edit is told: {told:#?}"
    );
}

/// `alerts`, asserted to be one `account_configured`.
fn only_configured(alerts: &[serde_json::Value]) -> Vec<serde_json::Value> {
    let kinds: Vec<&str> = alerts
        .iter()
        .map(|a| a["message"]["kind"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(kinds, ["account_configured"], "{alerts:#?}");
    alerts.to_vec()
}

/// The hub deployed with one member account whose member stack has not
/// landed yet.
async fn one_account_without_its_member_stack() -> common::stacks::Deployed {
    use common::stacks::*;
    Deployed::new(Stage {
        hub_template: shipped("hub.yaml"),
        policy: POLICY,
        accounts: 1,
        member_now: None,
    })
    .await
}

/// The same in the order a vend really goes: LZA makes the document while
/// the member stack is not there yet (the vend waits, pending), the stack
/// lands and its event configures the account, and LZA's `CreateDocument`
/// event comes last.
#[tokio::test(flavor = "multi_thread")]
async fn lzas_late_create_event_after_a_pending_vend_tells_nothing_more() {
    use common::stacks::*;
    let d = one_account_without_its_member_stack().await;
    let (w, account) = (&d.w, d.members[0].clone());
    let created_at = cloudtrail_now();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for region in REGIONS {
        w.admin_write(&account, region, &lza_document(&account), true)
            .await;
    }
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    assert!(actions(&out).iter().all(|a| a == "pending"), "{out:#}");
    deploy_member(w, &account, "us-east-1", &[]).await;
    let (code, out) = w.handle(&stack_landed(&account, "us-east-1", "instance-1"));
    assert_eq!(code, 0, "{out:#}");
    assert!(actions(&out).iter().all(|a| a == "updated"), "{out:#}");
    for region in REGIONS {
        let mut late = doc_event("CreateDocument", &account, region, LZA_ROLE);
        late["detail"]["eventTime"] = json!(created_at);
        let (code, out) = w.handle(&late);
        assert_eq!(code, 0, "{region}: {out:#}");
    }
    assert_eq!(w.alert_kinds().await, ["account_configured"]);
}

/// Both sides of a vend's window: an admin makes the document with root in
/// one region while the member stack is not there yet (their event goes
/// nowhere) and a session starts under it. The configuration is still the
/// one alert: it names root's version in that region with the session
/// (a `warning`: a session ran out of policy), and LZA's Run As off in the
/// other region with none.
#[tokio::test(flavor = "multi_thread")]
async fn an_admins_root_before_the_member_stack_is_told_by_the_configuration_with_its_session() {
    use common::stacks::*;
    let d = one_account_without_its_member_stack().await;
    let (w, account) = (&d.w, d.members[0].clone());
    let mut root = lza_document(&account);
    root["inputs"]["runAsEnabled"] = json!(true);
    root["inputs"]["runAsDefaultUser"] = json!("root");
    let root_version = w.admin_write(&account, REGIONS[0], &root, true).await;
    w.admin_write(&account, REGIONS[1], &lza_document(&account), true)
        .await;
    let (code, out) = w.handle(&vend_event(&account));
    assert!(
        actions(&out).iter().all(|a| a == "pending"),
        "{code} {out:#}"
    );
    crate::sessions::tick().await;
    let session = w.start_session(&account, REGIONS[0], "mallory").await;
    deploy_member(w, &account, "us-east-1", &[]).await;
    let (code, out) = w.handle(&stack_landed(&account, "us-east-1", "instance-1"));
    assert!(
        actions(&out).iter().all(|a| a == "updated"),
        "{code} {out:#}"
    );
    let alerts = only_configured(&w.alerts().await);
    let m = &alerts[0]["message"];
    assert_eq!(m["severity"], "warning", "{m:#}");
    let entry = |region: &str| {
        let regions = m["regions"].as_array().unwrap();
        regions
            .iter()
            .find(|e| e["region"] == region)
            .unwrap()
            .clone()
    };
    let rooted = entry(REGIONS[0]);
    assert_eq!(rooted["versions_before"]["default"], json!(root_version));
    let listed: Vec<&str> = rooted["sessions"]
        .as_array()
        .unwrap_or_else(|| panic!("{rooted:#}"))
        .iter()
        .filter_map(|s| s["session_id"].as_str())
        .collect();
    assert_eq!(listed, [session.as_str()], "{rooted:#}");
    let off = entry(REGIONS[1]);
    assert_eq!(off["versions_before"]["default"], json!("1"), "{off:#}");
    assert_eq!(off["sessions"], json!([]), "{off:#}");
}
