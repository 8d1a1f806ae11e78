//! `runas-guard doctor` against moto: a healthy deployment passes; one
//! member account whose roles are all refused, a missing table and a hub
//! stack naming another member role fail, each with its fix; nothing is
//! written.

use crate::common;

use common::proxy::world_behind_proxy;
use common::*;
use serde_json::{json, Value};

fn checks<'a>(list: &'a Value, scope: &str) -> Vec<&'a Value> {
    list["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["scope"] == scope)
        .collect()
}

fn find<'a>(list: &'a Value, scope: &str, item: &str) -> &'a Value {
    checks(list, scope)
        .into_iter()
        .find(|c| c["item"] == item)
        .unwrap_or_else(|| panic!("no {scope} / {item} in {list:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn one_healthy_and_one_broken_member() {
    let (mut w, proxy, broken) = world_behind_proxy().await;
    w.write_policy(
        "fallback_roles = [\"AWSControlTowerExecution\", \"OrganizationAccountAccessRole\"]\n",
    );
    let healthy = w.create_account("healthy", None).await;
    w.admin_write(&healthy, "eu-west-1", &lza_document(&healthy), true)
        .await;
    // Every role in the broken account refuses the hub.
    proxy.faults(json!([{"service": "sts", "action": "AssumeRole", "contains": format!("iam::{broken}:role/"),
        "status": 403, "code": "AccessDenied", "protocol": "query",
        "message": "User is not authorized to perform: sts:AssumeRole"}]));
    let items_before = w.items().await.len();

    // Just joined: the member stack may not have landed yet. Pending, with
    // its deadline; a warning, not a failure.
    let run = w.run(&["doctor", "--account", &broken, "--format", "json"]);
    let list = run.json();
    let role = find(&list, &format!("account {broken}"), "role");
    assert_eq!(role["verdict"], "warn", "{list:#}");
    assert!(
        role["detail"]
            .as_str()
            .unwrap()
            .contains("pending: the account joined"),
        "{role:#}"
    );
    assert!(
        role["fix"].as_str().unwrap().contains("runas-guard-member"),
        "{role:#}"
    );

    // Past the window (the function's setting, which doctor reads too).
    w.set_env("RUNAS_GUARD_PENDING_WINDOW_SECONDS", "1");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let run = w.run(&[
        "doctor",
        "--account",
        &healthy,
        "--account",
        &broken,
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_one_clean_line(&run.stderr);
    assert!(run.stderr.contains("check(s) failed"), "{}", run.stderr);
    let list = run.json();
    assert_eq!(list["ok"], false);

    for item in ["policy", "table", "topic", "organization"] {
        assert_eq!(find(&list, "hub", item)["verdict"], "pass", "{list:#}");
    }
    assert!(find(&list, "hub", "topic")["detail"]
        .as_str()
        .unwrap()
        .contains("a publish is not attempted"));
    assert_eq!(find(&list, "hub", "queue")["verdict"], "skip");

    let ok = format!("account {healthy}");
    let role = find(&list, &ok, "role");
    assert_eq!(role["verdict"], "pass", "{list:#}");
    assert!(role["detail"]
        .as_str()
        .unwrap()
        .starts_with("RunAsGuardExecution assumed"));
    let east = find(&list, &ok, "document us-east-1");
    assert_eq!(east["verdict"], "pass");
    assert!(east["detail"].as_str().unwrap().contains("no document yet"));
    let west = find(&list, &ok, "document eu-west-1");
    assert_eq!(west["verdict"], "pass");
    assert!(
        west["detail"].as_str().unwrap().contains("RunAs off/-"),
        "what the document says: {west}"
    );
    let write = find(&list, &ok, "write");
    assert_eq!(write["verdict"], "skip", "never claimed: {write}");
    assert!(write["detail"].as_str().unwrap().contains("not checked"));

    let bad = format!("account {broken}");
    let role = find(&list, &bad, "role");
    assert_eq!(role["verdict"], "fail", "{list:#}");
    let detail = role["detail"].as_str().unwrap();
    for r in [
        "RunAsGuardExecution",
        "AWSControlTowerExecution",
        "OrganizationAccountAccessRole",
    ] {
        assert!(detail.contains(r), "every role tried: {detail}");
    }
    let fix = role["fix"].as_str().unwrap();
    assert!(
        fix.contains("infra/member.yaml")
            && fix.contains(&broken)
            && fix.contains("more than the 1 s")
            && fix.contains("RoleRegion"),
        "{fix}"
    );
    let failed: Vec<&Value> = list["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"] == "fail")
        .collect();
    assert_eq!(failed.len(), 1, "only the broken role: {failed:#?}");
    assert_eq!(list["failed"], 1);

    // Nothing written anywhere.
    assert!(w.document(&healthy, "us-east-1").await.is_none());
    assert_eq!(w.items().await.len(), items_before);
    assert!(w.alerts().await.is_empty());

    // The checklist: a mark per check, and the fix under each failure.
    let text = w.run(&["doctor", "--account", &healthy, "--account", &broken]);
    assert_eq!(text.code, 1);
    assert!(text.stdout.contains("✓ table"), "{}", text.stdout);
    assert!(text.stdout.contains("✗ role"), "{}", text.stdout);
    assert!(
        text.stdout.contains("fix: deploy infra/member.yaml"),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains('\u{1b}'));

    // All healthy: exit 0 and nothing on stderr.
    let fine = w.run(&["doctor", "--account", &healthy]);
    assert_eq!(fine.code, 0, "{}\n{}", fine.stdout, fine.stderr);
    assert!(fine.stderr.is_empty(), "{}", fine.stderr);
    assert!(fine.stdout.contains("all checks passed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn hub_problems_are_named_with_their_fix() {
    let mut w = World::new().await;
    w.hub_stack("runas-guard-hub", "OtherRole").await;
    w.set_env("RUNAS_GUARD_TABLE", "nope");
    let run = w.run(&[
        "doctor",
        "--stack",
        "runas-guard-hub",
        "--account",
        "999999999999",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_one_clean_line(&run.stderr);
    let list = run.json();
    let table = find(&list, "hub", "table");
    assert_eq!(table["verdict"], "fail");
    assert!(table["detail"].as_str().unwrap().contains("nope"));
    assert!(table["fix"].as_str().unwrap().contains("create the table"));
    let role = find(&list, "hub", "stack member role");
    assert_eq!(role["verdict"], "fail", "{list:#}");
    assert!(role["detail"].as_str().unwrap().contains("OtherRole"));
    let stack_table = find(&list, "hub", "stack table");
    assert_eq!(
        stack_table["verdict"], "fail",
        "nope is not the stack's table"
    );
    assert!(stack_table["fix"]
        .as_str()
        .unwrap()
        .contains("RUNAS_GUARD_TABLE=runas-guard"));
    assert_eq!(find(&list, "hub", "stack topic")["verdict"], "pass");
    // The governed regions live in the member StackSet, named with --stackset.
    let regions = find(&list, "hub", "stackset regions");
    assert_eq!(regions["verdict"], "skip");
    assert!(regions["detail"].as_str().unwrap().contains("--stackset"));
    let member = find(&list, "account 999999999999", "organization");
    assert_eq!(member["verdict"], "fail");
    // An account the organization lacks is said to be so, and nothing
    // else: no advice about reading its regions (trusted access) beside it.
    // (What the table recorded for it, if anything, is history worth seeing.)
    let said: Vec<&Value> = checks(&list, "account 999999999999");
    assert!(
        said.iter()
            .all(|c| c["item"] == "organization" || c["item"] == "recorded"),
        "{said:#?}"
    );
    assert!(!list.to_string().contains("trusted access"), "{list:#}");

    // The stack and the policy agree: those checks pass.
    w.hub_stack("matching-hub", "RunAsGuardExecution").await;
    w.set_env("RUNAS_GUARD_TABLE", &w.table.clone());
    let run = w.run(&["doctor", "--stack", "matching-hub", "--format", "json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let list = run.json();
    assert_eq!(find(&list, "hub", "stack member role")["verdict"], "pass");
    assert_eq!(find(&list, "hub", "stack table")["verdict"], "pass");

    // A policy that does not load is a failed check, not a crash.
    w.write_policy_raw(
        "member_role = \"R\"\nregions = [\"nowhere\"]\n[default]\nrun_as_user = \"x\"\n",
    );
    let run = w.run(&["doctor", "--format", "json"]);
    assert_eq!(run.code, 1);
    let list = run.json();
    let policy = find(&list, "hub", "policy");
    assert_eq!(policy["verdict"], "fail");
    assert!(policy["detail"].as_str().unwrap().contains("regions[0]"));
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_that_must_agree_across_policy_stack_stackset_and_scp_are_compared() {
    let w = World::new().await;
    let member = w.create_account("member", None).await;
    w.write_policy("[[document]]\nname = \"Custom-Doc\"\nrun_as_user = \"admin\"\n");
    let cfn = aws_sdk_cloudformation::Client::new(&w.cfg);
    let template = serde_json::json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"NamedSessionDocuments": {"Type": "String", "Default": ""}},
        // A named resource: moto derives unnamed ones from a stack-instance
        // name that SNS and SQS refuse.
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "stand-in"}}},
    })
    .to_string();
    cfn.create_stack()
        .stack_name("hub-docs")
        .template_body(&template)
        .send()
        .await
        .unwrap();
    cfn.create_stack_set()
        .stack_set_name("members")
        .template_body(&template)
        .send()
        .await
        .unwrap();
    cfn.create_stack_instances()
        .stack_set_name("members")
        .accounts(&member)
        .regions("us-east-1")
        .send()
        .await
        .unwrap();
    let run = w.run(&[
        "doctor",
        "--stack",
        "hub-docs",
        "--stackset",
        "members",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let list = run.json();
    let docs = find(&list, "hub", "stack documents");
    assert_eq!(docs["verdict"], "fail", "{docs:#}");
    assert!(docs["detail"]
        .as_str()
        .unwrap()
        .contains("edits of Custom-Doc are not routed"));
    assert!(docs["fix"]
        .as_str()
        .unwrap()
        .contains("NamedSessionDocuments=Custom-Doc"));
    let regions = find(&list, "hub", "stackset regions");
    assert_eq!(regions["verdict"], "fail", "{regions:#}");
    assert!(
        regions["detail"]
            .as_str()
            .unwrap()
            .contains("no instance in eu-west-1"),
        "{regions:#}"
    );
    assert!(regions["fix"]
        .as_str()
        .unwrap()
        .contains("--regions eu-west-1"));
    let scp = find(&list, "hub", "scp prefix");
    assert_eq!(scp["verdict"], "fail");
    assert!(scp["detail"]
        .as_str()
        .unwrap()
        .starts_with("Custom-Doc not named SSMRunAs-*"));
}

/// Governed regions the accounts have not enabled are named (Account
/// Management's ListRegions, emulated: tests/moto_account_regions.py): the
/// hub's own account, and a member once the organization trusts Account
/// Management; enabling them turns both checks green.
#[tokio::test(flavor = "multi_thread")]
async fn governed_regions_that_are_not_enabled_are_named() {
    let moto = Moto::start_emulating("moto_account_regions.py", &[]);
    let w = World::on(moto).await;
    w.write_policy_raw(
        "member_role = \"RunAsGuardExecution\"\nregions = [\"eu-west-1\", \"me-central-1\"]\n[default]\nrun_as_user = \"ssm-ops\"\n",
    );
    let member = w.create_account("member", None).await;
    let doctor = || {
        let run = w.run(&["doctor", "--account", &member, "--format", "json"]);
        run.json()
    };
    let scope = format!("account {member}");

    let list = doctor();
    let hub = find(&list, "hub", "regions enabled");
    assert_eq!(hub["verdict"], "fail", "{list:#}");
    assert!(
        hub["detail"]
            .as_str()
            .unwrap()
            .contains("me-central-1 (DISABLED)"),
        "{hub:#}"
    );
    assert!(
        !hub["detail"].as_str().unwrap().contains("eu-west-1"),
        "{hub:#}"
    );
    // Without trusted access the member's regions cannot be read: said, with the fix.
    let m = find(&list, &scope, "regions enabled");
    assert_eq!(m["verdict"], "warn", "{list:#}");
    assert!(
        m["detail"]
            .as_str()
            .unwrap()
            .contains("AccessDeniedException"),
        "{m:#}"
    );
    assert!(
        m["fix"].as_str().unwrap().contains("account.amazonaws.com"),
        "{m:#}"
    );

    w.org()
        .enable_aws_service_access()
        .service_principal("account.amazonaws.com")
        .send()
        .await
        .unwrap();
    let account = aws_sdk_account::Client::new(&w.cfg);
    account
        .enable_region()
        .region_name("me-central-1")
        .send()
        .await
        .unwrap();
    let list = doctor();
    assert_eq!(
        find(&list, "hub", "regions enabled")["verdict"],
        "pass",
        "{list:#}"
    );
    let m = find(&list, &scope, "regions enabled");
    assert_eq!(m["verdict"], "fail", "{list:#}");
    assert!(
        m["fix"]
            .as_str()
            .unwrap()
            .contains(&format!("--account-id {member}")),
        "{m:#}"
    );

    account
        .enable_region()
        .account_id(&member)
        .region_name("me-central-1")
        .send()
        .await
        .unwrap();
    let list = doctor();
    let m = find(&list, &scope, "regions enabled");
    assert_eq!(m["verdict"], "pass", "{list:#}");
    assert!(
        m["detail"].as_str().unwrap().contains("(1 opt-in)"),
        "{m:#}"
    );
}

/// A service-managed StackSet `members` (a stand-in template), for doctor's
/// `--stackset` checks.
async fn members_stackset(w: &World) -> aws_sdk_cloudformation::Client {
    let cfn = aws_sdk_cloudformation::Client::new(&w.cfg);
    let template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "stand-in"}}},
    })
    .to_string();
    cfn.create_stack_set()
        .stack_set_name("members")
        .template_body(&template)
        .permission_model(aws_sdk_cloudformation::types::PermissionModels::ServiceManaged)
        .send()
        .await
        .unwrap();
    cfn
}

/// A staged rollout: the policy governs Workloads only, the member StackSet
/// (service-managed) targets Sandbox only. The scoped OU is not reached (✗,
/// with the command and the LZA line that add it) and the StackSet reaches
/// only accounts outside the scope (!); `doctor --account` says an
/// out-of-scope account and one exempt through `[exempt] ous` are left
/// alone instead of probing them. moto's ListStackInstances gives no
/// `OrganizationalUnitId` and its DescribeStackSet no `OrganizationalUnitIds`,
/// so what is judged here is each account's instance (OU targets as AWS
/// reports them are covered by the unit tests of src/flow/doctor/scope.rs).
#[tokio::test(flavor = "multi_thread")]
async fn a_scoped_ou_the_member_stackset_does_not_target() {
    let w = World::new().await;
    let workloads = w.create_ou(&w.root, "Workloads").await;
    let sandbox = w.create_ou(&w.root, "Sandbox").await;
    let quarantine = w.create_ou(&workloads, "Quarantine").await;
    let pilot = w.create_account("pilot", Some(&workloads)).await;
    let outside = w.create_account("outside", Some(&sandbox)).await;
    let held = w.create_account("held", None).await;
    w.org()
        .move_account()
        .account_id(&held)
        .source_parent_id(&w.root)
        .destination_parent_id(&quarantine)
        .send()
        .await
        .unwrap();
    w.write_policy(&format!(
        "[scope]\nous = [\"{workloads}\"]\n[exempt]\nous = [\"{quarantine}\"]\n"
    ));
    let cfn = members_stackset(&w).await;
    let targets = |ou: &str| {
        aws_sdk_cloudformation::types::DeploymentTargets::builder()
            .organizational_unit_ids(ou)
            .build()
    };
    cfn.create_stack_instances()
        .stack_set_name("members")
        .deployment_targets(targets(&sandbox))
        .regions("us-east-1")
        .regions("eu-west-1")
        .send()
        .await
        .unwrap();
    let doctor = || w.run(&["doctor", "--stackset", "members", "--format", "json"]);

    let run = doctor();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let list = run.json();
    assert_eq!(
        find(&list, "hub", "stackset regions")["verdict"],
        "pass",
        "{list:#}"
    );
    let scope = find(&list, "hub", "stackset scope");
    assert_eq!(scope["verdict"], "fail", "{list:#}");
    let detail = scope["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("does not reach scoped {workloads} (Workloads)"))
            && detail.contains("2 of 2 account(s) without an instance")
            && detail.contains("pending, then failed"),
        "{scope:#}"
    );
    let fix = scope["fix"].as_str().unwrap();
    assert!(
        fix.contains(&format!("aws cloudformation create-stack-instances --stack-set-name members --deployment-targets OrganizationalUnitIds={workloads} --regions eu-west-1 us-east-1"))
            && fix.contains("deploymentTargets: organizationalUnits: [Workloads, Workloads/Quarantine]"),
        "{scope:#}"
    );
    let breadth = find(&list, "hub", "stackset breadth");
    assert_eq!(breadth["verdict"], "warn", "{list:#}");
    assert!(
        breadth["detail"].as_str().unwrap().contains(&outside),
        "{breadth:#}"
    );

    // The fix, as doctor gives it: the scoped OU is reached, no failure.
    // moto names no OU target (see above), so the OU reads as reached
    // account by account: a warning that an account vended into it later
    // would get none; AWS names the target and this line passes.
    cfn.create_stack_instances()
        .stack_set_name("members")
        .deployment_targets(targets(&workloads))
        .regions("us-east-1")
        .regions("eu-west-1")
        .send()
        .await
        .unwrap();
    let run = doctor();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let list = run.json();
    let scope = find(&list, "hub", "stackset scope");
    assert_eq!(scope["verdict"], "warn", "{list:#}");
    assert!(
        scope["detail"]
            .as_str()
            .unwrap()
            .contains("(Workloads): its 2 account(s) have instances"),
        "{scope:#}"
    );

    // doctor --account: out of scope, and exempt through [exempt] ous: said,
    // not probed; the scoped account is.
    let run = w.run(&[
        "doctor",
        "--account",
        &pilot,
        "--account",
        &outside,
        "--account",
        &held,
        "--format",
        "json",
    ]);
    let list = run.json();
    let role = find(&list, &format!("account {pilot}"), "role");
    assert_eq!(role["verdict"], "pass", "{list:#}");
    for (account, says) in [
        (&outside, "out of scope (at Root/Sandbox)".to_string()),
        (
            &held,
            format!("below {quarantine}, in [exempt] ous (at Root/Workloads/Quarantine)"),
        ),
    ] {
        let member = format!("account {account}");
        let role = find(&list, &member, "role");
        assert_eq!(role["verdict"], "skip", "{list:#}");
        assert!(role["detail"].as_str().unwrap().contains(&says), "{role:#}");
        let items: Vec<&str> = checks(&list, &member)
            .iter()
            .map(|c| c["item"].as_str().unwrap())
            .collect();
        assert!(
            !items
                .iter()
                .any(|i| i.starts_with("document") || *i == "regions enabled"),
            "not probed: {items:?}"
        );
    }
    assert!(w.alerts().await.is_empty());
}

fn detail(check: &Value) -> &str {
    check["detail"].as_str().unwrap()
}

fn fix(check: &Value) -> &str {
    check["fix"].as_str().unwrap_or("")
}

/// Who the topics reach, on moto's SNS: the hub stack's alarm topic (its
/// `AlarmTopicArn` output) fails with no subscription, passes with an
/// unfiltered one, and names a subscription filtered on message attributes
/// (alarm messages carry none, so it drops them all); the alert topic fails
/// with no subscription and counts every page of them. moto confirms every
/// subscription at once, an e-mail one too (AWS lists it as
/// `PendingConfirmation` until its link is followed), so "only pending" is
/// the unit tests' (`src/flow/doctor/delivery_tests.rs`).
#[tokio::test(flavor = "multi_thread")]
async fn who_the_alert_and_alarm_topics_reach() {
    let mut w = World::new().await;
    let template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"Alarms": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "hub-alarms"}}},
        "Outputs": {
            "TableName": {"Value": w.table},
            "TopicArn": {"Value": w.topic_arn},
            "AlarmTopicArn": {"Value": {"Ref": "Alarms"}},
        }
    });
    aws_sdk_cloudformation::Client::new(&w.cfg)
        .create_stack()
        .stack_name("hub")
        .template_body(template.to_string())
        .send()
        .await
        .unwrap();
    let alarms = format!("arn:aws:sns:us-east-1:{HUB}:hub-alarms");
    let doctor = |w: &World| w.run(&["doctor", "--stack", "hub", "--format", "json"]);

    let run = doctor(&w);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let list = run.json();
    let topic = find(&list, "hub", "topic");
    assert_eq!(topic["verdict"], "pass", "{topic:#}");
    assert!(
        detail(topic).contains("1 confirmed subscription(s) that receive its alerts: sqs alerts")
    );
    let alarm = find(&list, "hub", "alarm topic");
    assert_eq!(alarm["verdict"], "fail", "{alarm:#}");
    assert!(detail(alarm).contains(&alarms) && detail(alarm).contains("no subscription"));
    assert!(fix(alarm).contains("--protocol email") && fix(alarm).contains("AlarmEmail"));

    // An e-mail: confirmed at once by moto.
    let sns = aws_sdk_sns::Client::new(&w.cfg);
    let email = sns
        .subscribe()
        .topic_arn(&alarms)
        .protocol("email")
        .endpoint("oncall@example.com")
        .return_subscription_arn(true)
        .send()
        .await
        .unwrap();
    let run = doctor(&w);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let list = run.json();
    let alarm = find(&list, "hub", "alarm topic");
    assert_eq!(alarm["verdict"], "pass", "{alarm:#}");
    assert!(detail(alarm).contains(
        "1 confirmed subscription(s) that receive its alarm messages: email oncall@example.com"
    ));

    // A pager filtered to the findings' severities: it never hears an alarm.
    sns.subscribe()
        .topic_arn(&alarms)
        .protocol("sqs")
        .endpoint(format!("arn:aws:sqs:us-east-1:{HUB}:pager"))
        .attributes("FilterPolicy", r#"{"severity": ["critical", "error"]}"#)
        .send()
        .await
        .unwrap();
    let run = doctor(&w);
    assert_eq!(run.code, 0, "a warning: {}\n{}", run.stdout, run.stderr);
    let list = run.json();
    let alarm = find(&list, "hub", "alarm topic");
    assert_eq!(alarm["verdict"], "warn", "{alarm:#}");
    assert!(
        detail(alarm).contains("sqs pager (filter on severity)")
            && detail(alarm).contains("alarm messages carry no message attributes"),
        "{alarm:#}"
    );
    assert!(
        fix(alarm).contains("remove the filter policy of sqs pager"),
        "{alarm:#}"
    );

    // Without the e-mail, nobody receives the alarms.
    sns.unsubscribe()
        .subscription_arn(email.subscription_arn().unwrap())
        .send()
        .await
        .unwrap();
    let run = doctor(&w);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let list = run.json();
    let alarm = find(&list, "hub", "alarm topic");
    assert_eq!(alarm["verdict"], "fail", "{alarm:#}");
    assert!(
        detail(alarm).contains("no confirmed subscription receives them"),
        "{alarm:#}"
    );

    // An alert topic nobody subscribed to fails; then 101 subscriptions, two
    // pages of ListSubscriptionsByTopic, are all counted.
    let empty = sns
        .create_topic()
        .name("unheard")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    w.set_env("RUNAS_GUARD_TOPIC_ARN", &empty);
    let run = w.run(&["doctor", "--format", "json"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let list = run.json();
    let topic = find(&list, "hub", "topic");
    assert_eq!(topic["verdict"], "fail", "{topic:#}");
    assert!(
        detail(topic).contains("nobody is told of its alerts"),
        "{topic:#}"
    );
    assert_eq!(find(&list, "hub", "alarm topic")["verdict"], "skip");
    for i in 0..101 {
        sns.subscribe()
            .topic_arn(&empty)
            .protocol("sqs")
            .endpoint(format!("arn:aws:sqs:us-east-1:{HUB}:reader{i}"))
            .send()
            .await
            .unwrap();
    }
    let run = w.run(&["doctor"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains(" topic ") && l.contains(&empty))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(
        line.contains('✓') && line.contains("101 confirmed subscription(s)"),
        "{line}"
    );
    assert!(
        run.stdout.contains("legend: ✓ passed   ! works"),
        "{}",
        run.stdout
    );
}

/// From a delegated administrator, the member StackSet is found only with
/// `CallAs=DELEGATED_ADMIN`: the fault proxy answers every read made as the
/// caller itself as AWS does there (no such StackSet), and doctor asks again.
#[tokio::test(flavor = "multi_thread")]
async fn a_delegated_administrators_stackset_is_found_as_delegated_administrator() {
    let mut w = World::new().await;
    let workloads = w.create_ou(&w.root, "Workloads").await;
    w.create_account("pilot", Some(&workloads)).await;
    let cfn = members_stackset(&w).await;
    cfn.create_stack_instances()
        .stack_set_name("members")
        .deployment_targets(
            aws_sdk_cloudformation::types::DeploymentTargets::builder()
                .organizational_unit_ids(&workloads)
                .build(),
        )
        .regions("us-east-1")
        .regions("eu-west-1")
        .send()
        .await
        .unwrap();
    let proxy = w.behind_proxy();
    proxy.faults(json!([
        {"name": "as-self", "service": "cloudformation", "contains": "CallAs=SELF",
         "status": 400, "code": "StackSetNotFoundException", "protocol": "query"}
    ]));
    let run = w.run(&["doctor", "--stackset", "members", "--format", "json"]);
    let list = run.json();
    assert_eq!(
        find(&list, "hub", "stackset regions")["verdict"],
        "pass",
        "{list:#}"
    );
    assert!(
        proxy.hits()["as-self"]["hits"].as_u64() >= Some(1),
        "the fault fired"
    );
    // A StackSet that is not there as either is still not found.
    let run = w.run(&["doctor", "--stackset", "absent", "--format", "json"]);
    let regions = find(&run.json(), "hub", "stackset regions").clone();
    assert_eq!(regions["verdict"], "fail", "{regions:#}");
    assert!(
        regions["fix"]
            .as_str()
            .unwrap()
            .contains("deploy infra/member.yaml as the StackSet absent"),
        "{regions:#}"
    );
}
