//! The deployed stacks against the configuration: the hub stack's
//! parameters and outputs, the member StackSet's regions.

use super::errors::{denied, otherwise, permission_fix, said};
use aws_config::SdkConfig;
use aws_sdk_cloudformation::types::Stack;

use super::{Given, Inputs, List, HUB_STACK_FALLBACKS};
use crate::aws::AwsError;
use crate::policy::Policy;

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

/// DescribeStacks, or the failure said in the list.
async fn described(config: &SdkConfig, stack: &str, hub: &mut List) -> Option<Stack> {
    let region = crate::aws::home_region(config);
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
    let region = crate::aws::home_region(config);
    let client = aws_sdk_cloudformation::Client::new(config);
    let mut regions = std::collections::BTreeSet::new();
    let mut pages = client
        .list_stack_instances()
        .stack_set_name(name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => regions.extend(
                page.summaries()
                    .iter()
                    .filter_map(|s| s.region().map(str::to_string)),
            ),
            Err(e) => {
                let e = AwsError::new("ListStackInstances", "-", &region, &e);
                let fix = if denied(&e) {
                    permission_fix("cloudformation:ListStackInstances (a delegated administrator needs --call-as DELEGATED_ADMIN rights)")
                } else if e.is("StackSetNotFoundException") {
                    format!("deploy infra/member.yaml as the StackSet {name}, or name it with --stackset")
                } else {
                    otherwise(&e, "check the endpoint, then retry")
                };
                hub.fail("stackset regions", format!("{name}: {}", said(&e)), fix);
                return;
            }
        }
    }
    let Some(p) = policy else {
        hub.skip("stackset regions", "not compared: the policy did not load");
        return;
    };
    let deployed: Vec<String> = regions.into_iter().collect();
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
}
