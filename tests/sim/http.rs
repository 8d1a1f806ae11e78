//! The seam, chosen once: the SDK's HTTP client. Every client of a
//! simulated Lambda instance (the hub's, and each member session's, which
//! `Sts` builds from the same `SdkConfig`) sends its requests here, in
//! process: no sockets. Latency is a virtual `tokio::time::sleep`; a dead
//! instance's requests never answer.

use std::time::{Duration, SystemTime};

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_ssm::config::{Credentials, Region, SharedCredentialsProvider};
use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_async::time::{SharedTimeSource, TimeSource};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;

use crate::aws::{wire, Decision, Sim};

#[derive(Clone)]
pub struct SimHttp {
    pub sim: Sim,
    pub instance: u32,
    pub start_ms: i64,
}

impl std::fmt::Debug for SimHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SimHttp(instance {})", self.instance)
    }
}

impl HttpClient for SimHttp {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for SimHttp {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let path = request.uri().to_string();
        let body = request.body().bytes().unwrap_or_default().to_vec();
        let (sim, inst, start_ms) = (self.sim.clone(), self.instance, self.start_ms);
        HttpConnectorFuture::new(async move {
            let call = match wire::parse(&headers, &path, &body) {
                Ok(c) => c,
                Err(e) => {
                    sim.lock()
                        .unwrap()
                        .unsupported
                        .push(format!("unreadable request: {e}"));
                    return Err(ConnectorError::other(e.into(), None));
                }
            };
            let latency = {
                let mut s = sim.lock().unwrap();
                (!s.dead(inst)).then(|| s.latency(&call))
            };
            let Some(latency) = latency else {
                return std::future::pending().await;
            };
            tokio::time::sleep(Duration::from_millis(latency)).await;
            let decision = sim.lock().unwrap().decide(inst, &call, start_ms);
            let answer = match decision {
                Decision::Hang => return std::future::pending().await,
                Decision::Reset => {
                    return Err(ConnectorError::io(
                        std::io::Error::new(
                            std::io::ErrorKind::ConnectionReset,
                            "connection reset (simulated)",
                        )
                        .into(),
                    ))
                }
                Decision::Answer(a) => a,
            };
            tokio::time::sleep(Duration::from_millis(latency)).await;
            let dead = sim.lock().unwrap().dead(inst);
            if dead {
                return std::future::pending().await;
            }
            let (status, content_type, text) = wire::encode(call.protocol, &call.service, &answer);
            let mut response = Response::new(
                StatusCode::try_from(status).expect("status"),
                SdkBody::from(text),
            );
            response.headers_mut().insert("content-type", content_type);
            response.headers_mut().insert("x-amzn-requestid", "sim");
            Ok(response)
        })
    }
}

/// The wall clock the SDK signs with and checks credentials against:
/// the product's clock, which runs with tokio's paused time.
#[derive(Debug)]
struct SimTime;

impl TimeSource for SimTime {
    fn now(&self) -> SystemTime {
        runas_guard::domain::clock::now()
    }
}

/// An instance's `SdkConfig`: the hub's static credentials, its region,
/// the product's timeouts, the SDK's standard retries, and this seam.
pub fn sdk_config(http: SimHttp, region: &str) -> SdkConfig {
    let [connect, attempt, call] = runas_guard::adapters::aws::DEFAULT_TIMEOUTS;
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            crate::aws::HUB_KEY,
            "sim-secret",
            None,
            None,
            "sim",
        )))
        .http_client(SharedHttpClient::new(http))
        .time_source(SharedTimeSource::new(SimTime))
        .sleep_impl(SharedAsyncSleep::new(TokioSleep::new()))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(connect))
                .operation_attempt_timeout(Duration::from_secs(attempt))
                .operation_timeout(Duration::from_secs(call))
                .build(),
        )
        .retry_config(aws_config::retry::RetryConfig::standard())
        .build()
}
