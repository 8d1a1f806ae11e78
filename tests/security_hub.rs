//! `[security_hub] findings = true`: each governed account-region's findings
//! in its own member account's Security Hub, as a security team reads them.
//! The local AWS answers as Security Hub does (tests/moto_securityhub.py:
//! the caller's own account and default product only, the hub enabled or
//! `InvalidAccessException`, required ASFF fields, sizes, `UpdatedAt` order,
//! the customer's workflow kept); these tests assert on what it stored and
//! on the calls it counted.

use crate::common;

use common::*;
use serde_json::{json, Value};

#[path = "security_hub_events.rs"]
mod events;
#[path = "security_hub_hub.rs"]
mod hub;
#[path = "security_hub_life.rs"]
mod life;
#[path = "security_hub_tamper.rs"]
mod tamper;
#[path = "security_hub_tamper_events.rs"]
mod tamper_events;

const EAST: &str = "us-east-1";
const WEST: &str = "eu-west-1";

const AUDIT: &str = "mode = \"audit\"\n[security_hub]\nfindings = true\n";
const ENFORCE: &str = "[security_hub]\nfindings = true\n";

impl World {
    /// The member account's administrator imports `forged` in `region`:
    /// taken, as Security Hub takes any import of the account's product.
    async fn forge(
        &self,
        account: &str,
        region: &str,
        forged: aws_sdk_securityhub::types::AwsSecurityFinding,
    ) {
        let admin = self.security_team(account, region).await;
        let out = admin
            .batch_import_findings()
            .findings(forged)
            .send()
            .await
            .unwrap();
        assert_eq!(
            (out.success_count(), out.failed_count()),
            (Some(1), Some(0))
        );
    }

    /// A member account whose `wrong` regions hold LZA's document (Run As
    /// off) and whose others are as the policy wants.
    async fn member(&self, wrong: &[&str]) -> String {
        let account = self.create_account("member", None).await;
        for region in REGIONS {
            let mut doc = lza_document(&account);
            if !wrong.contains(&region) {
                doc["inputs"]["runAsEnabled"] = json!(true);
                doc["inputs"]["runAsDefaultUser"] = json!("ssm-ops");
            }
            self.admin_write(&account, region, &doc, true).await;
        }
        account
    }

    /// An audited member whose us-east-1 is out of policy, its hubs on,
    /// swept once: the account and its `FAILED` run-as finding there.
    async fn audited_failed(&self) -> (String, Value) {
        self.write_policy(AUDIT);
        let account = self.member(&[EAST]).await;
        for region in REGIONS {
            self.hub("enable", &account, region);
        }
        self.swept();
        let sent = run_as_in(&self.findings(&account), EAST)["finding"].clone();
        assert_eq!(sent["Compliance"]["Status"], "FAILED");
        (account, sent)
    }

    fn swept(&self) -> Value {
        let (code, out) = self.handle(&sweep_event());
        assert_eq!(code, 0, "{out:#}");
        out
    }

    /// The account's Security Hub client as its own administrator (the
    /// security team's seat).
    async fn security_team(&self, account: &str, region: &str) -> aws_sdk_securityhub::Client {
        runas_guard::adapters::aws::sts::Sts::new(&self.cfg)
            .assume(account, &["Admin"], "secops", None)
            .await
            .unwrap()
            .security_hub(region)
    }
}

/// `account`'s report in a run's outcome.
fn report<'a>(out: &'a Value, account: &str) -> &'a Value {
    let accounts = out["accounts"].as_array().unwrap();
    accounts
        .iter()
        .find(|a| a["account"] == account)
        .unwrap_or_else(|| panic!("{account} not in {out:#}"))
}

/// The one `runas-guard/run-as` finding of `region`.
fn run_as_in<'a>(findings: &'a [Value], region: &str) -> &'a Value {
    let mut of = findings
        .iter()
        .filter(|f| f["region"] == region && f["finding"]["GeneratorId"] == "runas-guard/run-as");
    let f = of
        .next()
        .unwrap_or_else(|| panic!("none in {region}: {findings:#?}"));
    assert!(of.next().is_none(), "one per account-region: {findings:#?}");
    f
}

/// A copy of `f` (a finding as stored) a member account's administrator
/// imports over it: the same `Id`, product, generator, account, title and
/// resource (its details too), at `updated_at`, `PASSED`; the caller adds
/// what else it forges.
fn copy_of(
    f: &Value,
    updated_at: &str,
) -> aws_sdk_securityhub::types::builders::AwsSecurityFindingBuilder {
    use aws_sdk_securityhub::types::{
        AwsSecurityFinding, Compliance, ComplianceStatus, Resource, ResourceDetails,
    };
    let r = &f["Resources"][0];
    let s = |v: &Value| v.as_str().unwrap().to_string();
    let other = r["Details"]["Other"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let details = other
        .iter()
        .fold(ResourceDetails::builder(), |d, (k, v)| d.other(k, s(v)))
        .build();
    AwsSecurityFinding::builder()
        .schema_version("2018-10-08")
        .id(s(&f["Id"]))
        .product_arn(s(&f["ProductArn"]))
        .generator_id(s(&f["GeneratorId"]))
        .aws_account_id(s(&f["AwsAccountId"]))
        .created_at(s(&f["CreatedAt"]))
        .updated_at(updated_at)
        .title(s(&f["Title"]))
        .resources(
            Resource::builder()
                .r#type(s(&r["Type"]))
                .id(s(&r["Id"]))
                .region(s(&r["Region"]))
                .details(details)
                .build(),
        )
        .compliance(
            Compliance::builder()
                .status(ComplianceStatus::Passed)
                .build(),
        )
}

/// The security team's `BatchUpdateFindings` of `f` (a finding as stored):
/// workflow `RESOLVED` with `note` by `secops`; the caller may add more.
fn resolved(
    team: &aws_sdk_securityhub::Client,
    f: &Value,
    note: &str,
) -> aws_sdk_securityhub::operation::batch_update_findings::builders::BatchUpdateFindingsFluentBuilder
{
    use aws_sdk_securityhub::types::{
        AwsSecurityFindingIdentifier, NoteUpdate, WorkflowStatus, WorkflowUpdate,
    };
    let id = AwsSecurityFindingIdentifier::builder()
        .id(f["Id"].as_str().unwrap())
        .product_arn(f["ProductArn"].as_str().unwrap())
        .build();
    team.batch_update_findings()
        .finding_identifiers(id)
        .workflow(
            WorkflowUpdate::builder()
                .status(WorkflowStatus::Resolved)
                .build(),
        )
        .note(
            NoteUpdate::builder()
                .text(note)
                .updated_by("secops")
                .build(),
        )
}

/// `update` also setting the team's own severity, `LOW`.
fn lowered(
    update: aws_sdk_securityhub::operation::batch_update_findings::builders::BatchUpdateFindingsFluentBuilder,
) -> aws_sdk_securityhub::operation::batch_update_findings::builders::BatchUpdateFindingsFluentBuilder
{
    use aws_sdk_securityhub::types::{SeverityLabel, SeverityUpdate};
    update.severity(SeverityUpdate::builder().label(SeverityLabel::Low).build())
}

fn only<'a>(findings: &'a [Value], generator: &str) -> Vec<&'a Value> {
    findings
        .iter()
        .filter(|f| f["finding"]["GeneratorId"] == generator)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_audit_region_out_of_policy_is_one_failed_finding_there_until_it_is_put_right_and_the_customers_workflow_survives(
) {
    let w = World::new().await;
    w.write_policy(AUDIT);
    let account = w.member(&[EAST]).await;
    for region in REGIONS {
        w.hub("enable", &account, region);
    }
    w.swept();
    let found = w.findings(&account);
    assert_eq!(found.len(), 2, "one per account-region: {found:#?}");
    // The compliant region is covered: PASSED, active.
    let passed = &run_as_in(&found, WEST)["finding"];
    assert_eq!(
        (
            passed["Compliance"]["Status"].as_str(),
            passed["RecordState"].as_str()
        ),
        (Some("PASSED"), Some("ACTIVE"))
    );
    assert_eq!(
        other(run_as_in(&found, WEST))["run_as_default_user"],
        "ssm-ops"
    );
    assert!(other(run_as_in(&found, WEST))["verified_at"].is_string());
    let at = run_as_in(&found, EAST);
    let f = &at["finding"];
    assert_eq!(
        (at["account"].as_str(), at["region"].as_str()),
        (Some(account.as_str()), Some(EAST))
    );
    assert_eq!(f["AwsAccountId"], account);
    assert_eq!(
        f["ProductArn"],
        format!("arn:aws:securityhub:{EAST}:{account}:product/{account}/default")
    );
    assert_eq!(f["GeneratorId"], "runas-guard/run-as");
    assert_eq!(f["Compliance"]["Status"], "FAILED");
    assert_eq!(f["RecordState"], "ACTIVE");
    assert_eq!(f["FindingProviderFields"]["Severity"]["Label"], "MEDIUM");
    let r = &f["Resources"][0];
    assert_eq!(r["Type"], "AwsSsmDocument");
    assert_eq!(
        r["Id"],
        format!("arn:aws:ssm:{EAST}:{account}:document/{DOC}")
    );
    let other = &r["Details"]["Other"];
    assert_eq!(
        (
            other["run_as_enabled"].as_str(),
            other["expected_run_as_default_user"].as_str()
        ),
        (Some("false"), Some("ssm-ops"))
    );
    assert!(f["Title"].as_str().unwrap().contains(&account), "{f:#}");
    assert!(
        f.get("Workflow").is_some_and(|w| w["Status"] == "NEW"),
        "{f:#}"
    );

    // The next sweep of an unchanged organization imports nothing.
    let calls = w.imports(&account);
    assert_eq!(calls, 2, "one call per region");
    w.swept();
    assert_eq!(
        w.imports(&account),
        calls,
        "a steady sweep makes no import call"
    );

    // The security team takes it on between two sweeps.
    let team = w.security_team(&account, EAST).await;
    let id = aws_sdk_securityhub::types::AwsSecurityFindingIdentifier::builder()
        .id(f["Id"].as_str().unwrap())
        .product_arn(f["ProductArn"].as_str().unwrap())
        .build();
    let updated = team
        .batch_update_findings()
        .finding_identifiers(id)
        .workflow(
            aws_sdk_securityhub::types::WorkflowUpdate::builder()
                .status(aws_sdk_securityhub::types::WorkflowStatus::Notified)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(updated.processed_findings().len(), 1);
    // Put right (by hand, since audit writes nothing): resolved in place.
    let mut doc = w.document(&account, EAST).await.unwrap().0;
    doc["inputs"]["runAsEnabled"] = json!(true);
    doc["inputs"]["runAsDefaultUser"] = json!("ssm-ops");
    w.admin_write(&account, EAST, &doc, true).await;
    w.swept();
    let found = w.findings(&account);
    assert_eq!(found.len(), 2, "updated in place: {found:#?}");
    let f = &run_as_in(&found, EAST)["finding"];
    assert_eq!(
        (
            f["Compliance"]["Status"].as_str(),
            f["RecordState"].as_str()
        ),
        (Some("PASSED"), Some("ACTIVE")),
        "in policy again: coverage"
    );
    assert_eq!(
        f["Workflow"]["Status"], "NOTIFIED",
        "the customer's workflow is theirs"
    );
    assert!(f["UpdatedAt"].as_str() > f["CreatedAt"].as_str(), "{f:#}");
    let carried: u64 = w.hub_calls()["account_regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["customer_fields_carried"].as_u64().unwrap())
        .sum();
    assert_eq!(
        carried, 0,
        "runas-guard never sends Workflow, Note or UserDefinedFields"
    );
    // Resolved and unchanged: nothing more.
    let calls = w.imports(&account);
    w.swept();
    assert_eq!(w.imports(&account), calls);
}

/// AWS's own default preferences document (what the console saves first):
/// Run As off and `"runAsDefaultUser": ""`.
fn aws_default_document() -> Value {
    json!({
        "schemaVersion": "1.0",
        "description": "Document to hold regional settings for Session Manager",
        "sessionType": "Standard_Stream",
        "inputs": {
            "s3BucketName": "", "s3KeyPrefix": "", "s3EncryptionEnabled": true,
            "cloudWatchLogGroupName": "", "cloudWatchEncryptionEnabled": true,
            "cloudWatchStreamingEnabled": false, "idleSessionTimeout": "20",
            "maxSessionDuration": "", "kmsKeyId": "",
            "runAsEnabled": false, "runAsDefaultUser": "",
            "shellProfile": {"windows": "", "linux": ""}
        }
    })
}

impl World {
    /// Sets what `account`'s `region` row recorded as the run-as finding's
    /// last send back to `days_ago` days ago (how the tests make time pass
    /// for the refresh: the product reads only what the row recorded).
    async fn sent_days_ago(&self, account: &str, region: &str, days_ago: i64) {
        let row = self.state(account, region).await.expect("a row");
        let mut marks: Value = serde_json::from_str(&row["hub_findings"]).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        marks["run-as"]["u"] = json!(now - days_ago * 24 * 3600 * 1000);
        let ddb = aws_sdk_dynamodb::Client::new(&self.cfg);
        let s = aws_sdk_dynamodb::types::AttributeValue::S;
        ddb.update_item()
            .table_name(&self.table)
            .key("pk", s(format!("ACCOUNT#{account}")))
            .key("sk", s(format!("REGION#{region}")))
            .update_expression("SET hub_findings = :m")
            .expression_attribute_values(":m", s(marks.to_string()))
            .send()
            .await
            .unwrap();
    }

    /// Findings Security Hub refused in `account` so far (`FailedFindings`).
    fn refused_in(&self, account: &str) -> u64 {
        self.hub_calls()["account_regions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["account"] == account)
            .map(|c| c["refused"].as_array().map_or(0, |r| r.len() as u64))
            .sum()
    }
}

fn other(found: &Value) -> &Value {
    &found["finding"]["Resources"][0]["Details"]["Other"]
}

#[tokio::test(flavor = "multi_thread")]
async fn awss_default_preferences_document_in_audit_is_one_failed_finding_that_is_taken() {
    let w = World::new().await;
    w.write_policy(AUDIT);
    let account = w.member(&[]).await;
    w.admin_write(&account, EAST, &aws_default_document(), true)
        .await;
    for region in REGIONS {
        w.hub("enable", &account, region);
    }
    let out = w.swept();
    let said = &report(&out, &account)["security_hub"];
    assert_eq!(
        (said["imported"].as_u64(), said.get("failed")),
        (Some(2), None),
        "taken, not refused, and the other region's PASSED: {out:#}"
    );
    let found = w.findings(&account);
    assert_eq!(found.len(), 2, "{found:#?}");
    let at = run_as_in(&found, EAST);
    let f = &at["finding"];
    assert_eq!(
        (
            f["Compliance"]["Status"].as_str(),
            f["RecordState"].as_str()
        ),
        (Some("FAILED"), Some("ACTIVE"))
    );
    // The empty user said as what it is, never sent blank.
    assert_eq!(
        (
            other(at)["run_as_default_user"].as_str(),
            other(at)["run_as_enabled"].as_str()
        ),
        (Some("(empty)"), Some("false")),
        "{f:#}"
    );
    assert_eq!(w.refused_in(&account), 0);
    // Taken: the next sweep of the unchanged account sends nothing.
    let calls = w.imports(&account);
    let out = w.swept();
    assert_eq!(w.imports(&account), calls);
    assert!(
        report(&out, &account).get("security_hub").is_none(),
        "{out:#}"
    );
}
