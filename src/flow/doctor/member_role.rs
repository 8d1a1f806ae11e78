//! `doctor --account`: the role in the member account, assumed as the
//! function would (the policy's roles) or from the operator's seat, and
//! what a refusal means (a new account awaiting its member stack waits).

use aws_config::SdkConfig;

use super::List;
use crate::adapters::aws::organizations::Org;
use crate::adapters::aws::sts::{MemberSession, Sts};
use crate::domain::clock;
use crate::domain::policy::Policy;
use crate::domain::seat::Seat;
use crate::flow::account::pending::{self, Awaiting};

/// A role runas-guard may assume there, with its session policy.
pub(super) async fn role(
    config: &SdkConfig,
    policy: &Policy,
    account: &str,
    identity: Option<&str>,
    member: &mut List,
) -> Option<MemberSession> {
    let sts = Sts::new(config);
    let roles: Vec<&str> = policy.roles().collect();
    let session_policy = policy.session_policy(sts.partition(), account);
    let who = identity.unwrap_or("these credentials");
    match sts
        .assume(account, &roles, "runas-guard-doctor", Some(&session_policy))
        .await
    {
        Ok(s) => {
            let note = if s.role == policy.member_role {
                String::new()
            } else {
                format!(
                    "; a fallback: {} could not be assumed (has infra/member.yaml reached this account?)",
                    policy.member_role
                )
            };
            member.pass(
                "role",
                format!(
                    "{} assumed as {who}, with runas-guard's session policy ({}){note}",
                    s.role,
                    packed(s.packed_policy_size)
                ),
            );
            Some(s)
        }
        Err(e) => {
            refused(
                config,
                policy,
                account,
                &format!("as {who}: {}", e.message),
                &e.code,
                member,
            )
            .await;
            member.skip("document", "not checked: no role could be assumed");
            None
        }
    }
}

/// The operator's read-only role, alone: it passes naming the role and the
/// session, or fails with the role's ARN and what to check.
pub(super) async fn seated(
    config: &SdkConfig,
    policy: &Policy,
    account: &str,
    seat: &Seat,
    member: &mut List,
) -> Option<MemberSession> {
    let sts = Sts::new(config);
    let inline = policy.session_policy(sts.partition(), account);
    match sts.assume_seat(account, seat, Some(&inline)).await {
        Ok(s) => {
            member.pass(
                "role",
                format!(
                    "{} (the operator's read-only role) assumed as {}, session {}, with runas-guard's session policy ({}); the function's {} trusts only the hub role and is not tried from here",
                    s.role,
                    seat.caller.as_deref().unwrap_or("these credentials"),
                    seat.session,
                    packed(s.packed_policy_size),
                    policy.member_role
                ),
            );
            Some(s)
        }
        Err(e) => {
            member.fail(
                "role",
                e.message,
                "name your principal in the member stack's OperatorPrincipals (docs/operate.md, the operator's seat), or pass --member-roles where these credentials may assume the policy's roles",
            );
            member.skip(
                "document",
                "not checked: the operator role could not be assumed",
            );
            None
        }
    }
}

/// The role refused: a new account still awaiting its member stack is
/// pending (the function waits for it); otherwise it fails, saying what to
/// check, as the function's `remediation_failed` does.
async fn refused(
    config: &SdkConfig,
    policy: &Policy,
    account: &str,
    said: &str,
    code: &str,
    member: &mut List,
) {
    let generic = format!(
        "deploy infra/member.yaml (the member StackSet) to account {account}, trusting the hub role; the function assumes roles as the hub role, so from other credentials a refusal of {} is expected",
        policy.member_role
    );
    if code == crate::domain::session_policy::PACKED_TOO_LARGE {
        // The policy file's to fix, not the account's: the message says how.
        return member.fail(
            "role",
            said,
            "make the policy file's session policy smaller (docs/configuration.md, the session policy's budget)",
        );
    }
    if !pending::role_missing(code) {
        return member.fail("role", said, generic);
    }
    let joined = Org::new(config).joined_ms(account).await.ok().flatten();
    let window = crate::domain::config::pending_window();
    let what = Awaiting::Role(policy.member_role.clone());
    let stack_set = crate::domain::config::member_stack_set();
    let check = |joined: Option<i64>| {
        let since = crate::domain::life::window_start(joined, None);
        pending::what_to_check(&what, "", &stack_set, since, window)
    };
    let now = clock::epoch_millis(clock::now());
    match joined.filter(|_| pending::within_window(joined, now, window)) {
        Some(j) => member.warn(
            "role",
            format!(
                "{said}; pending: the account joined {} and its member stack has not landed yet (the function waits for it until {}, re-attempting)",
                iso(j),
                iso(j.saturating_add(window.as_millis() as i64))
            ),
            format!("nothing to do yet: the member stack's instance configures the account when it lands; if it does not: {}", check(None)),
        ),
        None => member.fail("role", said, format!("{generic}; {}", check(joined))),
    }
}

/// What AWS said of the session policy's packed size: how close to the
/// limit it is, so a policy that grows is seen before AWS refuses it.
pub(super) fn packed(size: Option<i32>) -> String {
    let warn = crate::domain::session_policy::PACKED_WARN_PERCENT;
    match size {
        Some(p) if p > warn => format!("packed size {p}% of AWS's limit: near it, fewer documents or regions per policy file keep it assumable"),
        Some(p) => format!("packed size {p}% of AWS's limit"),
        None => "packed size not reported by this endpoint".into(),
    }
}

fn iso(ms: i64) -> String {
    clock::iso(clock::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::packed;

    #[test]
    fn the_packed_size_is_said_and_near_the_limit_says_what_to_do() {
        assert_eq!(packed(Some(42)), "packed size 42% of AWS's limit");
        assert_eq!(packed(Some(90)), "packed size 90% of AWS's limit");
        assert!(packed(Some(91)).contains("fewer documents or regions"));
        assert!(packed(Some(100)).starts_with("packed size 100%"));
        assert_eq!(packed(None), "packed size not reported by this endpoint");
    }
}
