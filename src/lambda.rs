//! The Lambda function: JSON logs, policy loaded once at cold start.

use std::process::ExitCode;

use lambda_runtime::{service_fn, Error, LambdaEvent};
use runas_guard::dispatch::dispatch;
use serde_json::Value;
use tracing::Instrument;

use runas_guard::config::{load_policy, settings_from_env};

pub async fn run() -> ExitCode {
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    // A bad policy or missing setting stops the function at start, naming what is wrong.
    let policy = match load_policy(None) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(outcome = "init_failed", error = %e, "cannot start");
            return ExitCode::from(2);
        }
    };
    let settings = match settings_from_env(None, None, None) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(outcome = "init_failed", error = %e, "cannot start");
            return ExitCode::from(2);
        }
    };
    runas_guard::metrics::enable();
    let config = runas_guard::aws::load_config().await;
    let reactor = runas_guard::reactor::Reactor::new(&config, policy, settings);
    let reactor = &reactor;
    let result = lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let span = tracing::info_span!("invocation", request_id = %event.context.request_id);
        let deadline = runas_guard::deadline::from_epoch_millis(event.context.deadline);
        let work = dispatch(reactor, &event.payload, &event.context.request_id).instrument(span);
        let answer = runas_guard::deadline::within(deadline, work).await;
        if answer.failed {
            let reason = answer
                .body
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or("failed")
                .to_string();
            return Err::<Value, Error>(reason.into());
        }
        Ok(answer.body)
    }))
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "Lambda runtime stopped");
            ExitCode::from(1)
        }
    }
}
