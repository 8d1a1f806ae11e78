//! The run-as user check's world: the member stack's check document, the
//! emulated managed nodes and State Manager's runs (tests/moto_ssm_associations.py),
//! and reads of what the check left (associations, the check row's item).

use serde_json::{json, Value};

use super::*;

pub const CHECK: &str = "RunAsGuard-CheckRunAsUser";
pub const NODES_ON: &str = "[nodes]\ncheck_user = true\n";

/// The check document as infra/member.yaml ships it (`RunAsUserCheck`),
/// read from the template (the tests' State Manager runs its script as each
/// node's agent version would, so it must be the shipped one).
pub fn check_document() -> String {
    let read = "import json; from infra.tests import cfn; print(json.dumps(cfn.check_document()))";
    let out = std::process::Command::new(repo().join(".venv/bin/python"))
        .args(["-c", read])
        .current_dir(repo())
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let content: Value = serde_json::from_slice(&out.stdout).expect("the template's JSON");
    assert_eq!(content["schemaVersion"], "2.2");
    content.to_string()
}

/// Sets an account-region's managed nodes as the emulator takes them
/// (`id`, `users`, `agent_version`, `outcome`...).
pub fn fleet_nodes(w: &World, account: &str, region: &str, nodes: Vec<Value>) {
    let body = json!({"account": account, "region": region, "nodes": nodes}).to_string();
    let (status, out) = http(w.moto.port(), "POST", "/_emulated/ssm/fleet", &body);
    assert_eq!(status, 200, "{out}");
}

pub async fn fleet_world() -> World {
    let w = World::on(Moto::start_emulating("moto_ssm_associations.py", &[])).await;
    w.write_policy(NODES_ON);
    w
}

/// The member stack in `account`: the check document in every governed region.
pub async fn member_stack(w: &World, account: &str) {
    for region in REGIONS {
        w.admin_ssm(account, region)
            .await
            .create_document()
            .name(CHECK)
            .content(check_document())
            .document_type(aws_sdk_ssm::types::DocumentType::Command)
            .document_format(aws_sdk_ssm::types::DocumentFormat::Json)
            .send()
            .await
            .unwrap();
    }
}

/// Sets an account-region's managed nodes: `(id, users)`.
pub fn fleet(w: &World, account: &str, region: &str, nodes: &[(&str, &[&str])]) {
    let nodes: Vec<Value> = nodes
        .iter()
        .map(|(id, users)| json!({"id": id, "platform": "Linux", "users": users}))
        .collect();
    let body = json!({"account": account, "region": region, "nodes": nodes}).to_string();
    let (status, out) = http(w.moto.port(), "POST", "/_emulated/ssm/fleet", &body);
    assert_eq!(status, 200, "{out}");
}

/// State Manager's schedule, now: every association of `account` runs again.
pub fn run_associations(w: &World, account: &str) {
    let body = json!({"account": account}).to_string();
    let (status, out) = http(w.moto.port(), "POST", "/_emulated/ssm/run", &body);
    assert_eq!(status, 200, "{out}");
}

/// Every association of the check document in `account`/`region`, described.
pub async fn associations(
    w: &World,
    account: &str,
    region: &str,
) -> Vec<aws_sdk_ssm::types::AssociationDescription> {
    let ssm = w.admin_ssm(account, region).await;
    let listed = ssm.list_associations().send().await.unwrap();
    let mut out = Vec::new();
    for a in listed.associations() {
        if a.name() == Some(CHECK) {
            let d = ssm
                .describe_association()
                .association_id(a.association_id().unwrap())
                .send()
                .await
                .unwrap();
            out.push(d.association_description().unwrap().clone());
        }
    }
    out
}

pub fn user_of(a: &aws_sdk_ssm::types::AssociationDescription) -> String {
    a.parameters().unwrap()["User"][0].clone()
}

/// The check row's state item in `account`/`region`.
pub async fn check_state(
    w: &World,
    account: &str,
    region: &str,
) -> Option<std::collections::HashMap<String, String>> {
    w.state(account, &format!("{region}#DOCUMENT#{CHECK}"))
        .await
}

pub fn readiness(item: &std::collections::HashMap<String, String>) -> Value {
    serde_json::from_str(&item["nodes"]).unwrap()
}

pub fn with_user(id: &str) -> (&str, &'static [&'static str]) {
    (id, &["ec2-user", "ssm-ops"])
}

pub fn without_user(id: &str) -> (&str, &'static [&'static str]) {
    (id, &["ec2-user"])
}

/// An administrator's `UpdateAssociation` that sends what runas-guard keeps
/// (document, name, user, targets, schedule) plus `extra`.
pub fn edit_check(
    ssm: &aws_sdk_ssm::Client,
    id: &str,
    user: &str,
) -> aws_sdk_ssm::operation::update_association::builders::UpdateAssociationFluentBuilder {
    ssm.update_association()
        .association_id(id)
        .name(CHECK)
        .association_name("runas-guard-check-run-as-user")
        .targets(
            aws_sdk_ssm::types::Target::builder()
                .key("InstanceIds")
                .values("*")
                .build(),
        )
        .parameters("User", vec![user.to_string()])
        .schedule_expression("rate(1 day)")
}

/// A `CreateAssociation` of the check with what runas-guard keeps (as 0.3.0
/// made it: no tag), for `user`.
pub fn create_check(
    ssm: &aws_sdk_ssm::Client,
    user: &str,
) -> aws_sdk_ssm::operation::create_association::builders::CreateAssociationFluentBuilder {
    ssm.create_association()
        .name(CHECK)
        .association_name("runas-guard-check-run-as-user")
        .targets(
            aws_sdk_ssm::types::Target::builder()
                .key("InstanceIds")
                .values("*")
                .build(),
        )
        .parameters("User", vec![user.to_string()])
        .schedule_expression("rate(1 day)")
        .max_errors("100%")
        .max_concurrency("100%")
}

/// A control endpoint of the emulated State Manager (its docstring lists them).
pub fn emulator(w: &World, path: &str, body: Value) -> Value {
    let (status, out) = http(w.moto.port(), "POST", path, &body.to_string());
    assert_eq!(status, 200, "{path}: {out}");
    out
}
