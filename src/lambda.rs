//! The Lambda function: JSON logs; the policy loaded at cold start and, from
//! S3, re-read at most every refresh interval before an invocation.

use std::process::ExitCode;

use lambda_runtime::{service_fn, Error, LambdaEvent};
use runas_guard::flow::request::{dispatch_at, failure_queues, Desk};
use serde_json::Value;
use tracing::Instrument;

use runas_guard::domain::config::settings_from_env;
use runas_guard::flow::policy_source::{PolicyStore, Refresh, Source, DEFAULT_REFRESH};
use runas_guard::flow::reactor::Reactor;

fn init_failed(e: impl std::fmt::Display) -> ExitCode {
    tracing::error!(outcome = "init_failed", error = %e, "cannot start");
    ExitCode::from(2)
}

fn policy_source() -> Result<(Source, std::time::Duration), String> {
    let source = std::env::var("RUNAS_GUARD_POLICY")
        .map_err(|_| {
            "RUNAS_GUARD_POLICY is not set (a policy file path or s3://bucket/key)".to_string()
        })
        .and_then(|s| Source::parse(&s))?;
    let refresh = match std::env::var("RUNAS_GUARD_POLICY_REFRESH_SECONDS") {
        Err(_) => DEFAULT_REFRESH,
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => std::time::Duration::from_secs(n),
            _ => {
                return Err(format!(
                "RUNAS_GUARD_POLICY_REFRESH_SECONDS must be a whole number above 0, found {v:?}"
            ))
            }
        },
    };
    Ok((source, refresh))
}

/// One JSON object per line, for CloudWatch Logs Insights.
fn init_logging() {
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
}

/// Every invocation, until the runtime stops: the current policy's reactor
/// handles it within the invocation's deadline; a failed one is an error
/// (Lambda retries it).
async fn serve(
    store: &PolicyStore,
    reactor: &std::sync::RwLock<Reactor>,
    desk: &Desk,
) -> Result<(), Error> {
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let span = tracing::info_span!("invocation", request_id = %event.context.request_id);
        let current = current_reactor(store, reactor).await;
        let deadline = runas_guard::domain::deadline::from_epoch_millis(event.context.deadline);
        // Which door: the function's own ARN takes events, its `operator`
        // alias operator requests only (Lambda names the ARN invoked).
        let work = dispatch_at(
            &current,
            desk,
            &event.context.invoked_function_arn,
            &event.payload,
            &event.context.request_id,
        )
        .instrument(span);
        let answer = runas_guard::domain::deadline::within(deadline, work).await;
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
    .await
}

pub async fn run() -> ExitCode {
    init_logging();
    // A bad policy or missing setting stops the function at start, naming what is wrong.
    let (source, refresh) = match policy_source() {
        Ok(s) => s,
        Err(e) => return init_failed(e),
    };
    let settings = match settings_from_env(None, None, None) {
        Ok(s) => s,
        Err(e) => return init_failed(e),
    };
    if let Err(e) = runas_guard::adapters::aws::timeouts_from_env() {
        return init_failed(e);
    }
    runas_guard::domain::metrics::enable();
    let config = runas_guard::adapters::aws::load_config().await;
    let loaded = match PolicyStore::load(&config, source, refresh).await {
        Ok(l) => l,
        Err(e) => return init_failed(e),
    };
    let store = loaded.store;
    let reactor =
        std::sync::RwLock::new(Reactor::new(&config, (*store.current()).clone(), settings));
    if let Some(r) = &loaded.refused {
        // Running on an earlier version: say once that the current one is bad.
        let first = reactor.read().expect("reactor lock").clone();
        first.policy_rejected(&r.source, &r.version, &r.error).await;
    }
    let desk = Desk::new(
        &config,
        failure_queues(std::env::var("RUNAS_GUARD_FAILURE_QUEUES").ok().as_deref()),
        std::env::var("RUNAS_GUARD_EVENTS_FUNCTION").ok(),
    );
    let (store, reactor, desk) = (&store, &reactor, &desk);
    let result = serve(store, reactor, desk).await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "Lambda runtime stopped");
            ExitCode::from(1)
        }
    }
}

/// The reactor for this invocation, under the policy in force: a new valid
/// policy replaces the reactor (clients are shared, nothing is rebuilt); a
/// refused one is alerted and the last good one stays.
async fn current_reactor(store: &PolicyStore, reactor: &std::sync::RwLock<Reactor>) -> Reactor {
    let current = reactor.read().expect("reactor lock").clone();
    match store.refresh().await {
        Refresh::Unchanged => current,
        Refresh::Updated {
            policy,
            previous,
            version,
        } => {
            // A policy naming OUs or accounts the organization does not have
            // would quietly move their accounts to another rule's user.
            match current.unknown_policy_ids(&policy).await {
                Ok(Some(unknown)) => {
                    store.refuse(previous, &version);
                    tracing::error!(outcome = "policy_rejected", error = %unknown, "new policy refused; the last good one stays in force");
                    current
                        .policy_rejected(&store.describe(), &version, &unknown)
                        .await;
                    return current;
                }
                Ok(None) => {}
                Err(e) => {
                    // Organizations away: take the policy; the next sweep
                    // alerts any id it lacks.
                    tracing::warn!(error_code = %e.code, error = %e, "cannot check the new policy's ids against the organization");
                }
            }
            let next = current.with_policy((*policy).clone());
            *reactor.write().expect("reactor lock") = next.clone();
            next
        }
        Refresh::Rejected {
            source,
            version,
            error,
        } => {
            current.policy_rejected(&source, &version, &error).await;
            current
        }
    }
}
