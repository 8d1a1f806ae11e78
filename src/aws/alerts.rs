//! SNS: publish an [`Alert`] with the message attributes subscribers filter on.

use aws_sdk_sns::types::MessageAttributeValue;

use super::AwsError;
use crate::alert::Alert;

#[derive(Clone)]
pub struct Alerts {
    client: aws_sdk_sns::Client,
    topic_arn: String,
    region: String,
}

fn attr(v: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(v)
        .build()
        .expect("data_type is set")
}

impl Alerts {
    pub fn new(config: &aws_config::SdkConfig, topic_arn: &str) -> Self {
        Alerts {
            client: aws_sdk_sns::Client::new(config),
            topic_arn: topic_arn.to_string(),
            region: super::home_region(config),
        }
    }

    pub async fn publish(&self, alert: &Alert) -> Result<(), AwsError> {
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&alert.subject)
            .message(alert.body.to_string())
            .message_attributes("kind", attr(alert.kind.as_str()))
            .message_attributes("severity", attr(alert.severity.as_str()))
            .message_attributes("account", attr(&alert.account))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::new("Publish", &alert.account, &self.region, &e))
    }
}
