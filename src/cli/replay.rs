//! Where `redrive` replays a message: by the deployed function (`Invoke`,
//! so it runs with the function's own roles and the operator needs no
//! member access), or in this process with these credentials. The port
//! and both ways are `runas_guard::redrive::replay`'s and
//! `runas_guard::aws::lambda`'s.

use std::future::Future;

use runas_guard::aws::lambda::Function;
use runas_guard::aws::AwsError;
use runas_guard::dispatch::Answer;
use runas_guard::reactor::Reactor;
use runas_guard::redrive::replay::{InProcess, Replayer};
use serde_json::Value;

/// The hub stack's function, by logical id (infra/hub.yaml).
const STACK_FUNCTION: &str = "Function";

#[derive(clap::Args, Clone, Default)]
pub struct ViaArgs {
    /// The deployed function to replay through (its name or ARN; the hub
    /// stack's FunctionArn output). Default with --stack: the stack's.
    #[arg(long, value_name = "NAME|ARN", env = "RUNAS_GUARD_FUNCTION")]
    function: Option<String>,
    /// Replay in this process with your credentials, as `handle` does
    /// (needs the function's access, member accounts included), not by
    /// the function. The default when neither --function nor --stack is given.
    #[arg(long)]
    in_process: bool,
}

impl ViaArgs {
    /// Whether replays go to a function: then this process needs neither
    /// table nor topic.
    pub fn by_function(&self, stack: Option<&str>) -> bool {
        !self.in_process && (self.named().is_some() || stack.is_some())
    }

    fn named(&self) -> Option<&str> {
        self.function
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
    }

    /// A function name or ARN as Lambda takes it (1-140 characters, no
    /// space or control character); checked before anything is read.
    pub fn check(&self) -> Result<(), String> {
        match self.named() {
            Some(f) if f.len() > 140 || f.chars().any(|c| c.is_whitespace() || c.is_control()) => {
                Err(format!(
                    "--function {:?} is not a function name or ARN",
                    f.chars().take(64).collect::<String>()
                ))
            }
            _ => Ok(()),
        }
    }

    /// The replayer: the named function, else the stack's, else this process.
    pub async fn choose<'a>(
        &self,
        config: &aws_config::SdkConfig,
        stack: Option<&str>,
        reactor: &'a Reactor,
    ) -> Result<Via<'a>, String> {
        if !self.by_function(stack) {
            return Ok(Via::InProcess(InProcess(reactor)));
        }
        let name = match (self.named(), stack) {
            (Some(f), _) => f.to_string(),
            (None, Some(stack)) => stack_function(config, stack).await?,
            (None, None) => unreachable!("by_function needs one of them"),
        };
        tracing::info!(function = %name, "replaying through the deployed function");
        Ok(Via::Function(Function::new(config, &name)))
    }
}

/// Where each message goes.
pub enum Via<'a> {
    Function(Function),
    InProcess(InProcess<'a>),
}

impl Replayer for Via<'_> {
    fn replay(&self, input: &Value, request_id: &str) -> impl Future<Output = Answer> + Send {
        async move {
            match self {
                Via::Function(f) => f.replay(input, request_id).await,
                Via::InProcess(p) => p.replay(input, request_id).await,
            }
        }
    }
}

/// The hub stack's function (its physical id is the function's name).
async fn stack_function(config: &aws_config::SdkConfig, stack: &str) -> Result<String, String> {
    let region = runas_guard::aws::home_region(config);
    let client = aws_sdk_cloudformation::Client::new(config);
    let mut pages = client
        .list_stack_resources()
        .stack_name(stack)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            let e = AwsError::new("ListStackResources", "-", &region, &e);
            format!("--stack {stack}: {e}")
        })?;
        let found = page
            .stack_resource_summaries()
            .iter()
            .find(|r| r.logical_resource_id() == Some(STACK_FUNCTION))
            .and_then(|r| r.physical_resource_id());
        if let Some(name) = found {
            return Ok(name.to_string());
        }
    }
    Err(format!(
        "--stack {stack}: the stack has no {STACK_FUNCTION} to replay through: name it with --function, or replay here with --in-process"
    ))
}
