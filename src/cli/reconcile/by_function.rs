//! `reconcile --account` from on-call's seat: through the deployed
//! function (`--stack`, `--function`), or refused before anything is
//! written when these credentials cannot enter the accounts.

use std::process::ExitCode;

use runas_guard::adapters::aws::organizations::Org;
use runas_guard::adapters::aws::sts::Sts;
use runas_guard::domain::outcome::{AccountReport, Action};
use runas_guard::domain::policy::{Policy, Standing};
use runas_guard::domain::report::Format;
use runas_guard::domain::request::{Request, MAX_ACCOUNTS};
use runas_guard::flow::redrive::replay::{Deployed, Replayer};
use runas_guard::flow::sweep::Selection;
use serde_json::Value;

use super::super::output::{bad_input, failed};
use super::super::replay::ViaArgs;
use super::super::start::{outside_organization, Built};

/// The accounts, reconciled by the function with its own roles.
pub(super) async fn exec(
    scope: Selection,
    format: Format,
    stack: Option<&str>,
    function: Option<&str>,
) -> ExitCode {
    if let Err(line) = checked(&scope, stack) {
        return bad_input(line);
    }
    let config = match super::super::target::aws_config().await {
        Ok(c) => c,
        Err(e) => return bad_input(e),
    };
    match outside_organization(&config, &scope.accounts).await {
        Ok(missing) if missing.is_empty() => {}
        Ok(missing) => {
            return bad_input(format!(
                "--account {} not in the organization",
                missing.join(", ")
            ))
        }
        Err(e) => {
            return failed(format!(
                "cannot check --account against the organization: {e}"
            ))
        }
    }
    let via = ViaArgs::function_named(function.map(str::to_string));
    let function = match via.function(&config, stack).await {
        Ok(Some(f)) => f,
        Ok(None) => return failed("no function to ask: name it with --stack or --function"),
        Err(e) => return failed(e),
    };
    let request = Request::Reconcile {
        accounts: scope.accounts.clone(),
        regions: scope.regions.clone(),
    };
    let answer = Deployed(&function)
        .replay(&request.payload(), "reconcile")
        .await;
    let body = &answer.body;
    if answer.failed || body["result"] != "reconciled" {
        let why = body["reason"].as_str().unwrap_or("the function failed");
        return failed(format!(
            "reconcile by the function {}: {why}",
            function.invoked()
        ));
    }
    match format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&body["report"]).expect("JSON serialises")
        ),
        Format::Table => out!("{}", body["table"].as_str().unwrap_or_default()),
        Format::Csv => out!("{}", body["csv"].as_str().unwrap_or_default()),
    }
    answered_exit(body)
}

/// Bad input, before anything is asked.
fn checked(scope: &Selection, stack: Option<&str>) -> Result<(), String> {
    if scope.accounts.is_empty() {
        return Err("reconcile through the function needs --account ID (repeatable); for the whole organization run `runas-guard sweep --stack STACK`".into());
    }
    let bad = (scope.accounts.iter()).find(|a| !runas_guard::domain::ids::is_account_id(a));
    if let Some(bad) = bad {
        return Err(format!("--account {bad:?} is not a 12-digit account id"));
    }
    if scope.accounts.len() > MAX_ACCOUNTS {
        return Err(format!(
            "at most {MAX_ACCOUNTS} --account through the function at once"
        ));
    }
    if stack.is_some_and(|s| s.trim().is_empty()) {
        return Err("--stack needs the hub stack's name".into());
    }
    Ok(())
}

/// Exit 1 when any account-region failed, an alert was not delivered, or
/// the run was degraded, as `reconcile` in this process.
fn answered_exit(body: &Value) -> ExitCode {
    let report = &body["report"];
    let mut problems = Vec::new();
    if let Some(d) = body["degraded"].as_str() {
        problems.push(format!("DEGRADED (sweep_degraded sent): {d}"));
    }
    // A function before `failed_account_regions` answers rows only.
    let failed_places = report["failed_account_regions"]
        .as_u64()
        .or(report["failed"].as_u64())
        .unwrap_or(0);
    if failed_places > 0 {
        problems.push(format!(
            "{failed_places} account-region(s) failed (the report names them)"
        ));
    }
    let undelivered = report["alerts"]["kept"].as_u64().unwrap_or(0)
        + report["alerts"]["lost"].as_u64().unwrap_or(0);
    if undelivered > 0 {
        problems.push(format!("{undelivered} alert(s) not delivered"));
    }
    match problems.is_empty() {
        true => ExitCode::SUCCESS,
        false => failed(problems.join("; ")),
    }
}

/// `Err(line)` when these credentials cannot take the policy's member role
/// (nor a fallback role) in one of `accounts`: what to run instead. Only
/// accounts the policy governs are asked: one outside `[scope]` or exempt
/// is never entered (the run says why), so no role is assumed there.
pub(super) async fn can_enter(built: &Built, accounts: &[String]) -> Result<(), String> {
    let policy = built.reactor.policy();
    let mut roles = vec![policy.member_role.as_str()];
    roles.extend(policy.fallback_roles.iter().map(String::as_str));
    let sts = Sts::new(&built.config);
    let org = Org::new(&built.config);
    for account in accounts {
        if !governed(&org, policy, account).await {
            continue;
        }
        let Err(e) = sts
            .assume(account, &roles, "runas-guard-reconcile", None)
            .await
        else {
            continue;
        };
        if !matches!(e.code.as_str(), "AccessDenied" | "AccessDeniedException") {
            continue;
        }
        let who = sts
            .caller_arn()
            .await
            .unwrap_or_else(|_| "these credentials".into());
        return Err(format!(
            "reconcile --account {account}: {who} cannot take the member role {} in account {account} ({}: {}); it trusts only the hub role, so a reconcile that writes runs in the function: `runas-guard reconcile --account {account} --stack HUB_STACK` (or --function NAME). `runas-guard doctor --account {account}` says why the account failed; `reconcile --dry-run --account {account}` looks without writing. Nothing was written",
            roles.join(", then "),
            e.code,
            runas_guard::domain::aws_error::one_line(&e.message),
        ));
    }
    Ok(())
}

/// Whether the policy governs `account`: by its id when that decides, else
/// by its OU path (an account not found, or a path unreadable: not asked;
/// the run says why, and it never enters an account it cannot place).
async fn governed(org: &Org, policy: &Policy, account: &str) -> bool {
    let standing = match policy.standing_by_id(account) {
        Some(s) => s,
        None => match org.path(account, account, false).await {
            Ok(Some(path)) => policy.standing(account, &path),
            _ => return false,
        },
    };
    standing == Standing::Governed
}

/// A whole-organization reconcile that could enter no account needing a
/// session, because the member role refused it (pending for the member
/// stack, or AccessDenied): what to say, as `reconcile --account` says it
/// before writing. `None` when some account was entered, or none was refused.
pub(super) async fn refused_everywhere(built: &Built, reports: &[AccountReport]) -> Option<String> {
    let (refused, first) = refused_at_the_door(reports)?;
    let policy = built.reactor.policy();
    let who = Sts::new(&built.config)
        .caller_arn()
        .await
        .unwrap_or_else(|_| "these credentials".into());
    Some(format!(
        "reconcile: {who} could take the member role {} in none of the {} account(s) that need it ({first} first); it trusts only the hub role, so a reconcile that writes runs in the function: `runas-guard reconcile --stack HUB_STACK` (or --function NAME). Where the member stack has not landed yet, `runas-guard doctor --account {first}` says so; their rows above are pending or failed because of this, not because of the accounts",
        policy.member_role,
        refused.len()
    ))
}

/// The accounts whose member role refused this run, and the first of them,
/// when no account was entered with a role (pure). An account entered with
/// the caller's own credentials (the hub's) needs no role and is not one.
fn refused_at_the_door(reports: &[AccountReport]) -> Option<(Vec<&str>, String)> {
    let door = |o: &runas_guard::domain::outcome::RegionOutcome| {
        matches!(o.action, Action::Pending | Action::Failed)
            && matches!(
                o.error_code.as_deref(),
                Some("AwaitingMemberStack" | "AccessDenied" | "AccessDeniedException")
            )
    };
    if reports.iter().any(|r| r.role.is_some()) {
        return None;
    }
    let refused: Vec<&str> = (reports.iter())
        .filter(|r| !r.regions.is_empty() && r.regions.iter().all(door))
        .map(|r| r.account.as_str())
        .collect();
    let first = refused.first()?.to_string();
    Some((refused, first))
}

#[cfg(test)]
mod tests {
    use super::*;
    use runas_guard::domain::outcome::RegionOutcome;

    fn report(account: &str, role: Option<&str>, rows: Vec<RegionOutcome>) -> AccountReport {
        AccountReport {
            account: account.into(),
            name: None,
            ou_path: None,
            desired_user: None,
            rule: None,
            role: role.map(str::to_string),
            packed_policy_size: None,
            mode: None,
            left_governance: None,
            regions: rows,
            alerts_lost: 0,
            security_hub: None,
        }
    }

    /// Told only when the member role let this run into no account: a
    /// refusal beside an account entered is that account's own failure.
    #[test]
    fn refused_at_the_door_only_when_no_account_was_entered() {
        let pending = || {
            let mut o = RegionOutcome::failed("eu-west-1", "AccessDenied", "no".into());
            o.action = Action::Pending;
            o.error_code = Some("AwaitingMemberStack".into());
            o
        };
        let denied = || RegionOutcome::failed("us-east-1", "AccessDenied", "no".into());
        let throttled = || RegionOutcome::failed("us-east-1", "ThrottlingException", "slow".into());
        let fine = || RegionOutcome::skipped("us-east-1", Action::None, None);
        let hub = || report("123456789012", None, vec![fine()]);
        /// (case, the run's reports, the accounts refused and the first)
        type Case<'a> = (&'a str, Vec<AccountReport>, Option<(Vec<&'a str>, &'a str)>);
        let cases: Vec<Case> = vec![
            (
                "the seat: pending and denied, the hub read",
                vec![
                    hub(),
                    report("2", None, vec![pending()]),
                    report("3", None, vec![denied()]),
                ],
                Some((vec!["2", "3"], "2")),
            ),
            (
                "one account entered",
                vec![
                    report("2", None, vec![pending()]),
                    report("3", Some("RunAsGuardExecution"), vec![fine()]),
                ],
                None,
            ),
            ("nothing refused", vec![hub()], None),
            (
                "another failure",
                vec![report("2", None, vec![throttled()])],
                None,
            ),
            ("no account", vec![], None),
        ];
        for (case, reports, want) in cases {
            let got = refused_at_the_door(&reports);
            let want = want.map(|(a, f)| (a, f.to_string()));
            assert_eq!(got, want, "{case}");
        }
    }
}
