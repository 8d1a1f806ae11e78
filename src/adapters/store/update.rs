//! The state write for one observation, built without AWS (pure): which
//! attributes it sets and removes, and the condition that keeps a quiet run
//! from overwriting what last changed there, or a lost lease from recording.

use std::time::SystemTime;

use aws_sdk_dynamodb::types::AttributeValue;

use super::lease::RegionGrant;
use crate::adapters::aws::dynamodb::{n, s};
use crate::adapters::store::keys::state_shard;
use crate::domain::clock;
use crate::domain::records::Observation;

/// One `UpdateItem`'s expression, values and condition.
#[derive(Debug)]
pub struct Update {
    pub expression: String,
    pub values: Vec<(String, AttributeValue)>,
    pub condition: Option<&'static str>,
}

/// The state write for one observation (pure). Fields the observation lacks
/// are removed: the item says what is there now. With the lease: release it
/// (stamping the release time), count a change once, remember reverts.
///
/// A run that changed nothing (compliant, nothing written), whether or not
/// it had taken the lease, must not turn the `remediated`/`reverted` that
/// says what last happened there into `compliant`: it carries a condition,
/// and [`quiet_update_keeping_status`] is what to send when that condition
/// fails. (A run that waited for the lease and then found the document
/// already fixed by the holder is such a run.)
pub fn record_update(
    o: &Observation,
    grant: Option<&RegionGrant>,
    reverted: bool,
    now: SystemTime,
) -> Update {
    let mut u = build(o, grant, reverted, now, false);
    if changed_nothing(o) {
        u.condition = Some(match grant {
            None => NOT_AFTER_A_CHANGE,
            Some(_) => HELD_AND_NOT_AFTER_A_CHANGE,
        });
        u.values.push((":remediated".into(), s("remediated")));
        u.values.push((":reverted".into(), s("reverted")));
    }
    u
}

/// A record without the lease lands only where no live run is writing
/// (an intent under an unexpired lease): that run records the slot once
/// it has kept the alert of what it replaced. A sweep that found its
/// put-back already done and recorded the new default version first
/// would leave, until then, a record past a version nobody has told, and
/// nothing to tell it if that run died (its intent, adopted by a later
/// run, tells it then). A dead run's intent (its lease over) is no bar:
/// the record finds it and adopts it.
const NOT_UNDER_A_WRITE: &str = "attribute_not_exists(intent) OR lease_until < :now";
const NOT_AFTER_A_CHANGE: &str = "(attribute_not_exists(#st) OR NOT (#st IN (:remediated, :reverted))) AND (attribute_not_exists(intent) OR lease_until < :now)";
const HELD_AND_NOT_AFTER_A_CHANGE: &str =
    "lease_owner = :me AND (attribute_not_exists(#st) OR NOT (#st IN (:remediated, :reverted)))";

pub(crate) fn changed_nothing(o: &Observation) -> bool {
    !o.wrote && o.status == "compliant"
}

/// A run that changed nothing, recorded on an item whose status says what
/// last changed: everything but the status (and, with the lease, its release).
pub fn quiet_update_keeping_status(
    o: &Observation,
    grant: Option<&RegionGrant>,
    now: SystemTime,
) -> Update {
    build(o, grant, false, now, true)
}

fn build(
    o: &Observation,
    grant: Option<&RegionGrant>,
    reverted: bool,
    now: SystemTime,
    keep_status: bool,
) -> Update {
    let mut u = Parts::default();
    // Status and last action say together what last happened there.
    if !keep_status {
        u.set("#st", s(o.status));
        u.set("last_action", s(o.action));
    }
    for (k, v) in [
        ("account", s(&o.account)),
        ("state_shard", s(state_shard(&o.account))),
        ("#region", s(&o.region)),
        ("last_trigger_id", s(&o.trigger_id)),
        ("last_trigger_kind", s(o.trigger_kind)),
        ("last_checked", s(clock::iso(now))),
    ] {
        u.set(k, v);
    }
    if let Some(d) = &o.document {
        u.set("document", s(d));
    }
    u.set_expr("first_seen = if_not_exists(first_seen, :last_checked)");
    // A failed record over a slot a run looked at is no first look: its
    // next run reads the versions made meanwhile (`version_gap::starts_history`).
    if o.status != "failed" {
        u.set_expr("looked = if_not_exists(looked, :last_checked)");
    }
    // Kept until another out-of-policy default is judged: a late switch event's
    // run asks whether its version was judged since. One attribute per version
    // (`judged_v<N>`: when last judged), so a later judgement of another version
    // does not hide this one; the document's version limit bounds them.
    judged_marks(&mut u, o, now);
    kept_switches(&mut u, o);
    set_or_remove(&mut u, o);
    version_at(&mut u, o, now);
    held_marks(&mut u, o);
    // Compliant again: the next drift is news again.
    if matches!(o.status, "compliant" | "remediated" | "reverted") {
        u.remove.push("drift_seen_by".into());
        u.remove.push("drift_seen_value".into());
    }
    u.remove.extend(claims_done(o).iter().map(|a| (*a).into()));
    // Who last touched it survives quiet checks.
    if let Some(actor) = &o.actor {
        u.set("last_actor", s(actor));
    }
    let condition = match grant {
        Some(g) => Some(lease_parts(&mut u, g, o.wrote, reverted, now)),
        None => {
            u.values.push((":now".into(), n(clock::epoch_millis(now))));
            Some(NOT_UNDER_A_WRITE)
        }
    };
    u.finish(condition)
}

/// Fields the observation lacks are removed: the item says what is there now.
fn set_or_remove(u: &mut Parts, o: &Observation) {
    let mode = o.mode.map(str::to_string);
    let optional = [
        ("desired_user", &o.desired_user),
        ("observed_user", &o.observed_user),
        ("observed_run_as_enabled", &o.observed_enabled),
        ("default_version", &o.default_version),
        ("latest_version", &o.latest_version),
        ("last_error", &o.error),
        ("last_error_code", &o.error_code),
        ("nodes", &o.nodes),
        ("held", &o.held),
        ("ou_path", &o.ou_path),
        ("#mode", &mode),
    ];
    for (attr, value) in optional {
        // A failed run's record keeps how far the history was judged.
        if matches!(attr, "default_version" | "latest_version") && o.keeps_version {
            continue;
        }
        match value {
            Some(v) => u.set(attr, s(v)),
            None => u.remove.push(attr.into()),
        }
    }
}

/// When the default version was recorded, stamped with that version
/// (`<version>@<epoch ms>`): a record that keeps the version does not move
/// it, and a row whose version another writer moved (an earlier release's
/// instance finishing during an upgrade) reads the stamp as not its
/// version's (`item::version_at`). A document's life is checked against it.
fn version_at(u: &mut Parts, o: &Observation, now: SystemTime) {
    match (&o.default_version, o.keeps_version) {
        (_, true) => {}
        (Some(v), false) => u.set("version_at", s(format!("{v}@{}", clock::epoch_millis(now)))),
        (None, false) => u.remove.push("version_at".into()),
    }
}

/// `nodes::held::after_record`: a held document keeps since when it is
/// held (or starts now); a released one forgets that and what was told, so
/// a new hold is told again.
fn held_marks(u: &mut Parts, o: &Observation) {
    match o.held {
        Some(_) => u.set_expr("held_since = if_not_exists(held_since, :last_checked)"),
        None => u
            .remove
            .extend(["held_since", "held_told", "held_told_at", "held_told_by"].map(Into::into)),
    }
}

/// The versions judged now, each with its time (`judged_v<N>`); marks far
/// below them go: no run reads that far back, and one per version would
/// grow the item with every window.
/// With each, the earliest time any judgement of it covers from
/// (`opened_v<N>`): 0, its making, for a judgement of what the run found;
/// the switch, for one whose window the run's own switch opened, unless an
/// earlier judgement covers from earlier (seed 900108: a window told from
/// the version's making, then a put-back of a switch back to it; the first
/// switch's late event was covered by the window, not by the put-back).
fn judged_marks(u: &mut Parts, o: &Observation, now: SystemTime) {
    let judged = crate::domain::version_gap::judged_numbers(o.judged_default.as_deref());
    for v in &judged {
        u.set(&format!("judged_v{v}"), n(clock::epoch_millis(now)));
        match o.judged_opened {
            Some((opened, at)) if opened == *v => {
                u.set_expr(&format!(
                    "opened_v{v} = if_not_exists(opened_v{v}, :opened)"
                ));
                u.values.push((":opened".into(), n(at)));
            }
            _ => u.set(&format!("opened_v{v}"), n(0)),
        }
    }
    for v in crate::domain::version_gap::judged_forgotten(&judged) {
        u.remove.push(format!("judged_v{v}").into());
        u.remove.push(format!("opened_v{v}").into());
    }
}

/// A failed run's switch kept (`if_not_exists`: the earliest kept stays,
/// its window opens there), those far below it forgotten; a kept switch
/// its run judged, let go (`domain::version_gap::kept`).
fn kept_switches(u: &mut Parts, o: &Observation) {
    use crate::domain::version_gap::kept;
    let mut gone: std::collections::BTreeSet<u64> = o.switch_done.iter().copied().collect();
    if let Some(k) = &o.keeps_switch {
        let a = k.attribute();
        u.set_expr(&format!("{a} = if_not_exists({a}, :switch)"));
        u.values.push((":switch".into(), s(k.value())));
        gone.extend(kept::kept_forgotten(k.version));
        gone.remove(&k.version);
    }
    // Each once: DynamoDB refuses an expression naming one attribute twice.
    for v in gone {
        u.remove.push(format!("{}{v}", kept::PREFIX).into());
    }
}

/// A created check association is recorded: its creation claim is done.
fn claims_done(o: &Observation) -> &'static [&'static str] {
    if o.wrote && o.nodes.is_some() {
        &["creating_by", "creating_until"]
    } else {
        &[]
    }
}

/// Releases the lease (stamping the release time; the intent goes, or a dead
/// run's its take wrote over comes back), counts a change once and
/// remembers a revert; returns the condition that makes it ours.
fn lease_parts(
    u: &mut Parts,
    g: &RegionGrant,
    wrote: bool,
    reverted: bool,
    now: SystemTime,
) -> &'static str {
    u.set("lease_until", n(clock::epoch_millis(now)));
    u.values.push((":me".into(), s(&g.owner)));
    // The run's intent goes with its record: what it announced is done. A
    // dead run's intent its take wrote over goes back, to be adopted.
    match &g.dead {
        Some(dead) => u.set("intent", s(&dead.json)),
        None => u.remove.push("intent".into()),
    }
    if reverted {
        let mut times = g.recent_reverts.clone();
        times.push(clock::epoch_secs(now));
        u.set(
            "reverts_at",
            AttributeValue::L(times.into_iter().map(n).collect()),
        );
    }
    if !wrote {
        return "lease_owner = :me";
    }
    u.set_expr("last_changed = :last_checked");
    u.set_expr("changes = if_not_exists(changes, :zero) + :one");
    u.values.push((":zero".into(), n(0)));
    u.values.push((":one".into(), n(1)));
    // A lost answer's retry finds the lease already released at this
    // instant and changes nothing: the change is counted once.
    "lease_owner = :me AND lease_until <> :lease_until"
}

/// An update expression being built: `attr = :attr` pairs, raw expressions,
/// removals.
#[derive(Default)]
struct Parts {
    set: Vec<String>,
    values: Vec<(String, AttributeValue)>,
    remove: Vec<std::borrow::Cow<'static, str>>,
}

impl Parts {
    fn set(&mut self, attr: &str, v: AttributeValue) {
        let placeholder = format!(":{}", attr.trim_start_matches('#'));
        self.set.push(format!("{attr} = {placeholder}"));
        self.values.push((placeholder, v));
    }

    fn set_expr(&mut self, expr: &str) {
        self.set.push(expr.to_string());
    }

    fn finish(self, condition: Option<&'static str>) -> Update {
        let mut expression = format!("SET {}", self.set.join(", "));
        if !self.remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", self.remove.join(", ")));
        }
        Update {
            expression,
            values: self.values,
            condition,
        }
    }
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
