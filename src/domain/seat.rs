//! The operator's seat: the read-only role the member stack creates for
//! on-call (infra/member.yaml `OperatorRoleName`, made when
//! `OperatorPrincipals` names who may assume it). `why`, `doctor --account`
//! and `reconcile --dry-run` assume it in a member account instead of the
//! member role, which trusts only the hub role. Pure: which role, what the
//! session is called, and what a refusal tells.

use crate::domain::session_policy::falls_back;

/// One command's seat: the role to assume in each member account and the
/// session it opens there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    /// The role's name, the same in every member account.
    pub role: String,
    /// The STS session name: the command and who runs it, as the member
    /// account's CloudTrail shows it.
    pub session: String,
    /// Who asks (the caller's ARN, from `GetCallerIdentity`), for a
    /// refusal's message; `None` when it could not be read.
    pub caller: Option<String>,
}

impl Seat {
    /// `command`: `why`, `doctor`, `reconcile-dry-run`.
    pub fn new(role: &str, command: &str, caller: Option<&str>) -> Seat {
        Seat {
            role: role.to_string(),
            session: session_name(command, caller),
            caller: caller.map(str::to_string),
        }
    }

    /// The account the caller's ARN names (its fifth field).
    fn caller_account(&self) -> Option<&str> {
        self.caller
            .as_deref()
            .and_then(|arn| arn.split(':').nth(4))
            .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
    }

    pub fn role_arn(&self, partition: &str, account: &str) -> String {
        format!("arn:{partition}:iam::{account}:role/{}", self.role)
    }

    /// What to say when `account` refused the seat (`code`, and AWS's own
    /// words in `said`): the role's ARN, who asked, and what to check.
    pub fn refused(&self, partition: &str, account: &str, code: &str, said: &str) -> String {
        let arn = self.role_arn(partition, account);
        let who = self.caller.as_deref().unwrap_or("these credentials");
        let said = match said.trim() {
            "" => String::new(),
            s => format!(": {s}"),
        };
        if !falls_back(code) {
            return format!("cannot assume the operator role {arn} as {who} ({code}{said})");
        }
        format!(
            "the operator role {arn} refused {who} ({code}{said}); check that the member stack \
             (infra/member.yaml) in account {account} names your principal in OperatorPrincipals \
             (your role's ARN, or your permission set's pattern \
             arn:{partition}:iam::*:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_<PermissionSet>_*, \
             which matches its roles with and without a region segment), that its OperatorAccountIds \
             includes {from} (empty: the hub account), that OrganizationId is this organization's, \
             that its OperatorRoleName is {role}, and that the instance in its RoleRegion has landed",
            role = self.role,
            from = self.caller_account().unwrap_or("your account"),
        )
    }
}

/// Which role the read-only commands take: `--operator-role` (or its
/// environment variable) over the policy's `operator_role`; none with
/// `--member-roles` (the policy's roles, as the function assumes them).
pub fn chosen(flag: Option<&str>, member_roles: bool, policy: Option<&str>) -> Option<String> {
    if member_roles {
        return None;
    }
    flag.map(str::trim)
        .filter(|f| !f.is_empty())
        .or(policy)
        .map(str::to_string)
}

/// `runas-guard-<command>-<who>`: 2-64 of `[\w+=,.@-]`. `who` is the
/// caller's session name (an Identity Center session is the user's name)
/// or user name, so CloudTrail in the member account says who read.
pub fn session_name(command: &str, caller: Option<&str>) -> String {
    let who = caller.map(short_name).unwrap_or("operator");
    crate::domain::ids::session_name(&format!("{command}-{who}"))
}

/// `arn:aws:sts::1:assumed-role/Role/alice@example.com` -> `alice@example.com`;
/// `arn:aws:iam::1:user/path/bob` -> `bob`; anything else as it is.
fn short_name(arn: &str) -> &str {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    match resource.split_once('/') {
        Some(("assumed-role", rest)) => rest.split_once('/').map_or(rest, |(_, s)| s),
        Some(_) => resource.rsplit('/').next().unwrap_or(resource),
        None => resource,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_over_the_policy_and_member_roles_over_both() {
        let rows = [
            (Some("Flag"), false, Some("Policy"), Some("Flag")),
            (None, false, Some("Policy"), Some("Policy")),
            (Some("  "), false, Some("Policy"), Some("Policy")),
            (Some(""), false, None, None),
            (None, false, None, None),
            (Some("Flag"), true, Some("Policy"), None),
            (None, true, Some("Policy"), None),
        ];
        for (flag, member, policy, want) in rows {
            assert_eq!(
                chosen(flag, member, policy).as_deref(),
                want,
                "{flag:?} {member} {policy:?}"
            );
        }
    }

    #[test]
    fn the_session_says_which_command_and_who() {
        let rows = [
            (
                "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_RunAsGuardOperator_0a1b2c3d/alice@example.com",
                "runas-guard-why-alice@example.com",
            ),
            (
                "arn:aws:iam::111122223333:user/ops/bob",
                "runas-guard-why-bob",
            ),
            ("arn:aws:iam::111122223333:root", "runas-guard-why-root"),
            // Characters STS refuses become '-'; never over 64.
            ("arn:aws:sts::1:assumed-role/R/a b:c", "runas-guard-why-a-b-c"),
            ("not an arn", "runas-guard-why-not-an-arn"),
        ];
        for (caller, want) in rows {
            assert_eq!(session_name("why", Some(caller)), want, "{caller}");
        }
        assert_eq!(session_name("doctor", None), "runas-guard-doctor-operator");
        let long = format!("arn:aws:sts::1:assumed-role/R/{}", "x".repeat(200));
        let name = session_name("reconcile-dry-run", Some(&long));
        assert_eq!(name.len(), 64);
        assert!(name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c)));
    }

    #[test]
    fn a_refusal_names_the_role_who_asked_and_what_to_check() {
        let caller = "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Dev_1/carol";
        let seat = Seat::new("RunAsGuardOperatorRead", "why", Some(caller));
        let said = seat.refused(
            "aws",
            "210987654321",
            "AccessDenied",
            "User: x is not authorized to perform: sts:AssumeRole",
        );
        for part in [
            "arn:aws:iam::210987654321:role/RunAsGuardOperatorRead",
            caller,
            "AccessDenied",
            "not authorized to perform: sts:AssumeRole",
            "OperatorPrincipals",
            "OrganizationId",
            "account 210987654321",
            "sso.amazonaws.com/*AWSReservedSSO_<PermissionSet>_*",
            "with and without a region segment",
            "OperatorAccountIds includes 123456789012",
        ] {
            assert!(said.contains(part), "{part:?} in {said}");
        }
        assert!(!said.contains('\n'));
        // Not a refusal: no advice about the trust policy.
        let said = seat.refused("aws-cn", "210987654321", "Throttling", "");
        assert_eq!(said, format!("cannot assume the operator role arn:aws-cn:iam::210987654321:role/RunAsGuardOperatorRead as {caller} (Throttling)"));
        let anonymous = Seat::new("RunAsGuardOperatorRead", "why", None);
        assert!(anonymous
            .refused("aws", "210987654321", "AccessDenied", "")
            .contains("refused these credentials (AccessDenied)"));
    }
}
