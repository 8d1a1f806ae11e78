//! Events that decide Run As outside the document (an `SSMSessionRunAs` tag
//! on an IAM role or user, IAM Identity Center's access-control attributes),
//! and accounts that join the organization by invitation.

use serde_json::Value;

use super::fields::{account_field, field_error, required, Obj};
use super::{actor, describe, EventError, Trigger, TriggerKind, API_CALL};

/// The tag Session Manager reads before the document (matched without case,
/// as IAM treats tag keys).
pub const RUN_AS_TAG: &str = "SSMSessionRunAs";
const IAM_WRITES: [&str; 4] = ["TagRole", "TagUser", "CreateRole", "CreateUser"];
const SSO_WRITES: [&str; 3] = [
    "CreateInstanceAccessControlAttributeConfiguration",
    "UpdateInstanceAccessControlAttributeConfiguration",
    "DeleteInstanceAccessControlAttributeConfiguration",
];

fn recipient(root: &Obj<'_>, detail: &Obj<'_>) -> Result<String, EventError> {
    match detail.opt_str("recipientAccountId")? {
        Some(_) => account_field(detail, "recipientAccountId"),
        None => account_field(root, "account"),
    }
}

/// The `SSMSessionRunAs` tag's value among `requestParameters.tags`, if set.
fn run_as_tag(params: &Obj<'_>) -> Result<Option<String>, EventError> {
    let Some(tags) = params.opt_array("tags")? else {
        return Ok(None);
    };
    for (i, tag) in tags.iter().enumerate() {
        let Value::Object(tag) = tag else {
            return Err(field_error(
                &format!("detail.requestParameters.tags[{i}]"),
                "expected an object with key and value",
            ));
        };
        let key = tag.get("key").and_then(Value::as_str).ok_or_else(|| {
            field_error(
                &format!("detail.requestParameters.tags[{i}].key"),
                "missing",
            )
        })?;
        if key.eq_ignore_ascii_case(RUN_AS_TAG) {
            let value = tag.get("value").and_then(Value::as_str).unwrap_or_default();
            return Ok(Some(value.to_string()));
        }
    }
    Ok(None)
}

/// The event's name and request when it is one of `writes` and succeeded;
/// otherwise `None`, with the reason set (`what` names what it is not).
fn successful_write<'a>(
    detail_type: &str,
    detail: &Obj<'a>,
    t: &mut Trigger,
    writes: &[&str],
    what: &str,
) -> Result<Option<(String, Obj<'a>)>, EventError> {
    let name = t.event_name.clone().unwrap_or_default();
    if detail_type != API_CALL || !writes.contains(&name.as_str()) {
        t.reason = format!("{}: an {what}", describe(detail_type, Some(&name)));
        return Ok(None);
    }
    if let Some(code) = detail.opt_str("errorCode")? {
        t.reason = format!("{name} failed with {code}; nothing changed");
        return Ok(None);
    }
    let params = required(detail, "requestParameters", "detail.requestParameters")?;
    Ok(Some((name, params)))
}

pub(super) fn classify_iam(
    root: &Obj<'_>,
    detail_type: &str,
    detail: &Obj<'_>,
    t: &mut Trigger,
) -> Result<(), EventError> {
    let what = format!("IAM call that sets no {RUN_AS_TAG} tag");
    let Some((name, params)) = successful_write(detail_type, detail, t, &IAM_WRITES, &what)? else {
        return Ok(());
    };
    let Some(value) = run_as_tag(&params)? else {
        t.reason = format!("{name} sets no {RUN_AS_TAG} tag");
        return Ok(());
    };
    let account = recipient(root, detail)?;
    let (kind, principal) = match params.opt_str("roleName")? {
        Some(role) => ("role", role),
        None => ("user", params.str("userName")?),
    };
    t.kind = TriggerKind::RunAsOverride;
    t.context.principal = Some(format!("arn:aws:iam::{account}:{kind}/{principal}"));
    t.context.run_as_value = Some(value.clone());
    t.account = Some(account);
    t.actor = actor(detail)?;
    t.reason = format!("{name} sets {RUN_AS_TAG}={value:?} on {kind} {principal}: sessions run as that user whatever the document says");
    Ok(())
}

pub(super) fn classify_sso(
    root: &Obj<'_>,
    detail_type: &str,
    detail: &Obj<'_>,
    t: &mut Trigger,
) -> Result<(), EventError> {
    let what = "IAM Identity Center call that changes no access-control attributes";
    let Some((name, params)) = successful_write(detail_type, detail, t, &SSO_WRITES, what)? else {
        return Ok(());
    };
    let instance = params
        .opt_str("instanceArn")?
        .unwrap_or("an Identity Center instance");
    let attributes: Vec<String> = params
        .value_at(&[
            "instanceAccessControlAttributeConfiguration",
            "accessControlAttributes",
        ])
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| {
                    let key = x.get("key")?.as_str()?;
                    let source = x
                        .pointer("/value/source")
                        .map(|s| s.to_string())
                        .unwrap_or_default();
                    Some(format!("{key}={source}"))
                })
                .collect()
        })
        .unwrap_or_default();
    let value = if name.starts_with("Delete") {
        "every attribute removed".to_string()
    } else {
        attributes.join(", ")
    };
    t.kind = TriggerKind::RunAsOverride;
    t.account = Some(recipient(root, detail)?);
    t.actor = actor(detail)?;
    t.context.principal = Some(instance.to_string());
    t.context.run_as_value = Some(value.clone());
    t.reason = format!(
        "{name} on {instance} ({value}): session tags, {RUN_AS_TAG} among them, come from these"
    );
    Ok(())
}

/// `AccountJoinedOrganization`: the account id from wherever the record
/// carries it (see `joined.rs`).
pub(super) fn classify_account_joined(
    root: &Obj<'_>,
    detail: &serde_json::Value,
    t: &mut Trigger,
) -> Result<(), EventError> {
    let account = super::joined::joined_account(root, detail)?;
    let method = detail
        .get("serviceEventDetails")
        .and_then(|s| s.get("joinedMethod"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or("unknown method");
    t.kind = TriggerKind::AccountVended;
    t.account = Some(account);
    t.reason = format!(
        "account joined the organization ({})",
        method.chars().take(32).collect::<String>()
    );
    Ok(())
}
