//! The fault proxy (tests/fault_proxy.py) between runas-guard and moto: AWS
//! errors, lost answers (forwarded, then refused), held requests released by
//! the test, and counters to wait on. See the script's docstring for rules.

use std::process::Stdio;
use std::sync::mpsc::TryRecvError;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{Server, World};

pub struct Proxy {
    _server: Server,
    port: u16,
}

impl Proxy {
    pub fn start(upstream: &str) -> Proxy {
        for _ in 0..5 {
            let port = super::free_port();
            let args = [port.to_string(), upstream.to_string()];
            let (server, exited) = Server::start("fault_proxy.py", &args, &[], None);
            let deadline = Instant::now() + Duration::from_secs(30);
            // It says nothing once up: up when its port answers, unless it
            // exited first (port taken: another port).
            while exited.try_recv() != Err(TryRecvError::Disconnected) {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Proxy {
                        _server: server,
                        port,
                    };
                }
                assert!(Instant::now() < deadline, "fault proxy did not start");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("fault proxy did not start");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One control request; (status, JSON body or Null).
    fn control(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        super::http(self.port, method, path, body)
    }

    /// Replaces every rule (and releases what the old ones held).
    pub fn faults(&self, rules: Value) {
        let (status, body) = self.control("PUT", "/__faults", &rules.to_string());
        assert_eq!(status, 204, "rules refused: {body}");
    }

    pub fn release(&self, name: &str) {
        let (status, body) = self.control(
            "POST",
            "/__release",
            &serde_json::json!({"name": name}).to_string(),
        );
        assert_eq!(status, 200, "release {name}: {body}");
    }

    /// Waits until rule `name`'s `counter` (seen, hits, held) reaches `n`;
    /// false after `timeout` seconds.
    pub fn wait(&self, name: &str, counter: &str, n: usize, timeout: u64) -> bool {
        let (status, _) = self.control(
            "GET",
            &format!("/__wait?name={name}&{counter}={n}&timeout={timeout}"),
            "",
        );
        status == 200
    }

    pub fn hits(&self) -> Value {
        self.control("GET", "/__hits", "").1
    }

    /// Forgets the requests seen so far and from now on answers none
    /// sooner than `rtt_ms` after it arrived (so that requests sent
    /// together overlap at the proxy however slowly moto works through
    /// them): what [`Proxy::chain`] counts from.
    pub fn count_round_trips(&self, rtt_ms: u64) {
        let (status, body) =
            self.control("PUT", "/__chain", &json!({"rtt_ms": rtt_ms}).to_string());
        assert_eq!(status, 204, "PUT /__chain: {body}");
    }

    /// The sequential round trips since [`Proxy::count_round_trips`] (or
    /// the last rules): the longest chain of requests each sent after the
    /// previous one was answered, as `service:Action` names in order.
    pub fn chain(&self) -> Vec<String> {
        let (status, body) = self.control("GET", "/__chain", "");
        assert_eq!(status, 200, "GET /__chain: {body}");
        let chain: Vec<String> = body["chain"]
            .as_array()
            .expect("a chain")
            .iter()
            .map(|op| op.as_str().unwrap_or("?").to_string())
            .collect();
        assert_eq!(body["round_trips"], chain.len(), "{body}");
        chain
    }
}

impl World {
    /// From now on runas-guard talks to this world's moto through a fresh
    /// proxy (the test's own calls still go straight to moto).
    pub fn behind_proxy(&mut self) -> Proxy {
        let proxy = Proxy::start(&self.moto.url);
        self.set_env("AWS_ENDPOINT_URL", &proxy.url());
        proxy
    }

    /// Runs a sweep through `proxy` and says how many AssumeRole calls it
    /// made (how many sessions it took).
    pub fn sweep_counting_sessions(&self, proxy: &Proxy) -> u64 {
        proxy.faults(
            json!([{"name": "sessions", "service": "sts", "action": "AssumeRole", "effect": "count"}]),
        );
        let (code, out) = self.handle(&super::sweep_event());
        assert_eq!(code, 0, "{out:#}");
        proxy.hits()["sessions"]["hits"].as_u64().unwrap_or(0)
    }
}

/// One counting rule per `(service, action)`, named `service:action`.
pub fn counters(actions: &[(&str, &str)]) -> Value {
    Value::Array(
        actions
            .iter()
            .map(|(service, action)| json!({"name": format!("{service}:{action}"), "service": service, "action": action, "effect": "count"}))
            .collect(),
    )
}

/// The rule that answers AssumeRole of the member role as AWS does while
/// the role does not exist (the member stack has not landed): AccessDenied.
pub fn member_role_refused() -> Value {
    json!({"name": "no-role", "service": "sts", "action": "AssumeRole",
        "contains": "role/RunAsGuardExecution", "status": 403, "code": "AccessDenied",
        "protocol": "query", "message": "User is not authorized to perform: sts:AssumeRole"})
}

/// `event` handled by the binary in the background until the proxy holds a
/// call of rule `rule` (within 90 s), then the process killed there, as the
/// Lambda's deadline kills a run; asserts that the hold fired. When it was
/// seen held: whatever lease the run took or renewed, it did so before.
pub fn killed_at_hold(w: &World, proxy: &Proxy, event: &Value, rule: &str) -> Instant {
    let path = w.write_event(event);
    let mut run = w
        .command(&["handle", path.to_str().expect("a UTF-8 path")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(
        proxy.wait(rule, "held", 1, 90),
        "the run never reached its held call `{rule}`: {}",
        proxy.hits()
    );
    let held = Instant::now();
    run.kill().unwrap();
    run.wait().unwrap();
    held
}

/// A world whose runas-guard talks to moto through a fresh proxy, with one
/// member account.
pub async fn world_behind_proxy() -> (World, Proxy, String) {
    let mut w = World::new().await;
    let proxy = w.behind_proxy();
    let account = w.create_account("faulty", None).await;
    (w, proxy, account)
}
