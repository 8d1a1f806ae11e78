//! A vend in a real organization, in the order things happen there, on the
//! shipped stacks with IAM enforced (tests/common/stacks.rs): the account
//! exists and its vend event arrives first; the member StackSet's instances
//! land later, region by region, and only then is the member role there
//! (AssumeRole of a role that does not exist is refused, as AWS refuses it).
//! The function runs with the deployed function's own environment; the
//! waiting schedule is compressed through its settings, never slept through.

use crate::common;

use std::time::{Duration, Instant};

use common::stacks::*;
use common::*;
use serde_json::{json, Value};

/// The organization: `accounts` new accounts, none with its member stack yet.
async fn vended(accounts: usize, policy: &str) -> Deployed {
    Deployed::new(Stage {
        hub_template: shipped("hub.yaml"),
        policy,
        accounts,
        member_now: None,
    })
    .await
}

/// The vend of `account` before its member stack: every row pending, exit 0.
fn vend_waits(w: &World, account: &str) {
    let (code, out) = w.handle(&vend_event(account));
    assert_eq!(code, 0, "waiting is not failing: {out:#}");
    assert!(actions(&out).iter().all(|a| a == "pending"), "{out:#}");
}

/// The local AWS refuses the member role while it does not exist, even to
/// an identity allowed everything (what this file's waiting rests on).
async fn assert_role_refused(w: &World, account: &str) {
    let refused = aws_sdk_sts::Client::new(&w.cfg)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/RunAsGuardExecution"))
        .role_session_name("probe")
        .send()
        .await;
    let err = format!("{:?}", refused.expect_err("no member role yet"));
    assert!(err.contains("AccessDenied"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vend_before_its_member_stack_waits_and_the_stack_instance_event_configures_it() {
    let mut d = vended(1, POLICY).await;
    d.w.set_env("RUNAS_GUARD_PENDING_DELAYS_SECONDS", "2");
    let (w, account) = (&d.w, d.members[0].clone());
    assert_role_refused(w, &account).await;

    vend_waits(w, &account);
    for region in REGIONS {
        let item = w.state(&account, region).await.expect("state recorded");
        assert_eq!(item["status"], "pending", "{region}: {item:?}");
    }
    assert_eq!(d.w.alert_kinds().await, Vec::<String>::new(), "no page");
    let scheduled = queued(&d, Duration::from_secs(40)).await;
    assert_eq!(
        scheduled.len(),
        1,
        "one re-attempt on its way: {scheduled:#?}"
    );

    // Minutes later the StackSet's instance lands in the role's region, and
    // its event configures every governed region in that invocation.
    deploy_member(w, &account, "us-east-1", &[]).await;
    let (code, out) = w.handle(&stack_landed(&account, "us-east-1", "instance-1"));
    assert_eq!(code, 0, "{out:#}");
    assert!(actions(&out).iter().all(|a| a == "created"), "{out:#}");
    assert_configured(w, &account).await;

    // The re-attempt scheduled before arrives after: nothing more to do or say.
    handled(w, scheduled);
    assert_eq!(d.w.alert_kinds().await, ["account_configured"]);
    assert!(
        queued(&d, Duration::from_secs(2)).await.is_empty(),
        "no further re-attempt once configured"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_stack_instance_event_lost_the_schedule_alone_configures_it() {
    let mut d = vended(1, POLICY).await;
    d.w.set_env("RUNAS_GUARD_PENDING_DELAYS_SECONDS", "1");
    let account = d.members[0].clone();
    vend_waits(&d.w, &account);

    // A first re-attempt before the stack lands waits again.
    let first = queued(&d, Duration::from_secs(30)).await;
    assert_eq!(first.len(), 1, "{first:#?}");
    handled(&d.w, first);
    assert_eq!(statuses(&d.w, &account).await, ["pending", "pending"]);

    // The stack lands; its event is lost. The next re-attempt configures it.
    deploy_member(&d.w, &account, "us-east-1", &[]).await;
    let second = queued(&d, Duration::from_secs(30)).await;
    assert_eq!(second.len(), 1, "the chain goes on: {second:#?}");
    assert!(
        second[0]["body"]
            .as_str()
            .unwrap()
            .contains("\"attempt\":2"),
        "{second:#?}"
    );
    handled(&d.w, second);
    assert_configured(&d.w, &account).await;
    assert_eq!(d.w.alert_kinds().await, ["account_configured"]);
    assert!(
        queued(&d, Duration::from_secs(3)).await.is_empty(),
        "the chain ends"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_check_documents_region_landing_after_the_roles_gets_its_association_then() {
    let policy = format!("{POLICY}[nodes]\ncheck_user = true\n");
    let d = vended(1, &policy).await;
    let (w, account) = (&d.w, d.members[0].clone());
    let check = [("RunAsUserCheck", "Enabled")];

    // The role's region lands before the vend is handled; eu-west-1 not yet.
    deploy_member(w, &account, "us-east-1", &check).await;
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    let row = |out: &Value, region: &str| -> Value {
        out["accounts"][0]["regions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["region"] == region && r["document"] == "RunAsGuard-CheckRunAsUser")
            .cloned()
            .unwrap_or_else(|| panic!("no check row in {region}: {out:#}"))
    };
    assert_eq!(row(&out, "us-east-1")["action"], "created", "{out:#}");
    let waiting = row(&out, "eu-west-1");
    assert_eq!(waiting["action"], "pending", "{out:#}");
    assert!(
        waiting["error"]
            .as_str()
            .unwrap()
            .contains("RunAsGuard-CheckRunAsUser"),
        "{waiting:#}"
    );
    assert_configured(w, &account).await;
    assert_eq!(
        d.w.alert_kinds().await,
        Vec::<String>::new(),
        "not configured until every region is"
    );

    // eu-west-1's instance lands: its event creates the association there.
    deploy_member(w, &account, "eu-west-1", &check).await;
    let (code, out) = w.handle(&stack_landed(&account, "eu-west-1", "instance-eu"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(row(&out, "eu-west-1")["action"], "created", "{out:#}");
    let listed = w
        .admin_ssm(&account, "eu-west-1")
        .await
        .list_associations()
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.associations().len(),
        1,
        "the check association in eu-west-1"
    );
    assert_eq!(d.w.alert_kinds().await, ["account_configured"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_stack_that_never_lands_is_pending_until_the_window_closes_then_fails_once() {
    let mut d = vended(1, POLICY).await;
    let account = d.members[0].clone();
    // The window: a few seconds more than the account has been in the
    // organization (it joined while the stacks were set up).
    let joined =
        d.w.org()
            .describe_account()
            .account_id(&account)
            .send()
            .await
            .unwrap()
            .account()
            .unwrap()
            .joined_timestamp()
            .unwrap()
            .secs();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let window = (now - joined + 6).max(6);
    d.w.set_env("RUNAS_GUARD_PENDING_WINDOW_SECONDS", &window.to_string());
    d.w.set_env("RUNAS_GUARD_PENDING_DELAYS_SECONDS", "1");

    vend_waits(&d.w, &account);
    let recorded = d.w.run(&["status", "--account", &account]);
    assert!(
        recorded.stdout.contains(&format!(
            "pending {account} us-east-1: awaiting the member stack since"
        )),
        "{}",
        recorded.stdout
    );
    let doctor =
        d.w.run(&["doctor", "--account", &account, "--format", "json"]);
    let role = doctor_item(&doctor.stdout, "role");
    assert_eq!(role["verdict"], "warn", "{role:#}");
    assert!(
        role["detail"].as_str().unwrap().contains("pending"),
        "{role:#}"
    );

    // Re-attempts follow the schedule until the window closes; the last one
    // fails and is not redelivered (on-call is told once, sweeps go on).
    let deadline = Instant::now() + Duration::from_secs(window as u64 + 30);
    let mut attempts = 0;
    while statuses(&d.w, &account).await == ["pending", "pending"] {
        assert!(Instant::now() < deadline, "still pending past the window");
        let records = queued(&d, Duration::from_secs(10)).await;
        assert_eq!(records.len(), 1, "one re-attempt at a time: {records:#?}");
        handled(&d.w, records);
        attempts += 1;
    }
    assert!(attempts >= 2, "re-attempted while waiting: {attempts}");
    assert_eq!(statuses(&d.w, &account).await, ["failed", "failed"]);
    let alerts = d.w.alerts().await;
    let failed = of_kind(&alerts, "remediation_failed");
    assert_eq!(failed.len(), 1, "{alerts:#?}");
    assert_eq!(alerts.len(), 1, "nothing else: {alerts:#?}");
    let said = failed[0]["message"]["errors"].to_string();
    for part in [
        "RunAsGuardExecution",
        "runas-guard-member",
        "RoleRegion",
        "the account joined",
    ] {
        assert!(said.contains(part), "{part} in {said}");
    }
    assert!(
        queued(&d, Duration::from_secs(3)).await.is_empty(),
        "the chain ends"
    );

    // doctor gives the same diagnosis.
    let doctor =
        d.w.run(&["doctor", "--account", &account, "--format", "json"]);
    let role = doctor_item(&doctor.stdout, "role");
    assert_eq!(role["verdict"], "fail", "{role:#}");
    assert!(
        role["fix"].as_str().unwrap().contains("runas-guard-member"),
        "{role:#}"
    );
}

fn doctor_item(stdout: &str, item: &str) -> Value {
    let list: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    list["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["item"] == item && c["scope"].as_str().unwrap().starts_with("account"))
        .cloned()
        .unwrap_or_else(|| panic!("no {item}: {list:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn baseline_events_configure_an_account_and_every_account_of_an_ou() {
    let d = Deployed::new(Stage {
        hub_template: shipped("hub.yaml"),
        policy: POLICY,
        accounts: 4,
        member_now: Some(&[]),
    })
    .await;
    let w = &d.w;
    let org = w.org().describe_organization().send().await.unwrap();
    let org = org.organization().unwrap().id().unwrap().to_string();
    let ou = w.create_ou(&w.root, "Sandbox").await;
    for account in &d.members[1..] {
        w.move_account(account, &w.root, &ou).await;
    }

    let (code, out) = w.handle(&baseline_applied(&d.members[0], &org, "baseline-1"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["trigger"]["trigger"], "baseline_applied", "{out:#}");
    assert_configured(w, &d.members[0]).await;

    // On the OU: its three accounts, one message each, each worked as a vend.
    let (code, out) = w.handle(&baseline_applied(&ou, &org, "baseline-2"));
    assert_eq!(
        (code, out["result"].as_str()),
        (0, Some("fanned_out")),
        "{out:#}"
    );
    let records = queued(&d, Duration::from_secs(10)).await;
    assert_eq!(records.len(), 3, "{out:#}\n{records:#?}");
    handled(w, records);
    for account in &d.members[1..] {
        assert_configured(w, account).await;
    }
    let mut kinds = d.w.alert_kinds().await;
    kinds.sort();
    assert_eq!(kinds, ["account_configured"; 4], "one per account");
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_accounts_vended_at_once_with_stacks_landing_in_any_order_are_each_configured_once()
{
    const N: usize = 20;
    let d = vended(N, POLICY).await;
    let w = &d.w;
    // A minute of vends: each pending, nobody paged.
    let vends: Vec<_> = d
        .members
        .iter()
        .map(|a| w.handle_in_background(&vend_event(a)))
        .collect();
    for v in vends {
        let run = v.join().unwrap();
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            actions(&run.json()).iter().all(|a| a == "pending"),
            "{}",
            run.stdout
        );
    }
    assert!(d.w.alert_kinds().await.is_empty());

    // The StackSet's instances land in an order of their own (a fixed
    // shuffle), a region's before or after the role's; each instance's event
    // arrives, some twice under the same id, some again under a new one,
    // handled four at a time.
    let mut landings: Vec<(usize, &str)> = (0..N)
        .flat_map(|i| REGIONS.iter().map(move |r| (i, *r)))
        .collect();
    let mut seed: u64 = 0x5eed;
    for i in (1..landings.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        landings.swap(i, (seed >> 33) as usize % (i + 1));
    }
    let mut events = Vec::new();
    for (n, (i, region)) in landings.iter().enumerate() {
        let account = &d.members[*i];
        deploy_member(w, account, region, &[]).await;
        let event = stack_landed(account, region, &format!("instance-{i}-{region}"));
        events.push(event.clone());
        if n % 3 == 0 {
            events.push(event.clone());
        }
        if n % 5 == 0 {
            let mut again = event;
            again["id"] = json!(format!("instance-{i}-{region}-again"));
            events.push(again);
        }
        if events.len() >= 4 {
            handle_all(w, std::mem::take(&mut events));
        }
    }
    handle_all(w, events);
    for account in &d.members {
        assert_configured(w, account).await;
    }
    // The re-attempts scheduled while waiting arrive late and change nothing.
    let late = queued(&d, Duration::from_secs(1)).await;
    if !late.is_empty() {
        handled(w, late);
    }

    let alerts = d.w.alerts().await;
    let configured = of_kind(&alerts, "account_configured");
    let mut told: Vec<&str> = configured
        .iter()
        .map(|a| a["message"]["account"].as_str().unwrap())
        .collect();
    told.sort();
    let mut want: Vec<&str> = d.members.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(
        told, want,
        "one account_configured per account: {alerts:#?}"
    );
    assert_eq!(alerts.len(), N, "no error alert: {alerts:#?}");
}

/// Events handled at once (as concurrent Lambda invocations are). Every
/// run succeeds: an event whose twin holds its claim answers `in_flight`
/// (exit 0, no function error); the twin finishes it.
fn handle_all(w: &World, events: Vec<Value>) {
    let runs: Vec<_> = events
        .iter()
        .map(|e| (e, w.handle_in_background(e)))
        .collect();
    for (event, run) in runs {
        let run = run.join().unwrap();
        assert_eq!(run.code, 0, "{event}\n{}\n{}", run.stdout, run.stderr);
    }
}
