//! A sweep's sequential round trips, counted at the proxy (never timed;
//! tests/fault_proxy.py `/__chain`): an account's slot holds its member
//! calls alone. Its session is made while it waits for the slot, and its
//! records are written beside its last member calls, so the next account
//! starts as soon as this one's reads (and fixes) are answered.

use crate::common;

use common::proxy::*;
use common::*;

/// No request is answered sooner than this after it reached the proxy.
const RTT_MS: u64 = 300;
/// Member accounts besides the hub (which needs no session).
const MEMBERS: usize = 6;

/// `reconcile --concurrency 1` of `MEMBERS` accounts and the hub in one
/// region: the chain, and the part of it after the organization's walk
/// and the table's reads (the accounts' and the sweep's last record).
fn sweep(w: &World, proxy: &Proxy) -> (Vec<String>, usize) {
    proxy.count_round_trips(RTT_MS);
    let run = w.run(&["reconcile", "--format", "json", "--concurrency", "1"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let chain = proxy.chain();
    let opening = chain
        .iter()
        .take_while(|op| op.starts_with("organizations:") || op.starts_with("dynamodb:Query"))
        .count();
    let accounts = chain.len() - opening;
    (chain, accounts)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_accounts_slot_holds_its_member_calls_alone() {
    let mut w = World::new().await;
    let proxy = w.behind_proxy();
    for i in 0..MEMBERS {
        w.create_account(&format!("member-{i}"), None).await;
    }
    w.write_policy_regions(&["us-east-1"]);
    let accounts = MEMBERS + 1;

    // First sweep: every document created. In its slot an account reads,
    // takes the lease and creates (3); its AssumeRole went before, its
    // records go beside the next account's read. The first sessions open
    // the chain (2) and the sweep's own writes close it (4: its record,
    // the history, the summary's publish and outbox): 27. Each account
    // took 5 before (AssumeRole, read, lease, create, record): 41.
    let (chain, after_walk) = sweep(&w, &proxy);
    let shown = chain.join(" > ");
    // Each account's read, lease and create answer one after another in
    // its slot: fewer means the proxy counted nothing.
    assert!(after_walk >= 3 * accounts, "the proxy counted: {shown}");
    assert!(
        after_walk <= 3 * accounts + 6,
        "first sweep: {after_walk} round trips after the walk, over {}: {shown}",
        3 * accounts + 6
    );
    // Steady sweep: nothing to write. An account's slot is its one read,
    // the first session opens the chain and the sweep's record closes it;
    // each account took 2 before (AssumeRole, read): 16.
    let (chain, after_walk) = sweep(&w, &proxy);
    let shown = chain.join(" > ");
    assert!(after_walk >= accounts, "a read a slot: {shown}");
    assert!(
        after_walk <= accounts + 2,
        "steady sweep: {after_walk} round trips after the walk, over {}: {shown}",
        accounts + 2
    );
}
