//! How a failed call reads in a check: what was said, and the fix.

use crate::domain::aws_error::AwsError;

/// `code: message` of a failed call, for a check's detail.
pub(super) fn said(e: &AwsError) -> String {
    format!("{} failed: {}: {}", e.operation, e.code, e.message)
}

pub(super) fn denied(e: &AwsError) -> bool {
    e.code.contains("AccessDenied") || e.code == "AuthorizationError" || e.code == "Forbidden"
}

/// The fix an error about credentials or the way to AWS calls for, else `default`.
pub(super) fn otherwise(e: &AwsError, default: &str) -> String {
    e.fix().unwrap_or(default).to_string()
}

/// A fix for a call the operator's own credentials may not make.
pub(super) fn permission_fix(action: &str) -> String {
    format!("your credentials may not call {action}: run doctor with credentials that can (the hub role's permissions are in infra/hub.yaml)")
}

pub(super) fn read_fix(account: &str, region: &str, name: &str, e: &AwsError) -> String {
    if denied(e) {
        format!("let the role read {name} in {region} (ssm:DescribeDocument, ssm:GetDocument: infra/member.yaml), and check no SCP denies it in account {account}")
    } else {
        otherwise(
            e,
            "retry; if it persists, check the endpoint and the region",
        )
    }
}
