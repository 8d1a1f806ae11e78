//! The declared Identity Center mapping (`[identity_center]`): a console
//! change is told once with before/after and, in enforce, put back once,
//! whatever the deliveries; alert mode never writes; a sweep finds what no
//! event brought; `policy check` warns a group-derived `SSMSessionRunAs`.
//! Identity Center's access-control attribute operations are emulated
//! (tests/moto_sso_attributes.py); moto lacks them.

use crate::common;

use aws_sdk_ssoadmin::types::{
    AccessControlAttribute, AccessControlAttributeValue,
    InstanceAccessControlAttributeConfiguration,
};
use common::*;
use serde_json::{json, Value};

const IC_REGION: &str = "eu-west-1";
const UPDATE: &str = "UpdateInstanceAccessControlAttributeConfiguration";
const CREATE: &str = "CreateInstanceAccessControlAttributeConfiguration";
const DECLARED: &[(&str, &str)] = &[("SSMSessionRunAs", "${path:userName}")];

async fn world(mode: &str) -> (World, String) {
    let w = World::on(Moto::start_emulating("moto_sso_attributes.py", &[])).await;
    let instance = sso(&w).list_instances().send().await.unwrap().instances()[0]
        .instance_arn()
        .unwrap()
        .to_string();
    // The instance is discovered (ListInstances), not declared.
    w.write_policy(&policy(mode));
    // Identity Center holds the declared mapping, and a first sweep has
    // configured the organization's documents (its summary drained).
    console(&w, &instance, CREATE, DECLARED, "setup").await;
    assert_status(&w, &sweep_event(), "compliant");
    assert_eq!(w.alert_kinds().await, ["sweep_summary"]);
    (w, instance)
}

/// The declared mapping in `mode`.
fn policy(mode: &str) -> String {
    format!(
        "[identity_center]\nregion = \"{IC_REGION}\"\nmode = \"{mode}\"\n[identity_center.attributes]\nSSMSessionRunAs = \"${{path:userName}}\"\n"
    )
}

/// The Identity Center admin API as an administrator in the hub account uses it.
fn sso(w: &World) -> aws_sdk_ssoadmin::Client {
    let config = aws_sdk_ssoadmin::config::Builder::from(&w.cfg)
        .region(aws_sdk_ssoadmin::config::Region::new(IC_REGION))
        .build();
    aws_sdk_ssoadmin::Client::from_conf(config)
}

fn configuration(pairs: &[(&str, &str)]) -> InstanceAccessControlAttributeConfiguration {
    let attributes = pairs
        .iter()
        .map(|(k, v)| {
            AccessControlAttribute::builder()
                .key(*k)
                .value(
                    AccessControlAttributeValue::builder()
                        .source(*v)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        })
        .collect();
    InstanceAccessControlAttributeConfiguration::builder()
        .set_access_control_attributes(Some(attributes))
        .build()
        .unwrap()
}

/// What an administrator does in the console: the call, and its CloudTrail event.
async fn console(w: &World, instance: &str, op: &str, pairs: &[(&str, &str)], id: &str) -> Value {
    let c = sso(w);
    match op {
        CREATE => {
            c.create_instance_access_control_attribute_configuration()
                .instance_arn(instance)
                .instance_access_control_attribute_configuration(configuration(pairs))
                .send()
                .await
                .unwrap();
        }
        UPDATE => {
            c.update_instance_access_control_attribute_configuration()
                .instance_arn(instance)
                .instance_access_control_attribute_configuration(configuration(pairs))
                .send()
                .await
                .unwrap();
        }
        _ => {
            c.delete_instance_access_control_attribute_configuration()
                .instance_arn(instance)
                .send()
                .await
                .unwrap();
        }
    }
    event(instance, op, pairs, id)
}

/// An administrator's console edit of SSMSessionRunAs's source alone.
async fn run_as_edit(w: &World, instance: &str, source: &str, id: &str) -> Value {
    console(w, instance, UPDATE, &[("SSMSessionRunAs", source)], id).await
}

/// runas-guard handles `e` without failing and says the mapping is `status`.
fn assert_status(w: &World, e: &Value, status: &str) -> Value {
    let (code, out) = w.handle(e);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["identity_center"]["status"], status, "{out:#}");
    out
}

fn event(instance: &str, op: &str, pairs: &[(&str, &str)], id: &str) -> Value {
    let mut e = sample("run_as_override.sso-update-access-control-attributes.json");
    e["id"] = json!(id);
    e["account"] = json!(HUB);
    e["region"] = json!(IC_REGION);
    let d = &mut e["detail"];
    d["eventName"] = json!(op);
    d["eventID"] = json!(id);
    d["awsRegion"] = json!(IC_REGION);
    d["recipientAccountId"] = json!(HUB);
    d["requestParameters"] = json!({"instanceArn": instance});
    if op != "DeleteInstanceAccessControlAttributeConfiguration" {
        d["requestParameters"]["instanceAccessControlAttributeConfiguration"] = json!({
            "accessControlAttributes": pairs.iter().map(|(k, v)| json!({"key": k, "value": {"source": [v]}})).collect::<Vec<_>>()
        });
    }
    e
}

async fn mapping(w: &World, instance: &str) -> Option<Vec<(String, String)>> {
    let out = sso(w)
        .describe_instance_access_control_attribute_configuration()
        .instance_arn(instance)
        .send()
        .await;
    let out = match out {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return None
        }
        Err(e) => panic!("{e:?}"),
    };
    let mut pairs: Vec<(String, String)> = out
        .instance_access_control_attribute_configuration()
        .map(|c| c.access_control_attributes())
        .unwrap_or_default()
        .iter()
        .map(|a| (a.key().to_string(), a.value().unwrap().source().join("")))
        .collect();
    pairs.sort();
    Some(pairs)
}

fn declared() -> Option<Vec<(String, String)>> {
    Some(
        DECLARED
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// Calls of one access-control operation the emulator answered since the last reset.
fn calls(w: &World, op: &str) -> u64 {
    let (status, body) = http(w.moto.port(), "GET", "/_emulated/sso/calls", "");
    assert_eq!(status, 200, "{body}");
    body["operations"][op].as_u64().unwrap_or(0)
}

fn reset_calls(w: &World) {
    let (status, body) = http(w.moto.port(), "POST", "/_emulated/sso/calls/reset", "");
    assert_eq!(status, 200, "{body}");
}

async fn ic_state(w: &World, instance: &str) -> std::collections::HashMap<String, String> {
    let id = instance.rsplit('/').next().unwrap();
    w.items()
        .await
        .into_iter()
        .find(|i| i["pk"] == "IDENTITY_CENTER" && i["sk"] == format!("MAPPING#{id}"))
        .expect("the mapping's state item")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_console_change_is_told_once_with_before_and_after_and_put_back_once() {
    let (w, instance) = world("enforce").await;
    assert_status(&w, &sweep_event(), "compliant");
    assert!(w.alerts().await.is_empty(), "a kept mapping is silent");

    let edited = [
        ("SSMSessionRunAs", "${path:enterprise.department}"),
        ("CostCenter", "${path:enterprise.costCenter}"),
    ];
    let change = console(&w, &instance, UPDATE, &edited, "console-edit").await;
    reset_calls(&w);
    let explained = w
        .run(&["explain", w.write_event(&change).to_str().unwrap()])
        .json();
    assert_eq!(explained["trigger"], "run_as_override");
    assert_status(&w, &change, "restored");
    assert_eq!(mapping(&w, &instance).await, declared(), "put back");
    assert_eq!(calls(&w, UPDATE), 1, "one corrective write");

    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "identity_center_drift");
    assert_eq!(m["severity"], "warning");
    assert_eq!(m["account"], HUB);
    assert_eq!(m["instance"], instance);
    assert_eq!(
        m["before"],
        json!({"SSMSessionRunAs": "${path:userName}"}),
        "what the sweep recorded"
    );
    assert_eq!(
        m["after"],
        json!({"CostCenter": "${path:enterprise.costCenter}", "SSMSessionRunAs": "${path:enterprise.department}"})
    );
    assert_eq!(m["action"], "put_back");
    assert_eq!(m["changes"].as_array().unwrap().len(), 2, "{m:#}");
    assert!(
        m["actor"]
            .as_str()
            .unwrap()
            .contains("AWSReservedSSO_AdministratorAccess"),
        "{m:#}"
    );
    assert!(
        alerts[0]["subject"].as_str().unwrap().contains("put back"),
        "{alerts:#?}"
    );

    // The same change delivered again (the hub's and a forwarded rule), our
    // own write's event, and the next sweep: all silent, nothing written.
    assert_eq!(w.handle(&change).1["result"], "duplicate");
    let mut again = change.clone();
    again["id"] = json!("console-edit-forwarded");
    let mut ours = event(&instance, UPDATE, DECLARED, "our-put-back");
    ours["detail"]["userIdentity"] = json!({"type": "AssumedRole", "arn": format!("arn:aws:sts::{HUB}:assumed-role/runas-guard-hub/runas-guard"), "accountId": HUB,
        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": format!("arn:aws:iam::{HUB}:role/runas-guard-hub")}}});
    for e in [&again, &ours, &sweep_event()] {
        assert_status(&w, e, "compliant");
    }
    assert!(w.alerts().await.is_empty(), "one change, one alert");
    assert_eq!(
        calls(&w, UPDATE) + calls(&w, CREATE),
        1,
        "one change, one effect"
    );

    let state = ic_state(&w, &instance).await;
    assert_eq!(state["status"], "compliant");
    let status = w.run(&["status"]);
    let id = instance.rsplit('/').next().unwrap();
    assert!(
        status
            .stdout
            .contains(&format!("Identity Center {id}: compliant")),
        "{}",
        status.stdout
    );
    let history = w.history(HUB).await;
    let told: Vec<_> = history
        .iter()
        .filter(|r| r["status"] == "reverted")
        .collect();
    assert_eq!(told.len(), 1, "{history:#?}");
    assert!(
        told[0]["document"].starts_with("IdentityCenter:"),
        "{history:#?}"
    );
    assert!(
        told[0]["after"].contains("enterprise.department"),
        "{history:#?}"
    );

    // The same edit made again is a new change: told and put back again.
    let repeat = console(&w, &instance, UPDATE, &edited, "console-edit-2").await;
    reset_calls(&w);
    assert_eq!(w.handle(&repeat).0, 0);
    assert_eq!(w.alert_kinds().await, ["identity_center_drift"]);
    assert_eq!(calls(&w, UPDATE), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn alert_mode_tells_a_deleted_mapping_once_and_never_writes() {
    let (w, instance) = world("alert").await;
    let delete = console(
        &w,
        &instance,
        "DeleteInstanceAccessControlAttributeConfiguration",
        &[],
        "console-delete",
    )
    .await;
    reset_calls(&w);
    let (code, out) = w.handle(&delete);
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let m = &alerts[0]["message"];
    assert_eq!(m["kind"], "identity_center_drift");
    assert_eq!(m["after"], Value::Null, "the configuration is gone");
    assert_eq!(m["action"], "alert_only");
    assert!(alerts[0]["subject"]
        .as_str()
        .unwrap()
        .contains("not put back"));
    assert_eq!(
        mapping(&w, &instance).await,
        None,
        "alert mode never writes"
    );

    // A sweep finds the same drift: already told.
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["identity_center"]["status"], "drifted");
    assert_eq!(out["identity_center"]["alerted"], false);
    assert!(w.alerts().await.is_empty());
    assert_eq!(calls(&w, UPDATE) + calls(&w, CREATE), 0);
    assert_eq!(ic_state(&w, &instance).await["status"], "drifted");
    let doctor = w.run(&["doctor", "--format", "json"]).json();
    let check = doctor["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["scope"] == "hub" && c["item"] == "identity center")
        .cloned()
        .unwrap_or_default();
    assert_eq!(check["verdict"], "warn", "{doctor:#}");
    assert!(
        check["detail"]
            .as_str()
            .unwrap()
            .contains("SSMSessionRunAs"),
        "{check:#}"
    );

    // Put back by hand, then a sweep-found edit no event brought: told once by the sweep.
    console(&w, &instance, CREATE, DECLARED, "fixed").await;
    assert_status(&w, &sweep_event(), "compliant");
    run_as_edit(&w, &instance, "${path:groups}", "unseen").await;
    let (_, out) = w.handle(&sweep_event());
    assert_eq!(out["identity_center"]["alerted"], true, "{out:#}");
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(
        alerts[0]["message"]["actor"],
        Value::Null,
        "a sweep does not know who"
    );
    assert_eq!(
        alerts[0]["message"]["before"],
        json!({"SSMSessionRunAs": "${path:userName}"})
    );

    // An event about another instance is Run As decided elsewhere, as before.
    let other = event(
        "arn:aws:sso:::instance/ssoins-0000000000000000",
        UPDATE,
        DECLARED,
        "other-instance",
    );
    let (code, out) = w.handle(&other);
    assert_eq!(code, 0, "{out:#}");
    assert!(out.get("identity_center").is_none(), "{out:#}");
    assert_eq!(w.alert_kinds().await, ["run_as_override"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_deliveries_of_one_change_raced_put_it_back_once_with_one_alert() {
    let (mut w, instance) = world("enforce").await;
    let change = run_as_edit(&w, &instance, "root", "raced").await;
    let mut second = change.clone();
    second["id"] = json!("raced-forwarded");
    let proxy = w.behind_proxy();
    reset_calls(&w);
    // The first delivery's put-back is held in flight while the second runs.
    proxy.faults(json!([{"name": "first-put-back", "service": "sso", "action": UPDATE, "effect": "hold", "times": 1}]));
    let first = w.handle_in_background(&change);
    assert!(
        proxy.wait("first-put-back", "held", 1, 60),
        "the first put-back never came"
    );
    let second = w.handle_in_background(&second).join().unwrap();
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(
        second.json()["identity_center"]["status"],
        "drifted",
        "{}",
        second.stdout
    );
    assert_eq!(calls(&w, UPDATE), 0, "the second delivery wrote nothing");
    proxy.release("first-put-back");
    let first = first.join().unwrap();
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(proxy.hits()["first-put-back"]["hits"], 1, "the hold fired");
    assert_eq!(calls(&w, UPDATE), 1);
    assert_eq!(mapping(&w, &instance).await, declared());
    assert_eq!(
        w.alert_kinds().await,
        ["identity_center_drift"],
        "one change, one alert"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn policy_check_warns_a_group_derived_run_as_source() {
    let w = World::new().await;
    w.write_policy("[identity_center]\nregion = \"eu-west-1\"\n[identity_center.attributes]\nSSMSessionRunAs = \"${path:groups}\"\n");
    let run = w.run(&["policy", "check", path_str(&w.policy)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let warning = run
        .stdout
        .lines()
        .find(|l| l.contains(": warning: "))
        .unwrap_or_default();
    assert!(
        warning.contains("identity_center.attributes.SSMSessionRunAs")
            && warning.contains("groups"),
        "{}",
        run.stdout
    );
    w.write_policy("[identity_center]\nregion = \"eu-west-1\"\ninstance_arn = \"ssoins-1\"\n[identity_center.attributes]\nSSMSessionRunAs = \"${path:userName}\"\n");
    let run = w.run(&["policy", "check", path_str(&w.policy)]);
    assert_eq!(run.code, 2);
    assert_one_clean_line(&run.stderr);
    assert!(
        run.stderr.contains("identity_center.instance_arn"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_put_back_refused_with_conflict_is_written_again() {
    let (mut w, instance) = world("enforce").await;
    let change = run_as_edit(&w, &instance, "root", "conflicted").await;
    let proxy = w.behind_proxy();
    reset_calls(&w);
    // Identity Center: "a conflict with a previous successful write", twice.
    proxy.faults(
        json!([{"name": "conflict", "service": "sso", "action": UPDATE,
        "status": 400, "code": "ConflictException", "times": 2}]),
    );
    let (code, out) = w.handle(&change);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(proxy.hits()["conflict"]["hits"], 2, "the conflict fired");
    assert_eq!(out["identity_center"]["status"], "restored", "{out:#}");
    assert_eq!(calls(&w, UPDATE), 1, "the third try landed");
    assert_eq!(mapping(&w, &instance).await, declared());
    assert_eq!(w.alert_kinds().await, ["identity_center_drift"]);
}

/// The documented limit, made to happen: sso-admin has no condition on a
/// write, so an edit landing between our read and our put-back is
/// overwritten; its own event then finds the declared mapping, stays
/// silent, and its history row keeps what it asked for.
#[tokio::test(flavor = "multi_thread")]
async fn an_edit_inside_the_put_back_window_is_overwritten_and_kept_in_history() {
    let (mut w, instance) = world("enforce").await;
    let first = run_as_edit(&w, &instance, "root", "first-edit").await;
    let proxy = w.behind_proxy();
    proxy.faults(json!([{"name": "put-back", "service": "sso", "action": UPDATE, "effect": "hold", "times": 1}]));
    let running = w.handle_in_background(&first);
    assert!(
        proxy.wait("put-back", "held", 1, 60),
        "the put-back never came"
    );
    let inside = run_as_edit(&w, &instance, "${path:title}", "inside-edit").await;
    proxy.release("put-back");
    let run = running.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(proxy.hits()["put-back"]["hits"], 1, "the hold fired");
    assert_eq!(
        mapping(&w, &instance).await,
        declared(),
        "the later edit is overwritten"
    );
    assert_status(&w, &inside, "compliant");
    assert_eq!(
        w.alert_kinds().await,
        ["identity_center_drift"],
        "told once, for the first edit"
    );
    let history = w.history(HUB).await;
    assert!(
        history
            .iter()
            .any(|r| r["trigger_id"] == "inside-edit" && r["after"].contains("${path:title}")),
        "{history:#?}"
    );
}

/// A run that told a drift and died before putting it back: the first look
/// after its hold ran out finishes the put-back, once and without a second
/// alert; while the hold runs, nobody else writes.
#[tokio::test(flavor = "multi_thread")]
async fn a_put_back_a_dead_run_left_is_finished_once_after_its_hold() {
    let (w, instance) = world("enforce").await;
    run_as_edit(&w, &instance, "root", "edit").await;
    let id = instance.rsplit('/').next().unwrap();
    let told_by_a_dead_run = |until: i64| {
        let ddb = aws_sdk_dynamodb::Client::new(&w.cfg);
        let s = aws_sdk_dynamodb::types::AttributeValue::S;
        let item = ddb
            .update_item()
            .table_name(&w.table)
            .key("pk", s("IDENTITY_CENTER".into()))
            .key("sk", s(format!("MAPPING#{id}")))
            .update_expression(
                "SET reported = :r, reported_by = :by, reported_prev = :p, restore_until = :u",
            )
            .expression_attribute_values(":r", s(r#"{"SSMSessionRunAs":"root"}"#.into()))
            .expression_attribute_values(":by", s("dead-run".into()))
            .expression_attribute_values(":p", s(String::new()))
            .expression_attribute_values(
                ":u",
                aws_sdk_dynamodb::types::AttributeValue::N(until.to_string()),
            );
        async move { item.send().await.unwrap() }
    };
    let far = 4_102_444_800_000; // 2100: the dead run's hold still runs
    told_by_a_dead_run(far).await;
    reset_calls(&w);
    assert_status(&w, &sweep_event(), "drifted");
    assert_eq!(calls(&w, UPDATE), 0, "the holder may still be writing");

    told_by_a_dead_run(1).await;
    assert_status(&w, &sweep_event(), "restored");
    assert_eq!(calls(&w, UPDATE), 1);
    assert_eq!(mapping(&w, &instance).await, declared());
    assert!(
        w.alert_kinds().await.is_empty(),
        "already told by the dead run"
    );
    assert_status(&w, &sweep_event(), "compliant");
    assert_eq!(calls(&w, UPDATE), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_edit_made_again_before_our_own_event_is_told_and_put_back_again() {
    let (w, instance) = world("enforce").await;
    let edited = [("SSMSessionRunAs", "root")];
    let first = console(&w, &instance, UPDATE, &edited, "edit-1").await;
    assert_status(&w, &first, "restored");
    assert_eq!(w.alert_kinds().await, ["identity_center_drift"]);
    // Made again at once: the put-back's own event has not been handled.
    let second = console(&w, &instance, UPDATE, &edited, "edit-2").await;
    reset_calls(&w);
    assert_status(&w, &second, "restored");
    assert_eq!(mapping(&w, &instance).await, declared(), "put back again");
    assert_eq!(calls(&w, UPDATE), 1, "one corrective write");
    assert_eq!(
        w.alert_kinds().await,
        ["identity_center_drift"],
        "a new change"
    );
    // Our own write's event, late: nothing more.
    assert_status(
        &w,
        &event(&instance, UPDATE, DECLARED, "ours-late"),
        "compliant",
    );
    assert!(w.alerts().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drift_told_in_alert_mode_is_put_back_once_the_policy_says_enforce() {
    let (w, instance) = world("alert").await;
    let change = run_as_edit(&w, &instance, "root", "edit-in-alert-mode").await;
    assert_status(&w, &change, "drifted");
    assert_eq!(w.alert_kinds().await, ["identity_center_drift"]);
    let text = std::fs::read_to_string(&w.policy).unwrap();
    w.write_policy_raw(&text.replace("mode = \"alert\"", "mode = \"enforce\""));
    reset_calls(&w);
    assert_status(&w, &sweep_event(), "restored");
    assert_eq!(mapping(&w, &instance).await, declared(), "put back");
    assert_eq!(calls(&w, UPDATE) + calls(&w, CREATE), 1);
    let kinds = w.alert_kinds().await;
    assert!(
        !kinds.contains(&"identity_center_drift".to_string()),
        "told already: {kinds:?}"
    );
    assert_status(&w, &sweep_event(), "compliant");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_look_that_cannot_run_is_told_once_per_transition_and_fails_the_cli_sweep() {
    let (mut w, _instance) = world("enforce").await;
    let proxy = w.behind_proxy();
    // IdentityCenterAccess=None: the hub role may not read Identity Center.
    let denied = json!([{"name": "denied", "service": "sso", "action": "ListInstances", "status": 400,
        "code": "AccessDeniedException", "message": "User is not authorized to perform: sso:ListInstances"}]);
    proxy.faults(denied.clone());
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    assert!(
        proxy.hits()["denied"]["hits"].as_u64().unwrap_or(0) >= 1,
        "{}",
        proxy.hits()
    );
    assert_eq!(out["identity_center"]["status"], "failed", "{out:#}");
    let alerts = w.alerts().await;
    let failed = of_kind(&alerts, "identity_center_failed");
    assert_eq!(failed.len(), 1, "{alerts:#?}");
    let m = &failed[0]["message"];
    assert_eq!(
        (m["severity"].as_str(), m["error_code"].as_str()),
        (Some("error"), Some("AccessDeniedException"))
    );
    assert_eq!(m["region"], IC_REGION);
    assert!(!m["next_steps"].as_array().unwrap().is_empty(), "{m:#}");
    // Still failing: not told again; the CLI's sweep says it and exits 1.
    let cli = w.run(&["sweep"]);
    assert_eq!(cli.code, 1, "{}", cli.stderr);
    assert!(
        cli.stderr
            .contains("Identity Center mapping could not be looked at"),
        "{}",
        cli.stderr
    );
    assert!(of_kind(&w.alerts().await, "identity_center_failed").is_empty());
    // Fixed, then broken again: a new transition, told again.
    proxy.faults(json!([]));
    assert_status(&w, &sweep_event(), "compliant");
    proxy.faults(denied);
    w.handle(&sweep_event());
    assert!(
        proxy.hits()["denied"]["hits"].as_u64().unwrap_or(0) >= 1,
        "{}",
        proxy.hits()
    );
    assert_eq!(
        of_kind(&w.alerts().await, "identity_center_failed").len(),
        1
    );
}

/// The mapping's drift findings in Security Hub CSPM: Identity Center's
/// account (the hub's, which administers it) and region.
fn drift_findings(w: &World) -> Vec<Value> {
    w.findings(HUB)
        .into_iter()
        .filter(|f| f["finding"]["GeneratorId"] == "runas-guard/identity-center-drift")
        .collect()
}

/// The one finding of `told`'s alert among `found`, checked as a security
/// team triages it.
fn finding_of<'a>(found: &'a [Value], told: &Value) -> &'a Value {
    let id = told["message"]["alert_id"].as_str().unwrap();
    let of: Vec<&Value> = found
        .iter()
        .filter(|f| f["finding"]["Id"].as_str().unwrap().ends_with(id))
        .collect();
    assert_eq!(of.len(), 1, "one alert, one finding: {found:#?}");
    assert_eq!(of[0]["region"], IC_REGION, "Identity Center's region");
    let f = &of[0]["finding"];
    assert_eq!(f["AwsAccountId"], HUB, "Identity Center's account: {f:#}");
    assert_eq!(
        crate::common::hub::triage(f),
        crate::common::hub::open("MEDIUM"),
        "{f:#}"
    );
    assert_eq!(
        f["Compliance"]["RelatedRequirements"],
        json!(["NIST.800-53.r5 AC-6", "NIST.800-53.r5 AC-2"])
    );
    let types = f["FindingProviderFields"]["Types"].as_array().unwrap();
    assert!(types.contains(&json!(
        "TTPs/Privilege Escalation/Session Manager Run As set outside the document"
    )));
    assert!(f["Remediation"]["Recommendation"]["Url"]
        .as_str()
        .unwrap()
        .ends_with("docs/operate.md#what-each-finding-means"));
    assert_eq!(f["Resources"][0]["Id"], told["message"]["instance"]);
    f
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drift_is_one_finding_in_identity_centers_account_and_region_sent_by_the_look_that_told_it(
) {
    let (w, instance) = world("alert").await;
    w.write_policy(&format!(
        "[security_hub]\nfindings = true\n{}",
        policy("alert")
    ));
    w.hub("enable", HUB, IC_REGION);
    // A delete whose event never came: the sweep's look finds it.
    console(
        &w,
        &instance,
        "DeleteInstanceAccessControlAttributeConfiguration",
        &[],
        "unseen",
    )
    .await;
    let out = assert_status(&w, &sweep_event(), "drifted");
    let alerts = w.alerts().await;
    let told = of_kind(&alerts, "identity_center_drift");
    assert_eq!(told.len(), 1, "{alerts:#?}");
    let found = drift_findings(&w);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = finding_of(&found, told[0]);
    assert_eq!(f["Resources"][0]["Id"], instance);
    // The sweep's report says the finding was taken, as for any account's.
    assert_eq!(
        out["identity_center"]["security_hub"]["imported"], 1,
        "{out:#}"
    );

    // Already told: the next sweep sends nothing about it.
    let imports = w.imports_in(HUB, IC_REGION);
    let out = assert_status(&w, &sweep_event(), "drifted");
    assert!(out["identity_center"]["security_hub"].is_null(), "{out:#}");
    assert!(w.alerts().await.is_empty());
    assert_eq!(w.imports_in(HUB, IC_REGION), imports, "not sent again");
    assert_eq!(drift_findings(&w).len(), 1);

    // A new change on its event (the mapping made again, another source):
    // its own alert and finding, once, whatever the deliveries.
    let pairs = [("SSMSessionRunAs", "${path:enterprise.department}")];
    let change = console(&w, &instance, CREATE, &pairs, "console-edit").await;
    let out = assert_status(&w, &change, "drifted");
    assert_eq!(
        out["identity_center"]["security_hub"]["imported"], 1,
        "the event's outcome says it too: {out:#}"
    );
    let alerts = w.alerts().await;
    let told = of_kind(&alerts, "identity_center_drift");
    assert_eq!(told.len(), 1, "{alerts:#?}");
    let found = drift_findings(&w);
    assert_eq!(found.len(), 2, "{found:#?}");
    finding_of(&found, told[0]);
    let imports = w.imports_in(HUB, IC_REGION);
    assert_eq!(w.handle(&change).1["result"], "duplicate");
    assert_status(&w, &sweep_event(), "drifted");
    assert!(w.alerts().await.is_empty());
    assert_eq!(w.imports_in(HUB, IC_REGION), imports, "not sent again");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_findings_asked_a_drift_is_told_by_its_alert_alone() {
    let (w, instance) = world("alert").await;
    w.hub("enable", HUB, IC_REGION);
    run_as_edit(&w, &instance, "${path:enterprise.department}", "quiet").await;
    assert_status(&w, &sweep_event(), "drifted");
    assert_eq!(w.alert_kinds().await, ["identity_center_drift"]);
    assert!(drift_findings(&w).is_empty(), "the policy asks for none");
    assert_eq!(w.imports(HUB), 0);
}
