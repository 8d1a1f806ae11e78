//! Who made a change, from CloudTrail's `userIdentity`.

use super::fields::{child, Obj};
use super::{Actor, EventError};

/// CloudTrail `userIdentity` -> the principal to blame.
pub(super) fn actor(detail: &Obj<'_>) -> Result<Option<Actor>, EventError> {
    let Some(ui) = child(detail, "userIdentity", "detail.userIdentity")? else {
        return Ok(None);
    };
    let identity_type = ui.opt_str("type")?.unwrap_or("Unknown").to_string();
    let arn = ui.opt_str("arn")?;
    let issuer = match child(&ui, "sessionContext", "detail.userIdentity.sessionContext")? {
        Some(sc) => match child(
            &sc,
            "sessionIssuer",
            "detail.userIdentity.sessionContext.sessionIssuer",
        )? {
            Some(si) => si.opt_str("arn")?,
            None => None,
        },
        None => None,
    };
    let chosen = match identity_type.as_str() {
        "AssumedRole" | "FederatedUser" => issuer.or(arn),
        "IAMUser" => arn,
        "Root" => arn,
        "AWSService" => ui.opt_str("invokedBy")?,
        _ => arn
            .or(issuer)
            .or(ui.opt_str("invokedBy")?)
            .or(ui.opt_str("principalId")?),
    };
    let Some(chosen) = chosen else {
        if identity_type == "Root" {
            // Root events always carry the account; the ARN is implied.
            if let Some(acct) = ui.opt_str("accountId")? {
                return Ok(Some(Actor {
                    arn: format!("arn:aws:iam::{acct}:root"),
                    identity_type,
                    session_name: None,
                }));
            }
        }
        return Ok(None);
    };
    let session_name = if identity_type == "AssumedRole" {
        arn.and_then(|a| a.split_once(":assumed-role/"))
            .and_then(|(_, rest)| rest.split_once('/'))
            .map(|(_, session)| session.to_string())
    } else {
        None
    };
    Ok(Some(Actor {
        arn: chosen.to_string(),
        identity_type,
        session_name,
    }))
}
