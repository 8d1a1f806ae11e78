//! The deployed function (`redrive`): one message's input handed back to
//! it with `Invoke` (RequestResponse), so that it runs with its own roles,
//! and its answer read. Needs only `lambda:InvokeFunction` on it.

use std::future::Future;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use serde_json::Value;

use super::AwsError;
use crate::flow::dispatch::Answer;
use crate::flow::redrive::replay::{invoked, unreached, Replayer};

/// Lambda's longest function timeout (900 s) and a margin: a replay is
/// waited for as long as the function may run.
const LONGEST_RUN: Duration = Duration::from_secs(960);

#[derive(Clone, Debug)]
pub struct Function {
    client: aws_sdk_lambda::Client,
    /// Its name or ARN, as given.
    name: String,
    region: String,
}

impl Function {
    pub fn new(config: &SdkConfig, name: &str) -> Function {
        let timeouts = match config.timeout_config() {
            Some(t) => t.to_builder(),
            None => aws_config::timeout::TimeoutConfig::builder(),
        };
        let timeouts = timeouts
            .operation_attempt_timeout(LONGEST_RUN)
            .operation_timeout(LONGEST_RUN)
            .build();
        let conf = aws_sdk_lambda::config::Builder::from(config)
            .timeout_config(timeouts)
            .build();
        Function {
            client: aws_sdk_lambda::Client::from_conf(conf),
            name: name.to_string(),
            region: super::home_region(config),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Replayer for Function {
    fn replay(&self, input: &Value, _request_id: &str) -> impl Future<Output = Answer> + Send {
        let payload = serde_json::to_vec(input).unwrap_or_default();
        async move {
            let sent = self
                .client
                .invoke()
                .function_name(&self.name)
                .invocation_type(InvocationType::RequestResponse)
                .payload(Blob::new(payload))
                .send()
                .await;
            match sent {
                Ok(out) => {
                    let payload = out.payload().map(|b| b.as_ref()).unwrap_or_default();
                    invoked(&self.name, out.function_error(), payload)
                }
                Err(e) => {
                    let e = AwsError::new("Invoke", "-", &self.region, &e);
                    tracing::error!(function = %self.name, error_code = %e.code, error = %e, "cannot invoke the function");
                    unreached(&self.name, &e.to_string())
                }
            }
        }
    }
}
