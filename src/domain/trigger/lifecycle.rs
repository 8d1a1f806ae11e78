//! The moments a new account becomes reachable: the member StackSet's stack
//! instance landing in it (CloudFormation), and a Control Tower baseline
//! applied to it or to its OU.

use super::fields::{field_error, required, Obj};
use super::{describe, EventError, Trigger, TriggerKind, SERVICE_EVENT};
use crate::domain::ids::{is_account_id, is_region_name};

pub(super) const STACK_INSTANCE: &str = "CloudFormation StackSet StackInstance Status Change";

/// The member StackSet's name when none is configured (hub parameter
/// `MemberStackSetName`, `RUNAS_GUARD_MEMBER_STACK_SET`).
pub const MEMBER_STACK_SET: &str = "runas-guard-member";

/// The member StackSet as the hub knows it: its name, and the account that
/// administers it. Only the administrator's StackSet counts: any member
/// account may create a StackSet of the same name in its own account and
/// forward that StackSet's instance events to the hub's bus, which admits
/// the whole organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberStackSet {
    pub name: String,
    pub admin: StackSetAdmin,
}

/// Who administers the member StackSet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StackSetAdmin {
    /// This account (12 digits): the configured one
    /// (`RUNAS_GUARD_STACKSET_ADMIN_ACCOUNT`), else the management account.
    Account(String),
    /// Not known, and why: no instance event counts.
    Unknown(String),
    /// Not looked up (`explain` offline with none configured): an instance
    /// event counts when its StackSet is in the account that sent it, and
    /// its reason says the administrator was not checked. Never acted on:
    /// the handler learns the administrator first.
    Unchecked,
}

impl MemberStackSet {
    pub fn unchecked(name: &str) -> MemberStackSet {
        MemberStackSet {
            name: name.to_string(),
            admin: StackSetAdmin::Unchecked,
        }
    }
}

/// Whether `event` is a stack-instance event (the handler learns the
/// StackSet administrator before it classifies one).
pub fn is_stack_instance(event: &serde_json::Value) -> bool {
    event.get("source").and_then(serde_json::Value::as_str) == Some("aws.cloudformation")
        && event.get("detail-type").and_then(serde_json::Value::as_str) == Some(STACK_INSTANCE)
}

/// Why an instance event of a StackSet named as the member StackSet does
/// not count (`None`: it does): the StackSet's account (`owner`, from its
/// ARN) and the account the event came from (the envelope's `account`) must
/// both be the administrator.
pub fn not_from_admin(
    admin: &StackSetAdmin,
    name: &str,
    owner: &str,
    sender: Option<&str>,
) -> Option<String> {
    // The envelope's account is the sender's word: shown escaped when it
    // is not an account id.
    let sender_shown = match sender {
        None => "(none)".to_string(),
        Some(s) if is_account_id(s) => s.to_string(),
        Some(s) => format!("{:?}", s.chars().take(40).collect::<String>()),
    };
    let theirs = format!("StackSet {name} of account {owner}, event from account {sender_shown}");
    match admin {
        StackSetAdmin::Account(a) if owner == a && sender == Some(a.as_str()) => None,
        StackSetAdmin::Account(a) => Some(format!(
            "{theirs}: only the StackSet administrator's ({a}) member StackSet counts"
        )),
        StackSetAdmin::Unknown(why) => Some(format!(
            "{theirs}: the StackSet administrator account is not known ({why})"
        )),
        StackSetAdmin::Unchecked if sender == Some(owner) => None,
        StackSetAdmin::Unchecked => Some(format!(
            "{theirs}: a StackSet's instance events come from the account that administers it"
        )),
    }
}

/// Why a stack-instance event is not of runas-guard's member StackSet
/// (`None`: it is): another name, or not the administrator's.
fn not_ours(
    member: &MemberStackSet,
    name: &str,
    owner: &str,
    sender: Option<&str>,
) -> Option<String> {
    if name != member.name {
        return Some(format!(
            "StackSet {name} is not runas-guard's member StackSet ({})",
            member.name
        ));
    }
    not_from_admin(&member.admin, name, owner, sender)
}

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
    (root, detail): (&Obj<'_>, &Obj<'_>),
    member: &MemberStackSet,
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
    let (set_name, owner) = stack_set_of(set_arn).ok_or_else(|| {
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
    if let Some(why) = not_ours(member, set_name, owner, root.opt_str("account")?) {
        t.reason = why;
        return Ok(());
    }
    if !matches!(action, "CREATE" | "UPDATE") || detailed != "SUCCEEDED" {
        t.reason = format!("member stack instance {action} {detailed}: nothing landed");
        return Ok(());
    }
    t.kind = TriggerKind::MemberStackLanded;
    t.reason = format!("member stack instance {action} SUCCEEDED in {account} {region}");
    if member.admin == StackSetAdmin::Unchecked {
        t.reason.push_str(
            " (StackSet administrator not checked: RUNAS_GUARD_STACKSET_ADMIN_ACCOUNT is not set)",
        );
    }
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

/// `arn:…:cloudformation:REGION:ACCOUNT:stackset/NAME:ID` -> (NAME, ACCOUNT).
fn stack_set_of(arn: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let rest = parts.get(5)?.strip_prefix("stackset/")?;
    let name = rest.split(':').next()?;
    let ok = parts[0] == "arn"
        && parts[2] == "cloudformation"
        && is_account_id(parts[4])
        && !name.is_empty()
        && name.len() <= 128;
    ok.then_some((name, parts[4]))
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

    use super::{not_from_admin, MemberStackSet, StackSetAdmin, MEMBER_STACK_SET};
    use crate::domain::trigger::{
        classify, classify_governed, TriggerKind, CHECK_DOCUMENT, DOCUMENT_NAME,
    };

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

    const ADMIN: &str = "123456789012";
    const MEMBER: &str = "210987654321";

    fn with_admin(e: &Value, admin: StackSetAdmin) -> crate::domain::trigger::Trigger {
        let member = MemberStackSet {
            name: MEMBER_STACK_SET.into(),
            admin,
        };
        classify_governed(e, &[DOCUMENT_NAME], Some(CHECK_DOCUMENT), &member).unwrap()
    }

    /// A member account's own StackSet named as the member StackSet, its
    /// events forwarded to the hub bus (which admits the organization).
    fn members_own(sender: &str, owner: &str) -> Value {
        let set =
            format!("arn:aws:cloudformation:eu-west-1:{owner}:stackset/runas-guard-member:9z");
        let stack = format!(
            "arn:aws:cloudformation:eu-west-1:{MEMBER}:stack/StackSet-runas-guard-member-1/2"
        );
        let mut e = stack_event(&set, &stack, "CREATE", "SUCCEEDED");
        e["account"] = json!(sender);
        e
    }

    #[test]
    fn only_the_stackset_administrators_instance_events_count() {
        let admin = || StackSetAdmin::Account(ADMIN.into());
        // (the envelope's account, the StackSet ARN's account) -> counts
        for (sender, owner, counts) in [
            (ADMIN, ADMIN, true),
            // The member's own StackSet, sent from the member account.
            (MEMBER, MEMBER, false),
            // The administrator's StackSet ARN, sent by a member (the envelope
            // is the sender's: a forwarded copy keeps its own account).
            (MEMBER, ADMIN, false),
            // The member's StackSet claimed in the administrator's envelope.
            (ADMIN, MEMBER, false),
        ] {
            let t = with_admin(&members_own(sender, owner), admin());
            let kind = match counts {
                true => TriggerKind::MemberStackLanded,
                false => TriggerKind::Ignored,
            };
            assert_eq!(t.kind, kind, "{sender} {owner}: {}", t.reason);
            if !counts {
                for named in [sender, owner, ADMIN] {
                    assert!(t.reason.contains(named), "{}", t.reason);
                }
                assert!(t.reason.contains("StackSet administrator"), "{}", t.reason);
            }
        }
        // No envelope account at all: nobody sent it, it does not count.
        let mut e = members_own(ADMIN, ADMIN);
        e.as_object_mut().unwrap().remove("account");
        let t = with_admin(&e, admin());
        assert_eq!(t.kind, TriggerKind::Ignored, "{}", t.reason);
        assert!(t.reason.contains("(none)"), "{}", t.reason);
        // The administrator unknown: nothing counts, and the reason says why.
        let t = with_admin(
            &members_own(ADMIN, ADMIN),
            StackSetAdmin::Unknown("AccessDenied".into()),
        );
        assert_eq!(t.kind, TriggerKind::Ignored);
        assert!(
            t.reason.contains("not known (AccessDenied)"),
            "{}",
            t.reason
        );
        // Offline, nothing configured: the StackSet must be the sender's,
        // and the reason says the administrator was not checked.
        let t = with_admin(&members_own(MEMBER, MEMBER), StackSetAdmin::Unchecked);
        assert_eq!(t.kind, TriggerKind::MemberStackLanded);
        assert!(t.reason.contains("not checked"), "{}", t.reason);
        let t = with_admin(&members_own(MEMBER, ADMIN), StackSetAdmin::Unchecked);
        assert_eq!(t.kind, TriggerKind::Ignored, "{}", t.reason);
        // Another StackSet's name is told as before, whoever sent it.
        let other = stack_event(
            "arn:aws:cloudformation:us-east-1:123456789012:stackset/other:0a1b",
            STACK,
            "CREATE",
            "SUCCEEDED",
        );
        assert!(with_admin(&other, admin())
            .reason
            .contains("is not runas-guard's member StackSet"));
    }

    #[test]
    fn the_reason_names_every_account_and_stays_one_bounded_line() {
        let hostile = "1234\n5678\u{2028}9012";
        let why = not_from_admin(
            &StackSetAdmin::Account(ADMIN.into()),
            "runas-guard-member",
            MEMBER,
            Some(hostile),
        )
        .unwrap();
        assert!(why.contains(MEMBER) && why.contains(ADMIN), "{why}");
        assert_eq!(
            not_from_admin(
                &StackSetAdmin::Account(ADMIN.into()),
                "n",
                ADMIN,
                Some(ADMIN)
            ),
            None
        );
        // A hostile envelope account is shown escaped, on one line.
        let mut e = members_own(ADMIN, ADMIN);
        e["account"] = json!(hostile);
        let t = with_admin(&e, StackSetAdmin::Account(ADMIN.into()));
        assert_eq!(t.kind, TriggerKind::Ignored);
        assert!(
            !t.reason.contains('\n') && !t.reason.contains('\u{2028}'),
            "{}",
            t.reason
        );
        assert!(
            t.reason.contains("\\n") && t.reason.contains("\\u{2028}"),
            "{}",
            t.reason
        );
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
                "arn:aws:cloudformation:us-east-1:1234:stackset/runas-guard-member:1",
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
