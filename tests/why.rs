//! `runas-guard why`: the chain Session Manager applies (the session
//! document and its Run As switch, the caller's `SSMSessionRunAs` tag or
//! Identity Center's session tag, the document's default user, the node),
//! read with the grants runas-guard already has, as an operator sees it:
//! the table's lines and the JSON fields. Identity Center's attributes are
//! emulated by tests/moto_sso_attributes.py, State Manager and the nodes by
//! tests/moto_ssm_associations.py.

use crate::common;

use aws_sdk_ssoadmin::types::{
    AccessControlAttribute, AccessControlAttributeValue,
    InstanceAccessControlAttributeConfiguration,
};
use common::fleet::*;
use common::*;
use runas_guard::adapters::aws::sts::Sts;
use serde_json::{json, Value};

const REGION: &str = "eu-west-1";
const IC_REGION: &str = "eu-west-1";

/// A Session document with Run As `enabled` for `user`.
fn shell(enabled: Value, user: &str) -> Value {
    json!({
        "schemaVersion": "1.0",
        "description": "Document to hold regional settings for Session Manager",
        "sessionType": "Standard_Stream",
        "inputs": {"s3BucketName": "", "s3EncryptionEnabled": true, "runAsEnabled": enabled, "runAsDefaultUser": user}
    })
}

/// IAM in `account`, as an administrator there.
async fn admin_iam(w: &World, account: &str) -> aws_sdk_iam::Client {
    Sts::new(&w.cfg)
        .assume(account, &["Admin"], "setup", None)
        .await
        .unwrap()
        .iam()
}

/// A role, tagged `SSMSessionRunAs = value` unless `None`; its ARN.
async fn role(w: &World, account: &str, name: &str, run_as: Option<&str>) -> String {
    let tags = run_as.map(|v| {
        vec![aws_sdk_iam::types::Tag::builder()
            .key("SSMSessionRunAs")
            .value(v)
            .build()
            .unwrap()]
    });
    admin_iam(w, account)
        .await
        .create_role()
        .role_name(name)
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
        .set_tags(tags)
        .send()
        .await
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_string()
}

/// `runas-guard why ARGS --account ACCOUNT --region REGION`, as a table and
/// as JSON; both must succeed.
fn why(w: &World, account: &str, args: &[&str]) -> (String, Value) {
    let mut all = vec!["why", "--account", account, "--region", REGION];
    all.extend_from_slice(args);
    let table = w.run(&all);
    assert_eq!(table.code, 0, "{}{}", table.stdout, table.stderr);
    all.extend_from_slice(&["--format", "json"]);
    let json = w.run(&all);
    assert_eq!(json.code, 0, "{}", json.stderr);
    (table.stdout, json.json())
}

/// The table's line for the link whose LINK column starts with `source`.
fn line<'a>(table: &'a str, source: &str) -> &'a str {
    table
        .lines()
        .find(|l| {
            l.split("  ")
                .any(|col| col.trim_start().starts_with(source))
        })
        .unwrap_or_else(|| panic!("no line for {source:?} in:\n{table}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tag_decides_before_the_document_and_an_untagged_role_gets_the_documents_user() {
    let w = World::new().await;
    let account = w.create_account("member", None).await;
    w.admin_write(&account, REGION, &shell(json!(true), "ops"), true)
        .await;
    let tagged = role(&w, &account, "Ops", Some("alice")).await;
    let plain = role(&w, &account, "Plain", None).await;

    let (table, v) = why(&w, &account, &["--principal", &tagged]);
    let tag = line(&table, "SSMSessionRunAs tag on role/Ops");
    assert!(
        tag.contains("DECIDES") && tag.trim_end().ends_with("alice"),
        "{table}"
    );
    let default_user = line(&table, "runAsDefaultUser of SSM-SessionManagerRunShell");
    assert!(
        default_user.contains("not reached") && default_user.trim_end().ends_with("ops"),
        "{table}"
    );
    assert!(
        line(&table, "runAsEnabled of").contains("on (true)"),
        "{table}"
    );
    assert!(
        table.contains("user:     alice (decided by principal_tag)"),
        "{table}"
    );
    assert!(
        table.contains("session:  unknown: name a node (--node)"),
        "{table}"
    );
    assert_eq!(v["user"], "alice");
    assert_eq!(v["decided_by"], "principal_tag");
    assert_eq!(v["caller"], tagged);
    // Beside it, what the policy wants there (read now) and its mode.
    assert_eq!(v["policy"]["user"], "ssm-ops", "{v:#}");
    assert_eq!(v["policy"]["rule"], "default", "{v:#}");
    assert_eq!(v["policy"]["mode"], "enforce", "{v:#}");
    assert!(
        table.contains("policy:   wants ssm-ops (default, enforce)"),
        "{table}"
    );
    assert_eq!(link(&v, "principal_tag")["state"], "decides");
    assert_eq!(link(&v, "document_user")["state"], "not_reached");
    assert_eq!(link(&v, "document_user")["holds"], "ops");
    assert_eq!(v["session"]["verdict"], "unknown");

    let (table, v) = why(&w, &account, &["--principal", &plain]);
    assert!(
        line(&table, "SSMSessionRunAs tag on role/Plain").contains("no tag"),
        "{table}"
    );
    assert!(
        line(&table, "runAsDefaultUser of").contains("DECIDES"),
        "{table}"
    );
    assert!(
        table.contains("user:     ops (decided by document_user)"),
        "{table}"
    );
    assert_eq!(
        (v["user"].as_str(), v["decided_by"].as_str()),
        (Some("ops"), Some("document_user"))
    );
    assert_eq!(link(&v, "principal_tag")["state"], "passed");

    // A role that is not there cannot start a session; an assumed-role
    // session's ARN is read as its role.
    let gone = format!("arn:aws:iam::{account}:role/Gone");
    let (_, v) = why(&w, &account, &["--principal", &gone]);
    assert_eq!(v["session"]["verdict"], "would_be_refused", "{v:#}");
    let session = format!("arn:aws:sts::{account}:assumed-role/Ops/alice@example.com");
    let (_, v) = why(&w, &account, &["--principal", &session]);
    assert_eq!(v["user"], "alice");

    // Bad input is one line, exit 2.
    for args in [
        vec![
            "why",
            "--principal",
            &tagged,
            "--account",
            HUB,
            "--region",
            REGION,
        ],
        vec![
            "why",
            "--principal",
            "role/Ops",
            "--account",
            &account,
            "--region",
            REGION,
        ],
        vec![
            "why",
            "--principal",
            &tagged,
            "--account",
            &account,
            "--region",
            REGION,
            "--node",
            "i-1",
        ],
        vec![
            "why",
            "--identity-center-user",
            "alice",
            "--account",
            &account,
            "--region",
            REGION,
        ],
        // A typo of a governed region: well-formed, governed nowhere.
        vec![
            "why",
            "--principal",
            &tagged,
            "--account",
            &account,
            "--region",
            "us-east-11",
        ],
    ] {
        let run = w.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
        assert_one_clean_line(&run.stderr);
    }
    let run = w.run(&[
        "why",
        "--principal",
        &tagged,
        "--account",
        &account,
        "--region",
        "us-east-11",
    ]);
    assert!(
        run.stderr
            .contains("--region \"us-east-11\" is not a governed region")
            && run.stderr.contains("governed are "),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_named_document_decides_with_its_own_user_and_an_unusable_one_refuses() {
    let w = World::new().await;
    let account = w.create_account("member", None).await;
    w.admin_write(&account, REGION, &shell(json!(true), "ops"), true)
        .await;
    w.admin_write_named(
        &account,
        REGION,
        "SSMRunAs-Admin",
        &shell(json!(true), "admin"),
        true,
    )
    .await;
    w.admin_ssm(&account, REGION)
        .await
        .create_document()
        .name("RunSomething")
        .content(check_document())
        .document_type(aws_sdk_ssm::types::DocumentType::Command)
        .document_format(aws_sdk_ssm::types::DocumentFormat::Json)
        .send()
        .await
        .unwrap();
    let plain = role(&w, &account, "Plain", None).await;

    let (table, v) = why(
        &w,
        &account,
        &["--principal", &plain, "--document", "SSMRunAs-Admin"],
    );
    assert!(
        line(&table, "SSMRunAs-Admin (named with --document-name)").contains("passed"),
        "{table}"
    );
    let user = line(&table, "runAsDefaultUser of SSMRunAs-Admin");
    assert!(
        user.contains("DECIDES") && user.trim_end().ends_with("admin"),
        "{table}"
    );
    assert_eq!(
        (v["user"].as_str(), v["document"].as_str()),
        (Some("admin"), Some("SSMRunAs-Admin"))
    );

    let (table, v) = why(
        &w,
        &account,
        &["--principal", &plain, "--document", "RunSomething"],
    );
    assert!(
        line(&table, "RunSomething (named").contains("REFUSES"),
        "{table}"
    );
    assert!(table.contains("session:  would be refused: RunSomething is a Command document, not a Session document"), "{table}");
    assert_eq!(v["decided_by"], "session_document");
    assert_eq!(v["user"], Value::Null);

    let (_, v) = why(
        &w,
        &account,
        &["--principal", &plain, "--document", "SSMRunAs-Missing"],
    );
    assert_eq!(v["session"]["verdict"], "would_be_refused");
    assert!(
        v["session"]["text"]
            .as_str()
            .unwrap()
            .contains("no document SSMRunAs-Missing"),
        "{v:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn run_as_off_runs_as_ssm_user_whatever_the_tag() {
    let w = World::new().await;
    let account = w.create_account("member", None).await;
    w.admin_write(&account, REGION, &shell(json!(false), "ops"), true)
        .await;
    let tagged = role(&w, &account, "Ops", Some("alice")).await;

    let (table, v) = why(
        &w,
        &account,
        &["--principal", &tagged, "--node", "i-0aaaaaaaaaaaaaaa1"],
    );
    let switch = line(&table, "runAsEnabled of SSM-SessionManagerRunShell");
    assert!(
        switch.contains("DECIDES") && switch.contains("off (false)"),
        "{table}"
    );
    assert!(
        line(&table, "SSMSessionRunAs tag on role/Ops").contains("not reached"),
        "{table}"
    );
    assert!(
        table.contains("user:     ssm-user (decided by run_as_enabled)"),
        "{table}"
    );
    assert!(
        table.contains("session:  would start as ssm-user: Run As is off"),
        "{table}"
    );
    assert_eq!(v["user"], "ssm-user");
    assert_eq!(v["decided_by"], "run_as_enabled");
    assert_eq!(v["session"]["verdict"], "would_start");

    // No preferences document at all: Session Manager's defaults, Run As off.
    let run = w.run(&[
        "why",
        "--principal",
        &tagged,
        "--account",
        &account,
        "--region",
        "us-east-1",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(
        (v["user"].as_str(), v["decided_by"].as_str()),
        (Some("ssm-user"), Some("run_as_enabled"))
    );
    assert_eq!(
        link(&v, "session_document")["holds"],
        "none here: Session Manager's defaults apply"
    );
}

fn sso(w: &World) -> aws_sdk_ssoadmin::Client {
    let config = aws_sdk_ssoadmin::config::Builder::from(&w.cfg)
        .region(aws_sdk_ssoadmin::config::Region::new(IC_REGION))
        .build();
    aws_sdk_ssoadmin::Client::from_conf(config)
}

fn configuration(key: &str, source: &str) -> InstanceAccessControlAttributeConfiguration {
    let value = AccessControlAttributeValue::builder()
        .source(source)
        .build()
        .unwrap();
    let attribute = AccessControlAttribute::builder()
        .key(key)
        .value(value)
        .build()
        .unwrap();
    InstanceAccessControlAttributeConfiguration::builder()
        .access_control_attributes(attribute)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_identity_center_session_tag_decides_as_declared_and_when_drifted_says_so() {
    let w = World::on(Moto::start_emulating("moto_sso_attributes.py", &[])).await;
    w.write_policy(&format!(
        "[identity_center]\nregion = \"{IC_REGION}\"\nmode = \"alert\"\n[identity_center.attributes]\nSSMSessionRunAs = \"${{path:userName}}\"\n"
    ));
    let instance = sso(&w).list_instances().send().await.unwrap().instances()[0]
        .instance_arn()
        .unwrap()
        .to_string();
    let account = w.create_account("member", None).await;
    w.admin_write(&account, REGION, &shell(json!(true), "ops"), true)
        .await;
    let ask = [
        "--identity-center-user",
        "alice",
        "--permission-set",
        "Admin",
    ];

    // Attributes for access control not enabled yet: no session tag.
    let (_, v) = why(&w, &account, &ask);
    assert_eq!(
        (v["user"].as_str(), v["decided_by"].as_str()),
        (Some("ops"), Some("document_user"))
    );
    let tag = link(&v, "identity_center_session_tag");
    assert_eq!(
        tag["holds"],
        "attributes for access control off: no session tag"
    );
    assert!(tag["note"].as_str().unwrap().contains("drifted"), "{tag:#}");

    sso(&w)
        .create_instance_access_control_attribute_configuration()
        .instance_arn(&instance)
        .instance_access_control_attribute_configuration(configuration(
            "SSMSessionRunAs",
            "${path:userName}",
        ))
        .send()
        .await
        .unwrap();
    let (table, v) = why(&w, &account, &ask);
    let tag_line = line(&table, "Identity Center session tag SSMSessionRunAs");
    assert!(
        tag_line.contains("DECIDES") && tag_line.contains("${path:userName} = alice"),
        "{table}"
    );
    assert!(table.contains("note: Identity Center's role for permission set Admin (AWSReservedSSO_Admin_*) carries no tag of its own; as the policy declares"), "{table}");
    assert!(
        table.contains("user:     alice (decided by identity_center_session_tag)"),
        "{table}"
    );
    assert_eq!(
        v["caller"],
        "Identity Center user alice, permission set Admin"
    );
    assert_eq!(link(&v, "document_user")["state"], "not_reached");

    // Drifted: another source decides, and its value is the user's in the
    // identity store, which runas-guard does not read.
    sso(&w)
        .update_instance_access_control_attribute_configuration()
        .instance_arn(&instance)
        .instance_access_control_attribute_configuration(configuration(
            "SSMSessionRunAs",
            "${path:title}",
        ))
        .send()
        .await
        .unwrap();
    let (table, v) = why(&w, &account, &ask);
    assert!(
        line(&table, "Identity Center session tag").contains("DECIDES"),
        "{table}"
    );
    let tag = link(&v, "identity_center_session_tag");
    assert!(
        tag["holds"]
            .as_str()
            .unwrap()
            .contains("the user's value in the identity store, not read"),
        "{tag:#}"
    );
    let note = tag["note"].as_str().unwrap();
    assert!(
        note.contains("drifted from the policy") && note.contains("${path:userName}"),
        "{note}"
    );
    assert_eq!(v["user"], Value::Null);
    assert_eq!(v["decided_by"], "identity_center_session_tag");
    assert_eq!(v["session"]["verdict"], "unknown");

    // A policy without [identity_center] cannot say where Identity Center is.
    w.write_policy("");
    let (table, v) = why(&w, &account, &ask);
    assert!(
        line(&table, "Identity Center session tag").contains("cannot read: NotDeclared"),
        "{table}"
    );
    assert_eq!(
        link(&v, "identity_center_session_tag")["error_code"],
        "NotDeclared"
    );
    assert_eq!(link(&v, "document_user")["state"], "unknown");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_lacking_the_user_would_refuse_the_session() {
    let w = fleet_world().await;
    let account = w.create_account("member", None).await;
    member_stack(&w, &account).await;
    let (has, lacks) = ("i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2");
    for region in REGIONS {
        fleet(&w, &account, region, &[with_user(has), without_user(lacks)]);
    }
    // The sweep writes ssm-ops into the documents and keeps the check.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let plain = role(&w, &account, "Plain", None).await;

    let (table, v) = why(&w, &account, &["--principal", &plain, "--node", lacks]);
    let node = line(&table, &format!("node {lacks}"));
    assert!(
        node.contains("REFUSES") && node.contains("lacks ssm-ops (the run-as user check"),
        "{table}"
    );
    assert!(
        table.contains(&format!(
            "session:  would be refused: {lacks} lacks ssm-ops"
        )),
        "{table}"
    );
    assert_eq!(v["user"], "ssm-ops");
    assert_eq!(v["node"], lacks);
    assert_eq!(v["session"]["verdict"], "would_be_refused");
    assert_eq!(link(&v, "node")["state"], "refuses");

    let (table, v) = why(&w, &account, &["--principal", &plain, "--node", has]);
    assert!(
        line(&table, &format!("node {has}")).contains("has ssm-ops"),
        "{table}"
    );
    assert!(
        table.contains(&format!("session:  would start as ssm-ops on {has}")),
        "{table}"
    );
    assert_eq!(v["session"]["verdict"], "would_start");

    let unknown = "i-0bbbbbbbbbbbbbbb3";
    let (table, v) = why(&w, &account, &["--principal", &plain, "--node", unknown]);
    assert!(
        table.contains("session:  unknown: no check result for this node"),
        "{table}"
    );
    assert_eq!(v["session"]["verdict"], "unknown");
    assert_eq!(link(&v, "node")["state"], "unknown");
}

/// A node whose run of the check timed out, or whose agent could not run it,
/// has no verdict on the user: `why` says the check could not run there, as
/// the readiness report does, and never that the session would be refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_node_the_check_could_not_run_on_is_not_said_to_refuse() {
    let w = fleet_world().await;
    let account = w.create_account("member", None).await;
    member_stack(&w, &account).await;
    let (lacks, slow) = ("i-0aaaaaaaaaaaaaaa2", "i-0aaaaaaaaaaaaaaa4");
    for region in REGIONS {
        fleet_nodes(
            &w,
            &account,
            region,
            vec![
                json!({"id": lacks, "platform": "Linux", "users": []}),
                json!({"id": slow, "platform": "Linux", "users": [], "outcome": "timeout"}),
            ],
        );
    }
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let plain = role(&w, &account, "Plain", None).await;

    let (table, v) = why(&w, &account, &["--principal", &plain, "--node", slow]);
    let node = line(&table, &format!("node {slow}"));
    assert!(
        node.contains("check could not run") && node.contains("timed out"),
        "{table}"
    );
    assert_eq!(v["session"]["verdict"], "unknown", "{v:#}");
    assert!(
        v["session"]["text"]
            .as_str()
            .unwrap()
            .contains("the check could not run"),
        "{v:#}"
    );
    // The node without the user, on the script's own line: refused.
    let (_, v) = why(&w, &account, &["--principal", &plain, "--node", lacks]);
    assert_eq!(v["session"]["verdict"], "would_be_refused", "{v:#}");
}
