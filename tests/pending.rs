//! A vend before the member stack: the member role is refused (the fault
//! proxy answers AssumeRole of `RunAsGuardExecution` with AccessDenied, as
//! AWS does while the role does not exist), the account is `pending` with
//! no page, and the member stack's stack-instance event configures it: only
//! the StackSet administrator's, never a member account's own StackSet of
//! the same name.

use crate::common;

use common::proxy::*;
use common::*;
use serde_json::json;

fn refuse_member_role(proxy: &Proxy) {
    proxy.faults(json!([member_role_refused()]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vend_before_the_member_stack_waits_quietly_and_the_stack_event_configures_it() {
    let (w, proxy, account) = world_behind_proxy().await;
    refuse_member_role(&proxy);

    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "waiting is not failing: {out:#}");
    assert!(
        proxy.hits()["no-role"]["hits"].as_u64().unwrap_or(0) >= 1,
        "the refusal fired"
    );
    let regions = out["accounts"][0]["regions"].as_array().unwrap();
    assert!(
        regions.iter().all(|r| r["action"] == "pending"
            && r["error"]
                .as_str()
                .unwrap_or("")
                .contains("RunAsGuardExecution")),
        "{out:#}"
    );
    assert!(
        w.alerts().await.is_empty(),
        "no page for a vend in progress"
    );
    for region in REGIONS {
        let item = w.state(&account, region).await.expect("state recorded");
        assert_eq!(item["status"], "pending", "{region}: {item:?}");
    }

    // The member stack lands (its role with it): its event configures every
    // governed region at once.
    proxy.faults(json!([]));
    let (code, out) = w.handle(&stack_landed(&account, REGIONS[0], "stack-1"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["trigger"]["trigger"], "member_stack_landed", "{out:#}");
    for region in REGIONS {
        assert_eq!(
            run_as(&w.document(&account, region).await.unwrap().0),
            (json!(true), json!("ssm-ops")),
            "{region}"
        );
    }
    // The other region's instance lands later, and the first event comes
    // twice: one account_configured in all, nothing else.
    let (code, _) = w.handle(&stack_landed(&account, REGIONS[1], "stack-2"));
    assert_eq!(code, 0);
    let (code, again) = w.handle(&stack_landed(&account, REGIONS[0], "stack-1"));
    assert_eq!(code, 0);
    assert_eq!(again["result"], "duplicate", "{again:#}");
    let alerts = w.alerts().await;
    assert_eq!(
        of_kind(&alerts, "account_configured").len(),
        1,
        "{alerts:#?}"
    );
    assert!(
        of_kind(&alerts, "remediation_failed").is_empty(),
        "{alerts:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_window_an_unreachable_account_fails_once() {
    let (mut w, proxy, account) = world_behind_proxy().await;
    w.set_env("RUNAS_GUARD_PENDING_WINDOW_SECONDS", "1");
    refuse_member_role(&proxy);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 1, "the window has closed: {out:#}");
    assert!(
        out["accounts"][0]["regions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["action"] == "failed"),
        "{out:#}"
    );
    let alerts = w.alerts().await;
    assert_eq!(
        of_kind(&alerts, "remediation_failed").len(),
        1,
        "{alerts:#?}"
    );
}

/// A member account's own StackSet named as the member StackSet, made in
/// that account; its stack-instance event forwarded to the hub bus (the bus
/// admits the organization, and EventBridge keeps the sender's `account`).
fn members_own_stack_set(account: &str, id: &str) -> serde_json::Value {
    let mut e = stack_landed(account, "eu-west-1", id);
    let arn =
        format!("arn:aws:cloudformation:eu-west-1:{account}:stackset/runas-guard-member:66a1");
    e["account"] = json!(account);
    e["region"] = json!("eu-west-1");
    e["resources"] = json!([arn]);
    e["detail"]["stack-set-arn"] = json!(arn);
    e
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_stack_set_administrators_instance_events_count() {
    let (mut w, proxy, account) = world_behind_proxy().await;
    refuse_member_role(&proxy);
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    proxy.faults(json!([{"name": "org", "service": "organizations",
        "action": "DescribeOrganization", "effect": "count"}]));

    // Nothing configured (the CLI): the administrator is the management
    // account, as Organizations says. The member's own StackSet is ignored,
    // the reason naming both accounts, and the account stays pending.
    let (code, out) = w.handle(&members_own_stack_set(&account, "forged-1"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["result"], "ignored", "{out:#}");
    let reason = out["reason"].as_str().unwrap();
    assert!(
        reason.contains(&account) && reason.contains(HUB),
        "{reason}"
    );
    assert!(reason.contains("StackSet administrator"), "{reason}");
    assert_eq!(
        proxy.hits()["org"]["hits"],
        1,
        "the management account came from Organizations"
    );
    for region in REGIONS {
        assert!(w.document(&account, region).await.is_none(), "{region}");
        assert_eq!(
            w.state(&account, region).await.unwrap()["status"],
            "pending"
        );
    }

    // The genuine one, from the management account's StackSet, still counts.
    let (code, out) = w.handle(&stack_landed(&account, REGIONS[0], "stack-1"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["trigger"]["trigger"], "member_stack_landed", "{out:#}");
    for region in REGIONS {
        let (doc, _, _) = w.document(&account, region).await.expect("configured");
        assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")), "{region}");
    }
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(of_kind(&alerts, "account_configured").len(), 1);
    let asked = proxy.hits()["org"]["hits"].clone();
    assert_eq!(asked, 2, "once in each process that met such an event");

    // Configured as the hub stack configures it (a delegated administrator):
    // the management account's StackSet no longer counts either, and
    // Organizations is not asked.
    let delegated = w.create_account("stacksets-admin", None).await;
    w.set_env("RUNAS_GUARD_STACKSET_ADMIN_ACCOUNT", &delegated);
    let (code, out) = w.handle(&stack_landed(&account, REGIONS[1], "stack-2"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["result"], "ignored", "{out:#}");
    let reason = out["reason"].as_str().unwrap();
    assert!(
        reason.contains(HUB) && reason.contains(&delegated),
        "{reason}"
    );
    let (code, out) = w.handle(&members_own_stack_set(&delegated, "admin-1"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["trigger"]["trigger"], "member_stack_landed", "{out:#}");
    assert_eq!(
        proxy.hits()["org"]["hits"],
        asked,
        "not asked once configured"
    );

    // A malformed setting stops the handler with the variable named.
    w.set_env("RUNAS_GUARD_STACKSET_ADMIN_ACCOUNT", "mgmt");
    let path = w.write_event(&stack_landed(&account, REGIONS[0], "stack-3"));
    let run = w.run(&["handle", path.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_one_clean_line(&run.stderr);
    assert!(
        run.stderr.contains("RUNAS_GUARD_STACKSET_ADMIN_ACCOUNT"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unknown_control_tower_event_is_ignored_with_a_reason() {
    let w = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(World::new());
    let (code, out) = w.handle(&sample(
        "ignored.controltower-register-organizational-unit.json",
    ));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["result"], "ignored", "{out:#}");
    assert!(!out["reason"].as_str().unwrap_or("").is_empty());
}

/// `runas-guard handle EVENT`: its exit code and its log (stderr, the
/// lines `RUST_LOG` asks for).
fn handle_logged(w: &World, event: &serde_json::Value) -> (i32, String) {
    let path = w.write_event(event);
    let run = w.run(&["handle", path.to_str().unwrap()]);
    (run.code, run.stderr)
}

fn error_lines(log: &str) -> Vec<&str> {
    log.lines().filter(|l| l.contains("ERROR")).collect()
}

/// ERROR logs mean failures (a log-based alarm on them must not fire for a
/// vend in progress): a vend waiting for its member role, and the sweeps
/// that find it still waiting, log it below ERROR; past the window, its
/// failure is an ERROR.
#[tokio::test(flavor = "multi_thread")]
async fn a_vend_waiting_for_its_member_stack_logs_no_error_and_its_failure_does() {
    let (mut w, proxy, account) = world_behind_proxy().await;
    refuse_member_role(&proxy);
    w.set_env("RUST_LOG", "info");
    for event in [vend_event(&account), sweep_event()] {
        let (code, log) = handle_logged(&w, &event);
        assert_eq!(code, 0, "{log}");
        assert!(log.contains("awaiting the member stack"), "{log}");
        assert_eq!(error_lines(&log), Vec::<&str>::new(), "{log}");
    }
    w.set_env("RUNAS_GUARD_PENDING_WINDOW_SECONDS", "1");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let (code, log) = handle_logged(&w, &sweep_event());
    assert_eq!(code, 1, "{log}");
    let errors = error_lines(&log);
    assert!(
        errors.iter().any(|l| l.contains("remediation_failed")),
        "{log}"
    );
}

/// The same where the member role is there but a region's check document
/// is not yet (the member stack's instance there has not landed).
#[tokio::test(flavor = "multi_thread")]
async fn a_region_waiting_for_its_check_document_logs_no_error_and_its_failure_does() {
    let mut w = common::fleet::fleet_world().await;
    common::fleet::member_stack(&w, HUB).await;
    let account = w.create_account("no-check-yet", None).await;
    // Only this account: the world's others have no member stack either.
    w.write_policy(&format!(
        "{}[scope]\naccounts = [\"{account}\"]\n",
        common::fleet::NODES_ON
    ));
    w.set_env("RUST_LOG", "info");
    for event in [vend_event(&account), sweep_event()] {
        let (code, log) = handle_logged(&w, &event);
        assert_eq!(code, 0, "{log}");
        assert!(log.contains("the check document is not there yet"), "{log}");
        assert_eq!(error_lines(&log), Vec::<&str>::new(), "{log}");
    }
    w.set_env("RUNAS_GUARD_PENDING_WINDOW_SECONDS", "1");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let (_, log) = handle_logged(&w, &sweep_event());
    let errors = error_lines(&log);
    assert!(
        errors.iter().any(|l| l.contains("remediation_failed")),
        "{log}"
    );
}
