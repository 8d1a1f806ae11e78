//! `run_as_user_missing`: the run-as user check found nodes newly lacking
//! the account's Run As user, where every session would be refused.

use std::collections::HashSet;

use serde_json::{json, Value};

use super::message::{base, subject_value};
use super::{Alert, Kind, Severity};
use crate::domain::nodes::Readiness;
use crate::domain::outcome::{AccountReport, RegionOutcome};
use crate::domain::trigger::Trigger;

/// State Manager's page of one association in the console.
pub fn association_link(region: &str, association_id: &str) -> String {
    format!(
        "https://{region}.console.aws.amazon.com/systems-manager/state-manager/{association_id}/description?region={region}"
    )
}

fn entries(checks: &[(&RegionOutcome, &Readiness)]) -> Value {
    Value::Array(
        checks
            .iter()
            .map(|(o, n)| {
                json!({
                    "region": o.region, "user": n.user, "nodes_checked": n.checked,
                    "nodes_missing": n.missing, "missing_nodes": n.missing_nodes,
                    // Told apart, never as missing: no verdict on the user there.
                    "nodes_could_not_run": n.not_run.nodes,
                    "could_not_run_reasons": n.not_run.reasons,
                    "association_id": n.association_id,
                    "console": association_link(&o.region, &n.association_id),
                })
            })
            .collect(),
    )
}

/// One alert for the account's regions this run found news in; `None` when
/// there is none.
pub fn user_missing(
    report: &AccountReport,
    news: &HashSet<String>,
    trigger: &Trigger,
    at: &str,
) -> Option<Alert> {
    let rows: Vec<&RegionOutcome> = report
        .regions
        .iter()
        .filter(|o| o.nodes.is_some() && news.contains(&o.slot()))
        .collect();
    let first = rows.first()?;
    let kind = Kind::RunAsUserMissing;
    let mut m = base(kind, Severity::Error, &report.account, trigger, at);
    let checks: Vec<_> = rows
        .iter()
        .filter_map(|o| Some((*o, o.nodes.as_ref()?)))
        .collect();
    if let [(only, _)] = checks.as_slice() {
        m.insert("region".into(), json!(only.region));
    }
    m.insert("document".into(), json!(first.document_name()));
    m.insert("user".into(), json!(checks[0].1.user));
    let missing: u64 = checks.iter().map(|(_, n)| n.missing).sum();
    let checked: u64 = checks.iter().map(|(_, n)| n.checked).sum();
    m.insert("nodes_checked".into(), json!(checked));
    m.insert("nodes_missing".into(), json!(missing));
    m.insert("regions".into(), entries(&checks));
    let place = match checks.as_slice() {
        [(only, _)] => only.region.clone(),
        more => format!("{} regions", more.len()),
    };
    let subject = format!(
        "runas-guard: Run As user {} missing on {missing} of {checked} nodes in {} {place}",
        subject_value(&checks[0].1.user),
        report.account
    );
    Some(Alert::new(
        kind,
        Severity::Error,
        report.account.clone(),
        &subject,
        Value::Object(m),
    ))
}
