//! An account's lives: a join and an enrolment each start one. An account
//! that joined long ago and is enrolled now (a Control Tower baseline, a
//! move into the member StackSet's targets) awaits its member stack from
//! the enrolment, as a new account does from its join; an account that
//! left the organization and joined again is configured as a new one, not
//! compared with its first life. Organizations' `JoinedTimestamp` is what
//! AWS answers for such accounts (a long-standing member; a rejoined one:
//! its latest join), set by the proxy since the local AWS cannot invite.
//! A region the policy drops and adds back is looked at afresh, too.

use crate::common;

use std::time::Duration;

use common::proxy::*;
use common::stacks::*;
use common::*;
use serde_json::{json, Value};

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `DescribeAccount` answers `joined` (epoch seconds) as each account's
/// `JoinedTimestamp`.
fn joined_at(proxy: &Proxy, accounts: &[&str], joined: i64) {
    let edits: Vec<Value> = accounts
        .iter()
        .map(|a| json!({"where": {"Id": a}, "set": {"JoinedTimestamp": joined}}))
        .collect();
    proxy.faults(json!([{"name": "joined", "service": "organizations",
        "action": "DescribeAccount", "effect": "rewrite", "edit": edits}]));
}

/// `DescribeAccount` answers `joined` as `account`'s `JoinedTimestamp`
/// (rule `joined`): it joined again then.
fn joined_described(account: &str, joined: i64) -> Value {
    json!({"name": "joined", "service": "organizations", "action": "DescribeAccount",
        "effect": "rewrite",
        "edit": [{"where": {"Id": account}, "set": {"JoinedTimestamp": joined}}]})
}

/// The same, and the sweep's walk lists it so too (rules `joined-<Action>`).
fn joined_listed(account: &str, joined: i64) -> Vec<Value> {
    ["DescribeAccount", "ListAccountsForParent", "ListAccounts"]
        .iter()
        .map(|action| {
            json!({"name": format!("joined-{action}"), "service": "organizations",
                "action": action, "effect": "rewrite",
                "edit": [{"where": {"Id": account}, "set": {"JoinedTimestamp": joined}}]})
        })
        .collect()
}

/// Every `UpdateDocument` refused (rule `refused`): a run's write fails
/// after it read the document.
fn update_refused() -> Value {
    json!({"name": "refused", "service": "ssm", "action": "UpdateDocument",
        "status": 400, "code": "AccessDeniedException", "message": "not now"})
}

/// The Organizations event of `account` joining again, with event id `id`.
fn joined_event(account: &str, id: &str) -> Value {
    let mut e = sample("account_vended.organizations-account-joined.json");
    e["id"] = json!(id);
    e["detail"]["serviceEventDetails"]["accountId"] = json!(account);
    e
}

/// Out of the organization, ec2-user is made the default in `region` (no
/// event: nobody governs it); a second later the account joins again. The
/// version made, and when it joined (epoch seconds).
async fn away_then_joined(w: &World, account: &str, region: &str) -> (String, i64) {
    let away = w.console_edit(account, region, "ec2-user").await;
    std::thread::sleep(Duration::from_millis(1100));
    (away, now_secs())
}

/// A Control Tower `EnableBaseline` on `account`, made now.
async fn enrolled_now(w: &World, account: &str, id: &str) -> Value {
    let org = w.org().describe_organization().send().await.unwrap();
    let org = org.organization().unwrap().id().unwrap().to_string();
    let mut e = baseline_applied(account, &org, id);
    e["detail"]["eventTime"] = json!(cloudtrail_now());
    e["time"] = json!(cloudtrail_now());
    e
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_enrolled_long_after_it_joined_awaits_its_member_stack_from_the_enrolment() {
    let mut d = Deployed::new(Stage {
        hub_template: shipped("hub.yaml"),
        policy: POLICY,
        accounts: 2,
        member_now: None,
    })
    .await;
    d.w.set_env("RUNAS_GUARD_PENDING_DELAYS_SECONDS", "1");
    let (old, enrolled) = (d.members[0].clone(), d.members[1].clone());
    let proxy = d.w.behind_proxy();
    joined_at(&proxy, &[&old, &enrolled], now_secs() - 3 * 86_400);

    // The control: a run with no enrolment of an account that joined three
    // days ago and has no member stack fails, as before.
    let (code, out) = d.w.handle(&vend_event(&old));
    assert_ne!(code, 0, "{out:#}");
    assert!(actions(&out).iter().all(|a| a == "failed"), "{out:#}");
    assert!(
        out.to_string().contains("the account joined"),
        "what to check says since when: {out:#}"
    );
    assert_eq!(d.w.alert_kinds().await, ["remediation_failed"]);

    // Enrolled now: it waits, nobody is paged.
    let (code, out) = d.w.handle(&enrolled_now(&d.w, &enrolled, "enrol-1").await);
    assert_eq!(code, 0, "waiting is not failing: {out:#}");
    assert!(actions(&out).iter().all(|a| a == "pending"), "{out:#}");
    assert!(
        out.to_string().contains("the account was enrolled then"),
        "{out:#}"
    );
    assert!(proxy.hits()["joined"]["changed"].as_u64().unwrap() >= 2);
    assert_eq!(d.w.alert_kinds().await, Vec::<String>::new(), "no page");

    // Its re-attempt, whose own message carries no enrolment, waits too:
    // the enrolment was kept.
    let first = queued(&d, Duration::from_secs(30)).await;
    assert_eq!(first.len(), 1, "{first:#?}");
    handled(&d.w, first);
    assert_eq!(statuses(&d.w, &enrolled).await, ["pending", "pending"]);
    assert_eq!(d.w.alert_kinds().await, Vec::<String>::new(), "no page");

    // The member stack lands: configured, told once.
    deploy_member(&d.w, &enrolled, "us-east-1", &[]).await;
    let (code, out) =
        d.w.handle(&stack_landed(&enrolled, "us-east-1", "instance-1"));
    assert_eq!(code, 0, "{out:#}");
    assert_configured(&d.w, &enrolled).await;
    assert_eq!(d.w.alert_kinds().await, ["account_configured"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejoined_account_is_configured_as_a_new_one_and_told_once() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();

    // The control, in its first life: an edit no event brought, found by a
    // vend-like run, is drift put back (and no second account_configured).
    w.console_edit(&account, "eu-west-1", "ec2-user").await;
    let (code, out) = w.handle(&ct_event(&account, &w.root));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(w.alert_kinds().await, ["drift_reverted"]);

    // It leaves the organization; meanwhile its documents change (nobody
    // governs them); it joins again: Organizations says it joined now.
    for region in REGIONS {
        w.console_edit(&account, region, "admin").await;
    }
    std::thread::sleep(Duration::from_millis(1100));
    let joined = now_secs();
    joined_at(&proxy, &[&account], joined);
    let (code, out) = w.handle(&joined_event(&account, "rejoined-1"));
    assert_eq!(code, 0, "{out:#}");
    assert!(proxy.hits()["joined"]["changed"].as_u64().unwrap() >= 1);
    assert_configured(&w, &account).await;
    let alerts = w.alerts().await;
    assert_eq!(
        of_kind(&alerts, "account_configured").len(),
        alerts.len(),
        "a new life, not its first one's drift: {alerts:#?}"
    );
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let m = &alerts[0]["message"];
    let at = runas_guard::domain::clock::from_millis(joined * 1000);
    assert_eq!(
        m["joined"],
        runas_guard::domain::clock::iso(at),
        "when it joined: {m:#}"
    );

    // The same life's next vend-like events (the event again, Control
    // Tower's own): configured already, nothing said.
    for e in [
        joined_event(&account, "rejoined-2"),
        ct_event(&account, &w.root),
    ] {
        let (code, out) = w.handle(&e);
        assert_eq!(code, 0, "{out:#}");
    }
    assert_eq!(w.alert_kinds().await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_region_added_back_to_the_policy_is_looked_at_afresh() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;

    // eu-west-1 is dropped; the next sweep lets its items go.
    w.write_policy_regions(&["us-east-1"]);
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert!(w.state(&account, "eu-west-1").await.is_none(), "forgotten");
    assert!(w.state(&account, "us-east-1").await.is_some(), "kept");
    w.alerts().await;

    // While nobody governs it, its document changes; a governed region's
    // is edited too, with no event either (the control: that one is told).
    w.console_edit(&account, "eu-west-1", "admin").await;
    w.console_edit(&account, "us-east-1", "admin").await;

    // eu-west-1 is governed again: put right as a first look, not blamed.
    w.write_policy_regions(&["us-east-1", "eu-west-1"]);
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert_configured(&w, &account).await;
    let alerts = w.alerts().await;
    let reverted = of_kind(&alerts, "drift_reverted");
    assert_eq!(reverted.len(), 1, "{alerts:#?}");
    assert_eq!(reverted[0]["message"]["region"], "us-east-1", "{alerts:#?}");
    let item = w
        .state(&account, "eu-west-1")
        .await
        .expect("recorded again");
    assert_eq!(item["desired_user"], "ssm-ops", "{item:?}");

    // Steady again: nothing forgotten, nothing told.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert!(w.alerts().await.is_empty());
    assert!(w.state(&account, "eu-west-1").await.is_some());
}

/// Simulation seed 12 (issue 61): a rejoined account's join run finds no
/// member role yet and records its regions `pending` (no version read);
/// after the stack lands an editor sets Run As to root and back before any
/// run looks. The next run has no recorded version to start a gap from:
/// it reads the versions made since the join and tells root's window once,
/// never a version made while the account was out of the organization (the
/// control: `admin`, set then).
/// `account` rejoins (its `JoinedTimestamp` now, after `admin` is made
/// the default while it was out) before its member stack is there: its
/// join's run records `region` `pending`, no version, no page. The version
/// made while out, and the proxy's rule for the join (to keep).
async fn rejoined_pending(
    w: &World,
    proxy: &Proxy,
    account: &str,
    region: &str,
) -> (String, Value) {
    // Out of the organization: its document changes, nobody governs it.
    let away = w.console_edit(account, region, "admin").await;
    std::thread::sleep(Duration::from_millis(1100));
    let join_rewrite = joined_described(account, now_secs());
    proxy.faults(json!([join_rewrite.clone(), member_role_refused()]));
    let event = joined_event(account, "rejoined-pending");
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "waiting is not failing: {out:#}");
    assert!(
        proxy.hits()["no-role"]["hits"].as_u64().unwrap_or(0) >= 1,
        "the refusal fired"
    );
    let item = w.state(account, region).await.expect("recorded");
    assert_eq!(item["status"], "pending", "{item:?}");
    assert!(
        !item.contains_key("default_version"),
        "no version read: {item:?}"
    );
    assert_eq!(w.alert_kinds().await, Vec::<String>::new(), "no page");
    (away, join_rewrite)
}

/// The one `run_as_window` alert of `alerts`, and the versions it tells.
fn one_window(alerts: &[Value]) -> Vec<String> {
    let windows = of_kind(alerts, "run_as_window");
    assert_eq!(windows.len(), 1, "told once: {alerts:#?}");
    windows[0]["message"]["windows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["version"].as_str().map(String::from))
        .collect()
}

/// The policy's user made the default and its switch's event handled: the
/// run tells `root`'s window once (never `away`, another life's version) and
/// records the right version.
async fn told_once_and_put_right(
    w: &World,
    (account, region): (&str, &str),
    root: &str,
    away: &str,
) {
    let right = w.console_edit(account, region, "ssm-ops").await;
    let mut edit = doc_event("UpdateDocumentDefaultVersion", account, region, "Admin");
    edit["detail"]["requestParameters"]["documentVersion"] = json!(right);
    let (code, out) = w.handle(&edit);
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    assert_eq!(one_window(&alerts), [root], "never {away}, another life's");
    let item = w.state(account, region).await.unwrap();
    assert_eq!(item["default_version"], right, "{item:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejoined_accounts_versions_since_its_join_are_told_after_its_pending_rows() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let region = REGIONS[0];
    let (away, join_rewrite) = rejoined_pending(&w, &proxy, &account, region).await;

    // The stack lands; root is set and put right before any run looks.
    proxy.faults(json!([join_rewrite]));
    std::thread::sleep(Duration::from_millis(1100));
    let root = w.console_edit(&account, region, "root").await;
    told_once_and_put_right(&w, (&account, region), &root, &away).await;
    assert!(proxy.hits()["joined"]["changed"].as_u64().unwrap() >= 1);

    // Told once: the same history read again tells nothing.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let again = w.alerts().await;
    assert!(of_kind(&again, "run_as_window").is_empty(), "{again:#?}");
}

/// Simulation seed 900103: a rejoined account whose join's event was lost
/// has no row of its present life, only its former life's. An editor sets
/// root after the join and puts it right; the switch's run is the first to
/// look in this life. It reads the versions made since the join and tells
/// root's window once (never `away`, made while the account was out);
/// until 0.19.0 it took the slot for a first look and recorded past root
/// untold. The sweep after tells nothing again.
#[tokio::test(flavor = "multi_thread")]
async fn a_rejoined_accounts_first_look_tells_the_versions_made_since_its_join() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let region = REGIONS[0];
    let before = w
        .state(&account, region)
        .await
        .expect("its former life's row");
    let (away, joined) = away_then_joined(&w, &account, region).await;
    // The join's event is lost: nothing runs until the editor's switch.
    proxy.faults(json!(joined_listed(&account, joined)));
    std::thread::sleep(Duration::from_millis(1100));
    let root = w.console_edit(&account, region, "root").await;
    told_once_and_put_right(&w, (&account, region), &root, &away).await;
    assert!(
        proxy.hits()["joined-DescribeAccount"]["changed"]
            .as_u64()
            .unwrap()
            >= 1
    );
    assert_ne!(
        w.state(&account, region).await.unwrap()["last_checked"],
        before["last_checked"],
        "recorded in its present life"
    );

    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let again = w.alerts().await;
    assert!(of_kind(&again, "run_as_window").is_empty(), "{again:#?}");
}

/// The same slot, recorded without a version, then a run there that fails
/// (every SSM read refused: an admin who throttles the guard's calls in
/// their own account-region can make it so) while root is set; the
/// failed record keeps the look (`looked`), so once the reads succeed the
/// next run reads the versions made since and tells root's window once.
/// Until 0.13.0 a failed record over such a slot read as a first look:
/// nothing was read and the record moved past root untold (simulation seed
/// 900003, `aimed`). The control: the failed record still keeps no version.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_failed_after_a_look_without_a_version_leaves_the_versions_made_since_to_the_next_run(
) {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let region = REGIONS[0];
    let (away, join_rewrite) = rejoined_pending(&w, &proxy, &account, region).await;
    let looked = w.state(&account, region).await.unwrap();
    assert!(
        looked.contains_key("looked"),
        "the pending look: {looked:?}"
    );

    let throttled = |action: &str| {
        json!({"name": action, "service": "ssm", "action": action, "status": 400,
            "code": "ThrottlingException", "message": "Rate exceeded"})
    };
    let refused = [throttled("GetDocument"), throttled("DescribeDocument")];
    proxy.faults(json!([join_rewrite.clone(), refused[0], refused[1]]));
    std::thread::sleep(Duration::from_millis(1100));
    let root = w.console_edit(&account, region, "root").await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, region, "Admin"));
    assert_ne!(code, 0, "failed, for EventBridge to retry: {out:#}");
    let hits = proxy.hits();
    let fired = |action: &str| hits[action]["hits"].as_u64().unwrap_or(0);
    assert!(
        fired("GetDocument") + fired("DescribeDocument") >= 1,
        "the refusal fired: {hits}"
    );
    let item = w.state(&account, region).await.unwrap();
    assert_eq!(item["status"], "failed", "{item:?}");
    assert!(!item.contains_key("default_version"), "{item:?}");

    proxy.faults(json!([join_rewrite]));
    told_once_and_put_right(&w, (&account, region), &root, &away).await;
}

/// A rejoined account's vend whose re-attempts ended before its member
/// stack came (the re-attempt's `VEND` write refused: simulation seed
/// 500023) leaves this life's rows `pending`; the sweep that configures it
/// finishes that vend and says `account_configured`, once (unreleased).
/// The control: the same account's first-life sweep that fixes an edit,
/// and the new life's next one, say no `account_configured`.
#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_that_finishes_a_pending_vend_says_the_account_configured_once() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let region = REGIONS[0];

    // The control, in its first life: a sweep's fix is drift, not a vend.
    w.console_edit(&account, region, "admin").await;
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let kinds = w.alert_kinds().await;
    assert!(
        !kinds.iter().any(|k| k == "account_configured"),
        "{kinds:?}"
    );
    assert!(kinds.iter().any(|k| k == "drift_reverted"), "{kinds:?}");

    // It leaves; its document changes; it joins again before its member
    // stack is there: pending, no page (no queue here: no re-attempt).
    w.console_edit(&account, region, "ec2-user").await;
    std::thread::sleep(Duration::from_millis(1100));
    let joined = now_secs();
    // Organizations says it joined now, as the sweep's walk lists it too.
    let join_rewrite = joined_listed(&account, joined);
    let mut rules = join_rewrite.clone();
    rules.push(member_role_refused());
    proxy.faults(json!(rules));
    let event = joined_event(&account, "rejoined-unfinished");
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "waiting is not failing: {out:#}");
    assert!(
        proxy.hits()["no-role"]["hits"].as_u64().unwrap_or(0) >= 1,
        "the refusal fired"
    );
    let item = w.state(&account, region).await.expect("recorded");
    assert_eq!(item["status"], "pending", "{item:?}");
    assert_eq!(w.alert_kinds().await, Vec::<String>::new(), "no page");

    // The stack lands; no re-attempt comes: the sweep configures it.
    proxy.faults(json!(join_rewrite));
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let hits = proxy.hits();
    let listed = ["joined-ListAccountsForParent", "joined-ListAccounts"]
        .iter()
        .map(|r| hits[*r]["changed"].as_u64().unwrap_or(0))
        .sum::<u64>();
    assert!(listed >= 1, "the walk listed the new join: {hits:#}");
    assert_configured(&w, &account).await;
    let alerts = w.alerts().await;
    let configured = of_kind(&alerts, "account_configured");
    assert_eq!(configured.len(), 1, "the vend finished, told: {alerts:#?}");
    assert_eq!(configured[0]["message"]["account"], json!(account));

    // The same life's next fix: drift again, never configured twice.
    w.console_edit(&account, region, "root").await;
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let kinds = w.alert_kinds().await;
    assert!(
        !kinds.iter().any(|k| k == "account_configured"),
        "{kinds:?}"
    );
    assert!(kinds.iter().any(|k| k == "drift_reverted"), "{kinds:?}");
}

/// Simulation seed 600483: an account left the organization; while it was
/// out its admin made ec2-user the default (no event: nobody governed it). It
/// joins again, and the join's event is lost. The first run of its new
/// life is an edit event of the admin's (a new version, not made the
/// default): its put-back of that default configures the new life and says so
/// (`account_configured`, once), never blaming the admin for another
/// life's default (since 0.7.6). The control, in its first life: the same
/// edit over a root default the admin set is the admin's drift.
#[tokio::test(flavor = "multi_thread")]
async fn an_edit_events_put_back_of_a_default_set_while_the_account_was_out_configures_its_new_life(
) {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let region = REGIONS[0];

    // The control: root set in this life, then another edit's event.
    w.console_edit(&account, region, "root").await;
    let event = edit_not_made_default(&w, &account, region, "alice").await;
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let kinds: Vec<&str> = alerts
        .iter()
        .filter_map(|a| a["message"]["kind"].as_str())
        .collect();
    // (alice's version, made since the record and not the default, may
    // have been the default in between: told as a possible window beside.)
    let reverted = of_kind(&alerts, "drift_reverted");
    assert_eq!(reverted.len(), 1, "{alerts:#?}");
    assert_eq!(reverted[0]["message"]["before"]["runAsDefaultUser"], "root");
    assert!(!kinds.contains(&"account_configured"), "{kinds:?}");

    let (event, alerts) = edit_after_rejoin(&w, &proxy, &account, region, &[]).await;
    let kinds: Vec<&str> = alerts
        .iter()
        .filter_map(|a| a["message"]["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["account_configured"],
        "not the admin's drift: {alerts:#?}"
    );

    // The same event again, and the sweep: the life is configured, told once.
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let again = w.alerts().await;
    assert!(
        of_kind(&again, "account_configured").is_empty()
            && of_kind(&again, "drift_reverted").is_empty(),
        "{again:#?}"
    );
}

/// Out of the organization, ec2-user is made the default (no event: nobody
/// governs it); the account joins again; an admin's edit (not made the
/// default) comes, with `faults` beside. Its event, once its run read the
/// join and when the default was made, and left the account configured;
/// and the alerts it told.
async fn edit_after_rejoin(
    w: &World,
    proxy: &Proxy,
    account: &str,
    region: &str,
    faults: &[Value],
) -> (Value, Vec<Value>) {
    let (away, joined) = away_then_joined(w, account, region).await;
    let mut rules = vec![
        joined_described(account, joined),
        // The run reads the default it found by number only to ask when it
        // was made (its observation reads the default unnumbered).
        json!({"name": "created", "service": "ssm", "action": "GetDocument", "effect": "count",
         "contains": format!("\"DocumentVersion\":\"{away}\"")}),
    ];
    rules.extend(faults.iter().cloned());
    proxy.faults(Value::Array(rules));

    let event = edit_not_made_default(w, account, region, "bob").await;
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    assert!(proxy.hits()["joined"]["changed"].as_u64().unwrap() >= 1);
    assert!(
        proxy.hits()["created"]["hits"].as_u64().unwrap_or(0) >= 1,
        "when the default was made was read"
    );
    assert_configured(w, account).await;
    (event, w.alerts().await)
}

/// Simulation seeds 630395 and 635861: the same edit's run cannot read the
/// account's rows (refused past the SDK's retries). The slot's own item,
/// which its history reads instead, says this life recorded nothing there:
/// the put-back of the default set while the account was out configures
/// its new life; the admin is not blamed for it (since 0.7.7).
#[tokio::test(flavor = "multi_thread")]
async fn an_edit_whose_rows_are_refused_still_tells_another_lifes_default_as_the_lifes_configuration(
) {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let rows = json!({"name": "rows", "service": "dynamodb", "action": "Query",
        "contains": format!("ACCOUNT#{account}"), "status": 500, "code": "InternalServerError",
        "protocol": "json", "message": "We encountered an internal error"});
    let (_, alerts) = edit_after_rejoin(&w, &proxy, &account, REGIONS[0], &[rows]).await;
    assert!(
        proxy.hits()["rows"]["hits"].as_u64().unwrap_or(0) >= 1,
        "the rows' refusal fired: {}",
        proxy.hits()
    );
    let kinds: Vec<&str> = alerts
        .iter()
        .filter_map(|a| a["message"]["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["account_configured"], "{alerts:#?}");
}

/// An admin's edit that makes a new version with `user` without making it
/// the default, and its event.
async fn edit_not_made_default(w: &World, account: &str, region: &str, user: &str) -> Value {
    let mut doc = w.document(account, region).await.unwrap().0;
    doc["inputs"]["runAsDefaultUser"] = json!(user);
    let made = w.admin_write(account, region, &doc, false).await;
    let mut e = doc_event("UpdateDocument", account, region, "Admin");
    e["detail"]["responseElements"]["documentDescription"]["documentVersion"] = json!(made);
    e
}

/// Simulation seed 630463: a rejoined account's join run reads its
/// document and fails to write (its record `failed`, which keeps the
/// version recorded before it: the former life's). Root is then set and
/// put right before any run looks. The next run reads the versions since
/// that kept version, but judges only those made since the join: root's
/// window is told, never the default set while the account was out (its
/// new life's configuration, not a window of it; since 0.7.6).
#[tokio::test(flavor = "multi_thread")]
async fn a_rejoined_accounts_failed_first_record_reads_no_window_of_its_former_life() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let region = REGIONS[0];

    let (away, joined) = away_then_joined(&w, &account, region).await;
    let join_rewrite = joined_described(&account, joined);
    let refused = update_refused();
    proxy.faults(json!([join_rewrite.clone(), refused]));
    let event = joined_event(&account, "rejoined-failing");
    let (_code, out) = w.handle(&event);
    assert!(
        proxy.hits()["refused"]["hits"].as_u64().unwrap_or(0) >= 1,
        "the write was refused: {out:#}"
    );
    let item = w.state(&account, region).await.expect("recorded");
    assert_eq!(item["status"], "failed", "{item:?}");
    assert_ne!(
        item["default_version"], away,
        "the former life's version kept: {item:?}"
    );
    w.alerts().await;

    // Root is set and put right before any run looks.
    proxy.faults(json!([join_rewrite]));
    std::thread::sleep(Duration::from_millis(1100));
    let root = w.console_edit(&account, region, "root").await;
    let right = w.console_edit(&account, region, "ssm-ops").await;
    let mut edit = doc_event("UpdateDocumentDefaultVersion", &account, region, "Admin");
    edit["detail"]["requestParameters"]["documentVersion"] = json!(right);
    let (code, out) = w.handle(&edit);
    assert_eq!(code, 0, "{out:#}");

    let alerts = w.alerts().await;
    let windows = of_kind(&alerts, "run_as_window");
    let told: Vec<&str> = windows
        .iter()
        .flat_map(|a| a["message"]["windows"].as_array().into_iter().flatten())
        .filter_map(|w| w["version"].as_str())
        .collect();
    assert_eq!(
        told,
        [root.as_str()],
        "never {away}, set while it was out: {alerts:#?}"
    );
}

/// Simulation seed 630014: a rejoined account (its join's event lost)
/// whose first sweep of the new life reads its document and fails to
/// write: the record keeps the version before it, the former life's. The
/// next sweep puts back the default set while the account was out. Judged
/// against that kept version it looked like someone's change, told as
/// drift, and the new life was never said configured; now the default is
/// asked when it was made: before the join, so this is the life's
/// configuration, told once (since 0.7.6).
#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_past_a_failed_first_record_of_a_new_life_says_it_configured_not_drift() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let proxy = w.behind_proxy();
    let region = REGIONS[0];

    let (away, joined) = away_then_joined(&w, &account, region).await;
    // Organizations says it joined now, as the sweep's walk lists it too.
    let join_rewrite = joined_listed(&account, joined);
    let refused = update_refused();
    let mut rules = join_rewrite.clone();
    rules.push(refused);
    proxy.faults(json!(rules));
    let (_code, out) = w.handle(&sweep_event());
    assert!(
        proxy.hits()["refused"]["hits"].as_u64().unwrap_or(0) >= 1,
        "the write was refused: {out:#}"
    );
    let item = w.state(&account, region).await.expect("recorded");
    assert_eq!(item["status"], "failed", "{item:?}");
    assert_ne!(
        item["default_version"], away,
        "the former life's version kept: {item:?}"
    );
    w.alerts().await;

    let created = json!({"name": "created", "service": "ssm", "action": "GetDocument",
        "effect": "count", "contains": format!("\"DocumentVersion\":\"{away}\"")});
    let mut rules = join_rewrite;
    rules.push(created);
    proxy.faults(json!(rules));
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert!(
        proxy.hits()["created"]["hits"].as_u64().unwrap_or(0) >= 1,
        "when the default was made was read"
    );
    assert_configured(&w, &account).await;
    let kinds = w.alert_kinds().await;
    let told: Vec<&str> = kinds
        .iter()
        .map(String::as_str)
        .filter(|k| *k != "sweep_summary")
        .collect();
    assert_eq!(told, ["account_configured"], "not drift: {kinds:?}");

    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let again = w.alert_kinds().await;
    assert!(
        !again
            .iter()
            .any(|k| k == "account_configured" || k == "drift_reverted"),
        "{again:?}"
    );
}

/// Simulation seeds 632346 and 631534: a rejoined account's join run
/// writes the new life's version and dies before making it the default
/// (its intent stays; the Lambda's deadline). The event of that write, our
/// own, comes once the write lease ran out, and its run finishes the write:
/// the default it replaces was set while the account was out, so it is the
/// new life's configuration (`account_configured`), not drift "found by
/// the event of runas-guard's own write" (since 0.7.7).
#[tokio::test(flavor = "multi_thread")]
async fn our_own_writes_event_finishing_a_dead_joins_write_configures_the_new_life() {
    let mut w = World::new().await;
    let account = w.configured_and_swept().await;
    let region = REGIONS[0];
    let (away, joined) = away_then_joined(&w, &account, region).await;
    let away: u32 = away.parse().unwrap();
    let proxy = w.behind_proxy();
    proxy.faults(json!([
        joined_described(&account, joined),
        {"name": "promote", "service": "ssm", "region": region,
         "action": "UpdateDocumentDefaultVersion", "effect": "hold", "hold_timeout": 120}
    ]));
    let join = joined_event(&account, "rejoined-dead");
    let written = killed_at_hold(&w, &proxy, &join, "promote");
    drop(proxy);
    let (_, default, latest) = w.document(&account, region).await.unwrap();
    assert_eq!(
        default,
        away.to_string(),
        "the dead run's version is not the default"
    );
    assert_eq!(latest, (away + 1).to_string());
    assert!(w
        .state(&account, region)
        .await
        .unwrap()
        .contains_key("intent"));
    assert!(w.alerts().await.is_empty());

    // Its write's event, once the write lease ran out.
    let proxy = w.behind_proxy();
    proxy.faults(json!([
        joined_described(&account, joined),
        {"name": "created", "service": "ssm", "action": "GetDocument", "effect": "count",
         "contains": format!("\"DocumentVersion\":\"{away}\"")}
    ]));
    std::thread::sleep(Duration::from_secs(32).saturating_sub(written.elapsed()));
    let mut own = doc_event("UpdateDocument", &account, region, "RunAsGuardExecution");
    own["detail"]["responseElements"]["documentDescription"]["documentVersion"] =
        json!(latest.clone());
    let (code, out) = w.handle(&own);
    assert_eq!(code, 0, "{out:#}");
    assert!(
        proxy.hits()["created"]["hits"].as_u64().unwrap_or(0) >= 1,
        "when the replaced default was made was read: {}",
        proxy.hits()
    );
    let (doc, default, _) = w.document(&account, region).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));
    assert_eq!(default, latest, "the dead run's write finished");
    let alerts = w.alerts().await;
    let kinds: Vec<&str> = alerts
        .iter()
        .filter_map(|a| a["message"]["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["account_configured"], "not drift: {alerts:#?}");
}
