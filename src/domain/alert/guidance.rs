//! What on-call should do about each kind of alert, and where the runbook
//! says more: one table, shared by the SNS body, the chat format and the
//! plain-text rendering for e-mail subscribers (pure).

use serde_json::Value;

use super::{Alert, Kind, Severity};

/// A configuration's window: what its region's sessions mean.
const CONFIGURED_STEPS: &[&str] = &[
    "No action needed, unless a region lists sessions: they started while that region's default (`versions_before`) held the Run As in `before`, before runas-guard reached the account. Ask their owners what they ran.",
];

/// What to do next, in order.
pub fn next_steps(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::DriftReverted => &[
            "Nothing to undo: runas-guard restored the setting. Ask the actor why they changed it.",
            "If the actor is a pipeline that should own these inputs, add it to `exempt.principals`.",
            "The sessions listed (`sessions`) started while it was wrong and kept that Run As: ask their owners what they ran.",
        ],
        Kind::TamperRepeated => &[
            "Someone keeps changing Run As in this account-region: contact the actor now.",
            "Check that the SCP guarding SSM-SessionManagerRunShell is attached to this account.",
        ],
        Kind::DriftDetected => &[
            "Audit mode: nothing was changed. Fix the document, or switch the policy to `enforce`.",
        ],
        Kind::RunAsWindow => &[
            "The document reads right now, but the versions named held Run As out of policy: sessions started while one was the default kept it. Ask the editor why, and the owners of the sessions listed (started in the window, on the targets named) what they ran; if the sessions could not be read, look in Session Manager's session history and CloudTrail StartSession.",
            "An editor the SCPs did not stop made these versions: check the SCP guarding SSM-SessionManagerRunShell is attached, and who is exempt from it.",
        ],
        Kind::FindingTampered => TAMPERED_STEPS,
        Kind::RemediationFailed => &[
            "Read the error code per region; `runas-guard doctor --account ID` (from on-call's seat) says which check fails and its fix.",
            "Once fixed, `runas-guard reconcile --account ID --stack HUB_STACK` retries now in the function (the next sweep retries anyway).",
            "AccessDenied: check the member role and the SCP exemption for it.",
        ],
        Kind::AccountConfigured => CONFIGURED_STEPS,
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
        Kind::ForwardingMissing
        | Kind::CanaryUnwritable
        | Kind::EnforcementHeld
        | Kind::AccountLeftGovernance => coverage_steps(kind),
        Kind::PolicyApplied | Kind::SweepDegraded | Kind::SweepSummary => sweep_steps(kind),
    }
}

/// `finding_tampered`: runas-guard put the finding back; who did it.
const TAMPERED_STEPS: &[&str] = &[
    "Someone in the member account imported over runas-guard's finding (what changed is listed): runas-guard sent it again as it last sent it. Find who in CloudTrail (securityhub BatchImportFindings in that account-region, around `changed_at`) and why.",
    "Restrict securityhub:BatchImportFindings in member accounts (an SCP) to the principals that need it; runas-guard's member role keeps it.",
    "Where it cannot be put back in place (`in_place` false: an UpdatedAt forged into the future), the finding `successor_id` carries runas-guard's verdict: triage that one, and suppress the forged one.",
];

/// What to do about this alert: its kind's steps, except a
/// `run_as_user_missing` that refuses nothing yet (a `warning`: audit, or
/// `enforce-when-ready` holding the region), whose nodes are to be fixed
/// before Run As is turned on, not now.
pub fn steps(alert: &Alert) -> &'static [&'static str] {
    match (alert.kind, alert.severity) {
        (Kind::RunAsUserMissing, Severity::Info | Severity::Warning) => WOULD_REFUSE_STEPS,
        (Kind::DriftReverted, _) if alert.body["latest_only"] == true => LATEST_ONLY_STEPS,
        (kind, _) => next_steps(kind),
    }
}

/// `drift_reverted` of the latest version alone: the sessions listed ran
/// as the default said, unless the default moved while it was put back.
pub const LATEST_ONLY_STEPS: &[&str] = &[
    "Nothing to undo: runas-guard put a right version on top. The Run As out of policy was in the latest version only, not the default when runas-guard read it: the sessions listed ran as the default said, unless someone made that version the default while it was being put back.",
    "Ask the actor why they changed it; if the actor is a pipeline that should own these inputs, add it to `exempt.principals`.",
];

/// `run_as_user_missing` where nothing is refused yet.
pub const WOULD_REFUSE_STEPS: &[&str] = &[
    "Nothing is refused yet (audit, or enforce-when-ready holding the region): sessions on these nodes would be refused once Run As is on there. Create the user there (AMI, user data, configuration management) before enforcing, or fix the policy's user.",
    "`runas-guard readiness --account ID` shows each region's verdict; the association's page lists every node.",
];

/// What to do where runas-guard's protection is less than it should be:
/// an event path unproven, a region held, an account no longer governed.
fn coverage_steps(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::ForwardingMissing => &[
            "Edits in these account-regions are not reverted in real time and their actor is lost: sweeps still repair them.",
            "Many at once (see by_ou, by_region): check the hub bus's policy and the forwarder role first. One account: `runas-guard doctor --account ID` checks its member stack; the rule runas-guard-document-changed must exist, be enabled and target the hub bus.",
        ],
        Kind::CanaryUnwritable => &[
            "No canary proves these account-regions' event paths until one can be written: their edits are still put back, by events if they arrive and by every sweep.",
            "The alert's `what_to_do` is for its `error_code`: TooManyTagsError, remove tags from SSM-SessionManagerRunShell there; AccessDenied, update the member stack and check the SCPs.",
        ],
        Kind::EnforcementHeld => &[
            "The policy's Run As waits here until every node passes the check (the documents stay as they are: Run As off, or on with the previous user where the policy changed the user): create the user on the nodes that lack it, and fix the agent or the node where the check could not run (timed out, not delivered).",
            "`runas-guard readiness --account ID` and `runas-guard why --node` say the same per node; set that OU or account to `enforce` if no node there should hold it back.",
        ],
        Kind::AccountLeftGovernance => &[
            "runas-guard no longer reads or writes this account: its Run As stays as it was last set, and later edits are neither put back nor told.",
            "If the move or the policy change was not intended, move the account back or change the policy; its next run configures it again.",
        ],
        _ => &[],
    }
}

/// What to do about what a sweep says of itself.
fn sweep_steps(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::PolicyApplied => &[
            "No action needed if the policy change was intended: the alert counts what it reached per OU and per change.",
            "Not intended? Restore the previous policy object (S3 versioning keeps it); the next sweep applies it the same way.",
        ],
        Kind::SweepDegraded => &[
            "runas-guard governs far fewer accounts than it should: read `said` and the sweep's rows (`runas-guard reconcile --dry-run`); failed rows name the error code (AccountStateUnreadable: Organizations answered no State).",
            "If the drop is intended (accounts closed or moved out of scope), nothing to do: the next sweep compares with this one.",
        ],
        _ => &[
            "`runas-guard status` and the sweep report list every account-region.",
            "Failed rows are retried by the next sweep; `runas-guard doctor --account ID` says why one fails and its fix, then `runas-guard reconcile --account ID --stack HUB_STACK` retries it now in the function.",
        ],
    }
}

/// What a failed account-region's AWS error code usually means, and what
/// to check: the first line of its remedy in a `sweep_summary`'s `fixes`.
pub fn failure_fix(code: &str) -> &'static str {
    match code {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
            "AccessDenied: the member role (RunAsGuardExecution) is missing, no longer trusts the hub role, or an SCP denies the call: the member stack and the SCP's exemption for the role."
        }
        "ThrottlingException" | "Throttling" | "TooManyRequestsException" => {
            "Throttled: the next sweep retries; lower RUNAS_GUARD_CONCURRENCY if it lasts."
        }
        "DocumentVersionLimitExceeded" => {
            "The document reached SSM's version limit and an older version could not be deleted: the member role's ssm:DeleteDocument on the governed documents."
        }
        "InvalidDocumentContent" | "InvalidDocument" => {
            "SSM refused the document: its content in that account-region, and the policy's settings for it."
        }
        crate::domain::org_state::UNREADABLE_CODE => {
            "Organizations answered no State for the account: the account itself, in Organizations."
        }
        "OptInRequired" | "UnrecognizedClientException" | "InvalidClientTokenId" => {
            "The region is not enabled for the account: enable it, or take it out of the policy's regions."
        }
        _ => "Read the error in the sweep report (`runas-guard status --account ID`).",
    }
}

/// Where the alert cards are, from the README's folder: one card per kind
/// (docs/operate.md, "Alert cards"; a docs test holds every kind to one).
pub const CARDS: &str = "docs/operate.md";

/// The anchor of the kind's card: its heading is the kind in a code span,
/// so the anchor is the kind's name, as GitHub and most renderers make it.
pub fn runbook_anchor(kind: Kind) -> &'static str {
    kind.as_str()
}

/// The kind's card: `base` is where the operators' copy of the README is
/// (`RUNAS_GUARD_RUNBOOK_URL`, e.g. the tagged release's README on the
/// internal git host), and the card's page is found beside it as the
/// README's own relative links are (its folder, without query or
/// fragment); unset, the relative `docs/operate.md#<kind>`.
pub fn runbook(base: &str, kind: Kind) -> String {
    operate_section(base, runbook_anchor(kind))
}

/// A section of docs/operate.md, found beside the README at `base` as
/// [`runbook`] finds the cards (a Security Hub finding's remediation link).
pub fn operate_section(base: &str, anchor: &str) -> String {
    format!("{}{CARDS}#{anchor}", folder_of(base))
}

/// `https://host/a/README.md?x#y` -> `https://host/a/`; a bare host gets
/// its `/`; a relative name (`README.md`) or nothing -> "".
fn folder_of(base: &str) -> String {
    let base = base.split(['#', '?']).next().unwrap_or_default();
    let path = match base.find("://") {
        Some(i) => base[i + 3..].find('/').map(|j| i + 3 + j),
        None => Some(0),
    };
    match (path, base.rfind('/')) {
        (None, _) => format!("{base}/"),
        (Some(_), Some(last)) => base[..=last].to_string(),
        (Some(_), None) => String::new(),
    }
}

/// The alert for people reading e-mail: subject, where, what, what to do,
/// the runbook, then the JSON body for anything else. Values are the
/// body's, as plain text (an e-mail client renders nothing), each kept on
/// its line by [`one_line`]: an account, OU or user name, an actor or a
/// document name comes from an event or the organization, and whoever may
/// rename an OU must not be able to add an `Actor:` or `What to do:` line.
pub fn plain_text(alert: &Alert) -> String {
    let b = &alert.body;
    let field = |k: &str| match &b[k] {
        Value::String(s) if !s.is_empty() => Some(one_line(s)),
        Value::Null | Value::String(_) => None,
        other => Some(one_line(&other.to_string())),
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
    // Said only where the body has them as words (an `enforcement_held`'s
    // `held` is its list of documents, read from the JSON below).
    for (label, key) in [("Mode", "mode"), ("Held", "held"), ("Sessions", "sessions")] {
        if let Some(v) = b[key].as_str().filter(|v| !v.is_empty()) {
            out.push(format!("{label}: {}", one_line(v)));
        }
    }
    out.extend(super::sessions::text_lines(b));
    out.extend(regions_sessions(b));
    out.push(String::new());
    out.push("What to do:".into());
    out.extend(steps(alert).iter().map(|s| format!("- {s}")));
    if let Some(link) = field("runbook") {
        out.push(format!("Runbook: {link}"));
    }
    out.push(String::new());
    out.push("Details (JSON):".into());
    out.push(json_one_line(&b.to_string()));
    out.join("\n")
}

/// The sessions an alert lists per region (an `account_configured`'s), each
/// region's under its name.
fn regions_sessions(b: &Value) -> Vec<String> {
    let mut out = vec![];
    for e in b["regions"].as_array().into_iter().flatten() {
        let lines = super::sessions::text_lines(e);
        if let (false, Some(region)) = (lines.is_empty(), e["region"].as_str()) {
            out.push(format!("In {}:", one_line(region)));
            out.extend(lines);
        }
    }
    out
}

/// Characters that break or reorder a line without being a control
/// character: Unicode's line and paragraph separators and the
/// bidirectional marks, embeddings, overrides and isolates.
fn breaks_or_reorders(c: char) -> bool {
    matches!(
        c,
        '\u{2028}' | '\u{2029}' | '\u{061c}' | '\u{200e}' | '\u{200f}'
    ) || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// A value for one line of plain text: line breaks, tabs, every other
/// control character and the characters of [`breaks_or_reorders`] are
/// written as escapes (`\n`, `\r`, `\t`, `\u{2028}`), so the value stays on
/// its line and reads in its order; anything else is kept as it is.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || breaks_or_reorders(c) => {
                out.push_str(&format!("\\u{{{:04x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// Serialised JSON on one line: JSON escapes what is below U+0020, and this
/// escapes the rest that could break or reorder a line (still valid JSON).
fn json_one_line(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c.is_control() || breaks_or_reorders(c) {
            true => out.push_str(&format!("\\u{:04x}", c as u32)),
            false => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ALL: [Kind; 21] = [
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
        Kind::ForwardingMissing,
        Kind::IdentityCenterFailed,
        Kind::PolicyApplied,
        Kind::SweepDegraded,
        Kind::CanaryUnwritable,
        Kind::EnforcementHeld,
        Kind::AccountLeftGovernance,
        Kind::RunAsWindow,
        Kind::FindingTampered,
    ];

    #[test]
    fn every_kind_has_next_steps_and_a_card_that_names_it() {
        let page = include_str!("../../../docs/operate.md");
        for kind in ALL {
            assert!(!next_steps(kind).is_empty(), "{kind:?}");
            let heading = format!("\n### `{}`\n", runbook_anchor(kind));
            assert!(page.contains(&heading), "{kind:?}: no card {heading:?}");
        }
    }

    #[test]
    fn the_runbook_link_is_the_card_beside_the_configured_readme() {
        let card = |base: &str| runbook(base, Kind::RemediationFailed);
        for (base, link) in [
            ("", "docs/operate.md#remediation_failed"),
            ("README.md", "docs/operate.md#remediation_failed"),
            (
                "https://git.example.com/runas-guard/blob/v0.3.0/README.md#old",
                "https://git.example.com/runas-guard/blob/v0.3.0/docs/operate.md#remediation_failed",
            ),
            (
                "https://git.example.com/p/README.md?plain=1",
                "https://git.example.com/p/docs/operate.md#remediation_failed",
            ),
            (
                "https://git.example.com/p/",
                "https://git.example.com/p/docs/operate.md#remediation_failed",
            ),
            (
                "https://git.example.com",
                "https://git.example.com/docs/operate.md#remediation_failed",
            ),
        ] {
            assert_eq!(card(base), link, "{base}");
        }
        assert_eq!(
            runbook("", Kind::RunAsWindow),
            "docs/operate.md#run_as_window"
        );
    }

    #[test]
    fn every_event_or_organization_value_stays_on_its_line() {
        let link = "=HYPERLINK(\"https://evil.example/re-auth\",\"Re-auth\")";
        // (hostile value, how its line shows it)
        let cases = [
            (link, link.to_string()),
            (
                "Prod\nActor: arn:aws:iam::111122223333:role/Trusted",
                "Prod\\nActor: arn:aws:iam::111122223333:role/Trusted".into(),
            ),
            (
                "Prod\r\nWhat to do:\r\n- Nothing, all good",
                "Prod\\r\\nWhat to do:\\r\\n- Nothing, all good".into(),
            ),
            ("Prod\tx", "Prod\\tx".into()),
            ("Prod\u{2028}Actor: root", "Prod\\u{2028}Actor: root".into()),
            ("Prod\u{2029}What to do:", "Prod\\u{2029}What to do:".into()),
            (
                "Prod\u{85}Actor: x\u{b}y\u{c}z",
                "Prod\\u{0085}Actor: x\\u{000b}y\\u{000c}z".into(),
            ),
            ("\u{1b}[2JProd\u{7}", "\\u{001b}[2JProd\\u{0007}".into()),
            ("flip\u{202e}txt.exe", "flip\\u{202e}txt.exe".into()),
            ("CORP\\ops-bob", "CORP\\ops-bob".into()),
            ("Root/Prod/Payments", "Root/Prod/Payments".into()),
        ];
        for (hostile, shown) in cases {
            let body = json!({"severity": "warning", "account": "111122223333",
                "account_name": hostile, "ou_path": format!("Root/{hostile}"),
                "region": "eu-west-1", "document": hostile, "actor": hostile,
                "source_ip": hostile, "runbook": "docs/operate.md#drift_reverted"});
            let alert = Alert {
                alert_id: "a1".into(),
                kind: Kind::DriftReverted,
                severity: super::super::Severity::Warning,
                account: "111122223333".into(),
                subject: "runas-guard: Run As put back in 111122223333 eu-west-1".into(),
                body: body.clone(),
            };
            let text = plain_text(&alert);
            let lines: Vec<&str> = text.split(['\n', '\r']).collect();
            for (label, value) in [
                ("Account name: ", shown.clone()),
                ("OU path: ", format!("Root/{shown}")),
                ("Document: ", shown.clone()),
                ("Actor: ", shown.clone()),
                ("Source IP: ", shown.clone()),
            ] {
                let with: Vec<&&str> = lines.iter().filter(|l| l.starts_with(label)).collect();
                assert_eq!(
                    with,
                    [&format!("{label}{value}").as_str()],
                    "{hostile:?}: {text}"
                );
            }
            assert_eq!(
                lines.iter().filter(|l| **l == "What to do:").count(),
                1,
                "{text}"
            );
            assert!(
                !text
                    .contains(['\r', '\t', '\u{2028}', '\u{2029}', '\u{85}', '\u{1b}', '\u{202e}']),
                "{hostile:?}: {text:?}"
            );
            // The details line is the body, whole, as JSON.
            let details = lines.last().unwrap();
            assert_eq!(
                serde_json::from_str::<Value>(details).unwrap(),
                body,
                "{details}"
            );
        }
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
                "runbook": "docs/operate.md#drift_reverted"}),
        };
        let text = plain_text(&alert);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], alert.subject);
        for want in [
            "Account name: payments-prod",
            "OU path: Root/Prod",
            "Region: eu-west-1",
            "- Nothing to undo: runas-guard restored the setting. Ask the actor why they changed it.",
            "Runbook: docs/operate.md#drift_reverted",
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
