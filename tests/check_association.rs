//! The run-as user check's association at its edges (issue 31, items 8, 9,
//! 11-14): kept whole, replaced at the version limit, the one runas-guard
//! created kept over a copy, in-progress runs, unordered execution lists,
//! a failed creation's claim. State Manager is tests/moto_ssm_associations.py.

use crate::common;

use common::fleet::*;
use common::*;
use serde_json::{json, Value};

/// The first association of the check in `account`/`region`.
async fn the_one(
    w: &World,
    account: &str,
    region: &str,
) -> aws_sdk_ssm::types::AssociationDescription {
    let found = associations(w, account, region).await;
    assert_eq!(found.len(), 1, "exactly one association: {found:#?}");
    found[0].clone()
}

fn association_event(name: &str, account: &str, region: &str, id: &str) -> Value {
    let file = match name {
        "DeleteAssociation" => "document_changed.ssm-delete-association.json",
        _ => "document_changed.ssm-update-association.json",
    };
    let mut e = doc_event("UpdateDocument", account, region, "Admin");
    let sample = sample(file);
    e["detail"]["eventName"] = json!(name);
    e["detail"]["requestParameters"] = sample["detail"]["requestParameters"].clone();
    e["detail"]["responseElements"] = sample["detail"]["responseElements"].clone();
    e["detail"]["requestParameters"]["associationId"] = json!(id);
    e
}

/// Item 14: a creation that fails gives its claim back, so the very next
/// run creates the association instead of standing aside for two minutes.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_creation_lets_the_next_run_create() {
    let mut w = fleet_world().await;
    let account = w.create_account("claimed", None).await;
    member_stack(&w, &account).await;
    let proxy = w.behind_proxy();
    proxy.faults(
        json!([{"name": "create-fails", "service": "ssm", "action": "CreateAssociation",
        "region": "eu-west-1", "status": 400, "code": "InternalServerError", "times": 1}]),
    );
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(proxy.hits()["create-fails"]["hits"], 1, "the fault fired");
    assert_ne!(code, 0, "the failed creation is a failure: {out:#}");
    assert!(associations(&w, &account, "eu-west-1").await.is_empty());
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let a = the_one(&w, &account, "eu-west-1").await;
    assert_eq!(user_of(&a), "ssm-ops");
    let item = check_state(&w, &account, "eu-west-1").await.unwrap();
    assert!(!item.contains_key("last_error"), "{item:?}");
}

fn assoc_ids(found: &[aws_sdk_ssm::types::AssociationDescription]) -> Vec<String> {
    found
        .iter()
        .map(|a| a.association_id().unwrap().to_string())
        .collect()
}

/// Item 8: an edit that keeps document, user, targets and schedule but adds
/// a closed calendar (and MaxErrors, SyncCompliance, an output location, an
/// alarm) stops the lookup as surely as a wrong user: put back, alerted.
#[tokio::test(flavor = "multi_thread")]
async fn an_edit_that_keeps_the_user_but_stops_the_runs_is_put_back_and_alerted() {
    let w = fleet_world().await;
    let account = w.create_account("calendar", None).await;
    member_stack(&w, &account).await;
    fleet(
        &w,
        &account,
        "eu-west-1",
        &[with_user("i-0ccccccccccccccc1")],
    );
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    let id = assoc_ids(&associations(&w, &account, "eu-west-1").await).remove(0);
    w.alerts().await;

    let admin = w.admin_ssm(&account, "eu-west-1").await;
    edit_check(&admin, &id, "ssm-ops")
        .calendar_names("freeze")
        .max_errors("0")
        .sync_compliance(aws_sdk_ssm::types::AssociationSyncCompliance::Manual)
        .output_location(
            aws_sdk_ssm::types::InstanceAssociationOutputLocation::builder()
                .s3_location(
                    aws_sdk_ssm::types::S3OutputLocation::builder()
                        .output_s3_bucket_name("elsewhere")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let body =
        json!({"account": account, "region": "eu-west-1", "name": "freeze", "state": "CLOSED"});
    emulator(&w, "/_emulated/ssm/calendar", body);
    let (code, out) = w.handle(&association_event(
        "UpdateAssociation",
        &account,
        "eu-west-1",
        &id,
    ));
    assert_eq!(code, 0, "{out:#}");
    let a = the_one(&w, &account, "eu-west-1").await;
    assert!(a.calendar_names().is_empty(), "{a:#?}");
    assert!(a.output_location().is_none(), "{a:#?}");
    assert_ne!(a.max_errors(), Some("0"), "{a:#?}");
    assert_ne!(
        a.sync_compliance(),
        Some(&aws_sdk_ssm::types::AssociationSyncCompliance::Manual)
    );
    assert_eq!(user_of(&a), "ssm-ops");
    let alerts = w.alerts().await;
    assert_eq!(
        alerts
            .iter()
            .map(|a| a["message"]["kind"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["drift_reverted"],
        "{alerts:#?}"
    );
    assert_eq!(alerts[0]["message"]["document"], CHECK);
    // The calendar no longer holds it: State Manager's schedule runs it.
    let ran = emulator(
        &w,
        "/_emulated/ssm/run",
        json!({"account": account, "region": "eu-west-1"}),
    );
    assert_eq!(ran["executions"].as_array().unwrap().len(), 1, "{ran}");
    // Our own write's event is silent.
    let (code, _) = w.handle(&association_event(
        "UpdateAssociation",
        &account,
        "eu-west-1",
        &id,
    ));
    assert_eq!(code, 0);
    assert!(w.alerts().await.is_empty());
}

/// Item 9: at the version limit an update can never land: the put-back
/// replaces the association (delete, create) instead of failing forever.
#[tokio::test(flavor = "multi_thread")]
async fn at_the_version_limit_the_association_is_made_anew() {
    let moto = Moto::start_emulating(
        "moto_ssm_associations.py",
        &[("RUNAS_GUARD_TEST_ASSOCIATION_VERSION_LIMIT", "4")],
    );
    let w = World::on(moto).await;
    w.write_policy(NODES_ON);
    let account = w.create_account("limit", None).await;
    member_stack(&w, &account).await;
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    let id = assoc_ids(&associations(&w, &account, "us-east-1").await).remove(0);
    w.alerts().await;
    let admin = w.admin_ssm(&account, "us-east-1").await;
    for _ in 0..3 {
        edit_check(&admin, &id, "root").send().await.unwrap();
    }
    let refused = edit_check(&admin, &id, "ssm-ops").send().await.unwrap_err();
    assert_eq!(
        aws_sdk_ssm::error::ProvideErrorMetadata::code(&refused),
        Some("AssociationVersionLimitExceeded"),
        "the limit is reached"
    );
    let (code, out) = w.handle(&association_event(
        "UpdateAssociation",
        &account,
        "us-east-1",
        &id,
    ));
    assert_eq!(code, 0, "{out:#}");
    let a = the_one(&w, &account, "us-east-1").await;
    assert_ne!(a.association_id(), Some(id.as_str()), "made anew");
    assert_eq!(
        (user_of(&a).as_str(), a.association_version()),
        ("ssm-ops", Some("1"))
    );
    assert_eq!(w.alert_kinds().await, ["drift_reverted"]);
    let item = check_state(&w, &account, "us-east-1").await.unwrap();
    assert_eq!(
        readiness(&item)["association_id"],
        json!(a.association_id())
    );
    // The next sweep finds it right and says nothing.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        assoc_ids(&associations(&w, &account, "us-east-1").await),
        [a.association_id().unwrap()]
    );
    let alerts = w.alerts().await;
    assert!(
        alerts
            .iter()
            .all(|a| a["message"]["kind"] == "sweep_summary"),
        "{alerts:#?}"
    );
    let item = check_state(&w, &account, "us-east-1").await.unwrap();
    assert_eq!(
        readiness(&item)["association_id"],
        json!(a.association_id())
    );
}

/// Item 11: a sweep that reads while the daily run is under way neither
/// clears the nodes lacking the user nor tells them again when it ends.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_in_progress_neither_clears_nor_retells_the_nodes() {
    let w = fleet_world().await;
    let account = w.create_account("midrun", None).await;
    member_stack(&w, &account).await;
    let nodes = [
        with_user("i-0ddddddddddddddd1"),
        without_user("i-0ddddddddddddddd2"),
        without_user("i-0ddddddddddddddd3"),
    ];
    fleet(&w, &account, "eu-west-1", &nodes);
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        of_kind(&w.alerts().await, "run_as_user_missing").len(),
        1,
        "told once"
    );
    // State Manager's daily run starts: one node has answered.
    let held = json!({"account": account, "region": "eu-west-1", "in_progress": 1});
    let ran = emulator(&w, "/_emulated/ssm/run", held);
    assert_eq!(ran["executions"][0]["Status"], "InProgress", "{ran}");
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let item = check_state(&w, &account, "eu-west-1").await.unwrap();
    let found = readiness(&item);
    assert_eq!(found["missing"], 2, "not cleared mid-run: {found}");
    assert_eq!(
        found["missing_nodes"],
        json!(["i-0ddddddddddddddd2", "i-0ddddddddddddddd3"])
    );
    // The run ends with the same nodes lacking the user: nothing new.
    emulator(&w, "/_emulated/ssm/run/finish", json!({"account": account}));
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    assert!(
        of_kind(&alerts, "run_as_user_missing").is_empty(),
        "{alerts:#?}"
    );
    assert_eq!(
        readiness(&check_state(&w, &account, "eu-west-1").await.unwrap())["missing"],
        2
    );
}

/// Item 12: an administrator's copy under the check's name never replaces
/// the association runas-guard created, whichever id sorts first.
#[tokio::test(flavor = "multi_thread")]
async fn a_copy_under_the_checks_name_is_deleted_and_ours_kept() {
    let w = fleet_world().await;
    let account = w.create_account("copied", None).await;
    member_stack(&w, &account).await;
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    let ours = assoc_ids(&associations(&w, &account, "eu-west-1").await).remove(0);
    w.alerts().await;
    let admin = w.admin_ssm(&account, "eu-west-1").await;
    // A copy whose id sorts before ours (ids are random: try until one does).
    let copy = loop {
        let made = create_check(&admin, "root").send().await.unwrap();
        let id = made
            .association_description()
            .unwrap()
            .association_id()
            .unwrap()
            .to_string();
        if id < ours {
            break id;
        }
        admin
            .delete_association()
            .association_id(&id)
            .send()
            .await
            .unwrap();
    };
    let mut event = association_event("CreateAssociation", &account, "eu-west-1", &copy);
    event["detail"]["requestParameters"]["name"] = json!(CHECK);
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        assoc_ids(&associations(&w, &account, "eu-west-1").await),
        std::slice::from_ref(&ours),
        "ours kept, the copy deleted"
    );
    let item = check_state(&w, &account, "eu-west-1").await.unwrap();
    assert_eq!(readiness(&item)["association_id"], json!(ours));
}

/// Item 13: a `DeleteAssociation` of some other association (the event
/// names an id only) costs one State Manager read.
#[tokio::test(flavor = "multi_thread")]
async fn another_associations_delete_costs_one_read() {
    let w = fleet_world().await;
    let account = w.create_account("cheap", None).await;
    member_stack(&w, &account).await;
    let (a, b, c) = (
        "i-0eeeeeeeeeeeeeee1",
        "i-0eeeeeeeeeeeeeee2",
        "i-0eeeeeeeeeeeeeee3",
    );
    fleet(
        &w,
        &account,
        "eu-west-1",
        &[without_user(a), without_user(b), with_user(c)],
    );
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    w.alerts().await;

    let (status, _) = http(w.moto.port(), "POST", "/_emulated/ssm/calls/reset", "{}");
    assert_eq!(status, 200);
    let other = "0b3d5a0e-1111-4222-8333-944455556666";
    let (code, out) = w.handle(&association_event(
        "DeleteAssociation",
        &account,
        "eu-west-1",
        other,
    ));
    assert_eq!(code, 0, "{out:#}");
    let (_, calls) = http(w.moto.port(), "GET", "/_emulated/ssm/calls", "");
    let here = &calls["by_account_region"][format!("{account}/eu-west-1")];
    assert_eq!(here, &json!({"DescribeAssociation": 1}), "{calls:#}");
    assert!(w.alerts().await.is_empty());
}

/// Item 13: the nodes named are the newest run's, found by its time,
/// whatever order SSM lists the runs in.
#[tokio::test(flavor = "multi_thread")]
async fn the_newest_run_by_its_time_names_the_nodes() {
    let w = fleet_world().await;
    let account = w.create_account("newest", None).await;
    member_stack(&w, &account).await;
    let (a, b, c) = (
        "i-0fffffffffffffff1",
        "i-0fffffffffffffff2",
        "i-0fffffffffffffff3",
    );
    fleet(
        &w,
        &account,
        "eu-west-1",
        &[without_user(a), without_user(b), with_user(c)],
    );
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    // Many runs with a and b lacking the user; then only c lacks it.
    for _ in 0..20 {
        run_associations(&w, &account);
    }
    fleet(
        &w,
        &account,
        "eu-west-1",
        &[with_user(a), with_user(b), without_user(c)],
    );
    std::thread::sleep(std::time::Duration::from_millis(5));
    run_associations(&w, &account);
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let found = readiness(&check_state(&w, &account, "eu-west-1").await.unwrap());
    assert_eq!(
        found["missing_nodes"],
        json!([c]),
        "the newest run's: {found}"
    );
}

/// The check's rows of `account` in a run's outcome, by region.
fn check_rows(out: &Value, account: &str) -> Vec<Value> {
    out["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["account"] == account)
        .flat_map(|a| a["regions"].as_array().unwrap().clone())
        .filter(|r| r["document"] == CHECK)
        .collect()
}

/// Issue 43 item 2, the association's part: the platform team changes the
/// default user. The check's association is updated to the new user in
/// every region, each row marked the policy's change (`change.kind`
/// `policy`), counted in the sweep's one `policy_applied`, and no
/// per-account-region alert is sent about the association. The control: an
/// edit of the association under the unchanged (new) user is still a
/// `drift_reverted`, and its row is someone's change (`document`).
#[tokio::test(flavor = "multi_thread")]
async fn a_new_user_in_the_policy_updates_the_association_without_a_drift_alert() {
    let w = fleet_world().await;
    let account = w.create_account("new-user", None).await;
    member_stack(&w, &account).await;
    for region in REGIONS {
        fleet(
            &w,
            &account,
            region,
            &[("i-0fffffffffffffff1", &["ec2-user", "ssm-ops", "newuser"])],
        );
    }
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let ids: Vec<String> = {
        let mut ids = Vec::new();
        for region in REGIONS {
            let a = the_one(&w, &account, region).await;
            assert_eq!(user_of(&a), "ssm-ops");
            ids.push(a.association_id().unwrap().to_string());
        }
        ids
    };
    let _ = w.alerts().await;

    w.write_policy_raw(&format!(
        "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\", \"eu-west-1\"]\n{NODES_ON}\n[default]\nrun_as_user = \"newuser\"\n"
    ));
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let rows = check_rows(&out, &account);
    assert_eq!(rows.len(), 2, "{out:#}");
    for r in &rows {
        assert_eq!(
            (r["action"].as_str(), r["change"]["kind"].as_str()),
            (Some("updated"), Some("policy")),
            "{r:#}"
        );
        assert_eq!(
            (
                r["change"]["from_user"].as_str(),
                r["change"]["to_user"].as_str()
            ),
            (Some("ssm-ops"), Some("newuser")),
            "{r:#}"
        );
    }
    for (region, id) in REGIONS.iter().zip(&ids) {
        let a = the_one(&w, &account, region).await;
        assert_eq!(
            (a.association_id().unwrap(), user_of(&a).as_str()),
            (id.as_str(), "newuser"),
            "updated in place"
        );
    }
    let alerts = w.alerts().await;
    let about_check: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["message"]["document"] == CHECK)
        .collect();
    assert!(about_check.is_empty(), "{alerts:#?}");
    let applied = of_kind(&alerts, "policy_applied");
    assert_eq!(applied.len(), 1, "{alerts:#?}");
    let counted: Vec<&Value> = applied[0]["message"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["account"] == account.as_str() && e["document"] == CHECK)
        .collect();
    assert_eq!(counted.len(), 2, "{:#}", applied[0]["message"]);
    assert!(counted.iter().all(|e| e["change"] == "ssm-ops -> newuser"));

    // The control: under the new user, an edit of the association is drift.
    let admin = w.admin_ssm(&account, "eu-west-1").await;
    edit_check(&admin, &ids[1], "root").send().await.unwrap();
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let edited: Vec<Value> = check_rows(&out, &account)
        .into_iter()
        .filter(|r| r["region"] == "eu-west-1")
        .collect();
    assert_eq!(edited[0]["action"], "updated", "{edited:#?}");
    assert_eq!(edited[0]["change"]["kind"], "document", "{edited:#?}");
    let alerts = w.alerts().await;
    let drift = of_kind(&alerts, "drift_reverted");
    assert_eq!(drift.len(), 1, "{alerts:#?}");
    let m = &drift[0]["message"];
    assert_eq!(
        (m["document"].as_str(), m["region"].as_str()),
        (Some(CHECK), Some("eu-west-1"))
    );
    assert_eq!(
        user_of(&the_one(&w, &account, "eu-west-1").await),
        "newuser"
    );
}
