//! A staged rollout: a policy that governs part of the organization
//! (`[scope]`, `[exempt] ous`), a mode per rule inherited down the OU tree,
//! the run-as user check kept in audit mode so readiness is known before
//! anyone enforces, and `enforce-when-ready`, which turns Run As on only
//! once the check says no session would be refused. State Manager and the
//! managed nodes are emulated by tests/moto_ssm_associations.py.

use crate::common;

use common::fleet::*;
use common::*;
use serde_json::{json, Value};

/// Root > Workloads > Sandbox > Team; Root > Security.
struct Tree {
    workloads: String,
    sandbox: String,
    team: String,
    security: String,
}

async fn tree(w: &World) -> Tree {
    let workloads = w.create_ou(&w.root, "Workloads").await;
    let sandbox = w.create_ou(&workloads, "Sandbox").await;
    let team = w.create_ou(&sandbox, "Team").await;
    let security = w.create_ou(&w.root, "Security").await;
    Tree {
        workloads,
        sandbox,
        team,
        security,
    }
}

/// An account under `ou` with the member stack (check document) and one
/// Linux node per governed region, `users` on it.
async fn account_with_nodes(
    w: &World,
    name: &str,
    ou: &str,
    users: &'static [&'static str],
) -> String {
    let a = w.create_account(name, Some(ou)).await;
    member_stack(w, &a).await;
    for (r, region) in REGIONS.iter().enumerate() {
        let id = format!("i-0{}{r}000000000000", &a[..3]);
        fleet(w, &a, region, &[(id.as_str(), users)]);
    }
    a
}

/// A policy with the check on, `mode` as the global mode, then `rest`.
fn policy(mode: &str, rest: &str) -> String {
    format!(
        "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\", \"eu-west-1\"]\nmode = \"{mode}\"\n{NODES_ON}\n{rest}\n"
    )
}

/// What an operator looks at for an account: its document's Run As per
/// region, its check associations, its state items, and the alerts that
/// name it.
async fn untouched(w: &World, account: &str, alerts: &[Value]) {
    for region in REGIONS {
        assert!(
            w.document(account, region).await.is_none(),
            "{account} {region}: no document written"
        );
        assert!(
            associations(w, account, region).await.is_empty(),
            "{account} {region}: no association"
        );
    }
    let pk = format!("ACCOUNT#{account}");
    let items: Vec<_> = w
        .items()
        .await
        .into_iter()
        .filter(|i| i["pk"] == pk)
        .collect();
    assert!(items.is_empty(), "{account}: no state item: {items:#?}");
    let named: Vec<&Value> = alerts
        .iter()
        .filter(|a| a.to_string().contains(account))
        .collect();
    assert!(named.is_empty(), "{account}: no alert names it: {named:#?}");
}

/// An administrator's console edit (creating the document if need be) to `user`.
async fn edited_to(w: &World, account: &str, region: &str, user: &str) {
    let mut doc = lza_document(account);
    doc["inputs"]["runAsEnabled"] = json!(true);
    doc["inputs"]["runAsDefaultUser"] = json!(user);
    w.admin_write(account, region, &doc, true).await;
}

async fn run_as_of(w: &World, account: &str, region: &str) -> (Value, Value) {
    let (content, _, _) = w.document(account, region).await.expect("document");
    run_as(&content)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_policy_scoped_to_one_nested_ou_touches_nothing_outside_it() {
    let mut w = fleet_world().await;
    let proxy = w.behind_proxy();
    proxy.faults(
        json!([{"name": "sessions", "service": "sts", "action": "AssumeRole",
        "effect": "count", "record": true}]),
    );
    let t = tree(&w).await;
    let inside = account_with_nodes(&w, "team-1", &t.team, &["ec2-user", "ops"]).await;
    let beside = account_with_nodes(&w, "work-1", &t.workloads, &["ec2-user", "ops"]).await;
    let apart = account_with_nodes(&w, "sec-1", &t.security, &["ec2-user", "ops"]).await;
    w.write_policy_raw(&policy(
        "enforce",
        &format!(
            "[scope]\nous = [\"{}\"]\n[default]\nrun_as_user = \"ops\"\n",
            t.sandbox
        ),
    ));

    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    for region in REGIONS {
        assert_eq!(
            run_as_of(&w, &inside, region).await,
            (json!(true), json!("ops"))
        );
        assert_eq!(associations(&w, &inside, region).await.len(), 1);
        let item = w.state(&inside, region).await.expect("recorded");
        assert_eq!(item["mode"], "enforce");
        assert_eq!(item["ou_path"], "Root/Workloads/Sandbox/Team");
    }
    let alerts = w.alerts().await;
    for outside in [&beside, &apart, &HUB.to_string()] {
        untouched(&w, outside, &alerts).await;
    }
    let bodies = proxy.hits()["sessions"]["bodies"].to_string();
    assert!(bodies.contains(&inside), "{bodies}");
    for outside in [&beside, &apart] {
        assert!(
            !bodies.contains(outside.as_str()),
            "never assumed into {outside}: {bodies}"
        );
    }
    // The report says out of scope; the summary counts them.
    let rows: Vec<&Value> = out["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["account"] == json!(beside))
        .collect();
    assert_eq!(rows[0]["regions"][0]["action"], "out-of-scope", "{out:#}");
    let summary = of_kind(&alerts, "sweep_summary");
    assert_eq!(summary[0]["message"]["out_of_scope"], 3, "{summary:#?}");
    assert_eq!(summary[0]["message"]["modes"], json!({"enforce": 2}));

    // Events about them are ignored, saying why; nothing is entered.
    proxy.faults(
        json!([{"name": "sessions", "service": "sts", "action": "AssumeRole", "effect": "count"}]),
    );
    for event in [
        doc_event("UpdateDocument", &beside, "eu-west-1", "Admin"),
        vend_event(&apart),
        move_event(&apart, &w.root, &t.security),
    ] {
        let (code, out) = w.handle(&event);
        assert_eq!(code, 0, "{out:#}");
        assert_eq!(out["result"], "ignored", "{out:#}");
        assert!(
            out["reason"].as_str().unwrap().contains("out of scope"),
            "{out:#}"
        );
    }
    assert_eq!(proxy.hits()["sessions"]["hits"], 0);
    let run = w.run(&["status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("3 account(s) out of scope at the last sweep"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains(&beside), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn modes_per_ou_are_inherited_down_a_three_level_tree_in_one_file() {
    let w = fleet_world().await;
    member_stack(&w, HUB).await;
    let t = tree(&w).await;
    let work = account_with_nodes(&w, "work-1", &t.workloads, &["ops"]).await;
    let sand = account_with_nodes(&w, "sand-1", &t.sandbox, &["ops"]).await;
    let team = account_with_nodes(&w, "team-1", &t.team, &["ops", "team"]).await;
    let pinned = account_with_nodes(&w, "team-2", &t.team, &["ops", "team"]).await;
    // Audit everywhere, enforce in Sandbox (and so in Team below it), Team
    // with a user of its own, one Team account kept in audit by its own rule.
    w.write_policy_raw(&policy(
        "audit",
        &format!(
            "[default]\nrun_as_user = \"ops\"\n\
         [[ou]]\nid = \"{}\"\nmode = \"enforce\"\n\
         [[ou]]\nid = \"{}\"\nrun_as_user = \"team\"\n\
         [[account]]\nid = \"{pinned}\"\nmode = \"audit\"\n",
            t.sandbox, t.team
        ),
    ));
    for a in [&work, &sand, &team, &pinned] {
        for region in REGIONS {
            edited_to(&w, a, region, "root").await;
        }
    }

    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    for region in REGIONS {
        // Audit: seen, not fixed; the check association is kept all the same.
        assert_eq!(run_as_of(&w, &work, region).await.1, json!("root"));
        assert_eq!(
            w.state(&work, region).await.unwrap()["status"],
            "noncompliant"
        );
        assert_eq!(w.state(&work, region).await.unwrap()["mode"], "audit");
        assert_eq!(
            associations(&w, &work, region).await.len(),
            1,
            "audit keeps the check"
        );
        // Enforce, from Sandbox's rule.
        assert_eq!(run_as_of(&w, &sand, region).await.1, json!("ops"));
        assert_eq!(w.state(&sand, region).await.unwrap()["mode"], "enforce");
        // Enforce from Sandbox, user from Team.
        assert_eq!(run_as_of(&w, &team, region).await.1, json!("team"));
        assert_eq!(w.state(&team, region).await.unwrap()["mode"], "enforce");
        assert_eq!(user_of(&associations(&w, &team, region).await[0]), "team");
        // The account's own rule beats every OU's mode.
        assert_eq!(run_as_of(&w, &pinned, region).await.1, json!("root"));
        assert_eq!(w.state(&pinned, region).await.unwrap()["mode"], "audit");
    }
    let alerts = w.alerts().await;
    let summary = &of_kind(&alerts, "sweep_summary")[0]["message"];
    // The hub (management) account, in the root, is in audit like the rest.
    assert_eq!(
        summary["modes"],
        json!({"audit": 6, "enforce": 4}),
        "{summary:#}"
    );
    // Drift alerts say each account-region's mode.
    // Its entries say each account-region's mode.
    let entry = |a: &str| {
        summary["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["account"] == json!(a))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(entry(&work)["mode"], "audit", "{summary:#}");
    assert_eq!(entry(&team)["mode"], "enforce", "{summary:#}");
    let run = w.run(&["status", "--account", &team]);
    assert!(
        run.stdout.contains("MODE") && run.stdout.contains("enforce"),
        "{}",
        run.stdout
    );

    // Workloads' own account leaves the pilot: a scope of Sandbox (and the
    // hub) only. Its items go; what was there stays untouched; the policy
    // change is told once, and `status` keeps the departure, not a row.
    w.alerts().await;
    w.write_policy_raw(&policy(
        "audit",
        &format!(
            "[scope]\nous = [\"{}\"]\naccounts = [\"{HUB}\"]\n[default]\nrun_as_user = \"ops\"\n\
             [[ou]]\nid = \"{}\"\nmode = \"enforce\"\n",
            t.sandbox, t.sandbox
        ),
    ));
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let pk = format!("ACCOUNT#{work}");
    let left: Vec<_> = w
        .items()
        .await
        .into_iter()
        .filter(|i| i["pk"] == pk && i["sk"].starts_with("REGION#"))
        .collect();
    assert!(left.is_empty(), "{left:#?}");
    assert_eq!(run_as_of(&w, &work, "us-east-1").await.1, json!("root"));
    let alerts = w.alerts().await;
    let left = of_kind(&alerts, "account_left_governance");
    assert_eq!(left.len(), 1, "{alerts:#?}");
    assert_eq!(left[0]["message"]["accounts"][0]["account"], work.as_str());
    assert_eq!(left[0]["message"]["accounts"][0]["reason"], "out_of_scope");
    let run = w.run(&["status"]);
    let rows: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains(&work) && !l.starts_with("left governance"))
        .collect();
    assert!(rows.is_empty(), "{}", run.stdout);
    assert!(
        run.stdout
            .contains(&format!("left governance {work} (work-1) at "))
            && run
                .stdout
                .contains("the policy changed (still in Root/Workloads)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("1 account(s) out of scope"),
        "{}",
        run.stdout
    );
    let run = w.run(&["readiness", "--format", "json"]);
    assert!(!run.stdout.contains(&work), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_mode_keeps_the_check_and_the_readiness_report_names_nodes_lacking_the_user() {
    let w = fleet_world().await;
    member_stack(&w, HUB).await;
    let t = tree(&w).await;
    let ready = account_with_nodes(&w, "ready-1", &t.sandbox, &["ec2-user", "ops"]).await;
    let lacking = w.create_account("lacking-1", Some(&t.sandbox)).await;
    member_stack(&w, &lacking).await;
    fleet(
        &w,
        &lacking,
        "us-east-1",
        &[
            with_user("i-0aaa0000000000001"),
            without_user("i-0aaa0000000000002"),
        ],
    );
    let empty = w.create_account("empty-1", Some(&t.security)).await;
    member_stack(&w, &empty).await;
    w.write_policy_raw(&policy(
        "audit",
        &format!(
            "[scope]\nous = [\"{}\", \"{}\"]\n[default]\nrun_as_user = \"ssm-ops\"\n",
            t.sandbox, t.security
        ),
    ));
    // `ready` has `ops`, not `ssm-ops`: its nodes would refuse sessions.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    for a in [&ready, &lacking, &empty] {
        for region in REGIONS {
            let found = associations(&w, a, region).await;
            assert_eq!(found.len(), 1, "{a} {region}: audit mode creates the check");
            assert_eq!(
                user_of(&found[0]),
                "ssm-ops",
                "the user that would be enforced"
            );
            assert!(
                w.document(a, region).await.is_none(),
                "audit writes no document"
            );
        }
    }
    let item = check_state(&w, &lacking, "us-east-1").await.unwrap();
    assert_eq!(
        readiness(&item)["missing_nodes"],
        json!(["i-0aaa0000000000002"])
    );
    // Once on-call hears of nodes lacking the user, in audit mode too: as
    // a warning that refuses nothing yet (a pager on critical/error stays
    // quiet through an audit rollout), with the mode.
    let alerts = w.alerts().await;
    let missing = of_kind(&alerts, "run_as_user_missing");
    assert_eq!(missing.len(), 2, "{alerts:#?}");
    for a in &missing {
        let m = &a["message"];
        assert_eq!(a["attributes"]["severity"]["Value"], "warning", "{a:#}");
        assert_eq!(m["severity"], "warning", "{m:#}");
        assert_eq!(m["sessions_refused"], false, "{m:#}");
        assert_eq!(m["regions"][0]["mode"], "audit", "{m:#}");
        assert!(m["regions"][0]["held"].is_null(), "{m:#}");
        assert!(
            m["sessions"]
                .as_str()
                .unwrap()
                .starts_with("would be refused"),
            "{m:#}"
        );
        assert!(
            a["subject"]
                .as_str()
                .unwrap()
                .starts_with("runas-guard audit: sessions would be refused"),
            "{a:#}"
        );
    }
    assert!(
        alerts.iter().all(|a| !matches!(
            a["message"]["severity"].as_str(),
            Some("error" | "critical")
        )),
        "an audit rollout pages nobody: {alerts:#?}"
    );

    let run = w.run(&["readiness", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let verdict = |a: &str, r: &str| {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["account"] == json!(a) && row["region"] == json!(r))
            .map(|row| row["verdict_text"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no row for {a} {r}: {report:#}"))
    };
    assert_eq!(
        verdict(&lacking, "us-east-1"),
        "would refuse sessions on 1 node"
    );
    assert_eq!(
        verdict(&lacking, "eu-west-1"),
        "no managed Linux or macOS nodes"
    );
    assert_eq!(
        verdict(&ready, "us-east-1"),
        "would refuse sessions on 1 node"
    );
    assert_eq!(
        verdict(&empty, "eu-west-1"),
        "no managed Linux or macOS nodes"
    );
    let table = w.run(&["readiness"]);
    assert!(
        table.stdout.contains("i-0aaa0000000000002"),
        "{}",
        table.stdout
    );
    let csv = w.run(&["readiness", "--format", "csv"]);
    assert_eq!(csv.stdout.lines().count(), 1 + 6, "{}", csv.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn enforce_when_ready_holds_until_the_check_passes_then_enforces_within_one_sweep() {
    let w = fleet_world().await;
    member_stack(&w, HUB).await;
    let t = tree(&w).await;
    let a = w.create_account("gated-1", Some(&t.sandbox)).await;
    member_stack(&w, &a).await;
    let lacking = [
        with_user("i-0bbb0000000000001"),
        without_user("i-0bbb0000000000002"),
    ];
    fleet(&w, &a, "us-east-1", &lacking);
    fleet(&w, &a, "eu-west-1", &[with_user("i-0bbb0000000000003")]);
    for region in REGIONS {
        edited_to(&w, &a, region, "root").await;
    }
    w.write_policy_raw(&policy(
        "audit",
        &format!("[default]\nrun_as_user = \"ssm-ops\"\n[[ou]]\nid = \"{}\"\nmode = \"enforce-when-ready\"\n",
        t.sandbox
    )));

    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    // eu-west-1's node has the user: enforced in this very sweep.
    assert_eq!(run_as_of(&w, &a, "eu-west-1").await.1, json!("ssm-ops"));
    // us-east-1's does not: held as it is, and the row says why.
    assert_eq!(run_as_of(&w, &a, "us-east-1").await.1, json!("root"));
    let held = w.state(&a, "us-east-1").await.unwrap();
    assert_eq!(held["status"], "noncompliant");
    assert_eq!(held["mode"], "enforce-when-ready");
    assert!(held["held"].contains("missing on 1 of 2 nodes"), "{held:?}");
    let alerts = w.alerts().await;
    let missing = of_kind(&alerts, "run_as_user_missing");
    assert_eq!(missing.len(), 1, "{alerts:#?}");
    let m = &missing[0]["message"];
    assert_eq!(
        m["regions"][0]["missing_nodes"],
        json!(["i-0bbb0000000000002"])
    );
    // Held: nothing is refused yet, a warning that says the mode and the hold.
    assert_eq!(m["severity"], "warning", "{m:#}");
    assert_eq!(
        (m["region"].as_str(), m["mode"].as_str()),
        (Some("us-east-1"), Some("enforce-when-ready")),
        "{m:#}"
    );
    assert!(
        m["held"]
            .as_str()
            .unwrap()
            .contains("missing on 1 of 2 nodes"),
        "{m:#}"
    );
    assert_eq!(m["sessions_refused"], false, "{m:#}");
    let run = w.run(&["status", "--account", &a]);
    assert!(
        run.stdout.contains("held ") && run.stdout.contains("missing on 1 of 2 nodes"),
        "{}",
        run.stdout
    );

    // A sweep before the fleet changes holds it again, and tells nobody twice.
    let (code, _) = w.handle(&sweep_event());
    assert_eq!(code, 0);
    assert_eq!(run_as_of(&w, &a, "us-east-1").await.1, json!("root"));
    assert!(of_kind(&w.alerts().await, "run_as_user_missing").is_empty());

    // The AMI is fixed and State Manager runs the check again: the next
    // sweep turns Run As on.
    fleet(
        &w,
        &a,
        "us-east-1",
        &[
            with_user("i-0bbb0000000000001"),
            with_user("i-0bbb0000000000002"),
        ],
    );
    run_associations(&w, &a);
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(run_as_of(&w, &a, "us-east-1").await.1, json!("ssm-ops"));
    let item = w.state(&a, "us-east-1").await.unwrap();
    assert_eq!(item["status"], "remediated");
    assert!(!item.contains_key("held"), "{item:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn policy_check_org_explains_scope_errors_before_anything_runs() {
    let w = World::new().await;
    let t = tree(&w).await;
    let covered = w.create_account("covered-1", Some(&t.team)).await;
    let bare = w.create_account("bare-1", Some(&t.sandbox)).await;
    let file = path_str(&w.policy).to_string();
    // Scoped to Sandbox with no [default]: Team's account has a rule,
    // Sandbox's own account has none.
    let write = |scope_ous: &str| {
        w.write_policy_raw(&format!(
            "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\"]\n\
             [scope]\nous = [{scope_ous}]\n[[ou]]\nid = \"{}\"\nrun_as_user = \"team\"\n",
            t.team
        ))
    };
    write(&format!("\"{}\", \"ou-1xhx-zzzzzzzz\"", t.sandbox));
    let run = w.run(&["policy", "check", &file, "--org"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_one_clean_line(&run.stderr);
    assert!(
        run.stderr
            .contains("scope.ous = \"ou-1xhx-zzzzzzzz\": the organization has no OU"),
        "{}",
        run.stderr
    );

    write(&format!("\"{}\"", t.sandbox));
    let run = w.run(&["policy", "check", &file, "--org"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_one_clean_line(&run.stderr);
    assert!(
        run.stderr
            .contains("1 in-scope account(s) with no rule and no [default]")
            && run.stderr.contains(&bare)
            && !run.stderr.contains(&covered),
        "{}",
        run.stderr
    );
    // A run says the same on the account's row, and writes nothing there.
    let run = w.run(&["reconcile", "--account", &bare]);
    assert!(
        run.stdout.contains("NoRuleForAccount") || run.stdout.contains("no rule"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(w.document(&bare, "us-east-1").await.is_none());

    // An OU given by its name is answered with its id, at its position.
    w.write_policy_raw(
        "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\"]\n\
         [default]\nrun_as_user = \"ops\"\n[[ou]]\nid = \"Sandbox\"\nrun_as_user = \"team\"\n",
    );
    let run = w.run(&["policy", "check", &file, "--org"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!(
            "{file}:6:6: error: `ou[Sandbox].id`: \"Sandbox\" is not an OU id"
        )) && run
            .stdout
            .contains(&format!("; the OU named Sandbox is {}", t.sandbox))
            && run
                .stdout
                .contains(&format!("did you mean `{}`?", t.sandbox)),
        "{}",
        run.stdout
    );

    // A rule the tree says never applies is a warning at its id (Security
    // is outside a scope of Sandbox); Team's, inside it, stays quiet.
    w.write_policy_raw(&format!(
        "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\"]\n\
         [scope]\nous = [\"{}\"]\n[default]\nrun_as_user = \"ops\"\n\
         [[ou]]\nid = \"{}\"\nrun_as_user = \"team\"\n[[ou]]\nid = \"{}\"\nrun_as_user = \"sec\"\n",
        t.sandbox, t.team, t.security
    ));
    let run = w.run(&["policy", "check", &file, "--org"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!(
            "{file}:11:6: warning: `ou[{}].id`: this rule never applies: {} is outside [scope] in the organization",
            t.security, t.security
        )) && run.stdout.matches("never applies").count() == 1,
        "{}",
        run.stdout
    );

    // The root id is an OU to the check, and a scope of the whole tree with
    // a [default] passes.
    w.write_policy_raw(&format!(
        "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\"]\n\
         [scope]\nous = [\"{}\"]\n[default]\nrun_as_user = \"ops\"\n",
        w.root
    ));
    let run = w.run(&["policy", "check", &file, "--org"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("scope: 1 OU(s) and 0 account(s)"),
        "{}",
        run.stdout
    );
}
