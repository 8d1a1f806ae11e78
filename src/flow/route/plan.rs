//! What `handle` would do with a classified trigger under a policy, said
//! offline (`explain --policy`). Composes the decisions `handle` itself
//! makes, which are pure: the router's choice of worker
//! ([`route::worker`]), the account worker's regions
//! ([`workers::account::scope`]), the session document worker's filter
//! ([`workers::session_document::not_looked_at`]) and the policy's answer
//! from an account id ([`Policy::standing_by_id`], [`Policy::desired`]).
//! What only AWS can say at handling time (the account's OU path) is
//! named, never guessed.

use super::{self as route, Worker};
use crate::domain::policy::{Desired, Policy, Standing};
use crate::domain::trigger::Trigger;
use crate::flow::workers;

/// One sentence: `would reconcile …`, `would ignore: …`, and so on.
pub fn plan(policy: &Policy, t: &Trigger) -> String {
    let at = |r: &Option<String>| r.clone().unwrap_or_default();
    match route::worker(t) {
        Worker::None => format!("would ignore: {}", t.reason),
        Worker::Account => account(policy, t),
        Worker::OuBaseline => format!(
            "would reconcile every account the baseline's OU covers, in {} ({})",
            policy.regions.join(", "),
            t.reason
        ),
        Worker::Sweep => format!(
            "would sweep every account of the organization in {} (fanned out over the sweep queue above the threshold, when one is set)",
            policy.regions.join(", ")
        ),
        Worker::RunAsOverride => format!(
            "would look at the Run As override it reports: IAM's tags, or Identity Center's mapping against the declared one ({})",
            t.reason
        ),
        Worker::SessionDocument => {
            let document = t.context.document.clone().unwrap_or_default();
            let (account, region) = (at(&t.account), at(&t.region));
            match workers::session_document::not_looked_at(policy, &region, &document) {
                Some(why) => format!("would ignore: {why}"),
                None => format!("would read {document} in {account} {region} and alert run_as_bypass if it opens sessions that skip Run As"),
            }
        }
        Worker::ForwardingCanary => format!(
            "would record the forwarding canary's arrival from {} {}",
            at(&t.account),
            at(&t.region)
        ),
    }
}

/// A vend, move, baseline, member stack or document event: one account.
fn account(policy: &Policy, t: &Trigger) -> String {
    let scope = match workers::account::scope(policy, t) {
        Ok(s) => s,
        Err(why) => return format!("would ignore: {why}"),
    };
    let Some(account) = t.account.as_deref().filter(|a| !a.is_empty()) else {
        return "would ignore: the event names no account".into();
    };
    let regions = scope.regions.join(", ");
    // OU rules and OU-wide exemptions need the account's OU path, which
    // handle reads from Organizations: said, not guessed.
    let by_ou = if policy.ou_ids().next().is_some() {
        "; by its id alone: an [[ou]] rule over its OU (read when handled) may give another user or mode"
    } else {
        ""
    };
    match policy.standing_by_id(account) {
        None => format!(
            "would reconcile {account} {regions} if its OU is governed: [exempt] ous or [scope] ous decide, from its OU path read when handled"
        ),
        Some(Standing::Exempt) => format!(
            "would report {account} {regions} excluded (exempt by policy): nothing read or written"
        ),
        Some(Standing::OutOfScope) => {
            format!("would ignore: {}", crate::flow::account::out_of_scope(account))
        }
        Some(Standing::Governed) => match policy.desired(account, &[]) {
            Desired::User { user, source, mode } => format!(
                "would reconcile {account} {regions} (governed, mode {}, user {user} from {source}{by_ou})",
                mode.as_str()
            ),
            _ => format!(
                "would fail {account} {regions}: in scope, but no rule names a Run As user ({}){by_ou}",
                crate::flow::account::NO_RULE
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const BASE: &str = r#"
member_role = "RunAsGuardExecution"
regions = ["us-east-1", "eu-west-1"]
mode = "enforce"
[default]
run_as_user = "ssm-ops"
[exempt]
accounts = ["444455556666"]
"#;
    const SCOPED: &str = r#"
member_role = "RunAsGuardExecution"
regions = ["us-east-1", "eu-west-1"]
[scope]
accounts = ["111122223333"]
[default]
run_as_user = "ssm-ops"
"#;
    const BY_OU: &str = r#"
member_role = "RunAsGuardExecution"
regions = ["eu-west-1"]
[scope]
ous = ["ou-ab12-prod0001"]
"#;
    const RULES: &str = r#"
member_role = "RunAsGuardExecution"
regions = ["eu-west-1"]
[default]
run_as_user = "ssm-ops"
[[ou]]
id = "ou-ab12-prod0001"
run_as_user = "produser"
[[account]]
id = "111122223333"
run_as_user = "dbadmin"
mode = "audit"
"#;

    fn event(file: &str) -> Value {
        let text = match file {
            "update" => include_str!("../../../events/document_changed.ssm-update-document.json"),
            "vend" => {
                include_str!(
                    "../../../events/account_vended.organizations-create-account-result.json"
                )
            }
            "sweep" => include_str!("../../../events/sweep.scheduled-event.json"),
            "ec2" => include_str!("../../../events/ignored.ec2-run-instances.json"),
            "session" => include_str!(
                "../../../events/session_document_changed.ssm-update-other-session-document.json"
            ),
            other => panic!("no sample {other}"),
        };
        serde_json::from_str(text).unwrap()
    }

    /// The sample, moved to another account and/or region.
    fn at(file: &str, account: Option<&str>, region: Option<&str>) -> Value {
        let mut e = event(file);
        if let Some(a) = account {
            e["account"] = a.into();
            if e["detail"]["recipientAccountId"].is_string() {
                e["detail"]["recipientAccountId"] = a.into();
            }
        }
        if let Some(r) = region {
            e["region"] = r.into();
            if e["detail"]["awsRegion"].is_string() {
                e["detail"]["awsRegion"] = r.into();
            }
        }
        e
    }

    fn planned(policy: &str, e: &Value) -> String {
        let policy = Policy::parse(policy, "test.toml").unwrap();
        let t = crate::domain::trigger::classify_governed(
            e,
            &policy.document_names(),
            policy.check_document.as_deref(),
            &crate::domain::config::explained_stack_set(),
        )
        .unwrap();
        plan(&policy, &t)
    }

    #[test]
    fn explain_says_what_handle_would_do() {
        // (policy, event, what the plan says)
        let cases: Vec<(&str, Value, String)> = vec![
            (BASE, at("update", None, None), "would reconcile 111122223333 eu-west-1 (governed, mode enforce, user ssm-ops from default)".into()),
            (BASE, at("update", None, Some("ap-south-1")), "would ignore: region ap-south-1 is not governed by the policy".into()),
            (BASE, at("vend", None, None), "would reconcile 210987654321 us-east-1, eu-west-1 (governed, mode enforce, user ssm-ops from default)".into()),
            (BASE, at("update", Some("444455556666"), None), "would report 444455556666 eu-west-1 excluded (exempt by policy): nothing read or written".into()),
            (SCOPED, at("vend", None, None), "would ignore: account 210987654321 is out of scope: outside the policy's [scope]".into()),
            (SCOPED, at("update", None, None), "would reconcile 111122223333 eu-west-1 (governed, mode enforce, user ssm-ops from default)".into()),
            (BY_OU, at("update", None, None), "would reconcile 111122223333 eu-west-1 if its OU is governed: [exempt] ous or [scope] ous decide, from its OU path read when handled".into()),
            (RULES, at("update", None, None), "would reconcile 111122223333 eu-west-1 (governed, mode audit, user dbadmin from account 111122223333; by its id alone: an [[ou]] rule over its OU (read when handled) may give another user or mode)".into()),
            (BASE, event("sweep"), "would sweep every account of the organization in us-east-1, eu-west-1 (fanned out over the sweep queue above the threshold, when one is set)".into()),
        ];
        for (policy, e, want) in &cases {
            assert_eq!(planned(policy, e), *want, "{e}");
        }
    }

    #[test]
    fn what_handle_ignores_explain_ignores_for_the_same_reason() {
        let policy = Policy::parse(BASE, "test.toml").unwrap();
        for e in [event("ec2"), at("session", None, Some("ap-south-1"))] {
            let t = crate::domain::trigger::classify_governed(
                &e,
                &policy.document_names(),
                policy.check_document.as_deref(),
                &crate::domain::config::explained_stack_set(),
            )
            .unwrap();
            let said = plan(&policy, &t);
            assert!(said.starts_with("would ignore: "), "{said}");
            if t.kind == crate::domain::trigger::TriggerKind::Ignored {
                assert_eq!(said, format!("would ignore: {}", t.reason));
            } else {
                assert_eq!(
                    said,
                    "would ignore: region ap-south-1 is not governed by the policy"
                );
            }
        }
        let read = planned(BASE, &at("session", None, Some("eu-west-1")));
        assert!(read.starts_with("would read "), "{read}");
    }
}
