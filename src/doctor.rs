//! `runas-guard doctor`: a preflight checklist of a deployment, read-only.
//!
//! Hub side: the policy, the state table (key schema), the alert topic(s),
//! the sweep queue, Organizations, and, given `--stack`, the hub stack's
//! member role name. Member side, per `--account`: which role can be
//! assumed (with runas-guard's session policy), and the document readable
//! in every governed region. Nothing is written and nothing is published:
//! AWS has no dry run for `sns:Publish` or SSM document writes, so those are
//! reported as not checked rather than guessed.

use aws_config::SdkConfig;
use serde::Serialize;

use crate::aws::organizations::Org;
use crate::aws::ssm::DocumentStore;
use crate::aws::sts::{session_policy, Sts};
use crate::aws::AwsError;
use crate::policy::Policy;
use crate::ports::Documents;
use crate::preferences::Preferences;
use crate::reconcile::is_region_disabled;
use crate::report::{csv, Format};

/// The fallback roles the hub stack's role may assume (infra/hub.yaml,
/// `AssumeMemberRolesInsideTheOrganization`), besides `MemberRoleName`.
pub const HUB_STACK_FALLBACKS: [&str; 2] =
    ["AWSControlTowerExecution", "OrganizationAccountAccessRole"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    /// Not checked, or nothing to check; says why.
    Skip,
    /// Works, but worth a look (not a failure: doctor still exits 0).
    Warn,
}

impl Verdict {
    fn mark(self) -> &'static str {
        match self {
            Verdict::Pass => "✓",
            Verdict::Fail => "✗",
            Verdict::Skip => "-",
            Verdict::Warn => "!",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// `hub`, or `account <id>`.
    pub scope: String,
    pub item: String,
    pub verdict: Verdict,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    /// Who ran the checks (GetCallerIdentity): member checks use these
    /// credentials, not the function's role.
    pub identity: Option<String>,
    pub ok: bool,
    pub failed: usize,
    pub checks: Vec<Check>,
}

/// What to check, as the CLI resolved it from flags and environment.
pub struct Inputs {
    /// `(where it came from, the policy)`, or why it could not be loaded.
    pub policy: Result<(String, Policy), String>,
    pub table: Option<String>,
    pub topic_arn: Option<String>,
    pub chat_topic_arn: Option<String>,
    pub queue_url: Option<String>,
    pub stack: Option<String>,
    /// The member StackSet: its instances' regions are compared with the policy's.
    pub stackset: Option<String>,
    pub accounts: Vec<String>,
}

struct List {
    scope: String,
    checks: Vec<Check>,
}

impl List {
    fn add(
        &mut self,
        item: &str,
        verdict: Verdict,
        detail: impl Into<String>,
        fix: Option<String>,
    ) {
        self.checks.push(Check {
            scope: self.scope.clone(),
            item: item.into(),
            verdict,
            detail: crate::aws::one_line(&detail.into()),
            fix: fix.map(|f| crate::aws::one_line(&f)),
        });
    }
    fn pass(&mut self, item: &str, detail: impl Into<String>) {
        self.add(item, Verdict::Pass, detail, None);
    }
    fn skip(&mut self, item: &str, detail: impl Into<String>) {
        self.add(item, Verdict::Skip, detail, None);
    }
    fn warn(&mut self, item: &str, detail: impl Into<String>, fix: impl Into<String>) {
        self.add(item, Verdict::Warn, detail, Some(fix.into()));
    }
    fn fail(&mut self, item: &str, detail: impl Into<String>, fix: impl Into<String>) {
        self.add(item, Verdict::Fail, detail, Some(fix.into()));
    }
}

/// `code: message` of a failed call, for a check's detail.
fn said(e: &AwsError) -> String {
    format!("{} failed: {}: {}", e.operation, e.code, e.message)
}

fn denied(e: &AwsError) -> bool {
    e.code.contains("AccessDenied") || e.code == "AuthorizationError" || e.code == "Forbidden"
}

/// The fix an error about credentials or the way to AWS calls for, else `default`.
fn otherwise(e: &AwsError, default: &str) -> String {
    e.fix().unwrap_or(default).to_string()
}

/// A fix for a call the operator's own credentials may not make.
fn permission_fix(action: &str) -> String {
    format!("your credentials may not call {action}: run doctor with credentials that can (the hub role's permissions are in infra/hub.yaml)")
}

pub async fn run(config: &SdkConfig, inputs: &Inputs) -> Checklist {
    let identity = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .ok()
        .and_then(|o| o.arn().map(str::to_string));
    let mut hub = List {
        scope: "hub".into(),
        checks: vec![],
    };
    let policy = match &inputs.policy {
        Ok((source, p)) => {
            let warnings = p.warnings();
            hub.pass(
                "policy",
                format!(
                    "{source}: valid: regions {}, mode {}, member role {}, fallbacks {}",
                    p.regions.join(", "),
                    match p.mode {
                        crate::policy::Mode::Enforce => "enforce",
                        crate::policy::Mode::Audit => "audit",
                    },
                    p.member_role,
                    if p.fallback_roles.is_empty() {
                        "none".into()
                    } else {
                        p.fallback_roles.join(", ")
                    }
                ),
            );
            if warnings.is_empty() {
                hub.pass(
                    "policy regions",
                    "every governed region is one this build knows",
                );
            } else {
                hub.warn(
                    "policy regions",
                    warnings.join("; "),
                    "if the name is right, nothing to do (the policy is in force as written); otherwise correct it",
                );
            }
            Some(p)
        }
        Err(e) => {
            let fix = if e.contains("RUNAS_GUARD_POLICY is not set") {
                "set RUNAS_GUARD_POLICY (or --policy) to the policy file or its s3://bucket/key URL (the hub stack's PolicyUrl output)"
            } else {
                "fix the key named; `runas-guard policy check FILE` runs the same validation (RUNAS_GUARD_POLICY or --policy names the file)"
            };
            hub.fail("policy", e.clone(), fix);
            None
        }
    };
    check_table(config, inputs.table.as_deref(), &mut hub).await;
    check_topic(config, "topic", inputs.topic_arn.as_deref(), true, &mut hub).await;
    check_topic(
        config,
        "chat topic",
        inputs.chat_topic_arn.as_deref(),
        false,
        &mut hub,
    )
    .await;
    check_queue(config, inputs.queue_url.as_deref(), &mut hub).await;
    check_organization(config, &mut hub).await;
    match policy {
        Some(p) => check_policy_ids(config, p, &mut hub).await,
        None => hub.skip("policy ids", "not checked: the policy did not load"),
    }
    if let Some(stack) = &inputs.stack {
        check_stack(config, stack, policy, inputs, &mut hub).await;
    } else {
        hub.skip("stack", "not checked: name the hub stack with --stack to compare its parameters with the policy");
    }
    match &inputs.stackset {
        Some(name) => check_stackset(config, name, policy, &mut hub).await,
        None => hub.skip(
            "stackset regions",
            "not checked: name the member StackSet with --stackset to compare its regions with the policy's",
        ),
    }
    if let Some(p) = policy {
        match crate::settings_check::scp_prefix(p) {
            Ok(()) => hub.pass(
                "scp prefix",
                "every [[document]] is named SSMRunAs-*, the documents the shipped SCPs protect",
            ),
            Err(m) => hub.fail("scp prefix", m.detail, m.fix),
        }
    }
    let mut checks = hub.checks;
    for account in &inputs.accounts {
        let mut member = List {
            scope: format!("account {account}"),
            checks: vec![],
        };
        match policy {
            Some(p) => check_member(config, p, account, identity.as_deref(), &mut member).await,
            None => member.skip("role", "not checked: the policy did not load"),
        }
        checks.extend(member.checks);
    }
    let failed = checks.iter().filter(|c| c.verdict == Verdict::Fail).count();
    Checklist {
        identity,
        ok: failed == 0,
        failed,
        checks,
    }
}

async fn check_table(config: &SdkConfig, table: Option<&str>, hub: &mut List) {
    let Some(name) = table else {
        hub.fail(
            "table",
            "RUNAS_GUARD_TABLE is not set",
            "set RUNAS_GUARD_TABLE (or --table) to the hub stack's TableName output",
        );
        return;
    };
    let region = crate::aws::home_region(config);
    let out = aws_sdk_dynamodb::Client::new(config)
        .describe_table()
        .table_name(name)
        .send()
        .await
        .map_err(|e| AwsError::new("DescribeTable", "-", &region, &e));
    let t = match out {
        Ok(out) => match out.table {
            Some(t) => t,
            None => {
                hub.fail(
                    "table",
                    format!("{name}: DescribeTable returned no table"),
                    "retry; if it persists, check the endpoint (AWS_ENDPOINT_URL)",
                );
                return;
            }
        },
        Err(e) if e.is("ResourceNotFoundException") => {
            hub.fail(
                "table",
                format!("{name}: no such table in {region}"),
                format!("create the table: deploy infra/hub.yaml (its StateTable: keys pk and sk, both strings), or set RUNAS_GUARD_TABLE to the table's name in {region}"),
            );
            return;
        }
        Err(e) => {
            let fix = if denied(&e) {
                permission_fix("dynamodb:DescribeTable")
            } else {
                otherwise(&e, "check AWS_REGION and the endpoint, then retry")
            };
            hub.fail("table", format!("{name}: {}", said(&e)), fix);
            return;
        }
    };
    let key_type = |attr: &str| {
        t.key_schema()
            .iter()
            .find(|k| k.attribute_name() == attr)
            .map(|k| k.key_type().as_str().to_string())
    };
    let attr_type = |attr: &str| {
        t.attribute_definitions()
            .iter()
            .find(|a| a.attribute_name() == attr)
            .map(|a| a.attribute_type().as_str().to_string())
    };
    let schema_ok = t.key_schema().len() == 2
        && key_type("pk").as_deref() == Some("HASH")
        && key_type("sk").as_deref() == Some("RANGE")
        && attr_type("pk").as_deref() == Some("S")
        && attr_type("sk").as_deref() == Some("S");
    let schema: Vec<String> = t
        .key_schema()
        .iter()
        .map(|k| {
            format!(
                "{} ({}, {})",
                k.attribute_name(),
                k.key_type().as_str(),
                attr_type(k.attribute_name()).unwrap_or_else(|| "?".into())
            )
        })
        .collect();
    let status = t
        .table_status()
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|| "unknown".into());
    if !schema_ok {
        hub.fail(
            "table",
            format!("{name}: key schema is {}", schema.join(", ")),
            "runas-guard needs keys pk (HASH, string) and sk (RANGE, string): create a table as infra/hub.yaml does and point RUNAS_GUARD_TABLE at it",
        );
    } else if !matches!(status.as_str(), "ACTIVE" | "UPDATING") {
        hub.fail(
            "table",
            format!("{name}: status {status}"),
            "wait until the table is ACTIVE, then run doctor again",
        );
    } else {
        hub.pass(
            "table",
            format!("{name}: {status}, keys {}", schema.join(", ")),
        );
    }
}

async fn check_topic(
    config: &SdkConfig,
    item: &str,
    arn: Option<&str>,
    required: bool,
    hub: &mut List,
) {
    let Some(arn) = arn else {
        if required {
            hub.fail(
                item,
                "RUNAS_GUARD_TOPIC_ARN is not set",
                "set RUNAS_GUARD_TOPIC_ARN (or --topic-arn) to the hub stack's TopicArn output",
            );
        } else {
            hub.skip(item, "not configured (RUNAS_GUARD_CHAT_TOPIC_ARN)");
        }
        return;
    };
    let region = crate::aws::home_region(config);
    let got = aws_sdk_sns::Client::new(config)
        .get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::new("GetTopicAttributes", "-", &region, &e));
    match got {
        Ok(out) => {
            let subscriptions = out
                .attributes()
                .and_then(|a| a.get("SubscriptionsConfirmed"))
                .cloned()
                .unwrap_or_else(|| "?".into());
            hub.pass(
                item,
                format!("{arn}: exists, {subscriptions} confirmed subscription(s); a publish is not attempted (SNS has no dry run), so the topic policy and KMS key are not proven"),
            );
        }
        Err(e) => {
            let fix = if e.is("NotFound") || e.is("NotFoundException") || e.is("InvalidParameter") {
                format!(
                    "create the topic (infra/hub.yaml) or set the ARN to the hub stack's {} output",
                    if required { "TopicArn" } else { "ChatTopicArn" }
                )
            } else if denied(&e) {
                permission_fix("sns:GetTopicAttributes")
            } else {
                otherwise(&e, "check the ARN's region and the endpoint, then retry")
            };
            hub.fail(item, format!("{arn}: {}", said(&e)), fix);
        }
    }
}

async fn check_queue(config: &SdkConfig, url: Option<&str>, hub: &mut List) {
    let Some(url) = url else {
        hub.skip(
            "queue",
            "not configured (RUNAS_GUARD_SWEEP_QUEUE_URL): sweeps run every account in one invocation",
        );
        return;
    };
    let region = crate::aws::home_region(config);
    let got = aws_sdk_sqs::Client::new(config)
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| AwsError::new("GetQueueAttributes", "-", &region, &e));
    match got {
        Ok(_) => hub.pass("queue", format!("{url}: exists")),
        Err(e) => {
            let fix = if denied(&e) {
                permission_fix("sqs:GetQueueAttributes")
            } else {
                "set RUNAS_GUARD_SWEEP_QUEUE_URL to the hub stack's SweepQueueUrl output (or unset it)".into()
            };
            hub.fail("queue", format!("{url}: {}", said(&e)), fix);
        }
    }
}

/// Every OU and account id the policy names exists in the organization (a
/// typo is otherwise "no rule matches": the default user, silently).
async fn check_policy_ids(config: &SdkConfig, policy: &Policy, hub: &mut List) {
    let named = crate::policy_ids::named_ids(policy).len();
    match crate::aws::organizations::Org::new(config).ids().await {
        Ok(known) => {
            let unknown = crate::policy_ids::unknown_ids(policy, &known);
            if unknown.is_empty() {
                hub.pass(
                    "policy ids",
                    format!("all {named} OU and account ids the policy names are in the organization"),
                );
            } else {
                hub.fail(
                    "policy ids",
                    crate::policy_ids::describe(&unknown, 10),
                    "correct the id (aws organizations list-organizational-units-for-parent / list-accounts), or remove the rule",
                );
            }
        }
        Err(e) => hub.fail(
            "policy ids",
            format!("cannot walk the organization: {}", said(&e)),
            if denied(&e) {
                "give these credentials organizations:ListRoots, ListOrganizationalUnitsForParent and ListAccountsForParent".to_string()
            } else {
                otherwise(&e, "check the endpoint, then retry")
            },
        ),
    }
}

async fn check_organization(config: &SdkConfig, hub: &mut List) {
    let region = crate::aws::home_region(config);
    let got = aws_sdk_organizations::Client::new(config)
        .describe_organization()
        .send()
        .await
        .map_err(|e| AwsError::new("DescribeOrganization", "-", &region, &e));
    match got {
        Ok(out) => {
            let o = out.organization();
            hub.pass(
                "organization",
                format!(
                    "{} (management account {})",
                    o.and_then(|o| o.id()).unwrap_or("?"),
                    o.and_then(|o| o.master_account_id()).unwrap_or("?")
                ),
            );
        }
        Err(e) => {
            let fix = if e.is("AWSOrganizationsNotInUseException") {
                "these credentials' account is not in an organization: run from the management account or a delegated administrator".to_string()
            } else if denied(&e) {
                "run from the management account or a delegated administrator with Organizations read access".into()
            } else {
                otherwise(&e, "check the endpoint, then retry")
            };
            hub.fail("organization", said(&e), fix);
        }
    }
}

async fn check_stack(
    config: &SdkConfig,
    stack: &str,
    policy: Option<&Policy>,
    inputs: &Inputs,
    hub: &mut List,
) {
    let region = crate::aws::home_region(config);
    let got = aws_sdk_cloudformation::Client::new(config)
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| AwsError::new("DescribeStacks", "-", &region, &e));
    let s = match got {
        Ok(out) => match out.stacks().first() {
            Some(s) => s.clone(),
            None => {
                hub.fail(
                    "stack",
                    format!("{stack}: not found in {region}"),
                    format!("deploy infra/hub.yaml as stack {stack} in {region}, or name the hub stack with --stack"),
                );
                return;
            }
        },
        Err(e) => {
            let fix = if denied(&e) {
                permission_fix("cloudformation:DescribeStacks")
            } else {
                format!("deploy infra/hub.yaml as stack {stack} in {region}, or name the hub stack with --stack")
            };
            hub.fail("stack", format!("{stack}: {}", said(&e)), fix);
            return;
        }
    };
    let parameter = |key: &str| {
        s.parameters()
            .iter()
            .find(|p| p.parameter_key() == Some(key))
            .and_then(|p| p.parameter_value())
            .map(str::to_string)
    };
    let output = |key: &str| {
        s.outputs()
            .iter()
            .find(|o| o.output_key() == Some(key))
            .and_then(|o| o.output_value())
            .map(str::to_string)
    };
    // The template's default when the parameter was not given.
    let member_role = parameter("MemberRoleName").unwrap_or_else(|| "RunAsGuardExecution".into());
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
    // The fallbacks the hub role may assume: its FallbackRoles parameter (a
    // stack from before the parameter allowed both).
    let stack_fallbacks: Vec<String> = match parameter("FallbackRoles") {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        None => HUB_STACK_FALLBACKS.map(str::to_string).to_vec(),
    };
    if let Some(p) = policy {
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
        match (output(key), configured) {
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
    if let Some(p) = policy {
        let stack_docs = parameter("NamedSessionDocuments").unwrap_or_default();
        match crate::settings_check::named_documents(&stack_docs, p) {
            Ok(()) => hub.pass(
                "stack documents",
                "NamedSessionDocuments names exactly the policy's [[document]] entries",
            ),
            Err(m) => hub.fail("stack documents", format!("{stack}: {}", m.detail), m.fix),
        }
    }
}

/// The member StackSet's instances deploy the forwarding rule and role to
/// every governed region (plus us-east-1, where IAM's events are logged).
async fn check_stackset(config: &SdkConfig, name: &str, policy: Option<&Policy>, hub: &mut List) {
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
    match crate::settings_check::stackset_regions(&deployed, p) {
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

async fn check_member(
    config: &SdkConfig,
    policy: &Policy,
    account: &str,
    identity: Option<&str>,
    member: &mut List,
) {
    let org = Org::new(config);
    match org.describe_account(account).await {
        Ok(None) => {
            member.fail(
                "organization",
                format!("{account} is not in this organization"),
                "check the account id: runas-guard only reaches accounts in the organization",
            );
            return;
        }
        Ok(Some(info)) if !info.is_active() => {
            member.skip(
                "organization",
                format!("{} ({}): status {}; runas-guard skips it", info.id, info.name, info.status),
            );
            return;
        }
        Ok(Some(info)) => member.pass("organization", format!("{} ({}), ACTIVE", info.id, info.name)),
        Err(e) => member.fail(
            "organization",
            said(&e),
            "run from the management account or a delegated administrator with Organizations read access",
        ),
    }
    if policy.is_exempt(account) {
        member.skip(
            "role",
            "exempt in the policy: runas-guard never touches this account",
        );
        return;
    }
    let sts = Sts::new(config);
    let roles: Vec<&str> = policy.roles().collect();
    let session_policy = session_policy(
        sts.partition(),
        account,
        &policy.regions,
        &policy.document_names(),
    );
    let who = identity.unwrap_or("these credentials");
    let session = match sts
        .assume(account, &roles, "runas-guard-doctor", Some(&session_policy))
        .await
    {
        Ok(s) => {
            let note = if s.role == policy.member_role {
                String::new()
            } else {
                format!(
                    "; a fallback: {} could not be assumed (has infra/member.yaml reached this account?)",
                    policy.member_role
                )
            };
            member.pass(
                "role",
                format!(
                    "{} assumed as {who}, with runas-guard's session policy{note}",
                    s.role
                ),
            );
            s
        }
        Err(e) => {
            member.fail(
                "role",
                format!("as {who}: {}", e.message),
                format!(
                    "deploy infra/member.yaml (the member StackSet) to account {account}, trusting the hub role; the function assumes roles as the hub role, so from other credentials a refusal of {} is expected",
                    policy.member_role
                ),
            );
            member.skip("document", "not checked: no role could be assumed");
            return;
        }
    };
    for (region, name) in policy
        .regions
        .iter()
        .flat_map(|r| policy.document_names().into_iter().map(move |n| (r, n)))
    {
        let docs = DocumentStore::named(session.ssm(region), account, region, name);
        let item = format!("document {}", crate::report::place(region, Some(name)));
        let versions = match docs.versions().await {
            Ok(v) => v,
            Err(e) if is_region_disabled(&e.code) => {
                member.skip(
                    &item,
                    format!("region not enabled in this account ({})", e.code),
                );
                continue;
            }
            Err(e) => {
                member.fail(&item, said(&e), read_fix(account, region, name, &e));
                continue;
            }
        };
        let Some(v) = versions else {
            member.pass(&item, "no document yet (runas-guard creates it)");
            continue;
        };
        match docs.content(None).await {
            Ok(Some((_, content))) => {
                let run_as = Preferences::parse(&content)
                    .map(|p| p.run_as().short())
                    .unwrap_or_else(|e| format!("unreadable content ({e})"));
                member.pass(
                    &item,
                    format!(
                        "readable: default version {}, latest {}, RunAs {run_as}",
                        v.default, v.latest
                    ),
                );
            }
            Ok(None) => member.pass(&item, "no document (deleted while looking)"),
            Err(e) => member.fail(&item, said(&e), read_fix(account, region, name, &e)),
        }
    }
    member.skip(
        "write",
        format!(
            "not checked (no dry-run API): SSM cannot test CreateDocument/UpdateDocument/UpdateDocumentDefaultVersion without writing; {}'s own policy and any SCP decide (infra/member.yaml, infra/scp/README.md)",
            session.role
        ),
    );
}

fn read_fix(account: &str, region: &str, name: &str, e: &AwsError) -> String {
    if denied(e) {
        format!("let the role read {name} in {region} (ssm:DescribeDocument, ssm:GetDocument: infra/member.yaml), and check no SCP denies it in account {account}")
    } else {
        otherwise(
            e,
            "retry; if it persists, check the endpoint and the region",
        )
    }
}

impl Checklist {
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => {
                serde_json::to_string_pretty(self).expect("checklist serialises") + "\n"
            }
            Format::Csv => {
                let header = ["scope", "item", "result", "detail", "fix"];
                let rows: Vec<[String; 5]> = self
                    .checks
                    .iter()
                    .map(|c| {
                        [
                            c.scope.clone(),
                            c.item.clone(),
                            match c.verdict {
                                Verdict::Pass => "pass",
                                Verdict::Fail => "fail",
                                Verdict::Skip => "skip",
                                Verdict::Warn => "warn",
                            }
                            .into(),
                            c.detail.clone(),
                            c.fix.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                csv(&header, &rows)
            }
            Format::Table => self.render_text(),
        }
    }

    fn render_text(&self) -> String {
        let mut out = format!(
            "runas-guard doctor, as {}\n",
            self.identity.as_deref().unwrap_or("(unknown identity)")
        );
        let mut scope = "";
        for c in &self.checks {
            if c.scope != scope {
                scope = &c.scope;
                out.push_str(&format!("\n{scope}\n"));
            }
            out.push_str(&format!(
                "  {} {:<20} {}\n",
                c.verdict.mark(),
                c.item,
                c.detail
            ));
            if let Some(fix) = &c.fix {
                out.push_str(&format!("    {:<20} fix: {fix}\n", ""));
            }
        }
        out.push('\n');
        out.push_str(&if self.failed == 0 {
            "all checks passed\n".to_string()
        } else {
            format!("{} check(s) failed\n", self.failed)
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(verdict: Verdict, fix: Option<&str>) -> Check {
        Check {
            scope: "hub".into(),
            item: "table".into(),
            verdict,
            detail: "runas-guard: ACTIVE".into(),
            fix: fix.map(str::to_string),
        }
    }

    #[test]
    fn renders_a_checklist_with_fixes() {
        let list = Checklist {
            identity: Some("arn:aws:iam::123456789012:user/ops".into()),
            ok: false,
            failed: 1,
            checks: vec![
                check(Verdict::Pass, None),
                check(Verdict::Fail, Some("create the table")),
                check(Verdict::Skip, None),
            ],
        };
        let text = list.render(Format::Table);
        assert!(text.contains("  ✓ table"), "{text}");
        assert!(text.contains("  ✗ table"), "{text}");
        assert!(text.contains("fix: create the table"), "{text}");
        assert!(text.contains("1 check(s) failed"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&list.render(Format::Json)).unwrap();
        assert_eq!(json["checks"][1]["verdict"], "fail");
        assert_eq!(json["ok"], false);
        assert_eq!(list.render(Format::Csv).lines().count(), 4);
    }
}
