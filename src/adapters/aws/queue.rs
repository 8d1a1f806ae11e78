//! SQS: fan a sweep out as one message per account.

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use super::AwsError;

#[derive(Clone)]
pub struct SweepQueue {
    client: aws_sdk_sqs::Client,
    url: String,
    region: String,
}

impl SweepQueue {
    /// The queue at `url`, its retries drawn from the process's `quota`.
    pub fn new(
        config: &aws_config::SdkConfig,
        url: &str,
        quota: &super::retry_quota::RetryQuota,
    ) -> Self {
        let region = super::home_region(config);
        let conf = aws_sdk_sqs::config::Builder::from(config)
            .retry_partition(quota.partition("sqs", &region))
            .build();
        SweepQueue {
            client: aws_sdk_sqs::Client::from_conf(conf),
            url: url.to_string(),
            region,
        }
    }

    /// One message, delivered after `delay_seconds` (at most 900).
    pub async fn send_later(&self, body: &str, delay_seconds: u64) -> Result<(), AwsError> {
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .delay_seconds(delay_seconds.min(900) as i32)
            .send()
            .await
            .map_err(|e| AwsError::new("SendMessage", "-", &self.region, &e))?;
        Ok(())
    }

    /// Sends every body, ten per call; fails if any message was refused, so
    /// the sweep is retried rather than silently missing accounts.
    pub async fn send_all(&self, bodies: &[String]) -> Result<usize, AwsError> {
        let mut sent = 0;
        for chunk in bodies.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, body)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(body)
                        .build()
                        .expect("id and body are set")
                })
                .collect::<Vec<_>>();
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| AwsError::new("SendMessageBatch", "-", &self.region, &e))?;
            if let Some(f) = out.failed().first() {
                return Err(AwsError {
                    operation: "SendMessageBatch",
                    account: "-".into(),
                    region: self.region.clone(),
                    code: f.code().to_string(),
                    message: f.message().unwrap_or("message refused").to_string(),
                });
            }
            sent += out.successful().len();
        }
        Ok(sent)
    }
}
