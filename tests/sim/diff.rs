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

use std::collections::BTreeMap;
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

async fn versions(ssm: &aws_sdk_ssm::Client, side: &Side, tape: &mut Tape, step: &str, page: i32) {
    // Every page, in the order answered; the order of versions within
    // them is not a promise of the API (sorted here).
    let mut token: Option<String> = None;
    let mut pages = vec![];
    let mut all = vec![];
    loop {
        let r = ssm
            .list_document_versions()
            .name(DOC)
            .max_results(page)
            .set_next_token(token.clone())
            .send()
            .await;
        match r {
            Ok(o) => {
                pages.push(o.document_versions().len());
                for v in o.document_versions() {
                    all.push(json!({
                        "DocumentVersion": v.document_version(),
                        "IsDefaultVersion": v.is_default_version(),
                        "CreatedDate": v.created_date().is_some(),
                    }));
                }
                token = o.next_token().map(str::to_string);
                if token.is_none() {
                    break;
                }
            }
            Err(e) => {
                rec(tape, side, step, answer::<(), _, _>(Err(e), |_| Value::Null));
                return;
            }
        }
    }
    all.sort_by_key(|v| v["DocumentVersion"].as_str().unwrap_or("").parse::<u32>().unwrap_or(0));
    rec(tape, side, step, json!({"ok": {"pages": pages, "versions": all}}));
}

async fn get(ssm: &aws_sdk_ssm::Client, side: &Side, tape: &mut Tape, step: &str, version: Option<&str>) {
    let r = ssm
        .get_document()
        .name(DOC)
        .set_document_version(version.map(str::to_string))
        .send()
        .await;
    rec(
        tape,
        side,
        step,
        answer(r, |o| {
            json!({
                "Name": o.name(),
                "DocumentVersion": o.document_version(),
                "Content": o.content(),
                "DocumentType": o.document_type().map(|t| t.as_str().to_string()),
                "CreatedDate": o.created_date().is_some(),
            })
        }),
    );
}

async fn tags(ssm: &aws_sdk_ssm::Client, side: &Side, tape: &mut Tape, step: &str) {
    let r = ssm
        .list_tags_for_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Document)
        .resource_id(DOC)
        .send()
        .await;
    rec(
        tape,
        side,
        step,
        answer(r, |o| {
            let mut t: Vec<(String, String)> = o
                .tag_list()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            t.sort();
            json!(t)
        }),
    );
}

/// SSM documents: create, update (no version, `$LATEST`, the latest's
/// number, a number not the latest), duplicate content, the default
/// switched, versions listed in pages, fetched by version, tags, a version
/// deleted, the document deleted and made again.
async fn documents(side: &mut Side, tape: &mut Tape) {
    use aws_sdk_ssm::types::{DocumentFormat, DocumentType, ResourceTypeForTagging, Tag};
    let ssm = aws_sdk_ssm::Client::new(&side.cfg);
    let (a, b, c, d) = (
        content("ssm-user", ""),
        content("produser", ""),
        content("produser", "logs-1"),
        content("root", ""),
    );
    let create = |body: &str| {
        ssm.create_document()
            .name(DOC)
            .content(body)
            .document_type(DocumentType::Session)
            .document_format(DocumentFormat::Json)
            .send()
    };
    let update = |body: &str, version: Option<&str>| {
        ssm.update_document()
            .name(DOC)
            .content(body)
            .set_document_version(version.map(str::to_string))
            .send()
    };
    let s = &*side;
    get(&ssm, s, tape, "documents/get missing", None).await;
    let r = update(&a, Some("$LATEST")).await;
    rec(tape, s, "documents/update missing", answer(r, |o| doc_fields(o.document_description().unwrap())));
    let r = create(&a).await;
    rec(tape, s, "documents/create", answer(r, |o| doc_fields(o.document_description().unwrap())));
    let r = create(&b).await;
    rec(tape, s, "documents/create again", answer(r, |o| doc_fields(o.document_description().unwrap())));
    // Every update names its version, as the product's do: what AWS does
    // with none is not documented (the API reference: "You can specify
    // the version number of the latest version or use the $LATEST
    // variable"), moto refuses it (InvalidDocumentVersion), the simulator
    // takes it as $LATEST; not compared.
    let r = update(&b, Some("$LATEST")).await;
    rec(tape, s, "documents/update $LATEST", answer(r, |o| doc_fields(o.document_description().unwrap())));
    let r = update(&c, Some("2")).await;
    rec(tape, s, "documents/update naming the latest", answer(r, |o| doc_fields(o.document_description().unwrap())));
    let r = update(&d, Some("$LATEST")).await;
    rec(tape, s, "documents/update $LATEST again", answer(r, |o| doc_fields(o.document_description().unwrap())));
    let r = update(&content("other", ""), Some("2")).await; // 4 is the latest
    rec(tape, s, "documents/update naming a version not the latest", answer(r, |o| doc_fields(o.document_description().unwrap())));
    let r = update(&b, Some("$LATEST")).await;
    rec(tape, s, "documents/update duplicating an older version", answer(r, |o| doc_fields(o.document_description().unwrap())));
    let r = update(&d, Some("$LATEST")).await;
    rec(tape, s, "documents/update duplicating the latest", answer(r, |o| doc_fields(o.document_description().unwrap())));
    for (step, v) in [
        ("documents/default to 3", "3"),
        ("documents/default to a missing version", "9"),
    ] {
        let r = ssm
            .update_document_default_version()
            .name(DOC)
            .document_version(v)
            .send()
            .await;
        rec(tape, s, step, answer(r, |o| {
            let d = o.description();
            json!({"Name": d.and_then(|d| d.name()), "DefaultVersion": d.and_then(|d| d.default_version())})
        }));
    }
    for (step, v) in [
        ("documents/describe", None),
        ("documents/describe $LATEST", Some("$LATEST")),
        ("documents/describe 2", Some("2")),
        ("documents/describe a missing version", Some("9")),
    ] {
        let r = ssm
            .describe_document()
            .name(DOC)
            .set_document_version(v.map(str::to_string))
            .send()
            .await;
        rec(tape, s, step, answer(r, |o| doc_fields(o.document().unwrap())));
    }
    for (step, v) in [
        ("documents/get (the default)", None),
        ("documents/get $DEFAULT", Some("$DEFAULT")),
        ("documents/get $LATEST", Some("$LATEST")),
        ("documents/get 2", Some("2")),
        ("documents/get a missing version", Some("9")),
    ] {
        get(&ssm, s, tape, step, v).await;
    }
    versions(&ssm, s, tape, "documents/versions in pages of 3", 3).await;
    versions(&ssm, s, tape, "documents/versions in one page", 50).await;
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build().unwrap();
    for (step, t) in [
        ("documents/tag", vec![tag("runas-guard:canary", "1")]),
        ("documents/tag again (a key replaced, one added)", vec![tag("runas-guard:canary", "2"), tag("owner", "platform")]),
    ] {
        let r = ssm
            .add_tags_to_resource()
            .resource_type(ResourceTypeForTagging::Document)
            .resource_id(DOC)
            .set_tags(Some(t))
            .send()
            .await;
        rec(tape, s, step, answer(r, |_| json!({})));
    }
    tags(&ssm, s, tape, "documents/tags").await;
    // Deleting the latest version (not the default) is not compared: the
    // API reference does not say; moto deletes it and numbers the next
    // update after what is left, the simulator refuses it
    // (InvalidDocumentOperation), never kinder than AWS may be.
    for (step, v) in [
        ("documents/delete the default version", Some("3")),
        ("documents/delete version 2", Some("2")),
        ("documents/delete a missing version", Some("9")),
    ] {
        let r = ssm
            .delete_document()
            .name(DOC)
            .set_document_version(v.map(str::to_string))
            .send()
            .await;
        rec(tape, s, step, answer(r, |_| json!({})));
    }
    versions(&ssm, s, tape, "documents/versions after deleting 2", 50).await;
    let r = update(&content("after", ""), Some("$LATEST")).await;
    rec(tape, s, "documents/update after deleting 2", answer(r, |o| doc_fields(o.document_description().unwrap())));
    let r = ssm.delete_document().name(DOC).send().await;
    rec(tape, s, "documents/delete the document", answer(r, |_| json!({})));
    get(&ssm, s, tape, "documents/get deleted", None).await;
    versions(&ssm, s, tape, "documents/versions of a deleted document", 50).await;
    let r = create(&c).await;
    rec(tape, s, "documents/create again after delete", answer(r, |o| doc_fields(o.document_description().unwrap())));
    let r = update(&a, Some("$LATEST")).await;
    rec(tape, s, "documents/update the new one (content of the old)", answer(r, |o| doc_fields(o.document_description().unwrap())));
    tags(&ssm, s, tape, "documents/tags of the new one").await;
    // End state: every version's content, the default and the latest.
    versions(&ssm, s, tape, "documents/end: versions", 50).await;
    for v in ["1", "2"] {
        get(&ssm, s, tape, &format!("documents/end: version {v}"), Some(v)).await;
    }
}

/// Session Manager's sessions: opened by people (per side), listed by
/// `DescribeSessions` by state, in pages, and filtered by time.
async fn sessions(side: &mut Side, tape: &mut Tape) {
    use aws_sdk_ssm::types::{SessionFilter, SessionFilterKey, SessionState};
    let ssm = aws_sdk_ssm::Client::new(&side.cfg);
    let mut ids = vec![];
    let open = |target: &'static str| {
        let ssm = ssm.clone();
        let sim = side.sim.clone();
        async move {
            match sim {
                // A person's session: the simulator is told, as the world
                // tells it (Session Manager's StartSession is not the
                // product's, and not modelled).
                Some(sim) => {
                    let mut s = sim.lock().unwrap();
                    let key = (HUB.to_string(), REGION.to_string());
                    let list = s.ssm.sessions.entry(key).or_default();
                    let id = format!("root-sim{:04}", list.len());
                    list.push(aws::ssm::Session {
                        id: id.clone(),
                        owner: Who::root(HUB).arn,
                        target: target.into(),
                        start_ms: aws::now_ms(),
                        end_ms: None,
                    });
                    id
                }
                None => ssm
                    .start_session()
                    .target(target)
                    .send()
                    .await
                    .expect("StartSession (emulated)")
                    .session_id()
                    .unwrap()
                    .to_string(),
            }
        }
    };
    ids.push(open("i-0000000000000000a").await);
    side.pause(1500).await;
    let between = side.now_iso(0);
    side.pause(1500).await;
    ids.push(open("i-0000000000000000b").await);
    ids.push(open("i-0000000000000000c").await);
    side.pause(100).await;
    // The first ends.
    match &side.sim {
        Some(sim) => {
            let mut s = sim.lock().unwrap();
            let now = aws::now_ms();
            for x in s.ssm.sessions.values_mut().flatten() {
                if x.id == ids[0] {
                    x.end_ms = Some(now);
                }
            }
        }
        None => {
            ssm.terminate_session()
                .session_id(&ids[0])
                .send()
                .await
                .expect("TerminateSession (emulated)");
        }
    }
    side.pause(100).await;
    for (i, id) in ids.iter().enumerate() {
        side.name(id, &format!("session-{i}"));
    }
    let s = &*side;
    let filter = |k: SessionFilterKey, v: &str| SessionFilter::builder().key(k).value(v).build().unwrap();
    let cases: Vec<(&str, SessionState, Vec<SessionFilter>, i32)> = vec![
        ("sessions/active", SessionState::Active, vec![], 20),
        ("sessions/history", SessionState::History, vec![], 20),
        ("sessions/active in pages of 1", SessionState::Active, vec![], 1),
        ("sessions/active invoked after the gap", SessionState::Active, vec![filter(SessionFilterKey::InvokedAfter, &between)], 20),
        ("sessions/history invoked before the gap", SessionState::History, vec![filter(SessionFilterKey::InvokedBefore, &between)], 20),
        ("sessions/history invoked after the gap", SessionState::History, vec![filter(SessionFilterKey::InvokedAfter, &between)], 20),
        ("sessions/active invoked after an hour ago, before in an hour", SessionState::Active, vec![filter(SessionFilterKey::InvokedAfter, &s.now_iso(-3600)), filter(SessionFilterKey::InvokedBefore, &s.now_iso(3600))], 20),
        ("sessions/active invoked before an hour ago", SessionState::Active, vec![filter(SessionFilterKey::InvokedBefore, &s.now_iso(-3600))], 20),
    ];
    for (step, state, filters, page) in cases {
        let mut token: Option<String> = None;
        let mut pages = vec![];
        let mut all = vec![];
        let mut error = None;
        loop {
            let r = ssm
                .describe_sessions()
                .state(state.clone())
                .set_filters((!filters.is_empty()).then(|| filters.clone()))
                .max_results(page)
                .set_next_token(token.clone())
                .send()
                .await;
            match r {
                Err(e) => {
                    error = Some(answer::<(), _, _>(Err(e), |_| Value::Null));
                    break;
                }
                Ok(o) => {
                    pages.push(o.sessions().len());
                    for x in o.sessions() {
                        all.push(json!({
                            "SessionId": x.session_id(),
                            "Target": x.target(),
                            "Owner": x.owner(),
                            "Status": x.status().map(|t| t.as_str().to_string()),
                            "StartDate": x.start_date().is_some(),
                            "EndDate": x.end_date().is_some(),
                        }));
                    }
                    token = o.next_token().map(str::to_string);
                    if token.is_none() {
                        break;
                    }
                }
            }
        }
        all.sort_by(|a, b| a["Target"].as_str().cmp(&b["Target"].as_str()));
        let v = error.unwrap_or_else(|| json!({"ok": {"pages": pages, "sessions": all}}));
        rec(tape, s, step, v);
    }
}

/// Organizations: a root, one OU, two member accounts (one in the OU),
/// answered as the product reads them.
async fn organization(side: &mut Side, tape: &mut Tape) -> (String, String) {
    let org = aws_sdk_organizations::Client::new(&side.cfg);
    let (root, ou, alpha, beta, org_id);
    match side.sim.clone() {
        Some(sim) => {
            let mut s = sim.lock().unwrap();
            s.org.management = HUB.into();
            // moto names the management account "master"; a name is setup.
            s.org.accounts.insert(HUB.into(), account("master", aws::org::ROOT));
            s.org.ous.insert("ou-sim0-prod0001".into(), aws::org::Ou { name: "prod".into(), parent: aws::org::ROOT.into() });
            s.org.accounts.insert("210000000001".into(), account("alpha", "ou-sim0-prod0001"));
            s.org.accounts.insert("210000000002".into(), account("beta", aws::org::ROOT));
            for a in ["210000000001", "210000000002"] {
                // AWS makes it in an account CreateAccount makes (as moto does).
                s.sts.roles.entry(a.into()).or_default().insert(ACCESS_ROLE.into());
            }
            (root, ou, alpha, beta, org_id) = (
                aws::org::ROOT.to_string(),
                "ou-sim0-prod0001".to_string(),
                "210000000001".to_string(),
                "210000000002".to_string(),
                aws::org::ORG.to_string(),
            );
        }
        None => {
            use aws_sdk_organizations::types::OrganizationFeatureSet;
            let o = org.create_organization().feature_set(OrganizationFeatureSet::All).send().await.unwrap();
            org_id = o.organization().unwrap().id().unwrap().to_string();
            root = org.list_roots().send().await.unwrap().roots()[0].id().unwrap().to_string();
            ou = org
                .create_organizational_unit()
                .parent_id(&root)
                .name("prod")
                .send()
                .await
                .unwrap()
                .organizational_unit()
                .unwrap()
                .id()
                .unwrap()
                .to_string();
            let mut made = vec![];
            for name in ["alpha", "beta"] {
                let st = org
                    .create_account()
                    .account_name(name)
                    .email(format!("{name}@example.com"))
                    .send()
                    .await
                    .unwrap();
                made.push(st.create_account_status().unwrap().account_id().unwrap().to_string());
            }
            (alpha, beta) = (made[0].clone(), made[1].clone());
            org.move_account()
                .account_id(&alpha)
                .source_parent_id(&root)
                .destination_parent_id(&ou)
                .send()
                .await
                .unwrap();
        }
    }
    side.name(&org_id, "org");
    side.name(&root, "root");
    side.name(&ou, "ou-prod");
    side.name(&alpha, "alpha");
    side.name(&beta, "beta");
    let s = &*side;
    fn acct(a: &aws_sdk_organizations::types::Account) -> Value {
        json!({
            "Id": a.id(),
            "Name": a.name(),
            "State": a.state().map(|t| t.as_str().to_string()),
            "JoinedTimestamp": a.joined_timestamp().is_some(),
            "Paths": a.paths(),
        })
    }
    // By name: ids are drawn differently on each side.
    fn sorted(mut v: Vec<Value>) -> Value {
        v.sort_by_key(|x| x["Name"].to_string());
        Value::Array(v)
    }
    let r = org.list_roots().send().await;
    rec(tape, s, "organization/roots", answer(r, |o| json!(o.roots().iter().map(|x| x.id()).collect::<Vec<_>>())));
    let r = org.list_accounts().send().await;
    rec(tape, s, "organization/accounts", answer(r, |o| sorted(o.accounts().iter().map(acct).collect())));
    for (step, parent) in [
        ("organization/accounts of the root", root.clone()),
        ("organization/accounts of the OU", ou.clone()),
        ("organization/accounts of a missing OU", "ou-zzzz-zzzzzzzz".to_string()),
    ] {
        let r = org.list_accounts_for_parent().parent_id(parent).send().await;
        rec(tape, s, step, answer(r, |o| sorted(o.accounts().iter().map(acct).collect())));
    }
    let r = org.list_organizational_units_for_parent().parent_id(&root).send().await;
    rec(tape, s, "organization/OUs of the root", answer(r, |o| {
        sorted(o.organizational_units().iter().map(|u| json!({"Id": u.id(), "Name": u.name(), "Path": u.path()})).collect())
    }));
    for (step, child) in [
        ("organization/parents of alpha", alpha.clone()),
        ("organization/parents of beta", beta.clone()),
        ("organization/parents of the OU", ou.clone()),
        ("organization/parents of a missing account", "999999999999".to_string()),
    ] {
        let r = org.list_parents().child_id(child).send().await;
        rec(tape, s, step, answer(r, |o| {
            json!(o.parents().iter().map(|p| json!({"Id": p.id(), "Type": p.r#type().map(|t| t.as_str().to_string())})).collect::<Vec<_>>())
        }));
    }
    for (step, id) in [
        ("organization/describe alpha", alpha.clone()),
        ("organization/describe a missing account", "999999999999".to_string()),
    ] {
        let r = org.describe_account().account_id(id).send().await;
        rec(tape, s, step, answer(r, |o| acct(o.account().unwrap())));
    }
    (alpha, beta)
}

fn account(name: &str, parent: &str) -> aws::org::Account {
    aws::org::Account {
        name: name.into(),
        parent: parent.into(),
        state: "ACTIVE".into(),
        joined_ms: aws::now_ms() - 86_400_000,
        member: true,
    }
}

/// STS: a member role assumed where it exists and where it does not, and
/// what a member session can and cannot do.
async fn sessions_of_sts(side: &mut Side, tape: &mut Tape, beta: &str) {
    let sts = aws_sdk_sts::Client::new(&side.cfg);
    let assume = |role: &str| {
        sts.assume_role()
            .role_arn(format!("arn:aws:iam::{beta}:role/{role}"))
            .role_session_name("runas-guard")
            .send()
    };
    let arn = |o: &aws_sdk_sts::operation::assume_role::AssumeRoleOutput| {
        json!({"Arn": o.assumed_role_user().map(|u| u.arn()), "Credentials": o.credentials().is_some()})
    };
    let r = assume(EXEC_ROLE).await;
    rec(tape, side, "sts/assume a missing role", answer(r, |o| arn(&o)));
    let access = assume(ACCESS_ROLE).await;
    let Ok(access) = access else {
        rec(tape, side, "sts/assume the access role", answer(access, |o| arn(&o)));
        return;
    };
    rec(tape, side, "sts/assume the access role", json!({"ok": arn(&access)}));
    // The member stack lands: its role exists in the account's IAM.
    match side.sim.clone() {
        Some(sim) => {
            sim.lock().unwrap().sts.roles.entry(beta.into()).or_default().insert(EXEC_ROLE.into());
        }
        None => {
            let iam = aws_sdk_iam::Client::new(&side.with_creds(access.credentials().unwrap()));
            iam.create_role()
                .role_name(EXEC_ROLE)
                .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
                .send()
                .await
                .expect("CreateRole");
        }
    }
    let r = assume(EXEC_ROLE).await;
    let Ok(member) = r else {
        rec(tape, side, "sts/assume the member role", answer(r, |o| arn(&o)));
        return;
    };
    rec(tape, side, "sts/assume the member role", json!({"ok": arn(&member)}));
    let cfg = side.with_creds(member.credentials().unwrap());
    let r = aws_sdk_sts::Client::new(&cfg).get_caller_identity().send().await;
    rec(tape, side, "sts/who the member session is", answer(r, |o| json!({"Account": o.account(), "Arn": o.arn()})));
    let ssm = aws_sdk_ssm::Client::new(&cfg);
    let r = ssm
        .create_document()
        .name(DOC)
        .content(content("member", ""))
        .document_type(aws_sdk_ssm::types::DocumentType::Session)
        .send()
        .await;
    rec(tape, side, "sts/the member session makes its document", answer(r, |o| doc_fields(o.document_description().unwrap())));
    let r = ssm.get_document().name(DOC).send().await;
    rec(tape, side, "sts/the member's document", answer(r, |o| json!({"Content": o.content(), "DocumentVersion": o.document_version()})));
    let r = aws_sdk_ssm::Client::new(&side.cfg).get_document().name(DOC).send().await;
    rec(tape, side, "sts/the hub has none of its own", answer(r, |o| json!({"Content": o.content()})));
}

/// SNS `Publish` (what the topic's subscriber receives against the
/// simulator's record) and SQS `SendMessage`/`SendMessageBatch`.
async fn messaging(side: &mut Side, tape: &mut Tape) {
    use aws_sdk_sns::types::MessageAttributeValue;
    use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
    let topic = format!("arn:aws:sns:{REGION}:{HUB}:{TOPIC}");
    let sweep = side.queue_url(QUEUE);
    let sns = aws_sdk_sns::Client::new(&side.cfg);
    let sqs = aws_sdk_sqs::Client::new(&side.cfg);
    match side.sim.clone() {
        Some(sim) => {
            let mut s = sim.lock().unwrap();
            s.sns.topics.push(topic.clone());
            s.sqs.queues.insert(sweep.clone(), Default::default());
        }
        None => {
            sns.create_topic().name(TOPIC).send().await.unwrap();
            sqs.create_queue().queue_name(QUEUE).send().await.unwrap();
            sqs.create_queue().queue_name("alerts").send().await.unwrap();
            sns.subscribe()
                .topic_arn(&topic)
                .protocol("sqs")
                .endpoint(format!("arn:aws:sqs:{REGION}:{HUB}:alerts"))
                .send()
                .await
                .unwrap();
        }
    }
    let s = &*side;
    let attr = |v: &str| MessageAttributeValue::builder().data_type("String").string_value(v).build().unwrap();
    let r = sns
        .publish()
        .topic_arn(&topic)
        .subject("runas-guard: drift")
        .message(json!({"kind": "drift_reverted", "alert_id": "al-1"}).to_string())
        .message_attributes("alert_id", attr("al-1"))
        .send()
        .await;
    rec(tape, s, "messaging/publish", answer(r, |o| json!({"MessageId": o.message_id().is_some()})));
    let r = sns
        .publish()
        .topic_arn(&topic)
        .subject("runas-guard: window")
        .message_structure("json")
        .message(json!({"default": json!({"kind": "run_as_window", "alert_id": "al-2"}).to_string(), "email": "a window"}).to_string())
        .message_attributes("alert_id", attr("al-2"))
        .send()
        .await;
    rec(tape, s, "messaging/publish structured", answer(r, |o| json!({"MessageId": o.message_id().is_some()})));
    let r = sns
        .publish()
        .topic_arn(format!("arn:aws:sns:{REGION}:{HUB}:missing"))
        .message("x")
        .send()
        .await;
    rec(tape, s, "messaging/publish to a missing topic", answer(r, |o| json!({"MessageId": o.message_id().is_some()})));
    let r = sns.publish().topic_arn(&topic).message("x".repeat(262_145)).send().await;
    rec(tape, s, "messaging/publish too long", answer(r, |o| json!({"MessageId": o.message_id().is_some()})));

    let send = |body: &str, delay: i32, url: &str| sqs.send_message().queue_url(url).message_body(body).delay_seconds(delay).send();
    let ok = |o: aws_sdk_sqs::operation::send_message::SendMessageOutput| json!({"MessageId": o.message_id().is_some()});
    rec(tape, s, "messaging/send", answer(send("now", 0, &sweep).await, ok));
    rec(tape, s, "messaging/send delayed", answer(send("later", 600, &sweep).await, ok));
    rec(tape, s, "messaging/send delayed past 900 s", answer(send("never", 901, &sweep).await, ok));
    rec(tape, s, "messaging/send to a missing queue", answer(send("lost", 0, &s.queue_url("missing")).await, ok));
    let entry = |id: &str, body: &str, delay: i32| {
        SendMessageBatchRequestEntry::builder().id(id).message_body(body).delay_seconds(delay).build().unwrap()
    };
    let batch = |entries: Vec<SendMessageBatchRequestEntry>| sqs.send_message_batch().queue_url(&sweep).set_entries(Some(entries)).send();
    let out = |o: aws_sdk_sqs::operation::send_message_batch::SendMessageBatchOutput| {
        let mut ids: Vec<&str> = o.successful().iter().map(|e| e.id()).collect();
        ids.sort();
        json!({"Successful": ids, "Failed": o.failed().len()})
    };
    let r = batch(vec![entry("e1", "b1", 0), entry("e2", "b2", 0), entry("e3", "b3", 600)]).await;
    rec(tape, s, "messaging/batch", answer(r, out));
    let r = batch((0..11).map(|i| entry(&format!("e{i}"), "x", 0)).collect()).await;
    rec(tape, s, "messaging/batch of 11", answer(r, out));
    let r = batch(vec![]).await;
    rec(tape, s, "messaging/batch of none", answer(r, out));
    let r = batch(vec![entry("same", "d1", 0), entry("same", "d2", 0)]).await;
    rec(tape, s, "messaging/batch with one id twice", answer(r, out));

    // End state: what the subscriber got against what the simulator
    // recorded as published; the sweep queue's messages.
    let (published, visible, delayed) = match side.sim.clone() {
        Some(sim) => {
            let st = sim.lock().unwrap();
            let now = aws::now_ms();
            let published: Vec<Value> = st
                .sns
                .published
                .iter()
                .map(|p| json!({"Subject": p.subject, "Message": p.message, "alert_id": p.alert_id}))
                .collect();
            let q = &st.sqs.queues[&sweep];
            let visible: Vec<String> = q.messages.iter().filter(|m| m.visible_ms <= now).map(|m| m.body.clone()).collect();
            let delayed = q.messages.iter().filter(|m| m.visible_ms > now).count();
            (published, visible, delayed)
        }
        None => {
            let alerts = s.queue_url("alerts");
            let mut published = vec![];
            for m in drain(&sqs, &alerts).await {
                let env: Value = serde_json::from_str(&m).expect("an SNS envelope");
                let message = env["Message"].as_str().unwrap_or_default();
                published.push(json!({
                    "Subject": env["Subject"],
                    "Message": serde_json::from_str::<Value>(message).unwrap_or(json!(message)),
                    "alert_id": env["MessageAttributes"]["alert_id"]["Value"],
                }));
            }
            let visible = drain(&sqs, &sweep).await;
            let attrs = sqs
                .get_queue_attributes()
                .queue_url(&sweep)
                .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesDelayed)
                .send()
                .await
                .unwrap();
            let delayed = attrs
                .attributes()
                .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesDelayed))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0usize);
            (published, visible, delayed)
        }
    };
    let mut published = published;
    published.sort_by_key(|p| p["alert_id"].to_string());
    let mut visible = visible;
    visible.sort();
    rec(tape, s, "messaging/end: published", json!(published));
    rec(tape, s, "messaging/end: sweep queue", json!({"visible": visible, "delayed": delayed}));
}

/// Every visible message's body (received and deleted).
async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let mut out = vec![];
    loop {
        let r = sqs.receive_message().queue_url(url).max_number_of_messages(10).send().await.unwrap();
        if r.messages().is_empty() {
            return out;
        }
        for m in r.messages() {
            out.push(m.body().unwrap_or_default().to_string());
            sqs.delete_message().queue_url(url).receipt_handle(m.receipt_handle().unwrap()).send().await.unwrap();
        }
    }
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
        runas_guard::domain::clock::anchor(Some(std::time::UNIX_EPOCH + Duration::from_secs(1_790_000_000)));
        fastrand::seed(62);
        let mut state = State {
            rng: Rng::new(62),
            fault_rate: 0.0,
            ssm: Default::default(),
            sts: Default::default(),
            org: Default::default(),
            sns: Default::default(),
            sqs: Default::default(),
            ddb: aws::dynamodb::Dynamo::new(),
            instances: BTreeMap::new(),
            trace: vec![],
            unsupported: vec![],
            hub: HUB.into(),
            calls: 0,
            faults_fired: 0,
            verbose: false,
        };
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
        let http = SimHttp { sim: sim.clone(), instance: 0, start_ms: aws::now_ms() };
        let mut side = Side { cfg: sdk_config(http, REGION), sim: Some(sim.clone()), moto_url: None, names: vec![] };
        let tape = play(&mut side).await;
        let unsupported = sim.lock().unwrap().unsupported.clone();
        assert!(unsupported.is_empty(), "the simulator met what it does not model: {unsupported:?}");
        tape
    });
    runas_guard::domain::clock::anchor(None);
    tape
}

fn play_moto(moto: &Moto) -> Tape {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let cfg = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&moto.url)
            .region(Region::new(REGION))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new("testing", "testing", None, None, "test")))
            .http_client(runas_guard::adapters::aws::http_client())
            .build();
        let mut side = Side { cfg, sim: None, moto_url: Some(moto.url.clone()), names: vec![] };
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
