//! What a member StackSet update costs one account, counted at the proxy:
//! CloudFormation announces each account-region's instance with its own
//! event, so a 17-region update sends 17 (delivered at least once, in any
//! order). The events of one account pass one gate: a burst costs about one
//! steady sweep of the account. An account that no longer waits looks only
//! at the regions the events name; one that still waits gets every region,
//! as its vend would. Counts, never timings.

use crate::common;

use common::proxy::*;
use common::*;
use serde_json::{json, Value};

const COUNTED: [(&str, &str); 8] = [
    ("sts", "AssumeRole"),
    ("ssm", "DescribeDocument"),
    ("ssm", "GetDocument"),
    ("ssm", "CreateDocument"),
    ("ssm", "UpdateDocument"),
    ("ssm", "UpdateDocumentDefaultVersion"),
    ("dynamodb", "UpdateItem"),
    ("sns", "Publish"),
];

fn count(proxy: &Proxy, name: &str) -> u64 {
    proxy.hits()[name]["hits"].as_u64().unwrap_or(0)
}

/// The update's 17 events, each delivered once more, reordered (a fixed
/// shuffle: every region's twin far from it).
fn update_events(account: &str) -> Vec<Value> {
    let mut events: Vec<Value> = REGIONS_17
        .iter()
        .enumerate()
        .map(|(i, r)| stack_landed(account, r, &format!("update-{i}")))
        .collect();
    events.reverse();
    let twins: Vec<Value> = events.iter().step_by(4).cloned().collect();
    events.extend(twins);
    events.rotate_left(5);
    events
}

/// Delivers `events` at once, as EventBridge invokes the function for a
/// burst: each delivery its own process.
fn deliver_at_once(w: &World, events: &[Value]) -> Vec<(i32, Value)> {
    std::thread::scope(|scope| {
        let runs: Vec<_> = events.iter().map(|e| scope.spawn(|| w.handle(e))).collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    })
}

fn regions_of(out: &Value) -> Vec<String> {
    out["accounts"][0]["regions"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| r["region"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stack_set_update_of_a_settled_account_costs_about_one_sweep() {
    let (w, proxy, account) = world_behind_proxy().await;
    w.write_policy_regions(&REGIONS_17);
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(w.alert_kinds().await, ["account_configured"]);

    // The first instance's event runs at once (a lone event is never held
    // back); its session is held at the proxy while the rest of the burst
    // arrives, each taking a ticket at the gate: they all come while a run
    // is under way, as they do when CloudFormation updates the regions in
    // parallel.
    let mut rules = vec![
        json!({"name": "first-session", "service": "sts", "action": "AssumeRole",
            "contains": "role/RunAsGuardExecution", "effect": "hold", "times": 1}),
        json!({"name": "tickets", "service": "dynamodb", "action": "UpdateItem",
            "contains": "waiting :region", "effect": "count"}),
    ];
    rules.extend(counters(&COUNTED).as_array().unwrap().iter().cloned());
    proxy.faults(Value::Array(rules));
    let events = update_events(&account);
    let first = events.iter().position(|e| e["id"] == "update-0").unwrap();
    let world = &w;
    let lone_event = &events[first];
    let (result, waiting) = std::thread::scope(|scope| {
        let lone = scope.spawn(move || world.handle(lone_event));
        assert!(
            proxy.wait("first-session", "held", 1, 60),
            "{:#}",
            proxy.hits()
        );
        let rest: Vec<Value> = events
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != first)
            .map(|(_, e)| e.clone())
            .collect();
        let rest = scope.spawn(move || deliver_at_once(world, &rest));
        let others = REGIONS_17.len() - 1;
        assert!(
            proxy.wait("tickets", "hits", others, 60),
            "{:#}",
            proxy.hits()
        );
        proxy.release("first-session");
        (lone.join().unwrap(), rest.join().unwrap())
    });
    let mut results = vec![result];
    results.extend(waiting);

    let mut looked: Vec<String> = vec![];
    let mut runs = 0;
    for (code, out) in &results {
        assert_eq!(*code, 0, "{out:#}");
        match out["result"].as_str().unwrap() {
            "done" => {
                runs += 1;
                looked.extend(regions_of(out));
            }
            "coalesced" | "duplicate" | "in_flight" => {}
            other => panic!("{other}: {out:#}"),
        }
    }
    looked.sort();
    let mut want: Vec<String> = REGIONS_17.iter().map(|r| r.to_string()).collect();
    want.sort();
    assert_eq!(looked, want, "every region looked at once, by {runs} runs");

    let sessions = count(&proxy, "sts:AssumeRole") + count(&proxy, "first-session");
    let reads = count(&proxy, "ssm:DescribeDocument") + count(&proxy, "ssm:GetDocument");
    // A steady sweep of this account: one session and two reads a region.
    let sweep = 1 + 2 * REGIONS_17.len() as u64;
    let calls = sessions + reads;
    println!(
        "17-region update, {} deliveries: {runs} runs, {sessions} sessions, {reads} document reads = {calls} calls; a steady sweep of the account: {sweep} ({:.2}x, target 1.10x)",
        events.len(),
        calls as f64 / sweep as f64
    );
    assert_eq!(runs, 2, "the lone first event's run, then the burst's");
    assert_eq!(sessions, 2, "one session a run");
    assert_eq!(reads, 2 * REGIONS_17.len() as u64, "each region read once");
    assert!(calls * 10 <= sweep * 11, "{calls} calls against {sweep}");
    for write in [
        "ssm:CreateDocument",
        "ssm:UpdateDocument",
        "ssm:UpdateDocumentDefaultVersion",
        "sns:Publish",
    ] {
        assert_eq!(count(&proxy, write), 0, "{write}: nothing to change");
    }
    let writes = count(&proxy, "dynamodb:UpdateItem") + count(&proxy, "tickets");
    println!("  {writes} UpdateItem for {} deliveries", events.len());
    // Per delivery its receipt's claim and close, and its gate's claim,
    // ticket and a claim after the wait: never a row per region.
    assert!(writes <= 6 * events.len() as u64, "{:#}", proxy.hits());
    assert!(w.alerts().await.is_empty(), "nothing to tell");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_region_edited_behind_the_update_is_put_back_by_its_own_event_and_told() {
    let (w, _proxy, account) = world_behind_proxy().await;
    w.write_policy_regions(&REGIONS_17);
    let (code, _) = w.handle(&vend_event(&account));
    assert_eq!(code, 0);
    // Someone edited eu-west-2 as the console does (update, then default)
    // with no event reaching the hub.
    w.console_edit(&account, "eu-west-2", "root").await;
    let (code, out) = w.handle(&stack_landed(&account, "us-east-1", "update-a"));
    assert_eq!(code, 0, "{out:#}");

    assert_eq!(
        run_as(
            &w.named_document(&account, "eu-west-2", DOC)
                .await
                .unwrap()
                .0
        ),
        (json!(true), json!("root")),
        "another region's event does not look there"
    );
    let (code, out) = w.handle(&stack_landed(&account, "eu-west-2", "update-b"));
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let reverted = of_kind(&alerts, "drift_reverted");
    assert_eq!(reverted.len(), 1, "{alerts:#?}");
    assert_eq!(reverted[0]["message"]["region"], "eu-west-2");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_waiting_account_still_gets_every_region_from_one_event() {
    let (w, proxy, account) = world_behind_proxy().await;
    w.write_policy_regions(&REGIONS_17);
    proxy.faults(
        json!([{"name": "no-role", "service": "sts", "action": "AssumeRole",
        "contains": "role/RunAsGuardExecution", "status": 403, "code": "AccessDenied",
        "protocol": "query", "message": "User is not authorized to perform: sts:AssumeRole"}]),
    );
    let (code, _) = w.handle(&vend_event(&account));
    assert_eq!(code, 0);
    assert!(count(&proxy, "no-role") >= 1, "the refusal fired");
    proxy.faults(json!([]));
    let (code, out) = w.handle(&stack_landed(&account, "us-east-1", "instance-1"));
    assert_eq!(code, 0, "{out:#}");
    let regions = out["accounts"][0]["regions"].as_array().unwrap();
    assert_eq!(regions.len(), REGIONS_17.len(), "{out:#}");
    assert!(regions.iter().all(|r| r["action"] == "created"), "{out:#}");
}

/// A run that took a burst's regions and could not read one of them covers
/// nothing there: that region's event is never answered `coalesced` on its
/// word, and a run (its own, or one that takes it from the gate again)
/// reads it after the fault.
#[tokio::test(flavor = "multi_thread")]
async fn a_region_the_bursts_run_could_not_read_is_read_again_not_coalesced() {
    let (w, proxy, account) = world_behind_proxy().await;
    w.write_policy_regions(&REGIONS_17);
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    let (code, out) = w.handle(&stack_landed(&account, "us-east-1", "update-a"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(regions_of(&out), ["us-east-1"], "a lone event runs at once");

    // The two events come while us-east-1's run holds the window; the run
    // that takes both finds both unreadable once: the other event's region
    // was taken by a run that could not read it.
    let unreadable = |region: &str| {
        json!({"name": format!("unreadable-{region}"), "service": "ssm", "region": region,
            "action": "DescribeDocument", "code": "AccessDeniedException", "times": 1})
    };
    proxy.faults(json!([unreadable("eu-west-1"), unreadable("eu-west-2")]));
    let events = [
        stack_landed(&account, "eu-west-1", "update-b"),
        stack_landed(&account, "eu-west-2", "update-c"),
    ];
    let mut answers = deliver_at_once(&w, &events);
    // Before any redelivery: an event answered `coalesced` has a run beside
    // it that read its region cleanly (the run that took both read neither).
    let first_clean = cleanly_read(&answers);
    for (out, event) in answers.iter().map(|(_, o)| o).zip(&events) {
        if out["result"] == "coalesced" {
            let region = event_region(event);
            assert!(
                first_clean.contains(&region),
                "{region} answered coalesced on the word of a run that could not read it: {answers:#?}"
            );
        }
    }
    for region in ["eu-west-1", "eu-west-2"] {
        let fired = count(&proxy, &format!("unreadable-{region}"));
        assert_eq!(fired, 1, "the fault fired in {region}");
    }
    // A failed delivery comes again, as Lambda retries an async invocation.
    for (i, (code, out)) in answers.clone().into_iter().enumerate() {
        if code != 0 {
            assert_eq!(out["result"], "failed", "{out:#}");
            answers[i] = w.handle(&events[i]);
        }
    }
    for (code, out) in &answers {
        assert_eq!(code, &0, "{out:#}");
        let result = out["result"].as_str().unwrap();
        assert!(["done", "coalesced"].contains(&result), "{out:#}");
    }
    let read_cleanly = cleanly_read(&answers);
    for region in ["eu-west-1", "eu-west-2"] {
        assert!(
            read_cleanly.iter().any(|r| r == region),
            "a run read {region} after the fault: {answers:#?}"
        );
    }
}

/// The regions the runs among `answers` that finished read cleanly.
fn cleanly_read(answers: &[(i32, Value)]) -> Vec<String> {
    answers
        .iter()
        .filter(|(_, out)| out["result"] == "done")
        .flat_map(|(_, out)| {
            out["accounts"][0]["regions"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|r| r["action"] != "failed")
        .map(|r| r["region"].as_str().unwrap().to_string())
        .collect()
}

fn event_region(event: &Value) -> String {
    let stack = event["detail"]["stack-id"].as_str().unwrap();
    stack.split(':').nth(3).unwrap().to_string()
}

/// A delivery the receipt answers (`duplicate`) may have claimed the gate
/// beside it: it gives the claim back, so the next event of the account runs
/// at once and the regions it took wait for it.
#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_delivery_gives_its_gate_claim_back() {
    let w = World::new().await;
    let account = w.create_account("member", None).await;
    let (code, _) = w.handle(&vend_event(&account));
    assert_eq!(code, 0);
    let event = stack_landed(&account, "us-east-1", "update-a");
    let (code, out) = w.handle(&event);
    assert_eq!((code, out["result"].as_str()), (0, Some("done")), "{out:#}");
    // Past the window, the same delivery again: its gate claim succeeds
    // beside the receipt's answer.
    std::thread::sleep(std::time::Duration::from_millis(5_500));
    let (code, again) = w.handle(&event);
    assert_eq!(
        (code, again["result"].as_str()),
        (0, Some("duplicate")),
        "{again:#}"
    );
    let gate = w
        .items()
        .await
        .into_iter()
        .find(|i| i["pk"] == format!("GATE#{account}") && i["sk"] == "member_stack_landed")
        .expect("the gate item");
    assert!(!gate.contains_key("started"), "claim given back: {gate:#?}");
    assert!(gate["waiting"].contains("us-east-1"), "{gate:#?}");
    // The next event claims and takes what was given back.
    let (code, out) = w.handle(&stack_landed(&account, "eu-west-1", "update-b"));
    assert_eq!((code, out["result"].as_str()), (0, Some("done")), "{out:#}");
    let mut looked = regions_of(&out);
    looked.sort();
    assert_eq!(looked, ["eu-west-1", "us-east-1"], "{out:#}");
}

/// A burst for an account the organization does not have (closed, or
/// removed since the StackSet targeted it): the run that finds so answers
/// for every region it took, so the events behind it are `coalesced`
/// instead of each claiming in turn, one window after another.
#[tokio::test(flavor = "multi_thread")]
async fn a_burst_for_an_account_not_in_the_organization_is_answered_by_few_runs() {
    let w = World::new().await;
    w.write_policy_regions(&REGIONS_17);
    let stranger = "999988887777";
    let events: Vec<Value> = REGIONS_17
        .iter()
        .map(|r| stack_landed(stranger, r, &format!("update-{r}")))
        .collect();
    let answers = deliver_at_once(&w, &events);
    let mut runs = 0;
    for (code, out) in &answers {
        assert_eq!(*code, 0, "{out:#}");
        match out["result"].as_str().unwrap() {
            "ignored" => runs += 1,
            "coalesced" => {}
            other => panic!("{other}: {out:#}"),
        }
    }
    // The lone first run and the one that takes the waiting regions (a
    // third when the deliveries straddle a window); answering only its own
    // event, each would run in turn.
    assert!(runs <= 3, "{runs} runs for one burst: {answers:#?}");
}
