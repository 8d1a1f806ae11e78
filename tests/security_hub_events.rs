//! Coverage and security events in Security Hub CSPM: one `run-as` finding
//! per governed account-region from the first sweep, and an edit put back as
//! an active finding the security team resolves (its workflow and note kept).

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_governed_organizations_first_sweep_gives_one_passed_finding_per_account_region() {
    let w = World::new().await;
    w.write_policy(ENFORCE);
    let first = w.member(&[]).await;
    let second = w.member(&[WEST]).await;
    for account in [&first, &second] {
        for region in REGIONS {
            w.hub("enable", account, region);
        }
    }
    w.swept();
    for account in [&first, &second] {
        let found = w.findings(account);
        assert_eq!(found.len(), REGIONS.len(), "{account}: {found:#?}");
        for region in REGIONS {
            let f = &run_as_in(&found, region)["finding"];
            assert_eq!(
                (
                    f["Compliance"]["Status"].as_str(),
                    f["RecordState"].as_str()
                ),
                (Some("PASSED"), Some("ACTIVE")),
                "{account} {region}: {f:#}"
            );
            let o = &f["Resources"][0]["Details"]["Other"];
            assert_eq!(o["run_as_default_user"], "ssm-ops");
            assert!(
                o["verified_at"].as_str().is_some_and(|t| t.ends_with('Z')),
                "{o:#}"
            );
            assert_eq!(
                f["Compliance"]["RelatedRequirements"],
                json!(["NIST.800-53.r5 AC-6", "NIST.800-53.r5 AC-2"])
            );
        }
    }
    // The second's WEST was put right by the sweep: PASSED with what made it right.
    let calls = w.imports(&first);
    w.swept();
    assert_eq!(w.imports(&first), calls, "a steady sweep sends nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_root_edit_put_back_is_a_critical_finding_naming_the_editor_with_the_windows_sessions_active_until_the_team_resolves_it(
) {
    let w = World::new().await;
    w.write_policy(ENFORCE);
    let account = w.configured_and_swept().await;
    for region in REGIONS {
        w.hub("enable", &account, region);
    }
    let before = w.start_session(&account, WEST, "early-bird").await;
    crate::sessions::tick().await;
    // CloudTrail's eventTime is the edit's, whole seconds: the events are
    // made with the edit, not when they arrive after the session.
    let events = ["UpdateDocument", "UpdateDocumentDefaultVersion"]
        .map(|name| doc_event_as(name, &account, WEST, "Breakglass", "mallory"));
    let edited = w.console_edit(&account, WEST, "root").await;
    crate::sessions::tick().await;
    // A session started while root was the default: the window's.
    let during = w.start_session(&account, WEST, "mallory").await;
    for event in &events {
        let (code, out) = w.handle(event);
        assert_eq!(code, 0, "{out:#}");
    }
    let found = w.findings(&account);
    let edits = only(&found, "runas-guard/edit");
    assert_eq!(edits.len(), 1, "one edit, one finding: {found:#?}");
    assert_eq!(
        run_as_in(&found, WEST)["finding"]["Compliance"]["Status"],
        "PASSED",
        "the document is covered, and right"
    );
    let f = &edits[0]["finding"];
    assert_eq!(edits[0]["region"], WEST);
    // The editor as every alert names them: the role behind the session.
    let editor = format!("arn:aws:iam::{account}:role/Breakglass");
    assert!(f["Title"].as_str().unwrap().contains(&editor), "{f:#}");
    assert_eq!(f["Resources"][0]["Details"]["Other"]["editor"], editor);
    assert_eq!(
        f["Resources"][0]["Details"]["Other"]["run_as_default_user"],
        "root"
    );
    assert_eq!(
        f["Resources"][0]["Details"]["Other"]["default_version"],
        edited
    );
    // The window's sessions, in the finding itself: the one started in it,
    // not the one before.
    // (The test's events carry an envelope time from before the edit, so
    // the window opens there: the one started in it is among those named.)
    let other = &f["Resources"][0]["Details"]["Other"];
    let named: Vec<&str> = (1..=20)
        .filter_map(|n| other[format!("session_{n}")].as_str())
        .collect();
    assert!(
        named
            .iter()
            .any(|s| s.contains(&during) && s.contains("/Admin/mallory")),
        "{other:#}"
    );
    assert!(other.get("sessions_unread").is_none(), "{other:#}");
    let _ = &before;
    // Never a closed window imported PASSED/ARCHIVED: the team's to triage.
    let triage = |f: &Value| {
        (
            f["Compliance"]["Status"].as_str().map(String::from),
            f["RecordState"].as_str().map(String::from),
            f["FindingProviderFields"]["Severity"]["Label"]
                .as_str()
                .map(String::from),
            f["Workflow"]["Status"].as_str().map(String::from),
        )
    };
    let open = (
        Some("FAILED".to_string()),
        Some("ACTIVE".to_string()),
        Some("CRITICAL".to_string()),
        Some("NEW".to_string()),
    );
    assert_eq!(triage(f), open, "{f:#}");
    let types = f["FindingProviderFields"]["Types"].as_array().unwrap();
    assert!(types.contains(&json!(
        "Unusual Behaviors/User/Session Manager Run As edited"
    )));
    assert!(types.contains(&json!(
        "TTPs/Privilege Escalation/Session Manager Run As edited"
    )));
    let related = &f["Compliance"]["RelatedRequirements"];
    assert_eq!(
        related,
        &json!(["NIST.800-53.r5 AC-6", "NIST.800-53.r5 AC-2"])
    );
    assert!(f["Remediation"]["Recommendation"]["Url"]
        .as_str()
        .unwrap()
        .ends_with("docs/operate.md#what-each-finding-means"));
    assert_eq!(f["ProductFields"]["runas-guard/FactId"], f["Id"]);
    assert_eq!(
        f["ProductFields"]["runas-guard/Version"],
        env!("CARGO_PKG_VERSION")
    );
    // The document is back; the next sweep leaves the edit's finding open.
    assert_eq!(
        run_as(&w.document(&account, WEST).await.unwrap().0).1,
        "ssm-ops"
    );
    w.swept();
    let found = w.findings(&account);
    let f = &only(&found, "runas-guard/edit")[0]["finding"];
    assert_eq!(triage(f), open, "still active after the sweep: {f:#}");
    assert!(
        f["Resources"][0]["Details"]["Other"]["sessions_count"].is_string(),
        "as first sent: {f:#}"
    );

    // The security team resolves it with a note; later sweeps keep both.
    let team = w.security_team(&account, WEST).await;
    resolved(&team, f, "break-glass test, approved in CHG-1234")
        .send()
        .await
        .unwrap();
    w.swept();
    w.swept();
    let found = w.findings(&account);
    let f = &only(&found, "runas-guard/edit")[0]["finding"];
    assert_eq!(f["Workflow"]["Status"], "RESOLVED", "{f:#}");
    assert_eq!(f["Note"]["Text"], "break-glass test, approved in CHG-1234");
    assert_eq!(f["RecordState"], "ACTIVE", "never re-archived nor reopened");
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
    let edits = only(&found, "runas-guard/edit");
    assert_eq!(edits.len(), 1, "{found:#?}");
    let f = &edits[0]["finding"];
    let other = &f["Resources"][0]["Details"]["Other"];
    assert_eq!(
        (other["editor"].as_str(), other["default_version"].as_str()),
        (Some("an editor not yet named"), Some(edited.as_str()))
    );
    assert_eq!(f["RecordState"], "ACTIVE");
    assert_eq!(f["FindingProviderFields"]["Severity"]["Label"], "CRITICAL");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_document_that_skips_run_as_is_an_active_critical_finding_sharing_its_alerts_identity(
) {
    use crate::bypass::{commands_document, session_event, write};
    let w = World::new().await;
    w.write_policy(ENFORCE);
    let account = w.configured_and_swept().await;
    w.hub("enable", &account, WEST);
    write(
        &w,
        &account,
        WEST,
        "Elevated-Shell",
        &commands_document(true),
    )
    .await;
    let (code, out) = w.handle(&session_event(
        "CreateDocument",
        &account,
        WEST,
        "Elevated-Shell",
    ));
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let told = of_kind(&alerts, "run_as_bypass");
    assert_eq!(told.len(), 1, "{alerts:#?}");
    let found = w.findings(&account);
    let bypass = only(&found, "runas-guard/bypass");
    assert_eq!(bypass.len(), 1, "one alert, one finding: {found:#?}");
    let f = &bypass[0]["finding"];
    assert_eq!(
        crate::common::hub::triage(f),
        crate::common::hub::open("CRITICAL"),
        "{f:#}"
    );
    let alert_id = told[0]["message"]["alert_id"].as_str().unwrap();
    assert!(f["Id"].as_str().unwrap().ends_with(alert_id), "{f:#}");
    assert!(f["Resources"][0]["Id"]
        .as_str()
        .unwrap()
        .ends_with(":document/Elevated-Shell"));
    // Not news again, and later sweeps never re-send nor close it.
    let (code, out) = w.handle(&session_event(
        "UpdateDocumentDefaultVersion",
        &account,
        WEST,
        "Elevated-Shell",
    ));
    assert_eq!(code, 0, "{out:#}");
    w.swept();
    let found = w.findings(&account);
    let f = &only(&found, "runas-guard/bypass")[0]["finding"];
    assert_eq!(f["RecordState"], "ACTIVE", "{f:#}");
    assert_eq!(f["Compliance"]["Status"], "FAILED");
    assert_eq!(only(&found, "runas-guard/bypass").len(), 1);
}

/// The session ids a finding names (`session_<n>`).
fn named_sessions(f: &Value) -> Vec<String> {
    let other = &f["Resources"][0]["Details"]["Other"];
    (1..=20)
        .filter_map(|n| other[format!("session_{n}")].as_str())
        .map(String::from)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edits_window_sessions_are_read_once_for_its_alert_and_its_finding() {
    let w = World::new().await;
    w.write_policy(ENFORCE);
    let account = w.configured_and_swept().await;
    w.hub("enable", &account, WEST);
    // The event carries the edit's time (it is made with it), whenever it
    // arrives.
    let edit = doc_event_as("UpdateDocument", &account, WEST, "Breakglass", "mallory");
    w.console_edit(&account, WEST, "root").await;
    crate::sessions::tick().await;
    let during = w.start_session(&account, WEST, "mallory").await;
    let reads = || w.session_calls()["DescribeSessions"].as_u64().unwrap_or(0);
    let before = reads();
    let (code, out) = w.handle(&edit);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        reads() - before,
        2,
        "one page of each state (Active, History), for the alert and its finding together"
    );
    let alerts = w.alerts().await;
    let told = of_kind(&alerts, "drift_reverted");
    assert_eq!(told.len(), 1, "{alerts:#?}");
    let listed: Vec<&str> = told[0]["message"]["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["session_id"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&during.as_str()), "{:#}", told[0]);
    let found = w.findings(&account);
    let f = &only(&found, "runas-guard/edit")[0]["finding"];
    let named = named_sessions(f);
    assert_eq!(named.len(), listed.len(), "the same sessions: {f:#}");
    for (line, id) in named.iter().zip(&listed) {
        assert!(line.contains(id), "{line} names {id}");
    }
    // A quiet sweep reads none and sends no edit again.
    let imports = w.imports_in(&account, WEST);
    w.swept();
    assert_eq!(reads() - before, 2, "a quiet sweep reads none");
    assert_eq!(w.imports_in(&account, WEST), imports);
    assert_eq!(only(&w.findings(&account), "runas-guard/edit").len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_history_that_cannot_be_read_is_read_once_and_named_in_both_the_alert_and_the_finding() {
    let mut w = World::new().await;
    w.write_policy(ENFORCE);
    let account = w.configured_and_swept().await;
    w.hub("enable", &account, WEST);
    let proxy = w.behind_proxy();
    w.console_edit(&account, WEST, "root").await;
    proxy.faults(
        json!([{"name": "sessions", "service": "ssm", "action": "DescribeSessions",
        "status": 400, "code": "AccessDeniedException", "message": "not now"}]),
    );
    let edit = doc_event_as("UpdateDocument", &account, WEST, "Breakglass", "mallory");
    let (code, out) = w.handle(&edit);
    assert_eq!(code, 0, "{out:#}");
    let refused = proxy.hits()["sessions"]["hits"].as_u64().unwrap_or(0);
    assert!(
        (1..=2).contains(&refused),
        "one read (a page of each state at most): {}",
        proxy.hits()
    );
    let alerts = w.alerts().await;
    let told = of_kind(&alerts, "drift_reverted");
    assert_eq!(told.len(), 1, "{alerts:#?}");
    assert_eq!(
        told[0]["message"]["sessions_unread"], "AccessDeniedException",
        "{:#}",
        told[0]
    );
    let found = w.findings(&account);
    let f = &only(&found, "runas-guard/edit")[0]["finding"];
    let other = &f["Resources"][0]["Details"]["Other"];
    assert_eq!(other["sessions_unread"], "AccessDeniedException", "{f:#}");
    assert!(other.get("sessions_count").is_none(), "{f:#}");
}

/// A sweep that put back a root edit (a session started under it) and
/// died as far as the next run can tell: its record and its edit finding
/// refused, both asserted fired.
struct DeadSweep {
    w: World,
    proxy: crate::common::proxy::Proxy,
    account: String,
    edited: String,
    during: String,
    /// The sweep's `drift_reverted`'s `alert_id`.
    id: String,
    swept: std::time::Instant,
}

async fn dead_sweep() -> DeadSweep {
    let mut w = World::new().await;
    w.write_policy(ENFORCE);
    let account = w.configured_and_swept().await;
    w.hub("enable", &account, WEST);
    let proxy = w.behind_proxy();
    w.set_env("RUNAS_GUARD_CLAIM_LEASE_SECONDS", "2");
    // An edit whose event never came, and a session started under it.
    let edited = w.console_edit(&account, WEST, "root").await;
    crate::sessions::tick().await;
    let during = w.start_session(&account, WEST, "mallory").await;
    // The sweep that puts it back records nothing and its edit finding is
    // not taken: to the next run it is a run that died after its write.
    proxy.faults(json!([
        {"name": "record", "service": "dynamodb", "action": "UpdateItem",
         "contains": "last_trigger_id", "status": 400, "code": "AccessDeniedException",
         "message": "not now"},
        {"name": "edit", "service": "securityhub", "contains": "runas-guard/edit",
         "status": 400, "code": "AccessDeniedException", "message": "not now"}
    ]));
    let swept = std::time::Instant::now();
    w.handle(&sweep_event());
    let hits = proxy.hits();
    assert!(
        hits["record"]["hits"].as_u64() >= Some(1) && hits["edit"]["hits"].as_u64() >= Some(1),
        "{hits}"
    );
    let alerts = w.alerts().await;
    let first = of_kind(&alerts, "drift_reverted");
    assert_eq!(first.len(), 1, "the sweep told its put-back: {alerts:#?}");
    let id = first[0]["message"]["alert_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(only(&w.findings(&account), "runas-guard/edit").is_empty());
    DeadSweep {
        w,
        proxy,
        account,
        edited,
        during,
        id,
        swept,
    }
}

impl DeadSweep {
    /// After the write's lease, the faults gone: the next run may take it.
    fn lease_run_out(&self) {
        let left = std::time::Duration::from_secs(32).saturating_sub(self.swept.elapsed());
        std::thread::sleep(left);
        self.proxy.faults(json!([]));
    }

    /// The put-back's one `edit` finding: its own identity, open and
    /// critical, under the sweep's `alert_id`, naming the window's session;
    /// and a sweep after neither tells it nor sends it again.
    async fn is_one_edit_finding(&self) {
        let (w, account) = (&self.w, self.account.as_str());
        let found = w.findings(account);
        let edits = only(&found, "runas-guard/edit");
        assert_eq!(edits.len(), 1, "{found:#?}");
        let f = &edits[0]["finding"];
        assert_eq!(edits[0]["region"], WEST);
        assert!(
            f["Id"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/edit/{}", self.edited)),
            "the edit's own identity: {f:#}"
        );
        assert_eq!(
            crate::common::hub::triage(f),
            crate::common::hub::open("CRITICAL"),
            "{f:#}"
        );
        let other = &f["Resources"][0]["Details"]["Other"];
        assert_eq!(other["alert_id"], self.id.as_str());
        assert_eq!(other["run_as_default_user"], "root");
        assert!(
            named_sessions(f).iter().any(|s| s.contains(&self.during)),
            "{other:#}"
        );
        let imports = w.imports_in(account, WEST);
        w.swept();
        assert!(of_kind(&w.alerts().await, "drift_reverted").is_empty());
        assert_eq!(w.imports_in(account, WEST), imports);
        assert_eq!(only(&w.findings(account), "runas-guard/edit").len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_sweeps_put_back_found_at_the_next_record_is_its_edit_finding_once_with_its_windows_sessions(
) {
    let dead = dead_sweep().await;
    let w = &dead.w;
    assert!(w
        .state(&dead.account, WEST)
        .await
        .unwrap()
        .contains_key("intent"));

    // The next sweep, after the write's lease: its record finds the put-back.
    dead.lease_run_out();
    w.swept();
    let alerts = w.alerts().await;
    let told = of_kind(&alerts, "drift_reverted");
    assert_eq!(told.len(), 1, "{alerts:#?}");
    assert_eq!(told[0]["message"]["alert_id"], dead.id.as_str());
    dead.is_one_edit_finding().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_sweeps_put_back_found_by_an_events_record_is_its_edit_finding_once_with_its_windows_sessions(
) {
    let dead = dead_sweep().await;
    let w = &dead.w;
    // The edit's own event, after the write's lease: its run's record, not a
    // sweep's, finds the put-back, and sends its finding.
    dead.lease_run_out();
    let event = doc_event("UpdateDocumentDefaultVersion", &dead.account, WEST, "Admin");
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    assert!(
        out["accounts"][0]["security_hub"]["imported"].as_u64() >= Some(1),
        "the event's report says the finding was taken: {out:#}"
    );
    let alerts = w.alerts().await;
    assert!(
        of_kind(&alerts, "drift_reverted")
            .iter()
            .any(|a| a["message"]["alert_id"] == dead.id.as_str()),
        "{alerts:#?}"
    );
    dead.is_one_edit_finding().await;
}
