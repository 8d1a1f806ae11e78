//! Organizations and Control Tower events: an account created, joined,
//! enrolled or moved.

use serde_json::Value;

use super::actor::actor;
use super::fields::{account_field, child, required, Obj};
use super::{describe, run_as, EventError, Trigger, TriggerKind, API_CALL, SERVICE_EVENT};

/// `detail` both typed and raw (a joined account may sit at any depth).
pub(super) fn classify_organizations(
    detail_type: &str,
    root: &Obj<'_>,
    (detail, raw_detail): (&Obj<'_>, &Value),
    t: &mut Trigger,
) -> Result<(), EventError> {
    match (detail_type, t.event_name.as_deref()) {
        (SERVICE_EVENT, Some("CreateAccountResult")) => classify_create_account(detail, t),
        (SERVICE_EVENT, Some("AccountJoinedOrganization")) => {
            run_as::classify_account_joined(root, raw_detail, t)
        }
        (API_CALL, Some("MoveAccount")) => classify_move_account(detail, t),
        (_, event_name) => {
            t.reason = format!(
                "Organizations {} does not vend or move an account",
                describe(detail_type, event_name)
            );
            Ok(())
        }
    }
}

pub(super) fn classify_control_tower(
    detail_type: &str,
    detail: &Obj<'_>,
    t: &mut Trigger,
) -> Result<(), EventError> {
    match (detail_type, t.event_name.as_deref()) {
        (SERVICE_EVENT, Some("CreateManagedAccount" | "UpdateManagedAccount")) => {
            classify_managed_account(detail, t)
        }
        (_, event_name) => {
            t.reason = format!(
                "Control Tower {} is not an account lifecycle event",
                describe(detail_type, event_name)
            );
            Ok(())
        }
    }
}

fn classify_create_account(detail: &Obj<'_>, t: &mut Trigger) -> Result<(), EventError> {
    let sed = required(detail, "serviceEventDetails", "detail.serviceEventDetails")?;
    let status = required(
        &sed,
        "createAccountStatus",
        "detail.serviceEventDetails.createAccountStatus",
    )?;
    let state = status.str("state")?;
    if state != "SUCCEEDED" {
        let why = status
            .opt_str("failureReason")?
            .unwrap_or("no reason given");
        t.reason = format!("account creation {state} ({why}); nothing to configure");
        return Ok(());
    }
    t.kind = TriggerKind::AccountVended;
    t.account = Some(account_field(&status, "accountId")?);
    t.reason = "account creation SUCCEEDED".into();
    Ok(())
}

fn classify_managed_account(detail: &Obj<'_>, t: &mut Trigger) -> Result<(), EventError> {
    let sed = required(detail, "serviceEventDetails", "detail.serviceEventDetails")?;
    let (key, path) = if t.event_name.as_deref() == Some("CreateManagedAccount") {
        (
            "createManagedAccountStatus",
            "detail.serviceEventDetails.createManagedAccountStatus",
        )
    } else {
        (
            "updateManagedAccountStatus",
            "detail.serviceEventDetails.updateManagedAccountStatus",
        )
    };
    let status = required(&sed, key, path)?;
    let state = status.str("state")?;
    let name = t.event_name.clone().unwrap_or_default();
    if state != "SUCCEEDED" {
        let message = status.opt_str("message")?.unwrap_or("no message");
        t.reason = format!("Control Tower {name} {state} ({message}); nothing to configure");
        return Ok(());
    }
    let account_path = format!("{path}.account");
    let account = required(&status, "account", &account_path)?;
    t.account = Some(account_field(&account, "accountId")?);
    let ou_path = format!("{path}.organizationalUnit");
    if let Some(ou) = child(&status, "organizationalUnit", &ou_path)? {
        t.context.ou_id = ou.opt_str("organizationalUnitId")?.map(str::to_string);
    }
    t.kind = TriggerKind::AccountVended;
    t.reason = format!("Control Tower {name} SUCCEEDED");
    Ok(())
}

fn classify_move_account(detail: &Obj<'_>, t: &mut Trigger) -> Result<(), EventError> {
    if let Some(code) = detail.opt_str("errorCode")? {
        t.reason = format!("MoveAccount failed with {code}; the account did not move");
        return Ok(());
    }
    let params = required(detail, "requestParameters", "detail.requestParameters")?;
    t.account = Some(account_field(&params, "accountId")?);
    t.actor = actor(detail)?;
    let dest = params.opt_str("destinationParentId")?.unwrap_or("?");
    // Organizations reads can lag the move; the event itself names the new OU.
    if dest.starts_with("ou-") {
        t.context.ou_id = Some(dest.to_string());
    }
    // Where it came from: said when it leaves governance (a hint, as AWS
    // wrote it; what governs is read from Organizations).
    t.context.from_ou = params
        .opt_str("sourceParentId")?
        .filter(|p| is_parent_id(p))
        .map(str::to_string);
    t.kind = TriggerKind::AccountMoved;
    t.reason = format!("account moved to {dest}");
    Ok(())
}

/// An OU or root id as Organizations writes them (`ou-...`, `r-...`):
/// anything else in the event is not repeated.
fn is_parent_id(p: &str) -> bool {
    (p.starts_with("ou-") || p.starts_with("r-"))
        && p.len() <= 68
        && p.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}
