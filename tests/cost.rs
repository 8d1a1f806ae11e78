//! What a sweep and a vend cost, counted at the proxy: the calls docs/design.md's
//! "Cost at organization scale" allows, and no more.

use crate::common;

use common::proxy::*;
use common::*;
use serde_json::{json, Value};

const COUNTED: [(&str, &str); 17] = [
    ("sts", "AssumeRole"),
    ("ssm", "DescribeDocument"),
    ("ssm", "GetDocument"),
    ("ssm", "CreateDocument"),
    ("ssm", "UpdateDocument"),
    ("ssm", "UpdateDocumentDefaultVersion"),
    ("organizations", "ListParents"),
    ("organizations", "ListRoots"),
    ("organizations", "ListAccounts"),
    ("organizations", "ListAccountsForParent"),
    ("organizations", "ListOrganizationalUnitsForParent"),
    ("organizations", "DescribeOrganizationalUnit"),
    ("dynamodb", "PutItem"),
    ("dynamodb", "UpdateItem"),
    ("dynamodb", "DeleteItem"),
    ("dynamodb", "BatchWriteItem"),
    ("sns", "Publish"),
];

fn hits(proxy: &Proxy) -> std::collections::BTreeMap<String, u64> {
    let all = proxy.hits();
    COUNTED
        .iter()
        .map(|(s, a)| {
            let name = format!("{s}:{a}");
            let n = all[&name]["hits"].as_u64().unwrap_or(0);
            (name, n)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_costs_what_the_design_allows() {
    let (w, proxy, first) = world_behind_proxy().await;
    let ou = w.create_ou(&w.root, "Workloads").await;
    let nested = w.create_ou(&ou, "Prod").await;
    let mut accounts = vec![first];
    for i in 0..5 {
        accounts.push(
            w.create_account(
                &format!("a{i}"),
                Some(if i % 2 == 0 { &ou } else { &nested }),
            )
            .await,
        );
    }
    // + the management account: 7 accounts x 2 regions, no documents yet.
    let account_regions = 7 * 2;

    proxy.faults(counters(&COUNTED));
    let run = w.run(&["reconcile", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["totals"]["created"], account_regions);
    let first = hits(&proxy);
    assert_eq!(first["sts:AssumeRole"], 7, "one per account: {first:?}");
    assert_eq!(first["ssm:DescribeDocument"], account_regions, "{first:?}");
    assert_eq!(first["ssm:CreateDocument"], account_regions, "{first:?}");
    assert_eq!(
        first["organizations:ListParents"], 0,
        "one walk of the tree, no chain per account: {first:?}"
    );
    assert_eq!(
        first["organizations:DescribeOrganizationalUnit"], 0,
        "names come with the walk: {first:?}"
    );
    assert_eq!(
        first["organizations:ListRoots"], 1,
        "one walk serves the policy id check and the reconcile: {first:?}"
    );
    // Root, Workloads, Prod: one page of OUs and one of accounts each.
    assert_eq!(
        first["organizations:ListOrganizationalUnitsForParent"], 3,
        "{first:?}"
    );
    assert_eq!(first["sns:Publish"], 1, "one summary: {first:?}");

    proxy.faults(counters(&COUNTED));
    let run = w.run(&["reconcile", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["totals"]["none"], account_regions);
    let steady = hits(&proxy);
    assert_eq!(steady["sts:AssumeRole"], 7, "{steady:?}");
    assert_eq!(
        steady["ssm:DescribeDocument"], account_regions,
        "{steady:?}"
    );
    assert_eq!(steady["ssm:GetDocument"], account_regions, "{steady:?}");
    let writes = steady["dynamodb:PutItem"]
        + steady["dynamodb:UpdateItem"]
        + steady["dynamodb:DeleteItem"]
        + steady["dynamodb:BatchWriteItem"];
    assert_eq!(
        writes, 1,
        "a compliant organization costs one write (the sweep's time): {steady:?}"
    );
    assert_eq!(steady["sns:Publish"], 0, "{steady:?}");
    for key in [
        "ssm:CreateDocument",
        "ssm:UpdateDocument",
        "ssm:UpdateDocumentDefaultVersion",
    ] {
        assert_eq!(steady[key], 0, "{key}: {steady:?}");
    }

    // `status` still says when each account-region was last checked.
    let status = w
        .run(&["status", "--account", &accounts[1], "--format", "json"])
        .json();
    let swept = w
        .items()
        .await
        .into_iter()
        .find(|i| i["pk"] == "SWEEPS")
        .unwrap()["at"]
        .clone();
    assert!(
        status
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["last_checked"] == swept.as_str()),
        "{status:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vend_reads_the_ou_from_organizations_and_writes_each_region_once() {
    let (w, proxy, _) = world_behind_proxy().await;
    let ou = w.create_ou(&w.root, "Workloads").await;
    let account = w.create_account("new", Some(&ou)).await;
    proxy.faults(counters(&COUNTED));
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    let vend = hits(&proxy);
    assert_eq!(vend["sts:AssumeRole"], 1, "{vend:?}");
    assert_eq!(vend["ssm:CreateDocument"], 2, "{vend:?}");
    assert_eq!(
        vend["ssm:DescribeDocument"], 2,
        "no read-back after the writes: {vend:?}"
    );
    // The path comes with the answer the vend asks anyway (DescribeAccount's
    // `Account.Paths`, as AWS answers today): no walk. Without Paths it was
    // 2 (account -> OU -> root); tests/paths.rs counts that walk.
    assert_eq!(
        vend["organizations:ListParents"], 0,
        "the path from Paths: {vend:?}"
    );
    assert_eq!(vend["sns:Publish"], 1, "{vend:?}");
    assert_eq!(out["accounts"][0]["ou_path"], "Root/Workloads");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vend_reads_the_documents_while_it_climbs_the_ou_tree() {
    // Organizations without `Account.Paths` (older answers): the path is
    // walked with ListParents, the climb this test holds.
    let mut w = World::on(Moto::start_without_paths()).await;
    let proxy = w.behind_proxy();
    let ou = w.create_ou(&w.root, "Workloads").await;
    let account = w.create_account("new", Some(&ou)).await;
    // Hold the climb's second hop (OU -> root): the user is not known yet.
    let mut rules = vec![json!({"name": "climb", "service": "organizations",
        "action": "ListParents", "effect": "hold", "skip": 1, "times": 1})];
    rules.extend(
        counters(&[
            ("ssm", "DescribeDocument"),
            ("ssm", "GetDocument"),
            ("ssm", "CreateDocument"),
        ])
        .as_array()
        .unwrap()
        .iter()
        .cloned(),
    );
    proxy.faults(Value::Array(rules));
    let run = w.handle_in_background(&vend_event(&account));
    assert!(proxy.wait("climb", "held", 1, 60), "the climb never came");
    // Both regions' documents are read while the climb is held (well inside
    // the SDK's 10 s attempt timeout, which would end the hold).
    assert!(
        proxy.wait("ssm:DescribeDocument", "hits", 2, 5)
            && proxy.wait("ssm:GetDocument", "hits", 2, 5),
        "documents not read during the climb: {:#}",
        proxy.hits()
    );
    assert_eq!(
        hits(&proxy)["ssm:CreateDocument"],
        0,
        "nothing written before the user is known"
    );
    proxy.release("climb");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let out = run.json();
    assert_eq!(out["accounts"][0]["desired_user"], "ssm-ops");
    for region in REGIONS {
        let (doc, ..) = w.document(&account, region).await.unwrap();
        assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")), "{region}");
    }
    // Read once, ahead of the plan: no second look.
    assert_eq!(
        hits(&proxy)["ssm:DescribeDocument"],
        2,
        "{:#}",
        proxy.hits()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vend_names_every_ou_of_its_path_at_once() {
    let (w, proxy, _) = world_behind_proxy().await;
    let workloads = w.create_ou(&w.root, "Workloads").await;
    let prod = w.create_ou(&workloads, "Prod").await;
    let account = w.create_account("new", Some(&prod)).await;
    // Hold the first OU's name: the second is asked for while it is held.
    proxy.faults(json!([
        {"name": "first-name", "service": "organizations", "action": "DescribeOrganizationalUnit",
         "effect": "hold", "times": 1},
        {"name": "other-names", "service": "organizations", "action": "DescribeOrganizationalUnit",
         "effect": "count"}
    ]));
    let run = w.handle_in_background(&vend_event(&account));
    assert!(proxy.wait("first-name", "held", 1, 60), "no OU was named");
    assert!(
        proxy.wait("other-names", "hits", 1, 5),
        "the second OU waited for the first: {:#}",
        proxy.hits()
    );
    proxy.release("first-name");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json()["accounts"][0]["ou_path"], "Root/Workloads/Prod");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vend_asks_whether_it_is_first_to_say_configured_while_it_records() {
    let (w, proxy, _) = world_behind_proxy().await;
    let ou = w.create_ou(&w.root, "Workloads").await;
    let account = w.create_account("new", Some(&ou)).await;
    // Hold the question (the conditional write of `configured_by`): the
    // rows are recorded meanwhile, and nothing is told before the answer.
    proxy.faults(json!([
        {"name": "first", "service": "dynamodb", "action": "UpdateItem", "contains": "configured_by",
         "effect": "hold", "times": 1},
        {"name": "recorded", "service": "dynamodb", "action": "UpdateItem", "contains": "observed_user",
         "effect": "count"},
        {"name": "told", "service": "sns", "action": "Publish", "effect": "count"}
    ]));
    let run = w.handle_in_background(&vend_event(&account));
    assert!(proxy.wait("first", "held", 1, 60), "the vend never asked");
    assert!(
        proxy.wait("recorded", "hits", REGIONS.len(), 5),
        "the rows waited for the question: {:#}",
        proxy.hits()
    );
    assert_eq!(proxy.hits()["told"]["hits"], 0, "told before the answer");
    proxy.release("first");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(proxy.hits()["first"]["hits"], 1);
    assert_eq!(w.alert_kinds().await, ["account_configured"]);

    // Another path of the same vend (Control Tower's event) finds the
    // account configured and is not the first to say it: quiet, and
    // nothing of it waits in the outbox.
    let (code, out) = w.handle(&ct_event(&account, &ou));
    assert_eq!(code, 0, "{out:#}");
    assert!(w.alerts().await.is_empty(), "told twice");
    let outbox: Vec<_> = w
        .items()
        .await
        .into_iter()
        .filter(|i| i["pk"].starts_with("OUTBOX"))
        .collect();
    assert!(outbox.is_empty(), "{outbox:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_sweep_clears_no_departure_mark_it_has_not_listed() {
    let (w, proxy, _) = world_behind_proxy().await;
    // Two accounts (the management account and one more), new to the
    // table: governed, no row says they were, and no departure is on
    // record, so nothing is cleared; the departures cost one Query of the
    // index beside the state shards.
    proxy.faults(json!([
        {"name": "governed-again", "service": "dynamodb", "action": "DeleteItem", "contains": "GOVERNANCE",
         "effect": "count"},
        {"name": "departures", "service": "dynamodb", "action": "Query", "contains": "DEPARTED",
         "effect": "count"}
    ]));
    let run = w.run(&["reconcile", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.json()["totals"]["created"],
        2 * REGIONS.len(),
        "{}",
        run.stdout
    );
    let hits = proxy.hits();
    assert_eq!(hits["governed-again"]["hits"], 0, "{hits:#}");
    assert_eq!(hits["departures"]["hits"], 1, "{hits:#}");
}
