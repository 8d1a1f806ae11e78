//! SNS: publish each message it is given to the alert topic or the chat
//! topic, with the message attributes subscribers filter on. What a message
//! says is decided above (`domain::alert::render`).

use std::sync::Arc;

use aws_sdk_sns::types::MessageAttributeValue;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::AwsError;
use crate::domain::alert::bound::ATTRIBUTE_TYPE;
use crate::domain::alert::render::{Dest, Message};

/// Publishes in flight at once: alerts never go out one after another.
const PUBLISH_CONCURRENCY: usize = 16;

/// The alert topic and the optional chat topic.
#[derive(Clone)]
pub struct Topics {
    client: aws_sdk_sns::Client,
    topic_arn: String,
    /// Optional second topic: the same alerts as chat custom notifications.
    chat_topic_arn: Option<String>,
    region: String,
}

fn attr(v: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type(ATTRIBUTE_TYPE)
        .string_value(v)
        .build()
        .expect("data_type is set")
}

impl Topics {
    /// The alert topics, their publishes' retries drawn from the process's
    /// `quota`.
    pub fn new(
        config: &aws_config::SdkConfig,
        (topic_arn, chat_topic_arn): (&str, Option<&str>),
        quota: &super::retry_quota::RetryQuota,
    ) -> Self {
        let region = super::home_region(config);
        let conf = aws_sdk_sns::config::Builder::from(config)
            .retry_partition(quota.partition("sns", &region))
            .build();
        Topics {
            client: aws_sdk_sns::Client::from_conf(conf),
            topic_arn: topic_arn.to_string(),
            chat_topic_arn: chat_topic_arn.map(str::to_string),
            region,
        }
    }

    /// Whether a chat topic takes a second copy of each alert.
    pub fn has_chat(&self) -> bool {
        self.chat_topic_arn.is_some()
    }

    /// One message to `dest`'s topic (the alert topic when there is no
    /// chat topic: the caller renders no chat copy then).
    pub async fn publish(&self, dest: Dest, m: &Message) -> Result<(), AwsError> {
        let topic = match (dest, &self.chat_topic_arn) {
            (Dest::Chat, Some(chat)) => chat,
            _ => &self.topic_arn,
        };
        let mut publish = self
            .client
            .publish()
            .topic_arn(topic)
            .subject(&m.subject)
            .message(&m.body)
            .set_message_structure(m.structured.then(|| "json".to_string()));
        for (name, value) in &m.attributes {
            publish = publish.message_attributes(*name, attr(value));
        }
        publish.send().await.map(|_| ()).map_err(|e| {
            let mut err = AwsError::new("Publish", "hub", &self.region, &e);
            err.message = format!("topic {topic}: {}", err.message);
            err
        })
    }

    /// Publishes every message, a bounded number at once; one failure does
    /// not stop the others. Results follow the order of `messages`; `None`
    /// where a publish task died (logged), which nobody takes as sent.
    pub async fn publish_all(
        &self,
        messages: Vec<(Dest, Message)>,
    ) -> Vec<Option<Result<(), AwsError>>> {
        let limit = Arc::new(Semaphore::new(PUBLISH_CONCURRENCY));
        let mut tasks = JoinSet::new();
        let count = messages.len();
        for (i, (dest, m)) in messages.into_iter().enumerate() {
            let (me, limit) = (self.clone(), limit.clone());
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await.expect("semaphore never closes");
                (i, me.publish(dest, &m).await)
            });
        }
        let mut results: Vec<Option<Result<(), AwsError>>> = (0..count).map(|_| None).collect();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((i, r)) => results[i] = Some(r),
                // A publish task cannot panic short of a bug; say so loudly.
                Err(e) => tracing::error!(outcome = "alert_lost", error = %e, "publish task died"),
            }
        }
        results
    }
}
