//! `enforcement_held`: an `enforce-when-ready` document held at least the
//! policy's `[nodes] held_alert_after`, told once per verdict (the decision
//! is `nodes::held`'s): where, since when, the verdict, and each node that
//! keeps Run As off with its reason.

use serde_json::{json, Value};

use super::message::{base, subject_value};
use super::readiness::association_link;
use super::{Alert, Kind, Severity};
use crate::domain::nodes::held::{human, Blocking};
use crate::domain::outcome::RegionOutcome;
use crate::domain::trigger::Trigger;

/// Held documents one alert lists; the rest are counted.
pub const MAX_HELD: usize = 20;

/// One held document this run tells.
pub struct Held<'a> {
    pub row: &'a RegionOutcome,
    /// The document's Run As user.
    pub user: &'a str,
    pub blocking: Blocking,
    /// Since when (ISO 8601), and for how long (milliseconds).
    pub since: String,
    pub held_for_ms: i64,
    /// The region's check association, when the check row names one.
    pub association: Option<&'a str>,
}

fn entry(h: &Held<'_>) -> Value {
    let b = &h.blocking;
    let mut e = json!({
        "region": h.row.region, "document": h.row.document_name(), "user": h.user,
        "held_since": h.since, "held_for": human(h.held_for_ms),
        "verdict": b.verdict, "verdict_text": b.describe, "held": h.row.held,
        "blocking_nodes": b.nodes, "blocking_more": b.more, "blocking_reasons": b.reasons,
    });
    if let Some(id) = h.association.filter(|id| !id.is_empty()) {
        e["association_id"] = json!(id);
        e["console"] = json!(association_link(&h.row.region, id));
    }
    e
}

/// One alert for the account's documents this run tells held; `None` when
/// there is none.
pub fn enforcement_held(
    account: &str,
    held: &[Held<'_>],
    bound_ms: i64,
    trigger: &Trigger,
    at: &str,
) -> Option<Alert> {
    let first = held.first()?;
    let kind = Kind::EnforcementHeld;
    let mut m = base(kind, Severity::Warning, account, trigger, at);
    let regions: std::collections::BTreeSet<&str> =
        held.iter().map(|h| h.row.region.as_str()).collect();
    if let [only] = regions.iter().collect::<Vec<_>>().as_slice() {
        m.insert("region".into(), json!(only));
    }
    if held.len() == 1 {
        m.insert("document".into(), json!(first.row.document_name()));
    }
    m.insert("held_alert_after".into(), json!(human(bound_ms)));
    m.insert(
        "held".into(),
        Value::Array(held.iter().take(MAX_HELD).map(entry).collect()),
    );
    m.insert("more".into(), json!(held.len().saturating_sub(MAX_HELD)));
    let place = match regions.len() {
        1 => first.row.region.clone(),
        n => format!("{n} regions"),
    };
    let subject = format!(
        "runas-guard: Run As held off {} in {account} {place}: {}",
        human(first.held_for_ms),
        subject_value(&first.blocking.describe)
    );
    Some(Alert::new(
        kind,
        Severity::Warning,
        account.to_string(),
        &subject,
        Value::Object(m),
    ))
}
