//! The hub's own resources: the state table, the topics (alert, chat and
//! alarm: `topics.rs` reads who they reach), the sweep queue and the
//! organization these credentials see.

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::TableDescription;

use super::delivery::Carries;
use super::errors::{denied, otherwise, permission_fix, said};
use super::topics::{self, Checked};
use super::{Given, List};
use crate::domain::aws_error::AwsError;

pub(super) async fn table(g: &Given<'_>, hub: &mut List) {
    let config = g.config;
    let Some(name) = g.inputs.table.as_deref() else {
        hub.fail(
            "table",
            "RUNAS_GUARD_TABLE is not set",
            "set RUNAS_GUARD_TABLE (or --table) to the hub stack's TableName output",
        );
        return;
    };
    let Some(t) = describe_table(config, name, hub).await else {
        return;
    };
    judge_table(name, &t, hub);
}

/// The table's key schema and status, as the hub needs them.
fn judge_table(name: &str, t: &TableDescription, hub: &mut List) {
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

/// DescribeTable, or the failure said in the list.
async fn describe_table(
    config: &SdkConfig,
    name: &str,
    hub: &mut List,
) -> Option<TableDescription> {
    let region = crate::adapters::aws::home_region(config);
    let out = aws_sdk_dynamodb::Client::new(config)
        .describe_table()
        .table_name(name)
        .send()
        .await
        .map_err(|e| AwsError::new("DescribeTable", "-", &region, &e));
    match out {
        Ok(out) => match out.table {
            Some(t) => Some(t),
            None => {
                hub.fail(
                    "table",
                    format!("{name}: DescribeTable returned no table"),
                    "retry; if it persists, check the endpoint (AWS_ENDPOINT_URL)",
                );
                None
            }
        },
        Err(e) if e.is("ResourceNotFoundException") => {
            hub.fail(
                "table",
                format!("{name}: no such table in {region}"),
                format!("create the table: deploy infra/hub.yaml (its StateTable: keys pk and sk, both strings), or set RUNAS_GUARD_TABLE to the table's name in {region}"),
            );
            None
        }
        Err(e) => {
            let fix = if denied(&e) {
                permission_fix("dynamodb:DescribeTable")
            } else {
                otherwise(&e, "check AWS_REGION and the endpoint, then retry")
            };
            hub.fail("table", format!("{name}: {}", said(&e)), fix);
            None
        }
    }
}

/// The alert topic exists and someone receives the findings (or, failing
/// that, the chat topic reaches someone).
pub(super) async fn topic(g: &Given<'_>, hub: &mut List) {
    let Some(arn) = g.inputs.topic_arn.as_deref() else {
        hub.fail(
            "topic",
            "RUNAS_GUARD_TOPIC_ARN is not set",
            "set RUNAS_GUARD_TOPIC_ARN (or --topic-arn) to the hub stack's TopicArn output",
        );
        return;
    };
    let checked = Checked {
        item: "topic",
        arn,
        output: "TopicArn",
        carries: Carries::Alerts,
        twin: g.inputs.chat_topic_arn.as_deref(),
    };
    topics::check(g.config, &checked, hub).await;
}

pub(super) async fn chat_topic(g: &Given<'_>, hub: &mut List) {
    let Some(arn) = g.inputs.chat_topic_arn.as_deref() else {
        hub.skip("chat topic", "not configured (RUNAS_GUARD_CHAT_TOPIC_ARN)");
        return;
    };
    let checked = Checked {
        item: "chat topic",
        arn,
        output: "ChatTopicArn",
        carries: Carries::Alerts,
        twin: None,
    };
    topics::check(g.config, &checked, hub).await;
}

/// Where the hub stack's CloudWatch alarms go (its AlarmTopicArn output):
/// the topic exists and someone receives the alarms, unfiltered.
pub(super) async fn alarm_topic(g: &Given<'_>, hub: &mut List) {
    const ITEM: &str = "alarm topic";
    let Some(stack) = g.inputs.stack.as_deref() else {
        hub.skip(ITEM, "not checked: name the hub stack with --stack (its AlarmTopicArn output is where the CloudWatch alarms, the guard's own health, notify)");
        return;
    };
    let arn = match topics::stack_output(g.config, stack, "AlarmTopicArn").await {
        Ok(Some(arn)) if !arn.is_empty() => arn,
        Ok(_) => {
            hub.warn(
                ITEM,
                format!("{stack} has no AlarmTopicArn output: a hub stack from before the alarm topic, whose alarms notify the alert topic, where a subscription filtered on severity or kind drops them"),
                "update the hub stack (infra/docs/update-and-uninstall.md, Update): its alarms then notify an alarm topic of their own, or the one AlarmTopicArn names",
            );
            return;
        }
        Err(e) => {
            hub.skip(ITEM, format!("not checked: {} (see stack)", said(&e)));
            return;
        }
    };
    if g.inputs.topic_arn.as_deref() == Some(arn.as_str()) {
        hub.warn(
            ITEM,
            format!("{arn} is the alert topic itself: a subscription filtered to the findings drops the alarms"),
            "update the hub stack with AlarmTopicArn empty (the stack makes an alarm topic) or naming an on-call topic",
        );
    }
    let checked = Checked {
        item: ITEM,
        arn: &arn,
        output: "AlarmTopicArn",
        carries: Carries::Alarms,
        twin: None,
    };
    topics::check(g.config, &checked, hub).await;
}

pub(super) async fn queue(g: &Given<'_>, hub: &mut List) {
    let config = g.config;
    let Some(url) = g.inputs.queue_url.as_deref() else {
        hub.skip(
            "queue",
            "not configured (RUNAS_GUARD_SWEEP_QUEUE_URL): sweeps run every account in one invocation",
        );
        return;
    };
    let region = crate::adapters::aws::home_region(config);
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

pub(super) async fn organization(g: &Given<'_>, hub: &mut List) {
    let config = g.config;
    let region = crate::adapters::aws::home_region(config);
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

/// The organization's policy types (`ListRoots`): each one this build
/// knows leaves Session Manager preferences alone; any other is a warning
/// naming it (a native policy over them would fight runas-guard).
pub(super) async fn policy_types(g: &Given<'_>, hub: &mut List) {
    use crate::domain::policy_types as types;
    let org = crate::adapters::aws::organizations::Org::new(g.config);
    match org.policy_types().await {
        Ok(enabled) => {
            let unknown = types::unknown(&enabled);
            if unknown.is_empty() {
                hub.pass("policy types", types::all_known(&enabled));
            } else {
                hub.warn(
                    "policy types",
                    types::warning(&unknown),
                    types::what_to_check(),
                );
            }
        }
        Err(e) => hub.fail(
            "policy types",
            format!("cannot read the root's policy types: {}", said(&e)),
            if denied(&e) {
                "give these credentials organizations:ListRoots".to_string()
            } else {
                otherwise(&e, "check the endpoint, then retry")
            },
        ),
    }
}
