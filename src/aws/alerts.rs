//! SNS: publish [`Alert`]s with the message attributes subscribers filter on.

use std::sync::Arc;

use aws_sdk_sns::types::MessageAttributeValue;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::AwsError;
use crate::alert::Alert;
use crate::outcome::AlertSent;

/// Publishes in flight at once: alerts never go out one after another.
const PUBLISH_CONCURRENCY: usize = 16;

#[derive(Clone)]
pub struct Alerts {
    client: aws_sdk_sns::Client,
    topic_arn: String,
    /// Optional second topic: the same alerts as chat custom notifications.
    chat_topic_arn: Option<String>,
    region: String,
}

fn attr(v: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(v)
        .build()
        .expect("data_type is set")
}

/// What a batch of publishes came to.
#[derive(Default)]
pub struct Published {
    pub sent: Vec<AlertSent>,
    pub unsent: Vec<(Alert, AwsError)>,
}

impl Alerts {
    pub fn new(
        config: &aws_config::SdkConfig,
        topic_arn: &str,
        chat_topic_arn: Option<&str>,
    ) -> Self {
        Alerts {
            client: aws_sdk_sns::Client::new(config),
            topic_arn: topic_arn.to_string(),
            chat_topic_arn: chat_topic_arn.map(str::to_string),
            region: super::home_region(config),
        }
    }

    /// To the alert topic and, when configured, the chat topic: an alert is
    /// sent only when both took it (a retry may repeat one, same `alert_id`).
    pub async fn publish(&self, alert: &Alert) -> Result<(), AwsError> {
        self.publish_to(&self.topic_arn, alert, alert.body.to_string())
            .await?;
        if let Some(chat) = &self.chat_topic_arn {
            let message = crate::chat::message(alert).to_string();
            self.publish_to(chat, alert, message).await?;
        }
        Ok(())
    }

    async fn publish_to(
        &self,
        topic: &str,
        alert: &Alert,
        message: String,
    ) -> Result<(), AwsError> {
        self.client
            .publish()
            .topic_arn(topic)
            .subject(&alert.subject)
            .message(message)
            .message_attributes("alert_id", attr(&alert.alert_id))
            .message_attributes("kind", attr(alert.kind.as_str()))
            .message_attributes("severity", attr(alert.severity.as_str()))
            .message_attributes("account", attr(&alert.account))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                let mut err = AwsError::new("Publish", "hub", &self.region, &e);
                err.message = format!("topic {topic}: {}", err.message);
                err
            })
    }

    /// Publishes every alert, a bounded number at once; one failure does not
    /// stop the others. Order of `sent` follows `alerts`.
    pub async fn publish_all(&self, alerts: Vec<Alert>) -> Published {
        let limit = Arc::new(Semaphore::new(PUBLISH_CONCURRENCY));
        let mut tasks = JoinSet::new();
        let count = alerts.len();
        for (i, alert) in alerts.into_iter().enumerate() {
            let (me, limit) = (self.clone(), limit.clone());
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await.expect("semaphore never closes");
                let result = me.publish(&alert).await;
                (i, alert, result)
            });
        }
        let mut done = Vec::with_capacity(count);
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(r) => done.push(r),
                // A publish task cannot panic short of a bug; say so loudly.
                Err(e) => tracing::error!(outcome = "alert_lost", error = %e, "publish task died"),
            }
        }
        done.sort_by_key(|(i, ..)| *i);
        let mut out = Published::default();
        for (_, a, result) in done {
            match result {
                Ok(()) => {
                    tracing::info!(alert = a.kind.as_str(), alert_id = %a.alert_id, severity = a.severity.as_str(), account = %a.account, subject = %a.subject, "alert sent");
                    out.sent.push(AlertSent {
                        alert_id: a.alert_id,
                        kind: a.kind.as_str(),
                        severity: a.severity.as_str(),
                        subject: a.subject,
                    });
                }
                Err(e) => {
                    tracing::error!(alert = a.kind.as_str(), alert_id = %a.alert_id, account = %a.account, error_code = %e.code, error = %e, "alert not published");
                    out.unsent.push((a, e));
                }
            }
        }
        out
    }
}
