//! `runas-guard doctor`: a preflight checklist of a deployment, read-only.
//!
//! Hub side: the policy, the state table (key schema), the alert topic(s),
//! the sweep queue, Organizations, and, given `--stack`, the hub stack's
//! member role name. Member side, per `--account`: which role can be
//! assumed (with runas-guard's session policy), and the document readable
//! in every governed region. Nothing is written and nothing is published:
//! AWS has no dry run for `sns:Publish` or SSM document writes, so those are
//! reported as not checked rather than guessed.

use std::future::Future;
use std::pin::Pin;

use aws_config::SdkConfig;
use serde::Serialize;

use crate::domain::policy::Policy;

mod delivery;
mod errors;
mod forwarding;
mod hub;
mod identity_center;
mod member;
mod member_role;
mod nodes;
mod policy;
mod regions;
mod render;
mod scope;
mod security_hub;
mod settings;
mod stack;
mod stackset_calls;
mod topics;

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

/// What each mark means: printed under the checklist, and in the README's
/// doctor paragraph.
pub const LEGEND: &str = "✓ passed   ! works, worth a look (not a failure)   ✗ failed, the fix under it (doctor exits 1)   - not checked, with the reason";

impl Verdict {
    pub(crate) fn mark(self) -> &'static str {
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
#[derive(Clone)]
pub struct Inputs {
    /// `(where it came from, the policy)`, or why it could not be loaded.
    pub policy: Result<(String, Policy), String>,
    pub table: Option<String>,
    pub topic_arn: Option<String>,
    pub chat_topic_arn: Option<String>,
    pub queue_url: Option<String>,
    pub stack: Option<String>,
    /// The member StackSet: its instances' regions are compared with the
    /// policy's and, with a `[scope]`, its targets with the scope.
    pub stackset: Option<String>,
    pub accounts: Vec<String>,
    /// The operator's read-only role (`--operator-role`, the policy's
    /// `operator_role`): member accounts are checked through it.
    pub operator_role: Option<String>,
}

/// The checks of one scope (`hub`, `account <id>`), as they are added.
pub struct List {
    scope: String,
    checks: Vec<Check>,
}

impl List {
    fn new(scope: &str) -> List {
        List {
            scope: scope.to_string(),
            checks: vec![],
        }
    }

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
            detail: crate::domain::aws_error::one_line(&detail.into()),
            fix: fix.map(|f| crate::domain::aws_error::one_line(&f)),
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

/// What every check reads: the SDK configuration, the CLI's inputs and the
/// policy, when it loaded.
pub struct Given<'a> {
    pub config: &'a SdkConfig,
    pub inputs: &'a Inputs,
    pub policy: Option<&'a Policy>,
}

type Checking<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// One check of the hub side: the item it reports, what it reads, and the
/// function that adds its verdict(s) to the list.
pub struct HubCheck {
    pub item: &'static str,
    pub reads: &'static str,
    pub run: for<'a> fn(&'a Given<'a>, &'a mut List) -> Checking<'a>,
}

/// The hub checks, in the order they are reported. Adding a check is adding
/// one entry.
pub const HUB_CHECKS: &[HubCheck] = &[
    HubCheck {
        item: "policy",
        reads: "the policy file or S3 object (RUNAS_GUARD_POLICY)",
        run: |g, l| Box::pin(policy::loaded(g, l)),
    },
    HubCheck {
        item: "policy users",
        reads: "the policy",
        run: |g, l| Box::pin(policy::users(g, l)),
    },
    HubCheck {
        item: "table",
        reads: "dynamodb:DescribeTable",
        run: |g, l| Box::pin(hub::table(g, l)),
    },
    HubCheck {
        item: "topic",
        reads: "sns:GetTopicAttributes, sns:ListSubscriptionsByTopic, sns:GetSubscriptionAttributes",
        run: |g, l| Box::pin(hub::topic(g, l)),
    },
    HubCheck {
        item: "chat topic",
        reads: "sns:GetTopicAttributes, sns:ListSubscriptionsByTopic, sns:GetSubscriptionAttributes",
        run: |g, l| Box::pin(hub::chat_topic(g, l)),
    },
    HubCheck {
        item: "alarm topic",
        reads: "cloudformation:DescribeStacks (--stack: its AlarmTopicArn output), sns:GetTopicAttributes, sns:ListSubscriptionsByTopic, sns:GetSubscriptionAttributes",
        run: |g, l| Box::pin(hub::alarm_topic(g, l)),
    },
    HubCheck {
        item: "queue",
        reads: "sqs:GetQueueAttributes",
        run: |g, l| Box::pin(hub::queue(g, l)),
    },
    HubCheck {
        item: "organization",
        reads: "organizations:DescribeOrganization",
        run: |g, l| Box::pin(hub::organization(g, l)),
    },
    HubCheck {
        item: "policy ids",
        reads: "organizations:ListRoots, ListOrganizationalUnitsForParent, ListAccountsForParent",
        run: |g, l| Box::pin(policy::ids(g, l)),
    },
    HubCheck {
        item: "policy types",
        reads: "organizations:ListRoots",
        run: |g, l| Box::pin(hub::policy_types(g, l)),
    },
    HubCheck {
        item: "regions enabled",
        reads: "account:ListRegions",
        run: |g, l| Box::pin(regions::hub(g, l)),
    },
    HubCheck {
        item: "stack",
        reads: "cloudformation:DescribeStacks",
        run: |g, l| Box::pin(stack::stack(g, l)),
    },
    HubCheck {
        item: "stackset regions",
        reads: "cloudformation:ListStackInstances; with [scope] also DescribeStackSet, organizations:DescribeOrganization, ListRoots, ListOrganizationalUnitsForParent, ListAccountsForParent",
        run: |g, l| Box::pin(stack::stackset(g, l)),
    },
    HubCheck {
        item: "identity center",
        reads: "sso:ListInstances (no instance_arn), sso:DescribeInstanceAccessControlAttributeConfiguration",
        run: |g, l| Box::pin(identity_center::mapping(g, l)),
    },
    HubCheck {
        item: "security hub cspm",
        reads: "dynamodb:Query (the state index: where the findings wait)",
        run: |g, l| Box::pin(security_hub::hub_off(g, l)),
    },
    HubCheck {
        item: "scp prefix",
        reads: "the policy",
        run: |g, l| Box::pin(policy::scp_prefix(g, l)),
    },
];

pub async fn run(config: &SdkConfig, inputs: &Inputs) -> Checklist {
    // The sweep queue, when not given: the hub stack's, if it names one.
    let from_stack;
    let inputs = match (&inputs.queue_url, inputs.stack.as_deref()) {
        (None, Some(stack)) => {
            from_stack = Inputs {
                queue_url: stack::sweep_queue(config, stack).await,
                ..inputs.clone()
            };
            &from_stack
        }
        _ => inputs,
    };
    let identity = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .ok()
        .and_then(|o| o.arn().map(str::to_string));
    let given = Given {
        config,
        inputs,
        policy: inputs.policy.as_ref().ok().map(|(_, p)| p),
    };
    let mut hub = List::new("hub");
    for check in HUB_CHECKS {
        (check.run)(&given, &mut hub).await;
    }
    let mut checks = hub.checks;
    let seat = (inputs.operator_role.as_deref())
        .map(|r| crate::domain::seat::Seat::new(r, "doctor", identity.as_deref()));
    for account in &inputs.accounts {
        let mut member = List::new(&format!("account {account}"));
        match given.policy {
            Some(p) => {
                let who = (identity.as_deref(), seat.as_ref());
                let standing = member::check(config, p, account, who, &mut member).await;
                member::recorded(config, inputs.table.as_deref(), account, &mut member).await;
                regions::member(config, p, account, standing, &mut member).await;
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::Format;

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
