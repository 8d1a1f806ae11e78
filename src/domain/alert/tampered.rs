//! `finding_tampered`: one of runas-guard's Security Hub CSPM findings was
//! changed by someone else (an import under the member account's default
//! product), found by a sweep's read-back and sent again as runas-guard
//! last sent it. One alert per finding changed: the fact is the finding
//! and the moment it was changed (its `UpdatedAt`), so a change told by
//! one sweep and found again by the next (its put-back refused) keeps its
//! identity. A finding whose `UpdatedAt` was forged past any the guard can
//! send cannot be put back in place (Security Hub CSPM ignores an update
//! that is not later): the alert says so and names the successor `Id` the
//! guard's finding was sent under.

use serde_json::{json, Value};

use super::message::{base, subject_value};
use super::{Alert, Kind, Severity};
use crate::domain::ids::stable_id;
use crate::domain::outcome::AccountReport;
use crate::domain::trigger::Trigger;

/// The account's findings someone else changed, one alert each.
pub fn finding_tampered(report: &AccountReport, trigger: &Trigger, at: &str) -> Vec<Alert> {
    let Some(imports) = &report.security_hub else {
        return vec![];
    };
    let account = report.account.as_str();
    imports
        .tampered
        .iter()
        .map(|t| {
            let kind = Kind::FindingTampered;
            let mut m = base(kind, Severity::Error, account, trigger, at);
            m.insert(
                "alert_id".into(),
                json!(stable_id(&[kind.as_str(), &t.id, &t.updated_at])),
            );
            m.insert("region".into(), json!(t.region));
            m.insert("finding_id".into(), json!(t.id));
            m.insert("check".into(), json!(t.check));
            m.insert("changed".into(), json!(t.changed));
            m.insert("changed_at".into(), json!(t.updated_at));
            m.insert("put_back".into(), json!(t.put_back));
            m.insert("in_place".into(), json!(t.not_in_place.is_none()));
            if let Some(why) = &t.not_in_place {
                m.insert("not_in_place".into(), json!(why));
            }
            if let Some(successor) = &t.successor {
                m.insert("successor_id".into(), json!(successor));
            }
            let done = match (t.not_in_place.is_some(), t.put_back) {
                (false, true) => "put back",
                (false, false) => "not yet put back",
                (true, true) => "cannot be put back in place (UpdatedAt forged), sent again under a new Id",
                (true, false) => "cannot be put back in place (UpdatedAt forged), not yet sent again",
            };
            let subject = format!(
                "runas-guard ERROR: Security Hub finding {} changed by someone else in {account} {} at {}; {done}",
                subject_value(&t.check),
                t.region,
                subject_value(&t.updated_at)
            );
            Alert::new(kind, Severity::Error, account, &subject, Value::Object(m))
        })
        .collect()
}
