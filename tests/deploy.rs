//! The shipped templates, deployed as a platform team deploys them: the hub
//! stack (`infra/hub.yaml`) in the hub account and the member stack
//! (`infra/member.yaml`, one plain stack standing in for a StackSet
//! instance) in a member account, into the local AWS (moto's CloudFormation,
//! extended where it lacks a resource type the hub uses:
//! `tests/moto_cfn.py`). Then the flows run against what the stacks made,
//! named only by their outputs, with the credentials the stacks create and
//! IAM enforced (moto's enforcement, completed by `tests/moto_iam.py`): the
//! hub role as the Lambda service assumes it, the member role as the hub
//! assumes it. A vend, a console edit reverted, a scheduled sweep (in one
//! run, and fanned out through the deployed queue), a policy change by
//! upload, and the alerts on the deployed topic; a call the hub role may not
//! make is refused with the action named.

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};

use aws_sdk_cloudformation::types::{Capability, Parameter};
use common::*;
use serde_json::{json, Value};

const STACK: &str = "runas-guard-hub";
const POLICY: &str = "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\", \"eu-west-1\"]\n[default]\nrun_as_user = \"ssm-ops\"\n";

fn param(key: &str, value: &str) -> Parameter {
    Parameter::builder()
        .parameter_key(key)
        .parameter_value(value)
        .build()
}

fn shipped(template: &str) -> String {
    std::fs::read_to_string(repo().join("infra").join(template)).unwrap()
}

async fn deploy(
    cfn: &aws_sdk_cloudformation::Client,
    name: &str,
    template: &str,
    body: String,
    params: Vec<Parameter>,
) -> HashMap<String, String> {
    cfn.create_stack()
        .stack_name(name)
        .template_body(body)
        .set_parameters(Some(params))
        .capabilities(Capability::CapabilityNamedIam)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create {template}: {e:?}"));
    for _ in 0..100 {
        let out = cfn.describe_stacks().stack_name(name).send().await.unwrap();
        let stack = &out.stacks()[0];
        let status = stack.stack_status().unwrap().as_str().to_string();
        if status.ends_with("IN_PROGRESS") {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            continue;
        }
        assert_eq!(status, "CREATE_COMPLETE", "{template}: {stack:?}");
        return stack
            .outputs()
            .iter()
            .map(|o| {
                (
                    o.output_key().unwrap().to_string(),
                    o.output_value().unwrap_or_default().to_string(),
                )
            })
            .collect();
    }
    panic!("{template} did not finish creating");
}

/// The hub stack with the parameters the README's deploy steps give.
async fn deploy_hub(w: &World, body: String) -> HashMap<String, String> {
    let s3 = aws_sdk_s3::Client::new(&w.cfg);
    s3.create_bucket().bucket("artifacts").send().await.unwrap();
    s3.put_object()
        .bucket("artifacts")
        .key("runas-guard.zip")
        .body(b"the function's package".to_vec().into())
        .send()
        .await
        .unwrap();
    let org = w.org().describe_organization().send().await.unwrap();
    let org = org.organization().unwrap();
    let cfn = aws_sdk_cloudformation::Client::new(&w.cfg);
    deploy(
        &cfn,
        STACK,
        "hub.yaml",
        body,
        vec![
            param("OrganizationId", org.id().unwrap()),
            param("ManagementAccountId", org.master_account_id().unwrap()),
            param("CodeS3Bucket", "artifacts"),
            param("CodeS3Key", "runas-guard.zip"),
        ],
    )
    .await
}

/// The member stack in `account`, deployed from inside it (as a StackSet
/// instance is).
async fn deploy_member(
    w: &World,
    account: &str,
    extra: &[(&str, &str)],
) -> HashMap<String, String> {
    let (config, _) = acting_as(w, account, "OrganizationAccountAccessRole").await;
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    let mut params = vec![param("HubAccountId", HUB), param("HubRegion", "us-east-1")];
    params.extend(extra.iter().map(|(k, v)| param(k, v)));
    let outputs = deploy(
        &cfn,
        "runas-guard-member",
        "member.yaml",
        shipped("member.yaml"),
        params,
    )
    .await;
    // The role the hub assumes is the one the policy names.
    let resources = cfn
        .describe_stack_resources()
        .stack_name("runas-guard-member")
        .send()
        .await
        .unwrap();
    let roles: Vec<&str> = resources
        .stack_resources()
        .iter()
        .filter(|r| r.resource_type() == Some("AWS::IAM::Role"))
        .filter_map(|r| r.physical_resource_id())
        .collect();
    assert!(roles.contains(&"RunAsGuardExecution"), "{roles:?}");
    outputs
}

/// The test's own administrator identities, made before IAM is enforced (the
/// test reads documents and queues through them; they are not runas-guard's):
/// a user with keys in the hub account, an `Admin` role in the member.
const HARNESS_HUB: &str = r#"
Resources:
  Operator:
    Type: AWS::IAM::User
    Properties:
      UserName: test-operator
  Everything:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Users: [!Ref Operator]
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}
  OperatorKey:
    Type: AWS::IAM::AccessKey
    Properties:
      UserName: !Ref Operator
Outputs:
  KeyId: {Value: !Ref OperatorKey}
  Secret: {Value: !GetAtt OperatorKey.SecretAccessKey}
"#;

const HARNESS_MEMBER: &str = r#"
Resources:
  Admin:
    Type: AWS::IAM::Role
    Properties:
      RoleName: Admin
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "*"}, Action: "sts:AssumeRole"}]}
  Everything:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref Admin]
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}
"#;

async fn harness(
    cfn: &aws_sdk_cloudformation::Client,
    name: &str,
    body: &str,
) -> HashMap<String, String> {
    cfn.create_stack()
        .stack_name(name)
        .template_body(body)
        .capabilities(Capability::CapabilityNamedIam)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let out = cfn.describe_stacks().stack_name(name).send().await.unwrap();
    out.stacks()[0]
        .outputs()
        .iter()
        .map(|o| {
            (
                o.output_key().unwrap().to_string(),
                o.output_value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// From here on every request needs credentials IAM knows and is allowed
/// only what their policies grant (moto's `/moto-api/reset-auth`).
fn enforce_iam(url: &str) {
    let host = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "POST /moto-api/reset-auth HTTP/1.1\r\nHost: {host}\r\nContent-Length: 1\r\nConnection: close\r\n\r\n0"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

fn config_with(w: &World, key: &str, secret: &str, token: Option<&str>) -> aws_config::SdkConfig {
    w.cfg
        .to_builder()
        .credentials_provider(aws_sdk_ssm::config::SharedCredentialsProvider::new(
            aws_sdk_ssm::config::Credentials::new(
                key,
                secret,
                token.map(str::to_string),
                None,
                "test",
            ),
        ))
        .build()
}

/// The hub role's credentials, as the Lambda service gets them (the trust
/// policy names `lambda.amazonaws.com`; the local AWS lets the test ask as
/// that service, see tests/moto_iam.py).
async fn as_the_function(w: &World, role_arn: &str) -> (String, String, String) {
    let out = aws_sdk_sts::Client::new(&w.cfg)
        .assume_role()
        .role_arn(role_arn)
        .role_session_name("runas-guard")
        .customize()
        .mutate_request(|req| {
            req.headers_mut()
                .insert("x-local-aws-service-principal", "lambda.amazonaws.com");
        })
        .send()
        .await
        .unwrap_or_else(|e| panic!("the Lambda service assumes {role_arn}: {e:?}"));
    let c = out.credentials().unwrap();
    (
        c.access_key_id().to_string(),
        c.secret_access_key().to_string(),
        c.session_token().to_string(),
    )
}

/// A configuration acting as `role` in `account` (STS AssumeRole), and its
/// credentials `(key, secret, token)`.
async fn acting_as(
    w: &World,
    account: &str,
    role: &str,
) -> (aws_config::SdkConfig, (String, String, String)) {
    let out = aws_sdk_sts::Client::new(&w.cfg)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/{role}"))
        .role_session_name("deploy-test")
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    let creds = (
        c.access_key_id().to_string(),
        c.secret_access_key().to_string(),
        c.session_token().to_string(),
    );
    let config = w
        .cfg
        .to_builder()
        .credentials_provider(aws_sdk_ssm::config::SharedCredentialsProvider::new(
            aws_sdk_ssm::config::Credentials::new(
                creds.0.clone(),
                creds.1.clone(),
                Some(creds.2.clone()),
                None,
                "assumed",
            ),
        ))
        .build();
    (config, creds)
}

/// Both stacks deployed (the hub from `hub_template`), the policy uploaded,
/// a queue subscribed to the deployed topic, IAM enforced, and the CLI set up
/// as the function: the stacks' outputs and the hub role's credentials.
struct Deployed {
    w: World,
    hub: HashMap<String, String>,
    /// The policy object's key in the stack's bucket.
    key: String,
    member: String,
    inbox: String,
    creds: (String, String, String),
}

async fn deployed(hub_template: String) -> Deployed {
    deployed_with(hub_template, &[], POLICY).await
}

/// [`deployed`] with member stack parameters and a policy of the test's.
async fn deployed_with(hub_template: String, member: &[(&str, &str)], policy: &str) -> Deployed {
    let member_params = member;
    let moto = Moto::start_emulating("moto_cfn.py", &[]);
    let mut w = World::on(moto).await;
    let member = w.create_account("member", None).await;
    let hub = deploy_hub(&w, hub_template).await;
    for key in [
        "TableName",
        "TopicArn",
        "PolicyUrl",
        "PolicyBucketName",
        "SweepQueueUrl",
        "HubRoleArn",
        "EventBusName",
    ] {
        assert!(
            hub.get(key).is_some_and(|v| !v.is_empty()),
            "hub output {key}: {hub:?}"
        );
    }
    deploy_member(&w, &member, member_params).await;

    // The policy goes where the hub stack says: its bucket, its key.
    let s3 = aws_sdk_s3::Client::new(&w.cfg);
    let key = hub["PolicyUrl"]
        .strip_prefix(&format!("s3://{}/", hub["PolicyBucketName"]))
        .expect("PolicyUrl names the policy bucket")
        .to_string();
    s3.put_object()
        .bucket(&hub["PolicyBucketName"])
        .key(&key)
        .body(policy.as_bytes().to_vec().into())
        .send()
        .await
        .unwrap();

    // Alerts are read from a queue subscribed to the deployed topic.
    let sqs = aws_sdk_sqs::Client::new(&w.cfg);
    let inbox = sqs
        .create_queue()
        .queue_name("deployed-alerts")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    aws_sdk_sns::Client::new(&w.cfg)
        .subscribe()
        .topic_arn(&hub["TopicArn"])
        .protocol("sqs")
        .endpoint(format!("arn:aws:sqs:us-east-1:{HUB}:deployed-alerts"))
        .send()
        .await
        .unwrap();

    // The test's own identities, then IAM enforced for everyone.
    let operator = harness(
        &aws_sdk_cloudformation::Client::new(&w.cfg),
        "test-harness",
        HARNESS_HUB,
    )
    .await;
    let (member_cfg, _) = acting_as(&w, &member, "OrganizationAccountAccessRole").await;
    harness(
        &aws_sdk_cloudformation::Client::new(&member_cfg),
        "test-harness",
        HARNESS_MEMBER,
    )
    .await;
    enforce_iam(&w.moto.url);
    let refused = aws_sdk_dynamodb::Client::new(&w.cfg)
        .list_tables()
        .send()
        .await;
    assert!(
        refused.is_err(),
        "IAM is enforced: unknown keys are refused"
    );
    w.cfg = config_with(&w, &operator["KeyId"], &operator["Secret"], None);

    // The function's configuration: every name from the stack's outputs, and
    // the hub role's credentials as Lambda gets them.
    let creds = as_the_function(&w, &hub["HubRoleArn"]).await;
    for (k, v) in [
        ("RUNAS_GUARD_POLICY", hub["PolicyUrl"].clone()),
        ("RUNAS_GUARD_POLICY_BUCKET_OWNER", HUB.to_string()),
        ("RUNAS_GUARD_TABLE", hub["TableName"].clone()),
        ("RUNAS_GUARD_TOPIC_ARN", hub["TopicArn"].clone()),
        ("AWS_ACCESS_KEY_ID", creds.0.clone()),
        ("AWS_SECRET_ACCESS_KEY", creds.1.clone()),
        ("AWS_SESSION_TOKEN", creds.2.clone()),
    ] {
        w.set_env(k, &v);
    }

    Deployed {
        w,
        hub,
        key,
        member,
        inbox,
        creds,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_shipped_stacks_deploy_and_every_flow_runs_on_what_they_made() {
    let Deployed {
        mut w,
        hub,
        key,
        member,
        inbox,
        creds,
    } = deployed(shipped("hub.yaml")).await;
    // Vend: configured in every governed region, recorded in the deployed table.
    let (code, out) = w.handle(&vend_event(&member));
    assert_eq!(code, 0, "{out:#}");
    for region in ["us-east-1", "eu-west-1"] {
        let (doc, _, _) = w.document(&member, region).await.expect("document made");
        assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")), "{region}");
    }
    let items = table_items(&w, &hub["TableName"]).await;
    assert!(
        items
            .iter()
            .any(|i| i.get("sk").is_some_and(|s| s == "REGION#eu-west-1")),
        "state in the deployed table: {items:?}"
    );

    // A console edit, reverted, alerted on the deployed topic.
    w.admin_write(&member, "eu-west-1", &lza_document(&member), true)
        .await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &member, "eu-west-1", "Admin"));
    assert_eq!(code, 0, "{out:#}");
    let (doc, _, _) = w.document(&member, "eu-west-1").await.unwrap();
    assert_eq!(run_as(&doc).1, json!("ssm-ops"));
    let kinds = alert_kinds(&w, &inbox).await;
    assert!(
        kinds.contains(&"account_configured".to_string()),
        "{kinds:?}"
    );
    assert!(kinds.contains(&"drift_reverted".to_string()), "{kinds:?}");

    // A scheduled sweep over the deployed table finds everything right.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["result"], "done", "{out:#}");
    let checked: usize = out["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["regions"].as_array().unwrap().len())
        .sum();
    assert!(checked >= 2, "{out:#}");

    // The same sweep fanned out through the deployed queue: one message per
    // account (the threshold set low), worked as Lambda's SQS batches.
    w.set_env("RUNAS_GUARD_SWEEP_QUEUE_URL", &hub["SweepQueueUrl"]);
    w.set_env("RUNAS_GUARD_FANOUT_THRESHOLD", "1");
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(
        (code, out["result"].as_str()),
        (0, Some("fanned_out")),
        "{out:#}"
    );
    let records: Vec<Value> = w.sqs_records(&hub["SweepQueueUrl"]).await;
    assert!(records.len() >= 2, "one message per account: {records:?}");
    let (code, out) = w.handle(&json!({ "Records": records }));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["batchItemFailures"], json!([]), "{out:#}");

    // A policy change is an upload to the stack's PolicyUrl: the next run
    // (here the next sweep) applies it.
    let changed = POLICY.replace("ssm-ops", "ops-admin");
    aws_sdk_s3::Client::new(&w.cfg)
        .put_object()
        .bucket(&hub["PolicyBucketName"])
        .key(&key)
        .body(changed.into_bytes().into())
        .send()
        .await
        .unwrap();
    w.set_env("RUNAS_GUARD_FANOUT_THRESHOLD", "200");
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    for region in ["us-east-1", "eu-west-1"] {
        let (doc, _, _) = w.document(&member, region).await.unwrap();
        assert_eq!(run_as(&doc).1, json!("ops-admin"), "{region}");
    }

    // What the hub role is not granted is refused, and the refusal names the
    // action (the function never scans; only operators' `status` does).
    let hub_cfg = config_with(&w, &creds.0, &creds.1, Some(&creds.2));
    let scan = aws_sdk_dynamodb::Client::new(&hub_cfg)
        .scan()
        .table_name(&hub["TableName"])
        .send()
        .await;
    let err = format!("{:?}", scan.expect_err("the hub role may not scan"));
    assert!(err.contains("dynamodb:Scan"), "{err}");
}

async fn table_items(w: &World, table: &str) -> Vec<HashMap<String, String>> {
    let out = aws_sdk_dynamodb::Client::new(&w.cfg)
        .scan()
        .table_name(table)
        .send()
        .await
        .unwrap();
    out.items()
        .iter()
        .map(|i| {
            i.iter()
                .filter_map(|(k, v)| v.as_s().ok().map(|s| (k.clone(), s.clone())))
                .collect()
        })
        .collect()
}

async fn alert_kinds(w: &World, queue: &str) -> Vec<String> {
    w.drain(queue)
        .await
        .iter()
        .filter_map(|m| {
            let envelope: Value = serde_json::from_str(m.body()?).ok()?;
            let message: Value = serde_json::from_str(envelope["Message"].as_str()?).ok()?;
            message["kind"].as_str().map(str::to_string)
        })
        .collect()
}

/// A hub role without an action a flow needs fails that flow in the local
/// AWS, and says which action: here `dynamodb:BatchWriteItem`, without which
/// history rows and alerts kept in the outbox cannot be written.
#[tokio::test(flavor = "multi_thread")]
async fn a_hub_role_without_a_needed_action_fails_naming_it() {
    let grant = "                  - dynamodb:BatchWriteItem\n";
    let template = shipped("hub.yaml");
    assert!(template.contains(grant), "hub.yaml grants BatchWriteItem");
    let Deployed { w, member, .. } = deployed(template.replacen(grant, "", 1)).await;
    let (code, out) = w.handle(&vend_event(&member));
    assert_eq!(code, 1, "{out:#}");
    let reason = out["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("dynamodb:BatchWriteItem"), "{out:#}");
}

/// The run-as user check on what the member stack makes with
/// `RunAsUserCheck=Enabled`, under enforced IAM: the hub's session policy
/// and the member role's grants are all the check gets.
#[tokio::test(flavor = "multi_thread")]
async fn the_run_as_user_check_runs_on_the_member_stacks_document_and_grants() {
    let policy = "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\"]\n[nodes]\ncheck_user = true\n[default]\nrun_as_user = \"ssm-ops\"\n";
    let Deployed {
        w,
        hub,
        member,
        inbox,
        ..
    } = deployed_with(
        shipped("hub.yaml"),
        &[("RunAsUserCheck", "Enabled")],
        policy,
    )
    .await;
    let fleet = json!({"account": member, "region": "us-east-1", "nodes": [
        {"id": "i-0aaaaaaaaaaaaaaa1", "platform": "Linux", "users": ["ec2-user", "ssm-ops"]},
        {"id": "i-0aaaaaaaaaaaaaaa2", "platform": "Linux", "users": ["ec2-user"]},
        {"id": "i-0aaaaaaaaaaaaaaa3", "platform": "Windows", "users": []}]});
    let (status, out) = http(
        w.moto.port(),
        "POST",
        "/_emulated/ssm/fleet",
        &fleet.to_string(),
    );
    assert_eq!(status, 200, "{out}");

    // Vend: the association is made (the member stack's document, the
    // session policy's grant) and the node without the user is named.
    let (code, out) = w.handle(&vend_event(&member));
    assert_eq!(code, 0, "{out:#}");
    let check = out["accounts"][0]["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["document"] == "RunAsGuard-CheckRunAsUser")
        .cloned()
        .unwrap_or_else(|| panic!("no check row: {out:#}"));
    assert_eq!(check["action"], "created", "{check:#}");
    assert_eq!(
        check["nodes"]["missing_nodes"],
        json!(["i-0aaaaaaaaaaaaaaa2"]),
        "{check:#}"
    );
    assert_eq!(check["nodes"]["checked"], 3);
    let kinds = alert_kinds(&w, &inbox).await;
    assert!(
        kinds.contains(&"run_as_user_missing".to_string()),
        "{kinds:?}"
    );

    // An administrator deletes it (by id: authorized on the association
    // alone); the forwarded event puts it back under the same grants.
    let admin = w.admin_ssm(&member, "us-east-1").await;
    let listed = admin.list_associations().send().await.unwrap();
    let id = listed.associations()[0]
        .association_id()
        .unwrap()
        .to_string();
    admin
        .delete_association()
        .association_id(&id)
        .send()
        .await
        .unwrap();
    let mut event = doc_event("DeleteAssociation", &member, "us-east-1", "Admin");
    event["detail"]["requestParameters"] = json!({"associationId": id});
    event["detail"]["responseElements"] = Value::Null;
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    let now = admin.list_associations().send().await.unwrap();
    assert_eq!(now.associations().len(), 1, "put back");
    assert_ne!(now.associations()[0].association_id(), Some(id.as_str()));
    assert!(alert_kinds(&w, &inbox)
        .await
        .contains(&"drift_reverted".to_string()));

    // A steady sweep under the same grants reads it and changes nothing.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let items = table_items(&w, &hub["TableName"]).await;
    let row = items
        .iter()
        .find(|i| {
            i.get("pk") == Some(&format!("ACCOUNT#{member}"))
                && i.get("sk")
                    .is_some_and(|s| s == "REGION#us-east-1#DOCUMENT#RunAsGuard-CheckRunAsUser")
        })
        .unwrap_or_else(|| panic!("check row recorded: {items:?}"));
    assert!(
        row.get("nodes")
            .is_some_and(|n| n.contains("i-0aaaaaaaaaaaaaaa2")),
        "{row:?}"
    );
    assert_eq!(row["status"], "reverted", "{row:?}");
}
