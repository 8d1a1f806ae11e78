//! The deployed function (`redrive`): one message's input handed back to
//! it with `Invoke` (RequestResponse), so that it runs with its own roles,
//! and its answer read. Needs only `lambda:InvokeFunction` on it.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use serde_json::Value;

use super::AwsError;

/// Lambda's longest function timeout (900 s) and a margin: a replay is
/// waited for as long as the function may run.
const LONGEST_RUN: Duration = Duration::from_secs(960);

#[derive(Clone, Debug)]
pub struct Function {
    client: aws_sdk_lambda::Client,
    /// Its name or ARN, as given.
    name: String,
    /// The alias invoked, unless the name carries one.
    qualifier: Option<String>,
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
            qualifier: None,
            region: super::home_region(config),
        }
    }

    /// The function's `alias` (on-call's entry, `operator`): invoked with
    /// it as the qualifier unless `name` already names one (`NAME:ALIAS`,
    /// or an ARN with its qualifier).
    pub fn alias(config: &SdkConfig, name: &str, alias: &str) -> Function {
        let mut f = Function::new(config, name);
        let parts = name.split(':').count();
        let qualified =
            (name.starts_with("arn:") && parts >= 8) || (!name.starts_with("arn:") && parts >= 2);
        if !qualified {
            f.qualifier = Some(alias.to_string());
        }
        f
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// What is invoked: `NAME:ALIAS` when an alias is added to the name.
    pub fn invoked(&self) -> String {
        match &self.qualifier {
            Some(q) => format!("{}:{q}", self.name),
            None => self.name.clone(),
        }
    }
}

/// The function's answer to one invocation: Lambda's `FunctionError`
/// (set when the handler failed) and the payload as it came back.
pub struct Invoked {
    pub function_error: Option<String>,
    pub payload: Vec<u8>,
}

impl Function {
    /// Hands `input` to the function (RequestResponse) and waits for it.
    pub async fn invoke(&self, input: &Value) -> Result<Invoked, AwsError> {
        let payload = serde_json::to_vec(input).unwrap_or_default();
        let out = self
            .client
            .invoke()
            .function_name(&self.name)
            .set_qualifier(self.qualifier.clone())
            .invocation_type(InvocationType::RequestResponse)
            .payload(Blob::new(payload))
            .send()
            .await
            .map_err(|e| AwsError::new("Invoke", "-", &self.region, &e))?;
        Ok(Invoked {
            function_error: out.function_error().map(str::to_string),
            payload: out
                .payload()
                .map(|b| b.as_ref().to_vec())
                .unwrap_or_default(),
        })
    }
}
