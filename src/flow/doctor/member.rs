//! One member account: in the organization, a role runas-guard can assume
//! there (with its session policy), and every governed document readable.

use aws_config::SdkConfig;

use super::errors::{read_fix, said};
use super::member_role::{role, seated};
use super::nodes::Seen;
use super::List;
use crate::adapters::aws::dynamodb::Table;
use crate::adapters::aws::organizations::Org;
use crate::adapters::aws::ssm::DocumentStore;
use crate::adapters::aws::sts::MemberSession;
use crate::adapters::store::state::StateStore;
use crate::domain::policy::{Policy, Standing};
use crate::domain::ports::Documents;
use crate::domain::preferences::{Preferences, RunAs};
use crate::domain::seat::Seat;
use crate::flow::reconcile::is_region_disabled;

/// Where the account stands, once read (`None`: not in the organization or
/// not active); an exempt or out-of-scope account is said so, not probed.
/// `who`: the caller's ARN, and the operator's seat when one is set.
pub(super) async fn check(
    config: &SdkConfig,
    policy: &Policy,
    account: &str,
    who: (Option<&str>, Option<&Seat>),
    member: &mut List,
) -> Option<Standing> {
    let (identity, seat) = who;
    // One view: the account's DescribeAccount answers its OU path (`Paths`) too.
    let org = Org::new(config);
    if !in_organization(&org, account, member).await {
        return None;
    }
    let (standing, path) = standing(&org, policy, account, member).await;
    if standing != Standing::Governed {
        let at = match &path {
            Some(p) => org.path_names(account, p).await,
            None => String::new(),
        };
        member.skip("role", unprobed(policy, account, path.as_deref(), &at));
        return Some(standing);
    }
    let session = match seat {
        Some(seat) => seated(config, policy, account, seat, member).await,
        None => role(config, policy, account, identity, member).await,
    };
    let Some(session) = session else {
        return Some(standing);
    };
    let seen = documents(policy, account, &session, member).await;
    super::security_hub::member(policy, &session, member).await;
    if policy.check_document.is_some() {
        let targets = policy.targets(account, &ou_path(&org, account, path).await);
        super::nodes::check(policy, (account, &targets), &session, &seen, member).await;
    }
    // From the operator's seat the role that writes is the function's.
    let writer = match seat {
        Some(_) => &policy.member_role,
        None => &session.role,
    };
    member.skip(
        "write",
        format!(
            "not checked (no dry-run API): SSM cannot test CreateDocument/UpdateDocument/UpdateDocumentDefaultVersion without writing; {writer}'s own policy and any SCP decide (infra/member.yaml, infra/scp/README.md)"
        ),
    );
    Some(standing)
}

/// The account's standing: by its id when that decides, else by its OU
/// path (returned too). A path that cannot be read is said, and the
/// account checked as governed.
async fn standing(
    org: &Org,
    policy: &Policy,
    account: &str,
    member: &mut List,
) -> (Standing, Option<Vec<String>>) {
    if let Some(s) = policy.standing_by_id(account) {
        return (s, None);
    }
    match org.path(account, account, false).await {
        Ok(Some(path)) => (policy.standing(account, &path), Some(path)),
        Ok(None) => (Standing::Governed, None),
        Err(e) => {
            member.warn(
                "scope",
                format!("cannot read its OU path ({}), so [scope] and [exempt] ous are not applied: checked as governed", said(&e)),
                "give these credentials organizations:DescribeAccount (its Paths) and organizations:ListParents",
            );
            (Standing::Governed, None)
        }
    }
}

/// The account's OU path, for the modes its rules give it: as `standing`
/// read it, else read now (its id alone decided the standing). Unreadable,
/// the rules by account id and the policy's mode decide (`standing` has
/// said why).
async fn ou_path(org: &Org, account: &str, read: Option<Vec<String>>) -> Vec<String> {
    if let Some(path) = read {
        return path;
    }
    org.path(account, account, false)
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Why an account is not probed (pure): exempt by id or by an OU above it,
/// or outside `[scope]`; `at`: its OU path by name, when read.
pub(super) fn unprobed(
    policy: &Policy,
    account: &str,
    path: Option<&[String]>,
    at: &str,
) -> String {
    let at = if at.is_empty() {
        String::new()
    } else {
        format!(" (at {at})")
    };
    if policy.is_exempt(account) {
        return "exempt in the policy ([exempt] accounts): runas-guard never touches this account"
            .into();
    }
    let exempt_ou = path
        .unwrap_or_default()
        .iter()
        .find(|o| policy.exempt_ou_ids().any(|e| e == *o));
    if let Some(ou) = exempt_ou {
        return format!("exempt in the policy: below {ou}, in [exempt] ous{at}: runas-guard never touches this account");
    }
    let scope = policy
        .scope
        .as_ref()
        .map(|s| s.ous.iter().chain(&s.accounts).cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    format!(
        "out of scope{at}: outside the policy's [scope] ({}): runas-guard never assumes a role, writes, records or alerts here, and ignores its events; widen [scope] to govern it",
        scope.join(", ")
    )
}

/// In the organization and active; false when there is nothing more to check.
async fn in_organization(org: &Org, account: &str, member: &mut List) -> bool {
    match org.describe_account(account).await {
        Ok(None) => {
            member.fail(
                "organization",
                format!("{account} is not in this organization"),
                "check the account id: runas-guard only reaches accounts in the organization",
            );
            return false;
        }
        Ok(Some(info)) => return standing_said(&info, member),
        Err(e) => member.fail(
            "organization",
            said(&e),
            "run from the management account or a delegated administrator with Organizations read access",
        ),
    }
    true
}

/// The state Organizations gives the account (`State`, `Status` only where
/// `State` is absent), said as read; true when runas-guard governs it now.
fn standing_said(
    info: &crate::adapters::aws::organizations::AccountInfo,
    member: &mut List,
) -> bool {
    use crate::domain::org_state::Treatment;
    let who = format!("{} ({})", info.id, info.name);
    match info.state.treatment() {
        Treatment::Govern => {
            member.pass("organization", format!("{who}, state ACTIVE"));
            return true;
        }
        Treatment::Wait => member.skip(
            "organization",
            format!("{who}: state PENDING_ACTIVATION; runas-guard configures it once it is ACTIVE"),
        ),
        Treatment::Skip => member.skip(
            "organization",
            format!("{who}: state {}; runas-guard skips it", info.state.as_str()),
        ),
        Treatment::Error => member.fail(
            "organization",
            format!("{who}: {}", info.state.describe()),
            "sweeps report this account failed (AccountStateUnreadable) until Organizations answers its State: check DescribeAccount for it, and upgrade runas-guard if AWS added a state",
        ),
    }
    false
}

/// What runas-guard last recorded for the account: rows awaiting the member
/// stack (since when, for what) and rows whose last run failed.
pub(super) async fn recorded(
    config: &SdkConfig,
    table: Option<&str>,
    account: &str,
    member: &mut List,
) {
    let Some(table) = table else {
        return member.skip(
            "recorded",
            "not checked: no table (RUNAS_GUARD_TABLE or --table)",
        );
    };
    let store = StateStore::new(Table::new(config, table));
    let rows = match store.list(Some(account)).await {
        Ok(rows) => rows,
        Err(e) => {
            return member.warn(
                "recorded",
                said(&e),
                "the credentials need dynamodb:Query on the state table",
            )
        }
    };
    let mut quiet = 0;
    for r in &rows {
        let item = format!(
            "recorded {}",
            crate::domain::report::place(&r.region, Some(&r.document))
        );
        let error = r.last_error.clone().unwrap_or_default();
        match r.status.as_str() {
            "pending" => member.warn(&item, format!("pending: {error}"), "nothing to do yet: the member stack's instance event, or the next re-attempt, configures it"),
            "failed" => member.warn(&item, format!("the last run failed: {error}"), format!("fix what the error names; `runas-guard history --account {account}` shows the runs")),
            _ => quiet += 1,
        }
    }
    super::forwarding::canary(&rows, member);
    if quiet == rows.len() {
        member.pass(
            "recorded",
            format!(
                "{} account-region(s) recorded, none pending or failed",
                rows.len()
            ),
        );
    }
}

/// Every governed document readable in every governed region; what each
/// says of Run As, for the user check.
async fn documents(
    policy: &Policy,
    account: &str,
    session: &MemberSession,
    member: &mut List,
) -> Seen {
    let mut seen = Seen::default();
    for (region, name) in policy
        .regions
        .iter()
        .flat_map(|r| policy.document_names().into_iter().map(move |n| (r, n)))
    {
        let docs = DocumentStore::named(session.ssm(region), account, region, name);
        if let Some(read) = document(&docs, (account, region, name), member).await {
            seen.add(region, read);
        }
    }
    seen
}

/// One document checked: its Run As (off where there is none; `None`
/// where it could not be read), or nothing in a region not enabled.
async fn document(
    docs: &DocumentStore,
    (account, region, name): (&str, &str, &str),
    member: &mut List,
) -> Option<Option<RunAs>> {
    let item = format!(
        "document {}",
        crate::domain::report::place(region, Some(name))
    );
    let versions = match docs.versions().await {
        Ok(v) => v,
        Err(e) if is_region_disabled(&e.code) => {
            member.skip(
                &item,
                format!("region not enabled in this account ({})", e.code),
            );
            return None;
        }
        Err(e) => {
            member.fail(&item, said(&e), read_fix(account, region, name, &e));
            return Some(None);
        }
    };
    let Some(v) = versions else {
        member.pass(&item, "no document yet (runas-guard creates it)");
        return Some(Some(RunAs::default()));
    };
    match docs.content(None).await {
        Ok(Some(crate::domain::ports::Got { content, .. })) => {
            let parsed = Preferences::parse(&content).map(|p| p.run_as());
            let run_as = match &parsed {
                Ok(r) => r.short(),
                Err(e) => format!("unreadable content ({e})"),
            };
            member.pass(
                &item,
                format!(
                    "readable: default version {}, latest {}, RunAs {run_as}",
                    v.default, v.latest
                ),
            );
            Some(parsed.ok())
        }
        Ok(None) => {
            member.pass(&item, "no document (deleted while looking)");
            Some(Some(RunAs::default()))
        }
        Err(e) => {
            member.fail(&item, said(&e), read_fix(account, region, name, &e));
            Some(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"
member_role = "RunAsGuardExecution"
regions = ["us-east-1"]
[scope]
ous = ["ou-ab12-work0001"]
accounts = ["999988887777"]
[exempt]
accounts = ["444455556666"]
ous = ["ou-ab12-sand0001"]
"#;

    fn path(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn why_an_account_is_not_probed() {
        let p = Policy::parse(POLICY, "p.toml").unwrap();
        let work = path(&["r-ab12", "ou-ab12-work0001"]);
        let sandbox = path(&["r-ab12", "ou-ab12-work0001", "ou-ab12-sand0001"]);
        let other = path(&["r-ab12", "ou-ab12-secu0001"]);
        // (account, path, its standing, what is said)
        let rows: [(&str, &[String], Standing, &str); 5] = [
            ("111122223333", &work, Standing::Governed, ""),
            ("444455556666", &work, Standing::Exempt, "exempt in the policy ([exempt] accounts)"),
            ("111122223333", &sandbox, Standing::Exempt, "below ou-ab12-sand0001, in [exempt] ous (at Root/W/S)"),
            ("111122223333", &other, Standing::OutOfScope, "out of scope (at Root/W/S): outside the policy's [scope] (ou-ab12-work0001, 999988887777)"),
            ("999988887777", &other, Standing::Governed, ""),
        ];
        for (account, path, standing, says) in rows {
            assert_eq!(p.standing(account, path), standing, "{account} {path:?}");
            if standing != Standing::Governed {
                let said = unprobed(&p, account, Some(path), "Root/W/S");
                assert!(said.contains(says), "{said}");
            }
        }
        // By id alone (no path read): no "at".
        let said = unprobed(&p, "444455556666", None, "");
        assert!(!said.contains("(at"), "{said}");
    }
}
