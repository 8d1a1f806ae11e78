//! The differential check (issue 62, "Fidelity held"; docs/internals.md
//! "Simulation"): scripted scenarios played through the product's own SDK
//! clients (the crate's aws-sdk-* versions) once against the simulated AWS
//! (through the seam, [`crate::http::SimHttp`], in virtual time) and once
//! against the local AWS (moto server on loopback with the project's
//! emulators, tests/moto_sts_roles.py, which loads moto_ssm_versions.py and
//! every always-on emulation), compared per step: success or the error
//! code, and the fields the product reads; then the end state (the
//! documents' versions, contents and tags, the messages the topic's
//! subscriber received against the simulator's record, the queue's
//! messages). One moto for every scenario. A difference fails the test
//! naming the scenario, the step and both answers.
//!
//! What each side sets up outside the product's reach (an account's IAM
//! role, a session opened by a person, the organization's tree) is set up
//! per side: in moto through its APIs, in the simulator in its state.
//! Normalised, and only these: ids moto draws at random (accounts, the
//! root, OUs, the organization, sessions, messages) are replaced by the
//! scenario's names for them; timestamps are compared as present or not
//! (and by order where a filter depends on them), never by value.
//!
//! The simulated DynamoDB has its own differential check
//! (tests/sim/aws/dynamodb/moto_diff.py).

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ssm::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_ssm::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use serde_json::{json, Value};

use crate::aws::{self, State, Who};
use crate::http::{sdk_config, SimHttp};
use crate::rng::Rng;

mod messaging;
mod org;
mod ssm;

use messaging::messaging;
use org::{organization, sessions_of_sts};
use ssm::{documents, sessions};

/// moto's default account: the hub (the management account) on both sides.
const HUB: &str = "123456789012";
const REGION: &str = "us-east-1";
const DOC: &str = "SSM-SessionManagerRunShell";
const TOPIC: &str = "runas-guard-alerts";
const QUEUE: &str = "runas-guard-sweep";
const EXEC_ROLE: &str = "RunAsGuardExecution";
const ACCESS_ROLE: &str = "OrganizationAccountAccessRole";

/// What one side answered, step by step: (`scenario/step`, answer).
type Tape = Vec<(String, Value)>;

/// The local AWS: moto with the project's emulators, stopped on drop.
struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    fn start() -> Moto {
        let repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let python = repo.join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: run `make venv` (moto for the differential check)",
            python.display()
        );
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let mut child = Command::new(&python)
                .arg(repo.join("tests/moto_sts_roles.py"))
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("RUNAS_GUARD_STS_ROLES", "enforce")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start moto");
            let stderr = child.stderr.take().expect("piped");
            let (tx, rx) = std::sync::mpsc::channel();
            let running = format!("Running on http://127.0.0.1:{port}");
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stderr)
                    .lines()
                    .map_while(Result::ok)
                {
                    if line.contains(&running) {
                        let _ = tx.send(());
                    }
                }
            });
            if rx.recv_timeout(Duration::from_secs(90)).is_ok() {
                return Moto {
                    child,
                    url: format!("http://127.0.0.1:{port}"),
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("moto did not start");
    }
}

/// One side of the check: its hub configuration, and what it is.
struct Side {
    cfg: SdkConfig,
    sim: Option<aws::Sim>,
    moto_url: Option<String>,
    /// A random id of this side -> the scenario's name for it.
    names: Vec<(String, String)>,
}

/// An answer: `{"ok": fields}` or `{"error": code}`.
fn answer<T, E: ProvideErrorMetadata, R: std::fmt::Debug>(
    r: Result<T, SdkError<E, R>>,
    f: impl FnOnce(T) -> Value,
) -> Value
where
    SdkError<E, R>: std::error::Error + 'static,
{
    match r {
        Ok(t) => json!({ "ok": f(t) }),
        Err(e) => match e.code() {
            Some(c) => json!({ "error": c }),
            None => json!({ "error": format!("no answer: {}", DisplayErrorContext(&e)) }),
        },
    }
}

impl Side {
    fn name(&mut self, id: &str, name: &str) {
        self.names.push((id.to_string(), format!("<{name}>")));
    }

    /// The scenario's names for this side's random ids.
    fn norm(&self, v: Value) -> Value {
        let mut text = v.to_string();
        for (id, name) in &self.names {
            text = text.replace(id.as_str(), name);
        }
        serde_json::from_str(&text).expect("still JSON")
    }

    /// A configuration with `creds` (an assumed role's) instead of the hub's.
    fn with_creds(&self, creds: &aws_sdk_sts::types::Credentials) -> SdkConfig {
        self.cfg
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                creds.access_key_id(),
                creds.secret_access_key(),
                Some(creds.session_token().to_string()),
                None,
                "assumed",
            )))
            .build()
    }

    fn queue_url(&self, name: &str) -> String {
        match &self.moto_url {
            Some(url) => format!("{url}/{HUB}/{name}"),
            None => format!("https://sqs.{REGION}.amazonaws.com/{HUB}/{name}"),
        }
    }

    fn now_iso(&self, plus_s: i64) -> String {
        let ms = aws::now_ms() / 1000 * 1000 + plus_s * 1000;
        aws::wire::iso(ms).replace(".000Z", "Z")
    }

    /// A pause between two steps: virtual in the simulator, real in moto.
    async fn pause(&self, ms: u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

fn rec(tape: &mut Tape, side: &Side, step: &str, v: Value) {
    tape.push((step.to_string(), side.norm(v)));
}

fn doc_fields(d: &aws_sdk_ssm::types::DocumentDescription) -> Value {
    json!({
        "Name": d.name(),
        "DocumentVersion": d.document_version(),
        "DefaultVersion": d.default_version(),
        "LatestVersion": d.latest_version(),
        "DocumentType": d.document_type().map(|t| t.as_str().to_string()),
        "DocumentFormat": d.document_format().map(|t| t.as_str().to_string()),
        // A value differs (each side's clock); the product reads it.
        "CreatedDate": d.created_date().is_some(),
    })
}

/// Run As content as the product and its editors write it.
fn content(user: &str, logging: &str) -> String {
    json!({
        "schemaVersion": "1.0",
        "description": "Session Manager settings",
        "sessionType": "Standard_Stream",
        "inputs": {"runAsEnabled": true, "runAsDefaultUser": user, "s3BucketName": logging, "idleSessionTimeout": "20"}
    })
    .to_string()
}

async fn play(side: &mut Side) -> Tape {
    let mut tape = Tape::new();
    documents(side, &mut tape).await;
    sessions(side, &mut tape).await;
    let (_alpha, beta) = organization(side, &mut tape).await;
    sessions_of_sts(side, &mut tape, &beta).await;
    messaging(side, &mut tape).await;
    tape
}

fn play_sim() -> Tape {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    let tape = rt.block_on(async {
        runas_guard::domain::clock::anchor(Some(
            std::time::UNIX_EPOCH + Duration::from_secs(1_790_000_000),
        ));
        fastrand::seed(62);
        let mut state = State::new(Rng::new(62), HUB, false, false);
        state.instances.insert(
            0,
            aws::Instance {
                label: "diff".into(),
                dead: false,
                calls: 0,
                crash_at: None,
                kill: Arc::new(tokio::sync::Notify::new()),
            },
        );
        let sim: aws::Sim = Arc::new(Mutex::new(state));
        let http = SimHttp {
            sim: sim.clone(),
            instance: 0,
            start_ms: aws::now_ms(),
        };
        let mut side = Side {
            cfg: sdk_config(http, REGION),
            sim: Some(sim.clone()),
            moto_url: None,
            names: vec![],
        };
        let tape = play(&mut side).await;
        let unsupported = sim.lock().unwrap().unsupported.clone();
        assert!(
            unsupported.is_empty(),
            "the simulator met what it does not model: {unsupported:?}"
        );
        tape
    });
    runas_guard::domain::clock::anchor(None);
    tape
}

fn play_moto(moto: &Moto) -> Tape {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let cfg = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&moto.url)
            .region(Region::new(REGION))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "testing", "testing", None, None, "test",
            )))
            .http_client(runas_guard::adapters::aws::http_client())
            .build();
        let mut side = Side {
            cfg,
            sim: None,
            moto_url: Some(moto.url.clone()),
            names: vec![],
        };
        play(&mut side).await
    })
}

/// The differential check: every step's answer and the end state the same
/// on both sides.
#[test]
fn differential() {
    if std::env::var("SIM_SEED").is_ok() || std::env::var("SIM_SECONDS").is_ok() {
        return; // `make simulate` explores or replays; this is `make test`'s.
    }
    let moto = Moto::start();
    let local = play_moto(&moto);
    drop(moto);
    let sim = play_sim();
    let mut differences = vec![];
    for i in 0..local.len().max(sim.len()) {
        let (l, s) = (local.get(i), sim.get(i));
        let step = l.or(s).map(|x| x.0.clone()).unwrap_or_default();
        if l.map(|x| (&x.0, &x.1)) != s.map(|x| (&x.0, &x.1)) {
            differences.push(format!(
                "{step}\n  local AWS: {}\n  simulated: {}",
                l.map_or("(no step)".into(), |x| x.1.to_string()),
                s.map_or("(no step)".into(), |x| x.1.to_string())
            ));
        }
    }
    if std::env::var("DIFF_VERBOSE").is_ok() {
        for (step, v) in &local {
            println!("{step}: {v}");
        }
    }
    println!("differential check: {} steps compared", local.len());
    assert!(
        differences.is_empty(),
        "{} step(s) differ between the local AWS and the simulated AWS:\n{}",
        differences.len(),
        differences.join("\n")
    );
}
