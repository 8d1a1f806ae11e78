//! One rule for what is told, whatever the trigger: a document that differs
//! from what the table last recorded, under the same desired user and
//! mode, is told once by whichever run finds it (a member-stack update, a
//! Control Tower baseline, `UpdateManagedAccount`, a sweep); in audit a new
//! finding is news even where the slot was already noncompliant; and what
//! the policy changed is one `policy_applied` per sweep, never a warning
//! per account-region. Edits are made by the member's `Admin` role with no
//! event sent, as when forwarding is broken.

use crate::common;

use common::proxy::world_behind_proxy;
use common::*;
use serde_json::{json, Value};

const R: &str = "eu-west-1";

/// The admin sets `user` in `R` and no event reaches the hub.
async fn edited_without_event(w: &World, account: &str, user: &str) {
    let mut doc = w.document(account, R).await.unwrap().0;
    doc["inputs"]["runAsDefaultUser"] = json!(user);
    w.admin_write(account, R, &doc, true).await;
}

fn messages(alerts: &[Value]) -> Vec<&Value> {
    alerts.iter().map(|a| &a["message"]).collect()
}

fn update_managed_account(account: &str) -> Value {
    let mut e = sample("account_vended.controltower-update-managed-account.json");
    e["id"] = json!(format!("uma-{account}"));
    e["detail"]["serviceEventDetails"]["updateManagedAccountStatus"]["account"]["accountId"] =
        json!(account);
    e
}

/// Each trigger that looks at the whole account without an edit event of
/// its own puts the edit back and tells it once, naming itself; a sweep
/// after it finds the document right and stays silent.
#[tokio::test(flavor = "multi_thread")]
async fn a_put_back_by_any_trigger_is_told_once_and_the_next_sweep_is_silent() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    let triggers: Vec<(&str, Value)> = vec![
        (
            "member_stack_landed",
            stack_landed(&account, R, "stack-update-1"),
        ),
        (
            "baseline_applied",
            baseline_applied(&account, "o-example", "baseline-1"),
        ),
        ("account_vended", update_managed_account(&account)),
    ];
    for (n, (kind, event)) in triggers.into_iter().enumerate() {
        edited_without_event(&w, &account, &format!("root{n}")).await;
        let (code, out) = w.handle(&event);
        assert_eq!(code, 0, "{kind}: {out:#}");
        let (doc, default, latest) = w.document(&account, R).await.unwrap();
        assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")), "{kind}");
        assert_eq!(default, latest, "{kind}");
        let alerts = w.alerts().await;
        let told = messages(&alerts);
        let drift: Vec<_> = told
            .iter()
            .filter(|m| m["kind"] == "drift_reverted")
            .collect();
        assert_eq!(drift.len(), 1, "{kind}: told once: {told:#?}");
        let m = drift[0];
        assert_eq!(m["found_by"], kind);
        assert_eq!(m["region"], R);
        assert_eq!(m["before"]["runAsDefaultUser"], format!("root{n}"));
        assert!(m["note"].as_str().unwrap().contains("forwarding"), "{m:#}");
        assert!(
            !told.iter().any(|m| m["kind"] == "account_configured"),
            "said once per account, at its vend: {told:#?}"
        );
        // The event delivered again: nothing new to tell.
        let (code, _) = w.handle(&event);
        assert_eq!(code, 0);
        let (code, out) = w.handle(&sweep_event());
        assert_eq!(code, 0, "{out:#}");
        let after = w.alerts().await;
        assert!(
            after.is_empty(),
            "{kind}: the sweep and the duplicate stay silent: {after:#?}"
        );
    }
}

/// The control: a member-stack update of an account nobody edited says
/// nothing, and neither does the sweep after it.
#[tokio::test(flavor = "multi_thread")]
async fn a_member_stack_update_of_an_untouched_account_is_silent() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    for region in REGIONS {
        let (code, out) = w.handle(&stack_landed(&account, region, &format!("su-{region}")));
        assert_eq!(code, 0, "{out:#}");
    }
    let (code, _) = w.handle(&sweep_event());
    assert_eq!(code, 0);
    let alerts = w.alerts().await;
    assert!(alerts.is_empty(), "{alerts:#?}");
}

/// Audit: an account-region already reported noncompliant and edited again
/// (to root) is news once, by its event; the edit's second event, the same
/// event again and the next sweep are silent. A sweep that finds another
/// value no event brought tells that one too.
#[tokio::test(flavor = "multi_thread")]
async fn audit_tells_each_new_finding_once_even_where_already_noncompliant() {
    let w = World::new().await;
    w.write_policy("mode = \"audit\"");
    let account = w.create_account("member", None).await;
    for region in REGIONS {
        w.admin_write(&account, region, &lza_document(&account), true)
            .await;
    }
    let (code, _) = w.handle(&vend_event(&account));
    assert_eq!(code, 0);
    let first = w.alerts().await;
    let found = of_kind(&first, "drift_detected");
    assert_eq!(found.len(), 1, "one finding for the account: {first:#?}");
    assert_eq!(
        found[0]["message"]["findings"], 2,
        "each region's first finding, listed: {first:#?}"
    );
    let (code, _) = w.handle(&sweep_event());
    assert_eq!(code, 0);
    let quiet = w.alerts().await;
    assert!(of_kind(&quiet, "drift_detected").is_empty(), "{quiet:#?}");

    let mut doc = w.document(&account, R).await.unwrap().0;
    doc["inputs"]["runAsEnabled"] = json!(true);
    doc["inputs"]["runAsDefaultUser"] = json!("root");
    w.admin_write(&account, R, &doc, true).await;
    let update = made_now(doc_event("UpdateDocument", &account, R, "Admin"));
    let switch = made_now(doc_event(
        "UpdateDocumentDefaultVersion",
        &account,
        R,
        "Admin",
    ));
    for event in [&update, &switch, &update] {
        let (code, out) = w.handle(event);
        assert_eq!(code, 0, "{out:#}");
    }
    let alerts = w.alerts().await;
    let found = of_kind(&alerts, "drift_detected");
    assert_eq!(found.len(), 1, "told once: {alerts:#?}");
    let m = &found[0]["message"];
    assert_eq!(m["before"]["runAsDefaultUser"], "root");
    assert_eq!(m["actor"], format!("arn:aws:iam::{account}:role/Admin"));
    assert_eq!(m["found_by"], "document_changed");
    assert!(m.get("note").is_none(), "an event brought it: {m:#}");
    let (code, _) = w.handle(&sweep_event());
    assert_eq!(code, 0);
    assert!(of_kind(&w.alerts().await, "drift_detected").is_empty());
    let state = w.state(&account, R).await.unwrap();
    assert_eq!(
        (state["status"].as_str(), state["observed_user"].as_str()),
        ("noncompliant", "root")
    );

    edited_without_event(&w, &account, "admin").await;
    let (code, _) = w.handle(&sweep_event());
    assert_eq!(code, 0);
    let alerts = w.alerts().await;
    let found = of_kind(&alerts, "drift_detected");
    assert_eq!(found.len(), 1, "{alerts:#?}");
    let m = &found[0]["message"];
    assert_eq!(
        (m["found_by"].as_str(), m["region"].as_str()),
        (Some("sweep"), Some(R))
    );
    assert!(m["note"].as_str().unwrap().contains("forwarding"));
    assert!(
        w.document(&account, R).await.unwrap().0["inputs"]["runAsDefaultUser"] == "admin",
        "audit never writes"
    );
}

/// Three accounts and the management account, both regions: the default user changes from `ssm-ops` to
/// `app-ops`. Enforce writes it and audit reports it, each as one
/// `policy_applied` naming the change and its reach, with no per-slot
/// warning. An edit no event brought, under the unchanged policy after it,
/// still gets its own alert.
#[tokio::test(flavor = "multi_thread")]
async fn a_policy_change_is_one_summary_and_never_a_warning_per_account_region() {
    for mode in ["enforce", "audit"] {
        let w = World::new().await;
        let mut accounts = Vec::new();
        for n in 0..3 {
            let account = w.create_account(&format!("member{n}"), None).await;
            for region in REGIONS {
                let mut doc = lza_document(&account);
                doc["inputs"]["runAsEnabled"] = json!(true);
                doc["inputs"]["runAsDefaultUser"] = json!("ssm-ops");
                w.admin_write(&account, region, &doc, true).await;
            }
            accounts.push(account);
        }
        let policy = |user: &str| {
            format!(
                "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\", \"eu-west-1\"]\nmode = \"{mode}\"\n[default]\nrun_as_user = \"{user}\"\n"
            )
        };
        w.write_policy_raw(&policy("ssm-ops"));
        let (code, _) = w.handle(&sweep_event());
        assert_eq!(code, 0);
        w.alerts().await;

        w.write_policy_raw(&policy("app-ops"));
        let (code, out) = w.handle(&sweep_event());
        assert_eq!(code, 0, "{mode}: {out:#}");
        let alerts = w.alerts().await;
        let kinds: Vec<&str> = alerts
            .iter()
            .map(|a| a["message"]["kind"].as_str().unwrap())
            .collect();
        assert!(
            !kinds
                .iter()
                .any(|k| k.starts_with("drift_") || *k == "tamper_repeated"),
            "{mode}: no per-slot warning for the policy's change: {kinds:?}"
        );
        let applied = of_kind(&alerts, "policy_applied");
        assert_eq!(applied.len(), 1, "{mode}: {kinds:?}");
        let m = &applied[0]["message"];
        assert_eq!(m["severity"], "info");
        // The management account too: its document made by the first sweep
        // (enforce) or recorded missing (audit).
        let reached = 8;
        assert_eq!(m["account_regions"], reached, "{m:#}");
        assert_eq!(m["changes"]["ssm-ops -> app-ops"], reached);
        assert_eq!(m["written"], if mode == "enforce" { 8 } else { 0 });
        assert_eq!(m["entries"].as_array().unwrap().len(), reached);
        assert!(m["by_ou"]
            .as_object()
            .unwrap()
            .values()
            .all(|n| n.as_u64() > Some(0)));
        let doc = w.document(&accounts[0], R).await.unwrap().0;
        let want = if mode == "enforce" {
            "app-ops"
        } else {
            "ssm-ops"
        };
        assert_eq!(doc["inputs"]["runAsDefaultUser"], want, "{mode}");

        // The same policy again: nothing new.
        let (code, _) = w.handle(&sweep_event());
        assert_eq!(code, 0);
        let again = w.alerts().await;
        assert!(
            of_kind(&again, "policy_applied").is_empty(),
            "{mode}: {again:#?}"
        );
        assert!(
            of_kind(&again, "drift_detected").is_empty(),
            "{mode}: {again:#?}"
        );

        // Under the unchanged policy, an edit no event brought is told.
        edited_without_event(&w, &accounts[1], "root").await;
        let (code, _) = w.handle(&sweep_event());
        assert_eq!(code, 0);
        let alerts = w.alerts().await;
        let want = if mode == "enforce" {
            "drift_reverted"
        } else {
            "drift_detected"
        };
        let told = of_kind(&alerts, want);
        assert_eq!(told.len(), 1, "{mode}: {alerts:#?}");
        assert_eq!(told[0]["message"]["account"], accounts[1].as_str());
        assert_eq!(told[0]["message"]["found_by"], "sweep");
        assert!(of_kind(&alerts, "policy_applied").is_empty());
    }
}

/// A policy relaxed from enforce to audit where every document is already
/// right: nothing is written and nothing is found, yet the guard stopped
/// putting edits back, so the sweep tells it once in its `policy_applied`
/// (the reverse writes and is told the same way); the next sweep under the
/// same policy is quiet (unreleased).
#[tokio::test(flavor = "multi_thread")]
async fn a_policy_relaxed_from_enforce_to_audit_is_told_once() {
    let w = World::new().await;
    let account = w.create_account("member", None).await;
    for region in REGIONS {
        let mut doc = lza_document(&account);
        doc["inputs"]["runAsEnabled"] = json!(true);
        doc["inputs"]["runAsDefaultUser"] = json!("ssm-ops");
        w.admin_write(&account, region, &doc, true).await;
    }
    let policy = |mode: &str| {
        format!(
            "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\", \"eu-west-1\"]\nmode = \"{mode}\"\n[default]\nrun_as_user = \"ssm-ops\"\n"
        )
    };
    w.write_policy_raw(&policy("enforce"));
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    w.alerts().await;
    // Enforce, unchanged: the control run is quiet.
    let (code, _) = w.handle(&sweep_event());
    assert_eq!(code, 0);
    let quiet = w.alerts().await;
    assert!(of_kind(&quiet, "policy_applied").is_empty(), "{quiet:#?}");

    w.write_policy_raw(&policy("audit"));
    let (code, out) = w.handle(&sweep_event());
    assert_eq!(code, 0, "{out:#}");
    let alerts = w.alerts().await;
    let applied = of_kind(&alerts, "policy_applied");
    assert_eq!(applied.len(), 1, "{alerts:#?}");
    let m = &applied[0]["message"];
    // Enforcement given up is told at warning (since 0.8.0), counted.
    assert_eq!(m["severity"], "warning");
    assert_eq!(m["to_audit"], 4, "{m:#}");
    // The member's two regions and the management account's two.
    assert_eq!(m["account_regions"], 4, "{m:#}");
    assert_eq!(m["changes"]["enforce -> audit"], 4, "{m:#}");
    assert_eq!(m["written"], 0, "audit writes nothing: {m:#}");
    assert!(
        applied[0]["subject"]
            .as_str()
            .unwrap()
            .contains("enforce -> audit"),
        "{applied:#?}"
    );
    assert!(
        alerts
            .iter()
            .all(|a| !a["message"]["kind"].as_str().unwrap().starts_with("drift_")),
        "{alerts:#?}"
    );
    let doc = w.document(&account, R).await.unwrap().0;
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));

    // The same policy again: nothing new.
    let (code, _) = w.handle(&sweep_event());
    assert_eq!(code, 0);
    let again = w.alerts().await;
    assert!(of_kind(&again, "policy_applied").is_empty(), "{again:#?}");
}

/// An edit event that arrives after a policy change and before the sweep
/// that applies it: where the editor left Run As as recorded (they changed
/// another input), the put-back is the policy's change reaching that slot,
/// recorded `remediated` and blamed on nobody; where they changed Run As,
/// it is theirs and told once, naming them.
#[tokio::test(flavor = "multi_thread")]
async fn an_edit_under_a_pending_policy_change_blames_the_editor_only_for_their_own_change() {
    let w = World::new().await;
    let account = w.create_account("member", None).await;
    for region in REGIONS {
        let mut doc = lza_document(&account);
        doc["inputs"]["runAsEnabled"] = json!(true);
        doc["inputs"]["runAsDefaultUser"] = json!("ssm-ops");
        w.admin_write(&account, region, &doc, true).await;
    }
    let policy = |user: &str| {
        format!(
            "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\", \"eu-west-1\"]\nmode = \"enforce\"\n[default]\nrun_as_user = \"{user}\"\n"
        )
    };
    w.write_policy_raw(&policy("ssm-ops"));
    let (code, _) = w.handle(&sweep_event());
    assert_eq!(code, 0);
    w.alerts().await;
    w.write_policy_raw(&policy("app-ops"));

    // Another input edited, Run As as recorded: the policy's change.
    let mut doc = w.document(&account, R).await.unwrap().0;
    doc["inputs"]["idleSessionTimeout"] = json!("60");
    w.admin_write(&account, R, &doc, true).await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, R, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    let rows = out["accounts"][0]["regions"].as_array().unwrap();
    let row = rows.iter().find(|r| r["region"] == R).unwrap();
    assert_eq!(row["action"], "updated", "{out:#}");
    assert_eq!(row["change"]["kind"], "policy", "{out:#}");
    assert_eq!(row["change"]["to_user"], "app-ops", "{out:#}");
    let doc = w.document(&account, R).await.unwrap().0;
    assert_eq!(doc["inputs"]["runAsDefaultUser"], "app-ops");
    assert_eq!(doc["inputs"]["idleSessionTimeout"], "60", "the edit kept");
    let alerts = w.alerts().await;
    assert!(alerts.is_empty(), "nobody blamed: {alerts:#?}");
    let state = w.state(&account, R).await.unwrap();
    assert_eq!(state["status"], "remediated", "{state:?}");

    // Run As itself changed under the same pending policy: the editor's.
    let other = "us-east-1";
    let mut doc = w.document(&account, other).await.unwrap().0;
    doc["inputs"]["runAsDefaultUser"] = json!("root");
    w.admin_write(&account, other, &doc, true).await;
    let (code, out) = w.handle(&doc_event("UpdateDocument", &account, other, "Admin"));
    assert_eq!(code, 0, "{out:#}");
    let doc = w.document(&account, other).await.unwrap().0;
    assert_eq!(doc["inputs"]["runAsDefaultUser"], "app-ops");
    let alerts = w.alerts().await;
    let told = of_kind(&alerts, "drift_reverted");
    assert_eq!(told.len(), 1, "{alerts:#?}");
    assert_eq!(told[0]["message"]["region"], other);
    assert!(
        told[0]["message"]["actor"]
            .as_str()
            .unwrap()
            .contains("Admin"),
        "{:#}",
        told[0]["message"]
    );
    assert_eq!(
        w.state(&account, other).await.unwrap()["status"],
        "reverted"
    );
}

/// A run with no edit event of its own whose one Query of the account's
/// rows fails (refused past the SDK's retries) cannot tell someone's
/// change from a first look: it fails before it writes, and the retry
/// judges with the rows and tells the put-back once. Never a silent one.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_cannot_read_the_accounts_rows_fails_and_its_retry_tells() {
    let (w, proxy, account) = world_behind_proxy().await;
    for region in REGIONS {
        w.admin_write(&account, region, &lza_document(&account), true)
            .await;
    }
    let (code, out) = w.handle(&vend_event(&account));
    assert_eq!(code, 0, "{out:#}");
    w.alerts().await;
    edited_without_event(&w, &account, "root").await;
    proxy.faults(
        json!([{"name": "rows", "service": "dynamodb", "action": "Query",
        "contains": format!("ACCOUNT#{account}"), "status": 500, "code": "InternalServerError",
        "protocol": "json", "message": "We encountered an internal error"}]),
    );

    let event = stack_landed(&account, R, "stack-update-rows");
    let (code, out) = w.handle(&event);
    assert_eq!(code, 1, "the run fails, to be retried: {out:#}");
    assert!(
        proxy.hits()["rows"]["hits"].as_u64().unwrap_or(0) >= 1,
        "the refusal fired: {}",
        proxy.hits()
    );
    assert!(
        out["reason"].as_str().unwrap_or_default().contains("Query"),
        "{out:#}"
    );
    let (doc, _, _) = w.document(&account, R).await.unwrap();
    assert_eq!(
        doc["inputs"]["runAsDefaultUser"], "root",
        "nothing written without the rows"
    );

    // Lambda's retry, the table answering again: put back and told once.
    proxy.faults(json!([]));
    let (code, out) = w.handle(&event);
    assert_eq!(code, 0, "{out:#}");
    let (doc, _, _) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));
    let alerts = w.alerts().await;
    let drift: Vec<_> = messages(&alerts)
        .into_iter()
        .filter(|m| m["kind"] == "drift_reverted")
        .collect();
    assert_eq!(drift.len(), 1, "{alerts:#?}");
    assert_eq!(drift[0]["found_by"], "member_stack_landed");
    assert_eq!(drift[0]["before"]["runAsDefaultUser"], "root");
}

/// The member stack reaching a region the policy does not govern changes
/// nothing runas-guard looks at: the event is ignored with the reason, and
/// the account's governed regions are not run outside their own events
/// (the edit in a governed region waits for its event or the sweep).
#[tokio::test(flavor = "multi_thread")]
async fn a_member_stack_landing_in_an_ungoverned_region_is_ignored_with_the_reason() {
    let w = World::new().await;
    let account = w.configured_and_swept().await;
    edited_without_event(&w, &account, "root").await;
    let (code, out) = w.handle(&stack_landed(&account, "ap-south-1", "ungoverned-1"));
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["result"], "ignored", "{out:#}");
    let reason = out["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("ap-south-1") && reason.contains("does not govern"),
        "{reason}"
    );
    let (doc, _, _) = w.document(&account, R).await.unwrap();
    assert_eq!(doc["inputs"]["runAsDefaultUser"], "root", "nothing was run");
    assert!(w.alerts().await.is_empty());
    // A governed region's own event still runs (and tells the edit).
    let (code, out) = w.handle(&stack_landed(&account, R, "governed-1"));
    assert_eq!((code, out["result"].as_str()), (0, Some("done")), "{out:#}");
    let (doc, _, _) = w.document(&account, R).await.unwrap();
    assert_eq!(run_as(&doc), (json!(true), json!("ssm-ops")));
}
