//! One member account's run-as user check, where the policy turns it on:
//! what its association last found on the nodes of each governed region.
//! Nodes that fail it fail the checklist only where their sessions are
//! refused (Run As on for the user, or `enforce`); in audit, or where
//! `enforce-when-ready` holds, they are the rollout's expected state: a
//! warning, and doctor still exits 0.

use std::collections::HashMap;

use super::errors::said;
use super::List;
use crate::adapters::aws::associations::AssociationStore;
use crate::adapters::aws::sts::MemberSession;
use crate::domain::nodes::refusal::{refused_between_runs, RunAsNow};
use crate::domain::nodes::{Association, Associations};
use crate::domain::policy::{Mode, Policy, Target};
use crate::domain::preferences::RunAs;
use crate::flow::reconcile::is_region_disabled;

/// What the document checks read of Run As in each governed region, one
/// entry per document: `None` where it could not be read, off (the
/// default) where there is no document.
#[derive(Debug, Default)]
pub(super) struct Seen(HashMap<String, Vec<Option<RunAs>>>);

impl Seen {
    pub(super) fn add(&mut self, region: &str, read: Option<RunAs>) {
        self.0.entry(region.to_string()).or_default().push(read);
    }

    /// Whether some document there runs sessions as `user` now.
    fn now(&self, region: &str, user: &str) -> RunAsNow {
        let reads = self.0.get(region).map(Vec::as_slice).unwrap_or_default();
        if reads.iter().flatten().any(|r| r.is_compliant(user)) {
            RunAsNow::On
        } else if reads.is_empty() || reads.iter().any(Option::is_none) {
            RunAsNow::Unknown
        } else {
            RunAsNow::Off
        }
    }
}

pub(super) async fn check(
    policy: &Policy,
    (account, targets): (&str, &[Target]),
    session: &MemberSession,
    seen: &Seen,
    member: &mut List,
) {
    let Some(document) = policy.check_document.as_deref() else {
        return;
    };
    for region in &policy.regions {
        let item = format!("user check {region}");
        let store = AssociationStore::new(session.ssm(region), account, region, document);
        match store.find().await {
            Ok(found) => match found.as_slice() {
                // The session policy reads associations, not documents: a
                // missing check document shows when runas-guard creates the
                // association (a failed row naming the fix).
                [] => member.pass(&item, "no association yet (runas-guard creates it at the next event or sweep; the member stack needs RunAsUserCheck=Enabled)"),
                [a, ..] => association(a, (account, region, targets), seen, member, &item),
            },
            Err(e) if is_region_disabled(&e.code) => {
                member.skip(&item, format!("region not enabled in this account ({})", e.code))
            }
            Err(e) => member.fail(
                &item,
                said(&e),
                "the member role needs the association permissions of infra/member.yaml RunAsUserCheck=Enabled",
            ),
        }
    }
}

/// One region's association: passed, or its failing nodes judged by
/// whether their sessions are refused there.
fn association(
    a: &Association,
    (account, region, targets): (&str, &str, &[Target]),
    seen: &Seen,
    member: &mut List,
    item: &str,
) {
    let user = a.user.as_deref().unwrap_or("-");
    let c = a.counts;
    // SSM's "Failed" is not yet "without the user": only the check
    // script's own line is, read per node by the check.
    let line = format!("association {} runs `id` for {user}: {} nodes with a result, {} failed, {} where the check could not run (timed out, not delivered)", a.id, c.total(), c.failed, c.not_run());
    if c.failed == 0 && c.not_run() == 0 {
        return member.pass(item, line);
    }
    let fix = match c.failed {
        0 => "the check could not run on some nodes: are their agents online and reachable? The next daily run asks them again".to_string(),
        _ => format!("`runas-guard status --account {account}` says which failed nodes lack user {user} (create it there: AMI, user data or configuration management) and where the check could not run"),
    };
    let modes: Vec<Mode> = targets
        .iter()
        .filter(|t| t.user == user)
        .map(|t| t.mode)
        .collect();
    let now = seen.now(region, user);
    if refused_between_runs(now, &modes) {
        let why = match now {
            RunAsNow::On => format!("Run As is on for {user} here"),
            _ => "the policy enforces Run As here".to_string(),
        };
        return member.fail(
            item,
            format!("{line}; sessions on those nodes are refused ({why})"),
            fix,
        );
    }
    let words: Vec<&str> = modes.iter().map(|m| m.as_str()).collect();
    let mode = match words.is_empty() {
        true => format!("no governed document runs as {user}"),
        false => format!("mode {}", words.join(", ")),
    };
    member.warn(
        item,
        format!("{line}; nothing is refused yet ({mode}; Run As is off here): sessions on those nodes would be refused once it is on"),
        format!("{fix}; before enforcing (`runas-guard readiness --account {account}` shows each region's verdict)"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::nodes::Counts;
    use crate::flow::doctor::Verdict;
    use serde_json::Value;

    fn association(failed: u64, timed_out: u64) -> Association {
        Association {
            id: "a1b2c3d4-0000-4000-8000-000000000001".into(),
            user: Some("ops".into()),
            counts: Counts {
                success: 3,
                failed,
                timed_out,
                ..Counts::default()
            },
            ..Association::default()
        }
    }

    fn target(user: &str, mode: Mode) -> Target {
        Target {
            document: None,
            user: user.into(),
            source: "default".into(),
            inherit: false,
            mode,
        }
    }

    fn on(user: &str) -> Option<RunAs> {
        Some(RunAs {
            enabled: Some(Value::Bool(true)),
            user: Some(Value::String(user.into())),
        })
    }

    /// The verdict and detail of eu-west-1's user check.
    fn judged(a: &Association, targets: &[Target], reads: &[Option<RunAs>]) -> (Verdict, String) {
        let mut seen = Seen::default();
        for r in reads {
            seen.add("eu-west-1", r.clone());
        }
        let mut list = List::new("account 111122223333");
        super::association(
            a,
            ("111122223333", "eu-west-1", targets),
            &seen,
            &mut list,
            "user check eu-west-1",
        );
        let c = list.checks.pop().unwrap();
        (c.verdict, c.detail)
    }

    /// (the policy's documents, what they say of Run As, verdict, detail says)
    type Case = (Vec<Target>, Vec<Option<RunAs>>, Verdict, &'static str);

    #[test]
    fn failing_nodes_fail_doctor_only_where_their_sessions_are_refused() {
        use Mode::*;
        let off = Some(RunAs::default());
        let cases: Vec<Case> = vec![
            // enforce: the next run turns it on, if it is not on already.
            (
                vec![target("ops", Enforce)],
                vec![on("ops")],
                Verdict::Fail,
                "refused (Run As is on for ops here)",
            ),
            (
                vec![target("ops", Enforce)],
                vec![off.clone()],
                Verdict::Fail,
                "refused (the policy enforces Run As here)",
            ),
            (
                vec![target("ops", Enforce)],
                vec![None],
                Verdict::Fail,
                "refused",
            ),
            // audit or held: the rollout's state, a warning.
            (
                vec![target("ops", Audit)],
                vec![off.clone()],
                Verdict::Warn,
                "nothing is refused yet (mode audit;",
            ),
            (
                vec![target("ops", Audit)],
                vec![None],
                Verdict::Warn,
                "would be refused once it is on",
            ),
            (
                vec![target("ops", EnforceWhenReady)],
                vec![off.clone()],
                Verdict::Warn,
                "mode enforce-when-ready",
            ),
            (
                vec![target("ops", EnforceWhenReady)],
                vec![on("root")],
                Verdict::Warn,
                "nothing is refused yet",
            ),
            // audit, yet someone turned Run As on for the user: refused now.
            (
                vec![target("ops", Audit)],
                vec![off.clone(), on("ops")],
                Verdict::Fail,
                "Run As is on for ops",
            ),
            // an enforced document of another user refuses nobody for lack of ops.
            (
                vec![target("ops", Audit), target("admin", Enforce)],
                vec![off.clone(), on("admin")],
                Verdict::Warn,
                "mode audit;",
            ),
            (
                vec![],
                vec![off],
                Verdict::Warn,
                "no governed document runs as ops",
            ),
        ];
        for (targets, reads, verdict, says) in cases {
            for a in [association(2, 0), association(0, 1), association(1, 1)] {
                let (got, detail) = judged(&a, &targets, &reads);
                assert_eq!(got, verdict, "{targets:?} {reads:?}: {detail}");
                assert!(detail.contains(says), "{says}: {detail}");
            }
        }
    }

    #[test]
    fn an_association_whose_nodes_all_pass_passes_whatever_the_mode() {
        for mode in [Mode::Enforce, Mode::Audit, Mode::EnforceWhenReady] {
            let (verdict, detail) =
                judged(&association(0, 0), &[target("ops", mode)], &[on("ops")]);
            assert_eq!(verdict, Verdict::Pass, "{detail}");
            assert!(!detail.contains("refused"), "{detail}");
        }
    }
}
