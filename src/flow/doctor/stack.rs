//! The deployed stacks against the configuration: the hub stack's
//! parameters and outputs, the member StackSet's regions and, with a
//! `[scope]`, its targets (`scope.rs` decides).

use super::errors::{denied, otherwise, permission_fix, said};
use aws_config::SdkConfig;
use aws_sdk_cloudformation::types::{CallAs, Stack};

use super::scope::{self, Case, Finding, Instance, Targets, Tree};
use super::stackset_calls;
use super::{Given, Inputs, List, Verdict, HUB_STACK_FALLBACKS};
use crate::adapters::aws::organizations::Org;
use crate::domain::aws_error::AwsError;
use crate::domain::policy::Policy;

pub(super) async fn stack(g: &Given<'_>, hub: &mut List) {
    let Some(stack) = g.inputs.stack.as_deref() else {
        hub.skip("stack", "not checked: name the hub stack with --stack to compare its parameters with the policy");
        return;
    };
    let (config, policy, inputs) = (g.config, g.policy, g.inputs);
    let Some(s) = described(config, stack, hub).await else {
        return;
    };
    let member_role =
        parameter(&s, "MemberRoleName").unwrap_or_else(|| "RunAsGuardExecution".into());
    compare_member_role(stack, &member_role, policy, hub);
    if let Some(p) = policy {
        compare_fallbacks(&s, &member_role, p, hub);
    }
    compare_outputs(&s, inputs, hub);
    runbook(stack, parameter(&s, "RunbookUrl").as_deref(), hub);
    if let Some(p) = policy {
        let stack_docs = parameter(&s, "NamedSessionDocuments").unwrap_or_default();
        match super::settings::named_documents(&stack_docs, p) {
            Ok(()) => hub.pass(
                "stack documents",
                "NamedSessionDocuments names exactly the policy's [[document]] entries",
            ),
            Err(m) => hub.fail("stack documents", format!("{stack}: {}", m.detail), m.fix),
        }
    }
}

/// An empty `RunbookUrl` leaves every alert's "what to do" link pointing
/// at a relative `README.md` that no mail client or chat can open while
/// on-call is paged: a warning naming the parameter.
fn runbook(stack: &str, url: Option<&str>, hub: &mut List) {
    match url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => hub.pass("stack runbook", format!("RunbookUrl is {u}")),
        None => hub.warn(
            "stack runbook",
            format!("{stack}: RunbookUrl is empty, so alerts link to a relative README.md that no mail client or chat opens"),
            format!("update {stack} with RunbookUrl set to your operators' copy of the runbook (an https:// URL)"),
        ),
    }
}

/// DescribeStacks, or the failure said in the list.
async fn described(config: &SdkConfig, stack: &str, hub: &mut List) -> Option<Stack> {
    let region = crate::adapters::aws::home_region(config);
    let got = aws_sdk_cloudformation::Client::new(config)
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| AwsError::new("DescribeStacks", "-", &region, &e));
    match got {
        Ok(out) => match out.stacks().first() {
            Some(s) => Some(s.clone()),
            None => {
                hub.fail(
                    "stack",
                    format!("{stack}: not found in {region}"),
                    format!("deploy infra/hub.yaml as stack {stack} in {region}, or name the hub stack with --stack"),
                );
                None
            }
        },
        Err(e) => {
            let fix = if denied(&e) {
                permission_fix("cloudformation:DescribeStacks")
            } else {
                format!("deploy infra/hub.yaml as stack {stack} in {region}, or name the hub stack with --stack")
            };
            hub.fail("stack", format!("{stack}: {}", said(&e)), fix);
            None
        }
    }
}

/// The hub stack's sweep queue (its `SweepQueueUrl` output), when it can
/// be read: the queue check then checks it, as if it had been given.
pub(super) async fn sweep_queue(config: &SdkConfig, stack: &str) -> Option<String> {
    let out = aws_sdk_cloudformation::Client::new(config)
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .ok()?;
    output(out.stacks().first()?, "SweepQueueUrl").filter(|u| !u.is_empty())
}

fn parameter(s: &Stack, key: &str) -> Option<String> {
    s.parameters()
        .iter()
        .find(|p| p.parameter_key() == Some(key))
        .and_then(|p| p.parameter_value())
        .map(str::to_string)
}

fn output(s: &Stack, key: &str) -> Option<String> {
    s.outputs()
        .iter()
        .find(|o| o.output_key() == Some(key))
        .and_then(|o| o.output_value())
        .map(str::to_string)
}

/// The stack's MemberRoleName (the template's default when not given) is
/// the policy's member_role.
fn compare_member_role(stack: &str, member_role: &str, policy: Option<&Policy>, hub: &mut List) {
    match policy {
        None => hub.skip(
            "stack member role",
            format!("{stack}: MemberRoleName {member_role}; not compared: the policy did not load"),
        ),
        Some(p) if p.member_role == member_role => hub.pass(
            "stack member role",
            format!("{stack}: MemberRoleName {member_role} = the policy's member_role"),
        ),
        Some(p) => hub.fail(
            "stack member role",
            format!(
                "{stack}: MemberRoleName is {member_role} but the policy's member_role is {}",
                p.member_role
            ),
            format!(
                "set member_role = \"{member_role}\" in the policy, or update the hub stack (and the member StackSet) with MemberRoleName={}: the hub role may assume only that name and the fallbacks its FallbackRoles parameter chooses",
                p.member_role
            ),
        ),
    }
}

/// Every fallback role in the policy is one the hub role may assume.
fn compare_fallbacks(s: &Stack, member_role: &str, p: &Policy, hub: &mut List) {
    // The fallbacks the hub role may assume: its FallbackRoles parameter (a
    // stack from before the parameter allowed both).
    let stack_fallbacks: Vec<String> = match parameter(s, "FallbackRoles") {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        None => HUB_STACK_FALLBACKS.map(str::to_string).to_vec(),
    };
    let unusable: Vec<&str> = p
        .fallback_roles
        .iter()
        .map(String::as_str)
        .filter(|r| !stack_fallbacks.iter().any(|f| f == r) && *r != member_role)
        .collect();
    if unusable.is_empty() {
        hub.pass(
            "stack fallback roles",
            "every fallback role in the policy is one the hub role may assume",
        );
    } else {
        hub.fail(
            "stack fallback roles",
            format!(
                "the hub role may not assume {} (the stack allows {member_role}{})",
                unusable.join(", "),
                stack_fallbacks
                    .iter()
                    .map(|f| format!(", {f}"))
                    .collect::<String>()
            ),
            format!(
                "remove them from fallback_roles, or update the hub stack with FallbackRoles={}",
                p.fallback_roles.join(",")
            ),
        );
    }
}

/// The table and topic the CLI is configured with are the stack's outputs.
fn compare_outputs(s: &Stack, inputs: &Inputs, hub: &mut List) {
    for (item, key, configured, var) in [
        (
            "stack table",
            "TableName",
            &inputs.table,
            "RUNAS_GUARD_TABLE",
        ),
        (
            "stack topic",
            "TopicArn",
            &inputs.topic_arn,
            "RUNAS_GUARD_TOPIC_ARN",
        ),
    ] {
        match (output(s, key), configured) {
            (Some(out), Some(c)) if out == *c => {
                hub.pass(item, format!("{var} = the stack's {key} output"))
            }
            (Some(out), Some(c)) => hub.fail(
                item,
                format!("{var} is {c} but the stack's {key} output is {out}"),
                format!("set {var}={out}"),
            ),
            (Some(out), None) => hub.fail(
                item,
                format!("{var} is not set; the stack's {key} output is {out}"),
                format!("set {var}={out}"),
            ),
            (None, _) => hub.skip(item, format!("the stack has no {key} output to compare")),
        }
    }
}

/// The member StackSet's instances deploy the forwarding rule and role to
/// every governed region (plus us-east-1, where IAM's events are logged).
pub(super) async fn stackset(g: &Given<'_>, hub: &mut List) {
    let Some(name) = g.inputs.stackset.as_deref() else {
        hub.skip(
            "stackset regions",
            "not checked: name the member StackSet with --stackset to compare its regions with the policy's",
        );
        return;
    };
    let (config, policy) = (g.config, g.policy);
    let (instances, call_as) = match stackset_calls::instances(config, name).await {
        Ok(found) => found,
        Err(e) => {
            let fix = if denied(&e) {
                permission_fix("cloudformation:ListStackInstances (a delegated administrator needs --call-as DELEGATED_ADMIN rights)")
            } else if e.is("StackSetNotFoundException") {
                format!(
                    "deploy infra/member.yaml as the StackSet {name}, or name it with --stackset"
                )
            } else {
                otherwise(&e, "check the endpoint, then retry")
            };
            hub.fail("stackset regions", format!("{name}: {}", said(&e)), fix);
            return;
        }
    };
    let Some(p) = policy else {
        hub.skip("stackset regions", "not compared: the policy did not load");
        return;
    };
    let deployed = sorted(instances.iter().map(|i| i.region.clone()));
    match super::settings::stackset_regions(&deployed, p) {
        Ok(()) => hub.pass(
            "stackset regions",
            format!(
                "{name} deploys to every governed region and us-east-1 ({})",
                deployed.join(", ")
            ),
        ),
        Err(m) => hub.fail("stackset regions", format!("{name}: {}", m.detail), m.fix),
    }
    if p.scope.is_some() {
        targets(g.config, p, name, call_as, &instances, &deployed, hub).await;
    }
}

/// With a `[scope]`: the StackSet's targets against it.
async fn targets(
    config: &SdkConfig,
    policy: &Policy,
    name: &str,
    call_as: CallAs,
    instances: &[Instance],
    deployed: &[String],
    hub: &mut List,
) {
    let Some(scope) = policy.scope.as_ref() else {
        return;
    };
    let fix = |e: &AwsError, action: &str| match denied(e) {
        true => permission_fix(action),
        false => otherwise(e, "check the endpoint, then retry"),
    };
    let targets = stackset_calls::described(config, name, call_as)
        .await
        .unwrap_or_else(|e| {
            let detail = format!("{name}: {}; judged from its instances alone", said(&e));
            hub.warn(
                scope::ITEM,
                detail,
                fix(&e, "cloudformation:DescribeStackSet"),
            );
            let service_managed = instances.iter().any(|i| i.ou.is_some());
            Targets {
                service_managed,
                ..Targets::default()
            }
        });
    let tree = match tree(config).await {
        Ok(t) => t,
        Err(e) => {
            let detail = format!("cannot walk the organization: {}", said(&e));
            let reads = "organizations:ListRoots, ListOrganizationalUnitsForParent and ListAccountsForParent";
            return hub.fail(scope::ITEM, detail, fix(&e, reads));
        }
    };
    let iam = super::settings::IAM_EVENTS_REGION.to_string();
    let regions = sorted(policy.regions.iter().chain(deployed).chain([&iam]).cloned());
    let case = Case {
        name,
        scope,
        tree: &tree,
        targets: &targets,
        instances,
        regions: &regions,
    };
    let findings = scope::judge(&case)
        .into_iter()
        .chain(breadth(&case))
        .chain(auto_deployment(&targets, name));
    for f in findings {
        hub.add(f.item, f.verdict, f.detail, f.fix);
    }
}

/// The organization's tree, from one walk, and its management account.
async fn tree(config: &SdkConfig) -> Result<Tree, AwsError> {
    let org = Org::new(config);
    let mut tree = Tree::default();
    for a in org.walk().await? {
        tree.add(&a.id, &a.name, &org.walked_path(&a.id).unwrap_or_default());
    }
    for ou in org.walked_ids().map(|ids| ids.ous).unwrap_or_default() {
        let name = org.path_names("-", std::slice::from_ref(&ou)).await;
        tree.add(&ou, &name, &org.walked_path(&ou).unwrap_or_default());
    }
    let client = aws_sdk_organizations::Client::new(config);
    let described = client.describe_organization().send().await.ok();
    tree.management = described.and_then(|o| Some(o.organization()?.master_account_id()?.into()));
    Ok(tree)
}

/// Targets that reach only accounts outside the scope: harmless, broad.
fn breadth(case: &Case) -> Option<Finding> {
    let tree = case.tree;
    let mut said: Vec<String> = (case.target_ous().into_iter())
        .filter(|o| !case.reaches_scope(o))
        .map(|o| match tree.has(o) {
            true => tree.label(o),
            false => format!("{o} (not in the organization)"),
        })
        .collect();
    let accounts = sorted(
        (case.instances.iter())
            .filter(|i| i.ou.as_deref().is_none_or(str::is_empty) && !case.in_scope(&i.account))
            .filter(|i| tree.management.as_ref() != Some(&i.account))
            .map(|i| i.account.clone()),
    );
    if !accounts.is_empty() {
        let n = accounts.len();
        said.push(format!("{n} account(s): {}", scope::named(&accounts)));
    }
    (!said.is_empty()).then(|| Finding {
        item: "stackset breadth",
        verdict: Verdict::Warn,
        detail: format!("{} also reaches only accounts outside the scope, through {}: harmless (runas-guard never assumes its role there) but broader than the rollout needs", case.name, said.join("; ")),
        fix: Some("nothing needed; to narrow it, remove those targets (aws cloudformation delete-stack-instances, or LZA's deploymentTargets) but keep the instances of the hub account, a StackSets delegated administrator (StackSetAdminAccountId) and Identity Center's delegated administrator: they forward events for the whole organization".into()),
    })
}

/// Each once, in order, none empty.
fn sorted(items: impl Iterator<Item = String>) -> Vec<String> {
    let set: std::collections::BTreeSet<String> = items.filter(|s| !s.is_empty()).collect();
    set.into_iter().collect()
}

/// Automatic deployment off: an account vended into a targeted OU waits.
fn auto_deployment(targets: &Targets, name: &str) -> Option<Finding> {
    (targets.service_managed && targets.auto_deployment == Some(false)).then(|| Finding {
        item: "stackset auto-deployment",
        verdict: Verdict::Warn,
        detail: format!("{name}: automatic deployment is off: an account vended into a targeted OU, or moved into one, gets no member stack, so it is pending, then failed"),
        fix: Some(format!("aws cloudformation update-stack-set --stack-set-name {name} --use-previous-template --capabilities CAPABILITY_NAMED_IAM --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false, with each parameter as ParameterKey=NAME,UsePreviousValue=true")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both sides: an empty or blank RunbookUrl is warned, a set one passes.
    #[test]
    fn an_empty_runbook_url_is_warned() {
        for (url, want) in [
            (None, Verdict::Warn),
            (Some(""), Verdict::Warn),
            (Some("  "), Verdict::Warn),
            (Some("https://wiki.example.com/runas-guard"), Verdict::Pass),
        ] {
            let mut hub = List::new("hub");
            runbook("runas-guard-hub", url, &mut hub);
            let [check] = hub.checks.as_slice() else {
                panic!("{url:?}: {:?}", hub.checks.len())
            };
            assert_eq!(
                (check.item.as_str(), check.verdict),
                ("stack runbook", want),
                "{url:?}"
            );
            if want == Verdict::Warn {
                let fix = check.fix.as_deref().unwrap_or_default();
                assert!(
                    check.detail.contains("RunbookUrl") && fix.contains("RunbookUrl"),
                    "{check:?}"
                );
            }
        }
    }
    use crate::flow::doctor::scope::tests::{
        at, managed, scope, tree, MANAGEMENT, PROD, ROOT, SANDBOX,
    };

    fn broad(
        scope: &crate::domain::policy::Scope,
        targets: &Targets,
        instances: &[Instance],
    ) -> Option<Finding> {
        let tree = tree();
        let case = Case {
            name: "m",
            scope,
            tree: &tree,
            targets,
            instances,
            regions: &[],
        };
        breadth(&case)
    }

    #[test]
    fn targets_reaching_only_accounts_outside_the_scope() {
        let prod = scope(&[PROD], &[]);
        let outside = ["555555555555", "666666666666", MANAGEMENT];
        // (what, scope, targets, instances, the warning names; None: no warning)
        let rows: Vec<(&str, _, Targets, Vec<Instance>, Option<&str>)> = vec![
            (
                "the root reaches the scope too",
                prod.clone(),
                managed(&[ROOT]),
                at(&["111111111111"], Some(ROOT)),
                None,
            ),
            (
                "the scoped OU alone",
                prod.clone(),
                managed(&[PROD]),
                vec![],
                None,
            ),
            (
                "an OU outside",
                prod.clone(),
                managed(&[PROD, SANDBOX]),
                vec![],
                Some("through ou-ab12-sandbox1 (Sandbox): harmless"),
            ),
            (
                "an OU above a scoped account",
                scope(&[], &["555555555555"]),
                managed(&[SANDBOX]),
                vec![],
                None,
            ),
            (
                "an OU inside a scoped one",
                scope(&["ou-ab12-workload"], &[]),
                managed(&[PROD]),
                vec![],
                None,
            ),
            (
                "a target the organization does not have",
                prod.clone(),
                managed(&["ou-zz99-gone0001"]),
                vec![],
                Some("ou-zz99-gone0001 (not in the organization)"),
            ),
            (
                "self-managed: accounts outside, not the management account",
                prod.clone(),
                Targets::default(),
                at(&outside, None),
                Some("2 account(s): 555555555555, 666666666666:"),
            ),
            (
                "self-managed: accounts inside",
                prod,
                Targets::default(),
                at(&["111111111111", "222222222222"], None),
                None,
            ),
        ];
        for (what, scope, targets, instances, says) in rows {
            let out = broad(&scope, &targets, &instances);
            match says {
                None => assert!(out.is_none(), "{what}: {out:#?}"),
                Some(s) => {
                    let f = out.unwrap_or_else(|| panic!("{what}: no warning"));
                    assert_eq!(
                        (f.item, f.verdict),
                        ("stackset breadth", Verdict::Warn),
                        "{what}"
                    );
                    assert!(f.detail.contains(s), "{what}: {}", f.detail);
                    assert!(f.fix.unwrap().contains("StackSetAdminAccountId"), "{what}");
                }
            }
        }
    }

    #[test]
    fn automatic_deployment_off_is_said_for_service_managed_only() {
        let mut off = managed(&[ROOT]);
        off.auto_deployment = Some(false);
        let f = auto_deployment(&off, "m").unwrap();
        assert_eq!(f.verdict, Verdict::Warn);
        assert!(f.fix.unwrap().contains("--auto-deployment Enabled=true"));
        assert!(auto_deployment(&managed(&[ROOT]), "m").is_none());
        off.auto_deployment = None;
        assert!(auto_deployment(&off, "m").is_none());
        let self_managed = Targets {
            auto_deployment: Some(false),
            ..Targets::default()
        };
        assert!(auto_deployment(&self_managed, "m").is_none());
    }
}
