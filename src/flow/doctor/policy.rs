//! The policy itself: that it loads, its regions, that the ids it names
//! exist, and that its documents are ones the shipped SCPs protect.

use super::errors::{denied, otherwise, said};
use super::{Given, List};

/// The policy loaded (where from, its settings), and its regions are ones
/// this build knows.
pub(super) async fn loaded(g: &Given<'_>, out: &mut List) {
    match &g.inputs.policy {
        Ok((source, p)) => {
            let warnings = p.warnings();
            out.pass(
                "policy",
                format!(
                    "{source}: valid: regions {}, mode {}, member role {}, fallbacks {}",
                    p.regions.join(", "),
                    p.mode.as_str(),
                    p.member_role,
                    if p.fallback_roles.is_empty() {
                        "none".into()
                    } else {
                        p.fallback_roles.join(", ")
                    }
                ),
            );
            if warnings.is_empty() {
                out.pass(
                    "policy regions",
                    "every governed region is one this build knows",
                );
            } else {
                out.warn(
                    "policy regions",
                    warnings.join("; "),
                    "if the name is right, nothing to do (the policy is in force as written); otherwise correct it",
                );
            }
        }
        Err(e) => {
            let fix = if e.contains("RUNAS_GUARD_POLICY is not set") {
                "set RUNAS_GUARD_POLICY (or --policy) to the policy file or its s3://bucket/key URL (the hub stack's PolicyUrl output)"
            } else {
                "fix the key named; `runas-guard policy check FILE` runs the same validation (RUNAS_GUARD_POLICY or --policy names the file)"
            };
            out.fail("policy", e.clone(), fix);
        }
    }
}

/// Every OU and account id the policy names exists in the organization (a
/// typo is otherwise "no rule matches": the default user, silently).
pub(super) async fn ids(g: &Given<'_>, hub: &mut List) {
    let Some(policy) = g.policy else {
        hub.skip("policy ids", "not checked: the policy did not load");
        return;
    };
    let config = g.config;
    let named = crate::domain::policy::ids::named_ids(policy).len();
    match crate::adapters::aws::organizations::Org::new(config).ids().await {
        Ok(known) => {
            let unknown = crate::domain::policy::ids::unknown_ids(policy, &known);
            if unknown.is_empty() {
                hub.pass(
                    "policy ids",
                    format!("all {named} OU and account ids the policy names are in the organization"),
                );
            } else {
                hub.fail(
                    "policy ids",
                    crate::domain::policy::ids::describe(&unknown, 10),
                    "correct the id (aws organizations list-organizational-units-for-parent / list-accounts), or remove the rule",
                );
            }
        }
        Err(e) => hub.fail(
            "policy ids",
            format!("cannot walk the organization: {}", said(&e)),
            if denied(&e) {
                "give these credentials organizations:ListRoots, ListOrganizationalUnitsForParent and ListAccountsForParent".to_string()
            } else {
                otherwise(&e, "check the endpoint, then retry")
            },
        ),
    }
}

pub(super) async fn scp_prefix(g: &Given<'_>, hub: &mut List) {
    if let Some(p) = g.policy {
        match super::settings::scp_prefix(p) {
            Ok(()) => hub.pass(
                "scp prefix",
                "every [[document]] is named SSMRunAs-*, the documents the shipped SCPs protect",
            ),
            Err(m) => hub.fail("scp prefix", m.detail, m.fix),
        }
    }
}

/// Every Run As user the policy names can exist on a node (not `ssm-user`)
/// and is not `root`.
pub(super) async fn users(g: &Given<'_>, hub: &mut List) {
    let Some(policy) = g.policy else {
        hub.skip("policy users", "not checked: the policy did not load");
        return;
    };
    let warnings = policy.user_warnings();
    if warnings.is_empty() {
        hub.pass(
            "policy users",
            "no Run As user the policy names is ssm-user or root",
        );
    } else {
        hub.warn(
            "policy users",
            warnings.join("; "),
            "name a user your images create (useradd in the AMI or user data), the same on every node of those accounts",
        );
    }
}
