//! runas-guard's tag on an association taken off (`RemoveTagsFromResource`
//! of `runas-guard:managed`) or set to anything but its value
//! (`AddTagsToResource`): the check's association must carry it (the member
//! role updates only a tagged association, and the optional SCP protects
//! only a tagged one), so the check looks and tags it again. runas-guard's
//! own tag (the value `true`) is not news, and no other tag is its business.

use serde_json::Value;

use super::actor::actor;
use super::fields::{field_error, required, Obj};
use super::ssm_call::account_region;
use super::{EventError, Trigger, TriggerKind};
use crate::nodes::managed_tag::{KEY, VALUE};

/// A tag write on a State Manager association.
pub(super) fn tags_an_association(event_name: Option<&str>, detail: &Obj<'_>) -> bool {
    matches!(
        event_name,
        Some("AddTagsToResource" | "RemoveTagsFromResource")
    ) && detail
        .value_at(&["requestParameters", "resourceType"])
        .and_then(Value::as_str)
        == Some("Association")
}

pub(super) fn classify_association_tag(
    root: &Obj<'_>,
    detail: &Obj<'_>,
    check: Option<&str>,
    t: &mut Trigger,
) -> Result<(), EventError> {
    let name = t.event_name.clone().unwrap_or_default();
    if let Some(code) = detail.opt_str("errorCode")? {
        t.reason = format!("{name} failed with {code}; no tag changed");
        return Ok(());
    }
    let Some(check) = check else {
        t.reason = format!("{name}: the run-as user check is off (`[nodes] check_user`)");
        return Ok(());
    };
    let params = required(detail, "requestParameters", "detail.requestParameters")?;
    let id = params.opt_str("resourceId")?.unwrap_or("-");
    if !takes_the_tag(&name, detail)? {
        t.reason = format!("{name} on association {id}: runas-guard's tag {KEY} is left as it was");
        return Ok(());
    }
    let (account, region) = account_region(root, detail)?;
    t.kind = TriggerKind::DocumentChanged;
    t.account = Some(account);
    t.region = Some(region.to_string());
    t.actor = actor(detail)?;
    t.reason = format!(
        "{name} of {KEY} on association {id}: looked at in case it was the run-as user check's"
    );
    t.context.document = Some(check.to_string());
    Ok(())
}

/// Whether the request takes runas-guard's tag off the association, or
/// gives it another value.
fn takes_the_tag(name: &str, detail: &Obj<'_>) -> Result<bool, EventError> {
    let (list, field) = match name {
        "RemoveTagsFromResource" => ("tagKeys", "detail.requestParameters.tagKeys"),
        _ => ("tags", "detail.requestParameters.tags"),
    };
    let Some(items) = detail.value_at(&["requestParameters", list]) else {
        return Ok(false);
    };
    let items = items.as_array().ok_or_else(|| {
        field_error(
            field,
            format!("expected an array, found {}", super::type_name(items)),
        )
    })?;
    Ok(items.iter().any(|item| match name {
        "RemoveTagsFromResource" => item.as_str() == Some(KEY),
        _ => {
            item.get("key").and_then(Value::as_str) == Some(KEY)
                && item.get("value").and_then(Value::as_str) != Some(VALUE)
        }
    }))
}
