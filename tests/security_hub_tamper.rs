//! Tamper detection: each sweep reads runas-guard's findings back and puts
//! back one that someone else changed (an import under the member
//! account's default product), telling `finding_tampered`; what the
//! security team sets through `BatchUpdateFindings` is theirs and kept.

use super::*;
use aws_sdk_securityhub::types::{AwsSecurityFinding, Severity, SeverityLabel};

/// The member admin's forgery of `f` (the guard's finding as stored):
/// the same finding under the same product, `PASSED` and informational,
/// with a later `UpdatedAt`.
fn forged(f: &Value, updated_at: &str) -> AwsSecurityFinding {
    copy_of(f, updated_at)
        .types(f["Types"][0].as_str().unwrap())
        .severity(
            Severity::builder()
                .label(SeverityLabel::Informational)
                .build(),
        )
        .description("Run As is on/ssm-ops, as the policy wants")
        .build()
}

fn tampered(alerts: &[Value]) -> Vec<&Value> {
    of_kind(alerts, "finding_tampered")
}

/// A sweep that tells one `finding_tampered` in `account` (its report and
/// the topic agree): that alert.
async fn swept_told_once(w: &World, account: &str) -> Value {
    let out = w.swept();
    let told = report(&out, account)["security_hub"]["tampered"].clone();
    assert_eq!(told.as_array().map(Vec::len), Some(1), "{out:#}");
    let alerts = w.alerts().await;
    let alerts = tampered(&alerts);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    alerts[0].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_admins_import_flipping_a_failed_finding_to_passed_is_put_back_and_told_once() {
    let w = World::new().await;
    let (account, sent) = w.audited_failed().await;
    // A steady sweep reads back and says nothing: the untampered side.
    w.alerts().await;
    w.swept();
    assert!(tampered(&w.alerts().await).is_empty());

    // The member account's administrator imports over it: PASSED, stamped
    // to the millisecond, so later than runas-guard's send however soon
    // after it (a whole second may be the send's own, and not later).
    let at = runas_guard::domain::clock::iso(std::time::SystemTime::now());
    w.forge(&account, EAST, forged(&sent, &at)).await;
    let f = run_as_in(&w.findings(&account), EAST)["finding"].clone();
    assert_eq!(f["Compliance"]["Status"], "PASSED", "the forgery landed");
    // Import calls counted from here: the forger's is not runas-guard's.
    let imports = w.imports(&account);

    // The next sweep puts it back as sent, and tells it once.
    let told = swept_told_once(&w, &account).await;
    let m = &told["message"];
    assert_eq!(m["severity"], "error");
    assert_eq!(m["account"], account);
    assert_eq!(m["region"], EAST);
    assert_eq!(m["finding_id"], sent["Id"]);
    assert_eq!(m["check"], "run-as");
    assert_eq!(m["changed_at"], at.as_str(), "when, from its UpdatedAt");
    assert_eq!(m["put_back"], true);
    let changed: Vec<&str> = m["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        changed.contains(&"Compliance.Status FAILED -> PASSED"),
        "{changed:?}"
    );
    let subject = told["subject"].as_str().unwrap();
    assert!(subject.contains("changed by someone else"), "{subject}");
    assert!(
        subject.contains(&account) && subject.contains(EAST),
        "{subject}"
    );
    assert!(
        m["runbook"]
            .as_str()
            .unwrap()
            .ends_with("docs/operate.md#finding_tampered"),
        "{m:#}"
    );

    // In Security Hub: as runas-guard last sent it, updated later.
    let found = w.findings(&account);
    let f = &run_as_in(&found, EAST)["finding"];
    assert_eq!(f["Compliance"]["Status"], "FAILED", "{f:#}");
    assert_eq!(f["FindingProviderFields"]["Severity"]["Label"], "MEDIUM");
    assert_eq!(f["Description"], sent["Description"]);
    assert_eq!(f["RecordState"], "ACTIVE");
    let ms = |t: &str| runas_guard::domain::clock::parse_iso(t).unwrap();
    assert!(ms(f["UpdatedAt"].as_str().unwrap()) > ms(&at), "{f:#}");
    assert_eq!(w.imports(&account), imports + 1, "one import, the put-back");
    // The WEST finding, untouched, was neither told nor sent.
    let west = &run_as_in(&found, WEST)["finding"];
    assert_eq!(west["Compliance"]["Status"], "PASSED");

    // Put back: the next sweep is quiet again.
    w.swept();
    assert!(tampered(&w.alerts().await).is_empty());
    assert_eq!(w.imports(&account), imports + 1);
}

/// The finding `id` as stored.
fn with_id<'a>(found: &'a [Value], id: &str) -> &'a Value {
    let f = found.iter().find(|f| f["finding"]["Id"] == id);
    &f.unwrap_or_else(|| panic!("no {id} in {found:#?}"))["finding"]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_finding_forged_passed_with_a_far_future_updated_at_is_told_once_and_the_guards_stands_under_its_successor(
) {
    let w = World::new().await;
    let (account, sent) = w.audited_failed().await;
    let id = sent["Id"].as_str().unwrap().to_string();
    let successor = format!("{id}/restored");
    w.alerts().await;

    // The member account's administrator imports it PASSED, in 2099: no
    // update of runas-guard's can be later.
    let forged_at = "2099-12-31T23:59:59Z";
    w.forge(&account, EAST, forged(&sent, forged_at)).await;
    let imports = w.imports(&account);

    let told = swept_told_once(&w, &account).await;
    let m = &told["message"];
    assert_eq!(m["finding_id"], id.as_str());
    assert_eq!(m["check"], "run-as");
    assert_eq!(m["changed_at"], forged_at);
    assert_eq!(m["in_place"], false);
    assert_eq!(m["successor_id"], successor.as_str());
    assert_eq!(m["put_back"], true, "{m:#}");
    assert!(
        m["not_in_place"].as_str().unwrap().contains(forged_at),
        "{m:#}"
    );
    let changed = m["changed"].to_string();
    assert!(
        changed.contains("Compliance.Status FAILED -> PASSED"),
        "{changed}"
    );

    // Security Hub holds the guard's FAILED finding under the successor,
    // saying when it was verified from runas-guard's clock, beside the
    // forged one as the forger left it.
    let found = w.findings(&account);
    let s = with_id(&found, &successor);
    assert_eq!(s["Compliance"]["Status"], "FAILED", "{s:#}");
    assert_eq!(s["RecordState"], "ACTIVE");
    assert_eq!(s["FindingProviderFields"]["Severity"]["Label"], "MEDIUM");
    assert_eq!(s["Description"], sent["Description"]);
    assert!(s["UpdatedAt"].as_str().unwrap() < forged_at, "{s:#}");
    assert_eq!(
        s["Resources"][0]["Details"]["Other"]["replaces"],
        id.as_str()
    );
    let f = with_id(&found, &id);
    assert_eq!(
        (f["UpdatedAt"].as_str(), f["Compliance"]["Status"].as_str()),
        (Some(forged_at), Some("PASSED"))
    );
    assert_eq!(
        w.imports(&account),
        imports + 1,
        "one import, the successor"
    );

    // Another sweep reads the successor back: quiet, no third finding.
    w.swept();
    assert!(tampered(&w.alerts().await).is_empty());
    assert_eq!(w.imports(&account), imports + 1);
    let east = |found: &[Value]| -> usize {
        found
            .iter()
            .filter(|f| f["region"] == EAST && f["finding"]["GeneratorId"] == "runas-guard/run-as")
            .count()
    };
    assert_eq!(east(&w.findings(&account)), 2);

    // The document put right: the successor turns PASSED; the forged one
    // stays as it was.
    w.write_policy(ENFORCE);
    w.swept();
    let found = w.findings(&account);
    let s = with_id(&found, &successor);
    assert_eq!(s["Compliance"]["Status"], "PASSED", "{s:#}");
    assert_eq!(with_id(&found, &id)["UpdatedAt"], forged_at);
    assert_eq!(east(&found), 2, "{found:#?}");
    assert!(tampered(&w.alerts().await).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_security_teams_workflow_note_and_fields_are_kept_by_later_sweeps_and_never_told() {
    let w = World::new().await;
    let (account, f) = w.audited_failed().await;
    w.alerts().await;
    let imports = w.imports(&account);
    let reads = |w: &World| -> u64 {
        w.hub_calls()["account_regions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["account"] == account)
            .map(|c| c["GetFindings"].as_u64().unwrap_or(0))
            .sum()
    };
    let read_before = reads(&w);
    let team = w.security_team(&account, EAST).await;
    let updated = lowered(resolved(&team, &f, "accepted risk, CHG-4321"))
        .user_defined_fields("ticket", "CHG-4321")
        .send()
        .await
        .unwrap();
    assert_eq!(updated.processed_findings().len(), 1);
    w.swept();
    w.swept();
    assert!(
        reads(&w) > read_before,
        "the sweeps read their findings back"
    );
    assert!(
        tampered(&w.alerts().await).is_empty(),
        "the team's fields are not tampering"
    );
    assert_eq!(
        w.imports(&account),
        imports,
        "nothing sent over the team's work"
    );
    let f = run_as_in(&w.findings(&account), EAST)["finding"].clone();
    assert_eq!(f["Workflow"]["Status"], "RESOLVED", "never reopened: {f:#}");
    assert_eq!(f["Note"]["Text"], "accepted risk, CHG-4321");
    assert_eq!(f["UserDefinedFields"]["ticket"], "CHG-4321");
    assert_eq!(f["Severity"]["Label"], "LOW", "the team's severity stays");
    assert_eq!(f["Compliance"]["Status"], "FAILED");
    assert_eq!(f["RecordState"], "ACTIVE");
}
