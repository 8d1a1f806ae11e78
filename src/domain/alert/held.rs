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
        "runas-guard: {} {} in {account} {place}: {}",
        what_is_held(held),
        held_for(first.held_for_ms),
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

/// What the hold keeps, as the documents say it (unreleased): a document
/// whose Run As is on keeps its previous user (a held user change), not
/// Run As off.
fn what_is_held(held: &[Held<'_>]) -> String {
    let on = |h: &&Held<'_>| {
        h.row
            .before
            .as_ref()
            .is_some_and(|r| r.short().starts_with("on/"))
    };
    let kept: Vec<&Held<'_>> = held.iter().filter(on).collect();
    match kept.len() {
        0 => "Run As held off".to_string(),
        n if n == held.len() => {
            let user = kept[0].row.before.as_ref().map(|r| r.short());
            let user = user.as_deref().and_then(|s| s.strip_prefix("on/"));
            format!(
                "Run As user change held (Run As stays on with {})",
                subject_value(user.unwrap_or("the previous user"))
            )
        }
        _ => "Run As change held".to_string(),
    }
}

/// How long, said so that a hold told as soon as it starts
/// (`held_alert_after = "0m"`) reads as such, not "0m".
fn held_for(ms: i64) -> String {
    match ms < 60_000 {
        true => "since less than a minute".to_string(),
        false => format!("for {}", human(ms)),
    }
}

#[cfg(test)]
mod subject_tests {
    use super::*;
    use crate::domain::nodes::held::Blocking;
    use crate::domain::outcome::Action;
    use crate::domain::preferences::RunAs;
    use serde_json::json;

    fn row(region: &str, enabled: serde_json::Value, user: &str) -> RegionOutcome {
        RegionOutcome {
            before: Some(RunAs {
                enabled: Some(enabled),
                user: Some(json!(user)),
            }),
            held: Some("nodes lack the user".into()),
            ..RegionOutcome::skipped(region, Action::WouldChange, None)
        }
    }

    fn subject(rows: &[RegionOutcome], held_for_ms: i64) -> String {
        let held: Vec<Held<'_>> = rows
            .iter()
            .map(|r| Held {
                row: r,
                user: "app",
                blocking: Blocking::of(None, "app"),
                since: "2026-01-01T00:00:00Z".into(),
                held_for_ms,
                association: None,
            })
            .collect();
        let t = crate::domain::trigger::Trigger {
            kind: crate::domain::trigger::TriggerKind::Sweep,
            account: None,
            region: None,
            actor: None,
            event_id: "sweep-1".into(),
            source: "aws.events".into(),
            event_name: None,
            reason: "test".into(),
            context: Default::default(),
        };
        enforcement_held("111122223333", &held, 0, &t, "now")
            .unwrap()
            .subject
    }

    #[test]
    fn the_subject_says_what_the_hold_keeps_and_for_how_long() {
        let off = row("eu-west-1", json!(false), "");
        let on = row("us-east-1", json!(true), "ssm-ops");
        let on_text = row("us-east-1", json!("true"), "ssm-ops");
        let cases: Vec<(&str, Vec<RegionOutcome>, i64, &str, &str)> = vec![
            (
                "off",
                vec![off.clone()],
                3 * 3_600_000,
                "Run As held off for 3h",
                "stays on",
            ),
            (
                "a held user change keeps Run As on",
                vec![on.clone()],
                3 * 3_600_000,
                "Run As user change held (Run As stays on with ssm-ops) for 3h",
                "held off",
            ),
            (
                "\"true\" as text is on too",
                vec![on_text],
                3 * 3_600_000,
                "stays on with ssm-ops",
                "held off",
            ),
            (
                "mixed",
                vec![off.clone(), on],
                3_600_000,
                "Run As change held for 1h",
                "held off",
            ),
            (
                "told at once: no \"0m\"",
                vec![off],
                0,
                "Run As held off since less than a minute",
                "0m",
            ),
        ];
        for (what, rows, ms, want, never) in cases {
            let s = subject(&rows, ms);
            assert!(s.contains(want), "{what}: {s}");
            assert!(!s.contains(never), "{what}: {s}");
        }
    }
}
