//! How a finding lives: refreshed inside Security Hub CSPM's retention,
//! what a refused write's finding carries, archived when its account-region
//! leaves governance, and a hub found off said finding by finding.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn an_unchanged_failed_finding_is_sent_again_after_thirty_days_once_and_not_before() {
    let w = World::new().await;
    w.write_policy(AUDIT);
    let account = w.member(&[EAST]).await;
    w.hub("enable", &account, EAST);
    w.swept();
    assert_eq!(w.imports_in(&account, EAST), 1);
    let first = w.findings(&account)[0]["finding"]["UpdatedAt"].clone();
    // 29 days after its last send: still quiet.
    w.sent_days_ago(&account, EAST, 29).await;
    w.swept();
    assert_eq!(w.imports_in(&account, EAST), 1, "not before its period");
    // 31 days: sent again, the same finding with a new UpdatedAt, once.
    w.sent_days_ago(&account, EAST, 31).await;
    let out = w.swept();
    assert_eq!(report(&out, &account)["security_hub"]["imported"], 1);
    assert_eq!(w.imports_in(&account, EAST), 2, "refreshed");
    let found = w.findings(&account);
    assert_eq!(found.len(), 1, "updated in place: {found:#?}");
    let f = &found[0]["finding"];
    assert!(f["UpdatedAt"].as_str() > first.as_str(), "{f:#}");
    let stale: u64 = w.hub_calls()["account_regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["stale_updates"].as_u64().unwrap())
        .sum();
    assert_eq!(stale, 0);
    assert_eq!(f["Compliance"]["Status"], "FAILED");
    w.swept();
    assert_eq!(
        w.imports_in(&account, EAST),
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
        2,
        "{out:#}"
    );
    assert!(
        proxy.hits()["denied"]["hits"].as_u64().unwrap_or(0) >= 1,
        "the fault fired"
    );
    let found = w.findings(&account);
    assert_eq!(found.len(), 2, "{found:#?}");
    let f = &run_as_in(&found, EAST)["finding"];
    assert_eq!(f["FindingProviderFields"]["Severity"]["Label"], "HIGH");
    let o = other(run_as_in(&found, EAST));
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
    assert_eq!(found.len(), 2, "{found:#?}");
    let o = other(run_as_in(&found, EAST));
    assert_eq!(
        run_as_in(&found, EAST)["finding"]["Compliance"]["Status"],
        "PASSED"
    );
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
    assert_eq!(w.imports(&account), 2, "one per region");
    // Governed and unchanged: quiet.
    w.swept();
    assert_eq!(w.imports(&account), 2);
    w.move_account(&account, &w.root, &lock).await;
    let (code, out) = w.handle(&move_event(&account, &w.root, &lock));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(w.imports(&account), 4, "archived by the move's run");
    let found = w.findings(&account);
    assert_eq!(found.len(), 2, "the same findings, updated: {found:#?}");
    let passed = &run_as_in(&found, WEST)["finding"];
    assert_eq!(
        (
            passed["Compliance"]["Status"].as_str(),
            passed["RecordState"].as_str()
        ),
        (Some("NOT_AVAILABLE"), Some("ARCHIVED")),
        "coverage ends too: {passed:#}"
    );
    let f = &run_as_in(&found, EAST)["finding"];
    assert_eq!(
        (
            f["Compliance"]["Status"].as_str(),
            f["RecordState"].as_str()
        ),
        (Some("NOT_AVAILABLE"), Some("ARCHIVED")),
        "{f:#}"
    );
    assert!(
        other(run_as_in(&found, EAST))["no_longer_checked"]
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
    assert_eq!(w.imports(&account), 4);
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
    assert_eq!(w.imports(&account), 2);
    w.write_policy_raw(&format!(
        "member_role = \"RunAsGuardExecution\"\nregions = [\"{EAST}\"]\n{AUDIT}\n[default]\nrun_as_user = \"ssm-ops\"\n"
    ));
    w.swept();
    assert_eq!(w.imports(&account), 3, "archived by the sweep");
    let found = w.findings(&account);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(
        run_as_in(&found, EAST)["finding"]["Compliance"]["Status"],
        "PASSED"
    );
    let f = &run_as_in(&found, WEST)["finding"];
    assert_eq!(
        (
            f["Compliance"]["Status"].as_str(),
            f["RecordState"].as_str()
        ),
        (Some("NOT_AVAILABLE"), Some("ARCHIVED"))
    );
    assert!(w.state(&account, WEST).await.is_none(), "its row is gone");
    w.swept();
    assert_eq!(w.imports(&account), 3, "once");
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
    assert_eq!(w.imports(&account), 2, "the imports were tried");
    let said = &report(&out, &account)["security_hub"];
    assert_eq!(said["hub_off"], json!([WEST, EAST]), "{out:#}");
    assert!(said.get("failed").is_none(), "not a failure: {out:#}");
    assert!(w.findings(&account).is_empty());
    // It waits: the next sweep tries again and does not tell it again.
    let out = w.swept();
    assert!(
        report(&out, &account).get("security_hub").is_none(),
        "{out:#}"
    );
    assert_eq!(w.imports(&account), 4);
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
    // The run-as finding, then the edit's alert's own finding (its own call).
    assert_eq!(w.imports_in(&account, EAST), 2, "the event's run sent it");
    let sent = run_as_in(&w.findings(&account), EAST)["finding"].clone();
    // The sweep knows the name, and the finding reads the same: not sent again.
    let out = w.swept();
    assert!(report(&out, &account)["name"].is_string(), "{out:#}");
    assert_eq!(
        w.imports_in(&account, EAST),
        2,
        "the sweep sent nothing new there"
    );
    let now = w.findings(&account);
    let now = &run_as_in(&now, EAST)["finding"];
    assert_eq!(now["UpdatedAt"], sent["UpdatedAt"]);
    assert_eq!(now["Title"], sent["Title"]);
}
