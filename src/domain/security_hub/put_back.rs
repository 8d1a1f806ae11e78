//! A put-back told only by its alert, as its `edit` finding (pure). A run
//! that died between its revert and its record leaves the revert to the
//! next run's record, which tells it (`drift_reverted`, under the dead
//! run's identity); that run's own rows find the document right, so no row
//! says "edit" and `decide` has nothing to send. The finding is the one the
//! dead run's row would have made ([`super::events`]): the same `Id`
//! (account, region, document, the version found, so a dead run that had
//! imported it before dying is updated in place, never doubled), `FAILED`,
//! `ACTIVE`, `CRITICAL` for root and `HIGH` otherwise, naming the editor
//! the alert names, the alert's id, and the window's sessions as the alert
//! listed them (or why they could not be read).

use serde_json::Value;

use super::seen::{read, run_as_details};
use super::{alerted, events, Place, Send};
use crate::domain::alert::{Alert, Kind};
use crate::domain::outcome::{Action, RegionOutcome};
use crate::domain::trigger::DOCUMENT_NAME;

/// The `edit` finding of a `drift_reverted` alert about one account-region
/// (`None` for any other alert, and for one that names no region or
/// document: nothing to place it on).
pub fn put_back(place: Place<'_>, alert: &Alert, now_ms: i64) -> Option<Send> {
    if alert.kind != Kind::DriftReverted {
        return None;
    }
    let b = &alert.body;
    let o = outcome(b)?;
    let user = b["desired_user"].as_str().unwrap_or("?");
    let mut details = run_as_details(&o, read(&o), user);
    let editor = b["actor"]
        .as_str()
        .filter(|e| !e.trim().is_empty())
        .unwrap_or("an editor not yet named");
    details.insert("editor".into(), editor.into());
    if let Some(v) = &o.version_after {
        details.insert("put_back_version".into(), v.clone());
    }
    details.insert("alert_id".into(), alert.alert_id.clone());
    alerted::sessions(b, &mut details);
    Some(events::edit(place, &o, editor, details, now_ms))
}

/// The row the dead run would have left, from what its alert says: the
/// region, document, what it found and the version that put it back.
fn outcome(b: &Value) -> Option<RegionOutcome> {
    let region = b["region"].as_str().filter(|r| !r.trim().is_empty())?;
    let document = b["document"].as_str().filter(|d| !d.trim().is_empty())?;
    Some(RegionOutcome {
        region: region.into(),
        document: (document != DOCUMENT_NAME).then(|| document.to_string()),
        action: Action::Updated,
        before: field(b, "before"),
        after: field(b, "after"),
        versions_before: field(b, "versions_before"),
        version_after: field(b, "version_after"),
        mode: field(b, "mode"),
        ..RegionOutcome::default()
    })
}

/// A field of the alert as the row held it; absent or null: none.
fn field<T: serde::de::DeserializeOwned>(b: &Value, k: &str) -> Option<T> {
    serde_json::from_value(b[k].clone()).ok()
}
