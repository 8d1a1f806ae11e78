//! Where `redrive` replays a message: by the deployed function (`Invoke`,
//! so it runs with the function's own roles and the operator needs no
//! member access), or in this process with these credentials. The port
//! and both ways are `runas_guard::flow::redrive::replay`'s and
//! `runas_guard::adapters::aws::lambda`'s.

use runas_guard::adapters::aws::lambda::Function;
use runas_guard::domain::aws_error::AwsError;
use runas_guard::domain::request::OPERATOR_ALIAS;

use super::start::Built;

/// The hub stack's function operator requests go to, by logical id
/// (infra/hub.yaml): the operator function, else (a stack of an earlier
/// release) the function itself.
const STACK_FUNCTIONS: [&str; 2] = ["OperatorFunction", "Function"];

#[derive(clap::Args, Clone, Default)]
pub struct ViaArgs {
    /// The deployed function to replay through (its name or ARN; the hub
    /// stack's OperatorFunctionArn output). Default with --stack: the stack's.
    /// With --in-process: the events function (FunctionArn), whose
    /// on-failure records alone are replayed.
    #[arg(long, value_name = "NAME|ARN", env = "RUNAS_GUARD_FUNCTION", value_parser = function_name)]
    function: Option<String>,
    /// Replay in this process with your credentials, as `handle` does
    /// (needs the function's access, member accounts included), not by
    /// the function. The default when neither --function nor --stack is given.
    #[arg(long)]
    in_process: bool,
}

/// A function name or ARN as Lambda takes it (1-140 characters, no space
/// or control character): anything else is bad input, before any call.
fn function_name(f: &str) -> Result<String, String> {
    let f = f.trim();
    if f.len() > 140 || f.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("not a function name or ARN".into());
    }
    Ok(f.to_string())
}

impl ViaArgs {
    /// A named function (or none: the stack's), never in this process.
    pub fn function_named(function: Option<String>) -> ViaArgs {
        ViaArgs {
            function,
            in_process: false,
        }
    }

    /// Whether replays go to a function.
    fn by_function(&self, stack: Option<&str>) -> bool {
        !self.in_process && (self.named().is_some() || stack.is_some())
    }

    /// The table and topic may be missing: a dry run, or the function's
    /// replays, write nothing from here.
    pub fn lenient(&self, stack: Option<&str>, dry_run: bool) -> bool {
        dry_run || self.by_function(stack)
    }

    fn named(&self) -> Option<&str> {
        self.function.as_deref().filter(|f| !f.is_empty())
    }

    /// The function named with --function (or its variable), used or not.
    pub fn named_function(&self) -> Option<&str> {
        self.named()
    }

    /// The replayer: the named function, else the stack's, else this
    /// process. A dry run replays nothing, so it looks up no function.
    pub async fn choose(
        &self,
        built: &Built,
        stack: Option<&str>,
        dry_run: bool,
    ) -> Result<Via, String> {
        let stack = stack.filter(|_| !dry_run);
        match self.function(&built.config, stack).await? {
            Some(f) => Ok(Via::Function(f)),
            None => Ok(Via::InProcess),
        }
    }

    /// The deployed function to hand work to: the named one, else the
    /// stack's; `None` when the work runs in this process.
    pub async fn function(
        &self,
        config: &aws_config::SdkConfig,
        stack: Option<&str>,
    ) -> Result<Option<Function>, String> {
        if !self.by_function(stack) {
            return Ok(None);
        }
        let name = match (self.named(), stack) {
            (Some(f), _) => f.to_string(),
            (None, Some(stack)) => stack_function(config, stack).await?,
            (None, None) => unreachable!("by_function needs one of them"),
        };
        tracing::info!(function = %name, alias = OPERATOR_ALIAS, "asking the deployed function through its operator alias");
        Ok(Some(Function::alias(config, &name, OPERATOR_ALIAS)))
    }
}

/// Where each message goes.
pub enum Via {
    Function(Function),
    InProcess,
}

/// The hub stack's function operator requests go to (its physical id is the
/// function's name).
async fn stack_function(config: &aws_config::SdkConfig, stack: &str) -> Result<String, String> {
    match in_stack(config, stack, &STACK_FUNCTIONS).await? {
        Some(name) => Ok(name),
        None => Err(format!(
            "--stack {stack}: the stack has no {} to replay through: name it with --function, or replay here with --in-process",
            STACK_FUNCTIONS.join(" or ")
        )),
    }
}

/// The hub stack's events function (`Function`), whose on-failure records a
/// redrive replays; `None` when the stack has none.
pub async fn stack_events_function(
    config: &aws_config::SdkConfig,
    stack: &str,
) -> Result<Option<String>, String> {
    in_stack(config, stack, &["Function"]).await
}

/// The physical id of the first of `logical` (in that order) the stack has.
async fn in_stack(
    config: &aws_config::SdkConfig,
    stack: &str,
    logical: &[&str],
) -> Result<Option<String>, String> {
    let region = runas_guard::adapters::aws::home_region(config);
    let client = aws_sdk_cloudformation::Client::new(config);
    let mut pages = client
        .list_stack_resources()
        .stack_name(stack)
        .into_paginator()
        .send();
    let mut found: Vec<(usize, String)> = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            let e = AwsError::new("ListStackResources", "-", &region, &e);
            format!("--stack {stack}: {e}")
        })?;
        for r in page.stack_resource_summaries() {
            let at = (logical.iter()).position(|f| r.logical_resource_id() == Some(*f));
            if let (Some(at), Some(name)) = (at, r.physical_resource_id()) {
                found.push((at, name.to_string()));
            }
        }
    }
    found.sort();
    Ok(found.into_iter().next().map(|(_, name)| name))
}
