//! Session readiness (the run-as user check): runas-guard keeps one State
//! Manager association of the member stack's check document per governed
//! account-region and tells on-call once when nodes lack the Run As user.
//! State Manager, its runs and the managed nodes are emulated by
//! tests/moto_ssm_associations.py (moto has none of them).

use crate::common;

use common::fleet::*;
use common::*;
use serde_json::{json, Value};

fn missing_alerts(alerts: &[Value]) -> Vec<&Value> {
    of_kind(alerts, "run_as_user_missing")
}

#[tokio::test(flavor = "multi_thread")]
async fn nodes_lacking_the_user_are_reported_by_account_region_and_node_once() {
    let w = fleet_world().await;
    // The hub (management) account is in the organization too.
    member_stack(&w, HUB).await;
    let mut accounts = Vec::new();
    for i in 0..5 {
        let a = w.create_account(&format!("fleet-{i}"), None).await;
        member_stack(&w, &a).await;
        accounts.push(a);
    }
    let ids = |i: usize, r: usize, n: usize| format!("i-0{i}{r}{n}0000000000000");
    for (i, a) in accounts.iter().enumerate() {
        for (r, region) in REGIONS.iter().enumerate() {
            let (n0, n1, n2) = (ids(i, r, 0), ids(i, r, 1), ids(i, r, 2));
            // Accounts 1 and 3 have an AMI without the user in eu-west-1.
            let lacking = (i == 1 || i == 3) && *region == "eu-west-1";
            let nodes = if lacking {
                vec![with_user(&n0), without_user(&n1), without_user(&n2)]
            } else {
                vec![with_user(&n0), with_user(&n1), with_user(&n2)]
            };
            fleet(&w, a, region, &nodes);
        }
    }

    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    for a in &accounts {
        for region in REGIONS {
            let found = associations(&w, a, region).await;
            assert_eq!(found.len(), 1, "{a} {region}: exactly one association");
            assert_eq!(user_of(&found[0]), "ssm-ops");
            assert_eq!(
                found[0].association_name(),
                Some("runas-guard-check-run-as-user")
            );
            let item = check_state(&w, a, region)
                .await
                .expect("check row recorded");
            assert_eq!(item["status"], "remediated", "{a} {region}");
            assert_eq!(readiness(&item)["checked"], 3, "{a} {region}: {item:?}");
        }
    }
    let alerts = w.alerts().await;
    let missing = missing_alerts(&alerts);
    let mut reported: Vec<(String, String, Vec<String>)> = missing
        .iter()
        .map(|a| {
            let m = &a["message"];
            let r = &m["regions"][0];
            let nodes = r["missing_nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_string())
                .collect();
            (
                m["account"].as_str().unwrap().to_string(),
                r["region"].as_str().unwrap().to_string(),
                nodes,
            )
        })
        .collect();
    reported.sort();
    let want = |i: usize| {
        (
            accounts[i].clone(),
            "eu-west-1".to_string(),
            vec![ids(i, 1, 1), ids(i, 1, 2)],
        )
    };
    let mut expected = vec![want(1), want(3)];
    expected.sort();
    assert_eq!(reported, expected, "{missing:#?}");
    let m = &missing[0]["message"];
    // Enforce mode: Run As is on there, every session on those nodes is
    // refused now: an error, worded as such.
    assert_eq!(m["severity"], "error");
    assert_eq!(
        (m["sessions_refused"].as_bool(), m["mode"].as_str()),
        (Some(true), Some("enforce")),
        "{m:#}"
    );
    assert_eq!(missing[0]["attributes"]["severity"]["Value"], "error");
    assert_eq!(m["user"], "ssm-ops");
    assert_eq!(
        (m["nodes_checked"].as_u64(), m["nodes_missing"].as_u64()),
        (Some(3), Some(2))
    );
    assert!(m["regions"][0]["console"]
        .as_str()
        .unwrap()
        .contains("/systems-manager/state-manager/"));
    assert_eq!(
        missing[0]["attributes"]["kind"]["Value"],
        "run_as_user_missing"
    );
    let summary = of_kind(&alerts, "sweep_summary");
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0]["message"]["newly_user_missing"], 2);
    assert_eq!(summary[0]["message"]["nodes_missing"], 4);

    // The next sweep (State Manager has run again: same nodes) says nothing
    // new, and costs one read per account-region.
    for a in &accounts {
        run_associations(&w, a);
    }
    let (status, _) = http(w.moto.port(), "POST", "/_emulated/ssm/calls/reset", "{}");
    assert_eq!(status, 200);
    let (code, out) = w.handle(&sweep_event());
    let (_, calls) = http(w.moto.port(), "GET", "/_emulated/ssm/calls", "");
    assert_eq!(
        calls["operations"],
        json!({"DescribeAssociation": (accounts.len() + 1) * REGIONS.len()}),
        "a steady sweep reads each association once: {calls:#}"
    );
    assert_eq!(code, 0, "{out:#}");
    let again = w.alerts().await;
    assert!(missing_alerts(&again).is_empty(), "told once: {again:#?}");
    assert!(
        again
            .iter()
            .all(|a| a["message"]["kind"] != "sweep_summary"),
        "a steady sweep is silent: {again:#?}"
    );
    for a in &accounts {
        for region in REGIONS {
            assert_eq!(associations(&w, a, region).await.len(), 1);
        }
    }

    // `status` says where sessions would be refused.
    let run = w.run(&["status", "--account", &accounts[1], "--format", "table"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("MISSING on 2 of 3 nodes"),
        "{}",
        run.stdout
    );
    // ...and lists only those rows when asked, for a change request's CSV.
    let run = w.run(&["status", "--status", "would-refuse", "--format", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().skip(1).collect();
    assert!(!lines.is_empty(), "{}", run.stdout);
    assert!(
        lines.iter().all(|l| l.contains(",would-refuse,")
            && l.contains("RunAsGuard-CheckRunAsUser")
            && l.contains("MISSING on")),
        "{}",
        run.stdout
    );
    assert!(lines.iter().any(|l| l.contains(accounts[1].as_str())));
    let run = w.run(&["status", "--status", "remediated", "--format", "csv"]);
    assert!(
        !run.stdout.contains("MISSING on"),
        "a would-refuse row is not also remediated: {}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_ou_user_updates_every_association_and_is_reported_again() {
    let w = fleet_world().await;
    let ou = w.create_ou(&w.root, "Workloads").await;
    let accounts = [
        w.create_account("work-1", Some(&ou)).await,
        w.create_account("work-2", Some(&ou)).await,
    ];
    for a in &accounts {
        member_stack(&w, a).await;
        for region in REGIONS {
            fleet(
                &w,
                a,
                region,
                &[
                    with_user("i-0aaaaaaaaaaaaaaa1"),
                    with_user("i-0aaaaaaaaaaaaaaa2"),
                ],
            );
        }
    }
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert!(missing_alerts(&w.alerts().await).is_empty());

    // The OU's user becomes one the nodes do not have.
    w.write_policy(&format!(
        "{NODES_ON}[[ou]]\nid = \"{ou}\"\nrun_as_user = \"workload\"\n"
    ));
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    for a in &accounts {
        for region in REGIONS {
            let found = associations(&w, a, region).await;
            assert_eq!(found.len(), 1);
            assert_eq!(user_of(&found[0]), "workload", "{a} {region}");
            assert_eq!(
                found[0].association_version(),
                Some("2"),
                "updated in place"
            );
            let item = check_state(&w, a, region).await.unwrap();
            assert_eq!(readiness(&item)["missing"], 2, "{item:?}");
            assert_eq!(readiness(&item)["user"], "workload");
        }
    }
    let alerts = w.alerts().await;
    let missing = missing_alerts(&alerts);
    assert_eq!(missing.len(), 2, "one per account: {missing:#?}");
    for m in &missing {
        assert_eq!(m["message"]["user"], "workload");
        assert_eq!(m["message"]["regions"].as_array().unwrap().len(), 2);
    }
}

/// `doctor --account`'s user check of `region`: its verdict and detail.
fn doctor_user_check(w: &World, account: &str, region: &str) -> (i32, String, String) {
    let run = w.run(&["doctor", "--account", account, "--format", "json"]);
    let list = run.json();
    let check = list["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["scope"] == format!("account {account}")
                && c["item"] == format!("user check {region}")
        })
        .unwrap_or_else(|| panic!("no user check of {region}: {list:#}"))
        .clone();
    (
        run.code,
        check["verdict"].as_str().unwrap().to_string(),
        check["detail"].as_str().unwrap().to_string(),
    )
}

/// Nodes lacking the user while nothing is refused (audit, or
/// enforce-when-ready holding the region) are the rollout's intended
/// state: `doctor --account` warns and exits 0, so "until every check
/// passes" can pass. Where sessions are refused (enforce), it fails.
#[tokio::test(flavor = "multi_thread")]
async fn doctor_warns_of_nodes_lacking_the_user_in_a_rollout_and_fails_where_sessions_are_refused()
{
    let w = fleet_world().await;
    member_stack(&w, HUB).await;
    let a = w.create_account("doctor-1", None).await;
    member_stack(&w, &a).await;
    for region in REGIONS {
        fleet(
            &w,
            &a,
            region,
            &[
                with_user("i-0ddd0000000000001"),
                without_user("i-0ddd0000000000002"),
            ],
        );
    }
    for mode in ["audit", "enforce-when-ready"] {
        w.write_policy(&format!("mode = \"{mode}\"\n{NODES_ON}"));
        let (code, out) = w.handle(&sweep_event());
        assert_eq!(code, 0, "{out:#}");
        assert!(
            w.document(&a, "eu-west-1").await.is_none(),
            "{mode}: nothing enforced"
        );
        let (code, verdict, detail) = doctor_user_check(&w, &a, "eu-west-1");
        assert_eq!((code, verdict.as_str()), (0, "warn"), "{mode}: {detail}");
        assert!(
            detail.contains("nothing is refused yet") && detail.contains(&format!("mode {mode}")),
            "{detail}"
        );
    }
    // Enforce: the next run turns Run As on, and then it is on.
    w.write_policy(NODES_ON);
    let (code, verdict, detail) = doctor_user_check(&w, &a, "eu-west-1");
    assert_eq!((code, verdict.as_str()), (1, "fail"), "{detail}");
    assert!(
        detail.contains("refused (the policy enforces Run As here)"),
        "{detail}"
    );
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let (code, verdict, detail) = doctor_user_check(&w, &a, "eu-west-1");
    assert_eq!((code, verdict.as_str()), (1, "fail"), "{detail}");
    assert!(
        detail.contains("refused (Run As is on for ssm-ops here)"),
        "{detail}"
    );
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

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_or_edited_association_is_put_back_and_alerted_like_a_document_edit() {
    let w = fleet_world().await;
    let account = w.create_account("edited", None).await;
    member_stack(&w, &account).await;
    fleet(
        &w,
        &account,
        "eu-west-1",
        &[with_user("i-0bbbbbbbbbbbbbbb1")],
    );
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    let first = associations(&w, &account, "eu-west-1").await;
    assert_eq!(first.len(), 1);
    let first_id = first[0].association_id().unwrap().to_string();
    w.alerts().await;

    // An administrator deletes it.
    let admin = w.admin_ssm(&account, "eu-west-1").await;
    admin
        .delete_association()
        .association_id(&first_id)
        .send()
        .await
        .unwrap();
    let (code, out) = w.handle(&association_event(
        "DeleteAssociation",
        &account,
        "eu-west-1",
        &first_id,
    ));
    assert_eq!(code, 0, "{out:#}");
    let back = associations(&w, &account, "eu-west-1").await;
    assert_eq!(back.len(), 1, "put back");
    assert_eq!(user_of(&back[0]), "ssm-ops");
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "drift_reverted");
    assert_eq!(m["document"], CHECK);
    assert_eq!(m["actor"], format!("arn:aws:iam::{account}:role/Admin"));
    let item = check_state(&w, &account, "eu-west-1").await.unwrap();
    assert_eq!(item["status"], "reverted");

    // An administrator points it at another user.
    let id = back[0].association_id().unwrap().to_string();
    admin
        .update_association()
        .association_id(&id)
        .parameters("User", vec!["root".to_string()])
        .send()
        .await
        .unwrap();
    let (code, out) = w.handle(&association_event(
        "UpdateAssociation",
        &account,
        "eu-west-1",
        &id,
    ));
    assert_eq!(code, 0, "{out:#}");
    let now = associations(&w, &account, "eu-west-1").await;
    assert_eq!(now.len(), 1);
    assert_eq!(user_of(&now[0]), "ssm-ops");
    assert_eq!(
        now[0].association_version(),
        Some("3"),
        "one corrective version"
    );
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["message"]["kind"], "drift_reverted");
    assert_eq!(alerts[0]["message"]["before"]["runAsDefaultUser"], "root");
    let history = w.history(&account).await;
    assert!(
        history
            .iter()
            .any(|h| h.get("document").map(String::as_str) == Some(CHECK)),
        "{history:#?}"
    );

    // Our own write's event, and a repeat of the edit's, are silent.
    let (code, _) = w.handle(&association_event(
        "UpdateAssociation",
        &account,
        "eu-west-1",
        &id,
    ));
    assert_eq!(code, 0);
    assert!(w.alerts().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn two_deliveries_of_one_delete_put_back_one_association_with_one_alert() {
    let mut w = fleet_world().await;
    let account = w.create_account("raced", None).await;
    member_stack(&w, &account).await;
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    let id = associations(&w, &account, "us-east-1").await[0]
        .association_id()
        .unwrap()
        .to_string();
    w.alerts().await;
    w.admin_ssm(&account, "us-east-1")
        .await
        .delete_association()
        .association_id(&id)
        .send()
        .await
        .unwrap();
    let proxy = w.behind_proxy();
    // The first delivery's create is held in flight; the second delivery
    // finds no association while it is.
    proxy.faults(json!([{"name": "first-create", "service": "ssm",
        "action": "CreateAssociation", "effect": "hold", "times": 1}]));
    let event = association_event("DeleteAssociation", &account, "us-east-1", &id);
    let mut second = event.clone();
    second["id"] = json!(format!("{}-again", event["id"].as_str().unwrap()));
    let first = w.handle_in_background(&event);
    assert!(
        proxy.wait("first-create", "held", 1, 60),
        "the first create never came"
    );
    let second = w.handle_in_background(&second).join().unwrap();
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        associations(&w, &account, "us-east-1").await.is_empty(),
        "the second delivery did not create one of its own"
    );
    proxy.release("first-create");
    let first = first.join().unwrap();
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(proxy.hits()["first-create"]["hits"], 1, "the hold fired");
    assert_eq!(associations(&w, &account, "us-east-1").await.len(), 1);
    assert_eq!(
        w.alert_kinds().await,
        ["drift_reverted"],
        "one change, one effect"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_check_off_nothing_is_created_and_association_events_are_ignored() {
    let w = fleet_world().await;
    w.write_policy("");
    let account = w.create_account("off", None).await;
    member_stack(&w, &account).await;
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    for region in REGIONS {
        assert!(
            associations(&w, &account, region).await.is_empty(),
            "{region}"
        );
        assert!(check_state(&w, &account, region).await.is_none());
    }
    let (code, out) = w.handle(&association_event(
        "DeleteAssociation",
        &account,
        "eu-west-1",
        "a-1",
    ));
    assert_eq!(code, 0);
    assert_eq!(out["result"], "ignored", "{out:#}");
    assert!(
        out["reason"].as_str().unwrap().contains("check is off"),
        "{out:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fleet_of_five_thousand_nodes_is_read_up_to_the_bound() {
    let w = fleet_world().await;
    let account = w.create_account("big", None).await;
    member_stack(&w, &account).await;
    let body = json!({"account": account, "region": "eu-west-1", "nodes": [],
        "count": 5000, "users": ["ec2-user"], "platform": "Linux"})
    .to_string();
    let (status, out) = http(w.moto.port(), "POST", "/_emulated/ssm/fleet", &body);
    assert_eq!((status, &out["nodes"]), (200, &json!(5000)), "{out}");
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let item = check_state(&w, &account, "eu-west-1").await.unwrap();
    let found = readiness(&item);
    // Only the 20 nodes read one by one carry the script's verdict; the
    // other failures are counted apart, never as missing.
    assert_eq!(
        (found["checked"].as_u64(), found["missing"].as_u64()),
        (Some(5000), Some(20))
    );
    assert_eq!(
        found["missing_nodes"].as_array().unwrap().len(),
        20,
        "bounded"
    );
    assert_eq!(found["not_run"]["reasons"], json!({"not_read": 4980}));
    let alerts = w.alerts().await;
    let missing = missing_alerts(&alerts);
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0]["message"]["nodes_missing"], 20);
    // One page of failed targets and 20 node reports, whatever the fleet's size.
    let (_, calls) = http(w.moto.port(), "GET", "/_emulated/ssm/calls", "");
    let here = &calls["by_account_region"][format!("{account}/eu-west-1")];
    assert_eq!(here["DescribeAssociationExecutionTargets"], 1, "{calls:#}");
    assert_eq!(here["DescribeAssociationExecutions"], 1, "{calls:#}");
    assert_eq!(here["DescribeInstanceAssociationsStatus"], 20, "{calls:#}");
}

/// A steady sweep reads the check's association beside the account's
/// documents, not after them: made visible by holding every document read
/// at the proxy while the association reads still arrive.
#[tokio::test(flavor = "multi_thread")]
async fn a_steady_sweep_reads_the_association_beside_the_documents() {
    let mut w = fleet_world().await;
    let account = w.create_account("overlap", None).await;
    member_stack(&w, &account).await;
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let proxy = w.behind_proxy();
    proxy.faults(json!([
        {"name": "documents", "service": "ssm", "action": "DescribeDocument", "effect": "hold"},
        {"name": "associations", "service": "ssm", "action": "DescribeAssociation", "effect": "count"}
    ]));
    let sweep = w.handle_in_background(&sweep_event());
    assert!(
        proxy.wait("documents", "held", 1, 60),
        "no document read came"
    );
    // The member account's association in every governed region (the
    // management account has no check document, so nothing recorded).
    let all = REGIONS.len();
    assert!(
        proxy.wait("associations", "hits", all, 30),
        "the association reads waited for the documents: {}",
        proxy.hits()
    );
    proxy.release("documents");
    let run = sweep.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(proxy.hits()["associations"]["hits"], all, "one read each");
}

/// What the check costs a steady sweep: at most one SSM read per
/// account-region more than the same sweep with it off (the recorded
/// association, described beside the documents), whether its nodes pass or
/// fail (the failures of a run already read stand, and so does the check
/// document's version that run ran: no read of it until the association
/// runs again). Counted at the proxy, every SSM read.
#[tokio::test(flavor = "multi_thread")]
async fn a_steady_sweep_with_the_check_on_reads_at_most_one_more_per_account_region() {
    steady_sweep_reads_at_most_one_more(with_user("i-0aaa0000000000001"), false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_steady_sweep_of_failing_nodes_reads_at_most_one_more_per_account_region() {
    steady_sweep_reads_at_most_one_more(without_user("i-0aaa0000000000002"), true).await;
}

async fn steady_sweep_reads_at_most_one_more(node: (&str, &'static [&'static str]), fails: bool) {
    const READS: [(&str, &str); 9] = [
        ("ssm", "DescribeDocument"),
        ("ssm", "GetDocument"),
        ("ssm", "DescribeAssociation"),
        ("ssm", "ListAssociations"),
        ("ssm", "DescribeInstanceInformation"),
        ("ssm", "DescribeAssociationExecutions"),
        ("ssm", "DescribeAssociationExecutionTargets"),
        ("ssm", "ListDocumentVersions"),
        ("ssm", "ListTagsForResource"),
    ];
    let mut w = fleet_world().await;
    let account = w.create_account("steady", None).await;
    member_stack(&w, &account).await;
    for region in REGIONS {
        fleet(&w, &account, region, &[node]);
    }
    let swept = |w: &World| {
        let (code, out) = w.handle(&sweep_event());
        assert_eq!(code, 0, "{out:#}");
    };
    swept(&w);
    run_associations(&w, &account);
    swept(&w);
    let proxy = w.behind_proxy();
    let reads = |proxy: &common::proxy::Proxy| -> u64 {
        let hits = proxy.hits();
        READS
            .iter()
            .map(|(s, a)| hits[format!("{s}:{a}")]["hits"].as_u64().unwrap_or(0))
            .sum()
    };
    proxy.faults(common::proxy::counters(&READS));
    swept(&w);
    let on = reads(&proxy);
    // The nodes were read, and found as they are, before the steady sweep.
    let alerts = w.alerts().await;
    assert_eq!(!missing_alerts(&alerts).is_empty(), fails, "{alerts:#?}");

    // The same organization with the check off, steady too.
    w.write_policy("");
    swept(&w);
    proxy.faults(common::proxy::counters(&READS));
    swept(&w);
    let off = reads(&proxy);
    // The member account and the management account, in every region.
    let account_regions = 2 * REGIONS.len() as u64;
    assert!(off > 0 && on > off, "on {on}, off {off}: {}", proxy.hits());
    assert!(
        on <= off + account_regions,
        "on {on} > off {off} + one per account-region ({account_regions})"
    );
}
