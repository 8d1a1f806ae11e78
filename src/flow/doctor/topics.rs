//! The topics runas-guard speaks through, and who they reach: the alert
//! topic (findings), the chat topic, and the alarm topic (the hub stack's
//! CloudWatch alarms, the guard's own health; its `AlarmTopicArn` output).
//! Read-only: `GetTopicAttributes`, `ListSubscriptionsByTopic` (paged) and
//! `GetSubscriptionAttributes` (filter policies); `delivery.rs` judges.

use aws_config::SdkConfig;
use aws_sdk_sns::Client;

use super::delivery::{self, Carries, Filter, Sub, Topic};
use super::errors::{denied, otherwise, permission_fix, said};
use super::List;
use crate::domain::aws_error::AwsError;

/// Pages of `ListSubscriptionsByTopic` (100 each) read at most.
const MAX_PAGES: usize = 50;
/// Subscriptions whose filter policy is read at most.
const MAX_FILTERS_READ: usize = 100;

const NOT_PROVEN: &str = "a publish is not attempted (SNS has no dry run), so the topic policy and KMS key are not proven";

/// One topic to check: its item, its ARN, and which hub stack output names it.
pub(super) struct Checked<'a> {
    pub item: &'a str,
    pub arn: &'a str,
    pub output: &'a str,
    pub carries: Carries,
    /// A topic carrying the same alerts (the chat topic's ARN, for the alert
    /// topic): nobody on this one is then a warning when that one reaches someone.
    pub twin: Option<&'a str>,
}

/// The topic exists, and someone receives what it carries.
pub(super) async fn check(config: &SdkConfig, c: &Checked<'_>, hub: &mut List) {
    if !exists(config, c, hub).await {
        return;
    }
    let subs = match subscriptions(config, c.arn).await {
        Ok(subs) => subs,
        Err(e) => {
            let fix = if denied(&e) {
                permission_fix("sns:ListSubscriptionsByTopic")
            } else {
                otherwise(&e, "check the ARN's region and the endpoint, then retry")
            };
            hub.fail(c.item, format!("{}: exists; {}", c.arn, said(&e)), fix);
            return;
        }
    };
    let mut elsewhere = None;
    if let Some(twin) = c.twin {
        let reaches = |s: &Sub| delivery::reaches(s, Carries::Alerts);
        if !subs.iter().any(reaches) {
            let twin_subs = subscriptions(config, twin).await;
            if twin_subs.is_ok_and(|t| t.iter().any(reaches)) {
                elsewhere = Some("the chat topic");
            }
        }
    }
    let topic = Topic {
        arn: c.arn,
        carries: c.carries,
        elsewhere,
    };
    let d = delivery::judge(&topic, &subs);
    let detail = format!("{}: exists; {}; {NOT_PROVEN}", c.arn, d.detail);
    hub.add(c.item, d.verdict, detail, d.fix);
}

/// GetTopicAttributes, or the failure said in the list.
async fn exists(config: &SdkConfig, c: &Checked<'_>, hub: &mut List) -> bool {
    let region = crate::adapters::aws::home_region(config);
    let got = Client::new(config)
        .get_topic_attributes()
        .topic_arn(c.arn)
        .send()
        .await
        .map_err(|e| AwsError::new("GetTopicAttributes", "-", &region, &e));
    let Err(e) = got else {
        return true;
    };
    let fix = if e.is("NotFound") || e.is("NotFoundException") || e.is("InvalidParameter") {
        format!(
            "create the topic (infra/hub.yaml) or set the ARN to the hub stack's {} output",
            c.output
        )
    } else if denied(&e) {
        permission_fix("sns:GetTopicAttributes")
    } else {
        otherwise(&e, "check the ARN's region and the endpoint, then retry")
    };
    hub.fail(c.item, format!("{}: {}", c.arn, said(&e)), fix);
    false
}

/// Every subscription of the topic (paged), each with its filter policy.
pub(super) async fn subscriptions(config: &SdkConfig, arn: &str) -> Result<Vec<Sub>, AwsError> {
    let region = crate::adapters::aws::home_region(config);
    let client = Client::new(config);
    let mut pages = client
        .list_subscriptions_by_topic()
        .topic_arn(arn)
        .into_paginator()
        .send();
    let mut listed = Vec::new();
    let mut read = 0;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::new("ListSubscriptionsByTopic", "-", &region, &e))?;
        listed.extend(page.subscriptions().iter().cloned());
        read += 1;
        if read >= MAX_PAGES {
            break;
        }
    }
    let mut subs = Vec::new();
    for (i, s) in listed.iter().enumerate() {
        let sub_arn = s.subscription_arn().unwrap_or_default();
        let mut sub = Sub {
            protocol: s.protocol().unwrap_or("?").to_string(),
            endpoint: s.endpoint().unwrap_or_default().to_string(),
            pending: sub_arn == "PendingConfirmation",
            filter: Filter::None,
        };
        if !sub.pending && sub_arn.starts_with("arn:") {
            if i < MAX_FILTERS_READ {
                read_attributes(&client, &region, sub_arn, &mut sub).await;
            } else {
                sub.filter = Filter::Unread(format!("more than {MAX_FILTERS_READ} subscriptions"));
            }
        }
        subs.push(sub);
    }
    Ok(subs)
}

/// The subscription's filter policy and confirmation, from
/// GetSubscriptionAttributes; a failure leaves the filter unread.
async fn read_attributes(client: &Client, region: &str, arn: &str, sub: &mut Sub) {
    let got = client
        .get_subscription_attributes()
        .subscription_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::new("GetSubscriptionAttributes", "-", region, &e));
    let attributes = match got {
        Ok(out) => out.attributes().cloned().unwrap_or_default(),
        Err(e) => {
            sub.filter = Filter::Unread(e.code);
            return;
        }
    };
    if attributes.get("PendingConfirmation").map(String::as_str) == Some("true") {
        sub.pending = true;
    }
    let body = attributes.get("FilterPolicyScope").map(String::as_str) == Some("MessageBody");
    sub.filter = match attributes
        .get("FilterPolicy")
        .filter(|p| !p.trim().is_empty())
    {
        None => Filter::None,
        Some(_) if body => Filter::Body,
        Some(p) => Filter::Attributes(p.clone()),
    };
}

/// One output of the hub stack: `Ok(None)` when the stack has no such output.
pub(super) async fn stack_output(
    config: &SdkConfig,
    stack: &str,
    key: &str,
) -> Result<Option<String>, AwsError> {
    let region = crate::adapters::aws::home_region(config);
    let out = aws_sdk_cloudformation::Client::new(config)
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| AwsError::new("DescribeStacks", "-", &region, &e))?;
    Ok(out.stacks().first().and_then(|s| {
        s.outputs()
            .iter()
            .find(|o| o.output_key() == Some(key))
            .and_then(|o| o.output_value())
            .map(str::to_string)
    }))
}
