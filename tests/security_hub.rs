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

const EAST: &str = "us-east-1";
const WEST: &str = "eu-west-1";

const AUDIT: &str = "mode = \"audit\"\n[security_hub]\nfindings = true\n";
const ENFORCE: &str = "[security_hub]\nfindings = true\n";

impl World {
    fn hub(&self, verb: &str, account: &str, region: &str) {
        let body = json!({"account": account, "region": region}).to_string();
        let (code, out) = http(
            self.moto.port(),
            "POST",
            &format!("/_emulated/securityhub/{verb}"),
            &body,
        );
        assert_eq!(code, 200, "{verb}: {out}");
    }

    /// Every finding the local Security Hub holds in `account`, with its
    /// region. (The organization's management account is swept too.)
    fn findings(&self, account: &str) -> Vec<Value> {
        let path = "/_emulated/securityhub/findings";
        let (code, out) = http(self.moto.port(), "GET", path, "");
        assert_eq!(code, 200, "{out}");
        let all = out["findings"].as_array().unwrap();
        all.iter()
            .filter(|f| f["account"] == account)
            .cloned()
            .collect()
    }

    /// `BatchImportFindings` calls so far, in `account`'s regions.
    fn imports(&self, account: &str) -> u64 {
        self.hub_calls()["account_regions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["account"] == account)
            .map(|c| c["BatchImportFindings"].as_u64().unwrap())
            .sum()
    }

    fn hub_calls(&self) -> Value {
        let (code, out) = http(self.moto.port(), "GET", "/_emulated/securityhub/calls", "");
        assert_eq!(code, 200, "{out}");
        out
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
    assert_eq!(
        found.len(),
        1,
        "the compliant region says nothing: {found:#?}"
    );
    let (f, at) = (&found[0]["finding"], &found[0]);
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
    assert_eq!(calls, 1, "one region had news");
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
    assert_eq!(found.len(), 1, "updated in place: {found:#?}");
    let f = &found[0]["finding"];
    assert_eq!(
        (
            f["Compliance"]["Status"].as_str(),
            f["RecordState"].as_str()
        ),
        (Some("PASSED"), Some("ARCHIVED"))
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

#[tokio::test(flavor = "multi_thread")]
async fn an_enforced_edit_is_a_finding_naming_the_editor_resolved_by_the_revert() {
    let w = World::new().await;
    w.write_policy(ENFORCE);
    let account = w.configured_and_swept().await;
    for region in REGIONS {
        w.hub("enable", &account, region);
    }
    assert!(
        w.findings(&account).is_empty(),
        "compliant from the start: no finding"
    );
    let edited = w.console_edit(&account, WEST, "root").await;
    for name in ["UpdateDocument", "UpdateDocumentDefaultVersion"] {
        let (code, out) = w.handle(&doc_event_as(name, &account, WEST, "Breakglass", "mallory"));
        assert_eq!(code, 0, "{out:#}");
    }
    let found = w.findings(&account);
    let edits = only(&found, "runas-guard/edit");
    assert_eq!(edits.len(), 1, "one edit, one finding: {found:#?}");
    assert_eq!(found.len(), 1, "the run-as check never failed: {found:#?}");
    let f = &edits[0]["finding"];
    assert_eq!(edits[0]["region"], WEST);
    // The editor as every alert names them: the role behind the session.
    let editor = format!("arn:aws:iam::{account}:role/Breakglass");
    assert!(f["Title"].as_str().unwrap().contains(&editor), "{f:#}");
    assert_eq!(f["Resources"][0]["Details"]["Other"]["editor"], editor);
    assert_eq!(
        f["Resources"][0]["Details"]["Other"]["default_version"],
        edited
    );
    assert_eq!(
        (
            f["Compliance"]["Status"].as_str(),
            f["RecordState"].as_str()
        ),
        (Some("PASSED"), Some("ARCHIVED"))
    );
    assert_eq!(
        f["FindingProviderFields"]["Types"][0],
        "Unusual Behaviors/User/Session Manager Run As edited"
    );
    // The document is back and the next sweep adds nothing.
    assert_eq!(
        run_as(&w.document(&account, WEST).await.unwrap().0).1,
        "ssm-ops"
    );
    let calls = w.imports(&account);
    w.swept();
    assert_eq!(w.imports(&account), calls);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edit_a_sweep_puts_back_is_a_finding_too_with_its_editor_not_yet_named() {
    let w = World::new().await;
    w.write_policy(ENFORCE);
    let account = w.configured_and_swept().await;
    w.hub("enable", &account, WEST);
    let edited = w.console_edit(&account, WEST, "root").await;
    // No edit event reaches the hub: the sweep finds and puts it back.
    w.swept();
    let found = w.findings(&account);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0]["finding"];
    assert_eq!(f["GeneratorId"], "runas-guard/edit");
    let other = &f["Resources"][0]["Details"]["Other"];
    assert_eq!(
        (other["editor"].as_str(), other["default_version"].as_str()),
        (Some("an editor not yet named"), Some(edited.as_str()))
    );
    assert_eq!(f["RecordState"], "ARCHIVED");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_region_without_security_hub_is_told_once_and_its_finding_waits() {
    let w = World::new().await;
    w.write_policy(AUDIT);
    let account = w.member(&REGIONS).await;
    w.hub("enable", &account, WEST);
    // The vend finds the hub off in one region and sends the other's.
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    let said = &report(&out, &account)["security_hub"];
    assert_eq!(said["hub_off"], json!([EAST]), "{out:#}");
    assert_eq!(said["imported"], 1);
    w.alerts().await;
    // The sweep after it is the one that says so, in its summary.
    let out = w.swept();
    let said = &report(&out, &account)["security_hub"];
    assert_eq!(said["hub_off"], json!([EAST]), "{out:#}");
    assert_eq!(said["imported"], 0, "WEST's is in already");
    let found = w.findings(&account);
    assert_eq!(
        (found.len(), found[0]["region"].as_str()),
        (1, Some(WEST)),
        "{found:#?}"
    );
    let alerts = w.alerts().await;
    let summaries = of_kind(&alerts, "sweep_summary");
    assert_eq!(summaries.len(), 1, "{alerts:#?}");
    let m = &summaries[0]["message"];
    let listed = m["security_hub"]["hub_off_listed"].as_array().unwrap();
    assert!(
        listed.contains(&json!(format!("{account} {EAST}"))),
        "{m:#}"
    );
    assert!(
        !listed.contains(&json!(format!("{account} {WEST}"))),
        "{m:#}"
    );
    assert!(summaries[0]["subject"]
        .as_str()
        .unwrap()
        .contains("Security Hub CSPM not enabled in"));
    // doctor names it, from the table, without entering the account.
    let run = w.run(&["doctor", "--format", "json"]);
    let list = run.json();
    let checks = list["checks"].as_array().unwrap();
    let line = checks
        .iter()
        .find(|c| c["item"] == "security hub cspm")
        .unwrap_or_else(|| panic!("{list:#}"));
    assert_eq!(line["verdict"], "warn", "{line:#}");
    let detail = line["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("{account} {EAST}"))
            && !detail.contains(&format!("{account} {WEST}")),
        "{detail}"
    );
    // The next sweep neither tries again nor tells it again.
    let calls = w.imports(&account);
    let out = w.swept();
    assert!(
        report(&out, &account).get("security_hub").is_none(),
        "{out:#}"
    );
    assert_eq!(w.imports(&account), calls);
    assert!(of_kind(&w.alerts().await, "sweep_summary").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_finding_security_hub_refuses_is_a_failure_told_and_sent_again() {
    let w = World::new().await;
    w.write_policy(AUDIT);
    let account = w.member(&[WEST]).await;
    for region in REGIONS {
        w.hub("enable", &account, region);
    }
    let body = json!({"code": "InvalidInput", "message": "Finding does not adhere to Amazon Finding Format.", "count": 1});
    let (code, out) = http(
        w.moto.port(),
        "POST",
        "/_emulated/securityhub/fail_next",
        &body.to_string(),
    );
    assert_eq!(code, 200, "{out}");
    let run = w.run(&["handle", w.write_event(&sweep_event()).to_str().unwrap()]);
    assert_eq!(
        w.hub_calls()["injected_failures_fired"],
        1,
        "the fault fired"
    );
    let out = run.json();
    let failed = &report(&out, &account)["security_hub"]["failed"];
    assert_eq!(
        (failed[0]["region"].as_str(), failed[0]["code"].as_str()),
        (Some(WEST), Some("InvalidInput")),
        "{out:#}"
    );
    assert!(w.findings(&account).is_empty());
    // Told: logged at ERROR (the FindingsFailed metric beside it), and in
    // the summary.
    assert!(
        run.stderr.contains("error(s) were logged"),
        "{}",
        run.stderr
    );
    let alerts = w.alerts().await;
    let summary = of_kind(&alerts, "sweep_summary");
    assert_eq!(
        summary[0]["message"]["security_hub"]["failed"], 1,
        "{alerts:#?}"
    );
    // Each refused finding named as the alarm row says: account, region, code.
    assert_eq!(
        summary[0]["message"]["security_hub"]["failed_listed"],
        json!([format!("{account} {WEST} InvalidInput")]),
        "{alerts:#?}"
    );
    assert_eq!(summary[0]["message"]["severity"], "warning");
    // Not marked as sent: the next sweep sends it, and it is in.
    w.swept();
    let found = w.findings(&account);
    assert_eq!(
        (found.len(), found[0]["region"].as_str()),
        (1, Some(WEST)),
        "{found:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn off_by_default_nothing_is_imported() {
    let w = World::new().await;
    w.write_policy("mode = \"audit\"\n");
    let account = w.member(&REGIONS).await;
    for region in REGIONS {
        w.hub("enable", &account, region);
    }
    w.swept();
    assert_eq!(w.imports(&account), 0);
    let list = w.run(&["doctor", "--format", "json"]).json();
    let checks = list["checks"].as_array().unwrap();
    let line = checks
        .iter()
        .find(|c| c["item"] == "security hub cspm")
        .unwrap();
    assert_eq!(line["verdict"], "skip", "{line:#}");
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
        (Some(1), None),
        "taken, not refused: {out:#}"
    );
    let found = w.findings(&account);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0]["finding"];
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
            other(&found[0])["run_as_default_user"].as_str(),
            other(&found[0])["run_as_enabled"].as_str()
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

#[tokio::test(flavor = "multi_thread")]
async fn an_event_run_then_a_sweep_of_an_unchanged_account_send_the_finding_once() {
    let w = World::new().await;
    w.write_policy(AUDIT);
    let account = w.member(&[EAST]).await;
    for region in REGIONS {
        w.hub("enable", &account, region);
    }
    // An edit event's run (which does not read the account's name) finds it.
    let (code, out) = w.handle(&doc_event_as(
        "UpdateDocument",
        &account,
        EAST,
        "Admin",
        "alice",
    ));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(w.imports(&account), 1, "the event's run sent it");
    let sent = w.findings(&account)[0]["finding"].clone();
    // The sweep knows the name, and the finding reads the same: not sent again.
    let out = w.swept();
    assert!(report(&out, &account)["name"].is_string(), "{out:#}");
    assert_eq!(w.imports(&account), 1, "the sweep sent nothing new");
    let now = w.findings(&account);
    assert_eq!(now.len(), 1);
    assert_eq!(now[0]["finding"]["UpdatedAt"], sent["UpdatedAt"]);
    assert_eq!(now[0]["finding"]["Title"], sent["Title"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unchanged_failed_finding_is_sent_again_after_thirty_days_once_and_not_before() {
    let w = World::new().await;
    w.write_policy(AUDIT);
    let account = w.member(&[EAST]).await;
    w.hub("enable", &account, EAST);
    w.swept();
    assert_eq!(w.imports(&account), 1);
    let first = w.findings(&account)[0]["finding"]["UpdatedAt"].clone();
    // 29 days after its last send: still quiet.
    w.sent_days_ago(&account, EAST, 29).await;
    w.swept();
    assert_eq!(w.imports(&account), 1, "not before its period");
    // 31 days: sent again, the same finding with a new UpdatedAt, once.
    w.sent_days_ago(&account, EAST, 31).await;
    let out = w.swept();
    assert_eq!(report(&out, &account)["security_hub"]["imported"], 1);
    assert_eq!(w.imports(&account), 2, "refreshed");
    let found = w.findings(&account);
    assert_eq!(found.len(), 1, "updated in place: {found:#?}");
    let f = &found[0]["finding"];
    assert!(f["UpdatedAt"].as_str() > first.as_str(), "{f:#}");
    assert_eq!(w.hub_calls()["account_regions"][0]["stale_updates"], 0);
    assert_eq!(f["Compliance"]["Status"], "FAILED");
    w.swept();
    assert_eq!(
        w.imports(&account),
        2,
        "and not again until the next period"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_writes_finding_carries_what_was_read_and_the_fix_carries_what_made_it_right() {
    let (w, proxy, _) = common::proxy::world_behind_proxy().await;
    w.write_policy(ENFORCE);
    let account = w.member(&[EAST]).await;
    let (_, read_version, _) = w.document(&account, EAST).await.unwrap();
    for region in REGIONS {
        w.hub("enable", &account, region);
    }
    proxy.faults(
        json!([{"name": "denied", "service": "ssm", "region": EAST, "action": "UpdateDocument",
        "status": 400, "code": "AccessDeniedException", "protocol": "json",
        "message": "explicit deny in a service control policy"}]),
    );
    let (_, out) = w.handle(&sweep_event());
    assert_eq!(
        report(&out, &account)["security_hub"]["imported"],
        1,
        "{out:#}"
    );
    assert!(
        proxy.hits()["denied"]["hits"].as_u64().unwrap_or(0) >= 1,
        "the fault fired"
    );
    let found = w.findings(&account);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0]["finding"];
    assert_eq!(f["FindingProviderFields"]["Severity"]["Label"], "HIGH");
    let o = other(&found[0]);
    assert_eq!(
        (
            o["run_as_enabled"].as_str(),
            o["run_as_default_user"].as_str(),
            o["default_version"].as_str(),
            o["error_code"].as_str()
        ),
        (
            Some("false"),
            Some("(empty)"),
            Some(read_version.as_str()),
            Some("AccessDeniedException")
        ),
        "what the run read, not \"no document\": {f:#}"
    );
    assert!(
        f["Description"]
            .as_str()
            .unwrap()
            .contains("Run As is off/-"),
        "{f:#}"
    );
    // The write lands next time: PASSED, with the values that made it right.
    proxy.faults(json!([]));
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let (doc, fixed_version, _) = w.document(&account, EAST).await.unwrap();
    assert_eq!(run_as(&doc).1, "ssm-ops");
    let found = w.findings(&account);
    assert_eq!(found.len(), 1, "{found:#?}");
    let o = other(&found[0]);
    assert_eq!(found[0]["finding"]["Compliance"]["Status"], "PASSED");
    assert_eq!(
        (
            o["run_as_enabled"].as_str(),
            o["run_as_default_user"].as_str(),
            o["default_version"].as_str(),
            o.get("error_code")
        ),
        (
            Some("true"),
            Some("ssm-ops"),
            Some(fixed_version.as_str()),
            None
        ),
        "{found:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_moved_into_an_exempt_ou_has_its_finding_archived_once_saying_why() {
    let w = World::new().await;
    let lock = w.create_ou(&w.root, "Lock").await;
    w.write_policy(&format!(
        "mode = \"audit\"\n[exempt]\nous = [\"{lock}\"]\n[security_hub]\nfindings = true\n"
    ));
    let account = w.member(&[EAST]).await;
    for region in REGIONS {
        w.hub("enable", &account, region);
    }
    w.swept();
    assert_eq!(w.imports(&account), 1);
    // Governed and unchanged: quiet.
    w.swept();
    assert_eq!(w.imports(&account), 1);
    w.move_account(&account, &w.root, &lock).await;
    let (code, out) = w.handle(&move_event(&account, &w.root, &lock));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(w.imports(&account), 2, "archived by the move's run");
    let found = w.findings(&account);
    assert_eq!(found.len(), 1, "the same finding, updated: {found:#?}");
    let f = &found[0]["finding"];
    assert_eq!(
        (
            f["Compliance"]["Status"].as_str(),
            f["RecordState"].as_str()
        ),
        (Some("NOT_AVAILABLE"), Some("ARCHIVED")),
        "{f:#}"
    );
    assert!(
        other(&found[0])["no_longer_checked"]
            .as_str()
            .unwrap()
            .contains("exempt OU"),
        "{f:#}"
    );
    assert!(
        f["Description"]
            .as_str()
            .unwrap()
            .contains("no longer governs"),
        "{f:#}"
    );
    // Once: the sweeps after it send nothing.
    w.swept();
    w.swept();
    assert_eq!(w.imports(&account), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_region_the_policy_drops_has_its_finding_archived_once_before_its_row_goes() {
    let w = World::new().await;
    w.write_policy(AUDIT);
    let account = w.member(&[WEST]).await;
    for region in REGIONS {
        w.hub("enable", &account, region);
    }
    w.swept();
    assert_eq!(w.imports(&account), 1);
    w.write_policy_raw(&format!(
        "member_role = \"RunAsGuardExecution\"\nregions = [\"{EAST}\"]\n{AUDIT}\n[default]\nrun_as_user = \"ssm-ops\"\n"
    ));
    w.swept();
    assert_eq!(w.imports(&account), 2, "archived by the sweep");
    let found = w.findings(&account);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0]["finding"];
    assert_eq!(found[0]["region"], WEST);
    assert_eq!(
        (
            f["Compliance"]["Status"].as_str(),
            f["RecordState"].as_str()
        ),
        (Some("NOT_AVAILABLE"), Some("ARCHIVED"))
    );
    assert!(w.state(&account, WEST).await.is_none(), "its row is gone");
    w.swept();
    assert_eq!(w.imports(&account), 2, "once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hub_not_enabled_said_finding_by_finding_waits_as_when_the_whole_call_is_refused() {
    let w = World::new().await;
    w.write_policy(AUDIT);
    let account = w.member(&[EAST]).await;
    // The user guide's form: each finding in FailedFindings, InvalidAccess.
    let body = json!({"form": "findings"}).to_string();
    let path = "/_emulated/securityhub/hub_off_form";
    let (code, out) = http(w.moto.port(), "POST", path, &body);
    assert_eq!(code, 200, "{out}");
    let out = w.swept();
    assert_eq!(w.imports(&account), 1, "the import was tried");
    let said = &report(&out, &account)["security_hub"];
    assert_eq!(said["hub_off"], json!([EAST]), "{out:#}");
    assert!(said.get("failed").is_none(), "not a failure: {out:#}");
    assert!(w.findings(&account).is_empty());
    // It waits: the next sweep neither sends it nor tells it again.
    let out = w.swept();
    assert!(
        report(&out, &account).get("security_hub").is_none(),
        "{out:#}"
    );
    assert_eq!(w.imports(&account), 1);
}
