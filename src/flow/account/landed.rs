//! A member-stack instance event of an account that no longer waits (pure):
//! it looks at the region the event names, not at every governed region.
//!
//! CloudFormation sends one stack-instance event per account-region, so a
//! StackSet update of a 17-region organization would otherwise reconcile
//! every region 17 times per account. The member stack holds no Session
//! document: an instance landing in a region changes what runas-guard can
//! reach there (the role, the check document), nowhere else. An account
//! that waits (a pending or failed row, or a governed region never
//! recorded: its vend was lost) still gets every region, as its vend would.

use crate::domain::known::Snapshot;

/// The regions a run of stack-instance events looks at: of the regions the
/// events name (`landed`: one event's, or a burst's,
/// [`crate::domain::landing_gate`]), the governed ones when the account is settled
/// in every governed region; `None` (all of `regions`) otherwise, and when
/// they name no governed region.
pub fn landed_only(
    account: &str,
    landed: &[String],
    regions: &[String],
    recorded: Option<&Snapshot>,
) -> Option<Vec<String>> {
    let named: Vec<String> = landed
        .iter()
        .filter(|r| regions.contains(r))
        .cloned()
        .collect();
    if named.is_empty() {
        return None;
    }
    let recorded = recorded?;
    let settled = |status: Option<&str>| !matches!(status, None | Some("pending" | "failed"));
    let every_region = regions
        .iter()
        .all(|r| settled(recorded.get(account, r).and_then(|k| k.status.as_deref())));
    let no_row_waits = recorded.slots(account).iter().all(|slot| {
        settled(
            recorded
                .get(account, slot)
                .and_then(|k| k.status.as_deref()),
        )
    });
    (every_region && no_row_waits).then_some(named)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::known::Known;

    const A: &str = "111122223333";

    fn rows(rows: &[(&str, &str)]) -> Snapshot {
        rows.iter()
            .map(|(slot, status)| {
                (
                    A.to_string(),
                    slot.to_string(),
                    Known {
                        status: Some(status.to_string()),
                        ..Known::default()
                    },
                )
            })
            .collect()
    }

    #[test]
    fn only_a_settled_account_narrows_to_the_events_region() {
        let regions: Vec<String> = ["us-east-1", "eu-west-1"].map(String::from).to_vec();
        let settled = rows(&[("us-east-1", "compliant"), ("eu-west-1", "remediated")]);
        let one = Some(vec!["eu-west-1".to_string()]);
        let check = "eu-west-1#DOCUMENT#RunAsGuard-CheckRunAsUser";
        for (why, region, recorded, want) in [
            ("settled", Some("eu-west-1"), Some(settled), one.clone()),
            (
                "audit and reverted rows are settled",
                Some("eu-west-1"),
                Some(rows(&[
                    ("us-east-1", "noncompliant"),
                    ("eu-west-1", "reverted"),
                ])),
                one.clone(),
            ),
            (
                "a region waits",
                Some("eu-west-1"),
                Some(rows(&[
                    ("us-east-1", "pending"),
                    ("eu-west-1", "compliant"),
                ])),
                None,
            ),
            (
                "a region failed",
                Some("eu-west-1"),
                Some(rows(&[("us-east-1", "compliant"), ("eu-west-1", "failed")])),
                None,
            ),
            (
                "a check row waits for its document",
                Some("eu-west-1"),
                Some(rows(&[
                    ("us-east-1", "compliant"),
                    ("eu-west-1", "compliant"),
                    (check, "pending"),
                ])),
                None,
            ),
            (
                "a region never recorded (the vend was lost)",
                Some("eu-west-1"),
                Some(rows(&[("eu-west-1", "compliant")])),
                None,
            ),
            (
                "nothing recorded",
                Some("eu-west-1"),
                Some(Snapshot::default()),
                None,
            ),
            ("rows unread", Some("eu-west-1"), None, None),
            (
                "a region the policy does not govern",
                Some("ap-south-1"),
                Some(rows(&[
                    ("us-east-1", "compliant"),
                    ("eu-west-1", "compliant"),
                ])),
                None,
            ),
            (
                "no region named",
                None,
                Some(rows(&[
                    ("us-east-1", "compliant"),
                    ("eu-west-1", "compliant"),
                ])),
                None,
            ),
        ] {
            let landed: Vec<String> = region.map(String::from).into_iter().collect();
            assert_eq!(
                landed_only(A, &landed, &regions, recorded.as_ref()),
                want,
                "{why}"
            );
        }
    }

    #[test]
    fn a_burst_of_a_settled_account_looks_at_the_governed_regions_it_names() {
        let regions: Vec<String> = ["us-east-1", "eu-west-1", "eu-west-2"]
            .map(String::from)
            .to_vec();
        let settled = rows(&[
            ("us-east-1", "compliant"),
            ("eu-west-1", "compliant"),
            ("eu-west-2", "remediated"),
        ]);
        let named = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        for (why, landed, recorded, want) in [
            (
                "two of three",
                named(&["eu-west-2", "us-east-1"]),
                Some(&settled),
                Some(named(&["eu-west-2", "us-east-1"])),
            ),
            (
                "an ungoverned one among them is left out",
                named(&["ap-south-1", "eu-west-1"]),
                Some(&settled),
                Some(named(&["eu-west-1"])),
            ),
            (
                "none governed: every region",
                named(&["ap-south-1"]),
                Some(&settled),
                None,
            ),
            ("none named: every region", vec![], Some(&settled), None),
            (
                "a waiting account: every region",
                named(&["eu-west-1", "eu-west-2"]),
                Some(&rows(&[("us-east-1", "pending")])),
                None,
            ),
        ] {
            assert_eq!(landed_only(A, &landed, &regions, recorded), want, "{why}");
        }
    }
}
