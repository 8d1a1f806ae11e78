//! An organization with the shipped stacks deployed into the local AWS, as
//! a platform team deploys them: the hub stack (`infra/hub.yaml`) in the hub
//! account, the member stack (`infra/member.yaml`, one plain stack per
//! region standing in for a StackSet instance) in member accounts, now or
//! later, region by region. IAM is enforced once the stage is set, so a
//! member role exists only once its stack has made it (tests/moto_iam.py:
//! AssumeRole of a role that does not exist is refused, as AWS refuses it).
//! The CLI runs as the function: the deployed function's own environment and
//! the hub role's credentials as the Lambda service gets them.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use aws_config::{Region, SdkConfig};
use aws_sdk_cloudformation::types::{Capability, Parameter};
use serde_json::{json, Value};

use super::*;

pub const STACK: &str = "runas-guard-hub";
pub const MEMBER_STACK: &str = "runas-guard-member";
pub const POLICY: &str = "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\", \"eu-west-1\"]\n[default]\nrun_as_user = \"ssm-ops\"\n";

pub fn param(key: &str, value: &str) -> Parameter {
    Parameter::builder()
        .parameter_key(key)
        .parameter_value(value)
        .build()
}

pub fn shipped(template: &str) -> String {
    std::fs::read_to_string(repo().join("infra").join(template)).unwrap()
}

/// Creates a stack and waits for it: its outputs.
pub async fn deploy(
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
        return outputs(stack.outputs());
    }
    panic!("{template} did not finish creating");
}

fn outputs(list: &[aws_sdk_cloudformation::types::Output]) -> HashMap<String, String> {
    list.iter()
        .map(|o| {
            (
                o.output_key().unwrap().to_string(),
                o.output_value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The hub stack with the parameters the deploy steps (infra/docs/deploy.md) give.
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

/// The member stack's instance in `account` and `region`, deployed from
/// inside the account as a StackSet instance is (through the test's own
/// `Admin` role there), with `extra` parameters. The member role is made
/// only in its `RoleRegion` (us-east-1 unless `extra` says otherwise).
pub async fn deploy_member(
    w: &World,
    account: &str,
    region: &str,
    extra: &[(&str, &str)],
) -> HashMap<String, String> {
    let (config, _) = acting_as(w, account, "Admin").await;
    let config = config
        .to_builder()
        .region(Region::new(region.to_string()))
        .build();
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    let mut params = vec![param("HubAccountId", HUB), param("HubRegion", "us-east-1")];
    params.extend(extra.iter().map(|(k, v)| param(k, v)));
    deploy(
        &cfn,
        MEMBER_STACK,
        "member.yaml",
        shipped("member.yaml"),
        params,
    )
    .await
}

/// The test's own administrator identities, made before IAM is enforced (the
/// test reads documents and queues through them; they are not runas-guard's):
/// a user with keys in the hub account, an `Admin` role in each member.
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

async fn harness(cfn: &aws_sdk_cloudformation::Client, body: &str) -> HashMap<String, String> {
    cfn.create_stack()
        .stack_name("test-harness")
        .template_body(body)
        .capabilities(Capability::CapabilityNamedIam)
        .send()
        .await
        .unwrap_or_else(|e| panic!("test-harness: {e:?}"));
    let out = cfn
        .describe_stacks()
        .stack_name("test-harness")
        .send()
        .await
        .unwrap();
    outputs(out.stacks()[0].outputs())
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

pub fn config_with(w: &World, key: &str, secret: &str, token: Option<&str>) -> SdkConfig {
    w.cfg
        .to_builder()
        .credentials_provider(aws_sdk_ssm::config::SharedCredentialsProvider::new(
            Credentials::new(key, secret, token.map(str::to_string), None, "test"),
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
pub async fn acting_as(
    w: &World,
    account: &str,
    role: &str,
) -> (SdkConfig, (String, String, String)) {
    let out = aws_sdk_sts::Client::new(&w.cfg)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/{role}"))
        .role_session_name("deploy-test")
        .send()
        .await
        .unwrap_or_else(|e| panic!("assume {role} in {account}: {e:?}"));
    let c = out.credentials().unwrap();
    let creds = (
        c.access_key_id().to_string(),
        c.secret_access_key().to_string(),
        c.session_token().to_string(),
    );
    let config = config_with(w, &creds.0, &creds.1, Some(&creds.2));
    (config, creds)
}

/// The deployed organization: the hub stack's outputs, the policy object's
/// key in the stack's bucket, the member accounts, and the hub role's
/// credentials. The world reads the deployed table and, as its alerts, a
/// queue subscribed to the deployed topic.
pub struct Deployed {
    pub w: World,
    pub hub: HashMap<String, String>,
    pub key: String,
    pub members: Vec<String>,
    pub creds: (String, String, String),
}

/// What to deploy: the hub from `hub_template`, `accounts` member accounts
/// (each with the test's `Admin` role), and in each, when `member_now`, the
/// member stack's role-region instance with those parameters.
pub struct Stage<'a> {
    pub hub_template: String,
    pub policy: &'a str,
    pub accounts: usize,
    pub member_now: Option<&'a [(&'a str, &'a str)]>,
}

impl Deployed {
    pub async fn new(stage: Stage<'_>) -> Deployed {
        // Invoke of the deployed function runs this build's binary as it
        // (tests/moto_lambda_invoke.py).
        let moto = Moto::start_emulating(
            "moto_cfn.py",
            &[(
                "RUNAS_GUARD_LOCAL_FUNCTION_BINARY",
                env!("CARGO_BIN_EXE_runas-guard"),
            )],
        );
        let mut w = World::on(moto).await;
        let mut members = Vec::new();
        for n in 0..stage.accounts {
            members.push(w.create_account(&format!("member{n}"), None).await);
        }
        let hub = deploy_hub(&w, stage.hub_template).await;
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
        for member in &members {
            let (member_cfg, _) = acting_as(&w, member, "OrganizationAccountAccessRole").await;
            harness(
                &aws_sdk_cloudformation::Client::new(&member_cfg),
                HARNESS_MEMBER,
            )
            .await;
            if let Some(params) = stage.member_now {
                deploy_member(&w, member, "us-east-1", params).await;
            }
        }
        let key = upload_policy(&w, &hub, stage.policy).await;
        // Alerts are read from a queue subscribed to the deployed topic.
        let inbox = subscribed_queue(&w.cfg, &hub["TopicArn"], "deployed-alerts").await;
        let function_env = function_environment(&w, &hub["FunctionArn"]);
        stop_polling(&w, &hub["FunctionArn"]);

        let operator = harness(&aws_sdk_cloudformation::Client::new(&w.cfg), HARNESS_HUB).await;
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
        // The world's readers (`state`, `items`, `history`) read the deployed table.
        w.table = hub["TableName"].clone();
        // … and `alerts` the queue subscribed to the deployed topic.
        w.alert_queue = inbox;

        // The function's configuration: the deployed function's environment
        // and the hub role's credentials as Lambda gets them.
        let creds = as_the_function(&w, &hub["HubRoleArn"]).await;
        for (k, v) in function_env {
            w.set_env(&k, &v);
        }
        for (k, v) in [
            ("AWS_ACCESS_KEY_ID", &creds.0),
            ("AWS_SECRET_ACCESS_KEY", &creds.1),
            ("AWS_SESSION_TOKEN", &creds.2),
        ] {
            w.set_env(k, v);
        }
        Deployed {
            w,
            hub,
            key,
            members,
            creds,
        }
    }
}

/// The policy goes where the hub stack says: its bucket, its key.
async fn upload_policy(w: &World, hub: &HashMap<String, String>, policy: &str) -> String {
    let key = hub["PolicyUrl"]
        .strip_prefix(&format!("s3://{}/", hub["PolicyBucketName"]))
        .expect("PolicyUrl names the policy bucket")
        .to_string();
    aws_sdk_s3::Client::new(&w.cfg)
        .put_object()
        .bucket(&hub["PolicyBucketName"])
        .key(&key)
        .body(policy.as_bytes().to_vec().into())
        .send()
        .await
        .unwrap();
    key
}

/// The deployed function's environment variables, as Lambda would give them
/// to it.
fn function_environment(w: &World, function_arn: &str) -> Vec<(String, String)> {
    let name = function_arn.rsplit(':').next().unwrap();
    let config = lambda_api(
        w,
        "GET",
        &format!("/2015-03-31/functions/{name}/configuration"),
        "",
    );
    let vars = config["Environment"]["Variables"]
        .as_object()
        .unwrap_or_else(|| panic!("the function has an environment: {config}"));
    vars.iter()
        .filter(|(k, _)| k.starts_with("RUNAS_GUARD_"))
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect()
}

/// The test plays Lambda's poller of the sweep queue (handing its records to
/// `handle`), so the deployed event source mapping is switched off: the
/// local Lambda would take messages off the queue and drop them (it cannot
/// run the function).
fn stop_polling(w: &World, function_arn: &str) {
    let name = function_arn.rsplit(':').next().unwrap();
    let listed = lambda_api(
        w,
        "GET",
        &format!("/2015-03-31/event-source-mappings/?FunctionName={name}"),
        "",
    );
    let mappings = listed["EventSourceMappings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !mappings.is_empty(),
        "the hub stack maps the sweep queue to the function: {listed}"
    );
    for m in mappings {
        let uuid = m["UUID"].as_str().unwrap();
        let out = lambda_api(
            w,
            "PUT",
            &format!("/2015-03-31/event-source-mappings/{uuid}"),
            r#"{"Enabled": false}"#,
        );
        assert_eq!(out["State"], "Disabled", "{out}");
    }
}

/// Lambda's API, asked plainly before IAM is enforced (the request's
/// signature is only a credential scope naming Lambda: moto routes by it).
fn lambda_api(w: &World, method: &str, path: &str, body: &str) -> Value {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", w.moto.port())).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or_else(|| panic!("Lambda {method} {path}: {answer}"))
}

/// The re-attempts (and fanned-out accounts) waiting on the deployed queue,
/// as Lambda's SQS records: waits up to `within` for the first, then takes
/// every message, waiting out their delays. A receive may answer fewer
/// messages than are there, even none (SQS's short polling does; so does
/// the local one), so the queue's own counts say when all are taken.
pub async fn queued(d: &Deployed, within: Duration) -> Vec<Value> {
    let url = &d.hub["SweepQueueUrl"];
    let started = Instant::now();
    let mut records = Vec::new();
    loop {
        records.extend(d.w.sqs_records(url).await);
        let waiting = waiting(&d.w, url).await;
        if waiting == 0 && (!records.is_empty() || started.elapsed() > within) {
            return records;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Messages on the queue, visible or delayed.
async fn waiting(w: &World, url: &str) -> u64 {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let attrs = aws_sdk_sqs::Client::new(&w.cfg)
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .unwrap();
    let count = |name: A| -> u64 {
        attrs
            .attributes()
            .and_then(|a| a.get(&name))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    count(A::ApproximateNumberOfMessages) + count(A::ApproximateNumberOfMessagesDelayed)
}

/// Lambda's SQS batch of `records`, handled: no message comes back.
pub fn handled(w: &World, records: Vec<Value>) {
    let (code, out) = w.handle(&json!({ "Records": records }));
    assert_eq!(
        (code, &out["batchItemFailures"]),
        (0, &json!([])),
        "{out:#}"
    );
}

/// Every row's action in a run's answer.
pub fn actions(out: &Value) -> Vec<String> {
    out["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|a| a["regions"].as_array().cloned().unwrap_or_default())
        .map(|r| r["action"].as_str().unwrap_or("?").to_string())
        .collect()
}

/// The account's recorded status per governed region, in REGIONS order.
pub async fn statuses(w: &World, account: &str) -> Vec<String> {
    let mut out = Vec::new();
    for region in REGIONS {
        let item = w.state(account, region).await;
        out.push(item.map_or("none".into(), |i| i["status"].clone()));
    }
    out
}
