//! SSM API calls: a write to a governed document, by name or by ARN.

use super::actor::actor;
use super::document::{document_ref, DocumentRef};
use super::fields::{account_field, field_error, required, Obj};
use super::{is_region_name, EventError, Trigger, TriggerKind, DOCUMENT_NAME, DOCUMENT_WRITES};

pub(super) fn classify_ssm_call(
    root: &Obj<'_>,
    detail: &Obj<'_>,
    documents: &[&str],
    t: &mut Trigger,
) -> Result<(), EventError> {
    let Some(name) = t.event_name.clone() else {
        return Err(field_error("detail.eventName", "missing"));
    };
    if !DOCUMENT_WRITES.contains(&name.as_str()) {
        t.reason = format!("SSM {name} does not change documents runas-guard owns");
        return Ok(());
    }
    if let Some(code) = detail.opt_str("errorCode")? {
        t.reason = format!("{name} failed with {code}; the document did not change");
        return Ok(());
    }
    let params = required(detail, "requestParameters", "detail.requestParameters")?;
    let named = params.str("name")?;
    let reference = document_ref(named);
    let Some(doc) = reference.name().filter(|d| documents.contains(d)) else {
        t.reason = if documents.len() == 1 {
            format!("{name} on document {named:?}, not {DOCUMENT_NAME}")
        } else {
            format!("{name} on document {named:?}, not one runas-guard governs")
        };
        return other_session_document(root, detail, &name, reference, t);
    };
    let (account, region) = account_region(root, detail)?;
    if let DocumentRef::Arn {
        partition,
        region: arn_region,
        account: arn_account,
        ..
    } = reference
    {
        // Another account's (a shared) document, or another region's, is
        // not this account-region's own: nothing of ours changed.
        if arn_account != account
            || arn_region != region
            || partition != crate::domain::ids::partition_for(region)
        {
            t.reason = format!(
                "{name} on {named:?}: a document of account {arn_account:?} region {arn_region:?}, not account {account}'s own {doc} in {region}"
            );
            return Ok(());
        }
    }
    t.kind = TriggerKind::DocumentChanged;
    t.account = Some(account);
    t.region = Some(region.to_string());
    t.actor = actor(detail)?;
    t.reason = format!("{name} on {doc}");
    t.context.document = Some(doc.to_string());
    t.context.made_default = made_default(&name, &params)?;
    t.context.made_version = made_version(&name, detail);
    Ok(())
}

/// The version an `UpdateDocument` or a `CreateDocument` made, as its
/// answer says (`responseElements.documentDescription.documentVersion`):
/// a number, else none (the answer is only a hint: a malformed one costs
/// the event nothing but the hint).
fn made_version(name: &str, detail: &Obj<'_>) -> Option<String> {
    if !matches!(name, "UpdateDocument" | "CreateDocument") {
        return None;
    }
    detail
        .value_at(&["responseElements", "documentDescription", "documentVersion"])?
        .as_str()
        .filter(|v| !v.is_empty() && v.len() <= 20 && v.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string)
}

/// The version an `UpdateDocumentDefaultVersion` made the default.
fn made_default(name: &str, params: &Obj<'_>) -> Result<Option<String>, EventError> {
    if name != "UpdateDocumentDefaultVersion" {
        return Ok(None);
    }
    Ok(params
        .opt_str("documentVersion")?
        .filter(|v| v.bytes().all(|b| b.is_ascii_digit()) && v.len() <= 20)
        .map(str::to_string))
}

/// The account and region whose document changed: the event's own, not the
/// envelope's when CloudTrail says otherwise.
pub(super) fn account_region<'a>(
    root: &Obj<'a>,
    detail: &Obj<'a>,
) -> Result<(String, &'a str), EventError> {
    let account = match detail.opt_str("recipientAccountId")? {
        Some(_) => account_field(detail, "recipientAccountId")?,
        None => account_field(root, "account")?,
    };
    let (region, region_field) = match detail.opt_str("awsRegion")? {
        Some(r) => (r, "detail.awsRegion"),
        None => (root.str("region")?, "region"),
    };
    if !is_region_name(region) {
        return Err(field_error(
            region_field,
            format!("expected a region name, found {region:?}"),
        ));
    }
    Ok((account, region))
}

/// A write of a document runas-guard does not govern: a `Session`
/// document's may open sessions that skip Run As, so it is looked at
/// (`CreateDocument` says its type in the request, `UpdateDocument` in the
/// answer; `UpdateDocumentDefaultVersion` does not say, and is looked at:
/// the read finds the type).
fn other_session_document(
    root: &Obj<'_>,
    detail: &Obj<'_>,
    name: &str,
    reference: DocumentRef<'_>,
    t: &mut Trigger,
) -> Result<(), EventError> {
    let Some(doc) = reference.name() else {
        return Ok(());
    };
    if name == "DeleteDocument" {
        return Ok(());
    }
    let params = required(detail, "requestParameters", "detail.requestParameters")?;
    let answered = detail
        .value_at(&["responseElements", "documentDescription", "documentType"])
        .and_then(serde_json::Value::as_str);
    let doc_type = params.opt_str("documentType")?.or(answered);
    // CreateDocument's type defaults to Command, and UpdateDocument's answer
    // always says it; only UpdateDocumentDefaultVersion never does.
    let look = match doc_type {
        Some(kind) => kind == "Session",
        None => name == "UpdateDocumentDefaultVersion",
    };
    if !look {
        return Ok(());
    }
    let (account, region) = account_region(root, detail)?;
    if let DocumentRef::Arn {
        account: arn_account,
        region: arn_region,
        ..
    } = reference
    {
        if arn_account != account || arn_region != region {
            return Ok(());
        }
    }
    t.kind = TriggerKind::SessionDocumentChanged;
    t.account = Some(account);
    t.region = Some(region.to_string());
    t.actor = actor(detail)?;
    t.reason = format!("{name} on Session document {doc}: can it skip Run As?");
    t.context.document = Some(doc.to_string());
    Ok(())
}
