//! Tamper detection of the guard's event findings: a root edit's finding
//! that a member account's administrator imports over (`PASSED`,
//! `ARCHIVED`, `LOW`) is put back by the next sweep and told once; one the
//! security team resolved is theirs; one whose `UpdatedAt` was forged into
//! the future cannot be put back in place (the local Security Hub ignores an
//! update that is not later, as AWS does) and is sent under a successor `Id`.

use super::*;
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, Compliance, ComplianceStatus, FindingProviderFields,
    FindingProviderSeverity, RecordState, Severity, SeverityLabel,
};

/// The member admin's import over `f` (as stored): the same `Id` and
/// product, `PASSED`, `ARCHIVED` and `LOW`, at `updated_at`.
fn hidden(f: &Value, updated_at: &str) -> AwsSecurityFinding {
    let types: Vec<String> = f["Types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    copy_of(f, updated_at)
        .set_types(Some(types.clone()))
        .severity(Severity::builder().label(SeverityLabel::Low).build())
        .finding_provider_fields(
            FindingProviderFields::builder()
                .severity(
                    FindingProviderSeverity::builder()
                        .label(SeverityLabel::Low)
                        .build(),
                )
                .set_types(Some(types))
                .build(),
        )
        .description(f["Description"].as_str().unwrap())
        .record_state(RecordState::Archived)
        .build()
}

/// What a security team's console filter reads of a finding.
fn triage(f: &Value) -> (String, String, String) {
    let s = |v: &Value| v.as_str().unwrap_or("-").to_string();
    (
        s(&f["Compliance"]["Status"]),
        s(&f["RecordState"]),
        s(&f["FindingProviderFields"]["Severity"]["Label"]),
    )
}

fn open() -> (String, String, String) {
    ("FAILED".into(), "ACTIVE".into(), "CRITICAL".into())
}

/// A configured account whose root edit in WEST a sweep put back: its
/// `edit` finding, `FAILED`/`ACTIVE`/`CRITICAL`.
async fn edited(w: &World) -> (String, Value) {
    w.write_policy(ENFORCE);
    let account = w.configured_and_swept().await;
    for region in REGIONS {
        w.hub("enable", &account, region);
    }
    w.console_edit(&account, WEST, "root").await;
    w.swept();
    let found = w.findings(&account);
    let edits = only(&found, "runas-guard/edit");
    assert_eq!(edits.len(), 1, "{found:#?}");
    let f = edits[0]["finding"].clone();
    assert_eq!(triage(&f), open(), "{f:#}");
    w.alerts().await;
    (account, f)
}

fn by_id<'a>(found: &'a [Value], id: &str) -> &'a Value {
    let f = found.iter().find(|f| f["finding"]["Id"] == id);
    &f.unwrap_or_else(|| panic!("no {id} in {found:#?}"))["finding"]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_root_edits_finding_hidden_by_a_member_admin_is_put_back_and_told_once() {
    let w = World::new().await;
    let (account, sent) = edited(&w).await;
    let id = sent["Id"].as_str().unwrap().to_string();
    // A steady sweep reads back and says nothing: the untampered side.
    w.swept();
    assert!(of_kind(&w.alerts().await, "finding_tampered").is_empty());

    // Later than the guard's own UpdatedAt (milliseconds), as an import must be.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(2);
    let at = runas_guard::domain::clock::iso(later);
    w.forge(&account, WEST, hidden(&sent, &at)).await;
    let f = by_id(&w.findings(&account), &id).clone();
    assert_eq!(
        triage(&f),
        ("PASSED".into(), "ARCHIVED".into(), "LOW".into()),
        "landed"
    );

    w.swept();
    let alerts = w.alerts().await;
    let told = of_kind(&alerts, "finding_tampered");
    assert_eq!(told.len(), 1, "{alerts:#?}");
    let m = &told[0]["message"];
    assert_eq!(
        (m["account"].as_str(), m["region"].as_str()),
        (Some(account.as_str()), Some(WEST))
    );
    assert_eq!(m["finding_id"], id.as_str());
    assert_eq!(m["check"], "edit");
    assert_eq!(m["changed_at"], at.as_str());
    assert_eq!(
        (m["put_back"].as_bool(), m["in_place"].as_bool()),
        (Some(true), Some(true))
    );
    let changed = m["changed"].to_string();
    for line in [
        "Compliance.Status FAILED -> PASSED",
        "RecordState ACTIVE -> ARCHIVED",
        "Severity CRITICAL -> LOW",
    ] {
        assert!(changed.contains(line), "{changed}");
    }
    // In the hub: as the guard sent it, its words too, the workflow NEW.
    let f = by_id(&w.findings(&account), &id).clone();
    assert_eq!(triage(&f), open(), "{f:#}");
    assert_eq!(f["Title"], sent["Title"]);
    assert_eq!(f["Workflow"]["Status"], "NEW");
    assert_eq!(
        f["Resources"][0]["Details"]["Other"]["editor"],
        sent["Resources"][0]["Details"]["Other"]["editor"]
    );

    // Put back: the next sweep is quiet, and imports nothing more.
    let imports = w.imports(&account);
    w.swept();
    assert!(of_kind(&w.alerts().await, "finding_tampered").is_empty());
    assert_eq!(w.imports(&account), imports);

    // The security team resolves it with a note: theirs, never told.
    let team = w.security_team(&account, WEST).await;
    lowered(resolved(&team, &f, "approved, CHG-77"))
        .send()
        .await
        .unwrap();
    w.swept();
    w.swept();
    assert!(of_kind(&w.alerts().await, "finding_tampered").is_empty());
    assert_eq!(
        w.imports(&account),
        imports,
        "nothing sent over the team's work"
    );
    let f = by_id(&w.findings(&account), &id).clone();
    assert_eq!(f["Workflow"]["Status"], "RESOLVED", "{f:#}");
    assert_eq!(f["Note"]["Text"], "approved, CHG-77");
    assert_eq!(f["Severity"]["Label"], "LOW", "the team's severity stays");
    assert_eq!(triage(&f), open());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_far_future_updated_at_is_told_as_not_restorable_in_place_and_the_guards_finding_stands_beside_it(
) {
    let w = World::new().await;
    let (account, sent) = edited(&w).await;
    let id = sent["Id"].as_str().unwrap().to_string();
    let forged_at = "2099-12-31T23:59:59Z";
    w.forge(&account, WEST, hidden(&sent, forged_at)).await;
    let before = w.hub_calls();
    let stale = |calls: &Value| -> u64 {
        calls["account_regions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["account"] == account.as_str())
            .map(|c| c["stale_updates"].as_u64().unwrap_or(0))
            .sum()
    };
    // The local Security Hub, as AWS: an update not later is ignored.
    let team = w.security_team(&account, WEST).await;
    let mut again = hidden(&sent, "2030-01-01T00:00:00Z");
    again.compliance = Some(
        Compliance::builder()
            .status(ComplianceStatus::Failed)
            .build(),
    );
    team.batch_import_findings()
        .findings(again)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stale(&w.hub_calls()),
        stale(&before) + 1,
        "the injected stale update fired"
    );
    assert_eq!(
        by_id(&w.findings(&account), &id)["Compliance"]["Status"],
        "PASSED"
    );

    w.swept();
    let alerts = w.alerts().await;
    let told = of_kind(&alerts, "finding_tampered");
    assert_eq!(told.len(), 1, "{alerts:#?}");
    let m = &told[0]["message"];
    let successor = format!("{id}/restored");
    assert_eq!(m["finding_id"], id.as_str());
    assert_eq!(m["in_place"], false);
    assert_eq!(m["successor_id"], successor.as_str());
    assert_eq!(m["put_back"], true);
    assert!(
        m["not_in_place"].as_str().unwrap().contains(forged_at),
        "{m:#}"
    );
    let subject = told[0]["subject"].as_str().unwrap();
    assert!(subject.contains("changed by someone else"), "{subject}");

    // The guard's truth, visible: the successor FAILED/ACTIVE/CRITICAL,
    // saying what it replaces; the forged one as the forger left it.
    let found = w.findings(&account);
    let s = by_id(&found, &successor);
    assert_eq!(triage(s), open(), "{s:#}");
    assert_eq!(s["Workflow"]["Status"], "NEW");
    assert_eq!(
        s["Resources"][0]["Details"]["Other"]["replaces"],
        id.as_str()
    );
    assert_eq!(by_id(&found, &id)["UpdatedAt"], forged_at);

    // Told once: the next sweeps find the successor and stay quiet.
    let imports = w.imports(&account);
    w.swept();
    w.swept();
    assert!(of_kind(&w.alerts().await, "finding_tampered").is_empty());
    assert_eq!(w.imports(&account), imports, "no loop of imports");
}
