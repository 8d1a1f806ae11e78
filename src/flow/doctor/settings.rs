//! Settings that must agree across the policy, the hub stack, the member
//! StackSet and the shipped SCPs. A mismatch means edits go unrouted (and so
//! unreverted until the next sweep), or documents go unguarded. Pure: each
//! comparison says what differs and the fix.

use std::collections::BTreeSet;

use crate::domain::policy::Policy;

/// IAM is global: its events (SSMSessionRunAs tags) are logged in us-east-1,
/// where the member StackSet must have an instance even if it is not governed.
pub const IAM_EVENTS_REGION: &str = "us-east-1";
/// The prefix of the per-permission-set documents the shipped SCPs protect.
pub const SCP_DOCUMENT_PREFIX: &str = "SSMRunAs-";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub detail: String,
    pub fix: String,
}

/// The hub stack's `NamedSessionDocuments` (a comma list) names exactly the
/// policy's `[[document]]` entries: the hub routes edits of those only.
pub fn named_documents(parameter: &str, policy: &Policy) -> Result<(), Mismatch> {
    let stack: BTreeSet<&str> = parameter
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let wanted: BTreeSet<&str> = policy.documents.iter().map(|d| d.name.as_str()).collect();
    if stack == wanted {
        return Ok(());
    }
    let list = |s: &BTreeSet<&str>| {
        if s.is_empty() {
            "(none)".to_string()
        } else {
            s.iter().copied().collect::<Vec<_>>().join(",")
        }
    };
    let unrouted: Vec<&str> = wanted.difference(&stack).copied().collect();
    Err(Mismatch {
        detail: format!(
            "NamedSessionDocuments is {} but the policy's [[document]] names are {}{}",
            list(&stack),
            list(&wanted),
            if unrouted.is_empty() {
                String::new()
            } else {
                format!(
                    "; edits of {} are not routed and wait for the next sweep",
                    unrouted.join(", ")
                )
            }
        ),
        fix: format!(
            "update the hub stack and the member StackSet with NamedSessionDocuments={}",
            wanted.iter().copied().collect::<Vec<_>>().join(",")
        ),
    })
}

/// The member StackSet deploys to every governed region (the forwarding
/// rule) and to us-east-1 (IAM's events).
pub fn stackset_regions(deployed: &[String], policy: &Policy) -> Result<(), Mismatch> {
    let have: BTreeSet<&str> = deployed.iter().map(String::as_str).collect();
    let mut need: BTreeSet<&str> = policy.regions.iter().map(String::as_str).collect();
    need.insert(IAM_EVENTS_REGION);
    let missing: Vec<&str> = need.difference(&have).copied().collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Mismatch {
        detail: format!(
            "no instance in {} (it deploys to {}); edits there are not forwarded and wait for the next sweep",
            missing.join(", "),
            if have.is_empty() {
                "no region".to_string()
            } else {
                have.iter().copied().collect::<Vec<_>>().join(", ")
            }
        ),
        fix: format!(
            "add the regions to the StackSet: aws cloudformation create-stack-instances --stack-set-name NAME --deployment-targets OrganizationalUnitIds=ROOT_ID --regions {}",
            missing.join(" ")
        ),
    })
}

/// Every `[[document]]` is named `SSMRunAs-*`, or the shipped SCPs leave it
/// unguarded.
pub fn scp_prefix(policy: &Policy) -> Result<(), Mismatch> {
    let outside: Vec<&str> = policy
        .documents
        .iter()
        .map(|d| d.name.as_str())
        .filter(|n| !n.starts_with(SCP_DOCUMENT_PREFIX))
        .collect();
    if outside.is_empty() {
        return Ok(());
    }
    Err(Mismatch {
        detail: format!(
            "{} not named {SCP_DOCUMENT_PREFIX}*: the shipped SCPs do not stop an administrator editing {}",
            outside.join(", "),
            if outside.len() == 1 { "it" } else { "them" }
        ),
        fix: format!(
            "rename to {SCP_DOCUMENT_PREFIX}<name>, or extend infra/scp/runas-guard-document-guardrail.json to cover the names"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(regions: &str, documents: &[&str]) -> Policy {
        let docs: String = documents
            .iter()
            .map(|d| format!("[[document]]\nname = \"{d}\"\nrun_as_user = \"admin\"\n"))
            .collect();
        Policy::parse(
            &format!("member_role = \"R\"\nregions = [{regions}]\n[default]\nrun_as_user = \"ops\"\n{docs}"),
            "t.toml",
        )
        .unwrap()
    }

    #[test]
    fn each_mismatch_is_named_with_its_fix() {
        let p = policy(
            "\"eu-west-1\", \"eu-central-1\"",
            &["SSMRunAs-Admin", "Custom-Doc"],
        );
        let cases: [(&str, bool); 5] = [
            ("SSMRunAs-Admin,Custom-Doc", true),
            (" Custom-Doc , SSMRunAs-Admin ", true),
            ("SSMRunAs-Admin", false),
            ("", false),
            ("SSMRunAs-Admin,Custom-Doc,Extra", false),
        ];
        for (parameter, ok) in cases {
            assert_eq!(named_documents(parameter, &p).is_ok(), ok, "{parameter:?}");
        }
        let m = named_documents("SSMRunAs-Admin", &p).unwrap_err();
        assert!(
            m.detail.contains("edits of Custom-Doc are not routed"),
            "{}",
            m.detail
        );
        assert!(
            m.fix
                .ends_with("NamedSessionDocuments=Custom-Doc,SSMRunAs-Admin"),
            "{}",
            m.fix
        );
        assert!(named_documents("", &policy("\"eu-west-1\"", &[])).is_ok());

        let deployed = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(
            stackset_regions(&deployed(&["eu-west-1", "eu-central-1", "us-east-1"]), &p).is_ok()
        );
        let m = stackset_regions(&deployed(&["eu-west-1"]), &p).unwrap_err();
        assert!(
            m.detail
                .starts_with("no instance in eu-central-1, us-east-1"),
            "{}",
            m.detail
        );
        assert!(
            m.fix.ends_with("--regions eu-central-1 us-east-1"),
            "{}",
            m.fix
        );
        assert!(stackset_regions(&[], &p)
            .unwrap_err()
            .detail
            .contains("no region"));

        let m = scp_prefix(&p).unwrap_err();
        assert!(
            m.detail.starts_with("Custom-Doc not named SSMRunAs-*"),
            "{}",
            m.detail
        );
        assert!(scp_prefix(&policy("\"eu-west-1\"", &["SSMRunAs-Admin"])).is_ok());
    }
}
