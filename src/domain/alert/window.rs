//! `run_as_window`: versions of a governed document, made since the table
//! last recorded it, held Run As out of policy and were set back before any
//! run looked (a root window an editor the SCPs do not stop opened and
//! closed). The document reads right now; its history says what held
//! meanwhile. One alert per account-region, told by the run that read it.

use serde_json::{json, Value};

use super::message::{base, short_actor, subject_value};
use super::{alert_id, Alert, Kind, Severity};
use crate::domain::outcome::{AccountReport, RegionOutcome};
use crate::domain::trigger::Trigger;

/// What the alert says of how long a window lasted.
pub const WINDOW_NOTE: &str = "these versions held Run As out of policy and were replaced before runas-guard looked; a version takes effect only while it is the default, and sessions started meanwhile kept it: `sessions` lists those started in the windows (owner, target), check who edited and who opened them";

/// One alert per row whose history this run tells.
pub fn run_as_windows(report: &AccountReport, trigger: &Trigger, at: &str) -> Vec<Alert> {
    let user = report.desired_user.as_deref().unwrap_or_default();
    report
        .regions
        .iter()
        .filter(|o| o.history.as_ref().is_some_and(|h| !h.windows.is_empty()))
        .map(|o| window(&report.account, o.user(user), o, trigger, at))
        .collect()
}

fn window(account: &str, user: &str, o: &RegionOutcome, trigger: &Trigger, at: &str) -> Alert {
    let kind = Kind::RunAsWindow;
    let history = o.history.as_ref().expect("filtered on history");
    let first = &history.windows[0];
    let by = trigger
        .actor
        .as_ref()
        .map(|a| format!(", last edit by {}", subject_value(&short_actor(&a.arn))))
        .unwrap_or_default();
    let versions: Vec<&str> = history.windows.iter().map(|w| w.version.as_str()).collect();
    let subject = format!(
        "runas-guard: RunAs was {} in {account} {} (version {}) before it was set back{by}",
        subject_value(&first.run_as.short()),
        o.place(),
        subject_value(&versions.join(", ")),
    );
    let mut m = base(kind, Severity::Warning, account, trigger, at);
    m.insert(
        "alert_id".into(),
        json!(alert_id(trigger, kind, account, Some(&o.slot()))),
    );
    m.insert("region".into(), json!(o.region));
    m.insert("document".into(), json!(o.document_name()));
    m.insert("desired_user".into(), json!(user));
    m.insert("windows".into(), json!(history.windows));
    m.insert("versions_unread".into(), json!(history.unread));
    m.insert("versions_now".into(), json!(o.versions_before));
    m.insert("event_name".into(), json!(trigger.event_name));
    m.insert("event_time".into(), json!(trigger.context.event_time));
    m.insert("found_by".into(), json!(trigger.kind.as_str()));
    m.insert("note".into(), json!(WINDOW_NOTE));
    Alert::new(kind, Severity::Warning, account, &subject, Value::Object(m))
}
