//! Run As decided outside the document: an `SSMSessionRunAs` tag on an IAM
//! role is reported (who, on what, which value) and recorded, and an invited
//! account is configured like a vended one.

use crate::common;

use common::*;
use serde_json::{json, Value};

fn tag_role_event(account: &str, role: &str, value: &str) -> Value {
    let mut e = sample("run_as_override.iam-tag-role.json");
    e["id"] = json!(format!("tag-{account}-{role}"));
    e["account"] = json!(account);
    let d = &mut e["detail"];
    d["recipientAccountId"] = json!(account);
    d["requestParameters"] =
        json!({"roleName": role, "tags": [{"key": "SSMSessionRunAs", "value": value}]});
    d["userIdentity"]["accountId"] = json!(account);
    d["userIdentity"]["arn"] = json!(format!(
        "arn:aws:sts::{account}:assumed-role/Admin/jane.doe"
    ));
    d["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] =
        json!(format!("arn:aws:iam::{account}:role/Admin"));
    e
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_as_tag_on_a_role_is_reported_and_recorded() {
    let w = World::new().await;
    let account = w.create_account("member", None).await;
    // The role really carries the tag in the member account.
    tagged_role(&w, &account, "Developer", "root");
    let event = tag_role_event(&account, "Developer", "root");
    let explained = w
        .run(&["explain", w.write_event(&event).to_str().unwrap()])
        .json();
    assert_eq!(explained["trigger"], "run_as_override");

    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "run_as_override");
    assert_eq!(m["severity"], "warning");
    assert_eq!(
        m["principal"],
        format!("arn:aws:iam::{account}:role/Developer")
    );
    assert_eq!(m["value"], "root");
    assert_eq!(
        m["confirmed"],
        json!({"state": "present", "value": "root"}),
        "read from IAM"
    );
    assert_eq!(m["actor"], format!("arn:aws:iam::{account}:role/Admin"));
    assert!(alerts[0]["subject"]
        .as_str()
        .unwrap()
        .contains("role/Developer"));
    let history = w.history(&account).await;
    assert_eq!(history.len(), 1, "{history:#?}");
    assert_eq!(history[0]["status"], "run_as_override");
    assert_eq!(history[0]["after"], "\"root\"");
    assert!(
        w.document(&account, "us-east-1").await.is_none(),
        "nothing to reconcile"
    );

    // A redelivery is a duplicate; an expected editor is told at info level.
    assert_eq!(w.handle(&event).1["result"], "duplicate");
    w.write_policy("[exempt]\nprincipals = [\"arn:aws:iam::*:role/Admin\"]\n");
    let mut again = tag_role_event(&account, "Developer", "ops");
    again["id"] = json!("tag-again");
    assert_eq!(w.handle(&again).0, 0);
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["message"]["severity"], "info");
}

/// Creates an IAM role carrying `SSMSessionRunAs` in `account` (boto3 from
/// .venv: the crate needs no IAM client of its own).
/// Runs `calls` (Python, with an `iam` client) as the member account's
/// administrator: what a person does in the console.
fn as_admin(w: &World, account: &str, calls: &str) {
    let script = format!(
        r#"
import boto3
s = boto3.client("sts", endpoint_url="{url}", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
c = s.assume_role(RoleArn="arn:aws:iam::{account}:role/Admin", RoleSessionName="setup")["Credentials"]
iam = boto3.client("iam", endpoint_url="{url}", region_name="us-east-1", aws_access_key_id=c["AccessKeyId"],
                   aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
TRUST = '{{"Version":"2012-10-17","Statement":[]}}'
{calls}
"#,
        url = w.moto.url
    );
    let out = std::process::Command::new(repo().join(".venv/bin/python"))
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn tagged_role(w: &World, account: &str, role: &str, value: &str) {
    as_admin(
        w,
        account,
        &format!(
            r#"
iam.create_role(RoleName="{role}", AssumeRolePolicyDocument=TRUST, Tags=[{{"Key": "SSMSessionRunAs", "Value": "{value}"}}])
assert iam.list_role_tags(RoleName="{role}")["Tags"] == [{{"Key": "SSMSessionRunAs", "Value": "{value}"}}]
"#
        ),
    );
}

/// Removes the role's `SSMSessionRunAs` tag, as an administrator would.
fn untag_role(w: &World, account: &str, role: &str) {
    as_admin(
        w,
        account,
        &format!(
            r#"
iam.untag_role(RoleName="{role}", TagKeys=["SSMSessionRunAs"])
assert iam.list_role_tags(RoleName="{role}")["Tags"] == []
"#
        ),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tag_event_whose_tag_is_already_gone_says_so() {
    let w = World::new().await;
    let account = w.create_account("member", None).await;
    tagged_role(&w, &account, "Developer", "root");
    untag_role(&w, &account, "Developer");
    let (code, out) = w.handle(&tag_role_event(&account, "Developer", "root"));
    assert_eq!(code, 0, "{out:#}");
    assert!(
        out["reason"].as_str().unwrap().contains("already removed"),
        "{out:#}"
    );
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(
        alerts[0]["message"]["confirmed"],
        json!({"state": "removed"})
    );
    assert!(
        alerts[0]["subject"]
            .as_str()
            .unwrap()
            .contains("(already removed)"),
        "{}",
        alerts[0]["subject"]
    );

    // A role that no longer exists is said too.
    let (code, out) = w.handle(&tag_role_event(&account, "Deleted", "root"));
    assert_eq!(code, 0, "{out:#}");
    assert!(
        out["reason"].as_str().unwrap().contains("no longer exists"),
        "{out:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invited_account_is_configured_like_a_vended_one() {
    let w = World::new().await;
    let account = w.create_account("invited", None).await;
    let mut event = sample("account_vended.organizations-account-joined.json");
    event["id"] = json!("joined-1");
    event["detail"]["serviceEventDetails"]["accountId"] = json!(account);
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    assert!(
        out["reason"].as_str().unwrap().contains("INVITED"),
        "{out:#}"
    );
    for region in REGIONS {
        assert_eq!(
            run_as(&w.document(&account, region).await.unwrap().0).1,
            json!("ssm-ops")
        );
    }
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["message"]["kind"], "account_configured");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invited_account_named_only_in_the_records_own_resources_is_configured() {
    let w = World::new().await;
    let account = w.create_account("invited", None).await;
    let other = w.create_account("bystander", None).await;
    let arn = |id: &str| format!("arn:aws:organizations::123456789012:account/o-a1b2c3d4e5/{id}");
    let sample = sample("account_vended.organizations-account-joined-record-resources.json");
    assert_eq!(sample["resources"], json!([]), "the envelope names nothing");
    assert!(sample["detail"]["serviceEventDetails"]["accountId"].is_null());

    // Two places that disagree: refused, naming both, and nothing written.
    let mut both = sample.clone();
    both["id"] = json!("joined-disagree");
    both["detail"]["resources"][0]["ARN"] = json!(arn(&account));
    both["detail"]["serviceEventDetails"]["accountId"] = json!(other);
    let (code, out) = w.handle(&both);
    assert_eq!(code, 2, "{out:#}");
    let reason = out["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("detail.serviceEventDetails.accountId = {other}"))
            && reason.contains(&format!("detail.resources[0].ARN = {account}")),
        "{reason}"
    );
    for a in [&account, &other] {
        assert!(
            w.document(a, "eu-west-1").await.is_none(),
            "nothing written in {a}"
        );
    }
    assert!(w.alert_kinds().await.is_empty());

    // Named only in the record's resources: configured.
    let mut event = sample;
    event["id"] = json!("joined-record-resources");
    event["detail"]["resources"][0]["ARN"] = json!(arn(&account));
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["trigger"]["account"], account.as_str(), "{out:#}");
    for region in REGIONS {
        assert_eq!(
            run_as(&w.document(&account, region).await.unwrap().0),
            (json!(true), json!("ssm-ops")),
            "{region}"
        );
        assert!(
            w.document(&other, region).await.is_none(),
            "the bystander is left alone"
        );
    }
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["message"]["kind"], "account_configured");
    assert_eq!(alerts[0]["message"]["account"], account.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_with_the_inventory_on_tells_each_tagged_principal_once() {
    let mut w = World::new().await;
    w.write_policy("[run_as_tags]\nsweep = true\n");
    let account = w.create_account("member", None).await;
    tagged_role(&w, &account, "Developer", "dev");
    as_admin(
        &w,
        &account,
        r#"
iam.create_role(RoleName="Plain", AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "Team", "Value": "a"}])
iam.create_user(UserName="ops-bot", Tags=[{"Key": "ssmsessionrunas", "Value": "root"}])
"#,
    );
    let proxy = w.behind_proxy();
    assert_eq!(
        w.sweep_counting_sessions(&proxy),
        2,
        "the sweep's own session per account"
    );
    let alerts = w.alerts().await;
    let found = of_kind(&alerts, "run_as_override");
    assert_eq!(found.len(), 1, "one alert for the account: {found:#?}");
    let m = &found[0]["message"];
    assert_eq!(m["account"], account.as_str());
    assert_eq!(m["found_by"], "sweep");
    assert_eq!(
        m["principals"],
        json!([
            {"principal": format!("arn:aws:iam::{account}:role/Developer"), "value": "dev"},
            {"principal": format!("arn:aws:iam::{account}:user/ops-bot"), "value": "root"}
        ]),
        "IAM tag keys match without case, as Session Manager reads them"
    );

    // The same principals again: no news. A changed value is; a removal is not.
    assert_eq!(w.handle(&sweep_event()).0, 0);
    assert!(w.alert_kinds().await.is_empty());
    as_admin(
        &w,
        &account,
        r#"iam.tag_role(RoleName="Developer", Tags=[{"Key": "SSMSessionRunAs", "Value": "root"}])"#,
    );
    assert_eq!(w.handle(&sweep_event()).0, 0);
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(
        alerts[0]["message"]["principals"],
        json!([{"principal": format!("arn:aws:iam::{account}:role/Developer"), "value": "root"}])
    );
    untag_role(&w, &account, "Developer");
    assert_eq!(w.handle(&sweep_event()).0, 0);
    assert!(w.alert_kinds().await.is_empty());
}
