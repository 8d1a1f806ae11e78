//! "If we enforced now": what the check's last result says about turning
//! Run As on in one account-region, and whether an `enforce-when-ready`
//! rule may (pure).

use serde::Serialize;

use super::Readiness;

/// One account-region's answer, from what the check last found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum Verdict {
    /// Every node the check ran on has the user.
    Ready,
    /// The agent would refuse every session on these nodes.
    WouldRefuse { nodes: u64 },
    /// Nothing lacks the user, but the check could not run on these nodes
    /// (timed out, not delivered, no user name reached it): unknown there.
    CouldNotRun { nodes: u64 },
    /// No node has run the check yet (or it could not be kept).
    NoResultYet,
    /// Nothing for Run As to act on: sessions are unaffected.
    NoLinuxOrMacosNodes,
}

impl Verdict {
    pub fn of(r: Option<&Readiness>) -> Verdict {
        match r {
            None => Verdict::NoResultYet,
            Some(r) if r.missing > 0 => Verdict::WouldRefuse { nodes: r.missing },
            Some(r) if !r.not_run.is_empty() => Verdict::CouldNotRun {
                nodes: r.not_run.nodes,
            },
            Some(r) if r.checked > 0 => Verdict::Ready,
            Some(r) if r.linux_or_macos == Some(false) => Verdict::NoLinuxOrMacosNodes,
            Some(_) => Verdict::NoResultYet,
        }
    }

    /// As the readiness report prints it.
    pub fn describe(self) -> String {
        match self {
            Verdict::Ready => "ready".into(),
            Verdict::WouldRefuse { nodes: 1 } => "would refuse sessions on 1 node".into(),
            Verdict::WouldRefuse { nodes } => format!("would refuse sessions on {nodes} nodes"),
            Verdict::CouldNotRun { nodes } => {
                format!("check could not run on {}", super::readiness::nodes(nodes))
            }
            Verdict::NoResultYet => "no result yet".into(),
            Verdict::NoLinuxOrMacosNodes => "no managed Linux or macOS nodes".into(),
        }
    }

    /// Whether turning Run As on now refuses no session.
    pub fn allows_enforcing(self) -> bool {
        matches!(self, Verdict::Ready | Verdict::NoLinuxOrMacosNodes)
    }
}

/// Whether an `enforce-when-ready` document whose user is `user` may be
/// enforced on what the check found; `Err` says why it is held.
pub fn gate(found: Option<&Readiness>, user: &str) -> Result<(), String> {
    if let Some(r) = found.filter(|r| r.user != user) {
        return Err(format!(
            "held until ready: the check looks up {}, not this document's user {user}",
            r.user
        ));
    }
    let verdict = Verdict::of(found);
    match verdict.allows_enforcing() {
        true => Ok(()),
        false => Err(format!(
            "held until ready: {} (enforce-when-ready)",
            match found {
                Some(r) if r.checked > 0 => r.summary(),
                _ => verdict.describe(),
            }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(checked: u64, missing: u64, any: Option<bool>) -> Readiness {
        Readiness {
            user: "ops".into(),
            checked,
            missing,
            linux_or_macos: any,
            ..Readiness::default()
        }
    }

    #[test]
    fn verdicts() {
        let cases: [(Option<Readiness>, Verdict); 8] = [
            (None, Verdict::NoResultYet),
            (Some(found(0, 0, None)), Verdict::NoResultYet),
            (Some(found(0, 0, Some(true))), Verdict::NoResultYet),
            (Some(found(0, 0, Some(false))), Verdict::NoLinuxOrMacosNodes),
            (Some(found(4, 0, None)), Verdict::Ready),
            // Windows nodes pass the check trivially; so does Run As.
            (Some(found(4, 0, Some(false))), Verdict::Ready),
            (Some(found(4, 1, None)), Verdict::WouldRefuse { nodes: 1 }),
            // A hostile record: more missing than checked is still a refusal.
            (
                Some(found(0, 7, Some(false))),
                Verdict::WouldRefuse { nodes: 7 },
            ),
        ];
        for (r, want) in cases {
            assert_eq!(Verdict::of(r.as_ref()), want, "{r:?}");
        }
        assert_eq!(
            Verdict::WouldRefuse { nodes: 1 }.describe(),
            "would refuse sessions on 1 node"
        );
        assert_eq!(
            Verdict::WouldRefuse { nodes: 3 }.describe(),
            "would refuse sessions on 3 nodes"
        );
    }

    #[test]
    fn a_check_that_could_not_run_is_no_pass_and_no_refusal() {
        let mut r = found(5, 0, None);
        r.not_run.add(crate::domain::nodes::Reason::TimedOut, 2);
        assert_eq!(Verdict::of(Some(&r)), Verdict::CouldNotRun { nodes: 2 });
        assert_eq!(
            Verdict::CouldNotRun { nodes: 2 }.describe(),
            "check could not run on 2 nodes"
        );
        assert!(!Verdict::CouldNotRun { nodes: 2 }.allows_enforcing());
        let held = gate(Some(&r), "ops").unwrap_err();
        assert!(
            held.contains("check could not run on 2 nodes (timed out: 2)"),
            "{held}"
        );
        // A missing user still decides.
        r.missing = 1;
        assert_eq!(Verdict::of(Some(&r)), Verdict::WouldRefuse { nodes: 1 });
    }

    #[test]
    fn the_gate_opens_only_on_a_verdict_that_refuses_nobody_for_this_user() {
        assert_eq!(gate(Some(&found(3, 0, None)), "ops"), Ok(()));
        assert_eq!(gate(Some(&found(0, 0, Some(false))), "ops"), Ok(()));
        let held = |r: Option<Readiness>, user: &str| gate(r.as_ref(), user).unwrap_err();
        assert!(held(None, "ops").contains("no result yet"));
        assert!(held(Some(found(0, 0, Some(true))), "ops").contains("no result yet"));
        assert!(held(Some(found(3, 1, None)), "ops").contains("missing on 1 of 3 nodes"));
        assert!(held(Some(found(3, 0, None)), "admin").contains("not this document's user admin"));
    }
}
