//! The check's association carries runas-guard's tag (issue 31, item 15):
//! under the member role's tag conditions, as the emulated State Manager
//! holds a `RunAsGuardExecution` session to them (`/_emulated/ssm/tag_guard`:
//! creation only with the tag, an update only of a tagged association), the
//! association is created tagged, one made before the tag (0.3.0) is tagged
//! by the first check and then never again, and a put-back after an editor
//! took the tag off tags before it updates.

use crate::common;

use aws_sdk_ssm::types::ResourceTypeForTagging;
use common::fleet::*;
use common::*;
use serde_json::{json, Value};

const KEY: &str = "runas-guard:managed";
const REGION: &str = "eu-west-1";

fn guard(w: &World) {
    emulator(
        w,
        "/_emulated/ssm/tag_guard",
        json!({"role": "RunAsGuardExecution", "key": KEY, "value": "true"}),
    );
}

/// The emulator's call counts: `operations` and `denied` (by the guard).
fn calls(w: &World) -> Value {
    let (status, out) = http(w.moto.port(), "GET", "/_emulated/ssm/calls", "");
    assert_eq!(status, 200, "{out}");
    out
}

async fn tags(w: &World, account: &str, id: &str) -> Vec<(String, String)> {
    let out = w
        .admin_ssm(account, REGION)
        .await
        .list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::Association)
        .resource_id(id)
        .send()
        .await
        .unwrap();
    out.tag_list()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

fn ours() -> Vec<(String, String)> {
    vec![(KEY.to_string(), "true".to_string())]
}

/// A session of the member role, as the hub gets one (no session policy).
async fn member_ssm(w: &World, account: &str) -> aws_sdk_ssm::Client {
    runas_guard::adapters::aws::sts::Sts::new(&w.cfg)
        .assume(account, &["RunAsGuardExecution"], "probe", None)
        .await
        .unwrap()
        .ssm(REGION)
}

async fn one_id(w: &World, account: &str) -> String {
    let found = associations(w, account, REGION).await;
    assert_eq!(found.len(), 1, "exactly one association: {found:#?}");
    found[0].association_id().unwrap().to_string()
}

async fn row_tagged(w: &World, account: &str) -> Value {
    let item = check_state(w, account, REGION).await.unwrap();
    readiness(&item)["tagged"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_association_is_created_tagged_under_the_member_roles_conditions() {
    let w = fleet_world().await;
    guard(&w);
    let account = w.create_account("tagged", None).await;
    member_stack(&w, &account).await;
    fleet(&w, &account, REGION, &[with_user("i-0aaaaaaaaaaaaaaa1")]);
    // The guard holds the member role: an untagged creation is refused.
    let refused = create_check(&member_ssm(&w, &account).await, "ssm-ops")
        .send()
        .await;
    let code = refused.unwrap_err().into_service_error();
    assert_eq!(
        aws_sdk_ssm::error::ProvideErrorMetadata::code(&code),
        Some("AccessDeniedException")
    );
    assert_eq!(calls(&w)["denied"], json!({"CreateAssociation": 1}));
    assert!(associations(&w, &account, REGION).await.is_empty());

    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    let id = one_id(&w, &account).await;
    assert_eq!(tags(&w, &account, &id).await, ours());
    assert_eq!(row_tagged(&w, &account).await, true);
    assert_eq!(
        calls(&w)["denied"],
        json!({"CreateAssociation": 1}),
        "runas-guard itself was refused nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_association_from_before_the_tag_is_tagged_once_and_a_removed_tag_never_blocks_a_put_back(
) {
    let w = fleet_world().await;
    let account = w.create_account("upgraded", None).await;
    member_stack(&w, &account).await;
    fleet(&w, &account, REGION, &[with_user("i-0bbbbbbbbbbbbbbb1")]);
    // 0.3.0 made it (untagged: everything it keeps, and no tag); then the
    // member stack is updated.
    let id = create_check(&w.admin_ssm(&account, REGION).await, "ssm-ops")
        .send()
        .await
        .unwrap()
        .association_description()
        .unwrap()
        .association_id()
        .unwrap()
        .to_string();
    guard(&w);
    let probe = member_ssm(&w, &account).await;
    let refused = edit_check(&probe, &id, "ssm-ops").send().await;
    assert!(
        refused.is_err(),
        "the member role updates only a tagged one"
    );
    assert_eq!(calls(&w)["denied"], json!({"UpdateAssociation": 1}));

    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(one_id(&w, &account).await, id, "kept, not made anew");
    assert_eq!(tags(&w, &account, &id).await, ours());
    assert_eq!(row_tagged(&w, &account).await, true);
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        calls(&w)["operations"]["AddTagsToResource"],
        1,
        "tagged once: the row says so"
    );

    // An editor takes the tag off: its event makes the check tag it again.
    let admin = w.admin_ssm(&account, REGION).await;
    untag(&admin, &id).await;
    assert_eq!(tags(&w, &account, &id).await, vec![]);
    let (code, out) = w.handle(&untagged_event(&account, &id));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(tags(&w, &account, &id).await, ours(), "{out:#}");

    // An editor takes the tag off and sets another user.
    untag(&admin, &id).await;
    edit_check(&admin, &id, "root").send().await.unwrap();
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let a = associations(&w, &account, REGION).await.remove(0);
    assert_eq!(
        (a.association_id().unwrap(), user_of(&a).as_str()),
        (id.as_str(), "ssm-ops")
    );
    assert_eq!(tags(&w, &account, &id).await, ours());
    assert_eq!(
        calls(&w)["denied"],
        json!({"UpdateAssociation": 1}),
        "the put-back was not refused: it tagged first"
    );
}

async fn untag(ssm: &aws_sdk_ssm::Client, id: &str) {
    ssm.remove_tags_from_resource()
        .resource_type(ResourceTypeForTagging::Association)
        .resource_id(id)
        .tag_keys(KEY)
        .send()
        .await
        .unwrap();
}

/// CloudTrail's record of an administrator's `RemoveTagsFromResource` of
/// runas-guard's tag on association `id`.
fn untagged_event(account: &str, id: &str) -> Value {
    let mut e = doc_event("UpdateDocument", account, REGION, "Admin");
    e["detail"]["eventName"] = json!("RemoveTagsFromResource");
    e["detail"]["requestParameters"] =
        json!({"resourceType": "Association", "resourceId": id, "tagKeys": [KEY]});
    e["detail"]["responseElements"] = Value::Null;
    e
}

/// CloudTrail's record of an administrator's `UpdateAssociation` of `id`.
fn edited_event(account: &str, id: &str) -> Value {
    let sample = sample("document_changed.ssm-update-association.json");
    let mut e = doc_event("UpdateDocument", account, REGION, "Admin");
    e["detail"]["eventName"] = json!("UpdateAssociation");
    e["detail"]["requestParameters"] = sample["detail"]["requestParameters"].clone();
    e["detail"]["responseElements"] = sample["detail"]["responseElements"].clone();
    e["detail"]["requestParameters"]["associationId"] = json!(id);
    e
}

/// Issue 42 item 7: without SCP 11, an editor takes runas-guard's tag off
/// the check's association, puts 50 tags of their own on it and edits it.
/// No tag can be put on it any more (`TooManyTagsError`: an association
/// carries at most 50) and the member role updates only a tagged one, so
/// the put-back deletes it by id and creates the check's association anew,
/// tagged, under the creation claim; one `drift_reverted` says it was
/// replaced and why, and the next sweep is silent. The control: an ordinary
/// edit is put back by an update of the same association.
#[tokio::test(flavor = "multi_thread")]
async fn an_association_locked_with_fifty_tags_is_replaced_and_told_once() {
    let w = fleet_world().await;
    guard(&w);
    let account = w.create_account("locked", None).await;
    member_stack(&w, &account).await;
    fleet(&w, &account, REGION, &[with_user("i-0ddddddddddddddd1")]);
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    let id = one_id(&w, &account).await;
    let _ = w.alerts().await;
    let admin = w.admin_ssm(&account, REGION).await;

    // The control: an ordinary edit is put back in place.
    edit_check(&admin, &id, "root").send().await.unwrap();
    let (code, out) = w.handle(&edited_event(&account, &id));
    assert_eq!(code, 0, "{out:#}");
    let a = associations(&w, &account, REGION).await.remove(0);
    assert_eq!(
        (a.association_id().unwrap(), user_of(&a).as_str()),
        (id.as_str(), "ssm-ops"),
        "updated, not replaced"
    );
    let alerts = w.alerts().await;
    let told = of_kind(&alerts, "drift_reverted");
    assert_eq!(told.len(), 1, "{alerts:#?}");
    assert!(told[0]["message"].get("replaced").is_none(), "{alerts:#?}");
    assert_eq!(calls(&w)["denied"], json!({}), "nothing refused");

    // The lock: no tag of runas-guard's, 50 of the editor's, another user.
    untag(&admin, &id).await;
    let fifty = (0..50).map(|i| {
        aws_sdk_ssm::types::Tag::builder()
            .key(format!("owner-{i:02}"))
            .value("me")
            .build()
            .unwrap()
    });
    admin
        .add_tags_to_resource()
        .resource_type(ResourceTypeForTagging::Association)
        .resource_id(&id)
        .set_tags(Some(fifty.collect()))
        .send()
        .await
        .unwrap();
    edit_check(&admin, &id, "root").send().await.unwrap();
    let refused = edit_check(&member_ssm(&w, &account).await, &id, "ssm-ops")
        .send()
        .await;
    assert!(refused.is_err(), "the member role may not update it");
    assert_eq!(calls(&w)["denied"], json!({"UpdateAssociation": 1}));

    let (code, out) = w.handle(&edited_event(&account, &id));
    assert_eq!(code, 0, "{out:#}");
    let new_id = one_id(&w, &account).await;
    assert_ne!(new_id, id, "made anew");
    let a = associations(&w, &account, REGION).await.remove(0);
    assert_eq!(
        (user_of(&a).as_str(), a.schedule_expression()),
        ("ssm-ops", Some("rate(1 day)"))
    );
    assert_eq!(a.association_name(), Some("runas-guard-check-run-as-user"));
    assert_eq!(tags(&w, &account, &new_id).await, ours());
    let item = check_state(&w, &account, REGION).await.unwrap();
    assert_eq!(readiness(&item)["association_id"], json!(new_id));
    assert_eq!(readiness(&item)["tagged"], true);
    let alerts = w.alerts().await;
    assert_eq!(
        alerts
            .iter()
            .map(|a| a["message"]["kind"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["drift_reverted"],
        "{alerts:#?}"
    );
    let m = &alerts[0]["message"];
    assert_eq!(m["document"], CHECK);
    let replaced = m["replaced"].as_str().unwrap();
    assert!(
        replaced.starts_with("replaced: ") && replaced.contains("TooManyTagsError"),
        "{m:#}"
    );
    assert_eq!(
        calls(&w)["denied"],
        json!({"UpdateAssociation": 1}),
        "runas-guard asked for no update the member role refuses: it replaced at once"
    );

    // The next sweep finds it right and says nothing.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(one_id(&w, &account).await, new_id);
    let alerts = w.alerts().await;
    assert!(
        of_kind(&alerts, "drift_reverted").is_empty()
            && of_kind(&alerts, "remediation_failed").is_empty(),
        "{alerts:#?}"
    );
}
