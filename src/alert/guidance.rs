//! What on-call should do about each kind of alert, and where the runbook
//! says more: one table, shared by the SNS body, the chat format and the
//! plain-text rendering for e-mail subscribers (pure).

use serde_json::Value;

use super::{Alert, Kind};

/// What to do next, in order.
pub fn next_steps(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::DriftReverted => &[
            "Nothing to undo: runas-guard restored the setting. Ask the actor why they changed it.",
            "If the actor is a pipeline that should own these inputs, add it to `exempt.principals`.",
        ],
        Kind::TamperRepeated => &[
            "Someone keeps changing Run As in this account-region: contact the actor now.",
            "Check that the SCP guarding SSM-SessionManagerRunShell is attached to this account.",
        ],
        Kind::DriftDetected => &[
            "Audit mode: nothing was changed. Fix the document, or switch the policy to `enforce`.",
        ],
        Kind::RemediationFailed => &[
            "Read the error code per region; `runas-guard reconcile --account ID` retries now.",
            "AccessDenied: check the member role and the SCP exemption for it.",
        ],
        Kind::AccountConfigured => &["No action needed."],
        Kind::PolicyRejected => &[
            "Run `runas-guard policy check` on the file, fix the key it names, upload it again.",
            "Until then the last good policy stays in force.",
        ],
        Kind::PolicyIdsUnknown => &[
            "Correct or remove the rules naming these ids: their accounts fall to another rule.",
            "`runas-guard policy check FILE --org` checks a policy before you upload it.",
        ],
        Kind::RunAsOverride => &[
            "Sessions of that principal run as the tag's user, whatever the document says: remove the tag unless it is intended.",
            "The optional SCP infra/scp/runas-guard-runas-tag-guardrail.json prevents this.",
        ],
        Kind::RunAsUserMissing => &[
            "Sessions on these nodes are refused: create the user there (AMI, user data, configuration management), or fix the policy's user.",
            "`runas-guard status --account ID` shows the counts; the association's page lists every node.",
        ],
        Kind::RunAsBypass => &[
            "Sessions that use this document run as the user the alert names (root, ssm-user or another), not the policy's: ask the actor why, and delete or fix the document (runas-guard never touches it).",
            "Keep StartSession on such documents out of permission sets; an SCP can deny creating Session documents outside your pipeline.",
        ],
        Kind::IdentityCenterDrift => &[
            "Federated sessions take SSMSessionRunAs from this mapping before any document: ask the actor why it changed.",
            "In enforce mode runas-guard put the declared mapping back; change it in the policy's [identity_center], not the console.",
        ],
        Kind::IdentityCenterFailed => &[
            "Until it can look, a changed mapping is neither told nor put back: check `[identity_center] region` is Identity Center's home region.",
            "The hub's IdentityCenterAccess must be Read or Enforce (not None); `runas-guard doctor` checks the mapping's read.",
        ],
        Kind::ForwardingMissing => &[
            "Edits in this account-region are not reverted in real time and their actor is lost: sweeps still repair them.",
            "`runas-guard doctor --account ID` checks the member stack there; the rule runas-guard-document-changed must exist, be enabled and target the hub bus.",
        ],
        Kind::PolicyApplied => &[
            "No action needed if the policy change was intended: the alert counts what it reached per OU and per change.",
            "Not intended? Restore the previous policy object (S3 versioning keeps it); the next sweep applies it the same way.",
        ],
        Kind::SweepSummary => &[
            "`runas-guard status` and the sweep report list every account-region.",
            "Failed rows are retried by the next sweep; `runas-guard reconcile --account ID` retries now.",
        ],
        Kind::EnforcementHeld => &[
            "Run As stays off here until every node passes the check: create the user on the nodes that lack it, and fix the agent or the node where the check could not run (timed out, not delivered).",
            "`runas-guard readiness --account ID` and `runas-guard why --node` say the same per node; set that OU or account to `enforce` if no node there should hold it back.",
        ],
        Kind::AccountLeftGovernance => &[
            "runas-guard no longer reads or writes this account: its Run As stays as it was last set, and later edits are neither put back nor told.",
            "If the move or the policy change was not intended, move the account back or change the policy; its next run configures it again.",
        ],
    }
}

/// The README section that explains the kind (a heading's anchor, as
/// GitHub and most renderers make it; a test holds each to the README).
pub fn runbook_anchor(kind: Kind) -> &'static str {
    match kind {
        Kind::AccountConfigured => "a-new-account-from-vend-to-configured",
        Kind::RemediationFailed => "troubleshoot",
        Kind::PolicyRejected | Kind::PolicyIdsUnknown => "policy-file",
        Kind::RunAsUserMissing => "session-readiness-nodes-does-the-run-as-user-exist",
        Kind::RunAsBypass => "session-documents-that-skip-run-as-run_as_bypass",
        Kind::RunAsOverride => "roles-and-users-that-carry-the-run-as-tag-run_as_tags",
        Kind::IdentityCenterDrift | Kind::IdentityCenterFailed => {
            "iam-identity-centers-attribute-mapping-identity_center"
        }
        Kind::ForwardingMissing => "forwarding-canary-forwarding_canary",
        Kind::EnforcementHeld => "session-readiness-nodes-does-the-run-as-user-exist",
        Kind::AccountLeftGovernance => "operate",
        Kind::DriftReverted | Kind::TamperRepeated | Kind::DriftDetected | Kind::SweepSummary => {
            "operate"
        }
        Kind::PolicyApplied => "policy-file",
    }
}

/// `<base>#<anchor>`: `base` is where the operators' copy of the README is
/// (`RUNAS_GUARD_RUNBOOK_URL`, e.g. the tagged release's README on the
/// internal git host), `README.md` when unset.
pub fn runbook(base: &str, kind: Kind) -> String {
    let base = base.split('#').next().unwrap_or_default();
    let base = if base.is_empty() { "README.md" } else { base };
    format!("{base}#{}", runbook_anchor(kind))
}

/// The alert for people reading e-mail: subject, where, what, what to do,
/// the runbook, then the JSON body for anything else. Values are the
/// body's, as plain text (an e-mail client renders nothing).
pub fn plain_text(alert: &Alert) -> String {
    let b = &alert.body;
    let field = |k: &str| match &b[k] {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Null | Value::String(_) => None,
        other => Some(other.to_string()),
    };
    let mut out = vec![alert.subject.clone(), String::new()];
    for (label, key) in [
        ("Severity", "severity"),
        ("Account", "account"),
        ("Account name", "account_name"),
        ("OU path", "ou_path"),
        ("Region", "region"),
        ("Document", "document"),
        ("Actor", "actor"),
        ("Source IP", "source_ip"),
        ("At", "at"),
    ] {
        if let Some(v) = field(key) {
            out.push(format!("{label}: {v}"));
        }
    }
    out.push(String::new());
    out.push("What to do:".into());
    out.extend(next_steps(alert.kind).iter().map(|s| format!("- {s}")));
    if let Some(link) = field("runbook") {
        out.push(format!("Runbook: {link}"));
    }
    out.push(String::new());
    out.push("Details (JSON):".into());
    out.push(b.to_string());
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ALL: [Kind; 14] = [
        Kind::AccountConfigured,
        Kind::DriftReverted,
        Kind::DriftDetected,
        Kind::RemediationFailed,
        Kind::TamperRepeated,
        Kind::SweepSummary,
        Kind::RunAsOverride,
        Kind::PolicyRejected,
        Kind::PolicyIdsUnknown,
        Kind::RunAsUserMissing,
        Kind::RunAsBypass,
        Kind::IdentityCenterDrift,
        Kind::EnforcementHeld,
        Kind::AccountLeftGovernance,
    ];

    /// GitHub's heading anchors: lower case, punctuation other than `-`
    /// and `_` dropped, spaces to hyphens.
    fn anchor(heading: &str) -> String {
        heading
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect()
    }

    #[test]
    fn every_kind_has_next_steps_and_a_runbook_section_that_exists() {
        let readme = include_str!("../../README.md");
        let anchors: Vec<String> = readme
            .lines()
            .filter_map(|l| l.strip_prefix("## ").or_else(|| l.strip_prefix("### ")))
            .map(anchor)
            .collect();
        for kind in ALL {
            assert!(!next_steps(kind).is_empty(), "{kind:?}");
            let a = runbook_anchor(kind);
            assert!(
                anchors.iter().any(|x| x == a),
                "{kind:?}: no README heading for #{a}"
            );
        }
    }

    #[test]
    fn the_runbook_link_takes_the_configured_base() {
        assert_eq!(
            runbook("", Kind::RemediationFailed),
            "README.md#troubleshoot"
        );
        assert_eq!(
            runbook(
                "https://git.example.com/runas-guard/blob/v0.3.0/README.md#old",
                Kind::DriftReverted
            ),
            "https://git.example.com/runas-guard/blob/v0.3.0/README.md#operate"
        );
    }

    #[test]
    fn plain_text_says_where_what_and_what_to_do_first() {
        let alert = Alert {
            alert_id: "a1".into(),
            kind: Kind::DriftReverted,
            severity: super::super::Severity::Warning,
            account: "111122223333".into(),
            subject: "runas-guard: Run As put back in 111122223333 eu-west-1".into(),
            body: json!({"severity": "warning", "account": "111122223333",
                "account_name": "payments-prod", "ou_path": "Root/Prod", "region": "eu-west-1",
                "actor": "arn:aws:iam::111122223333:role/Admin", "source_ip": null,
                "runbook": "README.md#operate"}),
        };
        let text = plain_text(&alert);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], alert.subject);
        for want in [
            "Account name: payments-prod",
            "OU path: Root/Prod",
            "Region: eu-west-1",
            "- Nothing to undo: runas-guard restored the setting. Ask the actor why they changed it.",
            "Runbook: README.md#operate",
        ] {
            assert!(lines.contains(&want), "{want}: {text}");
        }
        assert!(
            !text.contains("Source IP"),
            "null fields are left out: {text}"
        );
        assert!(text.contains("\"alert_id\"") || text.contains("Details (JSON):"));
    }
}
