//! `runas-guard redrive` on the local AWS: what piled up in the hub's
//! failure queues while the function was down (an admin's edit in a member
//! account, a vend, a pending account's re-attempt) is replayed once each
//! through the handler, with the actor named, and purged; what fails stays
//! in its queue, visible, and the exit code says so; an event handled before
//! is answered `duplicate`, an edit's older event `coalesced`, and both are
//! purged in the same run; a poison message is shown, kept (exit 3) and
//! dropped only with `--drop-unreadable`.

use crate::common;

use common::proxy::*;
use common::*;
use serde_json::{json, Value};

const R: &str = "eu-west-1";
const STACK: &str = "hub";

/// The hub stack's failure queues, by logical id as infra/hub.yaml names them.
struct Queues {
    events: String,
    failures: String,
    sweep: String,
}

/// A stack standing in for the hub stack: its three failure queues.
async fn hub_queues(w: &World) -> Queues {
    let queue = json!({"Type": "AWS::SQS::Queue"});
    let template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "EventsDeadLetterQueue": queue,
            "AsyncFailureQueue": queue,
            "SweepDeadLetterQueue": queue,
        }
    });
    let cfn = aws_sdk_cloudformation::Client::new(&w.cfg);
    cfn.create_stack()
        .stack_name(STACK)
        .template_body(template.to_string())
        .send()
        .await
        .unwrap();
    let listed = cfn
        .list_stack_resources()
        .stack_name(STACK)
        .send()
        .await
        .unwrap();
    let url = |logical: &str| {
        listed
            .stack_resource_summaries()
            .iter()
            .find(|r| r.logical_resource_id() == Some(logical))
            .and_then(|r| r.physical_resource_id())
            .unwrap_or_else(|| panic!("{logical} in the stack"))
            .to_string()
    };
    Queues {
        events: url("EventsDeadLetterQueue"),
        failures: url("AsyncFailureQueue"),
        sweep: url("SweepDeadLetterQueue"),
    }
}

/// A message as its sender leaves it; EventBridge adds why it gave up.
async fn put(w: &World, queue: &str, body: &str, eventbridge_error: Option<&str>) {
    let sqs = aws_sdk_sqs::Client::new(&w.cfg);
    let mut send = sqs.send_message().queue_url(queue).message_body(body);
    if let Some(code) = eventbridge_error {
        for (k, v) in [("ERROR_CODE", code), ("ERROR_MESSAGE", "Lambda throttled")] {
            let value = aws_sdk_sqs::types::MessageAttributeValue::builder()
                .data_type("String")
                .string_value(v)
                .build()
                .unwrap();
            send = send.message_attributes(k, value);
        }
    }
    send.send().await.unwrap();
}

/// Lambda's on-failure record of an asynchronous invocation of `event`.
fn on_failure(event: &Value) -> Value {
    json!({
        "version": "1.0",
        "timestamp": "2026-03-14T09:31:00.000Z",
        "requestContext": {
            "requestId": "e4b46cbf-b738-4e1f-8880-a18cdf61200e",
            "functionArn": format!("arn:aws:lambda:us-east-1:{HUB}:function:runas-guard:$LATEST"),
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "Task timed out after 900.00 seconds"}
    })
}

/// (visible, in flight) messages of a queue.
async fn depth(w: &World, queue: &str) -> (u64, u64) {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let out = aws_sdk_sqs::Client::new(&w.cfg)
        .get_queue_attributes()
        .queue_url(queue)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap();
    let n = |a: A| out.attributes().unwrap()[&a].parse().unwrap();
    (
        n(A::ApproximateNumberOfMessages),
        n(A::ApproximateNumberOfMessagesNotVisible),
    )
}

fn rows(run: &Run) -> Vec<Value> {
    run.json()["rows"].as_array().unwrap().clone()
}

fn row<'a>(rows: &'a [Value], key: &str, value: &str) -> &'a Value {
    rows.iter()
        .find(|r| r[key] == value)
        .unwrap_or_else(|| panic!("a row with {key} = {value}: {rows:#?}"))
}

/// An account configured in both regions, as before the outage.
async fn configured(w: &World, name: &str) -> String {
    let account = w.create_account(name, None).await;
    for region in REGIONS {
        w.admin_write(&account, region, &lza_document(&account), true)
            .await;
    }
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    account
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outage_is_replayed_once_with_its_actors_then_nothing_is_left() {
    let w = World::new().await;
    let member = configured(&w, "member").await;
    let vended = w.create_account("vended", None).await;
    let waiting = w.create_account("waiting", None).await;
    w.alerts().await;
    let q = hub_queues(&w).await;

    // While the function was down: an admin's edit (EventBridge gave up on
    // it), a vend (the function failed on it three times) and a pending
    // account's re-attempt (the sweep queue's redrive policy moved it).
    let edited = w.console_edit(&member, R, "root").await;
    let edit = doc_event("UpdateDocument", &member, R, "Admin");
    put(&w, &q.events, &edit.to_string(), Some("SDK_CLIENT_ERROR")).await;
    let vend = vend_event(&vended);
    put(&w, &q.failures, &on_failure(&vend).to_string(), None).await;
    let again = json!({"reattempt": {"account": waiting, "chain": "vend-waiting", "attempt": 3}});
    put(&w, &q.sweep, &again.to_string(), None).await;

    let dry = w.run(&[
        "redrive",
        "--stack",
        STACK,
        "--dry-run",
        "--in-process",
        "--function",
        "runas-guard",
        "--format",
        "json",
    ]);
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    let seen = rows(&dry);
    assert_eq!(seen.len(), 3, "{seen:#?}");
    assert!(seen
        .iter()
        .all(|r| r["result"] == "would_replay" && r["message"] == "untouched"));
    let shown = row(&seen, "shape", "event");
    assert_eq!(shown["kind"], "document_changed");
    assert_eq!(shown["actor"], format!("arn:aws:iam::{member}:role/Admin"));
    assert_eq!(shown["event_id"], edit["id"]);
    assert!(shown["failed_before"]
        .as_str()
        .unwrap()
        .contains("SDK_CLIENT_ERROR"));
    let record = row(&seen, "shape", "on_failure");
    assert_eq!(
        (&record["kind"], &record["account"]),
        (&json!("account_vended"), &json!(vended))
    );
    assert!(record["failed_before"]
        .as_str()
        .unwrap()
        .starts_with("RetriesExhausted after 3"));
    assert_eq!(
        row(&seen, "shape", "reattempt")["account"],
        waiting.as_str()
    );
    for queue in [&q.events, &q.failures, &q.sweep] {
        assert_eq!(
            depth(&w, queue).await,
            (1, 0),
            "a dry run leaves every message, visible"
        );
    }
    let untouched = w.document(&member, R).await.unwrap();
    assert_eq!(
        (run_as(&untouched.0).1, untouched.1),
        (json!("root"), edited.clone())
    );
    assert!(w.document(&vended, R).await.is_none());
    assert!(w.alerts().await.is_empty(), "a dry run says nothing");

    // The stand-in stack has no function to hand the messages to (the
    // deployed one does: tests/operator_seat.rs): replayed here instead.
    let refused = w.run(&["redrive", "--stack", STACK]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("--in-process"),
        "{}",
        refused.stderr
    );
    let run = w.run(&[
        "redrive",
        "--stack",
        STACK,
        "--in-process",
        "--function",
        "runas-guard",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let done = rows(&run);
    assert_eq!(done.len(), 3, "{done:#?}");
    for r in &done {
        assert_eq!(
            (&r["result"], &r["message"]),
            (&json!("done"), &json!("deleted")),
            "{r:#}"
        );
    }
    let (doc, default, latest) = w.document(&member, R).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));
    assert_eq!(default, latest);
    assert!(default.parse::<u32>().unwrap() > edited.parse::<u32>().unwrap());
    for account in [&vended, &waiting] {
        for region in REGIONS {
            let (doc, _, _) = w.document(account, region).await.expect("configured");
            assert_eq!(
                run_as(&doc),
                (json!(true), json!("ssm-ops")),
                "{account} {region}"
            );
        }
    }
    let alerts = w.alerts().await;
    let reverted = of_kind(&alerts, "drift_reverted");
    assert_eq!(reverted.len(), 1, "{alerts:#?}");
    let m = &reverted[0]["message"];
    assert_eq!(m["actor"], format!("arn:aws:iam::{member}:role/Admin"));
    assert_eq!((&m["account"], &m["region"]), (&json!(member), &json!(R)));
    assert_eq!(m["trigger_id"], edit["id"]);
    let configured: Vec<&Value> = of_kind(&alerts, "account_configured")
        .into_iter()
        .map(|a| &a["message"]["account"])
        .collect();
    assert_eq!(configured.len(), 2, "{alerts:#?}");
    assert!(configured.contains(&&json!(vended)) && configured.contains(&&json!(waiting)));
    let state = w.state(&member, R).await.unwrap();
    assert_eq!(state["status"], "reverted");
    assert_eq!(
        state["last_actor"],
        format!("arn:aws:iam::{member}:role/Admin")
    );
    for queue in [&q.events, &q.failures, &q.sweep] {
        assert_eq!(depth(&w, queue).await, (0, 0), "purged");
    }

    let after = w.run(&[
        "redrive",
        "--stack",
        STACK,
        "--in-process",
        "--function",
        "runas-guard",
    ]);
    assert_eq!(after.code, 0, "{}\n{}", after.stdout, after.stderr);
    assert!(
        after.stdout.contains("0 message(s) read from 3 queue(s)"),
        "{}",
        after.stdout
    );
    assert!(w.alerts().await.is_empty(), "nothing replayed twice");
}

/// `event` as CloudTrail records a call made `ago` seconds before now.
fn made_ago(mut event: Value, ago: u64) -> Value {
    let at = std::time::SystemTime::now() - std::time::Duration::from_secs(ago);
    let iso = runas_guard::domain::clock::iso(at);
    let whole = format!("{}Z", &iso[..19]);
    event["detail"]["eventTime"] = json!(whole);
    event["time"] = json!(whole);
    event
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edits_two_events_a_vend_and_a_poison_message_are_cleared_in_one_pass() {
    let w = World::new().await;
    let member = configured(&w, "member").await;
    let vended = w.create_account("vended", None).await;
    w.alerts().await;
    let q = hub_queues(&w).await;

    // While the function was down: the console's edit (a new version, then
    // the default switched: two events, seconds apart), a vend, and a
    // message that is no event at all.
    let edited = w.console_edit(&member, R, "root").await;
    let update = made_ago(doc_event("UpdateDocument", &member, R, "Admin"), 20);
    let default = made_ago(
        doc_event("UpdateDocumentDefaultVersion", &member, R, "Admin"),
        19,
    );
    let poison = "{\"Records\": [{\"eventSource\": \"aws:sqs\"";
    for body in [update.to_string(), default.to_string(), poison.to_string()] {
        put(&w, &q.events, &body, Some("SDK_CLIENT_ERROR")).await;
    }
    put(
        &w,
        &q.failures,
        &on_failure(&vend_event(&vended)).to_string(),
        None,
    )
    .await;

    // Without the flag the poison message would stay: the dry run says so.
    let dry = w.run(&[
        "redrive",
        "--stack",
        STACK,
        "--dry-run",
        "--in-process",
        "--function",
        "runas-guard",
        "--format",
        "json",
    ]);
    assert_eq!(dry.code, 3, "{}\n{}", dry.stdout, dry.stderr);
    assert_one_clean_line(&dry.stderr);
    assert!(dry.stderr.contains("--drop-unreadable"), "{}", dry.stderr);
    let shown = row(&rows(&dry), "result", "unreadable").clone();
    assert_eq!(
        (&shown["message"], &shown["body"]),
        (&json!("untouched"), &json!(poison)),
        "shown before anything is dropped"
    );
    assert_eq!(depth(&w, &q.events).await, (3, 0));

    // The test's hub stack has no function: the handler runs here, as the
    // deployed function would run it (tests/operator_seat.rs goes through one).
    let run = w.run(&[
        "redrive",
        "--stack",
        STACK,
        "--in-process",
        "--function",
        "runas-guard",
        "--drop-unreadable",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stderr, "", "nothing to say on stderr");
    let got = rows(&run);
    assert_eq!(got.len(), 4, "{got:#?}");
    let newest = row(&got, "event_id", default["id"].as_str().unwrap());
    assert_eq!(
        (&newest["result"], &newest["message"]),
        (&json!("done"), &json!("deleted")),
        "{newest:#}"
    );
    // The older event's change was seen by the run of the newer one.
    let older = row(&got, "event_id", update["id"].as_str().unwrap());
    assert_eq!(
        (&older["result"], &older["message"]),
        (&json!("coalesced"), &json!("deleted")),
        "{older:#}"
    );
    let vend = row(&got, "shape", "on_failure");
    assert_eq!(
        (&vend["result"], &vend["message"], &vend["account"]),
        (&json!("done"), &json!("deleted"), &json!(vended))
    );
    let dropped = row(&got, "result", "unreadable");
    assert_eq!(
        (&dropped["message"], &dropped["body"]),
        (&json!("dropped"), &json!(poison))
    );
    assert_eq!(run.json()["totals"]["dropped"], 1);

    let (doc, default_version, latest) = w.document(&member, R).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")), "put back");
    assert_eq!(default_version, latest);
    assert!(latest.parse::<u32>().unwrap() > edited.parse::<u32>().unwrap());
    for region in REGIONS {
        let (doc, _, _) = w.document(&vended, region).await.expect("configured");
        assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")), "{region}");
    }
    let alerts = w.alerts().await;
    let reverted = of_kind(&alerts, "drift_reverted");
    assert_eq!(reverted.len(), 1, "one edit, one alert: {alerts:#?}");
    assert_eq!(
        reverted[0]["message"]["actor"],
        format!("arn:aws:iam::{member}:role/Admin")
    );
    let configured = of_kind(&alerts, "account_configured");
    assert_eq!(configured.len(), 1, "{alerts:#?}");
    assert_eq!(configured[0]["message"]["account"], vended.as_str());
    for queue in [&q.events, &q.failures, &q.sweep] {
        assert_eq!(depth(&w, queue).await, (0, 0), "nothing left");
    }

    // Without the flag a poison message is shown and kept; the exit code
    // says only such messages are left (3), not something to replay (1).
    put(&w, &q.events, "not json", None).await;
    let kept = w.run(&[
        "redrive",
        "--stack",
        STACK,
        "--in-process",
        "--function",
        "runas-guard",
        "--format",
        "json",
    ]);
    assert_eq!(kept.code, 3, "{}\n{}", kept.stdout, kept.stderr);
    assert_one_clean_line(&kept.stderr);
    assert!(
        kept.stderr.contains("nothing is left to replay")
            && kept.stderr.contains("1 message(s) no replay can handle")
            && kept.stderr.contains("--drop-unreadable"),
        "{}",
        kept.stderr
    );
    let poison_row = row(&rows(&kept), "result", "unreadable").clone();
    assert_eq!(
        (&poison_row["message"], &poison_row["body"]),
        (&json!("kept"), &json!("not json"))
    );
    assert_eq!(depth(&w, &q.events).await, (1, 0), "kept, visible");
    assert!(w.alerts().await.is_empty(), "nothing replayed twice");
}

#[tokio::test(flavor = "multi_thread")]
async fn what_fails_stays_visible_and_what_was_handled_before_is_a_duplicate() {
    let (w, proxy, account) = world_behind_proxy().await;
    for region in REGIONS {
        w.admin_write(&account, region, &lza_document(&account), true)
            .await;
    }
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    // An edit the function did handle, whose event still reached a queue.
    w.console_edit(&account, R, "root").await;
    let handled = doc_event("UpdateDocument", &account, R, "Admin");
    let (code, out) = w.handle(&handled);
    assert_eq!((code, out["result"].as_str()), (0, Some("done")), "{out:#}");
    let unreachable = w.create_account("unreachable", None).await;
    w.alerts().await;
    let dlq = w.create_queue("runas-guard-events-dlq").await;
    let failures = w.create_queue("runas-guard-async-failures").await;
    put(&w, &dlq, &handled.to_string(), None).await;
    put(
        &w,
        &dlq,
        "{\"Records\": [{\"eventSource\": \"aws:sqs\"",
        None,
    )
    .await;
    let vend = vend_event(&unreachable);
    put(&w, &failures, &on_failure(&vend).to_string(), None).await;
    proxy.faults(json!([{"name": "throttled", "service": "sts", "action": "AssumeRole", "contains": format!("{unreachable}:role/"),
        "status": 400, "code": "Throttling", "protocol": "query", "message": "Rate exceeded"}]));

    let args = [
        "redrive",
        "--queue",
        &dlq,
        "--queue",
        &failures,
        "--in-process",
        "--function",
        "runas-guard",
        "--format",
        "json",
    ];
    let run = w.run(&args);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_one_clean_line(&run.stderr);
    assert!(
        run.stderr
            .contains("1 message(s) to replay again left in the queues"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("1 message(s) no replay can handle"),
        "{}",
        run.stderr
    );
    assert!(
        proxy.hits()["throttled"]["hits"].as_u64().unwrap_or(0) >= 1,
        "the throttle fired: {}",
        proxy.hits()
    );
    let got = rows(&run);
    assert_eq!(got.len(), 3, "{got:#?}");
    let duplicate = row(&got, "event_id", handled["id"].as_str().unwrap());
    assert_eq!(
        (&duplicate["result"], &duplicate["message"]),
        (&json!("duplicate"), &json!("deleted"))
    );
    let garbage = row(&got, "result", "unreadable");
    assert_eq!(garbage["message"], "kept");
    assert!(
        garbage["reason"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{garbage:#}"
    );
    let failed = row(&got, "shape", "on_failure");
    assert_eq!(
        (&failed["result"], &failed["message"]),
        (&json!("failed"), &json!("kept"))
    );
    assert_eq!(failed["account"], unreachable.as_str());
    assert_eq!(depth(&w, &dlq).await, (1, 0), "the garbage stays, visible");
    assert_eq!(
        depth(&w, &failures).await,
        (1, 0),
        "the failed vend stays, visible"
    );
    assert!(w.document(&unreachable, R).await.is_none());
    let reverted = of_kind(&w.alerts().await, "drift_reverted").len();
    assert_eq!(reverted, 0, "the duplicate said nothing again");

    // The cause fixed: the vend goes through; the garbage never will, and
    // nothing to replay is left: exit 3, not 1.
    proxy.faults(json!([]));
    let run = w.run(&args);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert_one_clean_line(&run.stderr);
    assert!(
        run.stderr.contains("nothing is left to replay")
            && run.stderr.contains("--drop-unreadable"),
        "{}",
        run.stderr
    );
    let got = rows(&run);
    let vended = row(&got, "shape", "on_failure");
    assert_eq!(
        (&vended["result"], &vended["message"]),
        (&json!("done"), &json!("deleted"))
    );
    assert_eq!(row(&got, "result", "unreadable")["message"], "kept");
    assert_eq!(depth(&w, &failures).await, (0, 0));
    assert_eq!(depth(&w, &dlq).await, (1, 0));
    let (doc, _, _) = w.document(&unreachable, R).await.expect("configured");
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));
}

#[tokio::test(flavor = "multi_thread")]
async fn naming_no_queue_is_bad_input_and_max_bounds_what_is_read() {
    let w = World::new().await;
    let run = w.run(&["redrive"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_one_clean_line(&run.stderr);
    assert!(run.stderr.contains("--queue URL"), "{}", run.stderr);
    let run = w.run(&["redrive", "--queue", "dlq"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not a queue URL"), "{}", run.stderr);
    let run = w.run(&["redrive", "--stack", "nope"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("ListStackResources"), "{}", run.stderr);

    let dlq = w.create_queue("dlq").await;
    for _ in 0..3 {
        put(&w, &dlq, "garbage", None).await;
    }
    let run = w.run(&["redrive", "--queue", &dlq, "--max", "2", "--dry-run"]);
    assert_eq!(
        run.code, 3,
        "unreadable messages would stay: {}",
        run.stderr
    );
    assert!(run.stdout.contains("2 message(s) read"), "{}", run.stdout);
    assert!(run.stderr.contains("would stay"), "{}", run.stderr);
    assert_eq!(
        depth(&w, &dlq).await,
        (3, 0),
        "all three still there, visible"
    );
}

/// In this process, a stack-instance event is judged only if the member
/// StackSet's administrator is known here: where it cannot be read (no
/// RUNAS_GUARD_STACKSET_ADMIN_ACCOUNT, Organizations refusing), the event
/// would be answered `ignored` and deleted, and the vend it stands for
/// would never run. It stays in its queue, saying why and what to do.
#[tokio::test(flavor = "multi_thread")]
async fn an_event_this_process_cannot_judge_stays_in_its_queue() {
    let (w, proxy, account) = world_behind_proxy().await;
    let dlq = w.create_queue("runas-guard-events-dlq").await;
    put(
        &w,
        &dlq,
        &stack_landed(&account, R, "landed-1").to_string(),
        None,
    )
    .await;
    proxy.faults(json!([{"name": "no-org", "service": "organizations", "action": "DescribeOrganization",
        "status": 400, "code": "AccessDeniedException", "protocol": "json", "message": "not allowed"}]));

    let run = w.run(&["redrive", "--queue", &dlq, "--format", "json"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        proxy.hits()["no-org"]["hits"].as_u64().unwrap_or(0) >= 1,
        "the refusal fired: {}",
        proxy.hits()
    );
    let kept = row(&rows(&run), "result", "failed").clone();
    let reason = kept["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("kept: this process does not know the member StackSet's administrator")
            && reason.contains("--stack"),
        "{kept:#}"
    );
    assert_ne!(kept["message"], "deleted", "{kept:#}");
    assert_eq!(
        depth(&w, &dlq).await.0 + depth(&w, &dlq).await.1,
        1,
        "still there"
    );

    // Once this process can judge it (the administrator readable), the
    // same message is replayed and leaves the queue.
    proxy.faults(json!([]));
    let run = w.run(&["redrive", "--queue", &dlq, "--format", "json"]);
    let replayed = &rows(&run)[0];
    assert_ne!(replayed["result"], "failed", "{replayed:#}");
}

/// Only the function's own on-failure records are replayed (Lambda names
/// the function in `requestContext.functionArn`): a record naming another
/// function, or none, was not put there by Lambda for this function, so its
/// event is refused, shown with its body, and kept until dropped. In this
/// process the function is the one named (`--function`); none named, no
/// on-failure record is replayed and the rows say how to name it.
#[tokio::test(flavor = "multi_thread")]
async fn a_forged_on_failure_record_is_refused_and_shown() {
    let w = World::new().await;
    let vended = w.create_account("vended", None).await;
    let target = w.create_account("target", None).await;
    w.alerts().await;
    let q = hub_queues(&w).await;
    put(
        &w,
        &q.failures,
        &on_failure(&vend_event(&vended)).to_string(),
        None,
    )
    .await;
    let mut forged = on_failure(&vend_event(&target));
    forged["requestContext"]["functionArn"] = json!(format!(
        "arn:aws:lambda:us-east-1:{HUB}:function:someone-else:$LATEST"
    ));
    put(&w, &q.failures, &forged.to_string(), None).await;
    let mut unnamed = on_failure(&vend_event(&target));
    unnamed["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("functionArn");
    put(&w, &q.failures, &unnamed.to_string(), None).await;

    let blind = w.run(&["redrive", "--queue", &q.failures, "--format", "json"]);
    assert_eq!(blind.code, 3, "{}\n{}", blind.stdout, blind.stderr);
    let seen = rows(&blind);
    assert_eq!(seen.len(), 3, "{seen:#?}");
    for r in &seen {
        assert_eq!(
            (&r["result"], &r["message"]),
            (&json!("rejected"), &json!("kept")),
            "{r:#}"
        );
    }
    let own = row(&seen, "account", &vended);
    assert!(
        own["reason"].as_str().unwrap().contains("--function"),
        "{own:#}"
    );
    assert!(w.document(&vended, R).await.is_none(), "nothing replayed");

    let run = w.run(&[
        "redrive",
        "--queue",
        &q.failures,
        "--in-process",
        "--function",
        "runas-guard",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    let got = rows(&run);
    assert_eq!(got.len(), 3, "{got:#?}");
    let own = row(&got, "account", &vended);
    assert_eq!(
        (&own["result"], &own["message"]),
        (&json!("done"), &json!("deleted")),
        "{own:#}"
    );
    let refused: Vec<&Value> = got.iter().filter(|r| r["result"] == "rejected").collect();
    assert_eq!(refused.len(), 2, "{got:#?}");
    for r in &refused {
        assert_eq!(r["message"], "kept", "{r:#}");
        assert_eq!(r["account"], target.as_str(), "{r:#}");
        let reason = r["reason"].as_str().unwrap();
        assert!(
            reason.contains("only the function's own on-failure records"),
            "{reason}"
        );
        assert!(
            r["body"].as_str().unwrap().contains("requestPayload"),
            "shown: {r:#}"
        );
    }
    let other = refused
        .iter()
        .find(|r| r["reason"].as_str().unwrap().contains("someone-else"));
    assert!(
        other.is_some(),
        "the record's function is named: {refused:#?}"
    );
    assert!(
        w.document(&vended, R).await.is_some(),
        "its own record replayed"
    );
    assert!(
        w.document(&target, R).await.is_none(),
        "the forged ones never"
    );
    assert_eq!(depth(&w, &q.failures).await, (2, 0), "kept, visible");
}
