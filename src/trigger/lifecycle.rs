//! The moments a new account becomes reachable: the member StackSet's stack
//! instance landing in it (CloudFormation), and a Control Tower baseline
//! applied to it or to its OU.

use super::fields::{field_error, required, Obj};
use super::{describe, EventError, Trigger, TriggerKind, SERVICE_EVENT};
use crate::ids::{is_account_id, is_region_name};

pub(super) const STACK_INSTANCE: &str = "CloudFormation StackSet StackInstance Status Change";

/// The member StackSet's name when none is configured (hub parameter
/// `MemberStackSetName`, `RUNAS_GUARD_MEMBER_STACK_SET`).
pub const MEMBER_STACK_SET: &str = "runas-guard-member";

/// The baselines that put an account in shape (Control Tower's own names
/// for the operations; `DisableBaseline` takes nothing to configure).
const BASELINE_APPLIED: [(&str, &str); 3] = [
    ("EnableBaseline", "enableBaselineStatus"),
    ("ResetEnabledBaseline", "resetEnabledBaselineStatus"),
    ("UpdateEnabledBaseline", "updateEnabledBaselineStatus"),
];

/// `CloudFormation StackSet StackInstance Status Change`: the member stack
/// landed in `stack-id`'s account and region.
pub(super) fn classify_stack_instance(
    detail_type: &str,
    detail: &Obj<'_>,
    member_stack_set: &str,
    t: &mut Trigger,
) -> Result<(), EventError> {
    if detail_type != STACK_INSTANCE {
        t.reason = format!(
            "CloudFormation {} is not a stack instance landing",
            describe(detail_type, None)
        );
        return Ok(());
    }
    let set_arn = detail.str("stack-set-arn")?;
    let set_name = stack_set_name(set_arn).ok_or_else(|| {
        field_error(
            "detail.stack-set-arn",
            format!(
                "expected arn:…:cloudformation:REGION:ACCOUNT:stackset/NAME:ID, found {set_arn:?}"
            ),
        )
    })?;
    let stack_id = detail.str("stack-id")?;
    let (region, account) = stack_place(stack_id).ok_or_else(|| {
        field_error(
            "detail.stack-id",
            format!(
                "expected arn:…:cloudformation:REGION:ACCOUNT:stack/NAME/ID, found {stack_id:?}"
            ),
        )
    })?;
    let action = detail.opt_str("action")?.unwrap_or("?");
    let status = required(detail, "status-details", "detail.status-details")?;
    let detailed = status.str("detailed-status")?;
    t.account = Some(account.to_string());
    t.region = Some(region.to_string());
    t.context.principal = Some(set_name.to_string());
    if set_name != member_stack_set {
        t.reason = format!(
            "StackSet {set_name} is not runas-guard's member StackSet ({member_stack_set})"
        );
        return Ok(());
    }
    if !matches!(action, "CREATE" | "UPDATE") || detailed != "SUCCEEDED" {
        t.reason = format!("member stack instance {action} {detailed}: nothing landed");
        return Ok(());
    }
    t.kind = TriggerKind::MemberStackLanded;
    t.reason = format!("member stack instance {action} SUCCEEDED in {account} {region}");
    Ok(())
}

/// Organizations' OU id pattern, `ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}`.
fn is_ou_id(id: &str) -> bool {
    let Some(rest) = id.strip_prefix("ou-") else {
        return false;
    };
    let Some((root, ou)) = rest.split_once('-') else {
        return false;
    };
    let part = |s: &str, min: usize| {
        (min..=32).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    };
    part(root, 4) && part(ou, 8)
}

/// `stackset/NAME:ID` -> NAME.
fn stack_set_name(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let rest = parts.get(5)?.strip_prefix("stackset/")?;
    let name = rest.split(':').next()?;
    (parts[0] == "arn" && parts[2] == "cloudformation" && !name.is_empty() && name.len() <= 128)
        .then_some(name)
}

/// The stack's region and account, from its ARN.
fn stack_place(arn: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "cloudformation"
        && parts[5].starts_with("stack/")
        && is_region_name(parts[3])
        && is_account_id(parts[4]);
    ok.then(|| (parts[3], parts[4]))
}

/// A Control Tower lifecycle event: a baseline, or an account's.
pub(super) fn classify_control_tower(
    detail_type: &str,
    detail: &Obj<'_>,
    t: &mut Trigger,
) -> Result<(), EventError> {
    match classify_baseline(detail_type, detail, t) {
        Some(done) => done,
        None => super::accounts::classify_control_tower(detail_type, detail, t),
    }
}

/// Control Tower's `EnableBaseline` / `ResetEnabledBaseline` /
/// `UpdateEnabledBaseline` lifecycle events; `None` when `event_name` is
/// not one of them.
fn classify_baseline(
    detail_type: &str,
    detail: &Obj<'_>,
    t: &mut Trigger,
) -> Option<Result<(), EventError>> {
    let name = t.event_name.clone()?;
    let (_, key) = BASELINE_APPLIED.iter().find(|(n, _)| *n == name)?;
    if detail_type != SERVICE_EVENT {
        return None;
    }
    Some(baseline(detail, &name, key, t))
}

fn baseline(detail: &Obj<'_>, name: &str, key: &str, t: &mut Trigger) -> Result<(), EventError> {
    let sed = required(detail, "serviceEventDetails", "detail.serviceEventDetails")?;
    let path = format!("detail.serviceEventDetails.{key}");
    let status = required(&sed, key, &path)?;
    let details_path = format!("{path}.enabledBaselineDetails");
    let details = required(&status, "enabledBaselineDetails", &details_path)?;
    let summary_path = format!("{details_path}.statusSummary");
    let summary = required(&details, "statusSummary", &summary_path)?;
    let state = summary.str("status")?;
    let target = details.str("targetIdentifier")?;
    let target_id = target.rsplit('/').next().unwrap_or_default();
    if is_account_id(target_id) {
        t.account = Some(target_id.to_string());
    } else if is_ou_id(target_id) {
        t.context.ou_id = Some(target_id.to_string());
    } else {
        return Err(field_error(
            &format!("{details_path}.targetIdentifier"),
            format!("expected the ARN of an account or an OU, found {target:?}"),
        ));
    }
    if state != "SUCCEEDED" {
        t.reason = format!("Control Tower {name} {state}; nothing to configure yet");
        return Ok(());
    }
    t.kind = TriggerKind::BaselineApplied;
    t.reason = format!("Control Tower {name} SUCCEEDED on {target_id}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::trigger::{classify, TriggerKind};

    fn stack_event(set: &str, stack: &str, action: &str, status: &str) -> Value {
        json!({"version": "0", "id": "e-1", "detail-type": super::STACK_INSTANCE,
            "source": "aws.cloudformation", "account": "123456789012", "time": "2026-11-23T12:00:00Z",
            "region": "us-east-1", "resources": [set],
            "detail": {"stack-set-arn": set, "stack-id": stack, "action": action,
                "status-details": {"status": "CURRENT", "detailed-status": status}}})
    }

    const SET: &str =
        "arn:aws:cloudformation:us-east-1:123456789012:stackset/runas-guard-member:0a1b";
    const STACK: &str =
        "arn:aws:cloudformation:eu-west-1:210987654321:stack/StackSet-runas-guard-member-1/2";

    #[test]
    fn a_member_stack_instance_names_its_account_and_region() {
        for (set, stack, action, status, kind) in [
            (
                SET,
                STACK,
                "CREATE",
                "SUCCEEDED",
                TriggerKind::MemberStackLanded,
            ),
            (
                SET,
                STACK,
                "UPDATE",
                "SUCCEEDED",
                TriggerKind::MemberStackLanded,
            ),
            (SET, STACK, "DELETE", "SUCCEEDED", TriggerKind::Ignored),
            (SET, STACK, "CREATE", "FAILED", TriggerKind::Ignored),
            (
                SET,
                STACK,
                "DETECT_DRIFT",
                "SUCCEEDED",
                TriggerKind::Ignored,
            ),
            (
                "arn:aws:cloudformation:us-east-1:123456789012:stackset/other:0a1b",
                STACK,
                "CREATE",
                "SUCCEEDED",
                TriggerKind::Ignored,
            ),
        ] {
            let t = classify(&stack_event(set, stack, action, status)).unwrap();
            assert_eq!(t.kind, kind, "{set} {action} {status}: {}", t.reason);
            assert_eq!(t.account.as_deref(), Some("210987654321"));
            assert_eq!(t.region.as_deref(), Some("eu-west-1"));
        }
    }

    #[test]
    fn hostile_stack_instance_events_are_refused_naming_the_field() {
        for (set, stack, field) in [
            ("not-an-arn", STACK, "detail.stack-set-arn"),
            (
                "arn:aws:cloudformation:us-east-1:1:stack/x:1",
                STACK,
                "detail.stack-set-arn",
            ),
            (
                SET,
                "arn:aws:cloudformation:eu-west-1:2109876:stack/x/y",
                "detail.stack-id",
            ),
            (
                SET,
                "arn:aws:cloudformation:nowhere:210987654321:stack/x/y",
                "detail.stack-id",
            ),
            (
                SET,
                "arn:aws:s3:eu-west-1:210987654321:stack/x/y",
                "detail.stack-id",
            ),
        ] {
            let err = classify(&stack_event(set, stack, "CREATE", "SUCCEEDED")).unwrap_err();
            assert!(err.to_string().contains(field), "{set} {stack}: {err}");
        }
        let mut e = stack_event(SET, STACK, "CREATE", "SUCCEEDED");
        e["detail"]["status-details"] = json!("SUCCEEDED");
        assert!(classify(&e)
            .unwrap_err()
            .to_string()
            .contains("status-details"));
    }

    fn baseline_event(name: &str, key: &str, target: &str, status: &str) -> Value {
        json!({"version": "0", "id": "e-2", "detail-type": "AWS Service Event via CloudTrail",
            "source": "aws.controltower", "account": "123456789012", "time": "2026-11-23T12:00:00Z",
            "region": "us-east-1", "resources": [],
            "detail": {"eventName": name, "serviceEventDetails": {key: {"enabledBaselineDetails": {
                "targetIdentifier": target, "statusSummary": {"status": status}}}}}})
    }

    #[test]
    fn a_baseline_names_an_account_or_an_ou() {
        let acct = "arn:aws:organizations::123456789012:account/o-abcdefghij/210987654321";
        let ou = "arn:aws:organizations::123456789012:ou/o-abcdefghij/ou-ab12-sand0001";
        for (name, key, target, status, kind, account, ou_id) in [
            (
                "EnableBaseline",
                "enableBaselineStatus",
                acct,
                "SUCCEEDED",
                TriggerKind::BaselineApplied,
                Some("210987654321"),
                None,
            ),
            (
                "ResetEnabledBaseline",
                "resetEnabledBaselineStatus",
                ou,
                "SUCCEEDED",
                TriggerKind::BaselineApplied,
                None,
                Some("ou-ab12-sand0001"),
            ),
            (
                "UpdateEnabledBaseline",
                "updateEnabledBaselineStatus",
                ou,
                "SUCCEEDED",
                TriggerKind::BaselineApplied,
                None,
                Some("ou-ab12-sand0001"),
            ),
            (
                "ResetEnabledBaseline",
                "resetEnabledBaselineStatus",
                ou,
                "FAILED",
                TriggerKind::Ignored,
                None,
                Some("ou-ab12-sand0001"),
            ),
            (
                "DisableBaseline",
                "disableBaselineStatus",
                ou,
                "SUCCEEDED",
                TriggerKind::Ignored,
                None,
                None,
            ),
        ] {
            let t = classify(&baseline_event(name, key, target, status)).unwrap();
            assert_eq!(t.kind, kind, "{name} {status}: {}", t.reason);
            assert_eq!(t.account.as_deref(), account, "{name}");
            assert_eq!(t.context.ou_id.as_deref(), ou_id, "{name}");
        }
        let err = classify(&baseline_event(
            "EnableBaseline",
            "enableBaselineStatus",
            "arn:aws:organizations::1:root/o-x/r-ab12",
            "SUCCEEDED",
        ))
        .unwrap_err();
        assert!(err.to_string().contains("targetIdentifier"), "{err}");
        let err = classify(&baseline_event(
            "EnableBaseline",
            "wrongKey",
            acct,
            "SUCCEEDED",
        ))
        .unwrap_err();
        assert!(err.to_string().contains("enableBaselineStatus"), "{err}");
    }
}
