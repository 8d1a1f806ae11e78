//! Where Security Hub CSPM is not enabled or refuses a finding: said once,
//! the finding waiting and sent by the next run after the hub is enabled; a
//! refused finding told as a failure and sent again; nothing when off.

use super::*;

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
    // The run-as finding, and the audit drift's own (`drift-detected`).
    assert_eq!(said["imported"], 2);
    w.alerts().await;
    // The sweep after it is the one that says so, in its summary.
    let out = w.swept();
    let said = &report(&out, &account)["security_hub"];
    assert_eq!(said["hub_off"], json!([EAST]), "{out:#}");
    assert_eq!(said["imported"], 0, "WEST's is in already");
    // WEST's run-as finding and its audit drift's; none in EAST yet.
    let found = w.findings(&account);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found.iter().all(|f| f["region"] == WEST), "{found:#?}");
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
    // The next sweep tries again (one call) and does not tell it again.
    let calls = w.imports_in(&account, EAST);
    let out = w.swept();
    assert!(
        report(&out, &account).get("security_hub").is_none(),
        "{out:#}"
    );
    assert_eq!(w.imports_in(&account, EAST), calls + 1);
    assert!(of_kind(&w.alerts().await, "sweep_summary").is_empty());
    // Enabled: the next run sends what waited, not a day later.
    w.hub("enable", &account, EAST);
    let out = w.swept();
    assert_eq!(
        report(&out, &account)["security_hub"]["imported"],
        1,
        "{out:#}"
    );
    let found = w.findings(&account);
    assert_eq!(
        run_as_in(&found, EAST)["finding"]["Compliance"]["Status"],
        "FAILED"
    );
    let line = doctor_hub_line(&w);
    assert!(!line.contains(&format!("{account} {EAST}")), "{line}");
}

/// `doctor`'s `security hub cspm` line's detail.
fn doctor_hub_line(w: &World) -> String {
    let list = w.run(&["doctor", "--format", "json"]).json();
    let checks = list["checks"].as_array().unwrap();
    let line = checks
        .iter()
        .find(|c| c["item"] == "security hub cspm")
        .unwrap_or_else(|| panic!("{list:#}"));
    line["detail"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_finding_security_hub_refuses_is_a_failure_told_and_sent_again() {
    let w = World::new().await;
    w.write_policy(AUDIT);
    let account = w.member(&[WEST]).await;
    w.hub("enable", &account, WEST);
    w.hub("disable", &account, EAST);
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

/// `doctor --account`'s `security hub cspm` line for `account`.
fn doctor_member_line(w: &World, account: &str) -> Value {
    let list = w
        .run(&["doctor", "--account", account, "--format", "json"])
        .json();
    let checks = list["checks"].as_array().unwrap();
    checks
        .iter()
        .find(|c| c["scope"] == format!("account {account}") && c["item"] == "security hub cspm")
        .cloned()
        .unwrap_or_else(|| panic!("{list:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_for_an_account_asks_security_hub_itself_region_by_region() {
    let w = World::new().await;
    w.write_policy(AUDIT);
    let account = w.member(&[EAST]).await;
    w.hub("enable", &account, WEST);
    // Nothing recorded yet: the answer is Security Hub's, not the table's.
    let line = doctor_member_line(&w, &account);
    assert_eq!(line["verdict"], "warn", "{line:#}");
    let detail = line["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("not enabled in {EAST}"))
            && detail.contains(&format!("enabled in {WEST}")),
        "{detail}"
    );
    // Enabled now, with the table still remembering it off: enabled.
    w.swept();
    w.hub("enable", &account, EAST);
    let line = doctor_member_line(&w, &account);
    assert_eq!(line["verdict"], "pass", "{line:#}");
    let detail = line["detail"].as_str().unwrap();
    assert!(detail.contains(EAST) && detail.contains(WEST), "{detail}");
    assert!(
        doctor_hub_line(&w).contains("the last runs found"),
        "the table's line says it is memory"
    );
}
