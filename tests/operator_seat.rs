//! The operator's seat, on the shipped stacks with IAM and trust policies
//! enforced (tests/moto_iam.py: a role's trust policy, conditions on
//! `aws:PrincipalArn` and `aws:PrincipalOrgID` included, decides who may
//! assume it, and each role's own policy what its sessions may do). The
//! member stack names on-call's IAM Identity Center permission set in
//! `OperatorPrincipals`; on-call's seat is that permission set's role in the
//! hub account, with exactly the operator policy docs/operate.md gives.
//! From it, `why`, `doctor --account` and `reconcile --dry-run` read a
//! member account through `RunAsGuardOperatorRead` and write nothing (a
//! write through that role is refused); another permission set is refused,
//! and each command names the role it tried. `redrive` hands a dead-lettered
//! edit to the deployed function (tests/moto_lambda_invoke.py runs this
//! build as the function, with its own role), which puts the document back:
//! on-call could not have, since the member role refuses it; `sweep --stack`
//! hands the schedule's sweep to the same function. Both ask through the
//! function's `operator` alias, the seat's only Lambda grant, and carry no
//! event: a forged event sent there is refused and changes nothing, and the
//! function itself refuses the seat.

use crate::common;

use std::collections::HashMap;

use common::stacks::*;
use common::*;
use runas_guard::adapters::aws::sts::Sts;
use serde_json::{json, Value};

const OPERATOR_SET: &str = "AWSReservedSSO_RunAsGuardOperator_0a1b2c3d4e5f6789";
const OTHER_SET: &str = "AWSReservedSSO_Developer_0a1b2c3d4e5f6789";
/// Identity Center's permission-set role path: with the instance's region,
/// except where its home is us-east-1 (no region segment).
const SSO_PATH: &str = "/aws-reserved/sso.amazonaws.com/eu-west-1/";
const SSO_PATH_US_EAST_1: &str = "/aws-reserved/sso.amazonaws.com/";
const OPERATOR_SET_US_EAST_1: &str = "AWSReservedSSO_RunAsGuardOperator_fedcba9876543210";
const OPERATOR_ROLE: &str = "RunAsGuardOperatorRead";
const REGION: &str = "eu-west-1";

/// On-call's credentials: a session of a permission set's role.
#[derive(Clone)]
struct Seat {
    key: String,
    secret: String,
    token: String,
    arn: String,
}

struct Org {
    d: Deployed,
    member: String,
    named: Seat,
    /// The same permission set, from an instance whose home is us-east-1.
    named_us_east_1: Seat,
    unnamed: Seat,
}

/// The operator policy docs/operate.md gives, for this deployment.
fn operator_policy(hub: &HashMap<String, String>) -> String {
    let page = std::fs::read_to_string(repo().join("docs/operate.md")).unwrap();
    let block = page
        .split("<!-- operator-policy:begin -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- operator-policy:end -->").next())
        .expect("docs/operate.md has the operator policy between its markers");
    let json = block
        .trim()
        .strip_prefix("```json")
        .and_then(|b| b.strip_suffix("```"))
        .expect("the operator policy is one ```json block");
    let url = hub["PolicyUrl"].strip_prefix("s3://").unwrap();
    let (bucket, key) = url.split_once('/').unwrap();
    let function = hub["FunctionArn"].rsplit(':').next().unwrap();
    let policy = json
        .replace("HUB_ACCOUNT", HUB)
        .replace("HUB_REGION", "us-east-1")
        .replace("STATE_TABLE", &hub["TableName"])
        .replace("POLICY_BUCKET", bucket)
        .replace("POLICY_KEY", key)
        .replace("HUB_STACK", STACK)
        .replace("FUNCTION_NAME", function)
        .replace("MEMBER_STACKSET", "runas-guard-member");
    serde_json::from_str::<Value>(&policy).expect("the operator policy is JSON");
    policy
}

/// A permission set's role in the hub account (its path as Identity Center
/// makes it), with the operator policy, and a session of it.
async fn permission_set(w: &World, (path, name): (&str, &str), policy: &str, user: &str) -> Seat {
    let iam = aws_sdk_iam::Client::new(&w.cfg);
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{HUB}:root")}, "Action": "sts:AssumeRole"}]});
    iam.create_role()
        .role_name(name)
        .path(path)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name(name)
        .policy_name("runas-guard-operator")
        .policy_document(policy)
        .send()
        .await
        .unwrap();
    let out = aws_sdk_sts::Client::new(&w.cfg)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{HUB}:role{path}{name}"))
        .role_session_name(user)
        .send()
        .await
        .unwrap_or_else(|e| panic!("sign in as {name}: {e:?}"));
    let c = out.credentials().unwrap();
    Seat {
        key: c.access_key_id().into(),
        secret: c.secret_access_key().into(),
        token: c.session_token().into(),
        arn: out.assumed_role_user().unwrap().arn().into(),
    }
}

/// The organization deployed, its member vended (the function configured
/// it), the member stack naming the operator permission set, and two
/// seats: the named one and another.
async fn organization() -> Org {
    let policy = format!("operator_role = \"{OPERATOR_ROLE}\"\n{POLICY}");
    let d = Deployed::new(Stage {
        hub_template: shipped("hub.yaml"),
        policy: &policy,
        accounts: 1,
        member_now: None,
    })
    .await;
    let member = d.members[0].clone();
    let org = d.w.org().describe_organization().send().await.unwrap();
    let org_id = org.organization().unwrap().id().unwrap().to_string();
    // The documented pattern: both role forms (with and without the region).
    let principals =
        "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_RunAsGuardOperator_*";
    let out = deploy_member(
        &d.w,
        &member,
        "us-east-1",
        &[
            ("OperatorPrincipals", principals),
            ("OrganizationId", &org_id),
        ],
    )
    .await;
    assert_eq!(
        out["OperatorRoleArn"],
        format!("arn:aws:iam::{member}:role/{OPERATOR_ROLE}")
    );
    let (code, out) = d.w.handle(&vend_event(&member));
    assert_eq!(code, 0, "the function configures the member: {out:#}");
    let vended = d.w.alert_kinds().await;
    assert!(
        vended.contains(&"account_configured".to_string()),
        "{vended:?}"
    );
    let policy = operator_policy(&d.hub);
    let named = permission_set(&d.w, (SSO_PATH, OPERATOR_SET), &policy, "alice@example.com").await;
    let named_us_east_1 = permission_set(
        &d.w,
        (SSO_PATH_US_EAST_1, OPERATOR_SET_US_EAST_1),
        &policy,
        "bob@example.com",
    )
    .await;
    let unnamed = permission_set(&d.w, (SSO_PATH, OTHER_SET), &policy, "carol@example.com").await;
    Org {
        d,
        member,
        named,
        named_us_east_1,
        unnamed,
    }
}

/// `runas-guard ARGS` from `seat`: the function's environment (its policy
/// object, table, topic), on-call's credentials.
fn from_seat(w: &World, seat: &Seat, args: &[&str]) -> Run {
    let out = w
        .command(args)
        .env("AWS_ACCESS_KEY_ID", &seat.key)
        .env("AWS_SECRET_ACCESS_KEY", &seat.secret)
        .env("AWS_SESSION_TOKEN", &seat.token)
        .output()
        .expect("run runas-guard");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn sts_as(w: &World, seat: &Seat) -> Sts {
    Sts::new(&config_with(w, &seat.key, &seat.secret, Some(&seat.token)))
}

fn check<'a>(list: &'a Value, item: &str) -> &'a Value {
    list["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["scope"] != "hub" && c["item"] == item)
        .unwrap_or_else(|| panic!("no member check {item}: {list:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn from_the_named_seat_the_read_commands_read_a_member_and_write_nothing() {
    let Org {
        d,
        member,
        named,
        named_us_east_1,
        ..
    } = organization().await;
    let w = &d.w;
    // An administrator's edit the function has not seen (no event).
    w.console_edit(&member, REGION, "intruder").await;
    let before = w.document(&member, REGION).await.unwrap();
    let items = w.items().await;

    // why: the document a session uses, read through the operator role.
    let admin = format!("arn:aws:iam::{member}:role/Admin");
    // Both of Identity Center's role forms take the seat: the permission
    // set's role where its home is us-east-1 (no region segment in the
    // path), and the regional one.
    let why_args = [
        "why",
        "--principal",
        &admin,
        "--account",
        &member,
        "--region",
        REGION,
        "--format",
        "json",
    ];
    let home = from_seat(w, &named_us_east_1, &why_args);
    assert_eq!(home.code, 0, "{}\n{}", home.stdout, home.stderr);
    assert_eq!(home.json()["user"], "intruder");
    let why = from_seat(w, &named, &why_args);
    assert_eq!(why.code, 0, "{}\n{}", why.stdout, why.stderr);
    let v = why.json();
    assert_eq!(link(&v, "document_user")["holds"], "intruder", "{v:#}");
    assert_eq!(v["user"], "intruder", "{v:#}");

    // doctor --account: the role and every governed document, through the seat.
    let doctor = from_seat(
        w,
        &named,
        &["doctor", "--account", &member, "--format", "json"],
    );
    let list: Value = serde_json::from_str(&doctor.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", doctor.stdout, doctor.stderr));
    let role = check(&list, "role");
    assert_eq!(role["verdict"], "pass", "{list:#}");
    let said = role["detail"].as_str().unwrap();
    assert!(
        said.contains(OPERATOR_ROLE) && said.contains("runas-guard-doctor-alice@example.com"),
        "{said}"
    );
    for region in ["us-east-1", REGION] {
        let doc = check(&list, &format!("document {region}"));
        assert_eq!(doc["verdict"], "pass", "{list:#}");
    }
    assert_eq!(
        doctor.code, 0,
        "every check passes from on-call's seat: {list:#}\n{}",
        doctor.stderr
    );

    // reconcile --dry-run: sees the drift, through the operator role.
    let run = from_seat(
        w,
        &named,
        &[
            "reconcile",
            "--dry-run",
            "--account",
            &member,
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let rows = report["rows"].as_array().unwrap();
    let west = rows.iter().find(|r| r["region"] == REGION).unwrap();
    assert_eq!(west["action"], "would-change", "{report:#}");
    assert!(
        rows.iter().all(|r| r["role"] == OPERATOR_ROLE),
        "{report:#}"
    );

    // Nothing written anywhere: the document, the table, the topic.
    assert_eq!(w.document(&member, REGION).await.unwrap(), before);
    assert_eq!(w.items().await, items, "the table is untouched");
    assert_eq!(w.alert_kinds().await, Vec::<String>::new());

    // The role itself refuses a write, and the member role refuses the seat.
    let session = sts_as(w, &named)
        .assume(&member, &[OPERATOR_ROLE], "write-probe", None)
        .await
        .unwrap();
    let ssm = session.ssm(REGION);
    let read = ssm.get_document().name(DOC).send().await;
    assert!(read.is_ok(), "the seat reads: {read:?}");
    let write = ssm
        .update_document_default_version()
        .name(DOC)
        .document_version("1")
        .send()
        .await;
    let err = format!(
        "{:?}",
        write.expect_err("a write through the operator role")
    );
    assert!(
        err.contains("AccessDenied") && err.contains("ssm:UpdateDocumentDefaultVersion"),
        "{err}"
    );
    let member_role = sts_as(w, &named)
        .assume(&member, &["RunAsGuardExecution"], "probe", None)
        .await
        .expect_err("the member role trusts only the hub role");
    assert_eq!(member_role.code, "AccessDenied");
    assert!(
        member_role.message.contains("no role could be assumed"),
        "{member_role}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_principal_not_named_is_refused_and_told_which_role_and_what_to_check() {
    let Org {
        d, member, unnamed, ..
    } = organization().await;
    let w = &d.w;
    let role_arn = format!("arn:aws:iam::{member}:role/{OPERATOR_ROLE}");
    let told = |text: &str| {
        for part in [
            role_arn.as_str(),
            unnamed.arn.as_str(),
            "AccessDenied",
            "OperatorPrincipals",
            "OrganizationId",
        ] {
            assert!(text.contains(part), "{part:?} in {text}");
        }
    };
    // AWS's own refusal, as the trust policy decides it.
    let refused = sts_as(w, &unnamed)
        .assume(&member, &[OPERATOR_ROLE], "probe", None)
        .await
        .expect_err("not named in OperatorPrincipals");
    assert_eq!(refused.code, "AccessDenied");

    let doctor = from_seat(
        w,
        &unnamed,
        &["doctor", "--account", &member, "--format", "json"],
    );
    assert_eq!(doctor.code, 1, "{}", doctor.stderr);
    let list: Value = serde_json::from_str(&doctor.stdout).unwrap();
    let role = check(&list, "role");
    assert_eq!(role["verdict"], "fail", "{list:#}");
    told(role["detail"].as_str().unwrap());
    assert!(role["fix"].as_str().unwrap().contains("OperatorPrincipals"));

    let run = from_seat(
        w,
        &unnamed,
        &[
            "reconcile",
            "--dry-run",
            "--account",
            &member,
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    for row in report["rows"].as_array().unwrap() {
        assert_eq!(row["action"], "failed", "{report:#}");
        told(row["error"].as_str().unwrap());
    }

    let admin = format!("arn:aws:iam::{member}:role/Admin");
    let why = from_seat(
        w,
        &unnamed,
        &[
            "why",
            "--principal",
            &admin,
            "--account",
            &member,
            "--region",
            REGION,
            "--format",
            "json",
        ],
    );
    assert_eq!(why.code, 0, "{}", why.stderr);
    told(&why.stdout);

    // Told to use the member roles instead, it is refused by the member
    // role (it trusts only the hub role), and says so.
    let run = from_seat(
        w,
        &unnamed,
        &[
            "reconcile",
            "--dry-run",
            "--member-roles",
            "--account",
            &member,
            "--format",
            "json",
        ],
    );
    let report = run.json();
    let error = report["rows"][0]["error"].as_str().unwrap();
    assert!(error.contains("RunAsGuardExecution"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn redrive_hands_a_dead_letter_to_the_function_which_puts_the_document_back() {
    let Org {
        d, member, named, ..
    } = organization().await;
    let w = &d.w;
    // The outage: an administrator's edit whose event EventBridge could not
    // deliver, so it waits in the rules' dead-letter queue.
    w.console_edit(&member, REGION, "intruder").await;
    let event = doc_event("UpdateDocument", &member, REGION, "Admin");
    let cfn = aws_sdk_cloudformation::Client::new(&w.cfg);
    let resources = cfn
        .list_stack_resources()
        .stack_name(STACK)
        .send()
        .await
        .unwrap();
    let dlq = resources
        .stack_resource_summaries()
        .iter()
        .find(|r| r.logical_resource_id() == Some("EventsDeadLetterQueue"))
        .and_then(|r| r.physical_resource_id())
        .unwrap()
        .to_string();
    aws_sdk_sqs::Client::new(&w.cfg)
        .send_message()
        .queue_url(&dlq)
        .message_body(event.to_string())
        .send()
        .await
        .unwrap();

    let run = from_seat(
        w,
        &named,
        &["redrive", "--stack", STACK, "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{report:#}");
    assert_eq!(rows[0]["result"], "done", "{report:#}");
    assert_eq!(rows[0]["message"], "deleted", "{report:#}");

    // Put back, told once, and the queue is empty.
    let (doc, _, _) = w.document(&member, REGION).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));
    let kinds = w.alert_kinds().await;
    assert_eq!(kinds, ["drift_reverted"], "{kinds:?}");
    assert!(w.drain(&dlq).await.is_empty(), "nothing left in the queue");

    // By the function, asked by on-call: on-call's own seat cannot
    // enter the member role, the function's role can.
    let (status, invocations) = http(w.moto.port(), "GET", "/_emulated/lambda/invocations", "");
    assert_eq!(status, 200);
    let invocations = invocations.as_array().unwrap();
    // Through the operator alias: the function's listing of its queues (the
    // seat reads none), the redrive of what it listed, and a listing that
    // finds nothing left.
    assert_eq!(invocations.len(), 3, "{invocations:#?}");
    for at in [0, 2] {
        let listed: Value =
            serde_json::from_str(invocations[at]["payload"].as_str().unwrap()).unwrap();
        assert_eq!(listed["runas_guard_request"], "list", "{listed:#}");
        assert_eq!(invocations[at]["qualifier"], "operator");
    }
    let invocations = &invocations[1..];
    assert_eq!(invocations[0]["caller_access_key"], named.key.as_str());
    assert_eq!(
        invocations[0]["function_error"],
        Value::Null,
        "{:#}",
        invocations[0]
    );
    // Through the operator alias, naming the message by id: the function
    // read the event from its own queue, never from the caller.
    assert_eq!(
        invocations[0]["qualifier"], "operator",
        "{:#}",
        invocations[0]
    );
    let asked: Value = serde_json::from_str(invocations[0]["payload"].as_str().unwrap()).unwrap();
    assert_eq!(asked["runas_guard_request"], "redrive", "{asked:#}");
    assert_eq!(asked["messages"][0]["queue"], dlq.as_str(), "{asked:#}");
    assert!(
        !invocations[0]["payload"]
            .as_str()
            .unwrap()
            .contains("UpdateDocument"),
        "the request carries no event: {asked:#}"
    );
    let answer: Value = serde_json::from_str(invocations[0]["answer"].as_str().unwrap()).unwrap();
    assert_eq!(answer["result"], "redrive", "{answer:#}");
    assert_eq!(answer["rows"][0]["result"], "done", "{answer:#}");
    let refused = sts_as(w, &named)
        .assume(&member, &["RunAsGuardExecution"], "probe", None)
        .await;
    assert!(refused.is_err(), "on-call cannot write there itself");

    // The runbook's next step, from the same seat: an edit whose event was
    // lost altogether is found by a sweep the function runs.
    w.console_edit(&member, REGION, "intruder2").await;
    let sweep = from_seat(w, &named, &["sweep", "--stack", STACK, "--format", "json"]);
    assert_eq!(sweep.code, 0, "{}\n{}", sweep.stdout, sweep.stderr);
    let outcome = sweep.json();
    assert_eq!(outcome["result"], "done", "{outcome:#}");
    assert!(
        outcome["trigger_kind"] == "sweep"
            || outcome["trigger"].is_object()
            || outcome["accounts"].is_array(),
        "{outcome:#}"
    );
    let (doc, _, _) = w.document(&member, REGION).await.unwrap();
    assert_eq!(
        run_as(&doc),
        (json!(true), json!("ssm-ops")),
        "the function's sweep put it back"
    );
    let (_, invocations) = http(w.moto.port(), "GET", "/_emulated/lambda/invocations", "");
    let invocations = invocations.as_array().unwrap();
    assert_eq!(invocations.len(), 4, "{invocations:#?}");
    let invocations = &invocations[2..];
    assert_eq!(invocations[1]["caller_access_key"], named.key.as_str());
    assert_eq!(invocations[1]["qualifier"], "operator");
    let asked: Value = serde_json::from_str(invocations[1]["payload"].as_str().unwrap()).unwrap();
    assert_eq!(
        asked
            .as_object()
            .unwrap()
            .keys()
            .collect::<std::collections::BTreeSet<_>>(),
        [&"id".to_string(), &"runas_guard_request".to_string()].into(),
        "a sweep request is nothing but a fresh id: {asked:#}"
    );
    // The table form names the sweep and the function.
    let table = from_seat(w, &named, &["sweep", "--stack", STACK]);
    assert_eq!(table.code, 0, "{}\n{}", table.stdout, table.stderr);
    assert!(table.stdout.contains("by the function"), "{}", table.stdout);
}

/// The hub stack's failure queue `logical` (its URL).
async fn stack_queue(w: &World, logical: &str) -> String {
    let resources = aws_sdk_cloudformation::Client::new(&w.cfg)
        .list_stack_resources()
        .stack_name(STACK)
        .send()
        .await
        .unwrap();
    resources
        .stack_resource_summaries()
        .iter()
        .find(|r| r.logical_resource_id() == Some(logical))
        .and_then(|r| r.physical_resource_id())
        .unwrap()
        .to_string()
}

/// `payload` invoked as `seat` on `function` (a name, `NAME:ALIAS`).
async fn invoke_as(
    w: &World,
    seat: &Seat,
    function: &str,
    payload: &Value,
) -> Result<(Option<String>, Value), String> {
    let lambda =
        aws_sdk_lambda::Client::new(&config_with(w, &seat.key, &seat.secret, Some(&seat.token)));
    let out = lambda
        .invoke()
        .function_name(function)
        .payload(aws_sdk_lambda::primitives::Blob::new(payload.to_string()))
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let body = out
        .payload()
        .map(|b| b.as_ref().to_vec())
        .unwrap_or_default();
    Ok((
        out.function_error().map(str::to_string),
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seat_asks_the_function_and_cannot_hand_it_an_event() {
    let Org {
        d,
        member,
        named,
        named_us_east_1,
        ..
    } = organization().await;
    let w = &d.w;
    let function = d.hub["FunctionArn"].rsplit(':').next().unwrap().to_string();
    // An intruder's edit, unseen; then, from the seat, its own "event" for
    // it: a put-back in the name of an exempt principal, told at `info`.
    w.console_edit(&member, REGION, "intruder").await;
    let before = w.document(&member, REGION).await.unwrap();
    let items = w.items().await;
    let forged = doc_event("UpdateDocument", &member, REGION, "AWSAcceleratorCDKRole");

    // The function itself: the seat has no grant on it.
    let refused = invoke_as(w, &named, &function, &forged)
        .await
        .expect_err("the seat may invoke only the operator alias");
    assert!(refused.contains("AccessDenied"), "{refused}");
    // The alias: the function refuses an event there, and a request with an
    // event smuggled beside its fields, and a request for a queue not its own.
    let operator = d.hub["OperatorFunctionArn"].rsplit(':').next().unwrap();
    // Nor the operator function itself: only its alias.
    let refused = invoke_as(w, &named, operator, &forged)
        .await
        .expect_err("the seat may invoke only the operator alias");
    assert!(refused.contains("AccessDenied"), "{refused}");
    let alias = format!("{operator}:operator");
    let mut smuggled = forged.clone();
    smuggled["runas_guard_request"] = json!("sweep");
    smuggled["id"] = json!("manual-1764147600-0123456789abcdef");
    let foreign = json!({"runas_guard_request": "redrive", "messages": [
        {"queue": format!("https://sqs.us-east-1.amazonaws.com/{HUB}/mine"), "message_id": "m-1"}]});
    let batch = json!({"Records": [{"eventSource": "aws:sqs", "messageId": "m-1",
        "body": json!({"account": member, "regions": [REGION]}).to_string()}]});
    for payload in [&forged, &smuggled, &foreign, &batch] {
        let (error, answer) = invoke_as(w, &named, &alias, payload).await.unwrap();
        assert_eq!(error, None, "refused, not failed: {answer:#}");
        assert_eq!(answer["result"], "rejected", "{payload:#}: {answer:#}");
    }
    let (_, answer) = invoke_as(w, &named, &alias, &forged).await.unwrap();
    assert!(
        answer["reason"]
            .as_str()
            .unwrap()
            .contains("operator requests only"),
        "{answer:#}"
    );
    // Nothing changed: the document, the table, the topic.
    assert_eq!(w.document(&member, REGION).await.unwrap(), before);
    assert_eq!(w.items().await, items, "the table is untouched");
    assert_eq!(w.alert_kinds().await, Vec::<String>::new());

    // What the seat may ask works from both of Identity Center's role
    // forms: a redrive of what is in the failure queues, and a sweep.
    let dlq = stack_queue(w, "EventsDeadLetterQueue").await;
    let sqs = aws_sdk_sqs::Client::new(&w.cfg);
    let real = doc_event("UpdateDocument", &member, REGION, "Admin");
    sqs.send_message()
        .queue_url(&dlq)
        .message_body(real.to_string())
        .send()
        .await
        .unwrap();
    let run = from_seat(
        w,
        &named_us_east_1,
        &["redrive", "--stack", STACK, "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["rows"][0]["result"], "done", "{report:#}");
    assert!(
        report["rows"][0]["actor"]
            .as_str()
            .unwrap_or_default()
            .contains("Admin"),
        "the editor the message names: {report:#}"
    );
    let (doc, _, _) = w.document(&member, REGION).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));
    assert_eq!(w.alert_kinds().await, ["drift_reverted"]);
    assert!(w.drain(&dlq).await.is_empty(), "the function deleted it");

    for (seat, intruder) in [(&named, "intruder2"), (&named_us_east_1, "intruder3")] {
        w.console_edit(&member, REGION, intruder).await;
        let sweep = from_seat(w, seat, &["sweep", "--stack", STACK, "--format", "json"]);
        assert_eq!(sweep.code, 0, "{}\n{}", sweep.stdout, sweep.stderr);
        assert_eq!(sweep.json()["result"], "done");
        let (doc, _, _) = w.document(&member, REGION).await.unwrap();
        assert_eq!(
            run_as(&doc),
            (json!(true), json!("ssm-ops")),
            "{}",
            seat.arn
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn from_the_seat_reconcile_and_sweep_run_in_the_function_or_stop_saying_how() {
    let Org {
        d, member, named, ..
    } = organization().await;
    let w = &d.w;
    w.console_edit(&member, REGION, "intruder").await;
    let before = w.document(&member, REGION).await.unwrap();
    let items = w.items().await;

    // In this process, from the seat: stopped before anything is written,
    // naming the role it cannot take and the command to use.
    let here = from_seat(w, &named, &["reconcile", "--account", &member]);
    assert_eq!(here.code, 1, "{}\n{}", here.stdout, here.stderr);
    for part in [
        "RunAsGuardExecution",
        "--stack",
        "doctor --account",
        "Nothing was written",
    ] {
        assert!(here.stderr.contains(part), "{part:?} in {}", here.stderr);
    }
    // The whole organization, in this process: the member role let the
    // seat into no account, and it says so as above, not "pending".
    let whole = from_seat(w, &named, &["reconcile"]);
    assert_eq!(whole.code, 1, "{}\n{}", whole.stdout, whole.stderr);
    for part in [
        "could take the member role RunAsGuardExecution in none",
        "`runas-guard reconcile --stack HUB_STACK`",
        "doctor --account",
    ] {
        assert!(whole.stderr.contains(part), "{part:?} in {}", whole.stderr);
    }
    let sweep = from_seat(w, &named, &["sweep"]);
    assert_eq!(sweep.code, 1, "{}\n{}", sweep.stdout, sweep.stderr);
    assert!(sweep.stderr.contains("sweep --stack"), "{}", sweep.stderr);
    assert_eq!(w.document(&member, REGION).await.unwrap(), before);
    assert_eq!(w.items().await, items, "the table is untouched");
    assert_eq!(w.alert_kinds().await, Vec::<String>::new());

    // Through the function: it retries the account with its own roles.
    let run = from_seat(
        w,
        &named,
        &[
            "reconcile",
            "--account",
            &member,
            "--stack",
            STACK,
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let west = (report["rows"].as_array().unwrap().iter())
        .find(|r| r["region"] == REGION)
        .unwrap()
        .clone();
    assert_eq!(west["action"], "updated", "{report:#}");
    let (doc, _, _) = w.document(&member, REGION).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));
}

/// Lambda's on-failure record of `event`, naming `function_arn`.
fn on_failure(event: &Value, function_arn: &str) -> Value {
    json!({
        "version": "1.0",
        "timestamp": "2026-03-14T09:31:00.000Z",
        "requestContext": {
            "requestId": "e4b46cbf-b738-4e1f-8880-a18cdf61200e",
            "functionArn": format!("{function_arn}:$LATEST"),
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "Task timed out after 900.00 seconds"}
    })
}

/// (visible, in flight) messages of a queue, as the administrator sees them.
async fn depth(w: &World, queue: &str) -> (u64, u64) {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let out = aws_sdk_sqs::Client::new(&w.cfg)
        .get_queue_attributes()
        .queue_url(queue)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap();
    let n = |a: A| out.attributes().unwrap()[&a].parse().unwrap();
    (
        n(A::ApproximateNumberOfMessages),
        n(A::ApproximateNumberOfMessagesNotVisible),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seat_lists_the_failure_queues_through_the_function_and_cannot_hide_a_message() {
    let Org {
        d,
        member,
        named,
        named_us_east_1,
        ..
    } = organization().await;
    let w = &d.w;
    let function = d.hub["FunctionArn"].clone();
    let dlq = stack_queue(w, "EventsDeadLetterQueue").await;
    let failures = stack_queue(w, "AsyncFailureQueue").await;
    let sqs = aws_sdk_sqs::Client::new(&w.cfg);
    let send = |queue: &str, body: Value| {
        let sent = sqs
            .send_message()
            .queue_url(queue)
            .message_body(body.to_string());
        async move { sent.send().await.unwrap().message_id().unwrap().to_string() }
    };
    // An edit EventBridge could not deliver; the function's own on-failure
    // record of a vend; and a record naming another function whose event
    // would put the document back quietly in an expected editor's name.
    w.console_edit(&member, REGION, "intruder").await;
    let edit = send(&dlq, doc_event("UpdateDocument", &member, REGION, "Admin")).await;
    let own = send(&failures, on_failure(&vend_event(&member), &function)).await;
    let quiet = doc_event("UpdateDocument", &member, REGION, "AWSAcceleratorCDKRole");
    let other = function.replace(":function:", ":function:someone-else-");
    let forged = send(&failures, on_failure(&quiet, &other)).await;

    // The seat cannot receive a message, nor hide one.
    let seat_sqs = aws_sdk_sqs::Client::new(&config_with(
        w,
        &named.key,
        &named.secret,
        Some(&named.token),
    ));
    for queue in [&dlq, &failures] {
        let got = seat_sqs
            .receive_message()
            .queue_url(queue)
            .visibility_timeout(43200)
            .send()
            .await;
        let err = format!("{:?}", got.expect_err("the seat may not receive"));
        assert!(err.contains("AccessDenied"), "{err}");
        let hide = seat_sqs
            .change_message_visibility()
            .queue_url(queue)
            .receipt_handle("any")
            .visibility_timeout(43200)
            .send()
            .await;
        let err = format!("{:?}", hide.expect_err("the seat may not hide"));
        assert!(err.contains("AccessDenied"), "{err}");
    }

    // From both of Identity Center's role forms, the function lists them,
    // and every message is visible again once it has.
    for seat in [&named, &named_us_east_1] {
        let list = from_seat(
            w,
            seat,
            &["redrive", "--stack", STACK, "--list", "--format", "json"],
        );
        assert_eq!(list.code, 0, "{}\n{}", list.stdout, list.stderr);
        let listing = list.json();
        let rows = listing["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 3, "{listing:#}");
        let by_id = |id: &str| {
            rows.iter()
                .find(|r| r["message_id"] == id)
                .unwrap_or_else(|| panic!("{id}: {listing:#}"))
        };
        assert_eq!(by_id(&edit)["result"], "would_replay", "{listing:#}");
        assert_eq!(
            by_id(&edit)["actor"],
            format!("arn:aws:iam::{member}:role/Admin")
        );
        assert_eq!(by_id(&own)["result"], "would_replay", "{listing:#}");
        assert_eq!(by_id(&forged)["result"], "rejected", "{listing:#}");
        assert!(
            rows.iter().all(|r| r["age_seconds"].is_u64()),
            "{listing:#}"
        );
        assert_eq!(depth(w, &dlq).await, (1, 0), "visible again");
        assert_eq!(depth(w, &failures).await, (2, 0), "visible again");
        let table = from_seat(w, seat, &["redrive", "--stack", STACK, "--list"]);
        assert_eq!(table.code, 0, "{}", table.stderr);
        assert!(
            table.stdout.contains(&forged) && table.stdout.contains("MESSAGE ID"),
            "{}",
            table.stdout
        );
    }
    let show = from_seat(
        w,
        &named,
        &[
            "redrive", "--stack", STACK, "--show", &forged, "--format", "json",
        ],
    );
    assert_eq!(show.code, 0, "{}\n{}", show.stdout, show.stderr);
    let shown = &show.json()["rows"][0];
    assert!(
        shown["body"].as_str().unwrap().contains("someone-else-"),
        "{shown:#}"
    );
    assert!(
        shown["reason"]
            .as_str()
            .unwrap()
            .contains("only the function's own"),
        "{shown:#}"
    );

    // Redrive: the edit put back and the function's own record replayed;
    // the forged record refused, shown and kept (exit 3: only what no
    // replay can handle is left).
    let run = from_seat(
        w,
        &named,
        &["redrive", "--stack", STACK, "--format", "json"],
    );
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let rows = report["rows"].as_array().unwrap();
    let by_id = |id: &str| {
        rows.iter()
            .find(|r| r["message_id"] == id)
            .unwrap_or_else(|| panic!("{id}: {report:#}"))
    };
    assert_eq!(by_id(&edit)["message"], "deleted", "{report:#}");
    assert_eq!(by_id(&own)["message"], "deleted", "{report:#}");
    assert_eq!(
        (&by_id(&forged)["result"], &by_id(&forged)["message"]),
        (&json!("rejected"), &json!("kept")),
        "{report:#}"
    );
    let (doc, _, _) = w.document(&member, REGION).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));
    let kinds = w.alert_kinds().await;
    assert!(
        kinds.contains(&"drift_reverted".to_string()),
        "the editor named: {kinds:?}"
    );
    assert_eq!(depth(w, &dlq).await, (0, 0));
    assert_eq!(
        depth(w, &failures).await,
        (1, 0),
        "the forged record stays, visible"
    );
}

/// An edit, then its event handed to the events function as EventBridge
/// would hand it: how long until its revert is answered, and the answer.
async fn timed_revert(w: &World, member: &str, function: &str, user: &str) -> (f64, Value) {
    w.console_edit(member, REGION, user).await;
    let event = doc_event("UpdateDocument", member, REGION, "Admin");
    let lambda = aws_sdk_lambda::Client::new(&w.cfg);
    let started = std::time::Instant::now();
    let out = lambda
        .invoke()
        .function_name(function)
        .payload(aws_sdk_lambda::primitives::Blob::new(event.to_string()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("the events function is never throttled: {e:?}"));
    let seconds = started.elapsed().as_secs_f64();
    let body = out
        .payload()
        .map(|b| b.as_ref().to_vec())
        .unwrap_or_default();
    (
        seconds,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_operator_requests_at_once_leave_an_edits_revert_as_fast() {
    let Org {
        d, member, named, ..
    } = organization().await;
    let w = &d.w;
    let events = d.hub["FunctionArn"].rsplit(':').next().unwrap().to_string();
    let operator = d.hub["OperatorFunctionArn"]
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();

    // Alone: an edit put back by the events function.
    let (alone, answer) = timed_revert(w, &member, &events, "intruder1").await;
    assert_eq!(answer["result"], "done", "{answer:#}");

    // Twenty reconcile requests from the seat at once, and the same edit
    // meanwhile: the requests run in the operator function, at most its
    // reserved concurrency at a time (the rest refused at once), never in
    // the events function's.
    // No retries: each request is one invocation, served or refused.
    let seat_cfg = config_with(w, &named.key, &named.secret, Some(&named.token));
    let seat = aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::config::Builder::from(&seat_cfg)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build(),
    );
    let request = json!({"runas_guard_request": "reconcile", "accounts": [member]}).to_string();
    let mut asked = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (seat, request, alias) = (
            seat.clone(),
            request.clone(),
            format!("{operator}:operator"),
        );
        asked.spawn(async move {
            let out = seat
                .invoke()
                .function_name(alias)
                .payload(aws_sdk_lambda::primitives::Blob::new(request))
                .send()
                .await;
            match out {
                Ok(o) => Ok(o.payload().map(|b| b.as_ref().to_vec()).unwrap_or_default()),
                Err(e) => Err(format!("{e:?}")),
            }
        });
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (busy, answer) = timed_revert(w, &member, &events, "intruder2").await;
    assert_eq!(answer["result"], "done", "{answer:#}");
    let (doc, _, _) = w.document(&member, REGION).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));
    let (mut served, mut refused) = (0, 0);
    while let Some(done) = asked.join_next().await {
        match done.unwrap() {
            Ok(body) => {
                let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                assert_eq!(v["result"], "reconciled", "{v:#}");
                served += 1;
            }
            Err(e) => {
                assert!(
                    e.contains("TooManyRequestsException"),
                    "refused for its concurrency: {e}"
                );
                refused += 1;
            }
        }
    }
    let (_, throttles) = http(w.moto.port(), "GET", "/_emulated/lambda/throttles", "");
    let throttles = throttles.as_array().unwrap();
    assert!(
        refused > 0 && served > 0,
        "served {served}, refused {refused}"
    );
    assert!(
        throttles
            .iter()
            .all(|t| t["function"] == operator.as_str() && t["limit"] == 3),
        "only the operator function, at its 3: {throttles:#?}"
    );
    println!(
        "an edit's revert: {alone:.2} s alone, {busy:.2} s beside 20 operator requests (ratio {:.2}); {served} served, {refused} refused at once, {} throttles, all of the operator function",
        busy / alone,
        throttles.len()
    );
}
