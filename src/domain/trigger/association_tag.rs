//! runas-guard's tag on an association taken off (`RemoveTagsFromResource`
//! of `runas-guard:managed`) or set to anything but its value
//! (`AddTagsToResource`): the check's association must carry it (the member
//! role updates only a tagged association, and the optional SCP protects
//! only a tagged one), so the check looks and tags it again. runas-guard's
//! own tag (the value `true`) is not news, and no other tag is its business.

use serde_json::Value;

use super::fields::{field_error, Obj};
use super::{EventError, Verdict};
use crate::domain::nodes::managed_tag::{KEY, VALUE};

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

/// Whether the event took runas-guard's tag off an association.
pub(super) fn verdict(
    name: &str,
    params: &Obj<'_>,
    detail: &Obj<'_>,
) -> Result<Verdict, EventError> {
    let id = params.opt_str("resourceId")?.unwrap_or("-");
    Ok(match takes_the_tag(name, detail)? {
        true => Ok(format!(
            "{name} of {KEY} on association {id}: looked at in case it was the run-as user check's"
        )),
        false => Err(format!(
            "{name} on association {id}: runas-guard's tag {KEY} is left as it was"
        )),
    })
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
