//! An account's OU path from Organizations' `Account.Paths` (docs/design.md,
//! "Where an account's OU path comes from"): the local AWS answers `Paths`
//! as AWS does today (tests/moto_org_paths.py, emulated, in every local AWS
//! by default), or leaves them out as older answers did
//! (`Moto::start_without_paths`); runas-guard walks with `ListParents` only
//! then, or where `Paths` cannot be read. Calls are counted at the proxy.

use crate::common;

use common::proxy::*;
use common::*;
use serde_json::{json, Value};

const COUNTED: [(&str, &str); 4] = [
    ("organizations", "ListParents"),
    ("organizations", "DescribeAccount"),
    ("organizations", "DescribeOrganizationalUnit"),
    ("sts", "AssumeRole"),
];

/// A world whose Organizations answers carry `Paths` (or, `paths` false,
/// leave them out), runas-guard behind a proxy, and an account two OUs
/// deep (`Root/Workloads/Prod`) whose OU rule gives it `produser`:
/// `(world, proxy, account, [workloads, prod])`.
async fn deep_world(paths: bool) -> (World, Proxy, String, [String; 2]) {
    let moto = match paths {
        true => Moto::start(),
        false => Moto::start_without_paths(),
    };
    let mut w = World::on(moto).await;
    let proxy = w.behind_proxy();
    let workloads = w.create_ou(&w.root, "Workloads").await;
    let prod = w.create_ou(&workloads, "Prod").await;
    let account = w.create_account("deep", Some(&prod)).await;
    w.write_policy(&format!(
        "[[ou]]\nid = \"{prod}\"\nrun_as_user = \"produser\"\n"
    ));
    (w, proxy, account, [workloads, prod])
}

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

/// The vend of `account` configured both regions for `user`, and its
/// report, rows and alert all say `Root/Workloads/Prod`.
async fn configured_under_prod(w: &World, out: &Value, account: &str, user: &str) {
    let report = &out["accounts"][0];
    assert_eq!(report["ou_path"], "Root/Workloads/Prod", "{out:#}");
    assert_eq!(report["desired_user"], user, "{out:#}");
    for region in REGIONS {
        let (doc, ..) = w.document(account, region).await.expect("a document");
        assert_eq!(run_as(&doc), (json!(true), json!(user)), "{region}");
        let row = w.state(account, region).await.expect("a row");
        assert_eq!(row["ou_path"], "Root/Workloads/Prod", "{region}: {row:?}");
    }
    let alerts = w.alerts().await;
    let configured = of_kind(&alerts, "account_configured");
    assert_eq!(configured.len(), 1, "{alerts:#?}");
    let body = &configured[0]["message"];
    assert_eq!(body["ou_path"], "Root/Workloads/Prod", "{body:#}");
    assert_eq!(body["account_name"], "deep", "{body:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vend_with_paths_asks_no_list_parents_and_describes_the_account_once() {
    let (w, proxy, account, _) = deep_world(true).await;
    proxy.faults(counters(&COUNTED));
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    let vend = hits(&proxy);
    assert_eq!(vend["organizations:ListParents"], 0, "{vend:?}");
    assert_eq!(
        vend["organizations:DescribeAccount"], 1,
        "the path, the name and the alert's name from one answer: {vend:?}"
    );
    assert_eq!(
        vend["organizations:DescribeOrganizationalUnit"], 2,
        "{vend:?}"
    );
    assert_eq!(vend["sts:AssumeRole"], 1, "{vend:?}");
    configured_under_prod(&w, &out, &account, "produser").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vend_without_paths_walks_with_list_parents() {
    let (w, proxy, account, _) = deep_world(false).await;
    proxy.faults(counters(&COUNTED));
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    let vend = hits(&proxy);
    assert_eq!(
        vend["organizations:ListParents"], 3,
        "account -> Prod -> Workloads -> root: {vend:?}"
    );
    assert_eq!(vend["organizations:DescribeAccount"], 1, "{vend:?}");
    configured_under_prod(&w, &out, &account, "produser").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn paths_that_cannot_be_read_or_disagree_are_walked() {
    let (w, proxy, account, [workloads, _]) = deep_world(true).await;
    // The answer's Paths as they are, to build hostile ones from.
    let org = w.org().describe_organization().send().await.unwrap();
    let org_id = org.organization().unwrap().id().unwrap().to_string();
    let (root, tail) = (w.root.clone(), w.root.trim_start_matches("r-").to_string());
    let elsewhere = format!("{org_id}/{root}/{workloads}/{account}/");
    let cases: Vec<(&str, Value)> = vec![
        (
            "another account's path",
            json!([format!("{org_id}/{root}/444455556666/")]),
        ),
        (
            "no trailing slash",
            json!([format!("{org_id}/{root}/{workloads}/{account}")]),
        ),
        (
            "an OU of another root",
            json!([format!("{org_id}/{root}/ou-zz{tail}-12345678/{account}/")]),
        ),
        (
            "two entries that disagree",
            json!([elsewhere, format!("{org_id}/{root}/{account}/")]),
        ),
        ("empty", json!([])),
    ];
    for (i, (what, paths)) in cases.into_iter().enumerate() {
        let mut rules = vec![
            json!({"name": "hostile", "service": "organizations", "effect": "rewrite",
            "action": "DescribeAccount", "edit": [{"where": {"Id": account}, "set": {"Paths": paths}}]}),
        ];
        rules.extend(counters(&COUNTED).as_array().unwrap().iter().cloned());
        proxy.faults(Value::Array(rules));
        let mut event = vend_event(&account);
        event["id"] = json!(format!("hostile-paths-{i}"));
        let (code, out) = w.handle(&event);
        assert_eq!(code, 0, "{what}: {out:#}");
        assert_eq!(
            proxy.hits()["hostile"]["changed"],
            1,
            "{what}: {:#}",
            proxy.hits()
        );
        let all = proxy.hits();
        let walked = all["organizations:ListParents"]["hits"]
            .as_u64()
            .unwrap_or(0);
        assert_eq!(walked, 3, "{what}: the walk decides: {all:#}");
        assert_eq!(
            out["accounts"][0]["ou_path"], "Root/Workloads/Prod",
            "{what}: {out:#}"
        );
        assert_eq!(
            out["accounts"][0]["desired_user"], "produser",
            "{what}: {out:#}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_move_reads_the_new_path_from_paths() {
    let (w, proxy, account, [workloads, prod]) = deep_world(true).await;
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    w.move_account(&account, &prod, &workloads).await;
    proxy.faults(counters(&COUNTED));
    // The event names Prod as the destination: a stale hint, never read.
    let (code, out) = w.handle(&move_event(&account, &workloads, &prod));
    assert_eq!(code, 0, "{out:#}");
    let moved = hits(&proxy);
    assert_eq!(moved["organizations:ListParents"], 0, "{moved:?}");
    assert_eq!(moved["organizations:DescribeAccount"], 1, "{moved:?}");
    let report = &out["accounts"][0];
    assert_eq!(report["ou_path"], "Root/Workloads", "{out:#}");
    assert_eq!(report["desired_user"], "ssm-ops", "{out:#}");
    for region in REGIONS {
        let (doc, ..) = w.document(&account, region).await.unwrap();
        assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")), "{region}");
    }
}
