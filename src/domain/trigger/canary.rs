//! `AddTagsToResource` of the forwarding canary's tag on the default Session
//! document: the canary has come through that account-region's forwarding
//! rule. Any other tag write is not runas-guard's business.

use super::actor::actor;
use super::fields::{field_error, required, Obj};
use super::ssm_call::account_region;
use super::{EventError, Trigger, TriggerKind, DOCUMENT_NAME};
use crate::domain::canary::TAG_KEY;

pub(super) fn classify_tagging(
    root: &Obj<'_>,
    detail: &Obj<'_>,
    t: &mut Trigger,
) -> Result<(), EventError> {
    if let Some(code) = detail.opt_str("errorCode")? {
        t.reason = format!("AddTagsToResource failed with {code}; nothing was tagged");
        return Ok(());
    }
    let params = required(detail, "requestParameters", "detail.requestParameters")?;
    let (kind, id) = (
        params.opt_str("resourceType")?,
        params.opt_str("resourceId")?,
    );
    if kind != Some("Document") || id != Some(DOCUMENT_NAME) {
        t.reason = format!(
            "AddTagsToResource on {} {:?}: only the forwarding canary on {DOCUMENT_NAME} is read",
            kind.unwrap_or("an unnamed resource type"),
            id.unwrap_or_default()
        );
        return Ok(());
    }
    let Some(token) = canary_token(detail)? else {
        t.reason = format!("AddTagsToResource on {DOCUMENT_NAME} without the {TAG_KEY} tag");
        return Ok(());
    };
    let (account, region) = account_region(root, detail)?;
    t.kind = TriggerKind::ForwardingCanary;
    t.account = Some(account);
    t.region = Some(region.to_string());
    t.actor = actor(detail)?;
    t.reason = format!("forwarding canary {token:?} arrived");
    t.context.document = Some(DOCUMENT_NAME.to_string());
    t.context.run_as_value = Some(token);
    Ok(())
}

/// The canary tag's value, when the request carries the tag.
fn canary_token(detail: &Obj<'_>) -> Result<Option<String>, EventError> {
    let field = "detail.requestParameters.tags";
    let Some(tags) = detail.value_at(&["requestParameters", "tags"]) else {
        return Ok(None);
    };
    let tags = tags.as_array().ok_or_else(|| {
        field_error(
            field,
            format!("expected an array, found {}", super::type_name(tags)),
        )
    })?;
    for tag in tags {
        if tag.get("key").and_then(serde_json::Value::as_str) != Some(TAG_KEY) {
            continue;
        }
        return match tag.get("value").and_then(serde_json::Value::as_str) {
            Some(v) if !v.trim().is_empty() => Ok(Some(v.to_string())),
            _ => Err(field_error(
                field,
                format!("the {TAG_KEY} tag has no value"),
            )),
        };
    }
    Ok(None)
}
