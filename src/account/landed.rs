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

use crate::store::known::Snapshot;

/// The regions an event's run looks at: `Some([region])` when the account
/// is settled in every governed region, `None` (all of `regions`) otherwise.
pub fn landed_only(
    account: &str,
    region: Option<&str>,
    regions: &[String],
    recorded: Option<&Snapshot>,
) -> Option<Vec<String>> {
    let region = region.filter(|r| regions.iter().any(|g| g == r))?;
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
    (every_region && no_row_waits).then(|| vec![region.to_string()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::known::Known;

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
            assert_eq!(
                landed_only(A, region, &regions, recorded.as_ref()),
                want,
                "{why}"
            );
        }
    }
}
