//! What a finding says the document was: what the run read, whatever its
//! write did, or what made it right, with its values and versions.

use std::collections::BTreeMap;

use crate::domain::outcome::{Action, RegionOutcome};
use crate::domain::preferences::RunAs;

/// A document as a run saw it: its Run As (`None`: no document) and its
/// default and latest versions.
#[derive(Clone, Copy)]
pub(super) struct Seen<'a> {
    pub(super) run_as: Option<&'a RunAs>,
    default: Option<&'a str>,
    latest: Option<&'a str>,
}

/// What the run read, whatever its write did (a failed run keeps it apart,
/// `RegionOutcome::read`); `None` when it read nothing (it failed first).
pub(super) fn read(o: &RegionOutcome) -> Option<Seen<'_>> {
    let (run_as, versions) = match (&o.read, o.action) {
        (Some(r), _) => (r.run_as.as_ref(), r.versions.as_ref()),
        (None, Action::Failed) if o.before.is_none() && o.versions_before.is_none() => return None,
        (None, _) => (o.before.as_ref(), o.versions_before.as_ref()),
    };
    Some(Seen {
        run_as,
        default: versions.map(|v| v.default.as_str()),
        latest: versions.map(|v| v.latest.as_str()),
    })
}

/// What the document is once the run is done: the Run As and the version
/// that made it right (default and latest then).
pub(super) fn right(o: &RegionOutcome) -> Option<Seen<'_>> {
    match (&o.after, o.version_after.as_deref()) {
        (Some(after), Some(version)) => Some(Seen {
            run_as: Some(after),
            default: Some(version),
            latest: Some(version),
        }),
        _ => read(o),
    }
}

/// Whether what was read is out of policy (nothing read: taken as so).
pub(super) fn wrong(seen: Option<Seen<'_>>, user: &str) -> bool {
    seen.is_none_or(|s| s.run_as.is_none_or(|r| !r.is_compliant(user)))
}

pub(super) fn observed(seen: Option<Seen<'_>>) -> String {
    match seen.map(|s| s.run_as) {
        Some(Some(r)) => r.short(),
        Some(None) => "absent (no document)".into(),
        None => "not read".into(),
    }
}

pub(super) fn run_as_details(
    o: &RegionOutcome,
    seen: Option<Seen<'_>>,
    user: &str,
) -> BTreeMap<String, String> {
    let mut d = BTreeMap::new();
    // A blank value is said as such by `finding`, where every value passes.
    let value = |v: &Option<serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "-".into(),
    };
    match seen.map(|s| s.run_as) {
        Some(Some(r)) => {
            d.insert("run_as_enabled".into(), value(&r.enabled));
            d.insert("run_as_default_user".into(), value(&r.user));
        }
        Some(None) => {
            d.insert("document".into(), "absent".into());
        }
        None => {
            d.insert("document".into(), "not read".into());
        }
    }
    d.insert("expected_run_as_enabled".into(), "true".into());
    d.insert("expected_run_as_default_user".into(), user.into());
    if let Some(mode) = o.mode {
        d.insert("mode".into(), mode.as_str().into());
    }
    if let Some(s) = seen {
        for (key, v) in [("default_version", s.default), ("latest_version", s.latest)] {
            if let Some(v) = v {
                d.insert(key.into(), v.into());
            }
        }
    }
    if let Some(code) = o
        .error_code
        .as_deref()
        .filter(|_| o.action == Action::Failed)
    {
        d.insert("error_code".into(), code.into());
    }
    d
}
