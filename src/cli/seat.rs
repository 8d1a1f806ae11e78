//! `--operator-role` and `--member-roles`, on the commands that only read
//! member accounts (`why`, `doctor --account`, `reconcile --dry-run`):
//! which role they assume there. The choice is `runas_guard::domain::seat`'s.

use runas_guard::adapters::aws::sts::Sts;
use runas_guard::domain::policy::{is_role_name, Policy};
use runas_guard::domain::seat::{chosen, Seat};

#[derive(clap::Args, Clone, Default)]
pub struct SeatArgs {
    /// The member stack's read-only operator role (its OperatorRoleName,
    /// e.g. RunAsGuardOperatorRead) to read member accounts with; over
    /// the policy's operator_role.
    #[arg(long, value_name = "NAME", env = "RUNAS_GUARD_OPERATOR_ROLE")]
    operator_role: Option<String>,
    /// Assume the policy's member_role (then fallback_roles) as the
    /// function does, even where an operator role is set.
    #[arg(long)]
    member_roles: bool,
}

impl SeatArgs {
    /// A flag's value that is no role name is bad input (checked before
    /// anything is read).
    pub fn check(&self) -> Result<(), String> {
        match self.operator_role.as_deref().map(str::trim) {
            Some(r) if !r.is_empty() && !is_role_name(r) => Err(format!(
                "--operator-role {:?} is not an IAM role name (1-64 of A-Z a-z 0-9 + = , . @ _ -): name the member stack's OperatorRoleName, such as RunAsGuardOperatorRead",
                r.chars().take(64).collect::<String>()
            )),
            _ => Ok(()),
        }
    }

    /// The role name in force, if any (the policy's, unless overridden).
    pub fn role(&self, policy: &Policy) -> Option<String> {
        chosen(
            self.operator_role.as_deref(),
            self.member_roles,
            policy.operator_role.as_deref(),
        )
    }

    /// The seat `command` takes, naming who runs it (`GetCallerIdentity`,
    /// which needs no permission; unread, the session says `operator`).
    pub async fn seat(
        &self,
        config: &aws_config::SdkConfig,
        policy: &Policy,
        command: &str,
    ) -> Option<Seat> {
        let role = self.role(policy)?;
        let caller = match Sts::new(config).caller_arn().await {
            Ok(arn) => Some(arn),
            Err(e) => {
                tracing::warn!(error_code = %e.code, error = %e, "cannot read who these credentials are; the session is named without them");
                None
            }
        };
        Some(Seat::new(&role, command, caller.as_deref()))
    }
}
