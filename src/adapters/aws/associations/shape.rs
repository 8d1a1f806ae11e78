//! `AssociationDescription` in the check's vocabulary: every field an editor
//! can set is read, so the check can tell an association kept whole from
//! one that only runs the right user.

use std::collections::HashMap;

use aws_sdk_ssm::types::{AssociationDescription, AssociationOverview, Target};

use crate::domain::nodes::node_result::reason_of_status;
use crate::domain::nodes::{Counts, Reason, Rest};

/// What the lookup ran with; anything but one value is not a user.
pub(super) fn user_of(params: Option<&HashMap<String, Vec<String>>>) -> Option<String> {
    match params?.get("User")?.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

pub(super) fn all_nodes(targets: &[Target]) -> bool {
    matches!(targets, [t] if t.key() == Some("InstanceIds") && t.values() == ["*"])
}

pub(super) fn counts(overview: Option<&AssociationOverview>) -> Counts {
    let mut c = Counts::default();
    let Some(map) = overview.and_then(|o| o.association_status_aggregated_count()) else {
        return c;
    };
    for (status, n) in map {
        let n = u64::try_from(*n).unwrap_or(0);
        match status.as_str() {
            "Success" => c.success += n,
            "Failed" => c.failed += n,
            // A node's run under way: the run is in progress.
            "Pending" | "InProgress" => c.running += n,
            // No verdict on the user: counted apart, with their reason.
            other => match reason_of_status(other) {
                Reason::TimedOut => c.timed_out += n,
                Reason::Undeliverable => c.undeliverable += n,
                _ => c.other += n,
            },
        }
    }
    c
}

/// `Date` as epoch milliseconds.
pub(super) fn created(d: &AssociationDescription) -> Option<i64> {
    d.date().and_then(|t| t.to_millis().ok())
}

/// `LastExecutionDate`, epoch milliseconds: which run the node reports are of.
pub(super) fn last_run(d: &AssociationDescription) -> Option<i64> {
    d.last_execution_date().and_then(|t| t.to_millis().ok())
}

/// Everything beyond document, name, user, targets and schedule.
pub(super) fn rest(d: &AssociationDescription) -> Rest {
    Rest {
        document_version: d.document_version().map(str::to_string),
        max_errors: d.max_errors().map(str::to_string),
        max_concurrency: d.max_concurrency().map(str::to_string),
        compliance_severity: d.compliance_severity().map(|c| c.as_str().to_string()),
        sync_compliance: d.sync_compliance().map(|c| c.as_str().to_string()),
        apply_only_at_cron_interval: d.apply_only_at_cron_interval(),
        calendar_names: d.calendar_names().to_vec(),
        output_location: d.output_location().is_some(),
        alarm_configuration: d.alarm_configuration().is_some(),
        target_locations: !d.target_locations().is_empty(),
        target_maps: !d.target_maps().is_empty(),
        schedule_offset: d.schedule_offset(),
        duration: d.duration(),
        automation_target_parameter_name: d.automation_target_parameter_name().map(str::to_string),
        association_dispatch_assume_role: d.association_dispatch_assume_role().map(str::to_string),
        other_parameters: d
            .parameters()
            .is_some_and(|p| p.keys().any(|k| k != "User")),
    }
}
