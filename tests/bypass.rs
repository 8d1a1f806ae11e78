//! Session documents that skip Run As (`run_as_bypass`): read on the event
//! (CloudTrail never shows content), alerted once per change, never
//! changed or deleted.

use crate::common;

use common::proxy::Proxy;
use common::*;
use serde_json::{json, Value};

pub(crate) fn commands_document(elevated: bool) -> Value {
    json!({
        "schemaVersion": "1.0",
        "description": "Interactive shell",
        "sessionType": "InteractiveCommands",
        "parameters": {},
        "properties": {
            "linux": {"commands": "bash", "runAsElevated": elevated},
            "windows": {"commands": "powershell", "runAsElevated": true}
        }
    })
}

/// A CloudTrail write of `name` by the `Admin` role (the sample's shape).
pub(crate) fn session_event(event_name: &str, account: &str, region: &str, name: &str) -> Value {
    let mut e = doc_event(event_name, account, region, "Admin");
    let sample = sample("session_document_changed.ssm-create-elevated-session-document.json");
    e["detail"]["requestParameters"] = sample["detail"]["requestParameters"].clone();
    e["detail"]["requestParameters"]["name"] = json!(name);
    e["detail"]["responseElements"] = sample["detail"]["responseElements"].clone();
    e["detail"]["responseElements"]["documentDescription"]["name"] = json!(name);
    e
}

/// Creates the Session document, or adds a version (left not default), as
/// the account's administrator.
pub(crate) async fn write(
    w: &World,
    account: &str,
    region: &str,
    name: &str,
    content: &Value,
) -> String {
    w.admin_write_named(account, region, name, content, false)
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_elevated_session_document_is_alerted_once_per_change_and_left_alone() {
    let w = World::new().await;
    let account = w.create_account("elevated", None).await;
    write(
        &w,
        &account,
        "eu-west-1",
        "Elevated-Shell",
        &commands_document(true),
    )
    .await;

    let (code, out) = w.handle(&session_event(
        "CreateDocument",
        &account,
        "eu-west-1",
        "Elevated-Shell",
    ));
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "run_as_bypass");
    assert_eq!(m["severity"], "critical");
    assert_eq!(m["document"], "Elevated-Shell");
    assert_eq!(m["region"], "eu-west-1");
    assert_eq!(m["actor"], format!("arn:aws:iam::{account}:role/Admin"));
    assert_eq!(
        m["elevated"],
        json!([{"version": "1", "which": "default and latest", "platforms": ["linux"],
                "runs_as": "root", "setting": "runAsElevated"}])
    );
    assert!(alerts[0]["subject"]
        .as_str()
        .unwrap()
        .contains("Elevated-Shell"));

    // The same change's other event (the console makes it default) is not news.
    let (code, out) = w.handle(&session_event(
        "UpdateDocumentDefaultVersion",
        &account,
        "eu-west-1",
        "Elevated-Shell",
    ));
    assert_eq!(code, 0, "{out:#}");
    assert!(w.alerts().await.is_empty(), "told once");

    // A new elevated version is news again; the document is never touched.
    let v2 = write(&w, &account, "eu-west-1", "Elevated-Shell", &json!({"sessionType": "InteractiveCommands", "schemaVersion": "1.0", "description": "v2", "properties": {"linux": {"commands": "sh", "runAsElevated": true}}})).await;
    let (code, out) = w.handle(&session_event(
        "UpdateDocument",
        &account,
        "eu-west-1",
        "Elevated-Shell",
    ));
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let which: Vec<&str> = alerts[0]["message"]["elevated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["which"].as_str().unwrap())
        .collect();
    assert_eq!(which, ["default", "latest"]);
    let ssm = w.admin_ssm(&account, "eu-west-1").await;
    let d = ssm
        .describe_document()
        .name("Elevated-Shell")
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.document().unwrap().latest_version(),
        Some(v2.as_str()),
        "left alone"
    );
    assert_eq!(d.document().unwrap().default_version(), Some("1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_document_that_keeps_run_as_is_silent() {
    let w = World::new().await;
    let account = w.create_account("plain", None).await;
    write(
        &w,
        &account,
        "us-east-1",
        "Plain-Commands",
        &commands_document(false),
    )
    .await;
    let (code, out) = w.handle(&session_event(
        "CreateDocument",
        &account,
        "us-east-1",
        "Plain-Commands",
    ));
    assert_eq!(code, 0, "{out:#}");
    assert!(
        out["reason"]
            .as_str()
            .unwrap()
            .contains("cannot skip Run As"),
        "{out:#}"
    );
    assert!(w.alerts().await.is_empty());
    // A region the policy does not govern is not looked at.
    let (code, out) = w.handle(&session_event(
        "CreateDocument",
        &account,
        "ap-south-1",
        "Plain-Commands",
    ));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["result"], "ignored", "{out:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_that_lists_session_documents_tells_each_one_once() {
    let mut w = World::new().await;
    w.write_policy("[session_documents]\nsweep = true\n");
    let proxy = w.behind_proxy();
    let account = w.create_account("listed", None).await;
    write(
        &w,
        &account,
        "us-east-1",
        "Root-Shell",
        &commands_document(true),
    )
    .await;
    write(
        &w,
        &account,
        "us-east-1",
        "Plain-Shell",
        &commands_document(false),
    )
    .await;
    assert_eq!(
        w.sweep_counting_sessions(&proxy),
        2,
        "one session per account (the member and the management account) serves its documents and the listing"
    );
    let alerts = w.alerts().await;
    let bypass = of_kind(&alerts, "run_as_bypass");
    assert_eq!(bypass.len(), 1, "{bypass:#?}");
    assert_eq!(bypass[0]["message"]["document"], "Root-Shell");
    assert_eq!(bypass[0]["message"]["account"], account.as_str());

    // The next sweep, and the document's own event, find it told.
    let (code, _) = w.handle(&sweep_event());
    assert_eq!(code, 0);
    let (code, _) = w.handle(&session_event(
        "UpdateDocumentDefaultVersion",
        &account,
        "us-east-1",
        "Root-Shell",
    ));
    assert_eq!(code, 0);
    assert!(
        w.alerts()
            .await
            .iter()
            .all(|a| a["message"]["kind"] != "run_as_bypass"),
        "told once"
    );
}

/// A shell (`Standard_Stream`) document with these Run As inputs.
fn shell_document(inputs: Value) -> Value {
    json!({"schemaVersion": "1.0", "description": "A shell", "sessionType": "Standard_Stream",
           "inputs": inputs})
}

/// Handles `event_name` for `name` and returns the `run_as_bypass` alerts.
async fn told(w: &World, event_name: &str, account: &str, region: &str, name: &str) -> Vec<Value> {
    let (code, out) = w.handle(&session_event(event_name, account, region, name));
    assert_eq!(code, 0, "{out:#}");
    w.alerts()
        .await
        .into_iter()
        .filter(|a| a["message"]["kind"] == "run_as_bypass")
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shell_document_started_by_name_is_told_with_the_user_it_runs_as() {
    let w = World::new().await;
    let account = w.create_account("shells", None).await;
    let r = "eu-west-1";
    let cases = [
        (
            "Root-Shell",
            json!({"runAsEnabled": true, "runAsDefaultUser": "root"}),
            Some(("root", "runAsDefaultUser")),
        ),
        (
            "Off-Shell",
            json!({"runAsEnabled": false, "runAsDefaultUser": "ssm-ops"}),
            Some(("ssm-user", "runAsEnabled")),
        ),
        (
            "Other-Shell",
            json!({"runAsEnabled": "true", "runAsDefaultUser": "ec2-user"}),
            Some(("ec2-user", "runAsDefaultUser")),
        ),
        (
            "Ops-Shell",
            json!({"runAsEnabled": true, "runAsDefaultUser": "ssm-ops"}),
            None,
        ),
        // Keys the agent reads without case, the later one winning.
        (
            "Variant-Shell",
            json!({"runAsEnabled": true, "runAsDefaultUser": "ssm-ops", "RunAsDefaultUser": "root"}),
            Some(("root", "runAsDefaultUser")),
        ),
        (
            "Variant-Off",
            json!({"runAsEnabled": true, "runAsDefaultUser": "ssm-ops", "RUNASENABLED": false}),
            Some(("ssm-user", "runAsEnabled")),
        ),
    ];
    for (name, inputs, want) in cases {
        write(&w, &account, r, name, &shell_document(inputs)).await;
        let alerts = told(&w, "CreateDocument", &account, r, name).await;
        match want {
            None => assert!(alerts.is_empty(), "{name}: {alerts:#?}"),
            Some((user, setting)) => {
                assert_eq!(alerts.len(), 1, "{name}: {alerts:#?}");
                let m = &alerts[0]["message"];
                assert_eq!(m["document"], name);
                assert_eq!(m["runs_as"], json!([user]), "{name}");
                assert_eq!(m["elevated"][0]["setting"], setting, "{name}");
                assert_eq!(m["elevated"][0]["platforms"], json!(["linux", "macos"]));
                let subject = alerts[0]["subject"].as_str().unwrap();
                assert!(subject.contains(&format!("runs as {user}")), "{subject}");
            }
        }
    }
    // An elevated command document spelt as Go still matches it.
    let spelt = json!({"schemaVersion": "1.0", "SessionType": "InteractiveCommands",
        "Properties": {"Linux": {"commands": "bash", "RunAsElevated": true}}});
    write(&w, &account, r, "Spelt-Shell", &spelt).await;
    let alerts = told(&w, "CreateDocument", &account, r, "Spelt-Shell").await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["message"]["runs_as"], json!(["root"]));
}

async fn delete(w: &World, account: &str, region: &str, name: &str) {
    let ssm = w.admin_ssm(account, region).await;
    ssm.delete_document().name(name).send().await.unwrap();
}

async fn make_default(w: &World, account: &str, region: &str, name: &str, version: &str) {
    let ssm = w.admin_ssm(account, region).await;
    ssm.update_document_default_version()
        .name(name)
        .document_version(version)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn re_created_or_switched_back_to_an_elevated_version_is_told_again() {
    let w = World::new().await;
    let account = w.create_account("again", None).await;
    let (r, name) = ("us-east-1", "Elevated-Shell");
    write(&w, &account, r, name, &commands_document(true)).await;
    assert_eq!(told(&w, "CreateDocument", &account, r, name).await.len(), 1);

    // Deleted and created again with the same content: version 1 again.
    delete(&w, &account, r, name).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    write(&w, &account, r, name, &commands_document(true)).await;
    let alerts = told(&w, "CreateDocument", &account, r, name).await;
    assert_eq!(alerts.len(), 1, "a re-created document is a new change");
    assert_eq!(alerts[0]["message"]["elevated"][0]["version"], "1");

    // A clean version made default: silent, and what was told is forgotten.
    let v2 = w
        .admin_write_named(&account, r, name, &commands_document(false), true)
        .await;
    assert!(told(&w, "UpdateDocumentDefaultVersion", &account, r, name)
        .await
        .is_empty());
    // Switched back to the elevated version 1: told again.
    make_default(&w, &account, r, name, "1").await;
    let alerts = told(&w, "UpdateDocumentDefaultVersion", &account, r, name).await;
    assert_eq!(alerts.len(), 1, "switched back is news: {alerts:#?}");
    assert_eq!(
        alerts[0]["message"]["elevated"][0]["which"], "default",
        "version 1 is the default, {v2} the latest"
    );
    // Its other event is the same news.
    assert!(told(&w, "UpdateDocument", &account, r, name)
        .await
        .is_empty());
}

/// `AWS-PasswordReset` as AWS ships it: an interactive command run elevated.
fn password_reset() -> Value {
    json!({"schemaVersion": "1.0", "description": "Reset a local user's password",
        "sessionType": "InteractiveCommands",
        "parameters": {"username": {"type": "String"}},
        "properties": {"linux": {"commands": "passwd {{ username }}", "runAsElevated": true},
                       "windows": {"commands": "net user {{ username }} *", "runAsElevated": true}}})
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_own_documents_and_governed_ones_are_never_findings() {
    let w = World::new().await;
    w.write_policy(
        "[session_documents]\nsweep = true\n[[document]]\nname = \"SSMRunAs-Admin\"\nrun_as_user = \"admin\"\n",
    );
    let account = w.create_account("owned", None).await;
    // Listed as if the service had shown them: AWS's own names are reserved.
    write(
        &w,
        &account,
        "us-east-1",
        "AWS-PasswordReset",
        &password_reset(),
    )
    .await;
    write(
        &w,
        &account,
        "us-east-1",
        "SSMRunAs-Admin",
        &shell_document(json!({"runAsEnabled": true, "runAsDefaultUser": "admin"})),
    )
    .await;
    write(
        &w,
        &account,
        "us-east-1",
        "Root-Shell",
        &commands_document(true),
    )
    .await;
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let bypass: Vec<&Value> = of_kind(&alerts, "run_as_bypass");
    let named: Vec<&str> = bypass
        .iter()
        .map(|a| a["message"]["document"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["Root-Shell"], "{bypass:#?}");
    let (code, out) = w.handle(&session_event(
        "UpdateDocument",
        &account,
        "us-east-1",
        "AWS-PasswordReset",
    ));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["result"], "ignored", "{out:#}");
}

/// An account with `n` elevated Session documents in us-east-1 and two in
/// eu-west-1, swept through a fresh fault proxy.
async fn many_documents(n: usize) -> (World, Proxy, String) {
    let mut w = World::new().await;
    w.write_policy("[session_documents]\nsweep = true\n");
    let proxy = w.behind_proxy();
    let account = w.create_account("many", None).await;
    for i in 0..n {
        write(
            &w,
            &account,
            "us-east-1",
            &format!("Shell-{i:02}"),
            &commands_document(true),
        )
        .await;
    }
    for i in 0..2 {
        write(
            &w,
            &account,
            "eu-west-1",
            &format!("Shell-eu-{i}"),
            &commands_document(true),
        )
        .await;
    }
    (w, proxy, account)
}

/// The account's rows named `Session documents`.
fn look_rows(out: &Value, account: &str) -> Vec<Value> {
    out["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["account"] == account)
        .flat_map(|a| a["regions"].as_array().unwrap().clone())
        .filter(|r| r["document"] == "Session documents")
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_reads_a_bounded_number_at_once_and_one_failing_read_stops_no_other() {
    let (w, proxy, account) = many_documents(14).await;
    proxy.faults(json!([
        {"name": "broken", "service": "ssm", "action": "GetDocument", "contains": "Shell-03",
         "status": 400, "code": "AccessDeniedException", "message": "not this one"},
        {"name": "slow", "service": "ssm", "action": "GetDocument", "contains": "Shell-",
         "effect": "hold", "hold_timeout": 30}
    ]));
    let sweep = w.handle_in_background(&sweep_event());
    assert!(proxy.wait("slow", "held", 8, 60), "{}", proxy.hits());
    // Reads wait for one another: never more than the bound at once.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(proxy.hits()["slow"]["held"], 8, "{}", proxy.hits());
    proxy.release("slow");
    let run = sweep.join().unwrap();
    let out = run.json();
    assert_eq!(
        proxy.hits()["broken"]["hits"],
        1,
        "the fault fired: {}",
        proxy.hits()
    );
    // Every other document, in both regions, was read and told.
    let alerts = w.alerts().await;
    let mut named: Vec<String> = of_kind(&alerts, "run_as_bypass")
        .iter()
        .map(|a| a["message"]["document"].as_str().unwrap().to_string())
        .collect();
    named.sort();
    let mut want: Vec<String> = (0..14)
        .filter(|i| *i != 3)
        .map(|i| format!("Shell-{i:02}"))
        .collect();
    want.extend(["Shell-eu-0".to_string(), "Shell-eu-1".to_string()]);
    assert_eq!(named, want);
    // The account's row says which region was not read whole, and why.
    let rows = look_rows(&out, &account);
    assert_eq!(rows.len(), 1, "{out:#}");
    assert_eq!(rows[0]["region"], "us-east-1");
    assert_eq!(rows[0]["action"], "failed");
    assert_eq!(rows[0]["error_code"], "AccessDeniedException");
    assert!(
        rows[0]["error"]
            .as_str()
            .unwrap()
            .contains("1 of 14 could not be read"),
        "{rows:#?}"
    );
    assert_eq!(
        run.code, 0,
        "the sweep finished and reported: {}",
        run.stderr
    );
    let summary = of_kind(&alerts, "sweep_summary");
    assert_eq!(summary.len(), 1, "{alerts:#?}");
    assert_eq!(summary[0]["message"]["severity"], "error", "{summary:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_near_its_deadline_starts_no_more_reads_and_says_so() {
    let (w, proxy, account) = many_documents(14).await;
    // The first reads take 12 s; the invocation has 10 s before its margin.
    proxy.faults(json!([
        {"name": "slow", "service": "ssm", "action": "GetDocument", "contains": "Shell-",
         "effect": "hold", "hold_timeout": 12, "times": 8}
    ]));
    let path = w.write_event(&sweep_event());
    let started = std::time::Instant::now();
    let run = w.run(&["handle", path.to_str().unwrap(), "--deadline", "70"]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(40),
        "it stopped in time"
    );
    assert_eq!(
        proxy.hits()["slow"]["hits"],
        8,
        "the slowness fired: {}",
        proxy.hits()
    );
    let out = run.json();
    let rows = look_rows(&out, &account);
    let unread: usize = rows
        .iter()
        .filter(|r| r["error_code"] == "DeadlineNear")
        .map(|r| {
            let e = r["error"].as_str().unwrap();
            assert!(e.contains("the look was cut short"), "{e}");
            e.split("cut short: ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert_eq!(unread, 16 - 8, "every read not started is counted: {out:#}");
    // What was read was told; the summary went out.
    let alerts = w.alerts().await;
    assert_eq!(of_kind(&alerts, "run_as_bypass").len(), 8);
    assert_eq!(of_kind(&alerts, "sweep_summary").len(), 1, "{alerts:#?}");
}
