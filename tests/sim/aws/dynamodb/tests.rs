//! The simulated DynamoDB, case by case: every expression the product
//! sends (listed by hand with where it comes from, and checked against the
//! literals in `src/adapters/store/` so a new one cannot slip past), each
//! operation and its refusals, races on one condition, transactions all or
//! nothing, paging, TTL, numbers and sizes.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::value::Num;
use super::*;

const ACCT: &str = "111111111111";
const REGION: &str = "us-east-1";
const TABLE: &str = "runas-guard-state";

fn db() -> Dynamo {
    let mut d = Dynamo::new();
    d.create_table(ACCT, REGION, TABLE, "pk", Some("sk"));
    d
}

fn call(d: &mut Dynamo, op: &str, mut req: Value) -> Result<Value> {
    if req.get("TableName").is_none()
        && !matches!(op, "BatchWriteItem" | "BatchGetItem" | "TransactWriteItems")
    {
        req["TableName"] = json!(TABLE);
    }
    d.handle(ACCT, REGION, op, &req, 1_800_000_000_000)
}

fn code(r: Result<Value>) -> String {
    match r {
        Ok(v) => format!("ok {v}"),
        Err(e) => e.code,
    }
}

fn msg(r: Result<Value>) -> String {
    match r {
        Ok(v) => panic!("expected a refusal, got {v}"),
        Err(e) => format!("{}: {}", e.code, e.message),
    }
}

fn key(pk: &str, sk: &str) -> Value {
    json!({"pk": {"S": pk}, "sk": {"S": sk}})
}

fn put(d: &mut Dynamo, item: Value) {
    call(d, "PutItem", json!({ "Item": item })).expect("put");
}

fn get(d: &mut Dynamo, pk: &str, sk: &str) -> Option<Value> {
    call(
        d,
        "GetItem",
        json!({ "Key": key(pk, sk), "ConsistentRead": true }),
    )
    .expect("get")
    .get("Item")
    .cloned()
}

// ---------------------------------------------------------------------
// Every expression the product sends.
// ---------------------------------------------------------------------

/// One write the product sends: its update (or none for a Put/Delete
/// condition), its condition, and values whose type is not a string.
struct Case {
    from: &'static str,
    update: &'static str,
    cond: Option<&'static str>,
    /// `:value` → its AttributeValue JSON, where a string would not do.
    typed: &'static [(&'static str, &'static str)],
}

const N: &str = r#"{"N":"1800000000000"}"#;
const ONE: &str = r#"{"N":"1"}"#;
const ZERO: &str = r#"{"N":"0"}"#;

/// `record_update` and `quiet_update_keeping_status` (src/adapters/store/update.rs),
/// at their extremes: everything set, and everything optional removed.
const RECORD_FULL: &str = "SET #st = :st, last_action = :last_action, account = :account, state_shard = :state_shard, #region = :region, last_trigger_id = :last_trigger_id, last_trigger_kind = :last_trigger_kind, last_checked = :last_checked, document = :document, first_seen = if_not_exists(first_seen, :last_checked), desired_user = :desired_user, observed_user = :observed_user, observed_run_as_enabled = :observed_run_as_enabled, default_version = :default_version, last_error = :last_error, last_error_code = :last_error_code, nodes = :nodes, held = :held, ou_path = :ou_path, #mode = :mode, version_at = :version_at, held_since = if_not_exists(held_since, :last_checked), last_actor = :last_actor, lease_until = :lease_until, reverts_at = :reverts_at, last_changed = :last_checked, changes = if_not_exists(changes, :zero) + :one REMOVE drift_seen_by, drift_seen_value, creating_by, creating_until, intent";
const RECORD_BARE: &str = "SET account = :account, state_shard = :state_shard, #region = :region, last_trigger_id = :last_trigger_id, last_trigger_kind = :last_trigger_kind, last_checked = :last_checked, first_seen = if_not_exists(first_seen, :last_checked) REMOVE desired_user, observed_user, observed_run_as_enabled, default_version, last_error, last_error_code, nodes, held, ou_path, #mode, version_at, held_since, held_told, held_told_at, held_told_by";

/// The statuses a quiet record keeps, and the record's time
/// (`NOT_UNDER_A_WRITE`).
const CHANGED_AT: &[(&str, &str)] = &[
    (":remediated", r#"{"S":"remediated"}"#),
    (":reverted", r#"{"S":"reverted"}"#),
    (":now", N),
];

const CASES: &[Case] = &[
    Case { from: "update.rs record_update (lease, wrote)", update: RECORD_FULL, cond: Some("lease_owner = :me AND lease_until <> :lease_until"), typed: &[(":lease_until", N), (":reverts_at", r#"{"L":[{"N":"1800000000"}]}"#), (":zero", ZERO), (":one", ONE)] },
    Case { from: "update.rs record_update (lease, nothing written)", update: RECORD_FULL, cond: Some("lease_owner = :me"), typed: &[(":lease_until", N), (":reverts_at", r#"{"L":[]}"#), (":zero", ZERO), (":one", ONE)] },
    Case { from: "update.rs NOT_AFTER_A_CHANGE", update: "SET #st = :st, last_action = :last_action, account = :account, state_shard = :state_shard, #region = :region, last_trigger_id = :last_trigger_id, last_trigger_kind = :last_trigger_kind, last_checked = :last_checked, first_seen = if_not_exists(first_seen, :last_checked)", cond: Some("(attribute_not_exists(#st) OR NOT (#st IN (:remediated, :reverted))) AND (attribute_not_exists(intent) OR lease_until < :now)"), typed: CHANGED_AT },
    Case { from: "update.rs HELD_AND_NOT_AFTER_A_CHANGE", update: "SET #st = :st, account = :account, lease_until = :lease_until", cond: Some("lease_owner = :me AND (attribute_not_exists(#st) OR NOT (#st IN (:remediated, :reverted)))"), typed: &[(":lease_until", N), (":remediated", r#"{"S":"remediated"}"#), (":reverted", r#"{"S":"reverted"}"#)] },
    Case { from: "update.rs quiet_update_keeping_status (no lease)", update: RECORD_BARE, cond: Some("attribute_not_exists(intent) OR lease_until < :now"), typed: &[(":now", N)] },
    Case { from: "update.rs last_changed", update: "SET last_checked = :last_checked, last_changed = :last_checked", cond: None, typed: &[] },
    Case { from: "state.rs adopt", update: "SET #st = :st, state_shard = :shard, last_action = :action, default_version = :version, version_at = :version_at, last_changed = :at, last_checked = :at, last_trigger_id = :tid, changes = if_not_exists(changes, :zero) + :one, reverts_at = :reverts, last_actor = :actor REMOVE intent", cond: Some("intent = :intent"), typed: &[(":zero", ZERO), (":one", ONE), (":reverts", r#"{"L":[{"N":"1800000000"}]}"#)] },
    Case { from: "state.rs drop_intent", update: "REMOVE intent", cond: Some("intent = :intent"), typed: &[] },
    Case { from: "drift_mark.rs update (legacy mark)", update: "SET drift_seen_by = :tid, drift_seen_value = :seen, state_shard = :shard", cond: Some("(attribute_not_exists(drift_seen_value) AND (attribute_not_exists(drift_seen_by) OR observed_user <> :user OR observed_run_as_enabled <> :enabled)) OR drift_seen_value <> :seen OR drift_seen_by = :tid"), typed: &[] },
    Case { from: "drift_mark.rs update", update: "SET drift_seen_by = :tid, drift_seen_value = :seen, state_shard = :shard", cond: Some("(attribute_not_exists(drift_seen_value) AND attribute_not_exists(drift_seen_by)) OR drift_seen_value <> :seen OR drift_seen_by = :tid"), typed: &[] },
    Case { from: "state.rs mark_findings", update: "SET hub_findings = :marks, state_shard = :shard", cond: None, typed: &[] },
    Case { from: "state.rs mark_unnamed", update: "SET #mark = :mark", cond: None, typed: &[] },
    Case { from: "kept_switch.rs keep_switch", update: "SET #switch = if_not_exists(#switch, :switch)", cond: Some("attribute_exists(pk)"), typed: &[] },
    Case { from: "state.rs mark_unnamed (older marks go)", update: "SET #mark = :mark REMOVE #old0, #old1", cond: None, typed: &[] },
    Case { from: "state.rs claim_unnamed", update: "SET reverts_at = list_append(if_not_exists(reverts_at, :none), :now) REMOVE #mark", cond: Some("#mark = :mark"), typed: &[(":none", r#"{"L":[]}"#), (":now", r#"{"L":[{"N":"1800000000"}]}"#)] },
    Case { from: "lease.rs keepalive", update: "SET lease_until = :next", cond: Some("lease_owner = :me AND lease_until = :last"), typed: &[(":next", N), (":last", N)] },
    Case { from: "lease.rs try_take (intent)", update: "SET lease_owner = :me, lease_until = :until, state_shard = :shard, intent = :intent", cond: Some("attribute_not_exists(lease_until) OR lease_until < :now OR lease_owner = :me"), typed: &[(":until", N), (":now", N)] },
    Case { from: "lease.rs try_take", update: "SET lease_owner = :me, lease_until = :until, state_shard = :shard", cond: Some("attribute_not_exists(lease_until) OR lease_until < :now OR lease_owner = :me"), typed: &[(":until", N), (":now", N)] },
    Case { from: "reported.rs swap (nodes)", update: "SET nodes_prev = if_not_exists(nodes_reported, :none), nodes_reported = :now, nodes_by = :tid", cond: Some("attribute_not_exists(nodes_reported) OR nodes_reported <> :now"), typed: &[] },
    Case { from: "fact_items.rs row_check (a ConditionCheck: its condition, beside a plain update)", update: "SET checked_at = :at", cond: Some("default_version = :seen AND (attribute_not_exists(intent) OR lease_until < :at OR lease_owner = :me)"), typed: &[(":at", N)] },
    Case { from: "fact_items.rs row_check, no version recorded", update: "SET checked_at = :at", cond: Some("attribute_not_exists(default_version) AND (attribute_not_exists(intent) OR lease_until < :at OR lease_owner = :me)"), typed: &[(":at", N)] },
    Case { from: "fact_items.rs claim_update (a token's own item)", update: "SET #by = :tid, #seen = :seen_s, #until = :until, #actor = :actor, #token = :token, #slot = :slot, #ttl = :ttl REMOVE #kept", cond: Some("attribute_not_exists(#by) OR (#seen <> :seen_s AND attribute_not_exists(#made)) OR (attribute_not_exists(#kept) AND (#by = :tid OR #until < :at))"), typed: &[(":at", N), (":until", N), (":ttl", N)] },
    Case { from: "fact_items.rs claim_update knowing when its version was made", update: "SET #by = :tid, #seen = :seen_s, #until = :until, #actor = :actor, #token = :token, #slot = :slot, #ttl = :ttl, #made = :made REMOVE #kept", cond: Some("attribute_not_exists(#by) OR (#seen <> :seen_s AND #seen <> :unread AND attribute_not_exists(#made)) OR (#seen = :unread AND attribute_not_exists(#made)) OR (attribute_not_exists(#kept) AND (#by = :tid OR #until < :at)) OR (attribute_exists(#made) AND #made <> :made)"), typed: &[(":at", N), (":until", N), (":ttl", N)] },
    Case { from: "fact_items.rs claim_update kept at once (made with the keep)", update: "SET #by = :tid, #seen = :seen_s, #until = :until, #actor = :actor, #token = :token, #slot = :slot, #ttl = :ttl, #kept = :tid", cond: Some("attribute_not_exists(#by) OR (#seen <> :seen_s AND attribute_not_exists(#made)) OR (attribute_not_exists(#kept) AND (#by = :tid OR #until < :at))"), typed: &[(":at", N), (":until", N), (":ttl", N)] },
    Case { from: "fact_items.rs claim_update in a history that found the document made again", update: "SET #by = :tid, #seen = :seen_s, #until = :until, #actor = :actor, #token = :token, #slot = :slot, #ttl = :ttl, #made = :made REMOVE #kept", cond: Some("attribute_not_exists(#by) OR (#seen <> :seen_s AND #seen <> :unread AND attribute_not_exists(#made)) OR (#seen = :unread AND attribute_not_exists(#made)) OR (attribute_not_exists(#kept) AND (#by = :tid OR #until < :at)) OR attribute_not_exists(#made) OR #made <> :made"), typed: &[(":at", N), (":until", N), (":ttl", N)] },
    Case { from: "fact_items.rs claim_update by a run that read no record (UNREAD)", update: "SET #by = :tid, #seen = :seen_s, #until = :until, #actor = :actor, #token = :token, #slot = :slot, #ttl = :ttl REMOVE #kept", cond: Some("attribute_not_exists(#by) OR (attribute_not_exists(#kept) AND (#by = :tid OR #until < :at))"), typed: &[(":at", N), (":until", N), (":ttl", N)] },
    Case { from: "fact_items.rs claim_update by a run that read no record, knowing when its version was made", update: "SET #by = :tid, #seen = :seen_s, #until = :until, #actor = :actor, #token = :token, #slot = :slot, #ttl = :ttl, #made = :made REMOVE #kept", cond: Some("attribute_not_exists(#by) OR (attribute_not_exists(#kept) AND (#by = :tid OR #until < :at)) OR (attribute_exists(#made) AND #made <> :made)"), typed: &[(":at", N), (":until", N), (":ttl", N)] },
    Case { from: "fact_items.rs row_check by a run that read no record (UNREAD)", update: "SET checked_at = :at", cond: Some("(attribute_not_exists(intent) OR lease_until < :at OR lease_owner = :me)"), typed: &[(":at", N)] },
    Case { from: "fact_items.rs mark_update (a default a drift alert told)", update: "SET #by = if_not_exists(#by, :tid), #seen = if_not_exists(#seen, :unread), #until = if_not_exists(#until, :at), #actor = if_not_exists(#actor, :actor), #made = if_not_exists(#made, :made), #kept = if_not_exists(#kept, :tid), #token = :token, #slot = :slot, #ttl = :ttl, #drift_by = :tid", cond: None, typed: &[(":at", N), (":ttl", N)] },
    Case { from: "fact_items.rs kept_update", update: "SET #kept = :tid", cond: Some("#by = :tid"), typed: &[] },
    Case { from: "fact_items.rs kept_update with its window's span", update: "SET #kept = :tid, #opened = :opened, #through = :through", cond: Some("#by = :tid"), typed: &[(":opened", N), (":through", N)] },
    Case { from: "fact_items.rs claim_update kept at once with its window's span", update: "SET #by = :tid, #seen = :seen_s, #until = :until, #actor = :actor, #token = :token, #slot = :slot, #ttl = :ttl, #opened = :opened, #through = :through, #kept = :tid", cond: Some("attribute_not_exists(#by) OR (#seen <> :seen_s AND attribute_not_exists(#made)) OR (attribute_not_exists(#kept) AND (#by = :tid OR #until < :at))"), typed: &[(":at", N), (":until", N), (":ttl", N), (":opened", N), (":through", N)] },
    Case { from: "fact_items.rs mark_update with the drift's span", update: "SET #by = if_not_exists(#by, :tid), #seen = if_not_exists(#seen, :unread), #until = if_not_exists(#until, :at), #actor = if_not_exists(#actor, :actor), #made = if_not_exists(#made, :made), #kept = if_not_exists(#kept, :tid), #token = :token, #slot = :slot, #ttl = :ttl, #drift_by = :tid, #opened = if_not_exists(#opened, :opened), #through = if_not_exists(#through, :through)", cond: None, typed: &[(":at", N), (":ttl", N), (":opened", N), (":through", N)] },
    Case { from: "window_kept.rs give_back", update: "SET #until = :zero", cond: Some("#by = :tid AND attribute_not_exists(#kept)"), typed: &[(":zero", ZERO)] },
    Case { from: "bypass_marks.rs", update: "SET told = :fp, told_by = :tid", cond: Some("attribute_not_exists(told) OR told <> :fp OR told_by = :tid"), typed: &[] },
    Case { from: "check_claim.rs claim", update: "SET creating_by = :me, creating_until = :until", cond: Some("attribute_not_exists(creating_until) OR creating_until < :now OR creating_by = :me"), typed: &[(":until", N), (":now", N)] },
    Case { from: "check_claim.rs release", update: "REMOVE creating_by, creating_until", cond: Some("creating_by = :me"), typed: &[] },
    Case { from: "held.rs", update: "SET held_told = :fp, held_told_at = :at, held_told_by = :tid", cond: Some("held_since = :since AND (attribute_not_exists(held_told) OR held_told <> :fp)"), typed: &[] },
    Case { from: "coalesce.rs claim", update: "SET started = :now, #ttl = :ttl", cond: Some("(attribute_not_exists(started) OR started <= :open) AND (attribute_not_exists(done) OR done < :covering)"), typed: &[(":now", N), (":ttl", N), (":open", N), (":covering", N)] },
    Case { from: "coalesce.rs claim (an editor's event)", update: "SET started = :now, #ttl = :ttl", cond: Some("(attribute_not_exists(started) OR started <= :open) AND (attribute_not_exists(done) OR done < :covering OR attribute_not_exists(done_by) OR done_by <> :by)"), typed: &[(":now", N), (":ttl", N), (":open", N), (":covering", N)] },
    Case { from: "coalesce.rs claim (a switch)", update: "SET started = :now, #ttl = :ttl", cond: Some("(attribute_not_exists(started) OR started <= :open) AND (attribute_not_exists(done) OR done < :covering OR attribute_not_exists(judged) OR judged <> :made)"), typed: &[(":now", N), (":ttl", N), (":open", N), (":covering", N)] },
    Case { from: "coalesce.rs claim (an editor's switch)", update: "SET started = :now, #ttl = :ttl", cond: Some("(attribute_not_exists(started) OR started <= :open) AND (attribute_not_exists(done) OR done < :covering OR attribute_not_exists(done_by) OR done_by <> :by OR attribute_not_exists(judged) OR judged <> :made)"), typed: &[(":now", N), (":ttl", N), (":open", N), (":covering", N)] },
    Case { from: "coalesce.rs done", update: "SET done = :s REMOVE done_by, judged", cond: Some("attribute_exists(started) AND (attribute_not_exists(done) OR done < :s)"), typed: &[(":s", N)] },
    Case { from: "coalesce.rs done (an editor's event)", update: "SET done = :s, done_by = :by REMOVE judged", cond: Some("attribute_exists(started) AND (attribute_not_exists(done) OR done < :s)"), typed: &[(":s", N)] },
    Case { from: "coalesce.rs done (a default judged)", update: "SET done = :s, judged = :j REMOVE done_by", cond: Some("attribute_exists(started) AND (attribute_not_exists(done) OR done < :s)"), typed: &[(":s", N)] },
    Case { from: "coalesce.rs done (an editor's event, a default judged)", update: "SET done = :s, done_by = :by, judged = :j", cond: Some("attribute_exists(started) AND (attribute_not_exists(done) OR done < :s)"), typed: &[(":s", N)] },
    Case { from: "sweeps.rs start", update: "SET expected = :n, started_at = :at, #ttl = :ttl", cond: None, typed: &[(":n", ONE), (":ttl", N)] },
    Case { from: "sweeps.rs finish (in a transaction with the part's put)", update: "ADD finished_count :one", cond: None, typed: &[(":one", ONE)] },
    Case { from: "sweeps.rs summarize", update: "SET summarized_by = :me", cond: Some("attribute_not_exists(summarized_by) OR summarized_by = :me"), typed: &[] },
    Case { from: "identity_center.rs record", update: "SET #st = :st, observed = :obs, declared = :dec, checked_at = :at, trigger_id = :tid, trigger_kind = :tk, actor = :actor, #err = :err, changed_at = :at", cond: Some("attribute_not_exists(#st) OR #st <> :st OR observed <> :obs OR declared <> :dec OR #err <> :err"), typed: &[] },
    Case { from: "identity_center.rs swap", update: "SET reported_prev = if_not_exists(observed, :none), reported = :found, reported_by = :tid, restore_until = :until", cond: Some("(attribute_not_exists(reported) OR reported <> :found) AND NOT (restored_found = :found AND restored_at > :read)"), typed: &[(":until", N), (":read", N)] },
    Case { from: "identity_center.rs hold", update: "SET restore_until = :until", cond: Some("restore_until = :seen AND reported = :found"), typed: &[(":until", N), (":seen", N)] },
    Case { from: "identity_center.rs clear", update: "REMOVE reported, reported_by, reported_prev, restore_until", cond: Some("attribute_exists(reported)"), typed: &[] },
    Case { from: "identity_center.rs restored", update: "SET restored_found = :found, restored_at = :now REMOVE reported, reported_by, reported_prev, restore_until", cond: Some("reported = :found"), typed: &[(":now", N)] },
    Case { from: "identity_center_look.rs failing", update: "SET failing = :code, failing_since = :now", cond: Some("attribute_not_exists(failing) OR failing <> :code"), typed: &[] },
    Case { from: "identity_center_look.rs recovered", update: "REMOVE failing, failing_since", cond: Some("attribute_exists(failing)"), typed: &[] },
    Case { from: "outbox.rs take", update: "SET #owner = :me, lease_until = :until", cond: Some("attribute_exists(pk) AND (attribute_not_exists(lease_until) OR lease_until < :now OR #owner = :me)"), typed: &[(":until", N), (":now", N)] },
    Case { from: "outbox.rs free", update: "SET lease_until = :zero", cond: Some("#owner = :me"), typed: &[(":zero", ZERO)] },
    Case { from: "receipts.rs claim", update: "SET #st = :in_progress, #owner = :me, trigger_kind = :kind, claimed_at = :at, lease_until = :until, #ttl = :ttl", cond: Some("attribute_not_exists(pk) OR #owner = :me OR (#st <> :done AND lease_until < :now)"), typed: &[(":until", N), (":now", N), (":ttl", N)] },
    Case { from: "receipts.rs renew", update: "SET lease_until = :until", cond: Some("#owner = :me AND #st = :in_progress"), typed: &[(":until", N)] },
    Case { from: "receipts.rs complete", update: "SET #st = :done, completed_at = :at, summary = :summary REMOVE pending_alerts", cond: Some("#owner = :me"), typed: &[] },
    Case { from: "receipts.rs release (alerts)", update: "SET #st = :st, lease_until = :zero, pending_alerts = :alerts", cond: Some("#owner = :me"), typed: &[(":zero", ZERO)] },
    Case { from: "receipts.rs release", update: "SET #st = :st, lease_until = :zero", cond: Some("#owner = :me"), typed: &[(":zero", ZERO)] },
    Case { from: "canary.rs write", update: "SET canary_token = :t, canary_written_ms = :w REMOVE canary_arrived_ms, canary_error", cond: Some("attribute_exists(pk)"), typed: &[(":w", N)] },
    Case { from: "canary.rs failed", update: "SET canary_error = :code REMOVE canary_token, canary_written_ms", cond: Some("canary_token = :t"), typed: &[] },
    Case { from: "canary.rs unwritable (first)", update: "SET canary_unwritable = :code", cond: Some("attribute_exists(pk) AND attribute_not_exists(canary_unwritable)"), typed: &[] },
    Case { from: "canary.rs unwritable (again)", update: "SET canary_unwritable = :code", cond: Some("canary_unwritable = :told"), typed: &[] },
    Case { from: "canary.rs writable", update: "REMOVE canary_unwritable", cond: Some("canary_unwritable = :told"), typed: &[] },
    Case { from: "canary.rs arrived", update: "SET canary_arrived_ms = :now REMOVE canary_missing_since_ms", cond: Some("canary_token = :t AND attribute_not_exists(canary_arrived_ms)"), typed: &[(":now", N)] },
    Case { from: "canary.rs missing", update: "SET canary_missing_since_ms = :since", cond: Some("canary_token = :t AND attribute_not_exists(canary_arrived_ms) AND attribute_not_exists(canary_missing_since_ms)"), typed: &[(":since", N)] },
    Case { from: "landing_gate.rs claim", update: "SET started = :now, #ttl = :ttl ADD seq :one REMOVE waiting", cond: Some("attribute_not_exists(started) OR started <= :open"), typed: &[(":now", N), (":ttl", N), (":one", ONE), (":open", N)] },
    Case { from: "landing_gate.rs give_back", update: "REMOVE started ADD waiting :regions", cond: Some("started = :ours"), typed: &[(":regions", r#"{"SS":["eu-west-1","us-east-1"]}"#), (":ours", N)] },
    Case { from: "landing_gate.rs register", update: "SET #ttl = :ttl ADD seq :one, waiting :region", cond: None, typed: &[(":ttl", N), (":one", ONE), (":region", r#"{"SS":["us-east-1"]}"#)] },
    Case { from: "landing_gate.rs finished", update: "SET #s0 = :take, #s1 = :take ADD waiting :unclean", cond: None, typed: &[(":take", N), (":unclean", r#"{"SS":["eu-west-1"]}"#)] },
    Case { from: "vend.rs pend", update: "SET chain = :c, due = :d, pending_since = if_not_exists(pending_since, :now)", cond: Some("attribute_not_exists(due) OR due < :now OR chain = :c"), typed: &[(":d", N), (":now", N)] },
    Case { from: "vend.rs configured (life)", update: "SET configured_by = :t, configured_life = :life REMOVE due", cond: Some("attribute_not_exists(configured_by) OR configured_by = :t OR configured_life < :life"), typed: &[(":life", N)] },
    Case { from: "vend.rs configured", update: "SET configured_by = :t, configured_life = :now REMOVE due", cond: Some("attribute_not_exists(configured_by) OR configured_by = :t"), typed: &[(":now", N)] },
    Case { from: "retired.rs remove_retired", update: "REMOVE #old0, #old1, #old2", cond: Some("attribute_exists(pk)"), typed: &[] },
    Case { from: "vend.rs enrolled", update: "SET enrolled_ms = :at", cond: Some("attribute_not_exists(enrolled_ms) OR enrolled_ms < :at"), typed: &[(":at", N)] },
];

/// The names the product maps (`ExpressionAttributeNames`).
fn name_of(placeholder: &str) -> &'static str {
    match placeholder {
        "#st" => "status",
        "#region" => "region",
        "#mode" => "mode",
        "#owner" => "owner",
        "#ttl" => "ttl",
        "#err" => "error",
        "#s0" => "seen_us-east-1",
        "#s1" => "seen_eu-west-1",
        "#b0" => "told 3 by",
        "#r0" => "told 3 seen",
        "#u0" => "told 3 until",
        "#k0" => "told 3 kept",
        "#b1" => "told 4 by",
        "#r1" => "told 4 seen",
        "#u1" => "told 4 until",
        "#k1" => "told 4 kept",
        "#a0" => "told 3 actor",
        "#a1" => "told 4 actor",
        "#by" => "by",
        "#seen" => "seen",
        "#until" => "until",
        "#kept" => "kept",
        "#actor" => "actor",
        "#token" => "token",
        "#slot" => "slot",
        "#made" => "made",
        "#drift_by" => "drift_by",
        "#opened" => "opened",
        "#through" => "through",
        "#mark" => "unnamed_v4",
        "#switch" => "switch_v4",
        "#old0" => "told 3 by",
        "#old1" => "window_reported",
        "#old2" => "told named 4 0123456789abcdef kept",
        other => panic!("no name for {other}"),
    }
}

/// `#names` and `:values` of an expression text, as the product would bind them.
fn placeholders(text: &str, sigil: char) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == sigil {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            out.push(chars[i..j].iter().collect());
            i = j;
        } else {
            i += 1;
        }
    }
    out.sort();
    out.dedup();
    out
}

fn bind(req: &mut Value, texts: &[&str], typed: &[(&str, &str)]) {
    let all = texts.join(" ");
    let names: serde_json::Map<String, Value> = placeholders(&all, '#')
        .into_iter()
        .map(|p| {
            let n = name_of(&p);
            (p, json!(n))
        })
        .collect();
    let values: serde_json::Map<String, Value> = placeholders(&all, ':')
        .into_iter()
        .map(|p| {
            let v = typed
                .iter()
                .find(|(k, _)| *k == p)
                .map(|(_, v)| serde_json::from_str(v).expect("typed value"))
                .unwrap_or_else(|| json!({"S": format!("v{p}")}));
            (p, v)
        })
        .collect();
    if !names.is_empty() {
        req["ExpressionAttributeNames"] = Value::Object(names);
    }
    if !values.is_empty() {
        req["ExpressionAttributeValues"] = Value::Object(values);
    }
}

/// A state item holding every attribute the cases touch, in the types the
/// product writes them.
fn sample_item() -> Value {
    json!({
        "pk": {"S": "ACCOUNT#222222222222"}, "sk": {"S": "REGION#us-east-1"},
        "status": {"S": "remediated"}, "state_shard": {"S": "STATE#1"},
        "lease_owner": {"S": "other-run"}, "lease_until": {"N": "1800000060000"},
        "reverts_at": {"L": [{"N": "1799999000"}]}, "changes": {"N": "4"},
        "intent": {"S": "v:intent"}, "waiting": {"SS": ["ap-south-1"]}, "seq": {"N": "7"},
        "started": {"N": "1799999000000"}, "done": {"N": "1"}, "finished": {"SS": ["333333333333"]},
        "owner": {"S": "v:me"}, "reported": {"S": "v:found"}, "restore_until": {"N": "1800000000000"},
        "canary_token": {"S": "v:t"}, "unnamed_v4": {"S": "v:mark"}, "held_since": {"S": "v:since"},
        "creating_by": {"S": "v:me"}, "failing": {"S": "other"}, "configured_by": {"S": "v:t"},
    })
}

fn run_case(c: &Case, existing: bool) -> Result<Value> {
    let mut d = db();
    if existing {
        put(&mut d, sample_item());
    }
    run_on(&mut d, c)
}

/// `c` sent to `d`'s sample key, its placeholders bound.
fn run_on(d: &mut Dynamo, c: &Case) -> Result<Value> {
    let mut req = json!({
        "Key": key("ACCOUNT#222222222222", "REGION#us-east-1"),
        "UpdateExpression": c.update,
        "ReturnValues": "ALL_NEW",
    });
    let mut texts = vec![c.update];
    if let Some(cond) = c.cond {
        req["ConditionExpression"] = json!(cond);
        texts.push(cond);
    }
    bind(&mut req, &texts, c.typed);
    call(d, "UpdateItem", req)
}

#[test]
fn every_product_write_expression_parses_and_evaluates_on_a_sample_item() {
    let mut outcomes = BTreeSet::new();
    for c in CASES {
        for existing in [false, true] {
            match run_case(c, existing) {
                Ok(v) => {
                    assert!(v["Attributes"]["pk"].is_object(), "{}: {v}", c.from);
                    outcomes.insert("written");
                }
                Err(e) if e.code == "ConditionalCheckFailedException" => {
                    assert!(c.cond.is_some(), "{}: refused without a condition", c.from);
                    outcomes.insert("refused");
                }
                Err(e) => panic!(
                    "{} (item present: {existing}): {}: {}",
                    c.from, e.code, e.message
                ),
            }
        }
    }
    // Both sides of the conditions were met.
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
}

#[test]
fn product_conditions_decide_both_ways() {
    // (case, holds on the absent item, holds on the sample item)
    let expected: &[(&str, bool, bool)] = &[
        ("lease.rs try_take", true, false),
        ("lease.rs keepalive", false, false),
        ("update.rs NOT_AFTER_A_CHANGE", true, false),
        ("state.rs drop_intent", false, true),
        ("state.rs claim_unnamed", false, true),
        ("kept_switch.rs keep_switch", false, true),
        ("outbox.rs take", false, true),
        ("receipts.rs claim", true, true),
        ("canary.rs write", false, true),
        ("landing_gate.rs claim", true, true),
        ("identity_center_look.rs failing", true, true),
        ("identity_center_look.rs recovered", false, true),
        ("vend.rs configured", true, true),
        ("coalesce.rs done", false, true),
        ("retired.rs remove_retired", false, true),
    ];
    for (from, absent, present) in expected {
        let c = CASES.iter().find(|c| c.from == *from).expect(from);
        for (existing, want) in [(false, absent), (true, present)] {
            let got = run_case(c, existing);
            assert_eq!(
                got.is_ok(),
                *want,
                "{from} (item present: {existing}): {}",
                code(got)
            );
        }
    }
}

/// Reads the product sends: (where, operation, request without TableName).
fn product_reads() -> Vec<(&'static str, &'static str, Value)> {
    let pk = json!({"S": "ACCOUNT#222222222222"});
    vec![
        (
            "known.rs snapshot_account / status.rs",
            "Query",
            json!({"KeyConditionExpression": "pk = :pk AND begins_with(sk, :region)", "ExpressionAttributeValues": {":pk": pk, ":region": {"S": "REGION#"}}}),
        ),
        (
            "fact_items.rs of_slot",
            "Query",
            json!({"KeyConditionExpression": "pk = :pk AND begins_with(sk, :facts)", "ConsistentRead": true, "ExpressionAttributeValues": {":pk": pk, ":facts": {"S": "FACT#us-east-1#"}}}),
        ),
        (
            "bypass_marks.rs",
            "Query",
            json!({"KeyConditionExpression": "pk = :pk AND begins_with(sk, :marks)", "ExpressionAttributeValues": {":pk": pk, ":marks": {"S": "BYPASS#"}}}),
        ),
        (
            "sweeps.rs parts",
            "Query",
            json!({"KeyConditionExpression": "pk = :pk AND begins_with(sk, :part)", "ConsistentRead": true, "ExpressionAttributeValues": {":pk": {"S": "SWEEP#s1"}, ":part": {"S": "PART#"}}}),
        ),
        (
            "outbox.rs / identity_center.rs",
            "Query",
            json!({"KeyConditionExpression": "pk = :pk", "ConsistentRead": true, "ExpressionAttributeValues": {":pk": {"S": "OUTBOX"}}}),
        ),
        (
            "status.rs history",
            "Query",
            json!({"KeyConditionExpression": "pk = :pk AND sk BETWEEN :from AND :to", "ExpressionAttributeValues": {":pk": pk, ":from": {"S": "HISTORY#"}, ":to": {"S": "HISTORY$"}}}),
        ),
        (
            "known.rs query_shard",
            "Query",
            json!({"IndexName": "state", "KeyConditionExpression": "state_shard = :shard", "ExpressionAttributeValues": {":shard": {"S": "STATE#1"}}}),
        ),
        (
            "governance.rs departed",
            "Query",
            json!({"IndexName": "state", "KeyConditionExpression": "state_shard = :shard", "ProjectionExpression": "account", "ExpressionAttributeValues": {":shard": {"S": "DEPARTED"}}}),
        ),
        (
            "status.rs all",
            "Scan",
            json!({"FilterExpression": "begins_with(sk, :region)", "ExpressionAttributeValues": {":region": {"S": "REGION#"}}}),
        ),
        (
            "audit_read.rs report",
            "Scan",
            json!({"FilterExpression": "begins_with(sk, :history) OR begins_with(sk, :told)", "ExpressionAttributeValues": {":history": {"S": "HISTORY#"}, ":told": {"S": "TOLD#"}}}),
        ),
        (
            "status.rs governance",
            "Scan",
            json!({"FilterExpression": "sk = :sk", "ExpressionAttributeValues": {":sk": {"S": "GOVERNANCE"}}}),
        ),
        (
            "check_claim.rs nodes",
            "GetItem",
            json!({"Key": key("ACCOUNT#222222222222", "REGION#us-east-1"), "ConsistentRead": true, "ProjectionExpression": "nodes"}),
        ),
        (
            "governance.rs claim_departure",
            "PutItem",
            json!({"Item": {"pk": pk, "sk": {"S": "GOVERNANCE"}, "account": {"S": "222222222222"}, "state_shard": {"S": "DEPARTED"}}, "ConditionExpression": "attribute_not_exists(pk) OR attribute_not_exists(state_shard)"}),
        ),
    ]
}

#[test]
fn every_product_read_and_put_is_answered() {
    let mut d = db();
    put(&mut d, sample_item());
    for (from, op, req) in product_reads() {
        let got = call(&mut d, op, req.clone());
        assert!(got.is_ok(), "{from}: {}", msg(got));
    }
    // The index holds the whole state item (a sweep sees the names 0.9.0
    // left), and a projection returns only what it names.
    let (_, _, mut shard) = product_reads()
        .into_iter()
        .find(|r| r.0 == "known.rs query_shard")
        .unwrap();
    let got = call(&mut d, "Query", shard.clone()).unwrap();
    assert_eq!(got["Count"], json!(1));
    assert_eq!(got["Items"][0], sample_item());
    shard["ProjectionExpression"] = json!("#st, intent, held, canary_token");
    shard["ExpressionAttributeNames"] = json!({"#st": "status"});
    let got = call(&mut d, "Query", shard).unwrap();
    assert_eq!(
        got["Items"][0],
        json!({"status": {"S": "remediated"}, "intent": {"S": "v:intent"}, "canary_token": {"S": "v:t"}})
    );
}

#[test]
fn the_names_0_9_0_left_are_removed_and_nothing_else() {
    let mut d = db();
    let mut item = sample_item();
    for name in [
        "told 3 by",
        "window_reported",
        "told named 4 0123456789abcdef kept",
    ] {
        item[name] = json!({"S": "old"});
    }
    put(&mut d, item);
    let c = CASES
        .iter()
        .find(|c| c.from.starts_with("retired.rs"))
        .unwrap();
    run_on(&mut d, c).expect("removed");
    let left = get(&mut d, "ACCOUNT#222222222222", "REGION#us-east-1").unwrap();
    assert_eq!(left, sample_item());
    // Again (a lost answer's retry): nothing to remove, nothing changes.
    run_on(&mut d, c).expect("removed again");
    let again = get(&mut d, "ACCOUNT#222222222222", "REGION#us-east-1").unwrap();
    assert_eq!(again, sample_item());
}

/// String literals of `src/adapters/store/` that look like expressions.
fn product_literals() -> Vec<(String, String)> {
    let here = std::path::Path::new(file!());
    let root = if here.is_absolute() {
        here.ancestors()
            .nth(5)
            .expect("the repository")
            .to_path_buf()
    } else {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    };
    let dir = root.join("src/adapters/store");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs") && !p.ends_with("update_tests.rs"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            let parts: Vec<&str> = line.split('"').collect();
            for lit in parts.iter().skip(1).step_by(2) {
                let looks = ["SET ", "REMOVE ", "ADD ", "DELETE "]
                    .iter()
                    .any(|k| lit.trim_start().starts_with(k))
                    || [
                        "attribute_",
                        "begins_with(",
                        " BETWEEN ",
                        " REMOVE ",
                        " = :",
                        " <> :",
                        " < :",
                        " <= :",
                        " > :",
                    ]
                    .iter()
                    .any(|k| lit.contains(k));
                if looks && !lit.contains('{') {
                    out.push((
                        f.file_name().unwrap().to_string_lossy().into_owned(),
                        lit.to_string(),
                    ));
                }
            }
        }
    }
    out
}

#[test]
fn every_expression_literal_in_the_store_is_listed_here() {
    let mut listed: Vec<String> = CASES
        .iter()
        .flat_map(|c| [Some(c.update), c.cond].into_iter().flatten())
        .map(str::to_string)
        .collect();
    for (_, _, req) in product_reads() {
        for k in [
            "KeyConditionExpression",
            "FilterExpression",
            "ConditionExpression",
            "ProjectionExpression",
        ] {
            if let Some(t) = req[k].as_str() {
                listed.push(t.to_string());
            }
        }
    }
    let literals = product_literals();
    assert!(
        literals.len() > 60,
        "found {} literals: is src/ there?",
        literals.len()
    );
    let missing: Vec<String> = literals
        .into_iter()
        .filter(|(_, lit)| !listed.iter().any(|l| l.contains(lit.as_str())))
        .map(|(f, lit)| format!("{f}: {lit}"))
        .collect();
    assert!(
        missing.is_empty(),
        "expressions the simulation's cases do not list:\n{}",
        missing.join("\n")
    );
}

// ---------------------------------------------------------------------
// Refusals, as AWS words them.
// ---------------------------------------------------------------------

#[test]
fn malformed_requests_are_refused_as_aws_refuses_them() {
    for (why, op, req, want_code, want_msg) in malformed() {
        let mut d = db();
        let got = call(&mut d, op, req);
        let text = msg(got);
        assert!(text.starts_with(want_code), "{why}: {text}");
        assert!(text.contains(want_msg), "{why}: {text}");
        assert_eq!(
            d.items(ACCT, REGION, TABLE),
            Vec::<Value>::new(),
            "{why}: nothing written"
        );
    }
    let mut d = db();
    let e = call(&mut d, "DescribeTable", json!({})).unwrap_err();
    assert!(e.is_unsupported(), "{e:?}");
    // The whole X-Amz-Target names the same operation.
    let req = json!({"TableName": TABLE, "Key": key("A", "B")});
    assert_eq!(
        d.handle(ACCT, REGION, "DynamoDB_20120810.GetItem", &req, 0)
            .unwrap(),
        json!({})
    );
}

/// Requests AWS refuses: (why, operation, request, code, a piece of the message).
fn malformed() -> Vec<(
    &'static str,
    &'static str,
    Value,
    &'static str,
    &'static str,
)> {
    let k = key("A", "B");
    vec![
        (
            "reserved word bare",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "SET status = :s", "ExpressionAttributeValues": {":s": {"S": "x"}}}),
            "ValidationException",
            "reserved keyword: status",
        ),
        (
            "reserved word in a condition",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "SET a = :s", "ConditionExpression": "attribute_exists(ttl)", "ExpressionAttributeValues": {":s": {"S": "x"}}}),
            "ValidationException",
            "reserved keyword: ttl",
        ),
        (
            "unused value",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "SET a = :s", "ExpressionAttributeValues": {":s": {"S": "x"}, ":t": {"S": "y"}}}),
            "ValidationException",
            "unused in expressions: keys: {:t}",
        ),
        (
            "unused name",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "SET a = :s", "ExpressionAttributeNames": {"#st": "status"}, "ExpressionAttributeValues": {":s": {"S": "x"}}}),
            "ValidationException",
            "ExpressionAttributeNames unused",
        ),
        (
            "undefined value",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "SET a = :s"}),
            "ValidationException",
            "attribute value: :s",
        ),
        (
            "undefined name",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "SET #a = :s", "ExpressionAttributeValues": {":s": {"S": "x"}}}),
            "ValidationException",
            "attribute name: #a",
        ),
        (
            "empty values",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "REMOVE a", "ExpressionAttributeValues": {}}),
            "ValidationException",
            "must not be empty",
        ),
        (
            "empty string set",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "ADD w :r", "ExpressionAttributeValues": {":r": {"SS": []}}}),
            "ValidationException",
            "may not be empty",
        ),
        (
            "duplicate set members",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "ADD w :r", "ExpressionAttributeValues": {":r": {"SS": ["a", "a"]}}}),
            "ValidationException",
            "contains duplicates",
        ),
        (
            "ADD a string",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "ADD w :r", "ExpressionAttributeValues": {":r": {"S": "a"}}}),
            "ValidationException",
            "operator: ADD, operand type: STRING",
        ),
        (
            "SET twice",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "SET a = :r SET b = :r", "ExpressionAttributeValues": {":r": {"S": "a"}}}),
            "ValidationException",
            "can only be used once",
        ),
        (
            "overlapping paths",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "SET a = :r REMOVE a", "ExpressionAttributeValues": {":r": {"S": "a"}}}),
            "ValidationException",
            "overlap",
        ),
        (
            "updating the key",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "SET sk = :r", "ExpressionAttributeValues": {":r": {"S": "a"}}}),
            "ValidationException",
            "part of the key",
        ),
        (
            "syntax",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "SET a = = :r", "ExpressionAttributeValues": {":r": {"S": "a"}}}),
            "ValidationException",
            "Syntax error",
        ),
        (
            "redundant parentheses",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "SET a = :r", "ConditionExpression": "((a = :r))", "ExpressionAttributeValues": {":r": {"S": "a"}}}),
            "ValidationException",
            "redundant parentheses",
        ),
        (
            "BETWEEN upside down",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "SET a = :r", "ConditionExpression": "b BETWEEN :hi AND :lo", "ExpressionAttributeValues": {":r": {"S": "a"}, ":hi": {"N": "5"}, ":lo": {"N": "1"}}}),
            "ValidationException",
            "BETWEEN",
        ),
        (
            "ordering a boolean",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "SET a = :r", "ConditionExpression": "b < :t", "ExpressionAttributeValues": {":r": {"S": "a"}, ":t": {"BOOL": true}}}),
            "ValidationException",
            "operand type: BOOL",
        ),
        (
            "bad attribute_type",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "SET a = :r", "ConditionExpression": "attribute_type(b, :t)", "ExpressionAttributeValues": {":r": {"S": "a"}, ":t": {"S": "STRING"}}}),
            "ValidationException",
            "Invalid attribute type name",
        ),
        (
            "missing key attribute",
            "GetItem",
            json!({"Key": {"pk": {"S": "A"}}}),
            "ValidationException",
            "does not match the schema",
        ),
        (
            "extra key attribute",
            "GetItem",
            json!({"Key": {"pk": {"S": "A"}, "sk": {"S": "B"}, "x": {"S": "C"}}}),
            "ValidationException",
            "does not match the schema",
        ),
        (
            "key of the wrong type",
            "GetItem",
            json!({"Key": {"pk": {"S": "A"}, "sk": {"N": "1"}}}),
            "ValidationException",
            "does not match the schema",
        ),
        (
            "empty key",
            "DeleteItem",
            json!({"Key": {"pk": {"S": ""}, "sk": {"S": "B"}}}),
            "ValidationException",
            "cannot contain an empty string value. Key: pk",
        ),
        (
            "put without sort key",
            "PutItem",
            json!({"Item": {"pk": {"S": "A"}}}),
            "ValidationException",
            "Missing the key sk",
        ),
        (
            "put with a number key",
            "PutItem",
            json!({"Item": {"pk": {"N": "1"}, "sk": {"S": "B"}}}),
            "ValidationException",
            "Type mismatch for key pk",
        ),
        (
            "index key of the wrong type",
            "PutItem",
            json!({"Item": {"pk": {"S": "A"}, "sk": {"S": "B"}, "state_shard": {"N": "1"}}}),
            "ValidationException",
            "Index Key state_shard",
        ),
        (
            "empty index key",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "SET state_shard = :e", "ExpressionAttributeValues": {":e": {"S": ""}}}),
            "ValidationException",
            "secondary index key",
        ),
        (
            "put returning new",
            "PutItem",
            json!({"Item": {"pk": {"S": "A"}, "sk": {"S": "B"}}, "ReturnValues": "ALL_NEW"}),
            "ValidationException",
            "Return values set to invalid value",
        ),
        (
            "unknown ReturnValues",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "REMOVE a", "ReturnValues": "EVERYTHING"}),
            "ValidationException",
            "enum value set",
        ),
        (
            "two types in one value",
            "PutItem",
            json!({"Item": {"pk": {"S": "A"}, "sk": {"S": "B"}, "x": {"S": "1", "N": "1"}}}),
            "ValidationException",
            "more than one datatypes",
        ),
        (
            "no type",
            "PutItem",
            json!({"Item": {"pk": {"S": "A"}, "sk": {"S": "B"}, "x": {}}}),
            "ValidationException",
            "is empty",
        ),
        (
            "not a number",
            "PutItem",
            json!({"Item": {"pk": {"S": "A"}, "sk": {"S": "B"}, "x": {"N": "12a"}}}),
            "ValidationException",
            "cannot be converted to a numeric value: 12a",
        ),
        (
            "too many digits",
            "PutItem",
            json!({"Item": {"pk": {"S": "A"}, "sk": {"S": "B"}, "x": {"N": "123456789012345678901234567890123456789"}}}),
            "ValidationException",
            "38 significant digits",
        ),
        (
            "number too big",
            "PutItem",
            json!({"Item": {"pk": {"S": "A"}, "sk": {"S": "B"}, "x": {"N": "1E126"}}}),
            "ValidationException",
            "Number overflow",
        ),
        (
            "NULL false",
            "PutItem",
            json!({"Item": {"pk": {"S": "A"}, "sk": {"S": "B"}, "x": {"NULL": false}}}),
            "ValidationException",
            "Null attribute value",
        ),
        (
            "a table name AWS cannot have",
            "GetItem",
            json!({"TableName": "no way", "Key": k}),
            "ValidationException",
            "regular expression pattern",
        ),
        (
            "unknown table",
            "GetItem",
            json!({"TableName": "nope-table", "Key": k}),
            "ResourceNotFoundException",
            "Requested resource not found",
        ),
        (
            "query without key condition",
            "Query",
            json!({"ExpressionAttributeValues": {":p": {"S": "A"}}}),
            "ValidationException",
            "KeyConditionExpression parameter must be specified",
        ),
        (
            "query on the sort key alone",
            "Query",
            json!({"KeyConditionExpression": "sk = :p", "ExpressionAttributeValues": {":p": {"S": "A"}}}),
            "ValidationException",
            "missed key schema element: pk",
        ),
        (
            "query with two conditions on the hash key",
            "Query",
            json!({"KeyConditionExpression": "pk = :p AND pk = :q", "ExpressionAttributeValues": {":p": {"S": "A"}, ":q": {"S": "B"}}}),
            "ValidationException",
            "one condition per key",
        ),
        (
            "query with not-equal",
            "Query",
            json!({"KeyConditionExpression": "pk = :p AND sk <> :p", "ExpressionAttributeValues": {":p": {"S": "A"}}}),
            "ValidationException",
            "Invalid operator used in KeyConditionExpression: <>",
        ),
        (
            "query with contains",
            "Query",
            json!({"KeyConditionExpression": "pk = :p AND contains(sk, :p)", "ExpressionAttributeValues": {":p": {"S": "A"}}}),
            "ValidationException",
            "KeyConditionExpression: contains",
        ),
        (
            "query with size",
            "Query",
            json!({"KeyConditionExpression": "pk = :p AND size(sk) = :n", "ExpressionAttributeValues": {":p": {"S": "A"}, ":n": {"N": "1"}}}),
            "ValidationException",
            "nested operations",
        ),
        (
            "query with no key named",
            "Query",
            json!({"KeyConditionExpression": ":p = :q", "ExpressionAttributeValues": {":p": {"S": "A"}, ":q": {"S": "B"}}}),
            "ValidationException",
            "No key attribute specified",
        ),
        (
            "query with two keys in one condition",
            "Query",
            json!({"KeyConditionExpression": "pk = sk"}),
            "ValidationException",
            "Multiple attribute names",
        ),
        (
            "query on a non-key attribute",
            "Query",
            json!({"KeyConditionExpression": "pk = :p AND foo = :p", "ExpressionAttributeValues": {":p": {"S": "A"}}}),
            "ValidationException",
            "missed key schema element: sk",
        ),
        (
            "query with OR",
            "Query",
            json!({"KeyConditionExpression": "pk = :p OR sk = :p", "ExpressionAttributeValues": {":p": {"S": "A"}}}),
            "ValidationException",
            "Invalid operator used in KeyConditionExpression: OR",
        ),
        (
            "query hash by range",
            "Query",
            json!({"KeyConditionExpression": "pk > :p", "ExpressionAttributeValues": {":p": {"S": "A"}}}),
            "ValidationException",
            "Query key condition not supported",
        ),
        (
            "query key of the wrong type",
            "Query",
            json!({"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"N": "1"}}}),
            "ValidationException",
            "Condition parameter type does not match",
        ),
        (
            "query filter on a key",
            "Query",
            json!({"KeyConditionExpression": "pk = :p", "FilterExpression": "sk = :p", "ExpressionAttributeValues": {":p": {"S": "A"}}}),
            "ValidationException",
            "non-primary key attributes",
        ),
        (
            "consistent read on the index",
            "Query",
            json!({"IndexName": "state", "ConsistentRead": true, "KeyConditionExpression": "state_shard = :p", "ExpressionAttributeValues": {":p": {"S": "A"}}}),
            "ValidationException",
            "Consistent reads are not supported",
        ),
        (
            "unknown index",
            "Query",
            json!({"IndexName": "nope", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "A"}}}),
            "ValidationException",
            "does not have the specified index",
        ),
        (
            "limit zero",
            "Scan",
            json!({"Limit": 0}),
            "ValidationException",
            "greater than or equal to 1",
        ),
        (
            "count with a projection",
            "Scan",
            json!({"Select": "COUNT", "ProjectionExpression": "a"}),
            "ValidationException",
            "Cannot specify the ProjectionExpression",
        ),
        (
            "segment past the total",
            "Scan",
            json!({"Segment": 2, "TotalSegments": 2}),
            "ValidationException",
            "zero-based",
        ),
        (
            "names without expressions",
            "GetItem",
            json!({"Key": k, "ExpressionAttributeNames": {"#a": "a"}}),
            "ValidationException",
            "only be specified when using expressions",
        ),
        (
            "a bad name key",
            "GetItem",
            json!({"Key": k, "ProjectionExpression": "a", "ExpressionAttributeNames": {"a": "a"}}),
            "ValidationException",
            "invalid key",
        ),
        // What the model does not know is said so, never guessed.
        (
            "legacy parameter",
            "PutItem",
            json!({"Item": {"pk": {"S": "A"}, "sk": {"S": "B"}}, "Expected": {}}),
            "SimUnsupportedExpression",
            "Expected",
        ),
        (
            "unknown function",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "SET a = :r", "ConditionExpression": "is_fresh(a)", "ExpressionAttributeValues": {":r": {"S": "a"}}}),
            "SimUnsupportedExpression",
            "is_fresh",
        ),
        (
            "unknown update function",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "SET a = now()"}),
            "SimUnsupportedExpression",
            "now",
        ),
        (
            "nested update path",
            "UpdateItem",
            json!({"Key": k, "UpdateExpression": "SET a.b = :r", "ExpressionAttributeValues": {":r": {"S": "a"}}}),
            "SimUnsupportedExpression",
            "a.b",
        ),
        (
            "nested projection",
            "GetItem",
            json!({"Key": k, "ProjectionExpression": "a.b"}),
            "SimUnsupportedExpression",
            "nested",
        ),
    ]
}

#[test]
fn error_bodies_are_aws_json_1_0() {
    let v = DdbError::validation("bad").to_body();
    assert_eq!(
        v,
        json!({"__type": "com.amazon.coral.validate#ValidationException", "message": "bad"})
    );
    let mut d = db();
    put(
        &mut d,
        json!({"pk": {"S": "A"}, "sk": {"S": "B"}, "x": {"N": "1"}}),
    );
    let e = call(&mut d, "PutItem", json!({"Item": {"pk": {"S": "A"}, "sk": {"S": "B"}}, "ConditionExpression": "attribute_not_exists(pk)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})).unwrap_err();
    assert_eq!(
        e.to_body(),
        json!({"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", "message": "The conditional request failed", "Item": {"pk": {"S": "A"}, "sk": {"S": "B"}, "x": {"N": "1"}}})
    );
    // Without ALL_OLD the refusal carries no item.
    let e = call(&mut d, "PutItem", json!({"Item": {"pk": {"S": "A"}, "sk": {"S": "B"}}, "ConditionExpression": "attribute_not_exists(pk)"})).unwrap_err();
    assert_eq!(e.item, None);
    assert!(!e.is_unsupported());
}

// ---------------------------------------------------------------------
// Conditional writes and races.
// ---------------------------------------------------------------------

fn take_lease(d: &mut Dynamo, me: &str, now: i64) -> Result<Value> {
    call(
        d,
        "UpdateItem",
        json!({
            "Key": key("ACCOUNT#1", "REGION#us-east-1"),
            "UpdateExpression": "SET lease_owner = :me, lease_until = :until, state_shard = :shard",
            "ConditionExpression": "attribute_not_exists(lease_until) OR lease_until < :now OR lease_owner = :me",
            "ExpressionAttributeValues": {":me": {"S": me}, ":until": {"N": (now + 30_000).to_string()}, ":now": {"N": now.to_string()}, ":shard": {"S": "STATE#1"}},
            "ReturnValues": "ALL_OLD",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }),
    )
}

#[test]
fn of_two_runs_racing_for_one_lease_the_second_is_refused() {
    let mut d = db();
    let first = take_lease(&mut d, "run-a", 1_000).unwrap();
    assert_eq!(first, json!({}), "no old item, no attributes");
    let second = take_lease(&mut d, "run-b", 1_001).unwrap_err();
    assert_eq!(second.code, "ConditionalCheckFailedException");
    assert_eq!(
        second.item.as_ref().unwrap()["lease_owner"],
        json!({"S": "run-a"})
    );
    // The holder's retry (a lost answer) is let through; after expiry another run takes it.
    assert!(take_lease(&mut d, "run-a", 1_002).is_ok());
    let later = take_lease(&mut d, "run-b", 40_000).unwrap();
    assert_eq!(later["Attributes"]["lease_owner"], json!({"S": "run-a"}));
    assert_eq!(
        get(&mut d, "ACCOUNT#1", "REGION#us-east-1").unwrap()["lease_owner"],
        json!({"S": "run-b"})
    );
}

#[test]
fn a_comparison_with_a_missing_attribute_is_false_but_not_equal_is_true() {
    let mut d = db();
    put(
        &mut d,
        json!({"pk": {"S": "A"}, "sk": {"S": "B"}, "n": {"N": "5"}, "s": {"S": "abc"}, "tags": {"SS": ["x", "y"]}, "l": {"L": [{"S": "q"}]}}),
    );
    let cases = [
        ("gone = :v", false),
        ("gone <> :v", true),
        ("gone < :five", false),
        ("NOT (gone = :v)", true),
        ("n = :five", true),
        ("n = :fivepointo", true),
        ("n < :six", true),
        ("n < :v", false),
        ("n <> :v", true),
        ("n BETWEEN :five AND :six", true),
        ("n IN (:v, :five)", true),
        ("s IN (:v, :five)", false),
        ("begins_with(s, :ab)", true),
        ("begins_with(n, :ab)", false),
        ("contains(s, :b)", true),
        ("contains(tags, :x)", true),
        ("contains(l, :q)", true),
        ("size(s) = :three", true),
        ("size(tags) < :three", true),
        ("size(gone) = :three", false),
        ("attribute_type(tags, :ss)", true),
        ("attribute_type(s, :ss)", false),
        (
            "attribute_exists(n) AND NOT attribute_exists(gone) OR gone = :v",
            true,
        ),
        ("gone = :v OR n = :five AND s = :v", false),
        ("(gone = :v OR n = :five) AND s = :v", false),
        ("n = :five AND (s = :v OR s = :abc)", true),
    ];
    for (cond, holds) in cases {
        let mut req = json!({"Key": key("A", "B"), "UpdateExpression": "SET touched = :v", "ConditionExpression": cond});
        let vals = json!({":v": {"S": "v"}, ":five": {"N": "5"}, ":fivepointo": {"N": "5.0"}, ":six": {"N": "6"}, ":ab": {"S": "ab"}, ":b": {"S": "b"}, ":x": {"S": "x"}, ":q": {"S": "q"}, ":three": {"N": "3"}, ":ss": {"S": "SS"}, ":abc": {"S": "abc"}});
        let used: serde_json::Map<String, Value> = vals
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| {
                cond.contains(&format!("{k} "))
                    || cond.contains(&format!("{k})"))
                    || cond.contains(&format!("{k},"))
                    || cond.ends_with(k.as_str())
                    || k.as_str() == ":v"
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        req["ExpressionAttributeValues"] = Value::Object(used);
        let got = call(&mut d, "UpdateItem", req);
        match got {
            Ok(_) => assert!(holds, "{cond} held"),
            Err(e) if e.code == "ConditionalCheckFailedException" => {
                assert!(!holds, "{cond} failed")
            }
            Err(e) => panic!("{cond}: {}: {}", e.code, e.message),
        }
    }
}

// ---------------------------------------------------------------------
// Updates: values, arithmetic, sets, lists, what comes back.
// ---------------------------------------------------------------------

fn update(d: &mut Dynamo, expr: &str, values: Value, rv: &str) -> Result<Value> {
    let mut req = json!({"Key": key("A", "B"), "UpdateExpression": expr, "ReturnValues": rv});
    if values.as_object().is_some_and(|o| !o.is_empty()) {
        req["ExpressionAttributeValues"] = values;
    }
    call(d, "UpdateItem", req)
}

#[test]
fn updates_compute_as_aws_and_return_what_was_asked() {
    let mut d = db();
    // A missing item is created with its key; a counter starts from its default.
    let out = update(
        &mut d,
        "SET c = if_not_exists(c, :zero) + :one",
        json!({":zero": {"N": "0"}, ":one": {"N": "1"}}),
        "UPDATED_NEW",
    )
    .unwrap();
    assert_eq!(out, json!({"Attributes": {"c": {"N": "1"}}}));
    let out = update(
        &mut d,
        "SET c = if_not_exists(c, :zero) + :one",
        json!({":zero": {"N": "0"}, ":one": {"N": "1"}}),
        "UPDATED_OLD",
    )
    .unwrap();
    assert_eq!(out, json!({"Attributes": {"c": {"N": "1"}}}));
    // Epoch millis and 38 digits stay exact.
    let out = update(&mut d, "SET big = :b, c = c - :m", json!({":b": {"N": "99999999999999999999999999999999999999"}, ":m": {"N": "1800000000000.5"}}), "ALL_NEW").unwrap();
    assert_eq!(out["Attributes"]["c"], json!({"N": "-1799999999998.5"}));
    assert_eq!(
        out["Attributes"]["big"],
        json!({"N": "99999999999999999999999999999999999999"})
    );
    assert_eq!(out["Attributes"]["pk"], json!({"S": "A"}));
    let e = update(
        &mut d,
        "SET big = big + :half",
        json!({":half": {"N": "0.5"}}),
        "NONE",
    )
    .unwrap_err();
    assert_eq!(e.code, "ValidationException", "{e:?}");
    // ADD: numbers and sets; DELETE: set members, the attribute gone when empty.
    update(
        &mut d,
        "ADD seq :one, waiting :r",
        json!({":one": {"N": "1"}, ":r": {"SS": ["us-east-1", "eu-west-1"]}}),
        "NONE",
    )
    .unwrap();
    let out = update(
        &mut d,
        "ADD seq :one, waiting :r",
        json!({":one": {"N": "1"}, ":r": {"SS": ["us-east-1", "ap-south-1"]}}),
        "UPDATED_NEW",
    )
    .unwrap();
    assert_eq!(
        out,
        json!({"Attributes": {"seq": {"N": "2"}, "waiting": {"SS": ["ap-south-1", "eu-west-1", "us-east-1"]}}})
    );
    update(
        &mut d,
        "DELETE waiting :r",
        json!({":r": {"SS": ["ap-south-1", "eu-west-1", "us-east-1"]}}),
        "NONE",
    )
    .unwrap();
    assert!(get(&mut d, "A", "B").unwrap().get("waiting").is_none());
    // Type mismatches are refused, not coerced.
    for (expr, values) in [
        ("ADD seq :r", json!({":r": {"SS": ["x"]}})),
        ("SET seq = seq + :s", json!({":s": {"S": "1"}})),
        ("SET l = list_append(seq, :s)", json!({":s": {"L": []}})),
        ("SET x = nothing_here", json!({})),
    ] {
        let e = update(&mut d, expr, values, "NONE").unwrap_err();
        assert_eq!(e.code, "ValidationException", "{expr}: {e:?}");
    }
    // list_append in order, REMOVE, and every right-hand side reads the item as it was.
    update(
        &mut d,
        "SET l = list_append(if_not_exists(l, :none), :a)",
        json!({":none": {"L": []}, ":a": {"L": [{"N": "1"}]}}),
        "NONE",
    )
    .unwrap();
    let out = update(
        &mut d,
        "SET l = list_append(l, :a), m = l REMOVE seq",
        json!({":a": {"L": [{"N": "2"}]}}),
        "ALL_OLD",
    )
    .unwrap();
    assert_eq!(out["Attributes"]["seq"], json!({"N": "2"}));
    let now = get(&mut d, "A", "B").unwrap();
    assert_eq!(now["l"], json!({"L": [{"N": "1"}, {"N": "2"}]}));
    assert_eq!(now["m"], json!({"L": [{"N": "1"}]}));
    assert!(now.get("seq").is_none());
    // Removing from an absent item leaves it absent (AWS creates no bare key).
    let mut empty = db();
    for (expr, values) in [
        ("REMOVE a, b", json!({})),
        ("DELETE s :x", json!({":x": {"SS": ["x"]}})),
    ] {
        let out = update(&mut empty, expr, values, "ALL_NEW").unwrap();
        assert_eq!(out, json!({}), "{expr}");
        assert!(empty.items(ACCT, REGION, TABLE).is_empty(), "{expr}");
    }
    let out = update(
        &mut empty,
        "REMOVE a SET b = :b",
        json!({":b": {"S": "x"}}),
        "ALL_NEW",
    )
    .unwrap();
    assert_eq!(
        out["Attributes"],
        json!({"pk": {"S": "A"}, "sk": {"S": "B"}, "b": {"S": "x"}})
    );
    // Nothing updated, nothing returned.
    let out = update(&mut d, "REMOVE never_there", json!({}), "UPDATED_OLD").unwrap();
    assert_eq!(out, json!({}));
}

#[test]
fn numbers_are_exact_decimals() {
    let n = |s: &str| Num::parse(s).unwrap();
    for (text, canonical) in [
        ("0", "0"),
        ("-0", "0"),
        ("007", "7"),
        ("1.50", "1.5"),
        ("1e3", "1000"),
        ("1.5E-3", "0.0015"),
        (".5", "0.5"),
        ("5.", "5"),
        ("-1800000000000", "-1800000000000"),
        (
            "123456789012345678901234567890.12345678",
            "123456789012345678901234567890.12345678",
        ),
    ] {
        assert_eq!(n(text).text(), canonical, "{text}");
    }
    for bad in [
        "",
        "-",
        "1.2.3",
        "1e",
        "e5",
        "0x10",
        " 1",
        "NaN",
        "Infinity",
        "+12",
        "1e1234567",
    ] {
        assert!(Num::parse(bad).is_err(), "{bad}");
    }
    assert!(n("1.0") == n("1"));
    assert!(n("-2") < n("-1.5"));
    assert!(n("10") > n("9.99"));
    assert!(n("0.001") < n("0.01"));
    assert!(n("-0.001") > n("-0.01"));
    assert_eq!(n("0.1").plus(n("0.2")).unwrap().text(), "0.3");
    assert_eq!(
        n("1800000000000").plus(n("30000")).unwrap().text(),
        "1800000030000"
    );
    assert_eq!(n("5").plus(n("-5")).unwrap().text(), "0");
    assert!(n("9.9E125").plus(n("9.9E125")).is_err(), "past AWS's range");
    assert!(n("1E100").plus(n("1")).is_err(), "more than 38 digits");
    // 38 nines and one: one digit, in range.
    assert!(Num::parse("99999999999999999999999999999999999999")
        .unwrap()
        .plus(Num::from_i64(1))
        .is_ok_and(|n| n.text() == format!("1{}", "0".repeat(38))));
}

#[test]
fn items_are_sized_as_aws_sizes_them() {
    let mut d = db();
    // name (1) + value: the 400 KB limit, counted with the key attributes.
    let base = 2 + 1 + 2 + 1 + 1; // "pk"+"A", "sk"+"B", "x"
    let at_limit = "a".repeat(value::ITEM_LIMIT - base);
    put(
        &mut d,
        json!({"pk": {"S": "A"}, "sk": {"S": "B"}, "x": {"S": at_limit}}),
    );
    let over = "a".repeat(value::ITEM_LIMIT - base + 1);
    let e = call(
        &mut d,
        "PutItem",
        json!({"Item": {"pk": {"S": "A"}, "sk": {"S": "B"}, "x": {"S": over}}}),
    )
    .unwrap_err();
    assert_eq!(e.message, "Item size has exceeded the maximum allowed size");
    let e = update(&mut d, "SET y = :y", json!({":y": {"S": "z"}}), "NONE").unwrap_err();
    assert_eq!(
        e.message,
        "Item size to update has exceeded the maximum allowed size"
    );
    // Sizes of the other types.
    let size = |v: Value| AV::from_json(&v).unwrap().size();
    for (n, bytes) in [
        ("1800000012345", 8),
        ("0", 1),
        ("10", 2),
        ("12", 2),
        ("1200", 2),
        ("0.12", 2),
        ("1.2", 3),
        ("-5", 3),
    ] {
        assert_eq!(size(json!({ "N": n })), bytes, "{n}");
    }
    assert_eq!(size(json!({"BOOL": true})), 1);
    assert_eq!(size(json!({"NULL": true})), 1);
    assert_eq!(size(json!({"L": []})), 3);
    assert_eq!(size(json!({"L": [{"S": "ab"}]})), 6);
    assert_eq!(size(json!({"M": {"k": {"S": "ab"}}})), 7);
    assert_eq!(size(json!({"SS": ["ab", "c"]})), 3);
    assert_eq!(size(json!({"B": "AAEC"})), 3);
    // Key sizes.
    let e = call(
        &mut d,
        "GetItem",
        json!({"Key": {"pk": {"S": "p".repeat(2049)}, "sk": {"S": "B"}}}),
    )
    .unwrap_err();
    assert!(e.message.contains("2048"), "{e:?}");
    let e = call(
        &mut d,
        "GetItem",
        json!({"Key": {"pk": {"S": "A"}, "sk": {"S": "s".repeat(1025)}}}),
    )
    .unwrap_err();
    assert!(e.message.contains("1024"), "{e:?}");
}

#[test]
fn values_nest_32_levels_at_most() {
    let nest = |levels: usize| {
        let mut v = json!({"S": "x"});
        for _ in 0..levels {
            v = json!({ "L": [v] });
        }
        v
    };
    assert!(AV::from_json(&nest(32)).is_ok());
    let e = AV::from_json(&nest(33)).unwrap_err();
    assert_eq!(e.message, "Nesting Levels have exceeded supported limits");
}

#[test]
fn binary_values_round_trip() {
    for bytes in [
        vec![],
        vec![0u8],
        vec![1, 2],
        vec![255, 0, 7],
        (0..=255).collect::<Vec<u8>>(),
    ] {
        let text = value::b64_encode(&bytes);
        assert_eq!(value::b64_decode(&text), Some(bytes));
    }
    assert_eq!(value::b64_decode("AAE"), None);
    assert!(value::b64_decode("A@==").is_none());
}

// ---------------------------------------------------------------------
// Get, Put, Delete; accounts and regions apart.
// ---------------------------------------------------------------------

#[test]
fn puts_gets_and_deletes() {
    let mut d = db();
    assert_eq!(
        call(&mut d, "GetItem", json!({"Key": key("A", "B")})).unwrap(),
        json!({})
    );
    put(
        &mut d,
        json!({"pk": {"S": "A"}, "sk": {"S": "B"}, "x": {"S": "1"}, "y": {"N": "2"}}),
    );
    let old = call(&mut d, "PutItem", json!({"Item": {"pk": {"S": "A"}, "sk": {"S": "B"}, "x": {"S": "2"}}, "ReturnValues": "ALL_OLD"})).unwrap();
    assert_eq!(old["Attributes"]["y"], json!({"N": "2"}));
    let got = call(&mut d, "GetItem", json!({"Key": key("A", "B"), "ProjectionExpression": "x, #n, absent", "ExpressionAttributeNames": {"#n": "pk"}})).unwrap();
    assert_eq!(got, json!({"Item": {"pk": {"S": "A"}, "x": {"S": "2"}}}));
    // Conditional delete: refused, then done; the old item back when asked.
    let e = call(&mut d, "DeleteItem", json!({"Key": key("A", "B"), "ConditionExpression": "x = :v", "ExpressionAttributeValues": {":v": {"S": "1"}}})).unwrap_err();
    assert_eq!(e.code, "ConditionalCheckFailedException");
    let out = call(
        &mut d,
        "DeleteItem",
        json!({"Key": key("A", "B"), "ReturnValues": "ALL_OLD"}),
    )
    .unwrap();
    assert_eq!(out["Attributes"]["x"], json!({"S": "2"}));
    assert_eq!(
        call(
            &mut d,
            "DeleteItem",
            json!({"Key": key("A", "B"), "ReturnValues": "ALL_OLD"})
        )
        .unwrap(),
        json!({})
    );
    // Another account's or region's table is another table.
    d.create_table("222222222222", REGION, TABLE, "pk", Some("sk"));
    put(&mut d, json!({"pk": {"S": "A"}, "sk": {"S": "B"}}));
    let req = json!({"TableName": TABLE, "Key": key("A", "B")});
    assert_eq!(
        d.handle("222222222222", REGION, "GetItem", &req, 0)
            .unwrap(),
        json!({})
    );
    assert_eq!(
        d.handle(ACCT, "eu-west-1", "GetItem", &req, 0)
            .unwrap_err()
            .code,
        "ResourceNotFoundException"
    );
}

// ---------------------------------------------------------------------
// Query and Scan: order, paging, the index.
// ---------------------------------------------------------------------

fn fill(d: &mut Dynamo, pk: &str, n: usize, pad: usize) {
    for i in 0..n {
        put(
            d,
            json!({"pk": {"S": pk}, "sk": {"S": format!("REGION#{i:03}")}, "pad": {"S": "x".repeat(pad)}, "i": {"N": i.to_string()}}),
        );
    }
}

/// Every page of a read, following `LastEvaluatedKey`.
fn all_pages(d: &mut Dynamo, op: &str, req: Value) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut req = req;
    loop {
        let out = call(d, op, req.clone()).unwrap();
        pages += 1;
        items.extend(out["Items"].as_array().cloned().unwrap_or_default());
        match out.get("LastEvaluatedKey") {
            Some(k) => req["ExclusiveStartKey"] = k.clone(),
            None => return (items, pages),
        }
        assert!(pages < 1000, "paging does not end");
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["i"]["N"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn queries_read_in_sort_order_and_page_by_limit_and_size() {
    let mut d = db();
    fill(&mut d, "P", 30, 10);
    fill(&mut d, "Q", 3, 10);
    let q = json!({"KeyConditionExpression": "pk = :p AND begins_with(sk, :r)", "ExpressionAttributeValues": {":p": {"S": "P"}, ":r": {"S": "REGION#"}}});
    let (items, pages) = all_pages(&mut d, "Query", q.clone());
    assert_eq!(
        ids(&items),
        (0..30).map(|i| i.to_string()).collect::<Vec<_>>()
    );
    assert_eq!(pages, 1);
    // Limit: pages of 7, and a last empty page when the limit ends exactly.
    let mut limited = q.clone();
    limited["Limit"] = json!(7);
    let (items, pages) = all_pages(&mut d, "Query", limited.clone());
    assert_eq!((items.len(), pages), (30, 5));
    limited["Limit"] = json!(10);
    let (items, pages) = all_pages(&mut d, "Query", limited);
    assert_eq!((items.len(), pages), (30, 4));
    // Backwards.
    let mut back = q.clone();
    back["ScanIndexForward"] = json!(false);
    back["Limit"] = json!(4);
    let (items, _) = all_pages(&mut d, "Query", back);
    assert_eq!(ids(&items)[..3], ["29", "28", "27"]);
    assert_eq!(items.len(), 30);
    // Range conditions.
    for (cond, want) in [
        ("pk = :p AND sk BETWEEN :a AND :b", 3),
        ("pk = :p AND sk > :a", 20),
        ("pk = :p AND sk >= :a", 21),
        ("pk = :p AND sk < :a", 9),
        ("pk = :p AND sk <= :a", 10),
        ("pk = :p AND sk = :a", 1),
        ("(pk = :p) AND (sk = :a)", 1),
        ("sk = :a AND pk = :p", 1),
    ] {
        let mut vals = json!({":p": {"S": "P"}, ":a": {"S": "REGION#009"}});
        if cond.contains(":b") {
            vals[":b"] = json!({"S": "REGION#011"});
        }
        let out = call(
            &mut d,
            "Query",
            json!({"KeyConditionExpression": cond, "ExpressionAttributeValues": vals}),
        )
        .unwrap();
        assert_eq!(out["Count"], json!(want), "{cond}");
    }
    // 1 MB a page: 30 items of ~100 KB need 4 pages whatever the limit.
    let mut big = db();
    fill(&mut big, "P", 30, 100 * 1024);
    let (items, pages) = all_pages(&mut big, "Query", q.clone());
    assert_eq!((items.len(), pages), (30, 3));
    let first = call(&mut big, "Query", q.clone()).unwrap();
    assert_eq!(
        first["Count"],
        json!(11),
        "the item that crosses 1 MB is in the page"
    );
    // Filters count after reading; COUNT answers no items.
    let mut f = q.clone();
    f["FilterExpression"] = json!("i >= :ten");
    f["ExpressionAttributeValues"][":ten"] = json!({"N": "10"});
    f["Select"] = json!("COUNT");
    let out = call(&mut d, "Query", f).unwrap();
    assert_eq!(
        (
            out["Count"].clone(),
            out["ScannedCount"].clone(),
            out.get("Items")
        ),
        (json!(20), json!(30), None)
    );
    // A start key outside the query is refused, as AWS words it.
    for (query, start, why) in [
        (
            &q,
            key("Q", "REGION#001"),
            "at most one row and cannot be restarted",
        ),
        (
            &q,
            key("P", "OTHER#1"),
            "does not match the range key predicate",
        ),
        (
            &json!({"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "P"}}}),
            key("Q", "REGION#001"),
            "outside query boundaries",
        ),
        (
            &q,
            json!({"pk": {"S": "P"}, "sk": {"S": "REGION#001"}, "x": {"S": "1"}}),
            "The provided starting key is invalid",
        ),
        (
            &q,
            json!({"pk": {"S": "P"}}),
            "The provided starting key is invalid",
        ),
    ] {
        let mut req = query.clone();
        req["ExclusiveStartKey"] = start;
        assert!(msg(call(&mut d, "Query", req)).contains(why), "{why}");
    }
    // Values first are turned round: `:a <= sk` is `sk >= :a`.
    let out = call(&mut d, "Query", json!({"KeyConditionExpression": ":p = pk AND :a <= sk", "ExpressionAttributeValues": {":p": {"S": "P"}, ":a": {"S": "REGION#028"}}})).unwrap();
    assert_eq!(out["Count"], json!(2));
}

#[test]
fn the_state_index_is_sparse_ordered_and_paged() {
    let mut d = db();
    for (pk, shard) in [
        ("ACCOUNT#3", Some("STATE#1")),
        ("ACCOUNT#1", Some("STATE#1")),
        ("ACCOUNT#2", Some("STATE#2")),
        ("ACCOUNT#4", None),
    ] {
        let mut item =
            json!({"pk": {"S": pk}, "sk": {"S": "REGION#us-east-1"}, "account": {"S": pk}});
        if let Some(s) = shard {
            item["state_shard"] = json!({"S": s});
        }
        put(&mut d, item);
        // A second slot of the same account, and a history row (no shard).
        if let Some(s) = shard {
            put(
                &mut d,
                json!({"pk": {"S": pk}, "sk": {"S": "REGION#eu-west-1"}, "account": {"S": pk}, "state_shard": {"S": s}}),
            );
        }
        put(
            &mut d,
            json!({"pk": {"S": pk}, "sk": {"S": "HISTORY#2026"}}),
        );
    }
    let q = json!({"IndexName": "state", "KeyConditionExpression": "state_shard = :s", "ExpressionAttributeValues": {":s": {"S": "STATE#1"}}, "Limit": 1});
    let (items, pages) = all_pages(&mut d, "Query", q);
    let order: Vec<(&str, &str)> = items
        .iter()
        .map(|i| {
            (
                i["pk"]["S"].as_str().unwrap(),
                i["sk"]["S"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("ACCOUNT#1", "REGION#eu-west-1"),
            ("ACCOUNT#1", "REGION#us-east-1"),
            ("ACCOUNT#3", "REGION#eu-west-1"),
            ("ACCOUNT#3", "REGION#us-east-1")
        ]
    );
    assert_eq!(pages, 5);
    // The page's key names the table's key and the index's.
    let out = call(&mut d, "Query", json!({"IndexName": "state", "KeyConditionExpression": "state_shard = :s", "ExpressionAttributeValues": {":s": {"S": "STATE#1"}}, "Limit": 1})).unwrap();
    assert_eq!(
        out["LastEvaluatedKey"],
        json!({"pk": {"S": "ACCOUNT#1"}, "sk": {"S": "REGION#eu-west-1"}, "state_shard": {"S": "STATE#1"}})
    );
    // Moving an item out of the shard moves it out of the index.
    call(&mut d, "UpdateItem", json!({"Key": key("ACCOUNT#1", "REGION#us-east-1"), "UpdateExpression": "REMOVE state_shard"})).unwrap();
    call(
        &mut d,
        "DeleteItem",
        json!({"Key": key("ACCOUNT#3", "REGION#eu-west-1")}),
    )
    .unwrap();
    let out = call(&mut d, "Query", json!({"IndexName": "state", "KeyConditionExpression": "state_shard = :s", "ExpressionAttributeValues": {":s": {"S": "STATE#1"}}})).unwrap();
    assert_eq!(out["Count"], json!(2));
    let scan = call(&mut d, "Scan", json!({"IndexName": "state"})).unwrap();
    assert_eq!(scan["Count"], json!(4));
}

#[test]
fn scans_filter_page_and_split_into_segments() {
    let mut d = db();
    for p in ["A", "B", "C", "D", "E", "F"] {
        fill(&mut d, p, 5, 10);
    }
    let f = json!({"FilterExpression": "begins_with(sk, :r) AND i < :three", "ExpressionAttributeValues": {":r": {"S": "REGION#"}, ":three": {"N": "3"}}, "Limit": 4});
    let (items, pages) = all_pages(&mut d, "Scan", f.clone());
    assert_eq!(items.len(), 18);
    assert_eq!(pages, 8);
    let mut seen = Vec::new();
    for seg in 0..3 {
        let mut s = f.clone();
        s["Segment"] = json!(seg);
        s["TotalSegments"] = json!(3);
        let (items, _) = all_pages(&mut d, "Scan", s);
        seen.extend(
            items
                .into_iter()
                .map(|i| format!("{}{}", i["pk"]["S"], i["i"]["N"])),
        );
    }
    seen.sort();
    let mut all: Vec<String> = items
        .iter()
        .map(|i| format!("{}{}", i["pk"]["S"], i["i"]["N"]))
        .collect();
    all.sort();
    assert_eq!(
        seen, all,
        "the segments split the table without loss or overlap"
    );
}

// ---------------------------------------------------------------------
// Batches: limits, duplicates, unprocessed requests.
// ---------------------------------------------------------------------

fn put_request(pk: &str, sk: &str) -> Value {
    json!({"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": sk}}}})
}

#[test]
fn batch_writes_check_everything_first_and_leave_what_the_hook_says() {
    let mut d = db();
    let many: Vec<Value> = (0..26)
        .map(|i| put_request("H", &format!("HISTORY#{i}")))
        .collect();
    let e = call(
        &mut d,
        "BatchWriteItem",
        json!({"RequestItems": {TABLE: many}}),
    )
    .unwrap_err();
    assert!(e.message.contains("less than or equal to 25"), "{e:?}");
    let dup = vec![
        put_request("H", "1"),
        json!({"DeleteRequest": {"Key": key("H", "1")}}),
    ];
    assert_eq!(
        call(
            &mut d,
            "BatchWriteItem",
            json!({"RequestItems": {TABLE: dup}})
        )
        .unwrap_err()
        .message,
        "Provided list of item keys contains duplicates"
    );
    let bad = vec![put_request("H", "1"), put_request("H", "")];
    assert_eq!(
        call(
            &mut d,
            "BatchWriteItem",
            json!({"RequestItems": {TABLE: bad}})
        )
        .unwrap_err()
        .code,
        "ValidationException"
    );
    assert_eq!(
        call(
            &mut d,
            "BatchWriteItem",
            json!({"RequestItems": {"missing-table": [put_request("H", "1")]}})
        )
        .unwrap_err()
        .code,
        "ResourceNotFoundException"
    );
    assert!(
        d.items(ACCT, REGION, TABLE).is_empty(),
        "a refused batch writes nothing"
    );
    // Every other request left unprocessed, sent back as it came.
    d.set_unprocessed_hook(Box::new(|op, table, i| {
        assert_eq!((op, table), ("BatchWriteItem", TABLE));
        i % 2 == 1
    }));
    let batch: Vec<Value> = (0..4).map(|i| put_request("H", &format!("{i}"))).collect();
    let out = call(
        &mut d,
        "BatchWriteItem",
        json!({"RequestItems": {TABLE: batch.clone()}}),
    )
    .unwrap();
    assert_eq!(
        out,
        json!({"UnprocessedItems": {TABLE: [batch[1], batch[3]]}})
    );
    assert_eq!(d.items(ACCT, REGION, TABLE).len(), 2);
    d.clear_unprocessed_hook();
    let out = call(
        &mut d,
        "BatchWriteItem",
        json!({"RequestItems": out["UnprocessedItems"]}),
    )
    .unwrap();
    assert_eq!(out, json!({"UnprocessedItems": {}}));
    assert_eq!(d.items(ACCT, REGION, TABLE).len(), 4);
}

#[test]
fn batch_gets_answer_found_items_and_leave_what_the_hook_says() {
    let mut d = db();
    put(
        &mut d,
        json!({"pk": {"S": "A"}, "sk": {"S": "1"}, "x": {"S": "one"}}),
    );
    put(
        &mut d,
        json!({"pk": {"S": "A"}, "sk": {"S": "2"}, "x": {"S": "two"}}),
    );
    let req = json!({"RequestItems": {TABLE: {"Keys": [key("A", "1"), key("A", "2"), key("A", "3")], "ProjectionExpression": "x"}}});
    let out = call(&mut d, "BatchGetItem", req.clone()).unwrap();
    assert_eq!(
        out,
        json!({"Responses": {TABLE: [{"x": {"S": "one"}}, {"x": {"S": "two"}}]}, "UnprocessedKeys": {}})
    );
    d.set_unprocessed_hook(Box::new(|_, _, i| i == 0));
    let out = call(&mut d, "BatchGetItem", req).unwrap();
    assert_eq!(
        out["UnprocessedKeys"],
        json!({TABLE: {"Keys": [key("A", "1")], "ProjectionExpression": "x"}})
    );
    let dup = json!({"RequestItems": {TABLE: {"Keys": [key("A", "1"), key("A", "1")]}}});
    assert_eq!(
        call(&mut d, "BatchGetItem", dup).unwrap_err().message,
        "Provided list of item keys contains duplicates"
    );
    let many: Vec<Value> = (0..101).map(|i| key("A", &i.to_string())).collect();
    assert_eq!(
        call(
            &mut d,
            "BatchGetItem",
            json!({"RequestItems": {TABLE: {"Keys": many}}})
        )
        .unwrap_err()
        .code,
        "ValidationException"
    );
}

// ---------------------------------------------------------------------
// Transactions: all or nothing.
// ---------------------------------------------------------------------

#[test]
fn a_transaction_writes_all_or_nothing_and_says_why() {
    let mut d = db();
    put(
        &mut d,
        json!({"pk": {"S": "A"}, "sk": {"S": "1"}, "v": {"N": "1"}}),
    );
    let actions = |expect: &str| {
        json!({"TransactItems": [
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "A"}, "sk": {"S": "2"}}}},
            {"Update": {"TableName": TABLE, "Key": key("A", "1"), "UpdateExpression": "SET v = v + :one", "ConditionExpression": "v = :v", "ExpressionAttributeValues": {":one": {"N": "1"}, ":v": {"N": expect}}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            {"ConditionCheck": {"TableName": TABLE, "Key": key("A", "3"), "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Delete": {"TableName": TABLE, "Key": key("A", "4")}},
        ]})
    };
    let e = call(&mut d, "TransactWriteItems", actions("7")).unwrap_err();
    assert_eq!(e.code, "TransactionCanceledException");
    assert!(
        e.message
            .ends_with("[None, ConditionalCheckFailed, None, None]"),
        "{}",
        e.message
    );
    let reasons = e.reasons.clone().unwrap();
    assert_eq!(reasons[0], json!({"Code": "None"}));
    assert_eq!(
        reasons[1]["Item"],
        json!({"pk": {"S": "A"}, "sk": {"S": "1"}, "v": {"N": "1"}})
    );
    assert_eq!(e.to_body()["CancellationReasons"], Value::Array(reasons));
    assert_eq!(d.items(ACCT, REGION, TABLE).len(), 1, "nothing written");
    call(&mut d, "TransactWriteItems", actions("1")).unwrap();
    let items = d.items(ACCT, REGION, TABLE);
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["v"], json!({"N": "2"}));
    // Two actions on one item, or more than 100, are refused outright.
    let twice = json!({"TransactItems": [
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "A"}, "sk": {"S": "9"}}}},
        {"Delete": {"TableName": TABLE, "Key": key("A", "9")}},
    ]});
    assert_eq!(
        call(&mut d, "TransactWriteItems", twice)
            .unwrap_err()
            .message,
        "Transaction request cannot include multiple operations on one item"
    );
    let many: Vec<Value> = (0..101)
        .map(|i| json!({"Delete": {"TableName": TABLE, "Key": key("A", &format!("x{i}"))}}))
        .collect();
    assert!(
        call(&mut d, "TransactWriteItems", json!({"TransactItems": many}))
            .unwrap_err()
            .message
            .contains("100")
    );
}

#[test]
fn a_transactions_token_makes_its_retry_a_no_op_for_ten_minutes() {
    let mut d = db();
    let t0 = 1_800_000_000_000;
    let count = |token: &str| {
        json!({"ClientRequestToken": token, "TransactItems": [
            {"Update": {"TableName": TABLE, "Key": key("A", "1"), "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        ]})
    };
    let n = |d: &Dynamo| d.items(ACCT, REGION, TABLE)[0]["n"].clone();
    d.handle(ACCT, REGION, "TransactWriteItems", &count("t-1"), t0)
        .unwrap();
    // The same call again (an SDK retry whose first answer was lost):
    // success, nothing applied twice.
    d.handle(ACCT, REGION, "TransactWriteItems", &count("t-1"), t0 + 1000)
        .unwrap();
    assert_eq!(n(&d), json!({"N": "1"}));
    // The same token with other parameters is refused.
    let mut other = count("t-1");
    other["TransactItems"][0]["Update"]["ExpressionAttributeValues"][":one"] = json!({"N": "2"});
    assert_eq!(
        d.handle(ACCT, REGION, "TransactWriteItems", &other, t0 + 2000)
            .unwrap_err()
            .code,
        "IdempotentParameterMismatchException"
    );
    // Another token, or the same after ten minutes, applies again.
    d.handle(ACCT, REGION, "TransactWriteItems", &count("t-2"), t0 + 3000)
        .unwrap();
    d.handle(
        ACCT,
        REGION,
        "TransactWriteItems",
        &count("t-1"),
        t0 + 11 * 60_000,
    )
    .unwrap();
    assert_eq!(n(&d), json!({"N": "3"}));
    // A token longer than 36 characters is not one.
    assert_eq!(
        d.handle(
            ACCT,
            REGION,
            "TransactWriteItems",
            &count(&"x".repeat(37)),
            t0
        )
        .unwrap_err()
        .code,
        "ValidationException"
    );
}

// ---------------------------------------------------------------------
// TTL and determinism.
// ---------------------------------------------------------------------

#[test]
fn expired_items_stay_until_the_harness_lets_ttl_delete_them() {
    let mut d = db();
    let day = 86_400;
    let now_s = 1_800_000_000;
    for (sk, ttl) in [
        ("old", json!({"N": (now_s - 3 * day).to_string()})),
        ("new", json!({"N": (now_s + day).to_string()})),
        ("odd", json!({"S": (now_s - 3 * day).to_string()})),
        ("ancient", json!({"N": "1000"})),
    ] {
        put(
            &mut d,
            json!({"pk": {"S": "A"}, "sk": {"S": sk}, "ttl": ttl}),
        );
    }
    put(&mut d, json!({"pk": {"S": "A"}, "sk": {"S": "none"}}));
    // Days past its TTL, a read still finds it.
    assert!(get(&mut d, "A", "old").is_some());
    let cutoff_ms = (now_s - 3 * day) * 1000;
    assert_eq!(d.expire_before(cutoff_ms), 0, "the cutoff is exclusive");
    assert_eq!(d.expire_before(cutoff_ms + 1000), 1);
    assert!(get(&mut d, "A", "old").is_none());
    assert!(get(&mut d, "A", "new").is_some());
    assert!(
        get(&mut d, "A", "odd").is_some(),
        "a TTL that is not a number never expires"
    );
    assert!(
        get(&mut d, "A", "ancient").is_some(),
        "nor one more than five years old"
    );
    assert_eq!(d.expire_before((now_s + 2 * day) * 1000), 1);
    assert_eq!(d.items(ACCT, REGION, TABLE).len(), 3);
}

#[test]
fn the_same_calls_give_the_same_answers() {
    let run = || {
        let mut d = db();
        let mut answers = Vec::new();
        for i in 0..40 {
            let pk = format!("ACCOUNT#{}", (i * 7) % 11);
            answers.push(call(&mut d, "UpdateItem", json!({"Key": key(&pk, "REGION#x"), "UpdateExpression": "ADD seq :one, waiting :r SET state_shard = :s", "ExpressionAttributeValues": {":one": {"N": "1"}, ":r": {"SS": [format!("r{}", i % 3)]}, ":s": {"S": format!("STATE#{}", i % 4)}}, "ReturnValues": "ALL_NEW"})).unwrap());
        }
        answers.push(call(&mut d, "Scan", json!({})).unwrap());
        answers.push(call(&mut d, "Query", json!({"IndexName": "state", "KeyConditionExpression": "state_shard = :s", "ExpressionAttributeValues": {":s": {"S": "STATE#1"}}})).unwrap());
        (
            serde_json::to_string(&answers).unwrap(),
            d.items(ACCT, REGION, TABLE),
        )
    };
    assert_eq!(run(), run());
}

// ---------------------------------------------------------------------
// Consistency: index lag and stale reads, when the harness asks for them.
// ---------------------------------------------------------------------

fn call_at(d: &mut Dynamo, now: i64, op: &str, mut req: Value) -> Result<Value> {
    req["TableName"] = json!(TABLE);
    d.handle(ACCT, REGION, op, &req, now)
}

fn shard_query(d: &mut Dynamo, now: i64, shard: &str) -> Vec<String> {
    let out = call_at(d, now, "Query", json!({"IndexName": "state", "KeyConditionExpression": "state_shard = :s", "ExpressionAttributeValues": {":s": {"S": shard}}})).unwrap();
    out["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["v"]["S"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_index_sees_writes_late_and_in_order_when_lagged() {
    let mut d = db();
    d.set_index_lag_ms(500);
    let write = |d: &mut Dynamo, now: i64, shard: &str, v: &str| {
        call_at(d, now, "PutItem", json!({"Item": {"pk": {"S": "ACCOUNT#1"}, "sk": {"S": "REGION#x"}, "state_shard": {"S": shard}, "v": {"S": v}}})).unwrap();
    };
    write(&mut d, 1_000, "STATE#1", "first");
    assert_eq!(
        shard_query(&mut d, 1_100, "STATE#1"),
        Vec::<String>::new(),
        "not yet in the index"
    );
    // The table itself has it at once.
    assert!(call_at(
        &mut d,
        1_100,
        "GetItem",
        json!({"Key": key("ACCOUNT#1", "REGION#x"), "ConsistentRead": true})
    )
    .unwrap()["Item"]
        .is_object());
    assert_eq!(shard_query(&mut d, 1_500, "STATE#1"), ["first"]);
    // A later write with no lag still waits behind an earlier one.
    write(&mut d, 1_600, "STATE#1", "second");
    d.set_index_lag_ms(0);
    write(&mut d, 1_700, "STATE#2", "third");
    assert_eq!(shard_query(&mut d, 1_800, "STATE#1"), ["first"]);
    assert_eq!(shard_query(&mut d, 1_800, "STATE#2"), Vec::<String>::new());
    assert_eq!(
        shard_query(&mut d, 2_100, "STATE#1"),
        Vec::<String>::new(),
        "moved on"
    );
    assert_eq!(shard_query(&mut d, 2_100, "STATE#2"), ["third"]);
    // Quiescence: everything propagated.
    d.set_index_lag_ms(10_000);
    call_at(
        &mut d,
        3_000,
        "DeleteItem",
        json!({"Key": key("ACCOUNT#1", "REGION#x")}),
    )
    .unwrap();
    assert_eq!(shard_query(&mut d, 3_001, "STATE#2"), ["third"]);
    assert_eq!(d.settle_indexes(), 1);
    assert_eq!(shard_query(&mut d, 3_002, "STATE#2"), Vec::<String>::new());
}

#[test]
fn eventually_consistent_reads_see_the_table_a_moment_ago_when_asked() {
    let mut d = db();
    d.set_stale_read_ms(1_000);
    let put_v = |d: &mut Dynamo, now: i64, sk: &str, v: &str| {
        call_at(
            d,
            now,
            "PutItem",
            json!({"Item": {"pk": {"S": "P"}, "sk": {"S": sk}, "v": {"S": v}}}),
        )
        .unwrap();
    };
    let read = |d: &mut Dynamo, now: i64, consistent: bool| -> Option<String> {
        let out = call_at(
            d,
            now,
            "GetItem",
            json!({"Key": key("P", "a"), "ConsistentRead": consistent}),
        )
        .unwrap();
        out.get("Item")
            .map(|i| i["v"]["S"].as_str().unwrap().to_string())
    };
    let query = |d: &mut Dynamo, now: i64, consistent: bool| -> Vec<String> {
        let out = call_at(d, now, "Query", json!({"KeyConditionExpression": "pk = :p", "ConsistentRead": consistent, "ExpressionAttributeValues": {":p": {"S": "P"}}})).unwrap();
        out["Items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["v"]["S"].as_str().unwrap().to_string())
            .collect()
    };
    put_v(&mut d, 0, "a", "one");
    put_v(&mut d, 5_000, "a", "two");
    assert_eq!(read(&mut d, 5_500, false).as_deref(), Some("one"));
    assert_eq!(read(&mut d, 5_500, true).as_deref(), Some("two"));
    assert_eq!(read(&mut d, 6_001, false).as_deref(), Some("two"));
    // A new item is not there yet; a deleted one still is.
    put_v(&mut d, 7_000, "b", "new");
    call_at(&mut d, 7_000, "DeleteItem", json!({"Key": key("P", "a")})).unwrap();
    assert_eq!(query(&mut d, 7_500, false), ["two"]);
    assert_eq!(query(&mut d, 7_500, true), ["new"]);
    let scan = call_at(&mut d, 7_500, "Scan", json!({})).unwrap();
    assert_eq!(scan["Items"][0]["v"], json!({"S": "two"}));
    assert_eq!(query(&mut d, 8_001, false), ["new"]);
    // Writes' conditions always see the latest item.
    let e = call_at(&mut d, 8_100, "PutItem", json!({"Item": {"pk": {"S": "P"}, "sk": {"S": "b"}}, "ConditionExpression": "attribute_not_exists(pk)"})).unwrap_err();
    assert_eq!(e.code, "ConditionalCheckFailedException");
    // Off again: every read is current.
    d.set_stale_read_ms(0);
    put_v(&mut d, 9_000, "c", "now");
    assert_eq!(query(&mut d, 9_000, false), ["new", "now"]);
}

#[test]
fn expressions_are_held_to_aws_limits_and_forms() {
    let mut d = db();
    put(
        &mut d,
        json!({"pk": {"S": "A"}, "sk": {"S": "B"}, "a": {"N": "1"}}),
    );
    let cond = |d: &mut Dynamo, c: &str, values: Value| {
        let mut req = json!({"Key": key("A", "B"), "ConditionExpression": c});
        if values.as_object().is_some_and(|o| !o.is_empty()) {
            req["ExpressionAttributeValues"] = values;
        }
        call(d, "DeleteItem", req)
    };
    // 4096 bytes of expression pass, 4097 do not (counted before substitution).
    let at_limit = format!("attribute_exists({})", "x".repeat(4096 - 18));
    assert_eq!(at_limit.len(), 4096);
    assert_eq!(
        code(cond(&mut d, &at_limit, json!({}))),
        "ConditionalCheckFailedException"
    );
    let over = format!("attribute_exists({})", "x".repeat(4097 - 18));
    assert!(msg(cond(&mut d, &over, json!({})))
        .contains("Expression size has exceeded the maximum allowed size; expression size: 4097"));
    // 300 operators pass, 301 do not.
    let ors = |n: usize| {
        (0..n)
            .map(|i| format!("attribute_exists(q{i})"))
            .collect::<Vec<_>>()
            .join(" OR ")
    };
    assert_eq!(
        code(cond(&mut d, &ors(150), json!({}))),
        "ConditionalCheckFailedException"
    );
    assert!(
        msg(cond(&mut d, &ors(151), json!({}))).contains("too many operators; operator count: 301")
    );
    // An operand compared with itself; bounds of two types.
    assert!(msg(cond(&mut d, "a = a", json!({}))).contains("first operand must be distinct"));
    assert!(msg(cond(&mut d, "begins_with(a, a)", json!({})))
        .contains("operator: begins_with, first operand: [a]"));
    // Deep negations within the limit are read and decided, not a crash.
    let nots = format!("{}a = :one", "NOT ".repeat(299));
    assert_eq!(
        code(cond(&mut d, &nots, json!({":one": {"N": "1"}}))),
        "ConditionalCheckFailedException"
    );
    let e = msg(cond(
        &mut d,
        "a BETWEEN :x AND :y",
        json!({":x": {"N": "1"}, ":y": {"S": "z"}}),
    ));
    assert!(e.contains("same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:z}"), "{e}");
    // Values only where a value can be used.
    let e = msg(call(
        &mut d,
        "Scan",
        json!({"ProjectionExpression": "a", "ExpressionAttributeValues": {":v": {"S": "x"}}}),
    ));
    assert!(e.contains("ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null"), "{e}");
    let e = msg(call(
        &mut d,
        "DeleteItem",
        json!({"Key": key("A", "B"), "ExpressionAttributeValues": {":v": {"S": "x"}}}),
    ));
    assert!(e.contains("ConditionExpression is null"), "{e}");
    // Keywords are case-blind, functions are not.
    assert!(cond(
        &mut d,
        "attribute_exists(a) and not attribute_exists(b)",
        json!({})
    )
    .is_ok());
    put(
        &mut d,
        json!({"pk": {"S": "A"}, "sk": {"S": "B"}, "a": {"N": "1"}}),
    );
    assert!(cond(&mut d, "ATTRIBUTE_EXISTS(a)", json!({}))
        .unwrap_err()
        .is_unsupported());
}

/// Writes what the simulation answers to the product's writes and reads and
/// to the malformed requests into `$SIMDDB_DIFF_DIR`, for
/// `moto_diff.py` to play against moto (the differential check):
/// `SIMDDB_DIFF_DIR=/tmp/d cargo test … cases_for_the_differential_check -- --ignored`.
#[test]
#[ignore]
fn cases_for_the_differential_check() {
    let dir = std::path::PathBuf::from(std::env::var("SIMDDB_DIFF_DIR").expect("SIMDDB_DIFF_DIR"));
    let answer = |r: Result<Value>| r.unwrap_or_else(|e| json!({ "error": e.code }));
    let mut writes = Vec::new();
    for c in CASES {
        for existing in [false, true] {
            let mut req = json!({
                "TableName": TABLE,
                "Key": key("ACCOUNT#222222222222", "REGION#us-east-1"),
                "UpdateExpression": c.update,
                "ReturnValues": "ALL_NEW",
            });
            let mut texts = vec![c.update];
            if let Some(cond) = c.cond {
                req["ConditionExpression"] = json!(cond);
                texts.push(cond);
            }
            bind(&mut req, &texts, c.typed);
            let got = answer(run_case(c, existing));
            writes.push(json!({"from": c.from, "existing": existing, "req": req, "answer": got}));
        }
    }
    let mut reads = Vec::new();
    for (from, op, mut req) in product_reads() {
        req["TableName"] = json!(TABLE);
        let mut d = db();
        put(&mut d, sample_item());
        let got = answer(d.handle(ACCT, REGION, op, &req, 0));
        reads.push(json!({"from": from, "op": op, "req": req, "answer": got}));
    }
    let refused: Vec<Value> = malformed()
        .into_iter()
        .map(|(why, op, mut req, code, _)| {
            if req.get("TableName").is_none() {
                req["TableName"] = json!(TABLE);
            }
            json!({"why": why, "op": op, "req": req, "code": code})
        })
        .collect();
    let all =
        json!({"sample": sample_item(), "writes": writes, "reads": reads, "refused": refused});
    std::fs::write(
        dir.join("simddb-cases.json"),
        serde_json::to_string_pretty(&all).unwrap(),
    )
    .unwrap();
}

/// Expressions and values made of random pieces (a fixed seed): whatever
/// they are, the model answers, refusing or deciding, and never panics.
#[test]
fn hostile_expressions_never_panic() {
    const PIECES: [&str; 40] = [
        "a",
        "b",
        "#n",
        ":v",
        ":n",
        ":l",
        ":s",
        "=",
        "<>",
        "<",
        "<=",
        ">",
        ">=",
        "(",
        ")",
        ",",
        ".",
        "[",
        "]",
        "0",
        "AND",
        "OR",
        "NOT",
        "BETWEEN",
        "IN",
        "SET",
        "REMOVE",
        "ADD",
        "DELETE",
        "+",
        "-",
        "attribute_exists",
        "begins_with",
        "contains",
        "size",
        "if_not_exists",
        "list_append",
        "attribute_type",
        "status",
        "pk",
    ];
    let mut seed: u64 = 0x5eed;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n
    };
    let mut d = db();
    put(
        &mut d,
        json!({"pk": {"S": "A"}, "sk": {"S": "B"}, "a": {"N": "1"}, "b": {"L": [{"S": "x"}]}}),
    );
    let values = json!({":v": {"S": "x"}, ":n": {"N": "99999999999999999999999999999999999999"}, ":l": {"L": []}, ":s": {"SS": ["a"]}});
    let mut outcomes = BTreeSet::new();
    for _ in 0..3000 {
        let len = 1 + next(9);
        let text: Vec<&str> = (0..len).map(|_| PIECES[next(PIECES.len())]).collect();
        let text = text.join(if next(2) == 0 { " " } else { "" });
        let field = [
            "UpdateExpression",
            "ConditionExpression",
            "KeyConditionExpression",
            "FilterExpression",
            "ProjectionExpression",
        ][next(5)];
        let op = match field {
            "KeyConditionExpression" | "FilterExpression" => "Query",
            "ProjectionExpression" => "GetItem",
            _ => "UpdateItem",
        };
        let mut req = json!({ field: text });
        match op {
            "Query" => {
                if field == "FilterExpression" {
                    req["KeyConditionExpression"] = json!("pk = :p");
                }
            }
            _ => req["Key"] = key("A", "B"),
        }
        if op != "GetItem" {
            let mut vals = values.clone();
            if op == "Query" {
                vals[":p"] = json!({"S": "A"});
            }
            req["ExpressionAttributeValues"] = vals;
        }
        req["ExpressionAttributeNames"] = json!({"#n": "a"});
        let got = call(&mut d, op, req);
        outcomes.insert(match got {
            Ok(_) => "answered".to_string(),
            Err(e) => e.code,
        });
    }
    // Refusals of every kind, and some that held.
    assert!(outcomes.contains("ValidationException"), "{outcomes:?}");
    assert!(outcomes.len() >= 2, "{outcomes:?}");
}
