//! `run_as_user_missing`: the run-as user check found nodes newly lacking
//! the account's Run As user. Where Run As is on for that user (or the
//! policy enforces it), every session there is refused: `error`, act now.
//! Where nothing is refused yet (audit, or `enforce-when-ready` holding the
//! region) it is a rollout's finding: `warning`, worded "would be refused",
//! with the mode and the hold ([`crate::domain::nodes::refusal`]).

use std::collections::HashSet;

use serde_json::{json, Value};

use super::message::{base, subject_value};
use super::{Alert, Kind, Severity};
use crate::domain::nodes::refusal::{of_region, Refusal};
use crate::domain::nodes::Readiness;
use crate::domain::outcome::{AccountReport, RegionOutcome};
use crate::domain::trigger::Trigger;

/// State Manager's page of one association in the console.
pub fn association_link(region: &str, association_id: &str) -> String {
    format!(
        "https://{region}.console.aws.amazon.com/systems-manager/state-manager/{association_id}/description?region={region}"
    )
}

/// One region's check, and whether its sessions are refused.
type Check<'a> = (&'a RegionOutcome, &'a Readiness, Refusal);

fn entries(checks: &[Check<'_>]) -> Value {
    Value::Array(
        checks
            .iter()
            .map(|(o, n, r)| {
                json!({
                    "region": o.region, "user": n.user, "nodes_checked": n.checked,
                    "nodes_missing": n.missing, "missing_nodes": n.missing_nodes,
                    // Told apart, never as missing: no verdict on the user there.
                    "nodes_could_not_run": n.not_run.nodes,
                    "could_not_run_reasons": n.not_run.reasons,
                    "association_id": n.association_id,
                    "console": association_link(&o.region, &n.association_id),
                    "sessions_refused": r.refused, "mode": r.mode, "held": r.held,
                    "sessions": sessions(r),
                })
            })
            .collect(),
    )
}

/// What the nodes' sessions meet, in words.
fn sessions(r: &Refusal) -> String {
    let mode = r.mode.map_or("enforce", |m| m.as_str());
    match (r.refused, &r.held) {
        (true, _) => format!("refused: Run As is on for this user here, or the next run turns it on (mode {mode})"),
        (false, Some(_)) => "would be refused: enforce-when-ready holds Run As off here until every node has the user; nothing is refused yet".into(),
        (false, None) => format!("would be refused once Run As is on here: mode {mode}, nothing is refused yet"),
    }
}

/// Today's subject where sessions are refused; where nothing is refused
/// yet, the rollout's word first and no user (an editor could choose it;
/// the body, e-mail and chat name it).
fn subject(account: &str, checks: &[Check<'_>], refused: bool) -> String {
    let missing: u64 = checks.iter().map(|(_, n, _)| n.missing).sum();
    let checked: u64 = checks.iter().map(|(_, n, _)| n.checked).sum();
    let place = match checks {
        [(only, _, _)] => only.region.clone(),
        more => format!("{} regions", more.len()),
    };
    match (refused, checks.first()) {
        (true, Some((_, n, _))) => format!(
            "runas-guard: Run As user {} missing on {missing} of {checked} nodes in {account} {place}",
            subject_value(&n.user)
        ),
        _ => format!(
            "runas-guard {}: sessions would be refused on {missing} of {checked} nodes in {account} {place}",
            rollout_label(checks)
        ),
    }
}

/// The subject's word for a finding that refuses nothing yet.
fn rollout_label(checks: &[Check<'_>]) -> &'static str {
    let held = checks.iter().filter(|(_, _, r)| r.held.is_some()).count();
    match held {
        0 => "audit",
        n if n == checks.len() => "held",
        _ => "audit/held",
    }
}

/// One alert for the account's regions this run found news in; `None` when
/// there is none. `error` when sessions are refused in any of them.
pub fn user_missing(
    report: &AccountReport,
    news: &HashSet<String>,
    trigger: &Trigger,
    at: &str,
) -> Option<Alert> {
    let checks: Vec<Check<'_>> = report
        .regions
        .iter()
        .filter(|o| news.contains(&o.slot()))
        .filter_map(|o| {
            let n = o.nodes.as_ref()?;
            Some((o, n, of_region(&report.regions, &o.region, &n.user)))
        })
        .collect();
    let (first, user) = (checks.first()?.0, &checks.first()?.1.user);
    let refused = checks.iter().any(|(_, _, r)| r.refused);
    let kind = Kind::RunAsUserMissing;
    let severity = match refused {
        true => Severity::Error,
        false => Severity::Warning,
    };
    let mut m = base(kind, severity, &report.account, trigger, at);
    if let [(only, _, r)] = checks.as_slice() {
        m.insert("region".into(), json!(only.region));
        m.insert("mode".into(), json!(r.mode));
        m.insert("held".into(), json!(r.held));
    }
    m.insert("document".into(), json!(first.document_name()));
    m.insert("user".into(), json!(user));
    let missing: u64 = checks.iter().map(|(_, n, _)| n.missing).sum();
    let checked: u64 = checks.iter().map(|(_, n, _)| n.checked).sum();
    m.insert("nodes_checked".into(), json!(checked));
    m.insert("nodes_missing".into(), json!(missing));
    m.insert("sessions_refused".into(), json!(refused));
    let said = checks.iter().find(|(_, _, r)| r.refused == refused);
    m.insert("sessions".into(), json!(said.map(|(_, _, r)| sessions(r))));
    m.insert("regions".into(), entries(&checks));
    let subject = subject(&report.account, &checks, refused);
    Some(Alert::new(
        kind,
        severity,
        report.account.clone(),
        &subject,
        Value::Object(m),
    ))
}

#[cfg(test)]
#[path = "readiness_tests.rs"]
mod tests;
