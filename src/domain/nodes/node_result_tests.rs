use super::*;

/// The agent's execution summary for a failed step, as agent/association
/// processor.go `buildOutput` writes it: counts, then each failed step's
/// stderr after "failed because".
fn summary(stderr: &str) -> String {
    format!(
        "2 out of 2 plugins processed, 0 success, 1 failed, 0 timedout, 1 skipped. \nThe operation checkRunAsUserLinux failed because {stderr}."
    )
}

const MISSING_OPS: &str = "runas-guard: Run As user ops does not exist on this node (id failed); Session Manager refuses Run As sessions for it here\n";

/// The shipped script's line on an agent that sets no `SSM_User` (older
/// than 3.3.2746.0): it fails closed (infra/member.yaml, exit 2).
const TOO_OLD: &str = "runas-guard: check could not run: agent too old to pass the user safely (SSM_User is not set; SSM Agent 3.3.2746.0 or later sets it)\n";

fn result(status: &str, detailed: Option<&str>, summary: Option<String>) -> NodeResult {
    NodeResult {
        node: "i-1".into(),
        status: status.into(),
        detailed: detailed.map(str::to_string),
        summary,
    }
}

#[test]
fn only_the_scripts_line_for_this_user_is_a_missing_user() {
    use NodeVerdict::*;
    let could_not = |r| CouldNotRun(r);
    let refused = summary("runas-guard: check could not run: the agent passed no user name\n");
    let too_old = summary(TOO_OLD);
    let cases: Vec<(&str, NodeResult, NodeVerdict)> = vec![
        ("success", result("Success", Some("Success"), None), Present),
        // A success says the user is there, whatever text came with it.
        (
            "success with the line",
            result("Success", None, Some(summary(MISSING_OPS))),
            Present,
        ),
        (
            "the script's verdict",
            result("Failed", Some("Failed"), Some(summary(MISSING_OPS))),
            Missing,
        ),
        (
            "exit 2: no user reached the script",
            result("Failed", Some("Failed"), Some(refused.clone())),
            could_not(Reason::NoUserPassed),
        ),
        (
            "exit 2: an agent too old to pass the user safely",
            result("Failed", Some("Failed"), Some(too_old.clone())),
            could_not(Reason::AgentTooOld),
        ),
        (
            "the too-old line beside the user's line: never missing",
            result(
                "Failed",
                None,
                Some(format!("{}{}", summary(MISSING_OPS), too_old)),
            ),
            could_not(Reason::AgentTooOld),
        ),
        (
            "the too-old line and the refusal: the agent's age is the cause",
            result(
                "Failed",
                None,
                Some(format!("{refused}{too_old}")),
            ),
            could_not(Reason::AgentTooOld),
        ),
        (
            "the too-old line cut short: still could not run",
            result(
                "Failed",
                None,
                Some(summary("runas-guard: check could not run: agent too o")),
            ),
            could_not(Reason::NoUserPassed),
        ),
        (
            "the words without the script's lead are not its line",
            result(
                "Failed",
                None,
                Some(summary("agent too old to pass the user safely\n")),
            ),
            could_not(Reason::FailedWithoutVerdict),
        ),
        (
            "the too-old line in another case is not the script's",
            result("Failed", None, Some(summary(&TOO_OLD.to_uppercase()))),
            could_not(Reason::FailedWithoutVerdict),
        ),
        // A success or a timeout is judged by its status, whatever it says.
        (
            "success with the too-old line",
            result("Success", None, Some(too_old.clone())),
            Present,
        ),
        (
            "timed out with the too-old line",
            result("TimedOut", None, Some(too_old.clone())),
            could_not(Reason::TimedOut),
        ),
        (
            "exit 2 of the document before the fallback",
            result(
                "Failed",
                Some("Failed"),
                Some(summary("runas-guard: SSM_User is not set: the SSM agent must be 3.3.2746.0 or later (interpolationType ENV_VAR)\n")),
            ),
            could_not(Reason::NoUserPassed),
        ),
        (
            "both lines: never missing",
            result(
                "Failed",
                None,
                Some(format!("{}{}", summary(MISSING_OPS), refused)),
            ),
            could_not(Reason::NoUserPassed),
        ),
        (
            "failed, no summary",
            result("Failed", Some("Failed"), None),
            could_not(Reason::FailedWithoutVerdict),
        ),
        (
            "failed, the agent's own error",
            result(
                "Failed",
                Some("Failed"),
                Some(
                    "0 out of 2 plugins processed, 0 success, 0 failed, 0 timedout, 0 skipped. "
                        .into(),
                ),
            ),
            could_not(Reason::FailedWithoutVerdict),
        ),
        (
            "failed: id's own words are not the script's",
            result("Failed", None, Some(summary("id: 'ops': no such user\n"))),
            could_not(Reason::FailedWithoutVerdict),
        ),
        (
            "another user's line",
            result(
                "Failed",
                None,
                Some(summary(&MISSING_OPS.replace("user ops", "user ops2"))),
            ),
            could_not(Reason::FailedWithoutVerdict),
        ),
        (
            "a longer name ending in ours",
            result(
                "Failed",
                None,
                Some(summary(&MISSING_OPS.replace("user ops", "user xops"))),
            ),
            could_not(Reason::FailedWithoutVerdict),
        ),
        (
            "another case",
            result(
                "Failed",
                None,
                Some(summary(&MISSING_OPS.replace("runas-guard", "RUNAS-GUARD"))),
            ),
            could_not(Reason::FailedWithoutVerdict),
        ),
        (
            "cut short by the agent's 510 characters",
            result(
                "Failed",
                None,
                Some(format!(
                    "{}--output truncated--",
                    &summary(MISSING_OPS)[..120]
                )),
            ),
            could_not(Reason::FailedWithoutVerdict),
        ),
        (
            "timed out",
            result("TimedOut", Some("TimedOut"), None),
            could_not(Reason::TimedOut),
        ),
        // A timeout is not a verdict even when the line came before it.
        (
            "failed, detailed timed out",
            result(
                "Failed",
                Some("Execution Timed Out"),
                Some(summary(MISSING_OPS)),
            ),
            could_not(Reason::TimedOut),
        ),
        (
            "undeliverable",
            result("Undeliverable", None, None),
            could_not(Reason::Undeliverable),
        ),
        (
            "failed, detailed undeliverable",
            result("Failed", Some("Undeliverable"), Some(summary(MISSING_OPS))),
            could_not(Reason::Undeliverable),
        ),
        (
            "delivery timed out",
            result("Failed", Some("DeliveryTimedOut"), None),
            could_not(Reason::Undeliverable),
        ),
        ("pending", result("Pending", None, None), Running),
        ("in progress", result("InProgress", None, None), Running),
        (
            "cancelled",
            result("Cancelled", None, Some(summary(MISSING_OPS))),
            could_not(Reason::OtherStatus),
        ),
        (
            "unknown status",
            result("Exploded", None, Some(summary(MISSING_OPS))),
            could_not(Reason::OtherStatus),
        ),
        (
            "empty status",
            result("", None, Some(summary(MISSING_OPS))),
            could_not(Reason::OtherStatus),
        ),
    ];
    for (what, r, want) in cases {
        assert_eq!(classify(&r, "ops"), want, "{what}");
    }
    // An empty user never matches a line.
    let r = result(
        "Failed",
        None,
        Some(summary(
            "runas-guard: Run As user  does not exist on this node",
        )),
    );
    assert_eq!(classify(&r, ""), CouldNotRun(Reason::FailedWithoutVerdict));
}

#[test]
fn every_status_x_output_pair_is_missing_only_for_failed_with_the_line() {
    let statuses = [
        "Success",
        "Failed",
        "TimedOut",
        "Undeliverable",
        "DeliveryTimedOut",
        "Pending",
        "InProgress",
        "Cancelled",
        "Skipped",
        "",
    ];
    let outputs = [
        None,
        Some(summary(MISSING_OPS)),
        Some(summary("runas-guard: check could not run: x\n")),
        Some(summary(TOO_OLD)),
        Some(format!("{}{}", summary(TOO_OLD), summary(MISSING_OPS))),
        Some(summary("\u{0}\u{7f}\n\n")),
        Some("x".repeat(100_000)),
    ];
    for status in statuses {
        for (i, out) in outputs.iter().enumerate() {
            let v = classify(&result(status, None, out.clone()), "ops");
            let missing = status == "Failed" && i == 1;
            assert_eq!(v == NodeVerdict::Missing, missing, "{status} {i}");
        }
    }
}

#[test]
fn aggregated_statuses_name_their_reason() {
    assert_eq!(reason_of_status("TimedOut"), Reason::TimedOut);
    assert_eq!(reason_of_status("Undeliverable"), Reason::Undeliverable);
    assert_eq!(reason_of_status("DeliveryTimedOut"), Reason::Undeliverable);
    assert_eq!(reason_of_status("Cancelled"), Reason::OtherStatus);
    assert_eq!(reason_of_status("Success"), Reason::OtherStatus);
    for r in [
        Reason::NoUserPassed,
        Reason::AgentTooOld,
        Reason::TimedOut,
        Reason::Undeliverable,
        Reason::FailedWithoutVerdict,
        Reason::NotRead,
        Reason::OtherStatus,
    ] {
        assert!(!r.describe().is_empty());
    }
}

/// Directory users (`directory_users = true`): the script's line names the
/// user as the policy wrote it, also when the agent's lookup asks for
/// another name (`DOMAIN\NAME` without its backslash); only that exact name
/// is a verdict on it.
#[test]
fn a_directory_users_line_is_a_verdict_on_exactly_that_name() {
    let collapsed = "runas-guard: Run As user CORP\\alice does not exist on this node (id failed for CORPalice, the name the agent asks for: its lookup is unquoted, so the shell drops the backslash); Session Manager refuses Run As sessions for it here\n";
    let upn = "runas-guard: Run As user alice@corp.example.com does not exist on this node (id failed); Session Manager refuses Run As sessions for it here\n";
    let failed = |line: &str| result("Failed", Some("Failed"), Some(summary(line)));
    for (what, r, user, verdict) in [
        (
            "DOMAIN\\NAME",
            failed(collapsed),
            "CORP\\alice",
            NodeVerdict::Missing,
        ),
        (
            "NAME@DOMAIN",
            failed(upn),
            "alice@corp.example.com",
            NodeVerdict::Missing,
        ),
        (
            "another case is another name",
            failed(upn),
            "Alice@corp.example.com",
            NodeVerdict::CouldNotRun(Reason::FailedWithoutVerdict),
        ),
        (
            "the collapsed name is not the policy's",
            failed(collapsed),
            "CORPalice",
            NodeVerdict::CouldNotRun(Reason::FailedWithoutVerdict),
        ),
        (
            "a name the script refused",
            failed("runas-guard: check could not run: the agent passed no user name\n"),
            "$(id)",
            NodeVerdict::CouldNotRun(Reason::NoUserPassed),
        ),
    ] {
        assert_eq!(classify(&r, user), verdict, "{what}");
    }
}

/// Each could-not-run line the shipped documents have written names its
/// own reason, which reports print and the table stores by its key: the
/// agent too old (this document, on agents older than 3.3.2746.0) apart
/// from a name refused or the first document's missing variable.
#[test]
fn each_could_not_run_line_keeps_its_reason_words_and_key() {
    for (what, line, reason, key, words) in [
        (
            "this document, an agent without SSM_User",
            TOO_OLD,
            Reason::AgentTooOld,
            "agent_too_old",
            "the SSM agent is too old to pass the user safely (3.3.2746.0 or later needed)",
        ),
        (
            "a name the script refuses",
            "runas-guard: check could not run: the agent passed no user name\n",
            Reason::NoUserPassed,
            "no_user_passed",
            "the agent passed the check no user name",
        ),
        (
            "the first document, which read only SSM_User",
            "runas-guard: SSM_User is not set: the SSM agent must be 3.3.2746.0 or later (interpolationType ENV_VAR)\n",
            Reason::NoUserPassed,
            "no_user_passed",
            "the agent passed the check no user name",
        ),
    ] {
        let r = result("Failed", Some("Failed"), Some(summary(line)));
        assert_eq!(classify(&r, "ops"), NodeVerdict::CouldNotRun(reason), "{what}");
        assert_eq!(reason.describe(), words, "{what}");
        assert_eq!(serde_json::to_value(reason).unwrap(), key, "{what}");
        let back: Reason = serde_json::from_value(serde_json::json!(key)).unwrap();
        assert_eq!(back, reason, "{what}");
    }
    // Readiness says it in its could-not-run note.
    let mut not_run = crate::domain::nodes::NotRun::default();
    not_run.add(Reason::AgentTooOld, 3);
    not_run.add(Reason::TimedOut, 1);
    assert_eq!(
        not_run.describe(),
        "check could not run on 4 nodes (the SSM agent is too old to pass the user safely (3.3.2746.0 or later needed): 3, timed out: 1)"
    );
}
