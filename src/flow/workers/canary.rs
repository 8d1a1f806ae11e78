//! The forwarding canary came through: its arrival is recorded on the
//! account-region's state item with how long it took. No member session, no
//! read of the account: one conditional write.

use crate::domain::clock;
use crate::domain::job::Job;
use crate::domain::metrics::{self, Metric};
use crate::domain::outcome::Outcome;
use crate::domain::policy::Policy;
use crate::domain::trigger::Actor;
use crate::flow::services::Services;
use crate::flow::work::{Stop, Work, Worked};

pub async fn arrived(svc: &Services, job: &Job) -> Worked {
    let t = &job.trigger;
    let (account, region, token) = (
        t.account.clone().unwrap_or_default(),
        t.region.clone().unwrap_or_default(),
        t.context.run_as_value.clone().unwrap_or_default(),
    );
    if let Some(why) = not_ours(&svc.policy, t.actor.as_ref()) {
        return Err(Stop::Ignored(why, vec![]));
    }
    let now_ms = clock::epoch_millis(clock::now());
    let arrival = svc
        .state
        .canary_arrived(&account, &region, &token, now_ms)
        .await?;
    let Some(arrival) = arrival else {
        return Err(Stop::Ignored(
            format!("forwarding canary {token:?} of {account} {region} is not the one awaited (a newer one was written, or this one already arrived)"),
            vec![],
        ));
    };
    let seconds = (now_ms - arrival.written_ms).max(0) as f64 / 1000.0;
    metrics::emit(
        &[Metric {
            name: "ForwardingCanarySeconds",
            value: seconds,
            unit: "Seconds",
        }],
        t.kind.as_str(),
    );
    tracing::info!(
        outcome = "forwarding_canary",
        account,
        region,
        seconds,
        restored = arrival.was_missing,
        "forwarding canary arrived"
    );
    let reason = format!(
        "forwarding canary of {account} {region} arrived {seconds:.1}s after it was written{}",
        if arrival.was_missing {
            ": the event path works again"
        } else {
            ""
        }
    );
    Ok(Work {
        outcome: Outcome {
            reason,
            ..Outcome::default()
        },
        ..Work::default()
    })
}

/// Only runas-guard's own roles write the canary's tag: anyone else's is
/// not an arrival (it would say nothing about runas-guard's path).
fn not_ours(policy: &Policy, actor: Option<&Actor>) -> Option<String> {
    let arn = actor.map(|a| a.arn.as_str()).unwrap_or_default();
    match crate::domain::ids::role_name(arn) {
        Some(r) if policy.roles().any(|ours| ours == r) => None,
        _ => Some(format!(
            "the forwarding canary's tag was written by {}, not by runas-guard's member role",
            if arn.is_empty() {
                "an unknown principal"
            } else {
                arn
            }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_roles_write_canaries() {
        let p = Policy::parse(
            "member_role = \"RunAsGuardExecution\"\nfallback_roles = [\"OrganizationAccountAccessRole\"]\nregions = [\"eu-west-1\"]\n[default]\nrun_as_user = \"ops\"\n",
            "p.toml",
        )
        .unwrap();
        let actor = |arn: &str| Actor {
            arn: arn.into(),
            identity_type: "AssumedRole".into(),
            session_name: None,
        };
        for (arn, ours) in [
            ("arn:aws:iam::111122223333:role/RunAsGuardExecution", true),
            (
                "arn:aws:iam::111122223333:role/OrganizationAccountAccessRole",
                true,
            ),
            ("arn:aws:iam::111122223333:role/Admin", false),
            (
                "arn:aws:iam::111122223333:role/path/RunAsGuardExecutionX",
                false,
            ),
            ("arn:aws:iam::111122223333:user/RunAsGuardExecution", false),
            ("", false),
        ] {
            let a = actor(arn);
            assert_eq!(not_ours(&p, Some(&a)).is_none(), ours, "{arn}");
        }
        assert!(not_ours(&p, None).is_some());
    }
}
