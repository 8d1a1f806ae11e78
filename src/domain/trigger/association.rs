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
use super::{EventError, Trigger, TriggerKind, Verdict};

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
    let name = t.event_name.clone().unwrap_or_default();
    let tagging = association_tag::tags_an_association(Some(&name), detail);
    if let Some(code) = detail.opt_str("errorCode")? {
        let what = if tagging { "tag" } else { "association" };
        t.reason = format!("{name} failed with {code}; no {what} changed");
        return Ok(());
    }
    let Some(check) = check else {
        t.reason = format!("{name}: the run-as user check is off (`[nodes] check_user`)");
        return Ok(());
    };
    let params = required(detail, "requestParameters", "detail.requestParameters")?;
    let verdict = match tagging {
        true => association_tag::verdict(&name, &params, detail)?,
        false => verdict(&name, &params, detail, check)?,
    };
    match verdict {
        Err(why_not) => t.reason = why_not,
        Ok(why) => {
            let (account, region) = account_region(root, detail)?;
            t.kind = TriggerKind::DocumentChanged;
            t.account = Some(account);
            t.region = Some(region.to_string());
            t.actor = actor(detail)?;
            t.reason = why;
            t.context.document = Some(check.to_string());
        }
    }
    Ok(())
}

fn verdict(
    name: &str,
    params: &Obj<'_>,
    detail: &Obj<'_>,
    check: &str,
) -> Result<Verdict, EventError> {
    let named = named_document(params, detail)?;
    let id = params.opt_str("associationId")?;
    Ok(match (named, id) {
        (Some(n), _) if document_ref(n).name() == Some(check) => Ok(format!(
            "{name} of {check}: the run-as user check's association"
        )),
        (Some(n), _) => Err(format!("{name} of document {n:?}, not {check}")),
        (None, Some(id)) if name == "DeleteAssociation" => Ok(format!(
            "{name} of association {id}: looked at in case it was the run-as user check's"
        )),
        (None, _) => Err(format!(
            "{name} names no document; not the run-as user check"
        )),
    })
}
