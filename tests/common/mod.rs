//! Integration-test world: a fresh moto server per test, an organization,
//! the hub's table/topic/queue, and helpers that look at AWS the way an
//! operator would (document content, DynamoDB items, SNS messages on SQS).
#![allow(dead_code)]

pub mod fleet;
pub mod hub;
pub mod proxy;
pub mod stacks;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::OnceLock;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sdk_ssm::config::Credentials;
use runas_guard::adapters::aws::sts::Sts;
use serde_json::{json, Value};

pub const HUB: &str = "123456789012";
pub const DOC: &str = "SSM-SessionManagerRunShell";
pub const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
/// Seventeen commercial regions: the organization the cost targets name.
pub const REGIONS_17: [&str; 17] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
];

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Moto {
    server: Server,
    pub url: String,
}

/// One plain HTTP request to a loopback server (the fault proxy's or an
/// emulator's control endpoints); (status, JSON body or Null).
pub fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, Value) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let json = resp
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

impl Moto {
    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// moto as it comes, except that its DynamoDB requests are atomic as
    /// AWS's are (tests/moto_dynamodb_atomic.py) and it has the other
    /// always-on emulations that launcher loads (Organizations answers
    /// carry `Account.Paths` as AWS's do today: tests/moto_org_paths.py).
    pub fn start() -> Moto {
        Moto::start_emulating("moto_dynamodb_atomic.py", &[])
    }

    /// [`Moto::start`] answering Organizations as before its API model of
    /// 2026-03-31: no `Account.Paths`, so an account's OU path is walked
    /// with `ListParents` (tests/moto_org_paths.py's switch).
    pub fn start_without_paths() -> Moto {
        Moto::start_emulating(
            "moto_dynamodb_atomic.py",
            &[("RUNAS_GUARD_ORG_PATHS", "off")],
        )
    }

    /// moto started through a launcher in tests/ that adds what moto lacks
    /// (each launcher documents what it emulates), with `env` set for it.
    pub fn start_emulating(script: &str, env: &[(&str, &str)]) -> Moto {
        Moto::launch(script, env)
    }

    fn launch(script: &str, env: &[(&str, &str)]) -> Moto {
        for _ in 0..5 {
            let port = free_port();
            let args = ["-H", "127.0.0.1", "-p", &port.to_string()].map(String::from);
            // Ours is up when it says so on stderr: a connect alone could
            // reach another test's server that took the port in between.
            let running = format!("Running on http://127.0.0.1:{port}");
            let (server, up) = Server::start(script, &args, env, Some(running));
            // Otherwise it exited (port taken) or stayed silent: another port.
            if up.recv_timeout(Duration::from_secs(60)).is_ok() {
                return Moto {
                    server,
                    url: format!("http://127.0.0.1:{port}"),
                };
            }
        }
        panic!("moto_server did not start");
    }
}

/// A test's Python server (a script in tests/), forked by the zygote
/// (tests/moto_zygote.py: moto imported once a run instead of once a
/// server) or, without one, spawned here. Dropped, it is killed and gone.
struct Server(Process);

enum Process {
    Forked { zygote: &'static Path, pid: u32 },
    Spawned(Child),
}

impl Drop for Server {
    fn drop(&mut self) {
        match &mut self.0 {
            // Only the zygote signals its children: it alone reaps them, so
            // it knows a pid still names ours and not a process reusing it.
            Process::Forked { zygote, pid } => {
                if let Ok(mut s) = UnixStream::connect(*zygote) {
                    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
                    let _ = writeln!(s, "{}", json!({ "kill": pid }));
                    let _ = s.read_to_string(&mut String::new()); // once it is reaped
                }
            }
            Process::Spawned(child) => {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

impl Server {
    /// `python tests/<script> ARGS` with `env`. With `running`, the receiver
    /// gets a message once a line of its stderr contains it (the rest is
    /// dropped); without, its stderr is echoed to the test's. Either way the
    /// receiver disconnects when its stderr closes: the server exited.
    fn start(
        script: &str,
        args: &[String],
        env: &[(&str, &str)],
        running: Option<String>,
    ) -> (Server, Receiver<()>) {
        let python = repo().join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: run `make test` (it installs moto into .venv)",
            python.display()
        );
        let script = repo().join("tests").join(script);
        if let Some(zygote) = zygote() {
            match fork(zygote, &script, args, env) {
                Ok((pid, stderr)) => {
                    return (
                        Server(Process::Forked { zygote, pid }),
                        drain(stderr, running),
                    );
                }
                Err(e) => uncaptured(&format!(
                    "moto zygote: {e}; spawning {} directly",
                    script.display()
                )),
            }
        }
        let mut child = Command::new(python)
            .arg(&script)
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start a test server");
        let stderr = child.stderr.take().expect("piped");
        (Server(Process::Spawned(child)), drain(stderr, running))
    }
}

/// The zygote's socket: one zygote a test binary, started on first use. It
/// stops (and its servers with it) when its stdin closes, as this process
/// ends. None when it could not start, or with RUNAS_GUARD_TEST_ZYGOTE=off:
/// servers are then spawned directly.
fn zygote() -> Option<&'static Path> {
    static ZYGOTE: OnceLock<Option<(PathBuf, Child)>> = OnceLock::new();
    // To compare with, or to rule it out.
    if std::env::var("RUNAS_GUARD_TEST_ZYGOTE").as_deref() == Ok("off") {
        return None;
    }
    ZYGOTE
        .get_or_init(|| {
            start_zygote()
                .map_err(|e| uncaptured(&format!("moto zygote: {e}; servers spawned directly")))
                .ok()
        })
        .as_ref()
        .map(|(socket, _)| socket.as_path())
}

fn start_zygote() -> Result<(PathBuf, Child), String> {
    let socket =
        std::env::temp_dir().join(format!("runas-guard-zygote-{}.sock", std::process::id()));
    let mut zygote = Command::new(repo().join(".venv/bin/python"))
        .arg(repo().join("tests/moto_zygote.py"))
        .arg(&socket)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("not started: {e}"))?;
    let stdout = zygote.stdout.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(line) if line.trim() == "ready" => Ok((socket, zygote)),
        answer => {
            let _ = zygote.kill();
            let _ = zygote.wait();
            Err(match answer {
                Ok(line) if line.is_empty() => "it exited (its stderr says why)".to_string(),
                Ok(line) => format!("it said {line:?}"),
                Err(_) => "not ready within 60 s".to_string(),
            })
        }
    }
}

/// Shown even when the test passes (the harness discards a passing test's
/// `eprintln!`): servers started without the zygote make a slower run.
fn uncaptured(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// The zygote's child running `script ARGS` with `env`: its pid and its
/// stderr (the connection, whose first line is the pid).
fn fork(
    zygote: &Path,
    script: &Path,
    args: &[String],
    env: &[(&str, &str)],
) -> Result<(u32, BufReader<UnixStream>), String> {
    let env: serde_json::Map<String, Value> =
        env.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    let request = json!({"script": script, "args": args, "env": env});
    let text = |e: std::io::Error| e.to_string();
    let mut stream = UnixStream::connect(zygote).map_err(text)?;
    writeln!(stream, "{request}").map_err(text)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(text)?;
    let mut stderr = BufReader::new(stream);
    let mut first = String::new();
    stderr.read_line(&mut first).map_err(text)?;
    let pid = first
        .trim()
        .parse()
        .map_err(|_| format!("answered {first:?}"))?;
    stderr.get_ref().set_read_timeout(None).map_err(text)?;
    Ok((pid, stderr))
}

/// Reads a server's stderr to its end, so that its request log never blocks
/// it (see [`Server::start`] for `running`).
fn drain(stderr: impl Read + Send + 'static, running: Option<String>) -> Receiver<()> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            match &running {
                Some(running) if line.contains(running) => {
                    let _ = tx.send(());
                }
                Some(_) => {}
                None => eprintln!("{line}"),
            }
        }
    });
    rx
}

static DIRS: AtomicUsize = AtomicUsize::new(0);

pub struct World {
    pub moto: Moto,
    pub cfg: SdkConfig,
    pub dir: PathBuf,
    pub table: String,
    pub topic_arn: String,
    pub alert_queue: String,
    pub root: String,
    pub policy: PathBuf,
    extra_env: Vec<(String, String)>,
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// A queue in the hub account; its URL.
pub async fn new_queue(cfg: &SdkConfig, name: &str) -> String {
    aws_sdk_sqs::Client::new(cfg)
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string()
}

/// A queue named `name`, subscribed to `topic`: where a test reads alerts.
pub async fn subscribed_queue(cfg: &SdkConfig, topic: &str, name: &str) -> String {
    let url = new_queue(cfg, name).await;
    aws_sdk_sns::Client::new(cfg)
        .subscribe()
        .topic_arn(topic)
        .protocol("sqs")
        .endpoint(format!("arn:aws:sqs:us-east-1:{HUB}:{name}"))
        .send()
        .await
        .unwrap();
    url
}

pub fn hub_config(url: &str) -> SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(url)
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ssm::config::SharedCredentialsProvider::new(
            Credentials::new("testing", "testing", None, None, "test"),
        ))
        .http_client(runas_guard::adapters::aws::http_client())
        .build()
}

impl World {
    pub async fn new() -> World {
        World::on(Moto::start()).await
    }

    /// A world on a moto started by the caller (see [`Moto::start_emulating`]).
    pub async fn on(moto: Moto) -> World {
        let cfg = hub_config(&moto.url);
        let n = DIRS.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("runas-guard-it-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();

        let org = aws_sdk_organizations::Client::new(&cfg);
        org.create_organization()
            .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
            .send()
            .await
            .unwrap();
        let root = org.list_roots().send().await.unwrap().roots()[0]
            .id()
            .unwrap()
            .to_string();

        let ddb = aws_sdk_dynamodb::Client::new(&cfg);
        let table = "runas-guard".to_string();
        ddb.create_table()
            .table_name(&table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("pk")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("sk")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("pk")
                    .key_type(KeyType::Hash)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("sk")
                    .key_type(KeyType::Range)
                    .build()
                    .unwrap(),
            )
            // As infra/hub.yaml: the sparse index a sweep reads.
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("state_shard")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .global_secondary_indexes(
                aws_sdk_dynamodb::types::GlobalSecondaryIndex::builder()
                    .index_name("state")
                    .key_schema(
                        KeySchemaElement::builder()
                            .attribute_name("state_shard")
                            .key_type(KeyType::Hash)
                            .build()
                            .unwrap(),
                    )
                    .key_schema(
                        KeySchemaElement::builder()
                            .attribute_name("pk")
                            .key_type(KeyType::Range)
                            .build()
                            .unwrap(),
                    )
                    .projection(
                        aws_sdk_dynamodb::types::Projection::builder()
                            .projection_type(aws_sdk_dynamodb::types::ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();

        let sns = aws_sdk_sns::Client::new(&cfg);
        let topic_arn = sns
            .create_topic()
            .name("runas-guard-alerts")
            .send()
            .await
            .unwrap()
            .topic_arn()
            .unwrap()
            .to_string();
        let alert_queue = subscribed_queue(&cfg, &topic_arn, "alerts").await;

        let policy = dir.join("policy.toml");
        let world = World {
            moto,
            cfg,
            dir,
            table,
            topic_arn,
            alert_queue,
            root,
            policy,
            extra_env: vec![],
        };
        world.write_policy("");
        world
    }

    /// Writes the policy: two regions, default user `ssm-ops`, plus `extra` TOML.
    pub fn write_policy(&self, extra: &str) {
        let text = format!(
            "member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\", \"eu-west-1\"]\n{extra}\n[default]\nrun_as_user = \"ssm-ops\"\n"
        );
        std::fs::write(&self.policy, text).unwrap();
    }

    /// The policy of [`World::write_policy`] governing `regions`.
    pub fn write_policy_regions(&self, regions: &[&str]) {
        let regions: Vec<String> = regions.iter().map(|r| format!("\"{r}\"")).collect();
        self.write_policy_raw(&format!(
            "member_role = \"RunAsGuardExecution\"\nregions = [{}]\n[default]\nrun_as_user = \"ssm-ops\"\n",
            regions.join(", ")
        ));
    }

    pub fn write_policy_raw(&self, text: &str) {
        std::fs::write(&self.policy, text).unwrap();
    }

    pub fn set_env(&mut self, k: &str, v: &str) {
        self.extra_env.push((k.into(), v.into()));
    }

    /// A sweep fanned out through `queue` (the threshold set low: one
    /// message per account), its answer checked to say so.
    pub fn sweep_fanned_out(&mut self, queue: &str) -> Value {
        self.set_env("RUNAS_GUARD_SWEEP_QUEUE_URL", queue);
        self.set_env("RUNAS_GUARD_FANOUT_THRESHOLD", "1");
        let (code, out) = self.handle(&sweep_event());
        assert_eq!(
            (code, out["result"].as_str()),
            (0, Some("fanned_out")),
            "{out:#}"
        );
        out
    }

    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("AWS_ENDPOINT_URL".to_string(), self.moto.url.clone()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            (
                "RUNAS_GUARD_POLICY".into(),
                self.policy.display().to_string(),
            ),
            ("RUNAS_GUARD_TABLE".into(), self.table.clone()),
            ("RUNAS_GUARD_TOPIC_ARN".into(), self.topic_arn.clone()),
        ];
        env.extend(self.extra_env.iter().cloned());
        env
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_runas-guard"));
        cmd.args(args)
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("RUST_LOG");
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let out: Output = self.command(args).output().expect("run runas-guard");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `runas-guard handle` on an event value; returns the parsed outcome.
    pub fn handle(&self, event: &Value) -> (i32, Value) {
        let path = self.write_event(event);
        let run = self.run(&["handle", path.to_str().unwrap()]);
        let v = run.json();
        (run.code, v)
    }

    pub fn write_event(&self, event: &Value) -> PathBuf {
        let n = DIRS.fetch_add(1, Ordering::SeqCst);
        let path = self.dir.join(format!("event-{n}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(event).unwrap()).unwrap();
        path
    }

    pub fn org(&self) -> aws_sdk_organizations::Client {
        aws_sdk_organizations::Client::new(&self.cfg)
    }

    pub async fn create_ou(&self, parent: &str, name: &str) -> String {
        self.org()
            .create_organizational_unit()
            .parent_id(parent)
            .name(name)
            .send()
            .await
            .unwrap()
            .organizational_unit()
            .unwrap()
            .id()
            .unwrap()
            .to_string()
    }

    /// Creates an account and moves it under `parent` (the root if `None`).
    pub async fn create_account(&self, name: &str, parent: Option<&str>) -> String {
        let out = self
            .org()
            .create_account()
            .account_name(name)
            .email(format!("{name}@example.com"))
            .send()
            .await
            .unwrap();
        let id = out
            .create_account_status()
            .unwrap()
            .account_id()
            .unwrap()
            .to_string();
        if let Some(p) = parent {
            self.org()
                .move_account()
                .account_id(&id)
                .source_parent_id(&self.root)
                .destination_parent_id(p)
                .send()
                .await
                .unwrap();
        }
        id
    }

    /// An SSM client acting in `account` as an `Admin` role (not runas-guard's).
    pub async fn admin_ssm(&self, account: &str, region: &str) -> aws_sdk_ssm::Client {
        let session = Sts::new(&self.cfg)
            .assume(account, &["Admin"], "test-admin", None)
            .await
            .unwrap();
        session.ssm(region)
    }

    /// Creates the document, or adds a version; `make_default` also switches the default.
    pub async fn admin_write(
        &self,
        account: &str,
        region: &str,
        content: &Value,
        make_default: bool,
    ) -> String {
        self.admin_write_named(account, region, DOC, content, make_default)
            .await
    }

    /// [`World::admin_write`] on any document.
    pub async fn admin_write_named(
        &self,
        account: &str,
        region: &str,
        name: &str,
        content: &Value,
        make_default: bool,
    ) -> String {
        let ssm = self.admin_ssm(account, region).await;
        let text = serde_json::to_string_pretty(content).unwrap();
        let exists = ssm.describe_document().name(name).send().await.is_ok();
        if !exists {
            ssm.create_document()
                .name(name)
                .content(text)
                .document_type(aws_sdk_ssm::types::DocumentType::Session)
                .document_format(aws_sdk_ssm::types::DocumentFormat::Json)
                .send()
                .await
                .unwrap();
            return "1".into();
        }
        let out = ssm
            .update_document()
            .name(name)
            .content(text)
            .document_version("$LATEST")
            .send()
            .await
            .unwrap();
        let v = out
            .document_description()
            .unwrap()
            .document_version()
            .unwrap()
            .to_string();
        if make_default {
            ssm.update_document_default_version()
                .name(name)
                .document_version(&v)
                .send()
                .await
                .unwrap();
        }
        v
    }

    /// An account admin makes `version` of the governed document the default.
    pub async fn admin_switch(&self, account: &str, region: &str, version: &str) {
        let ssm = self.admin_ssm(account, region).await;
        ssm.update_document_default_version()
            .name(DOC)
            .document_version(version)
            .send()
            .await
            .unwrap();
    }

    /// (default content, default version, latest version), or `None` if missing.
    pub async fn document(&self, account: &str, region: &str) -> Option<(Value, String, String)> {
        self.named_document(account, region, DOC).await
    }

    /// [`World::document`] of any document.
    pub async fn named_document(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Option<(Value, String, String)> {
        let ssm = self.admin_ssm(account, region).await;
        let d = ssm.describe_document().name(name).send().await.ok()?;
        let d = d.document().unwrap();
        let (default, latest) = (
            d.default_version().unwrap().to_string(),
            d.latest_version().unwrap().to_string(),
        );
        let content = ssm
            .get_document()
            .name(name)
            .send()
            .await
            .unwrap()
            .content()
            .unwrap()
            .to_string();
        Some((serde_json::from_str(&content).unwrap(), default, latest))
    }

    pub async fn version_content(&self, account: &str, region: &str, version: &str) -> Value {
        let ssm = self.admin_ssm(account, region).await;
        let c = ssm
            .get_document()
            .name(DOC)
            .document_version(version)
            .send()
            .await
            .unwrap();
        serde_json::from_str(c.content().unwrap()).unwrap()
    }

    /// The control of a test that told something: a sweep after it
    /// succeeds and sends nothing.
    pub async fn sweep_is_silent(&self) {
        let (code, out) = self.handle(&sweep_event());
        assert_eq!(code, 0, "{out:#}");
        let after = self.alerts().await;
        assert!(after.is_empty(), "the sweep after is silent: {after:#?}");
    }

    /// Every alert delivered so far (SNS envelope parsed), consumed from the queue.
    pub async fn alerts(&self) -> Vec<Value> {
        self.drain(&self.alert_queue)
            .await
            .iter()
            .map(|m| {
                let envelope: Value = serde_json::from_str(m.body().unwrap()).unwrap();
                let message: Value =
                    serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
                json!({
                    "subject": envelope["Subject"],
                    "attributes": envelope["MessageAttributes"],
                    "message": message,
                })
            })
            .collect()
    }

    /// Every message waiting on `queue`, received and deleted, as the records
    /// of the SQS batch event Lambda's event source mapping would deliver.
    pub async fn sqs_records(&self, queue: &str) -> Vec<Value> {
        self.drain(queue)
            .await
            .iter()
            .map(|m| {
                json!({
                    "messageId": m.message_id().unwrap(), "receiptHandle": m.receipt_handle().unwrap(),
                    "body": m.body().unwrap(), "attributes": {}, "messageAttributes": {},
                    "md5OfBody": "", "eventSource": "aws:sqs",
                    "eventSourceARN": format!("arn:aws:sqs:us-east-1:{HUB}:sweep"), "awsRegion": "us-east-1"
                })
            })
            .collect()
    }

    /// Receives and deletes every message waiting on `queue`.
    pub async fn drain(&self, queue: &str) -> Vec<aws_sdk_sqs::types::Message> {
        let sqs = aws_sdk_sqs::Client::new(&self.cfg);
        let mut out = Vec::new();
        loop {
            let got = sqs
                .receive_message()
                .queue_url(queue)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            if got.messages().is_empty() {
                return out;
            }
            for m in got.messages() {
                sqs.delete_message()
                    .queue_url(queue)
                    .receipt_handle(m.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
                out.push(m.clone());
            }
        }
    }

    /// All table items as plain JSON-ish maps (S and N as strings).
    pub async fn items(&self) -> Vec<HashMap<String, String>> {
        let ddb = aws_sdk_dynamodb::Client::new(&self.cfg);
        let out = ddb.scan().table_name(&self.table).send().await.unwrap();
        out.items()
            .iter()
            .map(|i| {
                i.iter()
                    .map(|(k, v)| {
                        let s = match v {
                            AttributeValue::S(s) => s.clone(),
                            AttributeValue::N(n) => n.clone(),
                            other => format!("{other:?}"),
                        };
                        (k.clone(), s)
                    })
                    .collect()
            })
            .collect()
    }

    pub async fn state(&self, account: &str, region: &str) -> Option<HashMap<String, String>> {
        let pk = format!("ACCOUNT#{account}");
        let sk = format!("REGION#{region}");
        self.items()
            .await
            .into_iter()
            .find(|i| i["pk"] == pk && i["sk"] == sk)
    }

    /// The window claims of one slot, from their ledger items
    /// (`FACT#<slot>#..`), as `told <token> <part>` (`by`, `seen`, `until`,
    /// `kept`, `actor`).
    pub async fn claims(&self, account: &str, slot: &str) -> HashMap<String, String> {
        let pk = format!("ACCOUNT#{account}");
        let mut out = HashMap::new();
        for i in self.items().await {
            if i["pk"] != pk
                || !i["sk"].starts_with("FACT#")
                || i.get("slot").map(String::as_str) != Some(slot)
            {
                continue;
            }
            for part in ["by", "seen", "until", "kept", "actor"] {
                if let Some(v) = i.get(part) {
                    out.insert(format!("told {} {part}", i["token"]), v.clone());
                }
            }
        }
        out
    }

    pub async fn history(&self, account: &str) -> Vec<HashMap<String, String>> {
        let pk = format!("ACCOUNT#{account}");
        let mut rows: Vec<_> = self
            .items()
            .await
            .into_iter()
            .filter(|i| i["pk"] == pk && i["sk"].starts_with("HISTORY#"))
            .collect();
        rows.sort_by(|a, b| a["sk"].cmp(&b["sk"]));
        rows
    }
}

/// The sort key of a window claim's ledger item: the product's
/// `ids::stable_id(["fact", slot, token])` (FNV-1a, each part ended by a
/// zero byte), computed here so a test can aim at one claim's item.
pub fn fact_sk(slot: &str, token: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in ["fact", slot, token] {
        for b in part.bytes().chain([0u8]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("FACT#{slot}#{hash:016x}")
}

pub fn sample(name: &str) -> Value {
    let path = repo().join("events").join(name);
    serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

fn fresh_id() -> String {
    format!(
        "it-{}-{}",
        std::process::id(),
        DIRS.fetch_add(1, Ordering::SeqCst)
    )
}

/// Organizations `CreateAccountResult` for `account`, with a new event id.
pub fn vend_event(account: &str) -> Value {
    let mut e = sample("account_vended.organizations-create-account-result.json");
    e["id"] = json!(fresh_id());
    e["detail"]["serviceEventDetails"]["createAccountStatus"]["accountId"] = json!(account);
    e
}

/// Control Tower `CreateManagedAccount` naming the account's OU.
pub fn ct_event(account: &str, ou: &str) -> Value {
    let mut e = sample("account_vended.controltower-create-managed-account.json");
    e["id"] = json!(fresh_id());
    let status = &mut e["detail"]["serviceEventDetails"]["createManagedAccountStatus"];
    status["account"]["accountId"] = json!(account);
    status["organizationalUnit"]["organizationalUnitId"] = json!(ou);
    e
}

/// CloudTrail's `eventTime` of a call made now (whole seconds, as CloudTrail
/// records it): the time the hub's coalescing gate compares with a run's
/// start, so an event built for a change made now must say now.
pub fn cloudtrail_now() -> String {
    let iso = runas_guard::domain::clock::iso(std::time::SystemTime::now());
    format!("{}Z", &iso[..19])
}

/// `event` as CloudTrail records a call made now.
pub fn made_now(mut event: Value) -> Value {
    event["detail"]["eventTime"] = json!(cloudtrail_now());
    event
}

/// A CloudTrail document event in `account`/`region` by role `role`, made now.
pub fn doc_event(event_name: &str, account: &str, region: &str, role: &str) -> Value {
    let mut e = made_now(sample("document_changed.ssm-update-document.json"));
    e["id"] = json!(fresh_id());
    e["account"] = json!(account);
    e["region"] = json!(region);
    let d = &mut e["detail"];
    d["eventName"] = json!(event_name);
    d["awsRegion"] = json!(region);
    d["recipientAccountId"] = json!(account);
    d["userIdentity"]["accountId"] = json!(account);
    d["userIdentity"]["arn"] = json!(format!(
        "arn:aws:sts::{account}:assumed-role/{role}/session-1"
    ));
    d["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] =
        json!(format!("arn:aws:iam::{account}:role/{role}"));
    d["userIdentity"]["sessionContext"]["sessionIssuer"]["accountId"] = json!(account);
    d["userIdentity"]["sessionContext"]["sessionIssuer"]["userName"] = json!(role);
    e
}

/// `e`, a document event, saying the version it made (an `UpdateDocument`'s
/// or `CreateDocument`'s answer) or made the default (a switch's request),
/// as CloudTrail records the call: the guard matches an edit's event to
/// the version it made.
pub fn making(mut e: Value, version: &str) -> Value {
    let d = &mut e["detail"];
    match d["eventName"].as_str() {
        Some("UpdateDocumentDefaultVersion") => {
            d["requestParameters"]["documentVersion"] = json!(version)
        }
        _ => d["responseElements"] = json!({"documentDescription": {"documentVersion": version}}),
    }
    e
}

/// The alerts of one kind, in the order they came.
pub fn of_kind<'a>(alerts: &'a [Value], kind: &str) -> Vec<&'a Value> {
    alerts
        .iter()
        .filter(|a| a["message"]["kind"] == kind)
        .collect()
}

/// The member StackSet's instance in `account` and `region` landed
/// (CloudFormation's stack-instance event, as the hub receives it).
pub fn stack_landed(account: &str, region: &str, id: &str) -> Value {
    let mut e = sample("member_stack_landed.cloudformation-stack-instance-succeeded.json");
    e["id"] = json!(id);
    e["detail"]["stack-id"] = json!(format!(
        "arn:aws:cloudformation:{region}:{account}:stack/StackSet-runas-guard-member-0a1b/0c2d"
    ));
    e
}

/// A Control Tower baseline applied (`SUCCEEDED`) to `target`: an account
/// id or an OU id.
pub fn baseline_applied(target: &str, org: &str, id: &str) -> Value {
    let (sample_name, kind) = match target.starts_with("ou-") {
        true => (
            "baseline_applied.controltower-reset-enabled-baseline-ou.json",
            "ou",
        ),
        false => (
            "baseline_applied.controltower-enable-baseline-account.json",
            "account",
        ),
    };
    let mut e = sample(sample_name);
    e["id"] = json!(id);
    let details = e["detail"]["serviceEventDetails"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .next()
        .unwrap();
    details["enabledBaselineDetails"]["targetIdentifier"] = json!(format!(
        "arn:aws:organizations::{HUB}:{kind}/{org}/{target}"
    ));
    e
}

pub fn sweep_event() -> Value {
    let mut e = sample("sweep.scheduled-event.json");
    e["id"] = json!(fresh_id());
    e
}

/// A link `why` names in its JSON answer (`links[].link`).
pub fn link<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["link"] == name)
        .unwrap_or_else(|| panic!("no {name} link: {v:#}"))
}

/// Every governed region of `account` has the document with Run As on for
/// `ssm-ops`, the tests' default policy's user.
pub async fn assert_configured(w: &World, account: &str) {
    for region in REGIONS {
        let (doc, _, _) = w
            .document(account, region)
            .await
            .unwrap_or_else(|| panic!("{account} {region}: no document"));
        assert_eq!(
            run_as(&doc),
            (json!(true), json!("ssm-ops")),
            "{account} {region}"
        );
    }
}

pub fn run_as(doc: &Value) -> (Value, Value) {
    (
        doc["inputs"]["runAsEnabled"].clone(),
        doc["inputs"]["runAsDefaultUser"].clone(),
    )
}

/// An LZA-style document: logging inputs set, RunAs off.
pub fn lza_document(account: &str) -> Value {
    json!({
        "schemaVersion": "1.0",
        "description": "Document to hold regional settings for Session Manager",
        "sessionType": "Standard_Stream",
        "inputs": {
            "s3BucketName": format!("aws-accelerator-central-logs-{account}"),
            "s3KeyPrefix": format!("session/{account}"),
            "s3EncryptionEnabled": true,
            "cloudWatchLogGroupName": "aws-accelerator-sessionmanager-logs",
            "cloudWatchEncryptionEnabled": true,
            "cloudWatchStreamingEnabled": true,
            "kmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd",
            "idleSessionTimeout": "20",
            "maxSessionDuration": "",
            "runAsEnabled": false,
            "runAsDefaultUser": "",
            "shellProfile": {"linux": "exec bash -l", "windows": ""}
        }
    })
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A MoveAccount CloudTrail event (the OU it names is only a hint).
pub fn move_event(account: &str, from: &str, to: &str) -> Value {
    let mut e = sample("account_moved.organizations-move-account.json");
    e["id"] = json!(fresh_id());
    let p = &mut e["detail"]["requestParameters"];
    p["accountId"] = json!(account);
    p["sourceParentId"] = json!(from);
    p["destinationParentId"] = json!(to);
    e
}

/// A document event by `role` with session name `session` (CloudTrail's
/// `userIdentity` for an assumed role).
pub fn doc_event_as(
    event_name: &str,
    account: &str,
    region: &str,
    role: &str,
    session: &str,
) -> Value {
    let mut e = doc_event(event_name, account, region, role);
    e["detail"]["userIdentity"]["arn"] = json!(format!(
        "arn:aws:sts::{account}:assumed-role/{role}/{session}"
    ));
    e
}

impl World {
    /// A member account with LZA's documents, configured by its vend and
    /// then a sweep (the management account is swept too: configured once,
    /// there), alerts drained.
    pub async fn configured_and_swept(&self) -> String {
        let account = self.create_account("member", None).await;
        for region in REGIONS {
            self.admin_write(&account, region, &lza_document(&account), true)
                .await;
        }
        let (code, out) = self.handle(&vend_event(&account));
        assert_eq!(code, 0, "{out:#}");
        let (code, out) = self.handle(&sweep_event());
        assert_eq!(code, 0, "{out:#}");
        self.alerts().await;
        account
    }
}

impl World {
    /// Landing Zone Accelerator's Session Manager custom resource (v1.14+,
    /// `session-manager-settings/index.ts`): GetDocument (the default version),
    /// RunAs copied from it, its eight inputs as compact JSON, UpdateDocument
    /// on `$LATEST`, and never a default switch.
    pub async fn lza_write(&self, account: &str, region: &str, s3_key_prefix: &str) -> String {
        let ssm = self.admin_ssm(account, region).await;
        let current: Value = serde_json::from_str(
            ssm.get_document()
                .name(DOC)
                .send()
                .await
                .unwrap()
                .content()
                .unwrap(),
        )
        .unwrap();
        let inputs = &current["inputs"];
        let settings = json!({
            "schemaVersion": "1.0",
            "description": "Document to hold regional settings for Session Manager",
            "sessionType": "Standard_Stream",
            "inputs": {
                "cloudWatchEncryptionEnabled": true,
                "cloudWatchLogGroupName": "aws-accelerator-sessionmanager-logs",
                "kmsKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
                "s3BucketName": format!("aws-accelerator-central-logs-{account}"),
                "s3EncryptionEnabled": true,
                "s3KeyPrefix": s3_key_prefix,
                "runAsEnabled": inputs.get("runAsEnabled").cloned().unwrap_or(json!(false)),
                "runAsDefaultUser": inputs.get("runAsDefaultUser").cloned().unwrap_or(json!("")),
            }
        });
        ssm.update_document()
            .name(DOC)
            .content(serde_json::to_string(&settings).unwrap())
            .document_version("$LATEST")
            .send()
            .await
            .unwrap()
            .document_description()
            .unwrap()
            .document_version()
            .unwrap()
            .to_string()
    }

    /// The Session Manager console's edit: a new version with `user`, then
    /// the default switched to it. Returns the new version.
    pub async fn console_edit(&self, account: &str, region: &str, user: &str) -> String {
        let mut doc = self.document(account, region).await.unwrap().0;
        doc["inputs"]["runAsDefaultUser"] = json!(user);
        self.admin_write(account, region, &doc, true).await
    }

    /// `runas-guard handle EVENT` in a thread, for runs that must overlap.
    pub fn handle_in_background(&self, event: &Value) -> std::thread::JoinHandle<Run> {
        let path = self.write_event(event);
        let mut cmd = self.command(&["handle", path.to_str().unwrap()]);
        std::thread::spawn(move || {
            let out = cmd.output().expect("run runas-guard");
            Run {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }
        })
    }

    /// An S3 client (path-style, as a local endpoint needs) and a bucket in
    /// the hub account for a policy object.
    pub async fn policy_bucket(&self, bucket: &str) -> aws_sdk_s3::Client {
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.cfg)
                .force_path_style(true)
                .build(),
        );
        s3.create_bucket().bucket(bucket).send().await.unwrap();
        // As the hub stack's policy bucket: versioned.
        s3.put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        s3
    }

    /// A queue in the hub account; its URL.
    pub async fn create_queue(&self, name: &str) -> String {
        new_queue(&self.cfg, name).await
    }

    pub async fn move_account(&self, account: &str, from: &str, to: &str) {
        self.org()
            .move_account()
            .account_id(account)
            .source_parent_id(from)
            .destination_parent_id(to)
            .send()
            .await
            .unwrap();
    }

    /// Alerts of `kind` delivered so far (consumes the queue).
    pub async fn alert_kinds(&self) -> Vec<String> {
        self.alerts()
            .await
            .iter()
            .map(|a| {
                a["message"]["kind"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    }
}

impl World {
    /// `runas-guard ARGS` with the variables in `unset` removed from its
    /// environment (e.g. a dry run with no table and no topic).
    pub fn run_without(&self, unset: &[&str], args: &[&str]) -> Run {
        let mut cmd = self.command(args);
        for k in unset {
            cmd.env_remove(k);
        }
        let out = cmd.output().expect("run runas-guard");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// A CloudFormation stack standing in for the hub stack: its
    /// `MemberRoleName` parameter and `TableName` / `TopicArn` outputs.
    pub async fn hub_stack(&self, name: &str, member_role: &str) {
        let template = json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Parameters": {"MemberRoleName": {"Type": "String", "Default": "RunAsGuardExecution"}},
            "Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": format!("{name}-q")}}},
            "Outputs": {
                "TableName": {"Value": self.table},
                "TopicArn": {"Value": self.topic_arn},
            }
        });
        aws_sdk_cloudformation::Client::new(&self.cfg)
            .create_stack()
            .stack_name(name)
            .template_body(template.to_string())
            .parameters(
                aws_sdk_cloudformation::types::Parameter::builder()
                    .parameter_key("MemberRoleName")
                    .parameter_value(member_role)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
}

/// Exactly one line, and no terminal colour codes.
pub fn assert_one_clean_line(stderr: &str) {
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "exactly one stderr line: {stderr:?}"
    );
    assert!(!stderr.contains('\u{1b}'), "no ANSI codes: {stderr:?}");
}

/// A Lambda SQS event carrying `bodies`, as the event source mapping sends it.
pub fn sqs_batch(bodies: &[String]) -> Value {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            json!({"messageId": format!("m-{i}"), "receiptHandle": format!("h-{i}"), "body": body,
                "attributes": {}, "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:sweep", "awsRegion": "us-east-1"})
        })
        .collect();
    json!({ "Records": records })
}

/// The session ids an alert's message lists (`sessions`), failing with the
/// message where it lists none.
pub fn listed_sessions(m: &Value) -> Vec<&str> {
    m["sessions"]
        .as_array()
        .unwrap_or_else(|| panic!("sessions listed: {m:#}"))
        .iter()
        .map(|s| s["session_id"].as_str().unwrap())
        .collect()
}
