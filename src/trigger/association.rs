//! State Manager association writes that may change the run-as user check's
//! association: `CreateAssociation` naming the check document,
//! `UpdateAssociation` whose request or answer names it, and
//! `DeleteAssociation`, which CloudTrail records with the association id
//! only (no document): looked at in case it was ours, since a look is one
//! read and finds anything else untouched.

use super::actor::actor;
use super::association_tag;
use super::document::document_ref;
use super::fields::{child, required, Obj};
use super::ssm_call::account_region;
use super::{EventError, Trigger, TriggerKind};

const ASSOCIATION_WRITES: [&str; 3] = [
    "CreateAssociation",
    "UpdateAssociation",
    "DeleteAssociation",
];

/// The document the call names: in the request, else in the answer
/// (`UpdateAssociation` by id answers with the association's document).
fn named_document<'a>(params: &Obj<'a>, detail: &Obj<'a>) -> Result<Option<&'a str>, EventError> {
    if let Some(n) = params.opt_str("name")? {
        return Ok(Some(n));
    }
    let Some(answer) = child(detail, "responseElements", "detail.responseElements")? else {
        return Ok(None);
    };
    match child(
        &answer,
        "associationDescription",
        "detail.responseElements.associationDescription",
    )? {
        Some(d) => d.opt_str("name"),
        None => Ok(None),
    }
}

/// A write of an association, or of runas-guard's tag on one.
pub(super) fn about(event_name: Option<&str>, detail: &Obj<'_>) -> bool {
    event_name.is_some_and(|n| ASSOCIATION_WRITES.contains(&n))
        || association_tag::tags_an_association(event_name, detail)
}

pub(super) fn classify(
    root: &Obj<'_>,
    detail: &Obj<'_>,
    check: Option<&str>,
    t: &mut Trigger,
) -> Result<(), EventError> {
    if association_tag::tags_an_association(t.event_name.as_deref(), detail) {
        return association_tag::classify_association_tag(root, detail, check, t);
    }
    classify_association(root, detail, check, t)
}

fn classify_association(
    root: &Obj<'_>,
    detail: &Obj<'_>,
    check: Option<&str>,
    t: &mut Trigger,
) -> Result<(), EventError> {
    let name = t.event_name.clone().unwrap_or_default();
    if let Some(code) = detail.opt_str("errorCode")? {
        t.reason = format!("{name} failed with {code}; no association changed");
        return Ok(());
    }
    let Some(check) = check else {
        t.reason = format!("{name}: the run-as user check is off (`[nodes] check_user`)");
        return Ok(());
    };
    let params = required(detail, "requestParameters", "detail.requestParameters")?;
    let named = named_document(&params, detail)?;
    let id = params.opt_str("associationId")?;
    match named.map(document_ref) {
        Some(r) if r.name() == Some(check) => {}
        Some(_) => {
            t.reason = format!(
                "{name} of document {:?}, not {check}",
                named.unwrap_or_default()
            );
            return Ok(());
        }
        None if name == "DeleteAssociation" && id.is_some() => {}
        None => {
            t.reason = format!("{name} names no document; not the run-as user check");
            return Ok(());
        }
    }
    let (account, region) = account_region(root, detail)?;
    t.kind = TriggerKind::DocumentChanged;
    t.account = Some(account);
    t.region = Some(region.to_string());
    t.actor = actor(detail)?;
    t.reason = match (named, id) {
        (Some(_), _) => format!("{name} of {check}: the run-as user check's association"),
        (None, id) => format!(
            "{name} of association {}: looked at in case it was the run-as user check's",
            id.unwrap_or("-")
        ),
    };
    t.context.document = Some(check.to_string());
    Ok(())
}
