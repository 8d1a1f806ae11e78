//! An account outside the policy's `[scope]` is never entered: `reconcile
//! --account` and `doctor --account` decide its standing before any
//! AssumeRole, so the proxy counts no AssumeRole into it, while the same
//! commands for an account in scope do assume there (the counter works).

use crate::common;

use common::proxy::*;
use serde_json::json;

/// Counts AssumeRole into `account` (the role ARN names it) as `name`.
fn into(name: &str, account: &str) -> serde_json::Value {
    json!({"name": name, "service": "sts", "action": "AssumeRole",
        "contains": format!("arn:aws:iam::{account}:role/"), "effect": "count"})
}

fn hits(proxy: &Proxy, name: &str) -> u64 {
    proxy.hits()[name]["hits"].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn no_role_is_assumed_in_an_account_outside_the_scope() {
    let (w, proxy, inside) = world_behind_proxy().await;
    let workloads = w.create_ou(&w.root, "Workloads").await;
    let sandbox = w.create_ou(&w.root, "Sandbox").await;
    let outside = w.create_account("outside", Some(&sandbox)).await;
    let scoped = w.create_account("scoped", Some(&workloads)).await;
    // By id (the id decides) and by OU (the OU path decides).
    w.write_policy(&format!(
        "[scope]\naccounts = [\"{inside}\"]\nous = [\"{workloads}\"]\n"
    ));
    let rules = || {
        json!([
            into("outside", &outside),
            into("inside", &inside),
            into("scoped", &scoped)
        ])
    };

    for args in [
        vec!["reconcile", "--account", outside.as_str()],
        vec!["doctor", "--account", outside.as_str()],
    ] {
        proxy.faults(rules());
        let run = w.run(&args);
        let said =
            format!("{}\n{}", run.stdout, run.stderr).replace("out-of-scope", "out of scope");
        assert!(said.contains("out of scope"), "{args:?}: {said}");
        assert_eq!(
            hits(&proxy, "outside"),
            0,
            "{args:?} assumed a role outside the scope: {}",
            proxy.hits()
        );
    }
    assert_eq!(
        w.document(&outside, "us-east-1").await,
        None,
        "nothing written outside"
    );

    // In scope, by id and by OU: the same commands do assume there.
    for account in [&inside, &scoped] {
        for args in [
            vec!["reconcile", "--account", account.as_str()],
            vec!["doctor", "--account", account.as_str()],
        ] {
            proxy.faults(rules());
            let run = w.run(&args);
            if args[0] == "reconcile" {
                assert_eq!(run.code, 0, "{args:?}\n{}\n{}", run.stdout, run.stderr);
            }
            let name = if account == &inside {
                "inside"
            } else {
                "scoped"
            };
            assert!(hits(&proxy, name) >= 1, "{args:?}: {}", proxy.hits());
            assert_eq!(hits(&proxy, "outside"), 0, "{}", proxy.hits());
        }
    }
}
