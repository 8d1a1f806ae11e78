//! Fault profiles: how hard a schedule's AWS is, chosen by `SIM_FAULTS`
//! (`make simulate FAULTS=aws|harsh|aimed`; docs/internals.md "Fault
//! profiles" gives each rate and its source). The world's schedule (its
//! accounts, editors, lives and the seed's draws) is the same in every
//! profile; a profile only rewrites how often AWS fails it, so a seed
//! names one schedule per profile.
//!
//! - `harsh` (the default, and what `make simulation` plays): the world as
//!   drawn, with its uniform faults up to 15 %, storms, freezes, aimed
//!   faults and lost events. The regression seeds were found here.
//! - `aws`: AWS as it answers on an ordinary day. Faults at 0.2 % of calls,
//!   Lambda crashes at 0.2 % of invocations, EventBridge delivering every
//!   event at least once (1 % twice) within five minutes, losing one in a
//!   thousand (CloudTrail's delivery to EventBridge is best effort); no
//!   storms, no freezes, no aimed faults.
//! - `aimed`: `aws`, plus an account admin who throttles the guard in their
//!   own account-region (SSM's request rates are per account and Region,
//!   so the admin's own calls spend the guard's) while flipping Run As to
//!   root and back a few times.

use crate::rng::Rng;
use crate::world::{Bad, Edit, Editor, Step, StormAt, Switch, World};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Aws,
    Harsh,
    Aimed,
}

/// The shape of a version told late: recorded past before any alert told
/// it, told by a later run.
pub const TOLD_LATE: &str = "5 recorded past, told later";

/// The SSM calls an admin's own traffic throttles for the guard.
const SSM_READS_AND_WRITES: &[&str] = &[
    "GetDocument",
    "DescribeDocument",
    "ListDocumentVersions",
    "UpdateDocument",
    "UpdateDocumentDefaultVersion",
    "CreateDocument",
];

/// `SIM_FAULTS`, `harsh` when unset; any other value stops the run naming
/// the three (a typo must not explore the wrong profile for an hour).
pub fn from_env() -> Profile {
    parse(std::env::var("SIM_FAULTS").ok().as_deref())
}

pub fn parse(value: Option<&str>) -> Profile {
    match value {
        None | Some("") | Some("harsh") => Profile::Harsh,
        Some("aws") => Profile::Aws,
        Some("aimed") => Profile::Aimed,
        Some(other) => panic!("SIM_FAULTS={other}: the profiles are aws, harsh and aimed"),
    }
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Aws => "aws",
            Profile::Harsh => "harsh",
            Profile::Aimed => "aimed",
        }
    }

    /// Whether the budget tolerates a finding of `shape` (as `main::shapes`
    /// names it) in this profile: the one place tolerance is written. Under
    /// storms and an admin who throttles the guard, a version told late (its
    /// record moved past it before its alert, which a later run sent) is the
    /// price of at-least-once under faults; nothing else is, and on an
    /// ordinary day (`aws`) not even that.
    pub fn tolerates(self, shape: &str) -> bool {
        match self {
            Profile::Aws => false,
            Profile::Harsh | Profile::Aimed => shape == TOLD_LATE,
        }
    }

    /// `w` with this profile's faults.
    pub fn apply(self, w: World) -> World {
        match self {
            Profile::Harsh => w,
            Profile::Aws => ordinary_day(w),
            Profile::Aimed => throttled_by_its_admin(ordinary_day(w)),
        }
    }
}

fn ordinary_day(mut w: World) -> World {
    w.fault_rate = 0.002;
    w.crash_rate = 0.002;
    w.event_loss = 0.001;
    w.event_dup = 0.01;
    w.max_delay_s = w.max_delay_s.min(300);
    w.storms.clear();
    w.pause_rate = 0.0;
    w.aim = None;
    w.holds.clear();
    for l in &mut w.lives {
        l.lost = false;
    }
    w
}

/// One admin (account, region drawn from the seed apart from the world's
/// own draws) flips Run As to root and back two to five times, each flip
/// inside a stretch in which 90 % of the guard's SSM calls there are
/// throttled.
fn throttled_by_its_admin(mut w: World) -> World {
    let mut r = Rng::new(w.seed ^ 0x00ad_0000_0a1d);
    let account = r.pick(&w.accounts).clone();
    let region = r.pick(&w.regions).clone();
    for _ in 0..r.range(2, 6) {
        let at_s = r.range(60, w.horizon_s.max(120));
        let back_s = at_s + r.range(1, 30);
        for (at_s, edit) in [
            (at_s, Edit::RunAs(Bad::Root, Switch::Now)),
            (back_s, Edit::Back(1)),
        ] {
            w.steps.push(Step {
                at_s,
                account: account.clone(),
                region: region.clone(),
                editor: Editor::Admin,
                edit,
            });
        }
        for op in SSM_READS_AND_WRITES {
            w.storms.push(StormAt {
                service: "ssm",
                op,
                region: Some(region.clone()),
                account: Some(account.clone()),
                from_s: at_s.saturating_sub(5),
                to_s: back_s + r.range(30, 600),
                rate: 0.9,
            });
        }
    }
    w.steps.sort_by_key(|s| s.at_s);
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_keeps_the_schedule_and_changes_only_its_faults() {
        for seed in [1, 7, 500100, 826817] {
            let harsh = World::new(seed);
            let aws = Profile::Aws.apply(World::new(seed));
            assert_eq!(harsh.accounts, aws.accounts, "seed {seed}");
            assert_eq!(harsh.steps.len(), aws.steps.len(), "seed {seed}");
            assert!(aws.storms.is_empty() && aws.aim.is_none() && aws.pause_rate == 0.0);
            assert!(aws.fault_rate < 0.01 && aws.event_loss < 0.01);
            let aimed = Profile::Aimed.apply(World::new(seed));
            assert!(aimed.steps.len() >= harsh.steps.len() + 4, "seed {seed}");
            assert!(aimed
                .storms
                .iter()
                .all(|s| s.account.is_some() && s.service == "ssm" && s.rate == 0.9));
            // Deterministic: the same seed, the same admin.
            let again = Profile::Aimed.apply(World::new(seed));
            assert_eq!(aimed.describe(), again.describe());
        }
    }

    #[test]
    fn only_told_late_is_tolerated_and_only_under_storms_or_an_aimed_admin() {
        let shapes = [
            TOLD_LATE,
            "5 recorded past, never told",
            "2 never told",
            "2 editor never named",
            "2 told twice by two triggers' runs",
            "4 wolf",
            "",
        ];
        for p in [Profile::Aws, Profile::Harsh, Profile::Aimed] {
            for shape in shapes {
                let want = p != Profile::Aws && shape == TOLD_LATE;
                assert_eq!(p.tolerates(shape), want, "{} {shape:?}", p.name());
            }
        }
    }

    #[test]
    fn an_unknown_profile_is_refused_by_name() {
        assert_eq!(parse(None), Profile::Harsh);
        assert_eq!(parse(Some("aws")), Profile::Aws);
        assert_eq!(parse(Some("aimed")), Profile::Aimed);
        let msg = std::panic::catch_unwind(|| parse(Some("hrash"))).unwrap_err();
        let text = msg.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            text.contains("hrash") && text.contains("aws, harsh and aimed"),
            "{text}"
        );
    }
}
