//! `account_left_governance`: an account runas-guard governed is now exempt
//! or out of scope. One alert per account for a move (its event, or a sweep
//! that finds it in another OU); one summary per sweep for the accounts a
//! policy change dropped (bounded list and a count), never one per
//! account-region.

use serde_json::{json, Value};

use super::message::{base, subject_value};
use super::{Alert, Kind, Severity};
use crate::domain::governance::{Departure, Dropped, MAX_LISTED};
use crate::domain::trigger::Trigger;

/// What stays in the accounts a policy change dropped (each account's
/// own list is its departure's, in `runas-guard status`).
const SUMMARY_NOTE: &str = "runas-guard no longer reads or writes these accounts. Left as they are: each governed Session document with Run As as last recorded (a later edit is neither put back nor told), the run-as user check's association and the forwarding canary's tag where runas-guard made them, and the member stack (the StackSet's). `runas-guard status --account ID` shows each departure and what stays.";

/// One account's departure, as its run found it.
pub fn account_left_governance(d: &Departure, trigger: &Trigger, at: &str) -> Alert {
    let kind = Kind::AccountLeftGovernance;
    let mut m = base(kind, Severity::Warning, &d.account, trigger, at);
    m.insert("actor".into(), json!(d.actor));
    m.insert(
        "before".into(),
        json!(d.from_path.as_ref().or(d.from_ou.as_ref())),
    );
    m.insert(
        "after".into(),
        json!(d.to_path.as_ref().or(d.to_ou.as_ref())),
    );
    m.insert("reason".into(), json!(d.reason));
    m.insert("cause".into(), json!(d.cause));
    m.insert("why".into(), json!(d.describe()));
    m.insert("found_by".into(), json!(d.found_by));
    for (k, v) in [
        ("from_path", &d.from_path),
        ("to_path", &d.to_path),
        ("from_ou", &d.from_ou),
        ("to_ou", &d.to_ou),
        ("exempt_ou", &d.exempt_ou),
    ] {
        m.insert(k.into(), json!(v));
    }
    m.insert("left_at".into(), json!(d.at));
    m.insert("left_in_place".into(), json!(d.left_in_place));
    let how = match (d.cause, &d.to_path) {
        (crate::domain::governance::Cause::PolicyChanged, _) => "by a policy change".to_string(),
        (_, Some(to)) => format!("moved to {}", subject_value(to)),
        (_, None) => "moved".to_string(),
    };
    let subject = format!(
        "runas-guard: {} left governance, {how} ({})",
        d.account,
        short(d.reason)
    );
    Alert::new(
        kind,
        Severity::Warning,
        d.account.clone(),
        &subject,
        Value::Object(m),
    )
}

fn short(r: crate::domain::governance::Reason) -> &'static str {
    match r {
        crate::domain::governance::Reason::ExemptAccount => "exempt account",
        crate::domain::governance::Reason::ExemptOu => "exempt OU",
        crate::domain::governance::Reason::OutOfScope => "out of scope",
    }
}

/// The accounts one sweep found dropped by a policy change, in one alert;
/// `None` when there are none. `total` counts them all, `dropped` lists
/// the first [`MAX_LISTED`].
pub fn left_governance_summary(
    dropped: &[Dropped],
    total: usize,
    trigger: &Trigger,
    at: &str,
) -> Option<Alert> {
    if total == 0 {
        return None;
    }
    let kind = Kind::AccountLeftGovernance;
    let mut m = base(kind, Severity::Warning, "-", trigger, at);
    m.insert("account".into(), Value::Null);
    m.insert(
        "cause".into(),
        json!(crate::domain::governance::Cause::PolicyChanged),
    );
    m.insert("found_by".into(), json!(trigger.kind.as_str()));
    m.insert("accounts_left".into(), json!(total));
    let listed: Vec<&Dropped> = dropped.iter().take(MAX_LISTED).collect();
    m.insert("accounts".into(), json!(listed));
    m.insert("more".into(), json!(total.saturating_sub(listed.len())));
    m.insert("left_in_place".into(), json!(SUMMARY_NOTE));
    let subject = format!("runas-guard: {total} account(s) left governance by a policy change");
    Some(Alert::new(
        kind,
        Severity::Warning,
        "-",
        &subject,
        Value::Object(m),
    ))
}
