//! Every governed region enabled where runas-guard must work: opt-in regions
//! (`af-south-1`, `me-central-1`, ...) refuse every call until the account
//! enables them, so a governed region that is off is one where nothing is
//! configured (each run reports it `region-disabled`).

use aws_config::SdkConfig;

use super::errors::{denied, otherwise, said};
use super::{Given, List, Verdict};
use crate::adapters::aws::regions::{AccountRegions, RegionOptIn};
use crate::domain::aws_error::AwsError;
use crate::domain::policy::{Policy, Standing};

const ITEM: &str = "regions enabled";

/// The hub's own account (the caller's).
pub(super) async fn hub(g: &Given<'_>, out: &mut List) {
    let Some(policy) = g.policy else {
        out.skip(ITEM, "not checked: the policy did not load");
        return;
    };
    let listed = AccountRegions::new(g.config).list(None).await;
    report(out, policy, listed, "these credentials' account", None);
}

/// A member account, asked from the hub (Account Management's trusted
/// access lets the management account or its delegated administrator ask);
/// only a governed one: not one the policy leaves alone (exempt, out of
/// scope), and not one the organization lacks (`None`: the member check
/// has said so, and any advice about reading its regions would mislead).
pub(super) async fn member(
    config: &SdkConfig,
    policy: &Policy,
    account: &str,
    standing: Option<Standing>,
    out: &mut List,
) {
    if standing != Some(Standing::Governed) {
        return;
    }
    let listed = AccountRegions::new(config).list(Some(account)).await;
    report(
        out,
        policy,
        listed,
        &format!("account {account}"),
        Some(account),
    );
}

fn report(
    out: &mut List,
    policy: &Policy,
    listed: Result<Vec<RegionOptIn>, AwsError>,
    whose: &str,
    account: Option<&str>,
) {
    match listed {
        Ok(listed) => {
            let (verdict, detail, fix) = judge(&policy.regions, &listed, account);
            match verdict {
                Verdict::Pass => out.pass(ITEM, detail),
                Verdict::Fail => out.fail(ITEM, detail, fix),
                _ => out.warn(ITEM, detail, fix),
            }
        }
        Err(e) => {
            let fix = if denied(&e) {
                match account {
                    None => "give these credentials account:ListRegions".to_string(),
                    Some(_) => "enable trusted access for AWS Account Management (aws organizations enable-aws-service-access --service-principal account.amazonaws.com) and run doctor from the management account or its delegated administrator for Account Management".to_string(),
                }
            } else {
                otherwise(&e, "check the endpoint, then retry")
            };
            out.warn(
                ITEM,
                format!("cannot read {whose}'s regions: {}", said(&e)),
                fix,
            );
        }
    }
}

/// What the governed regions' opt-in statuses come to (pure): a failure
/// names every governed region that is off, a warning those being enabled
/// or unknown to Account Management; `(verdict, detail, fix)`.
pub(super) fn judge(
    governed: &[String],
    listed: &[RegionOptIn],
    account: Option<&str>,
) -> (Verdict, String, String) {
    let status = |r: &str| {
        listed
            .iter()
            .find(|l| l.region == r)
            .map(|l| l.status.as_str())
    };
    let mut off = Vec::new();
    let mut pending = Vec::new();
    let mut opt_in = 0;
    for r in governed {
        match status(r) {
            Some("ENABLED_BY_DEFAULT") => {}
            Some("ENABLED") => opt_in += 1,
            Some("ENABLING") => pending.push(format!("{r} (ENABLING)")),
            Some(s @ ("DISABLED" | "DISABLING")) => off.push(format!("{r} ({s})")),
            Some(other) => pending.push(format!("{r} ({other})")),
            None => pending.push(format!("{r} (not listed by Account Management)")),
        }
    }
    let account_flag = account
        .map(|a| format!(" --account-id {a}"))
        .unwrap_or_default();
    if !off.is_empty() {
        return (
            Verdict::Fail,
            format!("not enabled: {}", off.join(", ")),
            format!("enable each (aws account enable-region{account_flag} --region-name REGION), or remove it from the policy's regions: nothing can be configured in a region the account has not enabled"),
        );
    }
    if !pending.is_empty() {
        return (
            Verdict::Warn,
            format!("not enabled yet: {}", pending.join(", ")),
            "wait until Account Management reports them ENABLED (it can take minutes), then run doctor again".into(),
        );
    }
    let n = governed.len();
    (
        Verdict::Pass,
        format!("all {n} governed region(s) enabled ({opt_in} opt-in)"),
        String::new(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(pairs: &[(&str, &str)]) -> Vec<RegionOptIn> {
        pairs
            .iter()
            .map(|(r, s)| RegionOptIn {
                region: r.to_string(),
                status: s.to_string(),
            })
            .collect()
    }

    #[test]
    fn governed_regions_by_opt_in_status() {
        let all = listed(&[
            ("eu-west-1", "ENABLED_BY_DEFAULT"),
            ("me-central-1", "ENABLED"),
            ("af-south-1", "DISABLED"),
            ("ap-east-1", "ENABLING"),
            ("eu-south-2", "DISABLING"),
            ("il-central-1", "SOMETHING_NEW"),
        ]);
        let cases: &[(&[&str], Verdict, &str)] = &[
            (
                &["eu-west-1"],
                Verdict::Pass,
                "all 1 governed region(s) enabled (0 opt-in)",
            ),
            (&["eu-west-1", "me-central-1"], Verdict::Pass, "(1 opt-in)"),
            (
                &["eu-west-1", "af-south-1"],
                Verdict::Fail,
                "not enabled: af-south-1 (DISABLED)",
            ),
            (
                &["eu-south-2", "ap-east-1"],
                Verdict::Fail,
                "eu-south-2 (DISABLING)",
            ),
            (&["ap-east-1"], Verdict::Warn, "ap-east-1 (ENABLING)"),
            (
                &["il-central-1"],
                Verdict::Warn,
                "il-central-1 (SOMETHING_NEW)",
            ),
            (
                &["xx-nowhere-9"],
                Verdict::Warn,
                "not listed by Account Management",
            ),
            (&[], Verdict::Pass, "all 0 governed"),
        ];
        for (governed, verdict, says) in cases {
            let governed: Vec<String> = governed.iter().map(|s| s.to_string()).collect();
            let (v, detail, _) = judge(&governed, &all, None);
            assert_eq!(v, *verdict, "{governed:?}: {detail}");
            assert!(detail.contains(says), "{governed:?}: {detail}");
        }
    }

    #[test]
    fn the_fix_names_the_member_account() {
        let all = listed(&[("af-south-1", "DISABLED")]);
        let (_, _, fix) = judge(&["af-south-1".into()], &all, Some("111122223333"));
        assert!(fix.contains("--account-id 111122223333"), "{fix}");
        let (_, _, fix) = judge(&["af-south-1".into()], &all, None);
        assert!(!fix.contains("--account-id"), "{fix}");
    }
}
