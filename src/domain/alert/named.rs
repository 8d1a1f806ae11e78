//! The follow-up that names an editor: a sweep or a member-stack run put
//! an edit back before the edit's own event arrived (its alert could name
//! no one); the event's run, finding the document already right, tells
//! who made it, as the put-back it would have made itself would have
//! (`drift_reverted`, `tamper_repeated` from the third in an hour), with
//! `follow_up_of` naming the run that put it back.

use serde_json::json;

use super::identity::{drift_id, drift_version};
use super::{drift, Alert, DriftFacts};
use crate::domain::outcome::{AccountReport, Action, Change, RegionOutcome};
use crate::domain::trigger::Trigger;

pub fn editors_named(
    report: &AccountReport,
    trigger: &Trigger,
    expected_editor: bool,
    at: &str,
) -> Vec<Alert> {
    let user = report.desired_user.as_deref().unwrap_or_default();
    report
        .regions
        .iter()
        .filter_map(|o| Some((o, o.named.as_ref()?)))
        .map(|(o, named)| {
            // The edit as its put-back saw it: from the editor's Run As to
            // what stands now.
            let edit = RegionOutcome {
                before: named.mark.before.clone(),
                after: o.before.clone(),
                change: Some(Change::Document),
                ..o.clone()
            };
            let audit = audit(o);
            let facts = DriftFacts {
                expected_editor,
                audit,
                reverts_last_hour: if expected_editor || audit { 0 } else { named.reverts_last_hour },
            };
            let mut alert = drift(&report.account, o.user(user), &edit, trigger, at, facts);
            alert.identify(&follow_up_id(&report.account, &edit, named, &alert, trigger));
            if let Some(body) = alert.body.as_object_mut() {
                body.insert(
                    "follow_up_of".into(),
                    json!({
                        "found_by": named.mark.found_by,
                        "trigger_id": named.mark.trigger_id,
                        "put_back_at": crate::domain::clock::iso(crate::domain::clock::from_millis(named.mark.at_ms)),
                        "version_replaced": named.mark.version,
                    }),
                );
                let did = if audit { "found" } else { "put" };
                let back = if audit { "" } else { " back" };
                body.insert(
                    "note".into(),
                    json!(format!(
                        "{} {did} this edit{back} before its event arrived; this is its editor (the forwarding delivered it)",
                        named.mark.found_by
                    )),
                );
            }
            // The subject says it follows an alert already sent.
            alert.subject = super::message::clean_subject(&alert.subject.replacen(
                "runas-guard",
                "runas-guard follow-up",
                1,
            ));
            alert
        })
        .collect()
}

/// In audit the run found what the sweep told: `drift_detected`, also
/// where the document is right again (the editor put it right themselves:
/// nothing was put back, and the window ran until then; simulation seed
/// 900275).
fn audit(o: &RegionOutcome) -> bool {
    o.action == Action::WouldChange || o.mode == Some(crate::domain::policy::Mode::Audit)
}

/// A follow-up's identity: the version the put-back replaced (the one its
/// alert told; this run reads the version the put-back made) and the
/// editor named, which the first alert could not name.
fn follow_up_id(
    account: &str,
    edit: &RegionOutcome,
    named: &crate::domain::put_back::Named,
    alert: &Alert,
    trigger: &Trigger,
) -> String {
    let (version, made) = match &named.mark.version {
        Some(v) if named.mark.latest_only => (format!("latest:{v}"), named.mark.made.as_deref()),
        Some(v) => (v.clone(), named.mark.made.as_deref()),
        None => (drift_version(edit).0, None),
    };
    let editor = trigger.actor.as_ref().map(|a| a.arn.as_str());
    drift_id(alert.kind, account, edit, (&version, made), editor)
}
