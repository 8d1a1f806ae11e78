//! The organization's walk, in sequential round trips counted at the proxy
//! (never timed; tests/fault_proxy.py `/__chain`, as bench/scale.py counts
//! them): a parent with many pages of accounts holds up no deeper OU. Each
//! parent's child OUs are listed as soon as its own OU listing ends, not
//! once its whole level (every page of every sibling's accounts) is done.

use crate::common;

use common::proxy::*;
use common::*;

/// No request is answered sooner than this after it reached the proxy.
const RTT_MS: u64 = 400;
/// ListAccountsForParent's page (Organizations' and moto's): `BIG` accounts
/// are four pages.
const BIG: usize = 61;

/// `Root/Big` holds four pages of accounts, and `Root/Big/Mid/Leaf` one
/// account. Level by level, the walk was ListRoots, the root's listings,
/// Big's four pages, Mid's, Leaf's: 8 round trips. Each parent as soon as
/// it is known: ListRoots, the root's OUs, then Big's four pages beside
/// Big's OUs > Mid's OUs > Leaf's listings: 6.
#[tokio::test(flavor = "multi_thread")]
async fn a_parent_with_pages_of_accounts_holds_up_no_deeper_ou() {
    let mut w = World::new().await;
    let proxy = w.behind_proxy();
    let big = w.create_ou(&w.root, "Big").await;
    let mid = w.create_ou(&big, "Mid").await;
    let leaf = w.create_ou(&mid, "Leaf").await;
    for i in 0..BIG {
        w.create_account(&format!("big-{i:02}"), Some(&big)).await;
    }
    let deep = w.create_account("deep", Some(&leaf)).await;
    w.write_policy_raw(&format!(
        "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\"]\n[default]\nrun_as_user = \"ssm-ops\"\n\
         [[ou]]\nid = \"{leaf}\"\nrun_as_user = \"leafuser\"\n[[account]]\nid = \"{deep}\"\nrun_as_user = \"deepuser\"\n"
    ));
    let policy = path_str(&w.policy).to_string();
    proxy.faults(counters(&[
        ("organizations", "ListAccountsForParent"),
        ("organizations", "ListOrganizationalUnitsForParent"),
    ]));
    proxy.count_round_trips(RTT_MS);
    let run = w.run(&["policy", "check", &policy, "--org"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("all 2 OU and account ids are in the organization"),
        "the walk found the deepest OU and its account: {}",
        run.stdout
    );
    let hits = proxy.hits();
    let pages = |op: &str| {
        hits[format!("organizations:{op}")]["hits"]
            .as_u64()
            .unwrap_or(0)
    };
    assert_eq!(
        pages("ListAccountsForParent"),
        7,
        "Big's four pages, one each for the root, Mid and Leaf: {hits}"
    );
    assert_eq!(
        pages("ListOrganizationalUnitsForParent"),
        4,
        "one each for the root, Big, Mid and Leaf: {hits}"
    );
    let chain = proxy.chain();
    let shown = chain.join(" > ");
    assert!(
        chain.iter().all(|op| op.starts_with("organizations:")),
        "{shown}"
    );
    // The walk's floor on this tree is 5 (ListRoots, then the OUs of the
    // root, Big and Mid, then Leaf's): fewer means the counting did not run.
    assert!(chain.len() >= 5, "the proxy counted the chain: {shown}");
    assert!(chain.len() <= 6, "over 6 (8 level by level): {shown}");
}
